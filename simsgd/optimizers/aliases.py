"""Named optimisers: each is only a chain of transforms."""

import math

from .. import _validate as V
from ._core import chain, choice
from .transforms import (DEFAULT_ETA0, adagrad_norm, barzilai_borwein, clip_by_norm, momentum,
                         norm_ratio, normalize, polyak, scale, secant, sign, truncate_update)


def sgd(eta):
    """Plain SGD, ``x <- x - eta g``: ``chain(scale(eta))``."""
    return chain(scale(eta))


def truncated_sgd(eta, b):
    """Truncated SGD (Wang, Oh, Rhee 2022): ``x <- x + phi_b(-eta g)``.

    ``chain(scale(eta), truncate_update(b))``: ``b`` is the longest step allowed; the whole
    update is truncated, not the noise.
    """
    return chain(scale(eta), truncate_update(b))


def clipped_sgd(eta, c):
    """Clipped SGD, ``x <- x - eta clip_c(g)``: ``chain(clip_by_norm(c), scale(eta))``,
    the gradient clipped to norm at most ``c``."""
    return chain(clip_by_norm(c), scale(eta))


def normalized_sgd(eta, eps=0.0):
    """Normalised SGD, ``x <- x - eta g / (||g|| + eps)``: ``chain(normalize(eps), scale(eta))``."""
    return chain(normalize(eps), scale(eta))


def sgdm(eta, beta, nesterov=False):
    """SGD with heavy-ball momentum: ``chain(momentum(beta, nesterov), scale(eta))``, i.e.
    ``m <- beta m + g``, ``x <- x - eta m`` (or ``x - eta (g + beta m)`` with nesterov)."""
    return chain(momentum(beta, nesterov), scale(eta))


def signsgd(eta):
    """signSGD, ``x <- x - eta sign(g)``: ``chain(sign(), scale(eta))``."""
    return chain(sign(), scale(eta))


def adagrad_norm_sgd(eta, b0):
    """AdaGrad-Norm SGD (Ward et al.): ``chain(adagrad_norm(eta, b0))``."""
    return chain(adagrad_norm(eta, b0))


def adaptive_clipped_sgd(eta, b0, c):
    r"""Gaash et al.'s adaptive clipping, one sample per step: ``chain(clip_by_norm(c),
    adagrad_norm(eta, b0, clip=c))``.

    .. math:: v_k = \min(1, c/\|g_k\|)\,g_k, \quad
              b_k^2 = b_0^2 + \sum_{s \le k} \|v_s\|^2, \quad
              x_{k+1} = x_k - (\eta / b_k)\, v_k.

    The step length ``eta ||v_k|| / b_k`` never exceeds ``eta``. (Their code draws a second
    sample for the clipping factor; here the factor is that of the step's own gradient.)

    >>> import simsgd as sg
    >>> sg.optimizers.adaptive_clipped_sgd(10.0, 0.03, 5.0)
    chain(clip_by_norm(c=5.0), adagrad_norm(eta=10.0, b0=0.03, clip=5.0))
    """
    return chain(clip_by_norm(c), adagrad_norm(eta, b0, clip=c))


def polyak_sgd(f_star, eta_max=math.inf):
    """SGD with Polyak's step: ``chain(polyak(f_star, eta_max))``."""
    return chain(polyak(f_star, eta_max))


_RULES = {"norm_ratio": norm_ratio, "secant": secant, "bb": barzilai_borwein}
_BASES = ("sgd", "sgdm", "signsgd")


def adaptive_sgd(rule="norm_ratio", eta0=DEFAULT_ETA0, base="sgd", beta=0.9):
    """Yang's gradient-norm-adaptive rate (one of our three readings, not the paper's
    formula) on SGD, SGD with momentum or signSGD.

    ``rule`` is ``"norm_ratio"``, ``"secant"`` or ``"bb"`` (Barzilai-Borwein), with initial
    step ``eta0`` (default 0.01). ``base="sgd"`` gives ``chain(rule)``, ``"sgdm"`` gives
    ``chain(momentum(beta), rule)`` and ``"signsgd"`` gives ``chain(sign(), rule)``; the
    rule reads the raw gradient whatever comes before it. ``beta`` must be in ``[0, 1)`` whatever
    the base; only ``base="sgdm"`` uses it.
    """
    rule = choice("rule", rule, tuple(_RULES))
    base = choice("base", base, _BASES)
    beta = V.real("beta", beta, lo=0.0, hi=1.0, hi_open=True)
    step = _RULES[rule](eta0)
    if base == "sgdm":
        return chain(momentum(beta), step)
    if base == "signsgd":
        return chain(sign(), step)
    return chain(step)

