r"""Clipping and normalisation under (L0,L1)-smoothness (THEORY.md §4).

Five parts:

1. Iterations to :math:`|f'| \le 10^{-6}` on :math:`f = \cosh x` (L0 = L1 = 1) from
   :math:`x_0 \in \{5, 10, 15\}`, for fixed-step GD with :math:`h = 1/\cosh x_0` (the
   largest step that is safe on the sublevel set), clipped GD (:math:`\eta = c = 1`) and
   the step :math:`1/(1 + |f'|)` (``normalize(eps=1)`` then ``scale(1)``, i.e.
   :math:`x - f'/(|f'| + 1)`). GD needs :math:`\sim \cosh(x_0)\ln(\sinh x_0/tol)` steps,
   exponential in :math:`x_0`; the other two need :math:`x_0` and :math:`x_0 + 5`.
   These runs are deterministic (no noise, one path): the counts are compared exactly.
   The predictions: GD's exact iteration (``theory.l0l1.gd_iterations_cosh``: 1,067 and
   159,775; beyond 10^7 for x_0 = 15, a lower bound checked against a run censored at
   10^7); clipped GD, derived here: with :math:`\eta = c = 1` and an integer
   :math:`x_0`, every step while :math:`\sinh x \ge 1` (x >= 0.88) moves by exactly 1, so
   the iterate walks :math:`x_0, x_0 - 1, \dots, 1, 0` in :math:`x_0` steps; the
   :math:`1/(1+|f'|)` step: THEORY.md's table (10, 15, 20), which was derived and
   simulated there.
2. The clipping bias (Koloskova et al.). Clipped SGD on :math:`f = x^2/2` with centred
   asymmetric noise :math:`\xi \sim \mathrm{Exp}(1) - 1` settles at the root of
   :math:`E\,\mathrm{clip}_c(x + \xi) = 0` (0.15859 at c = 1), not at 0. Measured: the
   mean of :math:`x_T` over independent paths after :math:`T = 40/\eta` steps (at least
   twenty relaxation times), at :math:`\eta = 0.01` and 0.004; the prediction is the :math:`\eta \to 0` limit
   (kind ``asymptotic``), so an :math:`O(\eta)` offset is a finding, reported with its z.
3. Clipped GD's (eta, c) plane on :math:`\cosh` from :math:`x_0 = 10`: iterations to
   :math:`|f'| \le 10^{-6}` on a log grid of :math:`\eta \in [0.01, 4]`,
   :math:`c \in [0.1, 100]` (deterministic, one path per cell). A run stops the first time
   :math:`x < \operatorname{asinh}(tol)`; if it landed below :math:`-\operatorname{asinh}(tol)`
   (overshoot), it continues from :math:`-x` (clipped GD on cosh is odd-symmetric, so the
   mirrored path is the same path) with every step observed, to find the first step in
   the band. Cells not in the band by the cap (large :math:`\eta`: near 0 the map is
   :math:`x \mapsto (1-\eta)x` and oscillates for :math:`\eta \ge 2`) are censored and
   drawn as such. The verdict: at Zhang et al.'s point (:math:`\eta = 1/(10L_0) = 0.1`,
   :math:`c = \min(10L_0, L_0/L_1) = 1`, ``theory.l0l1.zhang_clipped_gd``) the count is
   at most :math:`20L_0\Delta/\epsilon^2 + 20\max(1,L_1^2)\Delta/L_0`,
   :math:`\Delta = \cosh 10 - 1` (kind ``upper``, compared exactly). The bound is
   satisfied by a factor of about 10^15: it says nothing sharp on this function.
4. The linear phase (Lobanov et al., stated: on a convex (L0, L1) function
   :math:`\log(f - f^*)` falls linearly while :math:`\|\nabla f\| \ge L_0/L_1`, then like
   O(1/k)). On :math:`\cosh` from :math:`x_0 = 20` (L0/L1 = 1, phase :math:`x \ge
   \operatorname{asinh} 1 = 0.8814`), every step observed, for clipped GD with
   :math:`\eta = 0.5`, :math:`c = L_0/L_1 = 1`, normalised GD
   :math:`x - \eta f'/(|f'| + L_0/L_1)` with :math:`\eta = 0.5`, and GD with
   :math:`h = 1/\cosh x_0` (drawn only). Derived here, for clipped GD: in the phase each
   step moves by exactly :math:`s = \eta c = 0.5` (exact in binary), so the phase ends
   (first :math:`|f'| < 1`) at :math:`k^* = \lceil (x_0 - \operatorname{asinh} 1)/s \rceil
   = 39`; and since :math:`\cosh x - 1 = 2\sinh^2(x/2)` and
   :math:`\sinh a / \sinh(a - b) \ge e^b` for :math:`a > b > 0`, each step of the phase
   lowers :math:`\log(f - f^*)` by :math:`2\ln[\sinh(x/2)/\sinh((x-s)/2)] \ge s`, with
   equality as :math:`x \to \infty` (linear decrease at rate s; the excess is
   :math:`\approx 2e^{-x}` early on, far above rounding). For normalised GD a step in the
   phase moves by :math:`\eta\,|f'|/(|f'| + 1) \in [\eta/2, \eta)`, so
   :math:`39 \le k^* \le \lceil (x_0 - \operatorname{asinh} 1)/(\eta/2) \rceil = 77`,
   and each step lowers :math:`\log(f - f^*)` by at least :math:`\eta/2` (the same
   inequality with :math:`b = \eta/2`). Measured: :math:`k^*`, compared exactly (clipped:
   tight; normalised: the two bounds), and the smallest per-step decrease over the phase
   (kind ``lower``). After the phase cosh is strongly convex (f'' = 1 at 0), so the second
   phase here is geometric (clipped GD: :math:`x \mapsto \approx (1 - \eta) x`), faster than
   the O(1/k) guarantee; that is shown, not tested.
5. Gaash et al.'s synthetic experiment (THEORY.md §4): :math:`f = \|Ax\|^4`, d = 20,
   :math:`A = \mathrm{diag}(\mathrm{linspace}(1/20, 1, 20))` (read from the authors'
   notebook ``SyntheticData.ipynb`` in formll/clipped-sgd-under-generalized-smoothness;
   THEORY.md does not give it), hyper-parameters (L0, L1) = (4, 3), T = 1000, sigma = 20,
   noise N(0, sigma^2/(2d) I), :math:`x_0 = 1.75\cdot\mathbf 1`, :math:`R_0 = \|x_0\|`,
   100 paths (their seeds are 1000..1099 of NumPy; ours are simsgd's). Standard clipping
   ``clipped_sgd(eta, c)`` with :math:`\eta = 10\min(1/(11L_0), 1/(L_0 + K))`,
   :math:`c = \max(10L_0, K)/L_1`, :math:`K = \sqrt T\sigma/R_0`; implicit clipping
   :math:`\eta_t = 20/(L_0 + L_1\|g_t\| + K)` = ``chain(normalize((L0 + K)/L1),
   scale(20/L1))``; adaptive clipping (their ``AdaptiveClipped``, const = 10):
   :math:`x_{t+1} = x_t - (10R_0/b_t)\,v_t` with :math:`v_t = \min(1, c/\|g_t\|)\,g_t`
   and :math:`b_t^2 = 10^{-3} + \sum_{s \le t}\|v_s\|^2` =
   ``adaptive_clipped_sgd(10 R0, sqrt(1e-3), c)``; no clipping: ``sgd(eta)``. Differences
   from their code: their standard, implicit and adaptive clipping draw a second,
   independent stochastic gradient for the clipping factor / step size and count two
   gradients per step (T/2 = 500 steps); here one sample per step and T = 1000 steps
   (their "StandardClippingSingle" variant). They also clamp
   x to ±1e50 where simsgd stops a path as DIVERGED (|x| > 1e100 or non-finite). Median
   and 25/75% quantiles of :math:`f - f^*` along the run: data and figure. One derived
   verdict: no clipping diverges on every path. Along :math:`e_d` (:math:`a_d = 1`),
   :math:`x_{1,d} = x_{0,d}(1 - 4\eta s_0) - \eta\xi` with :math:`s_0 = \|Ax_0\|^2 = 22.0`
   and :math:`4\eta s_0 = 10.36`, so :math:`|x_{1,d}| \approx 16.4` while
   :math:`\eta\xi` has sd 0.37; then :math:`|x_{k+1,d}| \ge |x_{k,d}|(4\eta x_{k,d}^2 - 1)
   - \eta|\xi_k|` multiplies :math:`|x_d|` by more than 40 per step, past 1e100 within a
   few steps. A path escapes only if a noise draw exceeds ~17 sd: all 100 diverge.
   A second derived verdict bounds adaptive clipping. A step moves by
   :math:`\eta\|v_t\|/b_t` (:math:`\eta = 10R_0`), and with :math:`a_t = \|v_t\|^2`,
   :math:`S_t = b_0^2 + \sum_{s \le t} a_s`, :math:`a_t/S_t \le \ln(S_t/S_{t-1})`
   (:math:`x \le -\ln(1 - x)`), so :math:`\sum_t a_t/S_t \le \ln(S_T/b_0^2)` and by
   Cauchy-Schwarz :math:`\|x_T - x_0\| \le \eta\sqrt{T\ln(1 + Tc^2/b_0^2)} = D`
   (:math:`a_t \le c^2`). Hence every path stays finite and, as :math:`a_{max} = 1`,
   :math:`f - f^* = \|Ax\|^4 \le (R_0 + D)^4`: the largest f - f* over paths and
   checkpoints is compared with that (kind ``upper``; a loose bound: the check is that
   no path escapes, not the rate). The figure shows the four methods' quantile bands.
   With their const = 10 the first adaptive step is about :math:`10R_0 = 78` long
   (:math:`b_1 \approx \|v_1\|`), so f - f* jumps from 483 to about 1.6e7, and the
   iterate bounces while :math:`10R_0/b_t` shrinks like :math:`1/\sqrt t`; by T it is level
   with standard clipping. Their const was tuned on the final value of an averaged iterate,
   which does not see this transient.
"""

import math
import time

import numpy as np

import simsgd as sg

from ._sweep import study_sweep, sweep_provenance

NAME = "l0l1_clipping"
TOL = 1e-6
X0S = (5.0, 10.0, 15.0)
GD_CAP = 10**7
THEORY_NORMALIZED = {5.0: 10, 10.0: 15, 15.0: 20}  # THEORY.md §4 table, "step 1/(1+|f'|)"
C_BIAS = (0.5, 1.0, 2.0, 3.0)
ETAS_BIAS = (0.01, 0.004)
# part 3: the (eta, c) plane of clipped GD on cosh
X0_GRID = 10.0
GRID_ETA = (0.01, 4.0)
GRID_C = (0.1, 100.0)
# part 4: the linear phase
X0_PHASE = 20.0
ETA_PHASE = 0.5
K_PHASE = 120
F_FLOOR = 1e-13  # f - f* = cosh x - 1 below this is dominated by rounding (plot only)
# part 5: Gaash et al.'s synthetic experiment (A from their notebook)
G_DIM, G_L0, G_L1, G_T, G_SIGMA, G_X0 = 20, 4.0, 3.0, 1000, 20.0, 1.75
G_ADA_CONST, G_ADA_G0 = 10.0, 1e-3  # adaptive clipping: their const and initial G
SCALES = {"tiny": dict(n_bias=200, gd_cap=10**5, n_grid=5, grid_cap=10**4, grid_fb=2000,
                       n_gaash=20),
          "quick": dict(n_bias=10000, gd_cap=GD_CAP, n_grid=17, grid_cap=10**5,
                        grid_fb=20000, n_gaash=100),
          "paper": dict(n_bias=100000, gd_cap=GD_CAP, n_grid=33, grid_cap=10**6,
                        grid_fb=10**5, n_gaash=100)}


def _iterations(opt, x0, cap):
    """Gradient steps until |sinh x| <= TOL (x enters [-asinh TOL, asinh TOL] from above)."""
    res = sg.simulate(sg.landscapes.Cosh(), None, opt, x0=x0, n_paths=1, n_steps=cap,
                      stop=sg.events.Exit(lower=math.asinh(TOL)), progress=False)
    return int(res.exit_step[0]), int(res.status[0])


def _grid_cell(eta, c, cap, fb):
    """Part 3: first step with |sinh x| <= TOL for clipped GD from X0_GRID, and its status.

    Returns ``(k, status)`` with status "reached", "not reached" (censored at k) or
    "diverged" (at k). See the module docstring for the overshoot continuation.
    """
    opt = sg.optimizers.clipped_sgd(float(eta), float(c))
    res = sg.simulate(sg.landscapes.Cosh(), None, opt, x0=X0_GRID, n_paths=1, n_steps=cap,
                      stop=sg.events.Exit(lower=math.asinh(TOL)), progress=False)
    k, status = int(res.exit_step[0]), int(res.status[0])
    if status == sg.Status.DIVERGED:
        return k, "diverged"
    if status == sg.Status.RUNNING:
        return cap, "not reached"
    x = float(res.x[0, 0])
    if abs(math.sinh(x)) <= TOL:
        return k, "reached"
    n = min(cap - k, fb)  # overshoot below -asinh(TOL): continue from the mirror image -x
    if n <= 0:
        return k, "not reached"
    res = sg.simulate(sg.landscapes.Cosh(), None, opt, x0=-x, n_paths=1, n_steps=n,
                      observe=(sg.events.Checkpoints(steps=np.arange(n + 1)),), progress=False)
    hit = np.flatnonzero(res.observed["grad_norm"][0] <= TOL)
    if hit.size:
        return k + int(hit[0]), "reached"
    if int(res.status[0]) == sg.Status.DIVERGED:
        return k + int(res.exit_step[0]), "diverged"
    return k + n, "not reached"


def _phase(opt, n_steps=K_PHASE):
    """Part 4: f - f* and |f'| at every step 0..n_steps from X0_PHASE on cosh."""
    res = sg.simulate(sg.landscapes.Cosh(), None, opt, x0=X0_PHASE, n_paths=1,
                      n_steps=n_steps, observe=(sg.events.Checkpoints(steps=np.arange(n_steps + 1)),),
                      progress=False)
    return res.observed["f_gap"][0], res.observed["grad_norm"][0]


def _part1_opt(method, x0):
    O = sg.optimizers
    if method == "gd":
        return O.sgd(1.0 / math.cosh(x0))
    if method == "clipped":
        return O.clipped_sgd(1.0, 1.0)
    return O.chain(O.normalize(1.0), O.scale(1.0))


def _gaash_setup():
    """Part 5's constants, landscape, noise and the four methods (label, optimiser)."""
    O = sg.optimizers
    a = np.linspace(1.0 / G_DIM, 1.0, G_DIM)
    x0 = np.full(G_DIM, G_X0)
    R0 = float(np.linalg.norm(x0))
    K = math.sqrt(G_T) * G_SIGMA / R0
    eta_std = 10.0 * min(1.0 / (11.0 * G_L0), 1.0 / (G_L0 + K))
    c_std = max(10.0 * G_L0, K) / G_L1
    eta_ada, b0_ada = G_ADA_CONST * R0, math.sqrt(G_ADA_G0)
    quartic = sg.landscapes.Quartic(a, L1=G_L1)
    noise = sg.noise.Gaussian(G_SIGMA / math.sqrt(2 * G_DIM))
    methods5 = (("standard clipping", O.clipped_sgd(eta_std, c_std)),
                ("implicit clipping", O.chain(O.normalize((G_L0 + K) / G_L1),
                                              O.scale(20.0 / G_L1))),
                ("no clipping", O.sgd(eta_std)),
                ("adaptive clipping", O.adaptive_clipped_sgd(eta_ada, b0_ada, c_std)))
    return dict(a=a, x0=x0, R0=R0, K=K, eta_std=eta_std, c_std=c_std, eta_ada=eta_ada,
                b0_ada=b0_ada, quartic=quartic, noise=noise, methods=methods5)


def clipping_point(part, seed, seed_offset=0, x0=None, method=None, eta=None, c=None,
                   cap=None, fb=None, n_paths=None, n_steps=None):
    """One point of the study's sweep: one run (or ensemble) and what the study takes
    from it.

    Module-level so that ``sg.sweep`` can ship it to worker processes or a Dask cluster.
    The sweep runs with common random numbers, so ``seed`` is the study's seed and the
    noisy runs use ``seed + seed_offset``: the seeds of the study's loops before it ran
    on ``sg.sweep`` (the deterministic runs ignore it). ``part``: ``"count"`` (part 1:
    iterations of ``method`` from ``x0`` within ``cap``), ``"bias"`` (part 2: mean and SE
    of x_T over n_paths clipped-SGD paths), ``"cell"`` (part 3: one (eta, c) cell, see
    ``_grid_cell``) or ``"gaash"`` (part 5: the quantiles of f - f* along the run of the
    ``method``-th method).
    """
    if part == "count":
        k, status = _iterations(_part1_opt(method, x0), x0, cap)
        return dict(iterations=k, status=status)
    if part == "cell":
        k, status = _grid_cell(eta, c, cap, fb)
        return dict(iterations=k, status=status)
    if part == "bias":
        res = sg.simulate(sg.landscapes.Quadratic(1.0), sg.noise.ShiftedExponential(),
                          sg.optimizers.clipped_sgd(eta, c), x0=0.0, n_paths=n_paths,
                          n_steps=n_steps, seed=seed + seed_offset, progress=False)
        x = res.x[:, 0]
        return dict(mean=float(x.mean()), se=float(x.std(ddof=1) / math.sqrt(x.size)),
                    n=x.size)
    if part == "gaash":
        g = _gaash_setup()
        res = sg.simulate(g["quartic"], g["noise"], g["methods"][method][1], x0=g["x0"],
                          n_paths=n_paths, n_steps=G_T, seed=seed + seed_offset,
                          observe=(sg.events.Checkpoints(n=40),), progress=False)
        fg = res.observed["f_gap"]
        q = np.full((3, fg.shape[1]), np.nan)
        for j in range(fg.shape[1]):
            v = fg[:, j][np.isfinite(fg[:, j])]
            if v.size:
                q[:, j] = np.quantile(v, (0.25, 0.5, 0.75))
        return dict(steps=res.observed["steps"], q=q, fmax=float(np.max(fg)),
                    diverged=int(np.sum(res.status == sg.Status.DIVERGED)),
                    diverge_steps=res.exit_step[res.status == sg.Status.DIVERGED])
    raise ValueError(f"unknown part {part!r}")


_METHODS1 = ("gd", "clipped", "normalized")  # part 1, in the order of its rows


def _grid(cfg, scale, etas, cs, zhang):
    """The study's runs as sweep points, keyed by a name for ``run``; ``seed_offset``
    keeps each noisy run's seed of the earlier loops."""
    pts = {}
    for x0 in X0S:
        for m in _METHODS1:
            pts[("count", x0, m)] = dict(part="count", x0=x0, method=m, cap=cfg["gd_cap"])
    for ci, c in enumerate(C_BIAS):
        for ei, eta in enumerate(ETAS_BIAS):
            n_steps = int(40 / eta) if scale != "tiny" else int(5 / eta)
            pts[("bias", ci, ei)] = dict(part="bias", c=c, eta=eta, n_paths=cfg["n_bias"],
                                         n_steps=n_steps, seed_offset=100 * ci + ei)
    for i, eta in enumerate(etas):
        for j, c in enumerate(cs):
            pts[("cell", i, j)] = dict(part="cell", eta=float(eta), c=float(c),
                                       cap=cfg["grid_cap"], fb=cfg["grid_fb"])
    pts[("zhang",)] = dict(part="cell", eta=float(zhang.eta), c=float(zhang.clip),
                           cap=cfg["grid_cap"], fb=cfg["grid_fb"])
    for mi in range(len(_gaash_setup()["methods"])):
        pts[("gaash", mi)] = dict(part="gaash", method=mi, n_paths=cfg["n_gaash"],
                                  seed_offset=7000 + mi)
    return pts


def run(scale="quick", seed=0, progress=True, executor=None, cache_dir=None):
    """Simulate the five parts; return ``dict(rows=..., data=..., provenance=...)``.

    The runs of parts 1, 2, 3 and 5 form one ``sg.sweep`` (a point per iteration count,
    clipping-bias ensemble, (eta, c) cell and Gaash method), run in this process by
    default or on ``executor`` (e.g. a Dask cluster's, from ``simsgd reproduce
    --scheduler``); ``cache_dir`` makes the run resumable. Part 4 (three deterministic
    runs of 120 steps) runs here. The results do not depend on the executor.
    """
    if scale not in SCALES:
        raise ValueError(f"scale must be one of {sorted(SCALES)}, got {scale!r}")
    cfg = SCALES[scale]
    from tqdm.auto import tqdm

    O = sg.optimizers
    l0l1 = sg.theory.l0l1
    t0 = time.perf_counter()
    etas = np.geomspace(*GRID_ETA, cfg["n_grid"])
    cs = np.geomspace(*GRID_C, cfg["n_grid"])
    L0, L1 = l0l1.constants_of(sg.landscapes.Cosh())
    delta = math.cosh(X0_GRID) - 1.0
    zh = l0l1.zhang_clipped_gd(L0, L1, delta, TOL)
    grid = _grid(cfg, scale, etas, cs, zh)
    bar = tqdm(total=len(grid) + 4, desc=NAME, unit="point", disable=not progress)
    swept = study_sweep(clipping_point, list(grid.values()), seed=seed, executor=executor,
                         cache_dir=cache_dir, bar=bar)
    sim = dict(zip(grid, swept.rows))
    rows, counts = [], []
    ref = "THEORY.md §4 (Zhang et al. 2020 setting)"
    for x0 in X0S:
        h = 1.0 / math.cosh(x0)
        methods = (
            ("GD, h = 1/cosh(x0)", O.sgd(h),
             l0l1.gd_iterations_cosh(x0, TOL, max_iter=cfg["gd_cap"])),
            ("clipped GD, eta = c = 1", O.clipped_sgd(1.0, 1.0),
             sg.theory.Prediction(x0, "tight", ref, "eta = c = 1, integer x0 >= 1")),
            ("step 1/(1+|f'|)", O.chain(O.normalize(1.0), O.scale(1.0)),
             sg.theory.Prediction(THEORY_NORMALIZED[x0], "tight", "THEORY.md §4 table",
                                  "derived and simulated there")),
        )
        for (label, opt, pred), m in zip(methods, _METHODS1):
            pt = sim[("count", x0, m)]
            k, status = pt["iterations"], pt["status"]
            if not math.isfinite(pred.value):  # GD beyond the cap: a lower bound
                pred = sg.theory.Prediction(cfg["gd_cap"], "lower", pred.reference,
                                            f"more than {cfg['gd_cap']:.0e} steps")
            censored = status == sg.Status.RUNNING
            rows.append(sg.report.row(f"iterations to |f'| <= 1e-6, {label}, x0={x0:g}", pred,
                                      sg.stats.exact(k),
                                      note=("censored at the horizon" if censored else
                                            "deterministic run, compared exactly")))
            counts.append(dict(x0=x0, method=label, iterations=k, censored=bool(censored),
                               predicted=pred.value, kind=pred.kind))

    bias = []
    for ci, c in enumerate(C_BIAS):
        pred = l0l1.clipping_bias_fixed_point(c)
        pred = sg.theory.Prediction(pred.value, "asymptotic", pred.reference,
                                    "stationary mean as eta -> 0")
        for ei, eta in enumerate(ETAS_BIAS):
            # burn-in: from x0 = 0 the mean relaxes like exp(-eta m' k), m' = m'(x*) =
            # P(|x* + xi| < c) >= 0.5 for these c, so 40/eta steps leave x* e^-20. (A first
            # version ran 10/eta steps: at c = 0.5 that left x* e^-5 = 0.0018, which showed
            # as a 5-SE disagreement; it was the transient, not the bias.)
            pt = sim[("bias", ci, ei)]
            n_steps = pt["n_steps"]
            m, se = pt["mean"], pt["se"]
            est = sg.stats.Estimate.normal(m, se, n=pt["n"],
                                           method="mean of x_T over independent paths")
            rows.append(sg.report.row(f"clipping bias, c={c:g}, eta={eta:g}", pred, est,
                                      note=f"{n_steps} steps from 0; symmetric noise gives 0"))
            bias.append(dict(c=c, eta=eta, mean=m, se=se, predicted=pred.value))

    # --- part 3: the (eta, c) plane ---------------------------------------------------
    iters = np.zeros((etas.size, cs.size), dtype=np.int64)
    status = np.empty((etas.size, cs.size), dtype=object)
    for i, eta in enumerate(etas):
        for j, c in enumerate(cs):
            pt = sim[("cell", i, j)]
            iters[i, j], status[i, j] = pt["iterations"], pt["status"]
    k_zh, st_zh = sim[("zhang",)]["iterations"], sim[("zhang",)]["status"]
    rows.append(sg.report.row(
        f"iterations to |f'| <= 1e-6 at Zhang's (eta, c) = ({zh.eta:g}, {zh.clip:g}), "
        f"cosh, x0={X0_GRID:g}, within Zhang's bound", zh.iterations,
        sg.stats.exact(k_zh if st_zh == "reached" else math.inf),
        note=(f"deterministic run ({st_zh}); bound / measured = "
              f"{zh.iterations.value / max(k_zh, 1):.1e}")))
    heat = dict(etas=etas, cs=cs, iterations=iters, status=status.tolist(), x0=X0_GRID,
                cap=cfg["grid_cap"], fallback=cfg["grid_fb"], zhang_eta=zh.eta,
                zhang_c=zh.clip, zhang_iterations=k_zh, zhang_status=st_zh,
                zhang_bound=zh.iterations.value)

    # --- part 4: the linear phase -----------------------------------------------------
    thr = L0 / L1
    s_len = ETA_PHASE * thr
    k_lo = math.ceil((X0_PHASE - math.asinh(thr)) / s_len)
    k_hi = math.ceil((X0_PHASE - math.asinh(thr)) / (ETA_PHASE / 2))
    ref4 = "THEORY.md §4 (Lobanov et al., stated); derived for cosh in this study's docstring"
    phase = []
    methods4 = (
        ("clipped GD, eta=0.5, c=L0/L1", O.clipped_sgd(ETA_PHASE, thr), s_len),
        ("normalised GD, x - 0.5 f'/(|f'| + L0/L1)", O.chain(O.normalize(thr), O.scale(ETA_PHASE)),
         ETA_PHASE / 2),
        ("GD, h = 1/cosh(x0)", O.sgd(1.0 / math.cosh(X0_PHASE)), None),
    )
    for label, opt, min_drop in methods4:
        f, g = _phase(opt)
        below = np.flatnonzero(g < thr)
        k_end = int(below[0]) if below.size else None
        phase.append(dict(method=label, f_gap=f, grad_norm=g, k_end=k_end))
        bar.update()
        if min_drop is None:
            continue
        drops = -np.diff(np.log(f[:k_end + 1]))  # steps 0 -> 1, ..., k_end - 1 -> k_end
        drops = drops[:k_end]  # the steps taken from an iterate with |f'| >= L0/L1
        if label.startswith("clipped"):
            preds = (("phase ends at k", sg.theory.Prediction(
                k_lo, "tight", ref4, "clipped steps of exactly eta c while |f'| >= c")),)
        else:
            preds = (("phase ends at k, at least", sg.theory.Prediction(
                          k_lo, "lower", ref4, "steps shorter than eta")),
                     ("phase ends at k, at most", sg.theory.Prediction(
                          k_hi, "upper", ref4, "steps at least eta/2 while |f'| >= 1")))
        for what, pred in preds:
            rows.append(sg.report.row(
                f"linear phase, {label}, x0={X0_PHASE:g}: {what} (first |f'| < L0/L1)",
                pred, sg.stats.exact(k_end if k_end is not None else math.inf),
                note="deterministic run, every step observed"))
        rows.append(sg.report.row(
            f"linear phase, {label}: smallest per-step drop of log(f - f*) while |f'| >= L0/L1",
            sg.theory.Prediction(min_drop, "lower", ref4,
                                 "cosh x - 1 = 2 sinh^2(x/2); sinh a/sinh(a-b) >= e^b"),
            sg.stats.exact(float(drops.min())),
            note=f"over the {drops.size} steps of the phase; drop -> {min_drop:g} as x -> inf"
                 if label.startswith("clipped") else
                 f"over the {drops.size} steps of the phase; eta/2 is loose (drop ~ eta far out)"))
    bar.update()

    # --- part 5: Gaash et al.'s synthetic experiment ------------------------------------
    g5 = _gaash_setup()
    a, R0, K, eta_std, c_std = (g5[k] for k in ("a", "R0", "K", "eta_std", "c_std"))
    gaash = dict(a=a, x0=G_X0, R0=R0, K=K, eta=eta_std, c=c_std, T=G_T, sigma=G_SIGMA,
                 n_paths=cfg["n_gaash"], methods=[])
    for mi, (label, _) in enumerate(g5["methods"]):
        pt = sim[("gaash", mi)]
        q, n_div = pt["q"], pt["diverged"]
        gaash["methods"].append(dict(method=label, steps=pt["steps"], q25=q[0],
                                     q50=q[1], q75=q[2], diverged=n_div,
                                     diverge_steps=pt["diverge_steps"], final_q=q[:, -1]))
        if label == "no clipping":
            rows.append(sg.report.row(
                f"Gaash et al. setting (our run), no clipping at eta={eta_std:.4f}: paths "
                f"diverged of {cfg['n_gaash']}",
                sg.theory.Prediction(cfg["n_gaash"], "tight", "derived in this study's docstring",
                                     "4 eta ||A x0||^2 = 10.4 > 2 along a_d = 1"),
                sg.stats.exact(n_div),
                note="diverged = |x| > 1e100 or non-finite; their code clamps x at 1e50"))
        if label == "adaptive clipping":
            eta_a, b0_a = g5["eta_ada"], g5["b0_ada"]
            dist = eta_a * math.sqrt(G_T * math.log1p(G_T * c_std**2 / b0_a**2))
            rows.append(sg.report.row(
                f"Gaash et al. setting (our run), adaptive clipping: largest f - f* over "
                f"{cfg['n_gaash']} paths and {len(pt['steps'])} checkpoints, within the "
                f"step-length bound", sg.theory.Prediction(
                    (R0 + dist) ** 4, "upper", "derived in this study's docstring",
                    f"||x_t - x_0|| <= eta sqrt(T ln(1 + T c^2/b0^2)) = {dist:.4g}"),
                sg.stats.exact(pt["fmax"] if n_div == 0 else math.inf),
                note=f"{n_div} of {cfg['n_gaash']} paths diverged; f <= ||x||^4 as a_max = 1"))
    bar.close()
    prov = sweep_provenance(seed, scale, t0, swept)
    return dict(rows=rows, data=dict(counts=counts, bias=bias, tol=TOL, heatmap=heat,
                                     phase=phase, phase_x0=X0_PHASE, phase_threshold=thr,
                                     phase_step=s_len, gaash=gaash),
                provenance=prov)


def plot(saved, path):
    """Draw the figure from a saved result (``sg.report.load``); never simulates."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    data = saved["data"]
    fig, axes = plt.subplots(2, 3, figsize=(18, 10))
    axes = axes.ravel()
    ax = axes[0]
    for i, method in enumerate(dict.fromkeys(c["method"] for c in data["counts"])):
        rows = [c for c in data["counts"] if c["method"] == method]
        x0 = np.array([c["x0"] for c in rows], dtype=float)
        k = np.array([c["iterations"] for c in rows], dtype=float)
        pred = np.array([c["predicted"] for c in rows], dtype=float)
        cens = np.array([c["censored"] for c in rows], dtype=bool)
        ax.plot(x0[~cens], k[~cens], "o", color=f"C{i}", ms=6, label=f"{method}: measured")
        if cens.any():
            ax.plot(x0[cens], k[cens], "^", color=f"C{i}", ms=8,
                    label=f"{method}: not done at {k[cens][0]:.0e} steps")
        ax.plot(x0, pred, "--", color=f"C{i}", lw=1, label=f"{method}: predicted")
    ax.set(yscale="log", xlabel="start x0", ylabel="iterations to |f'| <= 1e-6",
           title="f = cosh x: GD is exponential in x0, clipping linear")
    ax.legend(fontsize=7)
    ax = axes[1]
    cs = np.array(sorted({b["c"] for b in data["bias"]}), dtype=float)
    for i, eta in enumerate(sorted({b["eta"] for b in data["bias"]}, reverse=True)):
        rows = sorted((b for b in data["bias"] if b["eta"] == eta), key=lambda b: b["c"])
        m = np.array([b["mean"] for b in rows], dtype=float)
        se = np.array([b["se"] for b in rows], dtype=float)
        ax.errorbar(cs * (1 + 0.03 * i), m, yerr=1.96 * se, fmt="o", ms=4, color=f"C{i}",
                    label=f"measured mean of x_T, eta = {eta:g} (95% CI)")
    cc = np.array([b["c"] for b in data["bias"] if b["eta"] == data["bias"][0]["eta"]])
    pp = np.array([b["predicted"] for b in data["bias"] if b["eta"] == data["bias"][0]["eta"]])
    ax.plot(cc, pp, "k--", lw=1, label="root of E clip_c(x + xi) = 0 (eta -> 0)")
    ax.axhline(0, color="grey", lw=0.5)
    ax.set(xscale="log", xlabel="clipping level c",
           ylabel="where clipped SGD settles",
           title="clipping bias, f = x^2/2, noise Exp(1) - 1")
    ax.legend(fontsize=7)
    if "heatmap" in data:
        _plot_heatmap(axes[2], data["heatmap"], data["tol"], fig)
        _plot_phase(axes[3], axes[4], data)
        _plot_gaash(axes[5], data["gaash"])
    else:
        for ax in axes[2:]:
            ax.set_visible(False)
    fig.suptitle("Clipping under (L0,L1)-smoothness (Zhang et al.; Koloskova et al.; "
                 "Lobanov et al.; Gaash et al.)", fontsize=12)
    fig.tight_layout()
    fig.savefig(path, dpi=130)
    plt.close(fig)
    return path


def _plot_heatmap(ax, h, tol, fig):
    from matplotlib.colors import LogNorm

    etas = np.asarray(h["etas"], dtype=float)
    cs = np.asarray(h["cs"], dtype=float)
    k = np.asarray(h["iterations"], dtype=float)
    st = np.asarray(h["status"], dtype=object)
    ok = st == "reached"
    z = np.where(ok, k, np.nan)

    def edges(v):
        lv = np.log(v)
        mid = (lv[1:] + lv[:-1]) / 2
        return np.exp(np.concatenate([[2 * lv[0] - mid[0]], mid, [2 * lv[-1] - mid[-1]]]))

    import matplotlib

    cmap = matplotlib.colormaps["viridis"].with_extremes(bad="lightgrey")
    m = ax.pcolormesh(edges(cs), edges(etas), np.ma.masked_invalid(z), cmap=cmap,
                      norm=LogNorm(vmin=max(1, np.nanmin(z) if ok.any() else 1),
                                   vmax=max(10, np.nanmax(z) if ok.any() else 10)))
    fig.colorbar(m, ax=ax, label=f"iterations to |f'| <= {tol:g}")
    C, E = np.meshgrid(cs, etas)
    for code, mk, lab in (("not reached", "x", f"not reached (censored, cap {h['cap']:.0e} / "
                                               f"{h['fallback']:.0e} after overshoot)"),
                          ("diverged", "+", "diverged")):
        sel = st == code
        if sel.any():
            ax.plot(C[sel], E[sel], mk, color="k", ms=5, ls="none", label=lab)
    ax.plot([h["zhang_c"]], [h["zhang_eta"]], "*", color="red", ms=15, mec="w",
            label=(f"Zhang et al.: eta = 1/(10 L0), c = min(10 L0, L0/L1): "
                   f"{h['zhang_iterations']} it. (bound {h['zhang_bound']:.1e})"))
    ax.set(xscale="log", yscale="log", xlabel="clipping level c", ylabel="step eta",
           title=f"clipped GD on cosh from x0 = {h['x0']:g} (grey: not reached)")
    ax.legend(fontsize=7, loc="lower left")


def _plot_phase(ax, ax2, data):
    thr, step = data["phase_threshold"], data["phase_step"]
    for i, p in enumerate(data["phase"]):
        f = np.asarray(p["f_gap"], dtype=float)
        f = np.where(f > F_FLOOR, f, np.nan)  # below: cosh x - 1 is rounding noise
        k = np.arange(f.size)
        ax.plot(k, f, "-", color=f"C{i}", lw=1.5, label=p["method"])
        if p["k_end"] is not None:
            ax.plot([p["k_end"]], [f[p["k_end"]]], "o", color=f"C{i}", ms=7, mfc="none")
            drop = -np.diff(np.log(f))
            ax2.plot(k[1:], drop, ".-", color=f"C{i}", ms=3, lw=0.8,
                     label=f"{p['method']} (phase ends at k = {p['k_end']})")
            ax2.axvline(p["k_end"], color=f"C{i}", ls=":", lw=1)
    x0 = data["phase_x0"]
    ax.plot([], [], "ko", mfc="none", label=f"first |f'| < L0/L1 = {thr:g}")
    kk = np.arange(0, 45)
    ax.plot(kk, (np.cosh(x0) - 1) * np.exp(-step * kk), "k--", lw=0.8,
            label=f"(f0 - f*) exp(-{step:g} k): linear rate")
    ax.set(yscale="log", xlabel="step k", ylabel=f"f(x_k) - f* (drawn above {F_FLOOR:g})",
           title=f"linear phase on cosh from x0 = {x0:g}")
    ax.legend(fontsize=7)
    ax2.axhline(step, color="k", ls="--", lw=0.8, label=f"derived lower bound, clipped: eta c = {step:g}")
    ax2.axhline(step / 2, color="grey", ls="--", lw=0.8, label="derived lower bound, normalised: eta/2")
    ax2.set(yscale="log", xlabel="step k", ylabel="log(f_(k-1) - f*) - log(f_k - f*)",
            title="per-step drop of log(f - f*): >= eta c while |f'| >= L0/L1")
    ax2.legend(fontsize=7)


def _plot_gaash(ax, g):
    colors = {"standard clipping": "C0", "implicit clipping": "C1", "adaptive clipping": "C2",
              "no clipping": "C3"}
    lo, hi = [], []
    for m in g["methods"]:
        st = np.asarray(m["steps"], dtype=float)
        q = [np.asarray(m[k], dtype=float) for k in ("q25", "q50", "q75")]
        col = colors.get(m["method"], "k")
        x = np.maximum(st, 0.5)  # step 0 drawn at 0.5 on the log axis
        if m["diverged"] == g["n_paths"]:
            ds = np.asarray(m["diverge_steps"], dtype=float)
            ax.plot(x, q[1], "-", color=col, lw=1.5,
                    label=f"{m['method']}: all {m['diverged']} paths diverge (step "
                          f"{int(ds.min())}-{int(ds.max())})")
            continue
        ax.plot(x, q[1], "-", color=col, lw=1.5,
                label=f"{m['method']}: median, final {q[1][-1]:.3g}"
                      + (f" ({m['diverged']} diverged)" if m["diverged"] else ""))
        ax.fill_between(x, q[0], q[2], color=col, alpha=0.25)
        lo.append(np.nanmin(q[0]))
        hi.append(np.nanmax(q[2]))
    if lo:  # the diverging method leaves the frame upwards
        ax.set_ylim(min(lo) / 2, max(hi) * 5)
    ax.plot([], [], "s", color="grey", alpha=0.3, label="25-75% quantile band")
    ax.set(xscale="log", yscale="log", xlabel="step t (step 0 drawn at 0.5)",
           ylabel="f(x_t) - f*",
           title=(f"Gaash et al. setting, our run: ||Ax||^4, d = 20, A = diag(linspace(1/20, 1, 20)),"
                  f"\nsigma = {g['sigma']:g}, {g['n_paths']} paths, eta = {g['eta']:.3f}, "
                  f"c = {g['c']:.1f}"))
    ax.title.set_fontsize(9)
    ax.legend(fontsize=7)
