"""The sweep folder: its manifest, and the combined outputs built from the run files.

``sweep.json`` holds the sweep's fingerprint, so that a folder of another sweep's runs is not
resumed into this one. ``sweep.duckdb`` (tables ``runs``, ``summary``, ``metrics`` and, for a
complete Sobol design, ``sobol``), ``summary.csv`` and ``sobol.csv`` are rebuilt from the run
files at the end of every call.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pandas as pd

from ..errors import InputError, interrupts_deferred
from ..outputs import Staged
from ..summary import KEY_METRICS, run_summary
from .runs import RUNS_DIR, RunTask
from .sensitivity import sobol_indices
from .spec import SweepSpec

DB_NAME = "sweep.duckdb"
MANIFEST = "sweep.json"


# ---------------------------------------------------------------- the manifest


def fingerprint(spec: SweepSpec, points: pd.DataFrame) -> str:
    """What the run files depend on: base scenario, points, seeds. A folder holding another
    sweep's runs must not be 'resumed' into this one."""
    blob = json.dumps({"base": spec.base.model_dump(mode="json"), "points": points.to_dict("records"),
                       "seeds": spec.options.seeds}, sort_keys=True, default=str)
    return hashlib.sha1(blob.encode()).hexdigest()[:16]


def check_manifest(folder: Path, fp: str) -> None:
    path = folder / MANIFEST
    if path.exists():
        try:
            old = json.loads(path.read_text()).get("fingerprint")
        except (OSError, ValueError):
            old = None
        if old != fp:
            raise InputError(f"{folder}: holds the runs of a different sweep (base, [set], [vary], design or "
                             f"seeds changed); choose another --out or delete the folder")


def prepare_folder(folder: Path, spec: SweepSpec, fp: str) -> None:
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


def combine(folder: Path, spec: SweepSpec, points: pd.DataFrame, done: list[RunTask],
            outputs: Staged) -> tuple[list[str], pd.DataFrame, pd.DataFrame | None]:
    """sweep.duckdb, summary.csv (and sobol.csv) from the finished runs' files, staged in
    ``outputs`` (put in place when all are written; a full disk leaves none); returns the
    tables made, the summary and the Sobol indices (None unless a complete Sobol sweep)."""
    with interrupts_deferred():
        import duckdb

    runs = pd.DataFrame([{"run_id": t.run_id, "point": t.point, "seed": t.seed, **t.params} for t in done],
                        columns=["run_id", "point", "seed", *spec.keys])
    summary = summarise_runs(done, spec.options.window, runs)
    complete = len(done) == len(points) * spec.options.seeds
    sobol = sobol_indices(spec, summary) if spec.options.design == "sobol" and complete else None
    (folder / (DB_NAME + ".partial")).unlink(missing_ok=True)  # (where an older scsim staged it)
    try:
        tables = _database(duckdb, outputs.file(folder / DB_NAME), runs, summary, sobol, done)
    except duckdb.Error as e:  # DuckDB's own error for a full disk, as one line
        from ..store import write_error

        raise write_error(folder / DB_NAME, e) from None
    summary.to_csv(outputs.file(folder / "summary.csv"), index=False)
    if sobol is not None:
        sobol.to_csv(outputs.file(folder / "sobol.csv"), index=False)
    return tables, summary, sobol


def _database(duckdb, path: Path, runs: pd.DataFrame, summary: pd.DataFrame, sobol: pd.DataFrame | None,
              done: list[RunTask]) -> list[str]:
    """Write sweep.duckdb's tables to ``path``; returns their names."""
    with duckdb.connect(str(path)) as con:
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
    return tables


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
