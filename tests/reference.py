"""A plain NumPy reference of ``simsgd.simulate`` (not a test module).

Written from the documented recursions, not from the kernel: every path advances in
lockstep as one row of an ``(n, dim)`` array, fed by the NumPy twin of the generator
(:func:`simsgd._kernels.rng.numpy_streams`), with libm's ``log``/``exp``/``pow``. The
kernel computes the same numbers in a lane loop with polynomial ``log``/``exp``, so
positions agree to a few ulps (compare with ``rtol=1e-12``) and ``status`` and
``exit_step`` agree exactly.

Per path ``i`` of seed ``s``, for ``k = 1, 2, ..., n_steps``::

    xi_k    = noise draws for coordinates 0..dim-1, in order, from stream (s, i)
              (radial laws: dim normals, then the radius)
    g       = grad f(x_{k-1}) + xi_k   (finite sums: batch words after the noise)
    u       = optimizer's reference step on (g, x_{k-1}, f(x_{k-1}), k - 1)
    x_k     = x_{k-1} + u            (MultiWell: clamped to [lower, upper])
    DIVERGED if some |x_k[j]| > diverge_at or is not finite: exit_step = k, x = x_{k-1}
    EXITED   if x_k[0] is outside [lo, hi]:                   exit_step = k, x = x_k
    RUNNING  at k = n_steps:                                  exit_step = n_steps

Divergence is checked before the exit.
"""

import numpy as np

import simsgd as sg
from simsgd._kernels.rng import numpy_sign, numpy_streams, numpy_u01


def noise_draws(noise, stream, n, dim):
    """One step of noise, shape ``(n, dim)``: each model's NumPy twin (libm functions)."""
    if noise is None:
        return np.zeros((n, dim))  # exact gradients: nothing is drawn
    return noise._numpy_vector(lambda: next(stream), n, dim)


def floyd_batches(stream, n, n_comp, bsz):
    """Batch indices ``(n, bsz)`` without replacement, in Floyd's order: for
    ``q = N - B .. N - 1`` one word gives ``t = min(floor(U (q + 1)), q)``, and ``q``
    itself is taken when ``t`` was already chosen."""
    idx = np.zeros((n, bsz), dtype=np.int64)
    for cnt, q in enumerate(range(n_comp - bsz, n_comp)):
        t = np.minimum(np.floor(numpy_u01(next(stream)) * (q + 1)).astype(np.int64), q)
        seen = (idx[:, :cnt] == t[:, None]).any(axis=1)
        idx[:, cnt] = np.where(seen, q, t)
    return idx


def stochastic_grad(landscape, stream, x):
    """``grad f(x)``, or a stochastic landscape's batch gradient (its words follow the
    noise's words in the stream)."""
    if hasattr(landscape, "batch_grad"):
        idx = floyd_batches(stream, x.shape[0], landscape.n_components, landscape.batch_size)
        return landscape.batch_grad(x, idx)
    return landscape.grad(x)


def stop_bounds(stop, landscape, x0):
    """Per-path bounds ``(lo, hi)`` of coordinate 0."""
    n = x0.shape[0]
    if stop is None:
        return np.full(n, -np.inf), np.full(n, np.inf)
    if isinstance(stop, sg.events.Exit):
        lo = -np.inf if stop.lower is None else float(stop.lower)
        hi = np.inf if stop.upper is None else float(stop.upper)
        return np.full(n, lo), np.full(n, hi)
    if isinstance(stop, sg.events.ExitBall) and x0.shape[1] == 1:
        c = float(np.ravel(stop.center)[0])
        return np.full(n, c - stop.radius), np.full(n, c + stop.radius)
    if isinstance(stop, sg.events.ExitBall):
        return np.full(n, -np.inf), np.full(n, np.inf)  # the ball test is in the loop
    if isinstance(stop, sg.events.ExitBasin):
        lo, hi = landscape.basin_interval(x0[:, 0])
        return np.asarray(lo, dtype=float), np.asarray(hi, dtype=float)
    raise NotImplementedError(f"no reference for {stop!r}")


def reference_simulate(landscape, noise, optimizer, x0, n_paths, n_steps, seed, stop=None,
                       diverge_at=1e100, paths=None, occupancy=None, record=None, learning_rates=False):
    """Return ``(status, exit_step, x)`` as ``simulate`` defines them.

    ``paths`` (default: all) selects global path indices, which key the streams; a 2-D
    ``x0`` has one row per global index, as in ``simulate``. With ``occupancy`` (a
    neighbourhood radius) it also returns the BasinOccupancy outputs as a 4th item,
    computed from the committed iterates as that observer's docstring defines them.
    With ``record`` (an int k) the 4th item is RecordPaths' full paths of the paths
    whose global index is below k (NaN after each path's end). With ``learning_rates``
    the 4th item is the learning rate in force at each step, shape ``(n, n_steps + 1)``.
    """
    idx = np.arange(n_paths) if paths is None else np.asarray(list(paths), dtype=np.int64)
    n = idx.size
    x0 = np.asarray(x0, dtype=np.float64)
    if x0.ndim == 2:
        x = x0[idx].copy()
    else:
        dim = landscape.dim if x0.ndim == 0 else x0.size
        x = np.broadcast_to(x0, (n, dim or 1)).astype(np.float64).copy()
    dim = x.shape[1]
    lo, hi = stop_bounds(stop, landscape, x)
    clamp = isinstance(landscape, sg.landscapes.MultiWell)
    if clamp:
        x = np.clip(x, landscape.lower, landscape.upper)

    if occupancy is not None:
        edges = np.sort(np.asarray(landscape.basin_edges, dtype=float))
        minima = np.atleast_2d(np.asarray(landscape.minima, dtype=float).T)[0]
        nb = edges.size + 1
        basin = np.searchsorted(edges, x[:, 0], side="left")  # number of edges < x
        occ = np.zeros((n, nb), dtype=np.int64)
        trans = np.zeros((n, nb, nb), dtype=np.int64)
        changes = np.zeros(n, dtype=np.int64)
        first = np.where(np.abs(x[:, :1] - minima) <= occupancy, 0, -1).astype(np.int64)
    if record is not None:
        rec_rows = np.flatnonzero(idx < record)
        rec = np.full((rec_rows.size, n_steps + 1, dim), np.nan)
        rec[:, 0] = x[rec_rows]
    status = np.full(n, sg.Status.RUNNING, dtype=np.int8)
    exit_step = np.full(n, n_steps, dtype=np.int64)
    active = np.ones(n, dtype=bool)
    stream = numpy_streams(seed, idx)
    if isinstance(optimizer, sg.optimizers.Transform):
        optimizer = sg.optimizers.chain(optimizer)
    opt = optimizer.reference(n, dim)
    etas = np.full((n, n_steps + 1), np.nan)
    with np.errstate(all="ignore"):  # finished rows keep being stepped and may overflow
        for k in range(1, n_steps + 1):
            if not active.any():
                break
            xi = noise_draws(noise, stream, n, dim)
            g = stochastic_grad(landscape, stream, x) + xi
            fx = landscape.value(x)
            xn = x + opt.step(g, x, fx, np.full(n, k - 1))
            etas[:, k] = opt.eta
            if clamp:
                xn = np.clip(xn, landscape.lower, landscape.upper)
            bad = ~np.all(np.abs(xn) <= diverge_at, axis=1)  # also catches NaN
            out = (xn[:, 0] < lo) | (xn[:, 0] > hi)
            if isinstance(stop, sg.events.ExitBall) and dim > 1:
                # ||x - c|| > r, compared squared as the kernel does
                out = np.sum((xn - np.asarray(stop.center, dtype=float)) ** 2, axis=1) > stop.radius**2
            diverged = active & bad
            exited = active & ~bad & out
            status[diverged] = sg.Status.DIVERGED
            status[exited] = sg.Status.EXITED
            exit_step[diverged | exited] = k
            commit = active & ~bad
            x[commit] = xn[commit]
            if record is not None:
                keep = commit[rec_rows]
                rec[keep, k] = x[rec_rows[keep]]
            if occupancy is not None:
                rows = np.flatnonzero(commit)
                new = np.searchsorted(edges, x[rows, 0], side="left")
                occ[rows, new] += 1
                moved = new != basin[rows]
                trans[rows[moved], basin[rows[moved]], new[moved]] += 1
                changes[rows[moved]] += 1
                basin[rows] = new
                near = (np.abs(x[rows, :1] - minima) <= occupancy) & (first[rows] < 0)
                first[rows] = np.where(near, k, first[rows])
            active &= ~(bad | out)
    if learning_rates:
        return status, exit_step, x, etas
    if record is not None:
        return status, exit_step, x, rec
    if occupancy is not None:
        return status, exit_step, x, dict(occupancy=occ, transitions=trans,
                                          basin_changes=changes, first_hit=first)
    return status, exit_step, x
