"""Landscapes: frozen specs of ``f`` with their gradient and theory metadata.

Each landscape knows its value and gradient (NumPy, for references and theory), its
critical points and basins where it has them, and lowers to a kernel code plus a
parameter vector (:meth:`Landscape._lower`), so a new instance never recompiles.

- quadratics: :class:`Quadratic` (diagonal or full matrix), :class:`StochasticQuadratic`
  (Patel's finite sum, batches without replacement);
- wells: :class:`DoubleWell`, :class:`MultiWell`, :class:`FiniteSumWells` (a 1-D
  interpolating finite sum with a sharp and a flat minimiser);
- the :math:`(L_0, L_1)` family, each with its declared ``l0l1``: :class:`Cosh`,
  :class:`Exp`, :class:`Quartic`, :class:`LogCosh`, :class:`Logistic`, and the negative
  control :class:`ExpSquare`;
- :class:`Custom`: user-defined, from numba-jitted ``value`` and ``grad``.

>>> import simsgd as sg
>>> mw = sg.landscapes.MultiWell([-2.05, -1.2, -0.9, -0.6, 0.2], lower=-3, upper=1.5)
>>> mw.minima.tolist(), mw.radii.round(2).tolist()
([-2.05, -0.9, 0.2], [0.85, 0.3, 0.8])
"""

from ._base import Landscape
from .custom import Custom
from .finite_sum import FiniteSumWells, StochasticQuadratic
from .l0l1 import Cosh, Exp, ExpSquare, Logistic, LogCosh, Quartic
from .quadratic import Quadratic
from .wells import DoubleWell, MultiWell

__all__ = ["Landscape", "Quadratic", "StochasticQuadratic", "FiniteSumWells", "DoubleWell",
           "MultiWell", "Cosh", "Exp", "Quartic", "LogCosh", "Logistic", "ExpSquare", "Custom"]
