"""Quadratic landscapes."""

from dataclasses import dataclass, field

import numpy as np

from .. import _validate as V
from .._kernels import codes as C
from ._base import Landscape


@dataclass(frozen=True, eq=False)
class Quadratic(Landscape):
    r"""Quadratic :math:`f(x) = \tfrac12 (x - m)^T A (x - m)`, :math:`\nabla f = A (x - m)`.

    With a diagonal :math:`A = \mathrm{diag}(a)` this is
    :math:`\tfrac12 \sum_j a_j (x_j - m_j)^2`; the Hessian is :math:`A` everywhere.

    Parameters
    ----------
    curvature : float or array_like, shape (dim,) or (dim, dim)
        A scalar or a vector gives the diagonal curvatures :math:`a_j \ge 0`; a scalar
        works in any dimension (isotropic), and zero gives a flat landscape. A matrix is
        the full Hessian :math:`A`: symmetric (to ``1e-12`` of its largest entry) and
        positive semi-definite (eigenvalues ``>= -1e-12`` times the largest magnitude).
        A full matrix lowers to ``LAND_QUAD_FULL``, a diagonal one to ``LAND_QUADRATIC``.
    center : float or array_like, shape (dim,), default 0
        The minimiser :math:`m`.
    edges : (float, float), optional
        Basin edges ``(lo, hi)`` of coordinate 0, with ``lo < m_0 < hi``. They make
        :class:`simsgd.events.ExitBasin` available, as in Wang et al.'s exit problem
        (a quadratic basin of radius ``r`` on each side).

    Raises
    ------
    ValueError
        Negative diagonal curvatures, a non-square, non-symmetric or indefinite matrix,
        NaN or inf entries, a ``center`` of the wrong shape, or bad ``edges``.

    Examples
    --------
    >>> q = Quadratic(1.0, edges=(-0.5, 0.5))
    >>> q.grad(np.array([0.2])).tolist(), q.f_star
    ([0.2], 0.0)
    >>> Quadratic([[2.0, 1.0], [1.0, 2.0]]).grad(np.array([1.0, 0.0])).tolist()
    [2.0, 1.0]
    """

    curvature: object = 1.0
    center: object = 0.0
    edges: object = None
    _a: np.ndarray = field(init=False, repr=False)
    _m: np.ndarray = field(init=False, repr=False)

    def __post_init__(self):
        a = V.real_array("curvature", self.curvature, ndim=(0, 1, 2))
        m = V.real_array("center", self.center, ndim=(0, 1))
        if a.size == 0:
            raise ValueError("curvature must not be empty")
        if a.ndim == 2:
            _check_psd_matrix("curvature", a)
        else:
            V.real_array("curvature", a, lo=0.0)
        if a.ndim >= 1 and m.ndim == 1 and a.shape[0] != m.size:
            raise ValueError(f"center must have shape ({a.shape[0]},) to match curvature "
                             f"{a.shape}, got {m.shape}")
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
        if self._a.ndim == 2:
            return self._a.shape[0]
        for arr in (self._a, self._m):
            if arr.ndim == 1:
                return arr.size
        return None

    f_star = 0.0

    @property
    def full(self):
        """True when ``curvature`` is a full matrix (lowered to ``LAND_QUAD_FULL``)."""
        return self._a.ndim == 2

    @property
    def minima(self):
        """The centre :math:`m` (shape ``(1,)`` for a scalar centre, else ``(dim,)``)."""
        return np.atleast_1d(self._m).copy()

    def value(self, x):
        x = self._as_points(x)
        y = x - self._m
        if self.full:
            return 0.5 * np.einsum("...i,ij,...j->...", y, self._a, y)
        return 0.5 * np.sum(self._a * y**2, axis=-1)

    def grad(self, x):
        x = self._as_points(x)
        if self.full:
            return np.einsum("ij,...j->...i", self._a, x - self._m)
        return self._a * (x - self._m)

    def hess(self, x):
        """The constant Hessian :math:`A`, shape ``(..., dim, dim)``."""
        x = self._as_points(x)
        d = x.shape[-1]
        A = self._a if self.full else np.diag(np.broadcast_to(self._a, (d,)))
        return np.broadcast_to(A, x.shape[:-1] + (d, d)).copy()

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
        m = np.broadcast_to(self._m, (dim,))
        if self.full:
            p = np.concatenate([self._a.ravel(order="C"), m])
            return C.LAND_QUAD_FULL, p.astype(np.float64)
        a = np.broadcast_to(self._a, (dim,))
        return C.LAND_QUADRATIC, np.concatenate([a, m]).astype(np.float64)


def _check_psd_matrix(name, A):
    """Raise ``ValueError`` unless ``A`` is square, symmetric and positive semi-definite.

    Symmetry is checked to ``1e-12`` of the largest entry (room for a matrix built as
    :math:`Q D Q^T` in floating point); the eigenvalues of the symmetric part must be
    ``>= -1e-12`` times the largest eigenvalue magnitude.
    """
    if A.shape[0] != A.shape[1]:
        raise ValueError(f"{name} must be a square (dim, dim) matrix, got shape {A.shape}")
    scale = float(np.max(np.abs(A)))
    asym = float(np.max(np.abs(A - A.T)))
    if asym > 1e-12 * scale:
        raise ValueError(f"{name} must be symmetric: max |A - A^T| = {asym:.3g} exceeds "
                         f"1e-12 * max |A| = {1e-12 * scale:.3g}")
    eig = np.linalg.eigvalsh(0.5 * (A + A.T))
    emax = float(np.max(np.abs(eig)))
    if eig[0] < -1e-12 * emax:
        raise ValueError(f"{name} must be positive semi-definite: smallest eigenvalue "
                         f"{eig[0]:.6g} < 0")
