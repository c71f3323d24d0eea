"""The generic kernel's parts (simsgd/_kernels/parts.py): which a run calls, and that a run
compiles only its own.

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
import json
import simsgd as sg
from simsgd._kernels import kernel as K
L, N, O = sg.landscapes, sg.noise, sg.optimizers
res = sg.simulate(L.Quadratic([1.0, 2.0]), N.Gaussian(1.0), O.sgdm(0.1, 0.9), x0=[0.0, 0.0],
                  n_paths=64, n_steps=50, progress=False)
print(json.dumps(dict(structure=list(res.provenance["structure"]),
                      parts=sorted(repr(k) for k in K.loaded_parts()))))
"""


def test_a_generic_run_compiles_only_its_own_parts(tmp_path):
    env = dict(os.environ, SIMSGD_CACHE_DIR=str(tmp_path))
    out = subprocess.run([sys.executable, "-c", RUN], env=env, capture_output=True, text=True,
                         timeout=600)
    assert out.returncode == 0, out.stderr[-3000:]
    got = json.loads(out.stdout.strip().splitlines()[-1])
    assert tuple(got["structure"]) == K.GENERIC
    # Gaussian noise, the quadratic's gradient, momentum and scale, the d >= 2 update
    codes = _codes(C.LAND_QUADRATIC, C.NOISE_GAUSSIAN, (C.T_MOMENTUM, C.T_SCALE))
    want = sorted(repr(k[1:]) for k in K.part_keys(codes, False, 2))
    assert got["parts"] == want and len(want) == 5


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
