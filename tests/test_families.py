"""The 1-D family modules give the generic kernel's bits.

A 1-D structure that the fused step can run (``kernel.fusable``: a Quadratic or the
DoubleWell, a noise law, up to four transforms among scale and the clips, the first
possibly momentum, an interval exit or none, no observer or basin occupancy) and that is
not a specialised hot path runs on the family module of its law, observer and momentum
(``kernel.family_1d``), where the landscape, the transforms and the stop rule are
run-time codes. Each configuration here runs there and, forced, on the generic kernel:
``status``, ``exit_step``, ``x`` and the observer's output must be equal element by
element. The configurations mix RUNNING, EXITED and DIVERGED paths (checked, so that the
comparisons are not between constant arrays) and use a path count that is not a multiple
of the lane block.
"""

import importlib

import numpy as np
import pytest

import simsgd as sg
from simsgd._kernels import codes as C
from simsgd._kernels.kernel import FAMILIES, GENERIC, family_1d

L, N, O, E = sg.landscapes, sg.noise, sg.optimizers, sg.events
_simulate = importlib.import_module("simsgd.engine.simulate").simulate

LAWS = {
    "gaussian": (N.Gaussian(0.7), C.NOISE_GAUSSIAN),
    "pareto": (N.Pareto(1.5), C.NOISE_PARETO),
    "clipped-pareto": (N.Clipped(N.Pareto(1.2), 3.0), C.NOISE_PARETO),
    "compound": (N.CompoundPareto(1.4, 0.3, 0.5), C.NOISE_COMPOUND),
    "student-t": (N.StudentT(3.0), C.NOISE_STUDENT_T),
    "stable": (N.Stable(1.3), C.NOISE_STABLE),
    "stable-cauchy": (N.Stable(1.0, 0.5), C.NOISE_STABLE),
    "shifted-exp": (N.ShiftedExponential(), C.NOISE_SHIFTED_EXP),
}

SETUPS = {
    # truncated SGD out of the left well of the double well, with basin occupancy
    "doublewell-exit": dict(landscape=L.DoubleWell(), optimizer=O.truncated_sgd(0.05, 0.3),
                            x0=-1.0, stop=E.Exit(upper=0.0), observe=(E.BasinOccupancy(0.05),)),
    # clipped SGD in a quadratic basin until it leaves it
    "quadratic-basin": dict(landscape=L.Quadratic(1.5, center=0.5, edges=(-1.0, 2.0)),
                            optimizer=O.clipped_sgd(0.5, 1.0), x0=0.2, stop=E.ExitBasin()),
    # heavy-ball momentum out of the left well, with basin occupancy (its state row lies
    # before the observer's rows)
    "doublewell-momentum": dict(landscape=L.DoubleWell(), optimizer=O.sgdm(0.01, 0.8),
                                x0=-1.0, stop=E.Exit(upper=0.0),
                                observe=(E.BasinOccupancy(0.05),)),
    # Nesterov's momentum, then a clip of the step, in a quadratic basin
    "quadratic-nesterov": dict(landscape=L.Quadratic(1.5, center=0.5, edges=(-1.0, 2.0)),
                               optimizer=O.chain(O.momentum(0.7, nesterov=True),
                                                 O.clip_by_norm(1.0), O.scale(0.3)),
                               x0=0.2, stop=E.ExitBasin()),
    # a coordinate clip, then a step too long for the curvature (eta a = 3 > 2): |x| grows
    # past diverge_at = 20 (a clipped step there still moves x from 20 to -40)
    "quadratic-diverging": dict(landscape=L.Quadratic(2.0),
                                optimizer=O.chain(O.clip_coordinates(50.0), O.scale(1.5)),
                                x0=0.3, stop=None, diverge_at=20.0),
}


def run(setup, law, **kw):
    return _simulate(noise=LAWS[law][0], **SETUPS[setup], n_paths=101, n_steps=150, seed=5,
                     progress=False, **kw)


def _family(setup, law):
    obs = C.OBS_OCCUPANCY if "observe" in SETUPS[setup] else C.OBS_NONE
    return family_1d(LAWS[law][1], obs, "momentum" in setup or "nesterov" in setup)


def test_one_family_per_law_observer_and_momentum():
    assert FAMILIES == {family_1d(code, obs, mom) for _, code in LAWS.values()
                        for obs in (C.OBS_NONE, C.OBS_OCCUPANCY) for mom in (False, True)}
    assert len(FAMILIES) == 24 and GENERIC not in FAMILIES
    with pytest.raises(ValueError, match="observer code"):  # the fused step runs no other
        family_1d(C.NOISE_GAUSSIAN, C.OBS_CHECKPOINT)


@pytest.mark.parametrize("setup", sorted(SETUPS))
@pytest.mark.parametrize("law", sorted(LAWS))
def test_family_module_equals_generic_kernel(setup, law):
    fam = run(setup, law)
    assert fam.provenance["structure"] == _family(setup, law)
    gen = run(setup, law, _force_generic=True)
    assert gen.provenance["structure"] == GENERIC
    np.testing.assert_array_equal(fam.status, gen.status)
    np.testing.assert_array_equal(fam.exit_step, gen.exit_step)
    np.testing.assert_array_equal(fam.x, gen.x)
    assert sorted(fam.observed or {}) == sorted(gen.observed or {})
    for name, value in (fam.observed or {}).items():
        np.testing.assert_array_equal(value, gen.observed[name])


@pytest.mark.parametrize("setup, status", [("doublewell-exit", "EXITED"),
                                           ("doublewell-exit", "RUNNING"),
                                           ("quadratic-basin", "EXITED"),
                                           ("doublewell-momentum", "EXITED"),
                                           ("doublewell-momentum", "RUNNING"),
                                           ("quadratic-nesterov", "EXITED"),
                                           ("quadratic-nesterov", "RUNNING"),
                                           ("quadratic-diverging", "DIVERGED")])
def test_setups_reach_each_status(setup, status):
    # guards the comparisons above against being vacuous (one law suffices: the setups
    # set the regime)
    assert run(setup, "pareto").counts()[status] > 0
