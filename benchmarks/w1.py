"""W1 benchmark: exit time of clipped heavy-tailed SGD on the double well.

Runs workload W1 exactly as ``../shared/bench/WORKLOADS.md`` defines it, through three
implementations measured alternately in the same run (the machine is shared and absolute
figures drift by 10% or more between runs, so only same-run ratios mean anything):

* ``simsgd``    the public API only (``sg.simulate``), after a small warm-up call;
* ``numpy``     a tuned NumPy reference vectorised over the trajectories in blocks of K
                steps (single-threaded, as NumPy is; its own PCG64 stream, so its mean
                exit agrees only statistically); paths that exit inside a block run on
                to its end, work it does not count;
* ``numpy-live`` the same draws and update one step at a time over the live paths only,
                as WORKLOADS.md's "NumPy, vectorised over live trajectories, tuned" row
                and the issue describe the reference (about half the blocked one's rate);
* ``c-scalar``, ``c-simd``  ``../shared/bench/w1_c.c`` built as ``limit.sh`` builds it
                (skipped with ``--no-c`` or when ``gcc`` is missing).

    python benchmarks/w1.py                    # full size: N = 20,000, T_max = 100,000, 5 reps
    python benchmarks/w1.py --paths 2000 --reps 3 --no-c   # a quick look

Prints one JSON line per implementation and a final summary line with the ratios, and
writes everything to ``benchmarks/results/w1.json``. See ``benchmarks/README.md``.
"""

import argparse
import json
import math
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
BENCH_DIR = os.path.normpath(os.path.join(REPO, "..", "shared", "bench"))
C_SOURCE = os.path.join(BENCH_DIR, "w1_c.c")
C_FLAGS = ["-O3", "-march=native", "-fopenmp", "-ffast-math", "-DUSE_EXPLOG"]  # as limit.sh

# W1 (WORKLOADS.md)
ETA, B, ALPHA, X0 = 0.01, 0.5, 1.5, -1.0
N_PATHS, T_MAX, SEED = 20_000, 100_000, 12_345
C_REFERENCE = dict(mean_exit=1931.0, se_exit=13.0)  # WORKLOADS.md, seed 12345, xoshiro streams


# ------------------------------------------------------------------------------------
# statistics
# ------------------------------------------------------------------------------------
def exit_stats(exit_step, t_max):
    e = np.asarray(exit_step, dtype=np.float64)
    n = e.size
    return dict(steps=float(e.sum()), mean_exit=float(e.mean()),
                se_exit=float(e.std(ddof=1) / math.sqrt(n)) if n > 1 else float("nan"),
                n_censored=int(np.count_nonzero(e >= t_max)), max_exit=float(e.max()))


def z_score(a, b):
    """(mean_a - mean_b) / sqrt(se_a^2 + se_b^2)."""
    s = math.hypot(a["se_exit"], b["se_exit"])
    return (a["mean_exit"] - b["mean_exit"]) / s if s > 0 else float("nan")


# ------------------------------------------------------------------------------------
# 1. simsgd, public API only
# ------------------------------------------------------------------------------------
def simsgd_call(n_paths, seed):
    import simsgd as sg

    return sg.simulate(sg.landscapes.DoubleWell(),
                       sg.noise.Clipped(sg.noise.Pareto(ALPHA), B / ETA),  # c = b/eta = 50
                       sg.optimizers.sgd(ETA), x0=X0, n_paths=n_paths, n_steps=T_MAX, seed=seed,
                       stop=sg.events.Exit(upper=0.0), progress=False)


class SimSGD:
    name = "simsgd"

    def __init__(self, n_paths, seed):
        self.n_paths, self.seed = n_paths, seed
        t0 = time.perf_counter()
        import simsgd as sg  # noqa: F401

        self.import_s = time.perf_counter() - t0
        # warm-up: one small call, so compilation (or the disk-cache load) is excluded
        t0 = time.perf_counter()
        res = simsgd_call(min(256, n_paths), seed)
        self.first_call_wall_s = time.perf_counter() - t0
        self.first_call_compile_s = float(res.provenance["compile_seconds"])
        self.threads = int(res.provenance["threads"])
        self.kernel_rates = []
        self.exit_step = None

    def run(self):
        c0, t0 = time.process_time(), time.perf_counter()
        res = simsgd_call(self.n_paths, self.seed)
        wall, cpu = time.perf_counter() - t0, time.process_time() - c0
        self.kernel_rates.append(float(res.steps_per_second))
        if self.exit_step is None:
            self.exit_step = res.exit_step.copy()
            self.status_counts = res.counts()
        elif not np.array_equal(self.exit_step, res.exit_step):
            raise RuntimeError("simsgd gave different exit steps for the same seed")
        return wall, cpu

    def report(self):
        import simsgd as sg

        return dict(threads=self.threads, status_counts=self.status_counts,
                    import_s=round(self.import_s, 4),
                    first_call_wall_s=round(self.first_call_wall_s, 4),
                    first_call_compile_or_load_s=round(self.first_call_compile_s, 4),
                    kernel_rate_per_s_median=statistics.median(self.kernel_rates),
                    version=sg.__version__)


# ------------------------------------------------------------------------------------
# 2. NumPy references: in blocks of K steps, and step by step over the live paths
# ------------------------------------------------------------------------------------
def _signed_steps(r, out):
    """W1's clipped noise steps ``clip(eta Z, -b, b)`` from raw 64-bit words ``r`` into the
    float64 array ``out`` (same shape), in place: U in (0, 1] from the top 53 bits and the
    sign from the lowest bit, as the C reference does; ``eta U^(-1/alpha) = exp(log(eta) -
    log(U)/alpha)`` (numpy's vectorised log/exp), clipped at b, the sign put in by flipping
    the sign bit. ``r`` is overwritten."""
    u = out.view(np.uint64)
    np.right_shift(r, 11, out=u)
    u += 1
    out[...] = u                             # U 2^53, exactly (< 2^53 + 1)
    out *= 2.0 ** -53                        # U in (0, 1]
    np.log(out, out=out)
    out *= -1.0 / ALPHA
    out += math.log(ETA)
    np.exp(out, out=out)                     # eta U^(-1/alpha)
    np.minimum(out, B, out=out)              # clip(eta Z, -b, b) on |eta Z|
    r <<= 63                                 # lowest bit -> sign bit
    u ^= r                                   # random sign
    return out


def numpy_w1(n_paths, t_max, seed, block_elems=1 << 17, k_min=8, k_max=4096):
    """W1 in NumPy, tuned: returns the int64 exit step of every path.

    The live trajectories are kept compacted in one array. Time is cut into blocks of K
    steps; a block draws all its noise at once (:func:`_signed_steps`), then runs the K dependent updates
    ``x <- x - eta (x*x*x - x) + step`` in place and records ``x > 0`` per step. At the
    block's end each path's first positive step is its exit; exited paths are dropped.
    Paths that exit inside a block run on to its end (at most K - 1 wasted steps each),
    and K grows as the live set shrinks so the per-call overhead stays amortised.
    """
    bitgen = np.random.PCG64(seed)
    exit_step = np.full(n_paths, t_max, dtype=np.int64)
    ids = np.arange(n_paths)
    x = np.full(n_paths, X0)
    k0 = 0
    while ids.size and k0 < t_max:
        n = ids.size
        K = int(min(max(block_elems // n, k_min), k_max, t_max - k0))
        step = _signed_steps(bitgen.random_raw(K * n).reshape(K, n), np.empty((K, n)))
        pos = np.empty((K, n), dtype=bool)
        t = np.empty(n)
        for j in range(K):
            np.multiply(x, x, out=t)
            t *= x
            t -= x                           # x*x*x - x
            t *= ETA
            x -= t
            x += step[j]
            np.greater(x, 0.0, out=pos[j])
        out = pos.any(axis=0)
        if out.any():
            exit_step[ids[out]] = k0 + 1 + pos[:, out].argmax(axis=0)
            keep = ~out
            ids, x = ids[keep], x[keep]
        k0 += K
    return exit_step                         # survivors keep t_max: censored


def numpy_w1_live(n_paths, t_max, seed):
    """W1 in NumPy as WORKLOADS.md's "vectorised over live trajectories, tuned" row and the
    issue describe it: one step at a time over the live paths only, ``x*x*x``.

    Each step draws one raw PCG64 word per live path (U and the sign from it, as in
    :func:`numpy_w1`: numpy's AVX-512 ``log``/``exp`` rather than ``power``), updates in
    place with preallocated buffers, and drops the paths that exited (kept compacted, so no
    operation ever touches an exited path). Unlike :func:`numpy_w1`, which steps blocks of
    K steps and lets paths that exit inside a block run on to its end (work it does not
    count), every operation here is on a live path; the price is ~15 NumPy calls per step,
    which dominate once few paths are left."""
    bitgen = np.random.PCG64(seed)
    exit_step = np.full(n_paths, t_max, dtype=np.int64)
    ids = np.arange(n_paths)
    x = np.full(n_paths, X0)
    t = np.empty(n_paths)
    step = np.empty(n_paths)
    for k in range(1, t_max + 1):
        n = ids.size
        if n == 0:
            break
        st, tt = step[:n], t[:n]
        _signed_steps(bitgen.random_raw(n), st)
        np.multiply(x, x, out=tt)
        tt *= x
        tt -= x
        tt *= ETA
        x -= tt
        x += st
        out = x > 0.0
        if out.any():
            exit_step[ids[out]] = k
            keep = ~out
            ids, x = ids[keep], x[keep]
    return exit_step


class NumpyRef:
    name = "numpy"
    fn = staticmethod(numpy_w1)
    design = ("blocks of K steps, noise drawn per block; paths that exit inside a block run "
              "on to its end (uncounted)")

    def __init__(self, n_paths, seed):
        self.n_paths, self.seed = n_paths, seed
        self.fn(min(256, n_paths), 2000, seed)  # warm-up (allocator, ufunc loops)
        self.exit_step = None

    def run(self):
        c0, t0 = time.process_time(), time.perf_counter()
        e = self.fn(self.n_paths, T_MAX, self.seed)
        wall, cpu = time.perf_counter() - t0, time.process_time() - c0
        if self.exit_step is None:
            self.exit_step = e
        return wall, cpu

    def report(self):
        return dict(threads=1, generator="numpy PCG64 (random_raw)", version=np.__version__,
                    design=self.design)


class NumpyLiveRef(NumpyRef):
    name = "numpy-live"
    fn = staticmethod(numpy_w1_live)
    design = "one step at a time over the live paths only"


# ------------------------------------------------------------------------------------
# 3. the C reference, built as limit.sh builds it
# ------------------------------------------------------------------------------------
class CRef:
    """One of ``../shared/bench``'s C programs, called as ``MODE N T 1 SEED [DUMP]``."""

    def __init__(self, binary, mode, n_paths, seed, dump=None, horizon=T_MAX):
        self.binary, self.mode, self.n_paths, self.seed = binary, mode, n_paths, seed
        self.name = "c-" + mode
        self.dump, self.horizon = dump, horizon
        self.last = None

    def run(self):
        # one rep per invocation (the program warms up on a few paths first and times only
        # the full run), so the reps alternate with the other implementations
        cmd = [self.binary, self.mode, str(self.n_paths), str(self.horizon), "1", str(self.seed)]
        if self.dump and self.last is None:
            cmd.append(self.dump)
        out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
        line = [ln for ln in out.splitlines() if ln.startswith("{")][-1]
        self.last = js = json.loads(line)
        wall = float(js["median_s"])
        return wall, wall * float(js["cpu_over_wall"])

    def stats(self):
        js = self.last
        return dict(steps=float(js["steps"]), mean_exit=float(js["mean_exit"]),
                    se_exit=float(js["se_exit"]), n_censored=int(js["n_censored"]),
                    max_exit=float(js["max_exit"]))

    def report(self):
        p = self.last["params"]
        return dict(threads=p["threads"], lanes=p["lanes"], build=" ".join(["gcc"] + C_FLAGS))


def build_c(tmp):
    binary = os.path.join(tmp, "w1")
    subprocess.run(["gcc", *C_FLAGS, "-o", binary, C_SOURCE, "-lm"], check=True,
                   capture_output=True, text=True)
    return binary


# ------------------------------------------------------------------------------------
# driver
# ------------------------------------------------------------------------------------
def machine_info():
    info = dict(python=platform.python_version(), platform=platform.platform(),
                cpu_count=os.cpu_count())
    try:
        with open("/proc/cpuinfo") as fh:
            txt = fh.read()
        model = [ln.split(":", 1)[1].strip() for ln in txt.splitlines() if ln.startswith("model name")]
        flags = next((ln.split(":", 1)[1].split() for ln in txt.splitlines()
                      if ln.startswith("flags")), [])
        info.update(cpu=model[0] if model else "?", avx2="avx2" in flags,
                    avx512f="avx512f" in flags)
    except OSError:
        pass
    try:
        info["numba"] = __import__("numba").__version__
    except ImportError:
        pass
    if shutil.which("gcc"):
        info["gcc"] = subprocess.run(["gcc", "-dumpfullversion"], capture_output=True,
                                     text=True).stdout.strip()
    return info


def git_commit():
    try:
        return subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO, check=True,
                              capture_output=True, text=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None


def load_average():
    try:
        return [round(v, 2) for v in os.getloadavg()]
    except OSError:
        return None


def write_record(path, workload, results, summary):
    """Write the JSON record of a benchmark run (provenance, machine, results, summary) to
    ``path``; shared by every benchmark in this folder. Returns the record."""
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    record = dict(workload=workload, created=time.strftime("%Y-%m-%dT%H:%M:%S%z"),
                  git_commit=git_commit(), argv=sys.argv[1:], machine=machine_info(),
                  results=results, summary=summary)
    with open(path, "w") as fh:
        json.dump(record, fh, indent=2)
        fh.write("\n")
    return record


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--paths", type=int, default=N_PATHS, help="trajectories (W1: 20000)")
    ap.add_argument("--reps", type=int, default=5, help="timed reps per implementation")
    ap.add_argument("--seed", type=int, default=SEED, help="seed (W1: 12345)")
    ap.add_argument("--no-c", action="store_true", help="skip the C reference")
    ap.add_argument("--out", default=os.path.join(HERE, "results", "w1.json"))
    args = ap.parse_args(argv)
    if args.paths < 2 or args.reps < 1:
        ap.error("--paths must be >= 2 and --reps >= 1")

    load_start = load_average()
    impls = [SimSGD(args.paths, args.seed), NumpyRef(args.paths, args.seed),
             NumpyLiveRef(args.paths, args.seed)]
    tmp = None
    c_note = None
    if args.no_c:
        c_note = "skipped (--no-c)"
    elif not shutil.which("gcc"):
        c_note = "skipped (no gcc)"
    elif not os.path.exists(C_SOURCE):
        c_note = f"skipped ({C_SOURCE} not found)"
    else:
        tmp = tempfile.mkdtemp(prefix="simsgd-w1-")
        binary = build_c(tmp)
        impls += [CRef(binary, "scalar", args.paths, args.seed, os.path.join(tmp, "exit.bin")),
                  CRef(binary, "simd", args.paths, args.seed)]

    walls = {im.name: [] for im in impls}
    cpus = {im.name: [] for im in impls}
    try:
        for _ in range(args.reps):  # alternate: one rep of each implementation in turn
            for im in impls:
                w, c = im.run()
                walls[im.name].append(w)
                cpus[im.name].append(c)
        c_exit = None
        if tmp is not None:
            c_exit = np.fromfile(os.path.join(tmp, "exit.bin"), dtype=np.int64)
    finally:
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)

    lines = []
    for im in impls:
        st = im.stats() if isinstance(im, CRef) else exit_stats(im.exit_step, T_MAX)
        med = statistics.median(walls[im.name])
        line = dict(impl=im.name, workload="W1",
                    params=dict(N=args.paths, T_max=T_MAX, seed=args.seed, eta=ETA, b=B,
                                alpha=ALPHA, x0=X0),
                    reps=args.reps, wall_s=[round(w, 5) for w in walls[im.name]],
                    median_s=round(med, 5),
                    cpu_over_wall=round(statistics.median(cpus[im.name]) / med, 2),
                    rate_per_s=st["steps"] / med, ns_per_step=1e9 * med / st["steps"],
                    steps=st["steps"], mean_exit=round(st["mean_exit"], 4),
                    se_exit=round(st["se_exit"], 4), n_censored=st["n_censored"],
                    max_exit=st["max_exit"], **im.report())
        lines.append(line)
        print(json.dumps(line), flush=True)

    by = {ln["impl"]: ln for ln in lines}
    ratios, paired = {}, {}
    for other in ("numpy", "numpy-live", "c-scalar", "c-simd"):
        if other in by:
            key = f"simsgd/{other}"
            # rate ratio = wall ratio inverted (same workload, same path count)
            ratios[key] = round(by["simsgd"]["rate_per_s"] / by[other]["rate_per_s"], 3)
            # rep i of simsgd against rep i of the other, run next to it
            paired[key] = round(statistics.median(
                (by["simsgd"]["steps"] / ws) / (by[other]["steps"] / wo)
                for ws, wo in zip(walls["simsgd"], walls[other])), 3)
    ref = dict(C_REFERENCE) if args.paths == N_PATHS and args.seed == SEED else None
    agreement = {}
    for ln in lines:
        a = dict(mean_exit=ln["mean_exit"], se_exit=ln["se_exit"])
        if ref is not None:
            agreement[f"z_{ln['impl']}_vs_WORKLOADS_1931"] = round(z_score(a, ref), 2)
        if "c-scalar" in by and ln["impl"] != "c-scalar":
            agreement[f"z_{ln['impl']}_vs_c-scalar"] = round(z_score(a, by["c-scalar"]), 2)
    if c_exit is not None and c_exit.shape == impls[0].exit_step.shape:
        agreement["simsgd_exit_steps_identical_to_c-scalar"] = float(
            np.mean(impls[0].exit_step == c_exit))
    summary = dict(summary="W1", ratios_of_median_rates=ratios,
                   ratios_paired_per_rep_median=paired, agreement=agreement,
                   rate_per_s={ln["impl"]: ln["rate_per_s"] for ln in lines},
                   c_reference=c_note or "built with " + " ".join(["gcc"] + C_FLAGS),
                   load_average_start_end=[load_start, load_average()])
    print(json.dumps(summary), flush=True)
    return write_record(args.out, "W1", lines, summary)


if __name__ == "__main__":
    main()
