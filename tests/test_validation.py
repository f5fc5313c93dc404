"""Fast reproductions of the classic models (docs/validation.md): each test fails when the model
or the primitive it rests on is broken, not merely when it crashes."""

from __future__ import annotations

import numpy as np
import pytest

from scsim import rules
from scsim.errors import InputError
from scsim.network import Network
from scsim.rng import Streams
from scsim.validation import daymude, granovetter, holme_newman, wei
from scsim.validation.runner import MODELS, run_validation

# ------------------------------------------------------------------------------ threshold rules


def test_granovetter_crowds_of_100():
    """Thresholds 0..99 bring everyone in; raising threshold 1 to 2 stops at the instigator,
    on a complete Network (synchronous and sequential) and in the fully mixed crowd alike."""
    net = granovetter.complete_graph(100)
    order = Streams(3)["validation"].permutation(100).astype(np.int64)
    th = np.arange(100)
    broken = th.copy()
    broken[1] = 2
    for args in ((), (net,), (net, order)):
        assert granovetter.crowd_outcome(th, *args) == 100
        assert granovetter.crowd_outcome(broken, *args) == 1


def test_threshold_update_order_does_not_matter():
    """Activation is permanent, so synchronous and sequential updates reach the same state, with
    count and fractional thresholds; the mixed rule equals the complete graph."""
    rng = Streams(11)["validation"]
    net = holme_newman.random_graph(300, 900, rng)
    for fractional, th in ((False, rng.integers(1, 5, 300).astype(np.float64)), (True, rng.uniform(0.1, 0.7, 300))):
        seed = rng.random(300) < 0.05
        a, b = seed.copy(), seed.copy()
        rules.threshold_sync(net.start, net.deg, net.nbr, th, a, fractional)
        rules.threshold_sequential(net.start, net.deg, net.nbr, th, b, fractional, rng.permutation(300))
        assert np.array_equal(a, b)
        assert seed.sum() + 10 < a.sum() < 300  # a real cascade that stops short of everyone
    crowd = granovetter.complete_graph(200)
    th = np.maximum(rng.normal(25, 12.5, 200), 0) * 2.0
    a, b = np.zeros(200, np.bool_), np.zeros(200, np.bool_)
    rules.threshold_mixed(th, a)
    rules.threshold_sync(crowd.start, crowd.deg, crowd.nbr, th, b, False)
    assert np.array_equal(a, b)


def test_granovetter_jump_near_sd_12():
    r = granovetter.run(full=False)
    d = r.data
    assert abs(d["critical"] - 12.2) < 0.1  # the infinite crowd, Granovetter's figure
    assert abs(d["jump"] - 12.2) < 1.0
    assert d["mean"][d["sds"] == 10.0][0] < 0.05 and d["mean"][d["sds"] == 15.0][0] > 0.95
    assert r.ok


# ------------------------------------------------------------------------------ Holme-Newman


def test_coevolving_voter_keeps_the_network_whole_and_reaches_consensus():
    """The kernel's cuts and makes keep the slotted adjacency symmetric and the tie count fixed,
    also through regrowth (no spare slots at all), and stop only at consensus."""
    n, m = 300, 600
    for min_slack in (4, 0):
        o = holme_newman.simulate(n, 0.6, seed=5, min_slack=min_slack)
        net = o.net
        assert o.converged and net.n_edges == m
        u, v, _ = net.edges()
        assert all(net.has_edge(b, a) for a, b in zip(u.tolist(), v.tolist()))
        assert np.all(o.opinion[u] == o.opinion[v])  # every component agrees
        rebuilt = Network(n, u, v)
        assert np.array_equal(np.sort(rebuilt.components()), np.sort(net.components()))
    assert net.regrowths > 0
    again = holme_newman.simulate(n, 0.6, seed=5)
    assert again.steps == holme_newman.simulate(n, 0.6, seed=5).steps  # one seed, one history


def test_holme_newman_transition():
    r = holme_newman.run(full=False)
    phis, mean = r.data["phis"], r.data["largest"].mean(axis=1)
    assert mean[phis == 0.1][0] > 0.85  # one giant community
    assert mean[phis == 0.9][0] < 0.1  # fragmented into communities of ~gamma
    assert abs(r.data["phi_c"] - holme_newman.PAPER_PHI_C) < 0.1
    assert r.ok


def test_without_rewiring_it_is_the_voter_model():
    """phi = 0 never touches a tie: the graph stays the initial one and each of its components
    ends with one opinion, so the largest community is the initial giant component."""
    o = holme_newman.simulate(300, 0.0, seed=2)
    initial = holme_newman.random_graph(300, 600, Streams(2)["validation"])
    assert o.converged and o.net.edge_set() == initial.edge_set()
    giant = np.bincount(initial.components()).max() / 300
    assert o.largest == giant
    u, v, _ = o.net.edges()
    assert np.all(o.opinion[u] == o.opinion[v])


# ------------------------------------------------------------------------------ Daymude


def test_daymude_closed_form_is_the_brute_force_optimum():
    rng = Streams(99)["validation"]
    for prop in (False, True):
        cmp = daymude.compare(daymude.random_cases(1500, rng), prop, 2001)
        assert cmp["shortfall"] <= 1e-12, "a grid action beats the closed form"
        assert cmp["mismatches"] == 0


def test_brute_force_catches_a_wrong_rule():
    """The grid check has teeth: a uniform threshold that forgets that dissent raises the chance
    of being observed ((1 - nu) psi) is caught."""

    def wrong(delta, beta, nu, t, psi, proportional):
        if delta <= t:
            return delta
        return delta if beta > 0 and delta > (beta * t + nu * psi) / beta else t

    cmp = daymude.compare(daymude.random_cases(1500, Streams(98)["validation"]), False, 2001, action=wrong)
    assert cmp["mismatches"] > 50 and cmp["shortfall"] > 1e-3


def test_daymude_paper_figures():
    # Fig. 1A / 1B (uniform) and Fig. 2A (proportional): beta 1, nu 0.2, t 0.25
    assert abs(daymude.critical_desire(1.0, 0.2, 0.25, 0.6, False, points=4001) - 0.7115) < 1e-3
    assert np.isnan(daymude.critical_desire(1.0, 0.2, 0.25, 2.0, False, points=4001))
    assert rules.daymude_action(0.70, 1.0, 0.2, 0.25, 0.6, False) == 0.25
    assert rules.daymude_action(0.72, 1.0, 0.2, 0.25, 0.6, False) == 0.72
    assert rules.daymude_action(1.0, 1.0, 0.2, 0.25, 1.0, True) == pytest.approx(0.625)
    assert abs(daymude.plateau(1.0, 0.2, 0.25, 1.0, True) - 0.625) < 1e-3
    # perfect surveillance, proportional: boldness against severity
    assert rules.daymude_action(0.9, 1.0, 1.0, 0.25, 0.6, True) == 0.9
    assert rules.daymude_action(0.9, 1.0, 1.0, 0.25, 2.0, True) == 0.25
    assert rules.daymude_regime(0.2, 1.0, 0.2, 0.25, 9.0, True) == rules.COMPLIANT
    assert rules.daymude_regime(0.9, 1.0, 0.2, 0.25, 1.5, True) == rules.PARTIAL


def test_daymude_array_kernel_and_total_silence():
    rng = Streams(4)["validation"]
    delta, beta = rng.uniform(0, 1, 5000), rng.uniform(0.1, 3, 5000)
    out = np.empty(5000)
    rules.daymude_action_array(delta, beta, 0.3, 0.2, 0.8, True, out)
    ref = [rules.daymude_action(d, b, 0.3, 0.2, 0.8, True) for d, b in zip(delta, beta)]
    assert np.array_equal(out, ref)
    assert 0 < np.mean(out < delta) < 1  # a mixed population at this policy
    rules.daymude_action_array(delta, beta, 0.3, 0.0, 1.01 * beta.max() / 0.7, False, out)
    assert np.all(out == 0.0)  # zero tolerance, severity above every boldness: total silence


# ------------------------------------------------------------------------------ Wei et al.


def test_scoring_on_friends_thins_and_sorts_the_network():
    """The real engine, association on vs off on the same seed: fewer ties, more assortative in
    capacity, more components, every seed."""
    for seed in (1, 2, 3):
        on = wei.measure("strong", "mean", seed, 1500, 48)
        off = wei.measure("strong", "off", seed, 1500, 48)
        assert on["degree_mean"] < off["degree_mean"] - 0.5
        assert on["assort_capacity"] > off["assort_capacity"] + 0.1
        assert on["components"] > off["components"]
        assert on["giant_share"] < off["giant_share"]


def test_wei_paired_interval():
    on = [{"x": 1.0}, {"x": 2.0}, {"x": 3.0}]
    off = [{"x": 0.0}, {"x": 0.0}, {"x": 0.0}]
    mean, lo, hi = wei.paired(on, off, "x")
    assert mean == 2.0 and lo < 2.0 < hi and hi - 2.0 == pytest.approx(2.0 - lo)
    assert hi - lo == pytest.approx(2 * 4.302653 * 1.0 / np.sqrt(3), rel=1e-5)


# ------------------------------------------------------------------------------ runner


def test_runner_writes_a_plot_and_rejects_unknown_models(tmp_path, capsys):
    assert set(MODELS) == {"granovetter", "holme-newman", "daymude", "wei"}
    assert run_validation(["daymude"], full=False, out=tmp_path) is True
    assert (tmp_path / "daymude.png").stat().st_size > 10_000
    assert "0.7115" in capsys.readouterr().out
    with pytest.raises(InputError, match="unknown model"):
        run_validation(["schelling"], full=False, out=tmp_path)
