"""Bad input: a clear ValueError/TypeError naming the parameter, before any compilation.

Also the landscapes' metadata (MultiWell's minima, maxima, basins and radii) and their
gradients against finite differences.
"""

import sys

import numpy as np
import pytest

import simsgd as sg
from simsgd._kernels.kernel import built_structures, compiled_signatures

L, N, O, E = sg.landscapes, sg.noise, sg.optimizers, sg.events
NAN = float("nan")
MULTIWELL_POINTS = [-2.05, -1.2, -0.9, -0.6, 0.2]


@pytest.fixture
def no_compilation(monkeypatch):
    """Fail if the engine so much as looks up a kernel; check nothing was compiled."""
    engine = sys.modules["simsgd.engine.simulate"]  # the module, not the re-exported function

    def get_kernel(structure):
        raise AssertionError(f"kernel {structure} requested before validation finished")

    monkeypatch.setattr(engine, "get_kernel", get_kernel)
    before = compiled_signatures(), built_structures()
    yield
    assert (compiled_signatures(), built_structures()) == before


# --------------------------------------------------------------------------------------
# Component constructors
# --------------------------------------------------------------------------------------
CONSTRUCTORS = {
    "eta zero": (lambda: O.sgd(0.0), ValueError, r"\beta\b"),
    "eta negative": (lambda: O.sgd(-0.1), ValueError, r"\beta\b.*\(0\.0, "),
    "eta NaN": (lambda: O.sgd(NAN), ValueError, r"\beta\b.*NaN"),
    "eta inf": (lambda: O.truncated_sgd(np.inf, 1.0), ValueError, r"\beta\b"),
    "eta string": (lambda: O.sgd("0.1"), TypeError, r"\beta\b"),
    "eta bool": (lambda: O.sgd(True), TypeError, r"\beta\b"),
    "b zero": (lambda: O.truncated_sgd(0.1, 0.0), ValueError, r"^b must"),
    "b negative": (lambda: O.truncated_sgd(0.1, -1.0), ValueError, r"^b must"),
    "clip c zero": (lambda: O.clipped_sgd(0.1, 0.0), ValueError, r"^c must"),
    "alpha zero": (lambda: N.Pareto(0.0), ValueError, r"\balpha\b"),
    "alpha negative": (lambda: N.Pareto(-1.5), ValueError, r"\balpha\b"),
    "alpha NaN": (lambda: N.Pareto(NAN), ValueError, r"\balpha\b.*NaN"),
    "compound alpha zero": (lambda: N.CompoundPareto(0.0, 0.1, 1.0), ValueError, r"\balpha\b"),
    "compound alpha NaN": (lambda: N.CompoundPareto(NAN, 0.1, 1.0), ValueError, r"\balpha\b"),
    "pareto scale zero": (lambda: N.Pareto(1.5, scale=0.0), ValueError, r"\bscale\b"),
    "rate zero": (lambda: N.CompoundPareto(1.5, rate=0.0, w_min=1.0), ValueError, r"\brate\b"),
    "rate above one": (lambda: N.CompoundPareto(1.5, rate=1.5, w_min=1.0), ValueError,
                       r"\brate\b.*1\.0"),
    "w_min negative": (lambda: N.CompoundPareto(1.5, rate=0.1, w_min=-1.0), ValueError,
                       r"\bw_min\b"),
    "sigma NaN": (lambda: N.Gaussian(NAN), ValueError, r"\bsigma\b.*NaN"),
    "sigma negative": (lambda: N.Gaussian(-1.0), ValueError, r"\bsigma\b"),
    "noise clip zero": (lambda: N.Clipped(N.Pareto(1.5), 0.0), ValueError, r"^c must"),
    "clip of a non-noise": (lambda: N.Clipped(1.5, 3.0), TypeError, r"\bnoise\b"),
    "curvature negative": (lambda: L.Quadratic([1.0, -1.0]), ValueError, r"\bcurvature\b"),
    "curvature NaN": (lambda: L.Quadratic(NAN), ValueError, r"\bcurvature\b"),
    "center NaN": (lambda: L.Quadratic(1.0, center=NAN), ValueError, r"\bcenter\b"),
    "edges around center": (lambda: L.Quadratic(1.0, edges=(0.5, 1.0)), ValueError,
                            r"\bedges\b"),
    "doublewell dim zero": (lambda: L.DoubleWell(dim=0), ValueError, r"\bdim\b"),
    "multiwell repeated": (lambda: L.MultiWell([0.0, 1.0, 1.0]), ValueError,
                           r"\bcritical_points\b"),
    "multiwell NaN": (lambda: L.MultiWell([0.0, NAN]), ValueError, r"\bcritical_points\b"),
    "multiwell bounds": (lambda: L.MultiWell(MULTIWELL_POINTS, lower=-2.0, upper=1.5),
                         ValueError, r"\blower\b"),
    "exit empty": (lambda: E.Exit(lower=1.0, upper=0.0), ValueError, r"\blower\b.*\bupper\b"),
    "exit NaN": (lambda: E.Exit(upper=NAN), ValueError, r"\bupper\b"),
    "chain of a number": (lambda: O.chain(0.1), TypeError, r"\bchain\b"),
    "chain too long": (lambda: O.chain(*[O.scale(0.1)] * 7), ValueError, r"\bchain\b"),
}


@pytest.mark.parametrize("name", CONSTRUCTORS)
def test_constructor_rejects_bad_values(no_compilation, name):
    make, exc, pattern = CONSTRUCTORS[name]
    with pytest.raises(exc, match=pattern):
        make()


# --------------------------------------------------------------------------------------
# simulate()
# --------------------------------------------------------------------------------------
# A valid call; every case below changes one argument. Its structure
# (Quadratic/CompoundPareto/clipped_sgd/Exit) is not used by any other test, so a
# compilation triggered here could not hide behind an earlier one.
GOOD = dict(landscape=L.Quadratic(1.0), noise=N.CompoundPareto(1.5, rate=0.1, w_min=1.0),
            optimizer=O.clipped_sgd(0.1, 1.0), x0=0.0, n_paths=10, n_steps=10, seed=0,
            stop=E.Exit(lower=-1.0, upper=1.0))

SIMULATE = {
    "n_paths zero": (dict(n_paths=0), ValueError, r"\bn_paths\b.*\[1, "),
    "n_paths negative": (dict(n_paths=-5), ValueError, r"\bn_paths\b"),
    "n_paths float": (dict(n_paths=10.0), TypeError, r"\bn_paths\b"),
    "n_steps negative": (dict(n_steps=-1), ValueError, r"\bn_steps\b"),
    "seed negative": (dict(seed=-1), ValueError, r"\bseed\b"),
    "seed too large": (dict(seed=2**64), ValueError, r"\bseed\b"),
    "seed float": (dict(seed=1.5), TypeError, r"\bseed\b"),
    "diverge_at zero": (dict(diverge_at=0.0), ValueError, r"\bdiverge_at\b"),
    "threads zero": (dict(threads=0), ValueError, r"\bthreads\b"),
    "x0 NaN": (dict(x0=NAN), ValueError, r"\bx0\b.*finite"),
    "x0 NaN in a row": (dict(landscape=L.Quadratic([1.0, 1.0]), x0=[[0.0, 0.0]] * 9 + [[0.0, NAN]]),
                        ValueError, r"\bx0\b"),
    "x0 inf": (dict(x0=np.inf), ValueError, r"\bx0\b"),
    "x0 string": (dict(x0="zero"), TypeError, r"\bx0\b"),
    "x0 wrong dim": (dict(landscape=L.Quadratic([1.0, 2.0]), x0=[0.0, 0.0, 0.0]), ValueError,
                     r"\bx0\b.*\(2,\)"),
    "x0 wrong n_paths": (dict(x0=np.zeros((9, 1))), ValueError, r"\bx0\b.*\(10, "),
    "x0 wrong width": (dict(landscape=L.DoubleWell(dim=2), x0=np.zeros((10, 3))), ValueError,
                       r"\bx0\b"),
    "x0 3-D": (dict(x0=np.zeros((10, 1, 1))), ValueError, r"\bx0\b"),
    "x0 outside stop": (dict(x0=2.0), ValueError, r"\bx0\b.*stop region"),
    "x0 one row outside stop": (dict(x0=np.r_[np.zeros(9), 1.5][:, None]), ValueError,
                                r"\bx0\b.*path 9"),
    "x0 on a basin edge": (dict(landscape=L.DoubleWell(), x0=0.0, stop=E.ExitBasin()),
                           ValueError, r"\bx0\b.*edge"),
    "x0 beyond diverge_at": (dict(x0=0.5, diverge_at=0.1, stop=None), ValueError,
                             r"\bx0\b.*diverge_at"),
    "landscape string": (dict(landscape="quadratic"), TypeError, r"\blandscape\b"),
    "landscape class": (dict(landscape=L.Quadratic), TypeError, r"\blandscape\b"),
    "landscape noise": (dict(landscape=N.Gaussian(1.0)), TypeError, r"\blandscape\b"),
    "noise string": (dict(noise="gaussian"), TypeError, r"\bnoise\b"),
    "noise class": (dict(noise=N.Gaussian), TypeError, r"\bnoise\b"),
    "optimizer number": (dict(optimizer=0.1), TypeError, r"\boptimizer\b"),
    "optimizer landscape": (dict(optimizer=L.Quadratic(1.0)), TypeError, r"\boptimizer\b"),
    "stop callable": (dict(stop=lambda x: x > 1), TypeError, r"\bstop\b"),
    "exitbasin without edges": (dict(stop=E.ExitBasin()), ValueError, r"ExitBasin.*\bedges\b"),
    "observe not an observer": (dict(observe=("f",)), TypeError, r"\bobserve\b"),
    "observe not iterable": (dict(observe=3), TypeError, r"\bobserve\b"),
    "observe two observers": (dict(observe=(E.BasinOccupancy(), E.BasinOccupancy())),
                              ValueError, r"\bobserve\b"),
    "paths out of range": (dict(paths=range(5, 11)), ValueError, r"\bpaths\b"),
    "paths negative": (dict(paths=[-1, 0]), ValueError, r"\bpaths\b"),
    "paths repeated": (dict(paths=[1, 1]), ValueError, r"\bpaths\b"),
    "paths empty": (dict(paths=[]), ValueError, r"\bpaths\b"),
    "paths floats": (dict(paths=[0.5, 1.5]), TypeError, r"\bpaths\b"),
}


@pytest.mark.parametrize("name", SIMULATE)
def test_simulate_rejects_bad_input(no_compilation, name):
    change, exc, pattern = SIMULATE[name]
    with pytest.raises(exc, match=pattern):
        sg.simulate(**dict(GOOD, **change), progress=False)


def test_exitbasin_accepts_quadratic_with_edges(no_compilation, kernel_reached):
    # the same call with edges passes validation and gets as far as asking for a kernel
    with pytest.raises(kernel_reached):
        sg.simulate(**dict(GOOD, landscape=L.Quadratic(1.0, edges=(-0.5, 0.5)),
                           stop=E.ExitBasin()), progress=False)


# Regression: a start beyond a Quadratic's edge was once accepted by ExitBasin.
@pytest.mark.parametrize("x0", [1.0, -2.0])
def test_exitbasin_rejects_start_outside_quadratic_edges(no_compilation, x0):
    with pytest.raises(ValueError, match=r"\bx0\b"):
        sg.simulate(**dict(GOOD, landscape=L.Quadratic(1.0, edges=(-0.5, 0.5)), x0=x0,
                           stop=E.ExitBasin()), progress=False)


# --------------------------------------------------------------------------------------
# Landscape metadata and gradients
# --------------------------------------------------------------------------------------
def test_multiwell_metadata():
    mw = L.MultiWell(MULTIWELL_POINTS, lower=-3.0, upper=1.5)
    np.testing.assert_allclose(mw.minima, [-2.05, -0.9, 0.2], rtol=0, atol=1e-15)
    np.testing.assert_allclose(mw.maxima, [-1.2, -0.6], rtol=0, atol=1e-15)
    # radius: distance from a minimum to its nearest maximum; domain bounds do not count
    np.testing.assert_allclose(mw.radii, [0.85, 0.3, 0.8], rtol=1e-12)
    np.testing.assert_allclose(mw.basins, [(-3.0, -1.2), (-1.2, -0.6), (-0.6, 1.5)],
                               rtol=1e-15)
    assert np.all(mw.curvatures > 0)
    # f'' at a simple root of f' = prod (x - c_i) is the product of the other factors
    for m, curv in zip(mw.minima, mw.curvatures):
        others = [c for c in MULTIWELL_POINTS if c != m]
        np.testing.assert_allclose(curv, np.prod([m - c for c in others]), rtol=1e-12)
    assert np.all(mw.second_derivative(mw.maxima) < 0)
    assert mw.f_star == pytest.approx(min(mw.value(np.array([m])) for m in mw.minima), rel=1e-12)
    # basins as ExitBasin reads them, per start point
    lo, hi = mw.basin_interval(np.array([-2.05, -0.9, 0.2, 1.0]))
    np.testing.assert_allclose(lo, [-np.inf, -1.2, -0.6, -0.6])
    np.testing.assert_allclose(hi, [-1.2, -0.6, np.inf, np.inf])
    np.testing.assert_array_equal(mw.basin_index([-2.5, -1.0, -0.7, 0.0, 1.4]), [0, 1, 1, 2, 2])


def test_doublewell_metadata():
    dw = L.DoubleWell(dim=3)
    np.testing.assert_array_equal(dw.minima, [[-1, 0, 0], [1, 0, 0]])
    np.testing.assert_array_equal(dw.value(dw.minima), [0.0, 0.0])
    np.testing.assert_array_equal(dw.grad(dw.minima), np.zeros((2, 3)))
    np.testing.assert_array_equal(dw.grad(np.zeros(3)), np.zeros(3))  # the saddle
    lo, hi = dw.basin_interval(np.array([-0.5, 2.0]))
    np.testing.assert_array_equal(lo, [-np.inf, 0.0])
    np.testing.assert_array_equal(hi, [0.0, np.inf])


GRAD_CASES = {
    "quadratic": (L.Quadratic([0.5, 1.0, 2.0], center=[0.1, -0.2, 0.3]), 3),
    "quadratic flat": (L.Quadratic(0.0), 2),
    "doublewell 1d": (L.DoubleWell(), 1),
    "doublewell 3d": (L.DoubleWell(dim=3), 3),
    "multiwell": (L.MultiWell(MULTIWELL_POINTS, lower=-3.0, upper=1.5), 1),
}


@pytest.mark.parametrize("name", GRAD_CASES)
def test_gradient_matches_finite_differences(name):
    # Central differences with h = 1e-5 err by h^2/6 |f'''| (truncation) plus about
    # eps |f| / h (rounding). On the box [-3, 1.5]^dim used here |f'''| < 1e3 and |f| < 1e2
    # for every landscape (MultiWell is the largest: ~2.6e2 and ~22), so the error is below
    # 1.7e-8 + 2.2e-9 ~ 2e-8; tolerance 1e-6 leaves a margin of 50.
    land, dim = GRAD_CASES[name]
    x = np.random.default_rng(1).uniform(-3.0, 1.5, size=(50, dim))
    h = 1e-5
    fd = np.empty_like(x)
    for j in range(dim):
        e = np.zeros(dim)
        e[j] = h
        fd[:, j] = (land.value(x + e) - land.value(x - e)) / (2 * h)
    g = np.asarray(land.grad(x)).reshape(x.shape)
    np.testing.assert_allclose(g, fd, rtol=1e-6, atol=1e-6)
    # and the gradient vanishes at the declared minima
    minima = np.atleast_2d(np.asarray(land.minima, dtype=float))
    if minima.shape[-1] != dim:
        minima = minima.reshape(-1, 1) if dim == 1 else np.broadcast_to(minima, (1, dim))
    np.testing.assert_allclose(land.grad(minima), 0.0, atol=1e-12)


@pytest.mark.parametrize("raw", ["abc", "-1", "17", "2.5"])
def test_llvm_interleave_setting_is_validated(monkeypatch, raw):
    """SIMSGD_LLVM_INTERLEAVE (read when simsgd is imported) must be an integer 0..16; a bad
    value is named in the error, before anything compiles."""
    from simsgd._kernels import kernel as K

    monkeypatch.setenv("SIMSGD_LLVM_INTERLEAVE", raw)
    with pytest.raises(ValueError, match=r"SIMSGD_LLVM_INTERLEAVE must be an integer from 0 to 16"):
        K._interleave_setting()
    monkeypatch.setenv("SIMSGD_LLVM_INTERLEAVE", "2")
    assert K._interleave_setting() == 2
    monkeypatch.delenv("SIMSGD_LLVM_INTERLEAVE")
    assert K._interleave_setting() == 4  # the default


@pytest.mark.parametrize("scoped", [True, False])
def test_compiling_sets_the_interleave_scoped_or_once(monkeypatch, scoped):
    """LLVM >= 16: set around each first call and reset to 0 after (even on an error);
    older LLVM accepts an option once per process, so it is set once and never again."""
    from simsgd._kernels import kernel as K

    calls = []
    monkeypatch.setattr(K.llvm, "set_option", lambda name, opt: calls.append(opt))
    monkeypatch.setattr(K, "_SCOPED", scoped)
    monkeypatch.setattr(K, "_SET_ONCE", [])
    with K.compiling():
        pass
    with pytest.raises(RuntimeError):
        with K.compiling():
            raise RuntimeError("a failed compile")
    on, off = f"-force-vector-interleave={K.INTERLEAVE}", "-force-vector-interleave=0"
    assert calls == ([on, off, on, off] if scoped else [on])
