"""Compare a measurement with a prediction the way the theorem allows."""

import math

from scipy import stats

from .estimate import Estimate

VERDICTS = ("agrees", "disagrees", "inconclusive")
EXACT = "exact"
"""``Estimate.method`` of a deterministic measurement (se 0), compared exactly."""


def verdict(measured, predicted, *, level=0.99, max_rel_halfwidth=0.25):
    r"""``agrees``, ``disagrees`` or ``inconclusive``, with the z-score behind it.

    Two-sided kinds (tight, asymptotic, exponent): with :math:`z = (m - p)/se`, agrees
    when :math:`|z| \le z_{1-(1-level)/2}` (2.58 at level 0.99, a false alarm of 1% per
    comparison for an unbiased estimator), disagrees otherwise. An upper bound agrees
    when :math:`m - z\,se \le p` (one-sided), a lower bound when :math:`m + z\,se \ge p`.
    Inconclusive when the measurement's CI half-width at ``level`` exceeds
    ``max_rel_halfwidth * |p|``: then agreement would say nothing. A deterministic
    measurement (``method == "exact"``, from :func:`exact`) is compared as a number: equal
    (tight kinds) or on the right side (bounds) within a relative 1e-12.

    Parameters
    ----------
    measured : Estimate
    predicted : Prediction (anything with ``value`` and ``kind``)

    Returns
    -------
    (str, float)
        The verdict and the z-score.
    """
    if not isinstance(measured, Estimate):
        raise TypeError(f"measured must be an Estimate, got {measured!r}")
    m, se, p = measured.value, measured.se, float(predicted.value)
    if measured.method == EXACT:
        # a deterministic computation (no noise, one path): compared as numbers, to a
        # relative 1e-12 that absorbs rounding; z is reported as 0 or +-inf
        tol = 1e-12 * max(1.0, abs(p))
        ok = {"upper": m <= p + tol, "lower": m >= p - tol}.get(predicted.kind, abs(m - p) <= tol)
        return ("agrees" if ok else "disagrees"), (0.0 if abs(m - p) <= tol
                                                   else math.copysign(math.inf, m - p))
    if not (math.isfinite(m) and math.isfinite(se) and se > 0):
        return "inconclusive", float("nan")
    z = float((m - p) / se)
    two = predicted.kind in ("tight", "asymptotic", "exponent")
    zc = stats.norm.ppf(0.5 + level / 2) if two else stats.norm.ppf(level)
    if zc * se > max_rel_halfwidth * abs(p):
        return "inconclusive", z
    if two:
        ok = abs(z) <= zc
    elif predicted.kind == "upper":
        ok = z <= zc
    else:
        ok = z >= -zc
    return ("agrees" if ok else "disagrees"), z


def exact(value):
    """An :class:`Estimate` of a deterministic computation: se 0, compared exactly."""
    v = float(value)
    return Estimate(v, 0.0, v, v, n=1, method=EXACT)
