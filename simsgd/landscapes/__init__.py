"""Landscapes: frozen specs of ``f`` with their gradient and theory metadata.

Each landscape knows its value and gradient (NumPy, for references and theory), its
critical points and basins where it has them, and lowers to a kernel code plus a
parameter vector (:meth:`Landscape._lower`), so a new instance never recompiles.

>>> import simsgd as sg
>>> mw = sg.landscapes.MultiWell([-2.05, -1.2, -0.9, -0.6, 0.2], lower=-3, upper=1.5)
>>> mw.minima.tolist(), mw.radii.round(2).tolist()
([-2.05, -0.9, 0.2], [0.85, 0.3, 0.8])
"""

from ._base import Landscape
from .quadratic import Quadratic
from .wells import DoubleWell, MultiWell

__all__ = ["Landscape", "Quadratic", "DoubleWell", "MultiWell"]
