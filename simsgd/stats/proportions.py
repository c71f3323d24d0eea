"""Proportions (Wilson interval) and means of possibly heavy-tailed samples."""

import warnings

import numpy as np
from scipy import stats

from .estimate import Estimate, InsufficientDataError
from .tail_index import hill


class HeavyTailWarning(RuntimeWarning):
    """The sample looks too heavy-tailed for its variance (hence a standard error) to exist."""


def wilson(k, n, level=0.95):
    r"""Proportion :math:`\hat p = k/n` with the Wilson score interval.

    .. math:: \frac{\hat p + \frac{z^2}{2n} \pm
              z\sqrt{\frac{\hat p(1-\hat p)}{n} + \frac{z^2}{4n^2}}}{1 + z^2/n}

    (``scipy.stats.binomtest(k, n).proportion_ci(method="wilson")``). Unlike the Wald
    interval it stays in [0, 1] and is not degenerate at k = 0 or k = n, which is where
    rare events (e.g. the share of time in a narrow basin) live. Its coverage oscillates
    around the level with n and p (Brown, Cai & DasGupta 2001).
    The SE is the plug-in :math:`\sqrt{\hat p(1-\hat p)/n}` (0 at k = 0 or n; the CI is
    the honest summary there).

    Parameters
    ----------
    k, n : int
        Successes and trials, :math:`0 \le k \le n`.
    level : float

    Raises
    ------
    InsufficientDataError
        n = 0.

    References
    ----------
    Wilson, J. Amer. Statist. Assoc. 22 (1927). Brown, Cai, DasGupta, *Interval estimation
    for a binomial proportion*, Statist. Sci. 16 (2001).

    Examples
    --------
    >>> est = wilson(0, 100)
    >>> (est.value, round(est.ci_high, 4))
    (0.0, 0.037)
    """
    if int(k) != k or int(n) != n:
        raise ValueError("k and n must be integers")
    k, n = int(k), int(n)
    if n == 0:
        raise InsufficientDataError("n = 0 trials: no proportion to estimate")
    if not 0 <= k <= n:
        raise ValueError(f"need 0 <= k <= n, got k = {k}, n = {n}")
    ci = stats.binomtest(k, n).proportion_ci(confidence_level=level, method="wilson")
    p = k / n
    return Estimate(p, float(np.sqrt(p * (1 - p) / n)), float(ci.low), float(ci.high), level,
                    n, "Wilson score interval")


def heavy_tailed_mean(x, *, level=0.95, k=None):
    r"""Sample mean with its standard error, warning when the variance may not exist.

    .. math:: \bar x, \qquad \widehat{se} = s/\sqrt n, \qquad
              \text{CI } \bar x \pm t_{n-1}\,\widehat{se}

    The SE assumes a finite variance. The tail index of :math:`|x - \mathrm{median}(x)|` is
    estimated by :func:`hill` with k = max(10, ⌊√n⌋); if :math:`\hat\alpha < 2` a
    :class:`HeavyTailWarning` is issued: with :math:`1 < \alpha < 2` the mean exists but
    the CLT rate is :math:`n^{1/\alpha - 1}`, slower than :math:`n^{-1/2}`, and the SE
    understates the error. The Hill point estimate is noisy (relative SE
    :math:`1/\sqrt k`), so a light-tailed sample near the boundary can trigger the
    warning; it is a flag, not a verdict. With n < 2k the tail is not checked, as said
    in ``method``.

    Raises
    ------
    InsufficientDataError
        n < 2.

    Warns
    -----
    HeavyTailWarning

    Examples
    --------
    >>> est = heavy_tailed_mean(np.random.default_rng(0).standard_normal(1000))
    >>> abs(est.value) < 4 * est.se
    True
    """
    a = np.asarray(x, dtype=np.float64).ravel()
    if not np.all(np.isfinite(a)):
        raise ValueError("x must be finite")
    n = a.size
    if n < 2:
        raise InsufficientDataError(f"a standard error needs n >= 2, got {n}")
    mean = float(a.mean())
    se = float(a.std(ddof=1) / np.sqrt(n))
    q = stats.t.ppf(0.5 + level / 2, n - 1)
    kk = max(10, int(np.sqrt(n))) if k is None else int(k)
    if n >= 2 * kk:
        try:
            tail = hill(a - np.median(a), kk)
        except InsufficientDataError:  # e.g. mostly ties at the median: nothing to flag
            tail = None
    else:
        tail = None
    if tail is None:
        method = "sample mean, tail not checked"
    else:
        method = f"sample mean, Hill alpha = {tail.value:.3g} (k = {kk})"
        if tail.value < 2:
            warnings.warn(
                f"Hill tail index {tail.value:.3g} ± {tail.se:.2g} < 2: the variance may not "
                "exist and the standard error may understate the error", HeavyTailWarning,
                stacklevel=2)
    return Estimate(mean, se, mean - q * se, mean + q * se, level, n, method)
