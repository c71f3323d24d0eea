"""theory.patel, theory.l0l1 and theory.levy reproduce THEORY.md's worked numbers and refuse
parameters outside their assumptions.

Tolerances on quoted numbers are half a unit in the last quoted digit (the quote is a
rounding of the exact value). Counts and closed forms that are exact get a float-rounding
tolerance.
"""

import itertools
import math

import numpy as np
import pytest
from scipy import special, stats

import simsgd as sg

patel = sg.theory.patel
l0l1 = sg.theory.l0l1
levy = sg.theory.levy

Q = [0.2, 1.8]  # THEORY.md §2 example


# --- Patel (THEORY.md §2) ---------------------------------------------------------------

def test_patel_thresholds_match_theory_md():
    # quoted to 4 decimals -> half a unit in the 4th decimal: abs 5e-5
    assert patel.c_ms(Q, 1).value == pytest.approx(1.2195, abs=5e-5)
    assert patel.c_as(Q, 1).value == pytest.approx(1.3079, abs=5e-5)
    assert patel.c_gd(Q).value == pytest.approx(2.0, rel=1e-15)  # exact: 2 / qbar
    assert patel.c_ms(Q, 1).kind == patel.c_as(Q, 1).kind == patel.c_gd(Q).kind == "tight"


def test_patel_second_moment_rate_matches_theory_md():
    # rho = (1 - 1.25)^2 + 1.25^2 * 0.64 = 1.0625 exactly; only float rounding: rel 1e-12
    rho = patel.second_moment_rate(Q, 1, 1.25).value
    assert rho == pytest.approx(1.0625, rel=1e-12)
    # THEORY.md: rho^400 is "about 3.4e10" (2 digits -> rel 5e-2/3.4)
    assert rho**400 == pytest.approx(3.4e10, rel=0.05 / 3.4)


def test_patel_c_as_is_a_root_and_c_ms_is_where_rho_is_one():
    # exact definitions, checked to the solvers' tolerances (brentq xtol 1e-14)
    assert patel.log_growth_rate(Q, 1, patel.c_as(Q, 1).value).value == pytest.approx(0, abs=1e-12)
    assert patel.second_moment_rate(Q, 1, patel.c_ms(Q, 1).value).value == pytest.approx(1, rel=1e-12)
    # THEORY.md §2: at C = 1.15 and 1.25 paths converge a.s., at 1.35 they diverge
    assert patel.log_growth_rate(Q, 1, 1.25).value < 0 < patel.log_growth_rate(Q, 1, 1.35).value


@pytest.mark.parametrize("batch_size", [1, 2, 3, 5, 8])
def test_patel_closed_forms_agree_with_batch_enumeration(batch_size):
    q = np.random.default_rng(7).exponential(size=8)
    qb = np.array([np.mean(c) for c in itertools.combinations(q, batch_size)])
    C = 0.9
    # the closed-form variance of a without-replacement batch mean is exact: float rounding only
    assert patel.second_moment_rate(q, batch_size, C).value == pytest.approx(
        np.mean((1 - C * qb) ** 2), rel=1e-12)
    ms, a_s = patel.c_ms(q, batch_size).value, patel.c_as(q, batch_size).value
    assert ms <= a_s + 1e-12  # Jensen: C_as >= C_ms
    assert np.mean(np.log(np.abs(1 - a_s * qb))) == pytest.approx(0, abs=1e-12)
    # no earlier root: g < 0 on a fine grid of (0, C_as)
    grid = np.linspace(1e-3, a_s, 2000)[:-1]
    with np.errstate(divide="ignore"):
        g = np.log(np.abs(1 - np.outer(grid, qb))).mean(axis=1)
    assert np.all(g < 0)


def test_patel_full_batch_recovers_gd():
    q = [0.5, 1.0, 3.0]
    # full batch: the variance term vanishes, so both thresholds are 2 / qbar exactly
    assert patel.c_ms(q, 3).value == pytest.approx(patel.c_gd(q).value, rel=1e-15)
    assert patel.c_as(q, 3).value == pytest.approx(patel.c_gd(q).value, rel=1e-15)
    # larger batches raise C_ms towards 2 / qbar (THEORY.md §2)
    thresholds = [patel.c_ms(q, b).value for b in (1, 2, 3)]
    assert thresholds == sorted(thresholds)


def test_patel_c_as_skips_poles():
    # C_ms lies between the poles 1/1.8 and 1/0.2; a q with three well-spread values puts
    # poles on both sides too. The root must still satisfy g = 0 with g < 0 before it.
    q = [0.05, 1.0, 4.0]
    a_s = patel.c_as(q, 1).value
    assert patel.log_growth_rate(q, 1, a_s).value == pytest.approx(0, abs=1e-12)
    assert a_s >= patel.c_ms(q, 1).value


@pytest.mark.parametrize("call, match", [
    (lambda: patel.c_ms([0.2, -1.8], 1), "q"),
    (lambda: patel.c_gd([0.0, 0.0]), "q"),
    (lambda: patel.c_gd([[0.2, 1.8]]), "q"),
    (lambda: patel.c_ms(Q, 3), "batch_size"),
    (lambda: patel.c_ms(Q, 0), "batch_size"),
    (lambda: patel.c_as(Q, 1.5), "batch_size"),
    (lambda: patel.c_as(np.ones(60), 30), "batch_size"),  # 1.2e17 batches: refuse
    (lambda: patel.second_moment_rate(Q, 1, -1.0), "C"),
    (lambda: patel.second_moment_rate([np.nan, 1.0], 1, 1.0), "q"),
])
def test_patel_refuses_parameters_outside_assumptions(call, match):
    with pytest.raises(ValueError, match=match):
        call()


# --- (L0, L1) (THEORY.md §4) --------------------------------------------------------------

# (name, params, f', f'') for every function of the table that has constants
SMOOTH = [
    ("exp", {"k": -1.5}, lambda x: -1.5 * np.exp(-1.5 * x), lambda x: 2.25 * np.exp(-1.5 * x)),
    ("cosh", {}, np.sinh, np.cosh),
    ("quartic", {"L1": 0.7}, lambda x: 4 * x**3, lambda x: 12 * x**2),
    ("logistic", {}, lambda x: -1 / (1 + np.exp(x)),
     lambda x: np.exp(x) / (1 + np.exp(x)) ** 2),
    ("log_cosh", {}, np.tanh, lambda x: 1 / np.cosh(x) ** 2),
]


@pytest.mark.parametrize("name, params, d1, d2", SMOOTH, ids=[s[0] for s in SMOOTH])
def test_declared_constants_bound_the_hessian(name, params, d1, d2):
    L0, L1 = l0l1.declared_l0l1(name, **params)
    x = np.linspace(-8, 8, 20001)
    # |f''| <= L0 + L1 |f'| pointwise; the slack allows float rounding (rel 1e-12) only,
    # since x^4's bound is tight at |x| = 2/L1
    assert np.all(np.abs(d2(x)) <= (L0 + L1 * np.abs(d1(x))) * (1 + 1e-12) + 1e-12)


def test_declared_constants_table_values():
    assert l0l1.declared_l0l1("cosh") == (1.0, 1.0)
    assert l0l1.declared_l0l1("logistic") == (0.25, 0.0)
    assert l0l1.declared_l0l1("log_cosh") == (1.0, 0.0)
    assert l0l1.declared_l0l1("exp", k=-3) == (0.0, 3.0)
    assert l0l1.declared_l0l1("quartic", L1=2.0) == (4.0, 2.0)
    assert l0l1.declared_l0l1("quartic_diag", a=[1.0, 2.0], L1=4.0) == (64.0, 4.0)


def test_quartic_diag_constants_bound_the_hessian():
    a, L1 = np.array([0.5, 1.0, 2.0]), 1.3
    L0, _ = l0l1.declared_l0l1("quartic_diag", a=a, L1=L1)
    rng = np.random.default_rng(3)
    x = rng.standard_normal((20000, 3)) * rng.exponential(2.0, (20000, 1))
    ax = x * a
    r2 = np.sum(ax**2, axis=1)
    grad = 4 * r2[:, None] * ax * a  # grad ||Ax||^4 = 4 ||Ax||^2 A^T A x
    # Hessian 4 A (||Ax||^2 I + 2 Ax Ax^T) A; its spectral norm, computed exactly
    hess = 4 * a[None, :, None] * (r2[:, None, None] * np.eye(3) + 2 * ax[:, :, None] * ax[:, None, :]) * a[None, None, :]
    hnorm = np.linalg.norm(hess, ord=2, axis=(1, 2))
    assert np.all(hnorm <= (L0 + L1 * np.linalg.norm(grad, axis=1)) * (1 + 1e-12))


def test_best_step():
    # exact closed forms: float rounding only (rel 1e-12)
    assert l0l1.best_step(2.0, 0.0, 5.0).value == pytest.approx(0.5, rel=1e-12)  # 1/L0
    assert l0l1.best_step(0.0, 1.0, 1.0).value == pytest.approx(math.log(2), rel=1e-12)
    assert l0l1.best_step(1.0, 1.0, 2.0).value == pytest.approx(math.log(5 / 3) / 2, rel=1e-12)
    # the limit L1 G -> 0 is 1/L0, approached continuously (first-order term ~ L1 G / L0^2)
    assert l0l1.best_step(1.0, 1e-9, 1.0).value == pytest.approx(1.0, rel=1e-8)
    # about 1/(L0 + L1 G): within a factor ln(2)..1 of it
    for L0, L1, G in [(1, 1, 10), (0.1, 2, 3), (5, 0.5, 0.1)]:
        ratio = l0l1.best_step(L0, L1, G).value * (L0 + L1 * G)
        assert math.log(2) <= ratio <= 1


def test_zhang_clipped_gd():
    r = l0l1.zhang_clipped_gd(2.0, 0.5, 3.0, 0.1)
    assert r.eta == pytest.approx(1 / 20)
    assert r.clip == pytest.approx(4.0)  # min(10 L0, L0/L1) = min(20, 4)
    # 20*2*3/0.01 + 20*max(1, 0.25)*3/2 = 12000 + 30, exact up to float rounding
    assert r.iterations.value == pytest.approx(12030.0, rel=1e-12)
    assert r.iterations.kind == "upper"
    assert l0l1.zhang_clipped_gd(1.0, 0.0, 1.0, 1.0).clip == 10.0  # L1 = 0: clip at 10 L0


@pytest.mark.parametrize("x0, expected", [(5.0, 1067), (10.0, 159775), (-5.0, 1067)])
def test_gd_iterations_cosh_matches_theory_md(x0, expected):
    # an exact count (k = number of GD steps until |sinh x_k| <= 1e-6): equality
    assert l0l1.gd_iterations_cosh(x0, 1e-6).value == expected


def test_gd_iterations_cosh_cap_and_divergence():
    # THEORY.md: x0 = 15 needs > 1e7 steps
    assert math.isinf(l0l1.gd_iterations_cosh(15.0, 1e-6, max_iter=10_000_000).value)
    assert math.isinf(l0l1.gd_iterations_cosh(10.0, 1e-6, max_iter=1000).value)
    assert math.isinf(l0l1.gd_iterations_cosh(3.0, 1e-6, h=1.0).value)  # overshoots, diverges
    assert l0l1.gd_iterations_cosh(1e-8, 1e-6).value == 0


def test_clipping_bias_fixed_point_matches_theory_md():
    # quoted to 5 decimals -> abs 5e-6
    assert l0l1.clipping_bias_fixed_point(1.0).value == pytest.approx(0.15859, abs=5e-6)
    # an explicit frozen law gives the same root (quad and brentq tolerances ~1e-12)
    explicit = l0l1.clipping_bias_fixed_point(1.0, stats.expon(loc=-1.0)).value
    assert explicit == pytest.approx(l0l1.clipping_bias_fixed_point(1.0).value, abs=1e-10)
    # THEORY.md's simulated time average 0.15874: not checked here (no SE quoted)


@pytest.mark.parametrize("law", [stats.norm(scale=2.0), stats.laplace(), stats.t(3),
                                 stats.cauchy()], ids=["normal", "laplace", "t3", "cauchy"])
def test_clipping_bias_is_zero_for_symmetric_noise(law):
    # exact answer 0; the root is found to brentq's xtol 1e-13 and quad's 1e-13
    assert l0l1.clipping_bias_fixed_point(0.7, law).value == pytest.approx(0.0, abs=1e-10)


@pytest.mark.parametrize("c", [1.0, 2.0, 8.0, 20.0])
def test_clipping_bias_matches_lambert_w_closed_form(c):
    # for Exp(1) - 1 noise and c >= 1 the lower clip is inactive: m(x) = x - exp(-(c + 1 - x)),
    # root -W0(-e^{-(c+1)}); quad (epsrel 1e-12) and brentq (rtol 1e-13) -> rel 1e-9
    exact = -special.lambertw(-math.exp(-(c + 1))).real
    assert l0l1.clipping_bias_fixed_point(c).value == pytest.approx(exact, rel=1e-9)


def test_clipping_bias_shrinks_as_clipping_loosens():
    # E clip_c(x + xi) -> x + E xi = x as c -> inf, so the bias vanishes
    biases = [l0l1.clipping_bias_fixed_point(c).value for c in (0.25, 0.5, 1.0, 2.0, 8.0)]
    assert biases == sorted(biases, reverse=True) and biases[-1] < 2e-4


@pytest.mark.parametrize("call, match", [
    (lambda: l0l1.declared_l0l1("exp_square"), "exp_square"),
    (lambda: l0l1.declared_l0l1("sin"), "name"),
    (lambda: l0l1.declared_l0l1("quartic"), "L1"),
    (lambda: l0l1.declared_l0l1("quartic", L1=0.0), "L1"),
    (lambda: l0l1.declared_l0l1("quartic_diag", a=[1.0, -2.0], L1=1.0), "a"),
    (lambda: l0l1.best_step(-1.0, 1.0, 1.0), "L0"),
    (lambda: l0l1.best_step(0.0, 0.0, 1.0), "L0"),
    (lambda: l0l1.best_step(1.0, -1.0, 1.0), "L1"),
    (lambda: l0l1.best_step(1.0, 1.0, -1.0), "G"),
    (lambda: l0l1.zhang_clipped_gd(0.0, 1.0, 1.0, 0.1), "L0"),
    (lambda: l0l1.zhang_clipped_gd(1.0, -1.0, 1.0, 0.1), "L1"),
    (lambda: l0l1.zhang_clipped_gd(1.0, 1.0, 0.0, 0.1), "delta"),
    (lambda: l0l1.zhang_clipped_gd(1.0, 1.0, 1.0, 0.0), "eps"),
    (lambda: l0l1.gd_iterations_cosh(math.inf), "x0"),
    (lambda: l0l1.gd_iterations_cosh(5.0, tol=0.0), "tol"),
    (lambda: l0l1.gd_iterations_cosh(5.0, h=-1.0), "h"),
    (lambda: l0l1.clipping_bias_fixed_point(0.0), "c"),
    (lambda: l0l1.clipping_bias_fixed_point(1.0, "pareto"), "noise"),
    (lambda: l0l1.clipping_bias_fixed_point(1.0, stats.expon()), "noise"),  # mean 1
])
def test_l0l1_refuses_parameters_outside_assumptions(call, match):
    with pytest.raises(ValueError, match=match):
        call()


# --- Levy (THEORY.md §5) ------------------------------------------------------------------

def test_levy_exit_time_formula():
    # alpha = 1: c_1 = 1/pi, so E tau = pi / (eps (1/a- + 1/a+)); exact up to rounding
    assert levy.levy_exit_time(1.0, 0.1, 1.0, 1.0).value == pytest.approx(math.pi / 0.2, rel=1e-12)
    t = levy.levy_exit_time(1.5, 0.05, 0.5, 2.0)
    c = math.gamma(2.5) * math.sin(0.75 * math.pi) / math.pi
    assert t.value == pytest.approx(1.5 / (c * 0.05**1.5 * (0.5**-1.5 + 2.0**-1.5)), rel=1e-12)
    assert t.kind == "asymptotic"


def test_levy_exit_time_scales_like_width_to_the_alpha():
    # doubling both half-widths multiplies E tau by 2^alpha exactly; eps^-alpha likewise
    a = 1.3
    base = levy.levy_exit_time(a, 0.1, 0.4, 0.4).value
    assert levy.levy_exit_time(a, 0.1, 0.8, 0.8).value == pytest.approx(2**a * base, rel=1e-12)
    assert levy.levy_exit_time(a, 0.05, 0.4, 0.4).value == pytest.approx(2**a * base, rel=1e-12)


@pytest.mark.parametrize("alpha", [0.8, 1.2, 1.5])
def test_c_alpha_is_the_tail_constant_of_scipy_levy_stable(alpha):
    # P(L > x) = (c_alpha/alpha) x^-alpha (1 + O(x^-alpha)); the second term of the SaS tail
    # series has a coefficient of at most ~3.2 for these alphas, so allow 5 x^-alpha at x = 300
    x = 300.0
    tail = stats.levy_stable(alpha, 0.0).sf(x) * x**alpha * alpha
    assert tail == pytest.approx(levy.c_alpha(alpha), rel=5 * x**-alpha)


def test_tail_index_target():
    assert levy.tail_index_target(1.5).value == 1.5
    assert levy.tail_index_target(2.0).value == 2.0
    assert levy.tail_index_target("gaussian").value == 2.0
    assert levy.tail_index_target(1.5).kind == "asymptotic"


@pytest.mark.parametrize("call, match", [
    (lambda: levy.levy_exit_time(2.0, 0.1, 1.0, 1.0), "alpha"),
    (lambda: levy.levy_exit_time(0.0, 0.1, 1.0, 1.0), "alpha"),
    (lambda: levy.levy_exit_time(2.5, 0.1, 1.0, 1.0), "alpha"),
    (lambda: levy.levy_exit_time(1.5, 0.0, 1.0, 1.0), "eps"),
    (lambda: levy.levy_exit_time(1.5, 0.1, -1.0, 1.0), "a_minus"),
    (lambda: levy.levy_exit_time(1.5, 0.1, 1.0, 0.0), "a_plus"),
    (lambda: levy.tail_index_target(2.5), "noise_alpha"),
    (lambda: levy.tail_index_target(0.0), "noise_alpha"),
    (lambda: levy.tail_index_target("cauchy"), "noise_alpha"),
])
def test_levy_refuses_parameters_outside_assumptions(call, match):
    with pytest.raises(ValueError, match=match):
        call()
