"""The kernel's noise samplers against their laws (scipy.stats), drawn through the engine.

With ``sgd(1.0)``, one step from a point where ``grad f`` is exactly 0 gives
``x_1 = x_0 - 1.0 * (0 + xi) = -xi`` (``x_0 = 0``), so ``-res.x`` holds one draw per path
and coordinate, from the same code path as every simulation. (Every law here is
symmetric, so the sign does not matter, but we undo it anyway.) The zero-gradient point
is the flat landscape ``Quadratic(0.0)``, except for Pareto noise, which uses the saddle
``x = 0`` of ``DoubleWell`` (``grad = 0**3 - 0 = 0``) under an unbounded ``Exit()``: that is
W1's kernel structure, which the suite needs anyway, so no kernel compiles for it alone.

Tolerances:
- KS tests pass when ``p > 1e-4``. Under the right law the p-value is uniform, so a
  correct sampler fails with probability 1e-4 per test under a different seed or
  generator; with n = 200_000 a wrong law is still caught when its CDF is off by more
  than ~0.5% anywhere (D_crit = sqrt(ln(2/1e-4)/2)/sqrt(n) ~ 0.005).
- Proportions (tail probabilities, zero fractions, signs) get 5 binomial standard errors,
  ``SE = sqrt(p (1 - p) / n)``: a two-sided false alarm < 6e-7 per comparison.
"""

import numpy as np
import pytest
from scipy import stats

import simsgd as sg

N_SAMPLES = 200_000


def draw(noise, n=N_SAMPLES, dim=1, seed=0):
    """``n`` draws of ``xi`` per coordinate from the kernel, shape (n, dim)."""
    base = noise.noise if isinstance(noise, sg.noise.Clipped) else noise
    if isinstance(base, sg.noise.Pareto):
        landscape, stop = sg.landscapes.DoubleWell(dim=dim), sg.events.Exit()
    else:
        landscape, stop = sg.landscapes.Quadratic(0.0), None
    assert np.all(landscape.grad(np.zeros(dim)) == 0.0)
    res = sg.simulate(landscape, noise, sg.optimizers.sgd(1.0), x0=np.zeros(dim), n_paths=n,
                      n_steps=1, seed=seed, stop=stop, progress=False)
    assert np.all(res.status == sg.Status.RUNNING) and np.all(res.exit_step == 1)
    return -res.x


def assert_proportion(count, n, p, what):
    se = np.sqrt(p * (1.0 - p) / n)
    assert abs(count / n - p) <= 5 * se, f"{what}: {count / n:.6g} vs {p:.6g} (SE {se:.3g})"


def assert_ks(sample, dist, what):
    ks = stats.kstest(sample, dist.cdf)
    assert ks.pvalue > 1e-4, f"{what}: KS D = {ks.statistic:.4g}, p = {ks.pvalue:.3g}"


def assert_tails(sample, noise, ts):
    a = np.abs(sample)
    for t in ts:
        assert_proportion(np.count_nonzero(a > t), a.size, float(noise.H(t)), f"P(|xi| > {t})")


def test_streams_differ_between_paths_and_seeds():
    x = draw(sg.noise.Gaussian(1.0), n=10_000)
    assert np.unique(x).size == x.size  # no two paths share a stream
    y = draw(sg.noise.Gaussian(1.0), n=10_000, seed=1)
    assert not np.any(x == y)


@pytest.mark.parametrize("sigma", [1.0, 2.5])
def test_gaussian(sigma):
    noise = sg.noise.Gaussian(sigma)
    xi = draw(noise)[:, 0]
    assert_ks(xi, stats.norm(scale=sigma), f"Gaussian({sigma})")
    assert_proportion(np.count_nonzero(xi > 0), xi.size, 0.5, "P(xi > 0)")
    assert_tails(xi, noise, [0.5 * sigma, sigma, 2 * sigma, 3 * sigma])


def test_gaussian_coordinates_are_independent():
    # consecutive coordinates use consecutive draws of one stream; the sample correlation
    # of independent normals has SE 1/sqrt(n), so 5 SE
    xi = draw(sg.noise.Gaussian(1.0), dim=3)
    corr = np.corrcoef(xi.T)
    off = corr[~np.eye(3, dtype=bool)]
    assert np.all(np.abs(off) < 5 / np.sqrt(xi.shape[0])), corr
    for c in range(3):
        assert_ks(xi[:, c], stats.norm(), f"Gaussian coordinate {c}")
    # coordinates 0 and 1 are one Box-Muller pair (one radius, cos and sin of one angle):
    # independence needs more than zero correlation. Their squares are uncorrelated
    # (independent variables: the sample correlation has SE 1/sqrt(n) whatever the law;
    # 5 SE), and ||xi||^2 of the pair and of all three are chi^2 with 2 and 3 d.o.f.
    sq = xi * xi
    assert abs(np.corrcoef(sq[:, 0], sq[:, 1])[0, 1]) < 5 / np.sqrt(xi.shape[0])
    assert_ks(sq[:, 0] + sq[:, 1], stats.chi2(2), "||(xi_0, xi_1)||^2")
    assert_ks(sq.sum(axis=1), stats.chi2(3), "||xi||^2")


@pytest.mark.parametrize("alpha, scale", [(1.5, 1.0), (0.8, 2.0), (3.0, 0.5)])
def test_pareto(alpha, scale):
    noise = sg.noise.Pareto(alpha, scale=scale)
    xi = draw(noise)[:, 0]
    assert np.all(np.abs(xi) >= scale)
    assert_ks(np.abs(xi), stats.pareto(b=alpha, scale=scale), f"|Pareto({alpha}, {scale})|")
    assert_proportion(np.count_nonzero(xi > 0), xi.size, 0.5, "P(xi > 0)")
    # P(|xi| > t) = (t/scale)^-alpha: t chosen so the tail holds 30% .. 0.1% of the mass
    ts = scale * np.array([0.3, 0.1, 0.01, 0.001]) ** (-1.0 / alpha)
    assert_tails(xi, noise, ts)


@pytest.mark.parametrize("alpha, rate, w_min", [(1.5, 0.3, 5.0), (1.2, 0.05, 20.0)])
def test_compound_pareto(alpha, rate, w_min):
    noise = sg.noise.CompoundPareto(alpha, rate=rate, w_min=w_min)
    xi = draw(noise)[:, 0]
    jumps = xi[xi != 0]
    assert_proportion(jumps.size, xi.size, rate, "jump fraction")
    assert np.all(np.abs(jumps) >= w_min)
    assert_ks(np.abs(jumps), stats.pareto(b=alpha, scale=w_min), f"|jump| of {noise}")
    assert_proportion(np.count_nonzero(jumps > 0), jumps.size, 0.5, "P(jump > 0)")
    # H(t) = rate (t / w_min)^-alpha for t >= w_min, and rate below it
    ts = [0.5 * w_min, w_min * 1.01, 2 * w_min, 10 * w_min]
    assert_tails(xi, noise, ts)


def test_compound_jump_does_not_bias_the_next_coordinate():
    # both draws are made whether or not a jump happens, so coordinates stay independent:
    # the jump indicator of coordinate 1 given one in coordinate 0 has the same rate
    rate = 0.3
    xi = draw(sg.noise.CompoundPareto(1.5, rate=rate, w_min=5.0), dim=2)
    jump0 = xi[:, 0] != 0
    assert_proportion(np.count_nonzero(xi[jump0, 1] != 0), np.count_nonzero(jump0), rate,
                      "P(jump in coordinate 1 | jump in coordinate 0)")
    assert_proportion(np.count_nonzero(xi[~jump0, 1] != 0), np.count_nonzero(~jump0), rate,
                      "P(jump in coordinate 1 | no jump in coordinate 0)")


def test_clipped_pareto():
    c = 3.0
    base = sg.noise.Pareto(1.5)
    noise = sg.noise.Clipped(base, c)
    xi = draw(noise)[:, 0]
    a = np.abs(xi)
    assert a.max() == c
    # the mass beyond c piles up at exactly +-c: P(|xi| = c) = P(|Z| >= c) = c^-alpha
    assert_proportion(np.count_nonzero(a == c), a.size, float(base.H(c)), "P(|xi| = c)")
    below = a[a < c]
    # below the clip the law is Pareto conditioned on |Z| < c
    cond = stats.truncpareto(b=1.5, c=c)  # support [1, c] with scale 1
    assert_ks(below, cond, "clipped Pareto below c")
    assert_tails(xi, noise, [1.5, 2.0, 2.9, 3.0, 3.5])
