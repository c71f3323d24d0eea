"""Elementary functions as plain arithmetic, so that LLVM can vectorise them.

pip's numba has no SVML: ``math.log``/``math.exp`` calls stay scalar library calls and
keep a lane loop from vectorising (``../shared/bench/WORKLOADS.md``). The versions here
use only integer bit operations, multiply-add and selects.

- ``vlog(u)`` for finite ``u > 0``: fdlibm's reduction ``u = 2^k (1 + f)`` with
  ``sqrt(2)/2 <= 1 + f < sqrt(2)``, ``s = f / (2 + f)`` and
  ``log(1 + f) = f - f^2/2 + s (f^2/2 + R(s^2))`` with fdlibm's minimax ``R``.
  Error below 1 ulp on (0, 1] (tested against ``numpy.log``).
- ``vexp(y)``: ``y = k ln2 + r`` with ``|r| <= ln2/2`` (rounding by the 1.5*2^52 trick),
  ``exp(r)`` by its Taylor polynomial to degree 13 (truncation < 2e-17 relative), then
  multiplied by ``2^k`` built from bits. Overflow gives ``inf``, underflow ``0``.
  Error about 1 ulp (tested against ``numpy.exp``).
- ``vcos2pi(u)``: ``cos(2 pi u)`` for finite ``u``, the Box-Muller angle. ``t = u - round(u)``
  and ``a = |t| <= 1/2`` are exact, and so are ``q = round(4a)`` and ``r = a - q/4`` with
  ``|r| <= 1/8``; then ``cos(2 pi a) = cos(q pi/2 + theta)`` with ``theta = 2 pi r``, so it is
  ``cos(theta)``, ``-sin(theta)`` or ``-cos(theta)`` for q = 0, 1, 2. Both are Taylor
  polynomials on ``|theta| <= pi/4`` (degrees 16 and 15, truncation below 5e-17 relative),
  and a select picks one, so the lane loop has no branch.
  Error within 2 ulp of the exact value, also near its zeros (tested). ``vsin2pi(u)`` is
  its sine twin; the stable sampler writes its angles as ``2 pi u`` to use both.

These are the only functions in the kernels that may differ from libm, by ulps; the
NumPy reference in the tests uses libm and agrees to 1e-12.
"""

import numba as nb
import numpy as np
from llvmlite import ir
from numba import types
from numba.extending import intrinsic

_JIT = dict(nogil=True, cache=True, error_model="numpy")
# Leaf helpers of the lane loops: compiled once as ordinary functions, which LLVM inlines
# into the lane loops that call them (they are small and call nothing), so those loops
# still contain no calls and vectorise. Inlining them in numba IR instead (inline='always')
# re-ran numba's front end, typing and lowering at every call site: most of a kernel's
# cold compile time (benchmarks/compile_profile.py).
_LEAF = _JIT


@intrinsic
def f64_bits(typingctx, x):
    """Reinterpret a float64 as int64 (a no-op bitcast LLVM vectorises)."""
    if not isinstance(x, types.Float):
        return None

    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], ir.IntType(64))

    return types.int64(types.float64), codegen


@intrinsic
def bits_f64(typingctx, n):
    """Reinterpret an int64 as float64."""
    if not isinstance(n, types.Integer):
        return None

    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], ir.DoubleType())

    return types.float64(types.int64), codegen


_LN2_HI = 6.93147180369123816490e-01
_LN2_LO = 1.90821492927058770002e-10
_LG1 = 6.666666666666735130e-01
_LG2 = 3.999999999940941908e-01
_LG3 = 2.857142874366239149e-01
_LG4 = 2.222219843214978396e-01
_LG5 = 1.818357216161805012e-01
_LG6 = 1.531383769920937332e-01
_LG7 = 1.479819860511658591e-01
_SQRT2_BITS_HI = 0x3FF6A09E  # high word of sqrt(2)


@nb.njit(**_LEAF)
def vlog(u):
    """Natural log of a finite ``u > 0`` (normal numbers), in plain arithmetic."""
    bits = f64_bits(u)
    hi = bits >> 32
    # shift the mantissa so that 1 + f lands in [sqrt(2)/2, sqrt(2))
    hi = hi + (0x3FF00000 - 0x3FE6A09E)
    k = (hi >> 20) - 0x3FF
    hi = (hi & 0x000FFFFF) + 0x3FE6A09E
    m = bits_f64((hi << 32) | (bits & 0xFFFFFFFF))
    f = m - 1.0
    hfsq = 0.5 * f * f
    s = f / (2.0 + f)
    z = s * s
    w = z * z
    t1 = w * (_LG2 + w * (_LG4 + w * _LG6))
    t2 = z * (_LG1 + w * (_LG3 + w * (_LG5 + w * _LG7)))
    r = t2 + t1
    dk = float(k)
    return s * (hfsq + r) + dk * _LN2_LO - hfsq + f + dk * _LN2_HI


_INV_LN2 = 1.4426950408889634
_SHIFT = 6755399441055744.0  # 1.5 * 2^52: adding it rounds to an integer
_EXP_MAX = 709.782712893384
_EXP_MIN = -708.3964185322641  # below this, 2^k would be subnormal: flush to 0


@nb.njit(**_LEAF)
def vexp(y):
    """``exp(y)`` in plain arithmetic; ``inf`` above 709.78, ``0`` below -708.4."""
    yc = min(max(y, _EXP_MIN), _EXP_MAX)
    t = yc * _INV_LN2 + _SHIFT
    kf = t - _SHIFT
    r = (yc - kf * _LN2_HI) - kf * _LN2_LO
    # Taylor polynomial of exp(r) on |r| <= 0.3466, Horner form, degree 13
    p = 1.0 / 6227020800.0
    p = p * r + 1.0 / 479001600.0
    p = p * r + 1.0 / 39916800.0
    p = p * r + 1.0 / 3628800.0
    p = p * r + 1.0 / 362880.0
    p = p * r + 1.0 / 40320.0
    p = p * r + 1.0 / 5040.0
    p = p * r + 1.0 / 720.0
    p = p * r + 1.0 / 120.0
    p = p * r + 1.0 / 24.0
    p = p * r + 1.0 / 6.0
    p = p * r + 0.5
    p = p * r + 1.0
    p = p * r + 1.0
    # 2^k as bits; k = 1024 can occur at the top of the range, so split it in two
    k = np.int64(kf)
    k1 = k >> 1
    k2 = k - k1
    res = p * bits_f64((k1 + 1023) << 52) * bits_f64((k2 + 1023) << 52)
    res = np.inf if y > _EXP_MAX else res
    return 0.0 if y < _EXP_MIN else res


_TWO_PI = 6.283185307179586


@nb.njit(**_LEAF)
def _sincos_small(th):
    """``(sin th, cos th)`` for ``|th| <= pi/4``: Taylor polynomials of degrees 15 and 16
    in Horner form on ``th^2`` (truncation below 5e-17 relative)."""
    z = th * th
    c = 1.0 / 20922789888000.0
    c = c * z - 1.0 / 87178291200.0
    c = c * z + 1.0 / 479001600.0
    c = c * z - 1.0 / 3628800.0
    c = c * z + 1.0 / 40320.0
    c = c * z - 1.0 / 720.0
    c = c * z + 1.0 / 24.0
    c = c * z - 0.5
    c = c * z + 1.0
    s = 1.0 / 1307674368000.0
    s = s * z - 1.0 / 6227020800.0
    s = s * z + 1.0 / 39916800.0
    s = s * z - 1.0 / 362880.0
    s = s * z + 1.0 / 5040.0
    s = s * z - 1.0 / 120.0
    s = s * z + 1.0 / 6.0
    return th - th * z * s, c


@nb.njit(**_LEAF)
def vcos2pi(u):
    """``cos(2 pi u)`` in plain arithmetic (see the module docstring)."""
    t = u - ((u + _SHIFT) - _SHIFT)          # u - round(u), exact, in [-1/2, 1/2]
    a = abs(t)
    qf = (4.0 * a + _SHIFT) - _SHIFT         # round(4a) in {0, 1, 2}
    s, c = _sincos_small(_TWO_PI * (a - 0.25 * qf))   # |theta| <= pi/4
    res = -s if qf == 1.0 else c
    return -c if qf == 2.0 else res


@nb.njit(**_LEAF)
def vsin2pi(u):
    """``sin(2 pi u)`` in plain arithmetic: the same exact reduction with the sign kept,
    ``t = u - round(u)``, ``q = round(4t)`` in {-2, ..., 2}, ``r = t - q/4``, and
    ``sin(q pi/2 + theta)`` is ``sin``, ``cos``, ``-sin`` or ``-cos`` of theta."""
    t = u - ((u + _SHIFT) - _SHIFT)
    qf = (4.0 * t + _SHIFT) - _SHIFT
    s, c = _sincos_small(_TWO_PI * (t - 0.25 * qf))
    res = c if qf == 1.0 else s
    res = -c if qf == -1.0 else res
    return -s if abs(qf) == 2.0 else res
