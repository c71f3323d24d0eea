"""Mean exit times from right-censored simulations."""

import warnings
from dataclasses import dataclass

import numpy as np
from scipy import stats

from .estimate import Estimate, InsufficientDataError

_EXITED, _RUNNING, _DIVERGED = 1, 0, 2


def mean_exit_time(exit_step, status, *, level=0.95, max_censored=0.2, min_exits=20):
    r"""Mean exit time from censored exit steps: total time on test over exits.

    .. math:: \hat\tau = \frac{\sum_i t_i}{\sum_i \delta_i}

    where :math:`t_i` is the exit step (or the horizon for a censored path) and
    :math:`\delta_i = 1` for an exit. It is the maximum-likelihood mean of an exponential
    law with right censoring (Wang et al.'s limit law), and equals the sample mean when
    nothing is censored. Censored paths count through their time on test; they are
    never dropped. The standard error is the ratio estimator's delta-method (sandwich)
    error :math:`\sqrt{\sum_i (t_i - \hat\tau \delta_i)^2} / \sum_i \delta_i`, which does
    not assume the exponential law; the CI is normal.

    Parameters
    ----------
    exit_step, status : array_like
        From :class:`simsgd.Result`.
    level : float
        CI level.
    max_censored : float
        Refuse when a larger share of paths is censored: with heavy censoring the
        estimate leans on the exponential assumption, which holds only asymptotically.
    min_exits : int
        Refuse with fewer exits.

    Raises
    ------
    InsufficientDataError
        Too few exits, too much censoring, or DIVERGED paths (whose exit time is undefined).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> t = np.ceil(rng.exponential(100.0, 4000)).astype(int)
    >>> est = mean_exit_time(t, np.ones_like(t))
    >>> bool(abs(est.value - 100.5) < 4 * est.se)
    True
    """
    t = np.asarray(exit_step, dtype=np.float64)
    st = np.asarray(status)
    if t.shape != st.shape or t.ndim != 1:
        raise ValueError("exit_step and status must be 1-D arrays of the same length")
    n_div = int(np.count_nonzero(st == _DIVERGED))
    if n_div:
        raise InsufficientDataError(f"{n_div} paths DIVERGED; their exit time is undefined")
    d = (st == _EXITED).astype(np.float64)
    n_exit = int(d.sum())
    censored = 1.0 - n_exit / t.size
    if n_exit < min_exits:
        raise InsufficientDataError(f"only {n_exit} exits (need {min_exits}); raise n_steps")
    if censored > max_censored:
        raise InsufficientDataError(
            f"{censored:.1%} of paths are censored (max {max_censored:.0%}); raise n_steps")
    tau = t.sum() / n_exit
    se = np.sqrt(np.sum((t - tau * d) ** 2)) / n_exit
    z = stats.norm.ppf(0.5 + level / 2)
    method = "sample mean" if censored == 0 else f"censored ratio (MLE), {censored:.2%} censored"
    return Estimate(tau, se, tau - z * se, tau + z * se, level, t.size, method)


# ---------------------------------------------------------------------------------------------
# Censored exponential MLE, Kaplan-Meier, and a test of the exponential limit law.
# ---------------------------------------------------------------------------------------------

def _censored_data(exit_step, status):
    """Validate ``(exit_step, status)`` and return float times and the 0/1 exit indicator."""
    t = np.asarray(exit_step, dtype=np.float64)
    st = np.asarray(status)
    if t.shape != st.shape or t.ndim != 1:
        raise ValueError("exit_step and status must be 1-D arrays of the same length")
    if not np.all(np.isfinite(t)) or np.any(t < 0):
        raise ValueError("exit_step must be finite and non-negative")
    bad = ~np.isin(st, (_EXITED, _RUNNING, _DIVERGED))
    if np.any(bad):
        raise ValueError(f"unknown status codes {np.unique(st[bad])}")
    n_div = int(np.count_nonzero(st == _DIVERGED))
    if n_div:
        raise InsufficientDataError(f"{n_div} paths DIVERGED; their exit time is undefined")
    return t, (st == _EXITED)


def exponential_mle(exit_step, status, *, level=0.95, min_exits=20):
    r"""Maximum-likelihood mean of a right-censored exponential law, with a chi-square CI.

    With times on test :math:`t_i` (exit step, or the horizon for a censored path) and
    exit indicators :math:`\delta_i`, the censored exponential log-likelihood is
    :math:`-D\log\tau - T/\tau` with :math:`T = \sum_i t_i`, :math:`D = \sum_i \delta_i`,
    maximised by

    .. math:: \hat\tau = T / D, \qquad \widehat{se} = \hat\tau / \sqrt{D}

    (the inverse Fisher information). The interval is

    .. math:: \left[\frac{2T}{\chi^2_{(1+\ell)/2}(2D)},\;
                    \frac{2T}{\chi^2_{(1-\ell)/2}(2D)}\right]

    with :math:`\ell` the level and :math:`\chi^2_p(\nu)` the :math:`p`-quantile.

    Assumptions
    -----------
    Exit times are iid exponential (Wang et al.'s limit law, THEORY.md §1). The interval is
    **exact** without censoring and under type-II censoring (stop at the D-th exit), since
    then :math:`2T/\tau \sim \chi^2(2D)`. Simulations stop at a fixed horizon (type-I
    censoring), where it is **approximate** (it is Cox's approximation, accurate once D is
    a few tens; see the coverage test). Unlike :func:`mean_exit_time` the censored share is
    not limited: the information is carried by D, and the price is reliance on the
    exponential law, whose fit :func:`exponential_law_test` checks on uncensored runs.

    Parameters
    ----------
    exit_step, status : array_like, shape (n_paths,)
        From :class:`simsgd.Result` (status 1 = exited, 0 = censored at the horizon).
    level : float
        CI level.
    min_exits : int
        Refuse with fewer exits (relative SE :math:`1/\sqrt{D}` would exceed ~22%).

    Returns
    -------
    Estimate

    Raises
    ------
    InsufficientDataError
        Fewer than ``min_exits`` exits, or DIVERGED paths.

    References
    ----------
    Lawless, *Statistical Models and Methods for Lifetime Data*, 2nd ed., §2.2 (Wiley 2003).
    Cox, *Some simple approximate tests for Poisson variates*, Biometrika 40 (1953).

    Examples
    --------
    >>> rng = np.random.default_rng(1)
    >>> t = rng.exponential(100.0, 500)
    >>> est = exponential_mle(np.minimum(t, 150.0), (t <= 150.0).astype(int))
    >>> bool(est.ci_low < 100.0 < est.ci_high)
    True
    """
    t, d = _censored_data(exit_step, status)
    n_exit = int(d.sum())
    if n_exit < min_exits:
        raise InsufficientDataError(f"only {n_exit} exits (need {min_exits}); raise n_steps")
    total = float(t.sum())
    tau = total / n_exit
    lo = 2 * total / stats.chi2.ppf(0.5 + level / 2, 2 * n_exit)
    hi = 2 * total / stats.chi2.ppf(0.5 - level / 2, 2 * n_exit)
    censored = 1.0 - n_exit / t.size
    return Estimate(tau, tau / np.sqrt(n_exit), float(lo), float(hi), level, t.size,
                    f"censored exponential MLE, chi2(2D) CI, {censored:.2%} censored")


@dataclass(frozen=True)
class SurvivalCurve:
    """Kaplan-Meier survival curve with pointwise confidence bands.

    A right-continuous step function: :math:`S(t) = ` ``survival[i]`` for
    ``steps[i] <= t < steps[i+1]``, and 1 before ``steps[0]``. All arrays have shape
    ``(n_unique_times,)``.
    """

    steps: np.ndarray
    survival: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    level: float
    n: int

    def evaluate(self, t):
        """S at the times ``t`` (array_like)."""
        i = np.searchsorted(self.steps, np.asarray(t, dtype=np.float64), side="right") - 1
        return np.where(i < 0, 1.0, self.survival[np.maximum(i, 0)])


def kaplan_meier(exit_step, status, *, level=0.95, band="log-log"):
    r"""Kaplan-Meier estimate of the survival function :math:`S(t) = P(\tau > t)`.

    .. math:: \hat S(t) = \prod_{t_j \le t} \left(1 - \frac{d_j}{n_j}\right)

    with :math:`d_j` exits at :math:`t_j` and :math:`n_j` paths still at risk. Computed by
    ``scipy.stats.ecdf`` on ``scipy.stats.CensoredData``. Pointwise bands: ``"log-log"``
    (exponential Greenwood, stays in [0, 1]; default) or ``"linear"`` (Greenwood). Needs
    no assumption on the law, only that censoring is independent of the exit time
    (true for a fixed horizon).

    Parameters
    ----------
    exit_step, status : array_like, shape (n_paths,)
    level : float
        Pointwise band level.
    band : {"log-log", "linear"}

    Returns
    -------
    SurvivalCurve
        Where :math:`\hat S = 0` the band is undefined; it is set to [0, 0] there.

    Raises
    ------
    InsufficientDataError
        No exits, or DIVERGED paths.

    Examples
    --------
    >>> km = kaplan_meier([1, 2, 3, 4, 5, 6], [1, 1, 1, 0, 1, 0])
    >>> km.survival.round(3).tolist()
    [0.833, 0.667, 0.5, 0.5, 0.25, 0.25]
    """
    t, d = _censored_data(exit_step, status)
    if not d.any():
        raise InsufficientDataError("no exits: the survival curve is 1 throughout the run")
    res = stats.ecdf(stats.CensoredData(uncensored=t[d], right=t[~d]))
    with warnings.catch_warnings():
        # scipy warns where S = 0 or 1 (the band formula divides by log S); handled below.
        warnings.filterwarnings("ignore", "The confidence interval is undefined",
                                RuntimeWarning)
        ci = res.sf.confidence_interval(level, method=band)
    s = res.sf.probabilities
    lower = np.where(np.isnan(ci.low.probabilities), s, ci.low.probabilities)
    upper = np.where(np.isnan(ci.high.probabilities), s, ci.high.probabilities)
    return SurvivalCurve(res.sf.quantiles, s, lower, upper, level, t.size)


def km_median(exit_step, status, *, level=0.95, band="log-log"):
    r"""Median exit time from the Kaplan-Meier curve, with the Brookmeyer-Crowley CI.

    .. math:: \hat m = \min\{t : \hat S(t) \le 1/2\}

    The CI runs from the median of the lower band to the median of the upper band
    (Brookmeyer & Crowley 1982, as in R's ``survfit``); it is ``inf`` on the right when
    the upper band never reaches 1/2. The reported SE is approximate: CI width / (2z).
    For an exponential law the median is :math:`\tau \ln 2`.

    Raises
    ------
    InsufficientDataError
        When :math:`\hat S` never reaches 1/2 (fewer than half the paths exited before
        the last censoring), or as :func:`kaplan_meier`.

    References
    ----------
    Brookmeyer & Crowley, *A confidence interval for the median survival time*,
    Biometrics 38 (1982).

    Examples
    --------
    >>> km_median([1, 2, 3, 4, 5, 6], [1, 1, 1, 0, 1, 0]).value
    3.0
    """
    km = kaplan_meier(exit_step, status, level=level, band=band)

    def first_below_half(s):
        i = np.flatnonzero(s <= 0.5)
        return float(km.steps[i[0]]) if i.size else np.inf

    m = first_below_half(km.survival)
    if not np.isfinite(m):
        raise InsufficientDataError(
            f"the survival curve stops at {km.survival[-1]:.3f} > 1/2: the median is not "
            "observed; raise n_steps")
    lo, hi = first_below_half(km.lower), first_below_half(km.upper)
    z = stats.norm.ppf(0.5 + level / 2)
    se = (hi - lo) / (2 * z)
    return Estimate(m, float(se), lo, hi, level, km.n, f"Kaplan-Meier median, {band} band")


def restricted_mean(exit_step, status, horizon, *, level=0.95):
    r"""Restricted mean exit time :math:`E\min(\tau, h) = \int_0^h S(t)\,dt` from Kaplan-Meier.

    .. math:: \hat\mu_h = \int_0^h \hat S(t)\,dt, \qquad
              \widehat{\mathrm{Var}} = \sum_{t_j \le h} A_j^2 \frac{d_j}{n_j (n_j - d_j)},
              \quad A_j = \int_{t_j}^{h} \hat S(t)\,dt

    (Greenwood-type variance; Klein & Moeschberger §4.5). Normal CI. Needs no law, so it
    is the honest summary when censoring is too heavy for :func:`mean_exit_time`. For an
    exponential law, :math:`\mu_h = \tau (1 - e^{-h/\tau})`; for integer steps
    :math:`\lceil \tau E \rceil` it is :math:`(1 - e^{-h/\tau})/(1 - e^{-1/\tau})`.

    Parameters
    ----------
    horizon : float
        :math:`h`; must not exceed the largest observed time (S is unknown beyond it).

    Raises
    ------
    InsufficientDataError
        ``horizon`` beyond the data, or as :func:`kaplan_meier`.

    Examples
    --------
    >>> restricted_mean([1, 2, 3], [1, 1, 1], 3).value  # mean of min(t, 3) = 2
    2.0
    """
    t, d = _censored_data(exit_step, status)
    h = float(horizon)
    if not h > 0:
        raise ValueError("horizon must be positive")
    if h > t.max():
        raise InsufficientDataError(
            f"horizon {h:g} beyond the largest observed time {t.max():g}: S is unknown there")
    km = kaplan_meier(t, d.astype(int), level=level)
    # Area under the step function on [0, h]: knots 0, steps <= h, h.
    inside = km.steps <= h
    knots = np.concatenate(([0.0], km.steps[inside], [h]))
    s_left = np.concatenate(([1.0], km.survival[inside]))  # S on [knots[i], knots[i+1])
    pieces = s_left * np.diff(knots)
    mu = float(pieces.sum())
    # A_j = area from the j-th step to h; d_j, n_j at the exit times among those steps.
    tail_area = np.cumsum(pieces[::-1])[::-1][1:]  # area from steps[inside][j] to h
    st = km.steps[inside]
    t_sorted, t_exit = np.sort(t), np.sort(t[d])
    n_j = (t.size - np.searchsorted(t_sorted, st, side="left")).astype(np.float64)
    d_j = (np.searchsorted(t_exit, st, side="right")
           - np.searchsorted(t_exit, st, side="left")).astype(np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        # n_j = d_j only at the last time with S -> 0, where A_j = 0: the term is 0.
        terms = np.where(n_j > d_j, tail_area**2 * d_j / (n_j * (n_j - d_j)), 0.0)
    se = float(np.sqrt(terms.sum()))
    z = stats.norm.ppf(0.5 + level / 2)
    return Estimate(mu, se, mu - z * se, mu + z * se, level, t.size,
                    f"Kaplan-Meier restricted mean to {h:g}")


@dataclass(frozen=True)
class ExponentialLawTest:
    """Checks that scaled exit times follow Exp(1) (THEORY.md §1: the limit law).

    ``ks_statistic``, ``p_value``: one-sample KS test of :math:`t_i/\\bar t` against Exp(1).
    ``cv``: coefficient of variation (1 for Exp). ``median_over_mean``: ln 2 = 0.693 for Exp.
    """

    ks_statistic: float
    p_value: float
    cv: Estimate
    median_over_mean: Estimate
    n: int


def exponential_law_test(exit_step, status, *, level=0.95, n_resamples=2000, seed=0,
                         min_exits=50):
    r"""Is the law of the exit times exponential? KS test, CV and median/mean.

    The times are scaled by their mean, :math:`s_i = t_i / \bar t`, and compared with
    Exp(1) by ``scipy.stats.kstest``. Two shape summaries get bootstrap CIs
    (``scipy.stats.bootstrap``, BCa): the coefficient of variation
    :math:`\hat\sigma/\bar t` (1 for an exponential) and the ratio median/mean
    (:math:`\ln 2 \approx 0.693`).

    Notes
    -----
    The mean is estimated from the same data, so the KS p-value is conservative
    (Lilliefors): a small p-value is real evidence against the law, a large one is weak
    evidence for it. ``scipy.stats.goodness_of_fit(stats.expon, ...)`` corrects this by
    Monte Carlo but costs thousands of fits; the CV and median/mean CIs carry the
    quantitative check. Exit *steps* are integers: when the mean is below ~100 steps the
    ties and the half-step offset of :math:`\lceil \tau E \rceil` bias all three.

    Parameters
    ----------
    exit_step, status : array_like, shape (n_paths,)
    level : float
        Bootstrap CI level.
    n_resamples : int
    seed : int
        For the bootstrap.
    min_exits : int
        Refuse with fewer paths: the bootstrap CI of a median needs a few tens of points.

    Returns
    -------
    ExponentialLawTest

    Raises
    ------
    InsufficientDataError
        Any censored or DIVERGED path (censoring truncates the law: use
        :func:`kaplan_meier`), or fewer than ``min_exits`` paths.

    Examples
    --------
    >>> t = np.random.default_rng(0).exponential(50.0, 400)
    >>> r = exponential_law_test(t, np.ones(400, int), n_resamples=500)
    >>> bool(r.p_value > 0.01 and r.cv.ci_low < 1 < r.cv.ci_high)
    True
    """
    t, d = _censored_data(exit_step, status)
    n_cens = int(np.count_nonzero(~d))
    if n_cens:
        raise InsufficientDataError(
            f"{n_cens} paths are censored; the law test needs every exit (raise n_steps)")
    if t.size < min_exits:
        raise InsufficientDataError(f"only {t.size} exits (need {min_exits})")
    mean = t.mean()
    if not mean > 0:
        raise InsufficientDataError("all exit times are 0")
    ks = stats.kstest(t / mean, stats.expon.cdf)
    rng = np.random.default_rng(seed)

    def cv(x, axis):
        return np.std(x, axis=axis, ddof=1) / np.mean(x, axis=axis)

    def med_mean(x, axis):
        return np.median(x, axis=axis) / np.mean(x, axis=axis)

    out = []
    for f, name in ((cv, "coefficient of variation"), (med_mean, "median / mean")):
        b = stats.bootstrap((t,), f, n_resamples=n_resamples, confidence_level=level,
                            vectorized=True, rng=rng)
        out.append(Estimate(float(f(t, axis=0)), float(b.standard_error),
                            float(b.confidence_interval.low), float(b.confidence_interval.high),
                            level, t.size, f"{name}, BCa bootstrap ({n_resamples})"))
    return ExponentialLawTest(float(ks.statistic), float(ks.pvalue), out[0], out[1], t.size)
