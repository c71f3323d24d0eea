r"""Patel, arXiv:1709.04718: step-size thresholds of SGD on a quadratic finite sum.

Around a minimiser :math:`x^*` of :math:`F(x) = \frac1N \sum_i \frac12 (x-x^*)^T Q_i (x-x^*)`,
SGD with a batch :math:`B` of size :math:`|B|` drawn without replacement and learning rate
:math:`C` gives :math:`e_{k+1} = (I - C \bar Q_B) e_k`. In 1-D (or for commuting
:math:`Q_i`, one eigen-direction at a time) with component curvatures :math:`q_i`, mean
:math:`\bar q` and population variance :math:`v`, three thresholds follow (THEORY.md §2,
derived):

* gradient descent diverges iff :math:`C > C_{GD} = 2/\bar q`;
* :math:`E e_k^2` diverges iff :math:`C > C_{ms}`, the root of :math:`E(1 - C q_B)^2 = 1`;
* :math:`|e_k|` diverges almost surely iff :math:`E \log|1 - C q_B| > 0`, which starts at
  :math:`C_{as} \ge C_{ms}`.

Between :math:`C_{ms}` and :math:`C_{as}` paths converge while the second moment blows up:
the iterates are heavy-tailed, so a sample mean of :math:`e_k^2` is no estimate of it.
"""

import itertools
import math

import numpy as np
from scipy import optimize

from .prediction import Prediction

REF = "Patel, arXiv:1709.04718"

#: Largest number of batches :func:`c_as` and :func:`batch_curvatures` enumerate.
MAX_BATCHES = 2_000_000


def _curvatures(q):
    q = np.asarray(q, dtype=float)
    if q.ndim != 1 or q.size < 1:
        raise ValueError(f"q must be a 1-D array of component curvatures, got shape {q.shape}")
    if not np.all(np.isfinite(q)):
        raise ValueError("q must be finite")
    if np.any(q < 0):
        raise ValueError(f"q must be >= 0 (curvatures at a minimiser), got min {q.min()}")
    if not q.mean() > 0:
        raise ValueError("q must have a positive mean curvature (qbar > 0)")
    return q


def _batch_size(batch_size, n):
    if int(batch_size) != batch_size or not 1 <= batch_size <= n:
        raise ValueError(f"batch_size must be an integer in [1, N = {n}], got {batch_size}")
    return int(batch_size)


def _rate(C):
    C = float(C)
    if not (C > 0 and math.isfinite(C)):
        raise ValueError(f"C must be a finite learning rate > 0, got {C}")
    return C


def _variance_factor(q, batch_size):
    """:math:`v (N - |B|) / (|B| (N - 1))`: the variance of a batch mean without replacement."""
    n = q.size
    if n == 1:
        return 0.0
    return q.var() * (n - batch_size) / (batch_size * (n - 1))


def batch_curvatures(q, batch_size, max_batches=MAX_BATCHES):
    r"""All batch-mean curvatures :math:`q_B = \frac{1}{|B|}\sum_{i \in B} q_i`, one per batch.

    Every batch of size :math:`|B|` drawn without replacement is equally likely, so the
    expectation over batches is the plain mean of the returned array.

    Parameters
    ----------
    q : array_like, shape (N,)
        Component curvatures, all >= 0.
    batch_size : int
        :math:`|B|`, in [1, N].
    max_batches : int
        Refuse to enumerate more than this many batches.

    Returns
    -------
    ndarray, shape (binom(N, |B|),)

    Raises
    ------
    ValueError
        If ``q`` or ``batch_size`` break the assumptions, or if there are more than
        ``max_batches`` batches (name: ``batch_size``).
    """
    q = _curvatures(q)
    b = _batch_size(batch_size, q.size)
    count = math.comb(q.size, b)
    if count > max_batches:
        raise ValueError(f"batch_size = {b} with N = {q.size} gives {count} batches, more than "
                         f"max_batches = {max_batches}: too many to enumerate")
    if b == 1:
        return q.copy()
    sums = np.fromiter((sum(c) for c in itertools.combinations(q.tolist(), b)),
                       dtype=float, count=count)
    return sums / b


def c_gd(q):
    r"""Gradient-descent threshold :math:`C_{GD} = 2/\bar q`.

    Full-batch GD multiplies the error by :math:`1 - C\bar q`, so it diverges iff
    :math:`C > 2/\bar q`.

    Parameters
    ----------
    q : array_like, shape (N,)
        Component curvatures, all >= 0 with a positive mean.

    Returns
    -------
    Prediction
        kind ``tight``.

    Examples
    --------
    >>> c_gd([0.2, 1.8]).value
    2.0
    """
    q = _curvatures(q)
    return Prediction(float(2.0 / q.mean()), "tight", REF, "quadratic finite sum, 1-D or commuting Q_i")


def second_moment_rate(q, batch_size, C):
    r"""Per-step growth factor of :math:`E e_k^2`: :math:`\rho = E(1 - C q_B)^2`.

    .. math::
        \rho = (1 - C \bar q)^2 + C^2 v \frac{N - |B|}{|B| (N - 1)},

    the second term being the variance of a batch mean drawn without replacement
    (:math:`v` is the population variance of ``q``). Since the batches are independent
    across steps, :math:`E e_k^2 = \rho^k e_0^2` exactly.

    Parameters
    ----------
    q : array_like, shape (N,)
    batch_size : int
    C : float
        Learning rate > 0.

    Returns
    -------
    Prediction
        kind ``tight``.

    Examples
    --------
    >>> round(second_moment_rate([0.2, 1.8], 1, 1.25).value, 10)
    1.0625
    """
    q = _curvatures(q)
    b = _batch_size(batch_size, q.size)
    C = _rate(C)
    rho = (1.0 - C * q.mean()) ** 2 + C**2 * _variance_factor(q, b)
    return Prediction(float(rho), "tight", REF,
                      "quadratic finite sum, batches iid across steps, without replacement")


def c_ms(q, batch_size):
    r"""Mean-square threshold :math:`C_{ms}`: :math:`E e_k^2` diverges iff :math:`C > C_{ms}`.

    Solving :math:`\rho(C) = 1` (see :func:`second_moment_rate`) for :math:`C > 0`:

    .. math::
        C_{ms} = \frac{2 \bar q}{\bar q^2 + v (N - |B|)/(|B| (N - 1))}.

    A full batch gives :math:`2/\bar q`; batch size 1 gives :math:`2\bar q / E q^2`.

    Parameters
    ----------
    q : array_like, shape (N,)
        Component curvatures, all >= 0 with a positive mean.
    batch_size : int
        In [1, N].

    Returns
    -------
    Prediction
        kind ``tight``.

    Examples
    --------
    >>> round(c_ms([0.2, 1.8], 1).value, 4)
    1.2195
    """
    q = _curvatures(q)
    b = _batch_size(batch_size, q.size)
    qbar = q.mean()
    return Prediction(float(2 * qbar / (qbar**2 + _variance_factor(q, b))), "tight", REF,
                      "quadratic finite sum, 1-D or commuting Q_i, batch without replacement")


def log_growth_rate(q, batch_size, C, max_batches=MAX_BATCHES):
    r"""Almost-sure growth rate :math:`\lim_k \frac1k \log|e_k| = E \log|1 - C q_B|`.

    The expectation is the mean over all batches (see :func:`batch_curvatures`); it is
    :math:`-\infty` when some batch has :math:`C q_B = 1` exactly.

    Returns
    -------
    Prediction
        kind ``tight`` (an exact Lyapunov exponent).
    """
    qb = batch_curvatures(q, batch_size, max_batches)
    C = _rate(C)
    with np.errstate(divide="ignore"):
        g = np.mean(np.log(np.abs(1.0 - C * qb)))
    return Prediction(float(g), "tight", REF, "quadratic finite sum, batches iid across steps")


def c_as(q, batch_size, max_batches=MAX_BATCHES):
    r"""Almost-sure threshold :math:`C_{as}`: the smallest :math:`C > 0` where
    :math:`g(C) = E \log|1 - C q_B|` reaches 0.

    By Jensen, :math:`g(C) \le \frac12 \log \rho(C) < 0` on :math:`(0, C_{ms})`, so the root
    lies at or above :math:`C_{ms}`. The expectation is exact: the mean over all
    :math:`\binom{N}{|B|}` batches, enumerated with ``itertools.combinations``.

    Parameters
    ----------
    q : array_like, shape (N,)
        Component curvatures, all >= 0 with a positive mean.
    batch_size : int
        In [1, N].
    max_batches : int
        Refuse to enumerate more batches than this.

    Returns
    -------
    Prediction
        kind ``tight``.

    Raises
    ------
    ValueError
        Bad ``q`` or ``batch_size``, or too many batches to enumerate.

    Notes
    -----
    :math:`g` is concave between consecutive poles :math:`1/q_B` (a sum of logs of affine
    functions of fixed sign) and tends to :math:`-\infty` at each pole. So each such
    interval holds zero or two roots, found with ``scipy.optimize.minimize_scalar`` (the
    maximum) and ``scipy.optimize.brentq`` (the rising root); the last, unbounded interval
    holds exactly one. A plain ``brentq`` over :math:`[C_{ms}, \infty)` was dropped because
    it can straddle a pole. Note that :math:`g` dips below 0 again near every pole above
    :math:`C_{as}` (a batch with :math:`C q_B = 1` kills the error in one step), so
    "diverges a.s. iff :math:`C > C_{as}`" holds away from those poles only.

    Examples
    --------
    >>> round(c_as([0.2, 1.8], 1).value, 4)
    1.3079
    """
    qb = batch_curvatures(q, batch_size, max_batches)
    ms = c_ms(q, batch_size).value
    valid = "quadratic finite sum, batches iid across steps; smallest root of E log|1 - C q_B|"
    if np.ptp(qb) <= 1e-14 * qb.max():  # every batch equal (full batch or equal q): GD
        return Prediction(float(2.0 / qb.mean()), "tight", REF, valid)

    def g(C):
        with np.errstate(divide="ignore"):
            return float(np.mean(np.log(np.abs(1.0 - C * qb))))

    poles = np.unique(1.0 / qb[qb > 0])
    edges = [ms] + [p for p in poles if p > ms] + [math.inf]
    for lo, hi in zip(edges[:-1], edges[1:]):
        if g(lo) == 0.0:
            return Prediction(float(lo), "tight", REF, valid)
        if not math.isfinite(g(lo)):  # lo is a pole: step just inside, where g is finite
            lo = lo * (1.0 + 1e-12)
            if lo >= hi:  # C_ms sat on a pole within rounding of the next one: no interval
                continue
        if math.isinf(hi):
            top = 2.0 * lo
            while g(top) <= 0:  # g -> +inf as C -> inf (g ~ log C)
                top *= 2.0
            return Prediction(optimize.brentq(g, lo, top, xtol=1e-14, rtol=1e-14), "tight",
                              REF, valid)
        # Concave on (lo, hi): find its maximum, then the rising root left of it.
        best = optimize.minimize_scalar(lambda C: -g(C), bounds=(lo, hi), method="bounded",
                                        options={"xatol": 1e-12 * hi})
        if -best.fun > 0:
            return Prediction(optimize.brentq(g, lo, best.x, xtol=1e-14, rtol=1e-14), "tight",
                              REF, valid)
    raise AssertionError("unreachable: g -> +inf on the last interval")  # pragma: no cover
