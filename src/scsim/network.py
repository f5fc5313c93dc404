"""The friendship network: undirected, typed ties (friend or family), cut and made every month.

Storage is a *slotted* adjacency array: citizen ``i`` owns the slots
``nbr[start[i] : start[i] + cap[i]]`` of which the first ``deg[i]`` are in use, sorted by
neighbour id at all times. It reads like CSR in kernels (one contiguous run per citizen) but a
tie can be cut (the later slots move up one) or made (inserted in its place, into a free slot)
in O(degree) without rebuilding anything; only when a citizen runs out of free slots is the
structure regrown, with fresh slack for everybody. Sorted ties make the layout a function of
the tie set alone, and the tie passes read friends' columns in increasing address order.

Generators (Watts-Strogatz, Barabasi-Albert, a tau-homophilous block model), an edge-list
loader and a NetworkX loader all produce plain edge arrays, from which ``Network`` is built.
"""

from __future__ import annotations

import gzip
from pathlib import Path

import numba as nb
import numpy as np
from llvmlite import ir
from numba import types
from numba.core import cgutils
from numba.extending import intrinsic

from .errors import InputError

FRIEND, FAMILY = np.uint8(0), np.uint8(1)
KIND_NAMES = ("friend", "family")


# ------------------------------------------------------------------------------ kernels

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
def _prefetch_index(start, deg, a):
    """First stage of prefetching a random citizen's ties: its index entries."""
    prefetch(start, a)
    prefetch(deg, a)


@nb.njit(cache=True, inline="always")
def _prefetch_slots(start, deg, nbr, kind, a):
    """Second stage (once ``_prefetch_index`` has brought start[a] and deg[a] in): its slots."""
    s = start[a]
    prefetch(nbr, s)
    prefetch(nbr, s + deg[a])  # a citizen's slots may span two cache lines
    prefetch(kind, s)


@nb.njit(cache=True, parallel=True)
def _fill(start, deg, nbr, kind, u, v, k, parts):
    """Each citizen's ties in the order of the edge list. The citizens are split into ``parts``
    id ranges, one per thread; every thread reads the whole list and writes only its own
    citizens' slots, so the slot order is the sequential one whatever the threads (with
    ``_count_ends``, a network of 1M citizens is laid out in 0.35 s instead of 0.56)."""
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
def _count_ends(u, v, counts, parts):
    """counts[a] += the ties a is an end of (two bincounts, split by id range as ``_fill``)."""
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
def _asked(n, u, v):
    """Number of ties asked of each citizen in a batch of makes (an upper bound of those made)."""
    asked = np.zeros(n, np.int32)
    for e in range(u.shape[0]):
        asked[u[e]] += 1
        asked[v[e]] += 1
    return asked


@nb.njit(cache=True)
def _make_room(start, deg, cap, nbr, kind, u, v, asked, tail):
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
def _cut_or_make(start, deg, nbr, kind, u, v, k, make, done, kinds_out, parts):
    """Make (``make``) or cut ties u[e]-v[e] in order, keeping each citizen's ties sorted;
    ``done[e]``: the tie was made (it did not exist; not a self-loop) or cut (it existed, of
    kind ``kinds_out[e]``). Makes need a free slot at each end (``_make_room``).

    The citizens are split into ``parts`` id ranges, one per thread, as in ``_fill``: each
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
            _prefetch_index(start, deg, u[f])
        if lo <= v[f] < hi:
            _prefetch_index(start, deg, v[f])
    f = e + PREFETCH_AHEAD
    if f < m:
        if lo <= u[f] < hi:
            _prefetch_slots(start, deg, nbr, kind, u[f])
        if lo <= v[f] < hi:
            _prefetch_slots(start, deg, nbr, kind, v[f])


@nb.njit(cache=True, parallel=True)
def _sort_slots(start, deg, nbr, kind, who):
    """Sort the ties of citizens ``who`` by neighbour id (insertion sort: degrees are small), so
    that the tie passes read friends' columns in increasing address order. The citizens are
    scattered: their index entries and slots are prefetched ahead (see ``prefetch``)."""
    m = who.shape[0]
    for q in nb.prange(m):
        if q + 2 * PREFETCH_AHEAD < m:
            _prefetch_index(start, deg, who[q + 2 * PREFETCH_AHEAD])
        if q + PREFETCH_AHEAD < m:
            _prefetch_slots(start, deg, nbr, kind, who[q + PREFETCH_AHEAD])
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


@nb.njit(cache=True)
def _find_root(parent, x):
    root = x
    while parent[root] != root:
        root = parent[root]
    while parent[x] != root:  # path compression
        nxt = parent[x]
        parent[x] = root
        x = nxt
    return root


@nb.njit(cache=True, inline="always")
def _union(parent, a, b):
    """Join the trees of a and b under the smaller root: every root stays its tree's smallest
    member, whatever the order of the unions."""
    ra = _find_root(parent, a)
    rb = _find_root(parent, b)
    if ra < rb:
        parent[rb] = ra
    elif rb < ra:
        parent[ra] = rb


@nb.njit(cache=True, nogil=True)  # nogil: two subgraphs' components can run side by side
def _components(start, deg, nbr, member):
    """Union-find over ties whose two ends are both members; non-members get label -1.

    Afforest's shortcut (Sutton, Ben-Nun and Barak, 2018): join each member to its first two
    member friends, find the largest tree so far (almost surely the giant component), then
    walk the ties only of members outside it. A tie between the giant and another citizen is
    in that citizen's slots too, so nothing is missed; most ties are never read (~180 -> ~80 ms
    at 1M citizens)."""
    n = start.shape[0]
    parent = np.arange(n).astype(np.int32)  # int32 halves the cache footprint of the random reads
    members = np.count_nonzero(member)
    shortcut = 2 * members >= n  # a sparse subgraph (e.g. dissenters) rarely has a giant
    giant = -1
    if shortcut:
        for r in range(2):
            for a in range(n):
                ahead = a + PREFETCH_AHEAD
                if ahead < n and member[ahead] and deg[ahead] > r:
                    prefetch(parent, nbr[start[ahead] + r])  # mostly far: its smallest-id friend
                if member[a] and deg[a] > r:
                    b = nbr[start[a] + r]
                    if member[b]:
                        _union(parent, a, b)
        counts = np.zeros(n, np.int32)
        for a in range(n):
            if member[a]:
                parent[a] = _find_root(parent, a)  # flat trees: parent is the root
                counts[parent[a]] += 1
        giant = np.argmax(counts)
        shortcut = 2 * counts[giant] >= members
    # with the shortcut, walk the ties of members outside the giant tree; without, every tie
    # once, from its smaller end
    for a in range(n):
        ahead = a + PREFETCH_AHEAD
        if ahead < n and member[ahead] and not (shortcut and parent[ahead] == giant):
            prefetch_friends(start, deg, nbr, parent, ahead)
        if not member[a] or (shortcut and parent[a] == giant):  # in the giant's tree for good
            continue
        for x in range(start[a], start[a] + deg[a]):
            b = nbr[x]
            if (shortcut or b > a) and member[b]:
                _union(parent, a, b)
    labels = np.full(n, -1, np.int64)
    for a in range(n):
        if member[a]:
            labels[a] = _find_root(parent, a)
    return labels


@nb.njit(cache=True, nogil=True)
def _friend_sums(start, deg, nbr, x, out):
    """out[a] = sum of x over a's friends, in slot order. On one core, without the GIL: the
    monthly network metrics run it beside the union-find of the components (the two cores
    each take one: the network metrics 170 -> 125-135 ms at 1M citizens)."""
    for a in range(start.shape[0]):
        prefetch_friends(start, deg, nbr, x, a + PREFETCH_AHEAD)
        acc = 0.0
        for j in range(start[a], start[a] + deg[a]):
            acc += x[nbr[j]]
        out[a] = acc


def _assortativity(start, deg, nbr, x):
    """Pearson correlation of x across the two ends of every tie (Newman's r for a scalar):
    one pass over ties (friends' sums), then NumPy's sums over citizens (deterministic)."""
    m = int(deg.sum())
    if m == 0:
        return np.nan
    near = np.empty(len(x))
    _friend_sums(start, deg, nbr, x, near)
    d = deg.astype(np.float64)
    mean = float(np.sum(x * d)) / m
    var = float(np.sum(x * x * d)) / m - mean * mean
    if var <= 0:
        return np.nan
    return (float(np.sum(x * near)) / m - mean * mean) / var


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
        _count_ends(u, v, counts, parts)
        self._allocate(counts)
        _fill(self.start, self.deg, self.nbr, self.kind, u, v, kind, parts)
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
        asked = _asked(self.n, u, v)
        # room first: a citizen without it moves to the free tail; when that is full, a fresh
        # layout with room for every tie asked (then nobody needs to move)
        tail = _make_room(self.start, self.deg, self.cap, self.nbr, self.kind, u, v, asked, self.tail)
        if tail < 0:
            self._regrow(asked)
            tail = _make_room(self.start, self.deg, self.cap, self.nbr, self.kind, u, v, asked, self.tail)
        self.tail = tail
        _cut_or_make(self.start, self.deg, self.nbr, self.kind, u, v, kind, True, added, np.empty(0, np.uint8),
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
        _cut_or_make(self.start, self.deg, self.nbr, self.kind, u, v, kinds, False, removed, kinds,
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
        return _components(self.start, self.deg, self.nbr, member)

    def assortativity(self, x: np.ndarray) -> float:
        return float(_assortativity(self.start, self.deg, self.nbr, np.asarray(x, np.float64)))

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


# ------------------------------------------------------------------------------ edge arrays


def dedupe(n: int, u, v, kind=None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Drop self-loops and repeated pairs (a family tie wins over a friendship on the same pair).
    Returns the ties as (u, v, kind) with u < v, in order of (u, v)."""
    u = np.ascontiguousarray(u, np.int64)
    v = np.ascontiguousarray(v, np.int64)
    kind = np.zeros(len(u), np.uint8) if kind is None else np.ascontiguousarray(kind, np.uint8)
    if len(u) and (min(u.min(), v.min()) < 0 or max(u.max(), v.max()) >= n):  # the kernel indexes by id
        raise ValueError(f"dedupe: citizen ids must lie in 0..{n - 1}")
    return _dedupe(n, u, v, kind)


@nb.njit(cache=True, nogil=True)
def _dedupe(n, u, v, kind):
    """Bucket the pairs by their smaller end (a counting sort), sort each bucket by (larger end,
    highest kind first) and keep each pair's first: the order of a full sort of a * n + b, in
    linear time (NumPy's lexsort of 10 million pairs took a second)."""
    m = u.shape[0]
    bounds = np.zeros(n + 1, np.int64)
    for e in range(m):
        if u[e] != v[e]:
            bounds[min(u[e], v[e]) + 1] += 1
    for i in range(n):
        bounds[i + 1] += bounds[i]
    fill = bounds[:-1].copy()
    key = np.empty(bounds[n], np.int64)  # b, then 255 - kind: a family tie sorts before a friendship
    for e in range(m):
        if u[e] != v[e]:
            a = min(u[e], v[e])
            key[fill[a]] = max(u[e], v[e]) * 256 + (255 - kind[e])
            fill[a] += 1
    m = key.shape[0]
    u_out = np.empty(m, np.int32)
    v_out = np.empty(m, np.int32)
    k_out = np.empty(m, np.uint8)
    w = 0
    for i in range(n):
        s, t = bounds[i], bounds[i + 1]
        if t - s > 32:
            key[s:t] = np.sort(key[s:t])
        else:
            for x in range(s + 1, t):  # insertion sort: most buckets are small
                y, z = x - 1, key[x]
                while y >= s and key[y] > z:
                    key[y + 1] = key[y]
                    y -= 1
                key[y + 1] = z
        for x in range(s, t):
            if x > s and key[x] >> 8 == key[x - 1] >> 8:
                continue
            u_out[w] = i
            v_out[w] = key[x] >> 8
            k_out[w] = 255 - (key[x] & 255)
            w += 1
    return u_out[:w], v_out[:w], k_out[:w]


def watts_strogatz(n: int, k: float, p: float, rng: np.random.Generator, raw: bool = False):
    """Ring lattice of even degree k, each tie's far end rewired with probability p. With
    ``raw``, the pairs as drawn (self-loops and repeats included) for a caller that dedupes
    them with other ties anyway (``dedupe`` of the union gives the same ties)."""
    half = max(1, int(round(k / 2)))
    if 2 * half >= n:
        raise InputError(f"network: mean_degree {k} is too large for {n} citizens")
    i = np.arange(n, dtype=np.int64)
    u = np.repeat(i, half)
    v = (u + np.tile(np.arange(1, half + 1), n)) % n
    rewire = rng.random(len(u)) < p
    v[rewire] = rng.integers(0, n, int(rewire.sum()))
    return (u, v, np.zeros(len(u), np.uint8)) if raw else dedupe(n, u, v)


@nb.njit(cache=True, nogil=True)
def _ba(n, m, seed):
    np.random.seed(seed)
    u = np.empty((n - m) * m, np.int64)
    v = np.empty((n - m) * m, np.int64)
    repeated = np.empty(2 * (n - m) * m + m, np.int64)
    r = 0
    for j in range(m):
        repeated[r] = j
        r += 1
    e = 0
    chosen = np.empty(m, np.int64)
    for new in range(m, n):
        c = 0
        while c < m:
            if new == m:
                t = c
            else:
                t = repeated[np.random.randint(0, r)]
            dup = False
            for q in range(c):
                if chosen[q] == t:
                    dup = True
            if not dup:
                chosen[c] = t
                c += 1
        for q in range(m):
            u[e] = new
            v[e] = chosen[q]
            e += 1
            repeated[r] = chosen[q]
            r += 1
            repeated[r] = new
            r += 1
    return u, v


def barabasi_albert(n: int, k: float, rng: np.random.Generator):
    """Preferential attachment: each newcomer ties to m = k/2 distinct citizens, by degree."""
    m = max(1, int(round(k / 2)))
    if m >= n:
        raise InputError(f"network: mean_degree {k} is too large for {n} citizens")
    u, v = _ba(n, m, int(rng.integers(0, 2**31 - 1)))
    return dedupe(n, u, v)


def homophilous_blocks(tau: np.ndarray, k: float, blocks: int, homophily: float, rng: np.random.Generator):
    """Block model in tau: citizens are split into tau quantile blocks; each of a citizen's k/2
    ties stays inside its block with probability ``homophily``, else goes to anyone."""
    n = len(tau)
    half = max(1, int(round(k / 2)))
    order = np.argsort(tau, kind="stable")
    rank_block = (np.arange(n) * blocks) // n  # block of the citizen at each tau rank
    lo = np.searchsorted(rank_block, np.arange(blocks), side="left")
    hi = np.searchsorted(rank_block, np.arange(blocks), side="right")
    ranks = np.repeat(np.arange(n), half)
    b = rank_block[ranks]
    inside = rng.random(len(ranks)) < homophily
    u01 = rng.random(len(ranks))
    partner_rank = np.where(inside, lo[b] + (u01 * (hi[b] - lo[b])).astype(np.int64), (u01 * n).astype(np.int64))
    return dedupe(n, order[ranks], order[np.minimum(partner_rank, n - 1)])


def households(n: int, mean_size: float, rng: np.random.Generator):
    """Household id per citizen (sizes 1 + Poisson(mean - 1), capped at 8) and the family ties."""
    if mean_size <= 1:
        return np.arange(n, dtype=np.int32), np.zeros(0, np.int32), np.zeros(0, np.int32)
    sizes = np.minimum(1 + rng.poisson(mean_size - 1, size=n), 8)
    ends = np.cumsum(sizes)
    sizes = sizes[: np.searchsorted(ends, n) + 1]
    sizes[-1] -= ends[len(sizes) - 1] - n
    # households take consecutive ids: family ties stay local in memory (citizens are
    # exchangeable, so this costs no generality and saves cache misses in every tie pass)
    perm = np.arange(n, dtype=np.int32)
    hh_of_slot = np.repeat(np.arange(len(sizes), dtype=np.int32), sizes)
    hid = np.empty(n, np.int32)
    hid[perm] = hh_of_slot
    first = np.concatenate(([0], np.cumsum(sizes)[:-1]))
    us, vs = [], []
    for a in range(1, 8):  # pair each member with the a-th next member of its household
        for s in range(a + 1, 9):
            sel = sizes == s
            if not sel.any():
                continue
            for j in range(s - a):
                us.append(perm[first[sel] + j])
                vs.append(perm[first[sel] + j + a])
    if not us:
        return hid, np.zeros(0, np.int32), np.zeros(0, np.int32)
    return hid, np.concatenate(us), np.concatenate(vs)


# ------------------------------------------------------------------------------ loaders


def load_edgelist(path: str | Path) -> tuple[int, np.ndarray, np.ndarray]:
    """Read 'u v' pairs (whitespace-separated, '#' comments, .gz allowed); ids are relabelled
    0..n-1 in increasing order. Self-loops, repeated pairs and malformed lines are errors."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: no such edge list")
    opener = gzip.open if path.suffix == ".gz" else open
    us: list[int] = []
    vs: list[int] = []
    seen: dict[tuple[int, int], int] = {}
    try:
        with opener(path, "rt") as fh:
            for lineno, line in enumerate(fh, 1):
                text = line.split("#", 1)[0].strip()
                if not text:
                    continue
                parts = text.split()
                if len(parts) < 2:
                    raise InputError(f"{path}:{lineno}: expected two citizen ids 'u v', got '{text}'")
                try:
                    a, b = int(parts[0]), int(parts[1])
                except ValueError:
                    raise InputError(f"{path}:{lineno}: citizen ids must be non-negative integers, got '{text}'") from None
                if a < 0 or b < 0:
                    raise InputError(f"{path}:{lineno}: citizen ids must be non-negative integers, got '{text}'")
                if a == b:
                    raise InputError(f"{path}:{lineno}: self-loop {a}-{b}")
                key = (a, b) if a < b else (b, a)
                if key in seen:
                    raise InputError(f"{path}:{lineno}: duplicate tie {a}-{b} (first on line {seen[key]})")
                seen[key] = lineno
                us.append(a)
                vs.append(b)
    except (OSError, EOFError, UnicodeDecodeError, gzip.BadGzipFile) as e:
        raise InputError(f"{path}: cannot read edge list: {e}") from None
    if not us:
        raise InputError(f"{path}: edge list is empty")
    ids, inv = np.unique(np.array(us + vs, np.int64), return_inverse=True)
    m = len(us)
    return len(ids), inv[:m].astype(np.int32), inv[m:].astype(np.int32)


def from_networkx(graph) -> Network:
    """A Network from a NetworkX graph (nodes relabelled 0..n-1 in the graph's order;
    an edge attribute kind='family' makes a family tie)."""
    nodes = list(graph.nodes())
    index = {node: i for i, node in enumerate(nodes)}
    u, v, k = [], [], []
    for a, b, data in graph.edges(data=True):
        u.append(index[a])
        v.append(index[b])
        k.append(1 if data.get("kind") == "family" else 0)
    uu, vv, kk = dedupe(len(nodes), u, v, np.array(k, np.uint8))
    return Network(len(nodes), uu, vv, kk)
