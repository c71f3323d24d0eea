"""Double- and multi-well landscapes."""

from dataclasses import dataclass, field

import numpy as np

from .. import _validate as V
from .._kernels import codes as C
from ._base import Landscape, interval_of


@dataclass(frozen=True, eq=False)
class DoubleWell(Landscape):
    r"""Double well :math:`f(x) = (x_0^2 - 1)^2/4 + \tfrac12 \sum_{j>0} x_j^2`.

    Minima at :math:`\pm e_0` (curvature 2 along :math:`e_0`), a saddle at 0, and
    ``f* = 0``. The basins are the half-spaces ``x_0 < 0`` and ``x_0 > 0``.

    Parameters
    ----------
    dim : int, default 1
    """

    dim: int = 1

    def __post_init__(self):
        object.__setattr__(self, "dim", V.integer("dim", self.dim, lo=1))

    f_star = 0.0
    saddles = (0.0,)

    @property
    def minima(self):
        m = np.zeros((2, self.dim))
        m[:, 0] = (-1.0, 1.0)
        return m

    curvatures = (2.0, 2.0)
    radii = (1.0, 1.0)

    def value(self, x):
        x = self._as_points(x)
        return 0.25 * (x[..., 0] ** 2 - 1.0) ** 2 + 0.5 * np.sum(x[..., 1:] ** 2, axis=-1)

    def grad(self, x):
        x = self._as_points(x)
        g = x.copy()
        g[..., 0] = x[..., 0] ** 3 - x[..., 0]
        return g

    def hess(self, x):
        r"""Hessian :math:`\mathrm{diag}(3x_0^2 - 1, 1, \dots, 1)`, shape ``(..., dim, dim)``."""
        x = self._as_points(x)
        h = np.ones_like(x)
        h[..., 0] = 3.0 * x[..., 0] ** 2 - 1.0
        return h[..., None] * np.eye(x.shape[-1])

    basin_edges = (0.0,)

    def basin_interval(self, x0):
        return interval_of(x0, [0.0], "DoubleWell")

    def _lower(self, dim):
        return C.LAND_DOUBLEWELL, np.zeros(1)


@dataclass(frozen=True, eq=False)
class MultiWell(Landscape):
    r"""1-D polynomial well with :math:`f'(x) = \prod_i (x - c_i)`, iterates clamped.

    The critical points :math:`c_i` alternate between minima and maxima; the largest is
    a minimum (``f' > 0`` beyond it). ``f`` is the antiderivative with ``f(0) = 0``.
    Iterates are clamped to ``[lower, upper]`` after every step, as THEORY.md's
    example assumes, so a basin whose outer side is a domain bound can only be left
    through its neighbouring maximum.

    Parameters
    ----------
    critical_points : array_like, shape (n,)
        Distinct critical points, ``n >= 1``.
    lower, upper : float
        The clamp interval; it must contain every critical point strictly.

    Attributes
    ----------
    minima, maxima : ndarray
    basins : list of (float, float)
        For each minimum, its basin ``(left, right)``: the neighbouring maxima, or the
        domain bound where there is none.
    radii : ndarray
        Distance from each minimum to its nearest neighbouring maximum (Wang et al.'s
        ``r_i``; domain bounds are not basin edges).
    curvatures : ndarray
        ``f''`` at each minimum.
    f_star : float
        The smallest value of ``f`` at a minimum.
    """

    critical_points: object = (-1.0, 0.0, 1.0)
    lower: float = -np.inf
    upper: float = np.inf
    _c: np.ndarray = field(init=False, repr=False)

    def __post_init__(self):
        c = np.sort(V.real_array("critical_points", self.critical_points, ndim=1))
        if c.size == 0:
            raise ValueError("critical_points must contain at least one point")
        if np.any(np.diff(c) == 0):
            raise ValueError(f"critical_points must be distinct, got {c.tolist()}")
        lo = V.real("lower", self.lower, allow_inf=True)
        hi = V.real("upper", self.upper, allow_inf=True)
        if not lo < c[0] or not c[-1] < hi:
            raise ValueError(f"lower and upper must enclose the critical points strictly: "
                             f"lower={lo}, upper={hi}, critical_points={c.tolist()}")
        object.__setattr__(self, "_c", c)
        object.__setattr__(self, "lower", lo)
        object.__setattr__(self, "upper", hi)

    dim = 1

    @property
    def critical(self):
        return self._c.copy()

    def second_derivative(self, x):
        """``f''(x)`` by the product rule."""
        x = np.asarray(x, dtype=np.float64)
        diffs = x[..., None] - self._c
        total = np.zeros_like(x)
        for i in range(self._c.size):
            total = total + np.prod(np.delete(diffs, i, axis=-1), axis=-1)
        return total

    @property
    def _is_min(self):
        return self.second_derivative(self._c) > 0

    @property
    def minima(self):
        return self._c[self._is_min]

    @property
    def maxima(self):
        return self._c[~self._is_min]

    @property
    def basins(self):
        out = []
        for m in self.minima:
            left = self.maxima[self.maxima < m]
            right = self.maxima[self.maxima > m]
            out.append((left.max() if left.size else self.lower,
                        right.min() if right.size else self.upper))
        return out

    @property
    def radii(self):
        r = []
        for m in self.minima:
            d = np.abs(self.maxima - m)
            r.append(d.min() if d.size else np.inf)
        return np.array(r)

    @property
    def curvatures(self):
        return self.second_derivative(self.minima)

    @property
    def f_star(self):
        return float(np.min(self.value(self.minima)))

    def value(self, x):
        x = self._as_points(x)
        x = x[..., 0] if x.ndim and x.shape[-1:] == (1,) else x
        return np.polyval(np.polyint(np.poly(self._c)), x)

    def grad(self, x):
        x = self._as_points(x)
        return np.prod(x[..., None] - self._c, axis=-1)

    def hess(self, x):
        """``f''`` as a 1x1 Hessian: shape ``(..., 1, 1)`` for ``x`` of shape ``(..., 1)``."""
        x = self._as_points(x)
        return self.second_derivative(x)[..., None]

    @property
    def basin_edges(self):
        """The maxima: they separate the basins."""
        return self.maxima

    def basin_interval(self, x0):
        return interval_of(x0, self.maxima, "MultiWell")

    def basin_index(self, x):
        """Index (into ``minima``) of the basin containing each point of ``x``."""
        return np.searchsorted(self.maxima, np.asarray(x, dtype=np.float64))

    def _lower(self, dim):
        # the antiderivative's n + 2 coefficients follow, for f(x) in the kernel
        # (checkpoints, Polyak steps); the gradient reads only the first n + 3 numbers
        coef = np.polyint(np.poly(self._c))
        return C.LAND_MULTIWELL, np.concatenate([[self._c.size, self.lower, self.upper], self._c,
                                                 coef])
