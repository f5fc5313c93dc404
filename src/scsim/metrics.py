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
    nb = int(round((hi - lo) / res)) + 1
    idx = np.clip(np.rint((s - lo) / res).astype(np.int64), 0, nb - 1)
    counts = np.bincount(idx, minlength=nb)
    centres = lo + res * np.arange(nb)
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


def degree_stats(deg: np.ndarray, high: np.ndarray) -> dict:
    rest = ~high
    return {
        "degree_mean": float(deg.mean()),
        "degree_high_tau": float(deg[high].mean()) if high.any() else np.nan,
        "degree_rest": float(deg[rest].mean()) if rest.any() else np.nan,
        "isolated_high_tau": float((deg[high] == 0).mean()) if high.any() else np.nan,
        "isolated_rest": float((deg[rest] == 0).mean()) if rest.any() else np.nan,
    }


def network_stats(net, tau: np.ndarray, dissenter: np.ndarray) -> dict:
    """Components, giant component, largest dissenter cluster, tau assortativity."""
    n = net.n
    labels = net.components()
    sizes = np.bincount(labels)
    sizes = sizes[sizes > 0]
    giant = int(sizes.max()) if len(sizes) else 0
    d_labels = net.components(dissenter)
    d_sizes = np.bincount(d_labels[d_labels >= 0]) if dissenter.any() else np.zeros(1, np.int64)
    cluster = int(d_sizes.max()) if len(d_sizes) else 0
    return {
        "components": int(len(sizes)),
        "giant_share": giant / n,
        "dissenters": int(dissenter.sum()),
        "dissenter_cluster": cluster,
        "dissenter_cluster_share": cluster / n,
        "tau_assortativity": net.assortativity(tau),
    }


NETWORK_COLUMNS = ("components", "giant_share", "dissenters", "dissenter_cluster", "dissenter_cluster_share", "tau_assortativity")
