"""Faults survived: damaged or foreign run databases, an orphaned ``.partial``, outputs already
there or not writable (checked before any work), a full disk, two processes on one folder, a
run killed (kill -9) at any point, a sweep that loses a Dask worker."""

from __future__ import annotations

import errno
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import duckdb
import numpy as np
import pytest

import scsim
from scsim.cli import main
from scsim.errors import OutputError
from scsim.outputs import LOCK_NAME, folder_lock
from scsim.store import CHECKPOINT, DB_NAME

from .conftest import REPO
from .test_bad_input import assert_input_error, cli

TABLES = ["metrics", "citizens", "edges", "snapshots", "edge_events"]
RUN = ["--preset", "sesame-2015", "--citizens", "300", "--months", "3"]


@pytest.fixture(scope="module")
def finished(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("finished") / "run"
    assert main(["run", *RUN, "--out", str(folder), "--quiet"]) == 0
    return folder


def damage(folder: Path, kind: str, source: Path) -> None:
    """``folder/results.duckdb`` made from the finished run in ``source``, damaged as ``kind``."""
    folder.mkdir(parents=True)
    db = folder / DB_NAME
    data = (source / DB_NAME).read_bytes()
    if kind == "truncated":
        db.write_bytes(data[: len(data) // 3])
    elif kind == "overwritten":
        db.write_bytes(b"name,score\nalice,700\n" * 50)
    elif kind == "zeroed-header":
        db.write_bytes(b"\0" * 4096 + data[4096:])
    elif kind == "empty":
        db.write_bytes(b"")
    else:
        con = duckdb.connect(str(db))
        if kind == "foreign":
            con.execute("CREATE TABLE orders (id INTEGER, amount DOUBLE)")
        elif kind == "no-scenario":  # every table, but its meta says nothing of a scenario
            for t in ("meta", "metrics", "citizens", "edges"):
                con.execute(f"CREATE TABLE {t} (key VARCHAR, value VARCHAR)")
        con.close()


KINDS = ["truncated", "overwritten", "zeroed-header", "empty", "foreign", "no-scenario"]


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("command", [["lookup", "{run}", "3"], ["plot", "{run}"], ["export", "{run}", "--parquet", "{pq}"]],
                         ids=["lookup", "plot", "export"])
def test_a_damaged_or_foreign_database_is_one_line(capsys, tmp_path, finished, kind, command):
    folder = tmp_path / "run"
    damage(folder, kind, finished)
    args = [a.format(run=folder, pq=tmp_path / "pq") for a in command]
    rc, _, err = cli(capsys, *args)
    line = assert_input_error(rc, err, str(folder / DB_NAME))
    assert "scsim run" in line or "not a scsim run" in line
    assert not (tmp_path / "pq").exists() and not (folder / "metrics.png").exists()


@pytest.mark.parametrize("cut", [0, 100, 5000])
def test_resume_from_a_damaged_checkpoint_is_one_line(capsys, tmp_path, monkeypatch, cut):
    from scsim.engine import Simulation

    real = Simulation.step

    def step(self):
        if self.month == 5:
            raise KeyboardInterrupt
        return real(self)

    monkeypatch.setattr(Simulation, "step", step)
    sc = tmp_path / "sc.toml"
    sc.write_text('extends = "sesame-2015"\n[population]\ncitizens = 300\n[run]\nmonths = 8\ncheckpoint_every = 2\n')
    folder = tmp_path / "run"
    assert main(["run", str(sc), "--out", str(folder), "--quiet"]) == 130
    capsys.readouterr()
    monkeypatch.undo()
    data = (folder / CHECKPOINT).read_bytes()
    (folder / CHECKPOINT).write_bytes(data[:cut])
    rc, _, err = cli(capsys, "run", "--resume", folder)
    assert_input_error(rc, err, str(folder / CHECKPOINT), "not a readable checkpoint")


@pytest.mark.parametrize("kind", ["truncated", "overwritten", "foreign"])
def test_resume_of_a_damaged_partial_is_one_line(capsys, tmp_path, finished, kind):
    folder = tmp_path / "run"
    damage(folder, kind, finished)
    (folder / DB_NAME).rename(folder / (DB_NAME + ".partial"))
    (folder / CHECKPOINT).write_bytes(b"")
    rc, _, err = cli(capsys, "run", "--resume", folder)
    assert_input_error(rc, err, str(folder))
    assert not (folder / LOCK_NAME).exists()


# ----------------------------------------------------------------------------- outputs


def test_compare_refuses_an_existing_output_before_any_run(capsys, tmp_path, monkeypatch):
    import scsim.experiments

    def no_run(*a, **k):
        raise AssertionError("compare ran before its outputs were checked")

    monkeypatch.setattr(scsim.experiments, "compare", no_run)
    (tmp_path / "c").mkdir()
    (tmp_path / "c" / "compare.csv").write_text("mine")
    rc, _, err = cli(capsys, "compare", "--seeds", "2", "--citizens", "100", "--months", "2", "--out", tmp_path / "c")
    assert_input_error(rc, err, str(tmp_path / "c" / "compare.csv"), "already exists")
    (tmp_path / "f").write_text("a file")
    rc, _, err = cli(capsys, "compare", "--seeds", "2", "--out", tmp_path / "f")
    assert_input_error(rc, err, "not a folder")
    assert (tmp_path / "c" / "compare.csv").read_text() == "mine"


def test_plot_and_export_refuse_existing_files(capsys, tmp_path, finished):
    (tmp_path / "m.png").write_bytes(b"mine")
    rc, _, err = cli(capsys, "plot", finished, "--out", tmp_path / "m.png")
    assert_input_error(rc, err, "m.png", "already exists")
    assert (tmp_path / "m.png").read_bytes() == b"mine"
    (tmp_path / "pq").mkdir()
    (tmp_path / "pq" / "metrics.parquet").write_bytes(b"mine")
    rc, _, err = cli(capsys, "export", finished, "--parquet", tmp_path / "pq")
    assert_input_error(rc, err, "metrics.parquet", "already exists")
    assert sorted(p.name for p in (tmp_path / "pq").iterdir()) == ["metrics.parquet"]  # nothing else written
    # the run's own figure is redrawn
    assert main(["plot", str(finished)]) == 0 and main(["plot", str(finished)]) == 0


@pytest.fixture
def unwritable(tmp_path) -> Path:
    """A folder in which no file can be made (read-only permissions; for root, /sys)."""
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o555)
    try:
        (folder / "probe").touch()
    except OSError:
        yield folder
    else:
        (folder / "probe").unlink()
        if not Path("/sys").is_dir() or os.access("/sys", os.W_OK) and _can_write("/sys"):
            pytest.skip("no folder here refuses writes")
        yield Path("/sys")
    folder.chmod(0o755)


def _can_write(folder: str) -> bool:
    try:
        Path(folder, ".scsim-probe").touch()
    except OSError:
        return False
    Path(folder, ".scsim-probe").unlink()
    return True


@pytest.mark.parametrize("command", [["run", *RUN, "--out", "{ro}/run"],
                                     ["compare", "--seeds", "2", "--citizens", "100", "--out", "{ro}/c"],
                                     ["plot", "{run}", "--out", "{ro}/m.png"],
                                     ["export", "{run}", "--parquet", "{ro}/pq"]], ids=["run", "compare", "plot", "export"])
def test_an_unwritable_folder_is_one_line_before_any_work(capsys, unwritable, finished, monkeypatch, command):
    import scsim.experiments
    import scsim.world

    def no_work(*a, **k):
        raise AssertionError("work started before the output was checked")

    monkeypatch.setattr(scsim.world, "build_world", no_work)
    monkeypatch.setattr(scsim.experiments, "compare", no_work)
    args = [a.format(ro=unwritable, run=finished) for a in command]
    rc, _, err = cli(capsys, *args)
    assert_input_error(rc, err, str(unwritable))


def _no_space(path) -> OSError:
    return OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))


@pytest.mark.parametrize("where", ["database", "checkpoint"])
def test_a_full_disk_is_one_line_and_leaves_nothing(capsys, tmp_path, monkeypatch, where):
    """ENOSPC from the database (DuckDB's own error, as a real full disk gives it) or from the
    checkpoint's file, before the first checkpoint is published: one line, no folder left."""
    from scsim import store

    if where == "database":
        def insert(self, batch):
            raise duckdb.IOException(f'Could not write file "{self.partial}": No space left on device')

        monkeypatch.setattr(store.RunWriter, "_insert_events", insert)
        monkeypatch.setattr(store.RunWriter, "EVENTS_BATCH", 1)
    else:
        def write(arrays, path):
            raise _no_space(path)

        monkeypatch.setattr(store, "write_checkpoint", write)
    sc = tmp_path / "sc.toml"
    sc.write_text('extends = "social-credit-2020"\n[population]\ncitizens = 400\n[run]\nmonths = 8\ncheckpoint_every = 3\n')
    rc, _, err = cli(capsys, "run", sc, "--out", tmp_path / "run", "--quiet")
    assert_input_error(rc, err, "No space left on device", str(tmp_path / "run"))
    assert not (tmp_path / "run").exists()


# ----------------------------------------------------------------------------- one writer per folder


HOLD = textwrap.dedent("""
    import sys, time
    from scsim.outputs import folder_lock
    with folder_lock(sys.argv[1], "a test"):
        print("locked", flush=True)
        time.sleep(60)
""")


def _python(code: str, *args, **kw) -> subprocess.Popen:
    env = dict(os.environ, PYTHONPATH=str(REPO / "src"))
    return subprocess.Popen([sys.executable, "-c", code, *map(str, args)], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, **kw)


def test_two_processes_never_write_one_run_folder(capsys, tmp_path):
    """A folder held by another process (here: one holding the lock as a run does) is refused by
    a new run and by --resume, without touching anything there; once that process is killed
    (kill -9: the OS releases its lock) the folder can be used."""
    folder = tmp_path / "run"
    folder.mkdir()
    holder = _python(HOLD, folder)
    try:
        assert holder.stdout.readline().strip() == "locked"
        rc, _, err = cli(capsys, "run", *RUN, "--out", folder, "--quiet")
        assert_input_error(rc, err, str(folder), "another scsim process")
        assert sorted(p.name for p in folder.iterdir()) == [LOCK_NAME]
        (folder / (DB_NAME + ".partial")).write_bytes(b"x")
        (folder / CHECKPOINT).write_bytes(b"x")
        rc, _, err = cli(capsys, "run", "--resume", folder)
        assert_input_error(rc, err, str(folder), "another scsim process")
        assert (folder / (DB_NAME + ".partial")).read_bytes() == b"x"
    finally:
        holder.kill()
        holder.wait()
    (folder / (DB_NAME + ".partial")).unlink()
    (folder / CHECKPOINT).unlink()
    assert main(["run", *RUN, "--out", str(folder), "--quiet"]) == 0
    assert sorted(p.name for p in folder.iterdir()) == [DB_NAME]  # the lock file is gone too


def test_the_lock_is_exclusive_within_a_process_too(tmp_path):
    with folder_lock(tmp_path, "one"):
        with pytest.raises(OutputError, match="another scsim process"):
            with folder_lock(tmp_path, "two"):
                pass
    with folder_lock(tmp_path, "again"):
        pass


# ----------------------------------------------------------------------------- kill -9 anywhere, then --resume


CRASH = textwrap.dedent("""
    import os, signal, sys
    import scsim
    from scsim import store
    from scsim.engine import Simulation
    from scsim.scenario import load_preset

    where, k, folder = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    die = lambda: os.kill(os.getpid(), signal.SIGKILL)
    if where == "month":  # between two months
        real_step = Simulation.step
        def step(self):
            if self.month == k:
                die()
            return real_step(self)
        Simulation.step = step
    elif where == "checkpoint-file":  # half of the k-th checkpoint's file written
        calls = []
        def write(arrays, path):
            calls.append(path)
            if len(calls) == k:
                with open(path, "wb") as fh:
                    fh.write(b"PK" + b"\\0" * 1000)
                die()
            store.write_checkpoint_real(arrays, path)
        store.write_checkpoint_real = store.write_checkpoint
        store.write_checkpoint = write
    elif where == "database":  # the k-th batch of metrics inserted, not yet checkpointed
        real_insert = store.RunWriter._insert_metrics
        calls = []
        def insert(self, rows):
            real_insert(self, rows)
            calls.append(1)
            if len(calls) == k:
                die()
        store.RunWriter._insert_metrics = insert
    elif where == "publish":  # the database checkpointed, the state not yet renamed into place
        real_replace = store.os.replace
        calls = []
        def replace(a, b):
            if str(b).endswith("checkpoint.npz"):
                calls.append(1)
                if len(calls) == k:
                    die()
            real_replace(a, b)
        store.os.replace = replace
    elif where == "finish":  # the final tables written, the database not yet renamed
        real_meta = store.RunWriter._meta
        def meta(self, **kv):
            real_meta(self, **kv)
            if kv.get("status") == "complete":
                die()
        store.RunWriter._meta = meta
    sc = load_preset("social-credit-2020").with_overrides(**{
        "population.citizens": 400, "run.months": 20, "run.checkpoint_every": 4, "run.snapshot_every": 3})
    scsim.simulate(sc, out=folder)
""")


def _crash_and_resume(tmp_path, whole: Path, where: str, k: int) -> None:
    folder = tmp_path / f"{where}-{k}"
    proc = _python(CRASH, where, k, folder)
    proc.communicate(timeout=300)
    assert proc.returncode == -signal.SIGKILL, f"the run was not killed at {where} {k}"
    assert not (folder / DB_NAME).exists()
    assert main(["run", "--resume", str(folder), "--quiet"]) == 0
    assert sorted(p.name for p in folder.iterdir()) == [DB_NAME]
    a = duckdb.connect(str(whole / DB_NAME), read_only=True)
    b = duckdb.connect(str(folder / DB_NAME), read_only=True)
    for t in TABLES:
        x, y = (c.execute(f"SELECT * FROM {t} ORDER BY ALL").df() for c in (a, b))
        assert len(x) > 0 and x.equals(y), f"{t} differs after a crash at {where} {k}"
    a.close()
    b.close()


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("whole") / "run"
    sc = scsim.load_preset("social-credit-2020").with_overrides(**{
        "population.citizens": 400, "run.months": 20, "run.checkpoint_every": 4, "run.snapshot_every": 3})
    scsim.simulate(sc, out=folder)
    return folder


CRASHES = [("month", int(k)) for k in np.random.default_rng(19).choice(np.arange(1, 20), 4, replace=False)] + [
    ("month", 2), ("checkpoint-file", 2), ("database", 1), ("database", 3), ("publish", 1), ("publish", 3), ("finish", 1)]


@pytest.mark.parametrize("where, k", [("month", 2), ("checkpoint-file", 2)])
def test_killed_then_resumed_equals_the_uninterrupted_run(tmp_path, uninterrupted, where, k):
    """kill -9 before the first checkpoint (the orphaned .partial restarts from month 0) and in
    the middle of writing a checkpoint's file."""
    _crash_and_resume(tmp_path, uninterrupted, where, k)


@pytest.mark.slow
@pytest.mark.parametrize("where, k", CRASHES)
def test_killed_anywhere_then_resumed_equals_the_uninterrupted_run(tmp_path, uninterrupted, where, k):
    _crash_and_resume(tmp_path, uninterrupted, where, k)


def test_an_orphaned_partial_tells_the_way_out(capsys, tmp_path, uninterrupted):
    folder = tmp_path / "run"
    proc = _python(CRASH, "month", 2, folder)
    proc.communicate(timeout=300)
    assert (folder / (DB_NAME + ".partial")).exists() and not (folder / CHECKPOINT).exists()
    rc, _, err = cli(capsys, "run", "--preset", "social-credit-2020", "--out", folder, "--quiet")
    assert_input_error(rc, err, "interrupted before its first checkpoint", f"scsim run --resume {folder}")


# ----------------------------------------------------------------------------- a sweep that loses a worker


SWEEP = """[sweep]
base = "sesame-2015"
design = "grid"
seeds = 3
[set]
"population.citizens" = 3000
"run.months" = 30
[vary]
"economy.borrow_prob" = [0.2, 0.3, 0.4, 0.5]
"""


@pytest.mark.slow
def test_a_sweep_that_loses_a_worker_finishes_every_run_once_with_the_same_results(tmp_path):
    from distributed import Client, LocalCluster

    from scsim.sweep import load_sweep, run_sweep

    path = tmp_path / "s.toml"
    path.write_text(SWEEP)
    spec = load_sweep(path)
    calm = run_sweep(spec, out=tmp_path / "calm", workers=1)
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0") as cluster, \
            Client(cluster) as client:
        pids = list(client.run(os.getpid).values())
        killer = __import__("threading").Timer(6.0, os.kill, (pids[0], signal.SIGKILL))
        killer.start()
        t0 = time.time()
        hit = run_sweep(spec, out=tmp_path / "hit", client=client)
        killer.join()
        assert time.time() - t0 > 6.0, "the sweep ended before a worker was lost: make it longer"
    assert not hit.failures and hit.runs_done == hit.runs_total == calm.runs_total == 12
    runs = sorted(p.name for p in (tmp_path / "hit" / "runs").iterdir())
    assert runs == sorted(p.name for p in (tmp_path / "calm" / "runs").iterdir()) and len(runs) == 12
    for table in ("runs", "summary", "metrics"):
        a, b = calm.table(table), hit.table(table)
        assert len(a) and a.equals(b), table


# ----------------------------------------------------------------------------- a real Ctrl-C anywhere


INTERRUPTED = textwrap.dedent("""
    import sys
    from scsim.cli import main
    print("started", flush=True)
    sys.exit(main(["run", "--preset", "social-credit-2020", "--citizens", "3000", "--months", "60", "--seed", "5",
                   "--out", sys.argv[1], "--quiet"]))
""")


def _interrupt_and_resume(tmp_path, delay: float) -> None:
    folder = tmp_path / f"run-{delay:.2f}"
    proc = _python(INTERRUPTED, folder)
    assert proc.stdout.readline().strip() == "started"
    time.sleep(delay)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=300)
    if (folder / DB_NAME).exists():  # it finished first (the signal may then land in Python's own exit)
        assert proc.returncode in (0, -signal.SIGINT) and "Traceback" not in err, err
        return
    assert proc.returncode == 130, err
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("scsim: interrupted") and "Traceback" not in err, err
    if "--resume" in lines[0]:
        assert main(["run", "--resume", str(folder), "--quiet"]) == 0
    else:
        assert not folder.exists()


@pytest.mark.slow
@pytest.mark.parametrize("delay", np.random.default_rng(130).uniform(0.0, 6.0, 8).round(2).tolist())
def test_ctrl_c_at_a_random_moment_is_one_line_and_130(tmp_path, delay):
    """SIGINT at random moments of a real run (loading, building, inside the kernels, writing):
    always one line and 130; a run kept at a checkpoint resumes."""
    _interrupt_and_resume(tmp_path, delay)


@pytest.mark.parametrize("kind", ["truncated", "overwritten", "zeroed-header", "empty", "foreign", "no-scenario"])
def test_an_unreadable_orphaned_partial_has_a_named_way_out_that_works(capsys, tmp_path, finished, kind):
    """A ``.partial`` (and its WAL) without a checkpoint that cannot be read, as a ``kill -9``
    while the database was being made leaves it: ``--resume`` says it cannot be resumed and
    names ``--overwrite``; a new run there names both; ``--overwrite`` then runs it there."""
    folder = tmp_path / "run"
    damage(folder, kind, finished)
    (folder / DB_NAME).rename(folder / (DB_NAME + ".partial"))
    (folder / (DB_NAME + ".partial.wal")).write_bytes(b"\x01" * 100)
    rc, _, err = cli(capsys, "run", "--resume", folder)
    assert_input_error(rc, err, str(folder / (DB_NAME + ".partial")), f"--out {folder} --overwrite")
    rc, _, err = cli(capsys, "run", *RUN, "--out", folder, "--quiet")
    assert_input_error(rc, err, f"scsim run --resume {folder}", "--overwrite")
    (folder / "notes.txt").write_text("mine")
    rc, _, err = cli(capsys, "run", *RUN, "--out", folder, "--overwrite", "--quiet")
    assert rc == 0, err
    assert sorted(p.name for p in folder.iterdir()) == sorted([DB_NAME, "notes.txt"])
    assert main(["lookup", str(folder), "3"]) == 0
