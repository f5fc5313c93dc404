"""Granovetter (1978), "Threshold models of collective behavior", Am. J. Sociol. 83(6) 1420-1443.

A crowd where each person joins a riot once enough others have: thresholds 0, 1, ..., 99 in a
crowd of 100 bring everybody in, one by one; raising the threshold of the person at 1 to 2
stops the riot at its instigator. With thresholds ~ Normal(25, sd) (in percent of the crowd,
clipped at 0) the final participation jumps from a few percent to nearly everyone as sd
crosses ~12.2: the outcome depends on the distribution, not on the average disposition.

The crowd is fully mixed: the 100-person examples run ``rules.threshold_sync`` and
``rules.threshold_sequential`` on a complete ``Network``; the sd sweep runs
``rules.threshold_mixed`` (the same rule on a global count, without the N^2 ties).
"""

from __future__ import annotations

import time

import numpy as np
from scipy.special import ndtr, ndtri

from .. import rules
from ..network import Network
from ..rng import Streams
from .common import Check, Result

MEAN = 25.0
PAPER_CRITICAL_SD = 12.2  # Granovetter's critical standard deviation for mean 25


def complete_graph(n: int) -> Network:
    u, v = np.triu_indices(n, 1)
    return Network(n, u.astype(np.int32), v.astype(np.int32))


def crowd_outcome(thresholds: np.ndarray, net: Network | None = None, order: np.ndarray | None = None) -> int:
    """Final number of participants from nobody active, thresholds in persons."""
    active = np.zeros(len(thresholds), np.bool_)
    th = np.asarray(thresholds, np.float64)
    if net is None:
        rules.threshold_mixed(th, active)
    elif order is None:
        rules.threshold_sync(net.start, net.deg, net.nbr, th, active, False)
    else:
        rules.threshold_sequential(net.start, net.deg, net.nbr, th, active, False, order)
    return int(active.sum())


def participation(n: int, sd: float, seed: int) -> float:
    """Final share joining, thresholds ~ Normal(25, sd)% of the crowd clipped at 0."""
    rng = Streams(seed)["validation"]
    th = np.maximum(rng.normal(MEAN, sd, n), 0.0) * n / 100.0
    active = np.zeros(n, np.bool_)
    rules.threshold_mixed(th, active)
    return float(active.mean())


def quantile_crowd(n: int, sd: float) -> np.ndarray:
    """The crowd of n whose thresholds sit at the normal's quantiles (no sampling noise), in persons."""
    return np.maximum(MEAN + sd * ndtri((np.arange(n) + 0.5) / n), 0.0) * n / 100.0


def quantile_jump(n: int, lo: float = 8.0, hi: float = 18.0) -> float:
    """sd at which the quantile crowd goes from a few to most (bisection)."""
    for _ in range(40):
        mid = 0.5 * (lo + hi)
        lo, hi = (lo, mid) if crowd_outcome(quantile_crowd(n, mid)) > n / 2 else (mid, hi)
    return 0.5 * (lo + hi)


_R = np.linspace(0.0, 1.0, 200_001)


def continuum_participation(sd: float) -> float:
    """Equilibrium share of an infinite crowd: the smallest fixed point r = Phi((100 r - 25) / sd),
    where iterating from nobody stops (the map is increasing)."""
    gap = ndtr((100.0 * _R - MEAN) / sd) - _R
    k = int(np.argmax(gap <= 0.0))  # gap(1) <= 0 always
    if k == 0:
        return 0.0
    return float(_R[k - 1] + gap[k - 1] * (_R[k] - _R[k - 1]) / (gap[k - 1] - gap[k]))


def continuum_critical_sd(lo: float = 5.0, hi: float = 30.0) -> float:
    """sd at which the infinite crowd's equilibrium jumps (bisection on 'most join')."""
    for _ in range(40):
        mid = 0.5 * (lo + hi)
        lo, hi = (lo, mid) if continuum_participation(mid) > 0.5 else (mid, hi)
    return 0.5 * (lo + hi)


def jump_location(sds: np.ndarray, mean_share: np.ndarray) -> float:
    """First sd at which the seed-averaged participation crosses one half (interpolated)."""
    above = np.flatnonzero(mean_share >= 0.5)
    if len(above) == 0 or above[0] == 0:
        return float("nan")
    k = above[0]
    x0, x1, y0, y1 = sds[k - 1], sds[k], mean_share[k - 1], mean_share[k]
    return float(x0 + (0.5 - y0) * (x1 - x0) / (y1 - y0))


def run(full: bool = False) -> Result:
    t0 = time.perf_counter()
    checks: list[Check] = []

    # the two 100-person crowds, on a complete graph, synchronous and sequential
    net = complete_graph(100)
    order = Streams(0)["validation"].permutation(100).astype(np.int64)
    uniform = np.arange(100)
    broken = uniform.copy()
    broken[1] = 2
    for label, th, want in (("thresholds 0..99", uniform, 100), ("threshold 1 raised to 2", broken, 1)):
        got = {crowd_outcome(th, net), crowd_outcome(th, net, order), crowd_outcome(th)}
        checks.append(Check(f"{label}: participants", str(want), "/".join(map(str, sorted(got))),
                            "exact (sync / sequential / mixed agree)", got == {want}))

    # the sd sweep
    n, seeds = (10_000, 40) if full else (1000, 12)
    sds = np.round(np.arange(8.0, 18.01, 0.25), 2)
    shares = np.array([[participation(n, sd, s) for s in range(seeds)] for sd in sds])
    mean = shares.mean(axis=1)
    jump = jump_location(sds, mean)
    critical = continuum_critical_sd()
    tol = 0.5 if full else 1.0
    checks.append(Check("critical sd (infinite crowd, r = Phi((r-25)/sd))", f"{PAPER_CRITICAL_SD}",
                        f"{critical:.2f}", "+-0.1", abs(critical - PAPER_CRITICAL_SD) <= 0.1))
    checks.append(Check(f"jump sd (N={n}, {seeds} seeds, mean share crosses 1/2)", f"~{PAPER_CRITICAL_SD}",
                        f"{jump:.2f}", f"+-{tol}", abs(jump - PAPER_CRITICAL_SD) <= tol))
    q100 = quantile_jump(100)
    checks.append(Check("jump sd, crowd of 100 at the normal's quantiles", f"~{PAPER_CRITICAL_SD}", f"{q100:.2f}",
                        "+-0.5", abs(q100 - PAPER_CRITICAL_SD) <= 0.5))
    below = float(mean[sds == 11.0][0])
    above = float(mean[sds == 14.0][0])
    checks.append(Check("share joining at sd 11 / 14", "few % / ~100%", f"{100 * below:.1f}% / {100 * above:.1f}%",
                        "<10% / >90%", below < 0.10 and above > 0.90))
    data = {"sds": sds, "mean": mean, "p10": np.percentile(shares, 10, axis=1), "p90": np.percentile(shares, 90, axis=1),
            "quantile_100": np.array([crowd_outcome(quantile_crowd(100, sd)) / 100 for sd in sds]),
            "n": n, "seeds": seeds, "jump": jump,
            "continuum": np.array([continuum_participation(sd) for sd in sds]), "critical": critical}

    if full:  # the paper's own crowd size, for the record
        small = np.array([[participation(100, sd, s) for s in range(200)] for sd in sds]).mean(axis=1)
        data["mean_100"] = small
        j100 = jump_location(sds, small)
        checks.append(Check("jump sd, random crowds of 100 (200 seeds; sampling noise delays it)",
                            f"~{PAPER_CRITICAL_SD}", f"{j100:.2f}", "reported", None))
    return Result("granovetter", "Granovetter (1978) Am. J. Sociol. 83:1420", checks, data, time.perf_counter() - t0)


def plot(result: Result, path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    d = result.data
    fig, ax = plt.subplots(figsize=(6, 4), layout="constrained")
    ax.plot(d["sds"], d["continuum"], "k--", lw=1, label="infinite crowd (analytic)")
    ax.fill_between(d["sds"], d["p10"], d["p90"], color="C0", alpha=0.2, lw=0)
    ax.plot(d["sds"], d["mean"], "-o", color="C0", ms=3, label=f"scsim, N={d['n']}, {d['seeds']} seeds (mean, 10-90%)")
    ax.plot(d["sds"], d["quantile_100"], color="C2", lw=1, label="scsim, crowd of 100 at the quantiles")
    if "mean_100" in d:
        ax.plot(d["sds"], d["mean_100"], marker="s", ms=3, color="C1", label="scsim, random crowds of 100, 200 seeds")
    ax.axvline(PAPER_CRITICAL_SD, color="grey", lw=0.8)
    ax.axvline(d["jump"], color="C0", lw=0.8, ls=":")
    ax.set(xlabel="sd of thresholds (mean 25% of the crowd)", ylabel="final share participating",
           title=f"Granovetter 1978: jump at sd {d['jump']:.2f} (paper ~{PAPER_CRITICAL_SD})")
    ax.legend(fontsize=8)
    fig.savefig(path, dpi=120)
    plt.close(fig)
