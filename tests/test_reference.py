"""The engine against the plain NumPy reference in ``reference.py``.

Both are fed by the same per-path xoshiro256** streams, so they must agree path by path:
``status`` and ``exit_step`` exactly, ``x`` to a few ulps. The only numerical difference
is the kernel's polynomial ``log``/``exp`` (within ~2 ulp of libm; see
``simsgd/_kernels/elementary.py``) and the order of a few additions, so
``rtol=1e-12`` covers it with margin. ``atol=1e-12`` covers iterates that land near 0
after cancelling O(1) terms (e.g. just past the W1 exit at 0), where the absolute error
is a few ulps of 1 (~1e-15) but the relative error is not small.

Kernel structures (landscape kind, noise kind, chain codes, stop rule) compile once each
(~10 s cold, then cached on disk), so the cases share a handful of them:
Quadratic/Gaussian/sgd, DoubleWell/Pareto/truncated_sgd/Exit, DoubleWell/Pareto/sgd/Exit
(W1; Clipped only changes a parameter), MultiWell/CompoundPareto/truncated_sgd/Exit,
Quadratic/Gaussian/clipped_sgd and DoubleWell/None/sgd.
"""

import numpy as np
import pytest

import simsgd as sg
from reference import reference_simulate

L, N, O, E = sg.landscapes, sg.noise, sg.optimizers, sg.events
RUNNING, EXITED, DIVERGED = sg.Status.RUNNING, sg.Status.EXITED, sg.Status.DIVERGED

MULTIWELL = L.MultiWell([-2.05, -1.2, -0.9, -0.6, 0.2], lower=-3.0, upper=1.5)


def _multiwell_starts(n):
    """One start per path, cycling through the three minima (per-path basins)."""
    return np.resize(MULTIWELL.minima, n)[:, None]


# name: (landscape, noise, optimizer, x0, n_paths, n_steps, seed, stop, statuses expected)
# The parameters are chosen so that each case shows the outcomes listed last, which the
# test checks, so that a case cannot pass by never reaching the code it is meant to test.
CASES = {
    "quadratic-1d-gaussian": (
        L.Quadratic(1.0), N.Gaussian(1.0), O.sgd(0.1), 0.3, 100, 500, 0, None, {RUNNING}),
    "quadratic-diag-3d-gaussian": (
        L.Quadratic([0.5, 1.0, 2.0], center=[0.1, -0.2, 0.3]), N.Gaussian(0.7), O.sgd(0.05),
        [1.0, -1.0, 0.5], 64, 500, 3, None, {RUNNING}),
    "doublewell-1d-pareto-truncated": (
        L.DoubleWell(), N.Pareto(1.5), O.truncated_sgd(0.05, 0.5), -1.0, 100, 300, 1,
        E.Exit(upper=0.0), {RUNNING, EXITED}),
    "doublewell-2d-pareto-truncated": (
        L.DoubleWell(dim=2), N.Pareto(1.2, scale=0.5), O.truncated_sgd(0.05, 0.5), [-1.0, 0.3],
        100, 300, 2, E.Exit(upper=0.0), {RUNNING, EXITED}),
    "doublewell-2d-two-sided-exit": (
        L.DoubleWell(dim=2), N.Pareto(1.2, scale=0.5), O.truncated_sgd(0.05, 0.5), [-1.0, 0.3],
        100, 300, 7, E.Exit(lower=-1.8, upper=0.0), {RUNNING, EXITED}),
    "multiwell-compound-truncated-exitbasin": (
        MULTIWELL, N.CompoundPareto(1.5, rate=0.01, w_min=5.0), O.truncated_sgd(0.05, 0.5),
        _multiwell_starts(100), 100, 2000, 4, E.ExitBasin(), {RUNNING, EXITED}),
    "clipped-sgd-3d": (
        # |g| ~ 3 sqrt(3) > c = 2 on most steps, so the norm clip is active
        L.Quadratic(1.0), N.Gaussian(3.0), O.clipped_sgd(0.1, 2.0), [0.5, 0.5, 0.5], 64, 500,
        5, None, {RUNNING}),
    "w1": (
        L.DoubleWell(), N.Clipped(N.Pareto(1.5), 50.0), O.sgd(0.01), -1.0, 100, 2000, 0,
        E.Exit(upper=0.0), {RUNNING, EXITED}),
    "no-noise": (
        L.DoubleWell(dim=2), None, O.sgd(0.1),
        np.random.default_rng(0).uniform(-2.0, 2.0, size=(16, 2)), 16, 200, 0, None, {RUNNING}),
    "diverging": (
        # x_{k+1} = -2 x_k - 3 xi_k grows like 2^k and passes 1e100 after ~330 steps
        L.Quadratic(1.0), N.Gaussian(1.0), O.sgd(3.0), 0.1, 64, 400, 0, None, {DIVERGED}),
}


def _check_equal(res, ref):
    status, exit_step, x = ref
    np.testing.assert_array_equal(res.status, status)
    np.testing.assert_array_equal(res.exit_step, exit_step)
    np.testing.assert_allclose(res.x, x, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("name", CASES)
def test_engine_matches_reference(name):
    land, noise, opt, x0, n, steps, seed, stop, expected = CASES[name]
    res = sg.simulate(land, noise, opt, x0=x0, n_paths=n, n_steps=steps, seed=seed, stop=stop,
                      progress=False)
    ref = reference_simulate(land, noise, opt, x0, n, steps, seed, stop)
    assert res.status.dtype == np.int8 and res.exit_step.dtype == np.int64
    assert res.x.shape == ref[2].shape
    np.testing.assert_array_equal(res.paths, np.arange(n))
    _check_equal(res, ref)
    assert set(np.unique(res.status).tolist()) == {int(s) for s in expected}


def test_running_paths_end_at_horizon_and_exited_paths_are_outside():
    """The Result's own invariants on a mixed case (independent of the reference)."""
    land, noise, opt, x0, n, steps, seed, stop, _ = CASES["doublewell-2d-two-sided-exit"]
    res = sg.simulate(land, noise, opt, x0=x0, n_paths=n, n_steps=steps, seed=seed, stop=stop,
                      progress=False)
    running = res.status == RUNNING
    assert np.all(res.exit_step[running] == steps)
    assert np.all((res.x[running, 0] >= -1.8) & (res.x[running, 0] <= 0.0))
    ex = res.exited
    assert np.all((res.exit_step[ex] >= 1) & (res.exit_step[ex] <= steps))
    assert np.all((res.x[ex, 0] < -1.8) | (res.x[ex, 0] > 0.0))
    assert np.any(res.x[ex, 0] < -1.8) and np.any(res.x[ex, 0] > 0.0)  # both sides used


def test_multiwell_paths_stay_in_the_clamp_interval():
    land, noise, opt, x0, n, steps, seed, stop, _ = CASES["multiwell-compound-truncated-exitbasin"]
    # no stop rule and big jumps: paths wander across basins and hit the domain bounds
    res = sg.simulate(land, N.CompoundPareto(1.5, rate=0.05, w_min=40.0), O.truncated_sgd(0.05, 3.0),
                      x0=x0, n_paths=n, n_steps=500, seed=seed, stop=E.Exit(), progress=False)
    ref = reference_simulate(land, N.CompoundPareto(1.5, rate=0.05, w_min=40.0),
                             O.truncated_sgd(0.05, 3.0), x0, n, 500, seed, E.Exit())
    _check_equal(res, ref)
    assert np.all((res.x >= -3.0) & (res.x <= 1.5))
    # some paths sit on a bound at the end, so the clamp was exercised
    assert np.any((res.x == -3.0) | (res.x == 1.5))


def test_diverged_paths_keep_last_finite_iterate():
    land, noise, opt, x0, n, steps, seed, stop, _ = CASES["diverging"]
    res = sg.simulate(land, noise, opt, x0=x0, n_paths=n, n_steps=steps, seed=seed,
                      progress=False)
    assert np.all(res.status == DIVERGED)
    assert np.all(np.isfinite(res.x)) and np.all(np.abs(res.x) <= sg.DIVERGE_AT)
    # |x_k| ~ 2^k |x_0|-ish: the bound 1e100 ~ 2^332 is crossed within a few dozen steps of 332
    assert np.all((res.exit_step > 250) & (res.exit_step < 400))
    # the last good iterate is one step short of the bound: |x_{k-1}| > 1e100 / 2 / (1 + small)
    assert np.all(np.abs(res.x) > 1e99)


def test_custom_diverge_at_matches_reference():
    land, noise, opt, x0, n, _, seed, _, _ = CASES["diverging"]
    res = sg.simulate(land, noise, opt, x0=x0, n_paths=n, n_steps=60, seed=seed,
                      diverge_at=1e6, progress=False)
    ref = reference_simulate(land, noise, opt, x0, n, 60, seed, diverge_at=1e6)
    _check_equal(res, ref)
    assert np.all(res.status == DIVERGED) and np.all(np.abs(res.x) <= 1e6)


def test_selected_paths_match_reference():
    """``paths=`` runs exactly the streams of the given global indices (any order)."""
    land, noise, opt, x0, n, steps, seed, stop, _ = CASES["multiwell-compound-truncated-exitbasin"]
    sel = [97, 3, 40, 41, 0, 64]
    res = sg.simulate(land, noise, opt, x0=x0, n_paths=n, n_steps=steps, seed=seed, stop=stop,
                      paths=sel, progress=False)
    np.testing.assert_array_equal(res.paths, sel)
    _check_equal(res, reference_simulate(land, noise, opt, x0, n, steps, seed, stop, paths=sel))


def test_zero_steps_returns_start_points():
    land, noise, opt, x0, n, _, seed, stop, _ = CASES["doublewell-2d-pareto-truncated"]
    res = sg.simulate(land, noise, opt, x0=x0, n_paths=n, n_steps=0, seed=seed, stop=stop,
                      progress=False)
    assert np.all(res.status == RUNNING) and np.all(res.exit_step == 0)
    np.testing.assert_array_equal(res.x, np.broadcast_to(x0, (n, 2)))
