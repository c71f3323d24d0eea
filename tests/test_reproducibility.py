"""Bit-identical Results whatever the thread count, which thread runs a path, or the call.

"Bit-identical" means ``status``, ``exit_step`` and ``x`` compare equal element by element
(``np.array_equal``, no tolerance); throughput and provenance may differ.

The configurations mix EXITED and RUNNING paths (checked, so that the comparison is not
between two arrays of one constant) and use a path count that is not a multiple of the
kernel's lane block (``kernel.LANES``: 16 or 32 by vector width), so that partly filled
blocks and lane refills are exercised. The lane count itself is a per-module speed choice: a run with another one
gives the same bits (``test_lane_count_does_not_change_a_path``).
Both use the DoubleWell/Pareto/truncated_sgd/Exit kernel, one in 1-D (the fused 1-D
step) and one in 3-D (the per-coordinate step).
"""

import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import simsgd as sg

N_PATHS = 1001
CONFIGS = {
    "1d": dict(landscape=sg.landscapes.DoubleWell(), noise=sg.noise.Pareto(1.5),
               optimizer=sg.optimizers.truncated_sgd(0.05, 0.5), x0=-1.0, n_steps=400,
               stop=sg.events.Exit(upper=0.0)),
    "3d": dict(landscape=sg.landscapes.DoubleWell(dim=3), noise=sg.noise.Pareto(1.2, scale=0.5),
               optimizer=sg.optimizers.truncated_sgd(0.05, 0.5), x0=[-1.0, 0.2, -0.2],
               n_steps=300, stop=sg.events.Exit(lower=-1.8, upper=0.0)),
}


def run(config, seed=0, **kw):
    kw.setdefault("n_paths", N_PATHS)
    return sg.simulate(**CONFIGS[config], seed=seed, progress=False, **kw)


def assert_identical(a, b):
    np.testing.assert_array_equal(a.status, b.status)
    np.testing.assert_array_equal(a.exit_step, b.exit_step)
    np.testing.assert_array_equal(a.x, b.x)  # exact: NaN never occurs in x
    np.testing.assert_array_equal(a.paths, b.paths)


@pytest.fixture(scope="module", params=sorted(CONFIGS))
def full(request):
    res = run(request.param)
    counts = res.counts()
    assert counts["EXITED"] > 0 and counts["RUNNING"] > 0, counts
    return request.param, res


def test_two_runs_in_a_row(full):
    config, res = full
    assert_identical(res, run(config))


def test_another_seed_differs(full):
    # guards the comparisons above against being vacuous
    config, res = full
    other = run(config, seed=1)
    assert not np.array_equal(res.exit_step, other.exit_step)


@pytest.mark.parametrize("threads", [1, 2, 3, 8])
def test_thread_argument(full, threads):
    config, res = full
    assert_identical(res, run(config, threads=threads))


@pytest.mark.parametrize("k", [1, 32, 333, 1000])
def test_split_ranges_merge_to_the_full_run(full, k):
    config, res = full
    first = run(config, paths=range(0, k))
    second = run(config, paths=range(k, N_PATHS))
    assert first.n_paths == k and second.n_paths == N_PATHS - k
    # concatenate orders by global path index, whatever the order of the parts
    assert_identical(res, sg.Result.concatenate([first, second]))
    assert_identical(res, sg.Result.concatenate([second, first]))


def test_interleaved_index_sets_merge_to_the_full_run(full):
    config, res = full
    idx = np.arange(N_PATHS)
    parts = [run(config, paths=idx[r::3]) for r in range(3)]
    assert_identical(res, sg.Result.concatenate(parts))
    # a single path run alone gives what it gives in the full run
    one = run(config, paths=[517])
    assert one.status[0] == res.status[517] and one.exit_step[0] == res.exit_step[517]
    np.testing.assert_array_equal(one.x[0], res.x[517])


def test_n_paths_does_not_change_a_path():
    # path i is keyed by (seed, i) only: a larger run extends a smaller one
    small = run("1d", n_paths=100)
    big = run("1d", n_paths=N_PATHS)
    for name in ("status", "exit_step", "x"):
        np.testing.assert_array_equal(getattr(small, name), getattr(big, name)[:100])


_CHILD = textwrap.dedent("""
    import sys
    import numpy as np
    import numba
    sys.path.insert(0, sys.argv[2])
    import test_reproducibility as t

    assert numba.config.NUMBA_NUM_THREADS == int(sys.argv[3])
    res = t.run(sys.argv[4])
    assert res.provenance["threads"] == int(sys.argv[3])
    np.savez(sys.argv[1], status=res.status, exit_step=res.exit_step, x=res.x)
""")


@pytest.mark.slow
@pytest.mark.parametrize("config", sorted(CONFIGS))
def test_numba_num_threads_in_subprocesses(tmp_path, config):
    out = {}
    for threads in (1, 2):
        path = tmp_path / f"threads{threads}.npz"
        env = dict(os.environ, NUMBA_NUM_THREADS=str(threads))
        proc = subprocess.run(
            [sys.executable, "-c", _CHILD, str(path), os.path.dirname(__file__), str(threads),
             config],
            env=env, capture_output=True, text=True, timeout=300)
        assert proc.returncode == 0, proc.stderr
        out[threads] = np.load(path)
    for name in ("status", "exit_step", "x"):
        np.testing.assert_array_equal(out[1][name], out[2][name])
    # and both equal this process's run
    res = run(config)
    np.testing.assert_array_equal(out[1]["x"], res.x)
    np.testing.assert_array_equal(out[1]["exit_step"], res.exit_step)


_CHILD_LANES = textwrap.dedent("""
    import sys
    import numpy as np
    sys.path.insert(0, sys.argv[2])
    import simsgd._kernels.kernel as K
    if sys.argv[3] != "auto":
        K.LANES = int(sys.argv[3])  # before the first simulate: the generated module gets it
    import test_reproducibility as t

    res = {c: t.run(c) for c in sorted(t.CONFIGS)}
    for r in res.values():  # the module that ran has the lanes per block asked for
        src = K._module_source(r.provenance["structure"])
        assert f"\\nL = {K.LANES}\\n" in src, "lane count not applied"
    np.savez(sys.argv[1], lanes=K.LANES, **{f"{c}_{n}": getattr(r, n) for c, r in res.items()
                                           for n in ("status", "exit_step", "x")})
""")


def _child_run(path, lanes, env=None):
    """Both configurations run in a child process (``lanes`` per block, or ``"auto"``)."""
    proc = subprocess.run([sys.executable, "-c", _CHILD_LANES, str(path),
                           os.path.dirname(__file__), lanes],
                          env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr
    out = np.load(path)
    for config in sorted(CONFIGS):
        res = run(config)
        for name in ("status", "exit_step", "x"):
            np.testing.assert_array_equal(out[f"{config}_{name}"], getattr(res, name))
    return int(out["lanes"])


@pytest.mark.slow
def test_lane_count_does_not_change_a_path(tmp_path):
    # lanes never combine and each path has its own stream, so a module compiled with 8
    # lanes per block (a fresh generated module: the lane count is in its source) gives
    # this process's bits for both configurations (1-D fused and 3-D phased steps)
    from simsgd._kernels.kernel import LANES
    assert LANES != 8
    assert _child_run(tmp_path / "lanes8.npz", "8") == 8


@pytest.mark.slow
def test_vector_width_does_not_change_a_path(tmp_path):
    # the other vector width (linkonly.VECTOR_BITS): 256 bits and 16 lanes in the child on
    # an AVX-512 machine, 512-bit marks (which LLVM ignores without AVX-512) and 32 lanes
    # elsewhere. No operation is reassociated or contracted, so the bits are this process's.
    from simsgd._kernels.kernel import LANES
    from simsgd._kernels.linkonly import VECTOR_BITS
    env = dict(os.environ, SIMSGD_VECTOR_BITS="256" if VECTOR_BITS == 512 else "512")
    assert _child_run(tmp_path / "width.npz", "auto", env) == (16 if LANES == 32 else 32)
