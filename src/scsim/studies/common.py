"""What every study shares: its settings file, its runs, intervals over seeds, and plots.

A study lives in a folder (``studies/NAME/``) with ``study.toml``:

    study = "chilling-effect"        # which analysis (scsim.studies.STUDIES)
    regimes = ["western", "social-credit-2020"]
    baseline = "western"             # differences are paired by seed against it
    seeds = 10                       # seeds 1..seeds, common random numbers across regimes
    citizens = 20000
    months = 180
    [set]                            # overrides for every run ("section.key" = value)
    [assumption]                     # the sweep that shows what the answer depends on
    regime = "social-credit-2020"
    parameter = "scoring.political.penalty_opinion"
    values = [0.0, 20.0, 40.0, 80.0]
    seeds = 5
    [variants.no-seeking]            # a regime that is a preset with overrides (a mechanism check)
    preset = "social-credit-2020"
    set = { "behaviour.ties.score_seeking" = 0.0 }
    [fast]                           # the test suite's sizes (--fast)
    citizens = 400
    months = 72
    seeds = 2

With ``--edgelist PATH`` every run uses that network (e.g. the SNAP ego-Facebook graph) and the
population is sized to it.
"""

from __future__ import annotations

import math
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from ..errors import InputError
from matplotlib.ticker import MaxNLocator

from .. import plots, tables
from ..summary import difference_range, interval, metric_range, unit
from ..parallel import map_runs
from ..scenario import Scenario, load_preset, preset_names


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Assumption(_Strict):
    regime: str
    parameter: str
    values: list[Any] = Field(min_length=2)
    seeds: int = Field(5, ge=2)
    also: dict[str, list[Any]] = Field(default_factory=dict)  # a second parameter: a grid with the first


class Variant(_Strict):
    """A regime of the study that is a preset with overrides: it switches one mechanism off or on."""

    preset: str
    set: dict[str, Any] = Field(default_factory=dict)


class Factor(_Strict):
    """One factor of a Sobol design: a range for one scenario key, or for several set together
    (``keys``); ``relative``: the value multiplies each key's value in the study's first regime."""

    keys: list[str] = Field(default_factory=list)  # default: the factor's own name
    low: float
    high: float
    relative: bool = False

    @model_validator(mode="after")
    def _range(self):
        if not self.low < self.high:
            raise ValueError(f"empty range (low {self.low} must be below high {self.high})")
        return self


class SobolDesign(_Strict):
    """A global sensitivity analysis (studies/sensitivity): Saltelli's points over the factors'
    argued ranges, every point run in every regime on one seed (common random numbers)."""

    samples: int = Field(16, ge=2)  # N, a power of two: N x (2D + 2) points
    seed: int = Field(1, ge=0)
    factors: dict[str, Factor] = Field(min_length=2)

    @model_validator(mode="after")
    def _power_of_two(self):
        if self.samples & (self.samples - 1):
            raise ValueError(f"samples must be a power of two, not {self.samples}")
        return self


class Fast(_Strict):
    citizens: int = Field(400, ge=10)
    months: int = Field(72, ge=2)
    seeds: int = Field(2, ge=1)
    values: int = Field(2, ge=2)  # the assumption sweep keeps this many of its values (first and last)


class StudySpec(_Strict):
    study: str
    title: str = ""
    regimes: list[str] = Field(min_length=1)
    baseline: str | None = None
    seeds: int = Field(10, ge=1)  # (1: only a Sobol design, whose points share one seed)
    citizens: int = Field(20_000, ge=10)
    months: int = Field(180, ge=2)
    window: int = Field(12, ge=1)
    set: dict[str, Any] = Field(default_factory=dict)
    regime_set: dict[str, dict[str, Any]] = Field(default_factory=dict)  # overrides for one regime only
    variants: dict[str, Variant] = Field(default_factory=dict)
    sobol: SobolDesign | None = None
    assumption: Assumption | None = None
    fast: Fast = Field(default_factory=Fast)

    @model_validator(mode="after")
    def _names(self):
        known = preset_names()
        for name, v in self.variants.items():
            if v.preset not in known:
                raise ValueError(f"variant '{name}': unknown preset '{v.preset}' (presets: {', '.join(known)})")
        for r in [*self.regimes, *([self.assumption.regime] if self.assumption else [])]:
            if r not in known and r not in self.variants:
                raise ValueError(f"unknown regime '{r}' (presets: {', '.join(known)}; or a [variants] entry)")
        if self.baseline is not None and self.baseline not in self.regimes:
            raise ValueError(f"baseline '{self.baseline}' is not one of the regimes")
        return self

    def regime(self, name: str) -> tuple[str, dict[str, Any]]:
        """(preset, overrides) of one of the study's regimes: a preset, or a variant of one."""
        if name in self.variants:
            v = self.variants[name]
            return v.preset, {**self.set, **self.regime_set.get(v.preset, {}), **v.set}
        return name, {**self.set, **self.regime_set.get(name, {})}

    def shrunk(self) -> "StudySpec":
        """The --fast version: the test suite's sizes, the assumption's first and last values."""
        f = self.fast
        a = self.assumption
        if a is not None:
            keep = lambda v: v if len(v) <= f.values else [v[0], v[-1]]  # noqa: E731
            a = a.model_copy(update={"values": keep(a.values), "seeds": f.seeds,
                                     "also": {k: keep(v) for k, v in a.also.items()}})
        sobol = self.sobol.model_copy(update={"samples": 2}) if self.sobol is not None else None
        return self.model_copy(update={"citizens": f.citizens, "months": f.months, "seeds": f.seeds,
                                       "window": min(self.window, f.months), "assumption": a, "sobol": sobol})


def load_spec(folder: Path) -> StudySpec:
    path = Path(folder) / "study.toml"
    if not path.is_file():
        raise InputError(f"{folder}: not a study folder (no study.toml)")
    try:
        data = tomllib.loads(path.read_text())
        return StudySpec(**data)
    except tomllib.TOMLDecodeError as e:
        raise InputError(f"{path}: {e}") from None
    except ValidationError as e:
        err = e.errors()[0]
        where = ".".join(str(x) for x in err["loc"]) or "file"
        raise InputError(f"{path}: {where}: {err['msg']}") from None


@dataclass
class Setting:
    """Where the runs happen: synthetic citizens, or a real network's anonymous structure."""

    citizens: int
    months: int
    edgelist: Path | None = None
    workers: int = 1  # > 1: runs side by side on a local Dask cluster (scsim.parallel.local_client)
    client: Any = None  # a Dask client: runs on that cluster instead (scsim study --scheduler)
    table_format: str | None = None  # tables also as LaTeX ('latex') or text ('text'), beside the Markdown

    def scenario(self, preset: str, seed: int, overrides: dict[str, Any]) -> Scenario:
        over = {"run.seed": seed, "run.months": self.months, "population.citizens": self.citizens}
        if self.edgelist is not None:
            over.update({"network.model": "edgelist", "network.path": str(self.edgelist)})
        return load_preset(preset).with_overrides(**{**over, **overrides})

    def regime(self, spec: "StudySpec", name: str, seed: int, extra: dict[str, Any] | None = None) -> Scenario:
        """The scenario of one of ``spec``'s regimes (a preset or a variant) on ``seed``."""
        preset, overrides = spec.regime(name)
        return self.scenario(preset, seed, {**overrides, **(extra or {})})


def run_one(labels: dict, sc: Scenario, columns: list[str] | None) -> pd.DataFrame:
    """One run's monthly metrics (only ``columns``), with its labels as leading columns."""
    from ..engine import Simulation

    m = pd.DataFrame(Simulation(sc).run())
    if columns is not None:
        m = m[["month", *[c for c in columns if c in m]]]
    for k, v in reversed(labels.items()):
        m.insert(0, k, v)
    return m


def run_all(jobs: list[tuple[dict, Scenario]], progress: bool, columns: list[str] | None = None,
            workers: int = 1, client=None) -> pd.DataFrame:
    """Run every (labels, scenario) job; one row per run and month, in the jobs' order whatever
    the number of workers or the cluster (scsim.parallel.map_runs)."""
    frames = map_runs(run_one, [(labels, sc, columns) for labels, sc in jobs], progress, workers, client)
    return pd.concat(frames, ignore_index=True)


def regime_runs(spec: StudySpec, setting: Setting, progress: bool, columns: list[str]) -> pd.DataFrame:
    """Every regime on seeds 1..seeds (common random numbers)."""
    jobs = [({"regime": r, "seed": s}, setting.regime(spec, r, s)) for s in range(1, spec.seeds + 1) for r in spec.regimes]
    return run_all(jobs, progress, columns, setting.workers, setting.client)


def assumption_runs(spec: StudySpec, setting: Setting, progress: bool, columns: list[str]) -> pd.DataFrame:
    """The assumption's regime at every value (grid with ``also``), seeds 1..seeds."""
    a = spec.assumption
    grid = [{a.parameter: v} for v in a.values]
    for key, values in a.also.items():
        grid = [{**g, key: v} for g in grid for v in values]
    jobs = [({**{k.split(".")[-1]: v for k, v in g.items()}, "seed": s}, setting.regime(spec, a.regime, s, g))
            for g in grid for s in range(1, a.seeds + 1)]
    return run_all(jobs, progress, columns, setting.workers, setting.client)


def window_means(runs: pd.DataFrame, metrics: list[str], months: slice, by: list[str]) -> pd.DataFrame:
    """Per run (``by`` + seed): the mean of each metric over months in ``months`` (NaN ignored)."""
    sel = runs[(runs.month >= months.start) & (runs.month < months.stop)]
    return sel.groupby([*by, "seed"], sort=False)[metrics].mean().reset_index()


def table(per_run: pd.DataFrame, metrics: list[str], group: str, baseline=None, change: bool = False) -> pd.DataFrame:
    """Per metric and group: mean [95% CI] over seeds, and the paired difference from ``baseline``
    (NaN for the baseline itself). Intervals stay in the metric's range (a ``change``, a
    difference between two windows, in the range of a difference)."""
    rows = []
    base = per_run[per_run[group] == baseline].set_index("seed") if baseline is not None else None
    for metric in metrics:
        for key, g in per_run.groupby(group, sort=False):
            g = g.set_index("seed")
            own = interval(g[metric], bounds=difference_range(metric) if change else metric_range(metric))
            row = {"metric": metric, group: key, "mean": own.mean, "low": own.low, "high": own.high, "n": own.n,
                   "clipped": own.clipped}
            if base is not None:
                seeds = g.index.intersection(base.index)
                d = interval(g.loc[seeds, metric] - base.loc[seeds, metric], bounds=difference_range(metric)) \
                    if key != baseline else interval([])
                row.update(diff=d.mean, diff_low=d.low, diff_high=d.high, diff_clipped=d.clipped)
            rows.append(row)
    return pd.DataFrame(rows)


def write_tables(out: Path, name: str, displays: list[tables.Display], table_format: str | None = None) -> None:
    """``name``.md (the tables for a paper, ``scsim.tables``) and, for ``table_format`` 'latex'
    or 'text', ``name``.tex or ``name``.txt as well."""
    (out / f"{name}.md").write_text("\n".join(tables.render(d, "markdown") for d in displays))
    if table_format not in (None, "markdown"):
        suffix = {v: k for k, v in tables.SUFFIXES.items()}[table_format]
        (out / f"{name}{suffix}").write_text("\n".join(tables.render(d, table_format) for d in displays))


def band(ax, runs: pd.DataFrame, metric: str, group: str, start: str = "2015-01", label_fmt="{}"):
    """Mean over seeds per month with a 95% band, one line per group; x axis in whole years,
    titled by the metric's meaning, the y axis labelled with its unit and from zero for a
    metric that cannot be negative (``scsim.plots``)."""
    from scipy import stats

    y0, m0 = map(int, start.split("-"))
    for key, g in runs.groupby(group, sort=False):
        wide = g.pivot_table(index="month", columns="seed", values=metric)
        k = wide.notna().sum(axis=1)
        mean = wide.mean(axis=1)
        half = stats.t.ppf(0.975, np.maximum(k - 1, 1)) * wide.std(axis=1, ddof=1) / np.sqrt(k)
        ok = mean.notna()
        x = y0 + (m0 - 1 + mean.index[ok]) / 12
        lo, hi = metric_range(metric)
        ax.plot(x, mean[ok], label=label_fmt.format(key))
        ax.fill_between(x, (mean - half)[ok].clip(lo, hi), (mean + half)[ok].clip(lo, hi), alpha=0.2)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_title(plots.metric_title(metric), fontsize=9)
    plots.honest_y(ax, metric_range(metric)[0], unit(metric) or metric)


def save(fig, path: Path) -> Path:
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    import matplotlib.pyplot as plt

    plt.close(fig)
    return path


def figure(rows: int, cols: int, width: float = 4.2, height: float = 3.0):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(rows, cols, figsize=(width * cols, height * rows), squeeze=False)
    return fig, axes.ravel()


def fmt(mean: float, lo: float, hi: float, digits: int = 3) -> str:
    """'0.123 [0.110, 0.136]' (no interval: the mean alone), for results.json and small tables."""
    if mean is None or not math.isfinite(mean):
        return "-"
    if lo is None or not math.isfinite(lo):
        return f"{mean:.{digits}g}"
    return f"{mean:.{digits}g} [{lo:.{digits}g}, {hi:.{digits}g}]"


def headline(t: pd.DataFrame, group: str, metric: str, key, diff: bool = False) -> str:
    """One cell of a table as 'mean [low, high]' (or the difference from the baseline)."""
    r = t[(t[group] == key) & (t.metric == metric)].iloc[0]
    if diff:
        return tables.cell(metric, r["diff"], r["diff_low"], r["diff_high"], bool(r["diff_clipped"]), difference=True)
    return tables.cell(metric, r["mean"], r["low"], r["high"], bool(r["clipped"]))


def write_table(t: pd.DataFrame, group: str, out: Path, caption: str, baseline=None, name: str = "table",
                table_format: str | None = None) -> None:
    """``name``.csv (the numbers) and the table for a paper (``write_tables``)."""
    t.to_csv(out / f"{name}.csv", index=False)
    write_tables(out, name, [tables.display(t, group, caption, baseline)], table_format)


def final_year(spec: StudySpec) -> slice:
    """The months whose mean summarises a run: the final ``window`` months."""
    return slice(spec.months - spec.window, spec.months)


def regime_table(spec: StudySpec, setting: Setting, runs: pd.DataFrame, metrics: list[str],
                 out: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per run, the final-year mean of each metric; per regime, the mean [95% CI] and the paired
    difference from the baseline, written as table.csv and table.md. Returns (per run, table)."""
    per_run = window_means(runs, metrics, final_year(spec), ["regime"])
    base = spec.baseline or spec.regimes[0]
    t = table(per_run, metrics, "regime", base)
    write_table(t, "regime", out, f"{spec.title or spec.study}: mean of each run's final {spec.window} months", base,
                table_format=setting.table_format)
    return per_run, t


def assumption_sweep(spec: StudySpec, setting: Setting, out: Path, progress: bool, metrics: list[str],
                     window: slice, derive=None) -> dict:
    """Run the assumption's sweep; write assumption.csv / .md / .png: each metric over the final
    ``window`` against the swept value (one line per value of a second parameter, if any)."""
    a = spec.assumption
    name = a.parameter.split(".")[-1]
    second = [k.split(".")[-1] for k in a.also][:1]
    runs = assumption_runs(spec, setting, progress, sorted(set(metrics) | set(getattr(derive, "needs", []))))
    if derive is not None:
        runs = derive(runs)
    per_run = window_means(runs, metrics, window, [name, *second])
    groups = [name, *second]
    rows = []
    for key, g in per_run.groupby(groups, sort=False):
        key = key if isinstance(key, tuple) else (key,)
        for metric in metrics:
            own = interval(g[metric], bounds=metric_range(metric))
            rows.append({**dict(zip(groups, key)), "metric": metric, "mean": own.mean, "low": own.low,
                         "high": own.high, "n": own.n, "clipped": own.clipped})
    t = pd.DataFrame(rows)
    t.to_csv(out / "assumption.csv", index=False)
    write_tables(out, "assumption", [tables.display(t, groups, f"{a.regime} as {a.parameter} varies: mean of each "
                                                    f"run's final {window.stop - window.start} months")],
                 setting.table_format)
    fig, ax = figure(1, len(metrics))
    for axis, metric in zip(ax, metrics):
        d = t[t.metric == metric]
        for key, line in (d.groupby(second[0], sort=False) if second else [(None, d)]):
            x = np.asarray(line[name], float)
            err = np.nan_to_num(np.vstack([line["mean"] - line["low"], line["high"] - line["mean"]]))
            axis.errorbar(x, line["mean"], yerr=err, marker="o", capsize=3,
                          label=None if key is None else f"{second[0]} = {key}")
        axis.set_xlabel(a.parameter)
        axis.set_title(f"{plots.metric_title(metric)}\n({a.regime}, final {window.stop - window.start} months)",
                       fontsize=9)
        plots.honest_y(axis, metric_range(metric)[0], unit(metric) or metric)
        if second:
            axis.legend(fontsize=7)
    save(fig, out / "assumption.png")
    return {f"{r['metric']} at " + ", ".join(f"{g}={r[g]}" for g in groups):
            tables.cell(r["metric"], r["mean"], r["low"], r["high"], bool(r["clipped"])) for r in t.to_dict("records")}
