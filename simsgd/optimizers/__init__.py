r"""Optimisers as chains of small transforms (optax style).

The stochastic gradient ``g`` enters the chain; each transform maps the running vector
``v`` to a new one; the chain's output is the update ``u`` and ``x <- x + u``.

Order matters. ``clipped_sgd(eta, c) = chain(clip_by_norm(c), scale(eta))`` clips the
*gradient* at ``c`` (gradient units), then steps: ``x - eta clip_c(g)``.
``truncated_sgd(eta, b) = chain(scale(eta), truncate_update(b))`` scales first and then
projects the *update* on the ball of radius ``b`` (Wang et al.'s ``phi_b``):
``x + phi_b(-eta g)``. The two coincide when ``b = eta c``; they differ as soon as a
transform between them is not linear.

>>> import simsgd as sg
>>> sg.optimizers.truncated_sgd(0.01, 0.3)
chain(scale(eta=0.01), truncate_update(b=0.3))
"""

from dataclasses import dataclass

import numpy as np

from .. import _validate as V
from .._kernels import codes as C

__all__ = ["Transform", "Optimizer", "chain", "scale", "clip_by_norm", "clip_coordinates",
           "truncate_update", "sgd", "truncated_sgd", "clipped_sgd"]


@dataclass(frozen=True)
class Transform:
    """One step of a chain: a kernel code and its parameter."""

    name: str
    param_name: str
    value: float
    code: int

    def __repr__(self):
        return f"{self.name}({self.param_name}={self.value!r})"


@dataclass(frozen=True)
class Optimizer:
    """An ordered chain of transforms; build it with :func:`chain` or an alias."""

    transforms: tuple

    def __repr__(self):
        return "chain(" + ", ".join(map(repr, self.transforms)) + ")"

    def _lower(self):
        codes = [C.T_NONE] * C.N_SLOTS
        params = np.zeros(2 * C.N_SLOTS)
        for slot, t in enumerate(self.transforms):
            codes[slot] = t.code
            params[2 * slot] = t.value
        return tuple(codes), params

    def apply(self, g):
        """NumPy reference of the chain on gradients ``g`` of shape (n, dim)."""
        v = np.array(g, dtype=np.float64)
        for t in self.transforms:
            if t.code == C.T_SCALE:
                v = -t.value * v
            elif t.code == C.T_CLIP_COORD or (t.code == C.T_CLIP_NORM and v.shape[-1] == 1):
                v = np.clip(v, -t.value, t.value)
            elif t.code == C.T_CLIP_NORM:
                n2 = np.sum(v * v, axis=-1, keepdims=True)
                with np.errstate(divide="ignore"):
                    v = v * np.where(n2 > t.value ** 2, t.value / np.sqrt(n2), 1.0)
        return v


def chain(*transforms):
    """Compose transforms (or other chains) left to right."""
    flat = []
    for t in transforms:
        if isinstance(t, Optimizer):
            flat.extend(t.transforms)
        elif isinstance(t, Transform):
            flat.append(t)
        else:
            raise TypeError(f"chain takes simsgd.optimizers transforms, got {t!r}")
    if not flat:
        raise ValueError("chain needs at least one transform, e.g. scale(eta)")
    if len(flat) > C.N_SLOTS:
        raise ValueError(f"a chain holds at most {C.N_SLOTS} transforms, got {len(flat)}")
    return Optimizer(tuple(flat))


def scale(eta):
    """``v <- -eta v``: the step. ``eta > 0``."""
    return Transform("scale", "eta", V.positive("eta", eta), C.T_SCALE)


def clip_by_norm(c):
    """``v <- v min(1, c / ||v||)``: Euclidean-norm clipping at ``c > 0``."""
    return Transform("clip_by_norm", "c", V.positive("c", c), C.T_CLIP_NORM)


def clip_coordinates(c):
    """``v_j <- clamp(v_j, -c, c)`` for every coordinate; ``c > 0``."""
    return Transform("clip_coordinates", "c", V.positive("c", c), C.T_CLIP_COORD)


def truncate_update(b):
    """Wang et al.'s ``phi_b(w) = w min(1, b/||w||)`` on the update; put it after ``scale``."""
    return Transform("truncate_update", "b", V.positive("b", b), C.T_CLIP_NORM)


def sgd(eta):
    """Plain SGD, ``x <- x - eta g``."""
    return chain(scale(eta))


def truncated_sgd(eta, b):
    """Truncated SGD (Wang, Oh, Rhee 2022): ``x <- x + phi_b(-eta g)``.

    ``b`` is the longest step allowed; the whole update is truncated, not the noise.
    """
    return chain(scale(eta), truncate_update(b))


def clipped_sgd(eta, c):
    """Clipped SGD: ``x <- x - eta clip_c(g)``, gradient clipped to norm at most ``c``."""
    return chain(clip_by_norm(c), scale(eta))
