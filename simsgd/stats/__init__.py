"""Estimators with uncertainty. Each returns an :class:`Estimate` and refuses data that
cannot support an answer (``InsufficientDataError``)."""

from .checkpoints import summarize_checkpoints
from .ctmc import GeneratorEstimate, ctmc_generator
from .estimate import Estimate, InsufficientDataError
from .exit_times import (ExponentialLawTest, SurvivalCurve, exponential_law_test,
                         exponential_mle, kaplan_meier, km_median, mean_exit_time,
                         restricted_mean)
from .proportions import HeavyTailWarning, heavy_tailed_mean, wilson
from .slopes import local_slopes, loglog_slope, loglog_slope_bootstrap
from .tail_index import hill, multi_m_tail_index
from .verdict import VERDICTS, exact, verdict

__all__ = ["Estimate", "InsufficientDataError", "mean_exit_time", "loglog_slope", "loglog_slope_bootstrap", "local_slopes",
           "verdict", "VERDICTS", "exact",
           "exponential_mle", "kaplan_meier", "km_median", "restricted_mean",
           "exponential_law_test", "SurvivalCurve", "ExponentialLawTest",
           "wilson", "heavy_tailed_mean", "HeavyTailWarning",
           "hill", "multi_m_tail_index",
           "ctmc_generator", "GeneratorEstimate", "summarize_checkpoints"]
