"""One run at a glance: its monthly metrics as a figure (``scsim plot RUN``, ``Run.plot()``).

Eight panels, each a question the article raises, over the run's calendar, with the opt-in and
mandatory dates marked: what the scores look like, who holds privileges, who stops posting, who
is sanctioned or listed, who loses friends, how the network changes, what happens to dissenters
as a group, and what happens to independent thinking itself (generations, arrests). A panel whose
metrics are all NaN or absent (e.g. scores under the provocateur regime) says so instead. Axes
are honest: counts and shares from zero, scores over the score's range, whole years as ticks
(``honest_y``, ``year_axis``, also used by the studies' figures).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from .metric_columns import column

# (title, [(column, label)], y-axis label): the panels, in reading order
PANELS = [
    ("scores", [("score_p50", "median published score"), ("score_mean", "mean published score"),
                ("score_all_mean", "mean computed score (published or not)")], "points"),
    ("privileges", None, "share of citizens"),  # every priv_* column (the scenario names them)
    ("speech", [("would_post_per_capita", "would post"), ("posts_per_capita", "posted"),
                ("self_censorship_rate", "self-censorship rate")], "per capita / rate"),
    ("sanctions and register", [("sanctioned_share", "sanctioned (share)"), ("opted_share", "scored (share)"),
                                ("register_listed_share", "on the register (share)")], "share of citizens"),
    ("friends", [("degree_high_tau", "degree, high-tau citizens"), ("degree_rest", "degree, the rest")], "ties"),
    ("ties made and cut", [("edges_cut_drag", "cut over drag"), ("edges_cut_churn", "cut by churn"),
                           ("edges_made", "made"), ("edges_cut_arrest", "cut by arrest")], "ties / month"),
    ("dissenters", [("dissenter_cluster_share", "largest dissenter cluster (share)"),
                    ("dissenter_core", "organised core: dissenters' 3-core (share)"),
                    ("giant_high_tau", "high-tau in the giant component"), ("arrested_share", "arrested (share)")],
     "share"),
    ("independent thinking", [("tau_mean", "mean tau"), ("tau_high_share", "high-tau share"),
                              ("posts_high_tau", "posts per high-tau citizen")], "tau / share"),
]


def _frame(metrics: pd.DataFrame, citizens: int) -> pd.DataFrame:
    """The metrics plus the register's share of citizens (runs written before the ``citizens``
    column had a fixed population: ``citizens``)."""
    m = metrics.copy()
    if "register_listed" in m:
        m["register_listed_share"] = m["register_listed"] / (m["citizens"] if "citizens" in m else citizens)
    return m


def metric_title(metric: str) -> str:
    """A metric's meaning for a title (``scsim.metric_columns``), its name if it has none."""
    col = column(metric)
    if col is None or "/" in col.meaning:  # 'dissenter_cluster / citizens' says less than the name
        return metric.replace("_", " ")
    return col.meaning.split(" (")[0]


def honest_y(ax, low: float, label: str) -> None:
    """Start the y axis at zero when the values cannot be negative (``low`` = 0, a share or a
    count), so that a change of 1% does not fill the panel; otherwise, when the axis does not
    reach zero, say so in its label."""
    if low == 0:
        ax.set_ylim(bottom=0)
        ax.set_ylabel(label, fontsize=8)
        return
    bottom, top = ax.get_ylim()
    ax.set_ylabel(label + ("" if bottom <= 0 <= top else "\n(axis not from 0)"), fontsize=8)


def year_axis(ax, years: float) -> None:
    """Whole years on a date axis, one tick every 1, 2, 5 ... years (never 2017.5)."""
    import matplotlib.dates as mdates

    step = next(s for s in (1, 2, 5, 10, 20, 50, 100, 10**9) if years / s <= 8)
    ax.xaxis.set_major_locator(mdates.YearLocator(step))
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%Y"))


def run_figure(metrics: pd.DataFrame, scenario, title: str | None = None):
    """A matplotlib figure of ``metrics`` (a run's monthly rows) under ``scenario``'s calendar.
    A ``matplotlib.figure.Figure`` of its own (no pyplot state): a notebook shows it, a
    server can draw it from any thread."""
    from matplotlib.figure import Figure

    m = _frame(metrics, scenario.population.citizens)
    x = pd.to_datetime(m["date"], format="%Y-%m") if "date" in m else m["month"]
    fig = Figure(figsize=(17, 7.5))
    axes = fig.subplots(2, 4, sharex=True)
    marks = [(scenario.phases.optin_start, "opt-in"), (scenario.phases.mandatory_start, "mandatory")]
    # the dates the run's calendar reaches: only those are drawn, and named in the title
    shown = [(when, label) for when, label in marks if when is not None and "date" in m
             and x.min() <= pd.to_datetime(when, format="%Y-%m") <= x.max()]
    for ax, (name, series, unit) in zip(np.ravel(axes), PANELS):
        if series is None:
            series = [(c, c[5:].replace("_", " ")) for c in m.columns if c.startswith("priv_") and not c.endswith("_tau")]
        if name in ("scores", "privileges") and not scenario.scoring.enabled:
            series = []  # no score at all (the provocateur regime): nothing to show, say so
        drawn = 0
        for col, label in series:
            if col in m and m[col].notna().any():
                y = m[col].astype(float)
                ax.plot(x[y.notna()], y[y.notna()], label=label, lw=1.4, marker="." if y.notna().mean() < 0.5 else None, ms=4)
                drawn += 1
        ax.set_title(name, fontsize=10)
        if name == "scores":  # scores live in [min_score, max_score]: the axis shows that range
            ax.set_ylim(scenario.scoring.min_score, scenario.scoring.max_score)
            ax.set_ylabel(f"{unit} (axis: the score's range, from {scenario.scoring.min_score:g})", fontsize=8)
        else:
            honest_y(ax, 0, unit)  # every other panel counts or shares: from zero
        ax.tick_params(labelsize=7)
        if drawn:
            ax.legend(fontsize=7, loc="best", frameon=False)
        else:
            what = "this regime has no score" if not scenario.scoring.enabled else "not measured in this regime"
            ax.text(0.5, 0.5, what, ha="center", va="center", transform=ax.transAxes,
                    fontsize=9, color="0.4")
        for when, label in shown:
            ax.axvline(pd.to_datetime(when, format="%Y-%m"), color="0.5", ls="--", lw=0.8)
    if "date" in m:
        year_axis(axes[0][0], len(m) / 12)
    else:
        axes[1][0].set_xlabel("month", fontsize=8)
    for ax in axes[1]:
        ax.tick_params(axis="x", labelrotation=30)
    n = int(m["citizens"].iloc[-1]) if "citizens" in m else scenario.population.citizens
    dates = ", ".join(f"{label} {when}" for when, label in shown)
    fig.suptitle((title or f"{scenario.name}: {n:,} citizens, seed {scenario.run.seed}")
                 + (f"   (dashed: {dates})" if dates else ""), fontsize=12)
    fig.tight_layout()
    return fig


def save_run_figure(metrics: pd.DataFrame, scenario, path: str | Path, title: str | None = None) -> Path:
    """Write the figure to ``path`` (PNG, or any format matplotlib knows by the suffix)."""
    from .outputs import staged

    path = Path(path)
    fig = run_figure(metrics, scenario, title)
    with staged("plot:") as outputs:  # under a temporary name, renamed when whole
        fig.savefig(outputs.file(path), dpi=110)
    return path
