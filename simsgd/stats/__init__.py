"""Estimators with uncertainty. Each returns an :class:`Estimate` and refuses data that
cannot support an answer (``InsufficientDataError``)."""

from .estimate import Estimate, InsufficientDataError
from .exit_times import mean_exit_time
from .slopes import local_slopes, loglog_slope
from .verdict import VERDICTS, verdict

__all__ = ["Estimate", "InsufficientDataError", "mean_exit_time", "loglog_slope", "local_slopes",
           "verdict", "VERDICTS"]
