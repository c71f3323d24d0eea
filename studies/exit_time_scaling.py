r"""Exit-time scaling of truncated heavy-tailed SGD (Wang, Oh, Rhee, ICLR 2022).

Claim (THEORY.md §1). In a basin of radius :math:`r`, truncated SGD
:math:`x \leftarrow x + \varphi_b(-\eta g)` needs :math:`l^* = \lceil r/b \rceil` large
jumps to leave, and :math:`E\tau \sim \eta^{-(1 + l^*(\alpha - 1))} / C^*`.

Setting. :math:`f = x^2/2` with basin edges at :math:`\pm 0.5`, start at 0,
:math:`\alpha = 1.5`, :math:`b \in \{0.6, 0.3, 0.2\}` (so :math:`l^* = 1, 2, 3`).

1. Symmetric Pareto noise over a grid of :math:`\eta`: the fitted log-log slope of
   :math:`E\tau` against :math:`1/\eta` (WLS, CI inflated by the scatter) and the local
   slopes, next to :math:`1 + l^*(\alpha-1) = 1.5, 2.0, 2.5`. THEORY.md warns that with
   plain Pareto noise the asymptotics arrive very slowly; a fitted slope below the
   prediction is reported as a disagreement at finite :math:`\eta`, not tuned away. The
   local slope between the two smallest step sizes gets its own row.
2. Compound-Poisson Pareto noise (:math:`q = 0.001`, :math:`w_{min} = 20`,
   :math:`\eta = 0.01`): the measured :math:`E\tau` next to the closed forms
   (:math:`C^* = 2.828` for :math:`l^* = 1`, :math:`C^* = 13.245` for :math:`l^* = 2`),
   and the implied :math:`C^* = 1/(\lambda^* E\tau)`.

3. The staircase in b at fixed :math:`\eta` (compound noise): :math:`E\tau` against the
   truncation level, with the step at :math:`b = r` (l* from 2 to 1); the closed forms are
   drawn where the regime condition :math:`\eta w_{min} \le r - (l^*-1) b` holds.
4. The limit law is exponential: for the two compound runs of part 2, the coefficient of
   variation (1) and median/mean (ln 2) of the exit times, with bootstrap CIs, and the KS
   p-value.
5. The Gaussian control: with :math:`\xi \sim N(0, \sigma^2)`, exits are set by barrier
   height, not width. By Freidlin-Wentzell, :math:`\log E\tau \approx 2\Delta V /
   (\eta\sigma^2)` + lower-order terms, so :math:`\log E\tau` is linear in :math:`1/\eta`
   with slope :math:`2\Delta V/\sigma^2`. Two basins of equal height
   :math:`\Delta V = \kappa r^2/2 = 1/8` but different widths (:math:`\kappa = 1, r =
   0.5` and :math:`\kappa = 1/4, r = 1`) must give the same slope (an ``asymptotic``
   prediction: the prefactor's :math:`\log(1/\eta)` terms bend the fit at finite
   :math:`\eta`).

Mean exit times use the censored ratio estimator (``sg.stats.mean_exit_time``): censored
paths enter through their time on test. Quick scale takes about 100 s on 2 cores; paper
scale about 25 minutes.
"""

import math
import time

import numpy as np

import simsgd as sg

from ._sweep import study_sweep, sweep_provenance

NAME = "exit_time_scaling"
ALPHA = 1.5
R = 0.5
B_VALUES = (0.6, 0.3, 0.2)
SCALES = {
    # eta grid (0.04 halving), paths per point for the slopes; paths for the constants,
    # the staircase and the Gaussian control
    "tiny": dict(etas=0.04 * 0.5 ** np.arange(3), n_slope=200, n_const=(400, 100),
                 n_stair=50, n_gauss=50),
    "quick": dict(etas=0.04 * 0.5 ** np.arange(8), n_slope=1000, n_const=(4000, 2000),
                  n_stair=300, n_gauss=400),
    "paper": dict(etas=0.04 * 0.5 ** np.arange(9), n_slope=10000, n_const=(40000, 20000),
                  n_stair=5000, n_gauss=10000),
}
B_STAIR = (0.3, 0.35, 0.4, 0.45, 0.49, 0.51, 0.55, 0.6)
GAUSS = dict(sigma=1.0, inv_etas=(20.0, 24.0, 28.0, 32.0),
             basins=((1.0, 0.5), (0.25, 1.0)))  # (kappa, r) with kappa r^2 / 2 = 1/8
COMPOUND = dict(rate=0.001, w_min=20.0, eta=0.01)
HORIZON = 10**9  # far beyond every mean exit here: censoring stays negligible and is reported


def _exit_estimate(eta, b, noise, n_paths, seed, kappa=1.0, r=R):
    opt = sg.optimizers.truncated_sgd(eta, b) if b else sg.optimizers.sgd(eta)
    res = sg.simulate(sg.landscapes.Quadratic(kappa, edges=(-r, r)), noise, opt, x0=0.0,
                      n_paths=n_paths, n_steps=HORIZON, seed=seed, stop=sg.events.ExitBasin(),
                      progress=False)
    return sg.stats.mean_exit_time(res.exit_step, res.status), res


def _noise(kind):
    if kind == "pareto":
        return sg.noise.Pareto(ALPHA)
    if kind == "compound":
        return sg.noise.CompoundPareto(ALPHA, rate=COMPOUND["rate"], w_min=COMPOUND["w_min"])
    return sg.noise.Gaussian(GAUSS["sigma"])


def exit_point(eta, b, noise, n_paths, seed_offset, seed, kappa=1.0, r=R, times=False):
    """One point of the study's sweep: the mean exit time at (eta, b, noise, basin).

    Module-level so that ``sg.sweep`` can ship it to worker processes or a Dask cluster.
    The sweep runs with common random numbers, so ``seed`` is the study's seed and the
    simulation uses ``seed + seed_offset``: the same seeds as the study's loops used
    before it ran on ``sg.sweep``, so the figures did not change. ``times`` also returns
    the per-path exit steps and statuses (for the limit-law tests).
    """
    est, res = _exit_estimate(eta, b, _noise(noise), n_paths, seed + seed_offset, kappa=kappa,
                              r=r)
    out = dict(tau=est, censored=res.counts()["RUNNING"],
               steps_per_second=res.steps_per_second)
    if times:
        out.update(exit_step=res.exit_step, status=res.status)
    return out


def _semilog_slope(x, means, ses):
    """WLS fit of log(mean) = c + s x (weights 1/se(log mean)^2 = (mean/se)^2), with the
    slope's SE scaled by the fit's reduced chi-square when that exceeds 1 (Birge)."""
    y = np.log(means)
    w = (np.asarray(means) / np.asarray(ses)) ** 2
    X = np.column_stack([np.ones_like(x), x])
    cov = np.linalg.inv(X.T @ (w[:, None] * X))
    beta = cov @ (X.T @ (w * y))
    chi2 = float(np.sum(w * (y - X @ beta) ** 2) / max(len(x) - 2, 1))
    se = math.sqrt(cov[1, 1] * max(chi2, 1.0))
    return sg.stats.Estimate.normal(beta[1], se, n=len(x),
                                    method=f"WLS on log E tau vs 1/eta, red. chi2 {chi2:.2g}")


def _grid(cfg):
    """Every simulation of the study as one list of sweep points, in the order of the
    parts below; ``seed_offset`` keeps each simulation's seed of the earlier loops."""
    cp = COMPOUND
    pts = [dict(eta=float(eta), b=b, noise="pareto", n_paths=cfg["n_slope"],
                seed_offset=1000 * bi + ei)
           for bi, b in enumerate(B_VALUES) for ei, eta in enumerate(cfg["etas"])]
    pts += [dict(eta=cp["eta"], b=b, noise="compound", n_paths=n, seed_offset=10_000 + lstar,
                 times=True)
            for lstar, b, n in ((1, 0.6, cfg["n_const"][0]), (2, 0.3, cfg["n_const"][1]))]
    pts += [dict(eta=cp["eta"], b=b, noise="compound", n_paths=cfg["n_stair"],
                 seed_offset=20_000 + i) for i, b in enumerate(B_STAIR)]
    pts += [dict(eta=1.0 / ie, b=None, noise="gauss", n_paths=cfg["n_gauss"], kappa=kappa, r=r,
                 seed_offset=30_000 + 100 * gi + ei)
            for gi, (kappa, r) in enumerate(GAUSS["basins"])
            for ei, ie in enumerate(GAUSS["inv_etas"])]
    return pts


def run(scale="quick", seed=0, progress=True, executor=None, cache_dir=None):
    """Simulate every part; return ``dict(rows=..., data=..., provenance=...)``.

    All simulations form one ``sg.sweep`` (a point per (eta, b, noise, basin)), run
    in this process by default or on ``executor`` (e.g. a Dask cluster's, from
    ``simsgd reproduce --scheduler``); ``cache_dir`` makes the run resumable. The
    results do not depend on the executor.
    """
    if scale not in SCALES:
        raise ValueError(f"scale must be one of {sorted(SCALES)}, got {scale!r}")
    cfg = SCALES[scale]
    t0 = time.perf_counter()
    from tqdm.auto import tqdm

    grid = _grid(cfg)
    bar = tqdm(total=len(grid), desc=NAME, unit="point", disable=not progress)
    swept = study_sweep(exit_point, grid, seed=seed, executor=executor,
                         cache_dir=cache_dir, bar=bar)
    todo = iter(swept.rows)
    rows, slopes, points = [], [], []
    for bi, b in enumerate(B_VALUES):
        lstar = sg.theory.heavy_tails.l_star(R, b)
        means, ses = [], []
        for ei, eta in enumerate(cfg["etas"]):
            pt = next(todo)
            est = pt["tau"]
            means.append(est.value)
            ses.append(est.se)
            points.append(dict(b=b, l_star=lstar, eta=float(eta), mean=est.value, se=est.se,
                               n=est.n, censored=pt["censored"],
                               steps_per_second=pt["steps_per_second"]))
        inv = 1.0 / np.asarray(cfg["etas"])
        fit = sg.stats.loglog_slope(inv, means, ses)
        local = sg.stats.local_slopes(inv, means, ses)
        pred = sg.theory.heavy_tails.exit_exponent(ALPHA, lstar)
        last = local[-1]
        note = (f"local slopes from {local[0].value:.2f} to {last.value:.2f} ± {last.se:.2f} "
                f"(smallest eta); {fit.method}")
        rows.append(sg.report.row(f"fitted slope, Pareto, b={b} (l*={lstar})", pred, fit,
                                  note=note))
        # the exponent is a limit as eta -> 0: the slope between the two smallest etas is
        # the measurement closest to it (its CI comes from those two points' errors)
        rows.append(sg.report.row(f"local slope at smallest eta, b={b} (l*={lstar})", pred, last,
                                  note=f"between eta = {cfg['etas'][-2]:.3g} and "
                                       f"{cfg['etas'][-1]:.3g}"))
        slopes.append(dict(b=b, l_star=lstar, predicted=pred.value, fit=fit, local=local))

    # compound-Poisson Pareto: closed-form constants
    cp = COMPOUND
    noise = sg.noise.CompoundPareto(ALPHA, rate=cp["rate"], w_min=cp["w_min"])
    H = float(noise.H(1.0 / cp["eta"]))
    ht = sg.theory.heavy_tails
    constants = []
    for lstar, b, n in ((1, 0.6, cfg["n_const"][0]), (2, 0.3, cfg["n_const"][1])):
        if lstar == 1:
            c_star = ht.c_star_one_jump(ALPHA, R, R, b=b)
        else:
            side = ht.c_star_two_jumps_quadratic(ALPHA, 1.0, R, b)
            c_star = sg.theory.Prediction(2 * side.value, side.kind, side.reference,
                                          side.valid_when + "; both sides")
        pred = ht.mean_exit_time(c_star, H, cp["eta"], lstar)
        pt = next(todo)
        est, exit_step, status = pt["tau"], pt["exit_step"], pt["status"]
        lam_star = H * (H / cp["eta"]) ** (lstar - 1)
        # C* = 1/(lambda* tau): delta method, se(C*) = C* se(tau)/tau
        c_meas = 1.0 / (lam_star * est.value)
        c_se = c_meas * est.se / est.value
        regime = ht.compound_regime_ok(cp["eta"], cp["w_min"], R, b, lstar)
        rows.append(sg.report.row(
            f"E tau, compound Pareto, b={b} (l*={lstar}), eta={cp['eta']}", pred, est,
            note=f"C* predicted {c_star.value:.4g}, measured {c_meas:.4g} ± {c_se:.2g}; "
                 f"regime eta*w_min <= r-(l*-1)b: {regime}; q/eta = {cp['rate'] / cp['eta']:.2g}"))
        constants.append(dict(l_star=lstar, b=b, predicted_tau=pred.value, tau=est,
                              c_star_predicted=c_star.value, c_star_measured=c_meas,
                              c_star_se=c_se, n=n))
        # the limit law: scaled exit times are Exp(1)
        law = sg.stats.exponential_law_test(exit_step, status, seed=seed)
        valid = "eta -> 0 (scaled exit times -> Exp(1))"
        rows.append(sg.report.row(f"CV of exit times, compound, l*={lstar}",
                                  sg.theory.Prediction(1.0, "asymptotic", ht.REF, valid), law.cv,
                                  note=f"KS p = {law.p_value:.2g} against Exp(mean)"))
        rows.append(sg.report.row(f"median/mean of exit times, compound, l*={lstar}",
                                  sg.theory.Prediction(math.log(2), "asymptotic", ht.REF, valid),
                                  law.median_over_mean))
        constants[-1].update(cv=law.cv, median_over_mean=law.median_over_mean,
                             ks_p=law.p_value,
                             quantiles=np.quantile(exit_step / est.value,
                                                   np.linspace(0.01, 0.99, 50)).tolist())

    # the staircase in b at eta = 0.01 (compound noise)
    stair = []
    for i, b in enumerate(B_STAIR):
        lstar = ht.l_star(R, b)
        est = next(todo)["tau"]
        if lstar == 1:
            c_star = ht.c_star_one_jump(ALPHA, R, R, b=b).value
        else:
            c_star = 2 * ht.c_star_two_jumps_quadratic(ALPHA, 1.0, R, b).value
        pred = ht.mean_exit_time(c_star, H, cp["eta"], lstar).value
        stair.append(dict(b=b, l_star=lstar, mean=est.value, se=est.se, predicted=pred,
                          regime=bool(ht.compound_regime_ok(cp["eta"], cp["w_min"], R, b,
                                                            lstar))))

    # the Gaussian control: log E tau linear in 1/eta, slope set by the barrier height
    gauss = []
    sigma = GAUSS["sigma"]
    for gi, (kappa, r) in enumerate(GAUSS["basins"]):
        height = kappa * r * r / 2
        inv = np.array(GAUSS["inv_etas"])
        means, ses = [], []
        for _ in inv:
            est = next(todo)["tau"]
            means.append(est.value)
            ses.append(est.se)
        slope = _semilog_slope(inv, np.array(means), np.array(ses))
        pred = sg.theory.Prediction(2 * height / sigma**2, "asymptotic",
                                    "Freidlin-Wentzell (THEORY.md §1: set by barrier height)",
                                    "eta -> 0; log(1/eta) prefactor terms neglected")
        rows.append(sg.report.row(f"Gaussian: d log E tau / d(1/eta), kappa={kappa}, r={r}",
                                  pred, slope, note=f"barrier height {height}, width {2 * r}"))
        gauss.append(dict(kappa=kappa, r=r, height=height, inv_etas=inv.tolist(), means=means,
                          ses=ses, slope=slope, predicted=pred.value))
    # equal heights, widths 1 and 2: the slopes must be equal (ratio 1, delta method SE)
    s1, s2 = gauss[0]["slope"], gauss[1]["slope"]
    ratio = s2.value / s1.value
    r_se = ratio * math.hypot(s1.se / s1.value, s2.se / s2.value)
    rows.append(sg.report.row(
        "Gaussian: slope ratio, width 2 vs width 1, equal heights",
        sg.theory.Prediction(1.0, "asymptotic", "Freidlin-Wentzell: height, not width",
                             "same barrier height"),
        sg.stats.Estimate(ratio, r_se, ratio - 1.96 * r_se, ratio + 1.96 * r_se, n=2,
                          method="ratio of fitted slopes"),
        note="heavy-tailed exits would scale with width^alpha instead"))
    bar.close()
    prov = sweep_provenance(seed, scale, t0, swept)
    return dict(rows=rows, data=dict(points=points, slopes=slopes, constants=constants,
                                     stair=stair, gauss=gauss, alpha=ALPHA, r=R, compound=cp),
                provenance=prov)


def plot(saved, path):
    """Draw the figure from a saved result (``sg.report.load``); never simulates."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    data = saved["data"]
    fig, axes = plt.subplots(2, 3, figsize=(15, 9.4))
    axes = axes.ravel()
    colors = {0.6: "C0", 0.3: "C1", 0.2: "C2"}
    ax = axes[0]
    for s in data["slopes"]:
        b = s["b"]
        pts = [p for p in data["points"] if p["b"] == b]
        inv = np.array([1 / p["eta"] for p in pts])
        m = np.array([p["mean"] for p in pts])
        se = np.array([p["se"] for p in pts])
        ax.errorbar(inv, m, yerr=1.96 * se, fmt="o", color=colors[b], ms=4,
                    label=f"b={b} (l*={s['l_star']}): fit {s['fit']['value']:.2f}"
                          f" ± {s['fit']['se']:.2f}, theory {s['predicted']:.1f}")
        # theory slope anchored at the smallest-eta point
        ax.plot(inv, m[-1] * (inv / inv[-1]) ** s["predicted"], "--", color=colors[b], lw=1)
    ax.set(xscale="log", yscale="log", xlabel=r"$1/\eta$", ylabel=r"mean exit step $E\tau$",
           title="Pareto noise, alpha = 1.5: E tau vs 1/eta\n(dashed: theory slope)")
    ax.legend(fontsize=7)
    ax = axes[1]
    for s in data["slopes"]:
        b = s["b"]
        etas = sorted({p["eta"] for p in data["points"] if p["b"] == b}, reverse=True)
        mid = [math.sqrt(1 / etas[i] * 1 / etas[i + 1]) for i in range(len(etas) - 1)]
        val = [loc["value"] for loc in s["local"]]
        err = [1.96 * loc["se"] for loc in s["local"]]
        ax.errorbar(mid, val, yerr=err, fmt="o-", color=colors[b], ms=4, label=f"b={b}")
        ax.axhline(s["predicted"], color=colors[b], ls="--", lw=1)
    ax.set(xscale="log", xlabel=r"$1/\eta$ (geometric midpoint)", ylabel="local log-log slope",
           title="local slopes (95% CI) vs 1 + l*(alpha-1) (dashed)")
    ax.legend(fontsize=8)
    ax = axes[2]
    for i, c in enumerate(data["constants"]):
        tau = c["tau"]
        ax.errorbar([i], [tau["value"] / c["predicted_tau"]],
                    yerr=[1.96 * tau["se"] / c["predicted_tau"]], fmt="s", color="k", ms=6)
        ax.annotate(f"measured {tau['value']:.0f} ± {tau['se']:.0f}\npredicted "
                    f"{c['predicted_tau']:.0f}\nC* {c['c_star_measured']:.3g} vs "
                    f"{c['c_star_predicted']:.4g}", (i, tau["value"] / c["predicted_tau"]),
                    textcoords="offset points", xytext=(10, -10), fontsize=8)
    ax.axhline(1.0, color="C3", ls="--", lw=1, label="theory")
    ax.set(xlim=(-0.5, 2.2), ylim=(0.85, 1.15), xticks=[0, 1],
           xticklabels=[f"l*={c['l_star']}, b={c['b']}" for c in data["constants"]],
           ylabel=r"measured / predicted $E\tau$",
           title="compound-Poisson Pareto\n(q=0.001, w_min=20, eta=0.01)")
    ax.legend(fontsize=8)
    ax = axes[3]
    st = data.get("stair", [])
    bs = np.array([p["b"] for p in st], dtype=float)
    m = np.array([p["mean"] for p in st], dtype=float)
    se = np.array([p["se"] for p in st], dtype=float)
    ok = np.array([p["regime"] for p in st], dtype=bool)
    pr = np.array([p["predicted"] for p in st], dtype=float)
    ax.errorbar(bs, m, yerr=1.96 * se, fmt="o", color="k", ms=4, label="measured (95% CI)")
    for part in (bs < R, bs > R):
        ax.plot(bs[part], pr[part], ":", color="C3", lw=1)
    ax.plot(bs[ok], pr[ok], "x", color="C3", ms=8, mew=2, label="theory, regime holds")
    ax.plot(bs[~ok], pr[~ok], "+", color="C3", ms=8,
            label="theory outside its regime (eta w_min > r - (l*-1) b)")
    ax.axvline(R, color="grey", ls="--", lw=1, label="b = r (l* 2 -> 1)")
    ax.set(yscale="log", xlabel="truncation level b", ylabel=r"mean exit step $E\tau$",
           title="staircase in b (compound, eta = 0.01)")
    ax.legend(fontsize=7)
    ax = axes[4]
    probs = np.linspace(0.01, 0.99, 50)
    for i, c in enumerate(data["constants"]):
        if "quantiles" not in c:
            continue
        ax.plot(-np.log1p(-probs), c["quantiles"], "o", ms=3, color=f"C{i}",
                label=f"l*={c['l_star']}: CV {c['cv']['value']:.3f} ± {c['cv']['se']:.3f}, "
                      f"median/mean {c['median_over_mean']['value']:.3f}")
    ax.plot([0, 4.6], [0, 4.6], "k--", lw=1, label="Exp(1)")
    ax.set(xlabel="Exp(1) quantile", ylabel=r"quantile of $\tau / \bar\tau$",
           title="limit law: scaled exit times vs Exp(1) (QQ)")
    ax.legend(fontsize=7)
    ax = axes[5]
    for i, g in enumerate(data.get("gauss", [])):
        inv = np.array(g["inv_etas"], dtype=float)
        mm = np.array(g["means"], dtype=float)
        ss = np.array(g["ses"], dtype=float)
        ax.errorbar(inv, mm, yerr=1.96 * ss, fmt="o", ms=4, color=f"C{i}",
                    label=f"kappa={g['kappa']}, r={g['r']} (height {g['height']}): slope "
                          f"{g['slope']['value']:.3f} ± {g['slope']['se']:.3f}")
        ax.plot(inv, mm[-1] * np.exp(g["predicted"] * (inv - inv[-1])), "--", color=f"C{i}",
                lw=1)
    ax.set(yscale="log", xlabel=r"$1/\eta$", ylabel=r"mean exit step $E\tau$",
           title="Gaussian control: slope 2 dV / sigma^2 (dashed)")
    ax.legend(fontsize=7)
    fig.suptitle("Truncated heavy-tailed SGD exits a quadratic basin of radius 0.5 "
                 "(Wang, Oh, Rhee 2022)", fontsize=11)
    fig.tight_layout()
    fig.savefig(path, dpi=130)
    plt.close(fig)
    return path
