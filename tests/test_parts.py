"""The generic kernel's parts (simsgd/_kernels/parts.py): which a run calls, that a run
compiles only its own, and that a build worker (simsgd/_kernels/build.py) compiling some of
them in another process changes no value.

The values the parts compute are checked elsewhere: every reference-equality test that
forces the generic kernel (``_force_generic``) compares them with the specialised kernels
and with the NumPy reference implementation.
"""

import json
import os
import subprocess
import sys

import pytest

from simsgd._kernels import codes as C
from simsgd._kernels import kernel as K
from simsgd._kernels import parts as P

NONE = (0,) * 10


def _codes(land, noise, chain, stop=C.STOP_NONE, obs=C.OBS_NONE):
    return (land, noise) + tuple(chain) + (0,) * (C.N_SLOTS - len(chain)) + (stop, obs)


def test_part_keys_name_one_part_per_phase_and_component():
    codes = _codes(C.LAND_COSH, C.NOISE_PARETO, (C.T_CLIP_NORM, C.T_POLYAK, C.T_MOMENTUM),
                   C.STOP_BALL, C.OBS_CHECKPOINT)
    keys = K.part_keys(codes, radial=True, dim=3)
    assert [k[0] for k in keys] == [P.P_NOISE, P.P_GRAD, P.P_SLOT0, P.P_SLOT0 + 1,
                                    P.P_SLOT0 + 2, P.P_UPDATE, P.P_OBSERVER]
    by_index = {k[0]: k[1:] for k in keys}
    assert by_index[P.P_NOISE] == (P.NOISE, 1, (0, C.NOISE_PARETO) + NONE[2:])
    assert by_index[P.P_GRAD] == (P.GRAD, 0, (C.LAND_COSH,) + NONE[1:])
    assert by_index[P.P_SLOT0] == (P.TRANSFORM, 0, (0, 0, C.T_CLIP_NORM) + NONE[3:])
    # Polyak's step and the checkpoints evaluate f: their parts fix the landscape too
    assert by_index[P.P_SLOT0 + 1] == (P.TRANSFORM, 0, (C.LAND_COSH, 0, C.T_POLYAK) + NONE[3:])
    assert by_index[P.P_UPDATE] == (P.UPDATE, 0, NONE)
    assert by_index[P.P_OBSERVER] == (P.OBSERVER, 0, (C.LAND_COSH,) + NONE[1:-1]
                                      + (C.OBS_CHECKPOINT,))
    # in 1-D the update part is the fused 1-D one; no observer, no observer part
    keys1 = K.part_keys(_codes(C.LAND_MULTIWELL, C.NOISE_NONE, (C.T_SCALE,)), False, 1)
    assert [k[:3] for k in keys1] == [(P.P_NOISE, P.NOISE, 0), (P.P_GRAD, P.GRAD, 0),
                                      (P.P_SLOT0, P.TRANSFORM, 0), (P.P_UPDATE, P.UPDATE, 1)]


RUN = r"""
import hashlib, json, subprocess, sys
import simsgd as sg
from simsgd._kernels import build as B
from simsgd._kernels import kernel as K
if sys.argv[1] == "failing-worker":  # a worker that exits at once, having compiled nothing
    B._spawn = lambda keys: subprocess.Popen([sys.executable, "-c", "raise SystemExit(3)"],
                                             stderr=subprocess.PIPE, text=True)
L, N, O = sg.landscapes, sg.noise, sg.optimizers
res = sg.simulate(L.Quadratic([1.0, 2.0]), N.Gaussian(1.0), O.sgdm(0.1, 0.9), x0=[0.0, 0.0],
                  n_paths=64, n_steps=50, progress=False)
digest = hashlib.sha256(res.x.tobytes() + res.exit_step.tobytes() + res.status.tobytes())
print(json.dumps(dict(structure=list(res.provenance["structure"]),
                      parts=sorted(repr(k) for k in K.loaded_parts()),
                      build={k: repr(v) for k, v in B.LAST.items()},
                      values=digest.hexdigest())))
"""


def _cold_run(tmp_path, mode, **env):
    env = dict(os.environ, SIMSGD_CACHE_DIR=str(tmp_path / mode), **env)
    out = subprocess.run([sys.executable, "-c", RUN, mode], env=env, capture_output=True,
                         text=True, timeout=600)
    assert out.returncode == 0, out.stderr[-3000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def cold_runs(tmp_path_factory):
    """The same generic run, cold (a fresh cache each), with a build worker, without one,
    and with a worker that fails."""
    tmp = tmp_path_factory.mktemp("cold")
    return dict(worker=_cold_run(tmp, "worker", SIMSGD_BUILD_WORKER="1"),
                alone=_cold_run(tmp, "alone", SIMSGD_BUILD_WORKER="0"),
                failing=_cold_run(tmp, "failing-worker", SIMSGD_BUILD_WORKER="1"))


def test_a_generic_run_compiles_only_its_own_parts(cold_runs):
    # Gaussian noise, the quadratic's gradient, momentum and scale, the d >= 2 update
    codes = _codes(C.LAND_QUADRATIC, C.NOISE_GAUSSIAN, (C.T_MOMENTUM, C.T_SCALE))
    want = sorted(repr(k[1:]) for k in K.part_keys(codes, False, 2))
    assert len(want) == 5
    for got in cold_runs.values():
        assert tuple(got["structure"]) == K.GENERIC
        assert got["parts"] == want


def test_a_build_worker_compiles_some_parts_and_changes_no_value(cold_runs):
    worker, alone, failing = cold_runs["worker"], cold_runs["alone"], cold_runs["failing"]
    # the test machine has at least 2 CPUs (CI: 2 cores), so a cold run with 5 cold parts
    # starts a worker, which exits 0 having compiled its share (loaded here from the disk)
    assert worker["build"]["worker"] == "0"
    assert worker["build"]["there"] != "[]" and worker["build"]["here"] != "[]"
    assert alone["build"]["worker"] == "None" and alone["build"]["there"] == "[]"
    # a failed worker costs time only: this process compiles its parts
    assert failing["build"]["worker"] == "3"
    # bit-identical results whichever process compiled which part
    assert worker["values"] == alone["values"] == failing["values"]


def test_split_gives_every_cold_part_to_one_side():
    from simsgd._kernels import build as B

    codes = _codes(C.LAND_COSH, C.NOISE_PARETO, (C.T_BB,), C.STOP_NONE, C.OBS_CHECKPOINT)
    keys = [k[1:] for k in K.part_keys(codes, radial=True, dim=3)]
    for driver_cold in (True, False):
        here, there = B.split(keys, driver_cold)
        assert sorted(here + there) == sorted(keys)
        # the largest part (radial noise) goes to the side with less work: the worker
        # when this process compiles the driver first, this process when the driver is
        # loaded already
        biggest = next(k for k in keys if k[0] == P.NOISE)
        assert (biggest in there) == driver_cold


def test_build_worker_setting_is_checked(monkeypatch):
    from simsgd._kernels import build as B

    monkeypatch.setenv("SIMSGD_BUILD_WORKER", "yes")
    with pytest.raises(ValueError, match="SIMSGD_BUILD_WORKER must be 0"):
        B.enabled()
    monkeypatch.setenv("SIMSGD_BUILD_WORKER", "0")
    assert not B.enabled()


def test_call_part_refuses_arrays_of_another_layout():
    import numpy as np
    import numba as nb

    @nb.njit
    def bad(addr, S):
        f = np.zeros(4)
        i = np.zeros(4, dtype=np.int64)
        call_part = P.call_part
        call_part(addr, S, f, i, f, i, i, f, f, f, f, f, np.zeros((1, 1, 1)), 1, 0, 1, 1.0)

    with pytest.raises(Exception, match="argument S must be a C-contiguous 1-d uint64"):
        bad(0, np.zeros(4))  # float64, not uint64: a typing error, before any call
