"""The kernel's noise samplers, through ``simulate``, against their laws and their NumPy twins.

With ``sgd(1.0)`` on the flat landscape ``Quadratic(0.0)`` (gradient exactly 0), one step
from ``x_0 = 0`` gives ``x_1 = 0 - 1.0 * (0 + xi) = -xi`` exactly, so ``-res.x`` holds one
draw of the noise per path (``(n, dim)``; radial models are drawn in their row's
dimension, 3-D for most), from the same code path as every simulation.

Two things are checked for every model of ``registry_noise.NOISES``:

- the draws follow the law: the same checks as ``test_noise.py`` runs on the NumPy twin
  (KS p > 1e-4, proportions and means within 5 standard errors; derivations in
  ``registry_noise.py``), on 100_000 paths;
- the draws are the twin's (``noise._numpy_vector`` on ``numpy_streams(seed, i)`` for
  paths ``i = 0..n-1``) up to rounding: the kernel uses polynomial ``log``/``exp``
  (a few ulps from libm), so per path ``|kernel - twin| <= 1e-12 ||twin|| + atol``
  coordinate-wise. The norm-relative part covers radial draws, whose small coordinates
  carry absolute errors of a few ulps of the radius; ``atol`` (1e-12, 1e-10 for Student-t,
  see the registry) covers draws that are small after a cancellation
  (``-log u - 1`` near ``u = 1/e``, ``u2^(-2/df) - 1`` near ``u2 = 1``).

Each row costs well under 5 s once its kernel structure is compiled (one structure per
noise code, cached on disk), so none is marked slow.
"""

import inspect
from functools import lru_cache

import numpy as np
import pytest

import simsgd as sg
from registry_noise import NOISES, run_checks, twin_draws

N_PATHS = 100_000
SEED = 424242


def _simulate(noise, dim, **kw):
    x0 = 0.0 if dim == 1 else np.zeros(dim)
    extra = {"progress": False} if "progress" in inspect.signature(sg.simulate).parameters else {}
    res = sg.simulate(sg.landscapes.Quadratic(0.0), noise, sg.optimizers.sgd(1.0), x0=x0,
                      n_paths=N_PATHS, n_steps=1, seed=SEED, **kw, **extra)
    assert np.all(res.status == sg.Status.RUNNING) and np.all(res.exit_step == 1)
    return -np.asarray(res.x, dtype=float).reshape(-1, dim)


@lru_cache(maxsize=None)
def kernel_draws(noise, dim):
    xi = _simulate(noise, dim)
    assert xi.shape == (N_PATHS, dim)
    return xi


@pytest.mark.parametrize("case", NOISES)
def test_kernel_draws_equal_the_numpy_twin(case):
    xi = kernel_draws(case.noise, case.dim)
    twin = twin_draws(case.noise, N_PATHS, case.dim, SEED)
    assert np.array_equal(np.isnan(xi), np.isnan(twin))
    with np.errstate(invalid="ignore"):
        tol = 1e-12 * np.sqrt(np.sum(twin * twin, axis=1))[:, None] + case.atol
        err = np.abs(xi - twin)
        bad = err > tol
    if np.any(bad):
        i, j = np.argwhere(bad)[0]
        pytest.fail(f"{np.count_nonzero(bad)} coordinates differ; first: path {i}, coordinate "
                    f"{j}: kernel {xi[i, j]!r}, twin {twin[i, j]!r}")


@pytest.mark.parametrize("case", NOISES)
def test_kernel_draws_follow_the_law(case):
    xi = kernel_draws(case.noise, case.dim)
    assert np.all(np.isfinite(xi))
    failures = run_checks(case.checks(xi))
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("case", [p for p in NOISES if p.values[0].ts])
def test_kernel_tail_probabilities_match_H(case):
    # the count above t is Binomial(n, H(t)): |p_hat - H(t)| <= 5 sqrt(H (1 - H) / n)
    v = case.tail_variable(kernel_draws(case.noise, case.dim))
    failures = run_checks([("prop", f"P(V > {t:g})", np.count_nonzero(v > t), v.size,
                            case.noise.H(t)) for t in case.ts])
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("noise, dim", [(sg.noise.Stable(1.5), 1),
                                        (sg.noise.Clipped(sg.noise.Radial(sg.noise.StudentT(3)),
                                                          2.0), 3)], ids=repr)
def test_a_subset_of_paths_gets_the_same_draws(noise, dim):
    # stream i depends on (seed, i) only
    full = kernel_draws(noise, dim)
    part = _simulate(noise, dim, paths=range(5000, 6000))
    np.testing.assert_array_equal(part, full[5000:6000])
