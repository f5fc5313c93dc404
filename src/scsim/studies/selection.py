"""Selection against independent thinking: mean tau over generations under each regime, and how
it depends on heritability and on how strongly privileges drive children (a grid sweep).

Generations are compressed (``generations.every`` months, set in the study file); the measures are
the change of mean tau from the first month to the final ``window`` months, and the change per
generation (the slope of each generation's mean tau), which is also the change per real
generation of 25-30 years: only the calendar is compressed."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ..experiments import interval
from .common import (Setting, StudySpec, assumption_sweep, band, figure, final_year, fmt, headline, regime_runs,
                     regime_table, save)

REAL_GENERATION = (25, 30)  # years a real generation takes

METRICS = ["tau_mean", "tau_change", "tau_high_share", "generation", "arrested_share"]
RAW = [m for m in METRICS if m != "tau_change"]


def with_change(runs):
    """tau_change = mean tau now minus mean tau in the run's first month (runs come in month order;
    the columns before ``month`` label the run)."""
    keys = list(runs.columns[: runs.columns.get_loc("month")])
    return runs.assign(tau_change=runs.tau_mean - runs.groupby(keys, sort=False).tau_mean.transform("first"))


with_change.needs = ["tau_mean"]


def analyse(spec: StudySpec, setting: Setting, out: Path, progress: bool) -> dict:
    runs = with_change(regime_runs(spec, setting, progress, RAW))
    final = final_year(spec)
    base = spec.baseline or spec.regimes[0]
    _, t = regime_table(spec, setting, runs, METRICS, out)
    # mean tau of each generation (its first month), per regime and seed
    per_gen = runs.groupby(["regime", "seed", "generation"], sort=False).tau_mean.first().reset_index()
    per_gen.to_csv(out / "generations.csv", index=False)
    slopes = per_generation(per_gen, spec.regimes, base)
    slopes.to_csv(out / "per_generation.csv", index=False)
    generation_figure(per_gen, spec.regimes, out)

    fig, ax = figure(1, 3)
    for axis, metric in zip(ax, ["tau_mean", "tau_high_share", "arrested_share"]):
        band(axis, runs, metric, "regime")
    ax[0].legend(fontsize=7)
    save(fig, out / "figure.png")

    found = {"regimes": {r: {k: headline(t, "regime", k, r) for k in ("tau_mean", "tau_change", "tau_high_share")}
                         for r in spec.regimes},
             "tau_change_vs_baseline": {r: headline(t, "regime", "tau_change", r, diff=True)
                                        for r in spec.regimes if r != base},
             "generations": int(runs.generation.max()),
             "real_years": [int(runs.generation.max()) * y for y in REAL_GENERATION],
             "tau_change_per_generation": {r: fmt(*slopes.loc[slopes.regime == r, ["slope", "low", "high"]].iloc[0])
                                           for r in spec.regimes},
             "per_generation_vs_baseline": {r: fmt(*slopes.loc[slopes.regime == r,
                                                               ["diff", "diff_low", "diff_high"]].iloc[0])
                                            for r in spec.regimes if r != base}}
    if spec.assumption is not None:
        found["assumption"] = assumption_sweep(spec, setting, out, progress, ["tau_change"], final, derive=with_change)
    return found


def per_generation(per_gen: pd.DataFrame, regimes: list[str], baseline: str) -> pd.DataFrame:
    """Per regime: the change of mean tau per generation (least-squares slope of each generation's
    mean tau, per seed), mean [95% CI] over seeds, and its difference from the baseline's, paired
    by seed."""
    def slope(g):
        return np.polyfit(g.generation.to_numpy(float), g.tau_mean.to_numpy(float), 1)[0] if g.generation.nunique() > 1 \
            else np.nan

    by_seed = per_gen.groupby(["regime", "seed"], sort=False).apply(slope, include_groups=False).rename("slope")
    by_seed = by_seed.reset_index()
    base = by_seed[by_seed.regime == baseline].set_index("seed").slope
    rows = []
    for regime in regimes:
        g = by_seed[by_seed.regime == regime].set_index("seed").slope
        mean, lo, hi = interval(g)[:3]
        seeds = g.index.intersection(base.index)
        d = interval(g.loc[seeds] - base.loc[seeds])
        rows.append({"regime": regime, "slope": mean, "low": lo, "high": hi, "diff": d[0], "diff_low": d[1],
                     "diff_high": d[2]})
    return pd.DataFrame(rows)


def generation_figure(per_gen: pd.DataFrame, regimes: list[str], out: Path) -> None:
    """Mean tau of each generation, per regime (95% band over seeds), against generations and the
    real years they would take."""
    fig, ax = figure(1, 1, width=5.5, height=3.4)
    axis = ax[0]
    for regime in regimes:
        wide = per_gen[per_gen.regime == regime].pivot_table(index="generation", columns="seed", values="tau_mean")
        mean = wide.mean(axis=1)
        half = 1.96 * wide.std(axis=1, ddof=1) / np.sqrt(wide.shape[1])
        axis.plot(mean.index, mean, marker="o", ms=3, label=regime)
        axis.fill_between(mean.index, mean - half, mean + half, alpha=0.2)
    axis.set_xlabel(f"generation (a real one takes {REAL_GENERATION[0]}-{REAL_GENERATION[1]} years)")
    axis.set_ylabel("mean tau (independent thinking)")
    top = axis.secondary_xaxis("top", functions=(lambda g: g * sum(REAL_GENERATION) / 2,
                                                 lambda y: y * 2 / sum(REAL_GENERATION)))
    top.set_xlabel("years, at 27.5 a generation")
    axis.legend(fontsize=7)
    save(fig, out / "generations.png")
