"""Network generators (Watts-Strogatz, Barabasi-Albert, a tau-homophilous block model,
households' family ties) and ``dedupe``, which every builder's edge arrays go through. They all
produce plain edge arrays, from which ``Network`` is built.
"""

from __future__ import annotations

import numba as nb
import numpy as np

from ..errors import InputError


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
