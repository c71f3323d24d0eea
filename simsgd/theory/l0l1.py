r"""Clipping and normalisation under :math:`(L_0, L_1)`-smoothness (THEORY.md §4).

A twice-differentiable :math:`f` is :math:`(L_0, L_1)`-smooth when
:math:`\|\nabla^2 f(x)\| \le L_0 + L_1 \|\nabla f(x)\|` (Zhang, He, Sra, Jadbabaie, ICLR 2020,
arXiv:1905.11881). With :math:`G = \|\nabla f(x)\|` it gives the descent bound
:math:`f(x - t \nabla f/G) \le f(x) - tG + \frac{L_0 + L_1 G}{L_1^2}\varphi(L_1 t)`,
:math:`\varphi(s) = e^s - s - 1`, whose minimiser is :func:`best_step`. Clipped GD
(:func:`zhang_clipped_gd`) needs a number of iterations polynomial in the constants, while
fixed-step GD can need exponentially many (:func:`gd_iterations_cosh`). A landscape's
declared constants are read with :func:`constants_of`. With asymmetric
noise clipped SGD settles away from the optimum (:func:`clipping_bias_fixed_point`,
Koloskova, Hendrikx, Stich, ICML 2023, arXiv:2305.01588).
"""

import math
from typing import NamedTuple

import numpy as np
from scipy import integrate, optimize, stats

from .prediction import Prediction

REF_ZHANG = "Zhang, He, Sra, Jadbabaie, ICLR 2020, arXiv:1905.11881"
REF_KOLOSKOVA = "Koloskova, Hendrikx, Stich, ICML 2023, arXiv:2305.01588"
REF_DERIVED = "derived for simsgd (THEORY.md §4)"

#: Declared :math:`(L_0, L_1)` per function name (THEORY.md §4). Read it through
#: :func:`declared_l0l1`, which fills in the parameters. ``None``: no constants exist.
L0L1_TABLE = {
    "exp": "exp(k x): (0, |k|); parameter k",
    "cosh": "cosh x: (1, 1)",
    "quartic": "x^4 and ||x||^4: (16 / L1^2, L1) for any L1 > 0; parameter L1",
    "quartic_diag": "||A x||^4, A = diag(a), a > 0: (16 a_max^6 / (L1^2 a_min^2), L1) for any "
                    "L1 > 0; parameters a, L1",
    "logistic": "log(1 + exp(-x)): (1/4, 0)",
    "log_cosh": "log cosh x: (1, 0)",
    "exp_square": None,  # exp(x^2): the Hessian outgrows any L0 + L1 |f'| (a negative control)
}


def _positive(name, v):
    v = float(v)
    if not (v > 0 and math.isfinite(v)):
        raise ValueError(f"{name} must be a finite number > 0, got {v}")
    return v


def _nonnegative(name, v):
    v = float(v)
    if not (v >= 0 and math.isfinite(v)):
        raise ValueError(f"{name} must be a finite number >= 0, got {v}")
    return v


def declared_l0l1(name, **params):
    r"""The declared :math:`(L_0, L_1)` of a named function (see :data:`L0L1_TABLE`).

    ========================  =====================================================
    name                      :math:`(L_0, L_1)`
    ========================  =====================================================
    ``exp``                   :math:`(0, |k|)` for :math:`e^{kx}`
    ``cosh``                  :math:`(1, 1)`
    ``quartic``               :math:`(16/L_1^2, L_1)` for :math:`x^4`, :math:`\|x\|^4`
    ``quartic_diag``          :math:`(16 a_{max}^6/(L_1^2 a_{min}^2), L_1)` for
                              :math:`\|Ax\|^4`, :math:`A = \mathrm{diag}(a)`
    ``logistic``              :math:`(1/4, 0)`
    ``log_cosh``              :math:`(1, 0)`
    ``exp_square``            none: :math:`e^{x^2}` is not :math:`(L_0, L_1)`-smooth
    ========================  =====================================================

    For ``quartic`` the minimum of :math:`L_0 + 4L_1 t^3 - 12t^2` over :math:`t \ge 0` is 0 at
    :math:`t = 2/L_1`, so :math:`16/L_1^2` is the smallest valid :math:`L_0`.

    Parameters
    ----------
    name : str
        A key of :data:`L0L1_TABLE`.
    **params
        ``k`` for ``exp``; ``L1`` (> 0) for ``quartic``; ``a`` (1-D, > 0) and ``L1`` for
        ``quartic_diag``.

    Returns
    -------
    tuple of float
        ``(L0, L1)``.

    Raises
    ------
    ValueError
        Unknown ``name``, ``exp_square`` (no constants exist), missing or bad parameters.

    Examples
    --------
    >>> declared_l0l1("quartic", L1=2.0)
    (4.0, 2.0)
    """
    if name not in L0L1_TABLE:
        raise ValueError(f"name must be one of {sorted(L0L1_TABLE)}, got {name!r}")
    if L0L1_TABLE[name] is None:
        raise ValueError(f"name {name!r}: exp(x^2) has no (L0, L1): its Hessian "
                         "(2 + 4x^2) e^{x^2} outgrows L0 + L1 |2x e^{x^2}| for every (L0, L1)")
    expected = {"exp": {"k"}, "quartic": {"L1"}, "quartic_diag": {"a", "L1"}}.get(name, set())
    if set(params) != expected:
        raise ValueError(f"name {name!r} takes parameters {sorted(expected)}, got {sorted(params)}")
    if name == "exp":
        k = float(params["k"])
        if not math.isfinite(k):
            raise ValueError(f"k must be finite, got {k}")
        return (0.0, abs(k))
    if name == "cosh":
        return (1.0, 1.0)
    if name == "logistic":
        return (0.25, 0.0)
    if name == "log_cosh":
        return (1.0, 0.0)
    L1 = _positive("L1", params["L1"])
    if name == "quartic":
        return (16.0 / L1**2, L1)
    a = np.asarray(params["a"], dtype=float)
    if a.ndim != 1 or a.size < 1 or not np.all(np.isfinite(a)) or not np.all(a > 0):
        raise ValueError(f"a must be a 1-D array of finite entries > 0, got {params['a']!r}")
    return (float(16.0 * a.max() ** 6 / (L1**2 * a.min() ** 2)), L1)


def constants_of(landscape):
    r"""The declared :math:`(L_0, L_1)` of a landscape, for the predictions of this module.

    Reads the landscape's ``l0l1`` attribute (duck-typed: this module imports nothing from
    :mod:`simsgd.landscapes`), e.g.
    ``zhang_clipped_gd(*constants_of(sg.landscapes.Cosh()), delta, eps)``.

    Parameters
    ----------
    landscape : object
        A landscape with an ``l0l1`` attribute: ``(L0, L1)`` or ``None``.

    Returns
    -------
    tuple of float
        ``(L0, L1)``.

    Raises
    ------
    ValueError
        When the landscape declares no constants: ``ExpSquare`` (``exp(x^2)`` is not
        :math:`(L_0, L_1)`-smooth) or a landscape outside the :math:`(L_0, L_1)` family.

    Examples
    --------
    >>> import simsgd as sg
    >>> constants_of(sg.landscapes.Exp(-3.0))
    (0.0, 3.0)
    """
    constants = getattr(landscape, "l0l1", None)
    if constants is None:
        if type(landscape).__name__ == "ExpSquare":
            raise ValueError("landscape ExpSquare has no (L0, L1): exp(x^2) is not "
                             "(L0, L1)-smooth (its Hessian (2 + 4x^2) e^{x^2} outgrows "
                             "L0 + L1 |2x e^{x^2}| for every (L0, L1)); it is a negative control")
        raise ValueError(f"landscape {type(landscape).__name__} declares no (L0, L1) constants "
                         "(l0l1 is None); use Cosh, Exp, Quartic, LogCosh or Logistic")
    L0, L1 = constants
    return float(L0), float(L1)


def best_step(L0, L1, G):
    r"""Step length along :math:`-\nabla f / G` that minimises the :math:`(L_0, L_1)` descent bound,
    expressed as a learning rate (multiply by :math:`G` for the step length):

    .. math::
        \eta^\star = \frac{\ln\!\big(1 + \frac{L_1 G}{L_0 + L_1 G}\big)}{L_1 G}
        \approx \frac{1}{L_0 + L_1 G},
        \qquad \eta^\star \to 1/L_0 \text{ as } L_1 G \to 0 .

    Parameters
    ----------
    L0, L1 : float
        Smoothness constants, >= 0, with :math:`L_0 + L_1 G > 0`.
    G : float
        Gradient norm :math:`\|\nabla f(x)\|`, >= 0.

    Returns
    -------
    Prediction
        kind ``tight``: exact for the bound (not a claim about :math:`f` itself).

    Notes
    -----
    Setting the derivative of :math:`-\eta G^2 + \frac{L_0+L_1G}{L_1^2}\varphi(L_1 G\eta)` to 0
    gives :math:`e^{L_1 G \eta} = 1 + L_1 G/(L_0 + L_1 G)`. ``log1p`` keeps it accurate for
    small :math:`L_1 G`.

    Examples
    --------
    >>> best_step(1.0, 0.0, 5.0).value
    1.0
    """
    L0, L1, G = _nonnegative("L0", L0), _nonnegative("L1", L1), _nonnegative("G", G)
    t = L1 * G
    valid = "minimiser of the (L0, L1) descent upper bound along -grad f"
    if L0 + t <= 0:
        raise ValueError(f"L0 + L1 G must be > 0, got L0 = {L0}, L1 = {L1}, G = {G}")
    if t == 0:
        return Prediction(1.0 / L0, "tight", REF_DERIVED, valid)
    return Prediction(math.log1p(t / (L0 + t)) / t, "tight", REF_DERIVED, valid)


class ClippedGD(NamedTuple):
    """Zhang et al.'s clipped-GD recipe: step, clip threshold and the iteration bound."""

    eta: float
    clip: float
    iterations: Prediction


def zhang_clipped_gd(L0, L1, delta, eps):
    r"""Clipped GD of Zhang et al. (2020, Theorem 3; reconstructed, THEORY.md §4).

    Update :math:`x_{k+1} = x_k - \eta_c\, \mathrm{clip}_\gamma(\nabla f(x_k))` with

    .. math::
        \eta_c = \frac{1}{10 L_0},\qquad \gamma = \min\Big(10 L_0, \frac{L_0}{L_1}\Big),

    reaches :math:`\|\nabla f\| \le \varepsilon` within

    .. math::
        \frac{20 L_0 \Delta}{\varepsilon^2} + \frac{20 \max(1, L_1^2) \Delta}{L_0}

    iterations, :math:`\Delta = f(x_0) - f^*`.

    Parameters
    ----------
    L0 : float
        > 0 (the step is :math:`1/(10 L_0)`).
    L1 : float
        >= 0; :math:`L_1 = 0` gives :math:`\gamma = 10 L_0`.
    delta : float
        Initial suboptimality :math:`f(x_0) - f^* > 0`.
    eps : float
        Target gradient norm > 0.

    Returns
    -------
    ClippedGD
        ``eta``, ``clip`` and ``iterations`` (a Prediction of kind ``upper``).

    Examples
    --------
    >>> r = zhang_clipped_gd(1.0, 1.0, 1.0, 0.1)
    >>> r.eta, r.clip, round(r.iterations.value, 6)
    (0.1, 1.0, 2020.0)
    """
    L0, L1 = _positive("L0", L0), _nonnegative("L1", L1)
    delta, eps = _positive("delta", delta), _positive("eps", eps)
    clip = min(10.0 * L0, L0 / L1) if L1 > 0 else 10.0 * L0
    bound = 20.0 * L0 * delta / eps**2 + 20.0 * max(1.0, L1**2) * delta / L0
    return ClippedGD(1.0 / (10.0 * L0), clip,
                     Prediction(bound, "upper", REF_ZHANG,
                                "f is (L0, L1)-smooth and bounded below; deterministic gradients"))


def gd_iterations_cosh(x0, tol=1e-6, h=None, max_iter=10_000_000):
    r"""Exact number of fixed-step GD iterations on :math:`f = \cosh x` until
    :math:`|f'| \le` ``tol``.

    Iterates :math:`x_{k+1} = x_k - h \sinh x_k` from :math:`x_0` and returns the smallest
    :math:`k \ge 0` with :math:`|\sinh x_k| \le \mathrm{tol}` (so :math:`k` counts gradient
    steps, and :math:`k = 0` if :math:`x_0` already qualifies). The default
    :math:`h = 1/\cosh x_0` is the largest step that is safe from :math:`x_0` (the curvature
    on the sublevel set is at most :math:`\cosh x_0`); it then needs about
    :math:`\cosh(x_0) \ln(\sinh x_0 / \mathrm{tol})` steps, exponential in :math:`|x_0|`.
    This convention reproduces THEORY.md's table (1,067 for :math:`x_0 = 5`, 159,775 for
    :math:`x_0 = 10`).

    Parameters
    ----------
    x0 : float
        Start, finite.
    tol : float
        Gradient tolerance > 0.
    h : float, optional
        Step > 0; default :math:`1/\cosh x_0`.
    max_iter : int
        Give up after this many steps.

    Returns
    -------
    Prediction
        kind ``tight``; value is the count as a float, or ``inf`` if it exceeds ``max_iter``
        or the iterates diverge (:math:`|x| > 700`, where ``sinh`` overflows).

    Examples
    --------
    >>> gd_iterations_cosh(5.0).value
    1067.0
    """
    x = float(x0)
    if not math.isfinite(x):
        raise ValueError(f"x0 must be finite, got {x0}")
    tol = _positive("tol", tol)
    h = 1.0 / math.cosh(x) if h is None else _positive("h", h)
    if int(max_iter) != max_iter or max_iter < 0:
        raise ValueError(f"max_iter must be an integer >= 0, got {max_iter}")
    valid = f"f = cosh x, fixed step h = {h:.6g}, stop at |sinh x| <= {tol:g}"
    # A plain Python loop: the recursion is sequential, so NumPy cannot vectorise it, and
    # math.sinh on floats is ~10x faster than np.sinh on scalars.
    sinh = math.sinh
    for k in range(int(max_iter) + 1):
        g = sinh(x)
        if abs(g) <= tol:
            return Prediction(float(k), "tight", REF_DERIVED, valid)
        x -= h * g
        if abs(x) > 700.0:
            break
    return Prediction(math.inf, "tight", REF_DERIVED, valid)


_NOISES = {"shifted_exponential": lambda: stats.expon(loc=-1.0)}


def _noise_law(noise):
    if isinstance(noise, str):
        if noise not in _NOISES:
            raise ValueError(f"noise must be one of {sorted(_NOISES)} or a frozen scipy.stats "
                             f"continuous distribution, got {noise!r}")
        return _NOISES[noise]()
    if not (hasattr(noise, "cdf") and hasattr(noise, "sf") and hasattr(noise, "pdf")):
        raise ValueError("noise must be a name or a frozen scipy.stats continuous distribution "
                         f"(with pdf, cdf, sf), got {noise!r}")
    return noise


def expected_clipped_gradient(x, c, noise="shifted_exponential"):
    r""":math:`m(x) = E\,\mathrm{clip}_c(x + \xi)` for :math:`f = x^2/2`, exactly:

    .. math::
        m(x) = c\,P(\xi > c - x) - c\,P(\xi < -c - x) + \int_{-c-x}^{c-x} (x + z)\,p_\xi(z)\,dz,

    the integral by ``scipy.integrate.quad`` over the unclipped window only, so the kinks of
    the clip never fall inside a quadrature interval.
    """
    law = _noise_law(noise)
    c = _positive("c", c)
    lo, hi = -c - x, c - x
    # Integrate over the window cut to the support: a density that jumps at a support edge
    # (Exp(1) - 1 at -1) inside the window made quad miss mass (bias 2e-3 instead of 1.2e-4
    # at c = 8).
    a, b = (float(v) for v in law.support())
    body = 0.0
    if max(lo, a) < min(hi, b):
        body = integrate.quad(lambda z: (x + z) * law.pdf(z), max(lo, a), min(hi, b),
                              epsabs=1e-14, epsrel=1e-12, limit=200)[0]
    return float(c * law.sf(hi) - c * law.cdf(lo) + body)


def clipping_bias_fixed_point(c, noise="shifted_exponential"):
    r"""Where clipped SGD on :math:`f = x^2/2` settles: the root of
    :math:`E\,\mathrm{clip}_c(x + \xi) = 0`.

    Clipped SGD :math:`x_{k+1} = x_k - \eta\,\mathrm{clip}_c(x_k + \xi_k)` has mean drift
    :math:`-\eta\, m(x)` with :math:`m` from :func:`expected_clipped_gradient`; its stationary
    mean tends to the root :math:`x^\dagger` of :math:`m` as :math:`\eta \to 0`. For centred
    but asymmetric noise :math:`x^\dagger \ne 0`, the clipping bias of Koloskova et al. With
    :math:`\xi \sim \mathrm{Exp}(1) - 1` and :math:`c = 1`: :math:`x^\dagger = 0.15859`;
    symmetric noise gives 0.

    For :math:`\mathrm{Exp}(1) - 1` noise and :math:`c \ge 1` the lower clip never acts, so
    :math:`m(x) = x - e^{-(c + 1 - x)}` and :math:`x^\dagger = -W_0(-e^{-(c+1)})` (Lambert
    :math:`W`), about :math:`e^{-(c+1)}` for large :math:`c`; the tests check the quadrature
    against it.

    :math:`m` is continuous and increasing (:math:`m'(x) = P(|x + \xi| < c) > 0` where the
    noise has a positive density), from :math:`-c` to :math:`c`, so the root is unique; it is
    bracketed by doubling and found with ``scipy.optimize.brentq``.

    Parameters
    ----------
    c : float
        Clipping level > 0 on the gradient.
    noise : str or frozen scipy.stats distribution
        ``'shifted_exponential'`` (:math:`\mathrm{Exp}(1) - 1`) or any frozen continuous law
        with mean 0 (an undefined mean, as for Cauchy, is accepted: the clip is bounded).

    Returns
    -------
    Prediction
        kind ``asymptotic`` (the small-step limit of the time average).

    Raises
    ------
    ValueError
        ``c`` not > 0, unknown ``noise``, or noise with a finite nonzero mean.

    Examples
    --------
    >>> round(clipping_bias_fixed_point(1.0).value, 5)
    0.15859
    """
    c = _positive("c", c)
    law = _noise_law(noise)
    mean, std = float(law.mean()), float(law.std())
    if math.isfinite(mean) and abs(mean) > 1e-9 * max(1.0, std if math.isfinite(std) else 1.0):
        raise ValueError(f"noise must be centred (mean 0, unbiased gradients), got mean {mean}")

    def m(x):
        return expected_clipped_gradient(x, c, law)

    lo, hi = -1.0, 1.0
    for _ in range(200):
        if m(lo) < 0:
            break
        lo *= 2.0
    for _ in range(200):
        if m(hi) > 0:
            break
        hi *= 2.0
    if m(lo) == 0.0:
        root = lo
    elif m(hi) == 0.0:
        root = hi
    else:
        root = optimize.brentq(m, lo, hi, xtol=1e-13, rtol=1e-13)
    return Prediction(float(root), "asymptotic", REF_KOLOSKOVA,
                      "f = x^2/2, iid centred noise, step eta -> 0 (time average)")
