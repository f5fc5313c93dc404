"""Memory hints for the tie passes (LLVM's prefetch, as a Numba intrinsic) and the helpers that
ask for a citizen's friends' rows, or a random citizen's index entries and slots, ahead of use.
Used by the network's own kernels and by the scoring and behaviour kernels' tie passes.
"""

from __future__ import annotations

import numba as nb
from llvmlite import ir
from numba import types
from numba.core import cgutils
from numba.extending import intrinsic

PREFETCH_AHEAD = 16  # tie passes ask for the friends of the citizen this many places ahead


@intrinsic
def prefetch(typingctx, arr, i):
    """Ask the CPU to start loading row ``i`` of ``arr`` into cache (LLVM's prefetch hint:
    read, keep). It changes no result, only when memory is read.

    Why: a tie pass reads each friend's row; one friend in ten is far away in memory (a
    rewired or new random tie) and costs a full memory latency. The loop over one citizen's
    ties is short, so the CPU cannot run ahead into the next citizens' misses by itself;
    hinting the friends of the citizen ``PREFETCH_AHEAD`` places ahead overlaps those misses
    (about 3x faster gathers at 1M citizens)."""
    if not isinstance(arr, types.Array) or not isinstance(i, types.Integer):
        return None

    def codegen(context, builder, sig, args):
        ary = context.make_array(sig.args[0])(context, builder, args[0])
        idx = context.cast(builder, args[1], sig.args[1], types.intp)
        stride = builder.extract_value(ary.strides, 0)
        intp = context.get_value_type(types.intp)
        addr = builder.add(builder.ptrtoint(ary.data, intp), builder.mul(idx, stride))
        i8p = ir.IntType(8).as_pointer()
        i32 = ir.IntType(32)
        fn = cgutils.get_or_insert_function(builder.module, ir.FunctionType(ir.VoidType(), [i8p, i32, i32, i32]),
                                            "llvm.prefetch.p0i8")
        # (address, 0 = read, 3 = keep in all cache levels, 1 = data cache)
        builder.call(fn, [builder.inttoptr(addr, i8p), ir.Constant(i32, 0), ir.Constant(i32, 3), ir.Constant(i32, 1)])
        return context.get_dummy_value()

    return types.void(arr, i), codegen


@nb.njit(cache=True, inline="always")
def prefetch_friends(start, deg, nbr, rows, i):
    """Prefetch ``rows[j]`` for every friend j of citizen i (if i is a citizen)."""
    if i < start.shape[0]:
        s = start[i]
        for x in range(s, s + deg[i]):
            prefetch(rows, nbr[x])


@nb.njit(cache=True, inline="always")
def prefetch_index(start, deg, a):
    """First stage of prefetching a random citizen's ties: its index entries."""
    prefetch(start, a)
    prefetch(deg, a)


@nb.njit(cache=True, inline="always")
def prefetch_slots(start, deg, nbr, kind, a):
    """Second stage (once ``prefetch_index`` has brought start[a] and deg[a] in): its slots."""
    s = start[a]
    prefetch(nbr, s)
    prefetch(nbr, s + deg[a])  # a citizen's slots may span two cache lines
    prefetch(kind, s)
