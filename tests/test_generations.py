"""Generations: a stable population, fertility by privileges, tau passed on with heritability h2
(each rule checked against its theory: Wright-Fisher, regression slope, breeder's equation)."""

import math

import numpy as np
import pytest
from scipy.special import betainc, ndtri

import scsim
from scsim import state
from scsim.engine import Simulation
from scsim.generations import child_ties, draw_parents, fertility, inherit_tau
from scsim.network import Network
from scsim.rng import Streams

from .conftest import small

KEY = Streams(5).key("generations")
N = 200_000


def liability(tau, a=2.0, b=4.0):
    return ndtri(betainc(a, b, tau))


def test_every_place_gets_exactly_one_child():
    w = np.random.default_rng(0).exponential(size=5000)
    b = draw_parents(w, KEY, 7)
    assert len(b.parent) == 5000 and b.children.sum() == 5000
    assert np.array_equal(np.bincount(b.parent, minlength=5000), b.children)
    has = b.children > 0
    assert (b.parent[has] == np.flatnonzero(has)).all()  # a parent's first child takes its own place


def test_equal_fertility_is_wright_fisher():
    """Children per parent ~ Binomial(n, 1/n) ~ Poisson(1): a share 1/e leave no child."""
    b = draw_parents(np.ones(N), KEY, 1)
    p = math.exp(-1)
    assert (b.children == 0).mean() == pytest.approx(p, abs=4 * math.sqrt(p * (1 - p) / N))


def test_fertility_follows_privileges_and_arrests():
    held = np.r_[np.zeros(N // 2), np.ones(N // 2)]  # half hold privileges worth 1 utility
    arrested = np.zeros(N, np.bool_)
    arrested[:1000] = True
    sanctioned = np.zeros(N, np.bool_)
    w = fertility(held, sanctioned, 1.0, arrested, strength=1.0)
    b = draw_parents(w, KEY, 2)
    assert b.children[:1000].sum() == 0
    ratio = b.children[N // 2:].mean() / b.children[1000: N // 2].mean()
    assert ratio == pytest.approx(math.e, rel=0.03)
    # a sanction costs what it costs: sanctioned privilege holders are back to 1
    assert fertility(np.ones(3), np.ones(3, np.bool_), 1.0, np.zeros(3, np.bool_), 1.0) == pytest.approx(np.ones(3))
    assert (fertility(held, sanctioned, 1.0, arrested, 0.0)[1000:] == 1).all()  # strength 0: no selection


@pytest.mark.parametrize("h2", [0.0, 0.5, 0.9])
def test_parent_child_regression_slope_is_h2(h2):
    tau = np.random.default_rng(1).beta(2, 4, N)
    b = draw_parents(np.ones(N), KEY, 3)
    child = inherit_tau(tau, b.parent, h2, 2.0, 4.0, KEY, 3)
    parent = tau[b.parent]
    slope_liability = np.polyfit(liability(parent), liability(child), 1)[0]
    slope_tau = np.polyfit(parent, child, 1)[0]
    se = math.sqrt((1 - h2 * h2) / N)  # of the liability slope
    assert slope_liability == pytest.approx(h2, abs=5 * se + 1e-3)
    assert slope_tau == pytest.approx(h2, abs=0.02)  # the probit scale is nearly linear here
    # with nothing selecting, tau stays Beta(2, 4)
    assert child.mean() == pytest.approx(1 / 3, abs=0.003)
    assert child.std() == pytest.approx(math.sqrt(2 * 4 / (36 * 7)), abs=0.003)


def test_selection_moves_the_mean_by_the_breeders_equation():
    """R = h2 S on the liability scale: S the parents' mean minus the population's."""
    h2 = 0.6
    tau = np.random.default_rng(2).beta(2, 4, N)
    z = liability(tau)
    w = np.exp(-0.5 * z)  # independent thinkers have fewer children
    b = draw_parents(w, KEY, 4)
    child = inherit_tau(tau, b.parent, h2, 2.0, 4.0, KEY, 4)
    s = z[b.parent].mean() - z.mean()
    r = liability(child).mean() - z.mean()
    assert s < -0.4
    assert r == pytest.approx(h2 * s, abs=0.01)


def test_generations_in_the_engine_keep_the_population_and_reset_the_children():
    sc = small("social-credit-2020", 3000, 50, **{"generations.every": 24, "generations.privilege_strength": 3.0,
                                                 "run.seed": 5})
    sim = Simulation(sc)
    rows = sim.run(months=24)
    rows.append(sim.step())  # month 24: a new generation
    assert np.isin(sim.last_post, [-(10**6), 24]).all()  # children have posted nothing before
    rows += sim.run()
    assert sim.n == 3000 and sim.generation == 2 and (sim.pop.generation == 2).all()
    gens = [r for r in rows if not math.isnan(r["parents_tau"])]
    assert [r["month"] for r in gens] == [24, 48]
    assert [r["generation"] for r in gens] == [1, 2]
    # in the opt-in years independent thinkers value their privacy, opt in less, hold fewer
    # privileges and so have fewer children: the parents think less independently than the
    # generation they replace, and so do their children
    before = rows[23]["tau_mean"]
    assert gens[0]["parents_tau"] < before - 0.01
    assert rows[24]["tau_mean"] < before


def test_without_privileges_or_arrests_tau_does_not_drift():
    sc = small("western", 4000, 61, **{"generations.every": 12, "generations.privilege_strength": 0.0})
    run = scsim.simulate(sc)
    m = run.metrics
    assert m.generation.iloc[-1] == 5
    assert abs(m.tau_mean.iloc[-1] - m.tau_mean.iloc[0]) < 0.02  # Beta(2, 4) kept: drift only


# ------------------------------------------------------------------ growing and shrinking


@pytest.mark.parametrize("size", [3000, 6500])
def test_a_different_size_keeps_every_parents_first_child_in_its_place(size):
    w = np.random.default_rng(1).exponential(size=5000)
    b = draw_parents(w, KEY, 7, size)
    assert len(b.parent) == len(b.source) == size and b.children.sum() == size
    assert np.array_equal(np.bincount(b.parent, minlength=5000), b.children)
    kept = b.source[: size - b.new_places]
    assert (np.diff(kept) > 0).all()  # kept places in their old order
    has = np.flatnonzero(b.children > 0)
    assert np.isin(has, kept).all()  # every parent's place is kept...
    pos = np.searchsorted(kept, has)
    assert (b.parent[pos] == has).all()  # ...for its first child
    if size > 5000:
        assert b.new_places == size - 5000 and len(kept) == 5000
        assert (b.source[5000:] == b.parent[5000:]).all()  # a new place is a copy of its parent's
    else:
        assert b.new_places == 0 and len(kept) == size


def test_same_size_is_the_stable_draw():
    w = np.random.default_rng(2).exponential(size=3000)
    a, b = draw_parents(w, KEY, 3), draw_parents(w, KEY, 3, 3000)
    assert np.array_equal(a.parent, b.parent) and np.array_equal(a.source, np.arange(3000))
    assert not a.resized


def test_children_in_new_places_meet_their_parent_and_half_its_circle():
    n, k = 20_000, 10
    rng = np.random.default_rng(3)
    u = rng.integers(0, n, n * k // 2)
    v = (u + rng.integers(1, n, len(u))) % n
    lo, hi = np.minimum(u, v), np.maximum(u, v)
    pairs = np.unique(lo.astype(np.int64) * n + hi)
    u, v = (pairs // n).astype(np.int32), (pairs % n).astype(np.int32)
    kind = np.zeros(len(u), np.uint8)
    b = draw_parents(np.ones(n), KEY, 5, int(n * 1.3))
    new_id = np.full(n, -1, np.int64)
    new_id[b.source[:n]] = np.arange(n)
    uu, vv, kk = child_ties(u, v, kind, b.source, n, new_id, KEY, 5)
    net = Network(len(b.source), uu, vv, kk)
    assert (uu < vv).all() and len(np.unique(uu.astype(np.int64) * len(b.source) + vv)) == len(uu)
    old_deg = np.bincount(np.r_[u, v], minlength=n)
    kids = np.arange(n, len(b.source))
    mom = b.source[kids]
    assert all(net.has_edge(int(c), int(new_id[m])) for c, m in zip(kids[:200], mom[:200]))  # family tie
    fam = np.array([(net.neighbour_kinds(int(c)) == 1).sum() for c in kids])
    assert (fam == 1).all()
    copied = net.deg[kids] - 1
    # Binomial(parent's degree, 1/2): mean half the parent's degree, within 5 standard errors
    expect, var = old_deg[mom] / 2, old_deg[mom] / 4
    assert abs(copied.sum() - expect.sum()) < 5 * math.sqrt(var.sum())
    # every copied tie is one of the parent's
    for c, m in zip(kids[:200], mom[:200]):
        friends = set(net.neighbours(int(c)).tolist()) - {int(new_id[m])}
        parents = set(new_id[np.r_[v[u == m], u[v == m]]].tolist())
        assert friends <= parents


@pytest.mark.parametrize("growth", [0.1, -0.2])
def test_a_growing_or_shrinking_population_in_the_engine(growth):
    sc = small("social-credit-2020", 2000, 37, **{"generations.every": 12, "generations.growth": growth,
                                                 "run.seed": 8, "run.start": "2019-10"})
    sim = Simulation(sc)
    rows = sim.run()
    sizes = [2000]
    for _ in range(3):
        sizes.append(round(sizes[-1] * (1 + growth)))
    assert [r["citizens"] for r in rows if r["month"] in (0, 12, 24, 36)] == sizes
    n = sim.n
    assert n == sizes[-1] and sim.pop.n == n and sim.net.n == n
    for a in state.PER_CITIZEN:
        assert np.shape(getattr(sim, a.name))[-1] == n, a.name
    assert sim.pop.base_shares.shape[0] == n
    # a valid network: each tie at both ends, no self-loop, the worst dragger is a citizen
    u, v, _ = sim.net.edges()
    assert len(u) == sim.net.n_edges and (u != v).all() and v.max() < n
    assert (sim.worst < n).all()
    assert rows[-1]["edges"] == sim.net.n_edges
    if growth > 0:
        assert rows[-1]["edges"] > rows[0]["edges"]
    else:
        assert rows[-1]["edges"] < rows[0]["edges"]
    # same seed, same run
    again = Simulation(sc).run()
    assert [r["score_mean"] for r in again] == [r["score_mean"] for r in rows]


def test_a_resumed_growing_run_equals_an_uninterrupted_one(tmp_path):
    sc = small("sesame-2015", 1500, 30, **{"generations.every": 10, "generations.growth": 0.15, "run.seed": 9})
    whole = Simulation(sc).run()
    first = Simulation(sc)
    first.run(months=15)  # one resize behind it, one ahead
    first.save_checkpoint(tmp_path / "c.npz")
    rest = Simulation.from_checkpoint(sc, tmp_path / "c.npz").run()
    assert [r["tau_mean"] for r in whole[15:]] == [r["tau_mean"] for r in rest]
    assert [r["edges"] for r in whole[15:]] == [r["edges"] for r in rest]
    assert whole[-1]["citizens"] == round(round(1500 * 1.15) * 1.15)
