"""scsim.network.Network on tensors (``TorchNetwork``: the same slotted layout, cuts, makes
and re-sorts, with the same slot order), and a Watts-Strogatz builder on the device.

See docs/gpu.md ("Network") for how cuts reproduce the CPU network's slot order and how the
passes over ties walk the layout column by column.
"""

from __future__ import annotations

import numpy as np
import torch

from ..network import Network
from ..rng import WATTS_STROGATZ
from .torch_draws import uniform

F64, I64, I32, U8, BOOL = torch.float64, torch.int64, torch.int32, torch.uint8, torch.bool
CUT_MARK = torch.iinfo(torch.int32).max  # a slot being cut (remove_edges)


def _excl_cumsum(x: torch.Tensor) -> torch.Tensor:
    out = torch.cumsum(x, 0)
    return out - x


def _rank_in_groups(sorted_keys: torch.Tensor) -> torch.Tensor:
    """Position of each element within its run of equal keys (keys sorted)."""
    m = sorted_keys.shape[0]
    idx = torch.arange(m, device=sorted_keys.device)
    if m == 0:
        return idx
    new = torch.ones(m, dtype=BOOL, device=sorted_keys.device)
    new[1:] = sorted_keys[1:] != sorted_keys[:-1]
    return idx - torch.cummax(torch.where(new, idx, 0), 0).values


def _first_occurrence(key: torch.Tensor) -> torch.Tensor:
    """True where a key appears for the first time (in order)."""
    m = key.shape[0]
    if m == 0:
        return torch.zeros(0, dtype=BOOL, device=key.device)
    uniq, inv = torch.unique(key, return_inverse=True)
    pos = torch.arange(m, device=key.device)
    first = torch.full((uniq.shape[0],), m, dtype=I64, device=key.device).scatter_reduce_(0, inv, pos, "amin")
    return first[inv] == pos


def _pair_key(u: torch.Tensor, v: torch.Tensor, n: int) -> torch.Tensor:
    return torch.minimum(u, v) * n + torch.maximum(u, v)


# ------------------------------------------------------------------ the network on the device


class TorchNetwork:
    """scsim.network.Network's slotted adjacency as tensors.

    Citizen i's ties are ``nbr[start[i] : start[i] + deg[i]]``, sorted by neighbour id after
    every batch of cuts or makes (as ``Network`` keeps them), followed by free slots (-1) up to
    ``cap[i]``; slots past ``tail`` are free room for citizens that outgrow theirs. A batch
    marks or appends, then re-sorts only the citizens it touched (``sort_slots``). Slot indices
    are int64 (a 100M-citizen network has more than 2**31 slots); neighbour ids are int32,
    kinds uint8."""

    FLAT_SHARE = 16  # walk: the last columns, when few citizens have ties left, go in one batch

    def __init__(self, n, start, deg, cap, nbr, kind, tail, slack=0.25, min_slack=4):
        self.n = int(n)
        self.start, self.deg, self.cap, self.nbr, self.kind = start, deg, cap, nbr, kind
        self.tail = int(tail)
        self.slack, self.min_slack = float(slack), int(min_slack)
        self.regrowths = 0
        self._dirty: list[torch.Tensor] = []

    @property
    def device(self) -> torch.device:
        return self.nbr.device

    # -- conversion
    @classmethod
    def from_numpy(cls, net: Network, device) -> "TorchNetwork":
        """A copy of a CPU network. Stale ids in its free slots (cuts leave them) are cleared
        to -1 so that a slot is in use exactly when it holds an id."""
        deg = net.deg.astype(np.int64)
        used = np.repeat(net.start, deg) + (np.arange(deg.sum()) - np.repeat(np.cumsum(deg) - deg, deg))
        nbr = np.full(len(net.nbr), -1, np.int32)
        kind = np.zeros(len(net.kind), np.uint8)
        nbr[used] = net.nbr[used]
        kind[used] = net.kind[used]
        t = lambda a, dt: torch.tensor(np.ascontiguousarray(a), dtype=dt, device=device)  # noqa: E731 (a copy)
        out = cls(net.n, t(net.start, I64), t(net.deg, I32), t(net.cap, I32), t(nbr, I32), t(kind, U8),
                  net.tail, net.slack, net.min_slack)
        out.regrowths = getattr(net, "regrowths", 0)
        return out

    def to_numpy(self) -> Network:
        """The same network as a scsim.network.Network (for edges, components, checkpoints)."""
        net = object.__new__(Network)
        net.n, net.slack, net.min_slack, net.tail = self.n, self.slack, self.min_slack, self.tail
        net.start = self.start.cpu().numpy().astype(np.int64)
        net.deg = self.deg.cpu().numpy().astype(np.int32)
        net.cap = self.cap.cpu().numpy().astype(np.int32)
        net.nbr = self.nbr.cpu().numpy().astype(np.int32)
        net.kind = self.kind.cpu().numpy().astype(np.uint8)
        net.regrowths = self.regrowths
        return net

    @staticmethod
    def _layout(counts, slack, min_slack, device):
        """(start, deg, cap, nbr, kind, tail) for these tie counts: Network._allocate's slack."""
        c = counts.to(I64)
        cap = c + torch.clamp_min(torch.ceil(c.to(F64) * slack).to(I64), min_slack)
        start = _excl_cumsum(cap)
        total = int(cap.sum().item())
        extra = max(1024, int(total * 0.05))
        nbr = torch.full((total + extra,), -1, dtype=I32, device=device)
        kind = torch.zeros(total + extra, dtype=U8, device=device)
        return start, torch.zeros_like(counts, dtype=I32), cap.to(I32), nbr, kind, total

    # -- queries
    @property
    def n_edges(self) -> int:
        return int(self.deg.sum().item()) // 2

    def edges(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Every tie once, as numpy (u, v, kind) with u < v, in order of u then v."""
        return self.to_numpy().edges()

    def edge_set(self) -> set[tuple[int, int, int]]:
        u, v, k = self.edges()
        return set(zip(u.tolist(), v.tolist(), k.tolist()))

    def neighbours(self, i: int) -> np.ndarray:
        s, d = int(self.start[i]), int(self.deg[i])
        return self.nbr[s : s + d].cpu().numpy().copy()

    def neighbour_kinds(self, i: int) -> np.ndarray:
        s, d = int(self.start[i]), int(self.deg[i])
        return self.kind[s : s + d].cpu().numpy().copy()

    def segments(self, cits: torch.Tensor, first: torch.Tensor | int = 0):
        """Flat (row, slot) pairs over the used slots of ``cits`` from their ``first``-th on,
        in slot order; row indexes ``cits``."""
        d = self.deg[cits].to(I64) - first
        rows = torch.repeat_interleave(torch.arange(cits.shape[0], device=self.device), d)
        x = torch.arange(rows.shape[0], device=self.device) - _excl_cumsum(d)[rows]
        return rows, x + (self.start[cits] + first)[rows]

    def walk(self, cits: torch.Tensor | None = None):
        """Batches (citizens, slots, unique) that visit every used slot of ``cits`` (all by
        default) in slot order: the k-th slot of each citizen with degree > k, k = 0, 1, ...
        (each citizen once: unique; ``citizens`` is None while that is every citizen, in order,
        so consumers need no gather); once fewer than 1/FLAT_SHARE of them have ties left, the
        rest of their slots in one flat batch (a citizen may appear several times there, so
        consumers reduce with index_add_/scatter_reduce_)."""
        full = cits is None
        if full:
            d, s, total = self.deg, self.start, self.n
        else:
            d, s, total = self.deg[cits], self.start[cits], cits.shape[0]
        if total == 0:
            return
        active = (total - torch.cumsum(torch.bincount(d.to(I64)), 0)).tolist()  # active[k] = #(d > k)
        cur = total
        k = 0
        while k < len(active) and active[k] > 0:
            if active[k] != cur:
                keep = d > k
                cits = torch.nonzero(keep).squeeze(1) if full else cits[keep]
                s, d = s[keep], d[keep]
                full = False
                cur = active[k]
            if cur * self.FLAT_SHARE < total and k + 1 < len(active) and active[k + 1] > 0:
                rows, x = self.segments(cits, k)
                yield cits[rows], x, False
                return
            yield (None if full else cits), s + k, True
            k += 1

    def find(self, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        """Slot of b in a's ties, or -1 (a scan of a's ties: within a batch of makes they are
        not yet sorted)."""
        out = torch.full((a.shape[0],), -1, dtype=I64, device=self.device)
        if a.shape[0] == 0:
            return out
        rows, x = self.segments(a)
        hit = self.nbr[x] == b.to(I32)[rows]
        return out.scatter_reduce_(0, rows[hit], x[hit], "amax")

    def has_edge(self, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        """Whether a-b is a tie (scanning the end with fewer ties)."""
        swap = self.deg[b] < self.deg[a]
        return self.find(torch.where(swap, b, a), torch.where(swap, a, b)) >= 0

    # -- changes (same semantics as Network.remove_edges / add_edges / sort_slots)
    def remove_edges(self, u: torch.Tensor, v: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Cut ties in order; returns which existed (and were cut) and their kinds. A pair
        asked twice is cut once. The cut slots are marked, then each touched citizen's ties
        are re-sorted, the marks last, and freed: the other ties keep their order, as in
        Network.remove_edges."""
        m = u.shape[0]
        kinds = torch.zeros(m, dtype=U8, device=self.device)
        if m == 0:
            return torch.zeros(0, dtype=BOOL, device=self.device), kinds
        u, v = u.to(I64), v.to(I64)
        x = self.find(u, v)
        removed = _first_occurrence(_pair_key(u, v, self.n)) & (x >= 0) & (u != v)
        kinds[removed] = self.kind[x[removed]]
        ru, rv = u[removed], v[removed]
        c, p = torch.cat([ru, rv]), torch.cat([rv, ru])
        self.nbr[self.find(c, p)] = CUT_MARK  # sorts after every id
        cits, cnt = torch.unique(c, return_counts=True)
        self._dirty.append(cits)
        self.sort_slots()
        freed = torch.repeat_interleave(self.start[cits] + self.deg[cits].to(I64) - cnt, cnt)
        freed += torch.arange(freed.shape[0], device=self.device) - torch.repeat_interleave(_excl_cumsum(cnt), cnt)
        self.nbr[freed] = -1
        self.kind[freed] = 0
        self.deg[cits] -= cnt.to(I32)
        return removed, kinds

    def add_edges(self, u: torch.Tensor, v: torch.Tensor, kind: torch.Tensor | None = None) -> torch.Tensor:
        """Make ties in order; self-loops, existing ties and repeats are skipped. Returns which
        were made. New ties are appended (a citizen without room moves to the tail with twice
        the capacity; when the tail is full, everything is regrown with fresh slack), then the
        touched citizens' ties re-sorted."""
        m = u.shape[0]
        if m == 0:
            return torch.zeros(0, dtype=BOOL, device=self.device)
        u, v = u.to(I64), v.to(I64)
        made = _first_occurrence(_pair_key(u, v, self.n)) & (u != v)
        made &= ~self.has_edge(u, v)
        k = torch.zeros(m, dtype=U8, device=self.device) if kind is None else kind.to(U8)
        a, b, k = u[made], v[made], k[made]
        ends, other, k = torch.cat([a, b]), torch.cat([b, a]), torch.cat([k, k])
        order = torch.argsort(ends, stable=True)
        ends, other, k = ends[order], other[order], k[order]
        cits, cnt = torch.unique_consecutive(ends, return_counts=True)
        need = self.deg[cits].to(I64) + cnt
        over = need > self.cap[cits]
        if bool(over.any()):
            oc = cits[over]
            new_cap = torch.maximum(torch.clamp_min(2 * self.cap[oc].to(I64), 4), need[over])
            if self.tail + int(new_cap.sum().item()) > self.nbr.shape[0]:
                self._regrow(cits, cnt)
            else:
                self._relocate(oc, new_cap)
        pos = self.start[ends] + self.deg[ends].to(I64) + _rank_in_groups(ends)
        self.nbr[pos] = other.to(I32)
        self.kind[pos] = k
        self.deg[cits] += cnt.to(I32)
        self._dirty.append(cits)
        self.sort_slots()
        return made

    def sort_slots(self) -> None:
        """Re-sort the ties of the citizens touched since the last call by neighbour id (cut
        marks last)."""
        if not self._dirty:
            return
        d = torch.unique(torch.cat(self._dirty))
        self._dirty = []
        rows, x = self.segments(d)
        order = torch.argsort(rows * (self.n + 1) + torch.clamp_max(self.nbr[x].to(I64), self.n))
        self.nbr[x] = self.nbr[x][order]
        self.kind[x] = self.kind[x][order]

    def _relocate(self, cits: torch.Tensor, new_cap: torch.Tensor) -> None:
        """Move these citizens' ties to the free tail with the given capacities."""
        offs = self.tail + _excl_cumsum(new_cap)
        rows, x = self.segments(cits)
        y = offs[rows] + (x - self.start[cits][rows])
        self.nbr[y] = self.nbr[x]
        self.kind[y] = self.kind[x]
        self.nbr[x] = -1
        self.kind[x] = 0
        self.start[cits] = offs
        self.cap[cits] = new_cap.to(I32)
        self.tail += int(new_cap.sum().item())

    def _regrow(self, cits: torch.Tensor, extra: torch.Tensor, chunk: int = 1 << 22) -> None:
        """Fresh layout with room for ``extra`` more ties of ``cits`` plus the usual slack; the
        ties are copied over a chunk of citizens at a time (bounded temporaries)."""
        counts = self.deg.clone().to(I64)
        counts[cits] += extra
        start, _, cap, nbr, kind, tail = self._layout(counts, self.slack, self.min_slack, self.device)
        for c0 in range(0, self.n, chunk):
            c = torch.arange(c0, min(self.n, c0 + chunk), device=self.device)
            rows, x = self.segments(c)
            y = start[c][rows] + (x - self.start[c][rows])
            nbr[y] = self.nbr[x]
            kind[y] = self.kind[x]
        self.start, self.cap, self.nbr, self.kind, self.tail = start, cap, nbr, kind, tail
        self.regrowths += 1


# ------------------------------------------------------------------ builders


def watts_strogatz(n: int, k: float, p: float, key: int, device, chunk: int = 1 << 22) -> TorchNetwork:
    """Ring lattice of even degree k, each tie's far end rewired with probability p, built on
    the device from counter-based draws (so it does not depend on the chunking): tie (i, a)
    for a = 1..k/2 is rewired when uniform(key, WATTS_STROGATZ.rewire, a, i) < p, to
    int(uniform(key, WATTS_STROGATZ.target, a, i) * n).
    Self-loops and repeated pairs are dropped, as scsim.network.watts_strogatz does."""
    half = max(1, int(round(k / 2)))
    if 2 * half >= n:
        raise ValueError(f"network: mean_degree {k} is too large for {n} citizens")
    dev = torch.device(device)

    def far_ends(i, a):
        rew = uniform(key, WATTS_STROGATZ.rewire, a, i) < p
        far = torch.where(rew, (uniform(key, WATTS_STROGATZ.target, a, i) * n).to(I64) % n, (i + a) % n)
        return rew, far

    # rewired ties, by far end: the in-ties a citizen gets from anywhere on the ring
    src, dst = [], []
    for c0 in range(0, n, chunk):
        i = torch.arange(c0, min(n, c0 + chunk), device=dev)
        for a in range(1, half + 1):
            rew, far = far_ends(i, a)
            keep = rew & (far != i)
            src.append(i[keep].to(I32))
            dst.append(far[keep].to(I32))
    src, dst = torch.cat(src), torch.cat(dst)
    order = torch.argsort(dst.to(I64) * n + src.to(I64))
    src, dst = src[order], dst[order]
    del order
    # upper bound of each citizen's ties (before dropping repeats), for the layout
    counts = torch.zeros(n, dtype=I64, device=dev)
    for c0 in range(0, n, chunk):
        i = torch.arange(c0, min(n, c0 + chunk), device=dev)
        for a in range(1, half + 1):
            rew, far = far_ends(i, a)
            counts[c0 : c0 + i.shape[0]] += (far != i).to(I64)  # out-tie
            back = (i - a) % n
            counts[c0 : c0 + i.shape[0]] += (uniform(key, WATTS_STROGATZ.rewire, a, back) >= p).to(I64)  # un-rewired in-tie
    counts += torch.bincount(dst.to(I64), minlength=n)
    start, deg, cap, nbr, kind, tail = TorchNetwork._layout(counts, 0.25, 4, dev)
    del counts
    bounds = torch.searchsorted(dst, torch.arange(0, n + chunk, chunk, device=dev, dtype=I32).clamp_max(n).to(I32))
    for ci, c0 in enumerate(range(0, n, chunk)):
        i = torch.arange(c0, min(n, c0 + chunk), device=dev)
        owner, other = [], []
        for a in range(1, half + 1):
            rew, far = far_ends(i, a)
            out = far != i
            owner.append(i[out])
            other.append(far[out])
            back = (i - a) % n
            unrew = uniform(key, WATTS_STROGATZ.rewire, a, back) >= p
            owner.append(i[unrew])
            other.append(back[unrew])
        lo, hi = int(bounds[ci]), int(bounds[ci + 1])
        owner.append(dst[lo:hi].to(I64))
        other.append(src[lo:hi].to(I64))
        owner, other = torch.cat(owner), torch.cat(other)
        key2, _ = torch.sort(owner * n + other)
        uniq = torch.ones(key2.shape[0], dtype=BOOL, device=dev)
        uniq[1:] = key2[1:] != key2[:-1]
        key2 = key2[uniq]
        owner, other = key2 // n, key2 % n
        d = torch.bincount(owner - c0, minlength=i.shape[0])
        deg[c0 : c0 + i.shape[0]] = d.to(I32)
        x = start[owner] + (torch.arange(owner.shape[0], device=dev) - _excl_cumsum(d)[owner - c0])
        nbr[x] = other.to(I32)
    return TorchNetwork(n, start, deg, cap, nbr, kind, tail)
