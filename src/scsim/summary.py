"""Run summaries: the key metrics of a run, and one number per metric for a run.

``compare`` (scsim.experiments), ``sweep`` and the studies summarise runs the same way, and
give a mean over seeds the same interval (``interval``: Student t, clipped to the metric's range,
``metric_range``, read from its unit in ``scsim.metric_columns``). Importing this module needs
only NumPy and pandas, so that a sweep's workers need not import SciPy's stats (``interval``
imports it when first called).
"""

from __future__ import annotations

import math
from typing import NamedTuple

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


# ---------------------------------------------------------------- intervals over seeds

# Metrics the studies derive from the declared columns (scsim.studies): their unit and range.
DERIVED = {
    "degree_gap": ("ties per citizen", (-math.inf, math.inf)),  # high-tau degree minus the rest's
    "tau_change": ("tau", (-1.0, 1.0)),  # mean tau minus its first month's
}

_BOUNDED = {"tau": (0.0, 1.0), "Gini": (0.0, 1.0), "correlation": (-1.0, 1.0), "per month": (0.0, 1.0)}
_NON_NEGATIVE = ("citizens", "ties", "count", "posts per", "ties per", "per citizen", "generations")


def unit(metric: str) -> str:
    """The metric's unit, as ``scsim.metric_columns`` declares it ('' if it is not a column)."""
    from .metric_columns import column

    if metric in DERIVED:
        return DERIVED[metric][0]
    col = column(metric)
    return col.unit if col is not None else ""


def metric_range(metric: str) -> tuple[float, float]:
    """The values a metric can take, from its unit: shares, tau and Gini in [0, 1], correlations
    in [-1, 1], counts and rates per citizen at least 0; anything else unbounded."""
    if metric in DERIVED:
        return DERIVED[metric][1]
    u = unit(metric)
    if u.startswith("share"):
        return 0.0, 1.0
    if u in _BOUNDED:
        return _BOUNDED[u]
    if u.startswith(_NON_NEGATIVE):
        return 0.0, math.inf
    return -math.inf, math.inf


def difference_range(metric: str) -> tuple[float, float]:
    """The values a difference of two runs' metric can take: [low - high, high - low]."""
    lo, hi = metric_range(metric)
    return lo - hi, hi - lo


class Interval(NamedTuple):
    """A mean over seeds and its interval; ``clipped`` when a bound was moved to the metric's
    range. ``low`` and ``high`` are NaN with fewer than two values, all three with none."""

    mean: float
    low: float
    high: float
    n: int
    clipped: bool = False


def interval(values, level: float = 0.95, bounds: tuple[float, float] = (-math.inf, math.inf)) -> Interval:
    """The mean of ``values`` (NaN dropped) with a Student-t interval, mean +- t(level, n - 1)
    sd / sqrt(n), clipped to ``bounds`` (a metric's range: a share's interval never leaves
    [0, 1]). Clipping, not a transformation: a share that is exactly 0 on every seed (no
    arrests under social credit) has no logit, and with 2-5 seeds a bootstrap interval is too
    narrow (with 2 seeds it has at most three distinct values)."""
    from scipy import stats

    x = np.asarray(values, float)
    x = x[~np.isnan(x)]
    if len(x) == 0:
        return Interval(math.nan, math.nan, math.nan, 0)
    m = float(x.mean())
    if len(x) == 1:
        return Interval(m, math.nan, math.nan, 1)
    half = float(stats.t.ppf(0.5 + level / 2, len(x) - 1) * x.std(ddof=1) / math.sqrt(len(x)))
    lo, hi = m - half, m + half
    clipped = lo < bounds[0] or hi > bounds[1]
    return Interval(m, max(lo, bounds[0]), min(hi, bounds[1]), len(x), clipped)
