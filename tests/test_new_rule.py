"""What it takes to add a behaviour rule with one state array and one metric (docs/model.md, "Adding
a rule"): one Phase in the table, which declares the rule's state and its metric, and the rule's
kernel on each backend. Nothing else lists it: the initial state, checkpoints, a generation's
re-indexing, the torch backend's tensors, the metrics row and the database all follow."""

from __future__ import annotations

import numpy as np
import pytest

from scsim import month
from scsim.engine import Simulation
from scsim.metric_columns import Column
from scsim.state import StateArray
from scsim.store import open_run_db

from .conftest import small

# 1. the registration: the phase, its place in the month, its state and its metric
SILENCE = month.Phase(
    "silence", "months since each citizen last published unapproved content (a toy rule)",
    reads=("month.posted",), writes=("silent_for",),
    state=(StateArray("silent_for", "int32", "months without an unapproved post", at_generation=0),),
    columns=(Column("silent_for_mean", "months", "mean months without an unapproved post", from_phase="silence"),))
PHASES = month.PHASES[:-1] + (SILENCE, month.PHASES[-1])  # after bragging, before the metrics


# 2. the kernel, once per backend
class WithSilence(Simulation):
    phases = PHASES

    def silence(self, m: month.Month) -> dict:
        self.silent_for = np.where(m.posted.any(0), 0, self.silent_for + 1).astype(np.int32)
        return {"silent_for_mean": float(self.silent_for.mean())}


def scenario():
    return small("social-credit-2020", 600, 8, **{"run.start": "2019-10", "phases.optin_start": "2019-10",
                                                  "generations.every": 4, "generations.growth": 0.1,
                                                  "run.checkpoint_every": 4})


def test_the_rule_runs_with_its_state_and_metric_on_the_cpu_engine(tmp_path):
    sim = WithSilence(scenario())
    assert "silent_for" in sim.CARRIED and sim.silent_for.dtype == np.int32 and not sim.silent_for.any()
    rows = sim.run()
    assert list(rows[-1])[-1] == "silent_for_mean"
    assert rows[-1]["silent_for_mean"] == pytest.approx(sim.silent_for.mean()) and rows[-1]["silent_for_mean"] > 0
    assert rows[4]["silent_for_mean"] < rows[3]["silent_for_mean"]  # a generation (month 4) starts everyone at 0
    assert sim.silent_for.shape == (sim.n,) and sim.n > 600  # re-indexed when the population grew
    sim.save_checkpoint(tmp_path / "c.npz")
    back = WithSilence.from_checkpoint(sim.sc, tmp_path / "c.npz")
    assert np.array_equal(back.silent_for, sim.silent_for)
    assert Simulation(scenario()).step().keys() == rows[0].keys() - {"silent_for_mean"}  # the stock engine is untouched


def test_the_rule_reaches_the_database():
    sc = scenario()
    sim = WithSilence(sc)
    from scsim.store import RunWriter
    import tempfile
    from pathlib import Path

    folder = Path(tempfile.mkdtemp()) / "run"
    writer = RunWriter(folder, sc, sc.run.snapshot_every)
    sim.run(store=writer)
    writer.finish(sim, 0.0)
    con = open_run_db(folder)
    got = con.execute("SELECT month, silent_for_mean FROM metrics ORDER BY month").fetchall()
    assert len(got) == 8 and got[-1][1] == pytest.approx(sim.silent_for.mean())


def test_the_rule_on_the_torch_backend_equals_the_cpu_engine():
    torch = pytest.importorskip("torch")
    from scsim.backends.torch_backend import TorchSimulation

    class TorchWithSilence(TorchSimulation):
        phases = PHASES
        cpu_class = WithSilence

        def silence(self, m: month.Month) -> dict:
            self.silent_for = torch.where(m.posted.any(0), 0, self.silent_for + 1).to(torch.int32)
            return {"silent_for_mean": float(self.silent_for.double().mean())}

    a = WithSilence(scenario())
    b = TorchWithSilence.from_simulation(a, "cpu", attr_dtype=torch.float64)
    for _ in range(8):  # through two generations, run on the CPU engine's code for the torch state
        ra, rb = a.step(), b.step()
        assert list(ra) == list(rb) and rb["silent_for_mean"] == pytest.approx(ra["silent_for_mean"], rel=1e-12)
    assert np.array_equal(a.silent_for, b.silent_for.numpy())
