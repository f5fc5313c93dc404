"""One run at a glance: its monthly metrics as a figure (``scsim plot RUN``, ``Run.plot()``).

Eight panels, each a question the article raises, over the run's calendar, with the opt-in and
mandatory dates marked: what the scores look like, who holds privileges, who stops posting, who
is sanctioned or listed, who loses friends, how the network changes, what happens to dissenters
as a group, and what happens to independent thinking itself (generations, arrests). A panel whose
metrics are all NaN or absent (e.g. scores under the provocateur regime) says so instead.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

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


def run_figure(metrics: pd.DataFrame, scenario, title: str | None = None):
    """A matplotlib figure of ``metrics`` (a run's monthly rows) under ``scenario``'s calendar."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    m = _frame(metrics, scenario.population.citizens)
    x = pd.to_datetime(m["date"], format="%Y-%m") if "date" in m else m["month"]
    fig, axes = plt.subplots(2, 4, figsize=(17, 7.5), sharex=True)
    marks = [(scenario.phases.optin_start, "opt-in"), (scenario.phases.mandatory_start, "mandatory")]
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
        ax.set_ylabel(unit, fontsize=8)
        ax.tick_params(labelsize=7)
        if drawn:
            ax.legend(fontsize=7, loc="best", frameon=False)
        else:
            what = "this regime has no score" if not scenario.scoring.enabled else "not measured in this regime"
            ax.text(0.5, 0.5, what, ha="center", va="center", transform=ax.transAxes,
                    fontsize=9, color="0.4")
        for when, label in marks:
            if when is None or "date" not in m:
                continue
            t = pd.to_datetime(when, format="%Y-%m")
            if x.min() <= t <= x.max():
                ax.axvline(t, color="0.5", ls="--", lw=0.8)
    for ax in axes[1]:
        ax.tick_params(axis="x", labelrotation=30)
    n = int(m["citizens"].iloc[-1]) if "citizens" in m else scenario.population.citizens
    dates = ", ".join(f"{label} {when}" for when, label in marks if when is not None)
    fig.suptitle((title or f"{scenario.name}: {n:,} citizens, seed {scenario.run.seed}")
                 + (f"   (dashed: {dates})" if dates else ""), fontsize=12)
    fig.tight_layout()
    return fig


def save_run_figure(metrics: pd.DataFrame, scenario, path: str | Path, title: str | None = None) -> Path:
    """Write the figure to ``path`` (PNG, or any format matplotlib knows by the suffix)."""
    import matplotlib.pyplot as plt

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig = run_figure(metrics, scenario, title)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
