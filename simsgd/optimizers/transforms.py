"""The transforms: each validates its parameters and returns a frozen :class:`Transform`.

"g" is the raw stochastic gradient of the step, "v" the running vector of the chain.
"""

import math

from .. import _validate as V
from .._kernels import codes as C
from ._core import Transform, flag

DEFAULT_ETA0 = 0.01  # initial step of the three readings of Yang's rule


# --- stateless --------------------------------------------------------------------------

def scale(eta):
    """``v <- -eta v``: the step, ``eta > 0``."""
    eta = V.positive("eta", eta)
    return Transform("scale", (("eta", eta),), C.T_SCALE, (eta,))


def clip_by_norm(c):
    """``v <- v min(1, c / ||v||)``: Euclidean-norm clipping at ``c > 0``.

    Rescales by ``c / ||v||`` only when ``||v||^2 > c^2 (1 + 2^-36)``; in 1-D it is the
    clamp to ``[-c, c]``. The slack (norms within 7.3e-12 relative of ``c`` count as at
    the limit) absorbs the rounding of a clipped vector's norm, so clipping twice equals
    clipping once bit for bit, and ``||u|| <= c (1 + 7.3e-12)``.
    """
    c = V.positive("c", c)
    return Transform("clip_by_norm", (("c", c),), C.T_CLIP_NORM, (c,))


def clip_coordinates(c):
    """``v_j <- clamp(v_j, -c, c)`` for every coordinate; ``c > 0``."""
    c = V.positive("c", c)
    return Transform("clip_coordinates", (("c", c),), C.T_CLIP_COORD, (c,))


def truncate_update(b):
    """Wang et al.'s ``phi_b(w) = w min(1, b/||w||)`` on the update; put it after the step.

    The same kernel operation as :func:`clip_by_norm`, named for its place in the chain:
    ``b > 0`` is the longest step allowed.
    """
    b = V.positive("b", b)
    return Transform("truncate_update", (("b", b),), C.T_CLIP_NORM, (b,))


def normalize(eps=0.0):
    """``v <- v / (||v|| + eps)``; ``v = 0`` stays 0. ``eps >= 0``; put it before a step."""
    eps = V.real("eps", eps, lo=0.0)
    return Transform("normalize", (("eps", eps),), C.T_NORMALIZE, (eps,))


def sign():
    """``v_j <- sign(v_j)`` in ``{-1, 0, 1}``; put it before a step."""
    return Transform("sign", (), C.T_SIGN)


# --- momentum ---------------------------------------------------------------------------

def momentum(beta, nesterov=False):
    """Heavy ball: ``m <- beta m + v``, then ``v <- m`` (or ``v + beta m`` if nesterov).

    ``beta`` in ``[0, 1)``; ``m`` starts at 0 (state: ``dim`` rows). ``momentum(0)`` is
    the identity.
    """
    beta = V.real("beta", beta, lo=0.0, hi=1.0, hi_open=True)
    nesterov = flag("nesterov", nesterov)
    return Transform("momentum", (("beta", beta), ("nesterov", nesterov)), C.T_MOMENTUM,
                     (beta, 1.0 if nesterov else 0.0), state=(1, 0))


# --- schedules: v <- -eta_k v with k = steps already taken (0 at the first step) -----

def inverse_time(eta, t0):
    """``eta_k = eta / (1 + k / t0)``; ``eta > 0``, ``t0 > 0``."""
    eta, t0 = V.positive("eta", eta), V.positive("t0", t0)
    return Transform("inverse_time", (("eta", eta), ("t0", t0)), C.T_SCHEDULE,
                     (C.SCHED_INVERSE_TIME, eta, t0, 0.0))


def cosine(eta, n_steps, eta_min=0.0):
    """``eta_k = eta_min + (eta - eta_min)(1 + cos(pi min(k, n_steps) / n_steps)) / 2``.

    ``eta > 0``, integer ``n_steps >= 1``, ``0 <= eta_min <= eta``; ``eta_min`` holds after
    ``n_steps``.
    """
    eta = V.positive("eta", eta)
    n_steps = V.integer("n_steps", n_steps, lo=1)
    eta_min = V.real("eta_min", eta_min, lo=0.0, hi=eta)
    return Transform("cosine", (("eta", eta), ("n_steps", n_steps), ("eta_min", eta_min)),
                     C.T_SCHEDULE, (C.SCHED_COSINE, eta, n_steps, eta_min))


def step_decay(eta, every, gamma):
    """``eta_k = eta gamma^floor(k / every)``; ``eta > 0``, integer ``every >= 1``,
    ``gamma`` in ``(0, 1]``."""
    eta = V.positive("eta", eta)
    every = V.integer("every", every, lo=1)
    gamma = V.real("gamma", gamma, lo=0.0, lo_open=True, hi=1.0)
    return Transform("step_decay", (("eta", eta), ("every", every), ("gamma", gamma)),
                     C.T_SCHEDULE, (C.SCHED_STEP, eta, every, gamma))


def warmup(eta, n_warmup):
    """Linear warm-up: ``eta_k = eta min(1, (k + 1) / n_warmup)``; integer ``n_warmup >= 1``."""
    eta = V.positive("eta", eta)
    n_warmup = V.integer("n_warmup", n_warmup, lo=1)
    return Transform("warmup", (("eta", eta), ("n_warmup", n_warmup)), C.T_SCHEDULE,
                     (C.SCHED_WARMUP, eta, n_warmup, 0.0))


def schedule(etas):
    """A precomputed schedule: ``eta_k = etas[min(k, len(etas) - 1)]``.

    ``etas`` is a non-empty 1-D array of finite numbers ``> 0``; its last value holds after
    its end. The values travel as data appended to the kernel's parameter vector.
    """
    arr = V.real_array("etas", etas, ndim=1, lo=0.0, lo_open=True)
    if arr.size == 0:
        raise ValueError("etas must be non-empty (at least one learning rate)")
    data = tuple(float(e) for e in arr)
    return Transform("schedule", (("etas", data),), C.T_SCHEDULE,
                     (C.SCHED_ARRAY, 0.0, 0.0, 0.0), data=data)


# --- adaptive steps: they read the raw gradient g and scale the running v -------------

def adagrad_norm(eta, b0, clip=math.inf):
    """AdaGrad-Norm (Ward, Wu, Bottou 2019): ``b_k^2 = b_{k-1}^2 + min(||g_k||^2, clip^2)``,
    ``v <- -(eta / b_k) v``.

    ``b^2`` starts at ``b0^2`` (``eta > 0``, ``b0 > 0``), so the rate ``eta / b_k`` never
    increases. ``clip > 0`` (default ``inf``: plain AdaGrad-Norm) accumulates the squared
    norm of the gradient clipped at ``clip``, i.e. ``min(1, clip/||g||)^2 ||g||^2``: after
    ``clip_by_norm(clip)`` this is Gaash et al.'s adaptive clipping (see
    :func:`~simsgd.optimizers.adaptive_clipped_sgd`). A squared norm that overflowed stays
    inf, so the rate is NaN and the path DIVERGED, clipped or not. State: 1 row (``b^2``).
    """
    eta, b0 = V.positive("eta", eta), V.positive("b0", b0)
    clip = V.positive("clip", clip, allow_inf=True)
    params = (("eta", eta), ("b0", b0)) + ((("clip", clip),) if math.isfinite(clip) else ())
    return Transform("adagrad_norm", params, C.T_ADAGRAD_NORM, (eta, b0, clip), state=(0, 1))


def polyak(f_star, eta_max=math.inf):
    """Polyak's step: ``eta = min(max((f(x) - f_star) / ||g||^2, 0), eta_max)``, 0 if
    ``g = 0``; ``v <- -eta v``.

    ``f_star`` is the (finite) optimal value, ``eta_max > 0`` a cap (``inf`` allowed).
    """
    f_star = V.real("f_star", f_star)
    eta_max = V.positive("eta_max", eta_max, allow_inf=True)
    return Transform("polyak", (("f_star", f_star), ("eta_max", eta_max)), C.T_POLYAK,
                     (f_star, eta_max))


def norm_ratio(eta0=DEFAULT_ETA0):
    """Yang's gradient-norm-adaptive rate, norm-ratio reading (our reading, not the paper's
    formula): ``eta_k = eta_{k-1} ||g_{k-1}|| / ||g_k||``, ``v <- -eta_k v``.

    This keeps the step length ``eta_k ||g_k||`` at ``eta0 ||g_0||``: with nothing else in
    the chain it is normalised SGD in disguise, with step ``eta0 ||g_0||``.

    ``eta_0 = eta0`` at the first step (``k = 0``; default 0.01). Safeguards: when
    ``||g_k|| = 0`` the previous ``eta`` is kept and ``||g_k||`` is not remembered, so the
    ratio always uses the last *non-zero* norm (``||g_{k-1}|| = 0`` once made ``eta`` 0
    for ever after); with ``||g_0|| = 0`` the step length is set by the first non-zero
    gradient. A gradient whose squared norm overflows makes ``eta`` NaN, so the path is
    DIVERGED. It reads the raw gradient ``g``, not the
    running vector, so ``chain(momentum(beta), norm_ratio())`` is SGD with momentum and the
    adaptive rate. State: 2 rows (``eta``, ``||g||``).
    """
    eta0 = V.positive("eta0", eta0)
    return Transform("norm_ratio", (("eta0", eta0),), C.T_NORM_RATIO, (eta0,), state=(0, 2))


def secant(eta0=DEFAULT_ETA0):
    """Yang's rule, scalar quasi-Newton (secant) reading (our reading, not the paper's
    formula): ``eta_k = ||x_k - x_{k-1}|| / ||g_k - g_{k-1}||``, ``v <- -eta_k v``.

    On a quadratic with exact gradients it is the inverse curvature along the last step.
    ``eta_0 = eta0`` at the first step (``k = 0``; default 0.01). Safeguards: the previous
    ``eta`` is kept when ``||g_k - g_{k-1}|| = 0`` or the ratio is not finite. Reads the raw
    gradient ``g``. State: ``2 dim + 1`` rows (``x_prev``, ``g_prev``, ``eta``).
    """
    eta0 = V.positive("eta0", eta0)
    return Transform("secant", (("eta0", eta0),), C.T_SECANT, (eta0,), state=(2, 1))


def barzilai_borwein(eta0=DEFAULT_ETA0):
    """Yang's rule, Barzilai-Borwein reading (our reading, not the paper's formula):
    ``eta_k = ||s||^2 / <s, y>`` with ``s = x_k - x_{k-1}``, ``y = g_k - g_{k-1}``;
    ``v <- -eta_k v``.

    ``eta_0 = eta0`` at the first step (``k = 0``; default 0.01). Safeguards: the previous
    ``eta`` is kept when ``<s, y> <= 0`` or the ratio is not finite. Reads the raw gradient
    ``g``. State: ``2 dim + 1`` rows (``x_prev``, ``g_prev``, ``eta``).
    """
    eta0 = V.positive("eta0", eta0)
    return Transform("barzilai_borwein", (("eta0", eta0),), C.T_BB, (eta0,), state=(2, 1))

