"""Start-up costs: ``import simsgd``, a cached first ``simulate``, and cold compilation.

Each measurement runs in a fresh Python process, so nothing is shared with this one:

* **cached start** (``--reps`` times): ``import simsgd`` and then a small W1 ``simulate``
  (64 paths, 100 steps) with a warm kernel cache; also which heavy modules the import
  pulled in (scipy.stats, matplotlib, dask should not be);
* **cold compilation**: one process per kernel variant with an empty kernel cache
  (``SIMSGD_CACHE_DIR`` and ``NUMBA_CACHE_DIR`` in a new temporary folder): the
  ``compile_seconds`` of the first ``simulate`` of each variant (the generic kernel with
  three sets of parts, the specialised hot paths, 1-D family modules), then
  the same call again in a second process (a disk-cache load). The first compilation in
  a process also pays numba's own one-time set-up (its typing and target registries,
  whatever is compiled); a third process sets numba up first (one trivial ``njit``
  function, ``numba_init_s``) and then compiles the variant cold
  (``compile_after_numba_init_s``): the cost of the variant itself, as a second variant
  compiled in one session pays it.

A cold generic run may hand some of its parts to a build worker, a second process
(simsgd/_kernels/build.py): ``worker_parts`` counts them, ``worker_cpu_s`` is that
process's CPU time, ``cold_cpu_s`` this one's (import included), and
``cold_compile_one_process_s`` the same cold compile with ``SIMSGD_BUILD_WORKER=0``.

    python benchmarks/startup.py             # ~3-5 min on 2 cores (cold compiles)
    python benchmarks/startup.py --no-cold   # cached start only (~10 s)

Prints JSON lines and writes ``benchmarks/results/startup.json``.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from w1 import load_average, write_record  # noqa: E402

# one simulate call per kernel variant (the structures in simsgd/_kernels/kernel.py)
VARIANTS = {
    # momentum in d = 2: no module of its own (in 1-D it has a family module)
    "generic": "sg.simulate(L.Quadratic([1.0, 2.0]), N.Gaussian(1.0), O.sgdm(0.1, 0.9), "
               "x0=[0.0, 0.0], n_paths=64, n_steps=100, progress=False)",
    # the generic kernel compiles its driver and the parts a run uses (simsgd/_kernels/
    # parts.py): two more runs with other parts, each in a fresh cache
    "generic_1d_multiwell": "sg.simulate(L.MultiWell((-1.0, 0.0, 1.0), lower=-3.0, upper=3.0), "
                            "N.Pareto(1.5), O.clipped_sgd(0.01, 5.0), x0=-1.0, n_paths=64, "
                            "n_steps=100, stop=E.ExitBasin(), progress=False)",
    "generic_bb_checkpoints": "sg.simulate(L.Cosh(dim=3), N.Radial(N.Pareto(1.5)), "
                              "O.adaptive_sgd('bb'), x0=np.zeros(3), n_paths=64, n_steps=100, "
                              "observe=(E.Checkpoints(n=3),), progress=False)",
    "family_pareto_momentum": "sg.simulate(L.DoubleWell(), N.Clipped(N.Pareto(1.5), 50.0), "
                              "O.sgdm(0.001, 0.9), x0=-1.0, n_paths=64, n_steps=100, "
                              "stop=E.Exit(upper=0.0), progress=False)",
    "stochastic_quadratic": "sg.simulate(L.StochasticQuadratic(np.linspace(0.2, 1.8, 10), "
                            "batch_size=2), None, O.sgd(0.5), x0=1.0, n_paths=64, "
                            "n_steps=100, progress=False)",
    "family_stable": "sg.simulate(L.DoubleWell(), N.Clipped(N.Stable(1.5), 50.0), O.sgd(0.01), "
                     "x0=-1.0, n_paths=64, n_steps=100, stop=E.Exit(upper=0.0), progress=False)",
    "family_stable_occupancy": "sg.simulate(L.DoubleWell(), N.Clipped(N.Stable(1.5), 50.0), "
                               "O.sgd(0.01), x0=-1.0, n_paths=64, n_steps=100, "
                               "stop=E.Exit(upper=0.0), observe=(E.BasinOccupancy(0.05),), "
                               "progress=False)",
    "w1": "sg.simulate(L.DoubleWell(), N.Clipped(N.Pareto(1.5), 50.0), O.sgd(0.01), x0=-1.0, "
          "n_paths=64, n_steps=100, stop=E.Exit(upper=0.0), progress=False)",
    "w3": "sg.simulate(L.DoubleWell(), N.Clipped(N.Pareto(1.5), 50.0), O.sgd(0.01), x0=-1.0, "
          "n_paths=64, n_steps=100, stop=E.Exit(upper=0.0), "
          "observe=(E.BasinOccupancy(0.05),), progress=False)",
    "exit_pareto": "sg.simulate(L.Quadratic(1.0, edges=(-0.5, 0.5)), N.Pareto(1.5), "
                   "O.truncated_sgd(0.01, 0.3), x0=0.0, n_paths=64, n_steps=100, "
                   "stop=E.ExitBasin(), progress=False)",
    "exit_compound": "sg.simulate(L.Quadratic(1.0, edges=(-0.5, 0.5)), "
                     "N.CompoundPareto(1.5, 0.001, 20.0), O.truncated_sgd(0.01, 0.3), x0=0.0, "
                     "n_paths=64, n_steps=100, stop=E.ExitBasin(), progress=False)",
    "w2": "sg.simulate(L.Quadratic(np.linspace(1, 100, 100)), N.Gaussian(1.0), "
          "O.clipped_sgd(0.005, 10.0), x0=np.ones(100), n_paths=64, n_steps=10, progress=False)",
}

CHILD = r"""
import json, os, sys, time
t0 = time.perf_counter()
import simsgd as sg
t1 = time.perf_counter()
heavy = sorted(m for m in ("scipy.stats", "scipy.integrate", "matplotlib", "dask", "pandas",
                           "simsgd.theory", "simsgd.plotting") if m in sys.modules)
import numpy as np
L, N, O, E = sg.landscapes, sg.noise, sg.optimizers, sg.events
t2 = time.perf_counter()
numba_init = 0.0
if os.environ.get("SIMSGD_BENCH_INIT_NUMBA"):  # numba's one-time set-up, before CALL
    import numba
    numba.njit(lambda v: v + 1.0)(1.0)
    numba_init = time.perf_counter() - t2
    t2 = time.perf_counter()
res = CALL
t3 = time.perf_counter()
from simsgd._kernels import build
cpu = os.times()
print("STARTUP " + json.dumps(dict(import_s=t1 - t0, first_simulate_s=t3 - t2,
      total_s=t3 - t0, compile_s=float(res.provenance["compile_seconds"]), numba_init_s=numba_init,
      cpu_s=cpu.user + cpu.system, worker_cpu_s=cpu.children_user + cpu.children_system,
      worker_parts=len(build.LAST.get("there", [])), worker_status=build.LAST.get("worker"),
      structure=str(res.provenance.get("structure")), heavy_modules_after_import=heavy)))
"""


def child(call, env):
    out = subprocess.run([sys.executable, "-c", CHILD.replace("CALL", call)], env=env,
                         check=True, capture_output=True, text=True).stdout
    return json.loads([ln for ln in out.splitlines() if ln.startswith("STARTUP ")][-1][8:])


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--reps", type=int, default=5, help="cached-start processes")
    ap.add_argument("--no-cold", action="store_true", help="skip the cold compilations")
    ap.add_argument("--out", default=os.path.join(HERE, "results", "startup.json"))
    args = ap.parse_args(argv)
    load_start = load_average()
    lines = []
    env = dict(os.environ)
    child(VARIANTS["w1"], env)  # make sure the user's cache holds W1
    cached = [child(VARIANTS["w1"], env) for _ in range(args.reps)]
    line = dict(measure="cached_start", reps=args.reps,
                import_s_median=statistics.median(c["import_s"] for c in cached),
                first_simulate_s_median=statistics.median(c["first_simulate_s"] for c in cached),
                total_s_median=statistics.median(c["total_s"] for c in cached),
                total_s_max=max(c["total_s"] for c in cached),
                heavy_modules_after_import=cached[0]["heavy_modules_after_import"])
    lines.append(line)
    print(json.dumps(line), flush=True)
    if not args.no_cold:
        with tempfile.TemporaryDirectory(prefix="simsgd-cold-") as tmp:
            for name, call in VARIANTS.items():
                # a cache of its own per variant: the generic variants share the driver and
                # some parts, which would otherwise be loaded, not compiled
                cold_env = dict(env, SIMSGD_CACHE_DIR=os.path.join(tmp, name, "k"),
                                NUMBA_CACHE_DIR=os.path.join(tmp, name, "n"))
                # the same compilation in a process that sets numba up first (its typing and
                # target registries, ~0.3-0.6 s once per process, whatever is compiled), with
                # a cache of its own, so that the kernel is still compiled cold
                init_env = dict(env, SIMSGD_CACHE_DIR=os.path.join(tmp, name, "k2"),
                                NUMBA_CACHE_DIR=os.path.join(tmp, name, "n2"),
                                SIMSGD_BENCH_INIT_NUMBA="1")
                cold = child(call, cold_env)
                warm = child(call, cold_env)
                after_init = child(call, init_env)
                line = dict(measure="compile", variant=name, structure=cold["structure"],
                            cold_compile_s=round(cold["compile_s"], 3),
                            cold_total_s=round(cold["total_s"], 3),
                            cold_cpu_s=round(cold["cpu_s"], 3),
                            worker_parts=cold["worker_parts"],
                            worker_cpu_s=round(cold["worker_cpu_s"], 3),
                            numba_init_s=round(after_init["numba_init_s"], 3),
                            compile_after_numba_init_s=round(after_init["compile_s"], 3),
                            cached_load_s=round(warm["compile_s"], 3),
                            cached_total_s=round(warm["total_s"], 3))
                if cold["worker_parts"]:
                    # the same cold compile in one process (no build worker)
                    alone = child(call, dict(env, SIMSGD_BUILD_WORKER="0",
                                             SIMSGD_CACHE_DIR=os.path.join(tmp, name, "k3"),
                                             NUMBA_CACHE_DIR=os.path.join(tmp, name, "n3")))
                    line.update(cold_compile_one_process_s=round(alone["compile_s"], 3),
                                cold_cpu_one_process_s=round(alone["cpu_s"], 3))
                lines.append(line)
                print(json.dumps(line), flush=True)
    summary = dict(summary="startup", load_average_start_end=[load_start, load_average()])
    print(json.dumps(summary), flush=True)
    write_record(args.out, "startup", lines, summary)


if __name__ == "__main__":
    main()
