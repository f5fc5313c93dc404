"""Main effects of a sweep (any design): how each key metric moves with each parameter.

Each point's mean over seeds of a key metric's final-window mean, against each varied parameter:
a table (``effects.csv``; printed by ``scsim sweep``) with, per metric, the mean over runs, the
lowest and highest point mean, and Spearman's rank correlation of the point means with each
parameter (a main effect: +1, the metric rises with the parameter at every step; 0, no monotone
relation), and a figure (``main_effects.png``) of the point means against each parameter with
a least-squares line. In a Latin hypercube every parameter varies at every point, so a rank
correlation reads one parameter's effect across the others' values; Sobol designs have their
variance-based indices as well (``sensitivity``). Metrics that no point changes are left out.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd

from .. import tables
from ..summary import KEY_METRICS, unit
from .spec import SweepSpec

MAX_PLOTTED = 8  # metrics in the figure, those with the strongest effect first


def _short(key: str) -> str:
    return key.rsplit(".", 1)[-1]


def point_means(spec: SweepSpec, summary: pd.DataFrame) -> pd.DataFrame:
    """Per point: its parameters and each key metric's mean over seeds."""
    metrics = [m for m in KEY_METRICS if m in summary]
    return summary.groupby("point", sort=True)[[*spec.keys, *metrics]].mean()


def main_effects(spec: SweepSpec, summary: pd.DataFrame) -> pd.DataFrame:
    """One row per key metric that some point changes: mean over runs, lowest and highest
    point mean, and ``rho_KEY`` (Spearman) per parameter; strongest effect first."""
    from scipy import stats

    means = point_means(spec, summary)
    rows = []
    for metric in [m for m in KEY_METRICS if m in means]:
        y = means[metric]
        if len(y) < 3 or y.isna().any() or np.ptp(y.to_numpy(float)) == 0:
            continue
        row = {"metric": metric, "mean": float(summary[metric].mean()), "lowest": float(y.min()),
               "highest": float(y.max())}
        for key in spec.keys:
            x = means[key].to_numpy(float)
            row[f"rho_{key}"] = float(stats.spearmanr(x, y).statistic) if np.ptp(x) > 0 else math.nan
        rows.append(row)
    t = pd.DataFrame(rows, columns=["metric", "mean", "lowest", "highest", *[f"rho_{k}" for k in spec.keys]])
    if len(t):
        strength = t[[f"rho_{k}" for k in spec.keys]].abs().max(axis=1)
        t = t.iloc[np.argsort(-strength.to_numpy(), kind="stable")].reset_index(drop=True)
    return t


def display(spec: SweepSpec, effects: pd.DataFrame, summary: pd.DataFrame) -> tables.Display:
    """The main effects as a table for the terminal or a paper (``scsim.tables``)."""
    rows = []
    for r in effects.to_dict("records"):
        m = r["metric"]
        d = tables.decimals(m, r["lowest"], r["highest"])
        row = {"metric": m, "unit": unit(m), "mean": tables.number(m, r["mean"], digits=d),
               "points' means": f"{tables.number(m, r['lowest'], digits=d)} to {tables.number(m, r['highest'], digits=d)}"}
        row.update({f"rho {_short(k)}": f"{r[f'rho_{k}']:+.2f}" for k in spec.keys})
        rows.append(row)
    frame = pd.DataFrame(rows)
    n_points, seeds = summary["point"].nunique(), summary["seed"].nunique()
    caption = (f"sweep {spec.name} ({spec.options.design}): {n_points} points x {seeds} seeds; each run's mean of "
               f"the final {spec.options.window} months; rho: Spearman rank correlation of the points' means with "
               f"each parameter (main effects)")
    left_out = [m for m in KEY_METRICS if m in summary and m not in set(effects.metric)]
    notes = [f"left out, the same at every point or not defined: {', '.join(left_out)}."] if left_out else []
    return tables.Display(frame, caption, notes)


def figure(spec: SweepSpec, effects: pd.DataFrame, summary: pd.DataFrame, path: Path) -> Path | None:
    """``main_effects.png``: the points' means of the strongest metrics against each parameter."""
    metrics = list(effects.metric[:MAX_PLOTTED])
    if not metrics:
        return None
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    means = point_means(spec, summary)
    fig, axes = plt.subplots(len(metrics), len(spec.keys), figsize=(3.6 * len(spec.keys), 2.6 * len(metrics)),
                             squeeze=False)
    for i, metric in enumerate(metrics):
        for j, key in enumerate(spec.keys):
            ax = axes[i, j]
            x, y = means[key].to_numpy(float), means[metric].to_numpy(float)
            ax.scatter(x, y, s=14, color="#4c72b0")
            if np.ptp(x) > 0:
                slope, intercept = np.polyfit(x, y, 1)
                xs = np.linspace(x.min(), x.max(), 2)
                ax.plot(xs, intercept + slope * xs, color="#c44e52", lw=1)
            rho = effects.loc[effects.metric == metric, f"rho_{key}"].iloc[0]
            ax.set_title(f"{metric.replace('_', ' ')} (rho {rho:+.2f})", fontsize=8)
            ax.set_xlabel(key, fontsize=8)
            if j == 0:
                ax.set_ylabel(unit(metric), fontsize=8)
            ax.tick_params(labelsize=7)
    fig.suptitle(f"main effects of sweep {spec.name}: each point's mean over {summary['seed'].nunique()} seeds\n"
                 "(line: least squares; y axes span the points, not zero)", fontsize=10)
    fig.tight_layout(rect=(0, 0, 1, 1 - 0.5 / (2.6 * len(metrics))))
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
