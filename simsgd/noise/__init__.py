r"""Noise models: the law of :math:`\xi` in the stochastic gradient :math:`g = \nabla f(x) + \xi`.

Each model draws independently per coordinate and step from the trajectory's own
stream, knows its tail index (``tail_index``; ``inf`` for light tails) and its two-sided
tail :math:`H(z) = P(|\xi| > z)` where it is known in closed form, and lowers to a kernel
code plus parameters. THEORY.md's :math:`Z` is :math:`-\xi`; the laws here are symmetric
so the dynamics are the same.

>>> import simsgd as sg
>>> sg.noise.CompoundPareto(1.5, rate=0.001, w_min=20).H(100.0)  # = q (z / w_min)^-alpha
8.944271909999159e-05
"""

from dataclasses import dataclass

import numpy as np

from .. import _validate as V
from .._kernels import codes as C

__all__ = ["NoiseModel", "Gaussian", "Pareto", "CompoundPareto", "Clipped"]


class NoiseModel:
    """Base class. Subclasses define ``_lower()`` -> (code, [clip, a, b, c]) and ``_tail(z)``
    (the two-sided tail on an array)."""

    tail_index = np.inf

    def H(self, z):
        """Two-sided tail ``P(|xi| > z)``: a float for a scalar ``z``, else an array."""
        out = self._tail(np.asarray(z, dtype=float))
        return float(out) if np.ndim(out) == 0 else out

    def _tail(self, z):  # pragma: no cover - interface
        raise NotImplementedError(f"{type(self).__name__} has no closed-form tail")


@dataclass(frozen=True)
class Gaussian(NoiseModel):
    r"""Centred Gaussian noise, :math:`\xi_j \sim N(0, \sigma^2)` per coordinate.

    Drawn by Box-Muller from two uniforms per coordinate (the cosine branch).
    """

    sigma: float = 1.0

    def __post_init__(self):
        object.__setattr__(self, "sigma", V.real("sigma", self.sigma, lo=0.0))

    def _tail(self, z):
        from scipy.stats import norm

        return 2.0 * norm.sf(z, scale=self.sigma) if self.sigma else (z < 0).astype(float)

    def _lower(self):
        return C.NOISE_GAUSSIAN, [np.inf, self.sigma, 0.0, 0.0]


@dataclass(frozen=True)
class Pareto(NoiseModel):
    r"""Symmetric Pareto noise: :math:`|\xi| = s\,U^{-1/\alpha}`, random sign.

    :math:`P(|\xi| > z) = (z/s)^{-\alpha}` for :math:`z \ge s` (regularly varying with
    index :math:`-\alpha`, :math:`p_+ = p_- = 1/2`). ``U`` is uniform on (0, 1] with 53
    random bits, so the largest draw is :math:`s\,2^{53/\alpha}`.

    Parameters
    ----------
    alpha : float > 0
        Tail index. The mean exists for ``alpha > 1``; Wang et al.'s theorems need it.
    scale : float > 0, default 1
    """

    alpha: float
    scale: float = 1.0

    def __post_init__(self):
        object.__setattr__(self, "alpha", V.positive("alpha", self.alpha))
        object.__setattr__(self, "scale", V.positive("scale", self.scale))

    @property
    def tail_index(self):
        return self.alpha

    def _tail(self, z):
        return np.where(z >= self.scale, (np.maximum(z, self.scale) / self.scale) ** -self.alpha, 1.0)

    def _lower(self):
        return C.NOISE_PARETO, [np.inf, -1.0 / self.alpha, self.scale, 0.0]


@dataclass(frozen=True)
class CompoundPareto(NoiseModel):
    r"""Compound-Poisson Pareto noise: bulk-free heavy tails.

    Per step and coordinate, :math:`\xi = 0` with probability :math:`1 - q`, else a jump
    :math:`w_{min} U^{-1/\alpha}` with a random sign. Then
    :math:`H(z) = q\,(z/w_{min})^{-\alpha}` exactly for :math:`z \ge w_{min}`, which makes
    Wang et al.'s constants visible at practical step sizes (THEORY.md §1).

    Parameters
    ----------
    alpha : float > 0
    rate : float in (0, 1]
        The jump probability ``q``.
    w_min : float > 0
        The smallest jump.
    """

    alpha: float
    rate: float
    w_min: float

    def __post_init__(self):
        object.__setattr__(self, "alpha", V.positive("alpha", self.alpha))
        object.__setattr__(self, "rate", V.real("rate", self.rate, lo=0.0, hi=1.0, lo_open=True))
        object.__setattr__(self, "w_min", V.positive("w_min", self.w_min))

    @property
    def tail_index(self):
        return self.alpha

    def _tail(self, z):
        return np.where(z >= self.w_min,
                        self.rate * (np.maximum(z, self.w_min) / self.w_min) ** -self.alpha,
                        self.rate)

    def _lower(self):
        return C.NOISE_COMPOUND, [np.inf, -1.0 / self.alpha, self.rate, self.w_min]


@dataclass(frozen=True)
class Clipped(NoiseModel):
    r"""Clip the noise alone, coordinate-wise: :math:`\xi \mapsto \max(-c, \min(\xi, c))`.

    This is *not* Wang et al.'s truncation, which acts on the whole update (use
    :func:`simsgd.optimizers.truncated_sgd`). Workload W1 uses it: with step ``eta``,
    clipping ``eta Z`` at ``b`` is ``Clipped(Pareto(alpha), c=b/eta)``.
    """

    noise: NoiseModel
    c: float

    def __post_init__(self):
        if not isinstance(self.noise, NoiseModel) or isinstance(self.noise, Clipped):
            raise TypeError(f"noise must be an unclipped simsgd.noise model, got {self.noise!r}")
        object.__setattr__(self, "c", V.positive("c", self.c))

    @property
    def tail_index(self):
        return np.inf

    def _tail(self, z):
        return np.where(z < self.c, self.noise._tail(np.minimum(z, self.c)), 0.0)

    def _lower(self):
        code, p = self.noise._lower()
        return code, [self.c] + list(p[1:])
