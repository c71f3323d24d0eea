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
import re
from collections import Counter

try:
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
        and "library.codegen.set_env(" in inspect.getsource(_cpu.CPUContext.get_executable))
except (ImportError, OSError, TypeError):  # pragma: no cover - another numba layout
    AVAILABLE = False


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

    class LinkOnlyLibrary(_codegen.JITCodeLibrary):
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

    class LinkOnlyCompiler(CompilerBase):
        """numba's nopython pipeline, lowering into a :class:`LinkOnlyLibrary`."""

        def define_pipelines(self):
            pm = DefaultPassBuilder.define_nopython_pipeline(self.state)
            pm.passes = [(_LinkOnlyLowering, str(_LinkOnlyLowering))
                         if cls is _typed_passes.NativeLowering else (cls, desc)
                         for cls, desc in pm.passes]
            return [pm]


def link_only_options():
    """Extra ``numba.njit`` options for a function only jitted code calls (see the module
    docstring), or none when numba's internals do not have the expected shape."""
    if not AVAILABLE:
        return {}
    return dict(pipeline_class=LinkOnlyCompiler, cache=False)
