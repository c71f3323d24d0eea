"""Counter-based per-trajectory random streams: xoshiro256** seeded by splitmix64.

Trajectory ``i`` of seed ``s`` starts from four splitmix64 outputs of the counter
``z = s ^ (i * SEED_MULT)``, exactly as ``../shared/bench/xoshiro.h`` does. Every path
therefore owns a stream that depends only on ``(seed, i)``: results do not depend on the
thread count, on which thread or lane runs a path, or on the executor.

The functions here work on scalars (``uint64``) so that they can be inlined into the
lane loops of :mod:`simsgd._kernels.kernel`, where LLVM vectorises them across lanes.
Everything is plain integer arithmetic: no ``np.random`` (not reproducible under
``prange``) and no Python objects.

A NumPy twin of the generator lives in :func:`numpy_streams`; the tests feed the same
uniforms to a plain NumPy reference of every recursion.
"""

import numba as nb
import numpy as np

from .elementary import _JIT, _LEAF, bits_f64

SEED_MULT = np.uint64(0xD1B54A32D192ED03)
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_MIX1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX2 = np.uint64(0x94D049BB133111EB)
TWO_M53 = 1.0 / 9007199254740992.0

# _JIT and _LEAF (leaf helpers, LLVM-inlined into the lane loops): see elementary.py


@nb.njit(**_JIT)
def splitmix64(z):
    """Advance the splitmix64 counter ``z``; return ``(new_z, output)``."""
    z = z + _GOLDEN
    r = z
    r = (r ^ (r >> np.uint64(30))) * _MIX1
    r = (r ^ (r >> np.uint64(27))) * _MIX2
    return z, r ^ (r >> np.uint64(31))


@nb.njit(**_JIT)
def seed_state(seed, index):
    """The four xoshiro256** state words of trajectory ``index`` for ``seed``."""
    z = np.uint64(seed) ^ (np.uint64(index) * SEED_MULT)
    z, a = splitmix64(z)
    z, b = splitmix64(z)
    z, c = splitmix64(z)
    z, d = splitmix64(z)
    return a, b, c, d


@nb.njit(**_LEAF)
def rotl(x, k):
    return (x << np.uint64(k)) | (x >> np.uint64(64 - k))


@nb.njit(**_LEAF)
def xoshiro_next(s0, s1, s2, s3):
    """One xoshiro256** step: return ``(output, s0, s1, s2, s3)``."""
    r = rotl(s1 * np.uint64(5), 7) * np.uint64(9)
    t = s1 << np.uint64(17)
    s2 = s2 ^ s0
    s3 = s3 ^ s1
    s1 = s1 ^ s2
    s0 = s0 ^ s3
    s2 = s2 ^ t
    s3 = rotl(s3, 45)
    return r, s0, s1, s2, s3


@nb.njit(**_LEAF)
def u01(r):
    """Uniform on (0, 1] from the top 53 bits of ``r``, ``((r >> 11) + 1) 2^-53``; never 0,
    so ``log`` is finite.

    Built from bits, without an integer-to-float conversion (AVX2 has none for 64-bit
    integers, so LLVM converted lane by lane): the top 52 bits ``m = r >> 12`` as a
    mantissa give ``bits(1 + m 2^-52) - 1 = m 2^-52`` exactly, and bit 11 adds ``2^-52``
    or ``2^-53`` (the ``+ 1``); the sum is a multiple of ``2^-53`` in (0, 1], so it is
    exact too: the same value as the conversion (tested)."""
    hi = bits_f64(np.int64(r >> np.uint64(12)) | 0x3FF0000000000000) - 1.0
    return hi + (2.0**-52 if (r >> np.uint64(11)) & np.uint64(1) else 2.0**-53)


@nb.njit(**_LEAF)
def sign_bit(r):
    """-1.0 if the lowest bit of ``r`` is set, else +1.0 (the bit ``u01`` does not use):
    the bit moved into the sign of 1.0, without a conversion (as in ``u01``)."""
    return bits_f64(np.int64((r & np.uint64(1)) << np.uint64(63)) | 0x3FF0000000000000)


# --------------------------------------------------------------------------------------
# NumPy twin, used by the tests' reference implementation and by diagnostics.
# --------------------------------------------------------------------------------------
_M64 = (1 << 64) - 1


def _py_splitmix(z):
    z = (z + 0x9E3779B97F4A7C15) & _M64
    r = z
    r = ((r ^ (r >> 30)) * 0xBF58476D1CE4E5B9) & _M64
    r = ((r ^ (r >> 27)) * 0x94D049BB133111EB) & _M64
    return z, r ^ (r >> 31)


def numpy_streams(seed, indices):
    """Raw 64-bit outputs of the streams of ``indices``, as a generator of uint64 arrays.

    Each call to ``next()`` returns one draw per trajectory (shape ``(len(indices),)``).
    Written with Python integers and NumPy, independently of the numba code, so that a
    test comparing the two checks the generator as well as the recursions.
    """
    states = []
    for i in indices:
        z = (int(seed) ^ ((int(i) * 0xD1B54A32D192ED03) & _M64)) & _M64
        words = []
        for _ in range(4):
            z, w = _py_splitmix(z)
            words.append(w)
        states.append(words)
    s = np.array(states, dtype=np.uint64).T.copy()  # (4, n)
    with np.errstate(over="ignore"):
        while True:
            s0, s1, s2, s3 = s
            r = _np_rotl(s1 * np.uint64(5), 7) * np.uint64(9)
            t = s1 << np.uint64(17)
            s2 ^= s0
            s3 ^= s1
            s1 ^= s2
            s0 ^= s3
            s2 ^= t
            s[3] = _np_rotl(s3, 45)
            yield r


def _np_rotl(x, k):
    return (x << np.uint64(k)) | (x >> np.uint64(64 - k))


def numpy_u01(r):
    """NumPy twin of :func:`u01`."""
    return ((r >> np.uint64(11)) + np.uint64(1)).astype(np.float64) * TWO_M53


def numpy_sign(r):
    """NumPy twin of :func:`sign_bit`."""
    return 1.0 - 2.0 * (r & np.uint64(1)).astype(np.float64)
