"""sg.sweep and sg.split_simulate: grid order, seeds, executors (serial, spawned pool, Dask
LocalCluster), the cache (resume after SIGKILL, corrupted entries), no oversubscription,
and bit-identical split ensembles."""

import dataclasses
import json
import os
import signal
import struct
import subprocess
import sys
import time
import warnings

import numpy as np
import pytest

import _sweep_fns as F
from conftest import default_sigint
import simsgd as sg
from simsgd.sweep import default_executor_plan, point_seed

HERE = os.path.dirname(os.path.abspath(__file__))


def same_value(a, b):
    """Bit-for-bit equality of nested rows: same types, arrays with the same dtype, shape
    and bytes, floats with the same bits (so NaN equals NaN and 0.0 differs from -0.0)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return list(a) == list(b) and all(same_value(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(same_value(x, y) for x, y in zip(a, b))
    if isinstance(a, (np.ndarray, np.generic)):
        return a.dtype == b.dtype and np.shape(a) == np.shape(b) and \
            np.asarray(a).tobytes() == np.asarray(b).tobytes()
    if isinstance(a, float):
        return struct.pack("<d", a) == struct.pack("<d", b)
    if dataclasses.is_dataclass(a):
        return same_value(dataclasses.asdict(a), dataclasses.asdict(b))
    return a == b


def same_rows(a, b):
    return len(a) == len(b) and all(same_value(x, y) for x, y in zip(a, b))


# ------------------------------------------------------------------ grid and seeds
def test_grid_is_c_order_and_rows_carry_params_and_values():
    res = sg.sweep(F.noisy_mean, {"mu": [0.0, 1.0, 2.0], "n": [10, 20]}, executor="serial",
                   seed=5, progress=False)
    assert [(r["mu"], r["n"]) for r in res.rows] == [(m, n) for m in (0.0, 1.0, 2.0)
                                                     for n in (10, 20)]
    assert res.seeds == [point_seed(5, i) for i in range(6)]
    assert len(set(res.seeds)) == 6, "independent points get distinct seeds"
    for r, s in zip(res.rows, res.seeds):
        direct = F.noisy_mean(r["mu"], r["n"], seed=s)
        assert r["mean"] == direct["mean"] and np.array_equal(r["head"], direct["head"])
        assert isinstance(r["mean"], sg.stats.Estimate)
    assert res.computed == list(range(6)) and res.cached == []
    # the comparison used throughout is strict about types and bits
    assert not same_value(np.float64(1.0), 1.0) and not same_value(0.0, -0.0)
    assert not same_value(np.zeros(2, np.int32), np.zeros(2, np.int64))
    df = res.to_dataframe()
    assert list(df.columns[:2]) == ["mu", "n"] and len(df) == 6


def test_explicit_points_and_common_random_numbers():
    pts = [dict(mu=0.0, n=50), dict(mu=3.0, n=50)]
    res = sg.sweep(F.noisy_mean, pts, executor="serial", seed=9, common_random_numbers=True,
                   progress=False)
    assert res.seeds == [9, 9]
    # same seed, same draws shifted by mu: the paired difference is exactly 3 (no noise)
    d = res.rows[1]["mean"].value - res.rows[0]["mean"].value
    assert abs(d - 3.0) < 1e-12
    indep = sg.sweep(F.noisy_mean, pts, executor="serial", seed=9, progress=False)
    assert abs(indep.rows[1]["mean"].value - indep.rows[0]["mean"].value - 3.0) > 1e-6


def test_point_seed_does_not_depend_on_grid_size():
    small = sg.sweep(F.noisy_mean, {"mu": [0.0, 1.0], "n": [5]}, executor="serial",
                     progress=False)
    big = sg.sweep(F.noisy_mean, {"mu": [0.0, 1.0, 2.0], "n": [5]}, executor="serial",
                   progress=False)
    assert big.seeds[:2] == small.seeds and same_rows(big.rows[:2], small.rows)


@pytest.mark.parametrize("kwargs, exc, words", [
    (dict(fn=3, grid={"a": [1]}), TypeError, ["fn", "callable"]),
    (dict(grid={}), ValueError, ["grid", "at least one"]),
    (dict(grid=[]), ValueError, ["grid", "at least one"]),
    (dict(grid={"mu": 0.5}), TypeError, ["grid['mu']", "sequence"]),
    (dict(grid={"mu": "abc"}), TypeError, ["grid['mu']", "sequence"]),
    (dict(grid={"mu": []}), ValueError, ["grid['mu']", "empty"]),
    (dict(grid={"seed": [1]}), ValueError, ["seed"]),
    (dict(grid=[{"mu": 1.0}, 5]), TypeError, ["grid[1]", "dict"]),
    (dict(grid={"mu": [object()]}), TypeError, ["grid values"]),
    (dict(grid={"j": [1]}), TypeError, ["fn(i, seed)", "point 0", "'j'"]),
    (dict(seed=-1), ValueError, ["seed", "2**64"]),
    (dict(seed=1.5), TypeError, ["seed", "integer"]),
    (dict(executor="cluster"), ValueError, ["executor", "serial"]),
    (dict(executor=object()), TypeError, ["executor", "submit"]),
    (dict(common_random_numbers=1), TypeError, ["common_random_numbers"]),
    (dict(threads_per_worker=0), ValueError, ["threads_per_worker"]),
])
def test_bad_input_is_refused_before_anything_runs(kwargs, exc, words, tmp_path):
    args = dict(fn=F.marked, grid={"i": [0]}, progress=False)
    args.update(kwargs)
    os.environ["SIMSGD_TEST_MARKERS"] = str(tmp_path)
    try:
        with pytest.raises(exc) as info:
            sg.sweep(args.pop("fn"), args.pop("grid"), **args)
    finally:
        del os.environ["SIMSGD_TEST_MARKERS"]
    assert all(w in str(info.value) for w in words), str(info.value)
    assert os.listdir(tmp_path) == [], "no point may run on bad input"


def test_lambda_with_a_process_pool_gets_a_clear_error():
    with pytest.raises(TypeError, match="picklable"):
        sg.sweep(lambda a, seed: {"a": a}, {"a": [1, 2]}, progress=False)


def test_fn_errors_propagate_and_finished_points_stay_cached(tmp_path):
    with pytest.raises(RuntimeError, match="point 2"):
        sg.sweep(F.boom, {"i": range(4)}, executor="serial", cache_dir=tmp_path,
                 progress=False)
    res = sg.sweep(F.boom, {"i": [0, 1]}, executor="serial", cache_dir=tmp_path,
                   progress=False)
    assert res.cached == [0, 1] and res.computed == []


def test_values_roundtrip_bit_exactly_through_the_cache(tmp_path):
    res = sg.sweep(F.tiny_exit, {"eta": [0.1], "b": [0.3]}, executor="serial",
                   cache_dir=tmp_path, progress=False)
    again = sg.sweep(F.tiny_exit, {"eta": [0.1], "b": [0.3]}, executor="serial",
                     cache_dir=tmp_path, progress=False)
    assert again.cached == [0] and same_rows(res.rows, again.rows)
    r = again.rows[0]
    assert r["exit_step"].dtype == np.int64 and r["status"].dtype == np.int8
    assert r["x"].shape == (64, 1)


def test_numpy_scalar_params_hit_the_cache_of_python_scalars(tmp_path):
    sg.sweep(F.noisy_mean, {"mu": [0.5], "n": [4]}, executor="serial", cache_dir=tmp_path,
             progress=False)
    res = sg.sweep(F.noisy_mean, {"mu": np.array([0.5]), "n": np.array([4])},
                   executor="serial", cache_dir=tmp_path, progress=False)
    assert res.cached == [0]


# ------------------------------------------------------------- cache: corruption
def test_corrupted_entries_are_detected_reported_and_recomputed(tmp_path):
    grid = {"mu": [0.0, 1.0, 2.0], "n": [8]}
    clean = sg.sweep(F.noisy_mean, grid, executor="serial", cache_dir=tmp_path,
                     progress=False)
    entries = sorted(p for p in os.listdir(tmp_path) if p.endswith(".json"))
    assert len(entries) == 3 and not [p for p in os.listdir(tmp_path) if p.endswith(".tmp")]
    by_mu = {json.loads((tmp_path / p).read_text())["params"]["mu"]: tmp_path / p
             for p in entries}
    # a silent bit flip that still parses: the label changes, the checksum no longer matches
    text = by_mu[0.0].read_text()
    assert '"mu=0.0"' in text
    by_mu[0.0].write_text(text.replace('"mu=0.0"', '"mu=9.0"'))
    by_mu[2.0].write_text(by_mu[2.0].read_text()[:40])  # torn write: unparsable
    with pytest.warns(UserWarning) as rec:
        res = sg.sweep(F.noisy_mean, grid, executor="serial", cache_dir=tmp_path,
                       progress=False)
    msgs = " ".join(str(w.message) for w in rec)
    assert str(by_mu[0.0]) in msgs and str(by_mu[2.0]) in msgs
    assert sorted(r["index"] for r in res.recomputed) == [0, 2]
    assert {r["reason"] for r in res.recomputed} >= {"checksum mismatch"}
    assert res.computed == [0, 2] and res.cached == [1]
    assert same_rows(res.rows, clean.rows)
    # repaired on disk: a third run loads everything, silently
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        third = sg.sweep(F.noisy_mean, grid, executor="serial", cache_dir=tmp_path,
                         progress=False)
    assert third.cached == [0, 1, 2] and same_rows(third.rows, clean.rows)


def test_cache_key_changes_with_seed_params_and_function(tmp_path):
    sg.sweep(F.noisy_mean, {"mu": [0.0], "n": [8]}, executor="serial", cache_dir=tmp_path,
             progress=False)
    assert sg.sweep(F.noisy_mean, {"mu": [0.0], "n": [8]}, executor="serial", seed=1,
                    cache_dir=tmp_path, progress=False).cached == []
    assert sg.sweep(F.noisy_mean, {"mu": [0.0], "n": [9]}, executor="serial",
                    cache_dir=tmp_path, progress=False).cached == []
    assert sg.sweep(F.marked, {"i": [0]}, executor="serial", cache_dir=tmp_path,
                    progress=False).cached == []


def test_cache_key_sees_the_functions_module_file_and_simsgds_code(tmp_path, monkeypatch):
    """A helper next to fn, or simsgd itself, can change the result without changing fn's
    own source: both are digested into the key."""
    S = sys.modules["simsgd.sweep"]  # the attribute simsgd.sweep is the function

    point = {"mu": [0.0], "n": [8]}
    sg.sweep(F.noisy_mean, point, executor="serial", cache_dir=tmp_path, progress=False)
    again = sg.sweep(F.noisy_mean, point, executor="serial", cache_dir=tmp_path, progress=False)
    assert len(again.cached) == 1
    assert S._fn_identity(F.noisy_mean)["module_source"] == S._file_digest(F.__file__)
    monkeypatch.setattr(S, "_file_digest", lambda path: "edited module")
    assert sg.sweep(F.noisy_mean, point, executor="serial", cache_dir=tmp_path,
                    progress=False).cached == []
    monkeypatch.undo()
    monkeypatch.setattr(S, "_PACKAGE_DIGEST", ["edited simsgd"])
    assert sg.sweep(F.noisy_mean, point, executor="serial", cache_dir=tmp_path,
                    progress=False).cached == []


# ------------------------------------------------------------- cache: kill/resume
RESUME_SCRIPT = """
import sys
import _sweep_fns as F
import simsgd as sg
sg.sweep(F.marked, {{"i": list(range(8))}}, executor="serial", cache_dir={cache!r}, seed=4,
         progress=False)
"""


def test_sigkilled_sweep_resumes_with_only_the_missing_points(tmp_path):
    cache, markers, markers2 = tmp_path / "cache", tmp_path / "m1", tmp_path / "m2"
    for d in (cache, markers, markers2):
        d.mkdir()
    env = dict(os.environ, PYTHONPATH=HERE + os.pathsep + os.environ.get("PYTHONPATH", ""),
               SIMSGD_TEST_MARKERS=str(markers), SIMSGD_TEST_SLEEP="0.4")
    proc = subprocess.Popen([sys.executable, "-c", RESUME_SCRIPT.format(cache=str(cache))],
                            env=env)
    deadline = time.time() + 120
    while len([p for p in os.listdir(cache) if p.endswith(".json")]) < 3:
        assert proc.poll() is None, "the sweep ended before it could be killed"
        assert time.time() < deadline, "no point finished within 120 s"
        time.sleep(0.05)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert proc.returncode == -signal.SIGKILL
    stored = sorted(p for p in os.listdir(cache) if p.endswith(".json"))
    done_before = sorted(int(m.split(".")[0]) for m in os.listdir(markers))
    assert 3 <= len(stored) < 8, "killed mid-way"
    # entries are whole or absent: every stored one verifies
    os.environ["SIMSGD_TEST_MARKERS"] = str(markers2)
    os.environ["SIMSGD_TEST_SLEEP"] = "0"
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # no corrupted entry after SIGKILL
            res = sg.sweep(F.marked, {"i": list(range(8))}, executor="serial",
                           cache_dir=cache, seed=4, progress=False)
    finally:
        del os.environ["SIMSGD_TEST_MARKERS"], os.environ["SIMSGD_TEST_SLEEP"]
    assert len(res.cached) == len(stored) and res.recomputed == []
    assert set(res.cached) <= set(done_before)  # cached points were computed before the kill
    assert sorted(set(res.computed) | set(res.cached)) == list(range(8))
    rerun_calls = sorted(int(m.split(".")[0]) for m in os.listdir(markers2))
    assert rerun_calls == res.computed, "the resumed sweep computes only the missing points"
    fresh = sg.sweep(F.marked, {"i": list(range(8))}, executor="serial", seed=4,
                     progress=False)
    assert same_rows(res.rows, fresh.rows)


INTERRUPT_SCRIPT = """
import _sweep_fns as F
import simsgd as sg
sg.sweep(F.slow_then_small, {{"i": list(range(5))}}, executor={executor!r},
         cache_dir={cache!r}, seed=7, progress=False)
"""


@pytest.mark.parametrize("executor", ["serial", pytest.param("processes", marks=pytest.mark.slow)])
def test_ctrl_c_stops_a_sweep_within_a_second_and_it_resumes_exactly(tmp_path, executor):
    """SIGINT while point 2 runs an endless simulate: the sweep stops within about a second
    (the test allows 5 s), points 0 and 1 stay cached, no partial or temporary entry is
    left, and a rerun computes only points 2-4 and equals an uninterrupted sweep."""
    cache, markers = tmp_path / "cache", tmp_path / "m"
    cache.mkdir()
    markers.mkdir()
    env = dict(os.environ, PYTHONPATH=HERE + os.pathsep + os.environ.get("PYTHONPATH", ""),
               SIMSGD_TEST_LONG="1", SIMSGD_TEST_MARKERS=str(markers))
    proc = subprocess.Popen([sys.executable, "-c", INTERRUPT_SCRIPT.format(
        cache=str(cache), executor=executor)], env=env, stderr=subprocess.PIPE, text=True,
        preexec_fn=default_sigint)
    try:
        deadline = time.time() + 180
        while not os.path.exists(markers / "long.2"):
            assert proc.poll() is None, proc.stderr.read()
            assert time.time() < deadline, "point 2 never started"
            time.sleep(0.05)
        time.sleep(0.5)  # well inside the endless simulate
        t0 = time.time()
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=60)
        stopped = time.time() - t0
    finally:
        if proc.poll() is None:  # a child that did not stop would simulate forever
            proc.kill()
            proc.communicate()
    assert proc.returncode != 0 and ("KeyboardInterrupt" in err or "Interrupted" in err), err
    assert stopped < 5.0, stopped
    files = os.listdir(cache)
    assert not [f for f in files if f.endswith(".tmp")], files
    stored = [f for f in files if f.endswith(".json")]
    assert 1 <= len(stored) <= 4  # the fast points 0, 1 (and, with a pool, maybe others)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # every stored entry verifies
        res = sg.sweep(F.slow_then_small, {"i": list(range(5))}, executor="serial",
                       cache_dir=cache, seed=7, progress=False)
    assert len(res.cached) == len(stored) and res.recomputed == []
    assert sorted(res.cached + res.computed) == list(range(5))
    fresh = sg.sweep(F.slow_then_small, {"i": list(range(5))}, executor="serial", seed=7,
                     progress=False)
    assert same_rows(res.rows, fresh.rows)


# ---------------------------------------------------------------- executors
def test_default_pool_never_oversubscribes_and_matches_serial():
    plan = default_executor_plan()
    assert plan["workers"] * plan["threads_per_worker"] <= plan["cores"]
    for t in (1, 2, 3, 64):  # and for any request, on 1 to 64 cores
        for cores in (1, 2, 7, 64):
            p = default_executor_plan(t, cores=cores)
            assert p["workers"] >= 1 and p["workers"] * p["threads_per_worker"] <= cores
    res = sg.sweep(F.thread_report, {"i": range(2 * plan["workers"])}, progress=False)
    info = res.executor_info
    assert info["kind"] == "processes" and info["workers"] == plan["workers"]
    pids = {r["pid"] for r in res.rows}
    assert os.getpid() not in pids and len(pids) <= info["workers"]
    for r in res.rows:
        # each worker process runs simulate with exactly its share of the cores
        assert r["config_threads"] == r["active_threads"] == info["threads_per_worker"]
    assert len(pids) * info["threads_per_worker"] <= info["cores"]
    serial = sg.sweep(F.thread_report, {"i": range(2 * plan["workers"])}, executor="serial",
                      progress=False)
    assert [r["value"] for r in res.rows] == [r["value"] for r in serial.rows]


def test_any_concurrent_futures_executor_gives_the_serial_table():
    import concurrent.futures as cf

    grid = {"mu": [0.0, 1.0], "n": [5, 6, 7]}
    serial = sg.sweep(F.noisy_mean, grid, executor="serial", progress=False)
    seen = []
    with cf.ThreadPoolExecutor(3) as pool:
        threaded = sg.sweep(F.noisy_mean, grid, executor=pool, progress=False,
                            on_point=lambda i, row: seen.append(i))
    assert same_rows(serial.rows, threaded.rows) and sorted(seen) == list(range(6))


def test_split_ensemble_is_bit_identical_in_process():
    spec = (sg.landscapes.DoubleWell(), sg.noise.Pareto(1.5),
            sg.optimizers.truncated_sgd(0.05, 0.5))
    for observe in ((sg.events.BasinOccupancy(),), (sg.events.RecordPaths(5),),
                    (sg.events.Checkpoints(n=4),)):
        kw = dict(x0=-1.0, n_paths=300, n_steps=3000, seed=7, observe=observe)
        full = sg.simulate(*spec, **kw, progress=False)
        split = sg.split_simulate(*spec, **kw, executor="serial", parts=4)
        assert split.provenance["merged_from"] == 4
        assert_same_result(full, split)


def assert_same_result(a, b):
    for name in ("status", "exit_step", "x", "paths"):
        x, y = getattr(a, name), getattr(b, name)
        assert x.dtype == y.dtype and np.array_equal(x, y), name
    assert set(a.observed) == set(b.observed)
    for k in a.observed:
        assert np.array_equal(a.observed[k], b.observed[k], equal_nan=True), k


# ------------------------------------------------------------------------- Dask
@pytest.fixture(scope="module")
def dask_client():
    import distributed  # the test extra installs Dask: no skip, CI runs these
    # workers are spawned processes; tests/ must be importable there for _sweep_fns
    pp = HERE + os.pathsep + os.environ.get("PYTHONPATH", "")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None, env={"PYTHONPATH": pp,
                                                               "NUMBA_NUM_THREADS": "1"}) as lc:
        with distributed.Client(lc) as client:
            yield client


def test_dask_sweep_and_split_ensemble_equal_the_local_run(dask_client, tmp_path):
    grid = {"eta": [0.1, 0.05], "b": [0.3, 0.6]}
    local = sg.sweep(F.tiny_exit, grid, executor="serial", seed=11, progress=False)
    remote = sg.sweep(F.tiny_exit, grid, executor=dask_client, seed=11, cache_dir=tmp_path,
                      progress=False)
    assert remote.executor_info["kind"] == "dask"
    assert same_rows(local.rows, remote.rows)
    pids = sg.sweep(F.thread_report, {"i": range(4)}, executor=dask_client.get_executor(),
                    progress=False)
    assert len({r["pid"] for r in pids.rows}) == 2, "both Dask workers took points"

    spec = (sg.landscapes.DoubleWell(), sg.noise.Pareto(1.5),
            sg.optimizers.truncated_sgd(0.05, 0.5))
    kw = dict(x0=-1.0, n_paths=500, n_steps=5000, seed=3, stop=sg.events.Exit(upper=0.0),
              observe=(sg.events.Checkpoints(n=5),))
    full = sg.simulate(*spec, **kw, progress=False)
    split = sg.split_simulate(*spec, **kw, executor=dask_client, parts=3)
    assert split.provenance["merged_from"] == 3
    assert_same_result(full, split)


@pytest.mark.slow  # 10-25 s: the tiny study three times (local, on Dask, from the cache)
def test_cli_scheduler_runs_the_study_sweep_on_dask(dask_client, tmp_path, monkeypatch,
                                                    capsys):
    import studies.exit_time_scaling as ets
    from simsgd import cli

    local = ets.run(scale="tiny", seed=2, progress=False)
    # --scale takes quick|paper only: run the tiny configuration under the quick name
    monkeypatch.setitem(ets.SCALES, "quick", ets.SCALES["tiny"])
    monkeypatch.setenv("SIMSGD_SCHEDULER", dask_client.scheduler.address)
    out = tmp_path / "figs"
    cache = tmp_path / "cache"
    assert cli.main(["reproduce", "exit_time_scaling", "--quick", "--seed", "2",
                     "--no-progress", "--out", str(out), "--cache-dir", str(cache)]) == 0
    saved = sg.report.load(out / "exit_time_scaling.json")
    assert saved["provenance"]["executor"]["kind"] == "dask"
    pts = saved["data"]["points"]
    assert len(pts) == len(local["data"]["points"])
    for a, b in zip(pts, local["data"]["points"]):
        assert (a["b"], a["eta"], a["mean"], a["se"]) == (b["b"], b["eta"], b["mean"], b["se"])
    assert [r["measured"] for r in saved["rows"]] == \
        [sg.report._clean(r["measured"]) for r in local["rows"]]
    # the cluster's points were cached by the driver: a local rerun computes nothing
    again = ets.run(scale="tiny", seed=2, progress=False,
                    cache_dir=cache / "exit_time_scaling")
    assert again["provenance"]["sweep"]["computed"] == 0
    assert again["provenance"]["sweep"]["cached"] == len(ets._grid(ets.SCALES["tiny"]))
    assert [r["measured"] for r in again["rows"]] == [r["measured"] for r in local["rows"]]


def test_cli_bad_scheduler_exits_2_with_one_line(capsys):
    from simsgd import cli

    with pytest.raises(SystemExit) as exc:
        cli.main(["reproduce", "exit_time_scaling", "--quick", "--scheduler",
                  "tcp://127.0.0.1:9"])
    assert exc.value.code == 2
    err = capsys.readouterr().err.strip()
    assert "tcp://127.0.0.1:9" in err and len(err.splitlines()) == 1


def test_every_study_takes_an_executor_and_a_cache_dir():
    import importlib
    import inspect

    from simsgd import cli

    for name in cli.STUDIES:
        params = inspect.signature(importlib.import_module(f"studies.{name}").run).parameters
        assert "executor" in params and "cache_dir" in params, name
        assert params["executor"].default is None and params["cache_dir"].default is None, name


@pytest.mark.slow  # about 10 s: tail_index at tiny scale, twice
def test_a_study_rerun_from_its_cache_computes_nothing_and_repeats_itself(tmp_path):
    import studies.tail_index as study

    first = study.run(scale="tiny", seed=3, progress=False, cache_dir=tmp_path)
    again = study.run(scale="tiny", seed=3, progress=False, cache_dir=tmp_path)
    n = len(study._grid(study.SCALES["tiny"]))
    assert first["provenance"]["sweep"] == dict(points=n, computed=n, cached=0, recomputed=0)
    assert again["provenance"]["sweep"] == dict(points=n, computed=0, cached=n, recomputed=0)
    # everything, timings included, comes back from the cache as it was computed
    assert sg.report._clean(again["rows"]) == sg.report._clean(first["rows"])
    assert sg.report._clean(again["data"]) == sg.report._clean(first["data"])


def test_cli_passes_the_executor_only_to_studies_that_take_one(dask_client, tmp_path,
                                                                monkeypatch, capsys):
    import types

    from simsgd import cli

    seen = {}

    def fake(name, takes_executor):
        def run_plain(scale, seed, progress):
            seen[name] = None
            return dict(rows=[], data={}, provenance={})

        def run_exec(scale, seed, progress, executor=None, cache_dir=None):
            seen[name] = (type(executor).__name__, cache_dir)
            return dict(rows=[], data={}, provenance={})

        return types.SimpleNamespace(run=run_exec if takes_executor else run_plain,
                                     plot=lambda saved, path: path)

    mods = {"local_only": fake("local_only", False), "distributed": fake("distributed", True)}
    monkeypatch.setattr(cli, "STUDIES", tuple(mods))
    monkeypatch.setattr(cli, "_study", mods.__getitem__)
    monkeypatch.setattr(sg.report, "verdict_table", lambda rows: "")
    assert cli.main(["reproduce", "--quick", "--out", str(tmp_path), "--no-progress",
                     "--scheduler", dask_client.scheduler.address,
                     "--cache-dir", str(tmp_path / "c")]) == 0
    assert seen["local_only"] is None
    assert seen["distributed"] == ("ClientExecutor", str(tmp_path / "c" / "distributed"))
    assert "local_only: runs on this machine" in capsys.readouterr().err
