"""Quadratic landscapes."""

from dataclasses import dataclass, field

import numpy as np

from .. import _validate as V
from .._kernels import codes as C
from ._base import Landscape


@dataclass(frozen=True, eq=False)
class Quadratic(Landscape):
    r"""Diagonal quadratic :math:`f(x) = \tfrac12 \sum_j a_j (x_j - m_j)^2`.

    Parameters
    ----------
    curvature : float or array_like, shape (dim,)
        The curvatures :math:`a_j \ge 0`. A scalar works in any dimension (isotropic);
        zero gives a flat landscape.
    center : float or array_like, shape (dim,), default 0
        The minimiser :math:`m`.
    edges : (float, float), optional
        Basin edges ``(lo, hi)`` of coordinate 0, with ``lo < m_0 < hi``. They make
        :class:`simsgd.events.ExitBasin` available, as in Wang et al.'s exit problem
        (a quadratic basin of radius ``r`` on each side).

    Examples
    --------
    >>> q = Quadratic(1.0, edges=(-0.5, 0.5))
    >>> q.grad(np.array([0.2])).tolist(), q.f_star
    ([0.2], 0.0)
    """

    curvature: object = 1.0
    center: object = 0.0
    edges: object = None
    _a: np.ndarray = field(init=False, repr=False)
    _m: np.ndarray = field(init=False, repr=False)

    def __post_init__(self):
        a = V.real_array("curvature", self.curvature, ndim=(0, 1), lo=0.0)
        m = V.real_array("center", self.center, ndim=(0, 1))
        if a.ndim == 1 and a.size == 0:
            raise ValueError("curvature must not be empty")
        if a.ndim == 1 and m.ndim == 1 and a.size != m.size:
            raise ValueError(f"center must have the shape of curvature {a.shape}, got {m.shape}")
        object.__setattr__(self, "_a", a)
        object.__setattr__(self, "_m", m)
        if self.edges is not None:
            try:
                lo, hi = self.edges
            except (TypeError, ValueError):
                raise TypeError(f"edges must be a pair (lo, hi), got {self.edges!r}") from None
            lo = V.real("edges[0]", lo, allow_inf=True)
            hi = V.real("edges[1]", hi, allow_inf=True)
            m0 = float(np.ravel(m)[0])
            if not lo < m0 < hi:
                raise ValueError(f"edges must satisfy lo < center[0] < hi, got {self.edges!r} "
                                 f"with center[0] = {m0}")
            object.__setattr__(self, "edges", (lo, hi))

    @property
    def dim(self):
        for arr in (self._a, self._m):
            if arr.ndim == 1:
                return arr.size
        return None

    f_star = 0.0

    @property
    def minima(self):
        return np.atleast_1d(self._m).copy()

    def value(self, x):
        x = self._as_points(x)
        return 0.5 * np.sum(self._a * (x - self._m) ** 2, axis=-1)

    def grad(self, x):
        x = self._as_points(x)
        return self._a * (x - self._m)

    @property
    def basin_edges(self):
        """``edges`` (the basin and the two regions outside it), or None."""
        return self.edges

    def basin_interval(self, x0):
        if self.edges is None:
            return super().basin_interval(x0)
        x0 = np.asarray(x0, dtype=np.float64)
        lo, hi = self.edges
        if np.any((x0 <= lo) | (x0 >= hi)):
            raise ValueError(f"x0 must lie strictly between the edges {self.edges} for ExitBasin")
        return np.full(x0.shape, lo), np.full(x0.shape, hi)

    def _lower(self, dim):
        a = np.broadcast_to(self._a, (dim,))
        m = np.broadcast_to(self._m, (dim,))
        return C.LAND_QUADRATIC, np.concatenate([a, m]).astype(np.float64)
