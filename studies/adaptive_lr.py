r"""A learning rate that follows the gradient norm (Yang, arXiv:2508.13639; THEORY.md §3).

The paper's formula was not available to us; ``sg.optimizers`` implements three readings
of it, each labelled as ours: the norm ratio :math:`\eta_k = \eta_{k-1}\|g_{k-1}\|/\|g_k\|`
(normalised SGD in disguise), the secant :math:`\eta_k = \|s\|/\|y\|` and Barzilai-Borwein
:math:`\eta_k = \|s\|^2/\langle s, y\rangle` (:math:`s = x_k - x_{k-1}`,
:math:`y = g_k - g_{k-1}`), each on SGD, SGD with momentum (``beta = 0.9``, the default of
``adaptive_sgd``) and signSGD, all from the same default :math:`\eta_0 = 0.01`: no tuning.

1. Exact gradients (one path, compared exactly with ``sg.stats.exact``):

   - the norm ratio keeps :math:`\eta_k\|g_k\| = \eta_0\|g_0\|` on every base (it reads the
     raw gradient), so :math:`\log\eta` against :math:`\log\|g\|` has slope -1 exactly
     (on ``Cosh(dim=3)``, 40 steps);
   - on :math:`f = a\|x\|^2/2` the secant and BB readings give :math:`\eta_k = 1/a` for
     every :math:`k \ge 1`, on every base (:math:`y = a s` whatever the step was),
     :math:`a \in \{1, 10, 100\}`;
   - on the anisotropic :math:`f = \sum_j a_j x_j^2/2`, :math:`a = (1, 10, 100)`, both stay
     in :math:`[1/a_{max}, 1/a_{min}]` (a Rayleigh quotient of :math:`A^{-1}`), on every
     base: the number of steps outside is 0.

2. Noisy runs on ``Cosh(dim=3)`` with Gaussian noise (sigma = 1), 200 steps from
   (2, -1, 0.5). The stochastic gradient :math:`g_k = \nabla f(x_k) + \xi_k` is not
   observed by the engine, so it is reconstructed: the noise stream of path i depends only
   on (seed, i) and a Gaussian draw consumes a fixed number of words per step, so plain
   SGD with step 1 on the flat landscape ``Quadratic(0)`` from 0 has
   :math:`x_{k+1} - x_k = -\xi_k`, the same :math:`\xi_k` as any other run with that seed
   (``RecordPaths``). With :math:`x_k` recorded in a second run and :math:`\eta_k` from
   ``Checkpoints`` in a third (observers never change a trajectory):

   - the norm ratio: :math:`\eta_k\|g_k\|/(\eta_0\|g_0\|)` is 1 on every path and step,
     on each base (an exact check of the rule *and* of the reconstruction);
   - "the rate rises when the stochastic-gradient norm falls and drops when it rises":
     per path, the fraction of steps on which :math:`\log\eta` and :math:`\log\|g\|` move
     in opposite directions (among steps where both move; :math:`\eta = 0` excluded);
     paths are independent, so the mean over paths has SE sd/sqrt(n). The claim is read
     as a lower bound 1/2 (1/2 is what an unrelated rate gives). The norm ratio scores 1
     by construction and is covered by the exact rows.

3. Robustness without tuning. :math:`f = a\|x\|^2/2` in 3-D, :math:`a \in \{1, 10,
   100\}`, Gaussian noise sigma = 1, 1000 steps; final :math:`f - f^*` per path (a
   DIVERGED path counts as +inf), median with its order-statistic 95% CI. Fixed-step grids
   :math:`\eta \in 10^{-4}, 10^{-3.5}, \dots, 1` for SGD and signSGD, and for SGDM in
   the effective step :math:`\eta/(1-\beta)` (so SGDM's grid is SGD's times 0.1). For
   SGD and SGDM the final iterate is Gaussian (a linear recursion driven by Gaussian
   noise), so the median is exact: :math:`f = (a v/2)\,\chi'^2_3(\|m\|^2/v)` with the
   mean :math:`m` and variance :math:`v` of the 2x2 recursion in :math:`(x_k, m_{k-1})`
   per coordinate. The start is (2, -1, 0.5) + (pi/1000)(1, -1, 1): a first run from
   (2, -1, 0.5) itself put fixed-step signSGD on the lattice :math:`x_0 + \eta k` through
   0 (every coordinate a whole number of steps from 0, with the parity that lands on 0
   at T = 1000), so its median gap at :math:`\eta = 0.01, a = 100` was 1.7e-28, a rounding-
   level artifact of that start, not a property of signSGD; nothing else was changed.

   - THEORY.md's "any single constant step fails on some of them": for SGD and SGDM the
     exact medians give the grid step whose worst ratio to the best step over the three
     landscapes is smallest, and that ratio (37.1 for SGD, 31.9 for SGDM, at the
     landscape and steps chosen by the theory, not by the data); the measured ratio of the
     two simulated medians is compared with it (tight). The factor F = 10 (one decade:
     two grid spacings) was fixed before any run; the exact ratios exceed it. For
     signSGD there is no exact median: its measured worst ratio (about 4, data only) says
     a single fixed signSGD step *is* within F on all three here.
   - "it stays near the best-tuned constant step": per reading x base and landscape, the
     share of paths whose final gap is within F of the median gap of the best grid step
     of the same base; "near" means that share is at least 1/2 (the adaptive median
     within F of the best). The row reports the worst landscape. The share has a Wilson
     95% CI and an SE of its width / (2 * 1.96) (positive at 0 and n, unlike the plug-in
     SE). The best step's median is the measured argmin of nine medians; its own error
     (about 3%) is ignored against the factor 10. The log10 ratios of the medians are in
     the note, the data and the figure.

4. A finding from the issue, reproduced (not hidden): with ``base="sgdm"`` the readings
   can be unstable under heavy-tailed noise. ``adaptive_sgd("norm_ratio", eta0=0.1,
   base="sgdm", beta=0.5)`` on ``Cosh(dim=3)`` with ``Radial(StudentT(3, scale=0.1))``
   noise diverged in 983 of 1000 paths in 2000 steps, BB+SGDM in 993 of 1000, while
   ``base="sgd"`` was stable. The cause: :math:`\eta` follows the raw :math:`\|g\|` (it
   grows as :math:`1/\|g_k\|` when a draw is small) but multiplies the momentum buffer,
   whose norm does not shrink with :math:`g_k`. Rerun here from (2, -1, 0.5) (the
   README's start; the issue does not state one) with fresh seeds, and compared with the
   earlier counts; the SE combines both binomial errors since the prediction is itself a
   measurement. The diverged fractions of all six rule x {SGD, SGDM} pairs are in the data
   and the figure.

Findings (quick scale, seed 0; the disagreements and their likely causes):

- every exact identity holds (deviations of at most 9e-15 relative);
- the rate moves against ||g|| more often than not for secant + SGD (0.64), BB + SGD
  (0.60) and the SGDM pairs (0.54, 0.58); secant + signSGD is at chance (0.502 +- 0.003,
  "agrees" only because the bound is one-sided); BB + signSGD disagrees (0.455 +- 0.004,
  z about -20): BB reads g_k only through <s, y>, the curvature along the last step
  (s = -eta sign(g_{k-1}) there), not through ||g_k||, even though its level is
  anti-correlated with ||g|| (per-path Spearman -0.55). With Gaussian noise on cosh the
  secant and BB readings on SGDM diverge in 200 steps on most paths (92% and 100%);
  their rows use the steps before divergence;
- robustness: no reading is within F = 10 of the best grid step on all three
  landscapes (all nine rows disagree). The causes differ: the norm ratio is normalised SGD
  with step eta0 ||g_0||, which grows with the curvature (10^6.6 worse at a = 100, but
  better than the best fixed step at a = 1); the secant rate decays geometrically once
  the noise dominates and then hits exactly 0 when the step falls below the rounding of
  x (s = 0, an absorbing state), freezing x where it was; BB settles at a eta of about
  0.06, the same on all three landscapes (scale-free, about 17x the best gap on each)
  but it does not anneal, so the noise floor of a step ~ 1/a remains; on SGDM both sit
  at a eta of about 0.95 while the buffer holds about 1/(1 - beta) = 10 gradients: an
  effective step ~ 10/a, 10^3.7 worse; on signSGD the rate multiplies a unit-size sign,
  so a small ||g|| draw makes a long jump;
- the single best fixed step is 33 +- 4 (SGD) and 33 +- 3 (SGDM) off on a = 100,
  agreeing with the exact 37.1 and 31.9;
- heavy tails: SGDM diverges on 99.0% (norm ratio) and 98.9% (BB) of paths, agreeing with
  the earlier 98.3% and 99.3%; on SGD 0 and 1 of 1000.

Quick scale takes about 25 s on 2 busy cores; paper scale (10x the robustness paths,
6.7x the traced paths, 10x the heavy-tailed paths) about 4-5 minutes.
"""

import math
import time

import numpy as np
from scipy import stats as sps

import simsgd as sg

from ._sweep import study_sweep, sweep_provenance

NAME = "adaptive_lr"
RULES = ("norm_ratio", "secant", "bb")
RULE_LABEL = {"norm_ratio": "norm ratio", "secant": "secant", "bb": "BB"}
BASES = ("sgd", "sgdm", "signsgd")
BASE_LABEL = {"sgd": "SGD", "sgdm": "SGDM", "signsgd": "signSGD"}
DIM = 3
X0 = np.array([2.0, -1.0, 0.5])
# part 3's start, off the lattice x0 + k eta of every grid step (see the docstring)
X0_ROBUST = X0 + math.pi * 1e-3 * np.array([1.0, -1.0, 1.0])
SIGMA = 1.0
BETA = 0.9  # adaptive_sgd's default momentum: "no tuning" means the defaults
ETA0 = sg.optimizers.DEFAULT_ETA0
T_EXACT = 40  # deterministic checks: long enough to converge, short of subnormal iterates
T_TRACE = 200
T_ROBUST = 1000
CURVATURES = (1.0, 10.0, 100.0)
ANISO = (1.0, 10.0, 100.0)
GRID = 10.0 ** np.arange(-4.0, 0.01, 0.5)  # nine steps, half-decade spacing
F_NEAR = 10.0  # "near the best step": within one decade; fixed before any run
HEAVY = dict(eta0=0.1, beta=0.5, df=3.0, scale=0.1, n_steps=2000)
EARLIER = {"norm_ratio": (983, 1000), "bb": (993, 1000)}  # the counts, sgdm
SCALES = {
    "tiny": dict(n_trace=40, n_robust=50, n_heavy=100),
    "quick": dict(n_trace=600, n_robust=1000, n_heavy=1000),
    "paper": dict(n_trace=4000, n_robust=10000, n_heavy=10000),
}
Z95 = 1.959963984540054


def _opt(rule, base, eta0=ETA0, beta=BETA):
    return sg.optimizers.adaptive_sgd(rule, eta0=eta0, base=base, beta=beta)


def _fixed(base, eta):
    """A fixed-step optimiser; SGDM's ``eta`` is the effective step eta/(1 - beta)."""
    O = sg.optimizers
    if base == "sgd":
        return O.sgd(eta)
    if base == "sgdm":
        return O.sgdm(eta * (1 - BETA), BETA)
    return O.signsgd(eta)


def _farthest_from_one(v):
    v = np.asarray(v, dtype=float)
    v = v[np.isfinite(v)]
    return float(v[np.argmax(np.abs(v - 1.0))])


# --- exact medians of fixed-step SGD / SGDM on a x^2/2 with Gaussian noise ----------------

def gaussian_median_gap(a, eta, beta, n_steps, x0, sigma):
    r"""Exact median of :math:`f(x_T) - f^* = (a/2)\|x_T\|^2` for heavy ball with step
    ``eta`` and momentum ``beta`` (``beta = 0``: SGD) on :math:`f = a\|x\|^2/2`, noise
    :math:`N(0, \sigma^2 I)`, :math:`m_{-1} = 0`.

    Per coordinate :math:`z_k = (x_k, m_{k-1})` follows
    :math:`z_{k+1} = M z_k + b\,\xi_k` with :math:`M = [[1 - \eta a, -\eta\beta], [a, \beta]]`,
    :math:`b = (-\eta, 1)`, so :math:`x_T \sim N(c_T x_0, v_T I)` and
    :math:`\|x_T\|^2/v_T` is noncentral chi-square with ``dim`` degrees of freedom and
    noncentrality :math:`c_T^2\|x_0\|^2/v_T`. Returns inf when the recursion blows up.

    >>> round(gaussian_median_gap(1.0, 1.0, 0.0, 5, np.zeros(1), 1.0), 6)  # x_T = -xi
    0.227468
    """
    M = np.array([[1 - eta * a, -eta * beta], [a, beta]])
    b = np.array([-eta, 1.0])
    c = np.array([1.0, 0.0])
    S = np.zeros((2, 2))
    with np.errstate(over="ignore", invalid="ignore"):
        for _ in range(n_steps):
            c = M @ c
            S = M @ S @ M.T + sigma**2 * np.outer(b, b)
    v, mean = S[0, 0], c[0]
    if not (np.isfinite(v) and np.isfinite(mean)) or v > 1e150 or abs(mean) > 1e75:
        return math.inf
    x0 = np.asarray(x0, dtype=float)
    return float(a * v / 2 * sps.ncx2.ppf(0.5, x0.size, mean**2 * np.sum(x0**2) / v))


def _median_ci(v, level=0.95):
    """Median with the distribution-free order-statistic CI (binomial(n, 1/2) ranks)."""
    s = np.sort(np.asarray(v, dtype=float))
    n = s.size
    j = max(int(sps.binom.ppf((1 - level) / 2, n, 0.5)), 1)  # 1-based rank of the low end
    return float(np.median(s)), float(s[j - 1]), float(s[n - j])


def _log10_se(med, lo, hi):
    """SE of log10(median) from its 95% CI; one-sided (the lower half) if hi is inf."""
    if not (0 < lo <= med < math.inf):
        return math.nan
    if math.isfinite(hi) and hi > 0:
        return (math.log10(hi) - math.log10(lo)) / (2 * Z95)
    return (math.log10(med) - math.log10(lo)) / Z95


def _final_gaps(res, land):
    gap = np.asarray(land.value(res.x), dtype=float) - land.f_star
    return np.where(res.status == sg.Status.DIVERGED, np.inf, gap)


def _binned(logx, logy, edges):
    """Per bin of log x: the mean of log y over all (path, step) points in it, with a
    cluster-robust SE (paths are the independent units; points of a path are not).

    Ratio estimator :math:`\\bar y = \\sum_i S_i / \\sum_i N_i` over paths i, SE from its
    linearisation: :math:`\\sqrt{n/(n-1) \\sum_i (S_i - \\bar y N_i)^2} / \\sum_i N_i`.
    """
    n = logx.shape[0]
    out = []
    for lo, hi in zip(edges[:-1], edges[1:]):
        m = (logx >= lo) & (logx < hi) & np.isfinite(logy)
        N = m.sum(axis=1).astype(float)
        if N.sum() < 20 or np.count_nonzero(N) < 5:
            continue
        S = np.where(m, logy, 0.0).sum(axis=1)
        ybar = S.sum() / N.sum()
        se = math.sqrt(n / (n - 1) * np.sum((S - ybar * N) ** 2)) / N.sum()
        xbar = float(np.where(m, logx, 0.0).sum() / N.sum())
        out.append(dict(x=math.exp(xbar), y=math.exp(ybar), lo=math.exp(ybar - Z95 * se),
                        hi=math.exp(ybar + Z95 * se), points=int(N.sum()),
                        paths=int(np.count_nonzero(N))))
    return out


def _share(k, n):
    """Proportion k/n with its Wilson 95% CI and SE = CI width / (2 * 1.96).

    Unlike the plug-in SE of ``sg.stats.wilson``, which is 0 at k = 0 or n (and makes a
    verdict inconclusive exactly where the data are clearest), this SE is positive there.
    """
    w = sg.stats.wilson(k, n)
    return sg.stats.Estimate(w.value, (w.ci_high - w.ci_low) / (2 * Z95), w.ci_low,
                             w.ci_high, n=n, method="Wilson 95% CI; SE from its width")


def _nanmedian(v):
    v = np.asarray(v, dtype=float)
    v = v[np.isfinite(v)]
    return float(np.median(v)) if v.size else math.nan


def _spearman_per_path(u, v, mask, min_steps=10):
    """Spearman correlation of two (n_paths, n_steps) arrays along the steps in ``mask``,
    per path (NaN for a path with fewer than ``min_steps`` such steps or a constant one)."""
    out = np.full(u.shape[0], np.nan)
    for i in range(u.shape[0]):
        m = mask[i]
        if m.sum() < min_steps:
            continue
        ru, rv = sps.rankdata(u[i, m]), sps.rankdata(v[i, m])
        ru, rv = ru - ru.mean(), rv - rv.mean()
        den = math.sqrt(float((ru**2).sum() * (rv**2).sum()))
        if den > 0:
            out[i] = float((ru * rv).sum()) / den
    return out


def _mean_over_paths(v, method):
    v = np.asarray(v, dtype=float)
    v = v[np.isfinite(v)]
    m, se = float(v.mean()), float(v.std(ddof=1) / math.sqrt(v.size))
    return sg.stats.Estimate(m, se, m - Z95 * se, m + Z95 * se, n=v.size, method=method)


# --- the four parts ---------------------------------------------------------------------------

def _part_exact(bar):
    L, P, ex = sg.landscapes, sg.theory.Prediction, sg.stats.exact
    ck = (sg.events.Checkpoints(steps=np.arange(T_EXACT + 1)),)
    ref = "THEORY.md §3 (our readings of Yang's rule)"
    rows, traces = [], []

    def run1(land, opt):
        res = sg.simulate(land, None, opt, x0=X0, n_paths=1, n_steps=T_EXACT, observe=ck,
                          progress=False)
        return res.observed["learning_rate"][0], res.observed["grad_norm"][0]

    # norm ratio: lr[k + 1] is eta_k, the rate of the step taken from x_k; with exact
    # gradients grad_norm[k] is ||g_k||. Rounding: eta_k is a product of k ratios (about
    # 3 roundings each) and ||g|| a sum of 3 squares: the relative drift after 40 steps
    # is below 200 ulp = 4e-14, far inside exact()'s 1e-12
    for base in BASES:
        lr, gn = run1(L.Cosh(dim=DIM), _opt("norm_ratio", base))
        prod = lr[1:] * gn[:-1] / (ETA0 * gn[0])
        rows.append(sg.report.row(
            f"norm ratio+{BASE_LABEL[base]}: eta|g|/eta0|g0|, exact g",
            P(1.0, "tight", ref, "exact gradients, any base: the rule reads the raw g"),
            ex(_farthest_from_one(prod)),
            note=f"cosh, dim 3, {T_EXACT} steps; the value farthest from 1"))
        traces.append(dict(kind="norm_ratio", base=base, a=None,
                           k=np.arange(T_EXACT).tolist(), y=prod.tolist()))
        if base == "sgd":
            lx, ly = np.log(gn[:-1]), np.log(lr[1:])
            slope = float(np.polyfit(lx, ly, 1)[0])
            rows.append(sg.report.row(
                "norm ratio+SGD: slope of log eta vs log|g|", P(-1.0, "exponent", ref,
                                                                         "exact gradients"),
                ex(slope), note=f"least squares over {T_EXACT} steps; ||g|| spans "
                                f"{gn.min():.2g}..{gn.max():.2g}"))
        bar.update()
    # secant and BB on a x^2/2: y = a s for any step s, so eta_k = 1/a for k >= 1
    for rule in ("secant", "bb"):
        for base in BASES:
            worst = []
            for a in CURVATURES:
                lr, _ = run1(L.Quadratic(a), _opt(rule, base))
                y = a * lr[2:]  # eta_1 .. eta_{T-1}
                worst.append(_farthest_from_one(y))
                traces.append(dict(kind=rule, base=base, a=a, k=np.arange(1, T_EXACT).tolist(),
                                   y=y.tolist()))
            w = worst[int(np.argmax(np.abs(np.asarray(worst) - 1)))]
            rows.append(sg.report.row(
                f"{RULE_LABEL[rule]}+{BASE_LABEL[base]}: a eta_k, k>=1, f=a|x|^2/2",
                P(1.0, "tight", ref, "exact gradients, isotropic quadratic, a = 1, 10, 100"),
                ex(w), note="the value farthest from 1 over k and a"))
            bar.update()
    # anisotropic: ||s||^2/<s, A s> and ||s||/||A s|| lie in [1/a_max, 1/a_min]; a relative
    # slack of 1e-12 absorbs rounding when s is (nearly) an eigenvector
    lo, hi = 1 / max(ANISO) * (1 - 1e-12), 1 / min(ANISO) * (1 + 1e-12)
    bounds = []
    for rule in ("secant", "bb"):
        outside, total = 0, 0
        for base in BASES:
            lr, _ = run1(L.Quadratic(list(ANISO)), _opt(rule, base))
            e = lr[2:][np.isfinite(lr[2:])]
            outside += int(np.sum((e < lo) | (e > hi)))
            total += e.size
            bounds.append(dict(rule=rule, base=base, k=np.arange(1, T_EXACT).tolist(),
                               eta=lr[2:].tolist()))
        rows.append(sg.report.row(
            f"{RULE_LABEL[rule]}: steps with eta outside [1/100, 1]",
            P(0.0, "upper", ref, "exact gradients; a Rayleigh quotient of A^-1"), ex(outside),
            note=f"{total} steps (k >= 1) over SGD, SGDM, signSGD"))
        bar.update()
    return rows, dict(traces=traces, bounds=bounds)


def _trace_combo(rule, base, n, seed):
    """One (reading, base) of part 2 with ``seed`` (the study's seed + 1000): the noise
    walk that rebuilds the stochastic gradients, the recorded and the checkpointed run,
    and the statistics taken from them (arrays of n x 200 x 3 stay in the worker)."""
    L = sg.landscapes
    T = T_TRACE
    land, noise = L.Cosh(dim=DIM), sg.noise.Gaussian(SIGMA)
    walk = sg.simulate(L.Quadratic(0.0), noise, sg.optimizers.sgd(1.0), x0=np.zeros(DIM),
                       n_paths=n, n_steps=T, seed=seed, observe=(sg.events.RecordPaths(n),),
                       progress=False)
    xi = -np.diff(walk.observed["paths"], axis=1)  # (n, T, dim): xi_0 .. xi_{T-1}
    edges = np.log(np.geomspace(1e-2, 1e1, 19))
    opt = _opt(rule, base)
    rec = sg.simulate(land, noise, opt, x0=X0, n_paths=n, n_steps=T, seed=seed,
                      observe=(sg.events.RecordPaths(n),), progress=False)
    ck = sg.simulate(land, noise, opt, x0=X0, n_paths=n, n_steps=T, seed=seed,
                     observe=(sg.events.Checkpoints(steps=np.arange(T + 1)),),
                     progress=False)
    x = rec.observed["paths"][:, :T]
    with np.errstate(over="ignore", invalid="ignore"):  # paths that diverged
        g = land.grad(x.reshape(-1, DIM)).reshape(x.shape) + xi
        gn = np.linalg.norm(g, axis=2)
    eta = ck.observed["learning_rate"][:, 1:]  # eta_0 .. eta_{T-1}
    ok = np.isfinite(eta) & np.isfinite(gn)
    zero = ok & (eta == 0)
    pos = ok & (eta > 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        lg = np.where(ok, np.log(gn / gn[:, :1]), np.nan)
        le = np.where(pos, np.log(eta / ETA0), np.nan)
    d_e, d_g = np.diff(le, axis=1), np.diff(lg, axis=1)
    valid = np.isfinite(d_e) & np.isfinite(d_g) & (d_e != 0) & (d_g != 0)
    opp = valid & (np.sign(d_e) == -np.sign(d_g))
    nv = valid.sum(axis=1)
    frac = np.where(nv > 0, opp.sum(axis=1) / np.maximum(nv, 1), np.nan)
    out = dict(concordance=_mean_over_paths(frac, "mean over paths of the per-path fraction"),
               # eta = 0 (a collapsed rate) included
               spearman=_mean_over_paths(_spearman_per_path(eta, gn, ok),
                                         "mean over paths of per-path Spearman"),
               eta_zero_fraction=float(zero.mean()),
               diverged=int(np.sum(rec.status == sg.Status.DIVERGED)),
               binned=_binned(lg, le, edges), median_eta_end=_nanmedian(eta[:, -1]),
               median_gap_end=_nanmedian(ck.observed["f_gap"][:, -1]))
    if rule == "norm_ratio":
        with np.errstate(invalid="ignore", over="ignore"):
            prod = np.where(ok, eta * gn / (ETA0 * gn[:, :1]), np.nan)
        out["farthest"] = _farthest_from_one(prod)
    return out


_BINNED_KEYS = ("x", "y", "lo", "hi", "points", "paths")  # _binned's order (the sweep sorts)


def _part_trace(cfg, sim):
    n, T = cfg["n_trace"], T_TRACE
    ref = "THEORY.md §3 (Yang: the rate rises when ||g|| falls)"
    rows, combos = [], []
    for rule in RULES:
        for base in BASES:
            pt = sim[("trace", rule, base)]
            conc, rho_est, diverged = pt["concordance"], pt["spearman"], pt["diverged"]
            zero_frac = pt["eta_zero_fraction"]
            label = f"{RULE_LABEL[rule]}+{BASE_LABEL[base]}"
            if rule == "norm_ratio":
                rows.append(sg.report.row(
                    f"{label}: eta|g|/eta0|g0|, noisy g",
                    sg.theory.Prediction(1.0, "tight", "THEORY.md §3 (norm-ratio reading)",
                                         "any noise, any base; g reconstructed"),
                    sg.stats.exact(pt["farthest"]),
                    note=(f"{n} paths x {T} steps, cosh, Gaussian sigma=1; farthest from 1 "
                          f"(g rebuilt from the noise stream); {diverged} diverged")))
            else:
                rows.append(sg.report.row(
                    f"{label}: share eta, |g| move opposite",
                    sg.theory.Prediction(0.5, "lower", ref,
                                         "1/2 = no relation; noisy, cosh, Gaussian sigma=1"),
                    conc,
                    note=(f"per-path Spearman(eta_k, ||g_k||) {rho_est.value:.3f} ± "
                          f"{rho_est.se:.3f}; eta = 0 on {zero_frac:.1%} of path-steps; "
                          f"{diverged} diverged")))
            combos.append(dict(rule=rule, base=base, concordance=conc, spearman=rho_est,
                               eta_zero_fraction=zero_frac, diverged=diverged,
                               binned=[{k: b[k] for k in _BINNED_KEYS} for b in pt["binned"]],
                               median_eta_end=pt["median_eta_end"],
                               median_gap_end=pt["median_gap_end"]))
    return rows, dict(combos=combos, n_paths=n, n_steps=T)


def _robust_run(opt, a, n, seed):
    """Part 3's run of ``opt`` on a|x|^2/2: the median final gap and its CI, and the gaps."""
    land = sg.landscapes.Quadratic(a)
    res = sg.simulate(land, sg.noise.Gaussian(SIGMA), opt, x0=X0_ROBUST, n_paths=n,
                      n_steps=T_ROBUST, seed=seed, progress=False)
    gaps = _final_gaps(res, land)
    med, lo, hi = _median_ci(gaps)
    return dict(median=med, lo=lo, hi=hi, se_log10=_log10_se(med, lo, hi),
                diverged=int(np.sum(res.status == sg.Status.DIVERGED)), n=int(gaps.size)), gaps


_SUMMARY_KEYS = ("median", "lo", "hi", "se_log10", "diverged", "n")


def adaptive_point(part, n_paths, seed_offset, seed, rule=None, base=None, a=None, eta=None):
    """One point of the study's sweep: one simulated ensemble (or, for ``"trace"``, the
    three runs of one reading x base) and what the study takes from it.

    Module-level so that ``sg.sweep`` can ship it to worker processes or a Dask cluster.
    The sweep runs with common random numbers, so ``seed`` is the study's seed and the
    simulations use ``seed + seed_offset``: the seeds of the study's loops before it ran
    on ``sg.sweep``. ``part``: ``"trace"`` (part 2, reading ``rule`` on ``base``),
    ``"fixed"`` (part 3, fixed step ``eta`` on ``base``, curvature ``a``), ``"adaptive"``
    (part 3, the reading; also returns the n final gaps) or ``"heavy"`` (part 4: the
    number of diverged paths).
    """
    s, n = seed + seed_offset, n_paths
    if part == "trace":
        return _trace_combo(rule, base, n, s)
    if part == "fixed":
        return _robust_run(_fixed(base, eta), a, n, s)[0]
    if part == "adaptive":
        d, gaps = _robust_run(_opt(rule, base), a, n, s)
        return dict(d, gaps=gaps)
    if part == "heavy":
        h = HEAVY
        noise = sg.noise.Radial(sg.noise.StudentT(h["df"], scale=h["scale"]))
        res = sg.simulate(sg.landscapes.Cosh(dim=DIM), noise,
                          _opt(rule, base, eta0=h["eta0"], beta=h["beta"]), x0=X0, n_paths=n,
                          n_steps=h["n_steps"], seed=s, progress=False)
        return dict(diverged=int(np.sum(res.status == sg.Status.DIVERGED)))
    raise ValueError(f"unknown part {part!r}")


def _grid(cfg):
    """Every simulation of parts 2-4 as sweep points, keyed by a name for the parts;
    ``seed_offset`` keeps each simulation's seed of the earlier loops."""
    pts = {}
    for rule in RULES:
        for base in BASES:
            pts[("trace", rule, base)] = dict(part="trace", rule=rule, base=base,
                                              n_paths=cfg["n_trace"], seed_offset=1000)
    for bi, base in enumerate(BASES):
        for ai, a in enumerate(CURVATURES):
            for gi, eta in enumerate(GRID):
                pts[("fixed", base, a, gi)] = dict(part="fixed", base=base, a=a, eta=float(eta),
                                                   n_paths=cfg["n_robust"],
                                                   seed_offset=2000 + 100 * bi + 10 * ai + gi)
            for ri, rule in enumerate(RULES):
                pts[("adaptive", rule, base, a)] = dict(
                    part="adaptive", rule=rule, base=base, a=a, n_paths=cfg["n_robust"],
                    seed_offset=3000 + 100 * bi + 10 * ai + ri)
    for ri, rule in enumerate(RULES):
        for bi, base in enumerate(("sgd", "sgdm")):
            pts[("heavy", rule, base)] = dict(part="heavy", rule=rule, base=base,
                                              n_paths=cfg["n_heavy"],
                                              seed_offset=4000 + 10 * ri + bi)
    return pts


def _part_robust(cfg, sim):
    n = cfg["n_robust"]
    ref = "THEORY.md §3 (ii): no tuning across a 100x range of curvature"

    fixed, adaptive, ad_gaps = {}, {}, {}
    for bi, base in enumerate(BASES):
        for ai, a in enumerate(CURVATURES):
            for gi, eta in enumerate(GRID):
                pt = sim[("fixed", base, a, gi)]
                d = {k: pt[k] for k in _SUMMARY_KEYS}
                d["theory"] = (gaussian_median_gap(a, float(eta) * (1 - BETA), BETA, T_ROBUST,
                                                   X0_ROBUST, SIGMA) if base == "sgdm" else
                               gaussian_median_gap(a, float(eta), 0.0, T_ROBUST, X0_ROBUST, SIGMA)
                               if base == "sgd" else None)
                fixed[(base, a, gi)] = d
            for ri, rule in enumerate(RULES):
                pt = sim[("adaptive", rule, base, a)]
                adaptive[(rule, base, a)] = {k: pt[k] for k in _SUMMARY_KEYS}
                ad_gaps[(rule, base, a)] = pt["gaps"]

    rows, minimax = [], []
    ng = len(GRID)
    for base in ("sgd", "sgdm"):
        th = np.array([[fixed[(base, a, gi)]["theory"] for gi in range(ng)] for a in CURVATURES])
        best = th.argmin(axis=1)
        ratio = th / th[np.arange(len(CURVATURES)), best][:, None]
        worst_a = np.nanargmax(np.where(np.isfinite(ratio), ratio, np.inf), axis=0)
        g_star = int(np.argmin(ratio.max(axis=0)))
        a_i = int(worst_a[g_star])
        a = CURVATURES[a_i]
        num, den = fixed[(base, a, g_star)], fixed[(base, a, int(best[a_i]))]
        lr = math.log(num["median"] / den["median"])
        se = math.log(10) * math.hypot(num["se_log10"], den["se_log10"])
        est = sg.stats.Estimate(math.exp(lr), math.exp(lr) * se, math.exp(lr - Z95 * se),
                                math.exp(lr + Z95 * se), n=num["n"] + den["n"],
                                method="ratio of two medians; SE from their order-stat CIs")
        pred = sg.theory.Prediction(float(ratio[a_i, g_star]), "tight",
                                    "exact Gaussian medians (linear recursion)",
                                    f"{BASE_LABEL[base]}, {T_ROBUST} steps, sigma = 1")
        step = GRID[g_star]
        rows.append(sg.report.row(
            f"best single fixed {BASE_LABEL[base]} step: worst ratio", pred, est,
            note=(f"eta{'/(1-beta)' if base == 'sgdm' else ''} = {step:.3g} on a = {a:g} "
                  f"vs eta = {GRID[best[a_i]]:.3g}; exact > F = {F_NEAR:g}: no grid step is "
                  f"within {F_NEAR:g}x of the best on all three")))
        minimax.append(dict(base=base, step=float(step), predicted=pred.value,
                            theory_ratio=ratio[:, g_star].tolist(), worst_a=a))
    # measured minimax over the grid (data, all three bases)
    measured_minimax = {}
    for base in BASES:
        med = np.array([[fixed[(base, a, gi)]["median"] for gi in range(ng)] for a in CURVATURES])
        r = med / med.min(axis=1)[:, None]
        measured_minimax[base] = dict(ratio=float(np.min(r.max(axis=0))),
                                      step=float(GRID[int(np.argmin(r.max(axis=0)))]))

    comp = []
    for base in BASES:
        for rule in RULES:
            per_a = []
            for a in CURVATURES:
                meds = [fixed[(base, a, gi)]["median"] for gi in range(ng)]
                gb = int(np.argmin(meds))
                gw = int(np.argmax(meds))
                ad, fb = adaptive[(rule, base, a)], fixed[(base, a, gb)]
                with np.errstate(divide="ignore"):
                    l10 = (math.log10(ad["median"]) - math.log10(fb["median"])
                           if ad["median"] > 0 else -math.inf)
                se = math.hypot(ad["se_log10"], fb["se_log10"])
                k = int(np.sum(ad_gaps[(rule, base, a)] <= F_NEAR * fb["median"]))
                per_a.append(dict(a=a, log10_ratio=l10, se=se, within=_share(k, n),
                                  best_step=float(GRID[gb]),
                                  worst_step=float(GRID[gw]), worst_median=meds[gw],
                                  best_median=meds[gb], adaptive=ad))
            w = min(per_a, key=lambda p: p["within"].value)
            all_r = ", ".join(f"{p['log10_ratio']:.2f}" for p in per_a)
            all_f = ", ".join(f"{p['within'].value:.2f}" for p in per_a)
            divs = ", ".join(str(p["adaptive"]["diverged"]) for p in per_a)
            rows.append(sg.report.row(
                f"{RULE_LABEL[rule]}+{BASE_LABEL[base]}: share <= {F_NEAR:g}x best fixed",
                sg.theory.Prediction(0.5, "lower", ref,
                                     f"median within F = {F_NEAR:g} (fixed in advance) of the "
                                     f"best grid step's; eta0 = {ETA0}"),
                w["within"], note=(f"worst a = {w['a']:g}; shares at a = 1, 10, 100: {all_f}; "
                                   f"log10 median ratios: {all_r}; diverged {divs} of {n}")))
            comp.append(dict(rule=rule, base=base, per_a=per_a))

    fixed_list = [dict(base=b, a=a, eta=float(GRID[gi]), **d) for (b, a, gi), d in fixed.items()]
    return rows, dict(fixed=fixed_list, comparison=comp, minimax=minimax,
                      measured_minimax=measured_minimax, grid=GRID.tolist(),
                      curvatures=list(CURVATURES), n_paths=n, n_steps=T_ROBUST, F=F_NEAR)


def _part_heavy(cfg, sim):
    h = HEAVY
    n = cfg["n_heavy"]
    rows, out = [], []
    for ri, rule in enumerate(RULES):
        for bi, base in enumerate(("sgd", "sgdm")):
            k = sim[("heavy", rule, base)]["diverged"]
            est = sg.stats.wilson(k, n)
            out.append(dict(rule=rule, base=base, diverged=k, n=n, fraction=est))
    for rule, (k0, n0) in EARLIER.items():
        d = next(o for o in out if o["rule"] == rule and o["base"] == "sgdm")
        p0 = k0 / n0
        w = d["fraction"]
        # the prediction is itself a binomial measurement: the SE of the difference
        # combines both plug-in variances
        se = math.sqrt(w.se**2 + p0 * (1 - p0) / n0)
        est = sg.stats.Estimate(w.value, se, w.ci_low, w.ci_high, n=n,
                                method="Wilson CI; SE combines both binomial errors")
        sgd_k = next(o["diverged"] for o in out if o["rule"] == rule and o["base"] == "sgd")
        rows.append(sg.report.row(
            f"{RULE_LABEL[rule]}+SGDM(0.5), t(3) noise: diverged",
            sg.theory.Prediction(p0, "tight", "the issue's earlier run (983 / 993 of 1000)",
                                 "cosh dim 3, Radial(StudentT(3, 0.1)), eta0 = 0.1, 2000 steps"),
            est, note=f"x0 = (2, -1, 0.5); with base SGD: {sgd_k} of {n} diverged"))
    return rows, dict(runs=out, earlier=EARLIER, **h)


def run(scale="quick", seed=0, progress=True, executor=None, cache_dir=None):
    """Simulate the four parts; return ``dict(rows=..., data=..., provenance=...)``.

    The simulations of parts 2-4 form one ``sg.sweep`` (a point per reading x base of the
    traces, per fixed or adaptive run of the robustness grid and per heavy-tailed run),
    run in this process by default or on ``executor`` (e.g. a Dask cluster's, from
    ``simsgd reproduce --scheduler``); ``cache_dir`` makes the run resumable. Part 1
    (one deterministic path per check) and the exact Gaussian medians run here. The
    results do not depend on the executor.
    """
    if scale not in SCALES:
        raise ValueError(f"scale must be one of {sorted(SCALES)}, got {scale!r}")
    cfg = SCALES[scale]
    from tqdm.auto import tqdm

    t0 = time.perf_counter()
    total = (3 + 6 + 2) + 9 + len(BASES) * len(CURVATURES) * (len(GRID) + len(RULES)) + 6
    bar = tqdm(total=total, desc=NAME, unit="point", disable=not progress)
    rows_a, exact = _part_exact(bar)
    grid = _grid(cfg)
    swept = study_sweep(adaptive_point, list(grid.values()), seed=seed, executor=executor,
                         cache_dir=cache_dir, bar=bar)
    sim = dict(zip(grid, swept.rows))
    rows_b, trace = _part_trace(cfg, sim)
    rows_c, robust = _part_robust(cfg, sim)
    rows_d, heavy = _part_heavy(cfg, sim)
    bar.close()
    prov = sweep_provenance(seed, scale, t0, swept)
    return dict(rows=rows_a + rows_b + rows_c + rows_d,
                data=dict(exact=exact, trace=trace, robust=robust, heavy=heavy, eta0=ETA0,
                          beta=BETA, x0=X0.tolist(), x0_robust=X0_ROBUST.tolist(), sigma=SIGMA),
                provenance=prov)


# --- figure -----------------------------------------------------------------------------------

MARKERS = {"sgd": "o", "sgdm": "s", "signsgd": "^"}
RULE_COLOR = {"norm_ratio": "C0", "secant": "C1", "bb": "C2"}
BASE_COLOR = {"sgd": "C0", "sgdm": "C3", "signsgd": "C2"}


def plot(saved, path):
    """Draw the figure from a saved result (``sg.report.load``); never simulates."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.transforms import blended_transform_factory as blended

    data = saved["data"]
    f = lambda v: np.array(v, dtype=float)  # noqa: E731 - JSON null -> NaN
    fig, axes = plt.subplots(3, 4, figsize=(22, 14.5))

    # row 1: eta against ||g|| along noisy trajectories, one panel per reading
    tr = data["trace"]
    for j, rule in enumerate(RULES):
        ax = axes[0, j]
        for c in (c for c in tr["combos"] if c["rule"] == rule):
            b = c["binned"]
            if not b:
                continue
            x, y = f([p["x"] for p in b]), f([p["y"] for p in b])
            lo, hi = f([p["lo"] for p in b]), f([p["hi"] for p in b])
            # the norm ratio's three bases fall on one line: hollow markers of three sizes
            ms = 4 + 3 * BASES.index(c["base"]) if rule == "norm_ratio" else 4
            ax.errorbar(x, y, yerr=[y - lo, hi - y], fmt=MARKERS[c["base"]] + "-", ms=ms,
                        lw=0.8, color=BASE_COLOR[c["base"]], capsize=2,
                        mfc="none" if rule == "norm_ratio" else BASE_COLOR[c["base"]],
                        label=f"{BASE_LABEL[c['base']]}")
        xx = np.geomspace(1e-2, 1e1, 50)
        if rule == "norm_ratio":
            ax.plot(xx, 1 / xx, "k--", lw=1, label=r"$\eta/\eta_0 = \|g_0\|/\|g\|$ (exact)")
        ax.set(xscale="log", yscale="log", xlabel=r"$\|g_k\| / \|g_0\|$ (stochastic gradient)",
               ylabel=r"$\eta_k/\eta_0$ (geometric mean in bin, 95% CI)",
               title=f"{RULE_LABEL[rule]}: rate vs gradient norm (cosh, Gaussian noise)")
        ax.legend(fontsize=7)
    ax = axes[0, 3]
    xs = []
    for i, c in enumerate(c for c in tr["combos"] if c["rule"] != "norm_ratio"):
        e = c["concordance"]
        ax.errorbar(i, e["value"], yerr=Z95 * (e["se"] or 0), fmt=MARKERS[c["base"]],
                    color=RULE_COLOR[c["rule"]], ms=6, capsize=3)
        xs.append(f"{RULE_LABEL[c['rule']]}\n{BASE_LABEL[c['base']]}")
    ax.axhline(0.5, color="grey", ls="--", lw=1, label="1/2: no relation (the bound)")
    ax.axhline(1.0, color="C0", ls=":", lw=1, label="norm ratio: 1 by construction")
    ax.set_xticks(range(len(xs)), xs, fontsize=7)
    ax.set(ylim=(0, 1.05), ylabel="fraction of steps where eta and ||g|| move oppositely",
           title="does the rate move inversely to ||g||? (mean over paths, 95% CI)")
    ax.legend(fontsize=7)

    # row 2: exact-gradient checks, the anisotropic bound, heavy tails
    ex = data["exact"]
    ax = axes[1, 0]
    eps = np.finfo(float).eps
    for t in ex["traces"]:
        if t["kind"] == "norm_ratio":
            ax.plot(f(t["k"]), (f(t["y"]) - 1) / eps, MARKERS[t["base"]], ms=4, color="C0",
                    mfc="none", label=f"norm ratio + {BASE_LABEL[t['base']]}: "
                                      "eta_k||g_k||/(eta0||g_0||)")
        elif t["a"] == 100.0:
            ax.plot(f(t["k"]) + 0.2 * BASES.index(t["base"]), (f(t["y"]) - 1) / eps,
                    MARKERS[t["base"]], ms=3, color=RULE_COLOR[t["kind"]], alpha=0.8,
                    label=f"{RULE_LABEL[t['kind']]} + {BASE_LABEL[t['base']]}: a eta_k (a=100)")
    ax.axhline(0.0, color="k", ls="--", lw=1, label="predicted: exactly 1")
    dev = max(np.nanmax(np.abs(f(t["y"]) - 1)) for t in ex["traces"])
    ax.set(xlabel="step k", ylabel="(value - 1) / machine epsilon",
           title=f"exact gradients: rate / prediction = 1 (max dev. {dev:.1e})")
    ax.legend(fontsize=5.5, ncol=2)
    ax = axes[1, 1]
    for bd in ex["bounds"]:
        ax.plot(f(bd["k"]), f(bd["eta"]), MARKERS[bd["base"]] + "-", ms=3, lw=0.6,
                color=RULE_COLOR[bd["rule"]],
                label=f"{RULE_LABEL[bd['rule']]} + {BASE_LABEL[bd['base']]}")
    for v in (1 / max(ANISO), 1 / min(ANISO)):
        ax.axhline(v, color="k", ls="--", lw=1)
    ax.set(yscale="log", xlabel="step k", ylabel=r"$\eta_k$",
           title="a = (1, 10, 100), exact grad.: eta in [1/100, 1]")
    ax.legend(fontsize=7)
    ax = axes[1, 2]
    hv = data["heavy"]
    labels = []
    for i, r in enumerate(hv["runs"]):
        fr = r["fraction"]
        ax.errorbar(i, fr["value"], yerr=[[fr["value"] - fr["ci_low"]], [fr["ci_high"] - fr["value"]]],
                    fmt=MARKERS[r["base"]], color=RULE_COLOR[r["rule"]], ms=7, capsize=3)
        labels.append(f"{RULE_LABEL[r['rule']]}\n{BASE_LABEL[r['base']]}")
        if r["base"] == "sgdm" and r["rule"] in hv["earlier"]:
            k0, n0 = hv["earlier"][r["rule"]]
            ax.plot(i + 0.2, k0 / n0, "kx", ms=8,
                    label="issue's earlier run" if r["rule"] == "norm_ratio" else None)
    ax.set_xticks(range(len(labels)), labels, fontsize=8)
    ax.set(ylim=(-0.05, 1.05), ylabel=f"fraction diverged in {hv['n_steps']} steps (Wilson 95%)",
           title=f"cosh, Radial(StudentT(3, 0.1)): eta0 = {hv['eta0']}, beta = {hv['beta']}")
    ax.legend(fontsize=7)
    ax = axes[1, 3]
    rb = data["robust"]
    ax.axis("off")
    lines = [f"fixed-step grid: eta = 1e-4 .. 1 (half decades), {rb['n_steps']} steps, "
             f"{rb['n_paths']} paths", "f = a|x|^2/2 in 3-D, Gaussian sigma = 1",
             "", "best single fixed step, worst ratio to best:"]
    for m in rb["minimax"]:
        lines.append(f"  {BASE_LABEL[m['base']]}: exact {m['predicted']:.1f} "
                     f"(eta {m['step']:.3g}, worst at a = {m['worst_a']:g})")
    for b, m in rb["measured_minimax"].items():
        lines.append(f"  {BASE_LABEL[b]}: measured {m['ratio']:.1f} (eta {m['step']:.3g})")
    lines += ["", f"F = {rb['F']:g} fixed before any run", "",
              "adaptive readings: eta0 = 0.01, beta = 0.9 (defaults)"]
    ax.text(0.0, 1.0, "\n".join(lines), va="top", family="monospace", fontsize=9)

    # row 3: final gap against the fixed step per landscape, and the adaptive ratios
    for j, a in enumerate(rb["curvatures"]):
        ax = axes[2, j]
        for base in BASES:
            pts = sorted((p for p in rb["fixed"] if p["base"] == base and p["a"] == a),
                         key=lambda p: p["eta"])
            eta = f([p["eta"] for p in pts])
            med, lo, hi = (f([p[k] for p in pts]) for k in ("median", "lo", "hi"))
            ok = np.isfinite(med)
            ax.errorbar(eta[ok], med[ok], yerr=[med[ok] - lo[ok],
                                                np.where(np.isfinite(hi[ok]), hi[ok], med[ok]) - med[ok]],
                        fmt=MARKERS[base], color=BASE_COLOR[base], ms=5, capsize=2,
                        label=f"fixed {BASE_LABEL[base]}" + (" (eta/(1-beta))" if base == "sgdm" else ""))
            if base != "signsgd":
                th = f([p["theory"] for p in pts])
                ax.plot(eta, th, "-", color=BASE_COLOR[base], lw=1,
                        label=f"exact median, {BASE_LABEL[base]}")
            if (~ok).any():  # median diverged: a cross at the top of the panel
                ax.plot(eta[~ok], np.full((~ok).sum(), 0.97), "x", color=BASE_COLOR[base],
                        ms=7, transform=blended(ax.transData, ax.transAxes))
        for c in rb["comparison"]:
            if c["base"] == "sgd":
                p = next(q for q in c["per_a"] if q["a"] == a)
                ax.axhline(p["adaptive"]["median"], color=RULE_COLOR[c["rule"]], ls=":", lw=1.2,
                           label=f"{RULE_LABEL[c['rule']]} + SGD (adaptive)")
        ax.set(xscale="log", yscale="log", xlabel="fixed step eta",
               ylabel=f"median f(x_T) - f* (95% CI), T = {rb['n_steps']}",
               title=f"f = {a:g}|x|^2/2: fixed steps vs adaptive (x: median diverged)")
        ax.legend(fontsize=6)
    ax = axes[2, 3]
    for c in rb["comparison"]:
        a = f([p["a"] for p in c["per_a"]]) * (1 + 0.04 * (BASES.index(c["base"]) - 1))
        r = f([p["log10_ratio"] for p in c["per_a"]])
        se = f([p["se"] for p in c["per_a"]])
        ax.errorbar(a, r, yerr=Z95 * np.nan_to_num(se), fmt=MARKERS[c["base"]] + "-", lw=0.7,
                    color=RULE_COLOR[c["rule"]], ms=5, capsize=2,
                    label=f"{RULE_LABEL[c['rule']]} + {BASE_LABEL[c['base']]}")
    for m in rb["minimax"]:
        ax.plot(rb["curvatures"], np.log10(m["theory_ratio"]), "k" + ("--" if m["base"] == "sgd" else ":"),
                lw=1.2, label=f"best single fixed {BASE_LABEL[m['base']]} step (exact)")
    ax.axhline(math.log10(rb["F"]), color="grey", lw=1, label=f"F = {rb['F']:g}")
    ax.axhline(0, color="grey", lw=0.5)
    ax.set(xscale="log", xlabel="curvature a",
           ylabel="log10(median gap / best fixed step's, same base)",
           title="robustness: ratio to the best grid step")
    ax.legend(fontsize=6, ncol=2)
    fig.suptitle("Yang's gradient-norm-following learning rate: three readings (ours) on SGD, "
                 "SGDM and signSGD", fontsize=12)
    fig.tight_layout(rect=(0, 0, 1, 0.975))
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
