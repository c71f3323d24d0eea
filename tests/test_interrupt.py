"""Ctrl-C during a long ``simulate`` stops it within about a second, and nothing is lost.

A subprocess warms the kernel up (so that compilation is not what gets interrupted),
prints a marker, and starts a simulation far too long to finish (64 paths x 10^12
steps, none of which can exit). The test sends SIGINT 0.5 s later and checks that the process:

- raises ``sg.SimulationInterrupted`` (a ``KeyboardInterrupt``) within 2 s of the signal;
- has its previous SIGINT handler back;
- then gives, for a complete call, exactly the Result it gave before the interrupt, and
  exactly what this (never interrupted) process gives: rerunning after an interrupt is
  bit-identical to an uninterrupted run.

One configuration runs on the generic kernel, one on W1's specialised fused step.
"""

import json
import os
import select
import signal
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest
from conftest import default_sigint

import simsgd as sg

L, N, O, E = sg.landscapes, sg.noise, sg.optimizers, sg.events

CONFIGS = {
    "generic": "dict(landscape=sg.landscapes.Cosh(dim=2), noise=sg.noise.Gaussian(0.5), "
               "optimizer=sg.optimizers.sgdm(0.01, 0.5), x0=[0.5, -0.5])",
    "w1": "dict(landscape=sg.landscapes.DoubleWell(), "
          "noise=sg.noise.Clipped(sg.noise.Pareto(1.5), 50.0), "
          "optimizer=sg.optimizers.sgd(0.01), x0=-1.0, stop=sg.events.Exit(upper=stop))",
}
SMALL = dict(n_paths=300, n_steps=2000, seed=7)

SCRIPT = textwrap.dedent("""
    import json, signal, sys, time
    import numpy as np
    import simsgd as sg

    stop = 0.0
    kw = {config}
    small = {small}

    def digest(res):
        return dict(status=res.status.tolist(), exit_step=res.exit_step.tolist(),
                    x=[v.hex() for v in res.x.ravel().tolist()])

    before = digest(sg.simulate(**kw, **small, progress=False))  # also loads the kernel
    stop = 50.0  # W1's structure with an exit no path reaches
    kw = {config}
    previous = signal.getsignal(signal.SIGINT)
    print("READY", flush=True)
    t0 = time.perf_counter()
    try:
        sg.simulate(**kw, n_paths=64, n_steps=10**12, seed=1, progress=False)
        print("FINISHED", flush=True)
        sys.exit(3)
    except sg.SimulationInterrupted as err:
        assert isinstance(err, KeyboardInterrupt)
        print("INTERRUPTED", time.perf_counter() - t0, flush=True)
    assert signal.getsignal(signal.SIGINT) is previous, "SIGINT handler not restored"
    stop = 0.0
    kw = {config}
    after = digest(sg.simulate(**kw, **small, progress=False))
    assert after == before, "a rerun after the interrupt differs"
    print("RESULT", json.dumps(after), flush=True)
""")


def _digest(res):
    return dict(status=res.status.tolist(), exit_step=res.exit_step.tolist(),
                x=[v.hex() for v in res.x.ravel().tolist()])


@pytest.mark.parametrize("config", sorted(CONFIGS))
def test_sigint_stops_simulate_within_a_second_and_rerun_is_identical(config):
    script = SCRIPT.format(config=CONFIGS[config], small=repr(SMALL))
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=dict(os.environ),
                            preexec_fn=default_sigint)
    try:
        line = proc.stdout.readline()  # waits for the warm-up (a cold compile included)
        assert line.strip() == "READY", (line, proc.stderr.read() if proc.poll() is not None
                                         else "")
        time.sleep(0.5)  # inside the long call by now
        t_signal = time.perf_counter()
        proc.send_signal(signal.SIGINT)
        # a child that never stops must fail the test, not hang it
        ready, _, _ = select.select([proc.stdout], [], [], 60.0)
        line = proc.stdout.readline() if ready else "(no output 60 s after SIGINT)"
        t_stop = time.perf_counter() - t_signal
        out, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert line.startswith("INTERRUPTED"), (line, err)
    # the kernels poll the flag every 8 steps of a 32-lane block: milliseconds; 2 s
    # allows for a loaded 2-core machine
    print(f"{config}: stopped {t_stop:.3f} s after SIGINT")
    assert t_stop < 2.0, f"took {t_stop:.2f} s to stop"
    assert proc.returncode == 0, err
    result = [ln for ln in out.splitlines() if ln.startswith("RESULT ")]
    assert result, (out, err)
    got = json.loads(result[0][len("RESULT "):])
    kw = eval(CONFIGS[config], {"sg": sg, "stop": 0.0})
    expected = _digest(sg.simulate(**kw, **SMALL, progress=False))  # never interrupted
    assert got == expected


def test_sigint_handler_is_restored_after_a_normal_run_and_after_an_error():
    previous = signal.getsignal(signal.SIGINT)
    sg.simulate(L.Quadratic(1.0), N.Gaussian(1.0), O.sgd(0.1), x0=0.0, n_paths=8, n_steps=5,
                progress=False)
    assert signal.getsignal(signal.SIGINT) is previous
    with pytest.raises(ValueError):
        sg.simulate(L.Quadratic(1.0), N.Gaussian(1.0), O.sgd(0.1), x0=0.0, n_paths=0,
                    n_steps=5, progress=False)
    assert signal.getsignal(signal.SIGINT) is previous


def test_interrupt_from_the_handler_returns_no_partial_result(monkeypatch):
    """The handler's effect, in-process: a set flag makes simulate raise, not return."""
    engine = sys.modules["simsgd.engine.simulate"]
    real = engine._sigint_cancels

    class Immediately(real):
        def __enter__(self):
            super().__enter__()
            self.cancel[0] = 1  # as if Ctrl-C arrived at once
            return self

    monkeypatch.setattr(engine, "_sigint_cancels", Immediately)
    previous = signal.getsignal(signal.SIGINT)
    t0 = time.perf_counter()
    with pytest.raises(sg.SimulationInterrupted):
        sg.simulate(L.Quadratic(1.0), N.Gaussian(1.0), O.sgd(0.1), x0=0.0, n_paths=64,
                    n_steps=10**12, progress=False)
    assert time.perf_counter() - t0 < 5.0
    assert signal.getsignal(signal.SIGINT) is previous


def test_cancel_running_stops_simulate_in_a_worker_thread():
    """A simulate in a worker thread (as an executor runs it) has no SIGINT handler of
    its own; ``sg.engine.cancel_running()``, called by the main thread, stops it."""
    import concurrent.futures as cf

    def long_run():
        return sg.simulate(L.Quadratic(1.0), N.Gaussian(1.0), O.sgd(0.1), x0=0.0, n_paths=64,
                           n_steps=10**12, progress=False)

    sg.simulate(L.Quadratic(1.0), N.Gaussian(1.0), O.sgd(0.1), x0=0.0, n_paths=8, n_steps=5,
                progress=False)  # the kernel is loaded
    with cf.ThreadPoolExecutor(1) as pool:
        fut = pool.submit(long_run)
        deadline = time.perf_counter() + 30
        while sg.engine.cancel_running() == 0:  # wait until it is running, then cancel
            assert time.perf_counter() < deadline and not fut.done()
            time.sleep(0.05)
        t0 = time.perf_counter()
        with pytest.raises(sg.SimulationInterrupted):
            fut.result(timeout=10)
        assert time.perf_counter() - t0 < 2.0
    assert sg.engine.cancel_running() == 0  # nothing left registered


def test_a_caller_handler_is_chained_and_an_ignored_sigint_stays_ignored(monkeypatch):
    """The handler installed during simulate calls the caller's own handler after setting
    the flag; with SIGINT ignored, nothing is installed."""
    engine = sys.modules["simsgd.engine.simulate"]
    seen = []
    previous = signal.signal(signal.SIGINT, lambda s, f: seen.append(s))
    try:
        guard = engine._sigint_cancels(np.zeros(1, dtype=np.int64))
        with guard:
            handler = signal.getsignal(signal.SIGINT)
            handler(signal.SIGINT, None)  # as if Ctrl-C arrived
        assert guard.cancel[0] == 1 and seen == [signal.SIGINT]
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        with engine._sigint_cancels(np.zeros(1, dtype=np.int64)):
            assert signal.getsignal(signal.SIGINT) is signal.SIG_IGN
        assert signal.getsignal(signal.SIGINT) is signal.SIG_IGN
    finally:
        signal.signal(signal.SIGINT, previous)
