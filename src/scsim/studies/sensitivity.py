"""What decides the answers: a global sensitivity analysis (Sobol indices) of the four studies'
headline metrics over the drivers' argued ranges (the study file's ``[sobol]``), and each
headline's interval over those ranges.

Every Saltelli point runs in every regime of the study on one seed (common random numbers
across points and regimes), so each point pairs social credit with provocateurs and, run again
with ``--edgelist``, a synthetic network with the real one. First-order (S1) and total (ST)
indices come with 95% bootstrap half-widths (SALib); seed noise is part of what no parameter
explains, so the indices add up to less than one.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ..scenario import load_preset
from ..sweep.sensitivity import indices, saltelli_points
from .common import Setting, StudySpec, figure, final_year, run_all, save, window_means

COLUMNS = ["self_censorship_rate", "posts_per_capita", "degree_high_tau", "degree_rest", "dissenter_core",
           "register_listed", "sanctioned_share"]
SOCIAL_CREDIT, PROVOCATEUR = "social-credit-2020", "provocateur"


def headlines(per_run: pd.DataFrame, citizens: int) -> dict[str, np.ndarray]:
    """The headline of each study at every point: social credit's self-censorship and posts
    (chilling), its degree gap of high-tau citizens (exile), its dissenters' core and the
    difference from provocateurs at the same point (stasi), its register's share (calibration)."""
    wide = per_run.pivot_table(index="point", columns="regime", values=COLUMNS).sort_index()
    sc = lambda c: wide[(c, SOCIAL_CREDIT)].to_numpy(float)  # noqa: E731
    out = {"self-censorship (social credit)": sc("self_censorship_rate"),
           "unapproved posts per capita (social credit)": sc("posts_per_capita"),
           "degree gap, high tau minus rest (social credit)": sc("degree_high_tau") - sc("degree_rest"),
           "dissenters' core (social credit)": sc("dissenter_core"),
           "citizens on the register (social credit)": sc("register_listed") / citizens}
    if (("dissenter_core", PROVOCATEUR)) in wide:
        out["dissenters' core (provocateurs)"] = wide[("dissenter_core", PROVOCATEUR)].to_numpy(float)
        out["core: social credit minus provocateurs"] = sc("dissenter_core") - out["dissenters' core (provocateurs)"]
    return out


def point_overrides(spec: StudySpec, point: np.ndarray) -> dict:
    """Scenario overrides of one point: each factor's value on each of its keys (relative
    factors multiply the key's value in the study's first regime)."""
    preset, base = spec.regime(spec.regimes[0])
    reference = load_preset(preset).with_overrides(**base)
    over = {}
    for (name, f), x in zip(spec.sobol.factors.items(), point):
        for key in f.keys or [name]:
            value = float(x)
            if f.relative:
                value *= float(_get(reference, key))
            over[key] = value
    return over


def _get(obj, dotted: str):
    for part in dotted.split("."):
        obj = getattr(obj, part)
    return obj


def analyse(spec: StudySpec, setting: Setting, out: Path, progress: bool) -> dict:
    design = spec.sobol
    names = list(design.factors)
    bounds = [(f.low, f.high) for f in design.factors.values()]
    points = saltelli_points(names, bounds, design.samples, design.seed)
    pd.DataFrame(points, columns=names).rename_axis("point").to_csv(out / "points.csv")
    jobs = [({"point": k, "regime": r, "seed": 1}, setting.regime(spec, r, 1, point_overrides(spec, x)))
            for k, x in enumerate(points) for r in spec.regimes]
    runs = run_all(jobs, progress, COLUMNS, setting.workers, setting.client)
    per_run = window_means(runs, COLUMNS, final_year(spec), ["point", "regime"])
    per_run.to_csv(out / "runs.csv", index=False)
    outputs = headlines(per_run, setting.citizens)
    t = indices(names, bounds, outputs, design.seed)
    t.to_csv(out / "sobol.csv", index=False)
    ranges = pd.DataFrame([{"metric": m, "mean": float(np.mean(y)), "low": float(np.quantile(y, 0.025)),
                            "high": float(np.quantile(y, 0.975))} for m, y in outputs.items()])
    ranges.to_csv(out / "ranges.csv", index=False)
    write_markdown(t, ranges, names, out)
    sobol_figure(t, names, out)
    top = {m: [f"{r.parameter} (ST {r.ST:.2f} +- {r.ST_conf:.2f})"
               for r in t[t.metric == m].sort_values("ST", ascending=False).head(3).itertuples()]
           for m in outputs}
    return {"points": len(points), "runs": len(jobs),
            "over_ranges": {r.metric: f"{r.mean:.3g} [{r.low:.3g}, {r.high:.3g}]" for r in ranges.itertuples()},
            "decided_by": top}


def write_markdown(t: pd.DataFrame, ranges: pd.DataFrame, names: list[str], out: Path) -> None:
    lines = ["Total (ST) and first-order (S1) Sobol indices, +- 95% bootstrap half-widths.", "",
             "| metric | " + " | ".join(names) + " |", "|---|" + "---|" * len(names)]
    for metric, g in t.groupby("metric", sort=False):
        g = g.set_index("parameter")
        cells = [f"ST {g.loc[n, 'ST']:.2f}+-{g.loc[n, 'ST_conf']:.2f}, S1 {g.loc[n, 'S1']:.2f}" for n in names]
        lines.append(f"| {metric} | " + " | ".join(cells) + " |")
    lines += ["", "Each headline over the factors' ranges: mean [2.5%, 97.5%] over the points.", "",
              "| metric | mean [2.5%, 97.5%] |", "|---|---|"]
    lines += [f"| {r.metric} | {r.mean:.3g} [{r.low:.3g}, {r.high:.3g}] |" for r in ranges.itertuples()]
    (out / "sobol.md").write_text("\n".join(lines) + "\n")


def sobol_figure(t: pd.DataFrame, names: list[str], out: Path) -> None:
    metrics = list(dict.fromkeys(t.metric))
    cols = 4
    rows = max(1, -(-len(metrics) // cols))
    fig, ax = figure(rows, cols, width=4.0, height=3.2)
    y = np.arange(len(names))
    for axis, metric in zip(ax, metrics):
        g = t[t.metric == metric].set_index("parameter").loc[names]
        axis.barh(y + 0.2, g.ST, 0.4, xerr=g.ST_conf, label="total (ST)", capsize=2)
        axis.barh(y - 0.2, g.S1, 0.4, xerr=g.S1_conf, label="first order (S1)", capsize=2)
        axis.set_yticks(y, [n.split(".")[-1] for n in names], fontsize=7)
        axis.set_xlim(left=min(0.0, float((g.S1 - g.S1_conf).min())))
        axis.set_xlabel("Sobol index (share of variance)")
        axis.set_title(metric, fontsize=8)
    for axis in ax[len(metrics):]:
        axis.axis("off")
    ax[0].legend(fontsize=6)
    save(fig, out / "sobol.png")
