r"""Per-coordinate noise laws.

Every law here draws each coordinate of :math:`\xi` independently, per step, from the
path's stream, consuming a fixed number of 64-bit words per coordinate (``n_words``),
coordinates ``0 .. d-1`` in order; the exception is :class:`Gaussian` in d >= 2, whose
coordinates (2k, 2k+1) share one Box-Muller pair of words. Below, :math:`u = `
``u01(r)`` is the uniform on :math:`(0, 1]` made of the top 53 bits of a word ``r``
(never 0, so ``log u`` is finite), and ``sign(r)`` is :math:`\pm 1` from its lowest bit (the bit ``u01`` does not
use); see :mod:`simsgd._kernels.rng`.
"""

from dataclasses import dataclass

import numpy as np

from .. import _validate as V
from .._kernels import codes as C
from .._kernels.rng import numpy_sign, numpy_u01
from ._base import NoiseModel, params

__all__ = ["Gaussian", "Pareto", "CompoundPareto", "StudentT", "Stable", "ShiftedExponential"]


@dataclass(frozen=True)
class Gaussian(NoiseModel):
    r"""Centred Gaussian noise, :math:`\xi_j \sim N(0, \sigma^2)` per coordinate.

    Sampling (Box-Muller; two words :math:`r_1, r_2` per pair of coordinates). In
    d >= 2, coordinates ``(2k, 2k+1)`` take both branches of one pair::

        xi_2k   = sigma * sqrt(-2 log u1) * cos(2 pi u2)
        xi_2k+1 = sigma * sqrt(-2 log u1) * sin(2 pi u2)

    and an odd last coordinate (and the only one in 1-D) the cosine branch alone, so a
    step consumes ``2 ceil(d/2)`` words. (Before 2026-11-24 every coordinate took the
    cosine branch of its own two words; 1-D streams are unchanged.)

    :math:`H(z) = 2\,\bar\Phi(z/\sigma)`; ``tail_index`` is ``inf``.

    Parameters
    ----------
    sigma : float >= 0, default 1
        Standard deviation (0 gives :math:`\xi = 0`, still consuming two words).

    Examples
    --------
    >>> round(Gaussian(2.0).H(2.0), 6)  # P(|N(0, 4)| > 2) = 2 (1 - Phi(1))
    0.317311
    """

    sigma: float = 1.0
    n_words = 2

    def __post_init__(self):
        object.__setattr__(self, "sigma", V.real("sigma", self.sigma, lo=0.0))

    def _tail(self, z):
        from scipy.stats import norm

        if self.sigma == 0.0:
            return np.zeros_like(z)
        return 2.0 * norm.sf(z, scale=self.sigma)

    def _lower(self):
        return params(C.NOISE_GAUSSIAN, a=self.sigma)

    def _numpy_draw(self, words, n):
        return self._numpy_pair(words)[0]

    def _numpy_pair(self, words):
        u1 = numpy_u01(words())
        u2 = numpy_u01(words())
        rad = self.sigma * np.sqrt(-2.0 * np.log(u1))
        return rad * np.cos(2.0 * np.pi * u2), rad * np.sin(2.0 * np.pi * u2)

    def _numpy_vector(self, words, n, dim):
        xi = np.empty((n, dim))
        for k in range(dim // 2):
            xi[:, 2 * k], xi[:, 2 * k + 1] = self._numpy_pair(words)
        if dim % 2 == 1:
            xi[:, dim - 1] = self._numpy_draw(words, n)
        return xi


@dataclass(frozen=True)
class Pareto(NoiseModel):
    r"""Symmetric Pareto noise: :math:`|\xi| = s\,U^{-1/\alpha}`, random sign.

    :math:`H(z) = P(|\xi| > z) = (z/s)^{-\alpha}` for :math:`z \ge s`, and 1 below
    (regularly varying with index :math:`-\alpha`, :math:`p_+ = p_- = 1/2`).
    ``tail_index`` is :math:`\alpha`.

    Sampling (one word :math:`r`; ``U`` from its top 53 bits, the sign from its lowest
    bit)::

        xi = sign(r) * s * u ** (-1/alpha)

    so the largest possible draw is :math:`s\,2^{53/\alpha}`. That overflows the double
    range for :math:`\alpha < 53/1024 \approx 0.052` (with ``s = 1``): ``simulate``
    saturates an overflowed draw at the largest double (``1.8e308``) instead of letting
    it become ``inf`` (then the optimiser decides: a clip or signSGD takes a finite step,
    plain SGD diverges and is counted).

    Parameters
    ----------
    alpha : float > 0
        Tail index. The mean exists for ``alpha > 1``; Wang et al.'s theorems need it.
    scale : float > 0, default 1
        The smallest :math:`|\xi|`, ``s``.
    """

    alpha: float
    scale: float = 1.0
    n_words = 1

    def __post_init__(self):
        object.__setattr__(self, "alpha", V.positive("alpha", self.alpha))
        object.__setattr__(self, "scale", V.positive("scale", self.scale))

    @property
    def tail_index(self):
        return self.alpha

    def _tail(self, z):
        return np.where(z >= self.scale, (np.maximum(z, self.scale) / self.scale) ** -self.alpha,
                        1.0)

    def _lower(self):
        return params(C.NOISE_PARETO, a=-1.0 / self.alpha, b=self.scale)

    def _numpy_draw(self, words, n):
        r = words()
        return numpy_sign(r) * self.scale * numpy_u01(r) ** (-1.0 / self.alpha)


@dataclass(frozen=True)
class CompoundPareto(NoiseModel):
    r"""Compound-Poisson Pareto noise: bulk-free heavy tails.

    Per step and coordinate, :math:`\xi = 0` with probability :math:`1 - q`, else a jump
    :math:`w_{min} U^{-1/\alpha}` with a random sign. Then
    :math:`H(z) = q\,(z/w_{min})^{-\alpha}` exactly for :math:`z \ge w_{min}` (and
    :math:`q` for :math:`0 \le z < w_{min}`), which makes Wang et al.'s constants visible
    at practical step sizes (THEORY.md §1). ``tail_index`` is :math:`\alpha`.

    Sampling (two words :math:`r_1, r_2`, always both, so a jump does not shift the
    stream of the next coordinate)::

        xi = sign(r2) * w_min * u2 ** (-1/alpha)   if u1 <= q,   else 0

    Parameters
    ----------
    alpha : float > 0
    rate : float in (0, 1]
        The jump probability ``q``.
    w_min : float > 0
        The smallest jump.
    """

    alpha: float
    rate: float
    w_min: float
    n_words = 2

    def __post_init__(self):
        object.__setattr__(self, "alpha", V.positive("alpha", self.alpha))
        object.__setattr__(self, "rate", V.real("rate", self.rate, lo=0.0, hi=1.0, lo_open=True))
        object.__setattr__(self, "w_min", V.positive("w_min", self.w_min))

    @property
    def tail_index(self):
        return self.alpha

    def _tail(self, z):
        return np.where(z >= self.w_min,
                        self.rate * (np.maximum(z, self.w_min) / self.w_min) ** -self.alpha,
                        self.rate)

    def _lower(self):
        return params(C.NOISE_COMPOUND, a=-1.0 / self.alpha, b=self.rate, c=self.w_min)

    def _numpy_draw(self, words, n):
        r1 = words()
        r2 = words()
        jump = numpy_sign(r2) * self.w_min * numpy_u01(r2) ** (-1.0 / self.alpha)
        return np.where(numpy_u01(r1) <= self.rate, jump, 0.0)


@dataclass(frozen=True)
class StudentT(NoiseModel):
    r"""Student's t noise with ``df`` degrees of freedom: :math:`\xi = s\,T_\nu`.

    :math:`H(z) = 2\,P(T_\nu > z/s)` (``2 * scipy.stats.t.sf(z, df, scale=s)``);
    :math:`H(z) \sim C z^{-\nu}`, so ``tail_index`` is :math:`\nu` = ``df``. Moments of
    order :math:`< \nu` exist; ``df = 1`` is the Cauchy law.

    Sampling (Bailey's polar method, in the form that needs no rejection; two words
    :math:`r_1, r_2`)::

        xi = s * cos(2 pi u1) * sqrt(df * (u2 ** (-2/df) - 1))

    Bailey (1994) shows that :math:`\sqrt{\nu (U^{-2/\nu} - 1)}\cos(2\pi V)` is
    :math:`t_\nu`. Near :math:`u_2 = 1` the bracket cancels: an error of a few ulps in
    the power becomes a relative error :math:`\approx \nu / (2 |\ln u_2|)` times larger
    in the bracket (an *absolute* error of a few ulps of 1 there).

    Parameters
    ----------
    df : float > 0
        Degrees of freedom :math:`\nu` (also the tail index).
    scale : float > 0, default 1
        ``s``.

    Examples
    --------
    >>> StudentT(3).tail_index
    3.0
    >>> round(StudentT(1.0).H(1.0), 12)  # Cauchy: P(|C| > 1) = 1/2
    0.5
    """

    df: float
    scale: float = 1.0
    n_words = 2

    def __post_init__(self):
        object.__setattr__(self, "df", V.positive("df", self.df))
        object.__setattr__(self, "scale", V.positive("scale", self.scale))

    @property
    def tail_index(self):
        return self.df

    def _tail(self, z):
        from scipy.stats import t

        return 2.0 * t.sf(z, self.df, scale=self.scale)

    def _lower(self):
        return params(C.NOISE_STUDENT_T, a=-2.0 / self.df, b=self.df, c=self.scale)

    def _numpy_draw(self, words, n):
        u1 = numpy_u01(words())
        u2 = numpy_u01(words())
        return (self.scale * np.cos(2.0 * np.pi * u1)
                * np.sqrt(self.df * (u2 ** (-2.0 / self.df) - 1.0)))


@dataclass(frozen=True)
class Stable(NoiseModel):
    r"""Symmetric :math:`\alpha`-stable noise: :math:`E e^{i t \xi} = e^{-|s t|^\alpha}`.

    This is ``scipy.stats.levy_stable(alpha, 0, scale=s)``: with :math:`\beta = 0`
    scipy's two parametrisations (S0 and its default S1) coincide, and its ``scale`` is
    the ``s`` of the characteristic function above. So ``alpha = 2`` is
    :math:`N(0, 2 s^2)` (not :math:`N(0, s^2)`) and ``alpha = 1`` is Cauchy with scale
    ``s``. For :math:`\alpha < 2`,
    :math:`H(z) \sim \frac{2}{\pi}\Gamma(\alpha)\sin(\pi\alpha/2)\,(z/s)^{-\alpha}`, so
    ``tail_index`` is :math:`\alpha` (``inf`` at :math:`\alpha = 2`). ``H`` is
    ``2 * scipy.stats.levy_stable.sf(z, alpha, 0, scale=s)`` (the normal and Cauchy
    closed forms at :math:`\alpha = 2` and 1), except where the tail series of
    :func:`_stable_sf` has converged: there scipy's numerical integration loses its
    accuracy, down to returning 0 (e.g. ``z >= 1000`` at ``alpha = 1.5``).

    Sampling (Chambers-Mallows-Stuck with :math:`\beta = 0`; two words
    :math:`r_1, r_2`)::

        V = pi * (u1 - 0.5)          # uniform on (-pi/2, pi/2]
        W = -log(u2)                 # Exp(1)
        k = (1 - alpha) / alpha
        X = sin(alpha V) / cos(V) * (cos(V - alpha V) / (W cos(V))) ** k
        xi = s * X

    This is the textbook ``sin(alpha V) / cos(V) ** (1/alpha) * (cos(V - alpha V) / W) ** k``
    (as ``-1/alpha = -1 - k``), in the form the kernel evaluates with one log and one exp;
    at ``alpha = 1`` (``k = 0``) it is ``tan(V) = sin(V) / cos(V)`` exactly. (The kernel
    evaluated the textbook form, with an ``alpha == 1`` branch, until this form replaced it
    together with new sin/cos/exp polynomials: every kernel draw changed by a few ulps,
    ``alpha = 1`` included; the two words a draw consumes did not change.)

    ``u2 = 1`` (probability :math:`2^{-53}`) gives ``W = 0``, hence ``X = 0`` for
    :math:`\alpha > 1` and an infinite ``X`` for :math:`\alpha < 1`; the kernel floors
    ``W`` at :math:`2^{-53}`. For :math:`\alpha` below about 0.1 the product can still
    overflow: ``simulate`` saturates it at the largest double, as for Pareto.

    Parameters
    ----------
    alpha : float in (0, 2]
        Stability index.
    scale : float > 0, default 1
        ``s`` (scipy's ``scale``).

    Examples
    --------
    >>> Stable(1.5).tail_index, Stable(2.0).tail_index
    (1.5, inf)
    """

    alpha: float
    scale: float = 1.0
    n_words = 2

    def __post_init__(self):
        object.__setattr__(self, "alpha", V.real("alpha", self.alpha, lo=0.0, hi=2.0,
                                                 lo_open=True))
        object.__setattr__(self, "scale", V.positive("scale", self.scale))

    @property
    def tail_index(self):
        return np.inf if self.alpha == 2.0 else self.alpha

    def _tail(self, z):
        from scipy import stats

        if self.alpha == 2.0:
            return 2.0 * stats.norm.sf(z, scale=np.sqrt(2.0) * self.scale)
        if self.alpha == 1.0:
            return 2.0 * stats.cauchy.sf(z, scale=self.scale)
        return 2.0 * _stable_sf(z / self.scale, self.alpha)

    def _lower(self):
        return params(C.NOISE_STABLE, a=self.alpha, b=self.scale)

    def _numpy_draw(self, words, n):
        a = self.alpha
        u1 = numpy_u01(words())
        u2 = numpy_u01(words())
        v = np.pi * (u1 - 0.5)
        w = -np.log(u2)
        # cos V = sin(pi U) = sin(pi (1 - U)), exact arguments (1 - U is exact for U > 1/2):
        # np.cos(v) loses relative accuracy near V = pi/2, where the kernel's exactly
        # reduced vsincos2pi does not; floored at cos(fl(pi/2)) as the kernel does at U = 1
        cv = np.maximum(np.where(u1 > 0.5, np.sin(np.pi * (1.0 - u1)), np.sin(np.pi * u1)),
                        np.cos(np.pi / 2))
        # the kernel's form (see the class docstring): k = 0 at a = 1 gives sin(v) / cv
        x = np.sin(a * v) / cv * (np.cos(v - a * v) / (w * cv)) ** ((1.0 - a) / a)
        return self.scale * x


def _stable_sf(z, alpha, rel=1e-13, kmax=80):
    r"""``P(X > z)`` of the standard symmetric :math:`\alpha`-stable law, for ``z >= 0``.

    Uses the tail series (Bergström; Zolotarev 1986, §2.4)

    .. math::

        P(X > z) = \frac{1}{\pi} \sum_{k \ge 1} (-1)^{k+1}
                   \frac{\Gamma(k\alpha)}{k!} \sin\frac{k\pi\alpha}{2}\, z^{-k\alpha},

    convergent for :math:`\alpha < 1` and asymptotic for :math:`1 < \alpha < 2`. It is
    truncated after the first ``m`` terms such that the bound
    :math:`\Gamma((m+1)\alpha) z^{-(m+1)\alpha} / (\pi (m+1)!)` on the next term is below
    ``rel`` times the partial sum, and no earlier term exceeds 1000 times it (so that
    cancellation costs at most 3 digits); where no ``m <= kmax`` qualifies (the bulk),
    ``scipy.stats.levy_stable.sf`` is used. Where both apply they agree to ~1e-13.
    """
    from scipy import special, stats

    z = np.asarray(z, dtype=float)
    flat = z.ravel()
    out = np.full(flat.shape, np.nan)
    pos = flat > 0.0
    out[flat == 0.0] = 0.5
    if np.any(pos):
        zp = flat[pos]
        k = np.arange(1, kmax + 1, dtype=float)[:, None]
        with np.errstate(over="ignore", invalid="ignore"):
            b = np.exp(special.gammaln(k * alpha) - special.gammaln(k + 1.0)
                       - k * alpha * np.log(zp)[None, :]) / np.pi
            partial = np.cumsum(b * np.where(k % 2 == 1, 1.0, -1.0)
                                * np.sin(k * np.pi * alpha / 2), axis=0)
        with np.errstate(over="ignore", invalid="ignore"):
            size = np.abs(partial[:-1])
            good = (np.isfinite(partial[:-1]) & (b[1:] <= rel * size)
                    & (np.maximum.accumulate(b, axis=0)[:-1] <= 1e3 * size))
        ok = good.any(axis=0)
        m = np.argmax(good, axis=0)
        series = partial[m, np.arange(zp.size)]
        if not np.all(ok):
            series[~ok] = stats.levy_stable.sf(zp[~ok], alpha, 0.0)
        out[pos] = series
    return out.reshape(z.shape)


@dataclass(frozen=True)
class ShiftedExponential(NoiseModel):
    r"""Centred, skewed noise :math:`\xi = E - 1` with :math:`E \sim \mathrm{Exp}(1)`.

    Mean 0, variance 1, support :math:`[-1, \infty)`: the asymmetric law of the
    clipping-bias experiment (clipping an asymmetric law moves its mean). Light-tailed
    (``tail_index`` is ``inf``), with

    .. math::

        H(z) = P(|E - 1| > z) = \begin{cases}
            e^{-(1+z)} + 1 - e^{-(1-z)} & 0 \le z < 1, \\
            e^{-(1+z)} & z \ge 1.
        \end{cases}

    Sampling (one word)::

        xi = -log(u) - 1

    Examples
    --------
    >>> ShiftedExponential().H(2.0) == float(np.exp(-3.0))
    True
    """

    n_words = 1

    def _tail(self, z):
        return np.where(z < 1.0, np.exp(-1.0 - z) - np.expm1(np.minimum(z, 1.0) - 1.0),
                        np.exp(-1.0 - z))

    def _lower(self):
        return params(C.NOISE_SHIFTED_EXP)

    def _numpy_draw(self, words, n):
        return -np.log(numpy_u01(words())) - 1.0
