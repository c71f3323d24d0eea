"""Parts: the generic kernel's phases, compiled one component at a time and called through
a function pointer.

Why. The generic kernel serves every structure that has no module of its own, so with its
phases linked in it compiled every landscape, noise law, transform and observer of the
library, 9-10 s of a cold start (``benchmarks/compile_profile.py generic``: type inference,
lowering and LLVM's passes over ~1.7 MB of IR), whichever few components a run used. Now
the generic module holds only the driver (the block loop: refills, the scalar pass, the
calls below; ~0.7 s) and each phase of a step is a *part*: a C-ABI function
(``numba.cfunc``) of its own kernel module, generated from ``template.py`` with that one
component's code constant (``kernel.get_parts``), compiled the first time a run needs it
and then cached on disk like any kernel. A cold generic run compiles the driver and its
own parts only.

The driver passes a part's address in an int64 array and calls it with :func:`call_part`,
an intrinsic that emits an indirect call: every array goes as its data pointer and its
shape, every scalar as int64 or float64 (:data:`ARGS`), so one driver serves every part,
and no argument carries a numba reference count (an atomic operation per array and call
otherwise). The part rebuilds its arrays with ``numba.carray`` and runs the same lane-loop
functions the phased step ran, with the same arithmetic in the same order: the values are
unchanged.
"""

from llvmlite import ir
from numba import types
from numba.extending import intrinsic

# what a part computes; the part's own argument (PART_ARG in template.py) is in brackets
NONE = 0  # a kernel module, no part
NOISE = 1  # phase_noise for one law [1: radial noise]
GRAD = 2  # phase_grad for one landscape, then g = grad + xi, v = g (_combine_lanes)
TRANSFORM = 3  # one transform of the chain, in the slot given by the call
UPDATE = 4  # candidate, checks, commit and status [1: d = 1]
OBSERVER = 5  # the observer's pass after a step, or (slot = lane >= 0) a lane's reset

N_PARTS = 10
"""Entries of the address array: noise, gradient, the N_SLOTS transform slots, update,
observer (0: no call, for an empty slot or no observer)."""
P_NOISE, P_GRAD, P_SLOT0, P_UPDATE, P_OBSERVER = 0, 1, 2, 8, 9

# The call's arguments, in order: (name, dtype, ndim) for arrays, (name, dtype, 0) for
# scalars. An array of ndim n goes as its data pointer and n int64 extents.
ARGS = (("S", types.uint64, 1), ("F", types.float64, 1), ("sel", types.int64, 1),
        ("gbuf", types.float64, 1), ("ids", types.int64, 1), ("codes", types.int64, 1),
        ("land_p", types.float64, 1), ("noise_p", types.float64, 1),
        ("opt_p", types.float64, 1), ("stop_p", types.float64, 1),
        ("obs_p", types.float64, 1), ("out_rec", types.float64, 3),
        ("d", types.int64, 0), ("slot", types.int64, 0), ("n_steps", types.int64, 0),
        ("diverge_at", types.float64, 0))


def c_signature():
    """The parts' C signature (``numba.cfunc``), from :data:`ARGS`."""
    flat = []
    for _, dtype, ndim in ARGS:
        flat += [types.CPointer(dtype)] + [types.int64] * ndim if ndim else [dtype]
    return types.void(*flat)


@intrinsic
def call_part(typingctx, addr, S, F, sel, gbuf, ids, codes, land_p, noise_p, opt_p, stop_p,
              obs_p, out_rec, d, slot, n_steps, diverge_at):
    """Call the part at address ``addr`` (an int64) with the arguments of :data:`ARGS`."""
    given = (S, F, sel, gbuf, ids, codes, land_p, noise_p, opt_p, stop_p, obs_p, out_rec, d,
             slot, n_steps, diverge_at)
    for (name, dtype, ndim), ty in zip(ARGS, given):
        ok = (isinstance(ty, types.Array) and ty.dtype == dtype and ty.ndim == ndim
              and ty.layout == "C") if ndim else isinstance(ty, (types.Integer, types.Float))
        if not ok:
            raise TypeError(f"call_part: argument {name} must be a C-contiguous {ndim}-d "
                            f"{dtype} array" if ndim else f"call_part: {name} must be a number")
    sig = types.void(addr, *given)

    def codegen(context, builder, signature, args):
        flat = []
        for (_, dtype, ndim), ty, val in zip(ARGS, signature.args[1:], args[1:]):
            if ndim:
                arr = context.make_array(ty)(context, builder, val)
                flat.append(arr.data)
                flat += [builder.extract_value(arr.shape, k) for k in range(ndim)]
            else:
                flat.append(context.cast(builder, val, ty, dtype))
        fnty = ir.FunctionType(ir.VoidType(), [v.type for v in flat])
        fn = builder.inttoptr(context.cast(builder, args[0], signature.args[0], types.int64),
                              fnty.as_pointer())
        builder.call(fn, flat)
        return context.get_dummy_value()

    return sig, codegen
