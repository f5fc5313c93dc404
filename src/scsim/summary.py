"""Run summaries: the key metrics of a run, and one number per metric for a run.

``compare`` (scsim.experiments), ``sweep`` and the studies summarise runs the same way. This
module needs only NumPy and pandas, so that a sweep's workers and its driver need not import
SciPy's stats (which ``experiments`` uses for its intervals).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

KEY_METRICS = (
    "score_mean", "posts_per_capita", "self_censorship_rate", "register_listed", "sanctioned_share",
    "degree_high_tau", "degree_rest", "isolated_high_tau", "dissenter_cluster_share", "giant_share",
    "tau_assortativity", "approved_spending_share", "arrested_share", "tau_mean",
)


def run_summary(metrics: pd.DataFrame, window: int) -> dict[str, float]:
    """One number per key metric for one run: its mean over the final ``window`` months."""
    tail = metrics.iloc[-window:]
    return {m: float(np.nanmean(tail[m].to_numpy(float))) if tail[m].notna().any() else math.nan
            for m in KEY_METRICS if m in tail}
