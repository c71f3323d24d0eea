"""Optimiser transforms: invariants of the NumPy reference, lowering layout, validation.

No simulation here: these tests exercise ``simsgd.optimizers`` alone.
"""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from simsgd import optimizers as O
from simsgd._kernels import codes as C

from registry_optimizers import OPTIMIZERS

NAN, INF = float("nan"), float("inf")
HEAD = 1 + C.N_SLOTS * C.SLOT_P

# zero, or magnitudes whose squares neither underflow nor overflow
finite = st.one_of(st.just(0.0), st.floats(1e-100, 1e6), st.floats(-1e6, -1e-100))
vectors = st.integers(1, 8).flatmap(
    lambda d: hnp.arrays(np.float64, st.tuples(st.integers(1, 5), st.just(d)), elements=finite))
levels = st.floats(1e-3, 1e3)


def norms(u):
    return np.sqrt(np.sum(u * u, axis=1))


# --------------------------------------------------------------------------------------
# Stateless invariants
# --------------------------------------------------------------------------------------

@settings(deadline=None)
@given(v=vectors, c=levels)
def test_clip_by_norm_bounds_the_norm(v, c):
    u = O.chain(O.clip_by_norm(c)).apply(v)
    assert np.all(norms(u) <= c * (1 + 1e-15))
    small = np.sum(v * v, axis=1) <= c * c * (1 - 1e-12)
    np.testing.assert_array_equal(u[small], v[small])  # short vectors are left alone


@settings(deadline=None)
@given(v=vectors, c=levels)
def test_clipping_twice_is_clipping_once(v, c):
    once = O.chain(O.clip_by_norm(c)).apply(v)
    np.testing.assert_allclose(O.chain(O.clip_by_norm(c), O.clip_by_norm(c)).apply(v), once,
                               rtol=1e-15, atol=0)
    once = O.chain(O.clip_coordinates(c)).apply(v)
    np.testing.assert_array_equal(O.chain(O.clip_coordinates(c), O.clip_coordinates(c)).apply(v),
                                  once)
    assert np.all(np.abs(once) <= c)


def test_clip_by_norm_in_1d_is_a_clamp():
    v = np.array([[-3.0], [-0.5], [0.0], [2.0], [7.0]])
    np.testing.assert_array_equal(O.chain(O.clip_by_norm(1.0)).apply(v), np.clip(v, -1, 1))
    np.testing.assert_array_equal(O.truncated_sgd(0.5, 1.0).apply(v), np.clip(-0.5 * v, -1, 1))


def test_clip_then_scale_equals_scale_then_truncate_when_b_is_eta_c():
    v = np.random.default_rng(0).standard_normal((50, 3)) * 3
    np.testing.assert_allclose(O.clipped_sgd(0.1, 2.0).apply(v), O.truncated_sgd(0.1, 0.2).apply(v),
                               rtol=1e-14)


@settings(deadline=None)
@given(v=vectors)
def test_sign_gives_minus_one_zero_or_one(v):
    u = O.chain(O.sign()).apply(v)
    assert set(np.unique(u)) <= {-1.0, 0.0, 1.0}
    np.testing.assert_array_equal(u, np.sign(v))
    np.testing.assert_array_equal(O.signsgd(0.3).apply(v), -0.3 * np.sign(v))


@settings(deadline=None)
@given(v=vectors)
def test_normalize_gives_unit_norm_or_zero(v):
    u = O.chain(O.normalize()).apply(v)
    assert np.all(np.isfinite(u))
    n = norms(u)
    zero = np.all(v == 0, axis=1)
    np.testing.assert_array_equal(u[zero], 0.0)
    np.testing.assert_allclose(n[~zero], 1.0, rtol=1e-14)


def test_normalize_with_eps_and_zero_vector():
    v = np.array([[3.0, 4.0], [0.0, 0.0]])
    np.testing.assert_array_equal(O.chain(O.normalize(1.0)).apply(v), [[0.5, 4 / 6], [0.0, 0.0]])
    np.testing.assert_array_equal(O.normalized_sgd(0.1).apply(v),
                                  [[-0.1 * 0.6, -0.1 * 0.8], [0, 0]])


def test_apply_refuses_stateful_chains_and_keeps_the_shape():
    with pytest.raises(TypeError, match="momentum"):
        O.sgdm(0.1, 0.9).apply(np.ones((2, 2)))
    with pytest.raises(TypeError, match="polyak"):
        O.polyak_sgd(0.0).apply(np.ones((2, 2)))
    assert O.sgd(0.5).apply(np.ones(3)).shape == (3,)
    assert O.sgd(0.5).apply(2.0) == -1.0


# --------------------------------------------------------------------------------------
# Momentum
# --------------------------------------------------------------------------------------

@pytest.mark.parametrize("nesterov", [False, True])
def test_momentum_zero_is_no_momentum_bit_for_bit(nesterov):
    rng = np.random.default_rng(1)
    a = O.chain(O.momentum(0.0, nesterov), O.scale(0.1)).reference(7, 3)
    b = O.chain(O.scale(0.1)).reference(7, 3)
    for k in range(20):
        g = rng.standard_normal((7, 3)) * 10.0 ** rng.integers(-5, 5)
        np.testing.assert_array_equal(a.step(g, None, None, k), b.step(g, None, None, k))
    np.testing.assert_array_equal(a.eta, b.eta)


def test_momentum_is_heavy_ball_and_nesterov():
    g = np.array([[1.0], [2.0], [4.0]])
    hb = O.sgdm(1.0, 0.5).reference(1, 1)
    nv = O.sgdm(1.0, 0.5, nesterov=True).reference(1, 1)
    m, out_hb, out_nv = 0.0, [], []
    for k, gk in enumerate(g):
        m = 0.5 * m + gk[0]
        out_hb.append(-m)
        out_nv.append(-(gk[0] + 0.5 * m))
        assert hb.step(gk[None], None, None, k)[0, 0] == out_hb[-1]
        assert nv.step(gk[None], None, None, k)[0, 0] == out_nv[-1]


def test_reset_zeroes_the_state_of_given_rows():
    ref = O.sgdm(1.0, 0.9).reference(3, 2)
    g = np.ones((3, 2))
    ref.step(g, None, None, 0)
    ref.reset([1])
    u = ref.step(g, None, None, np.array([1, 0, 1]))
    np.testing.assert_array_equal(u, [[-1.9, -1.9], [-1.0, -1.0], [-1.9, -1.9]])
    assert np.isnan(O.chain(O.clip_by_norm(1.0)).reference(2, 2).eta).all()
    ref = O.chain(O.clip_by_norm(1.0)).reference(2, 2)
    ref.step(g[:2], None, None, 0)
    assert np.isnan(ref.eta).all()  # no step size in the chain


# --------------------------------------------------------------------------------------
# Schedules against their closed forms
# --------------------------------------------------------------------------------------

KS = [0, 1, 2, 7, 19, 20, 21, 99, 100, 101, 1000, 10**6]
SCHEDULES = [
    pytest.param(O.inverse_time(0.3, 10.0), lambda k: 0.3 / (1 + k / 10.0), id="inverse_time"),
    pytest.param(O.cosine(0.3, 100, eta_min=0.01),
                 lambda k: 0.01 + 0.29 * (1 + math.cos(math.pi * min(k, 100) / 100)) / 2,
                 id="cosine"),
    pytest.param(O.cosine(0.3, 20), lambda k: 0.3 * (1 + math.cos(math.pi * min(k, 20) / 20)) / 2,
                 id="cosine_to_zero"),
    pytest.param(O.step_decay(0.3, 20, 0.5), lambda k: 0.3 * 0.5 ** (k // 20), id="step_decay"),
    pytest.param(O.warmup(0.3, 20), lambda k: 0.3 * min(1.0, (k + 1) / 20), id="warmup"),
    pytest.param(O.schedule([0.3, 0.2, 0.1]), lambda k: [0.3, 0.2, 0.1][min(k, 2)], id="array"),
    pytest.param(O.schedule([0.25]), lambda k: 0.25, id="array_of_one"),
]


@pytest.mark.parametrize("transform, closed_form", SCHEDULES)
def test_schedule_matches_its_closed_form(transform, closed_form):
    ref = O.chain(transform).reference(len(KS), 2)
    g = np.tile([[1.0, -2.0]], (len(KS), 1))
    u = ref.step(g, None, None, np.array(KS))
    want = np.array([closed_form(k) for k in KS])
    np.testing.assert_allclose(ref.eta, want, rtol=1e-14, atol=1e-300)
    np.testing.assert_allclose(u, -want[:, None] * g, rtol=1e-14, atol=1e-300)


def test_schedule_holds_its_last_value_and_records_the_last_step_size():
    ref = O.chain(O.schedule([0.5, 0.4]), O.scale(2.0)).reference(3, 1)
    u = ref.step(np.ones((3, 1)), None, None, np.array([0, 1, 5000]))
    np.testing.assert_array_equal(u[:, 0], [1.0, 0.8, 0.8])  # two negations
    np.testing.assert_array_equal(ref.eta, 2.0)  # the last step-setting transform wins


# --------------------------------------------------------------------------------------
# Adaptive steps
# --------------------------------------------------------------------------------------

def test_adagrad_norm_rate_decreases_and_matches_closed_form():
    rng = np.random.default_rng(2)
    ref = O.adagrad_norm_sgd(0.5, 2.0).reference(4, 3)
    b2 = np.full(4, 4.0)
    prev = np.full(4, np.inf)
    for k in range(30):
        g = rng.standard_normal((4, 3))
        u = ref.step(g, None, None, k)
        b2 = b2 + np.sum(g * g, axis=1)
        np.testing.assert_allclose(ref.eta, 0.5 / np.sqrt(b2), rtol=1e-14)
        np.testing.assert_allclose(u, -ref.eta[:, None] * g, rtol=1e-14)
        assert np.all(ref.eta < prev)
        prev = ref.eta.copy()
    assert np.all(prev < 0.5 / 2.0)


def test_adagrad_norm_clip_accumulates_the_clipped_norm():
    # adaptive clipping: b^2 grows by min(||g||^2, c^2) = ||clip_c(g)||^2, and the step is
    # -(eta/b) clip_c(g); with c = inf it is plain AdaGrad-Norm bit for bit
    rng = np.random.default_rng(3)
    c = 1.5
    ref = O.adaptive_clipped_sgd(0.5, 2.0, c).reference(4, 3)
    plain = O.adagrad_norm_sgd(0.5, 2.0).reference(4, 3)
    unclipped = O.chain(O.adagrad_norm(0.5, 2.0, clip=np.inf)).reference(4, 3)
    b2 = np.full(4, 4.0)
    n_clipped = 0
    for k in range(30):
        g = 1.5 * rng.standard_normal((4, 3))
        n2 = np.sum(g * g, axis=1)
        n_clipped += int(np.sum(n2 > c * c))
        u = ref.step(g, None, None, k)
        b2 = b2 + np.minimum(n2, c * c)
        v = g * np.minimum(1.0, c / np.sqrt(n2))[:, None]
        np.testing.assert_allclose(ref.eta, 0.5 / np.sqrt(b2), rtol=1e-14)
        np.testing.assert_allclose(u, -ref.eta[:, None] * v, rtol=1e-14)
        np.testing.assert_array_equal(unclipped.step(g, None, None, k), plain.step(g, None, None, k))
    assert 0 < n_clipped < 4 * 30  # both branches were exercised


def test_adagrad_norm_clip_repr_and_validation():
    assert repr(O.adagrad_norm(0.5, 2.0)) == "adagrad_norm(eta=0.5, b0=2.0)"
    assert repr(O.adagrad_norm(0.5, 2.0, clip=3.0)) == "adagrad_norm(eta=0.5, b0=2.0, clip=3.0)"
    for bad in (0.0, -1.0, float("nan")):
        with pytest.raises(ValueError, match="clip"):
            O.adagrad_norm(0.5, 2.0, clip=bad)


def test_polyak_step():
    ref = O.polyak_sgd(1.0, eta_max=2.0).reference(4, 2)
    g = np.array([[3.0, 4.0], [3.0, 4.0], [0.0, 0.0], [0.1, 0.0]])
    fx = np.array([26.0, 0.5, 5.0, 10.0])
    u = ref.step(g, np.zeros((4, 2)), fx, 0)
    np.testing.assert_array_equal(ref.eta, [1.0, 0.0, 0.0, 2.0])  # plain, f < f*, g = 0, capped
    np.testing.assert_array_equal(u, -ref.eta[:, None] * g)
    with pytest.raises(ValueError, match="fx"):
        ref.step(g, None, None, 1)


@settings(deadline=None, max_examples=50)
@given(gs=hnp.arrays(np.float64, (12, 3, 4), elements=st.floats(-1e3, 1e3, allow_subnormal=False)),
       eta0=st.floats(1e-3, 1.0))
def test_norm_ratio_keeps_the_step_length(gs, eta0):
    """Alone in a chain, the norm ratio is normalised SGD in disguise."""
    gs = gs + 1e-3 * np.sign(gs) + (gs == 0) * 1e-3  # no zero gradient
    ref = O.adaptive_sgd("norm_ratio", eta0).reference(3, 4)
    length0 = eta0 * norms(gs[0])
    for k, g in enumerate(gs):
        u = ref.step(g, None, None, k)
        np.testing.assert_allclose(norms(u), length0, rtol=1e-12)


def test_norm_ratio_moves_inversely_to_the_gradient_norm_and_keeps_eta_at_zero_gradient():
    ref = O.chain(O.norm_ratio(0.1)).reference(1, 1)
    etas = []
    for k, g in enumerate([2.0, 1.0, 4.0, 0.0, 1.0]):
        ref.step(np.array([[g]]), None, None, k)
        etas.append(ref.eta[0])
    assert etas[:4] == [0.1, 0.2, 0.05, 0.05]  # eta0, doubled, quartered, kept at g = 0


@pytest.mark.parametrize("rule", ["secant", "bb"])
def test_secant_and_bb_find_the_inverse_curvature_of_a_quadratic(rule):
    a = np.array([0.5, 1.0, 3.0, 100.0, 1e-3])
    ref = O.adaptive_sgd(rule, 0.01).reference(a.size, 1)
    x = np.ones((a.size, 1))
    for k in range(5):
        g = a[:, None] * x
        u = ref.step(g, x, 0.5 * a * x[:, 0] ** 2, k)
        if k == 0:
            np.testing.assert_array_equal(ref.eta, 0.01)
        else:
            # exact up to the cancellation in y = g_k - g_{k-1} (relative 1e-11 at a = 1e-3)
            np.testing.assert_allclose(ref.eta, 1 / a, rtol=1e-9)
        x = x + u


def test_bb_and_secant_safeguards_keep_the_previous_eta():
    x0, x1 = np.array([[0.0, 0.0]]), np.array([[1.0, 0.0]])
    for t in (O.secant(0.2), O.barzilai_borwein(0.2)):
        ref = O.chain(t).reference(1, 2)
        ref.step(np.array([[1.0, 1.0]]), x0, None, 0)
        ref.step(np.array([[1.0, 1.0]]), x1, None, 1)  # y = 0: ratio not finite / <s,y> = 0
        assert ref.eta[0] == 0.2
    ref = O.chain(O.barzilai_borwein(0.2)).reference(1, 2)
    ref.step(np.array([[1.0, 1.0]]), x0, None, 0)
    ref.step(np.array([[0.0, 1.0]]), x1, None, 1)  # <s, y> = -1 < 0
    assert ref.eta[0] == 0.2
    ref.step(np.array([[-1.0, 1.0]]), x0, None, 2)  # s = (-1, 0), y = (-1, 0): eta = 1
    assert ref.eta[0] == 1.0


def test_adaptive_rules_read_the_raw_gradient_after_momentum_and_sign():
    g = np.array([[2.0, 0.0]])
    for base in ("sgdm", "signsgd"):
        ref = O.adaptive_sgd("norm_ratio", 0.1, base=base, beta=0.5).reference(1, 2)
        ref.step(g, None, None, 0)
        u = ref.step(2 * g, None, None, 1)
        assert ref.eta[0] == 0.05  # halved: ||g|| doubled, whatever v was
        v = [[4.0 + 0.5 * 2.0, 0.0]] if base == "sgdm" else [[1.0, 0.0]]
        np.testing.assert_array_equal(u, -0.05 * np.array(v))


# --------------------------------------------------------------------------------------
# Lowering
# --------------------------------------------------------------------------------------

def test_lower_layout():
    opt = O.chain(O.momentum(0.9, nesterov=True), O.schedule([0.3, 0.2, 0.1]),
                  O.adagrad_norm(0.5, 2.0), O.secant(0.05), O.schedule([1.0, 0.5]),
                  O.norm_ratio(0.07))
    codes, p = opt._lower(4)
    assert codes == (C.T_MOMENTUM, C.T_SCHEDULE, C.T_ADAGRAD_NORM, C.T_SECANT, C.T_SCHEDULE,
                     C.T_NORM_RATIO)
    assert p.dtype == np.float64 and p.shape == (HEAD + 5,)
    blocks = p[1:HEAD].reshape(C.N_SLOTS, C.SLOT_P)
    assert p[0] == 4 + 0 + 1 + 9 + 0 + 2 == opt.state_rows(4)
    np.testing.assert_array_equal(blocks[:, 5], [0, 4, 4, 5, 14, 14])  # state rows, in order
    np.testing.assert_array_equal(blocks[0, :5], [0.9, 1.0, 0, 0, 0])
    np.testing.assert_array_equal(blocks[1, :5], [C.SCHED_ARRAY, 0, HEAD, 3, 0])
    np.testing.assert_array_equal(blocks[2, :5], [0.5, 2.0, np.inf, 0, 0])  # p2: clip = inf
    np.testing.assert_array_equal(blocks[3, :5], [0.05, 0, 0, 0, 0])
    np.testing.assert_array_equal(blocks[4, :5], [C.SCHED_ARRAY, 0, HEAD + 3, 2, 0])
    np.testing.assert_array_equal(p[HEAD:], [0.3, 0.2, 0.1, 1.0, 0.5])
    for slot in (1, 4):  # the kernel's indexing: opt_p[p2 + min(k, p3 - 1)]
        off, n = int(blocks[slot, 2]), int(blocks[slot, 3])
        assert list(p[off:off + n]) == list(opt.transforms[slot].data)
    codes1, p1 = opt._lower(1)
    assert p1[0] == 1 + 0 + 1 + 3 + 0 + 2


def test_lower_short_chain_pads_with_t_none():
    codes, p = O.truncated_sgd(0.05, 0.5)._lower(3)
    assert codes == (C.T_SCALE, C.T_CLIP_NORM) + (C.T_NONE,) * (C.N_SLOTS - 2)
    assert p.shape == (HEAD,) and p[0] == 0
    expected = np.zeros(HEAD)
    expected[1], expected[1 + C.SLOT_P] = 0.05, 0.5
    np.testing.assert_array_equal(p, expected)
    codes, p = O.chain(O.cosine(0.3, 100, eta_min=0.01))._lower(2)
    np.testing.assert_array_equal(p[1:6], [C.SCHED_COSINE, 0.3, 100, 0.01, 0])
    codes, p = O.polyak_sgd(-1.0)._lower(2)
    np.testing.assert_array_equal(p[1:6], [-1.0, INF, 0, 0, 0])
    with pytest.raises(ValueError, match="dim"):
        O.sgd(0.1)._lower(0)


@pytest.mark.parametrize("opt", OPTIMIZERS)
def test_registry_lowers_and_steps(opt):
    rng = np.random.default_rng(3)
    for dim in (1, 3):
        codes, p = opt._lower(dim)
        assert len(codes) == C.N_SLOTS and p[0] == opt.state_rows(dim)
        ref = opt.reference(5, dim)
        x = rng.standard_normal((5, dim))
        for k in range(10):
            g = x + 0.1 * rng.standard_normal((5, dim))
            u = ref.step(g, x, 0.5 * np.sum(x * x, axis=1), np.full(5, k))
            assert u.shape == (5, dim) and np.all(np.isfinite(u)) and np.all(np.isfinite(ref.eta))
            x = x + u


def test_registry_covers_every_transform_and_alias():
    names = {t.name for row in OPTIMIZERS for t in row.values[0].transforms}
    transforms = {"scale", "clip_by_norm", "clip_coordinates", "truncate_update", "normalize",
                  "sign", "momentum", "inverse_time", "cosine", "step_decay", "warmup",
                  "schedule", "adagrad_norm", "polyak", "norm_ratio", "secant",
                  "barzilai_borwein"}
    assert transforms <= names and transforms <= set(O.__all__)
    ids = {row.id for row in OPTIMIZERS}
    for alias in ("sgd", "truncated_sgd", "clipped_sgd", "normalized_sgd", "sgdm", "signsgd",
                  "adagrad_norm_sgd", "polyak_sgd"):
        assert alias in ids and alias in O.__all__


def test_reprs():
    assert repr(O.sgdm(0.1, 0.9)) == "chain(momentum(beta=0.9, nesterov=False), scale(eta=0.1))"
    assert repr(O.adaptive_sgd("secant", base="sgdm", beta=0.5)) == \
        "chain(momentum(beta=0.5, nesterov=False), secant(eta0=0.01))"
    assert repr(O.chain(O.sign(), O.warmup(0.1, 10))) == \
        "chain(sign(), warmup(eta=0.1, n_warmup=10))"
    assert "100 values" in repr(O.schedule(np.linspace(1, 0.1, 100)))
    assert O.norm_ratio() == O.norm_ratio(0.01)
    assert hash(O.schedule([0.1])) == hash(O.schedule([0.1]))
    for rule in (O.norm_ratio, O.secant, O.barzilai_borwein):
        assert rule().p[0] == O.DEFAULT_ETA0 == 0.01
        assert "our reading, not the paper's formula" in " ".join(rule.__doc__.split())
    assert "normalised SGD in disguise" in " ".join(O.norm_ratio.__doc__.split())


def test_chain_flattens():
    a = O.chain(O.clip_by_norm(1.0), O.sgdm(0.1, 0.5))
    assert [t.name for t in a.transforms] == ["clip_by_norm", "momentum", "scale"]


# --------------------------------------------------------------------------------------
# Validation
# --------------------------------------------------------------------------------------

BAD = {
    "scale NaN": (lambda: O.scale(NAN), ValueError, r"^eta\b.*NaN"),
    "scale zero": (lambda: O.scale(0.0), ValueError, r"^eta must be in \(0"),
    "clip c negative": (lambda: O.clip_by_norm(-1.0), ValueError, r"^c must"),
    "clip_coordinates c NaN": (lambda: O.clip_coordinates(NAN), ValueError, r"^c must"),
    "truncate b zero": (lambda: O.truncate_update(0.0), ValueError, r"^b must"),
    "normalize eps negative": (lambda: O.normalize(-1e-3), ValueError, r"^eps must"),
    "normalize eps NaN": (lambda: O.normalize(NAN), ValueError, r"^eps must"),
    "momentum beta one": (lambda: O.momentum(1.0), ValueError, r"^beta must be in \[0.0, 1.0\)"),
    "momentum beta negative": (lambda: O.momentum(-0.1), ValueError, r"^beta must"),
    "momentum beta NaN": (lambda: O.momentum(NAN), ValueError, r"^beta must"),
    "momentum nesterov": (lambda: O.momentum(0.9, nesterov="yes"), TypeError, r"^nesterov must"),
    "inverse_time t0 zero": (lambda: O.inverse_time(0.1, 0.0), ValueError, r"^t0 must"),
    "inverse_time eta NaN": (lambda: O.inverse_time(NAN, 1.0), ValueError, r"^eta must"),
    "cosine n_steps zero": (lambda: O.cosine(0.1, 0), ValueError, r"^n_steps must"),
    "cosine n_steps float": (lambda: O.cosine(0.1, 10.5), TypeError, r"^n_steps must"),
    "cosine eta_min above eta": (lambda: O.cosine(0.1, 10, eta_min=0.2), ValueError,
                                 r"^eta_min must"),
    "step_decay every zero": (lambda: O.step_decay(0.1, 0, 0.5), ValueError, r"^every must"),
    "step_decay gamma zero": (lambda: O.step_decay(0.1, 10, 0.0), ValueError, r"^gamma must"),
    "step_decay gamma above one": (lambda: O.step_decay(0.1, 10, 1.5), ValueError, r"^gamma must"),
    "warmup n_warmup negative": (lambda: O.warmup(0.1, -1), ValueError, r"^n_warmup must"),
    "warmup eta zero": (lambda: O.warmup(0.0, 10), ValueError, r"^eta must"),
    "schedule empty": (lambda: O.schedule([]), ValueError, r"^etas must be non-empty"),
    "schedule NaN": (lambda: O.schedule([0.1, NAN]), ValueError, r"^etas must"),
    "schedule zero": (lambda: O.schedule([0.1, 0.0]), ValueError, r"^etas must"),
    "schedule 2-D": (lambda: O.schedule([[0.1]]), ValueError, r"^etas must"),
    "schedule strings": (lambda: O.schedule(["a"]), TypeError, r"^etas must"),
    "adagrad b0 zero": (lambda: O.adagrad_norm(0.1, 0.0), ValueError, r"^b0 must"),
    "adagrad eta negative": (lambda: O.adagrad_norm(-0.1, 1.0), ValueError, r"^eta must"),
    "polyak f_star NaN": (lambda: O.polyak(NAN), ValueError, r"^f_star must"),
    "polyak f_star inf": (lambda: O.polyak(INF), ValueError, r"^f_star must"),
    "polyak eta_max zero": (lambda: O.polyak(0.0, eta_max=0.0), ValueError, r"^eta_max must"),
    "norm_ratio eta0 zero": (lambda: O.norm_ratio(0.0), ValueError, r"^eta0 must"),
    "secant eta0 NaN": (lambda: O.secant(NAN), ValueError, r"^eta0 must"),
    "bb eta0 inf": (lambda: O.barzilai_borwein(INF), ValueError, r"^eta0 must"),
    "normalized_sgd eta zero": (lambda: O.normalized_sgd(0.0), ValueError, r"^eta must"),
    "sgdm beta one": (lambda: O.sgdm(0.1, 1.0), ValueError, r"^beta must"),
    "signsgd eta NaN": (lambda: O.signsgd(NAN), ValueError, r"^eta must"),
    "adagrad_norm_sgd b0": (lambda: O.adagrad_norm_sgd(0.1, -1.0), ValueError, r"^b0 must"),
    "polyak_sgd eta_max": (lambda: O.polyak_sgd(0.0, -1.0), ValueError, r"^eta_max must"),
    "adaptive unknown rule": (lambda: O.adaptive_sgd("adam"), ValueError, r"^rule must be one of"),
    "adaptive rule type": (lambda: O.adaptive_sgd(3), TypeError, r"^rule must"),
    "adaptive unknown base": (lambda: O.adaptive_sgd(base="adam"), ValueError,
                              r"^base must be one of"),
    "adaptive beta": (lambda: O.adaptive_sgd(base="sgdm", beta=1.0), ValueError, r"^beta must"),
    "adaptive eta0": (lambda: O.adaptive_sgd(eta0=-1.0), ValueError, r"^eta0 must"),
    "too many transforms": (lambda: O.chain(*[O.scale(0.1)] * (C.N_SLOTS + 1)), ValueError,
                            rf"at most N_SLOTS = {C.N_SLOTS} transforms"),
    "too many via aliases": (lambda: O.chain(O.sgdm(0.1, 0.5), O.sgdm(0.1, 0.5), O.sgdm(0.1, 0.5),
                                             O.sign()), ValueError, r"\bchain\b.*N_SLOTS"),
    "empty chain": (lambda: O.chain(), ValueError, r"\bchain\b"),
    "chain of a number": (lambda: O.chain(0.1), TypeError, r"\bchain\b"),
}


@pytest.mark.parametrize("make, exc, match", BAD.values(), ids=BAD.keys())
def test_bad_parameters_are_refused(make, exc, match):
    with pytest.raises(exc, match=match):
        make()
