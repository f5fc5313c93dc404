"""Analysis of the ties: connected components (union-find, restricted to a set of members) and
the assortativity of a citizen attribute across ties (through friends' sums). ``Network``'s
``components`` and ``assortativity`` run these; scsim.metrics.network_stats reads them.
"""

from __future__ import annotations

import numba as nb
import numpy as np

from .prefetch import PREFETCH_AHEAD, prefetch, prefetch_friends


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
def component_labels(start, deg, nbr, member):
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


def tie_assortativity(start, deg, nbr, x):
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


@nb.njit(cache=True, nogil=True)
def k_core(start, deg, nbr, member, k):
    """The k-core of the subgraph induced by ``member``: the largest set of members in which each
    has at least k ties to others in the set (Seidman 1983), by peeling (a queue of those who fall
    below k; each tie is looked at once from each end)."""
    n = start.shape[0]
    inside = member.copy()
    d = np.zeros(n, np.int32)
    for i in range(n):
        if member[i]:
            c = 0
            for x in range(start[i], start[i] + deg[i]):
                c += member[nbr[x]]
            d[i] = c
    queue = np.empty(n, np.int64)
    tail = 0
    for i in range(n):
        if inside[i] and d[i] < k:
            inside[i] = False
            queue[tail] = i
            tail += 1
    head = 0
    while head < tail:
        i = queue[head]
        head += 1
        for x in range(start[i], start[i] + deg[i]):
            j = nbr[x]
            if inside[j]:
                d[j] -= 1
                if d[j] < k:
                    inside[j] = False
                    queue[tail] = j
                    tail += 1
    return inside
