"""The REFERENCE.md model in plain NumPy + scipy.sparse, vectorised.

Why it exists: it is the floor a careful researcher reaches without a framework, and a
statistical cross-check of the Mesa version (mean score, mean dissent rate and friendships
left should agree at the same N and seed, not bit for bit: the two draw their random numbers
differently). It also owns the Watts-Strogatz builder both references share, so that Mesa and
NumPy run on the same graph.

Update rules (REFERENCE.md; where it is silent): every citizen reads the state at the start of
the step, all changes apply at its end. A citizen's own chain posted -> r -> own -> s runs in
order; the unfriending rule (5) reads start-of-step scores, like the fear in rule 1.

    python benchmarks/peers/numpy_reference.py --citizens 100000 --steps 50
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import scipy.sparse as sp

K, REWIRE = 10, 0.1
FEAR_LINE, FEAR_SPAN = 650.0, 300.0
DROP_FROM, DROP_BELOW, DROP_PROB = 650.0, 550.0, 0.05
LO, HI = 350.0, 950.0


def watts_strogatz(n: int, k: int = K, p: float = REWIRE, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Undirected edges (u < v) of a Watts-Strogatz small world, built without Python loops.

    Ring lattice with k/2 neighbours each side; each lattice edge's far end is rewired with
    probability p to a uniform citizen. Unlike networkx (which redraws), a rewiring that lands
    on a self-loop or an existing edge is dropped: about p*k/n of the edges, negligible here.
    """
    rng = np.random.default_rng([seed, 1])
    half = k // 2
    u = np.repeat(np.arange(n, dtype=np.int64), half)
    v = (u + np.tile(np.arange(1, half + 1, dtype=np.int64), n)) % n
    rewire = rng.random(u.size) < p
    v[rewire] = rng.integers(0, n, int(rewire.sum()))
    a, b = np.minimum(u, v), np.maximum(u, v)
    keep = a != b
    key = np.unique(a[keep] * n + b[keep])
    return (key // n).astype(np.int32), (key % n).astype(np.int32)


def traits(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Fixed financial standing f ~ Beta(2, 2) and desire to dissent d ~ Beta(2, 5)."""
    rng = np.random.default_rng([seed, 2])
    return rng.beta(2, 2, n), rng.beta(2, 5, n)


class NumpyReference:
    """State as arrays; friendships as one static symmetric CSR pattern whose data is 1 (alive)
    or 0 (ended), so an unfriending never reallocates the matrix."""

    def __init__(self, n: int, u: np.ndarray, v: np.ndarray, seed: int = 0):
        self.n = n
        self.rng = np.random.default_rng([seed, 3])
        self.f, self.d = traits(n, seed)
        self.s = np.full(n, 600.0)
        self.r = np.zeros(n)
        rows = np.r_[u, v].astype(np.int64)
        cols = np.r_[v, u].astype(np.int64)
        self.A = sp.csr_matrix((np.ones(rows.size), (rows, cols)), shape=(n, n))
        self.A.sum_duplicates()
        self.A.sort_indices()
        self.deg = np.diff(self.A.indptr).astype(np.int64)
        # entry keys row*n+col are sorted in a sorted CSR: an edge is found by binary search
        self.keys = np.repeat(np.arange(n, dtype=np.int64), self.deg) * n + self.A.indices
        self.steps = 0

    def step(self) -> None:
        n, s, A, deg = self.n, self.s, self.A, self.deg
        fear = np.clip((FEAR_LINE - s) / FEAR_SPAN, 0.0, 1.0)
        posted = self.rng.random(n) < self.d * (1.0 - fear)
        self.r = 0.9 * self.r + 0.1 * posted
        own = 350.0 + 600.0 * (0.6 * self.f + 0.4 * (1.0 - self.r))
        friends_mean = np.divide(A @ s, deg, out=own.copy(), where=deg > 0)
        s_new = np.clip(0.7 * own + 0.3 * friends_mean, LO, HI)
        # 5. unfriending, decided on start-of-step scores and friendships
        cand = np.flatnonzero((s >= DROP_FROM) & (deg > 0) & (self.rng.random(n) < DROP_PROB))
        if cand.size:
            self._drop_lowest(cand, s)
        self.s = s_new
        self.steps += 1

    def _drop_lowest(self, cand: np.ndarray, s: np.ndarray) -> None:
        """Each candidate ends its friendship with its lowest-scored live friend, if below 550."""
        A, n = self.A, self.n
        starts, lens = A.indptr[cand], A.indptr[cand + 1] - A.indptr[cand]
        owner = np.repeat(np.arange(cand.size), lens)
        pos = np.arange(owner.size) - np.repeat(np.cumsum(lens) - lens, lens) + np.repeat(starts, lens)
        val = np.where(A.data[pos] > 0, s[A.indices[pos]], np.inf)
        order = np.lexsort((val, owner))  # by owner, then score: the first of each owner is its lowest
        first = order[np.r_[0, np.cumsum(lens)[:-1]]]
        hit = val[first] < DROP_BELOW
        i, j = cand[hit].astype(np.int64), A.indices[pos[first[hit]]].astype(np.int64)
        if i.size == 0:
            return
        both = np.unique(np.searchsorted(self.keys, np.r_[i * n + j, j * n + i]))
        both = both[A.data[both] > 0]
        A.data[both] = 0.0
        self.deg -= np.bincount(self.keys[both] // n, minlength=n)

    def summary(self) -> dict:
        return {"mean_score": float(self.s.mean()), "mean_dissent": float(self.r.mean()),
                "friendships": int(self.deg.sum() // 2)}


def build(n: int, seed: int = 0, edges: tuple[np.ndarray, np.ndarray] | None = None) -> NumpyReference:
    u, v = edges if edges is not None else watts_strogatz(n, seed=seed)
    return NumpyReference(n, u, v, seed)


def timed_main(build, label: str, default_steps: int, doc: str) -> None:
    """Command line shared by the reference implementations: build, time the steps, summarise."""
    ap = argparse.ArgumentParser(description=doc.splitlines()[0])
    ap.add_argument("--citizens", type=int, default=100_000)
    ap.add_argument("--steps", type=int, default=default_steps)
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args()
    t0 = time.perf_counter()
    model = build(a.citizens, a.seed)
    print(f"{label}: built in {time.perf_counter() - t0:.2f} s, {model.summary()['friendships']} friendships")
    times = []
    for _ in range(a.steps):
        t0 = time.perf_counter()
        model.step()
        times.append(time.perf_counter() - t0)
    med = float(np.median(times))
    print(f"median {1e3 * med:.1f} ms/step; {a.citizens / med / 1e3:,.0f} k agent-steps/s")
    print(model.summary())


def main() -> None:
    timed_main(build, "NumPy + scipy.sparse", 50, __doc__)


if __name__ == "__main__":
    main()
