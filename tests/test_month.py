"""The month as data: one phase table (scsim.month.PHASES), run as documented, by every backend."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from scsim import month, rng
from scsim.engine import Simulation

from .conftest import small

DOCS = Path(__file__).resolve().parent.parent / "docs" / "model.md"


def test_docs_list_the_phases_of_the_table():
    text = DOCS.read_text()
    block = re.search(r"<!-- phases: [^\n]*-->\n(.*?)<!-- /phases -->", text, re.S)
    assert block, "docs/model.md lost its generated list of phases"
    assert block.group(1).strip() == month.describe(markdown=True).strip(), \
        "docs/model.md's phases differ from scsim.month.PHASES: paste `python -m scsim.month`"


def test_phase_names_are_unique_and_streams_are_the_declared_ones():
    assert len(set(month.ORDER)) == len(month.ORDER)
    used = {s for p in month.PHASES for s in p.streams}
    assert used == set(rng.MONTHLY)  # every monthly stream belongs to a phase, and no phase invents one


def recorded_phases(sim, months: int) -> list[list[str]]:
    """The phases each month actually runs, in order (from the backend's own timing laps)."""
    laps: list[list[str]] = []
    lap = sim.lap

    def record(name):
        if name is not None:
            laps[-1].append(name)
        lap(name)

    sim.lap = record
    for _ in range(months):
        laps.append([])
        sim.step()
    return laps


def expected(sim, t: int) -> list[str]:
    return [p.name for p in month.PHASES if month.runs(p, sim, t)]


def crossing(citizens: int):
    """Mandatory in month 3, provocateurs from then on, a generation every 3 months: months 3
    and 6 run every phase of the table."""
    return small("social-credit-2020", citizens, 8, **{"run.start": "2019-10", "phases.optin_start": "2019-10",
                                                      "provocateurs.enabled": True, "generations.every": 3})


def test_the_engine_runs_the_table_in_its_order():
    sim = Simulation(crossing(600))
    laps = recorded_phases(sim, 7)
    assert laps == [expected(sim, t) for t in range(7)]
    assert laps[6] == list(month.ORDER) and "provocation" not in laps[1] and "generations" not in laps[4]


def test_every_backend_supplies_each_phase_the_step_does_not_run_itself():
    supplied = [p.name for p in month.PHASES if p.name not in month.RUN_BY_STEP and p.name != "metrics"]
    backends = [Simulation]
    try:
        from scsim.backends.torch_backend import TorchSimulation

        backends.append(TorchSimulation)
    except ImportError:
        pass
    for cls in backends:
        missing = [name for name in supplied + ["metrics", "lap", "calendar"] if not callable(getattr(cls, name, None))]
        assert not missing, f"{cls.__name__} lacks phases {missing}"


def test_the_torch_backend_runs_the_same_table():
    torch = pytest.importorskip("torch")
    from scsim.backends.torch_backend import TorchSimulation

    sim = TorchSimulation(crossing(600), "cpu")
    sim.profile_phases = True
    laps = recorded_phases(sim, 7)
    assert laps == [expected(sim, t) for t in range(7)] and laps[6] == list(month.ORDER)
    assert set(sim.phase_seconds) == set(month.ORDER) and torch.is_tensor(sim.score)
