"""Elementary functions as plain arithmetic, so that LLVM can vectorise them.

pip's numba has no SVML: ``math.log``/``math.exp`` calls stay scalar library calls and
keep a lane loop from vectorising (``../shared/bench/WORKLOADS.md``). The versions here
use only integer bit operations, multiply-add and selects.

- ``vlog(u)`` for finite ``u > 0``: fdlibm's reduction ``u = 2^k (1 + f)`` with
  ``sqrt(2)/2 <= 1 + f < sqrt(2)``, ``s = f / (2 + f)`` and
  ``log(1 + f) = f - f^2/2 + s (f^2/2 + R(s^2))`` with fdlibm's minimax ``R``, ``s``
  computed without a division (Newton steps and a corrected quotient, the same bits).
  Error within 1 ulp on (0, 1] (tested against ``numpy.log``).
- ``vexp(y)``: ``y = k ln2 + r`` with ``|r| <= ln2/2`` (rounding by the 1.5*2^52 trick),
  ``exp(r)`` by its Taylor polynomial to degree 13 (truncation < 2e-17 relative) with
  fused multiply-adds, then multiplied by ``2^k`` built from bits. Overflow gives ``inf``,
  underflow ``0``. Error 1 ulp at most on the test points (tested against ``numpy.exp``).
- ``vcos2pi(u)``: ``cos(2 pi u)`` for finite ``u``, the Box-Muller angle. ``t = u - round(u)``
  and ``a = |t| <= 1/2`` are exact, and so are ``q = round(4a)`` and ``r = a - q/4`` with
  ``|r| <= 1/8``; then ``cos(2 pi a) = cos(q pi/2 + theta)`` with ``theta = 2 pi r``, so it is
  ``cos(theta)``, ``-sin(theta)`` or ``-cos(theta)`` for q = 0, 1, 2. Both are Taylor
  polynomials on ``|theta| <= pi/4`` (degrees 16 and 15, truncation below 5e-17 relative),
  and a select picks one, so the lane loop has no branch.
  Error within 2 ulp of the exact value, also near its zeros (tested).
- ``vsincos2pi(u)``: ``(sin(2 pi u), cos(2 pi u))`` from one reduction and fdlibm's
  minimax kernels with fused multiply-adds (``fma``), within 2 ulp (1.81 measured); the
  stable sampler and the Gaussian law's Box-Muller pairs use it (the sampler through
  ``vsincos2pi_half`` and ``vsincos2pi_quarter``, the same values on smaller ranges).
  The older ``vcos2pi`` stays where a stream was defined with it, so that those streams do
  not change: the 1-D Gaussian draw (and a d >= 2 vector's odd last coordinate), Student-t
  and Radial's direction.

These are the only functions in the kernels that may differ from libm, by ulps; the
NumPy reference in the tests uses libm and agrees to 1e-12.
"""

import numba as nb
import numpy as np
from llvmlite import ir
from numba import types
from numba.core import cgutils
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


@intrinsic
def stack_f64(typingctx, n):
    """Stack memory for ``n`` float64 (``n`` a compile-time integer): use it as an array with
    ``numba.carray(stack_f64(n), n)``.

    This is for a lane loop that gathers, that is, reads at addresses it computes. LLVM
    cannot bound such an address. When the loop also stores into an argument array that
    might alias the gathered one, LLVM does not vectorise it. A stack array provably
    aliases no argument, so stores into it leave the loop vectorisable (see
    ``template._batch_lanes``). Do not rely on its initial contents. It lives until the
    function returns, and must not be returned or kept."""
    if not isinstance(n, types.IntegerLiteral) or n.literal_value < 1:
        return None
    size = n.literal_value

    def codegen(context, builder, signature, args):
        return cgutils.alloca_once(builder, context.get_value_type(types.float64), size=size)

    return types.CPointer(types.float64)(n), codegen


@intrinsic
def fetch_add(typingctx, arr, i, v):
    """``arr[i] += v`` as one atomic operation, returning the value before (C's
    ``__atomic_fetch_add`` with relaxed order; LLVM's ``atomicrmw add ... monotonic``).
    ``arr`` is a 1-D int64 array and ``i`` must be a valid index: it is not checked.

    The kernels' threads claim paths from one shared counter this way (see
    ``template.kernel``), as the C reference in ``../shared/bench`` does. Relaxed order is
    enough: the counter orders nothing else, and the engine reads the kernels' outputs
    only after their threads have returned."""
    if not (isinstance(arr, types.Array) and arr.ndim == 1 and arr.dtype == types.int64
            and isinstance(i, types.Integer) and isinstance(v, types.Integer)):
        return None

    def codegen(context, builder, signature, args):
        aryty = signature.args[0]
        ary = context.make_array(aryty)(context, builder, args[0])
        idx = context.cast(builder, args[1], signature.args[1], types.intp)
        ptr = cgutils.get_item_pointer(context, builder, aryty, ary, [idx], wraparound=False)
        val = context.cast(builder, args[2], signature.args[2], types.int64)
        return builder.atomic_rmw("add", ptr, val, "monotonic")

    return types.int64(arr, i, v), codegen


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
# 1 / (2 + f) ~ _RCP0 + _RCP1 f + _RCP2 f^2 on sqrt(2)/2 - 1 <= f < sqrt(2) - 1: minimax of
# the relative error (scipy.optimize, Nelder-Mead on 40001 points), 1.29e-3
_RCP0, _RCP1, _RCP2 = 0.5003192508661809, -0.2549925505025973, 0.11686289071326528


_INV_LN2 = 1.4426950408889634
_SHIFT = 6755399441055744.0  # 1.5 * 2^52: adding it rounds to an integer
_SHIFT_BITS = 0x4338000000000000  # the bits of 1.5 * 2^52 (_SHIFT)
_EXP_MAX = 709.782712893384
_EXP_MIN = -708.3964185322641  # below this, 2^k would be subnormal: flush to 0


_TWO_PI = 6.283185307179586
_SIGN = -0x8000000000000000  # the sign bit of a float64, as an int64
_ABS = 0x7FFFFFFFFFFFFFFF


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


@intrinsic
def fma(typingctx, x, y, z):
    """``x * y + z`` with one rounding (LLVM's ``llvm.fma``: one instruction that vectorises
    on FMA hardware, a libm call elsewhere). numba does not contract ``x * y + z`` by itself
    (no fast-math), and a fused multiply-add halves the instructions of a polynomial."""
    if not all(isinstance(v, types.Float) for v in (x, y, z)):
        return None

    def codegen(context, builder, signature, args):
        return builder.fma(*[context.cast(builder, v, t, types.float64)
                             for v, t in zip(args, signature.args)])

    return types.float64(types.float64, types.float64, types.float64), codegen


@nb.njit(**_LEAF)
def vexp(y):
    """``exp(y)`` in plain arithmetic; ``inf`` above 709.78, ``0`` below -708.4.

    ``y = k ln2 + r`` with ``|r| <= ln2/2`` (``k`` rounded by the 1.5 2^52 trick and read
    from the bits of ``y/ln2 + 1.5 2^52``), ``exp(r)`` by its Taylor polynomial to degree
    13 (truncation < 2e-17 relative) in Horner's scheme with fused multiply-adds, then
    ``2^k`` built from bits (in two halves: ``k = 1024`` occurs at the top of the range).

    - **k from bits**: ``t = 1.5 2^52 + k`` exactly (``|k| <= 1024``, in the binade of ulp
      1), the same integer as ``int(t - 1.5 2^52)``. A float-to-int64 conversion has no
      packed AVX2 instruction: LLVM converted it lane by lane (~50 of W1's ~1000
      instructions per 16-lane step).
    - **Horner with fused multiply-adds**: 13 fused operations instead of 13 multiplies
      and 13 adds (the version before, a stream break for every law that draws through
      ``exp`` when it changed), or Estrin's scheme (4 dependent steps instead of 13 but 3
      more multiplies; the Stable sampler's before). The fused steps are bound by the
      throughput of the vector units (16 lanes in flight; Stable's ~2700 instructions per
      step, a third of them spills), not by one lane's dependency chain. Single-threaded
      ns per step (3-4 alternating runs): W1 8.56-8.70 -> 7.86-8.09, Stable's family
      17.7-18.1 (Estrin) -> 16.6-17.0.
    """
    yc = min(max(y, _EXP_MIN), _EXP_MAX)
    t = fma(yc, _INV_LN2, _SHIFT)
    kf = t - _SHIFT
    r = fma(kf, -_LN2_LO, fma(kf, -_LN2_HI, yc))
    p = fma(1.0 / 6227020800.0, r, 1.0 / 479001600.0)
    p = fma(p, r, 1.0 / 39916800.0)
    p = fma(p, r, 1.0 / 3628800.0)
    p = fma(p, r, 1.0 / 362880.0)
    p = fma(p, r, 1.0 / 40320.0)
    p = fma(p, r, 1.0 / 5040.0)
    p = fma(p, r, 1.0 / 720.0)
    p = fma(p, r, 1.0 / 120.0)
    p = fma(p, r, 1.0 / 24.0)
    p = fma(p, r, 1.0 / 6.0)
    p = fma(p, r, 0.5)
    p = fma(p, r, 1.0)
    p = fma(p, r, 1.0)
    k = f64_bits(t) - _SHIFT_BITS      # |k| <= 1024: t = 1.5 2^52 + k exactly
    k1 = k >> 1
    k2 = k - k1
    res = p * bits_f64((k1 + 1023) << 52) * bits_f64((k2 + 1023) << 52)
    res = np.inf if y > _EXP_MAX else res
    return 0.0 if y < _EXP_MIN else res


@nb.njit(**_LEAF)
def vlog(u):
    """Natural log of a finite ``u > 0`` (normal numbers), in plain arithmetic.

    fdlibm's reduction and polynomial; ``s = f / (2 + f)`` without a division (on AVX-512
    a packed division is 16 cycles per 8 lanes and was 12% of W1's step): 9 multiplies and
    fused multiply-adds instead, W1 8% faster (single-threaded 3.60 -> 3.32 ns per step, 2
    alternating runs), Stable's and Gaussian's families 3%. The corrected quotient is the
    correctly rounded ``f / (2 + f)`` unless that lies within about 1e-23 (relative) of a
    rounding midpoint, so the values are the division's: the same bits on 5.08 million
    inputs (uniforms, all magnitudes, the reduction edges) and on 96 arrays of kernel
    results covering every law. Measured error: within 1 ulp of NumPy's ``log``."""
    bits = f64_bits(u)
    hi = bits >> 32
    # shift the mantissa so that 1 + f lands in [sqrt(2)/2, sqrt(2))
    hi = hi + (0x3FF00000 - 0x3FE6A09E)
    k = (hi >> 20) - 0x3FF
    hi = (hi & 0x000FFFFF) + 0x3FE6A09E
    m = bits_f64((hi << 32) | (bits & 0xFFFFFFFF))
    f = m - 1.0
    hfsq = 0.5 * f * f
    # s = f / (2 + f) without a division: a quadratic minimax y of 1 / (2 + f) on the
    # reduced range (relative error 1.3e-3), two Newton steps (e -> e^2: 1.7e-6, 2.8e-12)
    # and one correction of the quotient f y from its exact residual (fma): s is then the
    # correctly rounded f / (2 + f) but in near-midpoint cases (see the docstring)
    dd = 2.0 + f
    y = fma(fma(_RCP2, f, _RCP1), f, _RCP0)
    y = fma(y, fma(-dd, y, 1.0), y)
    y = fma(y, fma(-dd, y, 1.0), y)
    q0 = f * y
    s = fma(fma(-dd, q0, f), y, q0)
    z = s * s
    w = z * z
    t1 = w * (_LG2 + w * (_LG4 + w * _LG6))
    t2 = z * (_LG1 + w * (_LG3 + w * (_LG5 + w * _LG7)))
    r = t2 + t1
    dk = float(k)
    return s * (hfsq + r) + dk * _LN2_LO - hfsq + f + dk * _LN2_HI


# fdlibm's minimax coefficients on |x| <= pi/4 (k_sin.c, k_cos.c): sin x = x + x z S(z) and
# cos x = 1 - z/2 + z^2 C(z), z = x^2, each within 2^-58 of the function
_S1, _S2, _S3 = -1.66666666666666324348e-01, 8.33333333332248946124e-03, -1.98412698298579493134e-04
_S4, _S5, _S6 = 2.75573137070700676789e-06, -2.50507602534068634195e-08, 1.58969099521155010221e-10
_C1, _C2, _C3 = 4.16666666666666019037e-02, -1.38888888888741095749e-03, 2.48015872894767294178e-05
_C4, _C5, _C6 = -2.75573143513906633035e-07, 2.08757232129817482790e-09, -1.13596475577881948265e-11


@nb.njit(**_LEAF)
def _sincos_minimax(x):
    """``(sin x, cos x)`` for ``|x| <= pi/4``: fdlibm's kernels (degrees 13 and 14, less
    than 1 ulp), their polynomials in Horner's scheme with fused multiply-adds (see
    :func:`vexp` for why Horner), and the cosine summed as fdlibm does,
    ``w + ((1 - w) - z/2 + z^2 C(z))`` with ``w = 1 - z/2``."""
    z = x * x
    sp = fma(fma(fma(fma(fma(_S6, z, _S5), z, _S4), z, _S3), z, _S2), z, _S1)
    cp = fma(fma(fma(fma(fma(_C6, z, _C5), z, _C4), z, _C3), z, _C2), z, _C1)
    # fdlibm's w = 1 - hz and (1 - w) - hz with hz = z/2: z/2 is exact, so each fused
    # multiply-add rounds the same exact value (the same bits, one multiply fewer)
    w = fma(-0.5, z, 1.0)
    return fma(x * z, sp, x), w + fma(z * z, cp, fma(-0.5, z, 1.0 - w))


@nb.njit(**_LEAF)
def vsincos2pi_half(t):
    """``(sin(2 pi t), cos(2 pi t))`` for ``|t| <= 1/2``: :func:`vsincos2pi` without its
    first reduction (``t - round(t)`` is ``t`` itself there, so the values are the same bit
    for bit). ``q = round(4t)`` in {-2, ..., 2} is read from the bits of ``4t + 1.5 2^52``,
    ``theta = 2 pi (t - q/4)`` and ``sin``/``cos`` of ``q pi/2 + theta`` are +-sin or +-cos
    of ``theta`` (:func:`_sincos_minimax`): odd ``q`` swaps sin and cos, bit 1 of ``q``
    negates the sine and bit 1 of ``q + 1`` the cosine (sign flips, not selects). The
    Stable sampler's angles are within the range: three adds fewer per angle."""
    # 4t and q/4 are exact (powers of 2), so each fused multiply-add rounds the same
    # exact value as ``4.0 * t + _SHIFT`` and ``t - 0.25 * q`` did: the same bits, two
    # instructions fewer
    t4 = fma(4.0, t, _SHIFT)
    q = f64_bits(t4) - _SHIFT_BITS
    s, c = _sincos_minimax(_TWO_PI * fma(-0.25, t4 - _SHIFT, t))
    swap = (q & 1) != 0
    sn = bits_f64(f64_bits(c if swap else s) ^ ((q & 2) << 62))
    cs = bits_f64(f64_bits(s if swap else c) ^ (((q + 1) & 2) << 62))
    return sn, cs


@nb.njit(**_LEAF)
def vsincos2pi_quarter(t):
    """``(sin(2 pi t), |cos(2 pi t)|)`` for ``|t| <= 1/4``: :func:`vsincos2pi_half` with the
    signs set more cheaply, the same bits but for the signs of zeros (the cosine at
    ``t = 1/4``, -0 there and +0 here; the sine at ``t = -0``, +0 there, -0 here).

    Here ``q = round(4t)`` is -1, 0 or 1, the angle ``theta = 2 pi (t - q/4)`` has the sign
    of ``-q`` (or is 0), and the polynomial sine keeps the sign of its argument; so the
    cosine, ``cos theta`` or ``-+sin theta``, is >= 0, and the sine, ``sin theta`` or
    ``+-cos theta``, has the sign of ``t``: an ``abs`` and a ``copysign`` (one bit operation
    each) instead of two sign flips computed from ``q``. The Stable sampler's angle ``V = 2
    pi t`` is in this range, is never -0, and its cosine is floored at a positive number, so
    neither zero reaches a draw."""
    t4 = fma(4.0, t, _SHIFT)
    s, c = _sincos_minimax(_TWO_PI * fma(-0.25, t4 - _SHIFT, t))
    swap = (f64_bits(t4) & 1) != 0  # q odd (the bits of 1.5 2^52 end in 0)
    sn = bits_f64((f64_bits(c if swap else s) & _ABS) | (f64_bits(t) & _SIGN))
    return sn, abs(s if swap else c)


@nb.njit(**_LEAF)
def vsincos2pi(u):
    """``(sin(2 pi u), cos(2 pi u))`` from one exact reduction with the sign kept:
    ``t = u - round(u)`` in [-1/2, 1/2], then :func:`vsincos2pi_half`."""
    return vsincos2pi_half(u - ((u + _SHIFT) - _SHIFT))
