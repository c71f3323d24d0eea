r"""Noise models: the law of :math:`\xi` in the stochastic gradient :math:`g = \nabla f(x) + \xi`.

Per-coordinate laws (:mod:`.laws`) draw each coordinate independently per step from the
trajectory's own stream: :class:`Gaussian`, :class:`Pareto`, :class:`CompoundPareto`,
:class:`StudentT`, :class:`Stable` (symmetric :math:`\alpha`-stable) and
:class:`ShiftedExponential` (Exp(1) - 1, asymmetric). Wrappers (:mod:`.wrappers`):
:class:`Radial` makes a law isotropic (uniform direction times a radius :math:`|Z|`),
:class:`Clipped` clips the coordinates of the noise at ``c``.

Every model knows its tail index (``tail_index``; ``inf`` for light tails) and its
two-sided tail :math:`H(z) = P(|\xi| > z)` (for ``Radial``, the tail of the radius),
lowers to a kernel code plus parameters ``[clip, a, b, c, radial]``
(:mod:`simsgd._kernels.codes`), and has a NumPy twin of its sampler
(``_numpy_draw``/``_numpy_vector``) that the tests compare the kernel with.
THEORY.md's :math:`Z` is :math:`-\xi`; every symmetric law gives the same dynamics.

>>> import simsgd as sg
>>> sg.noise.CompoundPareto(1.5, rate=0.001, w_min=20).H(100.0)  # = q (z / w_min)^-alpha
8.944271909999159e-05
"""

from ._base import NoiseModel
from .laws import CompoundPareto, Gaussian, Pareto, ShiftedExponential, Stable, StudentT
from .wrappers import Clipped, Radial

__all__ = ["NoiseModel", "Gaussian", "Pareto", "CompoundPareto", "StudentT", "Stable",
           "ShiftedExponential", "Radial", "Clipped"]
