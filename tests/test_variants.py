"""Every built-in combination compiles into a small, stated number of kernel variants.

A subprocess with an empty kernel cache runs every built-in landscape x noise model x
optimiser (the registries' rows; the user-defined landscape compiles its own kernel by
design and is left out), with and without a stop rule and each observer on a subset. The
variants it loads must be the generic kernel, the specialised hot paths and the 1-D family
modules (one per noise law, observer and whether the chain starts with momentum) only, so
at most ``1 + len(SPECIALISED) + len(FAMILIES)`` (= 31; DESIGN.md aims at 30 or fewer). The
generic kernel calls parts, one per component a run uses (simsgd/_kernels/parts.py). A
second process with the same cache runs the same product, and numba must report a cache hit
and no miss for every variant and a cache hit for every part: the kernels and parts are
loaded from disk, not compiled. (Its load time is reported by ``benchmarks/startup.py``; a test asserts
the cache hit, not a duration.)
"""

import json
import os
import subprocess
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))

RUN_ALL = r"""
import json, sys, warnings
import numpy as np
sys.path.insert(0, HERE)
import simsgd as sg
from simsgd._kernels import kernel as K
from registry_landscapes import LANDSCAPES
from registry_noise import NOISES
from registry_optimizers import OPTIMIZERS

noises = [None] + [p.values[0].noise for p in NOISES]
count = 0
warnings.simplefilter("ignore")
for lp in LANDSCAPES:
    if lp.id == "custom":
        continue
    factory, dim, x0 = lp.values
    land = factory()
    for noise in noises:
        for op in OPTIMIZERS:
            sg.simulate(land, noise, op.values[0], x0=x0, n_paths=33, n_steps=3, seed=1,
                        progress=False)
            count += 1
    # stop rules and observers, on one optimiser
    opt = OPTIMIZERS[0].values[0]
    stops = [sg.events.Exit(upper=float(x0[0]) + 1.0), sg.events.ExitBall(center=x0, radius=2.0)]
    observers = [(sg.events.Checkpoints(n=3),), (sg.events.RecordPaths(2),)]
    if getattr(land, "basin_edges", None) is not None and lp.id != "finite-sum-wells":
        observers.append((sg.events.BasinOccupancy(),))
    for noise in noises[:3]:
        for stop in stops:
            for obs in observers:
                sg.simulate(land, noise, opt, x0=x0, n_paths=33, n_steps=3, seed=1, stop=stop,
                            observe=obs, progress=False)
                count += 1
stats = [dict(structure=list(s), hits=sum(K.get_kernel(s).stats.cache_hits.values()),
              misses=sum(K.get_kernel(s).stats.cache_misses.values()))
         for s in K.built_structures()]
parts = [dict(key=repr(key), hits=fn.cache_hits) for key, fn in K.loaded_parts().items()]
print(json.dumps(dict(count=count, stats=stats, parts=parts,
                      most=1 + len(K.SPECIALISED) + len(K.FAMILIES))))
"""

def _python(code, env, *args):
    proc = subprocess.run([sys.executable, "-c", code, *args], env=env, capture_output=True,
                          text=True, timeout=1800)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


@pytest.mark.slow
def test_every_builtin_combination_uses_few_variants_loaded_from_disk(tmp_path):
    env = dict(os.environ, SIMSGD_CACHE_DIR=str(tmp_path), PYTHONPATH=HERE)
    code = RUN_ALL.replace("HERE", repr(HERE))
    first = _python(code, env)
    structures = {tuple(row["structure"]) for row in first["stats"]}
    from simsgd._kernels.codes import OBS_NONE
    from simsgd._kernels.kernel import (FAMILIES, FUSED_SAMPLERS, GENERIC, SPECIALISED,
                                        family_1d)

    assert first["count"] > 5000  # the product really ran
    assert GENERIC in structures
    assert structures <= {GENERIC} | SPECIALISED | FAMILIES
    # every law's 1-D structures without an observer ran on its family module
    assert {family_1d(law, OBS_NONE) for law in FUSED_SAMPLERS} <= structures
    assert len(structures) <= first["most"] == 31  # generic, 6 specialised, 24 families
    print(f"{first['count']} simulations, {len(structures)} kernel variants")

    assert all(row["misses"] >= 1 for row in first["stats"])  # the cache was empty
    second = _python(code, env)
    assert {tuple(row["structure"]) for row in second["stats"]} == structures
    for row in second["stats"]:
        assert row["misses"] == 0 and row["hits"] >= 1, row  # loaded, not compiled
    # the generic kernel's parts: the same ones, each loaded from the disk cache
    assert len(first["parts"]) > 20
    assert {row["key"] for row in second["parts"]} == {row["key"] for row in first["parts"]}
    for row in second["parts"]:
        assert row["hits"] == 1, row
