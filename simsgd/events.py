"""Stopping rules.

A stopping rule ends a path at the first step ``k >= 1`` at which ``x_k`` is outside its
region; the path is then ``EXITED`` with ``exit_step = k``.

>>> import simsgd as sg
>>> sg.events.Exit(upper=0.0)   # W1: stop at the first x_k > 0
Exit(lower=None, upper=0.0)
"""

from dataclasses import dataclass

import numpy as np

from . import _validate as V

__all__ = ["Exit", "ExitBasin"]


@dataclass(frozen=True)
class Exit:
    """Fires when coordinate 0 leaves ``[lower, upper]`` (``None``: unbounded side)."""

    lower: float = None
    upper: float = None

    def __post_init__(self):
        lo = -np.inf if self.lower is None else V.real("lower", self.lower, allow_inf=True)
        hi = np.inf if self.upper is None else V.real("upper", self.upper, allow_inf=True)
        if not lo < hi:
            raise ValueError(f"Exit needs lower < upper, got lower={self.lower}, upper={self.upper}")

    def _interval(self, landscape, x0):
        lo = -np.inf if self.lower is None else float(self.lower)
        hi = np.inf if self.upper is None else float(self.upper)
        n = x0.shape[0]
        return np.full(n, lo), np.full(n, hi)


@dataclass(frozen=True)
class ExitBasin:
    """Fires when the path leaves the basin in which it started (landscapes with basins).

    The basin is read from the landscape (``basin_interval``): between the neighbouring
    maxima of a MultiWell, a half-line of a DoubleWell, or a Quadratic's ``edges``.
    """

    def _interval(self, landscape, x0):
        lo, hi = landscape.basin_interval(x0[:, 0])
        return np.asarray(lo, dtype=np.float64), np.asarray(hi, dtype=np.float64)
