"""The landscape interface."""

import numpy as np


class Landscape:
    """Base class of landscape specs.

    Subclasses define ``value(x)`` and ``grad(x)`` on arrays of shape ``(..., dim)``,
    ``hess(x)`` (shape ``(..., dim, dim)``), ``dim`` (``None`` when any dimension works),
    ``minima``, ``f_star``, and ``_lower(dim)``, which returns the kernel code and a
    float64 parameter vector laid out as ``simsgd._kernels.codes`` documents. Landscapes
    with basins also define ``basin_interval(x0)``: the interval of coordinate 0 whose
    leaving ends the basin that contains each start point. Landscapes with declared
    :math:`(L_0, L_1)`-smoothness constants expose them as ``l0l1``.
    """

    dim = None
    basin_edges = None  #: sorted edges of the basins of coordinate 0, or None
    l0l1 = None  #: declared (L0, L1) constants, or None when none are declared

    def value(self, x):  # pragma: no cover - interface
        raise NotImplementedError

    def grad(self, x):  # pragma: no cover - interface
        raise NotImplementedError

    def hess(self, x):  # pragma: no cover - interface
        raise NotImplementedError

    def _lower(self, dim):  # pragma: no cover - interface
        raise NotImplementedError

    def basin_interval(self, x0):
        """Per-path ``(lo, hi)`` bounds of coordinate 0 for :class:`simsgd.events.ExitBasin`."""
        raise ValueError(
            f"{type(self).__name__} has no basins; ExitBasin needs a landscape with basin "
            "edges (DoubleWell, MultiWell, or Quadratic(..., edges=(lo, hi)))"
        )

    @staticmethod
    def _as_points(x):
        return np.asarray(x, dtype=np.float64)


def interval_of(x0, edges, name):
    """For each value of ``x0`` (1-D), the open interval between consecutive ``edges``.

    ``edges`` is sorted; the outermost intervals extend to -inf and +inf. A start point
    exactly on an edge is ambiguous and raises ``ValueError``.
    """
    edges = np.asarray(edges, dtype=np.float64)
    if np.any(np.isin(x0, edges)):
        raise ValueError(f"x0 lies exactly on a basin edge of {name} (edges {edges.tolist()}); "
                         "move it inside a basin")
    full = np.concatenate([[-np.inf], edges, [np.inf]])
    idx = np.searchsorted(edges, x0)
    return full[idx], full[idx + 1]
