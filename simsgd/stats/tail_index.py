"""Tail-index estimators: Hill, and Şimşekli et al.'s multi-m estimator for SαS noise."""

import numpy as np
from scipy import stats

from .estimate import Estimate, InsufficientDataError


def hill(x, k=None, *, level=0.95, min_k=10):
    r"""Hill estimate of the tail index :math:`\alpha` of :math:`|X|`.

    With the order statistics :math:`|X|_{(1)} \ge |X|_{(2)} \ge \dots`,

    .. math:: \frac{1}{\hat\alpha} = \frac1k \sum_{i=1}^{k}
              \log\frac{|X|_{(i)}}{|X|_{(k+1)}}, \qquad
              \widehat{se} = \hat\alpha / \sqrt{k}.

    Assumptions
    -----------
    :math:`P(|X| > x)` is regularly varying with index :math:`-\alpha`, and
    :math:`k \to \infty`, :math:`k/n \to 0`. For an exact Pareto tail above
    :math:`|X|_{(k+1)}`, :math:`k\alpha/\hat\alpha \sim \mathrm{Gamma}(k, 1)` exactly, and
    the CI uses those Gamma quantiles (asymptotically the normal CI
    :math:`\hat\alpha \pm z\hat\alpha/\sqrt k`, but it respects :math:`\alpha > 0` and
    the skew at small k). For other laws the second-order term biases :math:`\hat\alpha`
    (e.g. SαS, Gaussian); the CI does not include that bias, so keep k small against n.

    Parameters
    ----------
    x : array_like, shape (n,)
        Samples; the tail of their absolute value is estimated.
    k : int, optional
        Number of upper order statistics; default :math:`\lfloor\sqrt n\rfloor`.
    level : float
    min_k : int
        Refuse smaller k: the relative SE :math:`1/\sqrt k` would exceed ~30%.

    Returns
    -------
    Estimate
        Of :math:`\alpha`.

    Raises
    ------
    InsufficientDataError
        ``k < min_k``, ``k >= n``, or :math:`|X|_{(k+1)} = 0` (too many zeros).

    References
    ----------
    Hill, *A simple general approach to inference about the tail of a distribution*,
    Ann. Statist. 3 (1975).

    Examples
    --------
    >>> x = np.random.default_rng(0).pareto(1.5, 20000) + 1.0
    >>> est = hill(x, 1000)
    >>> bool(est.ci_low < 1.5 < est.ci_high)
    True
    """
    a = np.abs(np.asarray(x, dtype=np.float64)).ravel()
    if not np.all(np.isfinite(a)):
        raise ValueError("x must be finite")
    n = a.size
    if k is None:
        k = int(np.sqrt(n))
    k = int(k)
    if k < min_k:
        raise InsufficientDataError(f"k = {k} < {min_k} order statistics (n = {n})")
    if k >= n:
        raise InsufficientDataError(f"k = {k} needs more than k samples, got n = {n}")
    top = -np.partition(-a, k)[: k + 1]  # the k+1 largest, |X|_(k+1) at index k
    threshold = top[k]
    if not threshold > 0:
        raise InsufficientDataError("|X|_(k+1) = 0: too many zeros for a Hill estimate")
    inv = float(np.mean(np.log(top[:k] / threshold)))
    if not inv > 0:
        raise InsufficientDataError("the k largest values are all equal: no tail to fit")
    alpha = 1.0 / inv
    g = stats.gamma(k)
    lo, hi = alpha * g.ppf(0.5 - level / 2) / k, alpha * g.ppf(0.5 + level / 2) / k
    return Estimate(alpha, alpha / np.sqrt(k), float(lo), float(hi), level, n,
                    f"Hill, k = {k} of n = {n}, Gamma CI")


def _largest_divisor_below_sqrt(n):
    for m in range(int(np.sqrt(n)), 0, -1):
        if n % m == 0:
            return m
    return 1


def multi_m_tail_index(x, m=None, *, level=0.95, min_blocks=10):
    r"""Şimşekli, Sagun & Gürbüzbalaban's tail-index estimator for SαS samples.

    Split the :math:`N = m n` samples into :math:`n` blocks of :math:`m` consecutive
    samples with sums :math:`Y_j`. Since a sum of :math:`m` iid SαS variables is
    :math:`m^{1/\alpha}` times one of them in law,

    .. math:: \frac{1}{\hat\alpha} = \frac{\overline{\log|Y|} - \overline{\log|X|}}{\log m}

    with :math:`m` the largest divisor of :math:`N` not above :math:`\sqrt N` (their
    choice; THEORY.md §5). It gives about :math:`\alpha` for SαS data and about 2 for
    Gaussian data (the case :math:`\alpha = 2`). Rows of a 2-D ``x`` are vectors and
    :math:`|\cdot|` is the Euclidean norm, as in their code.

    Uncertainty: the per-block differences
    :math:`D_j = \log|Y_j| - \frac1m\sum_{i \in j}\log|X_i|` are iid across blocks and
    average exactly to the numerator, so :math:`se(1/\hat\alpha) = s_D/(\sqrt n \log m)`.
    The normal CI is built for :math:`1/\alpha` and inverted (its upper end is ``inf``
    when the CI of :math:`1/\alpha` reaches 0); :math:`se(\hat\alpha)` is by the delta
    method, :math:`\hat\alpha^2\, se(1/\hat\alpha)`.

    Parameters
    ----------
    x : array_like, shape (N,) or (N, dim)
        iid samples, e.g. gradient-noise draws.
    m : int, optional
        Block length; must divide N. Default as above.
    level : float
    min_blocks : int
        Refuse with fewer blocks (or m < 2).

    Returns
    -------
    Estimate
        Of :math:`\alpha`.

    Raises
    ------
    InsufficientDataError
        Fewer than ``min_blocks`` blocks or m < 2 (e.g. N prime: trim a few samples),
        or exact zeros (:math:`\log 0`; a bulk-free compound-Poisson law is not SαS).

    References
    ----------
    Şimşekli, Sagun, Gürbüzbalaban, *A tail-index analysis of stochastic gradient noise
    in deep neural networks*, ICML 2019. Mohammadi, Mohammadpour, Ogata, *On estimating
    the tail index and the spectral measure of multivariate alpha-stable distributions*,
    Metrika 78 (2015).

    Examples
    --------
    >>> x = np.random.default_rng(0).standard_normal(10000)
    >>> est = multi_m_tail_index(x)
    >>> bool(est.ci_low < 2.0 < est.ci_high)
    True
    """
    a = np.asarray(x, dtype=np.float64)
    if a.ndim == 1:
        a = a[:, None]
    if a.ndim != 2:
        raise ValueError("x must have shape (N,) or (N, dim)")
    if not np.all(np.isfinite(a)):
        raise ValueError("x must be finite")
    big_n = a.shape[0]
    if m is None:
        m = _largest_divisor_below_sqrt(big_n)
    m = int(m)
    if m < 1 or big_n % m:
        raise ValueError(f"m = {m} must be a positive divisor of N = {big_n}")
    n = big_n // m
    if m < 2 or n < min_blocks:
        raise InsufficientDataError(
            f"N = {big_n} gives m = {m}, n = {n} blocks (need m >= 2, n >= {min_blocks}); "
            "trim N to a number with a divisor near sqrt(N)")
    norm_x = np.linalg.norm(a, axis=1)
    if np.any(norm_x == 0):
        raise InsufficientDataError("exact zeros in x: log|X| is undefined (not an SαS law)")
    y = a.reshape(n, m, -1).sum(axis=1)
    norm_y = np.linalg.norm(y, axis=1)
    if np.any(norm_y == 0):
        raise InsufficientDataError("a block sums to exactly 0: log|Y| is undefined")
    diff = np.log(norm_y) - np.log(norm_x).reshape(n, m).mean(axis=1)
    log_m = np.log(m)
    inv = float(diff.mean() / log_m)
    inv_se = float(diff.std(ddof=1) / np.sqrt(n) / log_m)
    if not inv > 0:
        raise InsufficientDataError(f"1/alpha estimate {inv:.3g} <= 0: no scaling in the sums")
    alpha = 1.0 / inv
    z = stats.norm.ppf(0.5 + level / 2)
    lo_inv, hi_inv = inv - z * inv_se, inv + z * inv_se
    hi = 1.0 / lo_inv if lo_inv > 0 else np.inf
    return Estimate(alpha, alpha**2 * inv_se, 1.0 / hi_inv, hi, level, big_n,
                    f"multi-m (Simsekli et al.), m = {m}, n = {n} blocks")
