"""Landscapes without simulating: derivatives, critical points, batch gradients, the
(L0, L1) constants, the kernel parameter layouts, and constructor validation.

Every row of ``registry_landscapes.LANDSCAPES`` goes through the generic checks.
"""

import itertools
import math

import numba
import numpy as np
import pytest

import simsgd as sg
from registry_landscapes import LANDSCAPES, QUAD_FULL, SQ_CURVATURES, quartic_grad, quartic_value
from simsgd._kernels import codes as C
from simsgd.theory import l0l1 as theory_l0l1
from simsgd.theory import patel

L = sg.landscapes
EPS = np.finfo(float).eps


# ----------------------------------------------------------------------------------------
# helpers
# ----------------------------------------------------------------------------------------
def sample_points(dim, x0, n=6, seed=0):
    """``x0`` and ``n - 1`` points around it (Gaussian, sd 0.3), shape (n, dim)."""
    rng = np.random.default_rng(seed)
    return np.vstack([x0, x0 + 0.3 * rng.standard_normal((n - 1, dim))])


def central_difference(fun, x, h):
    """Central differences of ``fun`` along each coordinate.

    ``fun`` maps (n, dim) to (n, ...). Returns ``D`` of shape (n, ..., dim), the magnitude
    ``M = |fun(x + h e_j)| + |fun(x - h e_j)|`` and the step, both broadcast to that shape.
    """
    D, M, H = [], [], []
    for j in range(x.shape[1]):
        e = np.zeros_like(x)
        e[:, j] = h[:, j]
        fp, fm = np.asarray(fun(x + e)), np.asarray(fun(x - e))
        step = np.broadcast_to(h[:, j].reshape((-1,) + (1,) * (fp.ndim - 1)), fp.shape)
        D.append((fp - fm) / (2.0 * step))
        M.append(np.abs(fp) + np.abs(fm))
        H.append(step)
    return np.stack(D, axis=-1), np.stack(M, axis=-1), np.stack(H, axis=-1)


def assert_matches_fd(fun, deriv, x):
    """``deriv(x)`` equals the central difference of ``fun`` within its estimated error.

    Steps ``h = eps^(1/3) max(1, |x_j|)`` and ``h/2``. The central difference has error
    ``c h^2 + O(h^4)`` (truncation) plus rounding ``~ u |f| / h`` where ``u`` bounds the
    relative error of one evaluation of ``f``. Richardson: ``D(h/2) - D = (D(h) - D(h/2))/3``
    up to O(h^4), which estimates the truncation error of ``D(h/2)``. For ``u`` we take
    ``100 eps``: the polynomial evaluations (MultiWell's ``polyval``, the wells' products)
    lose up to two digits to cancellation. The tolerance is 10x the sum of both estimates
    (the estimates are of the error's size, not bounds).
    """
    h = EPS ** (1 / 3) * np.maximum(1.0, np.abs(x))
    D1, _, _ = central_difference(fun, x, h)
    D2, M2, step = central_difference(fun, x, h / 2)
    trunc = np.abs(D1 - D2) / 3.0
    rounding = 100 * EPS * M2 / (2.0 * step)
    tol = 10.0 * (trunc + rounding)
    got = np.asarray(deriv(x))
    err = np.abs(got - D2)
    assert got.shape == D2.shape
    assert np.all(err <= tol), (f"max err {err.max():.3g}, tol at that entry "
                                f"{tol.ravel()[np.argmax(err)]:.3g}")


def as_points(pts, dim):
    """Critical points as a (k, dim) array, whatever convention the landscape uses
    (MultiWell: 1-D list of values; Quadratic: its centre, maybe a scalar)."""
    if pts is None:
        return np.zeros((0, dim))
    pts = np.asarray(pts, dtype=float)
    if pts.ndim == 2:
        return pts
    if dim == 1:
        return pts.reshape(-1, 1)
    return np.broadcast_to(pts, (dim,))[None, :].copy()


def maxima_and_saddles(land, dim):
    pts = [as_points(getattr(land, "maxima", None), dim)]
    for s in getattr(land, "saddles", ()) or ():  # DoubleWell: coordinate 0 of its saddle
        p = np.zeros((1, dim))
        p[0, 0] = s
        pts.append(p)
    return np.vstack(pts)


# ----------------------------------------------------------------------------------------
# generic checks over the registry
# ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("factory, dim, x0", LANDSCAPES)
def test_shapes_and_dim(factory, dim, x0):
    land = factory()
    assert land.dim in (None, dim)
    x = sample_points(dim, x0, n=4)
    assert np.shape(land.value(x)) == (4,)
    assert np.shape(land.grad(x)) == (4, dim)
    assert np.shape(land.hess(x)) == (4, dim, dim)
    assert np.shape(land.hess(x0)) == (dim, dim)
    assert isinstance(land.f_star, float)
    code, p = land._lower(dim)
    assert isinstance(code, int) and p.dtype == np.float64 and p.ndim == 1 and p.size >= 1


@pytest.mark.parametrize("factory, dim, x0", LANDSCAPES)
def test_grad_matches_finite_differences(factory, dim, x0):
    land = factory()
    assert_matches_fd(land.value, land.grad, sample_points(dim, x0))


@pytest.mark.parametrize("factory, dim, x0", LANDSCAPES)
def test_hess_matches_finite_differences_of_grad(factory, dim, x0):
    land = factory()
    x = sample_points(dim, x0)
    assert_matches_fd(land.grad, land.hess, x)
    H = land.hess(x)
    np.testing.assert_allclose(H, np.swapaxes(H, -1, -2), rtol=1e-14, atol=0)


@pytest.mark.parametrize("factory, dim, x0", LANDSCAPES)
def test_critical_points(factory, dim, x0):
    land = factory()
    minima = as_points(land.minima, dim)
    others = maxima_and_saddles(land, dim)
    for pts in (minima, others):
        if len(pts):
            # points are exact, or brentq roots to ~1e-15, so |grad| <~ |hess| 1e-15;
            # 1e-12 (1 + |hess|) leaves a margin of 1000
            scale = 1.0 + np.abs(land.hess(pts)).max()
            np.testing.assert_allclose(land.grad(pts), 0.0, atol=1e-12 * scale)
    if len(minima):
        eig = np.linalg.eigvalsh(land.hess(minima))
        if isinstance(land, L.Quartic):  # degenerate minimum: the Hessian vanishes at 0
            np.testing.assert_array_equal(eig, 0.0)
        else:
            assert np.all(eig.min(axis=-1) > 0), eig
        fmin = land.value(minima).min()
        assert land.f_star == pytest.approx(fmin, rel=1e-12, abs=1e-12)
    else:  # no minimiser: f* is the infimum, below every value
        assert np.all(land.value(sample_points(dim, x0)) > land.f_star)
    if len(others):
        eig = np.linalg.eigvalsh(land.hess(others))
        assert np.all(eig.min(axis=-1) < 0), eig


# ----------------------------------------------------------------------------------------
# kernel parameter layouts (codes.py)
# ----------------------------------------------------------------------------------------
def test_lower_layouts():
    code, p = L.Quadratic([1.0, 2.0], center=[3.0, 4.0])._lower(2)
    assert code == C.LAND_QUADRATIC and p.tolist() == [1.0, 2.0, 3.0, 4.0]
    code, p = L.Quadratic(2.0)._lower(3)
    assert code == C.LAND_QUADRATIC and p.tolist() == [2.0] * 3 + [0.0] * 3
    code, p = L.Quadratic(QUAD_FULL, center=[1.0, 2.0, 3.0])._lower(3)
    assert code == C.LAND_QUAD_FULL
    np.testing.assert_array_equal(p, np.concatenate([QUAD_FULL.ravel(), [1.0, 2.0, 3.0]]))
    code, p = L.StochasticQuadratic(SQ_CURVATURES, 3, center=[1.0, -1.0])._lower(2)
    assert code == C.LAND_STOCH_QUAD
    np.testing.assert_array_equal(p, np.concatenate([[4, 3, 1.0, -1.0], SQ_CURVATURES.ravel()]))
    code, p = L.FiniteSumWells([1.0, 2.0], 0.5, minimizers=(2.0, -1.0), batch_size=2)._lower(1)
    assert code == C.LAND_FINITE_WELLS and p.tolist() == [2, 2, 2.0, -1.0, 1.0, 2.0, 0.5, 0.5]
    assert L.Cosh()._lower(1)[0] == C.LAND_COSH
    code, p = L.Exp(-1.5)._lower(1)
    assert code == C.LAND_EXP and p.tolist() == [-1.5]
    code, p = L.Quartic(2.0, dim=3)._lower(3)
    assert code == C.LAND_QUARTIC and p.tolist() == [2.0] * 3
    assert L.LogCosh()._lower(1)[0] == C.LAND_LOGCOSH
    assert L.Logistic()._lower(1)[0] == C.LAND_LOGISTIC
    assert L.ExpSquare()._lower(1)[0] == C.LAND_EXPSQUARE
    land = L.Custom(quartic_value, quartic_grad, dim=2)
    assert land._lower(2)[0] == C.LAND_USER
    assert land.value_fn is quartic_value and land.grad_fn is quartic_grad


def test_full_quadratic_matches_diagonal_and_accepts_rounding():
    full = L.Quadratic(np.diag([1.0, 2.0, 3.0]), center=[1.0, 0.0, -1.0])
    diag = L.Quadratic([1.0, 2.0, 3.0], center=[1.0, 0.0, -1.0])
    x = sample_points(3, np.zeros(3))
    np.testing.assert_array_equal(full.grad(x), diag.grad(x))
    np.testing.assert_allclose(full.value(x), diag.value(x), rtol=1e-15)
    # Q D Q^T in floating point is symmetric only to rounding; it must be accepted
    Q = np.linalg.qr(np.random.default_rng(0).standard_normal((4, 4)))[0]
    A = Q @ np.diag([0.0, 1.0, 2.0, 3.0]) @ Q.T
    assert L.Quadratic(A).dim == 4


# ----------------------------------------------------------------------------------------
# finite sums
# ----------------------------------------------------------------------------------------
FINITE_SUMS = [
    pytest.param(lambda: L.StochasticQuadratic([0.2, 1.8], 1), 1, id="sq-1d"),
    pytest.param(lambda: L.StochasticQuadratic(SQ_CURVATURES, 2, center=[1.0, -1.0]), 2,
                 id="sq-nd"),
    pytest.param(lambda: L.FiniteSumWells([0.5, 3.0, 1.5, 0.7], [0.2, 0.1, 0.3, 0.2]), 1,
                 id="wells"),
]


def _component_grads(land, x):
    """Every component gradient at ``x`` (n, dim): shape (N, n, dim)."""
    idx = np.zeros((x.shape[0], 1), dtype=np.int64)
    return np.stack([land.batch_grad(x, idx + i) for i in range(land.n_components)])


@pytest.mark.parametrize("factory, dim", FINITE_SUMS)
def test_batch_grad_full_batch_and_subset_mean(factory, dim):
    land = factory()
    N = land.n_components
    x = sample_points(dim, np.full(dim, 0.4), n=5)
    comps = _component_grads(land, x)
    # Sums of N terms agree to ~N ulps of sum |terms|; 8 N eps sum|terms| / N leaves room.
    tol = 8 * N * EPS * np.abs(comps).mean(axis=0) + 1e-300
    g = land.grad(x)
    full = np.tile(np.arange(N), (x.shape[0], 1))
    assert np.all(np.abs(land.batch_grad(x, full) - g) <= tol)
    reversed_ = full[:, ::-1]
    assert np.all(np.abs(land.batch_grad(x, reversed_) - g) <= tol)
    # every batch is equally likely, so the mean over all subsets of size B is the gradient
    for B in range(1, N + 1):
        subsets = list(itertools.combinations(range(N), B))
        mean = np.mean([land.batch_grad(x, np.tile(s, (x.shape[0], 1))) for s in subsets], axis=0)
        assert np.all(np.abs(mean - g) <= 2 * tol), B


@pytest.mark.parametrize("factory, dim", FINITE_SUMS)
def test_batch_grad_summation_order(factory, dim):
    """The documented order (s += term for b in order; then s / B) is followed exactly."""
    land = factory()
    rng = np.random.default_rng(3)
    x = sample_points(dim, np.full(dim, -0.3), n=7)
    B = land.batch_size
    idx = np.stack([rng.permutation(land.n_components)[:B] for _ in range(x.shape[0])])
    comps = _component_grads(land, x)
    s = 0.0
    for b in range(B):
        s = s + comps[idx[:, b], np.arange(x.shape[0])]
    if isinstance(land, L.StochasticQuadratic):  # (sum of curvatures / B) * (x - m)
        K = land.component_curvatures
        s = 0.0
        for b in range(B):
            s = s + K[idx[:, b], :]
        np.testing.assert_array_equal(land.batch_grad(x, idx), (s / B) * (x - land.minima[0]))
    else:
        np.testing.assert_array_equal(land.batch_grad(x, idx), s / B)


def test_batch_grad_rejects_bad_indices():
    land = L.StochasticQuadratic([0.2, 1.8], 1)
    x = np.zeros((2, 1))
    with pytest.raises(ValueError, match="idx"):
        land.batch_grad(x, np.array([[0], [2]]))
    with pytest.raises(ValueError, match="idx"):
        land.batch_grad(x, np.array([0, 1]))
    with pytest.raises(TypeError, match="idx"):
        land.batch_grad(x, np.array([[0.0], [1.0]]))
    with pytest.raises(ValueError, match="x must have shape"):
        land.batch_grad(np.zeros((2, 2)), np.array([[0], [1]]))


def test_stochastic_quadratic_moments_and_patel():
    sq = L.StochasticQuadratic(SQ_CURVATURES, 2, center=[1.0, -1.0])
    np.testing.assert_allclose(sq.mean_curvature, SQ_CURVATURES.mean(axis=0), rtol=1e-15)
    np.testing.assert_allclose(sq.curvature_variance, SQ_CURVATURES.var(axis=0), rtol=1e-15)
    assert sq.n_components == 4 and sq.batch_size == 2 and sq.dim == 2
    np.testing.assert_array_equal(sq.hess(np.zeros(2)), np.diag(sq.mean_curvature))
    q, b = sq.patel_args(1)
    np.testing.assert_array_equal(q, SQ_CURVATURES[:, 1])
    assert b == 2
    th = sq.patel_thresholds(0)
    assert th["c_ms"].value == patel.c_ms(SQ_CURVATURES[:, 0], 2).value
    assert th["c_gd"].value == pytest.approx(2 / 1.25, rel=1e-15)
    with pytest.raises(ValueError, match="q must be >= 0"):  # coordinate 1 has -0.2
        sq.patel_thresholds(1)
    with pytest.raises(ValueError, match="coordinate"):
        sq.patel_args(2)
    # THEORY.md §2's example
    ex = L.StochasticQuadratic([0.2, 1.8], 1).patel_thresholds()
    assert round(ex["c_ms"].value, 4) == 1.2195 and round(ex["c_as"].value, 4) == 1.3079


def test_finite_sum_wells_components_and_local_models():
    ka, kb = np.array([0.5, 3.0, 1.5, 0.7]), np.array([0.2, 0.1, 0.3, 0.2])
    for a, b in [(-1.0, 1.0), (2.0, -0.5)]:
        fw = L.FiniteSumWells(ka, kb, minimizers=(a, b), batch_size=3)
        i = np.arange(4)
        for m, k in [(a, ka), (b, kb)]:
            pt = np.array([m])
            np.testing.assert_array_equal(fw.component_value(pt, i), 0.0)  # interpolation
            np.testing.assert_array_equal(fw.component_grad(pt, i)[:, 0], 0.0)  # fixed point
            # f_i''(m) = k_i: a polynomial identity; a few ulps of rounding
            np.testing.assert_allclose(fw.component_hess(pt, i)[:, 0, 0], k, rtol=1e-14)
        # every component is >= 0 on a grid spanning both minimisers
        xs = np.linspace(min(a, b) - 2, max(a, b) + 2, 2001)[:, None]
        assert np.all(fw.component_value(xs[:, None, :], i[None, :]) >= 0)
        # the maximum lies strictly inside, in the middle third, and separates the basins
        (xmax,) = fw.basin_edges
        t = (xmax - a) / (b - a)
        assert 1 / 3 < t < 2 / 3
        assert fw.maxima[0, 0] == xmax
        lo, hi = fw.basin_interval(np.array([a, b]))
        assert np.all((lo < [a, b]) & ([a, b] < hi))
        np.testing.assert_allclose(fw.radii, np.abs(np.array([a, b]) - xmax))
        # local models: exact second-order models
        for which, m, k in [(0, a, ka), (1, b, kb), (a, a, ka), (b, b, kb)]:
            model = fw.local_model(which)
            assert isinstance(model, L.StochasticQuadratic)
            assert model.batch_size == 3 and model.minima[0, 0] == m
            np.testing.assert_array_equal(model.component_curvatures[:, 0], k)
            np.testing.assert_allclose(model.hess(np.array([m]))[0, 0],
                                       fw.hess(np.array([m]))[0, 0], rtol=1e-14)
            # f(m + d) = f''(m) d^2/2 + O(d^3): relative error O(d); |f'''|/f'' < 60 here
            d = 1e-4
            assert fw.value(np.array([m + d])) == pytest.approx(
                model.value(np.array([m + d])), rel=60 * d)
        th = fw.patel_thresholds(0)
        assert th["c_ms"].value == patel.c_ms(ka, 3).value
    fw = L.FiniteSumWells(ka, 0.1)
    np.testing.assert_array_equal(fw.flat, np.full(4, 0.1))
    for bad in (2, -1, 0.5, "a"):
        with pytest.raises(ValueError, match="which"):
            fw.local_model(bad)


# ----------------------------------------------------------------------------------------
# (L0, L1) family
# ----------------------------------------------------------------------------------------
def points_1d(R, n=100_000):
    return np.linspace(-R, R, n)[:, None]


def points_3d(R, seed=0):
    """Rays r u for 2000 radii in [1e-3, R] along the coordinate axes, the diagonal and
    5 random directions: ~20k points in 3-D."""
    rng = np.random.default_rng(seed)
    dirs = np.vstack([np.eye(3), -np.eye(3), np.ones(3), rng.standard_normal((5, 3))])
    dirs /= np.linalg.norm(dirs, axis=1, keepdims=True)
    r = np.geomspace(1e-3, R, 2000)
    return (r[:, None, None] * dirs[None]).reshape(-1, 3)


def hess_and_grad_norms(land, x):
    H = land.hess(x)
    hn = np.abs(np.linalg.eigvalsh(H)).max(axis=-1)  # operator norm of a symmetric matrix
    g = land.grad(x)
    m = np.abs(g).max(axis=-1, keepdims=True)  # scale first: squares of 1e297 overflow
    gn = m[:, 0] * np.linalg.norm(g / np.where(m > 0, m, 1.0), axis=-1)
    return hn, gn


# (factory, points, tight): tight means that 0.9 L1 (or 0.9 L0 when L1 = 0) must fail.
# Boxes reach large gradients: e^{40} for cosh, e^{40} for Exp(0.5) on [-80, 80], and
# ||Ax|| far beyond the quartic's critical radius 2 a_max^2 / (L1 a_min).
L0L1_CASES = [
    pytest.param(lambda: L.Cosh(), points_1d(40.0), True, id="cosh-1d"),
    pytest.param(lambda: L.Cosh(dim=3), points_3d(40.0), True, id="cosh-3d"),
    pytest.param(lambda: L.Exp(0.5), points_1d(80.0), True, id="exp-1d"),
    pytest.param(lambda: L.Exp(-2.0, dim=3), points_3d(20.0), True, id="exp-3d"),
    pytest.param(lambda: L.Quartic(2.0, L1=1.0), points_1d(20.0), True, id="quartic-1d"),
    pytest.param(lambda: L.Quartic(1.0, L1=3.0, dim=3), points_3d(20.0), True, id="quartic-iso-3d"),
    # unequal a: the declared L0 uses a_max for the Hessian and a_min for the gradient, so
    # it is valid but not tight
    pytest.param(lambda: L.Quartic([0.5, 1.0, 2.0], L1=1.0), points_3d(50.0), False,
                 id="quartic-diag-3d"),
    pytest.param(lambda: L.LogCosh(), points_1d(40.0), True, id="log-cosh-1d"),
    pytest.param(lambda: L.LogCosh(dim=3), points_3d(40.0), True, id="log-cosh-3d"),
    pytest.param(lambda: L.Logistic(), points_1d(40.0), True, id="logistic-1d"),
    pytest.param(lambda: L.Logistic(dim=3), points_3d(40.0), True, id="logistic-3d"),
]

# hess and grad are each a few ulps from exact, so a true inequality can fail by ~1e-15
# relative at worst; 1e-12 keeps a margin of 1000.
SLACK = 1e-12


@pytest.mark.parametrize("factory, x, tight", L0L1_CASES)
def test_l0l1_bound_holds_and_is_tight(factory, x, tight):
    land = factory()
    L0, L1 = land.l0l1
    assert theory_l0l1.constants_of(land) == (L0, L1)
    hn, gn = hess_and_grad_norms(land, x)
    assert np.all(np.isfinite(hn)) and np.all(np.isfinite(gn))
    assert np.all(hn <= (L0 + L1 * gn) * (1 + SLACK)), np.max(hn - (L0 + L1 * gn))
    if tight:
        smaller = (L0, 0.9 * L1) if L1 > 0 else (0.9 * L0, L1)
        assert np.any(hn > (smaller[0] + smaller[1] * gn) * (1 + SLACK))


def test_l0l1_agrees_with_the_theory_table():
    dl = theory_l0l1.declared_l0l1
    assert L.Cosh(dim=4).l0l1 == dl("cosh")
    assert L.Exp(-0.7).l0l1 == dl("exp", k=-0.7)
    assert L.Quartic(1.0, L1=2.0).l0l1 == dl("quartic", L1=2.0)
    assert L.Quartic([1.0, 3.0], L1=2.0).l0l1 == dl("quartic_diag", a=[1.0, 3.0], L1=2.0)
    assert L.LogCosh().l0l1 == dl("log_cosh")
    assert L.Logistic().l0l1 == dl("logistic")
    assert L.ExpSquare().l0l1 is None
    r = theory_l0l1.zhang_clipped_gd(*theory_l0l1.constants_of(L.Cosh()), 1.0, 0.1)
    assert r.eta == pytest.approx(0.1)
    with pytest.raises(ValueError, match="ExpSquare has no"):
        theory_l0l1.constants_of(L.ExpSquare())
    with pytest.raises(ValueError, match="declares no"):
        theory_l0l1.constants_of(L.Quadratic(1.0))


def test_exp_square_has_no_l0l1():
    land = L.ExpSquare()
    # The landscape's own hess and grad, where exp(x^2) is finite (|x| <= 26): the ratio
    # hess / |grad| = (2 + 4x^2)/(2|x|) reaches 52.04, so every L1 < 52 fails, whatever L0.
    x = points_1d(26.0)
    hn, gn = hess_and_grad_norms(land, x)
    for L0, L1 in itertools.product([1.0, 1e3, 1e6], [1.0, 10.0, 50.0]):
        assert np.any(hn > (L0 + L1 * gn) * (1 + SLACK)), (L0, L1)
    # Beyond |x| = 26 exp(x^2) overflows, so L1 up to 100 is checked in log space with the
    # closed forms (which the finite-difference tests tie to the code):
    # log hess = log(2 + 4x^2) + x^2, log |grad| = log(2|x|) + x^2.
    t = np.linspace(0.5, 60.0, 100_000)
    log_h = np.log(2 + 4 * t**2) + t**2
    log_g = np.log(2 * t) + t**2
    for L0, L1 in itertools.product([1.0, 1e3, 1e6], [1.0, 10.0, 50.0, 100.0]):
        assert np.any(log_h > np.logaddexp(np.log(L0), np.log(L1) + log_g) + SLACK), (L0, L1)


def test_stable_evaluations_at_large_arguments():
    with np.errstate(over="raise", invalid="raise", divide="raise"):  # underflow is fine
        lc = L.LogCosh()
        assert float(lc.value(np.array([1000.0]))) == pytest.approx(1000.0 - math.log(2), rel=1e-15)
        assert float(lc.hess(np.array([1000.0]))[0, 0]) == 0.0
        lg = L.Logistic()
        assert float(lg.value(np.array([-1000.0]))) == pytest.approx(1000.0, rel=1e-15)
        assert float(lg.value(np.array([1000.0]))) == 0.0
        assert float(lg.grad(np.array([-1000.0]))[0]) == -1.0


# ----------------------------------------------------------------------------------------
# Custom
# ----------------------------------------------------------------------------------------
def plain_value(x):
    return float(np.sum(x**2))


@numba.njit(cache=False)
def wrong_shape_grad(x):
    return x[:1].copy()


@numba.njit(cache=False)
def array_value(x):
    return x * 2.0


def test_custom_defaults():
    land = L.Custom(quartic_value, quartic_grad, dim=2)
    assert land.minima.shape == (0, 2) and land.maxima.shape == (0, 2)
    assert math.isnan(land.f_star)
    # without a user Hessian: central differences of grad (~8 digits)
    x = np.array([[0.5, -1.5], [2.0, 0.1]])
    np.testing.assert_allclose(land.hess(x), [np.diag(3 * r**2 - 1) for r in x], rtol=1e-7,
                               atol=1e-7)
    one = L.Custom(quartic_value, quartic_grad, dim=1, minima=[-1.0, 1.0])
    assert one.minima.shape == (2, 1) and one.f_star == -0.25


# ----------------------------------------------------------------------------------------
# validation: every constructor rejects bad parameters, naming the parameter
# ----------------------------------------------------------------------------------------
nan, inf = float("nan"), float("inf")
BAD = [
    (lambda: L.Quadratic(nan), ValueError, "curvature"),
    (lambda: L.Quadratic(-1.0), ValueError, "curvature"),
    (lambda: L.Quadratic([1.0, -2.0]), ValueError, "curvature"),
    (lambda: L.Quadratic([[1.0, 2.0], [0.0, 1.0]]), ValueError, "curvature must be symmetric"),
    (lambda: L.Quadratic([[1.0, 2.0], [2.0, 1.0]]), ValueError,
     "curvature must be positive semi-definite"),
    (lambda: L.Quadratic(np.ones((2, 3))), ValueError, "curvature must be a square"),
    (lambda: L.Quadratic(np.ones((2, 2, 2))), ValueError, "curvature must have ndim"),
    (lambda: L.Quadratic([[1.0, nan], [nan, 1.0]]), ValueError, "curvature"),
    (lambda: L.Quadratic(np.eye(2), center=[0.0, 0.0, 0.0]), ValueError, "center"),
    (lambda: L.StochasticQuadratic([0.2, 1.8], batch_size=3), ValueError, "batch_size"),
    (lambda: L.StochasticQuadratic([0.2, 1.8], batch_size=0), ValueError, "batch_size"),
    (lambda: L.StochasticQuadratic([0.2, 1.8], batch_size=1.5), TypeError, "batch_size"),
    (lambda: L.StochasticQuadratic([-1.0, 0.5], 1), ValueError, "curvatures must have a mean"),
    (lambda: L.StochasticQuadratic([nan, 1.0], 1), ValueError, "curvatures"),
    (lambda: L.StochasticQuadratic([], 1), ValueError, "curvatures"),
    (lambda: L.StochasticQuadratic(np.ones((2, 2, 2)), 1), ValueError, "curvatures"),
    (lambda: L.StochasticQuadratic(1.0, 1), ValueError, "curvatures"),
    (lambda: L.StochasticQuadratic(np.ones((3, 2)), 1, center=[0.0, 0.0, 0.0]), ValueError,
     "center"),
    (lambda: L.FiniteSumWells([0.0, 1.0], 1.0), ValueError, "sharp_curvatures"),
    (lambda: L.FiniteSumWells([nan], 1.0), ValueError, "sharp_curvatures"),
    (lambda: L.FiniteSumWells(5.0, 1.0), ValueError, "sharp_curvatures"),
    (lambda: L.FiniteSumWells([1.0], -1.0), ValueError, "flat_curvatures"),
    (lambda: L.FiniteSumWells([1.0, 2.0], [1.0, 2.0, 3.0]), ValueError, "flat_curvatures"),
    (lambda: L.FiniteSumWells([1.0], 1.0, minimizers=(1.0, 1.0)), ValueError, "minimizers"),
    (lambda: L.FiniteSumWells([1.0], 1.0, minimizers=(nan, 1.0)), ValueError, "minimizers"),
    (lambda: L.FiniteSumWells([1.0], 1.0, minimizers=1.0), TypeError, "minimizers"),
    (lambda: L.FiniteSumWells([1.0, 2.0], 1.0, batch_size=3), ValueError, "batch_size"),
    (lambda: L.DoubleWell(dim=0), ValueError, "dim"),
    (lambda: L.MultiWell([]), ValueError, "critical_points"),
    (lambda: L.Cosh(dim=0), ValueError, "dim"),
    (lambda: L.Cosh(dim=1.5), TypeError, "dim"),
    (lambda: L.Exp(0.0), ValueError, "k must be nonzero"),
    (lambda: L.Exp(nan), ValueError, "k"),
    (lambda: L.Exp(inf), ValueError, "k"),
    (lambda: L.Exp("1"), TypeError, "k"),
    (lambda: L.Exp(1.0, dim=0), ValueError, "dim"),
    (lambda: L.Quartic(0.0), ValueError, "a must be > 0"),
    (lambda: L.Quartic([1.0, -1.0]), ValueError, "a must be > 0"),
    (lambda: L.Quartic([]), ValueError, "a must not be empty"),
    (lambda: L.Quartic(1.0, L1=0.0), ValueError, "L1"),
    (lambda: L.Quartic(1.0, L1=nan), ValueError, "L1"),
    (lambda: L.Quartic([1.0, 2.0], dim=3), ValueError, "dim"),
    (lambda: L.LogCosh(dim=-1), ValueError, "dim"),
    (lambda: L.Logistic(dim=0), ValueError, "dim"),
    (lambda: L.ExpSquare(dim=0), ValueError, "dim"),
    (lambda: L.Custom(plain_value, quartic_grad, dim=2), TypeError, "value .*numba.njit"),
    (lambda: L.Custom(quartic_value, lambda x: x, dim=2), TypeError, "grad .*numba.njit"),
    (lambda: L.Custom(quartic_value, wrong_shape_grad, dim=2), ValueError,
     r"grad must return a float64 array of shape \(2,\)"),
    (lambda: L.Custom(array_value, quartic_grad, dim=2), ValueError,
     "value must return a real number"),
    (lambda: L.Custom(quartic_value, quartic_grad, dim=0), ValueError, "dim"),
    (lambda: L.Custom(quartic_value, quartic_grad, dim=2, minima=[[0.0, 0.0, 0.0]]), ValueError,
     "minima"),
    (lambda: L.Custom(quartic_value, quartic_grad, dim=2, maxima=[nan, 0.0]), ValueError,
     "maxima"),
    (lambda: L.Custom(quartic_value, quartic_grad, dim=2, f_star=nan), ValueError, "f_star"),
    (lambda: L.Custom(quartic_value, quartic_grad, dim=2, hess=lambda x: np.eye(3)), ValueError,
     "hess"),
]


@pytest.mark.parametrize("make, exc, match", BAD, ids=[f"bad{i}" for i in range(len(BAD))])
def test_constructors_reject_bad_parameters(make, exc, match):
    with pytest.raises(exc, match=match):
        make()
