"""The provocateur regime: the rule on a hand-made network, its probabilities, and the engine."""

import math

import numpy as np
import pytest

import scsim
from scsim.backends import torch_available
from scsim.engine import Simulation
from scsim.network import Network
from scsim.provocation import ProvocationRule, agreement_probability, incident_edges, provocation_kernel

from .conftest import small

NEVER = -(10**6)


def hand_made():
    """0 is the agent. 1, 2, 3 are its friends; 3 also knows 4 and 5, 4 and 5 are dissenters;
    6 knows only 4 (no agent friend); 7 has two agents (0 and 8) for friends."""
    edges = [(0, 1), (0, 2), (0, 3), (3, 4), (3, 5), (6, 4), (0, 7), (8, 7)]
    u, v = (np.array(x, np.int32) for x in zip(*edges))
    net = Network(9, u, v)
    agent = np.zeros(9, np.bool_)
    agent[[0, 8]] = True
    tau = np.array([0.0, 0.55, 0.75, 0.5, 0.9, 0.9, 0.9, 0.62, 0.0])
    last_post = np.full(9, NEVER, np.int32)
    last_post[[4, 5]] = 10  # posted last month (the kernel runs in month 11)
    return net, agent, tau, last_post


def run_kernel(net, agent, tau, last_post, arrested=None, reported=None, month=11, invite=1.0, threshold=0.6,
               peer=0.3, spread=1e-6, detection=1.0, arrest_rate=1.0, key=np.uint64(7), fear_loss=0.0):
    n = net.n
    arrested = np.zeros(n, np.bool_) if arrested is None else arrested
    reported = np.zeros(n, np.bool_) if reported is None else reported
    out = [np.empty(n, np.bool_) for _ in range(3)]
    rule = ProvocationRule(invite, threshold, peer, spread, detection, arrest_rate, 12, fear_loss, 1.0, 0.3)
    provocation_kernel(net.start, net.deg, net.nbr, agent, arrested, reported, last_post, tau, rule, key, month, *out)
    return (*out, reported)


def test_the_rule_on_a_hand_made_network():
    net, agent, tau, last_post = hand_made()
    invited, agreed, arrest, reported = run_kernel(net, agent, tau, last_post)
    # only friends of agents are invited; agents never are
    assert np.flatnonzero(invited).tolist() == [1, 2, 3, 7]
    # a sharp rule: agree iff tau - 0.6 + 0.3 * (share of non-agent friends who are dissenters) > 0
    #   1: 0.55 - 0.6 + 0 < 0; 2: 0.75 > 0.6; 3: 0.5 - 0.6 + 0.3 * 2/2 = 0.2 > 0 (its dissenting
    #   friends tip it); 7: 0.62 > 0.6 (its only friends are agents: share 0)
    assert np.flatnonzero(agreed).tolist() == [2, 3, 7]
    assert np.flatnonzero(reported).tolist() == [2, 3, 7]  # detection 1
    assert np.flatnonzero(arrest).tolist() == [2, 3, 7]  # arrest rate 1


def test_friends_who_agree_must_be_recent_dissenters():
    net, agent, tau, last_post = hand_made()
    last_post[[4, 5]] = 11 - 13  # posted 13 months ago: no longer active
    _, agreed, _, _ = run_kernel(net, agent, tau, last_post)
    assert not agreed[3]


def test_no_detection_no_file_and_no_arrest_without_a_file():
    net, agent, tau, last_post = hand_made()
    _, agreed, arrest, reported = run_kernel(net, agent, tau, last_post, detection=0.0)
    assert agreed.any() and not reported.any() and not arrest.any()
    # someone already on file is arrested even when not invited this month
    on_file = np.zeros(9, np.bool_)
    on_file[6] = True
    _, _, arrest, _ = run_kernel(net, agent, tau, last_post, reported=on_file, invite=0.0)
    assert np.flatnonzero(arrest).tolist() == [6]


def test_arrested_and_agents_are_left_alone():
    net, agent, tau, last_post = hand_made()
    arrested = np.zeros(9, np.bool_)
    arrested[2] = True
    invited, agreed, arrest, _ = run_kernel(net, agent, tau, last_post, arrested=arrested)
    assert not (invited[2] or agreed[2] or arrest[2])
    assert not (invited[agent] | arrest[agent]).any()


def test_invitation_and_agreement_frequencies_match_the_formulas():
    """Over many months, invitation = 1 - (1 - r)^m and agreement = logistic(...) within 4 SE."""
    net, agent, tau, last_post = hand_made()
    months = 6000
    inv = np.zeros(9)
    agr = np.zeros(9)
    for month in range(months):
        lp = last_post + (month - 11)  # 4 and 5 stay dissenters of last month
        i, a, _, _ = run_kernel(net, agent, tau, lp, month=month, invite=0.3, spread=0.1, detection=0.0)
        inv += i
        agr += a
    for node, m in ((1, 1), (7, 2)):
        p = 1 - (1 - 0.3) ** m
        assert inv[node] / months == pytest.approx(p, abs=4 * math.sqrt(p * (1 - p) / months))
    for node, share in ((2, 0.0), (3, 1.0)):
        p = agreement_probability(tau[node], share, 0.6, 0.3, 0.1)
        rate = agr[node] / inv[node]
        assert rate == pytest.approx(p, abs=4 * math.sqrt(p * (1 - p) / inv[node]))


def test_incident_edges_lists_each_tie_once():
    net, *_ = hand_made()
    u, v = incident_edges(net, np.array([0, 3], np.int32))
    got = sorted(tuple(sorted(e)) for e in zip(u.tolist(), v.tolist()))
    assert got == [(0, 1), (0, 2), (0, 3), (0, 7), (3, 4), (3, 5)]


def regime(citizens=3000, months=48, **over):
    return small("provocateur", citizens, months, **{"phases.mandatory_start": "2016-01", "run.seed": 11, **over})


def test_the_preset_has_no_score_and_plants_its_agents():
    sim = Simulation(regime())
    sim.run()
    assert sim.pop.provocateur.sum() == round(0.012 * sim.n)
    assert not sim.opted.any() and np.isnan(sim.s_pub).all()
    assert not sim.flows.holders.any() and not sim.sanctioned.any()


def test_arrested_citizens_lose_every_tie_and_go_quiet(tmp_path):
    run = scsim.simulate(regime(**{"provocateurs.invite_rate": 0.3, "provocateurs.arrest_rate": 0.5}), out=tmp_path / "r")
    m = run.metrics
    assert m.arrests.iloc[:12].sum() == 0 and m.arrests.sum() > 20  # nothing before the start date
    c = run.query("SELECT * FROM citizens ORDER BY citizen")
    gone = c.arrested.to_numpy()
    assert gone.sum() == m.arrests.sum() == round(m.arrested_share.iloc[-1] * len(c))
    assert (c.degree[gone] == 0).all()
    assert not c.provocateur[gone].any() and (c.last_post[c.provocateur] < 0).all()  # agents never post
    assert c.tau[gone].mean() > c.tau.mean() + 0.1  # the rule picks independent thinkers
    cut = run.query("SELECT count(*) AS k FROM edge_events WHERE reason = 'arrest'").k[0]
    assert cut == m.edges_cut_arrest.sum() > 0
    # an arrested citizen posts nothing and makes no tie after its arrest
    arrest = run.query("SELECT u AS citizen, min(month) AS month FROM edge_events WHERE reason = 'arrest' GROUP BY u")
    assert (c.last_post[arrest.citizen].to_numpy() <= arrest.month.to_numpy()).all()
    made = run.query("SELECT u, v, month FROM edge_events WHERE event = 'made'")
    when = np.full(len(c), 10**6)
    when[arrest.citizen] = arrest.month
    assert not ((made.month.to_numpy() > when[made.u]) | (made.month.to_numpy() > when[made.v])).any()


def test_the_regime_shares_population_and_network_with_the_others():
    """Planting agents uses its own stream: the world is the western one, draw for draw."""
    a = Simulation(regime())
    b = Simulation(small("western", 3000, 48, **{"run.seed": 11}))
    assert np.array_equal(a.pop.tau, b.pop.tau)
    assert a.net.edge_set() == b.net.edge_set()


@pytest.mark.skipif(not torch_available(), reason="PyTorch not installed")
def test_the_torch_backend_runs_it():
    """(Exactness against this engine: tests/test_torch_backend.py.)"""
    run = scsim.simulate(regime(600, 24), backend="torch", device="cpu")
    assert run.metrics.provocateurs.iloc[-1] == round(0.012 * 600)



def test_fear_of_arrest_silences_by_the_choice_rule():
    """With a known arrest risk r and cost C, a would-be post is withheld with probability
    choice(r C, value tau, temperature); with no cost nothing changes."""
    from scsim.behaviour import choice
    from scsim.provocation import fear_kernel

    n = 20_000
    tau = np.full(n, 0.5)
    posted = np.ones((3, n), np.bool_)
    censored = np.zeros((3, n), np.bool_)
    fear_kernel(tau, 0.3, 0.6, 0.05, np.uint64(9), 4, posted, censored)
    p = choice(0.3, 0.6 * 0.5, 0.05)
    assert 0.3 < p < 0.7
    assert censored.mean() == pytest.approx(p, abs=4 * math.sqrt(p * (1 - p) / (3 * n)))
    assert not (posted & censored).any()
    posted[:] = True
    censored[:] = False
    fear_kernel(tau, 0.0, 0.6, 0.05, np.uint64(9), 4, posted, censored)
    assert posted.all() and not censored.any()


def test_fear_deters_agreeing_with_an_agent_by_the_choice_rule():
    """An invited citizen agrees with probability P(agree) * (1 - f), f = choice(r C, value tau,
    temperature): fear of arrest deters agreeing as it deters posting; with no fear nothing changes."""
    from scsim.behaviour import choice

    net, agent, tau, last_post = hand_made()
    months, agreed_calm, agreed_afraid, invited = 4000, np.zeros(9), np.zeros(9), np.zeros(9)
    for month in range(months):
        lp = last_post + (month - 11)
        i, a, _, _ = run_kernel(net, agent, tau, lp, month=month, invite=0.3, spread=0.1, detection=0.0)
        _, b, _, _ = run_kernel(net, agent, tau, lp, month=month, invite=0.3, spread=0.1, detection=0.0,
                                fear_loss=0.4)
        invited += i
        agreed_calm += a
        agreed_afraid += b
    node = 3
    p = agreement_probability(tau[node], 1.0, 0.6, 0.3, 0.1) * (1 - choice(0.4, 1.0 * tau[node], 0.3))
    assert 0.05 < p < agreed_calm[node] / invited[node] - 0.05  # fear matters here
    rate = agreed_afraid[node] / invited[node]
    assert rate == pytest.approx(p, abs=4 * math.sqrt(p * (1 - p) / invited[node]))
    assert (agreed_afraid <= agreed_calm).all()  # the same draws: fear only ever removes agreements


def test_the_perceived_risk_is_a_probability_whatever_the_arrests():
    """Learned from arrests among last month's active dissenters: in [0, 1] even when most of the
    arrested never posted (they only agreed with an agent), where arrests / dissenters exceeds 1."""
    sc = regime(**{"provocateurs.invite_rate": 1.0, "provocateurs.arrest_rate": 1.0, "provocateurs.detection": 1.0,
                   "provocateurs.agree_threshold": 0.0, "provocateurs.share": 0.2})
    sim = Simulation(sc)
    beyond_one = 0  # months where arrests / dissenters (the old estimate's input) exceeds 1
    for _ in range(sc.run.months):
        spoke = int(np.count_nonzero(sim.dissenters(sim.month - 1)))
        r = sim.step()
        beyond_one += r["arrests"] > max(spoke, 1)
        assert 0.0 <= r["arrest_risk"] <= 1.0
    assert beyond_one > 0 and sim.arrest_risk > 0


def test_fear_lowers_dissent_in_the_regime():
    base = regime(**{"provocateurs.invite_rate": 0.3, "provocateurs.arrest_rate": 0.5, "provocateurs.arrest_cost": 0.0})
    calm = Simulation(base).run()
    afraid = Simulation(base.with_overrides(**{"provocateurs.arrest_cost": 500.0})).run()
    assert calm[-1]["arrest_risk"] > 0 and afraid[-1]["arrest_risk"] > 0
    assert all(a["self_censorship_rate"] == 0 for a in calm)
    late = slice(-12, None)
    assert np.mean([r["self_censorship_rate"] for r in afraid[late]]) > 0.05
    assert np.mean([r["posts_per_capita"] for r in afraid[late]]) < np.mean([r["posts_per_capita"] for r in calm[late]])


def test_lookup_and_summary_of_a_regime_without_score(tmp_path):
    run = scsim.simulate(regime(**{"provocateurs.invite_rate": 0.3, "provocateurs.arrest_rate": 0.5}), out=tmp_path / "r")
    gone = run.query("SELECT citizen FROM citizens WHERE arrested ORDER BY citizen LIMIT 1").citizen[0]
    page = str(scsim.Run.open(tmp_path / "r").explain(int(gone)))
    assert "this regime has no score" in page and "arrested: removed with every tie" in page
    agent = run.query("SELECT citizen FROM citizens WHERE provocateur LIMIT 1").citizen[0]
    assert "a planted agent" in str(run.explain(int(agent)))
    table = run.summary()
    assert "mean score" not in set(table.metric)  # no score at all: no row of NaN
    assert table.set_index("metric").loc["share arrested", "final month"] > 0
