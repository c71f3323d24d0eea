r"""Optimisers as chains of small transforms (optax style).

The stochastic gradient ``g`` enters the chain; each transform maps the running vector
``v`` to a new one; the chain's output is the update ``u`` and ``x <- x + u``. A chain
holds at most ``N_SLOTS = 6`` transforms. Every alias (``sgd``, ``sgdm``, ...) is only a
chain.

Transforms:

- steps: ``scale(eta)`` (``v <- -eta v``); schedules ``inverse_time``, ``cosine``,
  ``step_decay``, ``warmup``, ``schedule(etas)``; adaptive ``adagrad_norm``, ``polyak``
  and three readings of Yang's gradient-norm-adaptive rule, ``norm_ratio``, ``secant``,
  ``barzilai_borwein`` (our readings, not the paper's formula);
- shape: ``clip_by_norm``, ``clip_coordinates``, ``truncate_update``, ``normalize``,
  ``sign``, ``momentum``.

Where order matters:

- **Clip, then scale; or scale, then truncate.** ``clipped_sgd(eta, c) =
  chain(clip_by_norm(c), scale(eta))`` clips the *gradient* at ``c`` (gradient units),
  then steps: ``x - eta clip_c(g)``. ``truncated_sgd(eta, b) = chain(scale(eta),
  truncate_update(b))`` scales first and then projects the *update* on the ball of radius
  ``b`` (Wang et al.'s ``phi_b``, length units): ``x + phi_b(-eta g)``. With a constant
  step the two coincide when ``b = eta c``; they differ as soon as the step varies
  (a schedule, an adaptive rate) or a non-linear transform sits between them.
- **normalize and sign go before a step.** They throw the magnitude away, so whatever
  comes before them is lost: ``chain(scale(eta), sign())`` moves by 1 per coordinate
  whatever ``eta`` is. Write ``chain(sign(), scale(eta))`` (``signsgd``) and
  ``chain(normalize(), scale(eta))`` (``normalized_sgd``).
- **Momentum before or after clipping.** ``chain(clip_by_norm(c), momentum(beta),
  scale(eta))`` accumulates clipped gradients (the buffer can grow to ``c / (1 - beta)``);
  ``chain(momentum(beta), clip_by_norm(c), scale(eta))`` clips the buffer's output, so
  every step is at most ``eta c`` long. They are different algorithms.
- **Adaptive rates read the raw gradient.** ``adagrad_norm``, ``polyak``, ``norm_ratio``,
  ``secant`` and ``barzilai_borwein`` compute their rate from the raw stochastic
  gradient ``g`` of the step (and ``x``, ``f(x)``), wherever they sit, and multiply the
  running vector by ``-eta``. So ``chain(momentum(beta), norm_ratio())`` is SGD with
  momentum and the adaptive rate, and ``chain(sign(), norm_ratio())`` is signSGD with it.
  ``adagrad_norm(eta, b0, clip=c)`` accumulates the raw gradient clipped at ``c``; after
  ``clip_by_norm(c)`` that is Gaash et al.'s adaptive clipping (``adaptive_clipped_sgd``).

>>> import simsgd as sg
>>> sg.optimizers.truncated_sgd(0.01, 0.3)
chain(scale(eta=0.01), truncate_update(b=0.3))
>>> sg.optimizers.sgdm(0.1, 0.9)
chain(momentum(beta=0.9, nesterov=False), scale(eta=0.1))
>>> sg.optimizers.adaptive_sgd("bb", base="signsgd")
chain(sign(), barzilai_borwein(eta0=0.01))
"""

from ._core import Optimizer, Transform, chain
from ._reference import ChainReference
from .aliases import (adagrad_norm_sgd, adaptive_clipped_sgd, adaptive_sgd, clipped_sgd,
                      normalized_sgd, polyak_sgd, sgd, sgdm, signsgd, truncated_sgd)
from .transforms import (DEFAULT_ETA0, adagrad_norm, barzilai_borwein, clip_by_norm,
                         clip_coordinates, cosine, inverse_time, momentum, norm_ratio,
                         normalize, polyak, scale, schedule, secant, sign, step_decay,
                         truncate_update, warmup)

__all__ = [
    "Transform", "Optimizer", "ChainReference", "chain", "DEFAULT_ETA0",
    # transforms
    "scale", "clip_by_norm", "clip_coordinates", "truncate_update", "normalize", "sign",
    "momentum", "inverse_time", "cosine", "step_decay", "warmup", "schedule",
    "adagrad_norm", "polyak", "norm_ratio", "secant", "barzilai_borwein",
    # aliases
    "sgd", "truncated_sgd", "clipped_sgd", "normalized_sgd", "sgdm", "signsgd",
    "adagrad_norm_sgd", "adaptive_clipped_sgd", "polyak_sgd", "adaptive_sgd",
]
