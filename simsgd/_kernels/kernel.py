"""The trajectory kernel: a lane loop over a block of trajectories.

Design (see ``../shared/DESIGN.md``, "Performance model"). A block of ``LANES``
trajectories is advanced in lockstep. Every phase of a step (draw the noise, evaluate
the gradient, apply each transform of the optimiser chain, update and check) is a loop
over lanes with the lane index innermost, so LLVM can vectorise it. Finished lanes are
frozen by masks (selects, not branches) and, every ``CHECK`` steps, a scalar pass
writes their results and refills them with the next unclaimed trajectory.

Each trajectory draws from its own xoshiro256** stream keyed by ``(seed, global
index)``, so which lane or thread runs it does not matter: results are bit-identical
for any thread count or assignment of paths to threads and lanes.

Structure versus data: :func:`get_kernel` loads one jitted kernel per *structure*
(landscape kind, noise kind, the transform codes of the chain, the stop rule) from a
module generated from ``template.py``; all parameter values are runtime arrays, so new
values never compile anything. This module holds the scalar building blocks and the
generator of kernel modules.
"""

import contextlib
import hashlib
import importlib.util
import math
import os
import sys
import tempfile
import threading
import types

import llvmlite.binding as llvm
import numba as nb
import numpy as np

from . import codes as C
from . import parts as P
from .elementary import (_sincos_minimax, _sincos_small, fma, vcos2pi, vexp, vlog, vsincos2pi,
                         vsincos2pi_half, vsincos2pi_quarter)
from .linkonly import VECTOR_BITS
from .rng import rotl, seed_state, sign_bit, splitmix64, u01, xoshiro_next

# Lanes per block (trajectories stepped in lockstep). Results do not depend on it (each
# path has its own stream, and lanes never combine), so it is a per-module speed choice:
# one vector iteration of the lane loop, the doubles of a vector (4 at 256 bits, 8 at 512,
# see linkonly.VECTOR_BITS) times LLVM's interleave of 4. Straight-line code, which LLVM
# schedules better for the long sampler bodies than a loop of two. Measured at 256 bits,
# single-threaded, 16 against 32 lanes (ns per step, 2 alternating runs): W1's fused step
# 8.2-8.6 vs 9.3, the generic kernel's Stable lane loop 22.1 vs 30.0, generic d = 3
# clipped Pareto 15.1 vs 17.4, d = 20 momentum 6.95 vs 7.5, 1-D Gaussian 16.2 vs 15.9
# (the one small loss); at 512 bits, 32 against 16 and 64: see linkonly.VECTOR_BITS.
# W2's fused d-dimensional step takes more: its per-coordinate lane loops pay their
# overlap checks and loop overheads once per block. At 256 bits 32 (5.8 vs 6.45 ns per
# coordinate at 16); at 512 bits 128 (single-threaded, 2 runs each: 3.27 and 3.28 ns per
# coordinate against 3.50 and 3.52 at 64, 3.85 and 3.88 at 32, 3.17 and 3.26 at 256).
LANES = 32 if VECTOR_BITS == 512 else 16
LANES_WIDE = 128 if VECTOR_BITS == 512 else 32
CHECK = 8
_JIT = dict(nogil=True, cache=True, error_model="numpy")
# small scalar helpers are inlined in numba IR, so the lane loops that call them
# contain no calls and LLVM can vectorise them
_INLINE = dict(inline="always", nogil=True, cache=True, error_model="numpy")
TWO_M53 = 2.0**-53


def _py_copy(fn, calls, suffix=""):
    """A copy of the Python function behind the jitted ``fn``, with its globals named in
    ``calls`` replaced (by other copies) and ``suffix`` added to its qualname: the same code,
    so the same values, to be jitted with other options."""
    py = fn.py_func
    env = dict(py.__globals__)
    env.update(calls)
    twin = types.FunctionType(py.__code__, env, py.__name__, py.__defaults__, py.__closure__)
    twin.__qualname__ = py.__qualname__ + suffix
    twin.__module__ = py.__module__
    return twin


def _wrapperless(fn, calls):
    """A copy of the jitted leaf ``fn`` (elementary.py, rng.py) for the kernel modules: built
    without numba's CPython and cfunc wrappers (only jitted code calls it; cold compile time),
    with its globals named in ``calls`` replaced by such copies, and its own disk-cache entry
    (qualname + ``_k``). The originals stay callable from Python."""
    return nb.njit(**dict(_JIT, no_cpython_wrapper=True, no_cfunc_wrapper=True))(
        _py_copy(fn, calls, "_k"))


# the names the samplers below (and the kernel modules) call: the wrapperless copies
rotl = _wrapperless(rotl, {})
xoshiro_next = _wrapperless(xoshiro_next, dict(rotl=rotl))
u01 = _wrapperless(u01, {})
sign_bit = _wrapperless(sign_bit, {})
vlog = _wrapperless(vlog, {})
vexp = _wrapperless(vexp, {})
_sincos_small = _wrapperless(_sincos_small, {})
vcos2pi = _wrapperless(vcos2pi, dict(_sincos_small=_sincos_small))
_sincos_minimax = _wrapperless(_sincos_minimax, {})
vsincos2pi_half = _wrapperless(vsincos2pi_half, dict(_sincos_minimax=_sincos_minimax))
vsincos2pi_quarter = _wrapperless(vsincos2pi_quarter, dict(_sincos_minimax=_sincos_minimax))
vsincos2pi = _wrapperless(vsincos2pi, dict(vsincos2pi_half=vsincos2pi_half))
_FMAX = float(np.finfo(np.float64).max)  # |v| <= _FMAX is false exactly for inf and NaN


# ----------------------------------------------------------------------------------
# Scalar building blocks. ``kind`` is a compile-time constant at every call site, so
# after LLVM inlines these small functions the dead branches disappear and the lane
# loop that calls them stays branch-free (selects only) and vectorises.
# ----------------------------------------------------------------------------------
# One sampler per law, each ``(a, b, c, s0..s3) -> (xi, s0..s3)``; the words each
# consumes and the formulas are listed in :mod:`.codes`. Every law consumes a fixed
# number of words, so the stream position never depends on a value.
# Stream break (deliberate): ``vexp`` moved to Horner's scheme with fused multiply-adds
# (W1 ~8% faster, see :func:`.elementary.vexp`), so every draw through it (Pareto,
# compound Pareto, Student-t, Stable) and the exp-based landscapes' values changed by an
# ulp here and there; the words consumed did not change.
@nb.njit(**_INLINE)
def draw_gaussian(a, b, c, s0, s1, s2, s3):
    """Box-Muller, cosine branch (two words). ``vcos2pi`` rather than ``math.cos`` keeps
    the lane loop free of library calls, so it vectorises."""
    r, s0, s1, s2, s3 = xoshiro_next(s0, s1, s2, s3)
    r2, s0, s1, s2, s3 = xoshiro_next(s0, s1, s2, s3)
    rad = a * math.sqrt(-2.0 * vlog(u01(r)))
    return rad * vcos2pi(u01(r2)), s0, s1, s2, s3


@nb.njit(**_INLINE)
def draw_gaussian_pair(a, s0, s1, s2, s3):
    """Box-Muller, both branches (two words, two normals): ``rad cos(2 pi u2)`` and
    ``rad sin(2 pi u2)`` from one ``vsincos2pi`` (its cosine can differ from
    :func:`draw_gaussian`'s ``vcos2pi`` by an ulp or two). The Gaussian law draws the
    coordinates ``(2k, 2k+1)`` of a vector in d >= 2 this way: half the words, logs and
    square roots per normal (W2's step was ~90% this draw). Stream break (deliberate):
    ``vsincos2pi``'s polynomials moved from Estrin's to Horner's scheme for the Stable
    sampler's sake (W2 ran at the same speed either way), changing these draws by an ulp
    or two."""
    r, s0, s1, s2, s3 = xoshiro_next(s0, s1, s2, s3)
    r2, s0, s1, s2, s3 = xoshiro_next(s0, s1, s2, s3)
    rad = a * math.sqrt(-2.0 * vlog(u01(r)))
    sn, cs = vsincos2pi(u01(r2))
    return rad * cs, rad * sn, s0, s1, s2, s3


@nb.njit(**_INLINE)
def draw_pareto(a, b, c, s0, s1, s2, s3):
    """``|Z| = b U^a`` (a = -1/alpha), sign from the lowest bit of the same word, as in
    the C reference (one word)."""
    r, s0, s1, s2, s3 = xoshiro_next(s0, s1, s2, s3)
    return sign_bit(r) * b * vexp(a * vlog(u01(r))), s0, s1, s2, s3


@nb.njit(**_INLINE)
def draw_compound(a, b, c, s0, s1, s2, s3):
    """A jump ``c U2^a`` with probability ``b``; both words are always drawn."""
    r, s0, s1, s2, s3 = xoshiro_next(s0, s1, s2, s3)
    r2, s0, s1, s2, s3 = xoshiro_next(s0, s1, s2, s3)
    jump = sign_bit(r2) * c * vexp(a * vlog(u01(r2)))
    return (jump if u01(r) <= b else 0.0), s0, s1, s2, s3


@nb.njit(**_INLINE)
def draw_student_t(a, b, c, s0, s1, s2, s3):
    """Bailey's polar method written without rejection: the squared radius of a uniform
    point of the unit disc is uniform, and its angle is independent (two words)."""
    r, s0, s1, s2, s3 = xoshiro_next(s0, s1, s2, s3)
    r2, s0, s1, s2, s3 = xoshiro_next(s0, s1, s2, s3)
    rad = math.sqrt(b * (vexp(a * vlog(u01(r2))) - 1.0))
    return c * vcos2pi(u01(r)) * rad, s0, s1, s2, s3


COS_HALF_PI = 6.123233995736766e-17  # math.cos(math.pi / 2)


@nb.njit(**_INLINE)
def draw_stable(a, b, c, s0, s1, s2, s3):
    """Chambers-Mallows-Stuck, beta = 0 (two words), written with one log of a ratio and
    one exp::

        X = sin(a V) / cos V * (cos((1 - a) V) / (W cos V)) ** ((1 - a) / a)

    which is the textbook ``sin(a V) / cos(V)^(1/a) * (cos((1 - a) V) / W)^((1 - a)/a)``
    (``-1/a = -1 - (1 - a)/a``). ``cos((1 - a) V) = cos V cos aV + sin V sin aV`` reuses
    the two angles' sines and cosines (both terms are >= 0 for a <= 1; for 1 < a < 2 the
    result is >= cos((a - 1) pi/2) > 0, and at a = 2 both terms are multiples of cos V), so
    a draw costs two sin/cos evaluations, two logs, one exp and two divisions, against
    three, three, two and three (and a branch on a = 1) for the textbook form. At a = 1
    the exponent is 0, the factor is exactly 1 and ``X = sin V / cos V = tan V``.
    ``W = -ln U2`` is floored at 2^-53: it is 0 only for U2 = 1 (probability 2^-53), where
    the formula would divide by 0.

    Stream breaks (deliberate; the two words a draw consumes never changed): this form,
    ``vsincos2pi`` and ``vexp`` in Estrin's scheme replaced the textbook form with
    ``vsin2pi``/``vcos2pi``/``vexp``, so every draw changed by a few ulps (alpha = 1
    included); then ``vexp`` and ``vsincos2pi`` moved to Horner's scheme with fused
    multiply-adds (9% faster on the Stable family, see :func:`.elementary.vexp`), changing
    draws by an ulp or two again."""
    r, s0, s1, s2, s3 = xoshiro_next(s0, s1, s2, s3)
    r2, s0, s1, s2, s3 = xoshiro_next(s0, s1, s2, s3)
    # V = pi (U - 1/2) = 2 pi y: every angle is 2 pi times a multiple of y, so the
    # plain-arithmetic sincos of 2 pi t applies and the lane loop has no libm call;
    # |y| <= 1/4 and |a y| <= 1/2 (a <= 2) need no reduction modulo 1 (vsincos2pi_half),
    # and on |y| <= 1/4 the signs come cheaper (vsincos2pi_quarter: the same bits here;
    # with the fused multiply-adds for y and in the angle reductions, Stable's family
    # 6.18 -> 6.06 ns per step, single-threaded, 2 alternating runs; 6.01 with those in
    # _sincos_minimax)
    # cos V = 0 exactly at U = 1 (probability 2^-53): floor it at cos(fl(pi/2)), the value
    # libm gave there before, so that the draw stays finite; cos((1 - a) V) likewise
    y = fma(u01(r), 0.5, -0.25)  # 0.5 (U - 1/2) (exact either way: the same bits)
    sv, cv = vsincos2pi_quarter(y)
    cv = max(cv, COS_HALF_PI)
    sa, ca = vsincos2pi_half(a * y)
    c3 = max(cv * ca + sv * sa, COS_HALF_PI)
    w = max(-vlog(u01(r2)), TWO_M53)
    # c3 / (w cv) is within [2^-60, 2^108]: a normal number, as vlog needs
    tail = vexp(((1.0 - a) / a) * vlog(c3 / (w * cv)))
    return b * (sa / cv) * tail, s0, s1, s2, s3


@nb.njit(**_INLINE)
def draw_shifted_exp(a, b, c, s0, s1, s2, s3):
    """``-ln U - 1`` (one word)."""
    r, s0, s1, s2, s3 = xoshiro_next(s0, s1, s2, s3)
    return -vlog(u01(r)) - 1.0, s0, s1, s2, s3


def _inline_twin(fn, calls):
    """An inline='always' copy of the jitted ``fn`` whose globals named in ``calls`` are
    replaced (by other twins). Not cached on disk: numba inlines it in IR at each call."""
    return nb.njit(inline="always", nogil=True, error_model="numpy")(_py_copy(fn, calls))


# The fused 1-D step (every 1-D specialised module, see ``fusable``) keeps the samplers
# inlined in numba IR down to the leaf helpers, as before they became LLVM-inlined calls:
# its loop compiled to slightly different code that way and W1 ran 1-2% slower (paired
# runs), Stable's 2% (15.3 vs 15.6 ns per step, CPU time, 3 alternating runs). Only the
# fused step uses these twins, so numba inlines them once per specialised module.
_rotl_i = _inline_twin(rotl, {})
_LEAVES_I = dict(xoshiro_next=_inline_twin(xoshiro_next, dict(rotl=_rotl_i)),
                 u01=_inline_twin(u01, {}), sign_bit=_inline_twin(sign_bit, {}),
                 vlog=_inline_twin(vlog, {}), vexp=_inline_twin(vexp, {}),
                 vcos2pi=_inline_twin(vcos2pi, dict(_sincos_small=_inline_twin(_sincos_small, {}))))
FUSED_SAMPLERS = {code: _inline_twin(fn, _LEAVES_I) for code, fn in (
    (C.NOISE_PARETO, draw_pareto), (C.NOISE_GAUSSIAN, draw_gaussian),
    (C.NOISE_COMPOUND, draw_compound), (C.NOISE_STUDENT_T, draw_student_t),
    (C.NOISE_STABLE, draw_stable), (C.NOISE_SHIFTED_EXP, draw_shifted_exp))}


# seeding a lane (load_lane, once per path) inlined the same way: two functions fewer to
# compile on a cold start
SEED_STATE = _inline_twin(seed_state, dict(splitmix64=_inline_twin(splitmix64, {})))


# law code -> sampler name, for the per-law lane loops generated into kernel modules
SAMPLERS = {C.NOISE_GAUSSIAN: "draw_gaussian", C.NOISE_PARETO: "draw_pareto",
            C.NOISE_COMPOUND: "draw_compound", C.NOISE_STUDENT_T: "draw_student_t",
            C.NOISE_STABLE: "draw_stable", C.NOISE_SHIFTED_EXP: "draw_shifted_exp"}


@nb.njit(**_INLINE)
def clip_factor(n2, c):
    """The factor ``clip_by_norm(c)`` multiplies a vector by, from its squared norm ``n2``:
    ``c / sqrt(n2)`` when ``n2 > c^2 CLIP_SLACK`` (see :mod:`.codes`), else 1; an overflowed
    squared norm gives NaN (DIVERGED), not a silent zero step. The phased transform and W2's
    fused step both use it, so they stay bit-identical."""
    fac = c / math.sqrt(n2) if n2 <= _FMAX else np.nan
    return fac if n2 > c * c * C.CLIP_SLACK else 1.0


@nb.njit(**_INLINE)
def clamp(v, lo, hi):
    """``min(max(v, lo), hi)``; exact for infinite ``v``."""
    return min(max(v, lo), hi)


@nb.njit(**_INLINE)
def transform1(kind, a, v):
    """One chain transform in 1-D (the norm clip is the clamp there)."""
    if kind == C.T_SCALE:
        return -a * v
    if kind == C.T_CLIP_NORM or kind == C.T_CLIP_COORD:
        return clamp(v, -a, a)
    return v


@nb.njit(**_INLINE)
def quadratic_grad(a, m, x):
    return a * (x - m)


@nb.njit(**_INLINE)
def doublewell_grad0(x):
    return x * x * x - x


@nb.njit(**_INLINE)
def multiwell_grad(crit, n, x):
    acc = 1.0
    for i in range(n):
        acc *= x - crit[i]
    return acc


@nb.njit(**_INLINE)
def vsinh(x):
    """``sinh`` from ``vexp``; a short series below 0.01, where the difference cancels."""
    if abs(x) < 0.01:
        x2 = x * x
        return x * (1.0 + x2 * (1.0 / 6.0 + x2 * (1.0 / 120.0)))
    e = vexp(x)
    return 0.5 * (e - 1.0 / e)


@nb.njit(**_INLINE)
def vtanh(x):
    """``tanh`` from ``vexp`` (exact limits +-1 for large |x|); a series below 0.01."""
    if abs(x) < 0.01:
        x2 = x * x
        return x * (1.0 + x2 * (-1.0 / 3.0 + x2 * (2.0 / 15.0 + x2 * (-17.0 / 315.0))))
    return 1.0 - 2.0 / (vexp(2.0 * x) + 1.0)


@nb.njit(**_INLINE)
def wells_component_grad(ka, kb, a, b, x):
    """``f_i'(x)`` of FiniteSumWells: ``f_i = P Q_i / (2 (a-b)^4)`` with
    ``P = (x-a)^2 (x-b)^2`` and ``Q_i = ka (x-b)^2 + kb (x-a)^2``."""
    xa = x - a
    xb = x - b
    p = xa * xa * xb * xb
    dp = 2.0 * xa * xb * (xa + xb)
    q = ka * xb * xb + kb * xa * xa
    dq = 2.0 * (ka * xb + kb * xa)
    ab = a - b
    return (dp * q + p * dq) / (2.0 * ab * ab * ab * ab)


@nb.njit(**_INLINE)
def wells_component_value(ka, kb, a, b, x):
    xa = x - a
    xb = x - b
    ab = a - b
    return xa * xa * xb * xb * (ka * xb * xb + kb * xa * xa) / (2.0 * ab * ab * ab * ab)


# Rows of the per-block float buffer F (flat, row r of lane j at r * L + j): x occupies rows
# [0, d), the work vector v rows [d, 2 d), the raw stochastic gradient g rows [2 d, 3 d),
# then the per-lane scalars below (from R = 3 d), the transforms' state rows (from
# R + _NROWS) and the observer's rows.
_LO, _HI, _K, _ACT, _ST, _BAD, _TMP, _ETA, _FX = range(9)
_NROWS = 9


def block_rows(d, codes, land_p, opt_p, obs_p, lanes):
    """``(OB, n_rows, n_sel)`` of a block of ``lanes`` lanes in dimension ``d``: the first
    observer row of ``F``, its number of rows (x, v, g, the per-lane scalars, the
    transforms' state, the observer's rows) and the length of the batch-index scratch
    ``sel`` (``batch_size`` rows of lanes for a stochastic finite sum, see
    ``template._batch_lanes``). Plain Python, so that :func:`workspace` and the kernel's
    own check (a jitted twin, ``template._block_rows``) share one formula."""
    OB = 3 * d + _NROWS + np.int64(opt_p[0])
    n_rows = OB
    obs = codes[3 + C.N_SLOTS]
    if obs == C.OBS_CHECKPOINT:
        n_rows += 1  # the index of the next checkpoint
    elif obs == C.OBS_OCCUPANCY:
        # the last basin, the number of changes, the steps per basin, the transition
        # counts and the first-hit steps (see template._occupancy_step)
        nb_ = np.int64(obs_p[0]) + 1
        n_rows += 2 + nb_ + nb_ * nb_ + np.int64(obs_p[1])
    land = codes[0]
    batched = land == C.LAND_STOCH_QUAD or land == C.LAND_FINITE_WELLS
    n_sel = np.int64(land_p[1]) * lanes if batched else 1
    return OB, n_rows, n_sel


def _aligned_empty(n, dtype):
    """An uninitialised array of ``n`` items whose data starts on a 64-byte boundary (a
    cache line; numba's own allocations in the kernel were 32-byte aligned, its
    ``get_preferred_array_alignment``)."""
    size = np.dtype(dtype).itemsize
    raw = np.empty(n * size + 64, dtype=np.uint8)
    start = -raw.ctypes.data % 64
    return raw[start:start + n * size].view(dtype)


def workspace(structure, codes, d, land_p, opt_p, obs_p):
    """Fresh buffers for one kernel call: ``(S, F, sel, gbuf, ids)``, the generator words
    (4 rows of lanes), the float rows (:func:`block_rows`), the batch indices, an exact
    gradient of length ``d`` and the path index per lane. The kernel initialises them.

    They come from Python so that a kernel allocates nothing: ``np.empty`` in jitted code
    compiled numba's allocation overloads on a cold start, 0.2 s once per process
    (measured: a function making three arrays and a copy compiled in 0.30 s against 0.10
    s for one taking them as arguments)."""
    lanes_ = lanes(structure)
    _, n_rows, n_sel = block_rows(d, codes, land_p, opt_p, obs_p, lanes_)
    return (_aligned_empty(4 * lanes_, np.uint64), _aligned_empty(n_rows * lanes_, np.float64),
            _aligned_empty(n_sel, np.int64), _aligned_empty(d, np.float64),
            _aligned_empty(lanes_, np.int64))


# ----------------------------------------------------------------------------------
# Kernel modules: one generated file per structure.
# ----------------------------------------------------------------------------------
# Why generated files: numba caches a function on disk keyed by its source file, and
# for closures also by the pickled closure cells. A closure over other jitted
# functions misses the cache in every new process (the pickled dispatchers differ), and
# closures over integers alone cannot call structure-specific helpers. A module whose
# structure codes are module globals is a real file, is cached like any other, and
# numba freezes its globals as constants. Tried and dropped: one closure factory
# (recompiled the kernel in every process, ~2.4 s) and inline='always' phase helpers
# with their lane loops (slower code, 27 M vs 58 M steps/s per thread, and 8 s
# compiles). Only the small dispatchers that call the lane loops are inlined (see
# template.DISPATCH).
#
# The kernel in each module,
#     kernel(x0, gidx, lo, hi, codes, land_p, noise_p, opt_p, seed, n_steps, diverge_at,
#            claim, end, out_status, out_step, out_x, obs_p, out_obs, stop_p, out_rec, cancel,
#            S, F, sel, gbuf, ids),
# advances trajectories ``i < end`` (local indices; ``gidx[i]`` is the global index that
# keys the stream), each taken from the shared counter ``claim[0]`` by an atomic
# fetch-and-add when a lane frees up, and writes ``out_status[i]``, ``out_step[i]`` and
# ``out_x[i]``. It is serial and releases the GIL; the engine runs one call per thread,
# all sharing ``claim``, on a thread pool. ``cancel`` is a shared int64 array of one
# element: when it is non-zero the kernel returns at its next check (every CHECK steps)
# with its outputs incomplete.
# Array layouts are in :mod:`.codes`. Per-lane state lives in two flat
# buffers (uint64 generator words; float64 for everything else, step counts included,
# exact to 2^53), so LLVM needs at most one overlap check per loop. In 1-D a step is
# one fused lane loop; in d dimensions each phase is a lane loop per coordinate.


_TEMPLATE = os.path.join(os.path.dirname(__file__), "template.py")


def _interleave_setting():
    raw = os.environ.get("SIMSGD_LLVM_INTERLEAVE", "4")
    try:
        value = int(raw)
    except ValueError:
        value = -1
    if not 0 <= value <= 16:
        raise ValueError(f"SIMSGD_LLVM_INTERLEAVE must be an integer from 0 to 16 (0: LLVM's "
                         f"own choice), got {raw!r}")
    return value


# LLVM's loop vectoriser interleaves a vectorised loop (runs several vector iterations side
# by side) only when its cost model expects a gain, and for our long lane loops it chose
# not to; forcing 4 hides the latency of the polynomial chains (exp/log/sin/cos) and of
# xoshiro's dependent words. Measured single-threaded (W1's fused step): about 20 ns per
# step without, 13.4 with 4 and 14.5 with 2; W2's step was not slower. Per-lane arithmetic
# is unchanged (lanes never combine), so results are bit-identical. The option is global
# to LLVM (process-wide: numba code that another thread compiles meanwhile gets it too),
# so ``compiling()`` sets it only while a simsgd kernel's first call runs and then
# restores LLVM's default (0, its cost model). LLVM before 16 accepts a command-line option
# only once per process (a second ``set_option`` prints "may only occur zero or one times"
# and changes nothing; seen with LLVM 14, untested on 15): there it is set once and stays.
INTERLEAVE = _interleave_setting()
_SCOPED = llvm.llvm_version_info >= (16,)
_COMPILE_LOCK = threading.Lock()
_SET_ONCE = []


@contextlib.contextmanager
def compiling():
    """Scope for a kernel's first call (its compilation, or its load from the disk cache):
    LLVM's ``-force-vector-interleave`` is ``INTERLEAVE`` inside and 0 again after (on LLVM
    before 16: set at the first call and left for the process, see above)."""
    with _COMPILE_LOCK:
        if not _SCOPED:
            if not _SET_ONCE:
                llvm.set_option("simsgd", f"-force-vector-interleave={INTERLEAVE}")
                _SET_ONCE.append(True)
            yield
            return
        llvm.set_option("simsgd", f"-force-vector-interleave={INTERLEAVE}")
        try:
            yield
        finally:
            llvm.set_option("simsgd", "-force-vector-interleave=0")


def _sources_digest():
    """sha256 of every module of this package. A generated kernel imports its samplers and
    elementary functions from them, and numba's cache keys only on the generated file's own
    mtime, so a change anywhere here must change the generated file's name."""
    h = hashlib.sha256()
    folder = os.path.dirname(__file__)
    for name in sorted(os.listdir(folder)):
        if name.endswith(".py"):
            with open(os.path.join(folder, name), "rb") as fh:
                h.update(name.encode() + b"\0" + fh.read())
    return h.hexdigest()


_SOURCES = _sources_digest()
_MARK = "LAND, NOISE, T0, T1, T2, T3, T4, T5, STOP, OBS = 1, 0, 1, 0, 0, 0, 0, 0, 0, 0\n"
_LANES_LINE = "L = LANES\n"
_PART_LINE = "PART, PART_ARG = 0, 0\n"
_LANES_BEGIN = "# --- lanes: kernel._module_source writes one copy per law, SAMPLER -> its draw_* ---\n"
_LANES_END = "# --- end lanes ---\n"
_DISPATCH = "    # --- dispatch: generated ---\n    pass\n"
_STRUCT_LEN = 4 + C.N_SLOTS
GENERIC = (C.DYN,) * _STRUCT_LEN
"""The structure of the generic kernel: every code is read at run time."""

# Kernel modules beside the generic one (every code read at run time). Layout of a
# structure: (land, noise, t0..t5, stop, observer).
# - Specialised: the hot paths listed here, each with the reason; constants everywhere,
#   and the fused 1-D step (SPECIALISED).
# - 1-D families: one module per noise law and observer (FAMILIES), which runs every
#   other 1-D structure the fused step can (``fusable``) with the law and the observer
#   constant and the rest read at run time. The built-in library thus has at most
#   1 + len(SPECIALISED) + len(FAMILIES) = 31 kernel variants (DESIGN.md aims at 30 or
#   fewer), plus the generic kernel's parts (parts.py), one small module per component.
_S = C.N_SLOTS - 2
SPECIALISED_1D = frozenset({
    # W1 and W3: clipped-noise SGD on the double well, exit at 0 (with occupancy for W3)
    (C.LAND_DOUBLEWELL, C.NOISE_PARETO, C.T_SCALE, 0) + (0,) * _S + (C.STOP_INTERVAL, C.OBS_NONE),
    (C.LAND_DOUBLEWELL, C.NOISE_PARETO, C.T_SCALE, 0) + (0,) * _S
    + (C.STOP_INTERVAL, C.OBS_OCCUPANCY),
    # Wang et al.'s exit problem (truncated SGD on a quadratic basin): study
    # exit_time_scaling, plain and compound-Poisson Pareto noise
    (C.LAND_QUADRATIC, C.NOISE_PARETO, C.T_SCALE, C.T_CLIP_NORM) + (0,) * _S
    + (C.STOP_INTERVAL, C.OBS_NONE),
    (C.LAND_QUADRATIC, C.NOISE_COMPOUND, C.T_SCALE, C.T_CLIP_NORM) + (0,) * _S
    + (C.STOP_INTERVAL, C.OBS_NONE),
    # Patel's stochastic quadratic (SGD on a finite sum, no added noise): W4's family
    (C.LAND_STOCH_QUAD, C.NOISE_NONE, C.T_SCALE, 0) + (0,) * _S + (C.STOP_NONE, C.OBS_NONE),
})
"""The specialised structures that are hot in 1-D only: their modules serve d = 1 alone
(the fused 1-D step), and the same codes in d >= 2 run on the generic kernel (the same
values), so these modules never compile the phased d-dimensional step, about a third of
their compile time."""
_W2 = ((C.LAND_QUADRATIC, C.NOISE_GAUSSIAN, C.T_CLIP_NORM, C.T_SCALE) + (0,) * _S
       + (C.STOP_NONE, C.OBS_NONE))
SPECIALISED_ND = frozenset({
    _W2,  # W2: clipped SGD on a 100-d quadratic with Gaussian noise
})
"""The specialised structures that are hot in d >= 2 only: their modules never serve d = 1
(the same codes in 1-D run on their law's family module, or the generic kernel: the same
values), so they do not compile the fused 1-D step (about 1 s of W2's cold compile)."""
SPECIALISED = SPECIALISED_1D | SPECIALISED_ND
_WIDE = frozenset({_W2})  # modules with LANES_WIDE lanes per block (see lanes())


def lanes(structure):
    """Lanes per block of the module for ``structure``: ``LANES_WIDE`` for W2's
    d-dimensional fused structure, ``LANES`` otherwise (see the note at ``LANES``)."""
    return LANES_WIDE if tuple(int(c) for c in structure) in _WIDE else LANES


def cache_dir():
    """Folder of generated kernel modules and numba's cache for them.

    ``SIMSGD_CACHE_DIR`` if set, else ``~/.cache/simsgd`` (or a temporary folder when the
    home folder is not writable).
    """
    root = os.environ.get("SIMSGD_CACHE_DIR")
    if not root:
        root = os.path.join(os.path.expanduser("~"), ".cache", "simsgd")
    try:
        os.makedirs(root, exist_ok=True)
        probe = tempfile.NamedTemporaryFile(dir=root)
        probe.close()
    except OSError:
        root = os.path.join(tempfile.gettempdir(), "simsgd-cache")
        os.makedirs(root, exist_ok=True)
    return root


def _module_source(structure, user=False, part=(P.NONE, 0)):
    with open(_TEMPLATE) as fh:
        src = fh.read()
    if src.count(_MARK) != 1 or src.count(_PART_LINE) != 1:  # pragma: no cover
        raise RuntimeError("kernel template lost its structure or part line")
    src = src.replace(_PART_LINE, f"PART, PART_ARG = {int(part[0])}, {int(part[1])}\n")
    line = ("LAND, NOISE, T0, T1, T2, T3, T4, T5, STOP, OBS = "
            + ", ".join(str(int(c)) for c in structure) + "\n")
    src = src.replace(_MARK, line)
    if src.count(_LANES_LINE) != 1:  # pragma: no cover - guards template edits
        raise RuntimeError("kernel template lost its lane-count line")
    src = src.replace(_LANES_LINE, f"L = {lanes(structure)}\n")
    # one lane loop per law (a copy of the marked block), and the dispatch over them; a
    # module with a constant law gets only that law's (numba would compile every lane loop
    # the dispatch names, and they were most of a specialised module's compile time)
    head, rest = src.split(_LANES_BEGIN)
    block, tail = rest.split(_LANES_END)
    noise = int(structure[1])
    laws = [(code, name) for code, name in SAMPLERS.items() if noise in (C.DYN, code)]
    copies = [block.replace("SAMPLER", name) for _, name in laws]
    dispatch = "".join(
        f"    {'if' if i == 0 else 'elif'} noise == {code}:\n"
        f"        _lanes_{name}(S, F, row, a, b, c, clip, radius)\n"
        for i, (code, name) in enumerate(laws)) or _DISPATCH
    src = head + "".join(copies) + tail.replace(_DISPATCH, dispatch, 1)
    if user:  # user functions are globals of the module: nothing can be cached on disk
        src = src.replace("\nJIT = _JIT\n", "\nJIT = dict(_JIT, cache=False)\n")
    return src


def module_name(structure, src, part=(P.NONE, 0)):
    """File name of a generated kernel: its structure codes (and part, if one) and a digest
    of its source and of every module of this package (see ``_sources_digest``)."""
    # the interleave and vector-width settings change the machine code, not the source:
    # they key the name too
    key = src + _SOURCES + f"interleave={INTERLEAVE} vector_bits={VECTOR_BITS}"
    digest = hashlib.sha256(key.encode()).hexdigest()[:12]
    name = "simsgd_kernel_" if part[0] == P.NONE else f"simsgd_part{part[0]}_{part[1]}_"
    name += "_".join(str(int(c)).replace("-", "m") for c in structure)
    return name + "_" + digest


def _module_file(structure, user=False, part=(P.NONE, 0)):
    """``(name, path, written)``: the generated module's name and file, which this call
    writes unless it exists (``written``: whether it did)."""
    src = _module_source(structure, user, part)
    name = module_name(structure, src, part)
    path = os.path.join(cache_dir(), name + ".py")
    # write once: an unchanged file keeps its mtime, which numba's cache keys on;
    # write atomically so concurrent processes never import a half-written file
    if os.path.exists(path):
        return name, path, False
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path), suffix=".tmp")
    try:
        with os.fdopen(fd, "w") as fh:
            fh.write(src)
        os.replace(tmp, path)
    except BaseException:  # Ctrl-C included: leave no temporary file behind
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return name, path, True


def _load_module(structure, user=None, part=(P.NONE, 0)):
    name, path, _ = _module_file(structure, user is not None, part)
    if user is not None:
        name += f"_user{len(_USER)}"
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    if user is not None:  # before the first call: numba reads globals when it compiles
        module.USER_VALUE, module.USER_GRAD = user
    return module


_REGISTRY = {}
_USER = {}


def get_kernel(structure):
    """The kernel of ``structure`` (a tuple of codes), loaded once per process."""
    kern = _REGISTRY.get(structure)
    if kern is None:
        if len(structure) != _STRUCT_LEN:
            raise ValueError(f"bad kernel structure {structure!r}")
        kern = _REGISTRY[structure] = _load_module(structure).kernel
    return kern


_PART_FNS = {}


def part_keys(codes, radial, dim):
    """The parts (:mod:`.parts`) the generic kernel calls for a run of ``codes`` in
    dimension ``dim``: one ``(index, part, arg, structure)`` per non-zero entry of the
    address array. A part module's structure fixes its one component; a Polyak step and
    the checkpoint observer evaluate f, so they also fix the landscape."""
    codes = tuple(int(c) for c in codes)
    land, noise, chain = codes[0], codes[1], codes[2:2 + C.N_SLOTS]
    obs = codes[3 + C.N_SLOTS]
    none = (0,) * _STRUCT_LEN
    keys = [(P.P_NOISE, P.NOISE, int(bool(radial)), (0, noise) + none[2:]),
            (P.P_GRAD, P.GRAD, 0, (land,) + none[1:])]
    for slot, kind in enumerate(chain):
        if kind != C.T_NONE:
            owner = land if kind == C.T_POLYAK else 0
            keys.append((P.P_SLOT0 + slot, P.TRANSFORM, 0, (owner, 0, kind) + none[3:]))
    keys.append((P.P_UPDATE, P.UPDATE, int(dim == 1), none))
    if obs != C.OBS_NONE:
        owner = land if obs == C.OBS_CHECKPOINT else 0
        keys.append((P.P_OBSERVER, P.OBSERVER, 0, (owner,) + none[1:-1] + (obs,)))
    return keys


def parts_loaded(codes, radial, dim):
    """Whether every part of :func:`part_keys` is loaded in this process."""
    return all(key[1:] in _PART_FNS for key in part_keys(codes, radial, dim))


def part_addresses(codes, radial, dim):
    """The generic kernel's ``parts`` argument for a run of ``codes``: the address of each
    part it calls (0 where it calls none). Loads the parts this process lacks, compiling
    those not in the disk cache: call it inside :func:`compiling`."""
    addr = np.zeros(P.N_PARTS, dtype=np.int64)
    for index, part, arg, structure in part_keys(codes, radial, dim):
        addr[index] = load_part(part, arg, structure).address
    return addr


def load_part(part, arg, structure):
    """The part ``(part, arg, structure)`` (a key of :func:`part_keys` without its index),
    loaded once per process: compiled, or loaded from the disk cache. Call it inside
    :func:`compiling`."""
    fn = _PART_FNS.get((part, arg, structure))
    if fn is None:
        fn = _PART_FNS[(part, arg, structure)] = _load_module(structure, part=(part, arg)).part
    return fn


def loaded_parts():
    """The parts loaded in this process: ``{(part, arg, structure): cfunc}``."""
    return dict(_PART_FNS)


# Not fused, measured with benchmarks/vectorisation.py: MultiWell (the product over its
# critical points is an inner loop, and the lane loop stayed scalar) and noise-free
# structures (a body this small in a 16-trip loop is fully unrolled before the loop
# vectoriser runs, and stayed scalar): the generic kernel's lane loops vectorise both.
_FUSED_LANDS = frozenset({C.LAND_QUADRATIC, C.LAND_DOUBLEWELL})
_FUSED_TRANSFORMS = frozenset({C.T_NONE, C.T_SCALE, C.T_CLIP_NORM, C.T_CLIP_COORD})
# the first slot may also hold heavy-ball momentum (its state: the first state row)
_FUSED_FIRST = _FUSED_TRANSFORMS | {C.T_MOMENTUM}


def fusable(structure):
    """Whether the fused 1-D step (``template._step_1d_fused``) runs ``structure``: a
    Quadratic or the DoubleWell, a noise law in :data:`FUSED_SAMPLERS`, at most four
    transforms among scale and the clips (a 1-D clip by norm is a clamp), the first of
    them possibly heavy-ball momentum, an interval exit or none, and no observer or the
    basin-occupancy one (a separate pass after the step). Checkpoints read the step size
    in force, which only the phased step records."""
    land, noise, t, stop, obs = (structure[0], structure[1], structure[2:2 + C.N_SLOTS],
                                 structure[2 + C.N_SLOTS], structure[3 + C.N_SLOTS])
    if land == C.LAND_STOCH_QUAD:
        # a batch pass, then the fused loop on its gradient: specialised modules only
        return tuple(int(c) for c in structure) in SPECIALISED_1D
    return (land in _FUSED_LANDS and noise in FUSED_SAMPLERS and t[0] in _FUSED_FIRST
            and all(k in _FUSED_TRANSFORMS for k in t[1:4])
            and all(k == C.T_NONE for k in t[4:])
            and stop in (C.STOP_NONE, C.STOP_INTERVAL)
            and obs in (C.OBS_NONE, C.OBS_OCCUPANCY))


def family_1d(law, observer=C.OBS_NONE, momentum=False):
    """The structure of the 1-D family module of noise law ``law``, ``observer`` (none
    or basin occupancy) and, with ``momentum``, heavy-ball momentum in the chain's first
    slot: these are constant, every other code is read at run time (``C.DYN``), by the
    fused 1-D step.

    Momentum is a constant for the same reason as the observer: its state row costs a
    load, a store and three operations per lane and step, which the other chains do not
    pay (measured: the momentum W4 family 0.33x W1's rate on the generic kernel).

    The observer is a constant because the occupancy observer's passes were about a
    quarter of a family's cold compile (3.5 s against 2.6 s without, Stable's family,
    numba initialised): a run without an observer, the common case, does not pay for them.
    """
    if observer not in (C.OBS_NONE, C.OBS_OCCUPANCY):
        raise ValueError(f"a 1-D family runs no observer or basin occupancy "
                         f"({C.OBS_NONE} or {C.OBS_OCCUPANCY}), not observer code {observer}")
    first = C.T_MOMENTUM if momentum else C.DYN
    return (C.DYN, int(law), first) + (C.DYN,) * (_STRUCT_LEN - 4) + (int(observer),)


FAMILIES = frozenset(family_1d(law, obs, mom) for law in FUSED_SAMPLERS
                     for obs in (C.OBS_NONE, C.OBS_OCCUPANCY) for mom in (False, True))
"""The 1-D family modules: one per noise law the fused step draws, observer it runs and
whether the chain starts with momentum."""


def choose_structure(codes, radial, dim):
    """The module to run ``codes`` in dimension ``dim``: its own specialised module for a
    hot path (:data:`SPECIALISED`); in 1-D, for any other structure the fused step runs
    (:func:`fusable`), its law's family module (:func:`family_1d`); else
    :data:`GENERIC`. Radial noise always runs on the generic kernel. The choice never
    changes a result, only the speed (tests compare the kernels)."""
    codes = tuple(int(c) for c in codes)
    if radial:
        return GENERIC
    # a hot path's own module: the 1-D ones in d = 1 only, W2's in d >= 2 only
    if codes in (SPECIALISED_1D if dim == 1 else SPECIALISED_ND):
        return codes
    if dim == 1 and fusable(codes):
        return family_1d(codes[1], codes[-1], codes[2] == C.T_MOMENTUM)
    return GENERIC


def user_kernel(structure, value_fn, grad_fn):
    """A kernel for a user-defined landscape: the user's jitted ``value``/``grad`` are
    globals of a fresh module specialised to ``structure``. It compiles on its first
    call in each process (numba cannot cache it on disk), once per (functions,
    structure)."""
    key = (structure, value_fn, grad_fn)
    kern = _USER.get(key)
    if kern is None:
        kern = _USER[key] = _load_module(structure, user=(value_fn, grad_fn)).kernel
    return kern


def compiled_signatures():
    """Total number of compiled signatures over every built-in kernel loaded here."""
    return sum(len(k.signatures) for k in _REGISTRY.values())


def built_structures():
    """The structures for which a built-in kernel is loaded in this process."""
    return tuple(_REGISTRY)
