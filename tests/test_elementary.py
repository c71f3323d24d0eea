"""The kernels' plain-arithmetic elementary functions against NumPy, with stated ulp bounds.

``vlog``, ``vexp`` and ``vcos2pi`` (``simsgd/_kernels/elementary.py``) replace libm calls
so that lane loops vectorise. Each is checked on its whole domain as the samplers use it:
random points, U near 2^-53 (the smallest uniform the generator gives), the
range-reduction boundaries (sqrt(2)/2 and sqrt(2) times powers of two for log; multiples
of ln2/2 for exp; multiples of 1/8 for cos(2 pi u)) and the edges of exp's range.
The error is measured in ulps of the exact value. The reference is numpy's libm result
for log and exp (correctly rounded to within 0.5-1 ulp itself), and for cos(2 pi u) a
long-double evaluation after the same exact reduction, because ``numpy.cos(2 * pi * u)``
is not accurate near the zeros (the product 2*pi*u is rounded first).
"""

import numba as nb
import numpy as np
import pytest

from simsgd._kernels.elementary import (fetch_add, fma, vcos2pi, vexp, vlog, vsincos2pi,
                                        vsincos2pi_half, vsincos2pi_quarter)
from simsgd._kernels.rng import numpy_u01, sign_bit, u01

RNG = np.random.default_rng(20261123)
PI_LD = np.longdouble("3.14159265358979323846264338327950288")


def _vectorised(fn):
    # error_model="numpy" as in the kernels: Python's model checks every division for a
    # zero divisor, and that branch alone keeps LLVM from vectorising vlog's loop
    @nb.njit(error_model="numpy")
    def apply(u):
        out = np.empty_like(u)
        for i in range(u.size):
            out[i] = fn(u[i])
        return out
    return apply


def _ulps(got, exact):
    """|got - exact| in units of the spacing of float64 at |exact| (exact nonzero)."""
    exact = np.asarray(exact, dtype=np.longdouble)
    err = np.abs(np.asarray(got, dtype=np.longdouble) - exact)
    return (err / np.spacing(np.abs(exact).astype(np.float64))).astype(np.float64)


def _around(points, k=2000):
    """Every float64 within k ulps of each point."""
    points = np.asarray(points, dtype=np.float64)
    steps = np.arange(-k, k + 1)
    return np.concatenate([p + steps * np.spacing(p) for p in points])


def test_vlog_within_one_ulp_on_the_uniforms_and_reduction_boundaries():
    u53 = np.arange(1, 1 << 16) * 2.0 ** -53                      # U near 2^-53
    u = np.concatenate([
        RNG.random(2_000_000), u53, 1.0 - np.arange(0, 5000) * 2.0 ** -53,
        _around(np.sqrt(2.0) / 2.0 * 2.0 ** np.arange(-52.0, 1.0)),  # reduction edges
        _around(np.sqrt(2.0) * 2.0 ** np.arange(-52.0, 1.0)),
        np.exp(RNG.uniform(-700, 700, 200_000)),                      # all magnitudes
    ])
    u = u[(u > 0) & np.isfinite(u) & (u >= np.finfo(float).tiny)]
    exact = np.log(u)
    keep = exact != 0.0
    worst = _ulps(_vectorised(vlog)(u)[keep], exact[keep]).max()
    # measured 1.0 on an AVX-512 machine (NumPy's own AVX-512 log there), 0.84 on an AVX2
    # one; fdlibm's bound is < 1 ulp against the exact value
    assert worst <= 1.0, worst
    assert _vectorised(vlog)(np.array([1.0]))[0] == 0.0


def _fdlibm_log_with_division(u):
    """fdlibm's log as vlog computes it but with the division ``s = f / (2 + f)``, in
    NumPy (the same operations in the same order: IEEE arithmetic gives the same bits)."""
    from simsgd._kernels import elementary as E
    bits = u.view(np.int64)
    hi = (bits >> 32) + (0x3FF00000 - 0x3FE6A09E)
    k = (hi >> 20) - 0x3FF
    hi = (hi & 0x000FFFFF) + 0x3FE6A09E
    f = ((hi << 32) | (bits & 0xFFFFFFFF)).view(np.float64) - 1.0
    hfsq = 0.5 * f * f
    s = f / (2.0 + f)
    z = s * s
    w = z * z
    r = z * (E._LG1 + w * (E._LG3 + w * (E._LG5 + w * E._LG7))) + w * (
        E._LG2 + w * (E._LG4 + w * E._LG6))
    dk = k.astype(np.float64)
    return s * (hfsq + r) + dk * E._LN2_LO - hfsq + f + dk * E._LN2_HI


def test_vlog_without_its_division_gives_the_divisions_bits():
    # vlog's Newton steps and corrected quotient round to f / (2 + f) except within ~1e-23
    # of a rounding midpoint (elementary.vlog): no such case among 3 million inputs
    u = np.concatenate([RNG.random(2_000_000), np.exp(RNG.uniform(-700, 0, 1_000_000)),
                        _around(np.sqrt(2.0) / 2.0 * 2.0 ** np.arange(-52.0, 1.0), 200)])
    u = u[u >= np.finfo(float).tiny]
    np.testing.assert_array_equal(_vectorised(vlog)(u), _fdlibm_log_with_division(u))


def test_vexp_within_two_ulp_and_its_range_edges():
    ln2 = np.log(2.0)
    y = np.concatenate([
        RNG.uniform(-708.0, 709.0, 2_000_000), RNG.uniform(-40.0, 40.0, 1_000_000),
        _around((np.arange(-2040, 2041) + 0.5) * ln2 / 1.0, 50),      # rounding boundaries
        np.linspace(-708.39, 709.78, 100_001),
    ])
    y = y[(y > -708.39) & (y < 709.78)]
    worst = _ulps(_vectorised(vexp)(y), np.exp(y)).max()
    assert worst <= 2.0, worst  # measured 1.0 (whole ulps: the reference is rounded too)
    edges = _vectorised(vexp)(np.array([710.0, 1e300, np.inf, -709.0, -1e300, -np.inf, 0.0]))
    assert np.isposinf(edges[:3]).all() and (edges[3:6] == 0.0).all() and edges[6] == 1.0


def _cos2pi_exact(u):
    """cos(2 pi u) in long double after the exact reduction the kernel also uses."""
    a = np.abs(u - np.round(u))
    q = np.round(4.0 * a)
    th = 2.0 * PI_LD * (a - 0.25 * q).astype(np.longdouble)
    return np.where(q == 0, np.cos(th), np.where(q == 1, -np.sin(th), -np.cos(th)))


def _box_muller_uniforms():
    """The uniforms u in (0, 1] of a Box-Muller angle: random ones, the smallest and largest
    the generator gives, a fine grid, and every multiple of 1/8 (the reduction's
    boundaries) with its neighbours."""
    eighths = np.arange(1, 9) / 8.0
    u = np.concatenate([
        RNG.random(2_000_000), np.arange(1, 1 << 16) * 2.0 ** -53,
        1.0 - np.arange(0, 5000) * 2.0 ** -53, np.linspace(0.0, 1.0, 1_000_001),
        _around(eighths), np.add.outer(eighths, 2.0 ** -40 * np.arange(-50, 51)).ravel(),
    ])
    return u[(u > 0.0) & (u <= 1.0)]


def test_vcos2pi_within_two_ulp_including_near_its_zeros():
    u = _box_muller_uniforms()
    got = _vectorised(vcos2pi)(u)
    exact = _cos2pi_exact(u)
    zero = exact == 0.0                      # u = 1/4, 3/4 exactly
    assert (got[zero] == 0.0).all()
    worst = _ulps(got[~zero], exact[~zero]).max()
    assert worst <= 2.0, worst               # measured 1.76
    # the values the samplers rely on: cos(0) = cos(2 pi) = 1, cos(pi) = -1
    np.testing.assert_array_equal(_vectorised(vcos2pi)(np.array([0.0, 1.0, 0.5])), [1, 1, -1])


@nb.njit(inline="always", error_model="numpy")
def _pair_sin(u):
    return vsincos2pi(u)[0]


@nb.njit(inline="always", error_model="numpy")
def _pair_cos(u):
    return vsincos2pi(u)[1]


def test_vsincos2pi_within_two_ulp_on_box_mullers_angles():
    """Box-Muller's pair (the Gaussian law in d >= 2): sin(2 pi u) and cos(2 pi u) for the
    uniforms u in (0, 1], near 0 and 1 and around every multiple of 1/8 (the reduction's
    boundaries), against long double after the same exact reduction."""
    u = _box_muller_uniforms()
    got_s, got_c = _vectorised(_pair_sin)(u), _vectorised(_pair_cos)(u)
    for got, exact in zip((got_s, got_c), _sincos2pi_exact(u)):
        zero = exact == 0.0                  # u = 1/4, 1/2, 3/4, 1 exactly
        assert (got[zero] == 0.0).all()
        worst = _ulps(got[~zero], exact[~zero]).max()
        assert worst <= 2.0, worst           # measured 1.79 and 1.80 (sin, cos)
    # a uniform angle: sin^2 + cos^2 = 1 to rounding (a loose check of the quadrant signs)
    assert np.abs(got_s * got_s + got_c * got_c - 1.0).max() < 1e-15


@pytest.mark.parametrize("fn", [vlog, vexp, vcos2pi, _pair_sin, _pair_cos])
def test_elementary_functions_keep_a_lane_loop_vectorised(fn):
    """A loop over an array calling the function compiles to packed vector code: no call
    to libm remains (the point of writing them as plain arithmetic)."""
    apply = _vectorised(fn)
    apply(np.linspace(0.1, 0.9, 64))
    llvm = apply.inspect_llvm(apply.signatures[0])
    assert "vector.body" in llvm
    for libm in ("@log(", "@exp(", "@cos(", "@llvm.cos", "@llvm.log", "@llvm.exp"):
        assert libm not in llvm, libm


# ---------------------------------------------------------------------------------------
# The FMA building blocks (the stable sampler, Box-Muller pairs) and the bit-built uniforms
# ---------------------------------------------------------------------------------------
def _sincos2pi_exact(y):
    """(sin, cos)(2 pi y) in long double after the exact reduction the kernel uses."""
    t = y - np.round(y)
    q = np.round(4.0 * t)
    th = 2.0 * PI_LD * (t - 0.25 * q).astype(np.longdouble)
    s, c = np.sin(th), np.cos(th)
    return (np.select([q == 0, q == 1, q == -1], [s, c, -c], -s),
            np.select([q == 0, q == 1, q == -1], [c, -s, s], -c))


def test_vsincos2pi_within_two_ulp_on_the_stable_samplers_angles():
    quarters = np.arange(-4, 5) / 8.0
    y = np.concatenate([
        RNG.uniform(-0.5, 0.5, 2_000_000), np.arange(-(1 << 14), 1 << 14) * 2.0 ** -53,
        _around(quarters[quarters != 0]), np.linspace(-0.5, 0.5, 1_000_001),
        np.add.outer(quarters, 2.0 ** -40 * np.arange(-50, 51)).ravel(),
    ])

    @nb.njit(error_model="numpy")
    def apply(u):
        s = np.empty_like(u)
        c = np.empty_like(u)
        for i in range(u.size):
            s[i], c[i] = vsincos2pi(u[i])
        return s, c

    got = apply(y)
    for g, exact in zip(got, _sincos2pi_exact(y)):
        zero = exact == 0.0
        assert (g[zero] == 0.0).all()
        worst = _ulps(g[~zero], exact[~zero]).max()
        assert worst <= 2.0, worst           # measured 1.8 (the rounding of 2 pi r)
    llvm = apply.inspect_llvm(apply.signatures[0])
    assert "vector.body" in llvm and "@sin(" not in llvm and "@cos(" not in llvm


def test_vsincos2pi_quarter_gives_the_half_ranges_bits():
    """The Stable sampler's first angle uses vsincos2pi_quarter (|t| <= 1/4), which sets
    the signs by abs and copysign: its values must be vsincos2pi_half's bit for bit, the
    cosine as |cos|, on random points, a dense grid, the octant edges +-1/8 and +-1/4 with
    their neighbours, and the smallest magnitudes. They differ only in the signs of zeros:
    the cosine at t = 1/4 (-0 against +0) and the sine at t = -0 (-0 against +0); the
    sampler's angle is never -0, and it floors the cosine at a positive number."""
    @nb.njit(error_model="numpy")
    def both(t):
        out = np.empty((4, t.size))
        for i in range(t.size):
            out[0, i], out[1, i] = vsincos2pi_quarter(t[i])
            out[2, i], out[3, i] = vsincos2pi_half(t[i])
        return out

    edges = np.array([-0.25, -0.125, 0.0, 0.125, 0.25])
    t = np.concatenate([
        RNG.uniform(-0.25, 0.25, 1_000_000), np.linspace(-0.25, 0.25, 1_000_001),
        _around(edges[edges != 0.0]), np.arange(-(1 << 12), 1 << 12) * 2.0 ** -53,
        [5e-324, -5e-324, 2.0 ** -1022, -(2.0 ** -1022)],
    ])
    t = t[np.abs(t) <= 0.25]
    sq, cq, sh, ch = both(t)
    assert sq.view(np.int64).tolist() == sh.view(np.int64).tolist()
    assert cq.view(np.int64).tolist() == np.abs(ch).view(np.int64).tolist()
    assert (cq >= 0.0).all() and ch[t == 0.25][0] == 0.0
    assert [str(v) for v in both(np.array([-0.0]))[:, 0]] == ["-0.0", "1.0", "0.0", "1.0"]


def test_u01_and_sign_bit_built_from_bits_equal_the_conversions():
    """u01 and sign_bit avoid the 64-bit integer-to-float conversion (scalar on AVX2):
    their values must be the conversions' exactly, ((r >> 11) + 1) 2^-53 and 1 - 2 (r & 1),
    on a million random words and on the bit patterns at the edges."""
    @nb.njit(error_model="numpy")
    def both(r):
        a = np.empty(r.size)
        b = np.empty(r.size)
        for i in range(r.size):
            a[i] = u01(r[i])
            b[i] = sign_bit(r[i])
        return a, b

    edges = np.array([0, 2**64 - 1, 2**11 - 1, 2**11, 2**12 - 1, 2**12, 2**63,
                      2**64 - 2**11, 2**64 - 2**12], dtype=np.uint64)
    r = np.concatenate([RNG.integers(0, 2**64, 1_000_000, dtype=np.uint64), edges])
    a, b = both(r)
    np.testing.assert_array_equal(a, numpy_u01(r))
    np.testing.assert_array_equal(b, 1.0 - 2.0 * (r & np.uint64(1)).astype(np.float64))
    assert a[-8] == 1.0 and a[-9] == 2.0**-53 and a[-1] == 1.0 - 2.0**-53


def test_fma_rounds_once():
    @nb.njit
    def f(x, y, z):
        return fma(x, y, z)

    e = 2.0**-52
    # (1 + e)(1 - e) - 1 = -e^2: a separate multiply would round the product to 1 and give 0
    assert f(1.0 + e, 1.0 - e, -1.0) == -(e * e)


@nb.njit(nogil=True)
def _claim_many(counter, out):
    for k in range(out.shape[0]):
        out[k] = fetch_add(counter, 0, 1)


def test_fetch_add_hands_out_every_value_once_across_threads():
    # the kernels' threads claim paths this way (template.kernel): with 4 threads
    # hammering one counter, a lost update would hand out a value twice and leave the
    # counter short; every value in range(total) must come back exactly once
    import threading

    n, k = 200_000, 4
    counter = np.zeros(1, dtype=np.int64)
    outs = [np.empty(n, dtype=np.int64) for _ in range(k)]
    _claim_many(counter, np.empty(1, dtype=np.int64))  # compile outside the threads
    counter[0] = 0
    threads = [threading.Thread(target=_claim_many, args=(counter, o)) for o in outs]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert counter[0] == n * k
    np.testing.assert_array_equal(np.sort(np.concatenate(outs)), np.arange(n * k))
    # each thread sees its own claims in increasing order
    assert all(np.all(np.diff(o) > 0) for o in outs)
