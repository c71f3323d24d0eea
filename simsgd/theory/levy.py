r"""Şimşekli, Sagun, Gürbüzbalaban (ICML 2019), arXiv:1901.06053: heavy-tailed gradient noise,
its tail index, and the exit time of the Lévy-driven SDE (THEORY.md §5).

For :math:`dX = -f'(X)\,dt + \varepsilon\, dL^\alpha_t` with :math:`L^\alpha` a symmetric
:math:`\alpha`-stable Lévy motion, the first exit from a basin of half-widths :math:`a_-,
a_+` happens through one large jump as :math:`\varepsilon \to 0` (Imkeller & Pavlyukevich,
2006): the mean exit time grows like width\ :sup:`alpha` and does not depend on depth.
"""

import math

from scipy import special

from .prediction import Prediction

REF = "Simsekli, Sagun, Gurbuzbalaban, ICML 2019, arXiv:1901.06053"
REF_EXIT = ("Imkeller & Pavlyukevich, Stoch. Proc. Appl. 116 (2006), as used by "
            "Simsekli et al., ICML 2019")


def _positive(name, v):
    v = float(v)
    if not (v > 0 and math.isfinite(v)):
        raise ValueError(f"{name} must be a finite number > 0, got {v}")
    return v


def c_alpha(alpha):
    r"""Lévy-measure constant of the standard symmetric :math:`\alpha`-stable law:
    :math:`c_\alpha = \Gamma(1 + \alpha) \sin(\pi\alpha/2) / \pi`.

    The law with characteristic function :math:`e^{-|u|^\alpha}` (``scipy.stats.levy_stable``
    with ``beta = 0``, ``scale = 1``) has Lévy density :math:`c_\alpha |y|^{-1-\alpha}`, so
    :math:`P(L_1 > x) \sim c_\alpha x^{-\alpha}/\alpha`. Defined for :math:`\alpha \in (0, 2)`.

    Examples
    --------
    >>> round(c_alpha(1.0), 6) == round(1 / math.pi, 6)
    True
    """
    alpha = float(alpha)
    if not 0 < alpha < 2:
        raise ValueError(f"alpha must be in (0, 2) for a Levy measure, got {alpha}")
    return float(special.gamma(1.0 + alpha)) * math.sin(math.pi * alpha / 2.0) / math.pi


def levy_exit_time(alpha, eps, a_minus, a_plus):
    r"""Mean first-exit time of :math:`dX = -f'(X)\,dt + \varepsilon\, dL^\alpha_t` from a basin
    with half-widths :math:`a_-, a_+` (reconstructed, Imkeller-Pavlyukevich):

    .. math::
        E\tau \sim \frac{\alpha}{c_\alpha\, \varepsilon^\alpha\, (a_-^{-\alpha} + a_+^{-\alpha})},
        \qquad c_\alpha = \frac{\Gamma(1+\alpha)\sin(\pi\alpha/2)}{\pi}.

    The denominator is the rate of jumps of :math:`\varepsilon L^\alpha` that leave the basin
    in one go: :math:`\int_{a_+/\varepsilon}^\infty c_\alpha y^{-1-\alpha}\,dy` plus the
    same on the left.

    Parameters
    ----------
    alpha : float
        Stability index in (0, 2). At :math:`\alpha = 2` (Brownian noise) exits are instead
        exponential in barrier height / :math:`\varepsilon^2`, so this formula does not apply.
    eps : float
        Noise scale > 0 (the limit is :math:`\varepsilon \to 0`).
    a_minus, a_plus : float
        Distances > 0 from the minimum to the left and right basin edges.

    Returns
    -------
    Prediction
        kind ``asymptotic``, in the SDE's time units.

    Examples
    --------
    >>> round(levy_exit_time(1.0, 0.1, 1.0, 1.0).value, 4)  # pi / (2 eps)
    15.708
    """
    ca = c_alpha(alpha)
    alpha = float(alpha)
    eps = _positive("eps", eps)
    a_minus, a_plus = _positive("a_minus", a_minus), _positive("a_plus", a_plus)
    tau = alpha / (ca * eps**alpha * (a_minus**-alpha + a_plus**-alpha))
    return Prediction(float(tau), "asymptotic", REF_EXIT,
                      "eps -> 0, symmetric alpha-stable driver with E exp(iuL_1) = exp(-|u|^alpha)")


def tail_index_target(noise_alpha):
    r"""The tail index the Şimşekli et al. block-sum estimator should report.

    The estimator :math:`1/\hat\alpha = (\overline{\log|Y_j|} - \overline{\log|X_i|})/\log m`
    (block sums :math:`Y_j` of :math:`m` samples) uses the stability of
    :math:`S\alpha S` laws, :math:`Y \overset{d}{=} m^{1/\alpha} X`, so it targets
    :math:`\alpha` for :math:`S\alpha S` noise with :math:`\alpha < 2` and 2 for Gaussian
    noise (:math:`\alpha = 2`).

    Parameters
    ----------
    noise_alpha : float or ``'gaussian'``
        Stability index of the noise, in (0, 2]; ``'gaussian'`` means 2.

    Returns
    -------
    Prediction
        kind ``asymptotic`` (consistent as the sample size grows).

    Examples
    --------
    >>> tail_index_target("gaussian").value
    2.0
    """
    if isinstance(noise_alpha, str):
        if noise_alpha.lower() != "gaussian":
            raise ValueError(f"noise_alpha must be a number in (0, 2] or 'gaussian', "
                             f"got {noise_alpha!r}")
        noise_alpha = 2.0
    alpha = float(noise_alpha)
    if not 0 < alpha <= 2:
        raise ValueError(f"noise_alpha must be in (0, 2] (a stable law), got {alpha}")
    return Prediction(alpha, "asymptotic", REF,
                      "iid symmetric alpha-stable samples, N -> infinity with m ~ sqrt(N)")
