"""Extreme regimes (issue 8): each one has a test here.

- tail indices at the edges: predictions refuse alpha <= 1, sampling does not;
- huge steps: DIVERGED, counted, finite positions, no NaN in any summary;
- non-finite gradients with a finite iterate (sign, clips, adaptive rules, momentum);
- Pareto draws as U -> 0 (U is in (0, 1] with 2^-53 granularity), Stable near 0.1-1;
- the norm-ratio rate never sticks at 0;
- step counts past 2^31, and the 2^53 cap;
- d = 1000;
- n_paths = 1 and n_steps = 0.
"""

import math
import sys

import numpy as np
import pytest

import simsgd as sg
from simsgd._kernels.kernel import GENERIC
from simsgd.stats import InsufficientDataError

L, N, O, E = sg.landscapes, sg.noise, sg.optimizers, sg.events
ht = sg.theory.heavy_tails


def sim(*args, **kw):
    kw.setdefault("progress", False)
    return sg.simulate(*args, **kw)


def assert_valid(res, n_steps):
    assert np.isin(res.status, [0, 1, 2]).all()
    assert ((res.exit_step >= 0) & (res.exit_step <= n_steps)).all()
    assert (res.exit_step[res.status == sg.Status.RUNNING] == n_steps).all()
    assert np.isfinite(res.x).all()


# ---------------------------------------------------------------------------------------
# Tail indices at the edges
# ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("alpha", [1.0, 0.999, 0.5, 0.05])
def test_predictions_refuse_alpha_at_most_one_but_sampling_runs(alpha):
    for predict in (lambda: ht.exit_exponent(alpha, 1),
                    lambda: ht.c_star_one_jump(alpha, 0.5, 0.5),
                    lambda: ht.c_star_two_jumps_quadratic(alpha, 1.0, 0.5, 0.3)):
        with pytest.raises(ValueError, match=r"^alpha must be in \(1, inf\).*got"):
            predict()
    res = sim(L.Quadratic(1.0), N.Pareto(alpha), O.truncated_sgd(0.01, 0.3), x0=0.0,
              n_paths=64, n_steps=500, seed=1, stop=E.Exit(-0.5, 0.5))
    assert_valid(res, 500)
    assert res.counts()["EXITED"] > 0


@pytest.mark.parametrize("alpha", [1.0 + 1e-9, 1.001, 1.01])
def test_predictions_just_above_one_are_finite(alpha):
    assert math.isfinite(ht.exit_exponent(alpha, 2).value)
    assert math.isfinite(ht.c_star_one_jump(alpha, 0.5, 0.7).value)
    assert math.isfinite(ht.c_star_two_jumps_quadratic(alpha, 1.0, 0.5, 0.3).value)


def test_theory_alpha_of_the_wrong_type_is_a_type_error():
    with pytest.raises(TypeError, match="alpha"):
        ht.exit_exponent("1.5", 1)
    with pytest.raises(TypeError, match="alpha"):
        ht.exit_exponent(True, 1)


# ---------------------------------------------------------------------------------------
# Huge steps
# ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("force_generic", [False, True], ids=["specialised", "generic"])
def test_huge_steps_are_diverged_counted_and_never_nan(force_generic):
    n = 100
    # W1's structure (its specialised kernel, or the generic one) with an exit that only
    # a diverging path could reach: every step of 1e3 * grad throws x further out
    res = sim(L.DoubleWell(), N.Clipped(N.Pareto(1.5), 50.0), O.sgd(1e3), x0=-1.0, n_paths=n,
              n_steps=1000, seed=2, stop=E.Exit(upper=1e200), _force_generic=force_generic)
    assert_valid(res, 1000)
    c = res.counts()
    assert c["DIVERGED"] > 0 and sum(c.values()) == n
    div = res.status == sg.Status.DIVERGED
    assert (np.abs(res.x[div]) <= sg.DIVERGE_AT).all()
    # the estimator refuses with the count instead of returning NaN
    with pytest.raises(InsufficientDataError, match=rf"{c['DIVERGED']} paths DIVERGED"):
        sg.stats.mean_exit_time(res.exit_step, res.status)


def test_checkpoint_summaries_count_diverged_paths_and_carry_no_nan():
    res = sim(L.Quadratic([1.0, 1.0]), N.Gaussian(1.0), O.sgd(2.5), x0=[1.0, 1.0], n_paths=50,
              n_steps=2000, seed=3, observe=(E.Checkpoints(n=8),))
    assert res.counts()["DIVERGED"] == 50  # |1 - 2.5| > 1: every path diverges
    rows = sg.stats.summarize_checkpoints(res.observed)
    for row in rows:
        assert row["n"] + row["n_missing"] == 50
        for value in row.values():
            assert not (isinstance(value, float) and math.isnan(value)), row
    last = [r for r in rows if r["step"] == res.observed["steps"][-1]]
    assert all(r["n"] == 0 and r["mean"] is None and r["se"] is None for r in last)


# ---------------------------------------------------------------------------------------
# Non-finite gradients at finite iterates (bug: sign / clips / adaptive rules hid them)
# ---------------------------------------------------------------------------------------
NONFINITE = {
    # sinh(800) = inf while x = 800 < diverge_at: sign(inf) = 1 used to keep it RUNNING
    "signsgd on cosh": (L.Cosh(), O.signsgd(0.1), [800.0]),
    # exp(30^2) = inf; clip_coordinates maps it to a finite step
    "clipped coordinates on expsquare": (L.ExpSquare(), O.chain(O.clip_coordinates(1.0),
                                                                  O.scale(0.1)), [30.0]),
    # norm ratio: ||g|| = inf used to give eta = 0 and a frozen RUNNING path
    "norm ratio on exp": (L.Exp(1.0, dim=2), O.adaptive_sgd("norm_ratio", 0.1), [720.0, 0.0]),
    "polyak on cosh": (L.Cosh(dim=2), O.polyak_sgd(2.0), [720.0, 1.0]),
    "adagrad on exp": (L.Exp(1.0), O.adagrad_norm_sgd(0.1, 1.0), [720.0]),
    "bb with momentum on cosh": (L.Cosh(), O.adaptive_sgd("bb", 0.1, base="sgdm"), [715.0]),
    "normalized on cosh 2d": (L.Cosh(dim=2), O.normalized_sgd(0.1), [800.0, 0.0]),
    "clip by norm on cosh 2d": (L.Cosh(dim=2), O.clipped_sgd(0.1, 1.0), [800.0, 0.0]),
    # finite gradients (sinh(400) ~ 2.6e173) whose squared norm overflows: the norm clip,
    # normalisation and the adaptive rules used to take a silent zero step for ever
    "clip by norm, norm overflows": (L.Cosh(dim=2), O.clipped_sgd(0.1, 1.0), [400.0, 400.0]),
    "normalized, norm overflows": (L.Cosh(dim=2), O.normalized_sgd(0.1), [400.0, 400.0]),
    "norm ratio, norm overflows": (L.Cosh(dim=2), O.adaptive_sgd("norm_ratio", 0.1),
                                   [400.0, 400.0]),
    "adagrad, norm overflows": (L.Cosh(dim=2), O.adagrad_norm_sgd(0.1, 1.0), [400.0, 400.0]),
    # the clipped accumulator must not turn an overflowed norm into a finite clip^2
    "adagrad with clip, norm overflows": (L.Cosh(dim=2), O.chain(O.adagrad_norm(0.1, 1.0, clip=1.0)),
                                          [400.0, 400.0]),
    "polyak, norm overflows": (L.Cosh(dim=2), O.polyak_sgd(2.0), [400.0, 400.0]),
}


@pytest.mark.parametrize("name", NONFINITE)
def test_a_non_finite_gradient_diverges_the_path_keeping_the_last_finite_iterate(name):
    land, opt, x0 = NONFINITE[name]
    res = sim(land, None, opt, x0=x0, n_paths=3, n_steps=50, seed=0)
    assert (res.status == sg.Status.DIVERGED).all(), res
    assert (res.exit_step == 1).all()
    np.testing.assert_array_equal(res.x, np.broadcast_to(x0, res.x.shape))


def test_adaptive_rules_with_momentum_and_heavy_noise_never_leave_nan():
    # THEORY/README: with momentum and Student-t(3) noise most paths diverge; none may be
    # left RUNNING with a NaN anywhere, nor hold a NaN position
    for rule in ("norm_ratio", "secant", "bb"):
        res = sim(L.Cosh(dim=3), N.StudentT(3.0, scale=0.1), O.adaptive_sgd(rule, 0.1, base="sgdm"),
                  x0=[2.0, -1.0, 0.5], n_paths=200, n_steps=2000, seed=1,
                  observe=(E.Checkpoints(n=6),))
        assert_valid(res, 2000)
        running = res.status == sg.Status.RUNNING
        lr = res.observed["learning_rate"][running]
        assert np.isfinite(lr[:, 1:]).all(), rule


# ---------------------------------------------------------------------------------------
# Pareto as U -> 0, Stable near 0.1 - 1
# ---------------------------------------------------------------------------------------
def test_pareto_draw_at_the_smallest_u_overflows_below_alpha_53_over_1024_and_is_saturated():
    """U = 2^-53 is the smallest uniform: |xi| = U^(-1/alpha) = 2^(53/alpha) is finite for
    alpha >= 53/1024 ~ 0.0518 and overflows below; unclipped noise is lowered with the
    largest double as its clip, so the kernel's clamp saturates an overflowed draw."""
    from simsgd._kernels.elementary import vexp, vlog

    u = 2.0**-53
    assert math.isfinite(vexp((-1.0 / 0.052) * vlog(u)))
    assert vexp((-1.0 / 0.051) * vlog(u)) == math.inf
    engine = sys.modules["simsgd.engine.simulate"]
    for noise in (N.Pareto(0.01), N.Stable(0.05), N.Radial(N.Pareto(0.01))):
        plan = engine._plan(L.Quadratic(1.0), noise, O.sgd(0.1), 0.0, 4, 10, 0, None, (),
                            None, sg.DIVERGE_AT, 1)
        assert plan["noise_p"][0] == np.finfo(np.float64).max
    plan = engine._plan(L.Quadratic(1.0), N.Clipped(N.Pareto(0.01), 3.0), O.sgd(0.1), 0.0, 4,
                        10, 0, None, (), None, sg.DIVERGE_AT, 1)
    assert plan["noise_p"][0] == 3.0


@pytest.mark.parametrize("force_generic", [False, True], ids=["specialised", "generic"])
def test_pareto_overflow_saturates_instead_of_poisoning(force_generic):
    # alpha = 0.01: U^(-100) overflows for U < e^-7.1 ~ 8e-4, i.e. in thousands of draws
    # here. Unclipped draws saturate at the largest double: truncated SGD moves by b and
    # every path stays finite; signSGD keeps going; plain SGD diverges (counted).
    kw = dict(x0=0.0, n_paths=64, n_steps=2000, seed=5, _force_generic=force_generic)
    res = sim(L.Quadratic(1.0), N.Pareto(0.01), O.truncated_sgd(0.01, 0.3),
              stop=E.Exit(-1e6, 1e6), **kw)
    assert_valid(res, 2000)
    assert res.counts() == {"EXITED": 0, "RUNNING": 64, "DIVERGED": 0}
    assert (np.abs(res.x) <= 1e6).all()
    res = sim(L.Quadratic(1.0), N.Pareto(0.01), O.signsgd(0.01), **kw)
    assert_valid(res, 2000)
    assert res.counts()["RUNNING"] == 64
    res = sim(L.Quadratic(1.0), N.Pareto(0.01), O.sgd(0.01), **kw)
    assert_valid(res, 2000)
    assert res.counts()["DIVERGED"] == 64


@pytest.mark.parametrize("alpha", [0.05, 0.1, 0.3, 0.5, 0.9, 0.999, 1.0, 1.001])
def test_stable_near_its_small_indices_gives_valid_results(alpha):
    for opt in (O.signsgd(0.01), O.truncated_sgd(0.01, 0.5), O.sgd(0.01)):
        res = sim(L.Quadratic([1.0, 1.0]), N.Stable(alpha), opt, x0=[0.0, 0.0], n_paths=64,
                  n_steps=500, seed=4)
        assert_valid(res, 500)
        if opt.transforms[0].name == "sign":
            assert res.counts()["RUNNING"] == 64  # a huge draw is a unit step for signSGD


# ---------------------------------------------------------------------------------------
# norm_ratio never sticks at eta = 0 (bug 2)
# ---------------------------------------------------------------------------------------
def test_norm_ratio_does_not_stick_at_zero_after_a_zero_gradient():
    # compound-Poisson noise is exactly 0 without a jump: at the centre of a quadratic
    # the first gradient is 0, which used to make every later eta 0 (a frozen path)
    res = sim(L.Quadratic(1.0), N.CompoundPareto(1.5, rate=0.3, w_min=1.0),
              O.adaptive_sgd("norm_ratio", 0.1), x0=0.0, n_paths=64, n_steps=200, seed=0,
              observe=(E.Checkpoints(steps=[1, 50, 100, 200]),))
    lr = res.observed["learning_rate"]
    # the old rule left eta = 0 for good on the ~70% of paths without a jump at step 0
    assert np.isfinite(lr).all() and (lr > 0).all()


def test_norm_ratio_reference_keeps_the_step_length_across_zero_gradients():
    ref = O.chain(O.norm_ratio(0.1)).reference(1, 1)
    etas = []
    for k, g in enumerate([0.0, 2.0, 0.0, 1.0, 4.0]):
        ref.step(np.array([[g]]), None, None, k)
        etas.append(float(ref.eta[0]))
    # g_0 = 0: eta0 until the first non-zero norm, which then sets the step length 0.2
    assert etas == [0.1, 0.1, 0.1, 0.2, 0.05]


# ---------------------------------------------------------------------------------------
# Step counts past 2^31
# ---------------------------------------------------------------------------------------
def test_n_steps_past_2_31_runs_with_int64_exit_steps():
    n_steps = 2**31 + 5
    res = sim(L.DoubleWell(), N.Gaussian(1.0), O.sgd(0.1), x0=-1.0, n_paths=40,
              n_steps=n_steps, seed=6, stop=E.Exit(-3.0, 0.0))
    assert res.exit_step.dtype == np.int64 and res.n_steps == n_steps
    assert (res.status == sg.Status.EXITED).all()
    assert (res.exit_step >= 1).all() and (res.exit_step < 10**6).all()
    # Checkpoints past 2^31 are validated and lowered exactly (a float64 grid)
    res = sim(L.DoubleWell(), N.Gaussian(1.0), O.sgd(0.1), x0=-1.0, n_paths=8,
              n_steps=n_steps, seed=6, stop=E.Exit(-3.0, 0.0),
              observe=(E.Checkpoints(steps=[1, 2, n_steps]),))
    assert res.observed["steps"].tolist() == [1, 2, n_steps]


def test_n_steps_up_to_2_53_is_accepted_and_beyond_refused(kernel_reached):
    Reached = kernel_reached
    kw = dict(x0=0.0, n_paths=4, seed=0)
    for n_steps in (2**31 + 5, 2**40, 2**53):  # a censored run this long is only validated
        with pytest.raises(Reached):
            sim(L.Quadratic(1.0), N.Gaussian(1.0), O.sgd(0.1), n_steps=n_steps, **kw)
    with pytest.raises(ValueError, match=r"n_steps must be an integer in \[0, 9007199254740992\]"):
        sim(L.Quadratic(1.0), N.Gaussian(1.0), O.sgd(0.1), n_steps=2**53 + 1, **kw)
    with pytest.raises(ValueError, match="RecordPaths"):
        sim(L.Quadratic(1.0), N.Gaussian(1.0), O.sgd(0.1), n_steps=2**40,
            observe=(E.RecordPaths(1),), **kw)


# ---------------------------------------------------------------------------------------
# d = 1000
# ---------------------------------------------------------------------------------------
def test_dimension_1000():
    d = 1000
    curv = np.linspace(0.1, 2.0, d)
    kw = dict(x0=np.ones(d), n_paths=40, n_steps=200, seed=7)
    res = sim(L.Quadratic(curv), N.Gaussian(0.1), O.clipped_sgd(0.1, 5.0), **kw)
    assert res.x.shape == (40, d)
    assert_valid(res, 200)
    assert res.counts()["RUNNING"] == 40
    # the same paths in two parts, one thread each
    parts = [sim(L.Quadratic(curv), N.Gaussian(0.1), O.clipped_sgd(0.1, 5.0), paths=r,
                 threads=1, **kw) for r in (range(0, 13), range(13, 40))]
    np.testing.assert_array_equal(sg.Result.concatenate(parts).x, res.x)
    # an exit from a ball and a radial heavy-tailed law in d = 1000
    res = sim(L.DoubleWell(dim=d), N.Radial(N.Pareto(1.5)), O.truncated_sgd(0.01, 0.5),
              x0=np.r_[-1.0, np.zeros(d - 1)], n_paths=40, n_steps=2000, seed=8,
              stop=E.ExitBall(center=np.r_[-1.0, np.zeros(d - 1)], radius=0.8))
    assert_valid(res, 2000)
    assert res.counts()["EXITED"] > 0
    assert res.provenance["structure"] == GENERIC


def test_n_paths_beyond_memory_is_refused_before_allocating():
    with pytest.raises(ValueError, match=r"^n_paths = 1000000000000 needs .* GiB"):
        sim(L.Quadratic(1.0), None, O.sgd(0.1), x0=0.0, n_paths=10**12, n_steps=1)


# ---------------------------------------------------------------------------------------
# n_paths = 1 and n_steps = 0
# ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("n_paths", [1, 33])
@pytest.mark.parametrize("stop", [None, E.Exit(-2.0, 2.0)], ids=["no stop", "exit"])
def test_n_steps_zero_returns_every_path_running_at_x0(n_paths, stop):
    res = sim(L.DoubleWell(), N.Pareto(1.5), O.sgd(0.01), x0=-1.0, n_paths=n_paths,
              n_steps=0, seed=0, stop=stop, observe=(E.Checkpoints(n=3),))
    assert (res.status == sg.Status.RUNNING).all() and (res.exit_step == 0).all()
    np.testing.assert_array_equal(res.x, np.full((n_paths, 1), -1.0))
    assert res.observed["steps"].tolist() == [0]


def test_one_path_is_the_first_path_of_a_larger_run():
    kw = dict(x0=-1.0, seed=9, n_steps=5000, stop=E.Exit(upper=0.0))
    one = sim(L.DoubleWell(), N.Clipped(N.Pareto(1.5), 50.0), O.sgd(0.01), n_paths=1, **kw)
    many = sim(L.DoubleWell(), N.Clipped(N.Pareto(1.5), 50.0), O.sgd(0.01), n_paths=50, **kw)
    assert one.status.shape == (1,)
    assert one.exit_step[0] == many.exit_step[0] and one.status[0] == many.status[0]
    np.testing.assert_array_equal(one.x[0], many.x[0])
