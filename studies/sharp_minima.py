r"""Truncated heavy-tailed SGD leaves sharp (narrow) minima; untruncated and Gaussian SGD do not.

Claim (THEORY.md §1, global dynamics; Wang, Oh, Rhee 2022 and Wang & Rhee). With truncation
level :math:`b`, basin :math:`i` needs :math:`l^*_i = \lceil r_i/b \rceil` large jumps to be
left. Basins with :math:`l^*_i = \max_j l^*_j` are *wide*, the others *narrow*. After time is
rescaled by :math:`1/\lambda^*_{max}`, the iterates converge to a Markov chain on the wide
minima only, and the time share of the narrow basins falls like
:math:`\lambda(\eta) = H(1/\eta)/\eta` when the gap in :math:`l^*` is 1. Untruncated, every
basin has :math:`l^* = 1` and the narrow share stays bounded away from 0. With Gaussian noise,
exit times grow like :math:`\exp(\mathrm{const}/\eta)`, and the constant is set by the barrier
height, not by the width.

Setting. THEORY's landscape :math:`f'(x) = (x+2.05)(x+1.2)(x+0.9)(x+0.6)(x-0.2)` on
:math:`[-3, 1.5]` (``MultiWell``, iterates clamped). Its minima are -2.05 (A), -0.9 (B) and
0.2 (C), with radii 0.85, 0.30 and 0.80 and curvatures 3.19, 0.114 and 2.77. With b = 0.5,
:math:`l^* = (2, 1, 2)`: B is narrow although it has the *smallest* curvature. The noise is
compound-Poisson Pareto, :math:`\alpha = 1.5`, with THEORY's example values q = 0.001 and
:math:`w_{min} = 20`. We keep them so that THEORY's example numbers are a reference point,
and because they give the widest affordable range of :math:`\eta` where both regime
conditions can hold:

- :math:`\eta w_{min} \le r - (l^*-1) b`, which is 0.3 for B and C and 0.35 for A. Then every
  needed jump is at least the smallest jump. It holds for :math:`\eta \le 0.015`.
- :math:`q/\eta` small (few jumps per relaxation time). On the grid
  :math:`\eta = 0.015 (2/3)^{j/2}` (quick: 0.015 to 0.0067, five points; paper: to 0.0044,
  seven points) it runs from 0.067 to 0.15 (quick) or 0.23 (paper). See "Finite-eta
  effects" below: in this landscape the condition is much stricter than it looks, and it
  fails for the narrow basin. Meeting it needs a q so small that the quick scale could not
  afford it: the cost per visit to B grows like :math:`1/q^2`.

Measured, for each :math:`\eta`:

1. Truncated (b = 0.5), untruncated, and Gaussian (:math:`\sigma = 0.4`) SGD with
   ``BasinOccupancy``. The outputs are the time share per basin (the mean over independent
   paths of each path's share; SE = sd/sqrt(n) across paths), the basin changes per step,
   and the transition counts with the holding times (``sg.stats.ctmc_generator``). Truncated
   paths run for :math:`T = \tau/\lambda^*_{max}` steps, with :math:`\lambda^*_{max} =
   H(1/\eta)\lambda(\eta)`. The horizon is thus fixed in the theorem's rescaled time, so the
   narrow share is :math:`O(\lambda)` for any start, and the slope test does not need
   stationarity. Untruncated paths run for :math:`\tau_u/H(1/\eta)` steps (there all
   :math:`l^* = 1`). Gaussian paths run as long as the truncated ones (a quarter of that at
   quick scale). Starts: 2/3 of the
   truncated paths start at A and 1/3 at C, close to the derived limit split 0.66 : 0.34.
   Untruncated and Gaussian paths alternate between A and C.
2. Gaussian SGD started at B's minimum, stopped when it leaves B (``ExitBasin``): the mean
   exit time (censored ratio estimator; the horizon is 40 times the exact mean, so nothing
   is censored).

Predictions (derived here for this landscape, from THEORY's formulas):

- The limit chain, truncated. B is left by one jump of size at least 0.3. The rate is
  :math:`\tfrac12 0.3^{-\alpha} H` to each side, and truncation at 0.5 does not change where
  the jump lands (in A or in C). A and C are left by two jumps, and these land in B, since
  :math:`2b = 1` is shorter than the 1.45 and 1.4 that reaching the far basin needs. The
  constant is THEORY's :math:`l^* = 2` formula with the quadratic's flow replaced by this
  basin's flow: :math:`G(u) = \int_{r-b}^{u} (r-y)^{-\alpha} / |f'(m+y)|\,dy`. This gives
  :math:`C^*_A = 2.071` and :math:`C^*_C = 4.066` (the same code gives 6.6227 for THEORY's
  quadratic). The stationary narrow share is then :math:`K\lambda(\eta)` with
  :math:`K = 1/(k_{BA}/C^*_A + k_{BC}/C^*_C) = 0.451`.
- Untruncated: one-jump rates :math:`\tfrac12(d_1^{-\alpha} - d_2^{-\alpha}) H`, where a jump
  between the distances :math:`d_1` and :math:`d_2` lands in the corresponding basin (the
  clamp keeps long jumps in the outer basins). The stationary share of B is
  :math:`\pi_B = 0.0578` for every :math:`\eta`.
- Gaussian: SGD is the Euler scheme of :math:`dX = -f'dt + \sqrt{\eta}\sigma dW` (time
  :math:`t = \eta k`). The exact mean exit time of that diffusion comes from the 1-D
  Green's-function quadrature (absorbing at the maxima, reflecting at the clamps).
  :math:`\ln(\eta E\tau)` is asymptotically linear in :math:`1/\eta` with slope
  :math:`2\Delta V/\sigma^2`. B's barrier is :math:`\Delta V_B = 0.00248` (right side), and
  A's and C's are 0.152 and 0.120. :math:`\sigma = 0.4` was chosen so that
  :math:`2\Delta V_B/(\eta\sigma^2)` runs from 2 to 7 on the grid, which makes B's exits
  measurable. The wide barriers are then 48 and 61 times higher: no exit in any horizon.

Verdict rows: the wide/narrow classification (exact); the log-log slope of the truncated
narrow share against :math:`\lambda(\eta)` (exponent 1); the truncated narrow share over
:math:`\lambda` at the smallest :math:`\eta` against K (asymptotic); the untruncated narrow
share at the smallest :math:`\eta` against :math:`\pi_B` (asymptotic: bounded away from 0);
Gaussian: the Arrhenius slope against :math:`2\Delta V_B/\sigma^2` (exponent; the exact
diffusion's own slope is within 1% of it on this grid), the exit time from B over the exact
diffusion's, pooled over :math:`\eta` with inverse-variance weights (asymptotic, 1), and the
number of exits from A and C within the horizons against its expected value, about 1e-40
(upper). The exit-time row was first the ratio at the smallest :math:`\eta` alone. At paper
scale that gave 0.907 (SE 0.034, z = -2.7), while the other six values of :math:`\eta` lie
within 1.7 SE of 1. The Euler scheme's corrections are :math:`O(\eta\kappa) < 10^{-3}`
here, so no :math:`\eta` is closer to the limit than another, and the row now pools all of
them: 0.972 (SE 0.014) at paper scale.

Finite-eta effects (measured while this study was built; documented, not tuned). A and C are
very flat between their minimum and the maximum at -1.2 or -0.6 (:math:`|f'| \le 0.32`), so
relaxing after a jump takes about 2 time units. B relaxes on a scale of
:math:`1/\kappa_B \approx 9`. So "few jumps per relaxation time" means
:math:`q/\eta \ll 0.5` for A and C, and :math:`q/(\eta\kappa_B) \ll 1` for B. On the grid,
:math:`q/(\eta\kappa_B)` is 0.6 to 2. A numpy model of the same recursion gives
:math:`C^*_A = 2.86, 2.33, 2.04 \pm 0.15` for q = 0.001, 2.5e-4 and 6.25e-5 at
:math:`\eta = 0.015`. The derived 2.07 is thus the :math:`q/\eta \to 0` limit, and the excess
is linear in q (+38% at q/eta = 0.067). As :math:`\eta` falls at fixed q, two effects grow.
Sequences of several jumps raise the entry rate into B. Small jumps that pile up in the flat
narrow basin raise its exit rate (the effective :math:`C^*_B` goes from 5 to 8-10 against
6.09). So:

- the measured share over :math:`\lambda` is 1.3 to 1.6 times K (documented direction:
  above). Paper scale: 0.592 (SE 0.017) against 0.451 at :math:`\eta = 0.0044`;
- the untruncated share falls from 7.6% (:math:`\eta = 0.015`) to 5.2% (0.0044) around
  :math:`\pi_B = 5.78\%`. The sign of the deviation changes across the grid: near
  :math:`\eta = 0.0067`, the smallest :math:`\eta` of the quick scale, the share equals
  :math:`\pi_B`, and below that it is lower (documented direction at the paper's smallest
  :math:`\eta`: below; measured 5.19%, SE 0.09%). It stays about 10-15 times the truncated share:
  bounded away from 0 on every :math:`\eta` of the grid;
- the measured slope against :math:`\lambda` is above 1 (documented direction: above),
  because B's exits speed up faster than the entries do. Paper scale: 1.34 (SE 0.06; WLS
  on seven points); the local slope rises towards small :math:`\eta`. Quick scale: 1.0 (SE 0.3),
  which is inconclusive.

The picture THEORY describes is there at every :math:`\eta`. The truncated narrow share is
0.35% to 0.8%, against 5% to 7.6% untruncated, and it falls as :math:`\lambda` falls. With
truncation every move between A and C passes through B, and B's exit rates are
:math:`O(1/\lambda)` in the wide chain's clock (panel d). Gaussian SGD never leaves A or C.
The power law and the constants, however, are off by tens of percent at these :math:`\eta`,
for the reason above.

Reference point (not theory): THEORY quotes narrow shares of about 0.6% (b = 0.5) and 6.5%
(untruncated) at :math:`\eta = 0.01` from an independent simulator. This study reports its
own values at :math:`\eta = 0.01` in the notes.

Run time on 2 cores: tiny about 4 s, quick about 55 s, and paper about 23 minutes with
another job sharing the machine (:math:`\eta` down to 0.0044, ten times the truncated
paths; the Gaussian exits at :math:`\eta = 0.0044` take about 3e6 steps per path).
"""

import math
import time

import numpy as np
from scipy import integrate

import simsgd as sg

from ._sweep import study_sweep, sweep_provenance

NAME = "sharp_minima"
CRITICAL = (-2.05, -1.2, -0.9, -0.6, 0.2)
DOMAIN = (-3.0, 1.5)
ALPHA = 1.5
B_TRUNC = 0.5
Q = 0.001  # THEORY's example values; the regime and the cost are discussed in the docstring
W_MIN = 20.0
SIGMA = 0.4  # Gaussian: 2 dV_B / (eta sigma^2) from 2 to 7 on the grid (exits from B measurable)
BASIN_NAMES = ("A (-2.05)", "B (-0.9)", "C (0.2)")


def _etas(k):
    """eta = 0.015 (2/3)^(j/2), j < k: from the regime bound eta w_min = 0.3 downwards."""
    return tuple(float(e) for e in 0.015 * (2.0 / 3.0) ** (np.arange(k) / 2))


SCALES = {
    # n_*: paths; tau_trunc: horizon in units of 1/lambda*_max (truncated); tau_untr: horizon
    # in units of 1/H(1/eta) (untruncated); g_horizon: Gaussian horizon as a fraction of the
    # truncated one (a few long Gaussian paths fill the SIMD lanes badly); n_gexit: Gaussian
    # paths started in B
    "tiny": dict(etas=_etas(3), n_trunc=4, tau_trunc=0.05, n_untr=4, tau_untr=2.0, n_gauss=2,
                 g_horizon=1.0, n_gexit=24),
    "quick": dict(etas=_etas(5), n_trunc=64, tau_trunc=1.0, n_untr=128, tau_untr=20.0,
                  n_gauss=16, g_horizon=0.25, n_gexit=128),
    "paper": dict(etas=_etas(7), n_trunc=640, tau_trunc=1.0, n_untr=640, tau_untr=20.0,
                  n_gauss=32, g_horizon=1.0, n_gexit=600),
}
REF = sg.theory.heavy_tails.REF + "; Wang & Rhee arXiv:2510.20905 (global dynamics)"


def landscape():
    """THEORY.md §1's example landscape, clamped to [-3, 1.5]."""
    return sg.landscapes.MultiWell(CRITICAL, *DOMAIN)


# ---------------------------------------------------------------------------------------
# theory, derived here for this landscape (see the module docstring)


def two_jump_constant(grad, r, b, alpha=ALPHA, p=0.5):
    r"""THEORY's :math:`l^* = 2` constant for one side of a basin whose flow is not linear.

    ``grad(y)`` is :math:`|f'|` at distance ``y`` from the minimum, towards the edge at
    distance ``r`` (``b < r < 2b``). The quadratic's :math:`G` is replaced by
    :math:`G(u) = \int_{r-b}^{u} (r-y)^{-\alpha} / |f'(y)|\,dy` (the time the flow spends
    per unit length), and :math:`C^* = p^2[\int_{r-b}^{b} \alpha u^{-\alpha-1} G(u)\,du +
    b^{-\alpha} G(b)]`. With ``grad = lambda y: y`` (kappa = 1), r = 0.5 and b = 0.3, it gives
    THEORY's 6.6227.
    """
    if not b < r < 2 * b:
        raise ValueError(f"need b < r < 2b for exactly two jumps, got r = {r}, b = {b}")

    def G(u):
        return integrate.quad(lambda y: (r - y) ** -alpha / grad(y), r - b, u, limit=200)[0]

    body = integrate.quad(lambda u: alpha * u ** (-alpha - 1) * G(u), r - b, b, limit=200)[0]
    return p**2 * (body + b**-alpha * G(b))


def one_jump_generator(land, b=math.inf, alpha=ALPHA):
    r"""Limit generator of one-jump moves between basins, in units of :math:`H(1/\eta)`.

    From minimum :math:`m_i`, a jump of length s in either direction (probability 1/2 each)
    moves the iterate by :math:`\min(s, b)`, clamped to the domain. It lands in the basin
    that contains :math:`m_i \pm \min(s, b)`. The tail :math:`P(s > d) = d^{-\alpha} H`
    holds when :math:`d \ge \eta w_{min}`, so the rate to a basin whose edges lie at
    distances :math:`d_1 < d_2` is :math:`\tfrac12(d_1^{-\alpha} - d_2^{-\alpha})`, with
    :math:`d_2 = \infty` past the truncation level or the domain bound.
    """
    minima, maxima = np.asarray(land.minima), np.asarray(land.maxima)
    k = minima.size
    Q = np.zeros((k, k))
    for i, m in enumerate(minima):
        for sign in (-1, 1):
            edges = np.sort(np.abs(maxima[np.sign(maxima - m) == sign] - m))
            for j, d1 in enumerate(edges):
                if d1 >= b:
                    break
                d2 = edges[j + 1] if j + 1 < edges.size and edges[j + 1] < b else math.inf
                Q[i, i + sign * (j + 1)] += 0.5 * (d1**-alpha - (0.0 if math.isinf(d2) else
                                                                 d2**-alpha))
    np.fill_diagonal(Q, -Q.sum(axis=1))
    return Q


def stationary(Q):
    """Stationary law of a generator (left null vector, normalised)."""
    A = np.vstack([Q.T, np.ones(Q.shape[0])])
    rhs = np.zeros(Q.shape[0] + 1)
    rhs[-1] = 1.0
    return np.linalg.lstsq(A, rhs, rcond=None)[0]


def limit_theory(land=None, b=B_TRUNC, alpha=ALPHA):
    """Everything the rows and lines need, derived from the landscape alone."""
    land = landscape() if land is None else land
    minima, maxima = np.asarray(land.minima), np.asarray(land.maxima)
    l_trunc, wide = sg.theory.heavy_tails.classify_basins(land.radii, b)
    l_untr, _ = sg.theory.heavy_tails.classify_basins(land.radii, math.inf)
    Qu = one_jump_generator(land, alpha=alpha)
    Qt1 = one_jump_generator(land, b=b, alpha=alpha)  # only the narrow basin has moves
    narrow = int(np.flatnonzero(~wide)[0])
    cstar = {}
    for i in np.flatnonzero(wide):
        m = minima[i]
        towards = 1 if m < minima[narrow] else -1
        edge = maxima[np.sign(maxima - m) == towards]
        r = float(np.min(np.abs(edge - m)))
        far = np.sort(np.abs(edge - m))
        # two truncated jumps cover at most 2b: they must not reach beyond the narrow basin
        assert far.size < 2 or 2 * b < far[1], "two jumps could skip the narrow basin"
        cstar[int(i)] = two_jump_constant(
            lambda y, m=m, s=towards: abs(float(land.grad(np.array([m + s * y]))[0])), r, b,
            alpha)
    # stationary law of the birth-death chain A <-> B <-> C: pi_B/lambda -> K, and the wide
    # split pi_A : pi_C = k_BA/C*_A : k_BC/C*_C
    weights = {i: Qt1[narrow, i] / c for i, c in cstar.items()}
    K = 1.0 / sum(weights.values())
    split = {i: w * K for i, w in weights.items()}
    # barrier of each basin: lowest neighbouring maximum (domain bounds clamp, never exits)
    fm = np.asarray(land.value(minima[:, None]), dtype=float).ravel()
    fx = np.asarray(land.value(maxima[:, None]), dtype=float).ravel()
    barriers = [float(min(fx[j] - fm[i] for j, x in enumerate(maxima)
                          if x in land.basins[i])) for i in range(minima.size)]
    return dict(l_star_trunc=l_trunc.tolist(), l_star_untr=l_untr.tolist(), wide=wide.tolist(),
                narrow=narrow, radii=np.asarray(land.radii).tolist(),
                curvatures=np.asarray(land.curvatures).tolist(),
                cstar_two_jump={str(k): v for k, v in cstar.items()},
                k_narrow_out=Qt1[narrow].tolist(), K=K,
                wide_split={str(k): v for k, v in split.items()},
                Q_untr=Qu.tolist(), pi_untr=stationary(Qu).tolist(), barriers=barriers)


def diffusion_log_exit_time(land, x0, lo, hi, eps, reflect=None, n=20001):
    r""":math:`\ln E\tau` (time units) of :math:`dX = -f'dt + \sqrt{\epsilon}dW` from ``x0``.

    On ``(lo, hi)``, absorbing at both ends, or reflecting at ``reflect`` ("lo" or "hi"):
    :math:`T(x) = \int_x^{hi} s(z)\int_{lo}^{z} m(y)\,dy\,dz` (reflecting at lo), with scale
    density :math:`s = e^{2f/\epsilon}` and speed density :math:`m = (2/\epsilon)
    e^{-2f/\epsilon}`; two absorbing ends use the Green's function. Exponents are shifted by
    their maximum (trapezoid rule on n points), so barriers of hundreds of
    :math:`\epsilon` do not overflow.
    """
    y = np.linspace(lo, hi, n)
    F = np.asarray(land.value(y[:, None]), dtype=float).ravel()
    F = F - np.min(F)
    cum = integrate.cumulative_trapezoid
    if reflect is None:
        # s and m from the same shifted F (s m = 2/eps); s <= exp(2 dV/eps), fine for B
        s = np.exp(2 * F / eps)
        m = (2 / eps) * np.exp(-2 * F / eps)
        S = cum(s, y, initial=0)
        A1 = cum((S[-1] - S) * m, y, initial=0)
        A2 = cum(S * m, y, initial=0)
        T = (S * (A1[-1] - A1) + (S[-1] - S) * A2) / S[-1]
        return float(np.log(np.interp(x0, y, T)))
    if reflect == "hi":  # mirror: reflecting at the upper end, absorbing at lo
        y, F, x0 = -y[::-1], F[::-1], -x0
    m = (2 / eps) * np.exp(-2 * F / eps)
    M = cum(m, y, initial=0)
    sel = y >= x0
    phi = 2 * F[sel] / eps
    top = phi.max()
    inner = np.exp(phi - top) * M[sel]
    return float(top + np.log(np.trapezoid(inner, y[sel])))


# ---------------------------------------------------------------------------------------
# simulation


def _occupancy(land, noise, opt, x0, T, seed):
    res = sg.simulate(land, noise, opt, x0=x0, n_paths=x0.shape[0], n_steps=int(T), seed=seed,
                      observe=(sg.events.BasinOccupancy(),), progress=False)
    ob = res.observed
    occ = np.asarray(ob["occupancy"], dtype=float)
    steps = occ.sum(axis=1)
    share = occ / steps[:, None]
    n = share.shape[0]
    # paths are independent replicates: the mean of per-path shares has SE sd/sqrt(n)
    sd = share.std(axis=0, ddof=1) if n > 1 else np.full(occ.shape[1], np.nan)
    changes = np.asarray(ob["basin_changes"], dtype=float) / steps
    trans = np.asarray(ob["transitions"], dtype=np.int64).sum(axis=0)
    return dict(T=int(T), n=n, share=share.mean(axis=0), share_se=sd / math.sqrt(n),
                changes_per_step=float(changes.mean()),
                changes_se=float(changes.std(ddof=1) / math.sqrt(n)) if n > 1 else float("nan"),
                transitions=trans, holding=occ.sum(axis=0),
                steps_per_second=res.steps_per_second)


def _starts(n, pattern):
    """x0 of shape (n, 1): minima cycled in ``pattern`` (indices into the minima)."""
    m = np.asarray(landscape().minima)
    return m[np.asarray(pattern)[np.arange(n) % len(pattern)]][:, None]


def _nan_estimate(method):
    return sg.stats.Estimate(float("nan"), float("nan"), float("nan"), float("nan"), n=0,
                             method=method)


def _est(value, se, n, method):
    return sg.stats.Estimate.normal(value, se, n=n, method=method)


_OCC_KEYS = ("T", "n", "share", "share_se", "changes_per_step", "changes_se", "transitions",
             "holding", "steps_per_second")  # _occupancy's order (the sweep sorts keys)


def sharp_point(part, eta, n_paths, n_steps, seed_offset, seed, pattern=(0, 2), x0=None):
    """One point of the study's sweep: one ensemble at one eta.

    Module-level so that ``sg.sweep`` can ship it to worker processes or a Dask cluster.
    The sweep runs with common random numbers, so ``seed`` is the study's seed and the
    simulation uses ``seed + seed_offset``: the seeds of the study's loops before it ran
    on ``sg.sweep``. ``part``: ``"trunc"``, ``"untr"`` or ``"gauss"`` (``BasinOccupancy``
    over ``n_steps`` steps, starts cycling through the minima in ``pattern``; truncated
    or plain SGD with compound Pareto noise, or plain SGD with Gaussian noise), or
    ``"gexit"`` (Gaussian SGD from ``x0``, B's minimum, until it leaves its basin, at most
    ``n_steps``).
    """
    land = landscape()
    s = seed + seed_offset
    if part == "gexit":
        gex = sg.simulate(land, sg.noise.Gaussian(SIGMA), sg.optimizers.sgd(eta),
                          x0=x0, n_paths=n_paths, n_steps=n_steps,
                          seed=s, stop=sg.events.ExitBasin(), progress=False)
        try:
            tau_b = sg.stats.mean_exit_time(gex.exit_step, gex.status)
        except sg.stats.InsufficientDataError:
            tau_b = _nan_estimate("too few exits")
        return dict(tau=tau_b, n_run=int(gex.n_paths), censored=gex.counts()["RUNNING"])
    if part == "gauss":
        # Gaussian steps are eta*sigma*xi ~ 0.006: truncation at b = 0.5 would never act
        noise, opt = sg.noise.Gaussian(SIGMA), sg.optimizers.sgd(eta)
    else:
        noise = sg.noise.CompoundPareto(ALPHA, rate=Q, w_min=W_MIN)
        opt = (sg.optimizers.truncated_sgd(eta, B_TRUNC) if part == "trunc"
               else sg.optimizers.sgd(eta))
    return _occupancy(land, noise, opt, _starts(n_paths, pattern), n_steps, s)


def run(scale="quick", seed=0, progress=True, executor=None, cache_dir=None):
    """Simulate every part; return ``dict(rows=..., data=..., provenance=...)``.

    All simulations form one ``sg.sweep`` (four points per eta: truncated, untruncated
    and Gaussian occupancy, Gaussian exits from B), run in this process by default or on
    ``executor`` (e.g. a Dask cluster's, from ``simsgd reproduce --scheduler``);
    ``cache_dir`` makes the run resumable. The diffusion quadratures run here. The
    results do not depend on the executor.
    """
    if scale not in SCALES:
        raise ValueError(f"scale must be one of {sorted(SCALES)}, got {scale!r}")
    cfg = SCALES[scale]
    from tqdm.auto import tqdm

    t0 = time.perf_counter()
    land = landscape()
    th = limit_theory(land)
    narrow = th["narrow"]
    noise = sg.noise.CompoundPareto(ALPHA, rate=Q, w_min=W_MIN)
    etas = cfg["etas"]
    plan, grid = [], []
    for ei, eta in enumerate(etas):
        H = float(noise.H(1.0 / eta))
        lam = H / eta
        T_tr = max(1, round(cfg["tau_trunc"] / (H * lam)))
        T_u = max(1, round(cfg["tau_untr"] / H))
        eps = eta * SIGMA**2
        lo, hi = land.basins[narrow]
        log_tau_b = diffusion_log_exit_time(land, land.minima[narrow], lo, hi, eps)
        tau_b_exact = math.exp(log_tau_b) / eta  # in steps
        plan.append(dict(H=H, lam=lam, eps=eps, tau_b_exact=tau_b_exact))
        grid += [dict(part="trunc", eta=eta, n_paths=cfg["n_trunc"], n_steps=int(T_tr),
                      pattern=(0, 0, 2), seed_offset=100 * ei + 1),
                 dict(part="untr", eta=eta, n_paths=cfg["n_untr"], n_steps=int(T_u),
                      seed_offset=100 * ei + 2),
                 dict(part="gauss", eta=eta, n_paths=cfg["n_gauss"],
                      n_steps=int(max(1, round(cfg["g_horizon"] * T_tr))),
                      seed_offset=100 * ei + 3),
                 dict(part="gexit", eta=eta, x0=float(land.minima[narrow]),
                      n_paths=cfg["n_gexit"],
                      n_steps=int(40 * tau_b_exact) + 1000, seed_offset=100 * ei + 4)]
    bar = tqdm(total=len(grid), desc=NAME, unit="run", disable=not progress)
    swept = study_sweep(sharp_point, grid, seed=seed, executor=executor,
                         cache_dir=cache_dir, bar=bar)
    todo = iter(swept.rows)
    points = []
    for ei, eta in enumerate(etas):
        H, lam, eps, tau_b_exact = (plan[ei][k] for k in ("H", "lam", "eps", "tau_b_exact"))
        tr, un, ga = ({k: r[k] for k in _OCC_KEYS} for r in (next(todo), next(todo),
                                                             next(todo)))
        gex = next(todo)
        tau_b = gex["tau"]
        # Gaussian exits from the wide basins: expected count over the occupancy runs
        log_tau_wide = [diffusion_log_exit_time(land, land.minima[i], *land.basins[i], eps,
                                                reflect="lo" if i == 0 else "hi")
                        - math.log(eta) for i in (0, 2)]
        exposure = ga["T"] * ga["n"] / 2.0  # half the paths start in A, half in C
        expected_wide = sum(exposure * math.exp(-lt) for lt in log_tau_wide)
        points.append(dict(
            eta=eta, H=H, lam=lam, q_over_eta=Q / eta, eta_wmin=eta * W_MIN,
            q_over_eta_kappa_narrow=Q / (eta * th["curvatures"][narrow]),
            trunc=tr, untr=un, gauss=ga,
            gauss_exit=dict(tau=tau_b, tau_exact=tau_b_exact, rho=2 * th["barriers"][narrow] / eps,
                            n=gex["n_run"], censored=gex["censored"]),
            gauss_wide_log10_tau=[lt / math.log(10) for lt in log_tau_wide],
            gauss_wide_expected=expected_wide,
            gauss_wide_observed=int(ga["transitions"].sum())))
    bar.close()
    rows = _rows(points, th)
    prov = sweep_provenance(seed, scale, t0, swept)
    for p in points:
        for key in ("trunc", "untr", "gauss"):
            p[key] = _jsonable_run(p[key])
    return dict(rows=rows, data=dict(points=points, theory=th, alpha=ALPHA, b=B_TRUNC, q=Q,
                                     w_min=W_MIN, sigma=SIGMA, critical=CRITICAL, domain=DOMAIN,
                                     basin_names=BASIN_NAMES),
                provenance=prov)


def _jsonable_run(r):
    out = dict(r)
    # effective rate constants: exits per step spent in each basin, over the theorem's scale
    try:
        g = sg.stats.ctmc_generator(r["transitions"] - np.diag(np.diag(r["transitions"])),
                                    r["holding"])
        out["rates"], out["rates_se"] = g.Q, g.se
    except sg.stats.InsufficientDataError:  # a basin never visited (Gaussian: B)
        out["rates"] = out["rates_se"] = None
    return out


def _rows(points, th):
    narrow = th["narrow"]
    rows = []
    ht = sg.theory.heavy_tails
    # 1. classification: THEORY's radii (0.85, 0.30, 0.80) give one narrow basin at b = 0.5
    _, wide_theory = ht.classify_basins((0.85, 0.30, 0.80), B_TRUNC)
    rows.append(sg.report.row(
        "narrow basins at b=0.5 (l* < max l*)",
        sg.theory.Prediction(float(np.sum(~wide_theory)), "tight", "THEORY.md §1",
                             "l* = ceil(r/b) with THEORY's radii 0.85, 0.30, 0.80"),
        sg.stats.exact(float(np.sum(~np.asarray(th["wide"])))),
        note=f"MultiWell radii {np.round(th['radii'], 4).tolist()}: l* = "
             f"{th['l_star_trunc']} (b = 0.5), {th['l_star_untr']} untruncated; the narrow "
             f"basin has the smallest curvature ({th['curvatures'][narrow]:.3g})"))

    lam = np.array([p["lam"] for p in points])
    share = np.array([p["trunc"]["share"][narrow] for p in points])
    se = np.array([p["trunc"]["share_se"][narrow] for p in points])
    # 2. slope of the truncated narrow share against lambda(eta)
    try:
        slope = sg.stats.loglog_slope(lam, share, se)
    except sg.stats.InsufficientDataError:
        slope = _nan_estimate("a share or its SE was 0")
    ratio = share / lam
    rows.append(sg.report.row(
        "slope of narrow share vs lambda(eta), b=0.5",
        sg.theory.Prediction(1.0, "exponent", REF, "eta -> 0, gap in l* = 1; measured at q/eta "
                             f"{Q / max(p['eta'] for p in points):.2g}..{Q / min(p['eta'] for p in points):.2g}"),
        slope, note="documented finite-eta direction: above 1 (B's exits speed up with "
                    "q/(eta kappa_B) faster than the entries); share/lambda = "
                    + ", ".join(f"{v:.3g}" for v in ratio)))

    # 3. the level: share/lambda -> K at the smallest eta
    i = int(np.argmin(lam))
    lvl = _est(ratio[i], se[i] / lam[i], points[i]["trunc"]["n"],
               "mean of per-path shares / lambda, SE across paths")
    at01 = [p for p in points if abs(p["eta"] - 0.01) < 1e-12]
    ref = ""
    if at01:
        p = at01[0]
        ref = (f"; at eta=0.01 narrow share {100 * p['trunc']['share'][narrow]:.2f}% (b=0.5), "
               f"{100 * p['untr']['share'][narrow]:.2f}% untruncated (THEORY's independent "
               "simulator: ~0.6%, ~6.5%)")
    rows.append(sg.report.row(
        f"narrow share / lambda, b=0.5, eta={points[i]['eta']:.3g}",
        sg.theory.Prediction(th["K"], "asymptotic", REF + " (constant derived here)",
                             "eta -> 0 and q/eta -> 0 (two-jump C* of this landscape)"),
        lvl, note="documented finite-q/eta direction: above (multi-jump entries into B; "
                  f"C*_A {th['cstar_two_jump']['0']:.3g} is the q -> 0 limit)" + ref))

    # 4. untruncated: bounded away from zero, at the limit pi_B of the one-jump chain
    un = points[i]["untr"]
    rows.append(sg.report.row(
        f"untruncated narrow share, eta={points[i]['eta']:.3g}",
        sg.theory.Prediction(th["pi_untr"][narrow], "asymptotic", REF + " (chain derived here)",
                             "eta -> 0: l* = 1 for all basins, one-jump chain"),
        _est(un["share"][narrow], un["share_se"][narrow], un["n"],
             "mean of per-path shares, SE across paths"),
        note="bounded away from 0; measured over the grid: "
             + ", ".join(f"{100 * p['untr']['share'][narrow]:.2f}%" for p in points)
             + " (documented: falls with eta, below pi_B at the smallest eta of the paper grid)"))

    # 5. Gaussian: Arrhenius slope of ln(eta E tau_B) against 1/eta
    etas = np.array([p["eta"] for p in points])
    tau = np.array([p["gauss_exit"]["tau"].value for p in points])
    tau_se = np.array([p["gauss_exit"]["tau"].se for p in points])
    dv = th["barriers"][narrow]
    try:
        # loglog_slope fits log y against log x; with x = exp(1/eta) that is the slope of
        # ln(eta E tau) against 1/eta (WLS with the delta-method SE of each log mean)
        arr = sg.stats.loglog_slope(np.exp(1.0 / etas), etas * tau, etas * tau_se)
    except (sg.stats.InsufficientDataError, ValueError):
        arr = _nan_estimate("too few exits")
    rows.append(sg.report.row(
        "Gaussian: d ln(eta E tau_B) / d(1/eta)",
        sg.theory.Prediction(2 * dv / SIGMA**2, "exponent", "Arrhenius / Freidlin-Wentzell",
                             f"2 dV_B / sigma^2, dV_B = {dv:.4g}; the exact diffusion gives "
                             "a slope within 1% on this grid"),
        arr, note=f"exits set by barrier height: the wide barriers "
                  f"{th['barriers'][0]:.3g}, {th['barriers'][2]:.3g} are "
                  f"{th['barriers'][2] / dv:.0f}-{th['barriers'][0] / dv:.0f}x higher"))
    # measured / exact diffusion, pooled over eta: the prediction is the same (1) at every
    # eta, and the Euler scheme's corrections are O(eta kappa) < 1e-3 here, so no eta is
    # closer to the limit than another. Inverse-variance weights w = 1/se^2 (independent
    # runs): pooled SE = 1/sqrt(sum w)
    exact = np.array([p["gauss_exit"]["tau_exact"] for p in points])
    r, r_se = tau / exact, tau_se / exact
    ok = np.isfinite(r) & np.isfinite(r_se) & (r_se > 0)
    if ok.any():
        w = 1.0 / r_se[ok] ** 2
        pooled = _est(np.sum(w * r[ok]) / w.sum(), 1.0 / math.sqrt(w.sum()),
                      int(sum(p["gauss_exit"]["n"] for p in points)),
                      "inverse-variance mean of per-eta ratios")
    else:
        pooled = _nan_estimate("too few exits")
    rows.append(sg.report.row(
        "Gaussian E tau_B / exact diffusion, pooled",
        sg.theory.Prediction(1.0, "asymptotic", "exact 1-D diffusion exit time",
                             "SGD = Euler scheme of dX = -f'dt + sqrt(eta) sigma dW"),
        pooled, note="per eta: " + ", ".join(f"{v:.3f}±{e:.3f}" for v, e in zip(r, r_se))
                     + f"; 2 dV_B/(eta sigma^2) from {points[0]['gauss_exit']['rho']:.2f} to "
                     f"{points[-1]['gauss_exit']['rho']:.2f}; paths start at -0.9"))
    expected = sum(p["gauss_wide_expected"] for p in points)
    observed = sum(p["gauss_wide_observed"] for p in points)
    rows.append(sg.report.row(
        "Gaussian: basin changes from A and C, all eta",
        sg.theory.Prediction(expected, "upper", "exact 1-D diffusion exit times",
                             "expected number of exits within the horizons"),
        sg.stats.exact(observed),
        note=f"expected {expected:.2g}; log10 E tau (steps) of A, C at the smallest eta: "
             + ", ".join(f"{v:.0f}" for v in points[i]["gauss_wide_log10_tau"])))
    return rows


# ---------------------------------------------------------------------------------------
# figure


def _eta_ticks(ax, eta):
    ax.set_xticks(eta, [f"{e:.3g}" for e in eta], fontsize=7)
    ax.minorticks_off()


def plot(saved, path):
    """Draw the figure from a saved result (``sg.report.load``); never simulates."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    data = saved["data"]
    pts = data["points"]
    th = data["theory"]
    nb = th["narrow"]
    names = data["basin_names"]
    cA, cC = th["cstar_two_jump"]["0"], th["cstar_two_jump"]["2"]
    Qu = np.array(th["Q_untr"])
    eta = np.array([p["eta"] for p in pts], dtype=float)
    lam = np.array([p["lam"] for p in pts], dtype=float)
    H = np.array([p["H"] for p in pts], dtype=float)
    fig, axes = plt.subplots(2, 3, figsize=(18, 10.5))
    kinds = (("trunc", "truncated b=0.5", "-", "o"), ("untr", "untruncated", "--", "s"),
             ("gauss", f"Gaussian sigma={data['sigma']}", ":", "^"))

    def rates(p, kind, key="rates"):
        r = p[kind][key]  # None when a basin was never visited (tiny runs)
        return np.full((3, 3), np.nan) if r is None else np.array(r, dtype=float)

    def arr(kind, key, j=None):
        v = [p[kind][key] if j is None else p[kind][key][j] for p in pts]
        return np.array([np.nan if x is None else x for x in v], dtype=float)

    # (a) time share per basin: colour = basin, line style and marker = noise
    from matplotlib.lines import Line2D

    ax = axes[0, 0]
    for kind, label, ls, mk in kinds:
        for j in range(3):
            s, e = arr(kind, "share", j), arr(kind, "share_se", j)
            ok = s > 0
            if ok.any():
                ax.errorbar(eta[ok] * (1 + 0.015 * (j - 1)), s[ok], yerr=1.96 * e[ok],
                            fmt=mk + ls, color=f"C{j}", ms=4, lw=1, capsize=2)
    ax.plot(eta, th["K"] * lam, color="C1", lw=3, alpha=0.35)
    for j in range(3):
        ax.axhline(th["pi_untr"][j], color=f"C{j}", lw=3, alpha=0.25)
    handles = [Line2D([], [], color=f"C{j}", lw=2, label=names[j]) for j in range(3)]
    handles += [Line2D([], [], color="k", ls=ls, marker=mk, ms=4, lw=1, label=label)
                for kind, label, ls, mk in kinds]
    handles += [Line2D([], [], color="C1", lw=3, alpha=0.35,
                       label=r"derived limit $K\lambda(\eta)$ for B (b=0.5)"),
                Line2D([], [], color="grey", lw=3, alpha=0.3,
                       label="derived untruncated limits")]
    ax.legend(handles=handles, fontsize=7, ncol=2, loc="center left")
    ax.text(0.02, 0.02, "Gaussian: share of B = 0 (no basin change); A and C 1/2 each "
            "(starts)", transform=ax.transAxes, fontsize=7)
    ax.set(xscale="log", yscale="log", ylim=(2e-3, 2), xlabel=r"step size $\eta$",
           ylabel="time share", title="time share per basin (95% CI over paths)")
    _eta_ticks(ax, eta)

    # (b) narrow share vs lambda
    ax = axes[0, 1]
    for kind, label, ls, mk in kinds[:2]:
        s, e = arr(kind, "share", nb), arr(kind, "share_se", nb)
        ax.errorbar(lam, s, yerr=1.96 * e, fmt=mk, color="C0" if kind == "trunc" else "C3",
                    ms=5, label=f"{label}: measured")
    ll = np.geomspace(lam.min() / 1.1, lam.max() * 1.1, 50)
    ax.plot(ll, th["K"] * ll, "C0--", lw=1, label=rf"theory $K\lambda$, slope 1 (K={th['K']:.3g})")
    ax.plot(ll, np.full_like(ll, th["pi_untr"][nb]), "C3--", lw=1,
            label=rf"theory untruncated $\pi_B$ = {th['pi_untr'][nb]:.4f}")
    slope = next((r for r in saved["rows"] if r["claim"].startswith("slope of narrow")), None)
    if slope and slope["measured"] is not None:
        s = arr("trunc", "share", nb)
        c = np.exp(np.mean(np.log(s) - slope["measured"] * np.log(lam)))
        ax.plot(ll, c * ll ** slope["measured"], "C0:", lw=1,
                label=f"fit: slope {slope['measured']:.2f} ± "
                      f"{(slope['ci_high'] - slope['ci_low']) / 2:.2f} (95%)")
    ax.set(xscale="log", yscale="log", xlabel=r"$\lambda(\eta) = H(1/\eta)/\eta$",
           ylabel="time share of the narrow basin B",
           title="narrow share vs lambda (log-log)")
    ax.legend(fontsize=7)

    # (c) basin changes per step
    ax = axes[0, 2]
    for kind, label, ls, mk in kinds:
        c, e = arr(kind, "changes_per_step"), arr(kind, "changes_se")
        ok = c > 0
        if ok.any():
            ax.errorbar(eta[ok], 1e6 * c[ok], yerr=1.96e6 * e[ok], fmt=mk + ls, ms=5,
                        color={"trunc": "C0", "untr": "C3", "gauss": "C2"}[kind],
                        label=f"{label}: measured")
    # truncated: every visit to B is two changes; entries (pi_A C*_A + pi_C C*_C) H lambda
    ax.plot(eta, 1e6 * 4 * H * lam / (1 / cA + 1 / cC), "C0--", lw=1,
            label="derived limit, truncated (2 x entries into B)")
    ax.plot(eta, 1e6 * H * float(np.dot(th["pi_untr"], -np.diag(Qu))), "C3--", lw=1,
            label="derived limit, untruncated")
    ng = sum(p["gauss"]["n"] for p in pts)
    ax.text(0.02, 0.02, f"Gaussian: 0 basin changes in all {ng} paths\n(expected "
            f"{sum(p['gauss_wide_expected'] for p in pts):.1e})", transform=ax.transAxes,
            fontsize=8)
    ax.set(xscale="log", yscale="log", xlabel=r"step size $\eta$",
           ylabel=r"basin changes per $10^6$ steps", title="number of basin changes")
    _eta_ticks(ax, eta)
    ax.legend(fontsize=7)

    # (d) transition structure at the smallest eta, rescaled by lambda*_max
    ax = axes[1, 0]
    ax.axis("off")
    i = int(np.argmin(eta))
    sub = (ax.inset_axes([0.0, -0.04, 0.42, 0.9]), ax.inset_axes([0.5, -0.04, 0.42, 0.9]))
    short = ("A", "B", "C")
    # derived limit rates in the same units: truncated A->B = C*_A, C->B = C*_C (units
    # H lambda), B->A/C = k_B/lambda; untruncated: the one-jump chain (units H)
    pred_tr = np.full((3, 3), np.nan)
    pred_tr[0, 1], pred_tr[2, 1] = cA, cC
    pred_tr[1, 0] = th["k_narrow_out"][0] / lam[i]
    pred_tr[1, 2] = th["k_narrow_out"][2] / lam[i]
    for a, kind, scale, title, wide, pred in (
            (sub[0], "trunc", H[i] * lam[i], r"truncated: rate / $H\lambda$", th["wide"], pred_tr),
            (sub[1], "untr", H[i], r"untruncated: rate / $H$", [True] * 3, Qu)):
        R = rates(pts[i], kind) / scale
        n = np.array(pts[i][kind]["transitions"], dtype=float)
        off = np.where(np.eye(3, dtype=bool), np.nan, R)
        im = a.imshow(np.log10(np.where(off > 0, off, np.nan)), cmap="viridis", vmin=-1, vmax=3)
        for r_ in range(3):
            for c_ in range(3):
                if r_ != c_:
                    pv = pred[r_, c_]
                    a.text(c_, r_, f"{off[r_, c_]:.3g}\n(th {pv:.3g})\nn={int(n[r_, c_])}"
                           if np.isfinite(pv) and pv > 0 else f"{off[r_, c_]:.3g}\n(th 0)\n"
                           f"n={int(n[r_, c_])}", ha="center", va="center", fontsize=7,
                           color="w" if not off[r_, c_] > 30 else "k")
        lab = [f"{s_}\n{'wide' if w else 'narrow'}" for s_, w in zip(short, wide)]
        a.set_xticks(range(3), lab, fontsize=7)
        a.set_yticks(range(3), lab, fontsize=7)
        a.set_xlabel("to", fontsize=8)
        if kind == "trunc":
            a.set_ylabel("from", fontsize=8)
        a.set_title(title, fontsize=9)
    cax = ax.inset_axes([0.95, -0.04, 0.03, 0.9])
    fig.colorbar(im, cax=cax, label="log10 rescaled rate (th: derived limit)")
    ax.set_title(f"transitions at eta = {eta[i]:.3g}: predicted wide set {{A, C}} (b=0.5), "
                 "all basins (untruncated)\nB's exits are O(1/lambda) in the wide chain's "
                 "clock: B is left at once", fontsize=9, y=0.9)

    # (e) Gaussian exits from B
    ax = axes[1, 1]
    tau = np.array([p["gauss_exit"]["tau"]["value"] if p["gauss_exit"]["tau"]["value"]
                    is not None else np.nan for p in pts], dtype=float)
    tse = np.array([p["gauss_exit"]["tau"]["se"] if p["gauss_exit"]["tau"]["se"] is not None
                    else np.nan for p in pts], dtype=float)
    exact = np.array([p["gauss_exit"]["tau_exact"] for p in pts], dtype=float)
    ax.errorbar(1 / eta, eta * tau, yerr=1.96 * eta * tse, fmt="o", color="C2", ms=5,
                label=r"measured $\eta\,E\tau_B$ (SGD, Gaussian)")
    ax.plot(1 / eta, eta * exact, "k-", lw=1, label="exact diffusion exit time")
    dv = th["barriers"][nb]
    x = 1 / eta
    ax.plot(x, eta[-1] * exact[-1] * np.exp(2 * dv / data["sigma"] ** 2 * (x - x[-1])), "C3--",
            lw=1, label=rf"Arrhenius slope $2\Delta V_B/\sigma^2$ = {2 * dv / data['sigma'] ** 2:.4f}")
    ax.text(0.02, 0.75, "log10 E tau (steps) at the smallest eta:\n"
            f"A: {pts[i]['gauss_wide_log10_tau'][0]:.0f}, C: {pts[i]['gauss_wide_log10_tau'][1]:.0f}"
            f" (barriers {th['barriers'][0]:.3f}, {th['barriers'][2]:.3f}\n vs B's {dv:.4f})",
            transform=ax.transAxes, fontsize=8)
    ax.set(yscale="log", xlabel=r"$1/\eta$", ylabel=r"$\eta\,E\tau_B$ (time units)",
           title="Gaussian: exit from the narrow basin is set by its barrier")
    ax.legend(fontsize=7, loc="lower right")

    # (f) finite-eta diagnostic: effective rate constants over the derived limits
    ax = axes[1, 2]
    qe = np.array([p["q_over_eta"] for p in pts], dtype=float)
    kB = th["k_narrow_out"]
    for kind, mk, ls in (("trunc", "o", "-"), ("untr", "s", "--")):
        for j in range(3):
            R = [rates(p, kind) for p in pts]
            Rse = [rates(p, kind, "rates_se") for p in pts]
            out = np.array([-r[j, j] for r in R])
            out_se = np.array([s[j, j] for s in Rse])
            if kind == "trunc":
                pred = H * lam * (cA if j == 0 else cC) if j != nb else H * -kB[nb]
            else:
                pred = H * -Qu[j, j]
            ax.errorbar(qe, out / pred, yerr=1.96 * out_se / pred, fmt=mk + ls, ms=4,
                        color=f"C{j}", label=f"{'truncated' if kind == 'trunc' else 'untruncated'}"
                                             f": exits from {short[j]}")
    ax.axhline(1, color="k", lw=1, label="derived limit (q/eta -> 0)")
    ax.set(xscale="log", xlabel=r"$q/\eta$ (jumps per unit time)",
           ylabel="measured exit rate / derived limit",
           title=r"finite-$\eta$ effects grow with $q/\eta$" + "\n"
                 rf"($\eta w_{{min}}$ from {eta.min() * data['w_min']:.2f} to "
                 rf"{eta.max() * data['w_min']:.2f} <= 0.3 throughout)")
    ax.legend(fontsize=6, ncol=2, loc="upper left")
    fig.suptitle("Truncated heavy-tailed SGD leaves the narrow basin (b=0.5, alpha=1.5, "
                 f"compound Pareto q={data['q']}, w_min={data['w_min']:g}); untruncated and "
                 "Gaussian SGD do not", fontsize=11)
    import warnings

    with warnings.catch_warnings():  # the inset axes of (d) are placed by hand
        warnings.filterwarnings("ignore", message=".*tight_layout.*")
        fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
