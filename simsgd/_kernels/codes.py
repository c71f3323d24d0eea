"""Integer codes and parameter layouts shared by the lowering layer and the kernels.

A compiled kernel variant is identified by a tuple of these codes (its *structure*); any
entry may be ``DYN``, which means "read this code at run time". All numeric parameters
travel as runtime arrays, so new parameter values never trigger a compilation.
"""

DYN = -1  # structure entry resolved at run time (the generic kernel)

# ---------------------------------------------------------------------------------
# Landscapes. Layout of ``land_p`` (float64) next to each code; d = dimension.
# ---------------------------------------------------------------------------------
LAND_QUADRATIC = 1  # [a_0..a_{d-1}, m_0..m_{d-1}]: f = sum a_j (x_j - m_j)^2 / 2
LAND_DOUBLEWELL = 2  # []: f = (x_0^2 - 1)^2/4 + sum_{j>0} x_j^2/2
LAND_MULTIWELL = 3  # [n, lower, upper, c_0..c_{n-1}]: f' = prod (x - c_i), x clamped
LAND_QUAD_FULL = 4  # [A (d*d, row-major), m (d)]: f = (x-m)^T A (x-m) / 2, g = A (x - m)
LAND_STOCH_QUAD = 5  # [N, B, m (d), K (N*d, row-major)]: f_i = sum_j K[i,j](x_j-m_j)^2/2;
#                      g = (1/B) sum_{i in batch} grad f_i, batch of B of N without replacement
LAND_FINITE_WELLS = 6  # [N, B, a, b, ka (N), kb (N)] (1-D): f_i = (x-a)^2 (x-b)^2
#                        (ka_i (x-b)^2 + kb_i (x-a)^2) / (2 (a-b)^4); batch as above
LAND_COSH = 7  # []: f = sum cosh(x_j)
LAND_EXP = 8  # [k]: f = sum exp(k x_j)
LAND_QUARTIC = 9  # [a (d)]: f = (sum a_j^2 x_j^2)^2 = ||diag(a) x||^4
LAND_LOGCOSH = 10  # []: f = sum log cosh(x_j)
LAND_LOGISTIC = 11  # []: f = sum log(1 + exp(-x_j))
LAND_EXPSQUARE = 12  # []: f = sum exp(x_j^2)
LAND_USER = 13  # user-defined value/grad (a per-process kernel, see kernel.user_kernel)

# ---------------------------------------------------------------------------------
# Noise. Layout of ``noise_p``: [clip, a, b, c, radial]; clip = +inf means unclipped,
# radial = 1 draws a uniform direction (d Box-Muller normals, 2 words each) and then
# one radius |Z| from the law. Stream words per draw of Z in brackets.
# ---------------------------------------------------------------------------------
NOISE_NONE = 0  # xi = 0 (no words)
NOISE_GAUSSIAN = 1  # a = sigma                       [2]  sigma sqrt(-2 ln u1) cos(2 pi u2)
#                      in d >= 2, coordinates (2k, 2k+1) share the two words: cos, then
#                      sin(2 pi u2); an odd last coordinate has its own (cos) [2 ceil(d/2)]
NOISE_PARETO = 2  # a = -1/alpha, b = scale           [1]  sign(r) b u^a
NOISE_COMPOUND = 3  # a = -1/alpha, b = rate q, c = w_min [2] (u1 <= q) sign(r2) c u2^a
NOISE_STUDENT_T = 4  # a = -2/df, b = df, c = scale   [2]  c cos(2 pi u1) sqrt(b (u2^a - 1))
NOISE_STABLE = 5  # a = alpha, b = scale              [2]  Chambers-Mallows-Stuck, beta = 0:
#   b sin(a V)/cos V (cos((1-a) V)/(W cos V))^((1-a)/a), V = pi (u1 - 1/2), W = -ln u2
NOISE_SHIFTED_EXP = 6  # (no parameters)              [1]  -ln u - 1
NOISE_P_LEN = 5

# ---------------------------------------------------------------------------------
# Transforms of the optimiser chain. ``opt_p`` = [n_state_rows, then N_SLOTS blocks of
# SLOT_P numbers (p0..p4, state_row), then data (array schedules)]. ``state_row`` is the
# slot's first per-lane state row, counted from the start of the state region.
# "g" is the raw stochastic gradient of the step (before any transform), "v" the running
# vector. Every transform that sets a step size also records it (the learning rate in
# force, reported by Checkpoints).
# ---------------------------------------------------------------------------------
T_NONE = 0
T_SCALE = 1  # [eta]: v <- -eta v
T_CLIP_NORM = 2  # [c]: v <- v c / ||v|| when ||v||^2 > c^2 CLIP_SLACK (d >= 2; clamp in 1-D)
# A clipped vector's computed squared norm can round above c^2 by ~(d + 6) ulps; the slack
# (2^-36, i.e. norms within 7.3e-12 relative of c count as at the limit) makes clipping
# idempotent in floating point for d up to ~65,000: clipping twice equals clipping once.
CLIP_SLACK = 1.0 + 2.0**-36
T_CLIP_COORD = 3  # [c]: v_j <- clamp(v_j, -c, c)
T_NORMALIZE = 4  # [eps]: v <- v / (||v|| + eps); v = 0 stays 0
T_SIGN = 5  # []: v_j <- sign(v_j) in {-1, 0, 1}
T_MOMENTUM = 6  # [beta, nesterov]: m <- beta m + v; v <- m, or v + beta m (nesterov)
#                 state: d rows (m)
T_SCHEDULE = 7  # [kind, eta, p2, p3]: v <- -eta_k v with k = steps taken so far
SCHED_INVERSE_TIME = 0  # eta / (1 + k / p2)
SCHED_COSINE = 1  # p3 + (eta - p3) (1 + cos(pi min(k, p2) / p2)) / 2
SCHED_STEP = 2  # eta p3^floor(k / p2)
SCHED_WARMUP = 3  # eta min(1, (k + 1) / p2)
SCHED_ARRAY = 4  # opt_p[p2 + min(k, p3 - 1)] (p2 = data offset in opt_p, p3 = length)
T_ADAGRAD_NORM = 8  # [eta, b0]: b^2 <- b^2 + ||g||^2 (b^2 = b0^2 at k = 0); v <- -(eta/b) v
#                     state: 1 row (b^2)
T_POLYAK = 9  # [f_star, eta_max]: eta = clamp((f(x) - f*) / ||g||^2, 0, eta_max) (0 if g = 0)
T_NORM_RATIO = 10  # [eta0]: eta_k = eta_{k-1} ||g_{k-1}|| / ||g_k||; state: 2 rows (eta, |g|)
T_SECANT = 11  # [eta0]: eta_k = ||x_k - x_{k-1}|| / ||g_k - g_{k-1}||; state 2d + 1 rows
T_BB = 12  # [eta0]: eta_k = ||s||^2 / <s, y>, s = x_k - x_{k-1}, y = g_k - g_{k-1};
#            state 2d + 1 rows (x_prev, g_prev, eta)
N_SLOTS = 6
SLOT_P = 6

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
OBS_CHECKPOINT = 3  # obs_p = [n_ck, n_min, 0, steps.., minima (n_min*d)..];
# out_rec[i, c] = (f(x_k), ||grad f(x_k)||, distance to the nearest minimum, learning
# rate in force) at step ck_c

# Path status codes (mirrored by simsgd.Status).
RUNNING = 0
EXITED = 1
DIVERGED = 2
