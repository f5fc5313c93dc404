"""The network's structure: the slotted ``Network`` class and the kernels that lay out, cut, make
and sort its ties.

Storage is a *slotted* adjacency array: citizen ``i`` owns the slots
``nbr[start[i] : start[i] + cap[i]]`` of which the first ``deg[i]`` are in use, sorted by
neighbour id at all times. It reads like CSR in kernels (one contiguous run per citizen) but a
tie can be cut (the later slots move up one) or made (inserted in its place, into a free slot)
in O(degree) without rebuilding anything; only when a citizen runs out of free slots is the
structure regrown, with fresh slack for everybody. Sorted ties make the layout a function of
the tie set alone, and the tie passes read friends' columns in increasing address order.
"""

from __future__ import annotations

import numba as nb
import numpy as np

from .analysis import component_labels, k_core, tie_assortativity
from .prefetch import PREFETCH_AHEAD, prefetch_index, prefetch_slots

FRIEND, FAMILY = np.uint8(0), np.uint8(1)
KIND_NAMES = ("friend", "family")


# ------------------------------------------------------------------------------ kernels


@nb.njit(cache=True, parallel=True)
def fill_slots(start, deg, nbr, kind, u, v, k, parts):
    """Each citizen's ties in the order of the edge list. The citizens are split into ``parts``
    id ranges, one per thread; every thread reads the whole list and writes only its own
    citizens' slots, so the slot order is the sequential one whatever the threads (with
    ``count_ends``, a network of 1M citizens is laid out in 0.35 s instead of 0.56)."""
    n = start.shape[0]
    for p in nb.prange(parts):
        lo, hi = n * p // parts, n * (p + 1) // parts
        for e in range(u.shape[0]):
            a, b = u[e], v[e]
            if lo <= a < hi:
                nbr[start[a] + deg[a]] = b
                kind[start[a] + deg[a]] = k[e]
                deg[a] += 1
            if lo <= b < hi:
                nbr[start[b] + deg[b]] = a
                kind[start[b] + deg[b]] = k[e]
                deg[b] += 1


@nb.njit(cache=True, parallel=True)
def count_ends(u, v, counts, parts):
    """counts[a] += the ties a is an end of (two bincounts, split by id range as ``fill_slots``)."""
    n = counts.shape[0]
    for p in nb.prange(parts):
        lo, hi = n * p // parts, n * (p + 1) // parts
        for e in range(u.shape[0]):
            a, b = u[e], v[e]
            if lo <= a < hi:
                counts[a] += 1
            if lo <= b < hi:
                counts[b] += 1


@nb.njit(cache=True, parallel=True)
def _copy_slots(start, deg, nbr, kind, new_start, new_nbr, new_kind):
    """Each citizen's used slots copied, in order, to its place in a new layout."""
    for a in nb.prange(start.shape[0]):
        s, t = start[a], new_start[a]
        for x in range(deg[a]):
            new_nbr[t + x] = nbr[s + x]
            new_kind[t + x] = kind[s + x]


@nb.njit(cache=True, inline="always")
def slot_position(start, deg, nbr, a, b):
    """The first of a's slots whose neighbour id is >= b (a's ties are sorted by id)."""
    x = start[a]
    end = x + deg[a]
    while x < end and nbr[x] < b:
        x += 1
    return x


@nb.njit(cache=True, inline="always")
def find_slot(start, deg, nbr, a, b):
    """Slot of b among a's ties, or -1."""
    x = slot_position(start, deg, nbr, a, b)
    return x if x < start[a] + deg[a] and nbr[x] == b else -1


@nb.njit(cache=True)
def _relocate(start, deg, cap, nbr, kind, a, tail, new_cap):
    """Move citizen a's slots to the free tail with capacity ``new_cap``; returns the new tail,
    or -1 if the arrays have no room left."""
    if tail + new_cap > nbr.shape[0]:
        return -1
    s = start[a]
    for x in range(deg[a]):
        nbr[tail + x] = nbr[s + x]
        kind[tail + x] = kind[s + x]
    start[a] = tail
    cap[a] = new_cap
    return tail + new_cap


@nb.njit(cache=True, inline="always")
def insert_sorted(start, deg, nbr, kind, a, b, k):
    """Put tie a-b (kind k) in its place among a's sorted ties (a has a free slot)."""
    _insert_at(start, deg, nbr, kind, a, slot_position(start, deg, nbr, a, b), b, k)


@nb.njit(cache=True, inline="always")
def _insert_at(start, deg, nbr, kind, a, x, b, k):
    """Put b (kind k) at slot x of a's ties, the later ones moving down one."""
    for y in range(start[a] + deg[a], x, -1):
        nbr[y] = nbr[y - 1]
        kind[y] = kind[y - 1]
    nbr[x] = b
    kind[x] = k
    deg[a] += 1


@nb.njit(cache=True, inline="always")
def remove_slot(start, deg, nbr, kind, a, x):
    """Take slot x out of a's ties, keeping the rest in order."""
    for y in range(x, start[a] + deg[a] - 1):
        nbr[y] = nbr[y + 1]
        kind[y] = kind[y + 1]
    deg[a] -= 1


@nb.njit(cache=True)
def ties_asked(n, u, v):
    """Number of ties asked of each citizen in a batch of makes (an upper bound of those made)."""
    asked = np.zeros(n, np.int32)
    for e in range(u.shape[0]):
        asked[u[e]] += 1
        asked[v[e]] += 1
    return asked


@nb.njit(cache=True)
def make_room(start, deg, cap, nbr, kind, u, v, asked, tail):
    """Before a batch of makes: every citizen that might not have a slot for each tie asked of
    it moves to the free tail, with twice its capacity or more. Returns the new tail, or -1
    when the tail is full (regrow with room for ``asked``; the moves already made are kept)."""
    for e in range(u.shape[0]):
        for c in (u[e], v[e]):
            if deg[c] + asked[c] > cap[c]:
                tail = _relocate(start, deg, cap, nbr, kind, c, tail, max(2 * cap[c], deg[c] + asked[c], 4))
                if tail < 0:
                    return -1
    return tail


@nb.njit(cache=True, parallel=True)
def cut_or_make(start, deg, nbr, kind, u, v, k, make, done, kinds_out, parts):
    """Make (``make``) or cut ties u[e]-v[e] in order, keeping each citizen's ties sorted;
    ``done[e]``: the tie was made (it did not exist; not a self-loop) or cut (it existed, of
    kind ``kinds_out[e]``). Makes need a free slot at each end (``make_room``).

    The citizens are split into ``parts`` id ranges, one per thread, as in ``fill_slots``: each
    thread reads the whole list and changes only its own citizens' slots, each citizen's in
    list order, so the result is the sequential one whatever the threads. Both ends hold the
    same ties (every change is applied to both), so they agree on whether a tie exists."""
    n = start.shape[0]
    m = u.shape[0]
    for p in nb.prange(parts):
        lo, hi = n * p // parts, n * (p + 1) // parts
        for e in range(m):
            _prefetch_owned(start, deg, nbr, kind, u, v, e, m, lo, hi)
            for end in range(2):
                c, d = (u[e], v[e]) if end == 0 else (v[e], u[e])
                if not lo <= c < hi or (end == 1 and c == d):
                    continue
                x = slot_position(start, deg, nbr, c, d)
                exists = x < start[c] + deg[c] and nbr[x] == d
                if end == 0:
                    done[e] = (c != d and not exists) if make else exists
                    if exists and not make:
                        kinds_out[e] = kind[x]
                if make and not exists and c != d:
                    _insert_at(start, deg, nbr, kind, c, x, d, k[e])
                elif exists and not make:
                    remove_slot(start, deg, nbr, kind, c, x)


@nb.njit(cache=True, inline="always")
def _prefetch_owned(start, deg, nbr, kind, u, v, e, m, lo, hi):
    """While tie e is cut or made, prefetch the index entries of the ends of tie e + 2 * AHEAD
    and the slots of the ends of tie e + AHEAD that this thread owns (ids lo..hi-1): both ends
    are random citizens (see ``prefetch``)."""
    f = e + 2 * PREFETCH_AHEAD
    if f < m:
        if lo <= u[f] < hi:
            prefetch_index(start, deg, u[f])
        if lo <= v[f] < hi:
            prefetch_index(start, deg, v[f])
    f = e + PREFETCH_AHEAD
    if f < m:
        if lo <= u[f] < hi:
            prefetch_slots(start, deg, nbr, kind, u[f])
        if lo <= v[f] < hi:
            prefetch_slots(start, deg, nbr, kind, v[f])


@nb.njit(cache=True, parallel=True)
def _sort_slots(start, deg, nbr, kind, who):
    """Sort the ties of citizens ``who`` by neighbour id (insertion sort: degrees are small), so
    that the tie passes read friends' columns in increasing address order. The citizens are
    scattered: their index entries and slots are prefetched ahead (see ``prefetch``)."""
    m = who.shape[0]
    for q in nb.prange(m):
        if q + 2 * PREFETCH_AHEAD < m:
            prefetch_index(start, deg, who[q + 2 * PREFETCH_AHEAD])
        if q + PREFETCH_AHEAD < m:
            prefetch_slots(start, deg, nbr, kind, who[q + PREFETCH_AHEAD])
        a = who[q]
        s = start[a]
        for x in range(s + 1, s + deg[a]):
            b = nbr[x]
            k = kind[x]
            y = x - 1
            while y >= s and nbr[y] > b:
                nbr[y + 1] = nbr[y]
                kind[y + 1] = kind[y]
                y -= 1
            nbr[y + 1] = b
            kind[y + 1] = k


@nb.njit(cache=True, parallel=True)
def _upper_degrees(start, deg, nbr, out):
    """out[a] = number of a's friends with a larger id (a's ties in the edge list)."""
    for a in nb.prange(start.shape[0]):
        c = 0
        for x in range(start[a], start[a] + deg[a]):
            c += nbr[x] > a
        out[a] = c


@nb.njit(cache=True, parallel=True)
def _edge_list(start, deg, nbr, kind, offsets, u, v, k):
    """Each citizen a writes its ties (a, b > a) in slot order from ``offsets[a]`` on."""
    for a in nb.prange(start.shape[0]):
        e = offsets[a]
        for x in range(start[a], start[a] + deg[a]):
            b = nbr[x]
            if a < b:
                u[e] = a
                v[e] = b
                k[e] = kind[x]
                e += 1


# ------------------------------------------------------------------------------ class


class Network:
    """Undirected typed ties on citizens ``0..n-1``, with O(degree) cut and make."""

    def __init__(self, n: int, u=None, v=None, kind=None, slack: float = 0.25, min_slack: int = 4):
        self.n = int(n)
        self.slack = float(slack)
        self.min_slack = int(min_slack)
        u = np.zeros(0, np.int32) if u is None else np.asarray(u, np.int32)
        v = np.zeros(0, np.int32) if v is None else np.asarray(v, np.int32)
        kind = np.zeros(len(u), np.uint8) if kind is None else np.asarray(kind, np.uint8)
        if len(u) and (min(u.min(), v.min()) < 0 or max(u.max(), v.max()) >= self.n):  # the kernels index by id
            raise ValueError(f"Network: citizen ids must lie in 0..{self.n - 1}")
        parts = nb.get_num_threads()
        counts = np.zeros(self.n, np.int32)
        count_ends(u, v, counts, parts)
        self._allocate(counts)
        fill_slots(self.start, self.deg, self.nbr, self.kind, u, v, kind, parts)
        # (an edge list in order of (u, v), u < v, as dedupe gives, fills every row sorted;
        # the sort then only checks)
        _sort_slots(self.start, self.deg, self.nbr, self.kind, np.arange(self.n))

    def _allocate(self, counts: np.ndarray) -> None:
        self.cap = (counts + np.maximum(self.min_slack, np.ceil(counts * self.slack))).astype(np.int32)
        self.start = np.zeros(self.n, np.int64)
        np.cumsum(self.cap[:-1], out=self.start[1:])
        total = int(self.start[-1] + self.cap[-1]) if self.n else 0
        self.tail = total  # slots past the tail are free room for citizens that outgrow theirs
        extra = max(1024, int(total * 0.05))
        self.nbr = np.full(total + extra, -1, np.int32)
        self.kind = np.zeros(total + extra, np.uint8)
        self.deg = np.zeros(self.n, np.int32)

    def _regrow(self, extra: np.ndarray | None = None) -> None:
        """A fresh layout with the usual slack for everybody (the free tail is full), and room
        for ``extra`` more ties per citizen: each citizen's ties are copied in their slot order,
        in parallel (as the torch backend does; rebuilding from the edge list took ~1.5 s at 1M
        citizens, the copy ~0.1 s)."""
        start, deg, nbr, kind = self.start, self.deg, self.nbr, self.kind
        self._allocate(deg if extra is None else deg + extra)
        _copy_slots(start, deg, nbr, kind, self.start, self.nbr, self.kind)
        self.deg = deg
        self.regrowths = getattr(self, "regrowths", 0) + 1

    # -- queries
    def __repr__(self) -> str:
        ties = self.n_edges
        mean = 2 * ties / self.n if self.n else 0.0
        return f"<scsim Network: {self.n:,} citizens, {ties:,} ties (mean degree {mean:.1f})>"

    @property
    def n_edges(self) -> int:
        return int(self.deg.sum()) // 2

    def neighbours(self, i: int) -> np.ndarray:
        s = self.start[i]
        return self.nbr[s : s + self.deg[i]].copy()

    def neighbour_kinds(self, i: int) -> np.ndarray:
        s = self.start[i]
        return self.kind[s : s + self.deg[i]].copy()

    def has_edge(self, a: int, b: int) -> bool:
        return find_slot(self.start, self.deg, self.nbr, a, b) >= 0

    def edges(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Every tie once, as (u, v, kind) with u < v, in order of u."""
        upper = np.empty(self.n, np.int64)
        _upper_degrees(self.start, self.deg, self.nbr, upper)
        offsets = np.zeros(self.n, np.int64)
        np.cumsum(upper[:-1], out=offsets[1:])
        total = int(upper.sum())
        u, v, k = np.empty(total, np.int32), np.empty(total, np.int32), np.empty(total, np.uint8)
        _edge_list(self.start, self.deg, self.nbr, self.kind, offsets, u, v, k)
        return u, v, k

    def edge_set(self) -> set[tuple[int, int, int]]:
        u, v, k = self.edges()
        return set(zip(u.tolist(), v.tolist(), k.tolist()))

    # -- changes
    def add_edges(self, u, v, kind=None) -> np.ndarray:
        """Make ties in order, each in its sorted place; self-loops and existing ties are
        skipped. Returns which were made."""
        u = np.ascontiguousarray(u, np.int32)
        v = np.ascontiguousarray(v, np.int32)
        kind = np.zeros(len(u), np.uint8) if kind is None else np.ascontiguousarray(kind, np.uint8)
        added = np.zeros(len(u), np.bool_)
        if len(u) and (min(u.min(), v.min()) < 0 or max(u.max(), v.max()) >= self.n):  # the kernels index by id
            raise ValueError(f"add_edges: citizen ids must lie in 0..{self.n - 1}")
        asked = ties_asked(self.n, u, v)
        # room first: a citizen without it moves to the free tail; when that is full, a fresh
        # layout with room for every tie asked (then nobody needs to move)
        tail = make_room(self.start, self.deg, self.cap, self.nbr, self.kind, u, v, asked, self.tail)
        if tail < 0:
            self._regrow(asked)
            tail = make_room(self.start, self.deg, self.cap, self.nbr, self.kind, u, v, asked, self.tail)
        self.tail = tail
        cut_or_make(self.start, self.deg, self.nbr, self.kind, u, v, kind, True, added, np.empty(0, np.uint8),
                    nb.get_num_threads())  # (kinds_out: written by cuts only)
        return added

    def remove_edges(self, u, v) -> tuple[np.ndarray, np.ndarray]:
        """Cut ties in order (the other ties keep their order); returns which existed (and were
        cut) and their kinds."""
        u = np.ascontiguousarray(u, np.int32)
        v = np.ascontiguousarray(v, np.int32)
        removed = np.zeros(len(u), np.bool_)
        kinds = np.zeros(len(u), np.uint8)
        if len(u) and (min(u.min(), v.min()) < 0 or max(u.max(), v.max()) >= self.n):
            raise ValueError(f"remove_edges: citizen ids must lie in 0..{self.n - 1}")
        cut_or_make(self.start, self.deg, self.nbr, self.kind, u, v, kinds, False, removed, kinds,
                    nb.get_num_threads())
        return removed, kinds

    def sort_slots(self, who: np.ndarray | None = None) -> None:
        """Restore increasing neighbour order (of citizens ``who``, default all) in slots that
        were written by hand (cuts and makes keep it)."""
        who = np.arange(self.n) if who is None else np.asarray(who, np.int64)
        _sort_slots(self.start, self.deg, self.nbr, self.kind, who)

    def copy(self) -> "Network":
        new = object.__new__(Network)
        new.__dict__.update({k: (v.copy() if isinstance(v, np.ndarray) else v) for k, v in self.__dict__.items()})
        return new

    # -- analysis
    def components(self, member: np.ndarray | None = None) -> np.ndarray:
        """Component label (its smallest member) per citizen; -1 outside ``member``."""
        member = np.ones(self.n, np.bool_) if member is None else np.asarray(member, np.bool_)
        return component_labels(self.start, self.deg, self.nbr, member)

    def core(self, member: np.ndarray, k: int) -> np.ndarray:
        """Members of the k-core of the subgraph induced by ``member`` (``analysis.k_core``)."""
        return k_core(self.start, self.deg, self.nbr, np.asarray(member, np.bool_), int(k))

    def assortativity(self, x: np.ndarray) -> float:
        return float(tie_assortativity(self.start, self.deg, self.nbr, np.asarray(x, np.float64)))

    def to_csr(self):
        import scipy.sparse as sp

        u, v, _ = self.edges()
        data = np.ones(2 * len(u), np.float32)
        return sp.csr_matrix((data, (np.r_[u, v], np.r_[v, u])), shape=(self.n, self.n))

    def to_networkx(self):
        import networkx as nx

        g = nx.Graph()
        g.add_nodes_from(range(self.n))
        u, v, k = self.edges()
        g.add_edges_from((a, b, {"kind": KIND_NAMES[c]}) for a, b, c in zip(u.tolist(), v.tolist(), k.tolist()))
        return g
