"""Parameter sweeps: many runs of one scenario over a design of points and seeds, on Dask.

A sweep file (TOML, docs/sweeps.md) names a base scenario, fixed overrides (``[set]``), the
parameters to vary (``[vary]``) and a design: ``grid`` (every combination of value lists),
``lhs`` (a Latin hypercube over ranges, SciPy's QMC) or ``sobol`` (Saltelli's scheme from SALib,
analysed into first-order and total sensitivity indices). Every point runs on seeds 1..S, the
same seeds at every point (common random numbers, as in ``scsim compare``).

Everything the file says is checked before anything is created on disk: the keys, the design,
and the scenario of every design point (so a value out of a parameter's range fails early and
names the point). A bad scheduler address fails the same way, before any run starts.

Each run executes on a Dask worker and writes ``runs/<run_id>.parquet`` (to a temporary name,
then renamed) when it ends, so results are never all in memory and a rerun skips the runs whose
file exists: an interrupted sweep resumes. A run depends only on its scenario and seed, so the
combined tables do not depend on how many workers ran them. When the runs are done, the sweep
folder gets ``sweep.duckdb`` (tables ``runs``, ``metrics``, ``summary`` and, for Sobol designs,
``sobol``), ``summary.csv`` and ``sobol.csv``.
"""

from __future__ import annotations

import contextlib
import difflib
import hashlib
import itertools
import json
import math
import os
import tomllib
import uuid
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from .errors import InputError
from .parallel import check_cluster_options, client_and_threads, connect
from .parallel import cluster, local_client, map_runs, numba_threads  # noqa: F401 (the names scsim.sweep had)
from .scenario import Scenario, load_preset, load_scenario
from .summary import KEY_METRICS, run_summary

RUNS_DIR = "runs"
DB_NAME = "sweep.duckdb"
MANIFEST = "sweep.json"
SECTIONS = ("sweep", "set", "vary")


# ---------------------------------------------------------------- the sweep file


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SweepOptions(_Strict):
    """The ``[sweep]`` table."""

    name: str | None = Field(None, description="sweep name (default: the file's name); the default out folder is sweeps/NAME")
    base: str = Field("social-credit-2020", description="a preset name, or a scenario file (.toml) relative to the sweep file")
    design: Literal["grid", "lhs", "sobol"] = Field(..., description="grid, lhs (Latin hypercube) or sobol (Saltelli)")
    samples: int | None = Field(None, ge=1, description="lhs: points; sobol: N (points = N * (2D + 2)); unused by grid")
    seeds: int = Field(1, ge=1, le=10_000, description="runs per point, on seeds 1..seeds")
    seed: int = Field(1, ge=0, description="seed of the design itself (lhs sampling, sobol scrambling, bootstrap)")
    window: int = Field(12, ge=1, description="final months averaged into each run's summary")


class Range(_Strict):
    """A ``{ low = .., high = .. }`` range to sample (lhs, sobol)."""

    low: float
    high: float


@dataclass(frozen=True)
class Parameter:
    """One varied scenario key: a list of values (grid) or a range (lhs, sobol)."""

    key: str
    kind: str  # "int", "float" or "other" (the scenario field's type)
    values: tuple | None = None
    low: float | None = None
    high: float | None = None


@dataclass
class SweepSpec:
    """A validated sweep: the base scenario with ``[set]`` applied, and what to vary."""

    source: str  # the sweep file, for messages
    name: str
    options: SweepOptions
    base: Scenario
    fixed: dict[str, Any]
    params: list[Parameter]

    @property
    def keys(self) -> list[str]:
        return [p.key for p in self.params]


def load_sweep(path: str | Path) -> SweepSpec:
    """Read and validate a sweep file (one-line ``InputError`` naming the file and key)."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: no such sweep file")
    try:
        data = tomllib.loads(path.read_text())
    except (OSError, UnicodeDecodeError) as e:
        raise InputError(f"{path}: cannot read: {e}") from None
    except tomllib.TOMLDecodeError as e:
        raise InputError(f"{path}: not valid TOML: {e}") from None
    return parse_sweep(data, str(path), path.parent, default_name=path.stem)


def parse_sweep(data: dict, source: str, root: Path, default_name: str = "sweep") -> SweepSpec:
    """Validate a parsed sweep file; ``root`` is where a relative ``base`` file is looked up."""
    for key in data:
        if key not in SECTIONS:
            raise InputError(f"{source}: unknown key '{key}'{_hint(key, SECTIONS)}")
    if "sweep" not in data:
        raise InputError(f"{source}: a [sweep] table is needed (base, design, samples, seeds)")
    options = _validate_options(data["sweep"], source)
    fixed = _flatten(_table(data, "set", source), source, "set", ranges=False)
    vary = _flatten(_table(data, "vary", source), source, "vary", ranges=True)
    for key in vary:
        if key in fixed:
            raise InputError(f"{source}: '{key}' is both in [set] and in [vary]")
    base = _apply(_base_scenario(options.base, root, source), fixed, source)
    params = [_parameter(key, value, options.design, source) for key, value in vary.items()]
    if not params:
        raise InputError(f"{source}: vary: name at least one scenario key to vary")
    _check_design(options, params, source)
    spec = SweepSpec(source, options.name or default_name, options, base, fixed, params)
    _check_range_ends(spec)
    return spec


def _validate_options(table: Any, source: str) -> SweepOptions:
    if not isinstance(table, dict):
        raise InputError(f"{source}: sweep: must be a table")
    try:
        return SweepOptions.model_validate(table)
    except ValidationError as e:
        raise InputError(_one_line(e, f"{source}: ", "sweep.", SweepOptions.model_fields)) from None


def _one_line(e: ValidationError, head: str, prefix: str, fields) -> str:
    """A pydantic error as one line: an unknown key with the closest valid one, or what is wrong."""
    err = _first_error(e)
    where = ".".join(str(p) for p in err["loc"])
    if err["type"] == "extra_forbidden":
        return f"{head}unknown key '{prefix}{where}'{_hint(where, fields)}"
    return f"{head}{prefix}{where}: {err['msg'].removeprefix('Value error, ')}"


def _first_error(e: ValidationError) -> dict:
    """A misspelt key first: its 'did you mean' explains the 'field required' that follows."""
    return sorted(e.errors(), key=lambda err: err["type"] != "extra_forbidden")[0]


def _table(data: dict, name: str, source: str) -> dict:
    table = data.get(name, {})
    if not isinstance(table, dict):
        raise InputError(f"{source}: {name}: must be a table of scenario keys")
    return table


def _hint(word: str, choices) -> str:
    close = difflib.get_close_matches(word, list(choices), n=1)
    return f" (did you mean '{close[0]}'?)" if close else ""


# ---------------------------------------------------------------- scenario keys


def _walk_fields(model: type[BaseModel] = Scenario, prefix: str = ""):
    """(dotted key, field) for every field of the scenario schema, sections included."""
    for name, f in model.model_fields.items():
        yield prefix + name, f
        if isinstance(f.annotation, type) and issubclass(f.annotation, BaseModel):
            yield from _walk_fields(f.annotation, prefix + name + ".")


FIELDS = dict(_walk_fields())
SECTION_KEYS = {k for k, f in FIELDS.items() if isinstance(f.annotation, type) and issubclass(f.annotation, BaseModel)}
SCALAR_KEYS = sorted(k for k, f in FIELDS.items() if k not in SECTION_KEYS and "list" not in str(f.annotation))


def _flatten(table: dict, source: str, where: str, ranges: bool, prefix: str = "") -> dict[str, Any]:
    """Dotted keys for both spellings, ``"a.b" = 1`` and ``[set.a] b = 1``. A table below a
    known scenario section is descended into; in [vary] any other table is a range."""
    out: dict[str, Any] = {}
    for key, value in table.items():
        full = prefix + key
        if isinstance(value, dict) and full in SECTION_KEYS:
            out.update(_flatten(value, source, where, ranges, full + "."))
        elif isinstance(value, dict) and not ranges:
            raise InputError(f"{source}: {where}: '{full}' is not a scenario section{_hint(full, SECTION_KEYS)}")
        else:
            out[full] = value
    return out


def _check_key(key: str, source: str, where: str) -> None:
    """A real scenario key that holds one value (not a section, not a list)."""
    if key not in FIELDS:
        raise InputError(f"{source}: {where}: unknown scenario key '{key}'{_hint(key, SCALAR_KEYS)}")
    if key == "run.seed":
        raise InputError(f"{source}: {where}: 'run.seed' is set by the sweep (seeds 1..sweep.seeds)")
    if key in SECTION_KEYS:
        raise InputError(f"{source}: {where}: '{key}' is a section, not a parameter")
    if key not in SCALAR_KEYS and where == "vary":
        raise InputError(f"{source}: vary: '{key}' is a list; a sweep varies single values")


def _kind(key: str) -> str:
    ann = FIELDS[key].annotation
    return "int" if ann is int else "float" if ann is float else "other"


def _base_scenario(base: str, root: Path, source: str) -> Scenario:
    """A preset by name, or a scenario file (``*.toml``) relative to the sweep file."""
    try:
        if base.endswith(".toml"):
            path = Path(base) if Path(base).is_absolute() else root / base
            return load_scenario(path)
        return load_preset(base)
    except InputError as e:
        raise InputError(f"{source}: sweep.base: {e}") from None


def _apply(sc: Scenario, fixed: dict[str, Any], source: str) -> Scenario:
    """``sc`` with the [set] overrides, each key checked first."""
    for key in fixed:
        _check_key(key, source, "set")
    try:
        return sc.with_overrides(**fixed)
    except InputError as e:
        raise InputError(f"{source}: set: {str(e).removeprefix('overrides: ')}") from None


# ---------------------------------------------------------------- parameters and designs


def _parameter(key: str, value: Any, design: str, source: str) -> Parameter:
    _check_key(key, source, "vary")
    kind = _kind(key)
    if isinstance(value, list):
        if not value:
            raise InputError(f"{source}: vary: '{key}': empty list of values")
        if design != "grid":
            raise InputError(f"{source}: vary: '{key}': design '{design}' samples a range "
                             f"({{ low = .., high = .. }}), not a list of values")
        return Parameter(key, kind, values=tuple(value))
    if isinstance(value, dict):
        if design == "grid":
            raise InputError(f"{source}: vary: '{key}': design 'grid' needs a list of values, not a range")
        if kind == "other":
            raise InputError(f"{source}: vary: '{key}' is not numeric: a grid of values can vary it, a range cannot")
        try:
            r = Range.model_validate(value)
        except ValidationError as e:
            raise InputError(_one_line(e, f"{source}: vary: '{key}': ", "", ("low", "high"))) from None
        if not r.low < r.high:
            raise InputError(f"{source}: vary: '{key}': empty range (low {r.low:g} must be below high {r.high:g})")
        return Parameter(key, kind, low=r.low, high=r.high)
    raise InputError(f"{source}: vary: '{key}': give a list of values (grid) or {{ low = .., high = .. }} (lhs, sobol)")


def _check_design(o: SweepOptions, params: list[Parameter], source: str) -> None:
    if o.design == "grid":
        return
    if o.samples is None:
        what = "points" if o.design == "lhs" else "N (points = N * (2 x parameters + 2))"
        raise InputError(f"{source}: sweep.samples: design '{o.design}' needs samples ({what})")
    if o.design == "sobol" and (o.samples < 2 or o.samples & (o.samples - 1)):
        raise InputError(f"{source}: sweep.samples: design 'sobol' needs a power of two of at least 2 "
                         f"(Sobol' sequences balance only then), got {o.samples}")


def _check_range_ends(spec: SweepSpec) -> None:
    """Both ends of every range must be valid on the base scenario, whatever points are drawn."""
    for p in spec.params:
        if p.values is not None:
            continue
        for end, value in (("low", p.low), ("high", p.high)):
            value = _typed(p, value)
            try:
                spec.base.with_overrides(**{p.key: value})
            except InputError as e:
                raise InputError(f"{spec.source}: vary: '{p.key}' {end} = {value:g}: "
                                 f"{str(e).removeprefix('overrides: ').removeprefix(p.key + ': ')}") from None


def _typed(p: Parameter, value: float):
    """A sampled value in the field's type: integer fields are rounded."""
    return int(round(value)) if p.kind == "int" else float(value)


def n_points(spec: SweepSpec) -> int:
    o, d = spec.options, len(spec.params)
    if o.design == "grid":
        return math.prod(len(p.values) for p in spec.params)
    return o.samples if o.design == "lhs" else o.samples * (2 * d + 2)


def sampled_design(spec: SweepSpec) -> np.ndarray:
    """lhs and sobol: the sample before rounding, one row per point, scaled to the ranges."""
    lows = np.array([p.low for p in spec.params])
    highs = np.array([p.high for p in spec.params])
    o = spec.options
    if o.design == "lhs":
        from scipy.stats import qmc

        return qmc.scale(qmc.LatinHypercube(d=len(spec.params), rng=o.seed).random(o.samples), lows, highs)
    from SALib.sample import sobol

    return sobol.sample(_salib_problem(spec), o.samples, calc_second_order=True, seed=o.seed)


def _salib_problem(spec: SweepSpec) -> dict:
    return {"num_vars": len(spec.params), "names": spec.keys, "bounds": [[p.low, p.high] for p in spec.params]}


def design_points(spec: SweepSpec) -> pd.DataFrame:
    """One row per design point (index = point number), one column per varied key."""
    if spec.options.design == "grid":
        rows = list(itertools.product(*(p.values for p in spec.params)))
        return pd.DataFrame(rows, columns=spec.keys)
    raw = sampled_design(spec)
    return pd.DataFrame({p.key: [_typed(p, v) for v in raw[:, j]] for j, p in enumerate(spec.params)})


# ---------------------------------------------------------------- planning runs


@dataclass
class RunTask:
    """Everything a worker needs for one run: pickled to the worker as it is."""

    run_id: str
    point: int
    seed: int
    params: dict[str, Any]
    scenario: Scenario
    path: str  # the run's parquet file (absolute)
    threads: int = 1  # Numba threads for this run


def run_id(point: int, seed: int, width: int = 4) -> str:
    """Stable, sortable run ids: ``p0003-s02``."""
    return f"p{point:0{width}d}-s{seed:02d}"


def point_scenarios(spec: SweepSpec, points: pd.DataFrame) -> list[Scenario]:
    """The scenario of every point, built now so a bad value fails before any run starts."""
    out = []
    for i, row in enumerate(points.to_dict("records")):
        try:
            out.append(spec.base.with_overrides(**row))
        except InputError as e:
            values = ", ".join(f"{k}={v}" for k, v in row.items())
            raise InputError(f"{spec.source}: point {i} ({values}): {str(e).removeprefix('overrides: ')}") from None
    return out


def plan_runs(spec: SweepSpec, points: pd.DataFrame, folder: Path) -> list[RunTask]:
    """Every (point, seed) run, in run-id order; parameter values as the scenario holds them."""
    width = max(4, len(str(len(points) - 1)))
    tasks = []
    for i, sc in enumerate(point_scenarios(spec, points)):
        params = {k: _get(sc, k) for k in spec.keys}
        for seed in range(1, spec.options.seeds + 1):
            rid = run_id(i, seed, width)
            tasks.append(RunTask(rid, i, seed, params, sc.with_overrides(**{"run.seed": seed}),
                                 str((folder / RUNS_DIR / f"{rid}.parquet").resolve())))
    return tasks


def _get(sc: Scenario, key: str) -> Any:
    node: Any = sc
    for part in key.split("."):
        node = getattr(node, part)
    return node


def fingerprint(spec: SweepSpec, points: pd.DataFrame) -> str:
    """What the run files depend on: base scenario, points, seeds. A folder holding another
    sweep's runs must not be 'resumed' into this one."""
    blob = json.dumps({"base": spec.base.model_dump(mode="json"), "points": points.to_dict("records"),
                       "seeds": spec.options.seeds}, sort_keys=True, default=str)
    return hashlib.sha1(blob.encode()).hexdigest()[:16]


# ---------------------------------------------------------------- on a worker


def execute_run(task: RunTask) -> str:
    """Run one simulation (no store) and write its monthly metrics to its parquet file."""
    import numba

    from .engine import Simulation

    numba.set_num_threads(max(1, min(task.threads, numba.config.NUMBA_NUM_THREADS)))
    metrics = pd.DataFrame(Simulation(task.scenario).run())
    front = {"run_id": task.run_id, "point": task.point, "seed": task.seed, **task.params}
    for pos, (col, value) in enumerate(front.items()):
        metrics.insert(pos, col, value)
    write_parquet_atomic(metrics, Path(task.path))
    return task.run_id


def write_parquet_atomic(df: pd.DataFrame, path: Path) -> None:
    """Write to a temporary name, then rename: a file under its final name is complete."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.tmp")
    try:
        df.to_parquet(tmp, index=False)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


@dataclass
class Failure:
    """A run that raised on its worker (its file was not written; a rerun retries it)."""

    run_id: str
    error: str


def execute(client, tasks: list[RunTask], progress: bool) -> list[Failure]:
    """Submit the runs and wait for them, counting finished runs; failures are collected."""
    from distributed import as_completed

    from .progress import count_progress

    failures = []
    tag = uuid.uuid4().hex[:8]  # unique keys: a shared cluster may hold another sweep's runs
    futures = {client.submit(execute_run, t, key=f"scsim-{tag}-{t.run_id}", pure=False): t for t in tasks}
    with count_progress(progress, len(tasks), "runs") as advance:
        for future in as_completed(futures, loop=client.loop):
            if future.status == "error":
                failures.append(Failure(futures[future].run_id, repr(future.exception())))
            advance()
    return failures


# ---------------------------------------------------------------- the sweep


@dataclass
class SweepResult:
    """What a call of ``run_sweep`` did, and where its combined outputs are."""

    folder: Path
    runs_total: int
    runs_done: int  # ran in this call
    runs_skipped: int  # already finished before this call
    database: Path
    tables: list[str]
    summary: pd.DataFrame  # one row per run: run_id, point, seed, parameters, key metrics
    sobol: pd.DataFrame | None = None
    failures: list[Failure] = field(default_factory=list)

    def table(self, name: str) -> pd.DataFrame:
        """A table of ``sweep.duckdb`` (e.g. ``metrics``), ordered as stored."""
        import duckdb

        with duckdb.connect(str(self.database), read_only=True) as con:
            return con.execute(f'SELECT * FROM "{name}"').df()


def default_folder(spec: SweepSpec) -> Path:
    return Path("sweeps") / spec.name


def run_sweep(spec: SweepSpec, out: str | Path | None = None, workers: int | None = None,
              scheduler: str | None = None, client=None, progress: bool = False,
              connect_timeout: float = 10.0) -> SweepResult:
    """Run the runs not yet finished in ``out``, then write the combined outputs.

    Dask: ``client`` if given; else a scheduler at ``scheduler``; else a local cluster of
    ``workers`` processes (default: one per core)."""
    check_cluster_options(workers, scheduler, connect_timeout, "scsim sweep")
    folder = Path(out) if out is not None else default_folder(spec)
    if folder.exists() and not folder.is_dir():
        raise InputError(f"{folder}: exists and is not a folder")
    points = design_points(spec)
    tasks = plan_runs(spec, points, folder)
    fp = fingerprint(spec, points)
    _check_manifest(folder, fp)
    todo = [t for t in tasks if not Path(t.path).exists()]
    with contextlib.ExitStack() as stack:
        if client is None and scheduler:
            client = stack.enter_context(connect(scheduler, connect_timeout))  # fails before any file is made
        _prepare_folder(folder, spec, fp)
        failures = _execute_todo(stack, client, todo, workers, progress)
    done = [t for t in tasks if Path(t.path).exists()]
    tables, summary, sobol = combine(folder, spec, points, done)
    return SweepResult(folder, runs_total=len(tasks), runs_done=len(todo) - len(failures),
                       runs_skipped=len(tasks) - len(todo), database=folder / DB_NAME, tables=tables,
                       summary=summary, sobol=sobol, failures=failures)


def _execute_todo(stack: contextlib.ExitStack, client, todo: list[RunTask], workers: int | None,
                  progress: bool) -> list[Failure]:
    """Run ``todo`` on ``client``, or on a local cluster started (only) when there is work."""
    if not todo:
        return []
    client, threads = client_and_threads(stack, client, workers or os.cpu_count() or 1, len(todo))
    for t in todo:
        t.threads = threads
    return execute(client, todo, progress)


def _check_manifest(folder: Path, fp: str) -> None:
    path = folder / MANIFEST
    if path.exists():
        try:
            old = json.loads(path.read_text()).get("fingerprint")
        except (OSError, ValueError):
            old = None
        if old != fp:
            raise InputError(f"{folder}: holds the runs of a different sweep (base, [set], [vary], design or "
                             f"seeds changed); choose another --out or delete the folder")


def _prepare_folder(folder: Path, spec: SweepSpec, fp: str) -> None:
    """The manifest (for resuming safely) and the runs folder; stale temporaries removed."""
    (folder / RUNS_DIR).mkdir(parents=True, exist_ok=True)
    for tmp in (folder / RUNS_DIR).glob(".*.tmp"):
        tmp.unlink(missing_ok=True)
    manifest = {"fingerprint": fp, "name": spec.name, "source": spec.source,
                "options": spec.options.model_dump(), "fixed": spec.fixed, "parameters": spec.keys}
    path = folder / MANIFEST
    if not path.exists():
        path.write_text(json.dumps(manifest, indent=1, default=str) + "\n")


# ---------------------------------------------------------------- combined outputs


def combine(folder: Path, spec: SweepSpec, points: pd.DataFrame,
            done: list[RunTask]) -> tuple[list[str], pd.DataFrame, pd.DataFrame | None]:
    """sweep.duckdb, summary.csv (and sobol.csv) from the finished runs' files; returns the
    tables made, the summary and the Sobol indices (None unless a complete Sobol sweep)."""
    import duckdb

    runs = pd.DataFrame([{"run_id": t.run_id, "point": t.point, "seed": t.seed, **t.params} for t in done],
                        columns=["run_id", "point", "seed", *spec.keys])
    summary = summarise_runs(done, spec.options.window, runs)
    complete = len(done) == len(points) * spec.options.seeds
    sobol = sobol_indices(spec, summary) if spec.options.design == "sobol" and complete else None
    tmp = folder / (DB_NAME + ".partial")
    tmp.unlink(missing_ok=True)
    with duckdb.connect(str(tmp)) as con:
        con.register("runs_df", runs)
        con.execute("CREATE TABLE runs AS SELECT * FROM runs_df ORDER BY run_id")
        con.register("summary_df", summary)
        con.execute("CREATE TABLE summary AS SELECT * FROM summary_df ORDER BY run_id")
        tables = ["runs", "summary"]
        if done:
            con.execute("CREATE TABLE metrics AS SELECT * FROM read_parquet($files, union_by_name = true) "
                        "ORDER BY run_id, month", {"files": [t.path for t in done]})
            tables.append("metrics")
        if sobol is not None:
            con.register("sobol_df", sobol)
            con.execute("CREATE TABLE sobol AS SELECT * FROM sobol_df")
            tables.append("sobol")
    os.replace(tmp, folder / DB_NAME)
    summary.to_csv(folder / "summary.csv", index=False)
    if sobol is not None:
        sobol.to_csv(folder / "sobol.csv", index=False)
    return tables, summary, sobol


def summarise_runs(done: list[RunTask], window: int, runs: pd.DataFrame) -> pd.DataFrame:
    """Per run, the mean of each key metric over the final ``window`` months (one file at a time)."""
    import pyarrow.parquet as pq

    rows = []
    for t in done:
        present = set(pq.read_schema(t.path).names)
        metrics = pd.read_parquet(t.path, columns=[m for m in KEY_METRICS if m in present])
        rows.append({"run_id": t.run_id, **run_summary(metrics, min(window, len(metrics)))})
    values = pd.DataFrame(rows, columns=["run_id", *KEY_METRICS])
    return runs.merge(values, on="run_id", how="left")


def sobol_indices(spec: SweepSpec, summary: pd.DataFrame) -> pd.DataFrame:
    """S1 and ST (with 95% bootstrap half-widths) of each key metric's per-point mean over
    seeds, for each parameter. A metric that is constant or undefined has no indices."""
    from SALib.analyze import sobol

    means = summary.groupby("point")[list(KEY_METRICS)].mean().sort_index()
    rows = []
    for metric in KEY_METRICS:
        y = means[metric].to_numpy(float)
        if np.isnan(y).any() or np.ptp(y) == 0:
            continue
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            res = sobol.analyze(_salib_problem(spec), y, calc_second_order=True, seed=spec.options.seed)
        for j, key in enumerate(spec.keys):
            rows.append({"metric": metric, "parameter": key, "S1": float(res["S1"][j]), "S1_conf": float(res["S1_conf"][j]),
                         "ST": float(res["ST"][j]), "ST_conf": float(res["ST_conf"][j])})
    return pd.DataFrame(rows, columns=["metric", "parameter", "S1", "S1_conf", "ST", "ST_conf"])


# ---------------------------------------------------------------- reporting


def print_result(result: SweepResult, quiet: bool = False) -> None:
    """What the CLI prints: the counts, the Sobol indices (if any), and where the results are."""
    import sys

    if result.failures:
        first = result.failures[0]
        print(f"scsim sweep: {len(result.failures)} of {result.runs_total} runs failed (first: {first.run_id}: "
              f"{first.error}); finished runs are kept in {result.folder}, rerun to retry", file=sys.stderr)
    if quiet:
        print(result.database)
        return
    from rich.console import Console
    from rich.table import Table

    if result.sobol is not None and len(result.sobol):
        table = Table(title="Sobol indices of each key metric's final-window mean (95% bootstrap half-widths)")
        for col in ("metric", "parameter", "S1", "ST"):
            table.add_column(col, justify="left" if col in ("metric", "parameter") else "right")
        for r in result.sobol.itertuples():
            table.add_row(r.metric, r.parameter, f"{r.S1:.3f} ± {r.S1_conf:.3f}", f"{r.ST:.3f} ± {r.ST_conf:.3f}")
        Console(width=120).print(table)
    print(f"{result.runs_done} runs done now, {result.runs_skipped} already finished, "
          f"{result.runs_total} in the sweep; results: {result.database}")
