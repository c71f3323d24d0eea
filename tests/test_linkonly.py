"""The link-only pipeline (simsgd/_kernels/linkonly.py): an inner function's library is
linked into its caller and never emits machine code of its own, and the caller computes
the same values as with numba's default pipeline."""

import sys

import numba as nb
import numpy as np
import pytest

from simsgd._kernels import codes as C
from simsgd._kernels import linkonly
from simsgd._kernels.kernel import family_1d, get_kernel

pytestmark = pytest.mark.skipif(not linkonly.AVAILABLE,
                                reason="numba internals of another shape: default pipeline")

_OPTS = dict(no_cpython_wrapper=True, no_cfunc_wrapper=True, error_model="numpy")


def _inner(x, k):
    # a loop, a call into numpy's math and an integer power: something LLVM optimises
    s = 0.0
    for i in range(x.shape[0]):
        s += np.sin(x[i]) * x[i] ** k
    return s


def _make(options):
    inner = nb.njit(**options)(_inner)

    @nb.njit
    def outer(x):
        return inner(x, 3) - inner(x, 2)
    return inner, outer


def test_caller_gets_the_same_values_and_inner_emits_no_code():
    x = np.linspace(-2.0, 3.0, 1001)
    inner_l, outer_l = _make(dict(_OPTS, **linkonly.link_only_options()))
    inner_d, outer_d = _make(_OPTS)
    got, want = outer_l(x), outer_d(x)
    assert got == want  # bit for bit: no fast-math, so no pass may change a value
    assert want == pytest.approx(np.sum(np.sin(x) * (x**3 - x**2)), rel=1e-12)
    lib = inner_l.overloads[inner_l.signatures[0]].library
    assert isinstance(lib, linkonly.LinkOnlyLibrary)
    assert lib._finalized
    with pytest.raises(RuntimeError, match="cache=False"):  # no object code to cache
        lib.serialize_using_object_code()
    # the default pipeline's inner library is a plain one (the check is not vacuous)
    assert not isinstance(inner_d.overloads[inner_d.signatures[0]].library,
                          linkonly.LinkOnlyLibrary)


def test_kernel_modules_use_it_for_their_inner_functions():
    kern = get_kernel(family_1d(C.NOISE_GAUSSIAN))
    module = sys.modules[kern.py_func.__module__]
    assert module.INNER["pipeline_class"] is linkonly.LinkOnlyCompiler
    assert module.INNER["cache"] is False  # their code is cached within the kernel's
    assert "pipeline_class" not in module.ENTRY and module.ENTRY["cache"] is True
