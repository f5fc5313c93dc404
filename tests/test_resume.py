"""Checkpoints: an interrupted run resumed from its last checkpoint ends identical to an
uninterrupted one with the same seed."""

import pytest

import scsim
from scsim.engine import Simulation
from scsim.store import CHECKPOINT

from .conftest import small

TABLES = ["metrics", "citizens", "edges", "snapshots", "edge_events"]


@pytest.mark.parametrize("preset,extra,in_place", [
    ("social-credit-2020", {}, False),
    # a state over RunWriter.COPY_LIMIT is written at once from the live arrays, not copied
    ("social-credit-2020", {}, True),
    # arrests, files and a new generation at month 30 all cross the checkpoint at month 28
    ("provocateur", {"phases.mandatory_start": "2016-01", "generations.every": 30, "provocateurs.share": 0.05}, False),
])
def test_resumed_run_equals_uninterrupted(tmp_path, monkeypatch, preset, extra, in_place):
    from scsim.store import RunWriter

    if in_place:
        monkeypatch.setattr(RunWriter, "COPY_LIMIT", 0)
    sc = small(preset, citizens=1000, months=40, **{"run.checkpoint_every": 7, "run.snapshot_every": 5, **extra})
    whole = scsim.simulate(sc, out=tmp_path / "whole")
    if preset == "provocateur":  # the phases under test did happen
        assert whole.metrics.arrests.sum() > 0 and whole.metrics.generation.iloc[-1] == 1

    real_step = Simulation.step

    def crashing_step(self):
        if self.month == 31:  # after the checkpoint at month 28, with months 28-30 written
            raise KeyboardInterrupt
        return real_step(self)

    monkeypatch.setattr(Simulation, "step", crashing_step)
    with pytest.raises(KeyboardInterrupt):
        scsim.simulate(sc, out=tmp_path / "cut")
    assert (tmp_path / "cut" / CHECKPOINT).exists()
    assert not (tmp_path / "cut" / "results.duckdb").exists()
    # each checkpoint's state is staged, then published once the database caught up: none left over
    assert not list((tmp_path / "cut").glob("checkpoint-*")) and not list((tmp_path / "whole").glob("checkpoint*"))
    monkeypatch.setattr(Simulation, "step", real_step)

    resumed = scsim.resume(tmp_path / "cut")
    assert not (tmp_path / "cut" / CHECKPOINT).exists()
    for t in TABLES:
        order = "ORDER BY ALL"
        a = whole.query(f"SELECT * FROM {t} {order}")
        b = resumed.query(f"SELECT * FROM {t} {order}")
        assert len(a) > 0 and a.equals(b), t


def test_resume_refuses_complete_or_missing_runs(tmp_path):
    sc = small("western", citizens=300, months=3)
    scsim.simulate(sc, out=tmp_path / "done")
    with pytest.raises(scsim.InputError, match="already complete"):
        scsim.resume(tmp_path / "done")
    with pytest.raises(scsim.InputError, match="no interrupted run"):
        scsim.resume(tmp_path / "nothing")


def test_a_failed_insert_fails_the_run_and_leaves_nothing(tmp_path, monkeypatch):
    """Inserts run on a background thread; an error there still ends the run with that error,
    and a run without a checkpoint leaves no folder behind."""
    from scsim.store import RunWriter

    real_insert = RunWriter._insert

    def failing_insert(self, table, cols, create):
        if table == "snapshots" and not create:
            raise OSError("disk full (simulated)")
        return real_insert(self, table, cols, create)

    monkeypatch.setattr(RunWriter, "_insert", failing_insert)
    sc = small("western", citizens=300, months=12, **{"run.snapshot_every": 2, "run.checkpoint_every": 0})
    with pytest.raises(OSError, match="disk full"):
        scsim.simulate(sc, out=tmp_path / "run")
    assert not (tmp_path / "run").exists()
    # with checkpoints: none is written past the failed insert (it would resume over a gap)
    sc = small("western", citizens=300, months=12, **{"run.snapshot_every": 2, "run.checkpoint_every": 3})
    with pytest.raises(OSError, match="disk full"):
        scsim.simulate(sc, out=tmp_path / "run2")
    # month 2's snapshot fails; the checkpoint queued after it (end of month 2) is not written
    assert not (tmp_path / "run2").exists()
