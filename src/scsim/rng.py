"""Named random streams split from one root seed.

Two kinds of draws, both keyed by a stream's *name* (hashed into the ``SeedSequence`` spawn key,
so adding a stream never shifts the others); the global NumPy RNG is never used.

- ``streams["population"]`` is a ``numpy.random.Generator``, for one-off draws (building the
  population and the network).
- ``streams.key("expression")`` is a 64-bit key for *counter-based* draws inside the monthly
  kernels: ``uniform(key, month, slot, citizen)`` is a pure function (SplitMix64 finalisers of
  the key and the counter), so every citizen's draw in a month is fixed by (stream, month, slot,
  citizen) alone. That gives common random numbers by construction (two scenarios on one seed
  share every draw their difference does not touch), results independent of the number of
  threads, and no per-month arrays of random numbers.
"""

from __future__ import annotations

import zlib

import numba as nb
import numpy as np

STREAMS = (
    "population", "network", "economy", "optin", "purchases", "expression",
    "ties", "positions", "bragging", "generations", "provocateur", "validation",
)

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_TO_UNIT = 1.0 / 9007199254740992.0  # 2**-53


@nb.njit(cache=True, inline="always")
def _mix(z):
    z = (z ^ (z >> np.uint64(30))) * _M1
    z = (z ^ (z >> np.uint64(27))) * _M2
    return z ^ (z >> np.uint64(31))


@nb.njit(cache=True, inline="always")
def uniform(key, month, slot, i):
    """A uniform draw in [0, 1) for (stream key, month, slot, citizen)."""
    c = (np.uint64(month) << np.uint64(40)) | (np.uint64(slot) << np.uint64(32)) | np.uint64(i)
    z = _mix(key ^ _mix(c * _GOLDEN + _GOLDEN))
    return float(np.int64(z >> np.uint64(11))) * _TO_UNIT


@nb.njit(cache=True, parallel=True)
def uniform_array(key, month, slot, n):
    out = np.empty(n)
    for i in nb.prange(n):
        out[i] = uniform(key, month, slot, i)
    return out


class Streams:
    """``streams["population"]``: a Generator; ``streams.key("ties")``: a counter-based key."""

    def __init__(self, seed: int):
        self.seed = int(seed)
        self._gens: dict[str, np.random.Generator] = {}

    def _seq(self, name: str) -> np.random.SeedSequence:
        return np.random.SeedSequence(self.seed, spawn_key=(zlib.crc32(name.encode()),))

    def __getitem__(self, name: str) -> np.random.Generator:
        if name not in self._gens:
            self._gens[name] = np.random.Generator(np.random.PCG64(self._seq(name)))
        return self._gens[name]

    def key(self, name: str) -> np.uint64:
        return np.uint64(self._seq(name).generate_state(1, np.uint64)[0])
