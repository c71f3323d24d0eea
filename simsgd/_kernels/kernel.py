"""The trajectory kernel: a lane loop over a block of trajectories.

Design (see ``../shared/DESIGN.md``, "Performance model"). A block of ``LANES``
trajectories is advanced in lockstep. Every phase of a step (draw the noise, evaluate
the gradient, apply each transform of the optimiser chain, update and check) is a loop
over lanes with the lane index innermost, so LLVM can vectorise it. Finished lanes are
frozen by masks (selects, not branches) and, every ``CHECK`` steps, a scalar pass
writes their results and refills them with the next trajectory of the chunk.

Each trajectory draws from its own xoshiro256** stream keyed by ``(seed, global
index)``, so which lane or thread runs it does not matter: results are bit-identical
for any thread count or chunking.

Structure versus data: :func:`make_kernel` builds one jitted function per *structure*
(landscape kind, noise kind, the transform codes of the chain, the stop rule). The
closure holds only integers: numba freezes them as constants, LLVM removes the dead
branches, and the on-disk cache keys on them (numba hashes closure cell contents into
its cache index). All parameter values are runtime arrays.
"""

import math

import numba as nb
import numpy as np

from . import codes as C
from .elementary import vexp, vlog
from .rng import seed_state, sign_bit, u01, xoshiro_next

LANES = 32
CHECK = 8
_JIT = dict(nogil=True, cache=True, error_model="numpy")
# small scalar helpers are inlined in numba IR, so the lane loops that call them
# contain no calls and LLVM can vectorise them
_INLINE = dict(inline="always", nogil=True, cache=True, error_model="numpy")
TWO_PI = 2.0 * math.pi


# ----------------------------------------------------------------------------------
# Scalar building blocks. ``kind`` is a compile-time constant at every call site, so
# after LLVM inlines these small functions the dead branches disappear and the lane
# loop that calls them stays branch-free (selects only) and vectorises.
# ----------------------------------------------------------------------------------
@nb.njit(**_INLINE)
def noise_draw(kind, a, b, c, s0, s1, s2, s3):
    """One noise coordinate from the stream ``(s0..s3)``: ``(xi, s0, s1, s2, s3)``.

    Gaussian: Box-Muller from two uniforms, keeping the cosine only (one normal per
    two draws, the same in every dimension). Pareto: ``|Z| = b U^a`` (a = -1/alpha),
    sign from the lowest bit of the same draw, as in the C reference. Compound:
    a jump of size ``c U^a`` with probability ``b``; both draws are always made, so the
    stream position does not depend on the outcome.
    """
    if kind == C.NOISE_NONE:
        return 0.0, s0, s1, s2, s3
    r, s0, s1, s2, s3 = xoshiro_next(s0, s1, s2, s3)
    if kind == C.NOISE_GAUSSIAN:
        r2, s0, s1, s2, s3 = xoshiro_next(s0, s1, s2, s3)
        rad = a * math.sqrt(-2.0 * vlog(u01(r)))
        return rad * math.cos(TWO_PI * u01(r2)), s0, s1, s2, s3
    if kind == C.NOISE_PARETO:
        return sign_bit(r) * b * vexp(a * vlog(u01(r))), s0, s1, s2, s3
    # C.NOISE_COMPOUND
    r2, s0, s1, s2, s3 = xoshiro_next(s0, s1, s2, s3)
    jump = sign_bit(r2) * c * vexp(a * vlog(u01(r2)))
    return (jump if u01(r) <= b else 0.0), s0, s1, s2, s3


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


# Rows of the per-block float buffer F (flat, row r of lane j at r * L + j): x occupies rows
# [0, d), the work vector v rows [d, 2 d), then the per-lane scalars below.
_LO, _HI, _K, _ACT, _ST, _BAD, _TMP = range(7)
_NROWS = 7


def make_kernel(land, noise, t0, t1, t2, t3, stop):
    """Build the jitted kernel of one structure (all arguments are integer codes).

    The returned function advances the trajectories ``start <= i < end`` of the arrays
    it is given (local indices; ``gidx[i]`` is the global index that keys the stream)
    and writes ``out_status[i]``, ``out_step[i]`` and ``out_x[i]``. It is serial and
    releases the GIL; the engine runs chunks of paths on a thread pool.

    Kernel arguments
    ----------------
    x0 : (n, d) float64          start points
    gidx : (n,) uint64           global path indices (stream keys)
    lo, hi : (n,) float64        per-path stop interval for x_0 (STOP_INTERVAL)
    land_p, noise_p, opt_p       parameter vectors (layouts in :mod:`.codes`)
    seed : uint64
    n_steps : int64              horizon
    diverge_at : float64         |x_c| above this (or non-finite) marks DIVERGED
    start, end : int64           the chunk of local indices to run
    out_status : (n,) int8, out_step : (n,) int64, out_x : (n, d) float64

    Per-lane state lives in two buffers (uint64 generator words, float64 everything
    else, step counts included: exact to 2^53), so LLVM needs at most one overlap
    check per loop. In 1-D a whole step is one fused lane loop; in d dimensions each
    phase is a lane loop per coordinate.
    """
    L = LANES

    @nb.njit(**_JIT)
    def step_1d(S, F, land_p, noise_p, opt_p, n_steps, diverge_at):
        na, nb_, nc, clip = noise_p[1], noise_p[2], noise_p[3], noise_p[0]
        o0, o1, o2, o3 = opt_p[0], opt_p[2], opt_p[4], opt_p[6]
        qa, qm = land_p[0], land_p[1] if land == C.LAND_QUADRATIC else 0.0
        n_crit = int(land_p[0]) if land == C.LAND_MULTIWELL else 0
        wlo = land_p[1] if land == C.LAND_MULTIWELL else -np.inf
        whi = land_p[2] if land == C.LAND_MULTIWELL else np.inf
        crit = land_p[3:]
        fsteps = float(n_steps)
        for j in range(L):
            xi, s0, s1, s2, s3 = noise_draw(noise, na, nb_, nc, S[j], S[1 * L + j], S[2 * L + j], S[3 * L + j])
            S[j] = s0
            S[1 * L + j] = s1
            S[2 * L + j] = s2
            S[3 * L + j] = s3
            x = F[j]
            if land == C.LAND_QUADRATIC:
                gr = quadratic_grad(qa, qm, x)
            elif land == C.LAND_DOUBLEWELL:
                gr = doublewell_grad0(x)
            else:
                gr = multiwell_grad(crit, n_crit, x)
            v = gr + clamp(xi, -clip, clip)
            v = transform1(t0, o0, v)
            v = transform1(t1, o1, v)
            v = transform1(t2, o2, v)
            v = transform1(t3, o3, v)
            xn = x + v
            if land == C.LAND_MULTIWELL:
                xn = clamp(xn, wlo, whi)
            bad = not (abs(xn) <= diverge_at)
            alive = F[(2 + _ACT) * L + j] != 0.0
            F[j] = xn if (alive and not bad) else x
            k = F[(2 + _K) * L + j] + (1.0 if alive else 0.0)
            F[(2 + _K) * L + j] = k
            out = False
            if stop == C.STOP_INTERVAL:
                out = (xn < F[(2 + _LO) * L + j]) or (xn > F[(2 + _HI) * L + j])
            new = C.DIVERGED if bad else (C.EXITED if out else C.RUNNING)
            F[(2 + _ST) * L + j] = float(new) if alive else F[(2 + _ST) * L + j]
            F[(2 + _ACT) * L + j] = 1.0 if (alive and new == C.RUNNING and k < fsteps) else 0.0

    @nb.njit(**_JIT)
    def step_nd(S, F, d, land_p, noise_p, opt_p, n_steps, diverge_at):
        na, nb_, nc, clip = noise_p[1], noise_p[2], noise_p[3], noise_p[0]
        R = 2 * d  # first per-lane scalar row
        # noise -> v
        for c in range(d):
            for j in range(L):
                xi, s0, s1, s2, s3 = noise_draw(noise, na, nb_, nc, S[j], S[1 * L + j], S[2 * L + j], S[3 * L + j])
                S[j] = s0
                S[1 * L + j] = s1
                S[2 * L + j] = s2
                S[3 * L + j] = s3
                F[(d + c) * L + j] = clamp(xi, -clip, clip)
        # v += grad f(x)
        if land == C.LAND_QUADRATIC:
            for c in range(d):
                a = land_p[c]
                m = land_p[d + c]
                for j in range(L):
                    F[(d + c) * L + j] += quadratic_grad(a, m, F[(c) * L + j])
        elif land == C.LAND_DOUBLEWELL:
            for j in range(L):
                F[(d) * L + j] += doublewell_grad0(F[j])
            for c in range(1, d):
                for j in range(L):
                    F[(d + c) * L + j] += F[(c) * L + j]
        else:
            for j in range(L):
                F[(d) * L + j] += multiwell_grad(land_p[3:], int(land_p[0]), F[j])
        # the optimiser chain, slot by slot
        for slot in range(C.N_SLOTS):
            kind = t0 if slot == 0 else (t1 if slot == 1 else (t2 if slot == 2 else t3))
            a = opt_p[2 * slot]
            if kind == C.T_SCALE:
                for c in range(d):
                    for j in range(L):
                        F[(d + c) * L + j] = -a * F[(d + c) * L + j]
            elif kind == C.T_CLIP_COORD:
                for c in range(d):
                    for j in range(L):
                        F[(d + c) * L + j] = clamp(F[(d + c) * L + j], -a, a)
            elif kind == C.T_CLIP_NORM:
                for j in range(L):
                    F[(R + _TMP) * L + j] = 0.0
                for c in range(d):
                    for j in range(L):
                        F[(R + _TMP) * L + j] += F[(d + c) * L + j] * F[(d + c) * L + j]
                for j in range(L):
                    n2 = F[(R + _TMP) * L + j]
                    F[(R + _TMP) * L + j] = a / math.sqrt(n2) if n2 > a * a else 1.0
                for c in range(d):
                    for j in range(L):
                        F[(d + c) * L + j] *= F[(R + _TMP) * L + j]
        # candidate iterate, divergence flags
        for j in range(L):
            F[(R + _BAD) * L + j] = 0.0
        for c in range(d):
            for j in range(L):
                xn = F[(c) * L + j] + F[(d + c) * L + j]
                F[(d + c) * L + j] = xn
                F[(R + _BAD) * L + j] = 1.0 if not (abs(xn) <= diverge_at) else F[(R + _BAD) * L + j]
        if land == C.LAND_MULTIWELL:
            for j in range(L):
                F[(d) * L + j] = clamp(F[(d) * L + j], land_p[1], land_p[2])
        # commit live, finite lanes; DIVERGED lanes keep their last good iterate
        for c in range(d):
            for j in range(L):
                ok = F[(R + _ACT) * L + j] != 0.0 and F[(R + _BAD) * L + j] == 0.0
                F[(c) * L + j] = F[(d + c) * L + j] if ok else F[(c) * L + j]
        fsteps = float(n_steps)
        for j in range(L):
            alive = F[(R + _ACT) * L + j] != 0.0
            k = F[(R + _K) * L + j] + (1.0 if alive else 0.0)
            F[(R + _K) * L + j] = k
            out = False
            if stop == C.STOP_INTERVAL:
                out = (F[(d) * L + j] < F[(R + _LO) * L + j]) or (F[(d) * L + j] > F[(R + _HI) * L + j])
            new = C.DIVERGED if F[(R + _BAD) * L + j] != 0.0 else (C.EXITED if out else C.RUNNING)
            F[(R + _ST) * L + j] = float(new) if alive else F[(R + _ST) * L + j]
            F[(R + _ACT) * L + j] = 1.0 if (alive and new == C.RUNNING and k < fsteps) else 0.0

    @nb.njit(**_JIT)
    def load_lane(S, F, j, i, d, gidx, seed, x0, lo, hi, n_steps):
        a, b, c, e = seed_state(seed, gidx[i])
        S[j] = a
        S[1 * L + j] = b
        S[2 * L + j] = c
        S[3 * L + j] = e
        for cc in range(d):
            F[(cc) * L + j] = x0[i, cc]
        R = 2 * d
        F[(R + _LO) * L + j] = lo[i]
        F[(R + _HI) * L + j] = hi[i]
        F[(R + _K) * L + j] = 0.0
        F[(R + _ST) * L + j] = float(C.RUNNING)
        F[(R + _ACT) * L + j] = 1.0 if n_steps > 0 else 0.0

    @nb.njit(**_JIT)
    def kernel(x0, gidx, lo, hi, land_p, noise_p, opt_p, seed, n_steps, diverge_at,
               start, end, out_status, out_step, out_x):
        d = x0.shape[1]
        R = 2 * d
        S = np.empty(4 * L, dtype=np.uint64)
        F = np.zeros((R + _NROWS) * L)
        ids = np.full(L, -1, dtype=np.int64)
        for j in range(L):
            # idle lanes: a valid generator state and a frozen, finite x
            for q in range(4):
                S[q * L + j] = np.uint64(j + 1)
            F[(R + _LO) * L + j] = -np.inf
            F[(R + _HI) * L + j] = np.inf
        nxt = start
        live = 0
        for j in range(L):
            if nxt < end:
                load_lane(S, F, j, nxt, d, gidx, seed, x0, lo, hi, n_steps)
                ids[j] = nxt
                nxt += 1
                live += 1
        while live > 0:
            for _ in range(CHECK):
                if d == 1:
                    step_1d(S, F, land_p, noise_p, opt_p, n_steps, diverge_at)
                else:
                    step_nd(S, F, d, land_p, noise_p, opt_p, n_steps, diverge_at)
            # scalar pass: write finished lanes and refill them
            for j in range(L):
                i = ids[j]
                if i >= 0 and F[(R + _ACT) * L + j] == 0.0:
                    out_status[i] = np.int8(F[(R + _ST) * L + j])
                    out_step[i] = np.int64(F[(R + _K) * L + j])
                    for c in range(d):
                        out_x[i, c] = F[c * L + j]
                    if nxt < end:
                        load_lane(S, F, j, nxt, d, gidx, seed, x0, lo, hi, n_steps)
                        ids[j] = nxt
                        nxt += 1
                    else:
                        ids[j] = -1
                        live -= 1

    return kernel


_REGISTRY = {}


def get_kernel(structure):
    """The kernel of ``structure`` (a tuple of codes), built once per process."""
    kern = _REGISTRY.get(structure)
    if kern is None:
        kern = _REGISTRY[structure] = make_kernel(*structure)
    return kern


def compiled_signatures():
    """Total number of compiled signatures over every kernel built in this process."""
    return sum(len(k.signatures) for k in _REGISTRY.values())


def built_structures():
    """The structures for which a kernel exists in this process."""
    return tuple(_REGISTRY)
