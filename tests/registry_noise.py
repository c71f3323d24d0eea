"""Every noise model with the law its draws must follow (not a test module).

``NOISES`` has one ``pytest.param(case)`` row per model; a :class:`Case` says in which
dimension to draw, which statistical checks the draws must pass (``case.checks(xi)``
with ``xi`` of shape ``(n, dim)``), at which points the tail ``H`` is checked, and the
absolute tolerance for kernel/twin agreement. ``tests/test_noise.py`` runs the checks on
the NumPy twins, ``tests/test_noise_engine.py`` on the kernel's draws.

Check kinds (``run_checks`` evaluates them and returns the failures):

- ``("ks", what, sample, cdf)``: Kolmogorov-Smirnov, passes when ``p > 1e-4``. Under the
  right law the p-value is uniform, so a correct sampler fails with probability 1e-4 per
  check for another seed; with n = 200_000 a CDF off by more than ~0.5% anywhere is
  caught (D_crit = sqrt(ln(2/1e-4)/2)/sqrt(n) ~ 0.005). KS needs a continuous law: atoms
  (zeros, clip levels) are removed and checked as proportions, the rest is compared with
  the conditional law. ``scipy.stats.levy_stable.cdf`` costs ~0.25 ms a point (numerical
  integration), so Stable KS checks use the first ``STABLE_KS_N`` = 4000 draws only
  (D_crit ~ 0.034); the 200k-draw checks of those rows are the characteristic function
  and the tails.
- ``("prop", what, count, n, p)``: a proportion. ``count ~ Binomial(n, p)``, so
  ``p_hat = count/n`` has standard error ``SE = sqrt(p (1 - p) / n)``; by the normal
  approximation ``|p_hat - p| > 5 SE`` has probability ~6e-7 under the right law, so
  the check is ``|p_hat - p| <= 5 SE``. (The smallest expected count here, n p ~ 200,
  keeps the normal approximation adequate at that level.)
- ``("mean", what, sample, mu)``: a sample mean against ``mu``, within 5 standard errors
  ``5 sd / sqrt(n)`` (``sd`` the sample standard deviation; CLT, same false-alarm rate).
"""

from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np
import pytest
from scipy import stats

import simsgd as sg
from simsgd._kernels.rng import numpy_streams

N = sg.noise
STABLE_KS_N = 4000


# ---------------------------------------------------------------------------------------
# NumPy twin draws, with the stream words cached (seeding 200k streams in Python costs
# ~0.7 s, and every row replays the same words)
# ---------------------------------------------------------------------------------------
@lru_cache(maxsize=4)
def _word_cache(seed, n):
    return numpy_streams(seed, np.arange(n)), []


def stream_words(seed, n):
    """A fresh ``words()`` replaying the streams of paths ``0..n-1`` of ``seed``."""
    gen, block = _word_cache(seed, n)
    pos = [0]

    def words():
        while pos[0] >= len(block):
            block.append(next(gen))
        pos[0] += 1
        return block[pos[0] - 1]

    return words


def twin_draws(noise, n, dim, seed):
    """One step of noise from the NumPy twin, paths ``0..n-1`` of ``seed``: ``(n, dim)``."""
    with np.errstate(all="ignore"):
        return noise._numpy_vector(stream_words(seed, n), n, dim)


# ---------------------------------------------------------------------------------------
# Checks
# ---------------------------------------------------------------------------------------
def run_checks(checks):
    """Evaluate ``checks``; return a list of failure messages (empty when all pass)."""
    failures = []
    for kind, what, *args in checks:
        if kind == "ks":
            sample, cdf = args
            ks = stats.kstest(sample, cdf)
            if not ks.pvalue > 1e-4:
                failures.append(f"{what}: KS D = {ks.statistic:.4g}, p = {ks.pvalue:.3g} "
                                f"(n = {len(sample)})")
        elif kind == "prop":
            count, n, p = args
            se = np.sqrt(p * (1.0 - p) / n)
            if not abs(count / n - p) <= 5 * se:
                failures.append(f"{what}: {count / n:.6g} vs {p:.6g} (SE {se:.3g})")
        elif kind == "mean":
            sample, mu = args
            se = np.std(sample) / np.sqrt(len(sample))
            if not abs(np.mean(sample) - mu) <= 5 * se:
                failures.append(f"{what}: mean {np.mean(sample):.6g} vs {mu:.6g} (SE {se:.3g})")
        elif kind == "true":
            (ok,) = args
            if not ok:
                failures.append(what)
        else:  # pragma: no cover
            raise ValueError(kind)
    return failures


def sym_cdf(sf_abs):
    """CDF of a symmetric law whose ``|X|`` has survival function ``sf_abs``."""
    def cdf(x):
        x = np.asarray(x, dtype=float)
        return np.where(x < 0, 0.5 * sf_abs(np.abs(x)), 1.0 - 0.5 * sf_abs(np.abs(x)))
    return cdf


def abs_cdf(cdf):
    """CDF of ``|X|`` from the CDF of a continuous ``X``: ``F(z) - F(-z)`` for z >= 0."""
    return lambda z: np.where(np.asarray(z) < 0, 0.0, cdf(z) - cdf(-np.asarray(z)))


def conditional_cdf(cdf, lo, hi):
    """CDF of a continuous law conditioned on ``(lo, hi)``."""
    flo, fhi = cdf(lo), cdf(hi)
    return lambda x: np.clip((cdf(x) - flo) / (fhi - flo), 0.0, 1.0)


def radial3_pareto_coord_sf(alpha, s):
    r"""``P(|X_0| > x)`` for one coordinate of ``Radial(Pareto(alpha, s))`` in 3-D.

    On S^2 each coordinate of a uniform direction is Uniform(-1, 1) (Archimedes), so
    ``X_0 = R U`` with ``|U| ~ U(0, 1)`` independent of ``R``, and
    ``P(R |U| > x) = int_0^1 P(R > x / v) dv``. With ``P(R > r) = (r/s)^-alpha`` for
    ``r >= s`` (else 1): ``(s/x)^alpha / (alpha + 1)`` for ``x >= s``, and
    ``1 - (x/s) alpha / (alpha + 1)`` for ``0 <= x < s``.
    """
    def sf(x):
        x = np.asarray(x, dtype=float)
        big = (s / np.maximum(x, s)) ** alpha / (alpha + 1.0)
        return np.where(x >= s, big, 1.0 - (x / s) * alpha / (alpha + 1.0))
    return sf


def coord_ks(cdf, limit=None):
    """KS of every coordinate against ``cdf`` (first ``limit`` draws)."""
    return lambda xi: [("ks", f"xi_{j}", xi[:limit, j], cdf) for j in range(xi.shape[1])]


def sign_prop(p_pos=0.5):
    return lambda xi: [("prop", "P(xi_0 > 0)", np.count_nonzero(xi[:, 0] > 0), len(xi), p_pos)]


def charfn(alpha, scale, ts=(0.3, 1.0, 3.0)):
    """Symmetric alpha-stable: E cos(t xi) = exp(-|scale t|^alpha) (all draws)."""
    return lambda xi: [("mean", f"E cos({t / scale:g} xi_0)", np.cos(t / scale * xi[:, 0]),
                        np.exp(-abs(t) ** alpha)) for t in ts]


def direction(xi):
    """Uniform direction of a radial draw: each coordinate's mean is 0 (a coordinate of
    a uniform direction in d dims has variance 1/d); in 3-D each coordinate is
    Uniform(-1, 1); in 2-D the angle is Uniform(-pi, pi)."""
    n, d = xi.shape
    r = np.sqrt(np.sum(xi * xi, axis=1))
    keep = r > 0
    u = xi[keep] / r[keep, None]
    out = [("mean", f"E theta_{j}", u[:, j], 0.0) for j in range(d)]
    if d == 3:
        out += [("ks", f"theta_{j} ~ U(-1, 1)", u[:, j], stats.uniform(-1, 2).cdf)
                for j in range(d)]
    if d == 2:
        out.append(("ks", "angle ~ U(-pi, pi)", np.arctan2(u[:, 1], u[:, 0]),
                    stats.uniform(-np.pi, 2 * np.pi).cdf))
    return out


def norm_ks(cdf, limit=None):
    return lambda xi: [("ks", "||xi||", np.sqrt(np.sum(xi[:limit] ** 2, axis=1)), cdf)]


def clip_atoms(c, p_lo, p_hi, inside_cdf):
    """Clipped coordinates: atoms at -c and c (masses p_lo, p_hi), the rest ~ inside_cdf."""
    def checks(xi):
        out = [("true", f"max |xi| = {np.abs(xi).max()} > c = {c}", np.abs(xi).max() <= c)]
        for j in range(xi.shape[1]):
            x = xi[:, j]
            inside = x[(x > -c) & (x < c)]
            out += [("prop", f"P(xi_{j} = -c)", np.count_nonzero(x == -c), len(x), p_lo),
                    ("prop", f"P(xi_{j} = +c)", np.count_nonzero(x == c), len(x), p_hi),
                    ("ks", f"xi_{j} inside (-c, c)", inside, inside_cdf)]
        return out
    return checks


def compound_checks(rate, alpha, w_min):
    def checks(xi):
        x = xi[:, 0]
        jumps = x[x != 0]
        return [("prop", "P(xi = 0)", np.count_nonzero(x == 0), len(x), 1.0 - rate),
                ("ks", "|jump|", np.abs(jumps), stats.pareto(b=alpha, scale=w_min).cdf),
                ("prop", "P(jump > 0)", np.count_nonzero(jumps > 0), len(jumps), 0.5)]
    return checks


@dataclass(frozen=True)
class Case:
    """A model, the dimension to draw it in, and what its draws must satisfy.

    ``tail`` names the variable that ``noise.H`` describes: ``"coord"`` (``|xi_0|``),
    ``"norm"`` (``||xi||``, radial models) or ``None`` (no ``H``); ``ts`` are the points
    where ``P(variable > t)`` is compared with ``H(t)``. ``atol`` is the absolute part of
    the kernel/twin tolerance (see ``test_noise_engine.py``).
    """

    noise: object
    dim: int
    parts: tuple
    tail: object = "coord"
    ts: tuple = ()
    atol: float = 1e-12
    label: str = field(default="", compare=False)

    def checks(self, xi):
        out = []
        for part in self.parts:
            out += part(xi)
        return out

    def tail_variable(self, xi):
        return np.abs(xi[:, 0]) if self.tail == "coord" else np.sqrt(np.sum(xi * xi, axis=1))


def _pareto_ts(alpha, s, ps=(0.3, 0.1, 0.01, 0.001)):
    """t with (t/s)^-alpha = p: the tail holds 30% .. 0.1% of the mass."""
    return tuple(s * np.array(ps) ** (-1.0 / alpha))


def _cases():
    e = np.exp
    par15 = stats.pareto(b=1.5)
    t3 = stats.t(3)
    sexp = stats.expon(loc=-1.0)
    g5 = radial3_pareto_coord_sf(1.5, 1.0)
    sexp_clip_mean = sexp.expect(lambda x: np.clip(x, -0.5, 0.5))
    rows = [
        Case(N.Gaussian(1.5), 1, (coord_ks(stats.norm(scale=1.5).cdf), sign_prop()),
             ts=(0.75, 1.5, 3.0, 4.5)),
        Case(N.Pareto(1.5), 1, (coord_ks(sym_cdf(par15.sf)), sign_prop()),
             ts=_pareto_ts(1.5, 1.0)),
        Case(N.Pareto(0.8, scale=2.0), 3, (coord_ks(sym_cdf(stats.pareto(b=0.8, scale=2.0).sf)),),
             ts=_pareto_ts(0.8, 2.0), label="Pareto(0.8, 2)-3d"),
        Case(N.CompoundPareto(1.5, 0.1, 2.0), 1, (compound_checks(0.1, 1.5, 2.0),),
             ts=(1.0, 2.02, 4.0, 20.0)),
        # Student-t: u2^(-2/df) - 1 cancels near u2 = 1, where a few-ulp difference in pow
        # becomes an absolute error ~ s sqrt(df) ulp / sqrt(y) (y the bracket); atol 1e-10
        # covers y > ~1e-11, i.e. all but a 1e-11 fraction of draws
        Case(N.StudentT(3), 1, (coord_ks(t3.cdf), sign_prop()), ts=(0.5, 1.0, 3.0, 10.0),
             atol=1e-10),
        Case(N.StudentT(0.8, scale=2.0), 3, (coord_ks(stats.t(0.8, scale=2.0).cdf),),
             ts=(1.0, 5.0, 50.0, 1000.0), atol=1e-10, label="StudentT(0.8, 2)-3d"),
        Case(N.Stable(1.2), 1, (coord_ks(stats.levy_stable(1.2, 0.0).cdf, STABLE_KS_N),
                                charfn(1.2, 1.0), sign_prop()), ts=(1.0, 3.0, 10.0, 30.0)),
        Case(N.Stable(1.5), 1, (coord_ks(stats.levy_stable(1.5, 0.0).cdf, STABLE_KS_N),
                                charfn(1.5, 1.0), sign_prop()), ts=(1.0, 3.0, 10.0, 30.0)),
        Case(N.Stable(1.8, scale=2.0), 1,
             (coord_ks(stats.levy_stable(1.8, 0.0, scale=2.0).cdf, STABLE_KS_N),
              charfn(1.8, 2.0), sign_prop()), ts=(2.0, 6.0, 20.0, 60.0)),
        Case(N.Stable(1.0, scale=0.5), 1, (coord_ks(stats.cauchy(scale=0.5).cdf),
                                           charfn(1.0, 0.5)), ts=(0.5, 2.0, 20.0, 100.0)),
        Case(N.Stable(2.0, scale=0.5), 1,  # N(0, 2 scale^2)
             (coord_ks(stats.norm(scale=np.sqrt(2.0) * 0.5).cdf), charfn(2.0, 0.5)),
             ts=(0.3, 0.7, 1.5, 2.0)),
        Case(N.Stable(0.7), 1, (coord_ks(stats.levy_stable(0.7, 0.0).cdf, STABLE_KS_N),
                                charfn(0.7, 1.0)), ts=(1.0, 10.0, 100.0, 1000.0)),
        Case(N.ShiftedExponential(), 1,
             (coord_ks(sexp.cdf), sign_prop(e(-1.0)),
              lambda xi: [("mean", "E xi", xi[:, 0], 0.0)]),
             ts=(0.25, 0.5, 1.0, 2.0, 5.0)),
        Case(N.Radial(N.Pareto(1.5)), 3,
             (norm_ks(par15.cdf), direction, coord_ks(sym_cdf(g5))),
             tail="norm", ts=_pareto_ts(1.5, 1.0)),
        Case(N.Radial(N.StudentT(3)), 3, (norm_ks(abs_cdf(t3.cdf)), direction),
             tail="norm", ts=(0.5, 1.0, 3.0, 10.0), atol=1e-10),
        Case(N.Radial(N.Stable(1.5)), 3,
             (norm_ks(abs_cdf(stats.levy_stable(1.5, 0.0).cdf), STABLE_KS_N), direction),
             tail="norm", ts=(1.0, 3.0, 10.0, 30.0)),
        Case(N.Radial(N.ShiftedExponential()), 2, (norm_ks(abs_cdf(sexp.cdf)), direction),
             tail="norm", ts=(0.25, 0.5, 1.0, 2.0), label="Radial(ShiftedExponential())-2d"),
        Case(N.Radial(N.Gaussian(1.0)), 1, (coord_ks(stats.norm.cdf), sign_prop()),
             tail="norm", ts=(0.5, 1.0, 2.0, 3.0), label="Radial(Gaussian(1.0))-1d"),
        Case(N.Clipped(N.Pareto(1.5), 5.0), 1,
             (clip_atoms(5.0, 0.5 * 5.0**-1.5, 0.5 * 5.0**-1.5,
                         conditional_cdf(sym_cdf(par15.sf), -5.0, 5.0)),),
             ts=(1.5, 2.0, 4.9, 5.0, 6.0)),
        Case(N.Clipped(N.ShiftedExponential(), 0.5), 1,
             (clip_atoms(0.5, 1.0 - e(-0.5), e(-1.5), conditional_cdf(sexp.cdf, -0.5, 0.5)),
              lambda xi: [("mean", "E clip(xi) (the clipping bias)", xi[:, 0], sexp_clip_mean)]),
             ts=(0.25, 0.49, 0.5)),
        Case(N.Clipped(N.Radial(N.Pareto(1.5)), 5.0), 3,
             (clip_atoms(5.0, 0.5 * float(g5(5.0)), 0.5 * float(g5(5.0)),
                         conditional_cdf(sym_cdf(g5), -5.0, 5.0)),),
             tail=None),
    ]
    return [pytest.param(c, id=c.label or repr(c.noise)) for c in rows]


NOISES = _cases()
