"""A plain NumPy reference of ``simsgd.simulate`` (not a test module).

Written from the documented recursions, not from the kernel: every path advances in
lockstep as one row of an ``(n, dim)`` array, fed by the NumPy twin of the generator
(:func:`simsgd._kernels.rng.numpy_streams`), with libm's ``log``/``exp``/``pow``. The
kernel computes the same numbers in a lane loop with polynomial ``log``/``exp``, so
positions agree to a few ulps (compare with ``rtol=1e-12``) and ``status`` and
``exit_step`` agree exactly.

Per path ``i`` of seed ``s``, for ``k = 1, 2, ..., n_steps``::

    xi_k    = noise draws for coordinates 0..dim-1, in order, from stream (s, i)
    g       = grad f(x_{k-1}) + xi_k
    u       = optimizer.apply(g)
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
    """One step of noise, shape ``(n, dim)``, consuming draws coordinate by coordinate."""
    xi = np.zeros((n, dim))
    if noise is None:
        return xi  # exact gradients: nothing is drawn
    clip = np.inf
    if isinstance(noise, sg.noise.Clipped):
        noise, clip = noise.noise, noise.c
    for c in range(dim):
        if isinstance(noise, sg.noise.Gaussian):
            # Box-Muller, cosine branch: two draws per coordinate
            u1 = numpy_u01(next(stream))
            u2 = numpy_u01(next(stream))
            xi[:, c] = noise.sigma * np.sqrt(-2.0 * np.log(u1)) * np.cos(2.0 * np.pi * u2)
        elif isinstance(noise, sg.noise.Pareto):
            # one draw: the top 53 bits give U, the lowest bit the sign
            r = next(stream)
            xi[:, c] = numpy_sign(r) * noise.scale * numpy_u01(r) ** (-1.0 / noise.alpha)
        elif isinstance(noise, sg.noise.CompoundPareto):
            # two draws, always both: r1 decides whether to jump, r2 is the jump
            r1 = next(stream)
            r2 = next(stream)
            jump = numpy_sign(r2) * noise.w_min * numpy_u01(r2) ** (-1.0 / noise.alpha)
            xi[:, c] = np.where(numpy_u01(r1) <= noise.rate, jump, 0.0)
        else:
            raise NotImplementedError(f"no reference for {noise!r}")
    return np.clip(xi, -clip, clip)


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
                       diverge_at=1e100, paths=None, occupancy=None, record=None):
    """Return ``(status, exit_step, x)`` as ``simulate`` defines them.

    ``paths`` (default: all) selects global path indices, which key the streams; a 2-D
    ``x0`` has one row per global index, as in ``simulate``. With ``occupancy`` (a
    neighbourhood radius) it also returns the BasinOccupancy outputs as a 4th item,
    computed from the committed iterates as that observer's docstring defines them.
    With ``record`` (an int k) the 4th item is RecordPaths' full paths of the paths
    whose global index is below k (NaN after each path's end).
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
    with np.errstate(all="ignore"):  # finished rows keep being stepped and may overflow
        for k in range(1, n_steps + 1):
            if not active.any():
                break
            xi = noise_draws(noise, stream, n, dim)
            g = landscape.grad(x) + xi
            xn = x + optimizer.apply(g)
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
    if record is not None:
        return status, exit_step, x, rec
    if occupancy is not None:
        return status, exit_step, x, dict(occupancy=occ, transitions=trans,
                                          basin_changes=changes, first_hit=first)
    return status, exit_step, x
