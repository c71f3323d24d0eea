"""The transform spec, the chain and its lowering to the kernel's ``(codes, opt_p)``."""

from dataclasses import dataclass

import numpy as np

from .. import _validate as V
from .._kernels import codes as C

# Transforms that set (and record) the learning rate in force.
STEP_CODES = frozenset({C.T_SCALE, C.T_SCHEDULE, C.T_ADAGRAD_NORM, C.T_POLYAK, C.T_NORM_RATIO,
                        C.T_SECANT, C.T_BB})
# Transforms that are pure functions of the running vector (no state, no k, x or f(x)).
STATELESS_CODES = frozenset({C.T_SCALE, C.T_CLIP_NORM, C.T_CLIP_COORD, C.T_NORMALIZE, C.T_SIGN})


def _fmt(value):
    if isinstance(value, tuple):  # an array schedule: keep the repr short
        vals = [repr(float(v)) for v in value]
        if len(vals) <= 6:
            return "[" + ", ".join(vals) + "]"
        return "[" + ", ".join(vals[:3]) + f", ... ({len(vals)} values) ..., " + vals[-1] + "]"
    return repr(value)


@dataclass(frozen=True)
class Transform:
    """One step of a chain, as a frozen spec.

    ``name`` and ``params`` (a tuple of ``(name, value)`` pairs) make the repr, e.g.
    ``momentum(beta=0.9, nesterov=False)``; ``code`` is the kernel's ``T_*`` code and ``p``
    its five numbers ``p0..p4`` (see :mod:`simsgd._kernels.codes`); ``state = (a, b)``
    means ``a * dim + b`` per-lane state rows; ``data`` holds an array schedule's values
    (appended after the slot blocks of ``opt_p`` when lowered).
    """

    name: str
    params: tuple
    code: int
    p: tuple = (0.0, 0.0, 0.0, 0.0, 0.0)
    state: tuple = (0, 0)
    data: tuple = ()

    def __post_init__(self):
        p = tuple(float(v) for v in self.p)
        if len(p) > 5:
            raise ValueError(f"a transform has at most 5 numbers p0..p4, got {len(p)}")
        object.__setattr__(self, "p", p + (0.0,) * (5 - len(p)))

    def __repr__(self):
        return f"{self.name}(" + ", ".join(f"{k}={_fmt(v)}" for k, v in self.params) + ")"

    @property
    def value(self):
        """The first parameter's value (``None`` when there is none)."""
        return self.params[0][1] if self.params else None

    def state_rows(self, dim):
        """Per-lane state rows this transform needs in dimension ``dim``."""
        return self.state[0] * dim + self.state[1]

    @property
    def sets_step(self):
        """Whether this transform sets (and records) the learning rate in force."""
        return self.code in STEP_CODES


@dataclass(frozen=True)
class Optimizer:
    """An ordered chain of transforms; build it with :func:`chain` or an alias."""

    transforms: tuple

    def __repr__(self):
        return "chain(" + ", ".join(map(repr, self.transforms)) + ")"

    @property
    def stateless(self):
        """True when the update is a pure function of ``g`` (:meth:`apply` works)."""
        return all(t.code in STATELESS_CODES for t in self.transforms)

    def state_rows(self, dim):
        """Total per-lane state rows of the chain in dimension ``dim``."""
        return sum(t.state_rows(dim) for t in self.transforms)

    def _lower(self, dim):
        """Return ``(codes, opt_p)`` as laid out in :mod:`simsgd._kernels.codes`.

        ``codes`` has ``N_SLOTS`` entries (``T_NONE`` for unused slots). ``opt_p`` is
        ``[n_state_rows, N_SLOTS blocks of (p0, p1, p2, p3, p4, state_row), data]``: the
        state rows of consecutive slots follow one another (an unused or stateless slot's
        ``state_row`` is where its rows would start), and each array schedule's values are
        appended after the blocks, with their index in ``opt_p`` and their length written
        into that slot's ``p2`` and ``p3``.
        """
        dim = V.integer("dim", dim, lo=1)
        codes = [C.T_NONE] * C.N_SLOTS
        head = 1 + C.N_SLOTS * C.SLOT_P
        blocks = np.zeros(head)
        data = []
        row = 0
        for slot in range(C.N_SLOTS):
            base = 1 + slot * C.SLOT_P
            if slot < len(self.transforms):
                t = self.transforms[slot]
                codes[slot] = t.code
                p = list(t.p)
                if t.data:
                    p[2] = float(head + len(data))
                    p[3] = float(len(t.data))
                    data.extend(t.data)
                blocks[base:base + 5] = p
            blocks[base + 5] = row
            if slot < len(self.transforms):
                row += self.transforms[slot].state_rows(dim)
        blocks[0] = row
        return tuple(codes), np.concatenate([blocks, np.asarray(data, dtype=np.float64)])

    def reference(self, n, dim):
        """A NumPy reference of the chain for ``n`` paths in dimension ``dim``.

        Returns a :class:`~simsgd.optimizers._reference.ChainReference`: call
        ``step(g, x, fx, k)`` once per step to get the update ``u`` (shape ``(n, dim)``);
        its ``eta`` is the learning rate in force and ``reset(rows)`` zeroes rows' state.
        """
        from ._reference import ChainReference

        return ChainReference(self.transforms, n, dim)

    def apply(self, g):
        """The update for gradients ``g`` (shape ``(..., dim)``) of a stateless chain.

        Only for chains of ``scale``, clipping, ``truncate_update``, ``normalize`` and
        ``sign``; other chains depend on the step, the iterate or their state: use
        :meth:`reference`.
        """
        if not self.stateless:
            bad = [t.name for t in self.transforms if t.code not in STATELESS_CODES]
            raise TypeError(f"apply() only runs stateless chains; {self!r} has "
                            f"{', '.join(bad)}: use optimizer.reference(n, dim).step(g, x, fx, k)")
        g = np.asarray(g, dtype=np.float64)
        shape = g.shape
        g2 = g.reshape(1, 1) if g.ndim == 0 else g.reshape(-1, shape[-1])
        ref = self.reference(g2.shape[0], g2.shape[1])
        return ref.step(g2, None, None, 0).reshape(shape)


def chain(*transforms):
    """Compose transforms (or other chains) left to right; at most ``N_SLOTS`` (6)."""
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
        raise ValueError(f"a chain holds at most N_SLOTS = {C.N_SLOTS} transforms, "
                         f"got {len(flat)}")
    return Optimizer(tuple(flat))


def flag(name, value):
    """A boolean parameter."""
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be True or False, got {value!r} ({type(value).__name__})")
    return bool(value)


def choice(name, value, options):
    """A string among ``options``."""
    if not isinstance(value, str):
        raise TypeError(f"{name} must be one of {', '.join(map(repr, options))}, got {value!r}")
    if value not in options:
        raise ValueError(f"{name} must be one of {', '.join(map(repr, options))}, got {value!r}")
    return value

