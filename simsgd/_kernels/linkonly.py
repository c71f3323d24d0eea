"""A numba pipeline for functions that only other jitted code calls: their code is linked
into the caller and emitted there, once.

Why. numba compiles every jitted function into a code library of its own and *finalises*
it: the module optimisation pipeline (O3, vectorisers included), then machine code through
the JIT engine (and, with ``cache=True``, an object file for the disk cache). A caller
links a copy of that optimised module into its own library, optimises the result again
and emits it. For a kernel module's inner functions (``template.INNER``) the machine code
and the object file are wasted: no Python caller ever runs them, and the kernel, which
links them, holds their code in its own. ``benchmarks/compile_profile.py``: the generic
kernel's cold compile went from 22.2 to 18.1-18.9 s of CPU without them (1.6 s of it
machine code), W1's from 3.3 to 3.0 s.

What. :class:`LinkOnlyCompiler` is numba's nopython pipeline with the lowering pass
replaced by one that gives the function a :class:`LinkOnlyLibrary`. Finalising that
library links the libraries it calls and runs numba's module optimisation, as numba does,
and stops there: the module never goes to the JIT engine. The caller's library, finalised
as usual, optimises everything again and emits it. (Skipping this library's own
optimisation too, so that LLVM optimises once, in the caller, saved another 20% of the
generic kernel's compile but ran its lane loops 2-10% slower.) The caller links the same
optimised IR as before, so the values and the speed are unchanged (checked bit for bit on
678 arrays and in single-threaded ns per step).

Limits, checked when the library is finalised (a ``RuntimeError`` there, at compile time,
rather than wrong behaviour at run time): such a function has no machine code, so it
cannot be called from Python, and its numba environment pointer is never set, so nothing
in it may use one (``print``, exceptions with run-time arguments, boxing Python objects);
calls between link-only functions must resolve within the linked module (numba's run-time
resolution of mutually recursive functions needs each in the JIT engine). Its library
cannot be cached on disk: its dispatcher must use ``cache=False`` (its caller, cached,
holds its code).

Relies on numba internals (``NativeLowering``, ``JITCodeLibrary``, ``PassManager.passes``,
``CPUContext.get_executable``); :data:`AVAILABLE` is False when they have another shape,
and callers then use numba's default pipeline (slower to compile, same code).
"""

import inspect
import os
import re
from collections import Counter

try:
    import llvmlite.binding as _ll
    from numba.core import cgutils as _cgutils
    from numba.core import codegen as _codegen
    from numba.core import cpu as _cpu
    from numba.core import typed_passes as _typed_passes
    from numba.core.compiler import CompilerBase, DefaultPassBuilder
    from numba.core.compiler_machinery import register_pass

    AVAILABLE = (all(hasattr(_codegen.JITCodeLibrary, name) for name in (
        "_finalize_final_module", "_get_module_for_linking", "get_pointer_to_function"))
        and hasattr(_typed_passes, "NativeLowering")
        # finalize links and optimises, then hands over to _finalize_final_module
        and "self._finalize_final_module()" in inspect.getsource(
            _codegen.CPUCodeLibrary.finalize)
        # the one call that would write through a null address if it bypassed the
        # library's codegen (the environment pointer of a module never added to the JIT
        # engine): checked in numba's source, not assumed
        and "library.codegen.set_env(" in inspect.getsource(_cpu.CPUContext.get_executable)
        # the library turns IR text into its module here (see _VectorWidthLibrary)
        and "normalize_ir_text(str(ir_module))" in inspect.getsource(
            _codegen.CPUCodeLibrary.add_ir_module))
except (ImportError, OSError, TypeError):  # pragma: no cover - another numba layout
    AVAILABLE = False


def _vector_bits():
    """The vector width (bits) the kernels' lane loops are built for: 512 when numba's
    target has AVX-512F (its features string: ``NUMBA_CPU_FEATURES``, else the host's,
    as numba's codegen reads them), else 256; ``SIMSGD_VECTOR_BITS`` (256 or 512)
    overrides it, and a numba without the internals of :data:`AVAILABLE` gets 256."""
    raw = os.environ.get("SIMSGD_VECTOR_BITS", "")
    if raw:
        if raw not in ("256", "512"):
            raise ValueError(f"SIMSGD_VECTOR_BITS must be 256 or 512 (unset: from the CPU), "
                             f"got {raw!r}")
        return int(raw) if AVAILABLE else 256
    if not AVAILABLE:
        return 256
    from numba.core import config

    features = config.CPU_FEATURES
    if features is None:
        features = _codegen.get_host_cpu_features()
    return 512 if "+avx512f" in features.split(",") else 256


VECTOR_BITS = _vector_bits()
"""Vector width of the kernels' lane loops, in bits (see :func:`_vector_bits`).

Why. LLVM's cost model for the AVX-512 server and client cores (skylake-avx512 and
later) prefers 256-bit vectors (clang's ``-mprefer-vector-width=256`` default: 512-bit
instructions lowered the clock of early AVX-512 parts), so numba's code stays at 4
doubles per instruction there. The C reference (gcc, glibc's vector math) uses the 8 of
AVX-512's registers. Every function of a kernel module is marked
``"prefer-vector-width"="512"`` on such a CPU, and a block has 32 lanes (8 doubles x
LLVM's interleave of 4: one straight-line vector iteration). Single-threaded ns per
step on an AVX-512 machine: W1 4.88 -> 3.67, Stable's family 9.73 -> 7.38, Gaussian's
6.53 -> 4.78 (16 lanes at 512 bits: 5.34, 15.9 and 7.04, as 16 lanes cannot take 4
interleaved 8-wide iterations; 64 lanes: 4.09, 8.61, 5.58). Values are the same bit for
bit at any width: lanes never combine, and no operation is reassociated or contracted.
"""

# a function definition's first line, up to its body's brace if that is on the same line
# (llvmlite writes it on the next)
_DEFINE = re.compile(r"^(define [^\n]*?)( ?\{)?$", re.MULTILINE)


def prefer_vector_width(ir):
    """LLVM IR text ``ir`` with every function it defines marked
    ``"prefer-vector-width"="<VECTOR_BITS>"`` (read by LLVM's vectorisers and X86 code
    generation, per function)."""
    return _DEFINE.sub(rf'\1 "prefer-vector-width"="{VECTOR_BITS}"\2', ir)


if AVAILABLE:

    class _NoEnvCodegen:
        """The codegen seen through a link-only library: numba's ``get_executable`` sets a
        function's environment pointer in the JIT engine, where this library's module
        never goes, so that call does nothing; everything else is the real codegen."""

        def __init__(self, real):
            self._real = real

        def set_env(self, env_name, env):
            pass

        def __getattr__(self, name):
            return getattr(self._real, name)

    _ENV = re.compile(r"@(_ZN08NumbaEnv[\w.$]*)")

    def _check_linkable(name, ir):
        """Raise if the optimised module ``ir`` of link-only library ``name`` reads a numba
        environment (defined once per function; any other mention is a use, which would
        find a null pointer at run time) or needs numba's run-time symbol resolution."""
        used = [env for env, n in Counter(_ENV.findall(ir)).items() if n > 1]
        if used or ".numba.unresolved$" in ir:
            what = (f"uses the numba environment {used[0]} (print, an exception with "
                    "run-time arguments, a Python object)" if used else
                    "calls a function numba resolves at run time (mutual recursion)")
            raise RuntimeError(f"link-only library {name} {what}: compile it with numba's "
                               "default pipeline (see simsgd/_kernels/linkonly.py)")

    class _VectorWidthLibrary(_codegen.JITCodeLibrary):
        """numba's code library, its functions marked with :data:`VECTOR_BITS` when that
        is 512 (:func:`prefer_vector_width`; numba's ``add_ir_module`` otherwise)."""

        def add_ir_module(self, ir_module):
            if VECTOR_BITS == 256:
                return super().add_ir_module(ir_module)
            self._raise_if_finalized()
            ir = prefer_vector_width(_cgutils.normalize_ir_text(str(ir_module)))
            ll_module = _ll.parse_assembly(ir)
            ll_module.name = ir_module.name
            ll_module.verify()
            self.add_llvm_module(ll_module)

    class KernelLibrary(_VectorWidthLibrary):
        """The library of a kernel module's entry point (machine code, cached on disk)."""

    class LinkOnlyLibrary(_VectorWidthLibrary):
        """A code library finalised without machine code: its callers emit it."""

        @property
        def codegen(self):
            return _NoEnvCodegen(self._codegen)

        # numba's finalize links the called libraries and optimises the module, as for any
        # library: the caller inlines and vectorises better from this IR than from the raw
        # one (optimised once, in the caller only, lane loops ran 2-10% slower: W1 8.6 vs
        # 8.4 ns per step, the Gaussian family 12.4 vs 11.3, d = 3 clipped Pareto 17.1 vs
        # 15.8, CPU time, 2 alternating runs). Only its last step is replaced:
        def _finalize_final_module(self):
            """Instead of handing the module to the JIT engine (machine code): check that
            it can do without, and mark the library final."""
            _check_linkable(self.name, str(self._final_module))
            self._finalized = True

        def get_pointer_to_function(self, name):
            """No machine code: null, as numba returns for a symbol a library lacks."""
            self._ensure_finalized()
            return 0

        def serialize_using_object_code(self):
            raise RuntimeError(f"{self.name}: a link-only library has no object code to "
                               "cache; jit its function with cache=False")

    @register_pass(mutates_CFG=True, analysis_only=False)
    class _LinkOnlyLowering(_typed_passes.NativeLowering):
        """numba's lowering pass, into a :class:`LinkOnlyLibrary`."""

        _name = "simsgd_link_only_lowering"

        def run_pass(self, state):
            if state.library is None:
                state.library = LinkOnlyLibrary(state.targetctx.codegen(),
                                                state.func_id.func_qualname)
            return super().run_pass(state)

    @register_pass(mutates_CFG=True, analysis_only=False)
    class _KernelLowering(_typed_passes.NativeLowering):
        """numba's lowering pass, into a :class:`KernelLibrary` (object caching on, as
        numba's own lowering sets it)."""

        _name = "simsgd_kernel_lowering"

        def run_pass(self, state):
            if state.library is None:
                state.library = KernelLibrary(state.targetctx.codegen(),
                                              state.func_id.func_qualname)
                state.library.enable_object_caching()
            return super().run_pass(state)

    def _pipeline(state, lowering):
        """numba's nopython pipeline with its lowering pass replaced by ``lowering``."""
        pm = DefaultPassBuilder.define_nopython_pipeline(state)
        pm.passes = [(lowering, str(lowering)) if cls is _typed_passes.NativeLowering
                     else (cls, desc) for cls, desc in pm.passes]
        return pm

    class LinkOnlyCompiler(CompilerBase):
        """numba's nopython pipeline, lowering into a :class:`LinkOnlyLibrary`."""

        def define_pipelines(self):
            return [_pipeline(self.state, _LinkOnlyLowering)]

    class KernelCompiler(CompilerBase):
        """numba's nopython pipeline, lowering into a :class:`KernelLibrary`."""

        def define_pipelines(self):
            return [_pipeline(self.state, _KernelLowering)]


def link_only_options():
    """Extra ``numba.njit`` options for a function only jitted code calls (see the module
    docstring), or none when numba's internals do not have the expected shape."""
    if not AVAILABLE:
        return {}
    return dict(pipeline_class=LinkOnlyCompiler, cache=False)


def kernel_options():
    """Extra ``numba.njit`` options for a kernel module's entry point: numba's pipeline
    into a library marked with :data:`VECTOR_BITS` (none when numba's internals do not
    have the expected shape)."""
    if not AVAILABLE:
        return {}
    return dict(pipeline_class=KernelCompiler)
