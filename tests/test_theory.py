"""Theory functions reproduce THEORY.md's worked numbers and refuse bad parameters."""

import math

import pytest

import simsgd as sg

ht = sg.theory.heavy_tails


def test_c_star_one_jump_matches_theory_md():
    # THEORY.md §1: alpha 1.5, r = 0.5 both sides, p = 1/2 -> C* = 2.828 (= 2^1.5)
    assert ht.c_star_one_jump(1.5, 0.5, 0.5, b=0.6).value == pytest.approx(2.828427, rel=1e-6)


def test_c_star_two_jumps_matches_theory_md():
    # THEORY.md §1: kappa 1, r 0.5, b 0.3, alpha 1.5 -> C*+ = 6.6227 (quoted to 5 digits)
    side = ht.c_star_two_jumps_quadratic(1.5, 1.0, 0.5, 0.3).value
    assert side == pytest.approx(6.6227, abs=5e-5)
    assert 2 * side == pytest.approx(13.245, abs=5e-4)


def test_mean_exit_times_match_theory_md():
    H = sg.noise.CompoundPareto(1.5, rate=0.001, w_min=20).H(100.0)
    assert H == pytest.approx(0.001 * 0.2**1.5)
    one = ht.mean_exit_time(ht.c_star_one_jump(1.5, 0.5, 0.5, b=0.6), H, 0.01, 1)
    two = ht.mean_exit_time(2 * ht.c_star_two_jumps_quadratic(1.5, 1, 0.5, 0.3).value, H, 0.01, 2)
    assert one.value == pytest.approx(3953, abs=0.5)  # THEORY.md: 3,953 steps
    assert two.value == pytest.approx(94372, abs=0.5)  # THEORY.md: 94,372 steps
    assert one.kind == two.kind == "asymptotic"


@pytest.mark.parametrize("b, expected", [(0.6, 1), (0.3, 2), (0.2, 3), (0.25, 2), (math.inf, 1)])
def test_l_star(b, expected):
    assert ht.l_star(0.5, b) == expected


def test_exit_exponent():
    assert [ht.exit_exponent(1.5, k).value for k in (1, 2, 3)] == [1.5, 2.0, 2.5]
    assert ht.exit_exponent(1.5, 1).kind == "exponent"


@pytest.mark.parametrize("call, match", [
    (lambda: ht.exit_exponent(1.0, 1), "alpha"),
    (lambda: ht.exit_exponent(0.5, 1), "alpha"),
    (lambda: ht.c_star_one_jump(1.5, -0.5, 0.5), "r_plus"),
    (lambda: ht.c_star_one_jump(1.5, 0.5, 0.5, b=0.4), "b"),
    (lambda: ht.c_star_two_jumps_quadratic(1.5, 1.0, 0.5, 0.6), "b < r < 2b"),
    (lambda: ht.c_star_two_jumps_quadratic(1.5, 0.0, 0.5, 0.3), "kappa"),
    (lambda: ht.l_star(0.5, 0.0), "b"),
    (lambda: ht.mean_exit_time(2.8, 1e-4, 0.01, 0), "lstar"),
    (lambda: sg.theory.Prediction(1.0, "roughly", "x"), "kind"),
])
def test_theory_refuses_parameters_outside_assumptions(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_classify_basins_matches_theory_md_example():
    # THEORY.md §1: radii 0.85, 0.30, 0.80; with b = 0.5 the middle basin is narrow
    mw = sg.landscapes.MultiWell([-2.05, -1.2, -0.9, -0.6, 0.2], lower=-3, upper=1.5)
    l, wide = ht.classify_basins(mw.radii, 0.5)
    assert l.tolist() == [2, 1, 2] and wide.tolist() == [True, False, True]
    l, wide = ht.classify_basins(mw.radii, math.inf)  # untruncated: every basin is wide
    assert l.tolist() == [1, 1, 1] and wide.all()
    with pytest.raises(ValueError, match="b"):
        ht.classify_basins(mw.radii, 0.0)
