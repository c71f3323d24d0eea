"""The basin-occupancy observer: against the NumPy reference, invariants, and the
guarantee that observing never changes a trajectory."""

import numpy as np
import pytest

import simsgd as sg
from reference import reference_simulate

MW = sg.landscapes.MultiWell([-2.05, -1.2, -0.9, -0.6, 0.2], lower=-3, upper=1.5)
# jumps of 0.2-ish every ~100 steps: several basin changes in a few thousand steps
CASES = {
    "multiwell": dict(landscape=MW, noise=sg.noise.CompoundPareto(1.5, rate=0.01, w_min=20),
                      optimizer=sg.optimizers.truncated_sgd(0.02, 0.5), x0=-0.9, n_paths=96,
                      n_steps=3000, seed=11),
    "doublewell-exit": dict(landscape=sg.landscapes.DoubleWell(), noise=sg.noise.Pareto(1.5),
                            optimizer=sg.optimizers.truncated_sgd(0.05, 1.5), x0=-1.0,
                            n_paths=96, n_steps=2000, seed=5, stop=sg.events.Exit(-3.0, 3.0)),
    "doublewell-2d": dict(landscape=sg.landscapes.DoubleWell(dim=2), noise=sg.noise.Gaussian(1.0),
                          optimizer=sg.optimizers.sgd(0.1), x0=[-1.0, 0.0], n_paths=64,
                          n_steps=500, seed=2),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_occupancy_matches_reference(name):
    case = CASES[name]
    res = sg.simulate(**case, observe=(sg.events.BasinOccupancy(0.05),), progress=False)
    st, ks, x, ref = reference_simulate(**case, occupancy=0.05)
    np.testing.assert_array_equal(res.status, st)
    np.testing.assert_array_equal(res.exit_step, ks)
    for key in ("occupancy", "transitions", "basin_changes", "first_hit"):
        np.testing.assert_array_equal(res.observed[key], ref[key], err_msg=key)
    # the cases must exercise what they test: some paths change basin
    assert res.observed["basin_changes"].sum() > 0


@pytest.mark.parametrize("name", sorted(CASES))
def test_observer_does_not_change_trajectories(name):
    case = CASES[name]
    bare = sg.simulate(**case, progress=False)
    seen = sg.simulate(**case, observe=(sg.events.BasinOccupancy(),), progress=False)
    np.testing.assert_array_equal(bare.status, seen.status)
    np.testing.assert_array_equal(bare.exit_step, seen.exit_step)
    np.testing.assert_array_equal(bare.x, seen.x)


def test_occupancy_invariants_and_split_runs():
    case = CASES["multiwell"]
    obs = (sg.events.BasinOccupancy(),)
    res = sg.simulate(**case, observe=obs, progress=False)
    o = res.observed
    # every committed step is counted in exactly one basin
    np.testing.assert_array_equal(o["occupancy"].sum(axis=1), res.exit_step)
    # every basin change is one transition, and there are no self-transitions
    np.testing.assert_array_equal(o["transitions"].sum(axis=(1, 2)), o["basin_changes"])
    assert np.all(np.einsum("nii->n", o["transitions"]) == 0)
    # x0 = -0.9 is a minimum: hit at step 0
    assert np.all(o["first_hit"][:, 1] == 0)
    # observer outputs are per path, so split runs merge into the full run
    parts = [sg.simulate(**case, observe=obs, paths=r, progress=False)
             for r in (range(0, 40), range(40, 96))]
    merged = sg.Result.concatenate(parts)
    for key in o:
        np.testing.assert_array_equal(merged.observed[key], o[key])


def test_occupancy_needs_basins():
    with pytest.raises(ValueError, match="BasinOccupancy"):
        sg.simulate(sg.landscapes.Quadratic(1.0), None, sg.optimizers.sgd(0.1), x0=0.0,
                    observe=(sg.events.BasinOccupancy(),))
    with pytest.raises(ValueError, match="neighbourhood"):
        sg.events.BasinOccupancy(0.0)
    with pytest.raises(TypeError, match="observe"):
        sg.simulate(MW, None, sg.optimizers.sgd(0.1), x0=0.2, observe=("occupancy",))


BALL_CASES = {
    "2d-gaussian": dict(landscape=sg.landscapes.Quadratic([1.0, 4.0]), noise=sg.noise.Gaussian(1.0),
                        optimizer=sg.optimizers.sgd(0.1), x0=[0.1, -0.1], n_paths=96,
                        n_steps=400, seed=4, stop=sg.events.ExitBall([0.0, 0.0], 0.6)),
    "3d-pareto-clipped": dict(landscape=sg.landscapes.DoubleWell(dim=3), noise=sg.noise.Pareto(1.5),
                              optimizer=sg.optimizers.clipped_sgd(0.05, 5.0), x0=[-1.0, 0.0, 0.0],
                              n_paths=96, n_steps=20, seed=6,
                              stop=sg.events.ExitBall([-1.0, 0.0, 0.0], 0.8)),
    "1d-interval": dict(landscape=sg.landscapes.Quadratic(1.0), noise=sg.noise.Pareto(1.5),
                        optimizer=sg.optimizers.truncated_sgd(0.05, 0.3), x0=0.2, n_paths=96,
                        n_steps=50, seed=8, stop=sg.events.ExitBall(0.1, 0.5)),
}


@pytest.mark.parametrize("name", sorted(BALL_CASES))
def test_exit_ball_matches_reference(name):
    case = BALL_CASES[name]
    res = sg.simulate(**case, progress=False)
    st, ks, x = reference_simulate(**case)
    np.testing.assert_array_equal(res.status, st)
    np.testing.assert_array_equal(res.exit_step, ks)
    np.testing.assert_allclose(res.x, x, rtol=1e-12, atol=1e-12)
    exited = res.status == sg.Status.EXITED
    assert exited.any() and (~exited).any()  # both outcomes occur
    # the recorded exit location lies outside the ball; censored paths inside it
    stop = case["stop"]
    dist = np.linalg.norm(res.x - np.asarray(stop.center, dtype=float), axis=1)
    assert np.all(dist[exited] > stop.radius) and np.all(dist[~exited] <= stop.radius)


def test_exit_ball_refuses_bad_input():
    with pytest.raises(ValueError, match="radius"):
        sg.events.ExitBall([0.0, 0.0], 0.0)
    with pytest.raises(ValueError, match="x0"):
        sg.simulate(**dict(BALL_CASES["2d-gaussian"], x0=[2.0, 0.0]), progress=False)
    with pytest.raises(ValueError, match="center"):
        sg.simulate(**dict(BALL_CASES["2d-gaussian"], stop=sg.events.ExitBall([0.0] * 3, 1.0)),
                    progress=False)


RECORD_CASES = {
    "doublewell-exit": dict(landscape=sg.landscapes.DoubleWell(), noise=sg.noise.Pareto(1.5),
                            optimizer=sg.optimizers.truncated_sgd(0.05, 0.5), x0=-1.0, n_paths=64,
                            n_steps=300, seed=3, stop=sg.events.Exit(upper=0.0)),
    "quadratic-2d-diverging": dict(landscape=sg.landscapes.Quadratic([1.0, 2.5]),
                                   noise=sg.noise.Gaussian(0.1), optimizer=sg.optimizers.sgd(0.85),
                                   x0=[1.0, 1.0], n_paths=40, n_steps=400, seed=1,
                                   diverge_at=1e6),
}


@pytest.mark.parametrize("name", sorted(RECORD_CASES))
def test_record_paths_matches_reference(name):
    case = RECORD_CASES[name]
    res = sg.simulate(**case, observe=(sg.events.RecordPaths(7),), paths=range(3, case["n_paths"]),
                      progress=False)
    st, ks, x, rec = reference_simulate(**case, record=7, paths=range(3, case["n_paths"]))
    np.testing.assert_array_equal(res.exit_step, ks)
    np.testing.assert_array_equal(res.observed["recorded"], np.arange(3, 7))
    np.testing.assert_allclose(res.observed["paths"], rec, rtol=1e-12, atol=1e-12)
    # each recorded path ends where the Result says it ended, and nothing follows
    P = res.observed["paths"]
    for row, i in enumerate(range(4)):
        k = res.exit_step[i]
        last = k if res.status[i] != sg.Status.DIVERGED else k - 1
        np.testing.assert_array_equal(P[row, last], res.x[i])
        assert np.all(np.isfinite(P[row, :last + 1])) and np.all(np.isnan(P[row, last + 1:]))
    if "diverging" in name:  # the case must exercise what it is named for
        assert np.all(res.status == sg.Status.DIVERGED)
    # recording leaves the trajectories alone
    bare = sg.simulate(**case, paths=range(3, case["n_paths"]), progress=False)
    np.testing.assert_array_equal(bare.exit_step, res.exit_step)
    np.testing.assert_array_equal(bare.x, res.x)


def test_record_paths_name_from_the_issue():
    assert sg.events.record_paths(3) == sg.events.RecordPaths(3)


def test_record_paths_refuses_huge_recordings():
    with pytest.raises(ValueError, match="RecordPaths"):
        sg.simulate(**dict(RECORD_CASES["doublewell-exit"], n_steps=10**9),
                    observe=(sg.events.RecordPaths(10),), progress=False)
    with pytest.raises(ValueError, match="k"):
        sg.events.RecordPaths(0)


CHECKPOINT_CASES = {
    "quadratic-2d": dict(landscape=sg.landscapes.Quadratic([1.0, 3.0], center=[0.5, 0.0]),
                         noise=sg.noise.Gaussian(0.5), optimizer=sg.optimizers.sgd(0.05),
                         x0=[1.0, -1.0], n_paths=48, n_steps=300, seed=2),
    "doublewell-exit": dict(landscape=sg.landscapes.DoubleWell(), noise=sg.noise.Pareto(1.5),
                            optimizer=sg.optimizers.truncated_sgd(0.05, 0.5), x0=-1.0, n_paths=64,
                            n_steps=300, seed=3, stop=sg.events.Exit(upper=0.0)),
    "multiwell": CASES["multiwell"],
}


@pytest.mark.parametrize("name", sorted(CHECKPOINT_CASES))
def test_checkpoints_match_reference(name):
    case = CHECKPOINT_CASES[name]
    land = case["landscape"]
    grid = [0, 1, 7, 50, 299, case["n_steps"]]
    res = sg.simulate(**case, observe=(sg.events.Checkpoints(steps=grid),), progress=False)
    st, ks, x, rec = reference_simulate(**case, record=case["n_paths"])
    np.testing.assert_array_equal(res.exit_step, ks)
    P = rec[:, grid, :]  # x at each checkpoint, NaN once a path has stopped
    with np.errstate(invalid="ignore"):
        f = np.asarray(land.value(P)).reshape(P.shape[:2]) - land.f_star
        g = np.linalg.norm(np.asarray(land.grad(P)).reshape(P.shape), axis=2)
        m = np.asarray(land.minima, dtype=float)
        if P.shape[2] == 1:
            minima = m.reshape(-1, 1)
        elif m.ndim == 1:  # a Quadratic's single centre
            minima = np.broadcast_to(m, (P.shape[2],))[None, :]
        else:
            minima = m
        dist = np.min(np.linalg.norm(P[:, :, None, :] - minima[None, None], axis=3), axis=2)
    o = res.observed
    np.testing.assert_array_equal(o["steps"], grid)
    # kernel and NumPy sum in different orders: agreement to ~1e-12 relative
    np.testing.assert_allclose(o["f_gap"], f, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(o["grad_norm"], g, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(o["distance"], dist, rtol=1e-10, atol=1e-12)
    eta = case["optimizer"].transforms[0].value  # every case's chain starts with scale(eta)
    want = np.where(np.isfinite(f), eta, np.nan)
    want[:, np.asarray(o["steps"]) == 0] = np.nan  # no step has produced x_0
    np.testing.assert_array_equal(o["learning_rate"], want)
    # observing never changes a trajectory
    bare = sg.simulate(**case, progress=False)
    np.testing.assert_array_equal(bare.exit_step, res.exit_step)
    np.testing.assert_array_equal(bare.x, res.x)
    # the summary counts exactly the paths still running at each checkpoint
    rows = [r for r in sg.stats.summarize_checkpoints(o) if r["quantity"] == "f_gap"]
    assert [r["n"] for r in rows] == [int(np.sum(np.isfinite(P[:, c, 0]))) for c in range(len(grid))]


def test_checkpoints_refuse_bad_grids():
    with pytest.raises(ValueError, match="steps"):
        sg.simulate(**CHECKPOINT_CASES["quadratic-2d"],
                    observe=(sg.events.Checkpoints(steps=[0, 10_000]),), progress=False)
    with pytest.raises(TypeError, match="steps"):
        sg.events.Checkpoints(steps=[0.5, 2.0])
    with pytest.raises(ValueError, match="observed"):
        sg.stats.summarize_checkpoints({})
