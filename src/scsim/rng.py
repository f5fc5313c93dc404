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
from typing import NamedTuple

import numba as nb
import numpy as np


# ---------------------------------------------------------------- draw slots
#
# Within a stream, a month's draws for one citizen are told apart by their *slot*. Each stream's
# slots are declared here once, by name, and read by the Numba kernels (a global NamedTuple is a
# compile-time constant there), the torch backend and the Triton kernels alike; no rule writes a
# bare slot number. Changing a number changes every result drawn from it.


class EconomySlots(NamedTuple):
    due: int = 0  # a repayment falls due this month
    repaid: int = 1  # it is repaid (else defaulted)


class OptinSlots(NamedTuple):
    consider: int = 0  # the citizen considers joining this month
    join: int = 1  # and joins


class ExpressionSlots(NamedTuple):
    """Three slots per kind of post (opinion, history, news): slot ``stride * kind + field``."""

    would: int = 0  # would post (the Daymude rule also reads it for how much is posted)
    censor: int = 1  # self-censors under the logit rule
    reach: int = 2  # a sanctioned citizen's post gets through limited Internet
    stride: int = 3


class TiesSlots(NamedTuple):
    cut_consider: int = 0  # considers cutting its worst dragger
    cut: int = 1  # and cuts it
    churn: int = 2  # drops a random tie (churn)
    churn_slot: int = 3  # which of its ties
    replace: int = 4  # one who cut seeks a replacement
    form: int = 5  # seeks a new tie anyway
    triadic: int = 6  # first candidate: a friend of a friend (else a random citizen)
    friend: int = 7  # which friend
    friend_of_friend: int = 8  # which of that friend's friends
    stranger: int = 9  # which random citizen
    seek_better: int = 10  # under score seeking, draws a second candidate
    triadic_2: int = 11  # the second candidate's four draws, as the first's
    friend_2: int = 12
    friend_of_friend_2: int = 13
    stranger_2: int = 14
    refuse: int = 15  # the candidate refuses a newcomer who would drag its score


class PositionsSlots(NamedTuple):
    priority: int = 0  # place in the queue for a vacant position


class BraggingSlots(NamedTuple):
    brag: int = 0  # posts its score


class ProvocationSlots(NamedTuple):
    invite: int = 0  # a planted agent sounds the citizen out
    agree: int = 1  # the citizen agrees
    report: int = 2  # the agreement is reported (on file)
    arrest: int = 3  # a citizen on file is arrested
    fear: int = 4  # fear of arrest silences a post: slot fear + kind


class GenerationsSlots(NamedTuple):
    parent: int = 0  # each child's parent (by fertility weight)
    empty_order: int = 1  # order in which places left empty are refilled
    tau: int = 2  # the child's tau (inherited with heritability h2)
    child_tie: int = 3  # which of its parent's ties a child keeps


class WattsStrogatzSlots(NamedTuple):
    """The torch backend's synthetic Watts-Strogatz builder (stream "network"): the counter's
    month field picks the draw, its slot field the ring offset."""

    rewire: int = 0  # the tie to the a-th neighbour is rewired
    target: int = 1  # to this citizen


ECONOMY, OPTIN, EXPRESSION, TIES = EconomySlots(), OptinSlots(), ExpressionSlots(), TiesSlots()
POSITIONS, BRAGGING, PROVOCATION, GENERATIONS = PositionsSlots(), BraggingSlots(), ProvocationSlots(), GenerationsSlots()
WATTS_STROGATZ = WattsStrogatzSlots()

# the monthly counter-based streams and their slots (the keys the month's phases draw with)
MONTHLY = {"economy": ECONOMY, "optin": OPTIN, "expression": EXPRESSION, "ties": TIES, "positions": POSITIONS,
           "bragging": BRAGGING, "provocation": PROVOCATION, "generations": GENERATIONS}
# every stream, by name: the Generators used once to build the world, then the monthly keys
STREAMS = ("population", "network", "provocateurs", *MONTHLY, "validation")

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
