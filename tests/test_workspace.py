"""The kernel's work buffers come from ``simulate`` (``kernel.workspace``): the kernel
allocates nothing, so that numba's allocation overloads never compile on a cold start.
A buffer one block row too small must be refused, not written past its end."""

import importlib

import numpy as np
import pytest

import simsgd as sg
from simsgd._kernels import kernel as K

L, N, O, E = sg.landscapes, sg.noise, sg.optimizers, sg.events
engine = importlib.import_module("simsgd.engine.simulate")

W3 = dict(landscape=L.DoubleWell(), noise=N.Clipped(N.Pareto(1.5), 50.0),
          optimizer=O.sgd(0.01), x0=-1.0, n_paths=64, n_steps=200, seed=3,
          stop=E.Exit(upper=0.0), observe=(E.BasinOccupancy(0.05),), progress=False)


def test_workspace_rows_match_the_occupancy_layout():
    """F's rows for W3: x, v, g (3 d), the 9 per-lane scalars, no transform state, then
    the observer's: the last basin, the changes, 2 basins, 2 x 2 transitions, 2 minima."""
    codes = np.array([2, 2, 1, 0, 0, 0, 0, 0, 1, 1])  # W3's structure
    obs_p = np.array([1.0, 2.0, 0.05, 0.0, -1.0, 1.0])  # one edge, two minima, eps
    S, F, sel, gbuf, ids = K.workspace(tuple(codes), codes, 1, np.zeros(1), np.zeros(9),
                                       obs_p)
    lanes = K.lanes(tuple(codes))
    assert F.shape == ((3 + 9 + 0 + 2 + 2 + 4 + 2) * lanes,)
    assert S.shape == (4 * lanes,) and ids.shape == (lanes,) and gbuf.shape == (1,)
    assert sel.shape == (1,)
    assert all(a.ctypes.data % 64 == 0 for a in (S, F, sel, gbuf, ids))


def test_kernel_refuses_a_buffer_too_small(monkeypatch):
    ok = sg.simulate(**W3)
    real = engine.workspace

    def short(*args):
        S, F, sel, gbuf, ids = real(*args)
        return S, F[:-1], sel, gbuf, ids

    monkeypatch.setattr(engine, "workspace", short)
    with pytest.raises(ValueError, match="work buffers too small"):
        sg.simulate(**W3)
    monkeypatch.setattr(engine, "workspace", real)
    again = sg.simulate(**W3)
    assert np.array_equal(ok.exit_step, again.exit_step)
