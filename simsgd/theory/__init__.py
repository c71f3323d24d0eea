"""Predictions from the papers, one module per line of work. Each returns a
:class:`Prediction` and depends only on numpy and scipy."""

from . import heavy_tails, l0l1, levy, patel
from .prediction import KINDS, Prediction

__all__ = ["Prediction", "KINDS", "heavy_tails", "l0l1", "levy", "patel"]
