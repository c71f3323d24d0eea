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

Structure versus data: :func:`get_kernel` loads one jitted kernel per *structure*
(landscape kind, noise kind, the transform codes of the chain, the stop rule) from a
module generated from ``template.py``; all parameter values are runtime arrays, so new
values never compile anything. This module holds the scalar building blocks and the
generator of kernel modules.
"""

import hashlib
import importlib.util
import math
import os
import sys
import tempfile

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
# (slower code, 27 M vs 58 M steps/s per thread, and 8 s compiles).
#
# The kernel in each module,
#     kernel(x0, gidx, lo, hi, land_p, noise_p, opt_p, seed, n_steps, diverge_at,
#            start, end, out_status, out_step, out_x),
# advances the trajectories ``start <= i < end`` (local indices; ``gidx[i]`` is the
# global index that keys the stream) and writes ``out_status[i]``, ``out_step[i]`` and
# ``out_x[i]``. It is serial and releases the GIL; the engine runs chunks of paths on a
# thread pool. Array layouts are in :mod:`.codes`. Per-lane state lives in two flat
# buffers (uint64 generator words; float64 for everything else, step counts included,
# exact to 2^53), so LLVM needs at most one overlap check per loop. In 1-D a step is
# one fused lane loop; in d dimensions each phase is a lane loop per coordinate.


_TEMPLATE = os.path.join(os.path.dirname(__file__), "template.py")
_MARK = "LAND, NOISE, T0, T1, T2, T3, STOP, OBS = 1, 0, 1, 0, 0, 0, 0, 0\n"


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


def _module_source(structure):
    with open(_TEMPLATE) as fh:
        src = fh.read()
    if src.count(_MARK) != 1:  # pragma: no cover - guards template edits
        raise RuntimeError("kernel template lost its structure line")
    line = "LAND, NOISE, T0, T1, T2, T3, STOP, OBS = " + ", ".join(str(int(c)) for c in structure) + "\n"
    return src.replace(_MARK, line)


def _load_module(structure):
    src = _module_source(structure)
    digest = hashlib.sha256(src.encode()).hexdigest()[:12]
    name = "simsgd_kernel_" + "_".join(str(int(c)) for c in structure) + "_" + digest
    path = os.path.join(cache_dir(), name + ".py")
    # write once: an unchanged file keeps its mtime, which numba's cache keys on;
    # write atomically so concurrent processes never import a half-written file
    if not os.path.exists(path):
        fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path), suffix=".tmp")
        with os.fdopen(fd, "w") as fh:
            fh.write(src)
        os.replace(tmp, path)
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


_REGISTRY = {}


def get_kernel(structure):
    """The kernel of ``structure`` (a tuple of codes), loaded once per process."""
    kern = _REGISTRY.get(structure)
    if kern is None:
        if len(structure) != 4 + C.N_SLOTS:
            raise ValueError(f"bad kernel structure {structure!r}")
        kern = _REGISTRY[structure] = _load_module(structure).kernel
    return kern



def compiled_signatures():
    """Total number of compiled signatures over every kernel loaded in this process."""
    return sum(len(k.signatures) for k in _REGISTRY.values())


def built_structures():
    """The structures for which a kernel is loaded in this process."""
    return tuple(_REGISTRY)
