"""Results store: one embedded DuckDB database per run, in the run's own folder.

Tables: ``meta`` (resolved scenario TOML, seed, scsim version, status), ``metrics`` (one row a
month), ``citizens`` (final state, with every score component), ``edges`` (final network),
``snapshots`` (every citizen's score every K months), ``edge_events`` (every tie cut or made,
with month and reason).

A run is written to ``results.duckdb.partial`` and renamed to ``results.duckdb`` only when
complete, so an interrupted or failed run never leaves a database that looks complete; a run
that fails in this process removes its folder altogether.
"""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa

from .errors import InputError

DB_NAME = "results.duckdb"
KINDS_SQL = "ENUM ('friend', 'family')"
REASONS_SQL = "ENUM ('drag', 'churn', 'replace', 'form')"


def _version() -> str:
    from . import __version__

    return __version__


def default_run_dir(name: str, seed: int, root: str | Path = "runs") -> Path:
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    return Path(root) / f"{name}-seed{seed}-{stamp}"


def check_run_dir(folder: Path) -> None:
    """Refuse a folder that already holds a run (before anything is created)."""
    if (folder / DB_NAME).exists() or (folder / (DB_NAME + ".partial")).exists():
        raise InputError(f"{folder}: already holds a run; choose another --out")
    if folder.exists() and not folder.is_dir():
        raise InputError(f"{folder}: exists and is not a folder")


class RunWriter:
    """Streams one run into its database; ``finish()`` makes it complete, ``abort()`` removes it."""

    def __init__(self, folder: str | Path, scenario, snapshot_every: int):
        self.folder = Path(folder)
        check_run_dir(self.folder)
        self.created = not self.folder.exists()
        self.folder.mkdir(parents=True, exist_ok=True)
        self.partial = self.folder / (DB_NAME + ".partial")
        self.con = duckdb.connect(str(self.partial))
        self.scenario = scenario
        self.snapshot_every = snapshot_every
        self.rows: list[dict] = []
        self.con.execute("CREATE TABLE meta (key VARCHAR PRIMARY KEY, value VARCHAR)")
        self.con.execute(f"CREATE TABLE edge_events (month SMALLINT, u INTEGER, v INTEGER, kind {KINDS_SQL}, "
                         f"event ENUM ('cut', 'made'), reason {REASONS_SQL})")
        self._meta(scenario=scenario.to_toml(), seed=str(scenario.run.seed), version=_version(),
                   name=scenario.name, started=dt.datetime.now().isoformat(timespec="seconds"), status="running")
        self.snapshots_made = False

    def _meta(self, **kv: str) -> None:
        for k, v in kv.items():
            self.con.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", [k, v])

    def _insert(self, table: str, cols, create: bool) -> None:
        tbl = cols if isinstance(cols, pd.DataFrame) else pa.table({k: np.asarray(v) for k, v in cols.items()})
        self.con.register("_incoming", tbl)
        if create:
            self.con.execute(f"CREATE TABLE {table} AS SELECT * FROM _incoming")
        else:
            self.con.execute(f"INSERT INTO {table} SELECT * FROM _incoming")
        self.con.unregister("_incoming")

    def month(self, sim, t: int, row: dict) -> None:
        self.rows.append(row)
        ev = sim.flows.events
        if len(ev.u):
            kinds = np.array(["friend", "family"])[ev.kind]
            self.con.register("_ev", pa.table({
                "month": np.full(len(ev.u), t, np.int16), "u": ev.u, "v": ev.v, "kind": kinds,
                "event": np.where(ev.made, "made", "cut"),
                "reason": np.array(["drag", "churn", "replace", "form"])[ev.reason]}))
            self.con.execute("INSERT INTO edge_events SELECT * FROM _ev")
            self.con.unregister("_ev")
        if t % self.snapshot_every == 0 or t == sim.sc.run.months - 1:
            cols = {"month": np.full(sim.n, t, np.int16), **sim.snapshot_columns()}
            self._insert("snapshots", cols, create=not self.snapshots_made)
            self.snapshots_made = True

    def finish(self, sim, seconds: float) -> Path:
        self._insert("metrics", pd.DataFrame(self.rows), create=True)
        self._insert("citizens", sim.citizen_columns(), create=True)
        u, v, k = sim.net.edges()
        self._insert("edges", {"u": u, "v": v, "kind": np.array(["friend", "family"])[k]}, create=True)
        self._meta(status="complete", seconds=f"{seconds:.3f}", months=str(sim.month), citizens=str(sim.n),
                   finished=dt.datetime.now().isoformat(timespec="seconds"))
        self.con.execute("CHECKPOINT")
        self.con.close()
        final = self.folder / DB_NAME
        self.partial.rename(final)
        return final

    def abort(self) -> None:
        try:
            self.con.close()
        except Exception:
            pass
        if self.created:
            shutil.rmtree(self.folder, ignore_errors=True)
        else:
            self.partial.unlink(missing_ok=True)


def open_run_db(folder: str | Path) -> duckdb.DuckDBPyConnection:
    """Read-only connection to a complete run's database."""
    folder = Path(folder)
    db = folder / DB_NAME if folder.is_dir() else folder
    if not db.is_file():
        if (folder / (DB_NAME + ".partial")).exists():
            raise InputError(f"{folder}: run is incomplete (interrupted or failed)")
        raise InputError(f"{folder}: no run here (no {DB_NAME})")
    con = duckdb.connect(str(db), read_only=True)
    status = con.execute("SELECT value FROM meta WHERE key = 'status'").fetchone()
    if not status or status[0] != "complete":
        con.close()
        raise InputError(f"{folder}: run is incomplete")
    return con


def export_parquet(folder: str | Path, out: str | Path) -> list[Path]:
    """Write every table of a run to ``out/TABLE.parquet``."""
    con = open_run_db(folder)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for (table,) in con.execute("SELECT table_name FROM information_schema.tables ORDER BY table_name").fetchall():
        path = out / f"{table}.parquet"
        con.execute(f"COPY {table} TO '{path.as_posix()}' (FORMAT parquet)")
        written.append(path)
    con.close()
    return written
