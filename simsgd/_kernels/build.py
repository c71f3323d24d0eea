"""A cold generic run's parts, compiled partly in a second process beside the driver.

Why. A cold run on the generic kernel compiles its driver (~0.9 s of CPU) and one part per
phase (:mod:`.parts`: 4-7 of them, 0.2-1.0 s each), one after the other: numba's compiler
holds a process-wide lock, so threads cannot share the work. A *build worker*, a second
Python process (``python -m simsgd._kernels.build``), compiles some of the parts into the
disk cache while this process compiles the driver and the others, and this process then
loads the worker's parts from the disk cache (a few hundredths of a second each). On two
cores that cut the cold compile of startup.py's three generic variants from 3.4, 3.0 and
4.0 s to 2.2, 2.1 and 2.7 s of wall time (stop 24, ``benchmarks/startup.py``); their CPU
time grew by 0.66-0.76 s in all, the worker's own start (Python, numpy, numba and simsgd
imported, numba set up) and the helpers both processes compile.

When. Only for a part whose module file is not in the cache folder yet (never compiled
there), and only with at least two such parts, at least two CPUs available to this
process and ``SIMSGD_BUILD_WORKER`` not ``0``. Which parts go to the worker: largest first,
each to the process with less work so far (:func:`split`, with rough costs measured with
``benchmarks/compile_profile.py``).

Values. A part is the same generated source compiled by the same numba with the same
LLVM options (the worker compiles inside :func:`.kernel.compiling`), so it computes the
same values bit for bit wherever it was compiled (``tests/test_parts.py``). A worker that
fails, cannot start or runs over :data:`TIMEOUT` costs only time: this process compiles
whatever the worker did not deliver.
"""

import json
import logging
import os
import subprocess
import sys

import numba

from . import codes as C
from . import kernel as K
from . import parts as P

_LOG = logging.getLogger("simsgd")

# Rough cold-compile costs, in units of about 0.25 s of CPU after numba's set-up
# (benchmarks/compile_profile.py and a timed load of each part, stop 24): a noise part
# also compiles the generator and the elementary functions (radial noise: the normals
# too), an update part the d-dimensional checks and commit, an observer part the
# checkpoints' f(x), the secant and BB transforms their state. The head starts, a cold
# driver with this process's numba set-up (1.15 s) and a worker's own start (0.6 s), were
# then set so that on startup.py's three generic variants both processes finish at about
# the same time (a schedule only: which process compiles a part changes no value)
_COST = {P.NOISE: 3.0, P.GRAD: 1.0, P.TRANSFORM: 1.0, P.UPDATE: 2.0, P.OBSERVER: 2.0}
_DRIVER_COST = 4.5
_WORKER_COST = 2.0


def _cost(key):
    part, arg, structure = key
    if part == P.NOISE and arg:
        return 4.0
    if part == P.TRANSFORM and structure[2] in (C.T_SECANT, C.T_BB):
        return 2.0
    return _COST[part]


TIMEOUT = 600.0
"""Seconds this process waits for a build worker before compiling its parts itself."""

LAST = {}
"""The last :class:`PartBuild` of this process: ``here`` and ``there``, the cold parts
compiled in this process and given to a worker, and ``worker``, the worker's exit status
(``None``: no worker)."""


def enabled():
    """Whether a cold generic run may start a build worker: ``SIMSGD_BUILD_WORKER`` is not
    ``0`` and this process may use at least two CPUs."""
    raw = os.environ.get("SIMSGD_BUILD_WORKER", "1")
    if raw not in ("0", "1"):
        raise ValueError(f"SIMSGD_BUILD_WORKER must be 0 (never start a build worker) or 1 "
                         f"(the default), got {raw!r}")
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not on Linux
        cpus = os.cpu_count() or 1
    return raw == "1" and cpus >= 2 and bool(sys.executable)


def split(keys, driver_cold):
    """``(here, there)``: the part keys ``(part, arg, structure)`` this process compiles and
    those a worker compiles. Largest first, each to the side with less work so far
    (longest-processing-time scheduling), this side starting with the driver if it is
    cold and the worker with its own start."""
    here, there = [], []
    load = [_DRIVER_COST if driver_cold else 0.0, _WORKER_COST]
    for key in sorted(keys, key=lambda k: -_cost(k)):
        side = 0 if load[0] <= load[1] else 1
        (here, there)[side].append(key)
        load[side] += _cost(key)
    return here, there


def _driver_cold(kern):
    """Whether the driver ``kern`` compiles on its first call (neither loaded in this
    process nor in numba's disk cache)."""
    if kern.signatures:
        return False
    try:
        return not os.path.exists(kern._cache._cache_file._index_path)
    except AttributeError:  # pragma: no cover - another numba layout: assume cold
        return True


def _spawn(keys):
    """Start a worker compiling ``keys``; ``None`` if it cannot start."""
    env = dict(os.environ, SIMSGD_CACHE_DIR=K.cache_dir())
    if numba.config.CACHE_DIR:
        env["NUMBA_CACHE_DIR"] = numba.config.CACHE_DIR
    # the worker imports this very package, wherever it was imported from
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH")) if p)
    arg = json.dumps([[part, arg, list(structure)] for part, arg, structure in keys])
    try:
        return subprocess.Popen([sys.executable, "-m", "simsgd._kernels.build", arg], env=env,
                                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                stderr=subprocess.PIPE, text=True)
    except OSError as exc:
        _LOG.info("simsgd: no build worker (%s); compiling every part here", exc)
        return None


class PartBuild:
    """The parts of a generic run (:func:`.kernel.part_keys`), a worker started for some of
    the cold ones. Create it inside :func:`.kernel.compiling`, then compile the driver,
    then call :meth:`addresses`."""

    def __init__(self, codes, radial, dim, kern):
        self._keys = (codes, radial, dim)
        self._here, self._proc = [], None
        LAST.clear()
        LAST.update(here=[], there=[], worker=None)
        if not enabled():  # first: a bad SIMSGD_BUILD_WORKER fails every generic run
            return
        cold, loaded = [], K.loaded_parts()
        for _, part, arg, structure in K.part_keys(codes, radial, dim):
            if (part, arg, structure) not in loaded:
                # written here, before a worker starts: numba's disk cache keys on the
                # file's modification time, which must be the one the worker compiled
                if K._module_file(structure, part=(part, arg))[2]:
                    cold.append((part, arg, structure))
        if len(cold) < 2:
            return
        self._here, there = split(cold, _driver_cold(kern))
        if there:
            self._proc = _spawn(there)
        LAST.update(here=list(self._here), there=there if self._proc else [])

    def addresses(self):
        """The generic kernel's ``parts`` argument (:func:`.kernel.part_addresses`): this
        side's parts compiled, the worker waited for, its parts loaded from the disk cache
        (or compiled here if it failed)."""
        for key in self._here:
            K.load_part(*key)
        proc, self._proc = self._proc, None
        if proc is not None:
            try:
                _, err = proc.communicate(timeout=TIMEOUT)
                LAST["worker"] = proc.returncode
                if proc.returncode != 0:
                    _LOG.info("simsgd: build worker exited with %s; compiling its parts "
                              "here. Its error output ends:\n%s", proc.returncode,
                              (err or "")[-2000:])
            except subprocess.TimeoutExpired:
                _LOG.info("simsgd: build worker still running after %s s; compiling its "
                          "parts here", TIMEOUT)
            finally:
                if proc.poll() is None:
                    proc.kill()
                    proc.communicate()
        return K.part_addresses(*self._keys)

    def __del__(self):
        # an exception between __init__ and addresses(): leave no worker behind
        proc = getattr(self, "_proc", None)
        if proc is not None and proc.poll() is None:
            proc.kill()


def main(argv=None):
    """The worker: compile the parts given as JSON ``[[part, arg, structure], ...]``."""
    argv = sys.argv[1:] if argv is None else argv
    keys = [(int(part), int(arg), tuple(int(c) for c in structure))
            for part, arg, structure in json.loads(argv[0])]
    with K.compiling():
        for key in keys:
            K.load_part(*key)
    return 0


if __name__ == "__main__":
    sys.exit(main())
