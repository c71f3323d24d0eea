"""Log-log slopes with confidence intervals."""

import numpy as np
from scipy import optimize, stats

from .estimate import Estimate, InsufficientDataError


def _loglog_inputs(x, y, y_se, min_points, what):
    """Float arrays of a log-log fit, refused when too short or not positive."""
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    se = np.asarray(y_se, dtype=np.float64)
    if x.size < min_points:
        raise InsufficientDataError(f"{what} needs >= {min_points} points, got {x.size}")
    if np.any(x <= 0) or np.any(y <= 0) or np.any(se <= 0):
        raise InsufficientDataError("x, y and y_se must be positive for a log-log fit")
    return x, y, se


def loglog_slope(x, y, y_se, *, level=0.95):
    r"""Weighted least-squares slope of :math:`\log y` against :math:`\log x`.

    Each point's weight is :math:`1/\sigma_i^2` with :math:`\sigma_i = se_i / y_i` (the
    delta-method error of :math:`\log y_i`). The fit uses
    ``scipy.optimize.curve_fit(absolute_sigma=True)``; if the points scatter more than
    their errors allow (reduced chi-square > 1), the covariance is inflated by it (Birge
    ratio), so curvature at finite step sizes widens the CI instead of hiding.

    Returns
    -------
    Estimate
        The slope; ``method`` records the reduced chi-square.

    Raises
    ------
    InsufficientDataError
        Fewer than 3 points, or non-positive values.
    """
    x, y, se = _loglog_inputs(x, y, y_se, 3, "a slope with a CI")
    lx, ly, sl = np.log(x), np.log(y), se / y
    popt, pcov = optimize.curve_fit(lambda u, a, s: a + s * u, lx, ly, sigma=sl,
                                    absolute_sigma=True)
    resid = (ly - popt[0] - popt[1] * lx) / sl
    dof = x.size - 2
    red = float(np.sum(resid**2) / dof)
    var = pcov[1, 1] * max(1.0, red)
    s_se = float(np.sqrt(var))
    q = stats.t.ppf(0.5 + level / 2, dof) if red > 1 else stats.norm.ppf(0.5 + level / 2)
    return Estimate(float(popt[1]), s_se, popt[1] - q * s_se, popt[1] + q * s_se, level, x.size,
                    f"WLS on logs, reduced chi2 = {red:.2f}")


def local_slopes(x, y, y_se, *, level=0.95):
    """Slopes between consecutive points, each with a CI from the two points' errors.

    Shows where the local exponent stands along the grid (THEORY.md: at finite eta the
    local slopes climb towards the asymptotic exponent and may overshoot it).
    """
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    sl = np.asarray(y_se, dtype=np.float64) / y
    z = stats.norm.ppf(0.5 + level / 2)
    out = []
    for i in range(x.size - 1):
        dx = np.log(x[i + 1]) - np.log(x[i])
        s = (np.log(y[i + 1]) - np.log(y[i])) / dx
        se = np.hypot(sl[i], sl[i + 1]) / abs(dx)
        out.append(Estimate(float(s), float(se), s - z * se, s + z * se, level, 2,
                            f"between x = {x[i]:.4g} and {x[i + 1]:.4g}"))
    return out


def _wls_slope(lx, ly, w):
    """Closed-form weighted least-squares slope; NaN when the x values do not vary."""
    W = w.sum()
    mx, my = (w * lx).sum() / W, (w * ly).sum() / W
    sxx = (w * (lx - mx) ** 2).sum()
    return (w * (lx - mx) * (ly - my)).sum() / sxx if sxx > 0 else np.nan


def loglog_slope_bootstrap(x, y, y_se, *, level=0.95, n_resamples=4999, seed=0):
    r"""The WLS log-log slope with a case-bootstrap CI (``scipy.stats.bootstrap``).

    Points ``(log x_i, log y_i, w_i = (y_i/se_i)^2)`` are resampled with replacement
    (paired) and the weighted slope is refitted (our own resampling, see the
    comment in the code); the CI is the percentile interval and
    the SE the bootstrap standard deviation. Unlike :func:`loglog_slope`, whose CI comes
    from the per-point errors (inflated by the scatter), this one reflects how much the
    slope depends on which points are in the fit, so curvature along the grid widens it
    directly. Resamples whose x values do not vary are discarded.

    Raises
    ------
    InsufficientDataError
        Fewer than 4 points (too few distinct resamples for a bootstrap), or
        non-positive values.

    Examples
    --------
    >>> x = 2.0 ** np.arange(6)
    >>> est = loglog_slope_bootstrap(x, 3 * x**1.5, 0.01 * x**1.5)
    >>> round(est.value, 12), round(est.ci_low, 9), round(est.ci_high, 9)
    (1.5, 1.5, 1.5)
    """
    x, y, se = _loglog_inputs(x, y, y_se, 4, "a bootstrap slope")
    lx, ly, w = np.log(x), np.log(y), (y / se) ** 2
    slope = _wls_slope(lx, ly, w)
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, x.size, size=(n_resamples, x.size))
    boot = np.array([_wls_slope(lx[i], ly[i], w[i]) for i in idx])
    boot = boot[np.isfinite(boot)]
    # not scipy.stats.bootstrap: with few points a resample can repeat one x value, the
    # slope is then undefined (NaN), and scipy's percentile interval propagates the NaN;
    # here such resamples are dropped and counted in `method`
    lo, hi = np.quantile(boot, [(1 - level) / 2, (1 + level) / 2])
    return Estimate(float(slope), float(boot.std(ddof=1)), float(lo), float(hi), level, x.size,
                    f"case bootstrap, {boot.size} resamples")
