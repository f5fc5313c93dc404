"""The monthly row is declared once (scsim.metric_columns): every backend's row, the store's table
and docs/model.md follow the declaration."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from scsim import metric_columns, simulate
from scsim.engine import Simulation
from scsim.store import open_run_db

from .conftest import small

DOCS = Path(__file__).resolve().parent.parent / "docs" / "model.md"


def privileges(sc) -> tuple[str, ...]:
    return tuple(p.name for p in sc.privileges)


def test_docs_list_the_declared_columns():
    from scsim.scenario import load_preset

    block = re.search(r"<!-- metrics: [^\n]*-->\n(.*?)<!-- /metrics -->", DOCS.read_text(), re.S)
    assert block, "docs/model.md lost its generated list of metrics"
    assert block.group(1).strip() == metric_columns.describe(privileges(load_preset("social-credit-2020"))).strip(), \
        "docs/model.md's metrics differ from scsim.metric_columns: paste `python -m scsim.metric_columns`"


def test_columns_are_unique_and_each_says_what_it_measures():
    cols = metric_columns.columns(("loan", "visa"))
    assert len({c.name for c in cols}) == len(cols) and all(c.meaning for c in cols)
    assert [c.name for c in cols[:3]] == ["month", "date", "phase"]


@pytest.mark.parametrize("preset", ["western", "social-credit-2020"])
def test_a_runs_database_has_exactly_the_declared_columns_in_order(tmp_path, preset):
    sc = small(preset, 300, 3)
    simulate(sc, out=tmp_path / "run")
    con = open_run_db(tmp_path / "run")
    got = [(r[0], r[1]) for r in con.execute("SELECT column_name, data_type FROM information_schema.columns "
                                             "WHERE table_name = 'metrics' ORDER BY ordinal_position").fetchall()]
    sql = {metric_columns.INTEGER: "BIGINT", metric_columns.TEXT: "VARCHAR", metric_columns.NUMBER: "DOUBLE"}
    assert got == [(c.name, sql[c.type]) for c in metric_columns.columns(privileges(sc))]
    assert con.execute("SELECT count(*) FROM metrics").fetchone()[0] == 3


def test_a_row_with_a_column_missing_or_undeclared_is_refused():
    sim = Simulation(small("social-credit-2020", 300, 3))
    row = sim.step()
    assert list(row) == list(metric_columns.names(tuple(sim.regime.names)))
    with pytest.raises(RuntimeError, match="missing \\['citizens'\\]"):
        metric_columns.ordered_row({k: v for k, v in row.items() if k != "citizens"}, sim.row_names())
    with pytest.raises(RuntimeError, match="undeclared \\['extra_thing'\\]"):
        metric_columns.ordered_row({**row, "extra_thing": 1}, sim.row_names())


def test_the_torch_row_has_the_declared_columns():
    pytest.importorskip("torch")
    from scsim.backends.torch_backend import TorchSimulation

    b = TorchSimulation(small("social-credit-2020", 300, 3), "cpu")
    assert list(b.step()) == list(metric_columns.names(tuple(b.regime.names)))


def test_published_500_600_counts_the_scored_customers_only():
    """Sesame's "most users scored 500-600" is about its customers: the published scores."""
    import numpy as np

    sim = Simulation(small("sesame-2015", 3000, 30))
    for _ in range(30):
        row = sim.step()
    pub = sim.s_pub[~np.isnan(sim.s_pub)]
    assert 0 < len(pub) < sim.n  # opt-in: some citizens are customers, not all
    exact = np.mean((pub >= 500) & (pub < 600))
    near = np.mean((np.abs(pub - 500) < 0.05) | (np.abs(pub - 600) < 0.05))  # the histogram's rounding
    assert abs(row["published_500_600"] - exact) <= near + 1e-12
    assert row["published_500_600"] != pytest.approx(row["share_500_600"])  # not everybody's share
