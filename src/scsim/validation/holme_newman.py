"""Holme and Newman (2006), "Nonequilibrium phase transition in the coevolution of networks and
opinions", Phys. Rev. E 74, 056108.

N citizens, M = N k / 2 random ties, G = N / gamma opinions drawn uniformly. Each step a citizen
with a tie either moves one of its ties to a random holder of its own opinion (probability
phi) or adopts a random neighbour's opinion, until every component agrees. Below phi_c ~ 0.46
(k = 4, gamma = 10) opinion spreading wins and one community spans most of the network; above
it, rewiring wins and the network splits into many small like-minded communities of size
~gamma. The kernel is ``scsim.rules.coevolve_voter`` on a ``Network``; regrowth goes through
``Network.remove_edges`` / ``add_edges``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from .. import rules
from ..network import Network, dedupe
from ..rng import Streams
from .common import Check, Result, parallel_map

PAPER_PHI_C = 0.458  # Holme & Newman's estimate for k = 4, gamma = 10
UNIFORM_CHUNK = 1 << 20


def random_graph(n: int, m: int, rng: np.random.Generator, min_slack: int = 4) -> Network:
    """A simple graph with exactly m ties between uniformly random pairs (Erdos-Renyi G(n, m))."""
    u = np.zeros(0, np.int64)
    v = np.zeros(0, np.int64)
    while len(u) < m:
        extra = int(1.2 * (m - len(u))) + 16
        uu, vv, _ = dedupe(n, np.r_[u, rng.integers(0, n, extra)], np.r_[v, rng.integers(0, n, extra)])
        keep = rng.permutation(len(uu))[: m] if len(uu) > m else np.arange(len(uu))
        u, v = uu[np.sort(keep)].astype(np.int64), vv[np.sort(keep)].astype(np.int64)
    return Network(n, u, v, min_slack=min_slack)


@dataclass
class Outcome:
    largest: float  # largest community / N
    communities: np.ndarray  # sizes of all communities (components at consensus), isolates included
    steps: int
    converged: bool
    net: Network
    opinion: np.ndarray


def simulate(n: int, phi: float, seed: int, k: float = 4.0, gamma: float = 10.0, max_steps: int | None = None,
             min_slack: int = 4) -> Outcome:
    """One run to consensus; everything random comes from ``Streams(seed)["validation"]``.
    ``min_slack`` is the Network's spare slots per citizen (0 exercises regrowth at once)."""
    rng = Streams(seed)["validation"]
    g = max(1, int(round(n / gamma)))
    net = random_graph(n, int(round(n * k / 2)), rng, min_slack)
    opinion = rng.integers(0, g, n).astype(np.int32)
    members, size, pos = rules.opinion_members(opinion, g)
    discordant = rules.discordant_ties(net.start, net.deg, net.nbr, opinion)
    max_steps = int(max_steps if max_steps is not None else 2000 * n * n)
    u = rng.random(UNIFORM_CHUNK)
    iu, steps = 0, 0
    while True:
        status, done, iu, discordant, i, kk, j = rules.coevolve_voter(
            net.start, net.deg, net.cap, net.nbr, net.kind, opinion, members, size, pos,
            phi, u, iu, max_steps - steps, discordant)
        steps += done
        if status == rules.NEED_UNIFORMS:
            u = np.r_[u[iu:], rng.random(UNIFORM_CHUNK)]
            iu = 0
        elif status == rules.NEED_SLOT:
            net.remove_edges([i], [kk])
            net.add_edges([j], [i])  # regrows the slot arrays when an end is full
        else:
            break
    labels = net.components()
    sizes = np.bincount(labels)
    sizes = sizes[sizes > 0]
    return Outcome(float(sizes.max()) / n, sizes, steps, status == rules.CONSENSUS, net, opinion)


def largest_fraction(n: int, phi: float, seed: int) -> tuple[float, np.ndarray, bool]:
    o = simulate(n, phi, seed)
    return o.largest, o.communities, o.converged


def critical_phi(phis: np.ndarray, mean_largest: np.ndarray) -> float:
    """First phi at which the seed-averaged largest community falls below half the network."""
    below = np.flatnonzero(mean_largest < 0.5)
    if len(below) == 0 or below[0] == 0:
        return float("nan")
    k = below[0]
    x0, x1, y0, y1 = phis[k - 1], phis[k], mean_largest[k - 1], mean_largest[k]
    return float(x0 + (y0 - 0.5) * (x1 - x0) / (y0 - y1))


def power_law_exponent(sizes: np.ndarray, s_min: int = 20) -> float:
    """Maximum-likelihood exponent of P(s) ~ s^-alpha for s >= s_min (continuous approximation)."""
    s = sizes[sizes >= s_min].astype(np.float64)
    return float(1.0 + len(s) / np.sum(np.log(s / (s_min - 0.5)))) if len(s) else float("nan")


def run(full: bool = False) -> Result:
    t0 = time.perf_counter()
    if full:
        n, seeds = 3200, 8
        phis = np.array([0.05, 0.1, 0.2, 0.3, 0.35, 0.38, 0.4, 0.42, 0.44, 0.46, 0.48, 0.5, 0.52, 0.55,
                         0.6, 0.7, 0.8, 0.9])
    else:
        n, seeds = 600, 3
        phis = np.array([0.05, 0.1, 0.2, 0.3, 0.4, 0.45, 0.5, 0.6, 0.7, 0.8, 0.9])
    args = [(n, float(p), s) for p in phis for s in range(seeds)]
    out = parallel_map(largest_fraction, args) if full else [largest_fraction(*a) for a in args]
    largest = np.array([o[0] for o in out]).reshape(len(phis), seeds)
    converged = all(o[2] for o in out)
    sizes = {float(p): np.concatenate([out[i * seeds + s][1] for s in range(seeds)]) for i, p in enumerate(phis)}
    # the same without each run's largest community (the finite system's giant, off the power law)
    rest = {float(p): np.concatenate([np.sort(out[i * seeds + s][1])[:-1] for s in range(seeds)])
            for i, p in enumerate(phis)}
    mean = largest.mean(axis=1)
    phi_c = critical_phi(phis, mean)
    tol = 0.05 if full else 0.1
    low = mean[(phis >= 0.1) & (phis <= 0.2)].min()
    high = mean[(phis >= 0.8) & (phis <= 0.9)].max()
    gamma_sizes = sizes[0.9][sizes[0.9] > 1]
    checks = [
        Check("every run reaches consensus in every component", "yes", "yes" if converged else "NO", "exact", converged),
        Check(f"largest community / N at phi 0.1-0.2 (N={n}, {seeds} seeds)", "giant (~ giant component)",
              f"{low:.3f} (min)", ">= 0.8", low >= 0.8),
        Check("largest community / N at phi 0.8-0.9", "small (~gamma/N)", f"{high:.3f} (max)", "<= 0.15", high <= 0.15),
        Check("phi_c (mean largest community crosses N/2)", f"{PAPER_PHI_C}", f"{phi_c:.3f}", f"+-{tol}",
              abs(phi_c - PAPER_PHI_C) <= tol),
        Check("mean size of communities (size > 1) at phi 0.9", "~gamma = 10", f"{gamma_sizes.mean():.1f}",
              "reported", None),
    ]
    data = {"phis": phis, "largest": largest, "n": n, "seeds": seeds, "phi_c": phi_c}
    if full:
        at = min(sizes, key=lambda p: abs(p - PAPER_PHI_C))
        alpha = power_law_exponent(rest[at])
        checks.append(Check(f"community-size exponent at phi {at} (MLE, s >= 20, largest of each run left out)",
                            "3.5 +- 0.3", f"{alpha:.2f}", "reported (few runs, short range)", None))
        data["sizes"] = {p: sizes[p] for p in (0.1, at, 0.9) if p in sizes}
        data["sd_peak"] = float(phis[np.argmax(largest.std(axis=1))])
        checks.append(Check("phi of the largest seed-to-seed spread", f"{PAPER_PHI_C}", f"{data['sd_peak']:.2f}",
                            "reported", None))
    return Result("holme-newman", "Holme & Newman (2006) Phys. Rev. E 74:056108", checks, data, time.perf_counter() - t0)


def plot(result: Result, path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    d = result.data
    panels = 2 if "sizes" in d else 1
    fig, axes = plt.subplots(1, panels, figsize=(6 * panels, 4), layout="constrained", squeeze=False)
    ax = axes[0, 0]
    for s in range(d["seeds"]):
        ax.plot(d["phis"], d["largest"][:, s], ".", color="C0", alpha=0.35)
    ax.plot(d["phis"], d["largest"].mean(axis=1), "-o", color="C0", ms=4, label=f"scsim, N={d['n']}, mean of {d['seeds']} seeds")
    ax.axvline(PAPER_PHI_C, color="grey", lw=0.8, label=f"paper phi_c = {PAPER_PHI_C}")
    ax.axvline(d["phi_c"], color="C0", lw=0.8, ls=":", label=f"scsim phi_c = {d['phi_c']:.3f}")
    ax.set(xlabel="rewiring probability phi", ylabel="largest community / N", title="Holme & Newman 2006 (k=4, gamma=10)")
    ax.legend(fontsize=8)
    if panels == 2:
        ax = axes[0, 1]
        for p, sz in d["sizes"].items():
            counts = np.bincount(sz)
            s = np.flatnonzero(counts)
            ax.loglog(s, counts[s] / counts.sum(), ".", label=f"phi = {p}")
        ref = np.array([10.0, 300.0])
        ax.loglog(ref, 0.3 * (ref / 10) ** -3.5, "k--", lw=0.8, label="s^-3.5 (paper, at phi_c)")
        ax.set(xlabel="community size s", ylabel="P(s)", title="community sizes (pooled over seeds)")
        ax.legend(fontsize=8)
    fig.savefig(path, dpi=120)
    plt.close(fig)
