"""Memory the process keeps: glibc told to serve large arrays from the heap and reuse what
is freed (every Simulation calls ``reuse_freed_memory``; only the first call acts)."""

from __future__ import annotations

import functools

_M_TRIM_THRESHOLD, _M_MMAP_MAX = -1, -4  # glibc's mallopt parameters (malloc.h)


@functools.cache
def reuse_freed_memory() -> bool:
    """Ask glibc to serve large arrays from the heap and keep freed memory for reuse; True if
    it agreed (Linux with glibc; elsewhere nothing changes).

    Why: each month allocates its temporaries afresh (dozens of arrays of n values). glibc
    maps every block over 32 MB straight from the kernel and hands it back when freed, so at
    10M citizens the kernel zeroed and faulted in the same gigabytes every month: with the
    heap kept, a month under the 2020 rules went 3.8 -> 3.0 s (system time halved) and the
    build 35 -> 30 s (benchmarks/profile_step.py). The price: the process keeps the memory it
    freed until it exits (peak RSS +6% at 10M). Below ~1M citizens no array is that large and
    nothing changes measurably."""
    import ctypes
    import ctypes.util

    try:
        mallopt = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes, mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
    # no mmap for large blocks, and free memory at the heap's top trimmed only past 2 GB
    return bool(mallopt(_M_MMAP_MAX, 0)) and bool(mallopt(_M_TRIM_THRESHOLD, 2**31 - 1))
