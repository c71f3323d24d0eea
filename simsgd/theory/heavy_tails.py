r"""Wang, Oh & Rhee (ICLR 2022), arXiv:2102.04297: truncated heavy-tailed SGD.

Exit from a basin of radius :math:`r` under :math:`X_{k+1} = X_k + \varphi_b(-\eta
\nabla f(X_k) + \eta Z_{k+1})` needs :math:`l^* = \lceil r/b \rceil` large jumps, and
with :math:`\lambda(\eta) = H(1/\eta)/\eta`, :math:`\lambda^* = H(1/\eta)
\lambda(\eta)^{l^*-1}`, :math:`C^* \lambda^* \tau \to \mathrm{Exp}(1)` in law
(THEORY.md §1; the constants are reconstructed or derived, not quoted).
"""

import math

import numpy as np
from scipy import integrate

from .. import _validate as V
from .prediction import Prediction

REF = "Wang, Oh, Rhee, ICLR 2022, arXiv:2102.04297"


def _alpha(alpha):
    """Wang et al.'s theory needs a finite mean: it refuses alpha <= 1 (sampling such
    noise is still allowed; only the prediction refuses)."""
    alpha = V.real("alpha", alpha)  # a finite real number
    if not alpha > 1:
        raise ValueError(f"alpha must be in (1, inf) (finite mean) for Wang et al.'s exit "
                         f"theory, got {alpha}")
    return alpha


def l_star(r, b):
    r"""Number of jumps needed to leave: :math:`l^* = \lceil r / b \rceil` (1 if ``b = inf``)."""
    r = V.positive("r", r)
    b = float(b)
    if not b > 0:
        raise ValueError(f"b must be > 0 (or inf for no truncation), got {b}")
    if math.isinf(b):
        return 1
    return int(math.ceil(r / b - 1e-12))


def exit_exponent(alpha, lstar):
    r"""Exponent of :math:`E\tau` in :math:`1/\eta` for Pareto tails: :math:`1 + l^*(\alpha-1)`."""
    alpha = _alpha(alpha)
    if int(lstar) != lstar or lstar < 1:
        raise ValueError(f"lstar must be an integer >= 1, got {lstar}")
    return Prediction(1.0 + lstar * (alpha - 1.0), "exponent", REF,
                      "eta -> 0 with H regularly varying of index -alpha; reached slowly with "
                      "plain Pareto noise (THEORY.md §1)")


def c_star_one_jump(alpha, r_plus, r_minus, b=math.inf, p_plus=0.5):
    r"""Derived constant for :math:`l^* = 1`:
    :math:`C^* = p_+ r_+^{-\alpha} 1\{b > r_+\} + p_- r_-^{-\alpha} 1\{b > r_-\}`."""
    alpha = _alpha(alpha)
    r_plus, r_minus = V.positive("r_plus", r_plus), V.positive("r_minus", r_minus)
    if not 0 <= p_plus <= 1:
        raise ValueError(f"p_plus must be in [0, 1], got {p_plus}")
    if not float(b) > 0:
        raise ValueError(f"b must be > 0, got {b}")
    c = p_plus * r_plus**-alpha * (b > r_plus) + (1 - p_plus) * r_minus**-alpha * (b > r_minus)
    if c == 0:
        raise ValueError(f"b = {b} is below both radii: exit needs more than one jump")
    return Prediction(float(c), "asymptotic", REF, "l* = 1 on both sides contributing")


def c_star_two_jumps_quadratic(alpha, kappa, r, b, p=0.5):
    r"""Derived constant for one side of a quadratic basin with :math:`l^* = 2`.

    For :math:`f = \tfrac{\kappa}{2}(x - m)^2`, an edge at distance :math:`r` with
    :math:`b < r < 2b`, and both jumps pointing to that edge:

    .. math::
        C^*_+ = p^2 \Big[\int_{r-b}^{b} \alpha u^{-\alpha-1} G(u)\,du + b^{-\alpha} G(b)\Big],
        \qquad G(u) = \frac{1}{\kappa}\int_{r-b}^{u} \frac{(r-y)^{-\alpha}}{y}\,dy .

    The term :math:`b^{-\alpha} G(b)` is the atom that truncation creates (every jump
    longer than ``b`` lands exactly at ``b``). Computed with ``scipy.integrate.quad``.
    Add the other side's constant when it also needs two jumps.
    """
    alpha = _alpha(alpha)
    kappa, r, b = V.positive("kappa", kappa), V.positive("r", r), V.positive("b", b)
    if not b < r < 2 * b:
        raise ValueError(f"need b < r < 2b for exactly two jumps, got r = {r}, b = {b}")
    if not 0 < p <= 1:
        raise ValueError(f"p must be in (0, 1], got {p}")

    def G(u):
        return integrate.quad(lambda y: (r - y) ** -alpha / y, r - b, u)[0] / kappa

    body = integrate.quad(lambda u: alpha * u ** (-alpha - 1) * G(u), r - b, b)[0]
    return Prediction(p**2 * (body + b**-alpha * G(b)), "asymptotic", REF,
                      "l* = 2, quadratic basin, b < r < 2b")


def mean_exit_time(c_star, H_inv_eta, eta, lstar):
    r""":math:`E\tau = 1 / (C^* \lambda^*)` with :math:`\lambda^* = H(1/\eta)\,(H(1/\eta)/\eta)^{l^*-1}`.

    Parameters
    ----------
    c_star : float or Prediction
    H_inv_eta : float
        The noise tail at :math:`1/\eta`; for compound-Poisson Pareto noise
        :math:`H(1/\eta) = q (\eta w_{min})^\alpha` when :math:`1/\eta \ge w_{min}`.
    eta : float
    lstar : int
    """
    c = c_star.value if isinstance(c_star, Prediction) else float(c_star)
    c, H = V.positive("c_star", c), V.positive("H_inv_eta", H_inv_eta)
    eta = V.positive("eta", eta)
    if int(lstar) != lstar or lstar < 1:
        raise ValueError(f"lstar must be an integer >= 1, got {lstar}")
    lam_star = H * (H / eta) ** (lstar - 1)
    return Prediction(1.0 / (c * lam_star), "asymptotic", REF,
                      "eta*w_min <= r - (l*-1) b and q/eta small (THEORY.md §1)")


def compound_regime_ok(eta, w_min, r, b, lstar):
    """THEORY.md's first condition for sharp agreement: ``eta w_min <= r - (l*-1) b``."""
    return bool(eta * w_min <= r - (lstar - 1) * b + 1e-12)



def classify_basins(radii, b):
    r"""Wide and narrow basins for truncation level ``b``.

    Each basin needs :math:`l^*_i = \lceil r_i / b \rceil` jumps to be left; basins with
    :math:`l^*_i = \max_j l^*_j` are *wide*, the others *narrow* (sharp). Narrow here
    means narrow relative to ``b``, not high curvature. After rescaling time by
    :math:`1/\lambda^*_{max}` the iterates converge to a Markov chain on the wide minima
    only; without truncation (``b = inf``) every basin has :math:`l^* = 1` and all are
    wide (THEORY.md §1, global dynamics).

    Parameters
    ----------
    radii : array_like, shape (n,)
        Distance from each minimum to its nearest basin edge (``MultiWell.radii``).
    b : float > 0 or inf

    Returns
    -------
    (l_stars, wide) : (ndarray of int, ndarray of bool)

    Examples
    --------
    >>> l, wide = classify_basins([0.85, 0.30, 0.80], b=0.5)
    >>> l.tolist(), wide.tolist()
    ([2, 1, 2], [True, False, True])
    """
    r = [float(v) for v in radii]
    if not r:
        raise ValueError("radii must contain at least one basin radius")
    l = np.array([l_star(v, b) for v in r], dtype=int)
    return l, l == l.max()
