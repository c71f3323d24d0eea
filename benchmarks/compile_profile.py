"""Where does a cold kernel compilation spend its time?

Runs one ``simulate`` of a kernel variant (the calls of ``startup.py``) with empty caches
and attributes the CPU time of the compiling thread, exclusively, to numba's compiler passes (per function
compiled) and to LLVM's work per code library (function passes, module passes,
machine-code emission), then prints the largest items, the number of compiled
functions/signatures and the size of each library's optimised LLVM IR.

    python benchmarks/compile_profile.py w2          # a variant of startup.VARIANTS
"""

import os
import sys
import tempfile
import time
from collections import defaultdict

_TMP = tempfile.mkdtemp(prefix="simsgd-prof-")
os.environ["SIMSGD_CACHE_DIR"] = os.path.join(_TMP, "k")
os.environ["NUMBA_CACHE_DIR"] = os.path.join(_TMP, "n")
# everything compiles in this process, where the profile sees it (no build worker:
# simsgd/_kernels/build.py)
os.environ["SIMSGD_BUILD_WORKER"] = "0"

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import numba  # noqa: E402
from numba.core import codegen, event  # noqa: E402

# CPU time of this thread: the machine is shared, and wall time under load varies 2x
_clock = time.thread_time
STACK = []  # [name, start, child_time]
SELF = defaultdict(float)  # (category, what) -> exclusive seconds
COUNT = defaultdict(int)
IR_SIZE = {}


def _push(name):
    STACK.append([name, _clock(), 0.0])


def _pop():
    name, t0, child = STACK.pop()
    dt = _clock() - t0
    SELF[name] += dt - child
    COUNT[name] += 1
    if STACK:
        STACK[-1][2] += dt
    return dt


class Listener(event.Listener):
    def on_start(self, ev):
        if ev.kind == "numba:run_pass":
            _push(("pass", ev.data["name"].split(" [")[0], ev.data["qualname"]))
        elif ev.kind == "numba:compile":
            disp = ev.data["dispatcher"]
            _push(("compile", disp.py_func.__qualname__, None))

    def on_end(self, ev):
        if ev.kind in ("numba:run_pass", "numba:compile"):
            _pop()


def _wrap(cls, meth, label):
    orig = getattr(cls, meth)

    def wrapped(self, *a, **k):
        _push(("llvm", label, self.name))
        try:
            return orig(self, *a, **k)
        finally:
            _pop()
            if label == "module passes":
                IR_SIZE[self.name] = len(str(self._final_module))

    setattr(cls, meth, wrapped)


_wrap(codegen.CPUCodeLibrary, "_optimize_functions", "function passes")
_wrap(codegen.CPUCodeLibrary, "_optimize_final_module", "module passes")
_wrap(codegen.JITCodeLibrary, "_finalize_specific", "machine code")
_wrap(codegen.CPUCodeLibrary, "_get_compiled_object", "object for cache")


def main():
    from startup import VARIANTS

    variant = sys.argv[1] if len(sys.argv) > 1 else "w2"
    import numpy as np  # noqa: F401

    import simsgd as sg  # noqa: F401
    L, N, O, E = sg.landscapes, sg.noise, sg.optimizers, sg.events  # noqa: F841
    event.register("numba:run_pass", Listener())
    event.register("numba:compile", Listener())
    t0, w0 = _clock(), time.perf_counter()
    res = eval(VARIANTS[variant])
    total, wall = _clock() - t0, time.perf_counter() - w0
    print(f"variant {variant}: simulate {total:.2f} s CPU ({wall:.2f} s wall), compile_seconds "
          f"{res.provenance['compile_seconds']:.2f}, structure {res.provenance.get('structure')}")
    by_cat = defaultdict(float)
    by_pass = defaultdict(float)
    by_func = defaultdict(float)
    for (cat, what, who), t in SELF.items():
        by_cat[cat] += t
        by_pass[(cat, what)] += t
        by_func[who] += t
    print("by category:", {k: round(v, 2) for k, v in by_cat.items()})
    print("by pass:")
    for k, v in sorted(by_pass.items(), key=lambda kv: -kv[1])[:12]:
        print(f"  {v:7.2f} s  {k}")
    print("by function / library (exclusive):")
    for k, v in sorted(by_func.items(), key=lambda kv: -kv[1])[:25]:
        print(f"  {v:7.2f} s  {k}")
    print("by (function or library, pass), largest:")
    for (cat, what, who), v in sorted(SELF.items(), key=lambda kv: -kv[1])[:15]:
        print(f"  {v:7.2f} s  {who}: {what}")
    comp = [k for k in COUNT if k[0] == "compile"]
    print(f"compiled signatures: {sum(COUNT[k] for k in comp)} over {len(comp)} functions")
    print("optimised IR sizes (chars), largest:")
    for k, v in sorted(IR_SIZE.items(), key=lambda kv: -kv[1])[:10]:
        print(f"  {v:9d}  {k}")


if __name__ == "__main__":
    main()
