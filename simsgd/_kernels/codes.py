"""Integer codes shared by the lowering layer and the kernels.

A compiled kernel variant is identified by a tuple of these codes (its *structure*);
all numeric parameters travel as runtime arrays, so new parameter values never
trigger a compilation.
"""

# Landscapes. Parameter layout in ``land_p`` is documented next to each code.
LAND_QUADRATIC = 1  # [a_0..a_{d-1}, m_0..m_{d-1}]: f = sum a_j (x_j - m_j)^2 / 2
LAND_DOUBLEWELL = 2  # []: f = (x_0^2 - 1)^2/4 + sum_{j>0} x_j^2/2
LAND_MULTIWELL = 3  # [n, lower, upper, c_0..c_{n-1}]: f' = prod (x - c_i), x clamped

# Noise. Layout of ``noise_p``: [clip, a, b, c]; ``clip`` = +inf means unclipped.
NOISE_NONE = 0  # xi = 0
NOISE_GAUSSIAN = 1  # a = sigma
NOISE_PARETO = 2  # a = -1/alpha, b = scale
NOISE_COMPOUND = 3  # a = -1/alpha, b = rate q, c = w_min

# Transforms of the optimiser chain. Each slot has two parameters in ``opt_p``.
T_NONE = 0
T_SCALE = 1  # v <- -eta v                       (eta)
T_CLIP_NORM = 2  # v <- v min(1, c / ||v||)          (c)
T_CLIP_COORD = 3  # v_j <- clamp(v_j, -c, c)          (c)
N_SLOTS = 4

# Stopping rules.
STOP_NONE = 0
STOP_INTERVAL = 1  # exit when x_0 < lo[i] or x_0 > hi[i] (per-path bounds)
STOP_BALL = 2  # stop_p = [radius, center_0..center_{d-1}]: exit when ||x - center|| > radius
# (d >= 2 only; in 1-D a ball is an interval and lowers to STOP_INTERVAL)

# Observers (one structural slot). Layout of ``obs_p`` for OBS_OCCUPANCY:
# [n_edges, n_min, eps, edges_0..edges_{n_edges-1}, minima_0..minima_{n_min-1}]; the
# basins are the n_edges + 1 regions of coordinate 0 between sorted edges.
OBS_NONE = 0
OBS_OCCUPANCY = 1
OBS_RECORD = 2  # obs_p[i] = row of out_rec for local path i, or -1 (not recorded)
OBS_CHECKPOINT = 3  # obs_p = [n_ck, n_min, n_coef, steps.., minima (n_min*d).., coef..];
# out_rec[i, c] = (f(x_k), ||grad f(x_k)||, distance to the nearest minimum) at step ck_c

# Path status codes (mirrored by simsgd.Status).
RUNNING = 0
EXITED = 1
DIVERGED = 2
