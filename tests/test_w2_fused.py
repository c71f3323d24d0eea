"""The fused d-dimensional step of the W2 structure (quadratic, Gaussian noise,
clip_by_norm -> scale, no stop rule): selected for that structure only, equal to the NumPy
reference, and bit-identical to the generic (phased) kernel, clipping active or not,
diverging paths and path counts that do not fill the lanes included. No timing here:
speed is shown by benchmarks/w2.py."""

import numpy as np
import pytest

import simsgd as sg
from simsgd._kernels import codes as C
from simsgd._kernels import kernel as K
from reference import reference_simulate

W2 = (C.LAND_QUADRATIC, C.NOISE_GAUSSIAN, C.T_CLIP_NORM, C.T_SCALE) + (C.T_NONE,) * (C.N_SLOTS - 2) \
    + (C.STOP_NONE, C.OBS_NONE)


def _module_globals(structure):
    # loading a kernel module compiles nothing (numba compiles on the first call)
    return K.get_kernel(structure).py_func.__globals__


def test_fused_step_is_selected_for_the_w2_structure_only():
    assert W2 in K.SPECIALISED
    g = _module_globals(W2)
    assert g["FUSED_QCLIP"]
    assert g["step_multi"] is g["_step_nd_fused_quadratic_clip"]
    for other in K.SPECIALISED - {W2}:
        o = _module_globals(other)
        assert not o["FUSED_QCLIP"]
        assert o["step_multi"] is o["step_nd"]
    assert not _module_globals(K.GENERIC)["FUSED_QCLIP"]


def test_w2_run_uses_the_w2_structure():
    res = sg.simulate(sg.landscapes.Quadratic(np.linspace(1, 100, 100)), sg.noise.Gaussian(1.0),
                      sg.optimizers.clipped_sgd(0.005, 10.0), x0=np.ones(100), n_paths=3,
                      n_steps=2, seed=1, progress=False)
    assert tuple(res.provenance["structure"]) == W2


CASES = {
    # name: (curvatures, center, noise, eta, c, x0, n_paths, n_steps, diverge_at)
    "w2-like-clipping": (np.linspace(1, 100, 20), 0.0, sg.noise.Gaussian(1.0), 0.005, 10.0,
                         np.ones(20), 45, 400, 1e100),
    "clip-always-active": (np.linspace(1, 100, 20), 0.0, sg.noise.Gaussian(1.0), 0.005, 0.5,
                           np.ones(20), 33, 300, 1e100),
    "clip-inactive": (np.linspace(1, 10, 5), 0.0, sg.noise.Gaussian(0.5), 0.01, 1e6,
                      np.ones(5), 40, 300, 1e100),
    "d2-center-clipped-noise": (np.array([1.0, 3.0]), np.array([0.5, -1.0]),
                                sg.noise.Clipped(sg.noise.Gaussian(2.0), 1.5), 0.05, 0.8,
                                np.array([2.0, -1.0]), 70, 250, 1e100),
    # unstable (eta a > 2) and unclipped in effect: every path diverges, at different
    # steps, through the diverge_at threshold; the horizon censors some of them
    "diverging": (np.linspace(1, 100, 10), 0.0, sg.noise.Gaussian(1.0), 0.0202, 1e200,
                  np.ones(10), 40, 352, 1e3),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_fused_matches_reference_and_generic(name):
    a, m, noise, eta, c, x0, n, t, div = CASES[name]
    land = sg.landscapes.Quadratic(a, center=m)
    opt = sg.optimizers.clipped_sgd(eta, c)
    kw = dict(x0=x0, n_paths=n, n_steps=t, seed=20240611, diverge_at=div, progress=False)
    res = sg.simulate(land, noise, opt, **kw)
    assert tuple(res.provenance["structure"]) == W2
    ref = reference_simulate(land, noise, opt, x0, n, t, 20240611, diverge_at=div)
    np.testing.assert_array_equal(res.status, ref[0])
    np.testing.assert_array_equal(res.exit_step, ref[1])
    np.testing.assert_allclose(res.x, ref[2], rtol=1e-8, atol=1e-12)
    gen = sg.simulate(land, noise, opt, **kw, _force_generic=True)
    assert tuple(gen.provenance["structure"]) != W2
    for f in ("status", "exit_step", "x"):
        np.testing.assert_array_equal(getattr(res, f), getattr(gen, f))
    if name == "diverging":
        counts = res.counts()
        assert counts["DIVERGED"] > 0 and counts["RUNNING"] > 0
