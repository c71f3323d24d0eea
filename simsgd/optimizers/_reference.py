"""A NumPy reference of an optimiser chain, operation by operation as in ``codes.py``.

Every path is one row of an ``(n, dim)`` array. Sums of squares and inner products add
coordinate by coordinate in index order (as the kernel's lane loop does), never with
NumPy's pairwise summation, so the numbers match the kernel's to the bit where both use
the same elementary functions.
"""

import numpy as np

from .._kernels import codes as C


def _sumsq(v):
    s = np.zeros(v.shape[0])
    for j in range(v.shape[1]):
        s = s + v[:, j] * v[:, j]
    return s


def _dot(a, b):
    s = np.zeros(a.shape[0])
    for j in range(a.shape[1]):
        s = s + a[:, j] * b[:, j]
    return s


def schedule_eta(p, data, k):
    """``eta_k`` of a ``T_SCHEDULE`` slot with numbers ``p`` at steps ``k`` (int array)."""
    kind, eta, p2, p3 = int(p[0]), p[1], p[2], p[3]
    kf = np.asarray(k, dtype=np.float64)
    if kind == C.SCHED_INVERSE_TIME:
        return eta / (1.0 + kf / p2)
    if kind == C.SCHED_COSINE:
        return p3 + (eta - p3) * (1.0 + np.cos(np.pi * np.minimum(kf, p2) / p2)) / 2.0
    if kind == C.SCHED_STEP:
        return eta * np.power(p3, np.floor(kf / p2))
    if kind == C.SCHED_WARMUP:
        return eta * np.minimum(1.0, (kf + 1.0) / p2)
    if kind == C.SCHED_ARRAY:
        arr = np.asarray(data, dtype=np.float64)
        return arr[np.minimum(np.asarray(k, dtype=np.int64), arr.size - 1)]
    raise ValueError(f"unknown schedule kind {kind}")


class ChainReference:
    """Per-path state of a chain and its update, for ``n`` paths in dimension ``dim``.

    ``step(g, x, fx, k)`` takes the raw stochastic gradients ``g`` (n, dim), the current
    iterates ``x`` (n, dim; needed by ``secant`` and ``barzilai_borwein``), ``f(x)`` (n,;
    needed by ``polyak``) and ``k`` (int, or int array (n,)): the steps each path has
    already taken (0 at its first step). It returns the update ``u`` (n, dim). ``eta``
    (n,) is the learning rate in force after the last step: the one set by the last
    step-size-setting transform of the chain (NaN if there is none, or before any step).
    ``reset(rows)`` zeroes the state of the given rows (a path restarting).
    """

    def __init__(self, transforms, n, dim):
        self.transforms = tuple(transforms)
        self.n, self.dim = int(n), int(dim)
        self.state = [np.zeros((self.n, t.state_rows(self.dim))) for t in self.transforms]
        self.eta = np.full(self.n, np.nan)

    def reset(self, rows):
        for s in self.state:
            s[rows] = 0.0
        self.eta[rows] = np.nan

    def step(self, g, x=None, fx=None, k=0):
        n, d = self.n, self.dim
        g = np.asarray(g, dtype=np.float64)
        if g.shape != (n, d):
            raise ValueError(f"g must have shape {(n, d)}, got {g.shape}")
        k = np.broadcast_to(np.asarray(k), (n,))
        if k.dtype.kind not in "iu":
            raise TypeError(f"k must be integers (steps taken), got dtype {k.dtype}")
        first = k == 0
        v = g.copy()
        with np.errstate(all="ignore"):
            for t, st in zip(self.transforms, self.state):
                v = self._one(t, st, v, g, x, fx, k, first)
        return v

    def _need(self, t, name, value, shape):
        if value is None:
            raise ValueError(f"{t.name} needs {name} in step()")
        value = np.asarray(value, dtype=np.float64)
        if value.shape != shape:
            raise ValueError(f"{name} must have shape {shape}, got {value.shape}")
        return value

    def _set_eta(self, eta):
        self.eta = np.array(np.broadcast_to(eta, (self.n,)), dtype=np.float64)

    def _one(self, t, st, v, g, x, fx, k, first):
        code, p, d = t.code, t.p, self.dim
        if code == C.T_SCALE:
            self._set_eta(p[0])
            return -p[0] * v
        if code == C.T_CLIP_COORD or (code == C.T_CLIP_NORM and d == 1):
            return np.minimum(np.maximum(v, -p[0]), p[0])
        if code == C.T_CLIP_NORM:
            c = p[0]
            n2 = _sumsq(v)
            over = n2 > c * c * C.CLIP_SLACK
            fac = np.where(np.isinf(n2), np.nan, c / np.sqrt(np.where(over, n2, 1.0)))  # kernel: NaN
            return np.where(over[:, None], v * fac[:, None], v)
        if code == C.T_NORMALIZE:
            den = np.sqrt(_sumsq(v)) + p[0]
            pos = den > 0
            out = np.where(pos[:, None], v / np.where(pos, den, 1.0)[:, None], v)
            return np.where(np.isinf(den)[:, None], np.nan, out)  # an overflowed norm: NaN
        if code == C.T_SIGN:
            return np.sign(v)
        if code == C.T_MOMENTUM:
            beta = p[0]
            st[:] = beta * st + v
            return v + beta * st if p[1] != 0.0 else st.copy()
        if code == C.T_SCHEDULE:
            eta = schedule_eta(p, t.data, k)
            self._set_eta(eta)
            return -eta[:, None] * v
        if code == C.T_ADAGRAD_NORM:
            n2 = _sumsq(g)
            n2 = np.where(np.isfinite(n2), np.minimum(n2, p[2] * p[2]), n2)  # clip = p2
            b2 = np.where(first, p[1] * p[1], st[:, 0]) + n2
            st[:, 0] = b2
            eta = np.where(np.isinf(b2), np.nan, p[0] / np.sqrt(b2))  # overflowed: NaN
            self._set_eta(eta)
            return -eta[:, None] * v
        if code == C.T_POLYAK:
            fx = self._need(t, "fx", fx, (self.n,))
            n2 = _sumsq(g)
            eta = np.minimum(np.maximum((fx - p[0]) / n2, 0.0), p[1])
            eta = np.where(n2 == 0.0, 0.0, eta)
            eta = np.where(np.isinf(n2), np.nan, eta)  # an overflowed norm: NaN (kernel too)
            self._set_eta(eta)
            return -eta[:, None] * v
        if code == C.T_NORM_RATIO:
            gn = np.sqrt(_sumsq(g))
            eta_prev, gn_prev = st[:, 0], st[:, 1]
            with np.errstate(divide="ignore", invalid="ignore"):
                ratio = eta_prev * gn_prev / gn
            eta = np.where(first, p[0], np.where((gn == 0.0) | (gn_prev == 0.0), eta_prev, ratio))
            eta = np.where(np.isinf(gn), np.nan, eta)  # an overflowed norm: DIVERGED
            # the reference norm is the last non-zero one (a zero gradient is not remembered)
            st[:, 0], st[:, 1] = eta, np.where(gn > 0.0, gn, gn_prev)
            self._set_eta(eta)
            return -eta[:, None] * v
        if code in (C.T_SECANT, C.T_BB):
            x = self._need(t, "x", x, (self.n, d))
            x_prev, g_prev, eta_prev = st[:, :d], st[:, d:2 * d], st[:, 2 * d]
            s = x - x_prev
            y = g - g_prev
            if code == C.T_SECANT:
                den = np.sqrt(_sumsq(y))
                ratio = np.sqrt(_sumsq(s)) / den
                keep = (den == 0.0) | ~np.isfinite(ratio)
            else:
                den = _dot(s, y)
                ratio = _sumsq(s) / den
                keep = (den <= 0.0) | ~np.isfinite(ratio)
            eta = np.where(first, p[0], np.where(keep, eta_prev, ratio))
            st[:, :d], st[:, d:2 * d], st[:, 2 * d] = x, g, eta
            self._set_eta(eta)
            return -eta[:, None] * v
        raise ValueError(f"unknown transform code {code} ({t!r})")
