"""What every run measures, every month (MODEL.md section 9).

Definitions used by the columns:
- high-tau citizen: tau >= HIGH_TAU (0.6; about the top 9% of Beta(2, 4));
- active dissenter: published unapproved content in the last DISSENT_WINDOW (12) months;
- dissenter cluster: a connected component of the network restricted to active dissenters;
  the largest one measures the capacity for large-scale resistance;
- score quantiles and Gini are over published scores, read from a 0.1-point histogram (exact
  to 0.1 point, and cheap at any population);
- network-wide metrics (components, clusters, assortativity) are computed every
  ``run.network_metrics_every`` months and in the last month; other months hold NaN.
"""

from __future__ import annotations

import numba as nb
import numpy as np

HIGH_TAU = 0.6
DISSENT_WINDOW = 12
QUANTILES = (0.1, 0.25, 0.5, 0.75, 0.9)


def histogram_stats(scores: np.ndarray, lo: float = 350.0, hi: float = 950.0, res: float = 0.1) -> dict:
    """Mean, quantiles and Gini of ``scores`` (NaN ignored) from a fine histogram."""
    s = scores[~np.isnan(scores)]
    out = {"score_mean": np.nan, "score_sd": np.nan, "score_gini": np.nan}
    out.update({f"score_p{int(q * 100)}": np.nan for q in QUANTILES})
    if len(s) == 0:
        return out
    bins = int(round((hi - lo) / res)) + 1
    counts = _histogram(s, lo, res, bins)
    centres = lo + res * np.arange(bins)
    cum = np.cumsum(counts)
    n = cum[-1]
    for q in QUANTILES:
        out[f"score_p{int(q * 100)}"] = float(centres[np.searchsorted(cum, q * n)])
    out["score_mean"] = float(s.mean())
    out["score_sd"] = float(s.std())
    mass = counts * centres
    lorenz = np.cumsum(mass) / mass.sum()
    prev = np.concatenate(([0.0], lorenz[:-1]))
    out["score_gini"] = float(1.0 - np.sum(counts / n * (lorenz + prev)))
    return out


@nb.njit(cache=True)
def _histogram(s, lo, res, bins):
    """Counts of round((s - lo) / res), clipped to [0, bins); one pass, no temporaries."""
    counts = np.zeros(bins, np.int64)
    for i in range(s.shape[0]):
        q = int(np.rint((s[i] - lo) / res))
        counts[min(max(q, 0), bins - 1)] += 1
    return counts


@nb.njit(cache=True)
def _degree_sums(deg, high):
    """(sum of degrees, isolated citizens, citizens) among high-tau citizens [0] and the rest [1].
    Integer sums: exact, so the means equal NumPy's float means bit for bit."""
    out = np.zeros((2, 3), np.int64)
    for i in range(deg.shape[0]):
        g = 0 if high[i] else 1
        out[g, 0] += deg[i]
        out[g, 1] += deg[i] == 0
        out[g, 2] += 1
    return out


@nb.njit(cache=True)
def _group_sums(member, x):
    """For each row g of the (groups, n) 0/1 array ``member``: (count, sum of x over members),
    adding in citizen order (deterministic, unlike BLAS; ~6x faster than masking). ``x`` finite:
    a non-member adds x * 0 = 0, which changes nothing and needs no branch."""
    k, n = member.shape
    counts = np.zeros(k, np.int64)
    sums = np.zeros(k)
    for g in range(k):
        c, total = 0, 0.0
        for i in range(n):
            m = member[g, i]
            c += m
            total += x[i] * m
        counts[g], sums[g] = c, total
    return counts, sums


def holder_stats(holders: np.ndarray, tau: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(holders of each privilege, sum of their tau)."""
    return _group_sums(np.ascontiguousarray(holders).view(np.uint8), tau)  # bool -> 0/1 bytes: 4x faster


@nb.njit(cache=True)
def _code_sums(code, x, k):
    """np.bincount(code, minlength=k) and np.bincount(code, weights=x, minlength=k) in one pass
    (the same sequential sums, so bit for bit the same)."""
    counts = np.zeros(k, np.int64)
    sums = np.zeros(k)
    for i in range(code.shape[0]):
        counts[code[i]] += 1
        sums[code[i]] += x[i]
    return counts, sums


def code_stats(code: np.ndarray, x: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """(citizens with each code, sum of x over them), e.g. occupations and their tau."""
    return _code_sums(code, x, k)


def degree_stats(deg: np.ndarray, high: np.ndarray) -> dict:
    (h_sum, h_iso, h_n), (r_sum, r_iso, r_n) = _degree_sums(deg, high).tolist()
    return {
        "degree_mean": (h_sum + r_sum) / len(deg),
        "degree_high_tau": h_sum / h_n if h_n else np.nan,
        "degree_rest": r_sum / r_n if r_n else np.nan,
        "isolated_high_tau": h_iso / h_n if h_n else np.nan,
        "isolated_rest": r_iso / r_n if r_n else np.nan,
    }


def network_stats(net, tau: np.ndarray, dissenter: np.ndarray) -> dict:
    """Components, giant component, largest dissenter cluster, tau assortativity."""
    n = net.n
    labels = net.components()
    counts = np.bincount(labels)
    sizes = counts[counts > 0]
    giant = int(sizes.max()) if len(sizes) else 0
    in_giant = labels == np.argmax(counts) if len(sizes) else np.zeros(n, np.bool_)
    high = tau >= HIGH_TAU
    d_labels = net.components(dissenter)
    d_sizes = np.bincount(d_labels[d_labels >= 0]) if dissenter.any() else np.zeros(1, np.int64)
    cluster = int(d_sizes.max()) if len(d_sizes) else 0
    return {
        "components": int(len(sizes)),
        "giant_share": giant / n,
        "giant_high_tau": float(in_giant[high].mean()) if high.any() else np.nan,  # share in the giant component
        "giant_rest": float(in_giant[~high].mean()) if (~high).any() else np.nan,
        "dissenters": int(dissenter.sum()),
        "dissenter_cluster": cluster,
        "dissenter_cluster_share": cluster / n,
        "tau_assortativity": net.assortativity(tau),
    }


NETWORK_COLUMNS = ("components", "giant_share", "giant_high_tau", "giant_rest", "dissenters", "dissenter_cluster", "dissenter_cluster_share", "tau_assortativity")
