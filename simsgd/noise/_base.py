r"""The :class:`NoiseModel` interface and the NumPy helpers shared by every law.

A model has four faces:

- ``tail_index`` and ``H(z)`` describe the law (for the theory and the statistics);
- ``_lower()`` -> ``(code, [clip, a, b, c, radial])`` hands it to the kernel, with the
  layout of :mod:`simsgd._kernels.codes` (``NOISE_P_LEN`` = 5 numbers);
- ``_numpy_draw(words, n)`` and ``_numpy_vector(words, n, dim)`` are its NumPy twin: the
  exact sampling formula the kernel implements, written with NumPy's (libm's) ``log``,
  ``exp``, ``pow``, ``sin`` and ``cos``. ``words()`` must return the next ``uint64`` array
  of shape ``(n,)`` of the per-path streams, e.g. ``lambda: next(stream)`` with
  ``stream = simsgd._kernels.rng.numpy_streams(seed, paths)``. The tests compare the
  kernel with these twins path by path.
"""

import numpy as np

from .._kernels import codes as C
from .._kernels.rng import numpy_u01

UNCLIPPED = np.inf


def params(code, a=0.0, b=0.0, c=0.0):
    """``(code, [clip, a, b, c, radial])`` of an unclipped per-coordinate law."""
    p = [UNCLIPPED, float(a), float(b), float(c), 0.0]
    assert len(p) == C.NOISE_P_LEN
    return code, p


def box_muller(words):
    r"""One standard normal from two words: :math:`\sqrt{-2\ln u_1}\cos(2\pi u_2)`."""
    u1 = numpy_u01(words())
    u2 = numpy_u01(words())
    return np.sqrt(-2.0 * np.log(u1)) * np.cos(2.0 * np.pi * u2)


class NoiseModel:
    """Base class of the noise models.

    Subclasses define ``_lower()``, ``_tail(z)`` (the two-sided tail on an array of
    ``z >= 0``), ``_numpy_draw(words, n)`` and the class attribute ``n_words`` (stream
    words consumed by one draw of the law). ``tail_index`` defaults to ``inf`` (light
    tails).
    """

    tail_index = np.inf
    n_words = 0

    def H(self, z):
        r"""Two-sided tail :math:`H(z) = P(|\xi| > z)`: a float for a scalar ``z``, else an array.

        ``H(z) = 1`` for ``z < 0``.
        """
        z = np.asarray(z, dtype=float)
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            tail = np.asarray(self._tail(np.maximum(z, 0.0)), dtype=float)
            out = np.where(z < 0.0, 1.0, tail)
        return float(out) if out.ndim == 0 else out

    def _tail(self, z):  # pragma: no cover - interface
        raise NotImplementedError(f"{type(self).__name__} has no closed-form tail")

    def _lower(self):  # pragma: no cover - interface
        raise NotImplementedError

    def _numpy_draw(self, words, n):  # pragma: no cover - interface
        """One coordinate for ``n`` paths, shape ``(n,)`` (NumPy twin of the kernel)."""
        raise NotImplementedError

    def _numpy_vector(self, words, n, dim):
        """One step of noise for ``n`` paths, shape ``(n, dim)`` (NumPy twin of the kernel).

        Per-coordinate laws draw coordinates ``0 .. dim-1`` in order, each with its own
        ``n_words`` words.
        """
        xi = np.empty((n, dim))
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            for j in range(dim):
                xi[:, j] = self._numpy_draw(words, n)
        return xi
