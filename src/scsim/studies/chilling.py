"""The chilling effect: unapproved posts per capita and the self-censorship rate, the year before
the mandatory date and the final year, against the Western control (difference in differences,
paired by seed). Assumption swept: how much a post costs (the political penalty)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from .. import tables
from .common import (Setting, StudySpec, assumption_sweep, band, figure, headline, regime_runs, save, table,
                     window_means, write_tables)

METRICS = ["posts_per_capita", "would_post_per_capita", "self_censorship_rate", "posts_high_tau", "sanctioned_share"]


def windows(spec: StudySpec, setting: Setting) -> tuple[slice, slice]:
    """The year before the mandatory date, and the final year."""
    sc = setting.regime(spec, spec.regimes[-1], 1)
    m = sc.step_of(sc.phases.mandatory_start) or 0
    m = min(max(m, 1), spec.months - 1)
    return slice(max(0, m - 12), m), slice(max(m, spec.months - spec.window), spec.months)


def analyse(spec: StudySpec, setting: Setting, out: Path, progress: bool) -> dict:
    runs = regime_runs(spec, setting, progress, METRICS)
    before, after = windows(spec, setting)
    b = window_means(runs, METRICS, before, ["regime"])
    a = window_means(runs, METRICS, after, ["regime"])
    change = a.copy()
    change[METRICS] = a[METRICS].to_numpy() - b[METRICS].to_numpy()
    base = spec.baseline or spec.regimes[0]
    t_before = table(b, METRICS, "regime", base).assign(window="year before mandatory")
    t_after = table(a, METRICS, "regime", base).assign(window="final year")
    t_change = table(change, METRICS, "regime", base, change=True).assign(window="change (difference in differences)")
    full = pd.concat([t_before, t_after, t_change], ignore_index=True)
    full.to_csv(out / "table.csv", index=False)
    write_tables(out, "table", [tables.display(g.drop(columns="window"), "regime", f"chilling effect, {w}", base)
                                for w, g in full.groupby("window", sort=False)], setting.table_format)

    fig, ax = figure(1, 3)
    for axis, metric in zip(ax, ["posts_per_capita", "would_post_per_capita", "self_censorship_rate"]):
        band(axis, runs, metric, "regime")
    ax[0].legend(fontsize=7)
    save(fig, out / "figure.png")

    found = {"regimes": {r: {
        "posts_before": headline(t_before, "regime", "posts_per_capita", r),
        "posts_after": headline(t_after, "regime", "posts_per_capita", r),
        "self_censorship_before": headline(t_before, "regime", "self_censorship_rate", r),
        "self_censorship_after": headline(t_after, "regime", "self_censorship_rate", r),
        **({} if r == base else {  # the baseline's difference from itself is no finding
            "posts_change_vs_baseline": headline(t_change, "regime", "posts_per_capita", r, diff=True)}),
    } for r in spec.regimes}}
    if spec.assumption is not None:
        found["assumption"] = assumption_sweep(spec, setting, out, progress,
                                                  ["posts_per_capita", "self_censorship_rate"], after)
    return found

