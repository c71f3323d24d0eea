"""``simulate``: validate, lower the specs to kernel inputs, run the kernels, build a Result."""

import concurrent.futures as cf
import os
import platform
import signal
import threading
import time

import numba
import numpy as np

from .. import _validate as V
from .._kernels import codes as C
from .._kernels import parts as P
from .._kernels.build import PartBuild
from .._kernels.kernel import (_FMAX, FAMILIES, GENERIC, _aligned_empty, cache_dir,
                               choose_structure, compiling, get_kernel, parts_loaded,
                               user_kernel, workspace)
from ..events import BasinOccupancy, Checkpoints, Exit, ExitBall, ExitBasin, RecordPaths
from ..landscapes import Landscape
from ..noise import NoiseModel
from ..optimizers import Optimizer, Transform, chain
from ._notice import notice_wanted, slow_notice
from .result import Result

DIVERGE_AT = 1e100
"""Default divergence bound: a path whose iterate has a coordinate with ``|x_j| > 1e100``
(or a non-finite one) is marked DIVERGED. Large enough never to trigger on a
meaningful trajectory, small enough that ``x^3`` and squares stay finite."""

_NO_NOISE = (C.NOISE_NONE, [np.inf, 0.0, 0.0, 0.0, 0.0])
MAX_STEPS = 2**53
"""Largest ``n_steps``: the kernels count steps in float64, exact up to 2^53."""


_RUNNING = {}  # id -> cancel flag of every simulate call running in this process
_RUNNING_LOCK = threading.Lock()


def cancel_running():
    """Ask every ``simulate`` call running in this process, in any thread, to stop.

    Each one raises :class:`SimulationInterrupted` within a fraction of a second. SIGINT
    does this by itself when ``simulate`` runs in the main thread; code that runs
    ``simulate`` in worker threads (an executor) calls this from its own
    ``KeyboardInterrupt`` handler. Returns the number of calls asked to stop.
    """
    with _RUNNING_LOCK:
        flags = list(_RUNNING.values())
    for flag in flags:
        flag[0] = 1
    return len(flags)


class SimulationInterrupted(KeyboardInterrupt):
    """Ctrl-C (SIGINT) stopped :func:`simulate`; no partial Result is returned.

    A ``KeyboardInterrupt``, so code that does not know about it stops as usual. Every
    path depends only on ``(seed, path index)``, so running the same call again gives
    exactly the result an uninterrupted run would have given.
    """


def simulate(landscape, noise, optimizer, *, x0, n_paths=20_000, n_steps=100_000, seed=0,
             stop=None, observe=(), paths=None, diverge_at=DIVERGE_AT, threads=None,
             progress=None, _force_generic=False):
    """Run independent stochastic-gradient trajectories and report how each one ended.

    Trajectory ``i`` follows ``g_k = grad f(x_k) + xi_k``, ``u_k = optimizer(g_k)``,
    ``x_{k+1} = x_k + u_k``, with ``xi_k`` drawn from ``noise`` out of the stream keyed by
    ``(seed, i)``. It stops at the first ``k >= 1`` with ``x_k`` outside ``stop``'s region
    (EXITED), when an iterate is non-finite or beyond ``diverge_at``, or ``g_k`` or a
    learning rate is non-finite (DIVERGED; ``x`` keeps the last finite iterate), or at
    ``n_steps`` (RUNNING, i.e. censored).

    Parameters
    ----------
    landscape : simsgd.landscapes.Landscape
    noise : simsgd.noise.NoiseModel or None
        ``None`` means exact gradients.
    optimizer : simsgd.optimizers.Optimizer (or a single transform)
    x0 : float, array of shape (dim,), or array of shape (n_paths, dim)
        Start points; a row per global path index when 2-D.
    n_paths : int >= 1
    n_steps : int in [0, 2**53]
        The horizon; 0 returns every path RUNNING at x0.
    seed : int in [0, 2**64)
    stop : simsgd.events.Exit, ExitBall or ExitBasin, optional
    observe : tuple
        At most one observer: :class:`simsgd.events.BasinOccupancy`,
        :class:`simsgd.events.RecordPaths` or :class:`simsgd.events.Checkpoints`; its
        outputs are in ``Result.observed``. Observers never change the trajectories.
    paths : range or sequence of int, optional
        Global path indices to run (default: all ``n_paths``). Each path gives exactly
        what it gives in the full run, so ranges can be split across calls or machines
        and merged with :meth:`Result.concatenate`.
    diverge_at : float > 0, default 1e100
    threads : int, optional
        Worker threads (default: numba's thread count, ``NUMBA_NUM_THREADS``). Results do
        not depend on it.
    progress : bool, optional
        Show a progress bar over paths (the paths started, updated every 0.1 s); default:
        only on a terminal.

    Returns
    -------
    Result

    Raises
    ------
    TypeError, ValueError
        For bad input, naming the parameter, before anything is compiled.
    SimulationInterrupted
        (a ``KeyboardInterrupt``) on Ctrl-C: the kernels poll a cancel flag every few
        steps, so a call of any size stops within a fraction of a second and returns
        nothing partial. Rerunning the same call gives the uninterrupted result.

    Examples
    --------
    >>> import simsgd as sg
    >>> res = sg.simulate(sg.landscapes.DoubleWell(), sg.noise.Pareto(1.5),
    ...                   sg.optimizers.truncated_sgd(0.05, 0.5), x0=-1.0, n_paths=200,
    ...                   n_steps=10_000, seed=1, stop=sg.events.Exit(upper=0.0))
    >>> res.counts()['EXITED'] + res.counts()['RUNNING'] == 200
    True
    """
    plan = _plan(landscape, noise, optimizer, x0, n_paths, n_steps, seed, stop, observe, paths,
                 diverge_at, threads)
    if _force_generic and plan["user"] is None:  # tests: the generic kernel on any input
        plan["structure"] = plan["provenance"]["structure"] = GENERIC
    return _run(plan, progress)


def _plan(landscape, noise, optimizer, x0, n_paths, n_steps, seed, stop, observe, paths,
          diverge_at, threads):
    """Validate everything and lower it to kernel inputs (no compilation here)."""
    if not isinstance(landscape, Landscape):
        raise TypeError(f"landscape must be a simsgd.landscapes object, got {landscape!r}")
    if noise is not None and not isinstance(noise, NoiseModel):
        raise TypeError(f"noise must be a simsgd.noise model or None, got {noise!r}")
    if isinstance(optimizer, Transform):
        optimizer = chain(optimizer)
    if not isinstance(optimizer, Optimizer):
        raise TypeError(f"optimizer must be a simsgd.optimizers chain or alias, got {optimizer!r}")
    n_paths = V.integer("n_paths", n_paths, lo=1)
    n_steps = V.integer("n_steps", n_steps, lo=0, hi=MAX_STEPS)
    seed = V.integer("seed", seed, lo=0, hi=2**64 - 1)
    diverge_at = V.positive("diverge_at", diverge_at)
    if stop is not None and not isinstance(stop, (Exit, ExitBall, ExitBasin)):
        raise TypeError(f"stop must be None, simsgd.events.Exit, ExitBall or ExitBasin, got {stop!r}")
    try:
        observe = tuple(observe)
    except TypeError:
        raise TypeError(f"observe must be a tuple of observers, got {observe!r}") from None
    for ob in observe:
        if not isinstance(ob, (BasinOccupancy, RecordPaths, Checkpoints)):
            raise TypeError(f"observe must contain simsgd.events observers (BasinOccupancy, "
                            f"RecordPaths, Checkpoints), got {ob!r}")
    if len(observe) > 1:
        raise ValueError(f"observe takes at most one observer in this version, got {len(observe)}")
    threads = numba.config.NUMBA_NUM_THREADS if threads is None else V.integer("threads", threads, lo=1)

    if paths is None:
        _check_memory(n_paths, landscape.dim or 1)
        gidx = np.arange(n_paths, dtype=np.int64)
    else:
        try:
            gidx = np.array(list(paths) if isinstance(paths, range) else paths)
        except TypeError:
            raise TypeError(f"paths must be a range or a sequence of ints, got {paths!r}") from None
        if gidx.ndim != 1 or (gidx.size and not np.issubdtype(gidx.dtype, np.integer)):
            raise TypeError(f"paths must be a 1-D sequence of ints, got {paths!r}")
        gidx = gidx.astype(np.int64)
        if gidx.size == 0:
            raise ValueError("paths must not be empty")
        if gidx.min() < 0 or gidx.max() >= n_paths:
            raise ValueError(f"paths must lie in [0, n_paths) = [0, {n_paths}), got "
                             f"[{gidx.min()}, {gidx.max()}]")
        uniq, counts = np.unique(gidx, return_counts=True)
        if uniq.size != gidx.size:
            raise ValueError(f"paths must not repeat an index, got {int(uniq[counts > 1][0])} "
                             f"{int(counts[counts > 1][0])} times")

    x0a = _start_points(x0, n_paths, landscape.dim)[gidx if np.ndim(x0) == 2 else slice(None)]
    # a fresh, writable C array: a read-only view would compile a second kernel signature
    x0a = np.array(np.broadcast_to(x0a, (gidx.size, x0a.shape[-1])), dtype=np.float64, order="C")
    dim = x0a.shape[1]
    if np.any(np.abs(x0a) > diverge_at):
        raise ValueError(f"x0 must lie within diverge_at = {diverge_at} (|x0_j| <= diverge_at), "
                         f"got max |x0_j| = {np.max(np.abs(x0a))}")

    stop_p = np.zeros(1)
    if stop is None:
        lo = np.full(gidx.size, -np.inf)
        hi = np.full(gidx.size, np.inf)
        stop_code = C.STOP_NONE
    elif isinstance(stop, ExitBall) and dim > 1:
        outside = stop._outside(x0a)
        if np.any(outside):
            i = int(np.argmax(outside))
            raise ValueError(f"x0 must lie inside the stop region: path {gidx[i]} starts outside "
                             f"the ball of radius {stop.radius} around {stop.center}")
        lo = np.full(gidx.size, -np.inf)
        hi = np.full(gidx.size, np.inf)
        stop_p = np.concatenate([[stop.radius], stop._centre(dim)])
        stop_code = C.STOP_BALL
    else:
        lo, hi = stop._interval(landscape, x0a)
        outside = (x0a[:, 0] < lo) | (x0a[:, 0] > hi)
        if np.any(outside):
            i = int(np.argmax(outside))
            raise ValueError(f"x0 must lie inside the stop region: path {gidx[i]} starts at "
                             f"x0[0] = {x0a[i, 0]}, outside [{lo[i]}, {hi[i]}]")
        stop_code = C.STOP_INTERVAL
    land_code, land_p = landscape._lower(dim)
    if land_code == C.LAND_MULTIWELL and np.any((x0a < landscape.lower) | (x0a > landscape.upper)):
        raise ValueError(f"x0 must lie in the MultiWell's domain [lower, upper] = "
                         f"[{landscape.lower}, {landscape.upper}]")
    noise_code, noise_p = _NO_NOISE if noise is None else noise._lower()
    # an unclipped draw that overflows (Pareto's U^(-1/alpha) for alpha < 53/1024 as U -> 0,
    # Stable for alpha < ~0.1) saturates at the largest double instead of becoming inf
    noise_p = [min(noise_p[0], _FMAX)] + list(noise_p[1:])
    opt_codes, opt_p = optimizer._lower(dim)
    record = checkpoints = None
    if observe and isinstance(observe[0], Checkpoints):
        obs_p, grid, minima = observe[0]._lower(landscape, dim, n_steps)
        obs_shape, obs_code = None, C.OBS_CHECKPOINT
        checkpoints = dict(grid=grid, minima=minima, f_star=float(landscape.f_star))
    elif observe and isinstance(observe[0], RecordPaths):
        obs_p, chosen = observe[0]._rows(gidx, n_steps, dim)
        obs_shape, obs_code = None, C.OBS_RECORD
        record = dict(rows=chosen, shape=(chosen.size, n_steps + 1, dim))
    elif observe:
        obs_p, obs_shape = observe[0]._lower(landscape)
        obs_code = C.OBS_OCCUPANCY
    else:
        obs_p, obs_shape, obs_code = np.zeros(3), None, C.OBS_NONE
    codes = (land_code, noise_code) + tuple(opt_codes) + (stop_code, obs_code)
    user = None
    if land_code == C.LAND_USER:
        user = (landscape.value_fn, landscape.grad_fn)
    structure = codes if user else choose_structure(codes, noise_p[4] != 0.0, dim)
    return dict(
        structure=structure, codes=np.array(codes, dtype=np.int64), user=user, x0=x0a,
        gidx=gidx, lo=np.ascontiguousarray(lo, dtype=np.float64),
        hi=np.ascontiguousarray(hi, dtype=np.float64),
        land_p=np.ascontiguousarray(land_p, dtype=np.float64),
        noise_p=np.ascontiguousarray(noise_p, dtype=np.float64),
        opt_p=np.ascontiguousarray(opt_p, dtype=np.float64), seed=seed, n_steps=n_steps,
        diverge_at=diverge_at, threads=threads,
        obs_p=np.ascontiguousarray(obs_p, dtype=np.float64), obs_shape=obs_shape,
        landscape=landscape, optimizer=optimizer,
        stop_p=np.ascontiguousarray(stop_p, dtype=np.float64),
        observer=observe[0] if observe else None, record=record, checkpoints=checkpoints,
        provenance=dict(seed=seed, n_paths=n_paths, n_steps=n_steps, dim=dim,
                        landscape=repr(landscape), noise=repr(noise), optimizer=repr(optimizer),
                        stop=repr(stop), diverge_at=diverge_at, threads=threads,
                        structure=structure),
    )


def _physical_memory():
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, ValueError, OSError):  # pragma: no cover - not POSIX
        return None


def _check_memory(n, dim):
    """Refuse (ValueError naming n_paths) a run whose per-path arrays alone (x0 and x,
    status, exit_step, indices, stop bounds) would not fit in physical memory, rather
    than failing in numpy's allocator with a MemoryError."""
    need = n * (16 * max(int(dim), 1) + 33)
    total = _physical_memory()
    if total and need > total:
        raise ValueError(f"n_paths = {n} needs {need / 2**30:.1f} GiB for its per-path arrays, "
                         f"more than this machine's {total / 2**30:.1f} GiB; run parts with "
                         f"paths=range(...) and merge them with Result.concatenate")


def _start_points(x0, n_paths, land_dim):
    """x0 as a (1 or n_paths, dim) array, checked against the landscape's dimension."""
    try:
        arr = np.array(x0, dtype=np.float64)
    except (TypeError, ValueError):
        raise TypeError(f"x0 must be a float or an array of floats, got {x0!r}") from None
    if not np.all(np.isfinite(arr)):
        where = np.argwhere(~np.isfinite(arr))[0]
        at = f"x0[{', '.join(map(str, where))}]" if arr.ndim else "x0"
        raise ValueError(f"x0 must be finite (no NaN or inf), got {at} = {arr[tuple(where)]}")
    if arr.ndim == 0:
        return np.full((1, land_dim or 1), float(arr))
    if arr.ndim == 1:
        if land_dim is not None and arr.size != land_dim:
            raise ValueError(f"x0 must have shape ({land_dim},) for this landscape, got {arr.shape}")
        if arr.size == 0:
            raise ValueError("x0 must not be empty")
        return arr[None, :]
    if arr.ndim == 2:
        if arr.shape[0] != n_paths or (land_dim is not None and arr.shape[1] != land_dim):
            want = f"({n_paths}, {land_dim if land_dim is not None else 'dim'})"
            raise ValueError(f"x0 must have shape {want} (n_paths, dim), got {arr.shape}")
        return arr
    raise ValueError(f"x0 must be a float, (dim,) or (n_paths, dim), got shape {arr.shape}")


def _call(kern, plan, args, outs, claim, end, parts):
    """``kern`` on paths ``i < end`` claimed from the shared counter ``claim[0]`` (each
    kernel call takes the next path whenever one of its lanes finishes), with its own
    work buffers (:func:`workspace`) and its own copies of the parameter arrays it passes
    down (each jitted call takes an atomic incref/decref on its array arguments: on arrays
    the threads share, each would bounce a cache line between the cores)."""
    x0, gidx, lo, hi, codes, land_p, noise_p, opt_p = args[:8]
    status, exit_step, x, obs_p, out_obs, stop_p, out_rec, cancel = outs
    work = workspace(plan["structure"], codes, x0.shape[1], land_p, opt_p, obs_p)
    kern(x0, gidx, lo, hi, codes.copy(), land_p.copy(), noise_p.copy(), opt_p.copy(),
         *args[8:], claim, end, status, exit_step, x, obs_p, out_obs, stop_p.copy(), out_rec,
         cancel, *work, parts)


def _run(plan, progress):
    t_compile = time.perf_counter()
    if plan["user"] is not None:
        kern = user_kernel(plan["structure"], *plan["user"])
    else:
        kern = get_kernel(plan["structure"])
    n, dim = plan["x0"].shape
    status = np.zeros(n, dtype=np.int8)
    exit_step = np.zeros(n, dtype=np.int64)
    x = np.zeros((n, dim))
    args = (plan["x0"], plan["gidx"].astype(np.uint64), plan["lo"], plan["hi"], plan["codes"],
            plan["land_p"], plan["noise_p"], plan["opt_p"], np.uint64(plan["seed"]),
            np.int64(plan["n_steps"]), float(plan["diverge_at"]))
    obs_width = 0
    if plan["obs_shape"] is not None:
        nb_, nm = plan["obs_shape"]
        obs_width = 1 + nb_ + nb_ * nb_ + nm
    out_obs = np.zeros((n, obs_width), dtype=np.int64)
    rec, ck = plan["record"], plan["checkpoints"]
    shape = rec["shape"] if rec else ((n, ck["grid"].size, 4) if ck else (0, 1, dim))
    out_rec = np.full(shape, np.nan)
    if rec:
        out_rec[:, 0, :] = plan["x0"][rec["rows"]]
    if ck and ck["grid"][0] == 0:
        with np.errstate(all="ignore"):
            out_rec[:, 0, :3] = Checkpoints._values(plan["landscape"], plan["x0"], ck["minima"])
    cancel = np.zeros(1, dtype=np.int64)
    outs = (status, exit_step, x, plan["obs_p"], out_obs, plan["stop_p"], out_rec, cancel)
    # the first call in this process compiles the kernel or loads it from the disk cache:
    # a notice if it takes over a second (a compile)
    generic = plan["user"] is None and plan["structure"] == GENERIC
    part_args = (plan["codes"], plan["noise_p"][4] != 0.0, dim)
    notice = notice_wanted(progress) and (not kern.signatures
                                          or (generic and not parts_loaded(*part_args)))
    with compiling(), slow_notice(notice, _compile_message(plan) if notice else ""):
        # the generic kernel calls the parts of this run's components (kernel.part_keys);
        # a worker process may compile some of them meanwhile (_kernels/build.py)
        build = PartBuild(*part_args, kern) if generic else None
        # compiles (or loads from the disk cache); runs no path (end = 0) and, every
        # address 0, calls no part
        none = np.zeros(P.N_PARTS if generic else 1, dtype=np.int64)
        _call(kern, plan, args, outs, np.zeros(1, dtype=np.int64), 0, none)
        parts = build.addresses() if generic else none
    compile_s = time.perf_counter() - t_compile

    # one kernel call per thread, all claiming paths from one counter (template.kernel):
    # it sits alone on its cache line, which both cores write
    claim = _aligned_empty(8, np.int64)
    claim[:] = 0
    bar = _progress_bar(n, progress)
    t0 = time.perf_counter()
    pool = cf.ThreadPoolExecutor(max_workers=plan["threads"])
    with _RUNNING_LOCK:
        _RUNNING[id(cancel)] = cancel  # cancel_running() reaches it from any thread
    try:
        with _sigint_cancels(cancel):
            pending = {pool.submit(_call, kern, plan, args, outs, claim, n, parts)
                       for _ in range(plan["threads"])}
            while pending:
                # with a bar, wake every 0.1 s to show the paths started so far
                done, pending = cf.wait(pending, timeout=None if bar is None else 0.1,
                                        return_when=cf.FIRST_EXCEPTION)
                for fut in done:
                    fut.result()
                if cancel[0]:
                    break
                if bar is not None:
                    bar.update(min(int(claim[0]), n) - bar.n)
    except BaseException:
        cancel[0] = 1  # running kernels return at their next check
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    finally:
        pool.shutdown(wait=True)
        with _RUNNING_LOCK:
            _RUNNING.pop(id(cancel), None)
        if bar is not None:
            bar.close()
    if cancel[0]:
        raise SimulationInterrupted(
            f"simulate interrupted after {time.perf_counter() - t0:.1f} s; no result kept "
            f"(rerun the same call for the uninterrupted result)")
    wall = time.perf_counter() - t0
    prov = dict(plan["provenance"], wall_seconds=wall, compile_seconds=compile_s,
                versions=_versions())
    observed = {}
    if ck:
        lr = out_rec[:, :, 3].copy()
        observed = dict(steps=ck["grid"], f_gap=out_rec[:, :, 0] - ck["f_star"],
                        grad_norm=out_rec[:, :, 1].copy(), distance=out_rec[:, :, 2].copy(),
                        learning_rate=lr)
    elif rec:
        observed = dict(paths=out_rec, recorded=plan["gidx"][rec["rows"]])
    elif plan["observer"] is not None:
        observed = plan["observer"]._unpack(out_obs, *plan["obs_shape"])
    return Result(status, exit_step, x, plan["gidx"].copy(), plan["n_steps"],
                  float(exit_step.sum()) / wall if wall > 0 else float("nan"), prov, observed)


class _sigint_cancels:
    """While active (main thread only), SIGINT sets ``cancel[0]`` instead of raising.

    A handler installed by the caller is still called after the flag is set; an ignored
    SIGINT (``SIG_IGN``) stays ignored.

    The kernels poll the flag every ``CHECK`` steps of a block, so every worker returns
    within milliseconds; the caller then raises :class:`SimulationInterrupted`. The
    previous handler is restored on exit, also on error. In other threads (a sweep's
    executor) nothing is installed and SIGINT keeps its usual meaning in the main thread.
    """

    def __init__(self, cancel):
        self.cancel = cancel
        self.previous = None

    def _handler(self, signum, frame):
        self.cancel[0] = 1
        cancel_running()  # and any simulate running in worker threads
        # a handler the caller installed is still told (Python's default one is not: it
        # would raise KeyboardInterrupt in the middle of the wait)
        if callable(self.previous) and self.previous is not signal.default_int_handler:
            self.previous(signum, frame)

    def __enter__(self):
        if threading.current_thread() is threading.main_thread():
            current = signal.getsignal(signal.SIGINT)
            if current is signal.SIG_IGN or current is None:
                return self  # Ctrl-C is ignored (or not handled from Python): keep it so
            try:
                self.previous = signal.signal(signal.SIGINT, self._handler)
            except ValueError:  # not the main interpreter
                self.previous = None
        return self

    def __exit__(self, *exc):
        if self.previous is not None:
            signal.signal(signal.SIGINT, self.previous)
        return False


def _compile_message(plan):
    """The notice for a slow first kernel call (see ``_notice``): which kernel compiles."""
    if plan["user"] is not None:
        return ("simsgd: compiling the kernel for this user landscape (numba cannot cache "
                "user functions on disk: once per process and structure)...")
    structure = plan["structure"]
    if structure == GENERIC:
        what = "the generic kernel and the parts of it this run needs (a few seconds)"
    elif structure in FAMILIES:
        what = "a 1-D family kernel (a few seconds)"
    else:
        what = "a specialised kernel (a few seconds)"
    return f"simsgd: compiling {what}, once per machine; cached in {cache_dir()}..."


def _progress_bar(total, progress):
    if progress is False:
        return None
    from tqdm.auto import tqdm

    return tqdm(total=total, unit="path", desc="simulate", leave=False,
                disable=None if progress is None else not progress)


def _versions():
    from .. import __version__

    return dict(simsgd=__version__, numpy=np.__version__, numba=numba.__version__,
                python=platform.python_version())
