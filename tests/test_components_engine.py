"""Every component through the engine, against the NumPy reference (tests/reference.py).

One row per landscape (with Gaussian noise and SGD) and one per transform or alias (on
a 2-D and a 1-D quadratic with Gaussian noise). The kernel uses polynomial log/exp
and the reference libm, so ``status`` and ``exit_step`` must agree exactly and ``x`` to
``rtol = 1e-10`` for the landscapes (observed differences are a few ulps; these
dynamics contract or stop, so they are not amplified) and ``1e-8`` for the optimisers,
whose adaptive rules compound the differences. Rows also run on the generic kernel explicitly, and
the learning rate that adaptive rules record is checked against the reference's.
"""

import numpy as np
import pytest

import simsgd as sg
from registry_landscapes import LANDSCAPES
from registry_optimizers import OPTIMIZERS
from reference import reference_simulate

N_PATHS, N_STEPS, SEED = 96, 60, 20261123


def _compare(res, ref, rtol=1e-10):
    np.testing.assert_array_equal(res.status, ref[0])
    np.testing.assert_array_equal(res.exit_step, ref[1])
    np.testing.assert_allclose(res.x, ref[2], rtol=rtol, atol=1e-12)


@pytest.mark.parametrize("factory, dim, x0", LANDSCAPES)
def test_landscape_matches_reference(factory, dim, x0):
    land = factory()
    noise = sg.noise.Gaussian(0.3)
    opt = sg.optimizers.sgd(0.02)
    # a stop ball keeps steep landscapes (Exp, ExpSquare) from running off; it exits
    # some paths, so exit steps are compared too
    stop = sg.events.ExitBall(center=x0, radius=1.5)
    res = sg.simulate(land, noise, opt, x0=x0, n_paths=N_PATHS, n_steps=N_STEPS, seed=SEED,
                      stop=stop, progress=False)
    ref = reference_simulate(land, noise, opt, x0, N_PATHS, N_STEPS, SEED, stop=stop)
    _compare(res, ref)
    assert res.counts()["DIVERGED"] == 0


@pytest.mark.parametrize("dim", [1, 2])
@pytest.mark.parametrize("opt", OPTIMIZERS)
def test_optimizer_matches_reference(opt, dim):
    land = sg.landscapes.Quadratic(np.linspace(0.5, 2.0, dim), center=0.0)
    noise = sg.noise.Gaussian(0.5)
    x0 = np.full(dim, 2.0)
    stop = sg.events.ExitBall(center=np.zeros(dim), radius=4.0)
    obs = sg.events.Checkpoints(steps=[0, 1, 7, 30, N_STEPS])
    res = sg.simulate(land, noise, opt, x0=x0, n_paths=N_PATHS, n_steps=N_STEPS, seed=SEED,
                      stop=stop, observe=(obs,), progress=False)
    ref = reference_simulate(land, noise, opt, x0, N_PATHS, N_STEPS, SEED, stop=stop,
                             learning_rates=True)
    # adaptive rules multiply step-to-step ratios of noisy norms, so the few-ulp noise
    # differences compound over the 60 steps (seen: 5e-10 relative on one exiting path)
    _compare(res, ref, rtol=1e-8)
    lr = res.observed["learning_rate"]
    want = ref[3][:, [0, 1, 7, 30, N_STEPS]]
    seen = np.isfinite(res.observed["f_gap"])  # the path was still running there
    np.testing.assert_allclose(lr[seen], want[seen], rtol=1e-8, equal_nan=True)


@pytest.mark.parametrize("case", ["w1", "exit-compound", "w2-small", "sq-batch1", "sq-batch3"])
def test_specialised_and_generic_kernels_agree_bit_for_bit(case):
    # the specialised hot paths (constants everywhere, the fused 1-D step) must give the
    # same bits as the generic kernel, which every other row above ran on
    if case.startswith("sq"):
        # Patel's stochastic quadratic at eta = 2.2: the batches' factors 1 - eta q_B
        # make some paths diverge (DIVERGED), the others keep running (checked below)
        batch = int(case[-1])
        land = sg.landscapes.StochasticQuadratic(np.linspace(0.2, 1.8, 10), batch_size=batch,
                                                 center=0.3)
        args = (land, None, sg.optimizers.sgd(2.2))
        kw = dict(x0=1.0, diverge_at=1e6)
    elif case == "w1":
        args = (sg.landscapes.DoubleWell(), sg.noise.Clipped(sg.noise.Pareto(1.5), 50.0),
                sg.optimizers.sgd(0.01))
        kw = dict(x0=-1.0, stop=sg.events.Exit(upper=0.0))
    elif case == "exit-compound":
        args = (sg.landscapes.Quadratic(1.0, edges=(-0.5, 0.5)),
                sg.noise.CompoundPareto(1.5, 0.01, 20.0), sg.optimizers.truncated_sgd(0.01, 0.3))
        kw = dict(x0=0.0, stop=sg.events.ExitBasin())
    else:
        args = (sg.landscapes.Quadratic(np.linspace(1, 100, 20)), sg.noise.Gaussian(1.0),
                sg.optimizers.clipped_sgd(0.005, 10.0))
        kw = dict(x0=np.ones(20))
    kw.update(n_paths=200, n_steps=3000, seed=3, progress=False)
    a = sg.simulate(*args, **kw)
    b = sg.simulate(*args, **kw, _force_generic=True)
    assert a.provenance["structure"] != b.provenance["structure"]
    if case.startswith("sq"):
        assert 0 < a.counts()["DIVERGED"] < a.n_paths
    for f in ("status", "exit_step", "x"):
        np.testing.assert_array_equal(getattr(a, f), getattr(b, f))


@pytest.mark.parametrize("batch", [1, 2, 5, 6])
@pytest.mark.parametrize("kind", ["stochastic-quadratic-3d", "finite-sum-wells"])
def test_finite_sum_batch_sizes_match_reference(kind, batch):
    # The kernel draws every lane's batch in lane loops (template._batch_lanes), with one
    # select per earlier index in place of Floyd's search. Every batch size, up to the
    # full sum (B = N = 6, every index once, in Floyd's order), must pick the reference's
    # indices from the same words. 77 paths is not a multiple of the lane count.
    if kind == "finite-sum-wells":
        land = sg.landscapes.FiniteSumWells(np.linspace(0.5, 6.0, 6), 0.2, batch_size=batch)
        x0 = np.array([-0.8])
    else:
        K = np.random.default_rng(1).uniform(0.1, 2.0, size=(6, 3))
        land = sg.landscapes.StochasticQuadratic(K, batch_size=batch, center=[0.5, -1.0, 0.0])
        x0 = np.array([1.0, 0.0, -1.0])
    noise, opt = sg.noise.Gaussian(0.3), sg.optimizers.sgd(0.3)
    # no stop: every path runs all the steps, so x depends on every batch drawn
    res = sg.simulate(land, noise, opt, x0=x0, n_paths=77, n_steps=N_STEPS, seed=SEED,
                      progress=False)
    ref = reference_simulate(land, noise, opt, x0, 77, N_STEPS, SEED)
    _compare(res, ref)


# --------------------------------------------------------------------------------------
# Transform invariants through the kernel. On Quadratic(0) from x0 = 0 the stochastic
# gradient is the noise itself, so one step moves x by exactly the chain's output u.
# --------------------------------------------------------------------------------------
FLAT3 = sg.landscapes.Quadratic(0.0)
HEAVY = sg.noise.Pareto(1.2)  # heavy tails: many draws far above the clip level


def _one_step(opt, dim=3, n=4000, noise=HEAVY):
    res = sg.simulate(FLAT3, noise, opt, x0=np.zeros(dim), n_paths=n, n_steps=1, seed=11,
                      progress=False)
    return res.x  # = u


def test_clip_by_norm_bounds_the_norm_and_is_idempotent():
    O = sg.optimizers
    c = 2.0
    u = _one_step(O.chain(O.clip_by_norm(c), O.scale(1.0)))
    norms = np.linalg.norm(u, axis=1)
    assert np.all(norms <= c * (1 + 2.0**-36))  # the documented slack, see clip_by_norm
    assert np.mean(norms > 0.999 * c) > 0.5  # the clip was active for most draws
    twice = _one_step(O.chain(O.clip_by_norm(c), O.clip_by_norm(c), O.scale(1.0)))
    np.testing.assert_array_equal(twice, u)


def test_momentum_zero_is_plain_sgd_bit_for_bit():
    O = sg.optimizers
    kw = dict(x0=[1.0, -2.0], n_paths=300, n_steps=500, seed=5, progress=False)
    land = sg.landscapes.DoubleWell(dim=2)
    a = sg.simulate(land, sg.noise.Gaussian(0.5), O.sgd(0.05), **kw)
    b = sg.simulate(land, sg.noise.Gaussian(0.5), O.sgdm(0.05, 0.0), **kw)
    np.testing.assert_array_equal(a.x, b.x)
    np.testing.assert_array_equal(a.exit_step, b.exit_step)


def test_sign_gives_minus_one_zero_or_one():
    O = sg.optimizers
    u = _one_step(O.chain(O.sign(), O.scale(1.0)), noise=sg.noise.CompoundPareto(1.5, 0.5, 1.0))
    assert set(np.unique(u)) <= {-1.0, 0.0, 1.0}
    assert {-1.0, 0.0, 1.0} <= set(np.unique(u))  # zeros come from steps without a jump
