"""Results store: one embedded DuckDB database per run, in the run's own folder.

Tables: ``meta`` (resolved scenario TOML, seed, scsim version, status), ``metrics`` (one row a
month), ``citizens`` (final state, with every score component), ``edges`` (final network),
``snapshots`` (every citizen's score every K months), ``edge_events`` (every tie cut or made,
with month and reason).

A run is written to ``results.duckdb.partial`` and renamed to ``results.duckdb`` only when
complete, so an interrupted or failed run never leaves a database that looks complete; a run
that fails in this process removes its folder altogether.

Inserts (snapshots, batches of edge events, a checkpoint's metrics and publication) run in
order on one background thread while the next months are computed; ``finish`` waits for them,
and an insert that fails fails the run. A checkpoint's state is copied (or, past
``RunWriter.COPY_LIMIT``, written at once from the live arrays) under a staged name; the thread
renames it to ``checkpoint.npz`` after the database's own CHECKPOINT, so the state on disk never
runs ahead of the rows.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa

from . import metric_columns
from .checkpoint import write_checkpoint
from .errors import InputError
from .month import REASONS

DB_NAME = "results.duckdb"
CHECKPOINT = "checkpoint.npz"
STAGED = ".staged.npz"  # a checkpoint's state written before the database has caught up
KINDS_SQL = "ENUM ('friend', 'family')"
REASONS_SQL = "ENUM (" + ", ".join(f"'{r}'" for r in REASONS) + ")"


def _version() -> str:
    from .version import __version__

    return __version__


def _codes(codes: np.ndarray, names: tuple[str, ...]) -> pa.DictionaryArray:
    return pa.DictionaryArray.from_arrays(pa.array(np.asarray(codes).astype(np.int8)), pa.array(names))


SQL_TYPES = {metric_columns.INTEGER: "BIGINT", metric_columns.TEXT: "VARCHAR", metric_columns.NUMBER: "DOUBLE"}


def metrics_table(rows: list[dict], columns: tuple[metric_columns.Column, ...]) -> pa.Table:
    """Monthly rows as a table with the declared columns: ``month`` an integer, text as text,
    every other number a double (one type per column whatever the month); NaN (a metric off
    that month) is NULL."""
    cols = {}
    for c in columns:
        values = [row[c.name] for row in rows]
        if c.type == metric_columns.INTEGER:
            cols[c.name] = pa.array(values, pa.int64())
        elif c.type == metric_columns.TEXT:
            cols[c.name] = pa.array(values, pa.string())
        else:
            cols[c.name] = pa.array(np.asarray(values, np.float64), from_pandas=True)  # NaN -> NULL
    return pa.table(cols)


def create_metrics_table(con, columns: tuple[metric_columns.Column, ...]) -> None:
    """The ``metrics`` table, from the declared columns (before any month is written)."""
    con.execute("CREATE TABLE metrics (" + ", ".join(f'"{c.name}" {SQL_TYPES[c.type]}' for c in columns) + ")")


def default_run_dir(name: str, seed: int, root: str | Path = "runs") -> Path:
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    return Path(root) / f"{name}-seed{seed}-{stamp}"


def check_run_dir(folder: Path, hint: str = "choose another folder, or pass overwrite=True to replace it") -> None:
    """Refuse a folder that already holds a run (before anything is created); ``hint`` says
    what to do instead (the CLI names its options)."""
    if (folder / DB_NAME).exists() or (folder / (DB_NAME + ".partial")).exists():
        raise InputError(f"{folder}: already holds a run; {hint}")
    if folder.exists() and not folder.is_dir():
        raise InputError(f"{folder}: exists and is not a folder")


def clear_run_dir(folder: Path) -> None:
    """Remove the run a folder holds (its database, finished or partial, and its checkpoints),
    nothing else: the folder's other files (a figure, notes) stay."""
    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise InputError(f"{folder}: exists and is not a folder")
    for name in (DB_NAME, DB_NAME + ".partial", DB_NAME + ".partial.wal", DB_NAME + ".wal", CHECKPOINT):
        (folder / name).unlink(missing_ok=True)
    for staged in folder.glob(f"checkpoint-*{STAGED}*"):
        staged.unlink(missing_ok=True)


class _Inserts:
    """The writer's database inserts, run in order on one background thread while the next
    months are computed (a month's sequential phases leave a core idle; the inserts of a 1M
    run take ~10 s). Only this thread touches the connection between ``drain()`` calls; an
    insert that fails re-raises in the main thread at the next ``submit`` or ``drain``."""

    def __init__(self):
        import queue
        import threading

        self.queue: queue.Queue = queue.Queue(maxsize=4)  # bounds the snapshots held in memory
        self.error: BaseException | None = None
        self.failed = False  # after a failure nothing more is written (no checkpoint past a gap)
        self.thread = threading.Thread(target=self._work, name="scsim-store", daemon=True)
        self.thread.start()

    def _work(self) -> None:
        while True:
            job = self.queue.get()
            try:
                if job is None:
                    return
                if not self.failed:
                    job()
            except BaseException as e:  # noqa: BLE001  handed to the main thread
                self.failed, self.error = True, e
            finally:
                self.queue.task_done()

    def _check(self) -> None:
        if self.error is not None:
            error, self.error = self.error, None
            raise error

    def submit(self, job) -> None:
        self._check()
        self.queue.put(job)

    def drain(self) -> None:
        """Wait until every submitted insert is done."""
        self.queue.join()
        self._check()

    def stop(self) -> None:
        self.queue.put(None)
        self.thread.join()


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
        self.columns = None  # the simulation's declared row (scsim.month.row_columns), from its first month
        self.metrics_made = False
        self.pending: list[dict] = []
        self.pending_events: list[dict] = []
        self.pending_event_rows = 0
        self.con.execute("CREATE TABLE meta (key VARCHAR PRIMARY KEY, value VARCHAR)")
        self.con.execute(f"CREATE TABLE edge_events (month SMALLINT, u INTEGER, v INTEGER, kind {KINDS_SQL}, "
                         f"event ENUM ('cut', 'made'), reason {REASONS_SQL})")
        self._meta(scenario=scenario.to_toml(), seed=str(scenario.run.seed), version=_version(),
                   name=scenario.name, started=dt.datetime.now().isoformat(timespec="seconds"), status="running")
        self.snapshots_made = False
        self.inserts = _Inserts()

    def _meta(self, **kv: str) -> None:
        for k, v in kv.items():
            self.con.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", [k, v])

    def _insert(self, table: str, cols, create: bool) -> None:
        tbl = cols if isinstance(cols, pa.Table) else pa.table(
            {k: v if isinstance(v, pa.Array) else np.asarray(v) for k, v in cols.items()})
        self.con.register("_incoming", tbl)
        if create:
            self.con.execute(f"CREATE TABLE {table} AS SELECT * FROM _incoming")
        else:
            self.con.execute(f"INSERT INTO {table} SELECT * FROM _incoming")
        self.con.unregister("_incoming")

    def _flush_metrics(self) -> None:
        """Monthly rows are buffered and written at each checkpoint and at the end."""
        rows, self.pending = self.pending, []
        self._insert_metrics(rows)

    def _insert_metrics(self, rows: list[dict]) -> None:
        if not rows:
            return
        self._insert("metrics", metrics_table(rows, self.columns), create=False)

    EVENTS_BATCH = 1 << 21  # edge events buffered before an insert (one insert a month cost ~30 ms)

    def _flush_events(self) -> None:
        """Buffered edge events, in month order, in one insert (on the insert thread)."""
        if not self.pending_events:
            return
        batch = self.pending_events
        self.pending_events, self.pending_event_rows = [], 0
        self.inserts.submit(lambda: self._insert_events(batch))

    def _insert_events(self, batch: list[dict]) -> None:
        cols = {k: np.concatenate([e[k] for e in batch]) for k in batch[0]}
        # Arrow dictionary columns arrive as DuckDB ENUMs without any string work
        self.con.register("_ev", pa.table({
            "month": cols["month"], "u": cols["u"], "v": cols["v"],
            "kind": _codes(cols["kind"], ("friend", "family")),
            "event": _codes(cols["made"], ("cut", "made")),
            "reason": _codes(cols["reason"], REASONS)}))
        self.con.execute("INSERT INTO edge_events SELECT * FROM _ev")
        self.con.unregister("_ev")

    def month(self, sim, t: int, row: dict) -> None:
        if self.columns is None:  # (before anything is submitted to the insert thread)
            self.columns = sim.row_columns()
            if not self.metrics_made:
                create_metrics_table(self.con, self.columns)
                self.metrics_made = True
        self.pending.append(row)
        ev = sim.flows.events
        if len(ev.u):
            self.pending_events.append({"month": np.full(len(ev.u), t, np.int16), "u": np.array(ev.u),
                                        "v": np.array(ev.v), "kind": np.array(ev.kind),
                                        "made": np.array(ev.made), "reason": np.array(ev.reason)})
            self.pending_event_rows += len(ev.u)
            if self.pending_event_rows >= self.EVENTS_BATCH:
                self._flush_events()
        if t % self.snapshot_every == 0 or t == sim.sc.run.months - 1:
            # copies: the insert runs while the next months change the state (a backend may
            # hand out views of its arrays)
            cols = {"month": np.full(sim.n, t, np.int16), **{k: np.array(v) for k, v in sim.snapshot_columns().items()}}
            create = not self.snapshots_made
            self.inserts.submit(lambda: self._insert("snapshots", cols, create))
            self.snapshots_made = True
        every = sim.sc.run.checkpoint_every
        if every and (t + 1) % every == 0 and t + 1 < sim.sc.run.months:
            self._checkpoint(sim, t)

    COPY_LIMIT = 1 << 30  # a checkpoint's state up to this size is copied and written on the insert thread

    def _checkpoint(self, sim, t: int) -> None:
        """The state after month t, under a staged name that becomes the checkpoint only once the
        database holds every row before it. After a failed insert the thread runs nothing more,
        so no checkpoint lands past a lost row.

        Up to ``COPY_LIMIT`` bytes (~400 bytes a citizen: 1M citizens) the live arrays are copied
        (~0.1 s) and written on the insert thread while the next months run (writing them held
        the month loop ~1 s at 1M); a larger state (4 GB at 10M) is written at once from the
        live arrays rather than doubled in memory."""
        self._flush_events()
        rows, self.pending = self.pending, []
        staged = self.folder / f"checkpoint-{t}{STAGED}"
        arrays = sim.checkpoint_arrays()
        background = sum(a.nbytes for a in arrays.values()) <= self.COPY_LIMIT
        if background:
            arrays = {k: np.array(v) for k, v in arrays.items()}
        else:
            write_checkpoint(arrays, staged)

        def checkpoint():
            if background:
                write_checkpoint(arrays, staged)
            self._insert_metrics(rows)
            self.con.execute("CHECKPOINT")  # the database first, then the state that follows it
            os.replace(staged, self.folder / CHECKPOINT)

        self.inserts.submit(checkpoint)

    def finish(self, sim, seconds: float) -> Path:
        self._flush_events()
        self.inserts.drain()
        self.inserts.stop()
        self._flush_metrics()
        self._insert("citizens", sim.citizen_columns(), create=True)
        u, v, k = sim.net.edges()
        # an ENUM like edge_events.kind (created from the Arrow dictionary it was a VARCHAR, and
        # the insert took 1.4x as long)
        self.con.execute(f"CREATE TABLE edges (u INTEGER, v INTEGER, kind {KINDS_SQL})")
        self._insert("edges", {"u": u, "v": v, "kind": _codes(k, ("friend", "family"))}, create=False)
        self._meta(status="complete", seconds=f"{seconds:.3f}", months=str(sim.month), citizens=str(sim.n),
                   finished=dt.datetime.now().isoformat(timespec="seconds"))
        self.con.execute("CHECKPOINT")
        self.con.close()
        final = self.folder / DB_NAME
        self.partial.rename(final)
        (self.folder / CHECKPOINT).unlink(missing_ok=True)
        return final

    def abort(self) -> bool:
        """Close after a failure. With a checkpoint, keep the run for ``--resume`` (True);
        otherwise remove it."""
        try:
            self.inserts.drain()  # (a failed insert's error is the one being handled, or moot)
        except BaseException:  # noqa: BLE001
            pass
        self.inserts.stop()
        try:
            self.con.close()
        except Exception:
            pass
        for staged in self.folder.glob(f"checkpoint-*{STAGED}*"):  # staged, never published (or half-written)
            staged.unlink(missing_ok=True)
        if (self.folder / CHECKPOINT).exists():
            return True
        if self.created:
            shutil.rmtree(self.folder, ignore_errors=True)
        else:
            self.partial.unlink(missing_ok=True)
        return False

    @classmethod
    def resume(cls, folder: str | Path):
        """Reopen an interrupted run at its last checkpoint: (writer, simulation)."""
        import tomllib

        from .engine import Simulation
        from .scenario import scenario_from_dict

        folder = Path(folder)
        if (folder / DB_NAME).exists():
            raise InputError(f"{folder}: run is already complete")
        partial = folder / (DB_NAME + ".partial")
        if not partial.exists() or not (folder / CHECKPOINT).exists():
            raise InputError(f"{folder}: no interrupted run with a checkpoint to resume")
        self = object.__new__(cls)
        self.folder, self.partial, self.created = folder, partial, False
        self.con = duckdb.connect(str(partial))
        meta = dict(self.con.execute("SELECT key, value FROM meta").fetchall())
        scenario = scenario_from_dict(tomllib.loads(meta["scenario"]), str(folder))
        sim = Simulation.from_checkpoint(scenario, folder / CHECKPOINT)
        tables = {r[0] for r in self.con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
        for table in ("metrics", "edge_events", "snapshots"):
            if table in tables:  # rows written after the checkpoint are written again
                self.con.execute(f"DELETE FROM {table} WHERE month >= ?", [sim.month])
        self.scenario, self.snapshot_every = scenario, scenario.run.snapshot_every
        self.columns, self.metrics_made = None, "metrics" in tables
        self.snapshots_made = "snapshots" in tables
        self.pending, self.pending_events, self.pending_event_rows = [], [], 0
        self.inserts = _Inserts()
        return self, sim


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
