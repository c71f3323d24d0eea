"""Parameters are runtime data: new values never compile a kernel.

A kernel compiles once per *structure*: the generic one, whose codes are run-time data, one
of the few specialised hot paths, or a 1-D family module (one per noise law, the other codes
run-time data). After a warm-up run, changing only values (step size, truncation radius,
tail index, start point, path count, horizon, seed, stop bounds, dimension, threads) must
leave the loaded structures, the compiled signatures and the generic kernel's loaded parts
unchanged. (A signature loaded from numba's disk cache counts too, so the check does not
depend on the cache.) The warm-up runs the base structure in 1-D and in 3-D: the generic
kernel's update part differs between d = 1 and d >= 2 (simsgd/_kernels/parts.py).
"""

import numpy as np
import pytest

import simsgd as sg
from simsgd._kernels import codes as C
from simsgd._kernels.kernel import (GENERIC, built_structures, compiled_signatures, family_1d,
                                    get_kernel, loaded_parts)

L, N, O, E = sg.landscapes, sg.noise, sg.optimizers, sg.events


def opt(eta, b):
    # truncated SGD with momentum in its second slot: the fused 1-D step takes momentum
    # in the first slot only, so this structure stays off the 1-D family modules and 1-D
    # and 3-D share the generic kernel
    return O.chain(O.scale(eta), O.momentum(0.5), O.truncate_update(b))


BASE = dict(landscape=L.DoubleWell(), noise=N.Pareto(1.5), optimizer=opt(0.05, 0.5),
            x0=-1.0, n_paths=64, n_steps=100, seed=0, stop=E.Exit(upper=0.0))

VARIATIONS = {
    "eta": dict(optimizer=opt(0.02, 0.5)),
    "b": dict(optimizer=opt(0.05, 0.25)),
    "alpha": dict(noise=N.Pareto(1.1)),
    "noise scale": dict(noise=N.Pareto(1.5, scale=0.3)),
    "noise clip": dict(noise=N.Clipped(N.Pareto(1.5), 50.0)),  # clip is a parameter
    "x0 scalar": dict(x0=-0.5),
    "x0 (dim,)": dict(x0=np.array([-0.7])),
    "n_paths": dict(n_paths=1000),
    "n_steps": dict(n_steps=1234),
    "n_steps zero": dict(n_steps=0),
    "seed": dict(seed=12345),
    "seed large": dict(seed=2**64 - 1),
    "seed numpy int": dict(seed=np.int32(7)),
    "stop bounds": dict(stop=E.Exit(lower=-2.0, upper=0.5)),
    "stop basin": dict(stop=E.ExitBasin()),  # same interval rule, bounds from the landscape
    "dimension": dict(landscape=L.DoubleWell(dim=3), x0=[-1.0, 0.5, 0.5]),
    "paths": dict(paths=range(10, 50)),
    "paths list": dict(paths=[3, 1, 2]),
    "threads": dict(threads=1),
    "diverge_at": dict(diverge_at=1e6),
}


@pytest.fixture(scope="module")
def warm():
    sg.simulate(**BASE, progress=False)
    sg.simulate(**dict(BASE, **VARIATIONS["dimension"]), progress=False)


def _signature_state():
    return compiled_signatures(), set(built_structures()), set(loaded_parts())


@pytest.mark.parametrize("name", VARIATIONS)
def test_new_parameter_values_do_not_compile(warm, name):
    before = _signature_state()
    res = sg.simulate(**dict(BASE, **VARIATIONS[name]), progress=False)
    assert _signature_state() == before
    assert res.status.shape[0] == res.x.shape[0] >= 1


def test_all_variations_in_one_process_share_one_signature(warm):
    before = _signature_state()
    for kw in VARIATIONS.values():
        sg.simulate(**dict(BASE, **kw), progress=False)
    assert _signature_state() == before
    # DoubleWell/Pareto/truncated SGD with momentum second/interval stop is not a
    # specialised hot path and not fusable: every variation ran on the one generic kernel
    res = sg.simulate(**BASE, progress=False)
    assert res.provenance["structure"] == GENERIC
    assert GENERIC in built_structures()


# Regression: a 2-D or single-path x0 once reached the kernel as a read-only view,
# which compiled a second signature.
@pytest.mark.parametrize("kw", [dict(x0=np.linspace(-1.5, -0.1, 64)[:, None]), dict(n_paths=1),
                                dict(paths=[5])],
                         ids=["x0 (n_paths, dim)", "n_paths=1", "one path"])
def test_per_path_x0_or_single_path_does_not_compile(warm, kw):
    # Checked on the kernel itself rather than before/after, so that the result does not
    # depend on whether an earlier test in this process already ran a single path: with a
    # correct engine this structure's kernel has exactly one signature, whatever ran before.
    res = sg.simulate(**dict(BASE, **kw), progress=False)
    sigs = get_kernel(res.provenance["structure"]).signatures
    assert len(sigs) == 1, sigs


def test_kernel_file_name_follows_every_kernel_source(monkeypatch):
    """numba's disk cache keys on the generated file's mtime only, so an edit to a sampler
    or an elementary function (imported by the generated kernel) must rename the file;
    otherwise a stale compiled kernel would be loaded after an upgrade."""
    from simsgd._kernels import kernel

    src = kernel._module_source(GENERIC)
    before, digest = kernel.module_name(GENERIC, src), kernel._SOURCES
    assert before == kernel.module_name(GENERIC, src)
    assert kernel._sources_digest() == digest  # recomputed from the files, stable
    monkeypatch.setattr(kernel, "_SOURCES", digest[::-1])
    assert kernel.module_name(GENERIC, src) != before


# The 1-D family module of a law and observer runs, without compiling, every structure the
# fused step accepts with them: the landscape (Quadratic or DoubleWell), the transforms
# (scale and the clips, up to four) and the stop rule (an interval or none) are run-time
# codes there, not only their values. The observer (none or basin occupancy) is a constant:
# one family module each.
FAMILY_BASE = dict(landscape=L.DoubleWell(), noise=N.Pareto(1.5),
                   optimizer=O.truncated_sgd(0.05, 0.5), x0=-1.0, n_paths=64, n_steps=100,
                   seed=0, stop=E.Exit(upper=0.0))
FAMILY_VARIATIONS = {
    "eta and b": dict(optimizer=O.truncated_sgd(0.02, 0.25)),
    "sgd": dict(optimizer=O.sgd(0.05), stop=None),  # with the exit: W1's hot path
    "clipped sgd": dict(optimizer=O.clipped_sgd(0.05, 1.0)),
    "four slots": dict(optimizer=O.chain(O.clip_coordinates(3.0), O.scale(0.05),
                                         O.clip_by_norm(1.0), O.truncate_update(0.5))),
    # (with truncated SGD and an exit, a Quadratic is the exit study's hot path)
    "quadratic": dict(landscape=L.Quadratic(2.0, center=-0.5), x0=0.0,
                      optimizer=O.clipped_sgd(0.05, 1.0)),
    "quadratic basin": dict(landscape=L.Quadratic(2.0, edges=(-1.0, 1.0)), x0=0.0,
                            optimizer=O.clipped_sgd(0.05, 1.0), stop=E.ExitBasin()),
    "no stop": dict(stop=None),
    "clipped noise": dict(noise=N.Clipped(N.Pareto(1.2, scale=0.5), 10.0)),
}


@pytest.fixture(scope="module")
def warm_family():
    res = sg.simulate(**FAMILY_BASE, progress=False)
    assert res.provenance["structure"] == family_1d(C.NOISE_PARETO)


@pytest.mark.parametrize("name", FAMILY_VARIATIONS)
def test_family_module_runs_other_structures_without_compiling(warm_family, name):
    before = _signature_state()
    res = sg.simulate(**dict(FAMILY_BASE, **FAMILY_VARIATIONS[name]), progress=False)
    assert res.provenance["structure"] == family_1d(C.NOISE_PARETO)
    assert _signature_state() == before


# every variation above whose landscape has basins (BasinOccupancy needs them)
WITH_BASINS = ("eta and b", "clipped sgd", "four slots", "quadratic basin", "no stop",
               "clipped noise")


def test_family_observer_is_a_constant_of_its_module(warm_family):
    occupancy = dict(observe=(E.BasinOccupancy(0.05),))
    res = sg.simulate(**dict(FAMILY_BASE, **occupancy), progress=False)
    assert res.provenance["structure"] == family_1d(C.NOISE_PARETO, C.OBS_OCCUPANCY)
    before = _signature_state()
    for name in WITH_BASINS:
        res = sg.simulate(**dict(FAMILY_BASE, **FAMILY_VARIATIONS[name], **occupancy),
                          progress=False)
        assert res.provenance["structure"] == family_1d(C.NOISE_PARETO, C.OBS_OCCUPANCY)
        assert res.observed  # the observer ran
    assert _signature_state() == before
