"""One row per landscape class (not a test module).

``LANDSCAPES`` rows are ``pytest.param(factory, dim, x0, id=...)``: ``factory()`` builds the
landscape (lazily, so a broken constructor fails only the rows that use it), ``dim`` is the
dimension a simulation runs in, and ``x0`` a sensible start point of shape ``(dim,)``.
"""

import numba
import numpy as np
import pytest

import simsgd as sg

L = sg.landscapes


@numba.njit(cache=False)
def quartic_value(x):
    """A jitted double-well quartic: sum_j x_j^4/4 - x_j^2/2 (minima at +-1 per coordinate)."""
    s = 0.0
    for v in x:
        s += 0.25 * v**4 - 0.5 * v**2
    return s


@numba.njit(cache=False)
def quartic_grad(x):
    return x**3 - x


def quartic_hess(x):
    return np.diag(3.0 * x**2 - 1.0)


def custom_quartic():
    minima = np.array([[-1.0, -1.0], [-1.0, 1.0], [1.0, -1.0], [1.0, 1.0]])
    return L.Custom(quartic_value, quartic_grad, dim=2, hess=quartic_hess, minima=minima,
                    maxima=[0.0, 0.0], name="quartic")


QUAD_FULL = np.array([[2.0, 0.5, 0.1],
                      [0.5, 1.5, -0.3],
                      [0.1, -0.3, 1.0]])  # eigenvalues ~ 0.82, 1.39, 2.29

#: per-coordinate component curvatures, one negative (a concave component); means 1.25, 0.5
SQ_CURVATURES = np.array([[0.5, -0.2], [1.5, 1.0], [1.0, 0.4], [2.0, 0.8]])

MULTIWELL_CRIT = [-2.05, -1.2, -0.9, -0.6, 0.2]

LANDSCAPES = [
    pytest.param(lambda: L.Quadratic([1.0, 2.5, 0.5], center=[0.5, -1.0, 0.0]), 3,
                 np.array([1.0, 1.0, 1.0]), id="quadratic-diag"),
    pytest.param(lambda: L.Quadratic(QUAD_FULL, center=[0.2, 0.0, -0.1]), 3,
                 np.array([1.0, -1.0, 0.5]), id="quadratic-full"),
    pytest.param(lambda: L.StochasticQuadratic([0.2, 1.8], batch_size=1), 1,
                 np.array([1.0]), id="stochastic-quadratic-1d"),
    pytest.param(lambda: L.StochasticQuadratic(SQ_CURVATURES, batch_size=2, center=[1.0, -1.0]),
                 2, np.array([2.0, 0.0]), id="stochastic-quadratic-nd"),
    pytest.param(lambda: L.FiniteSumWells([0.5, 3.0, 1.5], 0.2, batch_size=2), 1,
                 np.array([-0.8]), id="finite-sum-wells"),
    pytest.param(lambda: L.DoubleWell(), 1, np.array([0.5]), id="double-well-1d"),
    pytest.param(lambda: L.DoubleWell(dim=2), 2, np.array([0.5, 0.3]), id="double-well-2d"),
    pytest.param(lambda: L.MultiWell(MULTIWELL_CRIT, lower=-3.0, upper=1.5), 1,
                 np.array([-0.9]), id="multiwell"),
    pytest.param(lambda: L.Cosh(dim=2), 2, np.array([2.0, -1.0]), id="cosh"),
    pytest.param(lambda: L.Exp(0.5), 1, np.array([1.0]), id="exp"),
    pytest.param(lambda: L.Quartic([0.5, 1.0, 2.0], L1=1.0), 3, np.array([0.5, 0.5, 0.5]),
                 id="quartic"),
    pytest.param(lambda: L.LogCosh(dim=2), 2, np.array([2.0, -3.0]), id="log-cosh"),
    pytest.param(lambda: L.Logistic(), 1, np.array([-1.0]), id="logistic"),
    pytest.param(lambda: L.ExpSquare(), 1, np.array([1.0]), id="exp-square"),
    pytest.param(custom_quartic, 2, np.array([0.5, -1.5]), id="custom"),
]
