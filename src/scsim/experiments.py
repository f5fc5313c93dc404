"""Experiments: regimes compared on common random numbers, with intervals over seeds.

``compare`` runs every regime on the same seeds. Because each seed fixes the population, the
network and every draw a regime's rules do not touch, the difference between two regimes on one
seed is an effect, not noise; intervals for differences are therefore paired by seed.

For each run and metric the summary value is the mean over the final ``window`` months (network
metrics, computed every few months, by their available months in that window). Over seeds, a
regime's mean comes with a 95% Student-t interval, mean +- t(0.975, n - 1) * sd / sqrt(n),
clipped to the metric's range (``scsim.summary.interval``); so does each regime's paired
difference from the baseline (the baseline's difference from itself is left out: NaN).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from . import plots, tables
from .errors import InputError
from .outputs import staged
from .parallel import map_runs
from .summary import KEY_METRICS, difference_range, interval, metric_range, run_summary, unit


@dataclass
class Comparison:
    runs: pd.DataFrame  # one row per (regime, seed): the summary of each key metric
    table: pd.DataFrame  # one row per (metric, regime): mean, CI, difference from baseline, CI
    baseline: str
    window: int = 12  # final months averaged per run


def summarise(runs: pd.DataFrame, baseline: str, level: float = 0.95, metrics=KEY_METRICS) -> pd.DataFrame:
    """Per metric and regime: mean with its interval, and the paired difference from ``baseline``
    (NaN for the baseline itself)."""
    rows = []
    base = runs[runs.regime == baseline].set_index("seed")
    for metric in [m for m in metrics if m in runs]:
        for regime, grp in runs.groupby("regime", sort=False):
            g = grp.set_index("seed")
            own = interval(g[metric], level, metric_range(metric))
            if regime == baseline or base.empty:
                d = interval([], level)
            else:
                seeds = g.index.intersection(base.index)
                d = interval(g.loc[seeds, metric] - base.loc[seeds, metric], level, difference_range(metric))
            rows.append({"metric": metric, "regime": regime, "mean": own.mean, "low": own.low, "high": own.high,
                         "n": own.n, "clipped": own.clipped, "diff": d.mean, "diff_low": d.low, "diff_high": d.high,
                         "diff_clipped": d.clipped})
    return pd.DataFrame(rows)


def _run_summary(name: str, seed: int, sc, window: int) -> dict:
    """One regime on one seed: its key metrics over the final ``window`` months."""
    from .engine import Simulation

    metrics = pd.DataFrame(Simulation(sc).run())
    return {"regime": name, "seed": seed, **run_summary(metrics, min(window, len(metrics)))}


def compare(presets: list[str], seeds: int, citizens: int | None = None, months: int | None = None,
            window: int = 12, progress: bool = False, baseline: str | None = None,
            workers: int | None = None, client=None, settings: dict | None = None) -> Comparison:
    """Run every preset on seeds 1..``seeds`` and summarise (see the module docstring). The runs
    go on ``client``'s Dask cluster if given, else on a local one of ``workers`` processes if
    more than one, else here (scsim.parallel.map_runs): the same results either way. ``settings``
    ('section.key': value, as ``scsim compare --set``) apply to every regime."""
    from .scenario import load_preset

    if seeds < 2:
        raise InputError(f"compare: seeds = {seeds}: must be at least 2 (intervals need two runs)")
    if "run.seed" in (settings or {}):
        raise InputError("compare: run.seed cannot be set: compare runs every regime on seeds 1..seeds")
    scenarios = []
    for name in presets:
        sc = load_preset(name).with_settings(settings or {}, "--set")
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
    return Comparison(runs, summarise(runs, baseline), baseline, window)


OUTPUTS = ("compare_runs.csv", "compare.csv", "compare.md", "compare.png")  # what ``write`` makes


def display(comparison: Comparison) -> tables.Display:
    """The comparison as a table for a paper (``scsim.tables``)."""
    return tables.display(comparison.table, "regime", f"Regimes on common random numbers: mean of each run's "
                          f"final {comparison.window} months", comparison.baseline)


def write(comparison: Comparison, out: Path, table: Path | None = None,
          table_format: str | None = None) -> list[Path]:
    """compare_runs.csv, compare.csv, compare.md and compare.png (means with intervals); and
    ``table`` in ``table_format`` (or the format its suffix names: .md, .tex, .txt) if given."""
    fig = figure(comparison)
    with staged("compare:") as outputs:  # all of them, or (a full disk, a Ctrl-C) none
        paths = [out / name for name in OUTPUTS] + ([Path(table)] if table is not None else [])
        comparison.runs.to_csv(outputs.file(paths[0]), index=False)  # (each handed out as it is written)
        comparison.table.to_csv(outputs.file(paths[1]), index=False)
        shown = display(comparison)
        tables.write(shown, outputs.file(paths[2]), "markdown")
        fig.savefig(outputs.file(paths[3]), dpi=110)
        if table is not None:
            tables.write(shown, outputs.file(paths[4]), tables.format_for(Path(table), table_format))
    return paths


def figure(comparison: Comparison):
    """Each metric's mean per regime with its 95% interval, a panel a metric: titled by what the
    metric means, its axis from zero where the metric cannot be negative."""
    from matplotlib.figure import Figure

    t = comparison.table
    metrics = list(dict.fromkeys(t.metric))
    cols = 4
    rows = math.ceil(len(metrics) / cols)
    fig = Figure(figsize=(4 * cols, 2.6 * rows))
    axes = fig.subplots(rows, cols, squeeze=False)
    for ax, metric in zip(np.ravel(axes), metrics):
        d = t[t.metric == metric]
        err = np.vstack([d["mean"] - d["low"], d["high"] - d["mean"]])
        ax.bar(d.regime, d["mean"].fillna(0), yerr=np.nan_to_num(err), capsize=3, color="#4c72b0")
        for x, (regime, mean) in enumerate(zip(d.regime, d["mean"])):
            if not math.isfinite(mean):
                ax.text(x, 0, "not defined", ha="center", va="bottom", fontsize=7, color="0.4", rotation=90)
        ax.set_title(plots.metric_title(metric), fontsize=9)
        plots.honest_y(ax, metric_range(metric)[0], unit(metric) or metric)  # a share's axis from 0, not -0.05
        ax.tick_params(axis="x", labelrotation=30, labelsize=7)
    for ax in np.ravel(axes)[len(metrics):]:
        ax.axis("off")
    fig.suptitle(f"regimes over {comparison.runs.seed.nunique()} seeds (mean of the final {comparison.window} months, 95% CI)")
    fig.tight_layout()
    return fig
