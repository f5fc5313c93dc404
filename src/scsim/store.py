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

import contextlib
import datetime as dt
import errno
import os
import shutil
from pathlib import Path

import numpy as np
import pyarrow as pa

from . import metric_columns
from .checkpoint import write_checkpoint
from .errors import InputError, OutputError, interrupts_deferred, os_error_line
from .month import REASONS
from .outputs import check_writable_folder, folder_lock

with interrupts_deferred():  # (a Ctrl-C inside DuckDB's initialisation aborts the process)
    import duckdb

DB_NAME = "results.duckdb"
CHECKPOINT = "checkpoint.npz"
STAGED = ".staged.npz"  # a checkpoint's state written before the database has caught up
KINDS_SQL = "ENUM ('friend', 'family')"
REASONS_SQL = "ENUM (" + ", ".join(f"'{r}'" for r in REASONS) + ")"
RUN_TABLES = ("meta", "metrics", "citizens", "edges")  # what a complete run's database holds at least


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
    """Refuse a folder that already holds a run, or that cannot be written (before anything is
    created: ``scsim run`` calls it before the world is built); ``hint`` says what to do instead
    (the CLI names its options, the API its arguments)."""
    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise InputError(f"{folder}: exists and is not a folder")
    if (folder / DB_NAME).exists():
        raise InputError(f"{folder}: already holds a run; {hint}")
    if (folder / (DB_NAME + ".partial")).exists():
        if (folder / CHECKPOINT).exists():
            raise InputError(f"{folder}: holds an interrupted run; continue it with: scsim run --resume {folder} "
                             "(or choose another --out)")
        raise InputError(f"{folder}: holds a run interrupted before its first checkpoint; start it again with: "
                         f"scsim run --resume {folder} (or replace it with --overwrite, or choose another --out)")
    check_writable_folder(folder, "--out")


def database_error(db: Path, e: Exception) -> InputError:
    """A DuckDB error on opening or reading a run's database, as one line naming the file."""
    first = next((ln.strip() for ln in str(e).splitlines() if ln.strip()), type(e).__name__)
    return InputError(f"{db}: not a readable scsim run database (damaged, truncated or another program's file: {first})")


def write_error(target: Path, e: BaseException) -> BaseException:
    """A failure while writing ``target`` (a full disk, a read-only folder) as one line naming
    the file; any other exception is returned as it is."""
    if isinstance(e, OSError) and not isinstance(e, OutputError):
        return OutputError(os_error_line(e) if e.filename else f"{target}: cannot write: {e.strerror or e}")
    if isinstance(e, duckdb.Error):
        first = next((ln.strip() for ln in str(e).splitlines() if ln.strip()), type(e).__name__)
        # DuckDB's line for a full or read-only disk is long (a transaction, a temporary file's
        # name, JSON): the operating system's reason is what the user needs
        reason = next((r for r in map(os.strerror, (errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES))
                       if r in str(e)), first)
        return OutputError(f"{target}: cannot write: {reason}")
    return e


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

    def __init__(self, folder: str | Path, scenario, snapshot_every: int, restart: bool = False):
        """A new run in ``folder`` (``restart``: over the database of the same run, interrupted
        before its first checkpoint, which is removed). The folder is locked until ``finish`` or
        ``abort``, so that no second process writes there."""
        self.folder = Path(folder)
        if not restart:
            check_run_dir(self.folder)
        self.created = not self.folder.exists()
        self.partial = self.folder / (DB_NAME + ".partial")
        self.inserts = None
        self._lock = None
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            self._lock = self._locked()
            if not restart:
                check_run_dir(self.folder)  # again, under the lock: another process may have started here
            for stale in (self.partial, self.partial.with_name(self.partial.name + ".wal")):
                stale.unlink(missing_ok=True)
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
        except BaseException as e:
            failure = write_error(self.partial, e)
            self._remove()
            if failure is e:
                raise
            raise failure from e

    def _locked(self) -> contextlib.ExitStack:
        """The folder's lock (``outputs.folder_lock``), held until ``_unlock``."""
        stack = contextlib.ExitStack()
        stack.enter_context(folder_lock(self.folder, "a run"))
        return stack

    def _unlock(self) -> None:
        if self._lock is not None:
            self._lock.close()
            self._lock = None

    def _remove(self) -> None:
        """What this run wrote, removed (a folder it created, else its database), and the lock."""
        try:
            con = getattr(self, "con", None)
            if con is not None:
                con.close()
        except Exception:  # noqa: BLE001
            pass
        if self._lock is None:  # another process holds the folder: touch nothing of its
            if self.created:  # but a folder made here and never locked (a Ctrl-C in between) goes, if empty
                with contextlib.suppress(OSError):
                    self.folder.rmdir()
            return
        if self.created:
            shutil.rmtree(self.folder, ignore_errors=True)
        else:
            for f in (self.partial, self.partial.with_name(self.partial.name + ".wal")):
                f.unlink(missing_ok=True)
        self._unlock()

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
        self._unlock()
        return final

    def abort(self) -> bool:
        """Close after a failure. With a checkpoint, keep the run for ``--resume`` (True);
        otherwise remove it."""
        if self.inserts is not None:
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
            self._unlock()
            return True
        self._remove()
        return False

    @classmethod
    def resume(cls, folder: str | Path):
        """Reopen an interrupted run at its last checkpoint: (writer, simulation). A run
        interrupted before its first checkpoint starts again from its first month, from the
        scenario its database holds (the result is the same)."""
        from .engine import Simulation

        folder = Path(folder)
        if (folder / DB_NAME).exists():
            raise InputError(f"{folder}: run is already complete")
        partial = folder / (DB_NAME + ".partial")
        if not partial.exists():
            raise InputError(f"{folder}: no interrupted run with a checkpoint to resume")
        self = object.__new__(cls)
        self.folder, self.partial, self.created, self.inserts, self._lock = folder, partial, False, None, None
        self._lock = self._locked()
        try:
            if not (folder / CHECKPOINT).exists():  # stopped before its first checkpoint: from the start
                scenario = self._stored_scenario(restart=True)
                self._unlock()
                return cls(folder, scenario, scenario.run.snapshot_every, restart=True), Simulation(scenario)
            scenario = self._stored_scenario(restart=False)
            sim = Simulation.from_checkpoint(scenario, folder / CHECKPOINT)
            tables = {r[0] for r in self.con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
            for table in ("metrics", "edge_events", "snapshots"):
                if table in tables:  # rows written after the checkpoint are written again
                    self.con.execute(f"DELETE FROM {table} WHERE month >= ?", [sim.month])
            for table in ("citizens", "edges"):  # the final tables, of a run killed while it finished
                self.con.execute(f"DROP TABLE IF EXISTS {table}")
        except BaseException as e:
            with contextlib.suppress(Exception):
                self.con.close()
            self._unlock()
            if isinstance(e, duckdb.Error):
                raise database_error(partial, e) from None
            raise
        self.scenario, self.snapshot_every = scenario, scenario.run.snapshot_every
        self.columns, self.metrics_made = None, "metrics" in tables
        self.snapshots_made = "snapshots" in tables
        self.pending, self.pending_events, self.pending_event_rows = [], [], 0
        self.inserts = _Inserts()
        return self, sim

    def _stored_scenario(self, restart: bool):
        """The scenario in the interrupted run's ``meta`` table (the connection is left open
        unless ``restart``)."""
        import tomllib

        from .scenario import scenario_from_dict

        try:
            self.con = duckdb.connect(str(self.partial))
            meta = dict(self.con.execute("SELECT key, value FROM meta").fetchall())
            if restart:
                self.con.close()
        except duckdb.Error as e:
            if restart:
                raise InputError(f"{self.partial}: the run was interrupted while its database was made, before its "
                                 "first checkpoint; nothing of it can be resumed: run it again into this folder with "
                                 f"--overwrite, which removes it (scsim run SCENARIO --out {self.folder} --overwrite)") from None
            raise
        if "scenario" not in meta:
            way_out = f"; replace it with: scsim run SCENARIO --out {self.folder} --overwrite" if restart else ""
            raise InputError(f"{self.partial}: not a scsim run database (its meta table has no scenario){way_out}")
        try:
            return scenario_from_dict(tomllib.loads(meta["scenario"]), str(self.folder))
        except tomllib.TOMLDecodeError as e:
            raise InputError(f"{self.partial}: the stored scenario is not valid TOML ({e})") from None


def open_run_db(folder: str | Path) -> duckdb.DuckDBPyConnection:
    """Read-only connection to a complete run's database; a damaged file, another program's
    DuckDB file or an incomplete run is one ``InputError`` line naming it."""
    folder = Path(folder)
    db = folder / DB_NAME if folder.is_dir() else folder
    if not db.is_file():
        if (folder / (DB_NAME + ".partial")).exists():
            raise InputError(f"{folder}: run is incomplete (interrupted or failed); continue it with: "
                             f"scsim run --resume {folder}")
        raise InputError(f"{folder}: no run here (no {DB_NAME})")
    try:
        con = duckdb.connect(str(db), read_only=True)
    except duckdb.Error as e:
        raise database_error(db, e) from None
    try:
        tables = {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
        missing = [t for t in RUN_TABLES if t not in tables]
        if missing:
            raise InputError(f"{db}: a DuckDB database, but not a scsim run (no table '{missing[0]}')")
        meta = dict(con.execute("SELECT key, value FROM meta").fetchall())
        if "scenario" not in meta:
            raise InputError(f"{db}: a DuckDB database, but not a scsim run (its meta table has no scenario)")
        if meta.get("status") != "complete":
            raise InputError(f"{folder}: run is incomplete")
    except BaseException as e:
        con.close()
        if isinstance(e, duckdb.Error):
            raise database_error(db, e) from None
        raise
    return con


@contextlib.contextmanager
def reading(folder: str | Path):
    """A complete run's database, open for the ``with`` block (``open_run_db``); a DuckDB error
    while reading it (a damaged page) is one ``InputError`` line naming the file."""
    con = open_run_db(folder)
    try:
        yield con
    except duckdb.Error as e:
        db = Path(folder) / DB_NAME if Path(folder).is_dir() else Path(folder)
        raise database_error(db, e) from None
    finally:
        con.close()


def parquet_paths(con, out: Path) -> list[tuple[str, Path]]:
    """(table, out/TABLE.parquet) for every table of a run."""
    names = con.execute("SELECT table_name FROM information_schema.tables ORDER BY table_name").fetchall()
    return [(table, out / f"{table}.parquet") for (table,) in names]


def export_parquet(folder: str | Path, out: str | Path) -> list[Path]:
    """Write every table of a run to ``out/TABLE.parquet``; none of those files may exist yet
    (checked before any is written), and a failure (a full disk) leaves none of them, nor a
    folder made for them (``outputs.staged``)."""
    from .outputs import check_new_files, staged

    out = Path(out)
    if out.exists() and not out.is_dir():
        raise OutputError(f"--parquet {out}: exists and is not a folder")
    with reading(folder) as con:
        targets = parquet_paths(con, out)
        check_new_files([p for _, p in targets], "--parquet")
        try:
            with staged("--parquet") as outputs:
                for table, path in targets:
                    con.execute(f"COPY {table} TO '{outputs.file(path).as_posix()}' (FORMAT parquet)")
        except duckdb.Error as e:  # DuckDB's own error for a full disk, as one line naming the folder
            raise write_error(out, e) from None
    return [p for _, p in targets]
