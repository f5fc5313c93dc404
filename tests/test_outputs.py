"""Outputs are never half-written: a full disk (ENOSPC, simulated where the bytes are written)
while ``compare``, ``plot``, ``export``, ``report --html`` or ``study`` writes is one line and
exit 2, and leaves no file or folder behind; ``study`` checks its results folder (writable, not
held by another process) before it runs anything."""

from __future__ import annotations

import errno
import os
from pathlib import Path

import duckdb
import pytest

from scsim.outputs import LOCK_NAME, PARTIAL, staged

from .conftest import REPO
from .test_bad_input import assert_input_error, cli
from .test_faults import HOLD, _python, finished, unwritable  # noqa: F401  (fixtures)

NO_SPACE = os.strerror(errno.ENOSPC)


def _full_disk_on_savefig(monkeypatch):
    """``Figure.savefig`` writes a few bytes, then the disk is full (as a real write fails:
    an OSError without a file name)."""
    from matplotlib.figure import Figure

    def savefig(self, path, *a, **k):
        Path(path).write_bytes(b"\x89PNG half")
        raise OSError(errno.ENOSPC, NO_SPACE)

    monkeypatch.setattr(Figure, "savefig", savefig)


def _everything_in(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


def test_compare_on_a_full_disk_leaves_nothing(capsys, tmp_path, monkeypatch):
    _full_disk_on_savefig(monkeypatch)
    out = tmp_path / "new" / "cmp"
    rc, _, err = cli(capsys, "compare", "--presets", "western,sesame-2015", "--seeds", "2", "--citizens", "200",
                     "--months", "3", "--out", out, "--table", tmp_path / "new" / "paper.tex", "--quiet")
    assert_input_error(rc, err, str(out / "compare.png"), NO_SPACE)
    assert _everything_in(tmp_path) == []


def test_plot_on_a_full_disk_leaves_nothing(capsys, tmp_path, monkeypatch, finished):
    before = _everything_in(finished)
    _full_disk_on_savefig(monkeypatch)
    rc, _, err = cli(capsys, "plot", finished, "--out", tmp_path / "new" / "m.png")
    assert_input_error(rc, err, str(tmp_path / "new" / "m.png"), NO_SPACE)
    assert _everything_in(tmp_path) == []
    rc, _, err = cli(capsys, "plot", finished)  # the run's own figure, in the run folder
    assert_input_error(rc, err, "metrics.png", NO_SPACE)
    assert _everything_in(finished) == before


def test_report_on_a_full_disk_leaves_nothing(capsys, tmp_path, monkeypatch, finished):
    write_text = Path.write_text

    def full(self, text, *a, **k):
        if self.suffix == ".html":
            write_text(self, text[: len(text) // 2], *a, **k)
            raise OSError(errno.ENOSPC, NO_SPACE)
        return write_text(self, text, *a, **k)

    monkeypatch.setattr(Path, "write_text", full)
    (tmp_path / "r").mkdir()
    rc, _, err = cli(capsys, "report", finished, "--html", tmp_path / "r" / "run.html")
    assert_input_error(rc, err, str(tmp_path / "r" / "run.html"), NO_SPACE)
    assert _everything_in(tmp_path / "r") == []


class _FullAfter:
    """A run database's connection whose third ``COPY`` (a Parquet file) fills the disk, with
    DuckDB's own error, after writing part of its file."""

    def __init__(self, con):
        self.con, self.copies = con, 0

    def execute(self, sql, *a):
        if sql.startswith("COPY"):
            self.copies += 1
            if self.copies == 3:
                target = sql.split("'")[1]
                Path(target).write_bytes(b"PAR1 half")
                raise duckdb.IOException(f'Could not write file "{target}": No space left on device')
        return self.con.execute(sql, *a)


def test_export_on_a_full_disk_leaves_nothing(capsys, tmp_path, monkeypatch, finished):
    import contextlib

    from scsim import store

    reading = store.reading

    @contextlib.contextmanager
    def full_reading(folder):
        with reading(folder) as con:
            yield _FullAfter(con)

    monkeypatch.setattr(store, "reading", full_reading)
    rc, _, err = cli(capsys, "export", finished, "--parquet", tmp_path / "new" / "pq")
    line = assert_input_error(rc, err, str(tmp_path / "new" / "pq"), NO_SPACE)
    assert PARTIAL not in line  # the reason, not DuckDB's line about a temporary file
    assert _everything_in(tmp_path) == []


STUDY = REPO / "studies" / "stasi"


def test_study_on_a_full_disk_leaves_nothing(capsys, tmp_path, monkeypatch):
    _full_disk_on_savefig(monkeypatch)
    rc, _, err = cli(capsys, "study", STUDY, "--fast", "--out", tmp_path / "new" / "st", "--quiet")
    assert_input_error(rc, err, str(tmp_path / "new" / "st"), NO_SPACE)
    assert _everything_in(tmp_path) == []


def test_study_on_a_full_disk_keeps_the_results_already_there(capsys, tmp_path, monkeypatch):
    """A rerun with --overwrite that fails midway leaves the earlier results whole."""
    out = tmp_path / "st"
    out.mkdir()
    (out / "results.json").write_text('{"earlier": 1}')
    (out / "figure.png").write_bytes(b"earlier")
    _full_disk_on_savefig(monkeypatch)
    rc, _, err = cli(capsys, "study", STUDY, "--fast", "--out", out, "--overwrite", "--quiet")
    assert_input_error(rc, err, NO_SPACE)
    assert _everything_in(out) == ["figure.png", "results.json"]
    assert (out / "figure.png").read_bytes() == b"earlier"


@pytest.fixture
def no_run(monkeypatch):
    """Any simulation started fails the test: the checks must come first."""
    import scsim.world

    def fail(*a, **k):
        raise AssertionError("a simulation started before the study's outputs were checked")

    monkeypatch.setattr(scsim.world, "build_world", fail)


def test_study_checks_its_results_folder_is_writable_before_any_run(capsys, unwritable, no_run):  # noqa: F811
    rc, _, err = cli(capsys, "study", STUDY, "--fast", "--out", unwritable / "st", "--quiet")
    assert_input_error(rc, err, "--out", str(unwritable))


def test_study_refuses_a_results_folder_another_process_writes(capsys, tmp_path, no_run):
    out = tmp_path / "st"
    out.mkdir()
    holder = _python(HOLD, out)
    try:
        assert holder.stdout.readline().strip() == "locked"
        rc, _, err = cli(capsys, "study", STUDY, "--fast", "--out", out, "--quiet")
        assert_input_error(rc, err, str(out), "another scsim process")
        assert _everything_in(out) == [LOCK_NAME]
    finally:
        holder.kill()
        holder.wait()


def test_staged_outputs_appear_together_or_not_at_all(tmp_path):
    (tmp_path / "old.txt").write_text("old")
    with staged("test:") as outputs:
        outputs.file(tmp_path / "old.txt").write_text("new")
        outputs.file(tmp_path / "a" / "b.txt").write_text("b")
        assert (tmp_path / "old.txt").read_text() == "old" and not (tmp_path / "a" / "b.txt").exists()
    assert (tmp_path / "old.txt").read_text() == "new" and (tmp_path / "a" / "b.txt").read_text() == "b"
    with pytest.raises(KeyboardInterrupt):
        with staged("test:") as outputs:
            outputs.file(tmp_path / "old.txt").write_text("newer")
            outputs.folder(tmp_path / "c" / "d").joinpath("e.txt").write_text("e")
            raise KeyboardInterrupt
    assert _everything_in(tmp_path) == ["a", "a/b.txt", "old.txt"] and (tmp_path / "old.txt").read_text() == "new"


def test_a_killed_writers_temporaries_are_cleared_by_the_next_one(tmp_path):
    """``kill -9`` mid-write leaves temporaries named with the writer's process id: the next
    command writing there removes those of a process that is gone, never a live one's."""
    import subprocess
    import sys

    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    dead = int(gone.stdout)
    live = os.getppid()  # (a running process that is not this one)
    (tmp_path / f"{PARTIAL}-{dead}").mkdir()
    (tmp_path / f"{PARTIAL}-{dead}" / "summary.csv").write_text("half")
    (tmp_path / f".summary{PARTIAL}-{dead}.csv").write_text("half")
    (tmp_path / f".other{PARTIAL}-{live}.csv").write_text("being written")
    with staged("test:") as outputs:
        outputs.folder(tmp_path).joinpath("summary.csv").write_text("whole")
    assert _everything_in(tmp_path) == [f".other{PARTIAL}-{live}.csv", "summary.csv"]
    assert (tmp_path / "summary.csv").read_text() == "whole"
