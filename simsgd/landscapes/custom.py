"""User-defined landscapes from numba-jitted value and gradient functions."""

import numbers
from dataclasses import dataclass

import numpy as np

from .. import _validate as V
from .._kernels import codes as C
from ._base import Landscape


def _jitted(name, fn):
    if not callable(fn) or not hasattr(fn, "py_func"):
        raise TypeError(f"{name} must be a numba-jitted function taking a float64[:] array; "
                        f"got {fn!r}: decorate it with @numba.njit")
    return fn


def _points(name, value, dim):
    """``value`` as a (k, dim) array of points (``None`` gives (0, dim))."""
    if value is None:
        return np.zeros((0, dim))
    arr = V.real_array(name, value, ndim=(1, 2))
    if arr.ndim == 1:
        if dim == 1:
            arr = arr[:, None]
        elif arr.size == dim:
            arr = arr[None, :]
    if arr.ndim != 2 or arr.shape[1] != dim:
        raise ValueError(f"{name} must have shape (k, {dim}) (one point per row), got "
                         f"{np.shape(value)}")
    return arr


@dataclass(frozen=True, eq=False, init=False)
class Custom(Landscape):
    r"""A landscape from user functions :math:`f` and :math:`\nabla f`, jitted with numba.

    ``value(x)`` must return :math:`f(x)` as a float and ``grad(x)`` a new float64 array
    of shape ``(dim,)``, for ``x`` a float64 array of length ``dim``; both must be
    ``@numba.njit`` functions, because the simulation kernel calls them per step. They are
    checked once at construction by calling them at ``np.zeros(dim)``.

    Compilation cost: the kernel cannot be shared with the built-in landscapes, so each
    user landscape costs one kernel compilation per process for every structure (noise,
    optimiser chain, stop rule, observer) it is simulated with: measured at 34 s on a
    busy 2-core machine (about 20 s when idle), because the kernel carries every phase
    of the general step. Those kernels are not cached on disk (numba cannot cache a
    function that calls another process's functions). The user's ``grad`` returns a new
    array per call, which bounds throughput (12 M steps/s measured in 2-D, against
    tens of millions for built-in landscapes). Reuse one ``Custom`` object (and one structure) for a
    parameter study, and pass parameters as data rather than new functions.

    Parameters
    ----------
    value : numba dispatcher
        :math:`f`: ``float64[:] -> float``.
    grad : numba dispatcher
        :math:`\nabla f`: ``float64[:] -> float64[:]`` of length ``dim``.
    dim : int
        The dimension, >= 1.
    hess : callable, optional
        :math:`\nabla^2 f`: ``float64[:] -> float64[:, :]`` of shape ``(dim, dim)`` (a
        plain Python function is fine; only NumPy code calls it). Without it, ``hess`` uses
        central differences of ``grad`` with steps :math:`\varepsilon^{1/3}\max(1, |x_j|)`
        (about 8 correct digits).
    minima, maxima : array_like, shape (k, dim), optional
        Known critical points (for observers such as ``Checkpoints``). In 1-D a flat
        sequence lists points; in ``dim > 1`` a flat sequence of length ``dim`` is one point.
    f_star : float, optional
        :math:`\inf f`. Default: the smallest value at ``minima``, or NaN when unknown.
    name : str, default "custom"

    Attributes
    ----------
    value_fn, grad_fn, hess_fn
        The user functions.

    Raises
    ------
    TypeError
        ``value`` or ``grad`` not numba-jitted, ``name`` not a string.
    ValueError
        ``grad(np.zeros(dim))`` not a float64 array of shape ``(dim,)``, ``value`` not a
        real number, bad ``dim``, ``minima``, ``maxima`` or ``f_star``.

    Examples
    --------
    >>> import numba
    >>> @numba.njit
    ... def f(x):
    ...     return 0.25 * x[0] ** 4
    >>> @numba.njit
    ... def df(x):
    ...     return x ** 3
    >>> land = Custom(f, df, dim=1, minima=[0.0])
    >>> land.grad(np.array([[2.0], [1.0]])).tolist(), land.f_star
    ([[8.0], [1.0]], 0.0)
    """

    value_fn: object
    grad_fn: object
    dim: int
    hess_fn: object
    minima: np.ndarray
    maxima: np.ndarray
    f_star: float
    name: str

    def __init__(self, value, grad, dim, hess=None, minima=None, maxima=None, f_star=None,
                 name="custom"):
        def put(attr, v):
            object.__setattr__(self, attr, v)  # frozen dataclass
        put("value_fn", _jitted("value", value))
        put("grad_fn", _jitted("grad", grad))
        dim = V.integer("dim", dim, lo=1)
        put("dim", dim)
        if hess is not None and not callable(hess):
            raise TypeError(f"hess must be a callable float64[:] -> float64[:, :], got {hess!r}")
        put("hess_fn", hess)
        if not isinstance(name, str):
            raise TypeError(f"name must be a string, got {name!r}")
        put("name", name)

        x = np.zeros(dim)
        g = self._call("grad", grad, x)
        if not (isinstance(g, np.ndarray) and g.dtype == np.float64 and g.shape == (dim,)):
            raise ValueError(f"grad must return a float64 array of shape ({dim},), got "
                             f"{type(g).__name__} {getattr(g, 'dtype', '')} "
                             f"{getattr(g, 'shape', '')} at x = np.zeros({dim})")
        f = self._call("value", value, x)
        if isinstance(f, (bool, np.bool_)) or not isinstance(f, numbers.Real):
            raise ValueError(f"value must return a real number, got {f!r} "
                             f"({type(f).__name__}) at x = np.zeros({dim})")
        if hess is not None:
            H = np.asarray(self._call("hess", hess, x))
            if H.shape != (dim, dim):
                raise ValueError(f"hess must return an array of shape ({dim}, {dim}), got "
                                 f"{H.shape} at x = np.zeros({dim})")

        put("minima", _points("minima", minima, dim))
        put("maxima", _points("maxima", maxima, dim))
        if f_star is None:
            f_star = float(np.min(self.value(self.minima))) if len(self.minima) else np.nan
        else:
            f_star = V.real("f_star", f_star)
        put("f_star", f_star)

    @staticmethod
    def _call(name, fn, x):
        try:
            return fn(x)
        except Exception as exc:  # numba typing errors, user exceptions
            raise ValueError(f"{name} failed at x = np.zeros({x.size}) (it must accept a "
                             f"float64[:] array of length {x.size}): "
                             f"{type(exc).__name__}: {exc}") from exc

    def _rows(self, x):
        x = self._as_points(x)
        if x.ndim == 0 or x.shape[-1] != self.dim:
            raise ValueError(f"x must have shape (..., {self.dim}), got {x.shape}")
        return x.shape[:-1], np.ascontiguousarray(x.reshape(-1, self.dim))

    def value(self, x):
        shape, rows = self._rows(x)
        out = np.array([self.value_fn(r) for r in rows], dtype=np.float64)
        return out.reshape(shape)

    def grad(self, x):
        shape, rows = self._rows(x)
        out = np.empty_like(rows)
        for i in range(rows.shape[0]):
            out[i] = self.grad_fn(rows[i])
        return out.reshape(shape + (self.dim,))

    def hess(self, x):
        """The user's Hessian, or central differences of ``grad``; shape ``(..., dim, dim)``."""
        shape, rows = self._rows(x)
        d = self.dim
        out = np.empty((rows.shape[0], d, d))
        for i in range(rows.shape[0]):
            if self.hess_fn is not None:
                out[i] = self.hess_fn(rows[i])
                continue
            for j in range(d):
                h = np.finfo(float).eps ** (1 / 3) * max(1.0, abs(rows[i, j]))
                e = np.zeros(d)
                e[j] = h
                out[i, :, j] = (self.grad_fn(rows[i] + e) - self.grad_fn(rows[i] - e)) / (2 * h)
        return out.reshape(shape + (d, d))

    def _lower(self, dim):
        return C.LAND_USER, np.zeros(1)
