"""Vega-Lite specifications (Python dicts, the data inline) and the ego network's elements.

The server's pages and the standalone report embed the same specs; the browser draws them with
the vendored Vega-Lite (``static/app.js``). Dates are the run's calendar months ("YYYY-MM").
"""

from __future__ import annotations

import math

from ..scenario import Scenario, month_label

# the dashboard's panels: (title, [(metric column, label), ...])
PANELS = (
    ("Scores", [("score_mean", "mean"), ("score_p10", "10th percentile"), ("score_p90", "90th percentile")]),
    ("Privileges held (share)", [("priv_instant_loan", "instant loan"), ("priv_car_rental", "car rental"),
                                 ("priv_singapore_visa", "Singapore visa"), ("priv_schengen_visa", "Schengen visa")]),
    ("Speech (per capita a month)", [("would_post_per_capita", "would post"), ("posts_per_capita", "posted"),
                                     ("self_censorship_rate", "self-censorship rate")]),
    ("Sanctions and the register", [("sanctioned_share", "share sanctioned"), ("register_listed_share", "share listed")]),
    ("Ties a month", [("edges_cut_drag", "cut over drag"), ("edges_cut_churn", "cut by churn"), ("edges_made", "made")]),
    ("Fragmentation", [("giant_share", "largest component (share)"), ("isolated_high_tau", "isolated high-tau (share)")]),
    ("Dissenters", [("dissenter_cluster_share", "largest dissenter cluster (share)"),
                    ("dissenter_core", "organised core (share)")]),
)
METRIC_COLUMNS = sorted({c for _, cols in PANELS for c, _ in cols} - {"register_listed_share"}
                        | {"register_listed", "citizens", "dissenters"})
SCHEMA = "https://vega.github.io/schema/vega-lite/v6.json"  # an identifier: never fetched


def _num(x):
    """JSON-safe number (NaN and infinities become null)."""
    if x is None:
        return None
    x = float(x)
    return x if math.isfinite(x) else None


def phase_marks(sc: Scenario) -> list[dict]:
    """The opt-in and mandatory dates inside the run, as rule marks' data."""
    marks = []
    for label, when in (("opt-in", sc.phases.optin_start), ("mandatory", sc.phases.mandatory_start)):
        step = sc.step_of(when)
        if step is not None and 0 <= step < sc.run.months:
            marks.append({"date": when, "phase": label})
    return marks


def metrics_chart(metrics: list[dict], sc: Scenario) -> dict:
    """The run's monthly metrics, one panel a theme, over the calendar, phases marked."""
    panels = []
    for title, cols in PANELS:
        values = []
        for row in metrics:
            for col, label in cols:
                if col == "register_listed_share":
                    v = _num(row.get("register_listed"))
                    n = _num(row.get("citizens"))
                    v = v / n if v is not None and n else None
                else:
                    v = _num(row.get(col))
                if v is not None:
                    values.append({"date": row["date"], "series": label, "value": v})
        if not values:
            continue
        panels.append({
            "title": title, "width": 420, "height": 150,
            "layer": [
                {"data": {"values": values}, "mark": {"type": "line", "interpolate": "monotone"},
                 "encoding": {"x": {"field": "date", "type": "temporal", "title": None},
                              "y": {"field": "value", "type": "quantitative", "title": None,
                                    "scale": {"zero": title != "Scores"}},
                              "color": {"field": "series", "type": "nominal", "title": None,
                                        "legend": {"orient": "bottom", "columns": 2}}}},
                {"data": {"values": phase_marks(sc)}, "mark": {"type": "rule", "strokeDash": [4, 3], "color": "#888"},
                 "encoding": {"x": {"field": "date", "type": "temporal"}, "tooltip": {"field": "phase"}}},
            ],
            "resolve": {"scale": {"color": "independent"}}})
    return {"$schema": SCHEMA, "columns": 2, "concat": panels, "resolve": {"scale": {"color": "independent"}}}


def score_distribution(hist: list[dict], sc: Scenario) -> dict:
    """Published scores per 10-point bin, one snapshot month at a time (a slider picks it)."""
    months = sorted({r["month"] for r in hist})  # the snapshots with published scores
    index = {m: k for k, m in enumerate(months)}
    values = [{"snap": index[r["month"]], "date": month_label(sc.run.start, r["month"]), "bin": r["bin"],
               "citizens": r["citizens"]} for r in hist]
    last = max(len(months) - 1, 0)
    return {
        "$schema": SCHEMA, "width": 640, "height": 220, "data": {"values": values}, "usermeta": {"months": months},
        "params": [{"name": "snapshot", "value": last,
                    "bind": {"input": "range", "min": 0, "max": last, "step": 1, "name": "snapshot "}}],
        "transform": [{"filter": "datum.snap == snapshot"}],
        "layer": [
            {"mark": "bar", "encoding": {
                "x": {"field": "bin", "type": "quantitative", "bin": {"binned": True, "step": 10},
                      "scale": {"domain": [350, 950]}, "title": "published score"},
                "x2": {"expr": "datum.bin + 10"},
                "y": {"field": "citizens", "type": "quantitative", "title": "citizens"},
                "tooltip": [{"field": "bin"}, {"field": "citizens"}]}},
            {"mark": {"type": "text", "align": "right", "x": 630, "y": 10, "fontSize": 14},
             "transform": [{"aggregate": [{"op": "count", "as": "bins"}], "groupby": ["date"]}],
             "encoding": {"text": {"field": "date"}}},
        ]}


def at_snapshot(spec: dict, month: int) -> dict | None:
    """The score distribution (``score_distribution``) with its slider at snapshot ``month``
    (a copy; the cached spec is unchanged), or None when no snapshot with published scores
    was taken that month."""
    months = spec["usermeta"]["months"]
    if month not in months:
        return None
    return {**spec, "params": [{**spec["params"][0], "value": months.index(month)}]}


def tau_quartiles(rows: list[dict]) -> dict:
    """Privileges, positions and sanctions by tau quartile (1 = least independent)."""
    values = [{"quartile": f"Q{r['quartile']}", "what": k, "share": _num(v)}
              for r in rows for k, v in r.items() if k != "quartile"]
    return {"$schema": SCHEMA, "width": 640, "height": 220, "data": {"values": values},
            "mark": "bar", "encoding": {
                "x": {"field": "what", "type": "nominal", "title": None, "sort": None},
                "xOffset": {"field": "quartile"},
                "y": {"field": "share", "type": "quantitative", "title": "share of the quartile"},
                "color": {"field": "quartile", "type": "ordinal", "title": "tau quartile"},
                "tooltip": [{"field": "what"}, {"field": "quartile"}, {"field": "share", "format": ".3f"}]}}


def citizen_history(history: list[dict], sc: Scenario) -> dict:
    """The citizen's score at each snapshot, the privilege thresholds and the sanctions line marked."""
    values = [{"date": month_label(sc.run.start, r["month"]), "score": _num(r["score"]),
               "published": _num(r["published"])} for r in history]
    lines = [{"y": float(p.threshold), "what": p.name} for p in sc.privileges]
    if sc.sanctions.enabled:
        lines.append({"y": float(sc.sanctions.line), "what": "sanctions line"})
    return {"$schema": SCHEMA, "width": 520, "height": 200, "layer": [
        {"data": {"values": values}, "mark": {"type": "line", "point": True},
         "encoding": {"x": {"field": "date", "type": "temporal", "title": None},
                      "y": {"field": "score", "type": "quantitative", "scale": {"zero": False}, "title": "score"},
                      "tooltip": [{"field": "date"}, {"field": "score", "format": ".1f"},
                                  {"field": "published", "format": ".1f"}]}},
        {"data": {"values": lines}, "mark": {"type": "rule", "strokeDash": [2, 2], "color": "#999"},
         "encoding": {"y": {"field": "y", "type": "quantitative"}, "tooltip": {"field": "what"}}}]}


def ego_elements(i: int, score: float | None, friends, draggers: set[int], cut: list[dict], limit: int = 150) -> dict:
    """Cytoscape elements: the citizen, its friends (coloured by score, draggers marked) and the
    ties it lost (dashed); at most ``limit`` friends and ``limit // 3`` cut ties."""
    nodes = [{"data": {"id": str(i), "label": str(i), "score": _num(score), "role": "self"}}]
    edges = []
    for r in list(friends.itertuples())[:limit]:
        f = int(r.friend)
        role = "dragger" if f in draggers else ("family" if r.kind == "family" else "friend")
        nodes.append({"data": {"id": str(f), "label": str(f), "score": _num(r.friend_score), "role": role}})
        edges.append({"data": {"id": f"e{f}", "source": str(i), "target": str(f), "kind": "tie"}})
    for r in cut[: limit // 3]:
        f = int(r["citizen"])
        nodes.append({"data": {"id": str(f), "label": str(f), "score": _num(r["score"]), "role": "cut"}})
        edges.append({"data": {"id": f"c{f}", "source": str(i), "target": str(f), "kind": "cut"}})
    return {"nodes": nodes, "edges": edges}


def compare_runs_chart(series: dict[str, list[dict]], columns: list[str]) -> dict:
    """Monthly series of a few metrics, one line a run."""
    panels = []
    for col in columns:
        values = [{"date": r["date"], "run": name, "value": _num(r.get(col))}
                  for name, rows in series.items() for r in rows if _num(r.get(col)) is not None]
        if values:
            panels.append({"title": col, "width": 300, "height": 140, "data": {"values": values},
                           "mark": "line", "encoding": {
                               "x": {"field": "date", "type": "temporal", "title": None},
                               "y": {"field": "value", "type": "quantitative", "title": None},
                               "color": {"field": "run", "type": "nominal"}}})
    return {"$schema": SCHEMA, "columns": 2, "concat": panels}


def interval_chart(table: list[dict], group: str) -> dict:
    """Means with their 95% intervals, one panel a metric (``group``: the field on the x axis)."""
    values = [{k: (_num(v) if k in ("mean", "low", "high") else v) for k, v in r.items()} for r in table]
    return {"$schema": SCHEMA, "data": {"values": values}, "columns": 4,
            "facet": {"field": "metric", "type": "nominal", "title": None},
            "resolve": {"scale": {"y": "independent"}},
            "spec": {"width": 160, "height": 120, "layer": [
                {"mark": {"type": "point", "filled": True},
                 "encoding": {"x": {"field": group, "type": "nominal", "title": None},
                              "y": {"field": "mean", "type": "quantitative", "scale": {"zero": False}, "title": None}}},
                {"mark": "rule", "encoding": {"x": {"field": group, "type": "nominal"},
                                              "y": {"field": "low", "type": "quantitative"},
                                              "y2": {"field": "high"}}}]}}


def main_effects(summary: list[dict], parameters: list[str], metric: str) -> dict:
    """A sweep's main effects: ``metric`` against each parameter, every run a point, the mean by value a line."""
    values = [{"parameter": p, "value": _num(r.get(p)), "metric": _num(r.get(metric))}
              for r in summary for p in parameters if _num(r.get(p)) is not None and _num(r.get(metric)) is not None]
    return {"$schema": SCHEMA, "data": {"values": values},
            "facet": {"field": "parameter", "type": "nominal", "title": None}, "columns": 3,
            "resolve": {"scale": {"x": "independent"}},
            "spec": {"width": 240, "height": 180, "layer": [
                {"mark": {"type": "point", "opacity": 0.6},
                 "encoding": {"x": {"field": "value", "type": "quantitative", "title": None},
                              "y": {"field": "metric", "type": "quantitative", "title": metric}}},
                {"mark": {"type": "line", "color": "#c44"},
                 "transform": [{"loess": "metric", "on": "value"}],
                 "encoding": {"x": {"field": "value", "type": "quantitative"},
                              "y": {"field": "metric", "type": "quantitative"}}}]}}
