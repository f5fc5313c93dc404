"""Social exile: the degree, isolation and giant-component membership of high-tau citizens over
time, and the largest connected cluster of dissenters, against the Western control; and, from a
tie ledger of every run (``scsim.ledger``), who loses friends by income quartile as well as by tau,
through which channel (the register's cuts, churn, new ties sought or received), and whom the
register's cuts fall on. Assumption swept: how readily citizens cut a friend the register shows
dragging them down (cut_rate)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from .. import tables
from ..experiments import interval
from ..ledger import CHANNELS, run_with_ledger
from ..parallel import map_runs
from .common import (Setting, StudySpec, assumption_sweep, band, figure, final_year, fmt, headline, regime_table, save)

METRICS = ["degree_high_tau", "degree_rest", "degree_gap", "isolated_high_tau", "isolated_rest", "giant_high_tau",
           "giant_rest", "dissenter_cluster_share", "dissenters", "edges_cut_drag", "register_listed",
           "tau_assortativity"]
RAW = [m for m in METRICS if m != "degree_gap"]


def with_gap(runs):
    """degree_gap = degree of high-tau citizens minus that of the rest (negative: exiled)."""
    return runs.assign(degree_gap=runs.degree_high_tau - runs.degree_rest)


with_gap.needs = ["degree_high_tau", "degree_rest"]


def ledger_run(labels: dict, sc) -> tuple[pd.DataFrame, pd.DataFrame, dict]:
    """One run with its tie ledger: (monthly metrics, ties by group and channel, cut draggers)."""
    from ..engine import Simulation

    metrics, ledger = run_with_ledger(Simulation(sc))
    metrics = metrics[["month", *[c for c in RAW if c in metrics]]]
    groups = ledger.groups()
    for frame in (metrics, groups):
        for k, v in reversed(labels.items()):
            frame.insert(0, k, v)
    return metrics, groups, {**labels, **ledger.cut_draggers()}


def channel_table(groups: pd.DataFrame) -> pd.DataFrame:
    """Per regime, group and channel (and net): the mean change in ties per citizen over the run,
    [95% interval] over seeds."""
    rows = []
    for (regime, group), g in groups.groupby(["regime", "group"], sort=False):
        for channel in [*CHANNELS, "net"]:
            mean, lo, hi = interval(g[channel])[:3]
            rows.append({"regime": regime, "group": group, "channel": channel, "mean": mean, "low": lo, "high": hi})
    return pd.DataFrame(rows)


def write_channels(t: pd.DataFrame, cut: pd.DataFrame, out: Path) -> None:
    t.to_csv(out / "channels.csv", index=False)
    wide = t.assign(cell=[fmt(m, lo, hi, 2) for m, lo, hi in zip(t["mean"], t["low"], t["high"])])
    wide = wide.pivot_table(index=["regime", "group"], columns="channel", values="cell", aggfunc="first", sort=False)
    wide = wide[[*CHANNELS, "net"]]
    lines = ["| regime | group | " + " | ".join(wide.columns) + " |", "|---|---|" + "---|" * len(wide.columns)]
    lines += [f"| {r} | {g} | " + " | ".join(row) + " |" for (r, g), row in zip(wide.index, wide.to_numpy())]
    (out / "channels.md").write_text("Change in ties per citizen over the run, by channel (losses negative); "
                                     "mean [95% CI] over seeds.\n\n" + "\n".join(lines) + "\n")
    keys = [c for c in cut.columns if c not in ("regime", "seed")]
    summary = cut.groupby("regime", sort=False)[keys].mean().reset_index()
    summary.to_csv(out / "cut_draggers.csv", index=False)


# who the register's cuts fall on, as `scsim study` prints it: each mean to its quantity's precision
PROFILE_DECIMALS = {"cuts": 1, "cut_tau": 3, "population_tau": 3, "cut_capacity": 3, "cut_income": 0,
                    "population_income": 0, "cut_posters": 3, "population_posters": 3}


def cut_profile(cut: pd.DataFrame) -> dict[str, dict[str, str]]:
    """Per regime, the mean over seeds of each run's cut-dragger profile (ledger.cut_draggers), as
    text; a trait of the cut draggers where no run cut one says so instead of 'nan'."""
    means = cut.groupby("regime", sort=False)[list(PROFILE_DECIMALS)].mean()
    return {regime: {k: f"{row[k]:,.{d}f}" if pd.notna(row[k]) else f"{tables.MISSING} (no tie was cut as a dragger)"
                     for k, d in PROFILE_DECIMALS.items()} for regime, row in means.iterrows()}


def channel_figure(t: pd.DataFrame, regimes: list[str], out: Path) -> None:
    """Net change in ties by group for each regime; and, for the last regime with register cuts,
    each channel's part."""
    import numpy as np

    fig, ax = figure(1, 2, width=6.0, height=3.4)
    net = t[t.channel == "net"]
    groups = list(dict.fromkeys(net.group))
    x = np.arange(len(groups))
    width = 0.8 / len(regimes)
    for k, regime in enumerate(regimes):
        d = net[net.regime == regime].set_index("group").loc[groups]
        ax[0].bar(x + k * width, d["mean"], width, yerr=[d["mean"] - d["low"], d["high"] - d["mean"]], label=regime,
                  capsize=2)
    ax[0].set_xticks(x + 0.4 - width / 2, groups, rotation=30, fontsize=7)
    ax[0].axhline(0, color="black", lw=0.5)
    ax[0].set_ylabel("change in ties per citizen")
    ax[0].set_title("net change in friends over the run", fontsize=9)
    ax[0].legend(fontsize=6)
    focus = "social-credit-2020" if "social-credit-2020" in regimes else regimes[-1]
    d = t[(t.regime == focus) & (t.channel != "net")]
    bottom_pos, bottom_neg = np.zeros(len(groups)), np.zeros(len(groups))
    for channel in CHANNELS:
        v = d[d.channel == channel].set_index("group").loc[groups, "mean"].to_numpy()
        base = np.where(v >= 0, bottom_pos, bottom_neg)
        ax[1].bar(x, v, 0.6, bottom=base, label=channel)
        bottom_pos, bottom_neg = bottom_pos + np.maximum(v, 0), bottom_neg + np.minimum(v, 0)
    ax[1].set_xticks(x, groups, rotation=30, fontsize=7)
    ax[1].axhline(0, color="black", lw=0.5)
    ax[1].set_ylabel("ties per citizen")
    ax[1].set_title(f"where ties went under {focus}", fontsize=9)
    ax[1].legend(fontsize=6)
    save(fig, out / "channels.png")


def analyse(spec: StudySpec, setting: Setting, out: Path, progress: bool) -> dict:
    jobs = [({"regime": r, "seed": s}, setting.regime(spec, r, s)) for s in range(1, spec.seeds + 1) for r in spec.regimes]
    results = map_runs(ledger_run, jobs, progress, setting.workers, setting.client)
    runs = with_gap(pd.concat([r[0] for r in results], ignore_index=True))
    groups = pd.concat([r[1] for r in results], ignore_index=True)
    cut = pd.DataFrame([r[2] for r in results])
    channels = channel_table(groups)
    write_channels(channels, cut, out)
    channel_figure(channels, spec.regimes, out)
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
    cell = lambda r, g, c: fmt(*channels[(channels.regime == r) & (channels.group == g)  # noqa: E731
                                         & (channels.channel == c)][["mean", "low", "high"]].iloc[0], 2)
    found = {"regimes": {r: {k: headline(t, "regime", k, r) for k in keys} for r in spec.regimes},
             "vs_baseline": {r: {k: headline(t, "regime", k, r, diff=True) for k in keys}
                             for r in spec.regimes if r != base},
             "ties_by_group": {r: {g: {c: cell(r, g, c) for c in ("net", "cut_as_dragger", "received")}
                                   for g in dict.fromkeys(groups.group)} for r in spec.regimes},
             "cut_draggers": cut_profile(cut)}
    if spec.assumption is not None:
        found["assumption"] = assumption_sweep(spec, setting, out, progress,
                                               ["degree_gap", "isolated_high_tau", "dissenter_cluster_share"], final,
                                               derive=with_gap)
    return found
