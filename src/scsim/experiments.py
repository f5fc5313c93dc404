"""Experiments: regimes compared on common random numbers, with intervals over seeds.

``compare`` runs every regime on the same seeds. Because each seed fixes the population, the
network and every draw a regime's rules do not touch, the difference between two regimes on one
seed is an effect, not noise; intervals for differences are therefore paired by seed.

For each run and metric the summary value is the mean over the final ``window`` months (network
metrics, computed every few months, by their available months in that window). Over seeds, a
regime's mean comes with a 95% Student-t interval, mean +- t(0.975, n - 1) * sd / sqrt(n); so
does each regime's paired difference from the baseline.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

from .errors import InputError
from .parallel import map_runs
from .summary import KEY_METRICS, run_summary


def interval(values, level: float = 0.95) -> tuple[float, float, float]:
    """(mean, low, high): a Student-t interval for the mean of ``values`` (NaN dropped)."""
    x = np.asarray(values, float)
    x = x[~np.isnan(x)]
    if len(x) == 0:
        return math.nan, math.nan, math.nan
    m = float(x.mean())
    if len(x) == 1:
        return m, math.nan, math.nan
    half = float(stats.t.ppf(0.5 + level / 2, len(x) - 1) * x.std(ddof=1) / math.sqrt(len(x)))
    return m, m - half, m + half


@dataclass
class Comparison:
    runs: pd.DataFrame  # one row per (regime, seed): the summary of each key metric
    table: pd.DataFrame  # one row per (metric, regime): mean, CI, difference from baseline, CI
    baseline: str


def summarise(runs: pd.DataFrame, baseline: str, level: float = 0.95, metrics=KEY_METRICS) -> pd.DataFrame:
    """Per metric and regime: mean with its interval, and the paired difference from ``baseline``."""
    rows = []
    base = runs[runs.regime == baseline].set_index("seed")
    for metric in [m for m in metrics if m in runs]:
        for regime, grp in runs.groupby("regime", sort=False):
            g = grp.set_index("seed")
            mean, lo, hi = interval(g[metric], level)
            if regime == baseline or base.empty:
                d, dlo, dhi = (0.0, 0.0, 0.0) if regime == baseline else (math.nan,) * 3
            else:
                seeds = g.index.intersection(base.index)
                d, dlo, dhi = interval(g.loc[seeds, metric] - base.loc[seeds, metric], level)
            rows.append({"metric": metric, "regime": regime, "mean": mean, "low": lo, "high": hi,
                         "diff": d, "diff_low": dlo, "diff_high": dhi})
    return pd.DataFrame(rows)


def _run_summary(name: str, seed: int, sc, window: int) -> dict:
    """One regime on one seed: its key metrics over the final ``window`` months."""
    from .engine import Simulation

    metrics = pd.DataFrame(Simulation(sc).run())
    return {"regime": name, "seed": seed, **run_summary(metrics, min(window, len(metrics)))}


def compare(presets: list[str], seeds: int, citizens: int | None = None, months: int | None = None,
            window: int = 12, progress: bool = False, baseline: str | None = None,
            workers: int | None = None, client=None) -> Comparison:
    """Run every preset on seeds 1..``seeds`` and summarise (see the module docstring). The runs
    go on ``client``'s Dask cluster if given, else on a local one of ``workers`` processes if
    more than one, else here (scsim.parallel.map_runs): the same results either way."""
    from .scenario import load_preset

    if seeds < 2:
        raise InputError(f"compare: seeds = {seeds}: must be at least 2 (intervals need two runs)")
    scenarios = []
    for name in presets:
        sc = load_preset(name)
        over = {"run.seed": 0}
        if citizens is not None:
            over["population.citizens"] = citizens
        if months is not None:
            over["run.months"] = months
        try:
            scenarios.append((name, sc.with_overrides(**over)))
        except InputError as e:
            raise InputError(f"compare: preset {name}: {str(e).removeprefix('overrides: ')}") from None
    baseline = baseline or ("western" if "western" in presets else presets[0])
    jobs = [(name, seed, sc.with_overrides(**{"run.seed": seed}), window)
            for seed in range(1, seeds + 1) for name, sc in scenarios]
    runs = pd.DataFrame(map_runs(_run_summary, jobs, progress, workers, client))
    return Comparison(runs, summarise(runs, baseline), baseline)


OUTPUTS = ("compare_runs.csv", "compare.csv", "compare.md", "compare.png")  # what ``write`` makes


def write(comparison: Comparison, out: Path) -> list[Path]:
    """compare_runs.csv, compare.csv, compare.md and compare.png (means with intervals)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out.mkdir(parents=True, exist_ok=True)
    t = comparison.table
    paths = [out / name for name in OUTPUTS]
    comparison.runs.to_csv(paths[0], index=False)
    t.to_csv(paths[1], index=False)
    lines = [f"| metric | regime | mean [95% CI] | difference from {comparison.baseline} [95% CI] |", "|---|---|---|---|"]
    for r in t.itertuples():
        if math.isnan(r.mean):  # e.g. the score of a regime with no score
            lines.append(f"| {r.metric} | {r.regime} | n/a | n/a |")
            continue
        lines.append(f"| {r.metric} | {r.regime} | {r.mean:.4g} [{r.low:.4g}, {r.high:.4g}] | "
                     f"{r.diff:+.4g} [{r.diff_low:+.4g}, {r.diff_high:+.4g}] |")
    paths[2].write_text("\n".join(lines) + "\n")
    metrics = list(dict.fromkeys(t.metric))
    cols = 4
    fig, axes = plt.subplots(math.ceil(len(metrics) / cols), cols, figsize=(4 * cols, 2.6 * math.ceil(len(metrics) / cols)))
    for ax, metric in zip(np.ravel(axes), metrics):
        d = t[t.metric == metric]
        err = np.vstack([d["mean"] - d["low"], d["high"] - d["mean"]])
        ax.bar(d.regime, d["mean"], yerr=np.nan_to_num(err), capsize=3, color="#4c72b0")
        ax.set_title(metric, fontsize=9)
        ax.tick_params(axis="x", labelrotation=30, labelsize=7)
    for ax in np.ravel(axes)[len(metrics):]:
        ax.axis("off")
    fig.suptitle(f"regimes over {comparison.runs.seed.nunique()} seeds (mean of the final months, 95% CI)")
    fig.tight_layout()
    fig.savefig(paths[3], dpi=110)
    plt.close(fig)
    return paths
