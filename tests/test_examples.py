"""Every example scenario validates, and runs for a few months."""

from pathlib import Path

import pytest

import scsim
from scsim.scenario import load_scenario

EXAMPLES = sorted((Path(__file__).resolve().parents[1] / "examples").glob("*.toml"))

def test_there_are_examples():
    assert {p.stem for p in EXAMPLES} >= {"harsh-register", "facebook"}

@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_example_runs(path):
    sc = load_scenario(path)
    if sc.network.model != "edgelist":
        sc = sc.with_overrides(**{"population.citizens": 1000})
    run = scsim.simulate(sc.with_overrides(**{"run.months": 62}))
    assert len(run.metrics) == 62
    assert run.metrics["self_censorship_rate"].iloc[-1] > 0  # the 2020 rules are on
    if sc.network.model == "edgelist":
        assert run.simulation.n == 4039
