"""The noise models without the engine: laws of the NumPy twins, H, tail indices, lowering
and constructor checks.

The twins (``noise._numpy_vector``) are the exact formulas the kernel implements, fed by
the NumPy twin of the per-path streams. ``test_noise_engine.py`` checks that the kernel
gives the same numbers; here we check that those numbers have the right law. Tolerances
(KS p > 1e-4, proportions within 5 binomial SE) are derived in ``registry_noise.py``.
"""

import math

import numpy as np
import pytest
from scipy import stats

import simsgd as sg
from registry_noise import NOISES, run_checks, stream_words, twin_draws
from simsgd._kernels import codes as C

N = sg.noise
SEED = 20240611
N_SAMPLES = 200_000


def draws(case):
    return twin_draws(case.noise, N_SAMPLES, case.dim, SEED)


@pytest.mark.parametrize("case", NOISES)
def test_law(case):
    xi = draws(case)
    assert xi.shape == (N_SAMPLES, case.dim)
    assert np.all(np.isfinite(xi))
    failures = run_checks(case.checks(xi))
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("case", [p for p in NOISES if p.values[0].ts])
def test_tail_probabilities_match_H(case):
    # P(V > t) for V = |xi_0| (per-coordinate) or ||xi|| (radial) against H(t): the count
    # above t is Binomial(n, H(t)), so |p_hat - H(t)| <= 5 sqrt(H (1 - H) / n)
    # (a false alarm has probability ~6e-7 per point; see registry_noise.py)
    v = case.tail_variable(draws(case))
    failures = run_checks([("prop", f"P(V > {t:g})", np.count_nonzero(v > t), v.size,
                            case.noise.H(t)) for t in case.ts])
    assert not failures, "\n".join(failures)


# ---------------------------------------------------------------------------------------
# H against closed forms and scipy.stats
# ---------------------------------------------------------------------------------------
Z = np.array([0.0, 0.3, 1.0, 1.7, 2.0, 5.0, 30.0])


@pytest.mark.parametrize("noise, expected", [
    (N.Gaussian(1.5), 2 * stats.norm.sf(Z, scale=1.5)),
    (N.Pareto(1.5, scale=2.0), np.where(Z >= 2.0, (np.maximum(Z, 2.0) / 2.0) ** -1.5, 1.0)),
    (N.CompoundPareto(1.5, 0.1, 2.0),
     np.where(Z >= 2.0, 0.1 * (np.maximum(Z, 2.0) / 2.0) ** -1.5, 0.1)),
    (N.StudentT(3, scale=0.5), 2 * stats.t.sf(Z / 0.5, 3)),
    (N.Stable(1.5, scale=2.0), 2 * stats.levy_stable.sf(Z, 1.5, 0.0, scale=2.0)),
    (N.Stable(2.0), 2 * stats.norm.sf(Z, scale=np.sqrt(2.0))),
    (N.Stable(1.0, scale=3.0), 2 * stats.cauchy.sf(Z, scale=3.0)),
    # P(|E - 1| > z) = P(E > 1 + z) + P(E < 1 - z)
    (N.ShiftedExponential(), stats.expon.sf(1 + Z) + stats.expon.cdf(1 - Z)),
    (N.Radial(N.StudentT(3)), 2 * stats.t.sf(Z, 3)),
    (N.Clipped(N.Pareto(1.5), 1.7), np.where(Z < 1.7, np.maximum(Z, 1.0) ** -1.5, 0.0)),
], ids=repr)
def test_H_values(noise, expected):
    np.testing.assert_allclose(noise.H(Z), expected, rtol=1e-9, atol=1e-15)
    assert isinstance(noise.H(1.0), float)
    assert noise.H(-1.0) == 1.0


def test_pareto_and_compound_H_exact():
    assert N.Pareto(1.5).H(4.0) == 4.0**-1.5
    assert N.Pareto(2.0, scale=3.0).H(6.0) == 0.25
    assert N.Pareto(2.0, scale=3.0).H(2.0) == 1.0
    assert N.CompoundPareto(1.5, 0.001, 20.0).H(100.0) == pytest.approx(0.001 * 5.0**-1.5,
                                                                        rel=1e-15)
    assert N.CompoundPareto(1.5, 0.25, 20.0).H(10.0) == 0.25


@pytest.mark.parametrize("alpha", [0.7, 1.2, 1.5, 1.8, 1.95])
def test_stable_H_is_scipys_two_sided_tail(alpha):
    # where scipy's levy_stable.sf is accurate (the bulk and the near tail) H is 2 sf
    z = np.array([0.5, 1.0, 3.0, 10.0, 30.0])
    np.testing.assert_allclose(N.Stable(alpha, scale=2.0).H(2.0 * z),
                               2 * stats.levy_stable.sf(z, alpha, 0.0), rtol=1e-9)
    # far in the tail scipy's sf returns 0 (z >= 1000 at alpha = 1.5, scipy 1.17), H
    # keeps the Pareto-type asymptotics H(z) ~ (2/pi) Gamma(alpha) sin(pi alpha/2) z^-alpha
    c = 2 / np.pi * math.gamma(alpha) * np.sin(np.pi * alpha / 2)
    far = np.array([1e4, 1e6, 1e10])
    np.testing.assert_allclose(N.Stable(alpha).H(far), c * far**-alpha, rtol=1e-2)
    grid = np.r_[0.0, np.geomspace(1e-3, 1e12, 400), np.inf]
    h = N.Stable(alpha).H(grid)
    assert h[0] == 1.0 and h[-1] == 0.0
    assert np.all(h[1:-1] > 0) and np.all(np.diff(h) <= 0)


def test_clipped_radial_has_no_H():
    with pytest.raises(NotImplementedError, match="Radial"):
        N.Clipped(N.Radial(N.Pareto(1.5)), 3.0).H(1.0)


# ---------------------------------------------------------------------------------------
# Stable: the CMS formula is scipy's levy_stable(alpha, 0, scale) (default parametrisation)
# ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("alpha", [1.2, 1.5, 1.8])
def test_stable_matches_scipy_with_scale(alpha):
    # KS on 4000 draws (levy_stable.cdf is slow), scale 2.5 to pin scipy's scale convention
    xi = twin_draws(N.Stable(alpha, scale=2.5), 4000, 1, SEED + 1)[:, 0]
    assert not run_checks([("ks", "Stable", xi, stats.levy_stable(alpha, 0.0, scale=2.5).cdf)])


def test_stable_alpha_2_is_normal_with_variance_2_scale_squared():
    xi = twin_draws(N.Stable(2.0, scale=3.0), N_SAMPLES, 1, SEED)[:, 0]
    assert not run_checks([("ks", "Stable(2, 3)", xi, stats.norm(scale=3.0 * np.sqrt(2)).cdf)])
    assert stats.levy_stable.cdf(1.0, 2.0, 0.0, scale=3.0) == pytest.approx(
        stats.norm.cdf(1.0, scale=3.0 * np.sqrt(2)), rel=1e-6)


# ---------------------------------------------------------------------------------------
# Radial
# ---------------------------------------------------------------------------------------
def test_radial_norm_is_the_wrapped_radius_exactly():
    # ||xi|| = |Z| up to rounding, Z being the draw after the 2 d direction words
    n, d = 1000, 4
    inner = N.Pareto(1.5)
    xi = twin_draws(N.Radial(inner), n, d, SEED)
    w = stream_words(SEED, n)
    for _ in range(2 * d):
        w()
    z = inner._numpy_draw(w, n)
    np.testing.assert_allclose(np.linalg.norm(xi, axis=1), np.abs(z), rtol=1e-14)


def test_radial_1d_is_symmetrised():
    xi = twin_draws(N.Radial(N.ShiftedExponential()), N_SAMPLES, 1, SEED)[:, 0]
    # |xi| ~ |E - 1| and the sign is fair, independent of |xi|
    big = np.abs(xi) > 1.0
    assert not run_checks([
        ("prop", "P(xi > 0)", np.count_nonzero(xi > 0), xi.size, 0.5),
        ("prop", "P(xi > 0 | |xi| > 1)", np.count_nonzero(xi[big] > 0), np.count_nonzero(big), 0.5),
    ])


def test_radial_direction_independent_of_radius():
    # the direction given a large radius is still uniform: mean 0 within 5 SE
    xi = twin_draws(N.Radial(N.Pareto(1.5)), N_SAMPLES, 3, SEED)
    r = np.linalg.norm(xi, axis=1)
    top = xi[r > np.quantile(r, 0.9)]
    u = top / np.linalg.norm(top, axis=1)[:, None]
    assert not run_checks([("mean", f"E theta_{j} | large r", u[:, j], 0.0) for j in range(3)]
                          + [("ks", "theta_0 | large r", u[:, 0], stats.uniform(-1, 2).cdf)])


# ---------------------------------------------------------------------------------------
# Stream contract: words per draw, coordinate order, agreement with tests/reference.py
# ---------------------------------------------------------------------------------------
def _count_words(noise, dim, n=8):
    calls = []
    w = stream_words(SEED, n)

    def words():
        calls.append(1)
        return w()

    noise._numpy_vector(words, n, dim)
    return len(calls)


@pytest.mark.parametrize("noise, per_draw", [
    (N.Gaussian(1.0), 2), (N.Pareto(1.5), 1), (N.CompoundPareto(1.5, 0.1, 1.0), 2),
    (N.StudentT(3), 2), (N.Stable(1.5), 2), (N.Stable(1.0), 2), (N.ShiftedExponential(), 1),
], ids=repr)
@pytest.mark.parametrize("dim", [1, 3])
def test_words_per_draw(noise, per_draw, dim):
    assert noise.n_words == per_draw
    # the Gaussian law draws coordinates (2k, 2k+1) from one Box-Muller pair: 2 ceil(d/2)
    per_vector = 2 * -(-dim // 2) if isinstance(noise, N.Gaussian) else dim * per_draw
    assert _count_words(noise, dim) == per_vector
    assert _count_words(N.Clipped(noise, 1.0), dim) == per_vector
    # radial: d Box-Muller normals (2 words each), then one draw of the law
    assert _count_words(N.Radial(noise), dim) == 2 * dim + per_draw
    assert _count_words(N.Clipped(N.Radial(noise), 1.0), dim) == 2 * dim + per_draw


def test_coordinates_are_consecutive_draws():
    n = 100
    x3 = twin_draws(N.StudentT(3), n, 3, SEED)
    w = stream_words(SEED, n)
    for j in range(3):
        np.testing.assert_array_equal(x3[:, j], N.StudentT(3)._numpy_draw(w, n))


@pytest.mark.parametrize("noise", [N.Gaussian(1.5), N.Pareto(1.5), N.Pareto(0.8, scale=2.0),
                                   N.CompoundPareto(1.5, 0.3, 2.0),
                                   N.Clipped(N.Pareto(1.5), 3.0)], ids=repr)
@pytest.mark.parametrize("dim", [1, 3])
def test_twin_equals_current_reference(noise, dim):
    from reference import noise_draws
    from simsgd._kernels.rng import numpy_streams

    n = 2000
    ref = noise_draws(noise, numpy_streams(SEED, np.arange(n)), n, dim)
    np.testing.assert_array_equal(twin_draws(noise, n, dim, SEED), ref)


def test_clipped_twin_is_np_clip():
    n = 5000
    for inner, dim in [(N.Stable(1.2), 1), (N.Radial(N.Pareto(1.5)), 3)]:
        np.testing.assert_array_equal(twin_draws(N.Clipped(inner, 2.0), n, dim, SEED),
                                      np.clip(twin_draws(inner, n, dim, SEED), -2.0, 2.0))


@pytest.mark.parametrize("dim", [1, 2, 5])
def test_gaussian_pairs_on_fixed_words(dim):
    """Coordinates (2k, 2k+1) are the cosine and sine branches of one Box-Muller pair; an
    odd last coordinate (and 1-D) is the cosine branch of its own two words."""
    us = [(0.25, 0.125), (0.5, 0.625), (0.75, 0.875)]
    ws = []
    for u1, u2 in us:
        ws += [np.array([(int(u1 * 2**53) - 1) << 11], dtype=np.uint64),
               np.array([(int(u2 * 2**53) - 1) << 11], dtype=np.uint64)]
    it = iter(ws)
    xi = N.Gaussian(2.0)._numpy_vector(lambda: next(it), 1, dim)[0]
    expect = []
    for u1, u2 in us:
        rad = 2.0 * np.sqrt(-2.0 * np.log(u1))
        expect += [rad * np.cos(2 * np.pi * u2), rad * np.sin(2 * np.pi * u2)]
    expect = expect[:dim - 1] + [2.0 * np.sqrt(-2.0 * np.log(us[(dim - 1) // 2][0]))
                                 * np.cos(2 * np.pi * us[(dim - 1) // 2][1])] if dim % 2 else \
        expect[:dim]
    np.testing.assert_allclose(xi, expect, rtol=1e-15, atol=1e-15)


def test_exact_formulas_on_fixed_words():
    # hand-made words: u = ((r >> 11) + 1) 2^-53, sign from the lowest bit
    def word(u, neg=False):
        return np.array([((int(u * 2**53) - 1) << 11) | int(neg)], dtype=np.uint64)

    def replay(*ws):
        it = iter(ws)
        return lambda: next(it)

    u1, u2 = 0.25, 0.5
    assert N.Pareto(2.0, 3.0)._numpy_draw(replay(word(u1, True)), 1)[0] == -3.0 * 0.25**-0.5
    assert N.ShiftedExponential()._numpy_draw(replay(word(u2)), 1)[0] == -np.log(0.5) - 1.0
    t = N.StudentT(4.0, 2.0)._numpy_draw(replay(word(0.125), word(u2)), 1)[0]
    assert t == pytest.approx(2.0 * np.cos(np.pi / 4) * np.sqrt(4.0 * (0.5**-0.5 - 1.0)), rel=1e-15)
    v, w = np.pi * (0.75 - 0.5), -np.log(u2)
    s = N.Stable(1.5, 2.0)._numpy_draw(replay(word(0.75), word(u2)), 1)[0]
    expected = np.sin(1.5 * v) / np.cos(v) ** (1 / 1.5) * (np.cos(v - 1.5 * v) / w) ** (-0.5 / 1.5)
    assert s == pytest.approx(2.0 * expected, rel=1e-15)
    assert N.Stable(1.0)._numpy_draw(replay(word(0.75), word(u2)), 1)[0] == pytest.approx(1.0,
                                                                                         rel=1e-15)


# ---------------------------------------------------------------------------------------
# tail_index, lowering
# ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("noise, index", [
    (N.Gaussian(1.0), np.inf), (N.Pareto(1.5), 1.5), (N.CompoundPareto(1.2, 0.1, 1.0), 1.2),
    (N.StudentT(3), 3.0), (N.Stable(1.5), 1.5), (N.Stable(2.0), np.inf),
    (N.ShiftedExponential(), np.inf), (N.Radial(N.Pareto(1.5)), 1.5),
    (N.Radial(N.Gaussian(1.0)), np.inf), (N.Clipped(N.Pareto(1.5), 5.0), np.inf),
    (N.Clipped(N.Radial(N.Stable(1.2)), 5.0), np.inf),
], ids=repr)
def test_tail_index(noise, index):
    assert noise.tail_index == index


INF = np.inf


@pytest.mark.parametrize("noise, code, p", [
    (N.Gaussian(1.5), C.NOISE_GAUSSIAN, [INF, 1.5, 0, 0, 0]),
    (N.Pareto(2.0, 3.0), C.NOISE_PARETO, [INF, -0.5, 3.0, 0, 0]),
    (N.CompoundPareto(2.0, 0.1, 3.0), C.NOISE_COMPOUND, [INF, -0.5, 0.1, 3.0, 0]),
    (N.StudentT(4.0, 2.0), C.NOISE_STUDENT_T, [INF, -0.5, 4.0, 2.0, 0]),
    (N.Stable(1.5, 2.0), C.NOISE_STABLE, [INF, 1.5, 2.0, 0, 0]),
    (N.ShiftedExponential(), C.NOISE_SHIFTED_EXP, [INF, 0, 0, 0, 0]),
    (N.Radial(N.Pareto(2.0)), C.NOISE_PARETO, [INF, -0.5, 1.0, 0, 1.0]),
    (N.Clipped(N.Stable(1.5), 5.0), C.NOISE_STABLE, [5.0, 1.5, 1.0, 0, 0]),
    (N.Clipped(N.Radial(N.StudentT(4.0)), 5.0), C.NOISE_STUDENT_T, [5.0, -0.5, 4.0, 1.0, 1.0]),
], ids=repr)
def test_lower(noise, code, p):
    got_code, got_p = noise._lower()
    assert got_code == code
    assert len(got_p) == C.NOISE_P_LEN
    assert got_p == p
    assert all(type(v) is float for v in got_p)


@pytest.mark.parametrize("case", NOISES)
def test_every_registry_model_lowers(case):
    code, p = case.noise._lower()
    assert len(p) == C.NOISE_P_LEN
    assert p[4] == (1.0 if "Radial" in repr(case.noise) else 0.0)
    assert p[0] == (case.noise.c if isinstance(case.noise, N.Clipped) else np.inf)


# ---------------------------------------------------------------------------------------
# Constructor checks: the message names the parameter
# ---------------------------------------------------------------------------------------
BAD = {
    "gaussian nan": (lambda: N.Gaussian(np.nan), ValueError, r"^sigma must not be NaN"),
    "gaussian negative": (lambda: N.Gaussian(-1.0), ValueError, r"^sigma must be in \[0"),
    "pareto alpha 0": (lambda: N.Pareto(0.0), ValueError, r"^alpha must be in \(0"),
    "pareto scale inf": (lambda: N.Pareto(1.5, np.inf), ValueError, r"^scale must be finite"),
    "compound rate 0": (lambda: N.CompoundPareto(1.5, 0.0, 1.0), ValueError, r"^rate must"),
    "compound rate > 1": (lambda: N.CompoundPareto(1.5, 1.5, 1.0), ValueError, r"^rate must"),
    "compound w_min": (lambda: N.CompoundPareto(1.5, 0.5, -1.0), ValueError, r"^w_min must"),
    "t df nan": (lambda: N.StudentT(np.nan), ValueError, r"^df must not be NaN"),
    "t df 0": (lambda: N.StudentT(0.0), ValueError, r"^df must be in \(0"),
    "t df negative": (lambda: N.StudentT(-3), ValueError, r"^df must be in \(0"),
    "t df inf": (lambda: N.StudentT(np.inf), ValueError, r"^df must be finite"),
    "t df string": (lambda: N.StudentT("3"), TypeError, r"^df must be a real number"),
    "t scale 0": (lambda: N.StudentT(3, 0.0), ValueError, r"^scale must be in \(0"),
    "stable alpha > 2": (lambda: N.Stable(2.5), ValueError, r"^alpha must be in \(0.0, 2.0\]"),
    "stable alpha 0": (lambda: N.Stable(0.0), ValueError, r"^alpha must be in \(0.0, 2.0\]"),
    "stable alpha nan": (lambda: N.Stable(np.nan), ValueError, r"^alpha must not be NaN"),
    "stable alpha bool": (lambda: N.Stable(True), TypeError, r"^alpha must be a real number"),
    "stable scale negative": (lambda: N.Stable(1.5, -1.0), ValueError, r"^scale must be in \(0"),
    "shifted exp takes no parameter": (lambda: N.ShiftedExponential(1.0), TypeError, r"argument"),
    "radial of radial": (lambda: N.Radial(N.Radial(N.Pareto(1.5))), TypeError, r"^noise must"),
    "radial of clipped": (lambda: N.Radial(N.Clipped(N.Pareto(1.5), 2.0)), TypeError,
                          r"^noise must.*Clipped\(Radial"),
    "radial of non-noise": (lambda: N.Radial(1.5), TypeError, r"^noise must"),
    "radial of a class": (lambda: N.Radial(N.Gaussian), TypeError, r"^noise must"),
    "clipped of clipped": (lambda: N.Clipped(N.Clipped(N.Pareto(1.5), 2.0), 3.0), TypeError,
                           r"^noise must"),
    "clipped of non-noise": (lambda: N.Clipped("pareto", 3.0), TypeError, r"^noise must"),
    "clipped c nan": (lambda: N.Clipped(N.Radial(N.Pareto(1.5)), np.nan), ValueError,
                      r"^c must not be NaN"),
    "clipped c 0": (lambda: N.Clipped(N.Stable(1.5), 0.0), ValueError, r"^c must be in \(0"),
}


@pytest.mark.parametrize("make, exc, match", BAD.values(), ids=BAD.keys())
def test_bad_parameters(make, exc, match):
    with pytest.raises(exc, match=match):
        make()


def test_models_are_frozen_and_hashable():
    m = N.Clipped(N.Radial(N.Stable(1.5, 2.0)), 5.0)
    assert m == N.Clipped(N.Radial(N.Stable(1.5, 2.0)), 5.0)
    assert len({m, N.ShiftedExponential(), N.ShiftedExponential()}) == 2
    with pytest.raises(AttributeError):
        m.c = 1.0
    assert repr(m) == "Clipped(noise=Radial(noise=Stable(alpha=1.5, scale=2.0)), c=5.0)"
    assert N.StudentT(3).df == 3.0 and type(N.StudentT(3).df) is float
