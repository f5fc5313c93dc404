"""Generations (MODEL.md section 7): privileges buy children, children inherit tau.

Every ``generations.every`` months (phase 0, at the start of the month, on the state the last
month left), the whole population turns over at once: a compressed, non-overlapping
generation. The rules:

- **Fertility.** Citizen i's expected number of children is proportional to
  w_i = exp(strength * P_i), with P_i the value of the privileges it holds (utility/month, the
  same values the behaviour rules use) minus the sanction cost if it is sanctioned, and
  w_i = 0 for an arrested citizen. strength = 0 makes everybody equally fertile (no selection).
- **Parents.** Each of the n' places in the next generation draws a parent with probability
  w_i / sum(w) (a Wright-Fisher draw). n' = round(n (1 + growth)), at least 2: with
  ``growth = 0`` (the default) the population size stays exactly n.
- **Place.** A parent's first child takes the parent's own place (its ties, household,
  occupation, income and assets: a generation changes who thinks what, not the economy);
  further children take the places of citizens who left no child, in a random order. When the
  population shrinks, the places still empty then are vacated (removed with their ties); when it
  grows, the children left over get new places, each a copy of its parent's place (household,
  occupation, income, assets, score and opt-in) with a family tie to the parent and each of the
  parent's ties copied with probability 1/2 (a child meets half its parent's circle).
  Citizens are renumbered: kept places first, in their old order, then new places.
- **Inheritance of tau**, on the liability (probit) scale of the population's tau distribution
  Beta(alpha, beta): z = Phi^-1(F(tau)); a child's z = m + h2 (z_parent - m) + sqrt(1 - h2^2) e
  with m the mean z of the old generation and e standard normal; tau = F^-1(Phi(z)). So the
  parent-child regression slope is h2 on that scale, the distribution stays Beta(alpha, beta)
  when nothing selects, and under selection the mean moves by h2 times the selection
  differential each generation (the breeder's equation).
- **A fresh start.** Children have posted nothing, carry no political penalty, are not on
  file with the police and are not arrested; their privacy cost follows their own tau. Opt-in,
  scores and sanctions carry over with the place until the month's phases update them.

All draws are counter-based on the ``generations`` stream (slots 0-3), so a resumed run and a
run on any number of threads make the same children.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import betainc, betaincinv, ndtr, ndtri

from .rng import GENERATIONS, uniform_array


@dataclass
class Births:
    """Who is whose child: ``parent[p]`` is the old citizen whose child now holds place p, and
    ``source[p]`` the old place whose economy and ties place p takes over (p itself, renumbered,
    for a kept place; the parent's place for a new one). Without growth, source is 0..n-1."""

    parent: np.ndarray
    children: np.ndarray  # number of children of each old citizen
    source: np.ndarray
    parents_tau: float = float("nan")  # mean tau of the parents, weighted by their children

    @property
    def new_places(self) -> int:
        """Places added this generation (the last ones), or 0."""
        return max(0, len(self.parent) - len(self.children))

    @property
    def resized(self) -> bool:
        return len(self.parent) != len(self.children)


def next_size(n: int, growth: float) -> int:
    """Citizens in the next generation."""
    return max(2, int(round(n * (1.0 + growth))))


def fertility(privilege_value: np.ndarray, sanctioned: np.ndarray, sanction_cost: float, arrested: np.ndarray,
              strength: float) -> np.ndarray:
    """Relative fertility w_i = exp(strength * (privileges held - sanction cost)), 0 if arrested."""
    w = np.exp(strength * (privilege_value - sanction_cost * sanctioned))
    w[arrested] = 0.0
    return w


def draw_parents(w: np.ndarray, key, month: int, size: int | None = None) -> Births:
    """Wright-Fisher draw of one parent for each of ``size`` places (default: as many as now),
    then placement (module docstring)."""
    n = len(w)
    size = n if size is None else int(size)
    total = w.sum()
    if not total > 0:  # nobody can have children (everybody arrested): everybody counts equally
        w, total = np.ones(n), float(n)
    cum = np.cumsum(w / total)
    drawn = np.minimum(np.searchsorted(cum, uniform_array(key, month, GENERATIONS.parent, size), side="right"), n - 1)
    children = np.bincount(drawn, minlength=n)
    occupant = np.where(children > 0, np.arange(n), -1)  # whose child holds each old place
    extra = np.repeat(np.arange(n), np.maximum(children - 1, 0))  # second and later children
    empty = np.flatnonzero(children == 0)  # places whose citizen left no child
    empty = empty[np.argsort(uniform_array(key, month, GENERATIONS.empty_order, n)[empty], kind="stable")]
    k = min(len(extra), len(empty))  # equal without growth: the draws add up to n
    occupant[empty[:k]] = extra[:k]
    kept = np.flatnonzero(occupant >= 0)  # shrinking: empty[k:] are vacated
    born = extra[k:]  # growing: children without an old place
    return Births(np.concatenate([occupant[kept], born]), children, np.concatenate([kept, born]))


def child_ties(u: np.ndarray, v: np.ndarray, kind: np.ndarray, source: np.ndarray, n_kept: int,
               new_id: np.ndarray, key, month: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The ties of the next generation, renumbered. ``u, v, kind``: the old ties; ``new_id``: an
    old place's new number or -1 if vacated; places from ``n_kept`` on are new, each the child of
    the old citizen ``source[p]``: a family tie to that parent (where the parent's place is kept),
    and each of the parent's ties copied with probability 1/2 (slot 3: one draw per child and
    parent's tie, in order of child, then of the parent's ties by old tie index)."""
    nu, nv = new_id[u], new_id[v]
    keep = (nu >= 0) & (nv >= 0)
    parts_u, parts_v, parts_k = [nu[keep]], [nv[keep]], [kind[keep]]
    children = np.arange(n_kept, len(source))
    if len(children):
        mom = source[children]
        at_home = new_id[mom] >= 0
        parts_u.append(children[at_home])
        parts_v.append(new_id[mom[at_home]])
        parts_k.append(np.ones(int(at_home.sum()), np.uint8))  # family
        # each child's copies of its parent's ties: the parent's ties from both ends
        ends = np.concatenate([u, v])
        other = np.concatenate([new_id[v], new_id[u]])
        tie_kind = np.concatenate([kind, kind])
        order = np.argsort(ends, kind="stable")
        first = np.searchsorted(ends[order], mom, side="left")
        last = np.searchsorted(ends[order], mom, side="right")
        span = last - first
        rows = np.repeat(np.arange(len(children)), span)
        pos = order[np.arange(span.sum()) - np.repeat(np.cumsum(span) - span, span) + np.repeat(first, span)]
        # one coin per (child, parent's tie) pair: siblings meet different halves of the circle
        ok = (uniform_array(key, month, GENERATIONS.child_tie, len(pos)) < 0.5) & (other[pos] >= 0)
        parts_u.append(children[rows[ok]])
        parts_v.append(other[pos[ok]])
        parts_k.append(tie_kind[pos[ok]])
    uu, vv, kk = np.concatenate(parts_u), np.concatenate(parts_v), np.concatenate(parts_k)
    lo, hi = np.minimum(uu, vv), np.maximum(uu, vv)
    key_ = lo.astype(np.int64) * len(source) + hi
    _, first_seen = np.unique(key_, return_index=True)  # a pair once (first kind wins)
    first_seen.sort()
    return lo[first_seen].astype(np.int32), hi[first_seen].astype(np.int32), kk[first_seen].astype(np.uint8)


def inherit_tau(tau: np.ndarray, parent: np.ndarray, h2: float, alpha: float, beta: float, key, month: int) -> np.ndarray:
    """Children's tau by the liability-scale rule of the module docstring."""
    eps = 1e-12
    z = ndtri(np.clip(betainc(alpha, beta, tau), eps, 1 - eps))
    m = z.mean()
    u = np.clip(uniform_array(key, month, GENERATIONS.tau, len(parent)), eps, 1 - eps)
    z_child = m + h2 * (z[parent] - m) + np.sqrt(1.0 - h2 * h2) * ndtri(u)
    return betaincinv(alpha, beta, ndtr(z_child))
