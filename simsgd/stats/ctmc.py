"""Generator of a continuous-time Markov chain from observed jumps and holding times."""

from dataclasses import dataclass

import numpy as np
from scipy import stats

from .estimate import InsufficientDataError


@dataclass(frozen=True)
class GeneratorEstimate:
    """Estimated generator with per-entry uncertainty; all arrays have shape (k, k).

    ``Q`` has rows summing to 0. ``se`` is the asymptotic SE; ``ci_low``/``ci_high`` are
    exact Poisson (Garwood) intervals for the off-diagonal rates and the total exit rate
    (negated on the diagonal, so ``ci_low <= Q <= ci_high`` entrywise).
    """

    Q: np.ndarray
    se: np.ndarray
    ci_low: np.ndarray
    ci_high: np.ndarray
    counts: np.ndarray
    holding_times: np.ndarray
    level: float


def ctmc_generator(transition_counts, holding_times, *, level=0.95):
    r"""Maximum-likelihood generator of a CTMC from jump counts and total holding times.

    .. math:: \hat q_{ij} = \frac{n_{ij}}{T_i}\ (i \ne j), \qquad
              \hat q_{ii} = -\sum_{j\ne i}\hat q_{ij}, \qquad
              \widehat{se}(\hat q_{ij}) = \frac{\sqrt{n_{ij}}}{T_i}

    where :math:`n_{ij}` counts jumps i -> j and :math:`T_i` is the total time spent in i.
    Given :math:`T_i`, :math:`n_{ij}` is Poisson with mean :math:`q_{ij} T_i` (the jumps out
    of i form a Poisson process in the chain's own clock), so the CI is the exact Garwood
    interval :math:`[\chi^2_{a/2}(2n)/(2T), \chi^2_{1-a/2}(2n+2)/(2T)]`, which is informative
    also when :math:`n_{ij} = 0`. It is exact when the observation window ends at a stopping
    rule independent of the rates, and asymptotic otherwise. In simsgd this estimates the
    limiting chain on the wide minima (THEORY.md §1, global dynamics) with time in steps
    (or rescaled by :math:`1/\lambda^*`).

    Parameters
    ----------
    transition_counts : array_like, shape (k, k)
        :math:`n_{ij}`, non-negative; the diagonal must be 0.
    holding_times : array_like, shape (k,)
        :math:`T_i > 0`.
    level : float

    Returns
    -------
    GeneratorEstimate

    Raises
    ------
    InsufficientDataError
        A state with no holding time (never visited: its row is unidentifiable).

    References
    ----------
    Albert, *Estimating the infinitesimal generator of a continuous time, finite state
    Markov process*, Ann. Math. Statist. 33 (1962). Garwood, Biometrika 28 (1936).

    Examples
    --------
    >>> g = ctmc_generator([[0, 4], [9, 0]], [2.0, 3.0])
    >>> g.Q.tolist()
    [[-2.0, 2.0], [3.0, -3.0]]
    """
    n = np.asarray(transition_counts, dtype=np.float64)
    t = np.asarray(holding_times, dtype=np.float64)
    if n.ndim != 2 or n.shape[0] != n.shape[1] or t.shape != (n.shape[0],):
        raise ValueError("transition_counts must be (k, k) and holding_times (k,)")
    if not (np.all(np.isfinite(n)) and np.all(np.isfinite(t))):
        raise ValueError("counts and holding times must be finite")
    if np.any(n < 0) or np.any(n != np.round(n)):
        raise ValueError("transition counts must be non-negative integers")
    if np.any(np.diag(n) != 0):
        raise ValueError("the diagonal of transition_counts must be 0 (no self-jumps)")
    if np.any(t < 0):
        raise ValueError("holding times must be non-negative")
    never = np.flatnonzero(t == 0)
    if never.size:
        raise InsufficientDataError(f"states {never.tolist()} have no holding time: "
                                    "their rates are unidentifiable")
    tt = t[:, None]
    q = n / tt
    se = np.sqrt(n) / tt
    a = 1 - level
    lo = np.where(n > 0, stats.chi2.ppf(a / 2, 2 * np.maximum(n, 1)), 0.0) / (2 * tt)
    hi = stats.chi2.ppf(1 - a / 2, 2 * n + 2) / (2 * tt)
    n_out = n.sum(axis=1)
    out_lo = np.where(n_out > 0, stats.chi2.ppf(a / 2, 2 * np.maximum(n_out, 1)), 0.0) / (2 * t)
    out_hi = stats.chi2.ppf(1 - a / 2, 2 * n_out + 2) / (2 * t)
    diag = np.diag_indices_from(q)
    q[diag] = -n_out / t
    se[diag] = np.sqrt(n_out) / t
    lo[diag], hi[diag] = -out_hi, -out_lo
    return GeneratorEstimate(q, se, lo, hi, n.astype(np.int64), t, level)
