"""Mean exit times from right-censored simulations."""

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
