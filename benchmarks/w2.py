"""W2 benchmark: fixed-horizon clipped SGD on a 100-d quadratic with Gaussian noise.

Runs workload W2 exactly as ``../shared/bench/WORKLOADS.md`` defines it,
``x <- x - eta clip_norm(A x + sigma xi, c)`` with ``A = diag(linspace(1, 100, 100))``,
eta = 0.005, c = 10, sigma = 1, N = 1,000, T = 10,000, x0 = ones(100), through
implementations measured alternately in the same run (only same-run ratios mean anything
on a shared machine):

* ``simsgd``    the public API only: ``sg.simulate(Quadratic(a), Gaussian(1.0),
                clipped_sgd(0.005, 10.0), x0=ones(100), ...)``, after a small warm-up call;
* ``numpy``     a vectorised NumPy reference (one thread, its own PCG64 normals, so its
                statistics agree only statistically);
* ``c-scalar``, ``c-simd``  ``../shared/bench/w2_c.c`` built as ``limit.sh`` builds it.

    python benchmarks/w2.py                     # full size, 5 reps (~2 min on 2 AVX-512 cores, ~10 on AVX2)
    python benchmarks/w2.py --paths 200 --reps 3 --no-c    # a quick look

Figure of merit: coordinate updates per second, N * T * d / wall time. Statistics: the
mean of ``||x_T||^2`` and of ``f(x_T)`` with standard errors (WORKLOADS' C figures:
0.01264 +- 0.00014 and 0.1322 +- 0.0006). Prints one JSON line per implementation and a
summary line, and writes ``benchmarks/results/w2.json``.
"""

import argparse
import json
import math
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import w1  # noqa: E402
from w1 import BENCH_DIR, load_average, write_record  # noqa: E402

C_SOURCE = os.path.join(BENCH_DIR, "w2_c.c")
C_FLAGS = ["-O3", "-march=native", "-fopenmp", "-ffast-math"]  # as limit.sh builds w2

D, ETA, CLIP, SIGMA = 100, 0.005, 10.0, 1.0
N_PATHS, T, SEED = 1_000, 10_000, 12_345
A = np.linspace(1.0, 100.0, D)
C_REFERENCE = dict(mean_sqnorm=0.01264, se_sqnorm=0.00014, mean_f=0.1322, se_f=0.0006)


def final_stats(x):
    """Mean and standard error of ||x_T||^2 and f(x_T) = sum a_j x_j^2 / 2 across paths."""
    sq = np.einsum("ij,ij->i", x, x)
    f = 0.5 * (x * x) @ A
    n = x.shape[0]
    return dict(mean_sqnorm=float(sq.mean()), se_sqnorm=float(sq.std(ddof=1) / math.sqrt(n)),
                mean_f=float(f.mean()), se_f=float(f.std(ddof=1) / math.sqrt(n)))


def z(a, b, key):
    s = math.hypot(a["se_" + key], b["se_" + key])
    return round((a["mean_" + key] - b["mean_" + key]) / s, 2) if s > 0 else float("nan")


class SimSGD:
    name = "simsgd"

    def __init__(self, n_paths, seed):
        import simsgd as sg

        self.n_paths, self.seed = n_paths, seed
        self.args = (sg.landscapes.Quadratic(A), sg.noise.Gaussian(SIGMA),
                     sg.optimizers.clipped_sgd(ETA, CLIP))
        t0 = time.perf_counter()
        res = self._call(min(64, n_paths), 10)
        self.first_call_wall_s = time.perf_counter() - t0
        self.compile_or_load_s = float(res.provenance["compile_seconds"])
        self.structure = res.provenance.get("structure")
        self.threads = int(res.provenance["threads"])
        self.x = None

    def _call(self, n, t):
        import simsgd as sg

        return sg.simulate(*self.args, x0=np.ones(D), n_paths=n, n_steps=t, seed=self.seed,
                           progress=False)

    def run(self):
        c0, t0 = time.process_time(), time.perf_counter()
        res = self._call(self.n_paths, T)
        wall, cpu = time.perf_counter() - t0, time.process_time() - c0
        if self.x is None:
            self.x = res.x.copy()
        elif not np.array_equal(self.x, res.x):
            raise RuntimeError("simsgd gave different x_T for the same seed")
        return wall, cpu

    def report(self):
        return dict(threads=self.threads, structure=str(self.structure),
                    first_call_wall_s=round(self.first_call_wall_s, 4),
                    first_call_compile_or_load_s=round(self.compile_or_load_s, 4))


def numpy_w2(n_paths, t, seed):
    """W2 in NumPy: all paths at once, in-place updates, one (n, d) normal block per step."""
    rng = np.random.Generator(np.random.PCG64(seed))
    x = np.ones((n_paths, D))
    g = np.empty_like(x)
    nrm = np.empty(n_paths)
    for _ in range(t):
        rng.standard_normal(out=g)
        if SIGMA != 1.0:
            g *= SIGMA
        g += x * A
        np.einsum("ij,ij->i", g, g, out=nrm)
        np.sqrt(nrm, out=nrm)
        # eta * min(1, c/||g||), guarded against ||g|| = 0
        np.maximum(nrm, CLIP, out=nrm)
        np.divide(-ETA * CLIP, nrm, out=nrm)
        g *= nrm[:, None]
        x += g
    return x


class NumpyRef:
    name = "numpy"

    def __init__(self, n_paths, seed):
        self.n_paths, self.seed = n_paths, seed
        numpy_w2(min(64, n_paths), 10, seed)
        self.x = None

    def run(self):
        c0, t0 = time.process_time(), time.perf_counter()
        x = numpy_w2(self.n_paths, T, self.seed)
        wall, cpu = time.perf_counter() - t0, time.process_time() - c0
        if self.x is None:
            self.x = x
        return wall, cpu

    def report(self):
        return dict(threads=1, generator="numpy PCG64 standard_normal", version=np.__version__)


class CRef(w1.CRef):
    """The W2 C program; its final iterates come back through the dump file."""

    def __init__(self, binary, mode, n_paths, seed, dump):
        super().__init__(binary, mode, n_paths, seed, dump, horizon=T)

    def run(self):
        wall_cpu = super().run()
        if getattr(self, "x", None) is None:  # dumped on the first call only
            self.x = np.fromfile(self.dump).reshape(self.n_paths, D)
        return wall_cpu

    def report(self):
        return dict(super().report(), build=" ".join(["gcc"] + C_FLAGS))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--paths", type=int, default=N_PATHS, help="trajectories (W2: 1000)")
    ap.add_argument("--reps", type=int, default=5, help="timed reps per implementation")
    ap.add_argument("--seed", type=int, default=SEED)
    ap.add_argument("--no-c", action="store_true", help="skip the C reference")
    ap.add_argument("--no-numpy", action="store_true", help="skip the NumPy reference")
    ap.add_argument("--out", default=os.path.join(HERE, "results", "w2.json"))
    args = ap.parse_args(argv)
    if args.paths < 2 or args.reps < 1:
        ap.error("--paths must be >= 2 and --reps >= 1")

    load_start = load_average()
    impls = [SimSGD(args.paths, args.seed)]
    if not args.no_numpy:
        impls.append(NumpyRef(args.paths, args.seed))
    tmp, c_note = None, None
    if args.no_c or not shutil.which("gcc") or not os.path.exists(C_SOURCE):
        c_note = "skipped (--no-c, no gcc, or no ../shared/bench/w2_c.c)"
    else:
        tmp = tempfile.mkdtemp(prefix="simsgd-w2-")
        binary = os.path.join(tmp, "w2")
        subprocess.run(["gcc", *C_FLAGS, "-o", binary, C_SOURCE, "-lm"], check=True,
                       capture_output=True, text=True)
        impls += [CRef(binary, m, args.paths, args.seed, os.path.join(tmp, m + ".bin"))
                  for m in ("scalar", "simd")]
    walls = {im.name: [] for im in impls}
    cpus = {im.name: [] for im in impls}
    try:
        for _ in range(args.reps):  # alternate: one rep of each implementation in turn
            for im in impls:
                w, c = im.run()
                walls[im.name].append(w)
                cpus[im.name].append(c)
    finally:
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)

    work = float(args.paths) * T * D
    lines = []
    for im in impls:
        med = statistics.median(walls[im.name])
        st = final_stats(im.x)
        line = dict(impl=im.name, workload="W2",
                    params=dict(N=args.paths, T=T, d=D, seed=args.seed, eta=ETA, c=CLIP,
                                sigma=SIGMA),
                    reps=args.reps, wall_s=[round(w, 4) for w in walls[im.name]],
                    median_s=round(med, 4),
                    cpu_over_wall=round(statistics.median(cpus[im.name]) / med, 2),
                    work=work, work_unit="coord-updates", rate_per_s=work / med,
                    **{k: round(v, 7) for k, v in st.items()}, **im.report())
        lines.append(line)
        print(json.dumps(line), flush=True)

    by = {ln["impl"]: ln for ln in lines}
    ratios, paired = {}, {}
    for other in ("numpy", "c-scalar", "c-simd"):
        if other in by:
            key = f"simsgd/{other}"
            ratios[key] = round(by["simsgd"]["rate_per_s"] / by[other]["rate_per_s"], 3)
            paired[key] = round(statistics.median(
                wo / ws for ws, wo in zip(walls["simsgd"], walls[other])), 3)
    agreement = {}
    for ln in lines:
        if args.paths == N_PATHS and args.seed == SEED:
            for key in ("sqnorm", "f"):
                agreement[f"z_{ln['impl']}_{key}_vs_WORKLOADS"] = z(ln, C_REFERENCE, key)
    summary = dict(summary="W2", ratios_of_median_rates=ratios,
                   ratios_paired_per_rep_median=paired, agreement=agreement,
                   rate_per_s={ln["impl"]: ln["rate_per_s"] for ln in lines},
                   c_reference=c_note or "built with " + " ".join(["gcc"] + C_FLAGS),
                   load_average_start_end=[load_start, load_average()])
    print(json.dumps(summary), flush=True)
    return write_record(args.out, "W2", lines, summary)


if __name__ == "__main__":
    main()
