"""More effective than the Stasi? social-credit-2020 against provocateur (and the Western control)
on the capacity for large-scale resistance (the largest connected cluster of active dissenters,
and their organised core: the dissenters' 3-core) and on dissent volume (unapproved posts per
capita). Assumption swept: fear of arrest (the believed cost of an arrest) with two shares of agents."""

from __future__ import annotations

from pathlib import Path

from .common import (Setting, StudySpec, assumption_sweep, band, figure, final_year, headline, regime_runs, regime_table,
                     save, table, write_table)

METRICS = ["dissenter_cluster_share", "dissenter_core", "dissenters", "posts_per_capita", "self_censorship_rate", "arrested_share",
           "degree_high_tau", "giant_high_tau"]


def analyse(spec: StudySpec, setting: Setting, out: Path, progress: bool) -> dict:
    runs = regime_runs(spec, setting, progress, METRICS)
    final = final_year(spec)
    per_run, t = regime_table(spec, setting, runs, METRICS, out)
    # the claim itself: social credit minus provocateurs, paired by seed
    head_to_head = {}
    if {"social-credit-2020", "provocateur"} <= set(spec.regimes):
        duel = table(per_run[per_run.regime.isin(["social-credit-2020", "provocateur"])], METRICS, "regime",
                     "provocateur")
        write_table(duel, "regime", out, "social credit against provocateurs: mean of each run's final "
                    f"{spec.window} months", "provocateur", "social-credit-vs-provocateur", setting.table_format)
        head_to_head = {m: headline(duel, "regime", m, "social-credit-2020", diff=True)
                        for m in ("dissenter_cluster_share", "dissenter_core", "posts_per_capita", "dissenters")}

    fig, ax = figure(1, 4)
    for axis, metric in zip(ax, ["dissenter_cluster_share", "dissenter_core", "posts_per_capita", "arrested_share"]):
        band(axis, runs, metric, "regime")
    ax[0].legend(fontsize=7)
    save(fig, out / "figure.png")

    keys = ["dissenter_cluster_share", "dissenter_core", "posts_per_capita", "dissenters", "arrested_share"]
    found = {"regimes": {r: {k: headline(t, "regime", k, r) for k in keys} for r in spec.regimes},
             "social_credit_minus_provocateur": head_to_head}
    if spec.assumption is not None:
        found["assumption"] = assumption_sweep(spec, setting, out, progress,
                                               ["dissenter_cluster_share", "dissenter_core", "posts_per_capita",
                                                "self_censorship_rate", "arrested_share"], final)
    return found
