"""Social exile: the degree, isolation and giant-component membership of high-tau citizens over
time, and the largest connected cluster of dissenters, against the Western control. Assumption
swept: how readily citizens cut a friend the register shows dragging them down (cut_rate)."""

from __future__ import annotations

from pathlib import Path

from .common import (Setting, StudySpec, assumption_sweep, band, figure, final_year, headline, regime_runs, regime_table,
                     save)

METRICS = ["degree_high_tau", "degree_rest", "degree_gap", "isolated_high_tau", "isolated_rest", "giant_high_tau",
           "giant_rest", "dissenter_cluster_share", "dissenters", "edges_cut_drag", "register_listed",
           "tau_assortativity"]
RAW = [m for m in METRICS if m != "degree_gap"]


def with_gap(runs):
    """degree_gap = degree of high-tau citizens minus that of the rest (negative: exiled)."""
    return runs.assign(degree_gap=runs.degree_high_tau - runs.degree_rest)


with_gap.needs = ["degree_high_tau", "degree_rest"]


def analyse(spec: StudySpec, setting: Setting, out: Path, progress: bool) -> dict:
    runs = with_gap(regime_runs(spec, setting, progress, RAW))
    final = final_year(spec)
    base = spec.baseline or spec.regimes[0]
    _, t = regime_table(spec, setting, runs, METRICS, out)

    fig, ax = figure(2, 3)
    for axis, metric in zip(ax, ["degree_gap", "isolated_high_tau", "giant_high_tau", "dissenter_cluster_share",
                                 "edges_cut_drag", "tau_assortativity"]):
        band(axis, runs, metric, "regime")
    ax[0].legend(fontsize=7)
    save(fig, out / "figure.png")

    keys = ["degree_high_tau", "degree_rest", "degree_gap", "isolated_high_tau", "giant_high_tau",
            "dissenter_cluster_share"]
    found = {"regimes": {r: {k: headline(t, "regime", k, r) for k in keys} for r in spec.regimes},
             "vs_baseline": {r: {k: headline(t, "regime", k, r, diff=True) for k in keys}
                             for r in spec.regimes if r != base}}
    if spec.assumption is not None:
        found["assumption"] = assumption_sweep(spec, setting, out, progress,
                                               ["degree_gap", "isolated_high_tau", "dissenter_cluster_share"], final,
                                               derive=with_gap)
    return found
