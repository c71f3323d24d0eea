r"""Tail-index estimators and the Lévy-driven exit time (Şimşekli, Sagun, Gürbüzbalaban 2019).

Claims (THEORY.md §5). Şimşekli et al.'s multi-m estimator
:math:`1/\hat\alpha = (\overline{\log|Y_j|} - \overline{\log|X_i|})/\log m` (block sums
:math:`Y_j` of :math:`m` samples, :math:`m` the largest divisor of N not above
:math:`\sqrt N`) targets the index of the stable domain of attraction,
:math:`\min(\alpha, 2)` (``theory.levy.tail_index_target``); the Hill estimator targets the
tail index itself. SGD on :math:`f = a x^2/2` with SαS noise is the linear recursion
:math:`x_{k+1} = c\,x_k - \eta\xi_k` (:math:`c = 1 - \eta a`), so every iterate from
:math:`x_0 = 0` is exactly SαS with the noise's :math:`\alpha` and scale
:math:`\eta s (\sum_{j<k} |c|^{j\alpha})^{1/\alpha}`. For
:math:`dX = -f'(X)dt + \varepsilon dL^\alpha` and a basin of half-widths :math:`a_\pm`,
:math:`E\tau \sim \alpha/(c_\alpha \varepsilon^\alpha (a_-^{-\alpha} + a_+^{-\alpha}))` as
:math:`\varepsilon \to 0` (Imkeller-Pavlyukevich): width\ :sup:`alpha`, no depth.

1. Injected noise. N raw draws (through the engine: flat landscape, ``sgd(1)``, one step,
   :math:`x_1 = -\xi`) of Pareto(1.5), Stable(1.2, 1.5, 1.8), Student-t(3) and Gaussian.
   Multi-m against :math:`\min(\alpha, 2)` (kind asymptotic). For non-stable laws the
   estimator has a finite-m bias, computed here exactly: its numerator averages to
   :math:`E\log|Y| - E\log|X| = \int_0^\infty (\varphi(t) - \varphi(t)^m)\,dt/t`
   (from :math:`\log|y| = \int_0^\infty (e^{-t} - \cos ty)\,dt/t`; :math:`\varphi` the
   characteristic function), so :math:`E[1/\hat\alpha]` at this m is a tight prediction
   (its inversion to :math:`\hat\alpha` adds a bias of order :math:`se^2`, < 0.1% here).
   It equals :math:`1/\alpha` for SαS and 1/2 for Gaussian data, so those get one row.
   Hill: **k = floor(sqrt(N)) fixed in advance** (k -> inf, k/N -> 0; never chosen by
   looking at the data), against the tail index (kind asymptotic). Its bias at this k is
   the population Hill functional :math:`1/\int_{u}^\infty H(x)/(x H(u))\,dx` with
   :math:`H(u) = k/N`, computed from the law's exact tail ``noise.H``; it is reported in
   the notes and drawn over a grid of k (zero for Pareto, +0.6% for Stable(1.5), +3% for
   Stable(1.8), -2% for Student-t(3) at N = 1e5: all below the Hill SE
   :math:`\alpha/\sqrt k`). Gaussian data have an infinite tail index: Hill on it is shown
   (it grows with N) but has no verdict.
2. SGD iterates, :math:`a = 1`, :math:`\eta = 0.1` (c = 0.9), :math:`x_0 = 0`, K = 100
   steps (the start's weight :math:`c^{\alpha K} \approx 10^{-7}`: stationary; for SαS
   noise :math:`x_K` is exactly SαS at any K anyway). Across N independent paths (iid
   :math:`x_K`): multi-m against :math:`\alpha` (exact SαS: kind tight) for Stable(1.5),
   Hill against 1.5, the median of :math:`|x_K|` against the exact SαS scale (checks
   ``Stable``'s scale convention, that of ``scipy.stats.levy_stable``, through the
   engine); for Gaussian noise multi-m against 2; for Student-t(3) noise multi-m against
   2 and against its exact finite-m expectation (the iterate's characteristic function is
   :math:`\prod_{j<K}\varphi_{t_3}(\eta c^j t)`). Along one path (what one gets from a
   single run's time series): multi-m on consecutive stationary iterates targets
   :math:`\alpha` only as :math:`m \to \infty`; at finite m the AR(1) correlation biases
   it down, and its expectation is exact: a block sum of m consecutive iterates is SαS
   with a scale computed in ``_along_path_expected``. Its SE treats blocks as independent
   (neighbouring blocks share about 1/((1-c) m) = 4% of their scale).
3. Lévy exit, :math:`\alpha = 1.5`, simulated as SGD with step :math:`\eta` (time =
   :math:`\eta\cdot`steps) and noise ``Stable(alpha, eps * eta**(1/alpha - 1))``: then
   :math:`-\eta\xi` has the law of :math:`\varepsilon (L_{t+\eta} - L_t)` exactly
   (``Stable(alpha, s)`` has :math:`E e^{iu\xi} = e^{-|su|^\alpha}`, the convention of
   ``theory.levy``'s :math:`c_\alpha`); only the drift is discretised, with
   :math:`\eta\kappa` = ``ETA_KAPPA`` (0.1; the ratio did not move between
   :math:`\eta = 0.01` and 0.1 in a check at width 1). ``Quadratic(kappa, edges)`` +
   ``ExitBasin``, start at 0, censored means (``mean_exit_time``). Width sweep at
   :math:`\kappa = 1`, :math:`\varepsilon = 0.1`: fitted log-log exponent against
   :math:`\alpha` (kind exponent) and the measured/predicted ratios. Depth sweep at width
   1: one row per curvature :math:`\kappa` (the same prediction for all), and the fitted
   depth exponent (prediction 0) in the data. An asymmetric basin (-1, 2) checks the sum
   :math:`a_-^{-\alpha} + a_+^{-\alpha}`. Rescaling space and time shows that
   :math:`\kappa E\tau` depends on :math:`\delta = \varepsilon\kappa^{-1/\alpha}/a` alone;
   the formula is its :math:`\delta \to 0` limit and the ratio panel plots every point
   against :math:`\delta`. At finite :math:`\delta` paths exit sooner (small jumps and
   the wandering of X help). Measured at quick scale: 4% at :math:`\delta` = 0.1, 9% at
   0.16, 17% at 0.25, within 3% (1-2 SE) below 0.07. So the shallow basins
   (:math:`\kappa` = 0.25, 0.5) *disagree, measured below the prediction*: a finite-eps
   depth dependence, not a failure of the limit. Across the width sweep
   (:math:`\delta` = 0.1 .. 0.025) the same effect tilts the fitted exponent up (1.535 ±
   0.014 for 1.5 at quick scale, z = 2.45: agrees there; at paper scale it will
   disagree in that direction).

Documented directions of the limit rows that may disagree (finite m, finite eps), with
their exact finite-m means at quick scale (m = 250): multi-m on Pareto(1.5) draws above
1.5 (1.63), on Student-t(3) draws below 2 (1.78), on Student-t(3) iterates below 2
(1.92), on one path's iterates below 1.5 (1.18); Lévy-exit times below the prediction,
the width exponent above :math:`\alpha`. The rows against the exact finite-m means agree.
At seed 0, quick scale, multi-m on Stable(1.2) draws gives 1.155 ± 0.016 (z = -2.9,
"disagrees" at the 99% level) although its finite-m mean is exactly 1.2: a fluctuation
(16 other seeds at N = 1e5: mean z -0.25 ± 0.29; 4 seeds at N = 1e6: z = 1.1, -0.3, -0.2,
-0.2), which ~20 rows expected to agree, at 1% each, produce at about one seed in five.
"""

import functools
import math
import time
import warnings

import numpy as np
from scipy import integrate, optimize, special, stats

import simsgd as sg

from ._sweep import study_sweep, sweep_provenance

NAME = "tail_index"
SCALES = {
    # n_draws: raw noise draws per law; n_iter: paths for the iterates (across paths);
    # n_path: length of the single recorded path; n_exit: paths per exit point
    "tiny": dict(n_draws=10_000, n_iter=10_000, n_path=10_000, n_exit=200,
                 widths=(1.0, 2.0, 4.0), kappas=(0.25, 1.0, 4.0)),
    "quick": dict(n_draws=100_000, n_iter=100_000, n_path=100_000, n_exit=4000,
                  widths=tuple(2.0 ** (np.arange(5) / 2)), kappas=(0.25, 0.5, 1.0, 2.0, 4.0)),
    # paper: ~1.4e9 steps of stable noise (exit 1.1e9, iterates 3e8): about 6 minutes at
    # the ~4e6 steps/s this 2-core machine gave with light load, 12 at the 2e6 measured
    # while shared; quadrature and estimators add < 1 minute. quick: ~1.2e8 steps,
    # 25-60 s (light / heavy load); tiny: ~5 s
    "paper": dict(n_draws=1_000_000, n_iter=1_000_000, n_path=1_000_000, n_exit=20_000,
                  widths=tuple(2.0 ** (np.arange(7) / 2)),
                  kappas=(0.125, 0.25, 0.5, 1.0, 2.0, 4.0, 8.0)),
}
NOISES = (("Pareto(1.5)", sg.noise.Pareto(1.5)), ("Stable(1.2)", sg.noise.Stable(1.2)),
          ("Stable(1.5)", sg.noise.Stable(1.5)), ("Stable(1.8)", sg.noise.Stable(1.8)),
          ("Student-t(3)", sg.noise.StudentT(3.0)), ("Gaussian", sg.noise.Gaussian(1.0)))
ITER = dict(a=1.0, eta=0.1, steps=100, burn=100)  # SGD on a x^2/2 for part 2
ALPHA_EXIT = 1.5
EPS = 0.1
ETA_KAPPA = 0.1  # eta * kappa: the drift's discretisation, the same at every depth
ASYM = (-1.0, 2.0)
HORIZON = 10**8  # steps; ~1e4 times the longest mean exit here: censoring is reported
REF_HERE = "this study (exact finite-m mean of the estimator, from the characteristic function)"


# ---- exact finite-sample theory of the two estimators -----------------------------------

def _stable_domain_alpha(noise):
    """min(tail index, 2): the index of the stable domain of attraction."""
    return float(min(noise.tail_index, 2.0))


def _phi_pareto(t, alpha):
    r"""E cos(tX) for the symmetric Pareto law P(|X| > x) = x^-alpha, x >= 1 (alpha in (0, 2),
    alpha != 1).

    :math:`\varphi(t) = \alpha t^\alpha \int_t^\infty \cos u\, u^{-\alpha-1} du`. For
    :math:`t \le 6` the entire series

    .. math:: 1 - \varphi(t) = \Gamma(1-\alpha)\cos(\pi\alpha/2)\, t^\alpha
              + \alpha \sum_{n \ge 1} \frac{(-1)^n t^{2n}}{(2n)!\,(2n - \alpha)}

    (split the integral at 1 and expand :math:`\cos u - 1`) keeps :math:`1 - \varphi`
    accurate as t -> 0, where it is raised to the m-th power; beyond, a Fourier integral
    (QUADPACK's QAWF).
    """
    t = abs(float(t))
    if t == 0.0:
        return 1.0
    if t <= 6.0:
        one_minus = _pareto_lead(alpha) * t**alpha
        term, n = 1.0, 0
        while True:
            n += 1
            term *= -t * t / ((2 * n - 1) * (2 * n))  # (-1)^n t^(2n) / (2n)!
            one_minus += alpha * term / (2 * n - alpha)
            if abs(term) < 1e-18 * max(one_minus, 1e-300) and n > 2:
                break
        return 1.0 - one_minus
    tail = integrate.quad(lambda u: u ** (-alpha - 1.0), t, np.inf, weight="cos", wvar=1.0,
                          limlst=200)[0]
    return alpha * t**alpha * tail


@functools.lru_cache(maxsize=None)
def _pareto_lead(alpha):
    if not (0 < alpha < 2 and alpha != 1):
        raise ValueError(f"Pareto characteristic function here needs alpha in (0,1)u(1,2), "
                         f"got {alpha}")
    return float(special.gamma(1.0 - alpha)) * math.cos(math.pi * alpha / 2.0)


def _phi_t3(t, scale=1.0):
    s = math.sqrt(3.0) * abs(t) * scale
    return (1.0 + s) * math.exp(-s)


def _phi_t3_iterate(t, eta, c, steps):
    """Characteristic function of x_K = -eta sum_{j<K} c^j xi_j, xi ~ Student-t(3)."""
    s = math.sqrt(3.0) * abs(t) * eta * np.abs(c) ** np.arange(steps)
    return float(np.prod((1.0 + s) * np.exp(-s)))


def _multi_m_expected(phi, m, t_scale=1.0):
    r"""Exact :math:`E[1/\hat\alpha]` of the multi-m estimator with blocks of m iid draws:

    .. math:: \frac{E\log|Y_m| - E\log|X|}{\log m}
              = \frac{1}{\log m}\int_0^\infty \frac{\varphi(t) - \varphi(t)^m}{t}\,dt

    (from :math:`\log|y| = \int_0^\infty (e^{-t} - \cos ty)\,dt/t`, y != 0). Integrated in
    :math:`\log t` over unit pieces; ``t_scale`` centres the grid on the law's scale. The
    tail beyond :math:`10^3 t_{scale}` is dropped: :math:`\varphi^m` is 0 there and
    :math:`\int \varphi/t` is below 1e-5 for these laws (Pareto: :math:`\varphi(t) \approx
    -\alpha\sin t/t`).
    """
    def f(s):
        t = t_scale * math.exp(s)
        p = phi(t)
        return p - p**m  # m is an int: a negative p (Pareto, large t) is fine

    lo, hi = -math.log(m) * 3.0 - 20.0, math.log(1e3)
    edges = np.arange(lo, hi + 1.0, 1.0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", integrate.IntegrationWarning)
        tot = sum(integrate.quad(f, a, b, epsabs=1e-13, epsrel=1e-11, limit=100)[0]
                  for a, b in zip(edges[:-1], edges[1:]))
    return tot / math.log(m)


def _along_path_expected(alpha, c, m):
    r"""Exact :math:`E[1/\hat\alpha]` of multi-m on consecutive stationary AR(1) iterates.

    :math:`x_t = \sum_{j \le t} c^{t-j} z_j` with SαS :math:`z_j`. A block sum
    :math:`Y = \sum_{t=1}^m x_t = \sum_j b_j z_j` is SαS with scale
    :math:`(\sum_j |b_j|^\alpha)^{1/\alpha}` in units of z's scale: :math:`b_j =
    c^{1-j}(1-c^m)/(1-c)` for j <= 0, :math:`(1-c^{m-j+1})/(1-c)` for 1 <= j <= m, while
    x's scale is :math:`(1-|c|^\alpha)^{-1/\alpha}`. For SαS laws
    :math:`E\log|Y| - E\log|X| = \log(\mathrm{scale}_Y/\mathrm{scale}_X)`.
    """
    geo = (1.0 - c**m) / (1.0 - c)
    before = abs(geo) ** alpha * abs(c) ** alpha / (1.0 - abs(c) ** alpha)
    inside = np.sum(np.abs((1.0 - c ** np.arange(1, m + 1)) / (1.0 - c)) ** alpha)
    log_ratio = math.log((before + inside) * (1.0 - abs(c) ** alpha)) / alpha
    return log_ratio / math.log(m)


def _hill_population(noise, p, scale=1.0):
    r"""The Hill estimator's limit at k/N = p: :math:`1/\int_0^\infty H(u e^s)/H(u)\,ds`
    with :math:`H(u) = p` (``noise.H`` is the exact two-sided tail; ``scale`` rescales it).
    Its difference from the tail index is Hill's bias at that k (the second-order term).
    Simpson's rule on s in [0, 1] and [1, 60] (201 and 401 points): the integrand is
    smooth and decays like :math:`e^{-\alpha s}` (heavy tails) or within
    :math:`s \sim 1/u^2` (Gaussian, u ~ 3: 20 grid points); against 2001 points per piece
    the value moves by < 1e-5 relative (Pareto: 1.499996 for 1.5)."""
    H = lambda z: noise.H(np.asarray(z) / scale)  # noqa: E731
    hi = scale
    while H(hi) > p:
        hi *= 2.0
    u = optimize.brentq(lambda z: float(H(z)) - p, 0.0, hi, xtol=1e-14 * hi, rtol=1e-13)
    Hu = float(H(u))
    val = 0.0
    for a, b, n in ((0.0, 1.0, 201), (1.0, 60.0, 401)):
        s = np.linspace(a, b, n)
        val += integrate.simpson(H(u * np.exp(s)) / Hu, x=s)
    return float(1.0 / val)


def _phi_of(noise):
    """(characteristic function, scale) of a noise law, for _multi_m_expected."""
    if isinstance(noise, sg.noise.Pareto):
        return (lambda t: _phi_pareto(t * noise.scale, noise.alpha)), 1.0 / noise.scale
    if isinstance(noise, sg.noise.StudentT) and noise.df == 3.0:
        return (lambda t: _phi_t3(t, noise.scale)), 1.0 / noise.scale
    if isinstance(noise, sg.noise.Stable):
        return (lambda t: math.exp(-abs(noise.scale * t) ** noise.alpha)), 1.0 / noise.scale
    if isinstance(noise, sg.noise.Gaussian):
        return (lambda t: math.exp(-0.5 * (noise.sigma * t) ** 2)), 1.0 / noise.sigma
    raise TypeError(f"no characteristic function for {noise!r}")


# ---- estimates -------------------------------------------------------------------------

def _largest_divisor(n):
    for m in range(int(math.sqrt(n)), 0, -1):
        if n % m == 0:
            return m
    return 1


def _draws(noise, n, seed):
    """n raw draws of the noise through the engine: flat landscape, sgd(1), x_1 = -xi."""
    res = sg.simulate(sg.landscapes.Quadratic(0.0), noise, sg.optimizers.sgd(1.0), x0=0.0,
                      n_paths=n, n_steps=1, seed=seed, progress=False)
    return -res.x[:, 0]


def _iterates(noise, n, seed):
    res = sg.simulate(sg.landscapes.Quadratic(ITER["a"]), noise, sg.optimizers.sgd(ITER["eta"]),
                      x0=0.0, n_paths=n, n_steps=ITER["steps"], seed=seed, progress=False)
    if res.counts()["DIVERGED"]:
        raise RuntimeError(f"{res.counts()['DIVERGED']} SGD paths diverged")
    return res.x[:, 0]


def _one_path(noise, n, seed):
    steps = ITER["burn"] + n
    res = sg.simulate(sg.landscapes.Quadratic(ITER["a"]), noise, sg.optimizers.sgd(ITER["eta"]),
                      x0=0.0, n_paths=1, n_steps=steps, seed=seed,
                      observe=(sg.events.RecordPaths(1),), progress=False)
    path = res.observed["paths"][0, ITER["burn"] + 1:, 0]
    if path.size != n or not np.all(np.isfinite(path)):
        raise RuntimeError("the recorded path is incomplete")
    return path


def _hill_grid(x, n):
    """Hill estimates over a log grid of k (for the k-choice panel)."""
    ks = np.unique(np.round(np.geomspace(10, n / 10, 9)).astype(int))
    out = []
    for k in ks:
        e = sg.stats.hill(x, int(k))
        out.append(dict(k=int(k), value=e.value, ci_low=e.ci_low, ci_high=e.ci_high))
    return out


def _median_abs(x, level=0.95):
    """Median of |x| with the distribution-free order-statistic CI; se = half-width/z."""
    a = np.sort(np.abs(x))
    n = a.size
    z = stats.norm.ppf(0.5 + level / 2)
    lo_i = int(math.floor(n / 2 - z * math.sqrt(n) / 2))
    hi_i = int(math.ceil(n / 2 + z * math.sqrt(n) / 2))
    med = float(np.median(a))
    lo, hi = float(a[max(lo_i, 0)]), float(a[min(hi_i, n - 1)])
    return sg.stats.Estimate(med, (hi - lo) / (2 * z), lo, hi, level, n,
                             "sample median of |x|, order-statistic CI")


# ---- exit ------------------------------------------------------------------------------

def _exit_sim(width_lo, width_hi, kappa, n, seed):
    """The simulation of one exit point: the mean exit time (time = eta * steps)."""
    eta = ETA_KAPPA / kappa
    noise = sg.noise.Stable(ALPHA_EXIT, EPS * eta ** (1.0 / ALPHA_EXIT - 1.0))
    res = sg.simulate(sg.landscapes.Quadratic(kappa, edges=(-width_lo, width_hi)), noise,
                      sg.optimizers.sgd(eta), x0=0.0, n_paths=n, n_steps=HORIZON, seed=seed,
                      stop=sg.events.ExitBasin(), progress=False)
    est = sg.stats.mean_exit_time(res.exit_step, res.status)
    # time = eta * steps: the estimate and its CI scale by eta
    tau = sg.stats.Estimate(est.value * eta, est.se * eta, est.ci_low * eta, est.ci_high * eta,
                            est.level, est.n, est.method + "; time = eta * steps")
    return dict(tau=tau, censored=res.counts()["RUNNING"],
                steps_per_second=res.steps_per_second)


def _exit_point(width_lo, width_hi, kappa, sim):
    """The exit point's prediction and data row, from its simulation ``sim``."""
    eta = ETA_KAPPA / kappa
    tau = sim["tau"]
    pred = sg.theory.levy.levy_exit_time(ALPHA_EXIT, EPS, width_lo, width_hi)
    delta = EPS * kappa ** (-1.0 / ALPHA_EXIT) / min(width_lo, width_hi)
    return tau, pred, dict(a_minus=width_lo, a_plus=width_hi, kappa=kappa, eta=eta,
                           delta=delta, tau=tau, predicted=pred.value,
                           ratio=tau.value / pred.value, ratio_se=tau.se / pred.value,
                           censored=sim["censored"], steps_per_second=sim["steps_per_second"])


# ---- the sweep -------------------------------------------------------------------------

_NOISE = dict(NOISES)  # label -> law; the iterates use the Stable(1.5), Gaussian, t(3) ones


def tail_point(part, n, seed_offset, seed, label=None, width_lo=None, width_hi=None,
               kappa=None, tails=False):
    """One point of the study's sweep: one simulation and the estimates taken from it.

    Module-level so that ``sg.sweep`` can ship it to worker processes or a Dask cluster;
    it returns estimates, not the samples (up to 1e6 per point at paper scale). The sweep
    runs with common random numbers, so ``seed`` is the study's seed and the simulation
    uses ``seed + seed_offset``: the seeds of the study's loops before it ran on
    ``sg.sweep``. ``part``: ``"draws"`` (n raw draws of the law ``label``: multi-m, Hill
    at k = floor(sqrt n) and over a grid of k), ``"iterates"`` (x_K of n SGD paths:
    multi-m; with ``tails`` also Hill and the median of |x_K|), ``"path"`` (n consecutive
    iterates of one path: multi-m) or ``"exit"`` (the Lévy exit time from the basin
    (-width_lo, width_hi) with curvature kappa).
    """
    s = seed + seed_offset
    if part == "draws":
        x = _draws(_NOISE[label], n, s)
        return dict(multi_m=sg.stats.multi_m_tail_index(x),
                    hill=sg.stats.hill(x, int(math.sqrt(n))), hill_grid=_hill_grid(x, n))
    if part == "iterates":
        x = _iterates(_NOISE[label], n, s)
        out = dict(multi_m=sg.stats.multi_m_tail_index(x))
        if tails:
            out.update(hill=sg.stats.hill(x, int(math.sqrt(n))), median=_median_abs(x))
        return out
    if part == "path":
        return dict(multi_m=sg.stats.multi_m_tail_index(_one_path(_NOISE[label], n, s)))
    if part == "exit":
        return _exit_sim(width_lo, width_hi, kappa, n, s)
    raise ValueError(f"unknown part {part!r}")


def _grid(cfg):
    """Every simulation of the study as one list of sweep points, keyed by a name for
    ``run``; ``seed_offset`` keeps each simulation's seed of the earlier loops."""
    pts = {}
    for i, (label, _) in enumerate(NOISES):
        pts[("draws", label)] = dict(part="draws", label=label, n=cfg["n_draws"], seed_offset=i)
    for off, label in ((100, "Stable(1.5)"), (101, "Gaussian"), (102, "Student-t(3)")):
        pts[("iterates", label)] = dict(part="iterates", label=label, n=cfg["n_iter"],
                                        seed_offset=off, tails=label == "Stable(1.5)")
    pts[("path",)] = dict(part="path", label="Stable(1.5)", n=cfg["n_path"], seed_offset=103)
    n_e = cfg["n_exit"]
    for i, w in enumerate(cfg["widths"]):
        pts[("exit", w, 1.0)] = dict(part="exit", width_lo=float(w), width_hi=float(w),
                                     kappa=1.0, n=n_e, seed_offset=1000 + i)
    for i, kappa in enumerate(cfg["kappas"]):
        # the width-1, kappa-1 point is the width sweep's (as before)
        pts.setdefault(("exit", 1.0, kappa), dict(part="exit", width_lo=1.0, width_hi=1.0,
                                                  kappa=float(kappa), n=n_e,
                                                  seed_offset=2000 + i))
    pts[("asym",)] = dict(part="exit", width_lo=-ASYM[0], width_hi=ASYM[1], kappa=1.0, n=n_e,
                          seed_offset=3000)
    return pts


def run(scale="quick", seed=0, progress=True, executor=None, cache_dir=None):
    """Simulate the three parts; return ``dict(rows=..., data=..., provenance=...)``.

    All simulations form one ``sg.sweep`` (a point per noise law, iterate ensemble and
    exit basin), run in this process by default or on ``executor`` (e.g. a Dask
    cluster's, from ``simsgd reproduce --scheduler``); ``cache_dir`` makes the run
    resumable. The quadratures (exact finite-m means, population Hill values) run here.
    The results do not depend on the executor.
    """
    if scale not in SCALES:
        raise ValueError(f"scale must be one of {sorted(SCALES)}, got {scale!r}")
    cfg = SCALES[scale]
    from tqdm.auto import tqdm

    levy = sg.theory.levy
    t0 = time.perf_counter()
    grid = _grid(cfg)
    bar = tqdm(total=len(grid), desc=NAME, unit="point", disable=not progress)
    swept = study_sweep(tail_point, list(grid.values()), seed=seed, executor=executor,
                         cache_dir=cache_dir, bar=bar)
    sim = dict(zip(grid, swept.rows))
    rows = []

    # ---- part 1: injected noise ----
    N = cfg["n_draws"]
    m = _largest_divisor(N)
    k = int(math.sqrt(N))
    noise_data = []
    for i, (label, noise) in enumerate(NOISES):
        pt = sim[("draws", label)]
        mm = pt["multi_m"]
        target = levy.tail_index_target(_stable_domain_alpha(noise))
        phi, ts = _phi_of(noise)
        inv_exp = _multi_m_expected(phi, m, ts)
        mm_expected = 1.0 / inv_exp
        stable_like = isinstance(noise, (sg.noise.Stable, sg.noise.Gaussian))
        rows.append(sg.report.row(
            f"multi-m alpha, {label} draws", target, mm,
            note=f"N = {N}, m = {m}; exact mean at this m: 1/E[1/alpha-hat] = "
                 f"{mm_expected:.4g}" + (" (SaS: no finite-m bias)" if stable_like else
                                        f" (finite-m bias {mm_expected - target.value:+.3g})")))
        if not stable_like:
            rows.append(sg.report.row(
                f"multi-m alpha at m={m}, {label} draws", sg.theory.Prediction(
                    mm_expected, "tight", REF_HERE,
                    f"iid draws, blocks of m = {m}; 1/E[1/alpha-hat] (the inversion bias is "
                    "of order se^2)"), mm, note="the estimator's finite-m expectation"))
        tail = float(noise.tail_index)
        hill = pt["hill"]
        h_pop = _hill_population(noise, k / N)
        if math.isfinite(tail):
            pred = sg.theory.Prediction(tail, "asymptotic", "Hill, Ann. Statist. 3 (1975)",
                                        "k -> inf, k/N -> 0; regularly varying tail")
            rows.append(sg.report.row(
                f"Hill alpha (k = sqrt N), {label} draws", pred, hill,
                note=f"k = {k} of N = {N}; population Hill value at k/N: {h_pop:.4g} "
                     f"(bias {h_pop - tail:+.3g}; SE {hill.se:.2g})"))
        noise_data.append(dict(label=label, tail_index=tail, target=target.value,
                               multi_m=mm, multi_m_expected=mm_expected, hill=hill,
                               hill_population=h_pop,
                               # the sweep stores dicts with sorted keys: keep the order
                               hill_grid=[{f: g[f] for f in ("k", "value", "ci_low", "ci_high")}
                                          for g in pt["hill_grid"]],
                               hill_grid_population=[
                                   _hill_population(noise, g / N)
                                   for g in np.unique(np.round(np.geomspace(10, N / 10, 9))
                                                      .astype(int))]))

    # ---- part 2: SGD iterates ----
    a, eta, K = ITER["a"], ITER["eta"], ITER["steps"]
    c = 1.0 - eta * a
    n_it = cfg["n_iter"]
    m_it = _largest_divisor(n_it)
    k_it = int(math.sqrt(n_it))
    iter_data = []
    # Stable(1.5): exact SaS iterates
    st = sg.noise.Stable(1.5)
    pt = sim[("iterates", "Stable(1.5)")]
    mm = pt["multi_m"]
    pred = sg.theory.Prediction(1.5, "tight", levy.REF,
                                "SGD on a x^2/2 with SaS noise: x_K is exactly SaS(alpha)")
    rows.append(sg.report.row("multi-m alpha, SGD iterates (across paths), Stable(1.5)", pred,
                              mm, note=f"N = {n_it} paths, x_K after K = {K} steps, "
                                       f"eta = {eta}, a = {a}; m = {m_it}"))
    scale_k = eta * st.scale * float(np.sum(np.abs(c) ** (1.5 * np.arange(K)))) ** (1 / 1.5)
    hill = pt["hill"]
    h_pop = _hill_population(st, k_it / n_it)
    rows.append(sg.report.row(
        "Hill alpha (k = sqrt N), SGD iterates, Stable(1.5)",
        sg.theory.Prediction(1.5, "asymptotic", "Hill, Ann. Statist. 3 (1975)",
                             "k -> inf, k/N -> 0"), hill,
        note=f"k = {k_it}; population Hill value {h_pop:.4g} (bias {h_pop - 1.5:+.3g})"))
    med = pt["median"]
    med_pred = scale_k * float(stats.levy_stable.ppf(0.75, 1.5, 0.0))
    rows.append(sg.report.row(
        "median |x_K|, SGD iterates, Stable(1.5)",
        sg.theory.Prediction(med_pred, "tight", "linear recursion; scipy.stats.levy_stable",
                             "x_K exactly SaS with scale eta s (sum_j |c|^(j alpha))^(1/alpha)"),
        med, note=f"SaS scale {scale_k:.5g} times levy_stable's median of |S| (its 0.75 "
                  "quantile): checks Stable's scale convention through the engine"))
    iter_data.append(dict(label="Stable(1.5)", kind="across paths", target=1.5,
                          multi_m=mm, multi_m_expected=1.5, hill=hill, hill_population=h_pop,
                          median=med, median_predicted=med_pred))
    # Gaussian: exact Gaussian iterates
    mm = sim[("iterates", "Gaussian")]["multi_m"]
    rows.append(sg.report.row(
        "multi-m alpha, SGD iterates (across paths), Gaussian",
        sg.theory.Prediction(2.0, "tight", levy.REF, "x_K exactly Gaussian"), mm,
        note=f"N = {n_it}, m = {m_it}"))
    iter_data.append(dict(label="Gaussian", kind="across paths", target=2.0, multi_m=mm,
                          multi_m_expected=2.0))
    # Student-t(3): finite variance, so the domain of attraction is Gaussian
    mm = sim[("iterates", "Student-t(3)")]["multi_m"]
    target = levy.tail_index_target(2.0)
    t3_exp = 1.0 / _multi_m_expected(lambda t: _phi_t3_iterate(t, eta, c, K), m_it, 1.0 / eta)
    rows.append(sg.report.row(
        "multi-m alpha, SGD iterates (across paths), Student-t(3)", target, mm,
        note=f"exact mean at m = {m_it}: {t3_exp:.4g} (finite-m bias {t3_exp - 2:+.3g}); "
             "the recursion averages ~1/(1-c^2) draws, so the iterates are closer to Gaussian"))
    rows.append(sg.report.row(
        f"multi-m alpha at m={m_it}, SGD iterates, Student-t(3)",
        sg.theory.Prediction(t3_exp, "tight", REF_HERE,
                             "phi(x_K) = prod_j phi_t3(eta c^j t); iid across paths"), mm,
        note="the estimator's finite-m expectation"))
    iter_data.append(dict(label="Student-t(3)", kind="across paths", target=2.0, multi_m=mm,
                          multi_m_expected=t3_exp))
    # along one path (correlated iterates), Stable(1.5)
    n_p = cfg["n_path"]
    m_p = _largest_divisor(n_p)
    mm = sim[("path",)]["multi_m"]
    ap_exp = 1.0 / _along_path_expected(1.5, c, m_p)
    rows.append(sg.report.row(
        "multi-m alpha, one SGD path (time series), Stable(1.5)",
        levy.tail_index_target(1.5), mm,
        note=f"{n_p} consecutive iterates after {ITER['burn']} burn-in, m = {m_p}; exact mean "
             f"at this m {ap_exp:.4g} (autocorrelation bias {ap_exp - 1.5:+.3g})"))
    rows.append(sg.report.row(
        f"multi-m alpha at m={m_p}, one SGD path, Stable(1.5)",
        sg.theory.Prediction(ap_exp, "tight", REF_HERE,
                             "block sums of a stationary SaS AR(1): exact scales"), mm,
        note="SE treats neighbouring blocks as independent"))
    iter_data.append(dict(label="Stable(1.5)", kind="one path", target=1.5, multi_m=mm,
                          multi_m_expected=ap_exp))

    # ---- part 3: Lévy-driven exit ----
    n_e = cfg["n_exit"]
    width_pts, depth_pts = [], []
    cache = {}
    for i, w in enumerate(cfg["widths"]):
        tau, pred, d = _exit_point(w, w, 1.0, sim[("exit", w, 1.0)])
        cache[(w, 1.0)] = (tau, pred, d)
        width_pts.append(d)
    ws = np.array([p["a_plus"] for p in width_pts])
    taus = np.array([p["tau"].value for p in width_pts])
    ses = np.array([p["tau"].se for p in width_pts])
    fit = sg.stats.loglog_slope(ws, taus, ses)
    local = sg.stats.local_slopes(ws, taus, ses)
    ratios = ", ".join(f"{p['ratio']:.3f}" for p in width_pts)
    width_pred = sg.theory.Prediction(ALPHA_EXIT, "exponent", levy.REF_EXIT,
                                      "eps -> 0: E tau ~ width^alpha")
    rows.append(sg.report.row(
        f"E tau width exponent (kappa=1, eps={EPS})", width_pred, fit,
        note=f"widths {ws[0]:.3g}..{ws[-1]:.3g} (delta {EPS / ws[0]:.3g}..{EPS / ws[-1]:.3g}); "
             f"measured/predicted {ratios}; {fit.method}"))
    # the widest pair has the smallest delta: the measurement closest to the limit
    rows.append(sg.report.row(
        "E tau local width exponent, widest pair", width_pred, local[-1],
        note=f"between widths {ws[-2]:.3g} and {ws[-1]:.3g}"))
    for i, kappa in enumerate(cfg["kappas"]):
        if (1.0, kappa) in cache:
            tau, pred, d = cache[(1.0, kappa)]
        else:
            tau, pred, d = _exit_point(1.0, 1.0, kappa, sim[("exit", 1.0, kappa)])
        depth_pts.append(d)
        rows.append(sg.report.row(
            f"E tau, width 1, depth kappa={kappa:g}", pred, tau,
            note=f"barrier kappa/2 = {kappa / 2:g}; delta = {d['delta']:.3g}; ratio "
                 f"{d['ratio']:.3f} ± {d['ratio_se']:.2g}; eta = {d['eta']:.3g}"))
    ks_ = np.array([p["kappa"] for p in depth_pts])
    depth_fit = sg.stats.loglog_slope(ks_, [p["tau"].value for p in depth_pts],
                                      [p["tau"].se for p in depth_pts])
    tau, pred, asym = _exit_point(-ASYM[0], ASYM[1], 1.0, sim[("asym",)])
    rows.append(sg.report.row(
        f"E tau, asymmetric basin {ASYM}, kappa=1", pred, tau,
        note=f"ratio {asym['ratio']:.3f} ± {asym['ratio_se']:.2g}; symmetric width 1 "
             f"would give {levy.levy_exit_time(ALPHA_EXIT, EPS, 1.0, 1.0).value:.4g}"))
    bar.close()
    prov = sweep_provenance(seed, scale, t0, swept)
    return dict(rows=rows,
                data=dict(noise=noise_data, iterates=iter_data, n_draws=N, m=m, k=k,
                          iter_params=dict(ITER, n=n_it, m=m_it, k=k_it, n_path=n_p, m_path=m_p),
                          exit=dict(alpha=ALPHA_EXIT, eps=EPS, eta_kappa=ETA_KAPPA,
                                    width=width_pts, depth=depth_pts, asym=asym,
                                    width_fit=fit, width_local=local, depth_fit=depth_fit,
                                    n_paths=n_e)),
                provenance=prov)


def plot(saved, path):
    """Draw the figure from a saved result (``sg.report.load``); never simulates."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import FixedLocator, FuncFormatter, NullFormatter, NullLocator

    data = saved["data"]
    fig, axes = plt.subplots(2, 3, figsize=(17, 9.5))

    def plain_log_ticks(axis, values):
        # a short log range: label the grid values themselves, not 2x10^0 etc.
        axis.set_major_locator(FixedLocator(values))
        axis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
        axis.set_minor_locator(NullLocator())
        axis.set_minor_formatter(NullFormatter())

    def est_err(e):
        v = e["value"]
        hi = e["ci_high"] if e["ci_high"] is not None else np.inf
        return v, [[v - e["ci_low"]], [min(hi, 10.0) - v]]

    # (a) injected noise
    ax = axes[0, 0]
    nd = data["noise"]
    for i, d in enumerate(nd):
        v, err = est_err(d["multi_m"])
        ax.errorbar([i - 0.12], [v], yerr=err, fmt="o", color="C0", ms=5,
                    label="multi-m (95% CI)" if i == 0 else None)
        ax.plot([i - 0.35, i + 0.11], [d["target"]] * 2, "-", color="C0", lw=1.5,
                label="multi-m target min(alpha, 2)" if i == 0 else None)
        ax.plot([i - 0.12], [d["multi_m_expected"]], "x", color="C3", ms=8, mew=2,
                label="multi-m exact mean at this m" if i == 0 else None)
        if d["tail_index"] is not None and math.isfinite(d["tail_index"]):
            v, err = est_err(d["hill"])
            ax.errorbar([i + 0.12], [v], yerr=err, fmt="s", color="C2", ms=5,
                        label="Hill, k = sqrt N (95% CI)" if i == 0 else None)
            ax.plot([i - 0.11 + 0.23, i + 0.35], [d["tail_index"]] * 2, "--", color="C2",
                    lw=1.5, label="Hill target: tail index" if i == 0 else None)
        else:
            ax.annotate(f"Hill: {d['hill']['value']:.1f}\n(tail index inf,\nno verdict)",
                        (i, 2.5), fontsize=7, ha="center")
    ax.set(xticks=range(len(nd)), ylim=(0.8, 3.6), ylabel=r"estimated $\alpha$",
           title=f"injected noise: N = {data['n_draws']} draws, m = {data['m']}, "
                 f"k = {data['k']}")
    ax.set_xticklabels([d["label"] for d in nd], fontsize=8)
    ax.legend(fontsize=7, loc="upper left")

    # (b) Hill over k, with the population Hill curve
    ax = axes[0, 1]
    for i, d in enumerate(nd):
        if d["tail_index"] is None or not math.isfinite(d["tail_index"]):
            continue
        g = d["hill_grid"]
        kk = np.array([p["k"] for p in g], dtype=float)
        v = np.array([p["value"] for p in g], dtype=float)
        lo = np.array([p["ci_low"] for p in g], dtype=float)
        hi = np.array([p["ci_high"] for p in g], dtype=float)
        ax.errorbar(kk, v, yerr=[v - lo, hi - v], fmt="o", ms=3, color=f"C{i}",
                    label=d["label"], capsize=0, elinewidth=0.8)
        ax.plot(kk, d["hill_grid_population"], "-", color=f"C{i}", lw=1)
        ax.axhline(d["tail_index"], color=f"C{i}", ls=":", lw=0.8)
    ax.axvline(data["k"], color="k", ls="--", lw=1, label=f"chosen k = sqrt N = {data['k']}")
    ax.set(xscale="log", ylim=(0.8, 4.0), xlabel="k (upper order statistics)",
           ylabel=r"Hill $\hat\alpha$",
           title="Hill vs k: points (95% CI), population Hill value (line),\n"
                 "tail index (dotted)")
    ax.legend(fontsize=7, ncol=2)

    # (c) SGD iterates
    ax = axes[0, 2]
    it = data["iterates"]
    for i, d in enumerate(it):
        v, err = est_err(d["multi_m"])
        ax.errorbar([i], [v], yerr=err, fmt="o", color="C0", ms=5,
                    label="multi-m (95% CI)" if i == 0 else None)
        ax.plot([i - 0.3, i + 0.3], [d["target"]] * 2, "-", color="C0", lw=1.5,
                label="target alpha (min(alpha, 2))" if i == 0 else None)
        ax.plot([i + 0.05], [d["multi_m_expected"]], "x", color="C3", ms=8, mew=2,
                label="exact mean at this m" if i == 0 else None)
        if d.get("hill"):
            v, err = est_err(d["hill"])
            ax.errorbar([i + 0.18], [v], yerr=err, fmt="s", color="C2", ms=5,
                        label="Hill, k = sqrt N (95% CI)")
    ip = data["iter_params"]
    ax.set(xticks=range(len(it)), ylim=(0.8, 2.6), ylabel=r"estimated $\alpha$",
           title=f"SGD iterates on x^2/2 (eta = {ip['eta']}): x_K of {ip['n']} paths,\n"
                 f"or {ip['n_path']} consecutive iterates of one path")
    ax.set_xticklabels([f"{d['label']}\n{d['kind']}" for d in it], fontsize=8)
    ax.legend(fontsize=7, loc="upper left")

    ex = data["exit"]

    def taus(pts):
        return (np.array([p["tau"]["value"] for p in pts], dtype=float),
                np.array([p["tau"]["se"] for p in pts], dtype=float))

    # (d) width
    ax = axes[1, 0]
    w = np.array([p["a_plus"] for p in ex["width"]], dtype=float)
    t, se = taus(ex["width"])
    ax.errorbar(w, t, yerr=1.96 * se, fmt="o", color="C0", ms=5,
                label=f"measured (95% CI); fit slope {ex['width_fit']['value']:.3f} ± "
                      f"{ex['width_fit']['se']:.2g}")
    ww = np.geomspace(w[0], w[-1], 50)
    pred0 = np.array([p["predicted"] for p in ex["width"]], dtype=float)
    ax.plot(ww, pred0[0] * (ww / w[0]) ** ex["alpha"], "-", color="C3", lw=1,
            label=f"Imkeller-Pavlyukevich, slope alpha = {ex['alpha']}")
    ax.set(xscale="log", yscale="log", xlabel="basin half-width a (a- = a+)",
           ylabel=r"mean exit time $E\tau$ (time = $\eta\cdot$steps)",
           title=f"Levy exit vs width: alpha = {ex['alpha']}, eps = {ex['eps']}, kappa = 1")
    plain_log_ticks(ax.xaxis, [round(v, 2) for v in w])
    ax.legend(fontsize=7)

    # (e) depth
    ax = axes[1, 1]
    kap = np.array([p["kappa"] for p in ex["depth"]], dtype=float)
    t, se = taus(ex["depth"])
    ax.errorbar(kap, t, yerr=1.96 * se, fmt="o", color="C0", ms=5,
                label=f"measured (95% CI); fit slope {ex['depth_fit']['value']:.3f} ± "
                      f"{ex['depth_fit']['se']:.2g}")
    ax.axhline(ex["depth"][0]["predicted"], color="C3", lw=1,
               label="prediction (no depth dependence)")
    ax.set(xscale="log", yscale="log", xlabel=r"curvature $\kappa$ (barrier height $\kappa/2$)",
           ylabel=r"mean exit time $E\tau$",
           title="Levy exit vs depth: width 1, eps = 0.1")
    ax.set_ylim(min(t.min(), ex["depth"][0]["predicted"]) * 0.85,
                max(t.max(), ex["depth"][0]["predicted"]) * 1.15)
    plain_log_ticks(ax.xaxis, list(kap))
    plain_log_ticks(ax.yaxis, [20, 30, 40, 50, 60, 70, 80, 90, 100, 120, 150])
    ax.legend(fontsize=7)

    # (f) ratio vs delta
    ax = axes[1, 2]
    for pts, lab, mk, col in ((ex["width"], "width sweep", "o", "C0"),
                              (ex["depth"], "depth sweep", "s", "C1"),
                              ([ex["asym"]], "asymmetric (-1, 2)", "D", "C2")):
        dl = np.array([p["delta"] for p in pts], dtype=float)
        r = np.array([p["ratio"] for p in pts], dtype=float)
        rs = np.array([p["ratio_se"] for p in pts], dtype=float)
        ax.errorbar(dl, r, yerr=1.96 * rs, fmt=mk, color=col, ms=5, label=lab)
    ax.axhline(1.0, color="C3", lw=1, label="eps -> 0 limit")
    ax.set_xscale("log")
    plain_log_ticks(ax.xaxis, [0.01, 0.02, 0.05, 0.1, 0.2, 0.5])
    ax.set( xlabel=r"$\delta = \varepsilon\,\kappa^{-1/\alpha}/a_{\min}$",
           ylabel=r"measured / predicted $E\tau$ (95% CI)",
           title="exit: measured/predicted vs delta (its only parameter)")
    ax.legend(fontsize=7)
    fig.suptitle("Tail-index estimators and the Levy-driven exit time "
                 "(Simsekli, Sagun, Gurbuzbalaban 2019; Imkeller-Pavlyukevich 2006)",
                 fontsize=11)
    fig.tight_layout()
    fig.savefig(path, dpi=130)
    plt.close(fig)
    return path
