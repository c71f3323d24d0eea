"""Log-log slopes with confidence intervals."""

import numpy as np
from scipy import optimize, stats

from .estimate import Estimate, InsufficientDataError


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
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    se = np.asarray(y_se, dtype=np.float64)
    if x.size < 3:
        raise InsufficientDataError(f"a slope with a CI needs >= 3 points, got {x.size}")
    if np.any(x <= 0) or np.any(y <= 0) or np.any(se <= 0):
        raise InsufficientDataError("x, y and y_se must be positive for a log-log fit")
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
