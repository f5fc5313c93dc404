"""The tie ledger: channels that add up to each citizen's change in degree, and groups."""

import numpy as np
import pytest

from scsim.engine import Simulation
from scsim.errors import InputError
from scsim.ledger import CHANNELS, run_with_ledger

from .conftest import small


def test_channels_add_up_to_each_citizens_change_in_degree():
    sc = small("social-credit-2020", citizens=1500, months=72,
               **{"run.start": "2019-10", "phases.optin_start": "2019-10", "scoring.association.friends_posts": 0.3})
    sim = Simulation(sc)
    start = sim.net.deg.copy()
    metrics, ledger = run_with_ledger(sim, 12)
    per = ledger.per_citizen()
    np.testing.assert_array_equal(per["net"].to_numpy(), sim.net.deg.astype(np.int64) - start)
    assert (per[["cut_as_dragger", "cut_a_dragger", "churn", "arrest"]] <= 0).all().all()
    assert (per[["sought", "received"]] >= 0).all().all()
    # every made tie is sought by one citizen and received by another; every drag cut has two ends
    assert per["sought"].sum() == per["received"].sum() > 0
    assert per["cut_as_dragger"].sum() == per["cut_a_dragger"].sum() == -metrics["edges_cut_drag"].sum() < 0
    groups = ledger.groups()
    assert list(groups["group"]) == ["income Q1", "income Q2", "income Q3", "income Q4", "high tau", "rest"]
    assert groups["citizens"][:4].sum() == sim.n and groups["citizens"][4:].sum() == sim.n
    q = groups.set_index("group")
    whole = sum(q.loc[f"income Q{k}", "net"] * q.loc[f"income Q{k}", "citizens"] for k in range(1, 5))
    assert whole == pytest.approx(per["net"].sum())
    cut = ledger.cut_draggers()
    assert cut["cuts"] == metrics["edges_cut_drag"].sum() and 0 <= cut["cut_posters"] <= 1
    assert set(CHANNELS) <= set(groups.columns)


def test_the_ledger_refuses_generations():
    sc = small("social-credit-2020", citizens=300, months=24, **{"generations.every": 6})
    with pytest.raises(InputError, match="generations"):
        run_with_ledger(Simulation(sc), 1)
