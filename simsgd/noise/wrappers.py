r"""Wrappers that change how a law is applied: :class:`Radial` and :class:`Clipped`."""

from dataclasses import dataclass

import numpy as np

from .. import _validate as V
from ._base import NoiseModel, box_muller

__all__ = ["Radial", "Clipped"]


@dataclass(frozen=True)
class Radial(NoiseModel):
    r"""Isotropic version of a law: a uniform direction times a radius :math:`|Z|`.

    :math:`\xi = |Z|\,\theta` with :math:`\theta` uniform on the unit sphere
    :math:`S^{d-1}` and, independently, :math:`Z` drawn once per step from ``noise``.
    So :math:`\|\xi\| = |Z|`, and ``H(z)`` and ``tail_index`` are those of the wrapped
    law: :math:`H(z) = P(\|\xi\| > z) = P(|Z| > z)` (the law of the radius, not of one
    coordinate). In 1-D, :math:`\xi = \pm|Z|` with a fair sign.

    Sampling, per step: first ``d`` standard normals, two words each (Box-Muller, cosine
    branch), then one draw of ``Z`` with the wrapped law's own words::

        n_j = sqrt(-2 log u1) * cos(2 pi u2)       for j = 0 .. d-1
        Z   = one draw of ``noise``
        xi  = |Z| * n / ||n||                      ||n|| = sqrt(n_0^2 + ... + n_{d-1}^2)

    which consumes ``2 d + noise.n_words`` words. (``||n|| = 0`` needs every
    :math:`u_1 = 1`, probability :math:`2^{-53 d}`; the formula then gives NaN.)

    It lowers to the wrapped law's code and parameters with ``radial = 1``. Wrap it in
    :class:`Clipped` to clip the coordinates of :math:`\xi`; a clipped law cannot be made
    radial (``Radial(Clipped(...))`` raises).

    Parameters
    ----------
    noise : NoiseModel
        The law of ``Z``: any per-coordinate model (not ``Radial`` or ``Clipped``).

    Examples
    --------
    >>> from simsgd.noise import Pareto
    >>> Radial(Pareto(1.5)).tail_index
    1.5
    """

    noise: NoiseModel

    def __post_init__(self):
        if not isinstance(self.noise, NoiseModel) or isinstance(self.noise, (Radial, Clipped)):
            raise TypeError("noise must be a per-coordinate simsgd.noise model (not Radial or "
                            f"Clipped; use Clipped(Radial(...), c) to clip), got {self.noise!r}")

    @property
    def n_words(self):
        """Words of the wrapped law; the direction adds ``2 d`` more per step."""
        return self.noise.n_words

    @property
    def tail_index(self):
        return self.noise.tail_index

    def _tail(self, z):
        return self.noise._tail(z)

    def _lower(self):
        code, p = self.noise._lower()
        p = list(p)
        p[4] = 1.0
        return code, p

    def _numpy_draw(self, words, n):
        return self._numpy_vector(words, n, 1)[:, 0]

    def _numpy_vector(self, words, n, dim):
        nrm = np.empty((n, dim))
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            for j in range(dim):
                nrm[:, j] = box_muller(words)
            z = self.noise._numpy_draw(words, n)
            s = nrm[:, 0] * nrm[:, 0]
            for j in range(1, dim):  # summed in coordinate order
                s = s + nrm[:, j] * nrm[:, j]
            return np.abs(z)[:, None] * nrm / np.sqrt(s)[:, None]


@dataclass(frozen=True)
class Clipped(NoiseModel):
    r"""Clip the noise alone, coordinate-wise: :math:`\xi_j \mapsto \max(-c, \min(\xi_j, c))`.

    This is *not* Wang et al.'s truncation, which acts on the whole update (use
    :func:`simsgd.optimizers.truncated_sgd`). Workload W1 uses it: with step ``eta``,
    clipping ``eta Z`` at ``b`` is ``Clipped(Pareto(alpha), c=b/eta)``. Around a
    :class:`Radial` law it clips the coordinates of the isotropic vector.

    Sampling: the wrapped model's draw (same words), then ``np.clip(xi, -c, c)``. It
    lowers to the wrapped model's code and parameters with ``clip = c``.

    For a per-coordinate law, :math:`H(z) = H_{noise}(z)` for :math:`z < c` and 0 for
    :math:`z \ge c` (the mass beyond ``c`` sits at :math:`\pm c`). Around ``Radial``,
    ``H`` would depend on the dimension and raises ``NotImplementedError``.
    ``tail_index`` is ``inf``.

    Parameters
    ----------
    noise : NoiseModel
        Any model except another ``Clipped``.
    c : float > 0
        The clip level, in gradient units.
    """

    noise: NoiseModel
    c: float

    def __post_init__(self):
        if not isinstance(self.noise, NoiseModel) or isinstance(self.noise, Clipped):
            raise TypeError(f"noise must be an unclipped simsgd.noise model, got {self.noise!r}")
        object.__setattr__(self, "c", V.positive("c", self.c))

    @property
    def n_words(self):
        return self.noise.n_words

    @property
    def tail_index(self):
        return np.inf

    def _tail(self, z):
        if isinstance(self.noise, Radial):
            raise NotImplementedError("H of Clipped(Radial(...)) depends on the dimension and "
                                      "has no closed form")
        return np.where(z < self.c, self.noise._tail(np.minimum(z, self.c)), 0.0)

    def _lower(self):
        code, p = self.noise._lower()
        return code, [self.c] + list(p[1:])

    def _numpy_draw(self, words, n):
        return np.clip(self.noise._numpy_draw(words, n), -self.c, self.c)

    def _numpy_vector(self, words, n, dim):
        return np.clip(self.noise._numpy_vector(words, n, dim), -self.c, self.c)
