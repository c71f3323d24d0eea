"""Does the lane loop of each built-in kernel structure use packed SIMD instructions?

Compiles, from scratch, the kernel of every structure reached by a list of public
configurations (every landscape, noise, optimiser and stop family), then inspects the
functions the kernel runs for that configuration and prints one JSON line per configuration
and a summary line. A specialised 1-D hot path and a 1-D family module (one per noise law
and observer: ``kernel.family_1d``) run ``step_1d`` (the fused 1-D step), and W2's
structure its own fused d-dimensional step (``step_multi``) with the Gaussian law's Box-Muller pair lane loop
(``_lanes_gaussian_pair``, also inspected for every Gaussian configuration in d >= 2); every
other configuration runs on the generic kernel, which calls one *part* per phase (a module
of its own for each component, see simsgd/_kernels/parts.py), and each part runs one
lane-loop function: the noise law's (``_lanes_draw_<law>``), the gradient's
(``_grad_lanes``; for the stochastic finite sums ``_batch_lanes``, whose lane loops draw the
batch and add up its gathered components), each transform's (``_t_<transform>`` of that
transform's part, listed by chain slot) and the update's (``_update_1d`` in 1-D, else
``_update_nd``).
A row is vectorised when every inspected function has packed vector loops (a phase
function counts its vector loops over all its components, so the row's ``functions``
field gives the detail), or has none left because LLVM unrolled a short lane loop into
straight-line code that is packed (at most one scalar-double instruction per ten packed
ones: the SLP vectoriser's work, e.g. the fused step of the stochastic quadratic, whose
32-lane loop without a sampler is short enough to unroll):

    python benchmarks/vectorisation.py    # exit 1 if any 1-D configuration is not vectorised

Only the step function's own code is inspected (not the CPython/cfunc wrappers, NRT helpers
or other linked functions): its LLVM IR for ``vector.body`` loops, its assembly for
instructions on packed doubles/quadwords in ymm/zmm registers and for scalar-double ones.
See benchmarks/README.md for the fields.
"""

import os
import shutil
import sys
import tempfile

# numba's inspect_asm() is unavailable for functions loaded from the disk cache: point both
# caches at a fresh folder before simsgd (and numba) are imported, so everything compiles.
_CACHE = tempfile.mkdtemp(prefix="simsgd-vec-")
os.environ["SIMSGD_CACHE_DIR"] = _CACHE
os.environ["NUMBA_CACHE_DIR"] = _CACHE
# and compile every part in this process: a build worker's parts would be loaded from the
# disk cache (simsgd/_kernels/build.py)
os.environ["SIMSGD_BUILD_WORKER"] = "0"

import argparse  # noqa: E402
import json  # noqa: E402
import re  # noqa: E402
import time  # noqa: E402

import numba  # noqa: E402
import numpy as np  # noqa: E402

import simsgd as sg  # noqa: E402
from simsgd._kernels import codes as C  # noqa: E402
from simsgd._kernels import kernel as K  # noqa: E402
from simsgd._kernels import parts as P  # noqa: E402
from simsgd.engine.simulate import DIVERGE_AT  # noqa: E402

SIM = sys.modules["simsgd.engine.simulate"]  # the module (the package exports the function)

L_ = sg.landscapes
N_ = sg.noise
O_ = sg.optimizers
E_ = sg.events

# Packed instructions on ymm/zmm registers: vmulpd/vblendvpd/vmovupd..., vpaddq/vpxor/vpsrlq...
PACKED = (re.compile(r"\bv\w+p[ds]\s.*%[yz]mm"), re.compile(r"\bvp\w+q?\s.*%[yz]mm"))
# Scalar double instructions (vmulsd, vaddsd, vucomisd, vfmadd...sd); a line that also names a
# ymm/zmm register (vbroadcastsd into ymm) is not counted as scalar.
SCALAR = re.compile(r"\bv\w+sd\b")
WIDE = re.compile(r"%[yz]mm")
VECTOR_BODY = re.compile(r"^vector\.body[\w.]*:", re.M)
CALLEE = re.compile(r"\bcall\b[^@]*@([\w.$]+)\(")
ASM_CALL = re.compile(r"\bcall[lq]?\s")  # numba calls libm indirectly: callq *%r13
_BORING_CALLS = ("llvm.lifetime", "llvm.assume", "llvm.experimental.noalias")


def configurations():
    """(name, landscape, noise, optimizer, x0, stop) covering every built-in family."""
    q1 = L_.Quadratic(1.0)
    q3 = L_.Quadratic([1.0, 2.0, 3.0])
    dw1 = L_.DoubleWell()
    dw2 = L_.DoubleWell(dim=2)
    mw = L_.MultiWell((-1.0, 0.0, 1.0), lower=-3.0, upper=3.0)
    gauss = N_.Gaussian(1.0)
    par = N_.Pareto(1.5)
    comp = N_.CompoundPareto(1.5, 0.1, 1.0)
    clipped = N_.Clipped(N_.Pareto(1.5), 50.0)
    sgd = O_.sgd(0.01)
    trunc = O_.truncated_sgd(0.01, 0.5)
    clip = O_.clipped_sgd(0.01, 5.0)
    coord = O_.chain(O_.clip_coordinates(5.0), O_.scale(0.01))
    ex = E_.Exit(lower=-1.0, upper=1.0)
    ex0 = E_.Exit(upper=0.0)
    basin = E_.ExitBasin()
    z3 = np.zeros(3)
    w2 = np.array([-1.0, 0.0])
    return [
        # 1-D
        ("quadratic1/none/sgd/-", q1, None, sgd, 0.5, None),
        ("quadratic1/gaussian/sgd/-", q1, gauss, sgd, 0.0, None),
        ("quadratic1/compound/clip_coord+scale/exit", q1, comp, coord, 0.0, ex),
        ("quadratic1/clipped_pareto/truncated_sgd/-", q1, clipped, trunc, 0.0, None),
        ("doublewell1/none/sgd/exit", dw1, None, sgd, -1.0, ex0),
        ("doublewell1/pareto/sgd/exit", dw1, par, sgd, -1.0, ex0),
        ("doublewell1/clipped_pareto/sgd/exit (W1)", dw1, clipped, sgd, -1.0, ex0),
        ("doublewell1/compound/truncated_sgd/exit", dw1, comp, trunc, -1.0, ex0),
        ("doublewell1/gaussian/clipped_sgd/basin", dw1, gauss, clip, -1.0, basin),
        ("multiwell/none/clipped_sgd/-", mw, None, clip, -1.0, None),
        ("multiwell/pareto/sgd/basin", mw, par, sgd, -1.0, basin),
        ("multiwell/compound/clip_coord+scale/basin", mw, comp, coord, -1.0, basin),
        ("multiwell/gaussian/truncated_sgd/basin", mw, gauss, trunc, -1.0, basin),
        # d > 1
        ("quadratic3/gaussian/sgd/-", q3, gauss, sgd, z3, None),
        ("quadratic3/pareto/clipped_sgd/-", q3, par, clip, z3, None),
        ("quadratic3/none/clip_coord+scale/exit", q3, None, coord, z3, ex),
        ("doublewell2/pareto/truncated_sgd/exit", dw2, par, trunc, w2, ex0),
        ("doublewell2/compound/clip_coord+scale/basin", dw2, comp, coord, w2, basin),
        ("doublewell2/clipped_pareto/clipped_sgd/basin", dw2, clipped, clip, w2, basin),
        ("quadratic100/gaussian/clipped_sgd/- (W2)", L_.Quadratic(np.linspace(1.0, 100.0, 100)),
         gauss, O_.clipped_sgd(0.005, 10.0), np.ones(100), None),
        # the component library's families (W4-like)
        ("doublewell1/stable/sgd/exit", dw1, N_.Stable(1.5), sgd, -1.0, ex0),
        ("stochastic_quadratic1/none/sgd/-", L_.StochasticQuadratic([0.2, 1.8], 1), None, sgd,
         1.0, None),
        ("doublewell1/pareto/sgdm/exit", dw1, par, O_.sgdm(0.01, 0.9), -1.0, ex0),
        ("cosh3/gaussian/normalized_sgd/-", L_.Cosh(dim=3), gauss, O_.normalized_sgd(0.01),
         z3, None),
        ("quadratic3/radial_pareto/adaptive_bb/-", q3, N_.Radial(par),
         O_.adaptive_sgd("bb"), z3, None),
    ]


def law_of(noise):
    """The law under the Clipped/Radial wrappers (None: exact gradients)."""
    law = noise.noise if isinstance(noise, N_.Clipped) else noise
    return law.noise if isinstance(law, N_.Radial) else law


def own_section(text, name, start_re, end_re):
    """The part of ``text`` from the definition of the function ``name`` to its end."""
    m = re.search(start_re.format(re.escape(name)), text, re.M)
    if m is None:
        raise RuntimeError(f"function {name} not found")
    end = re.compile(end_re, re.M).search(text, m.end())
    return text[m.start():end.start() if end else len(text)]


def inspect(dispatcher):
    """Counts for the (single) compiled signature of a step-function dispatcher."""
    sig = dispatcher.signatures[0]
    cres = dispatcher.overloads[sig]
    name = cres.fndesc.mangled_name  # the function itself, not the cpython/cfunc wrappers
    ir = own_section(dispatcher.inspect_llvm(sig), name, r"^define\b[^\n]*@{}\(", r"^}")
    asm = own_section(dispatcher.inspect_asm(sig), name, r"^{}:\s*$", r"^\.Lfunc_end\d+:")
    packed = scalar = 0
    asm_calls = 0
    for line in asm.splitlines():
        line = line.split("#", 1)[0]
        asm_calls += bool(ASM_CALL.search(line))
        if any(p.search(line) for p in PACKED):
            packed += 1
        elif SCALAR.search(line) and not WIDE.search(line):
            scalar += 1
    calls = sorted({c for c in CALLEE.findall(ir) if not c.startswith(_BORING_CALLS)})
    n_loops = len(VECTOR_BODY.findall(ir))
    return dict(vector_loops=n_loops, packed=packed, scalar=scalar,
                vectorised=bool(packed > 0 and (n_loops > 0 or 10 * scalar <= packed)),
                calls=calls, asm_calls=asm_calls,
                n_signatures=len(dispatcher.signatures))


# each transform's lane-loop function in template.py (template._transform_lanes)
_T_LANES = {C.T_SCALE: "_t_scale", C.T_CLIP_COORD: "_t_clip_coord",
            C.T_CLIP_NORM: "_t_clip_norm", C.T_NORMALIZE: "_t_normalize", C.T_SIGN: "_t_sign",
            C.T_MOMENTUM: "_t_momentum", C.T_SCHEDULE: "_t_schedule",
            C.T_ADAGRAD_NORM: "_t_adagrad_norm", C.T_NORM_RATIO: "_t_norm_ratio",
            C.T_SECANT: "_t_secant_bb", C.T_BB: "_t_secant_bb"}


def generic_functions(land, noise, opt, x0, stop, dim):
    """``{label: ((part key, module globals), function name)}``: the lane-loop function of
    each part the generic kernel calls for this configuration (kernel.part_keys)."""
    plan = SIM._plan(land, noise, opt, x0, 64, 10, 1, stop, (), None, DIVERGE_AT, 1)
    radial = plan["noise_p"][4] != 0.0
    law = int(plan["codes"][1])
    loaded = K.loaded_parts()
    fns = {}
    for index, part, arg, structure in K.part_keys(plan["codes"], radial, dim):
        key = (part, arg, structure)
        where = (key, loaded[key]._pyfunc.__globals__)
        if part == P.NOISE and law != C.NOISE_NONE:
            fns[f"_lanes_{K.SAMPLERS[law]}"] = (where, f"_lanes_{K.SAMPLERS[law]}")
            if law == C.NOISE_GAUSSIAN and dim > 1 and not radial:
                # coordinates (2k, 2k+1) in d >= 2
                fns["_lanes_gaussian_pair"] = (where, "_lanes_gaussian_pair")
        elif part == P.GRAD:
            name = "_batch_lanes" if structure[0] in (C.LAND_STOCH_QUAD,
                                                      C.LAND_FINITE_WELLS) else "_grad_lanes"
            fns[name] = (where, name)
        elif part == P.TRANSFORM and structure[2] != C.T_POLYAK:
            kind = structure[2]
            name = "_t_clip_coord" if kind == C.T_CLIP_NORM and dim == 1 else _T_LANES[kind]
            fns[f"{name}[slot {index - P.P_SLOT0}]"] = (where, name)
        elif part == P.UPDATE:
            name = "_update_1d" if dim == 1 else "_update_nd"
            fns[name] = (where, name)
    return fns


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.parse_args(argv)
    t_all = time.perf_counter()
    rows = []
    try:
        seen = {}
        for name, land, noise, opt, x0, stop in configurations():
            t0 = time.perf_counter()
            res = sg.simulate(land, noise, opt, x0=x0, stop=stop, n_paths=64, n_steps=10, seed=1)
            wall = time.perf_counter() - t0
            st = tuple(int(c) for c in res.provenance["structure"])
            dim = int(res.provenance["dim"])
            kern = K._REGISTRY[res.provenance["structure"]]
            g = kern.py_func.__globals__
            if st != K.GENERIC and dim == 1:
                # a specialised stochastic finite sum draws its batches first (_BATCH_1D)
                fns = ["step_1d"] + (["_batch_lanes"] if g.get("_BATCH_1D") else [])
            elif st != K.GENERIC and g.get("FUSED_QCLIP"):
                # W2's structure: its own fused d > 1 step and the two passes it calls, the
                # noise and gradient per coordinate pair and the commit (an odd last
                # coordinate would add the law's own lane loop)
                fns = ["step_multi", "_noise_grad_pairs", "_commit_lanes"]
            else:
                fns = generic_functions(land, noise, opt, x0, stop, dim)
            infos = {}
            for fn in fns:
                where, fname = fns[fn] if isinstance(fns, dict) else ((st, g), fn)
                if (where[0], fname) not in seen:
                    seen[(where[0], fname)] = inspect(where[1][fname])
                infos[fn] = seen[(where[0], fname)]
            row = dict(config=name, structure=list(st), dim=dim,
                       vectorised=all(i["vectorised"] for i in infos.values()),
                       functions={fn: dict(vectorised=i["vectorised"], packed=i["packed"],
                                           scalar=i["scalar"], vector_loops=i["vector_loops"],
                                           asm_calls=i["asm_calls"])
                                  for fn, i in infos.items()},
                       first_call_s=round(wall, 2))
            rows.append(row)
            print(json.dumps(row), flush=True)
    finally:
        shutil.rmtree(_CACHE, ignore_errors=True)
    one_d = [r for r in rows if r["dim"] == 1]
    failed = [r["config"] for r in one_d if not r["vectorised"]]
    summary = dict(summary=True, configurations=len(rows),
                   vectorised=sum(r["vectorised"] for r in rows),
                   structures=len({tuple(r["structure"]) for r in rows}),
                   one_d=len(one_d), one_d_vectorised=sum(r["vectorised"] for r in one_d),
                   one_d_not_vectorised=failed, numba=numba.__version__,
                   cpu=numba.config.CPU_NAME or _host_cpu(),
                   total_s=round(time.perf_counter() - t_all, 1))
    print(json.dumps(summary), flush=True)
    return 1 if failed else 0


def _host_cpu():
    try:
        import llvmlite.binding as llvm
        return llvm.get_host_cpu_name()
    except Exception:  # pragma: no cover - informational only
        return None


if __name__ == "__main__":
    sys.exit(main())
