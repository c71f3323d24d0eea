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
