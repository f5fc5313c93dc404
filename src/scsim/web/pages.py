"""What each page shows, as a template's context: built from ``queries`` and the shared
explanation (``Run.explain``, the code behind ``scsim lookup``), so that the page and the command
line say the same things. The server (``app``) and the standalone report (``report``) both use it.
"""

from __future__ import annotations

import math

from ..experiments import interval
from ..results import Run, points
from ..scenario import OCCUPATIONS, month_label
from ..summary import KEY_METRICS
from . import charts, queries
from .sources import Source


SHOWN_EVENTS = 200  # ties cut and made listed on a citizen's page (all are counted)


def calendar(src: Source, month: int) -> str:
    return month_label(src.scenario.run.start, int(month))


def transitions(history: list[dict], src: Source) -> list[dict]:
    """Privileges gained and lost, sanctions and positions, between snapshots (month and what)."""
    sc = src.scenario
    out, prev = [], None
    for row in history:
        pub = row["published"]
        pub = None if pub is None or pub != pub else pub
        state = {p.name: pub is not None and pub >= p.threshold for p in sc.privileges}
        state["sanctioned"] = bool(row["sanctioned"])
        state["position"] = OCCUPATIONS[int(row["occupation"])]
        if prev is not None:
            when = calendar(src, row["month"])
            for p in sc.privileges:
                if state[p.name] != prev[p.name]:
                    out.append({"date": when, "what": f"{'gained' if state[p.name] else 'lost'} {p.name}"})
            if state["sanctioned"] != prev["sanctioned"]:
                out.append({"date": when, "what": "sanctioned" if state["sanctioned"] else "sanctions lifted"})
            if state["position"] != prev["position"]:
                out.append({"date": when, "what": f"position: {prev['position']} -> {state['position']}"})
        prev = state
    return out


def citizen(src: Source, i: int) -> dict:
    """The Credit China page of one citizen."""
    cur = src.cursor()
    ex = Run(src.scenario, None, src.path).explain(i, cur)
    history = queries.citizen_history(cur, i)
    events, n_events = queries.citizen_events(cur, i)
    cut = queries.cut_partners(cur, events, ex.friends["friend"])
    events = events[:SHOWN_EVENTS]
    for e in events:
        e["date"] = calendar(src, e["month"])
    draggers = ex.draggers
    ego = charts.ego_elements(i, ex.published if ex.published == ex.published else None, ex.friends,
                              set(draggers["friend"].astype(int)), cut)
    return {"ex": ex, "points": points, "history": history, "transitions": transitions(history, src),
            "events": events, "n_events": n_events, "draggers": draggers.head(ex.SHOWN).to_dict("records"),
            "more_draggers": max(0, len(draggers) - ex.SHOWN), "n_draggers": len(draggers), "ego": ego,
            "history_chart": charts.citizen_history(history, src.scenario), "cut": cut,
            "register_note": ex.register_note()}


def dashboard(src: Source) -> dict:
    cur = src.cursor()
    m = queries.metrics(cur, charts.METRIC_COLUMNS)
    return {"metrics_chart": charts.metrics_chart(m, src.scenario),
            "score_chart": charts.score_distribution(queries.score_histogram(cur), src.scenario),
            "tau_chart": charts.tau_quartiles(queries.by_tau_quartile(cur, src.scenario.privileges)),
            "phases": charts.phase_marks(src.scenario)}


def run_means(src: Source, window: int) -> dict[str, list[float]]:
    """Each key metric's values over the run's final ``window`` months."""
    cur = src.cursor()
    rows = queries.metrics(cur, list(KEY_METRICS))[-window:]
    return {k: [r[k] for r in rows] for k in KEY_METRICS if rows and k in rows[0]}


def compare_runs(sources: list[Source], window: int = 12) -> dict:
    """Runs side by side: each key metric's mean over the final months, and each run's difference
    from the first with a 95% interval over those months (paired month by month: within-run
    variation, not over seeds; ``scsim compare`` gives intervals over seeds)."""
    base = run_means(sources[0], window)
    table, chart_rows = [], []
    means = [run_means(s, window) for s in sources]
    for metric in KEY_METRICS:
        if metric not in base:
            continue
        row = {"metric": metric, "runs": []}
        for src, m in zip(sources, means):
            vals = [v for v in m.get(metric, []) if v is not None and not math.isnan(v)]
            mean, lo, hi = interval(vals)[:3]
            pairs = [a - b for a, b in zip(m.get(metric, []), base[metric])
                     if a is not None and b is not None and not (math.isnan(a) or math.isnan(b))]
            d, dlo, dhi = interval(pairs)[:3] if src is not sources[0] else (0.0, 0.0, 0.0)
            row["runs"].append({"mean": mean, "low": lo, "high": hi, "diff": d, "diff_low": dlo, "diff_high": dhi})
            chart_rows.append({"metric": metric, "run": src.name, "mean": mean, "low": lo, "high": hi})
        table.append(row)
    series = {s.name: queries.metrics(s.cursor(), ["score_mean", "posts_per_capita", "register_listed",
                                                   "dissenter_cluster_share"]) for s in sources}
    return {"runs": sources, "table": table, "window": window,
            "means_chart": charts.interval_chart(chart_rows, "run"),
            "series_chart": charts.compare_runs_chart(series, ["score_mean", "posts_per_capita", "register_listed",
                                                               "dissenter_cluster_share"])}


def compare_folder(src: Source) -> dict:
    """A ``scsim compare`` output: its table of means and differences, as written."""
    import pandas as pd

    t = pd.read_csv(src.path / "compare.csv")
    rows = t.to_dict("records")
    return {"rows": rows, "means_chart": charts.interval_chart(
        [{k: r[k] for k in ("metric", "regime", "mean", "low", "high")} for r in rows], "regime")}


def sweep(src: Source, metric: str | None) -> dict:
    """A sweep's runs and the main effects of its parameters on ``metric``."""
    cur = src.cursor()
    runs_cols = [r[0] for r in cur.execute("DESCRIBE runs").fetchall()]
    params = [c for c in runs_cols if c not in ("run_id", "point", "seed")]
    summary = queries.rows(cur, "SELECT * FROM summary ORDER BY run_id")
    metrics = [m for m in KEY_METRICS if summary and m in summary[0]
               and any(r[m] is not None and r[m] == r[m] for r in summary)]
    metric = metric if metric in metrics else (metrics[0] if metrics else None)
    return {"params": params, "summary": summary, "metrics": metrics, "metric": metric,
            "columns": ["run_id", "point", "seed", *params, *metrics],
            "effects_chart": charts.main_effects(summary, params, metric) if metric else None}
