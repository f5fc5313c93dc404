"""What ``scsim serve`` serves: run folders, ``scsim compare`` output folders and sweep folders.

Each folder is checked when the server starts (a folder that is none of these, or a run that is
incomplete or corrupt, is refused with one line) and named by its folder's name; pages look a
name up in this table and never join a name from a URL to a path.
"""

from __future__ import annotations

import re
import threading
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from ..errors import InputError
from ..scenario import Scenario, scenario_from_dict
from ..store import DB_NAME, open_run_db

RUN_TABLES = {"meta", "metrics", "citizens", "edges", "snapshots", "edge_events"}
NAME = re.compile(r"[A-Za-z0-9._-]{1,80}")


@dataclass
class Source:
    """One folder served: ``kind`` is "run", "compare" or "sweep"."""

    name: str
    kind: str
    path: Path
    scenario: Scenario | None = None
    citizens: int = 0
    months: int = 0
    con: duckdb.DuckDBPyConnection | None = None  # read-only; each request takes a cursor
    lock: threading.Lock = field(default_factory=threading.Lock)
    cache: dict = field(default_factory=dict)  # pages made once (the database is read-only)
    making: threading.Lock = field(default_factory=threading.Lock)  # held while a cached page is made

    def cursor(self) -> duckdb.DuckDBPyConnection:
        """A cursor of the read-only connection, for one request's thread."""
        with self.lock:
            return self.con.cursor()


def open_run(path: Path, name: str) -> Source:
    """A complete run, opened read-only; refuses an incomplete or corrupt one."""
    try:
        con = open_run_db(path)
        tables = {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
        missing = RUN_TABLES - tables
        if missing:
            con.close()
            raise InputError(f"{path}: run is corrupt (no table {sorted(missing)[0]})")
        meta = dict(con.execute("SELECT key, value FROM meta").fetchall())
        scenario = scenario_from_dict(tomllib.loads(meta["scenario"]), str(path))
        citizens = con.execute("SELECT count(*) FROM citizens").fetchone()[0]
    except duckdb.Error as e:
        raise InputError(f"{path}: run database is unreadable ({str(e).splitlines()[0]})") from None
    except (KeyError, tomllib.TOMLDecodeError):
        raise InputError(f"{path}: run is corrupt (its meta table has no readable scenario)") from None
    return Source(name, "run", path, scenario, int(citizens), scenario.run.months, con)


def open_sweep(path: Path, name: str) -> Source:
    try:
        con = duckdb.connect(str(path / "sweep.duckdb"), read_only=True)
        con.execute("SELECT count(*) FROM summary").fetchone()
        con.execute("SELECT count(*) FROM runs").fetchone()
    except duckdb.Error as e:
        raise InputError(f"{path}: sweep database is unreadable ({str(e).splitlines()[0]})") from None
    return Source(name, "sweep", path, con=con)


def open_source(folder: str | Path, name: str | None = None) -> Source:
    """The folder as a run, a compare output or a sweep; one clear InputError otherwise."""
    path = Path(folder)
    if not path.is_dir():
        raise InputError(f"{folder}: no such folder")
    name = name or path.resolve().name
    if (path / DB_NAME).exists() or (path / (DB_NAME + ".partial")).exists():
        return open_run(path, name)
    if (path / "sweep.duckdb").is_file():
        return open_sweep(path, name)
    if (path / "compare.csv").is_file():
        return Source(name, "compare", path)
    raise InputError(f"{folder}: not a run, a compare output or a sweep folder "
                     f"(no {DB_NAME}, compare.csv or sweep.duckdb)")


def safe_name(name: str, taken: set[str]) -> str:
    """A URL-safe, unique name for a folder."""
    base = re.sub(r"[^A-Za-z0-9._-]", "-", name)[:60].strip(".") or "run"
    out, k = base, 2
    while out in taken:
        out, k = f"{base}-{k}", k + 1
    return out


def open_sources(folders: list[str | Path]) -> dict[str, Source]:
    """Every folder given to ``scsim serve``, by name (startup fails on the first bad one)."""
    out: dict[str, Source] = {}
    for folder in folders:
        src = open_source(folder)
        src.name = safe_name(src.name, set(out))
        out[src.name] = src
    return out
