"""The link-only pipeline (simsgd/_kernels/linkonly.py): an inner function's library is
linked into its caller and never emits machine code of its own, and the caller computes
the same values as with numba's default pipeline."""

import os
import subprocess
import sys

import numba as nb
import numpy as np
import pytest

import simsgd as sg
from simsgd._kernels import codes as C
from simsgd._kernels import linkonly
from simsgd._kernels.kernel import family_1d, get_kernel

pytestmark = pytest.mark.skipif(not linkonly.AVAILABLE,
                                reason="numba internals of another shape: default pipeline")

L, N, O = sg.landscapes, sg.noise, sg.optimizers
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
    lib_d = inner_d.overloads[inner_d.signatures[0]].library
    assert isinstance(lib, linkonly.LinkOnlyLibrary)
    assert not isinstance(lib_d, linkonly.LinkOnlyLibrary)
    # numba tags a module it hands to the JIT engine with its library: the default
    # pipeline's inner module went there (machine code), the link-only one never did
    assert _emitted(lib_d) and not _emitted(lib)
    assert _emitted(outer_l.overloads[outer_l.signatures[0]].library)
    with pytest.raises(RuntimeError, match="cache=False"):  # no object code to cache
        lib.serialize_using_object_code()


def _emitted(library):
    return hasattr(library._final_module, "_CPUCodeLibrary__library")


def _caller_of(inner):
    @nb.njit
    def outer(x):
        return inner(x)
    return outer


def test_what_needs_the_jit_engine_is_refused_at_compile_time():
    opts = dict(_OPTS, **linkonly.link_only_options())

    def dynamic_raise(x):
        if x > 1.0:
            raise ValueError("too large:", x)  # run-time arguments: numba's environment
        return x

    def static_raise(x):
        if x > 1.0:
            raise ValueError("too large")  # a constant message needs no environment
        return x

    with pytest.raises(Exception, match="uses the numba environment"):
        _caller_of(nb.njit(**opts)(dynamic_raise))(0.5)
    checked = _caller_of(nb.njit(**opts)(static_raise))
    assert checked(0.5) == 0.5
    with pytest.raises(ValueError, match="too large"):
        checked(2.0)


def test_numba_versions_checked_here_get_the_pipeline():
    # a numba upgrade that changes the internals falls back to the default pipeline
    # silently (correct, slower to compile); on the versions this was checked with, it
    # must not
    version = tuple(int(p) for p in nb.__version__.split(".")[:2])
    if (0, 60) <= version <= (0, 68):
        assert linkonly.AVAILABLE


def test_kernel_modules_use_it_for_their_inner_functions():
    res = sg.simulate(L.Quadratic(1.0), N.Gaussian(1.0), O.clipped_sgd(0.1, 1.0), x0=0.5,
                      n_paths=40, n_steps=20, seed=1, progress=False)
    assert res.provenance["structure"] == family_1d(C.NOISE_GAUSSIAN)
    module = sys.modules[get_kernel(family_1d(C.NOISE_GAUSSIAN)).py_func.__module__]
    assert module.INNER["pipeline_class"] is linkonly.LinkOnlyCompiler
    assert module.INNER["cache"] is False  # their code is cached within the kernel's
    # the entry point: numba's pipeline into a library marked with the vector width,
    # cached on disk
    assert module.ENTRY["pipeline_class"] is linkonly.KernelCompiler
    assert module.ENTRY["cache"] is True
    if module.load_lane.signatures:  # compiled here, not loaded from the disk cache
        lib = module.load_lane.overloads[module.load_lane.signatures[0]].library
        assert isinstance(lib, linkonly.LinkOnlyLibrary) and not _emitted(lib)


def test_prefer_vector_width_marks_every_definition_and_nothing_else():
    ir = ('declare double @"ext"(double)\n'
          'define double @"f"(double %".1") alwaysinline\n{\n.3:\n  ret double %".1"\n}\n'
          'define i32 @g() #0 {\n  ret i32 0\n}\n')
    out = linkonly.prefer_vector_width(ir)
    mark = f'"prefer-vector-width"="{linkonly.VECTOR_BITS}"'
    assert out.count(mark) == 2
    assert f'alwaysinline {mark}\n{{' in out and f"@g() #0 {mark} {{" in out
    assert 'declare double @"ext"(double)\n' in out  # a declaration is not a definition


_CHILD_ASM = """
import simsgd as sg
from simsgd._kernels import codes as C
from simsgd._kernels.kernel import family_1d, get_kernel
sg.simulate(sg.landscapes.DoubleWell(), sg.noise.Pareto(1.5), sg.optimizers.sgd(0.01),
            x0=-1.0, n_paths=40, n_steps=20, seed=1, progress=False)
print("zmm" in "".join(get_kernel(family_1d(C.NOISE_PARETO)).inspect_asm().values()))
"""


def test_kernels_use_the_registers_of_the_vector_width(tmp_path):
    # on an AVX-512 machine (VECTOR_BITS 512) the fused step's lane loop uses the 512-bit
    # zmm registers, which numba's own code does not (LLVM prefers 256 bits there);
    # elsewhere none. A fresh process and caches: inspect_asm needs a compiled kernel,
    # not a disk-cache load.
    env = dict(os.environ, SIMSGD_CACHE_DIR=str(tmp_path / "k"),
               NUMBA_CACHE_DIR=str(tmp_path / "n"))
    proc = subprocess.run([sys.executable, "-c", _CHILD_ASM], env=env, capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split()[-1] == str(linkonly.VECTOR_BITS == 512)


def test_a_bad_vector_width_names_the_variable():
    env = dict(os.environ, SIMSGD_VECTOR_BITS="384")
    proc = subprocess.run([sys.executable, "-c", "import simsgd"], env=env,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode != 0
    assert "SIMSGD_VECTOR_BITS must be 256 or 512" in proc.stderr and "'384'" in proc.stderr
