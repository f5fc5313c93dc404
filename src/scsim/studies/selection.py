"""Selection against independent thinking: mean tau over generations under each regime, and how
it depends on heritability and on how strongly privileges drive children (a grid sweep).

Generations are compressed (``generations.every`` months, set in the study file); the measure is
the change of mean tau from the first month to the final ``window`` months."""

from __future__ import annotations

from pathlib import Path

from .common import (Setting, StudySpec, assumption_sweep, band, figure, final_year, headline, regime_runs, regime_table,
                     save)

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

    fig, ax = figure(1, 3)
    for axis, metric in zip(ax, ["tau_mean", "tau_high_share", "arrested_share"]):
        band(axis, runs, metric, "regime")
    ax[0].legend(fontsize=7)
    save(fig, out / "figure.png")

    found = {"regimes": {r: {k: headline(t, "regime", k, r) for k in ("tau_mean", "tau_change", "tau_high_share")}
                         for r in spec.regimes},
             "tau_change_vs_baseline": {r: headline(t, "regime", "tau_change", r, diff=True)
                                        for r in spec.regimes if r != base},
             "generations": int(runs.generation.max())}
    if spec.assumption is not None:
        found["assumption"] = assumption_sweep(spec, setting, out, progress, ["tau_change"], final, derive=with_change)
    return found
