"""The notice printed when a first kernel call is slow (a cold compile): simsgd.engine._notice."""

import io
import os
import subprocess
import sys
import textwrap
import time

from simsgd.engine._notice import notice_wanted, slow_notice


def test_a_slow_body_gets_the_notice_and_the_elapsed_time():
    out = io.StringIO()
    with slow_notice(True, "compiling X", delay=0.05, stream=out):
        time.sleep(0.5)  # 10x the delay: the timer thread has long fired
    lines = out.getvalue().splitlines()
    assert lines[0] == "compiling X"
    assert lines[1].startswith("simsgd: done in ")
    assert float(lines[1].split()[3]) >= 0.5


def test_no_end_line_after_an_exception():
    out = io.StringIO()
    try:
        with slow_notice(True, "compiling X", delay=0.05, stream=out):
            time.sleep(0.5)
            raise KeyboardInterrupt
    except KeyboardInterrupt:
        pass
    assert out.getvalue().splitlines() == ["compiling X"]


def test_a_fast_body_or_a_disabled_notice_prints_nothing():
    out = io.StringIO()
    with slow_notice(True, "compiling X", delay=60.0, stream=out):
        pass
    with slow_notice(False, "compiling X", delay=0.0, stream=out):
        time.sleep(0.2)
    time.sleep(0.1)  # a timer that was not cancelled would print by now
    assert out.getvalue() == ""


def test_the_notice_follows_the_progress_setting(monkeypatch):
    class Tty(io.StringIO):
        def isatty(self):
            return True

    assert notice_wanted(True) and not notice_wanted(False)
    monkeypatch.setattr(sys, "stderr", io.StringIO())
    assert not notice_wanted(None)  # not a terminal
    monkeypatch.setattr(sys, "stderr", Tty())
    assert notice_wanted(None)


def test_a_cold_compile_prints_one_notice(tmp_path):
    """A fresh kernel cache: W1's first simulate compiles (over 2 s with numba's set-up, 1 s
    is the notice's delay) and says so once; the second call in the process finds the
    kernel compiled and says nothing, whatever its duration."""
    code = textwrap.dedent("""
        import simsgd as sg
        L, N, O, E = sg.landscapes, sg.noise, sg.optimizers, sg.events
        for _ in range(2):
            sg.simulate(L.DoubleWell(), N.Clipped(N.Pareto(1.5), 50.0), O.sgd(0.01), x0=-1.0,
                        n_paths=64, n_steps=100, stop=E.Exit(upper=0.0), progress=True)
    """)
    env = dict(os.environ, SIMSGD_CACHE_DIR=str(tmp_path))
    run = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                         timeout=600)
    assert run.returncode == 0, run.stderr
    notices = [ln for ln in run.stderr.splitlines() if ln.startswith("simsgd: compiling")]
    assert notices == [f"simsgd: compiling a specialised kernel (a few seconds), once per "
                       f"machine; cached in {tmp_path}..."]
    assert sum(ln.startswith("simsgd: done in ") for ln in run.stderr.splitlines()) == 1
