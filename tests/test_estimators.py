"""Estimators of simsgd.stats on synthetic data whose answer is known, and their refusals.

Coverage checks: over R seeds the number of CIs that cover the truth is Binomial(R, level)
when the CI is exact, so its SE is sqrt(R * level * (1 - level)); each check accepts the
nominal count +- 4 SE (two-sided false alarm ~6e-5 per check for an exact CI). Seeds are
fixed, so the tests are deterministic, but the margins do not depend on the seeds.
"""

import warnings

import numpy as np
import pytest
from scipy import stats

from simsgd.stats import (HeavyTailWarning, InsufficientDataError, ctmc_generator,
                          exponential_law_test, exponential_mle, heavy_tailed_mean, hill,
                          kaplan_meier, km_median, multi_m_tail_index, restricted_mean, wilson)

LEVEL = 0.95


def _binomial_band(n_trials, level=LEVEL, n_se=4.0):
    """Accepted range of the number of covers: nominal +- n_se binomial SEs."""
    mid = n_trials * level
    se = np.sqrt(n_trials * level * (1 - level))
    return mid - n_se * se, mid + n_se * se


def _censored_exit_steps(rng, tau, n, horizon):
    """Integer exit steps ceil(Exp(tau)) censored at ``horizon`` (status 1 exit, 0 running)."""
    t = np.ceil(rng.exponential(tau, n))
    status = np.where(t <= horizon, 1, 0)
    return np.minimum(t, horizon).astype(np.int64), status


# Integer steps K = ceil(tau E) are geometric: P(K > k) = q^k with q = exp(-1/tau).
TAU, N_PATHS, HORIZON = 100.0, 200, 150  # about exp(-1.5) = 22% censored
Q = np.exp(-1.0 / TAU)
MEAN_K = 1.0 / (1.0 - Q)  # = tau + 1/2 + O(1/tau)
MEDIAN_K = np.ceil(TAU * np.log(2.0))  # smallest k with q^k <= 1/2
RMEAN_K = (1.0 - Q**HORIZON) / (1.0 - Q)  # E min(K, h) = sum_{k<h} q^k


# ------------------------------------------------------------------ censored exponential MLE

def test_exponential_mle_ci_coverage_with_fixed_horizon_censoring():
    # T/D is consistent for the geometric mean MEAN_K too: E min(K, h) / P(K <= h) = 1/(1-q).
    # The chi2(2D) CI is approximate under fixed-horizon censoring; measured 0.958 over
    # 4000 other seeds (0.943 over these 1000). 1000 seeds: SE of the count = 6.9, accept 950 +- 4 SE.
    lo, hi = _binomial_band(1000)
    covers = 0
    for seed in range(1000):
        t, st = _censored_exit_steps(np.random.default_rng(seed), TAU, N_PATHS, HORIZON)
        est = exponential_mle(t, st)
        covers += est.ci_low <= MEAN_K <= est.ci_high
    assert lo <= covers <= hi, covers


def test_exponential_mle_matches_chi2_formula_and_fisher_se():
    t, st = _censored_exit_steps(np.random.default_rng(7), TAU, 5000, HORIZON)
    est = exponential_mle(t, st, level=0.9)
    total, d = t.sum(), st.sum()
    assert est.value == pytest.approx(total / d)
    assert est.se == pytest.approx(est.value / np.sqrt(d))
    assert est.ci_low == pytest.approx(2 * total / stats.chi2.ppf(0.95, 2 * d))
    assert est.ci_high == pytest.approx(2 * total / stats.chi2.ppf(0.05, 2 * d))
    # SE = tau/sqrt(D) with D ~ 3900: 4 SE -> false alarm ~6e-5.
    assert abs(est.value - MEAN_K) < 4 * est.se


def test_exponential_mle_refuses():
    t, st = _censored_exit_steps(np.random.default_rng(0), TAU, 100, 5)  # ~5% exit
    with pytest.raises(InsufficientDataError, match="exits"):
        exponential_mle(t, st)
    with pytest.raises(InsufficientDataError, match="DIVERGED"):
        exponential_mle([10, 20, 30], [1, 2, 1])
    with pytest.raises(ValueError):
        exponential_mle([10, 20], [1, 1, 1])


# ------------------------------------------------------------------ Kaplan-Meier

def _naive_kaplan_meier(t, d):
    """Product-limit estimator written out, as a reference for scipy's."""
    steps = np.unique(t)
    s, out = 1.0, []
    for u in steps:
        at_risk = np.count_nonzero(t >= u)
        exits = np.count_nonzero((t == u) & d)
        s *= 1.0 - exits / at_risk
        out.append(s)
    return steps, np.array(out)


def test_kaplan_meier_matches_naive_product_limit():
    t, st = _censored_exit_steps(np.random.default_rng(3), 20.0, 300, 30)
    km = kaplan_meier(t, st)
    steps, s = _naive_kaplan_meier(t, st.astype(bool))
    np.testing.assert_array_equal(km.steps, steps)
    np.testing.assert_allclose(km.survival, s, rtol=1e-12)
    assert np.all(km.lower <= km.survival) and np.all(km.survival <= km.upper)
    assert km.evaluate([0.0, steps[0] - 0.5])[0] == 1.0


def test_kaplan_meier_band_covers_true_survival():
    # Pointwise 95% bands at 5 fixed times, 300 seeds: 1500 band checks (measured over
    # 2000 other seeds: 0.947-0.955 at the five times); they are
    # correlated within a seed, so use each time separately: 300 trials, SE of the count
    # = 3.8, accept 285 +- 4 SE per time.
    times = np.array([10, 40, 70, 100, 140])
    truth = Q**times  # P(K > k)
    covers = np.zeros(times.size)
    for seed in range(300):
        t, st = _censored_exit_steps(np.random.default_rng(seed), TAU, N_PATHS, HORIZON)
        km = kaplan_meier(t, st)
        i = np.searchsorted(km.steps, times, side="right") - 1
        covers += (km.lower[i] <= truth) & (truth <= km.upper[i])
    lo, hi = _binomial_band(300)
    assert np.all((lo <= covers) & (covers <= hi)), covers


def test_km_median_and_restricted_mean_coverage():
    # Truths for geometric steps: MEDIAN_K = ceil(tau ln 2), RMEAN_K = sum_{k<h} q^k.
    # Both CIs are asymptotic (measured over 2000 other seeds: 0.955 and 0.946); 300 seeds,
    # SE of the count = 3.8, accept 285 +- 4 SE.
    med_covers = rm_covers = 0
    for seed in range(300):
        t, st = _censored_exit_steps(np.random.default_rng(seed), TAU, N_PATHS, HORIZON)
        m = km_median(t, st)
        r = restricted_mean(t, st, HORIZON)
        med_covers += m.ci_low <= MEDIAN_K <= m.ci_high
        rm_covers += r.ci_low <= RMEAN_K <= r.ci_high
    lo, hi = _binomial_band(300)
    assert lo <= med_covers <= hi, med_covers
    assert lo <= rm_covers <= hi, rm_covers


def test_restricted_mean_without_censoring_is_mean_of_truncated_times():
    t = np.ceil(np.random.default_rng(4).exponential(TAU, 1000))
    st = np.ones_like(t, dtype=int)
    h = 80
    est = restricted_mean(t, st, h)
    assert est.value == pytest.approx(np.minimum(t, h).mean())
    # Without censoring the Greenwood-type variance is the plug-in variance of min(t, h)
    # (with n - 1 in place of n at most): compare the SEs to 5%.
    assert est.se == pytest.approx(np.minimum(t, h).std() / np.sqrt(t.size), rel=0.05)


def test_kaplan_meier_refusals():
    with pytest.raises(InsufficientDataError, match="no exits"):
        kaplan_meier([10, 10, 10], [0, 0, 0])
    with pytest.raises(InsufficientDataError, match="DIVERGED"):
        kaplan_meier([5, 10, 10], [1, 2, 0])
    # 30% exit before the horizon: the median is not observed.
    t, st = _censored_exit_steps(np.random.default_rng(0), TAU, 500, 35)
    with pytest.raises(InsufficientDataError, match="median"):
        km_median(t, st)
    with pytest.raises(InsufficientDataError, match="beyond"):
        restricted_mean(t, st, 36)
    with pytest.raises(ValueError):
        restricted_mean(t, st, 0)


# ------------------------------------------------------------------ exponential law test

def test_exponential_law_test_accepts_exponential():
    n = 2000
    t = np.ceil(np.random.default_rng(5).exponential(1000.0, n))
    res = exponential_law_test(t, np.ones(n, int), n_resamples=1000)
    # Under the law p ~ U(0,1) (conservative here: the mean is estimated), so p > 1e-3
    # fails with probability < 1e-3.
    assert res.p_value > 1e-3
    # CV = 1 and median/mean = ln 2 for an exponential law (the discreteness of steps
    # shifts both by O(1/tau) = 1e-3, far below the bootstrap SEs of ~0.02).
    assert res.cv.ci_low < 1.0 < res.cv.ci_high
    assert res.median_over_mean.ci_low < np.log(2) < res.median_over_mean.ci_high
    # Bootstrap SE against the delta method: Var(CV) ~ (c^2/n) [(mu4 - s^4)/(4 s^4)
    # - mu3/(mu s^2) + s^2/mu^2] = (1/n) [2 - 2 + 1] = 1/n for Exp(1) (mu3 = 2, mu4 = 9).
    # The bootstrap SE of 1000 resamples is itself ~2% noisy: allow a factor 1.5.
    assert 1 / 1.5 < res.cv.se * np.sqrt(n) < 1.5


def test_exponential_law_test_rejects_weibull():
    # Weibull shape 0.5: CV = sqrt(Gamma(5)/Gamma(3)^2 - 1) = sqrt(5) = 2.24.
    n = 2000
    t = np.ceil(1000.0 * np.random.default_rng(6).weibull(0.5, n))
    res = exponential_law_test(t, np.ones(n, int), n_resamples=1000)
    assert res.p_value < 1e-6
    assert res.cv.ci_low > 1.0


def test_exponential_law_test_refuses_censoring_and_small_samples():
    t, st = _censored_exit_steps(np.random.default_rng(0), TAU, 500, 400)
    assert st.min() == 0  # at least one path censored (P(none) = (1 - e^-4)^500 ~ 1e-4)
    with pytest.raises(InsufficientDataError, match="censored"):
        exponential_law_test(t, st)
    with pytest.raises(InsufficientDataError, match="exits"):
        exponential_law_test(np.arange(1, 11), np.ones(10, int))


# ------------------------------------------------------------------ Wilson

def test_wilson_exact_coverage_over_p_grid():
    # No sampling error: coverage is computed exactly by summing the binomial pmf over
    # the k whose interval covers p. Wilson's coverage oscillates around the level in p
    # (Brown, Cai & DasGupta 2001, Fig. 4); measured for n = 100, p in [0.05, 0.95]:
    # mean 0.9500, min 0.927, max 0.972. Accept mean within 0.005 and min above 0.92.
    n = 100
    ks = np.arange(n + 1)
    ci = np.array([[wilson(k, n).ci_low, wilson(k, n).ci_high] for k in ks])
    ps = np.linspace(0.05, 0.95, 181)
    cov = np.array([stats.binom.pmf(ks, n, p)[(ci[:, 0] <= p) & (p <= ci[:, 1])].sum()
                    for p in ps])
    assert abs(cov.mean() - LEVEL) < 0.005
    assert cov.min() > 0.92


def test_wilson_simulated_coverage():
    # At p = 0.3, n = 100 the exact coverage is 0.937 (one of Wilson's dips below the
    # level), enumerated here. 4000 binomial draws must reproduce it: the count of covers
    # is Binomial(4000, exact), SE = 15.4; accept 4000 * exact +- 4 SE.
    n, p, reps = 100, 0.3, 4000
    all_k = np.arange(n + 1)
    ci = [wilson(k, n) for k in all_k]
    inside = np.array([c.ci_low <= p <= c.ci_high for c in ci])
    exact = stats.binom.pmf(all_k, n, p)[inside].sum()
    ks = np.random.default_rng(8).binomial(n, p, reps)
    covers = np.count_nonzero(inside[ks])
    lo, hi = _binomial_band(reps, level=exact)
    assert lo <= covers <= hi, (covers, exact)


def test_wilson_edges_and_refusal():
    est = wilson(0, 50)
    assert est.value == 0.0 and est.ci_low == 0.0 and 0 < est.ci_high < 0.1
    assert wilson(50, 50).ci_high == pytest.approx(1.0)
    with pytest.raises(InsufficientDataError):
        wilson(0, 0)
    with pytest.raises(ValueError):
        wilson(5, 3)


# ------------------------------------------------------------------ heavy-tailed mean

def test_heavy_tailed_mean_warns_for_sas_and_not_for_gaussian():
    x = stats.levy_stable.rvs(1.5, 0.0, size=10000, random_state=11)
    with pytest.warns(HeavyTailWarning, match="variance may not exist"):
        est = heavy_tailed_mean(x)
    assert est.value == pytest.approx(x.mean())
    g = np.random.default_rng(12).standard_normal(10000)
    with warnings.catch_warnings():
        warnings.simplefilter("error", HeavyTailWarning)
        est = heavy_tailed_mean(g)
    # True mean 0, SE = 1/sqrt(n): 4 SE -> false alarm ~6e-5.
    assert abs(est.value) < 4 * est.se
    assert est.se == pytest.approx(g.std(ddof=1) / 100)


def test_heavy_tailed_mean_refuses_single_sample():
    with pytest.raises(InsufficientDataError):
        heavy_tailed_mean([1.0])


# ------------------------------------------------------------------ tail indices

def test_hill_coverage_on_pareto():
    # Pareto(alpha = 1.5) on [1, inf): the Gamma CI is exact, so the count of covers over
    # 400 seeds is Binomial(400, 0.95), SE = 4.4; accept 380 +- 4 SE.
    alpha, covers = 1.5, 0
    for seed in range(400):
        x = np.random.default_rng(seed).pareto(alpha, 2000) + 1.0
        est = hill(x, 200)
        covers += est.ci_low <= alpha <= est.ci_high
    lo, hi = _binomial_band(400)
    assert lo <= covers <= hi, covers


def test_hill_on_symmetric_pareto_uses_absolute_values():
    rng = np.random.default_rng(13)
    x = (rng.pareto(1.5, 20000) + 1.0) * rng.choice([-1.0, 1.0], 20000)
    est = hill(x, 1000)
    # SE = alpha/sqrt(k) = 0.047; 4 SE.
    assert abs(est.value - 1.5) < 4 * est.se
    assert est.se == pytest.approx(est.value / np.sqrt(1000))


def test_hill_refuses():
    x = np.random.default_rng(0).pareto(1.5, 50) + 1.0
    with pytest.raises(InsufficientDataError, match="order statistics"):
        hill(x, 5)
    with pytest.raises(InsufficientDataError, match="more than k"):
        hill(x, 50)
    with pytest.raises(InsufficientDataError, match="zeros"):
        hill(np.r_[np.zeros(90), np.ones(10)], 20)


def test_multi_m_on_sas_alpha_1p5():
    x = stats.levy_stable.rvs(1.5, 0.0, size=10000, random_state=21)
    est = multi_m_tail_index(x)
    assert "m = 100" in est.method
    assert est.ci_low < 1.5 < est.ci_high
    assert abs(est.value - 1.5) < 4 * est.se  # SE ~ 0.06 from the block differences


def test_multi_m_on_gaussian_is_about_2():
    x = np.random.default_rng(22).standard_normal((10000, 3))  # rows are vectors
    est = multi_m_tail_index(x)
    assert abs(est.value - 2.0) < 4 * est.se


def test_multi_m_coverage_on_sas():
    # The block CI is asymptotic (normal in 1/alpha, then inverted). Measured 0.93 over
    # 200 seeds; 100 seeds here: SE of the count = 2.2, accept 95 +- 4 SE.
    covers = 0
    for seed in range(100):
        x = stats.levy_stable.rvs(1.5, 0.0, size=4900, random_state=seed)
        est = multi_m_tail_index(x)
        covers += est.ci_low <= 1.5 <= est.ci_high
    lo, hi = _binomial_band(100)
    assert lo <= covers <= hi, covers


def test_multi_m_refuses():
    rng = np.random.default_rng(0)
    with pytest.raises(InsufficientDataError, match="m = 1"):
        multi_m_tail_index(rng.standard_normal(10007))  # prime N
    with pytest.raises(InsufficientDataError, match="blocks"):
        multi_m_tail_index(rng.standard_normal(40))  # m = 5, n = 8 blocks < 10
    with pytest.raises(InsufficientDataError, match="zeros"):
        multi_m_tail_index(np.r_[np.zeros(50), rng.standard_normal(350)])
    with pytest.raises(ValueError):
        multi_m_tail_index(rng.standard_normal(100), m=7)


# ------------------------------------------------------------------ CTMC generator

Q_TRUE = np.array([[-0.30, 0.20, 0.10],
                   [0.05, -0.15, 0.10],
                   [0.40, 0.20, -0.60]])


def _simulate_ctmc(q, n_jumps, rng):
    """Jump chain of a CTMC: counts n_ij and total holding times T_i after n_jumps jumps."""
    k = q.shape[0]
    rates = -np.diag(q)
    jump_p = q / rates[:, None]
    np.fill_diagonal(jump_p, 0.0)
    cum = np.cumsum(jump_p, axis=1)
    counts = np.zeros((k, k), dtype=np.int64)
    holding = np.zeros(k)
    u = rng.random(n_jumps)
    e = rng.exponential(1.0, n_jumps)
    state = 0
    for i in range(n_jumps):
        holding[state] += e[i] / rates[state]
        nxt = int(np.searchsorted(cum[state], u[i], side="right"))
        counts[state, nxt] += 1
        state = nxt
    return counts, holding


def test_ctmc_generator_recovers_known_generator():
    counts, holding = _simulate_ctmc(Q_TRUE, 20000, np.random.default_rng(31))
    g = ctmc_generator(counts, holding)
    np.testing.assert_allclose(g.Q.sum(axis=1), 0.0, atol=1e-12)
    # Every entry within 4 of its SEs (SE = sqrt(n_ij)/T_i, about 1-2% of q_ij here);
    # 9 entries, false alarm < 9 * 6e-5.
    assert np.all(np.abs(g.Q - Q_TRUE) < 4 * g.se)
    assert np.all((g.ci_low <= g.Q) & (g.Q <= g.ci_high))


def test_ctmc_generator_ci_coverage():
    # 200 seeds x 6 off-diagonal rates. Entries of one row share T_i, so test each entry
    # separately: Binomial(200, 0.95), SE = 3.1, accept 190 +- 4 SE. (Stopping after a
    # fixed number of jumps makes the Poisson CI asymptotic, not exact.)
    covers = np.zeros((3, 3))
    for seed in range(200):
        counts, holding = _simulate_ctmc(Q_TRUE, 1000, np.random.default_rng(seed))
        g = ctmc_generator(counts, holding)
        covers += (g.ci_low <= Q_TRUE) & (Q_TRUE <= g.ci_high)
    lo, hi = _binomial_band(200)
    off = ~np.eye(3, dtype=bool)
    assert np.all((lo <= covers[off]) & (covers[off] <= hi)), covers


def test_ctmc_generator_refuses():
    with pytest.raises(InsufficientDataError, match="no holding time"):
        ctmc_generator([[0, 1], [0, 0]], [5.0, 0.0])
    with pytest.raises(ValueError, match="diagonal"):
        ctmc_generator([[1, 1], [1, 0]], [1.0, 1.0])
    with pytest.raises(ValueError):
        ctmc_generator([[0, -1], [1, 0]], [1.0, 1.0])
