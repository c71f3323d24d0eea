"""A one-line notice on standard error when a first kernel call is slow (a cold compile).

A kernel variant compiles once per machine (then numba's disk cache loads it in well under
a second), but the first compile takes seconds: about 3 s for a specialised or 1-D family
module and 15-25 s for the generic kernel on a 2-core machine (``benchmarks/startup.py``).
Without a word the first ``simulate`` of a new structure looks hung, so a notice appears
when the call has taken longer than ``delay`` seconds, and a second line says when it is
done. A call that returns sooner (a disk-cache load) prints nothing.
"""

import contextlib
import sys
import threading
import time

DELAY = 1.0
"""Seconds before the notice appears: a disk-cache load (0.3-0.7 s) stays silent."""


def notice_wanted(progress):
    """Whether ``simulate``'s ``progress`` setting allows the notice: as for the progress bar,
    ``True`` always, ``None`` on a terminal only, ``False`` never."""
    if progress is None:
        isatty = getattr(sys.stderr, "isatty", None)
        return bool(isatty and isatty())
    return bool(progress)


@contextlib.contextmanager
def slow_notice(enabled, message, delay=DELAY, stream=None):
    """Print ``message`` to ``stream`` (standard error by default) if the body is still
    running after ``delay`` seconds, and the elapsed time when it returns (not when it
    raises). Nothing is printed when ``enabled`` is false or the body ends first.

    The notice comes from a timer thread: numba's compiler is Python code and llvmlite's
    calls release the GIL, so it is printed while the compile runs.
    """
    if not enabled:
        yield
        return
    out = stream if stream is not None else sys.stderr
    from tqdm import tqdm  # its write() keeps any progress bars on screen intact

    def say(text):
        tqdm.write(text, file=out)
        out.flush()

    shown = threading.Event()
    lock = threading.Lock()
    done = []
    t0 = time.perf_counter()

    def show():
        with lock:
            if not done:
                say(message)
                shown.set()

    timer = threading.Timer(delay, show)
    timer.daemon = True
    timer.start()
    ended = False
    try:
        yield
        ended = True
    finally:
        with lock:  # after this, show() prints nothing: no notice after the end line
            done.append(True)
        timer.cancel()
        if shown.is_set() and ended:  # not after an exception (Ctrl-C during a compile)
            say(f"simsgd: done in {time.perf_counter() - t0:.1f} s")
