"""The friendship network: generators, loaders, cutting and making ties."""

import gzip

import networkx as nx
import numpy as np
import pytest

from scsim.errors import InputError
from scsim.network import (FAMILY, Network, barabasi_albert, dedupe, from_networkx, homophilous_blocks, households,
                           load_edgelist, watts_strogatz)
from scsim.rng import Streams



def rng(name="network", seed=1):
    return Streams(seed)[name]


def test_watts_strogatz_without_rewiring_is_a_ring_lattice():
    n = 200
    u, v, _ = watts_strogatz(n, 6, 0.0, rng())
    net = Network(n, u, v)
    assert (net.deg == 6).all()
    assert net.has_edge(0, 3) and net.has_edge(0, 197) and not net.has_edge(0, 4)


def test_watts_strogatz_rewiring_keeps_mean_degree_and_randomises():
    n = 5000
    u, v, _ = watts_strogatz(n, 10, 0.1, rng())
    net = Network(n, u, v)
    assert abs(net.deg.mean() - 10) < 0.1
    far = np.abs(u.astype(int) - v.astype(int))
    far = np.minimum(far, n - far)
    assert 0.05 < (far > 5).mean() < 0.15  # about p of the ties were rewired


def test_barabasi_albert_degree_and_heavy_tail():
    n = 5000
    u, v, _ = barabasi_albert(n, 6, rng())
    net = Network(n, u, v)
    assert abs(net.deg.mean() - 6) < 0.1
    assert net.deg.min() >= 3 and net.deg.max() > 60  # hubs appear


def test_block_model_is_homophilous_in_tau():
    n = 4000
    tau = Streams(3)["population"].beta(2, 4, n)
    def assort(h):
        u, v, _ = homophilous_blocks(tau, 10, 10, h, rng())
        return Network(n, u, v).assortativity(tau)
    assert assort(0.9) > 0.6
    assert abs(assort(0.0)) < 0.1


def test_households_make_family_cliques():
    hid, u, v = households(3000, 2.6, rng())
    assert (hid[u] == hid[v]).all()
    sizes = np.bincount(hid)
    sizes = sizes[sizes > 0]
    assert 2.3 < sizes.mean() < 2.9
    expected_ties = int((sizes * (sizes - 1) // 2).sum())
    assert len(u) == expected_ties


def test_dedupe_prefers_family_and_drops_self_loops():
    u, v, k = dedupe(10, [1, 2, 3, 4], [2, 1, 3, 5], np.array([0, 1, 0, 0], np.uint8))
    assert list(zip(u.tolist(), v.tolist(), k.tolist())) == [(1, 2, 1), (4, 5, 0)]


def test_incremental_changes_equal_a_rebuild():
    """Cutting and making ties in place gives the same network as building it from scratch."""
    n = 300
    u, v, _ = watts_strogatz(n, 4, 0.2, rng())
    net = Network(n, u, v, slack=0.0, min_slack=1)  # tiny slack: forces relocations and regrowth
    g = rng("ties")
    truth = {(a, b) for a, b in zip(u.tolist(), v.tolist())}
    for _ in range(30):
        cu, cv, _ = net.edges()
        pick = g.random(len(cu)) < 0.1
        removed, _ = net.remove_edges(cv[pick], cu[pick])  # either orientation works
        assert removed.all()
        truth -= set(zip(cu[pick].tolist(), cv[pick].tolist()))
        au, av = g.integers(0, n, 60), g.integers(0, n, 60)
        made = net.add_edges(au, av)
        for a, b, m in zip(au.tolist(), av.tolist(), made.tolist()):
            key = (min(a, b), max(a, b))
            assert m == (a != b and key not in truth)
            if m:
                truth.add(key)
    rebuilt = Network(n, *map(np.array, zip(*sorted(truth))))
    assert net.edge_set() == rebuilt.edge_set() == {(a, b, 0) for a, b in truth}
    assert (net.deg == rebuilt.deg).all()
    assert net.n_edges == len(truth)
    # each citizen's ties stay sorted through cuts and makes: the same slots as the rebuild
    assert all(net.neighbours(i).tolist() == rebuilt.neighbours(i).tolist() for i in range(n))


def test_cuts_and_makes_split_by_citizen_range_equal_the_sequential_ones():
    """cut_or_make gives each thread an id range of citizens; any number of parts gives
    the same ties in the same slots and the same answers (repeated and reversed pairs, pairs
    that do not exist, self-loops)."""
    from scsim.network.structure import cut_or_make, make_room, ties_asked

    n = 400
    u, v, _ = watts_strogatz(n, 8, 0.3, rng())
    g = rng("parts")
    nets = {p: Network(n, u, v, slack=0.0, min_slack=1) for p in (1, 2, 5)}
    for _ in range(10):
        eu, ev, _ = nets[1].edges()
        pick = g.choice(len(eu), 80)
        cu = np.r_[eu[pick], ev[pick[:10]], g.integers(0, n, 20)].astype(np.int32)
        cv = np.r_[ev[pick], eu[pick[:10]], g.integers(0, n, 20)].astype(np.int32)
        au = np.r_[g.integers(0, 5, 60), g.integers(0, n, 100), 7, 9].astype(np.int32)  # hubs outgrow their slots
        av = np.r_[g.integers(0, n, 60), g.integers(0, n, 100), 9, 7].astype(np.int32)
        k = (g.random(len(au)) < 0.2).astype(np.uint8)
        out = {}
        for p, net in nets.items():
            removed, kinds = np.zeros(len(cu), np.bool_), np.zeros(len(cu), np.uint8)
            cut_or_make(net.start, net.deg, net.nbr, net.kind, cu, cv, kinds, False, removed, kinds, p)
            asked = ties_asked(n, au, av)
            net.tail = make_room(net.start, net.deg, net.cap, net.nbr, net.kind, au, av, asked, net.tail)
            if net.tail < 0:
                net._regrow(asked)
                net.tail = make_room(net.start, net.deg, net.cap, net.nbr, net.kind, au, av, asked, net.tail)
            added = np.zeros(len(au), np.bool_)
            cut_or_make(net.start, net.deg, net.nbr, net.kind, au, av, k, True, added, k.copy(), p)
            out[p] = (removed.tolist(), kinds[removed].tolist(), added.tolist(),
                      [(net.neighbours(i).tolist(), net.neighbour_kinds(i).tolist()) for i in range(n)])
        assert out[1][0].count(True) > 50 and not all(out[1][2])
        assert out[1] == out[2] == out[5]


@pytest.mark.parametrize("parts", [1, 3])
def test_ties_fill_each_citizens_slots_in_edge_list_order(parts):
    """The parallel fill (one id range per thread) gives the order of a sequential fill."""
    from scsim.network.structure import count_ends, fill_slots

    n = 50
    g = rng("fill")
    u, v = g.integers(0, n, 300).astype(np.int32), g.integers(0, n, 300).astype(np.int32)
    keep = u != v
    u, v = u[keep], v[keep]
    k = (g.random(len(u)) < 0.3).astype(np.uint8)
    expected = {i: [] for i in range(n)}
    for a, b, kk in zip(u.tolist(), v.tolist(), k.tolist()):
        expected[a].append((b, kk))
        expected[b].append((a, kk))
    net = Network(n)
    counts = np.zeros(n, np.int32)
    count_ends(u, v, counts, parts)
    assert counts.tolist() == [len(expected[i]) for i in range(n)]
    net._allocate(counts)
    fill_slots(net.start, net.deg, net.nbr, net.kind, u, v, k, parts)
    for i in range(n):
        assert list(zip(net.neighbours(i).tolist(), net.neighbour_kinds(i).tolist())) == expected[i]


def test_network_refuses_ids_outside_its_citizens():
    with pytest.raises(ValueError, match="0..9"):
        Network(10, [0, 3], [1, 10])


def test_regrowth_keeps_every_citizens_ties_in_slot_order_with_fresh_room():
    n = 200
    u, v, _ = watts_strogatz(n, 6, 0.3, rng())
    kinds = (np.arange(len(u)) % 3 == 0).astype(np.uint8)
    net = Network(n, u, v, kinds, slack=0.0, min_slack=1)
    cu, cv, _ = net.edges()
    net.remove_edges(cu[::4], cv[::4])
    net.add_edges(np.arange(0, n, 2), np.arange(1, n, 2))
    for i in range(0, n, 2):  # scramble some citizens' slots by hand: regrowth must keep any order
        s, d = net.start[i], net.deg[i]
        net.nbr[s : s + d], net.kind[s : s + d] = net.nbr[s : s + d][::-1].copy(), net.kind[s : s + d][::-1].copy()
    before = [(net.neighbours(i).tolist(), net.neighbour_kinds(i).tolist()) for i in range(n)]
    assert any(a != sorted(a) for a, _ in before)
    edges = net.edge_set()
    net._regrow()
    assert [(net.neighbours(i).tolist(), net.neighbour_kinds(i).tolist()) for i in range(n)] == before
    assert net.edge_set() == edges
    assert (net.cap >= net.deg + 1).all()  # min_slack 1: room for one more tie each
    assert (np.diff(net.start) == net.cap[:-1]).all() and net.tail == net.start[-1] + net.cap[-1]
    assert (net.nbr[net.tail:] == -1).all()


def test_components_and_member_mask():
    net = Network(7, [0, 1, 3, 5], [1, 2, 4, 6])
    labels = net.components()
    assert len(set(labels.tolist())) == 3
    member = np.array([1, 1, 0, 1, 1, 1, 1], bool)
    labels = net.components(member)
    assert labels[2] == -1 and labels[0] == labels[1] != labels[3] == labels[4]
    assert len(set(labels[labels >= 0].tolist())) == 3


def test_networkx_round_trip_with_family_kind():
    g = nx.karate_club_graph()
    g.edges[0, 1]["kind"] = "family"
    net = from_networkx(g)
    assert net.n == 34 and net.n_edges == g.number_of_edges()
    assert net.neighbour_kinds(0)[list(net.neighbours(0)).index(1)] == FAMILY
    back = net.to_networkx()
    assert nx.is_isomorphic(back, nx.Graph(g))


def test_load_edgelist_snap_facebook():
    n, u, v = load_edgelist("ego-facebook")  # shipped with the package
    assert n == 4039 and len(u) == 88234


def test_load_edgelist_relabels_sparse_ids(tmp_path):
    p = tmp_path / "e.txt.gz"
    with gzip.open(p, "wt") as fh:
        fh.write("# comment\n10 20\n20 30  # trailing\n\n")
    n, u, v = load_edgelist(p)
    assert n == 3 and sorted(zip(u.tolist(), v.tolist())) == [(0, 1), (1, 2)]


@pytest.mark.parametrize("text, fragment", [
    ("1 2\n2 1\n", "duplicate tie 2-1 (first on line 1)"),
    ("1 1\n", ":1: self-loop"),
    ("1 a\n", ":1: citizen ids must be non-negative integers"),
    ("# nothing\n", "edge list is empty"),
    ("5\n", ":1: expected two citizen ids"),
])
def test_load_edgelist_errors_name_the_line(tmp_path, text, fragment):
    p = tmp_path / "bad.txt"
    p.write_text(text)
    with pytest.raises(InputError, match=None) as err:
        load_edgelist(p)
    assert fragment in str(err.value) and str(p) in str(err.value)


def test_ties_stay_sorted_through_cuts_and_makes_and_sort_slots_restores_order():
    net = Network(6, [0, 0, 0, 1], [5, 2, 3, 4], np.array([1, 0, 0, 0], np.uint8))  # an unsorted list
    assert list(net.neighbours(0)) == [2, 3, 5] and list(net.neighbour_kinds(0)) == [0, 0, 1]
    net.remove_edges([0], [2])
    net.add_edges([0, 4], [1, 0])
    assert list(net.neighbours(0)) == [1, 3, 4, 5]
    assert list(net.neighbour_kinds(0)) == [0, 0, 0, 1]
    assert list(net.neighbours(1)) == [0, 4] and list(net.neighbours(4)) == [0, 1]
    before = net.edge_set()
    s = net.start[0]
    net.nbr[s : s + 4], net.kind[s : s + 4] = [5, 1, 4, 3], [1, 0, 0, 0]  # written by hand
    net.sort_slots()
    assert list(net.neighbours(0)) == [1, 3, 4, 5]
    assert list(net.neighbour_kinds(0)) == [0, 0, 0, 1]
    assert net.edge_set() == before


def test_simulate_on_a_networkx_graph():
    import scsim
    from scsim.scenario import load_preset

    from scsim.engine import Simulation

    g = nx.connected_caveman_graph(30, 8)
    sc = load_preset("sesame-2015").with_overrides(**{"run.months": 3})
    sim = Simulation(sc, graph=g)
    assert sim.n == 240
    ties = {(a, b) for a, b, _ in sim.net.edge_set()}
    assert {(min(a, b), max(a, b)) for a, b in g.edges()} <= ties  # the graph's ties, plus households
    assert len(scsim.simulate(sc, graph=g).metrics) == 3


def test_k_core_of_members_on_hand_made_and_random_networks():
    """K4 with a tail and a triangle: the 3-core is the K4, the 2-core adds the triangle; non-members
    neither belong nor hold others in; on a random graph it equals networkx's core numbers."""
    ties = [(0, 1), (0, 2), (0, 3), (1, 2), (1, 3), (2, 3), (3, 4), (4, 5), (6, 7), (7, 8), (8, 6)]
    u, v = (np.array(x, np.int32) for x in zip(*ties))
    net = Network(9, u, v)
    everyone = np.ones(9, np.bool_)
    assert np.flatnonzero(net.core(everyone, 3)).tolist() == [0, 1, 2, 3]
    assert np.flatnonzero(net.core(everyone, 2)).tolist() == [0, 1, 2, 3, 6, 7, 8]
    some = everyone.copy()
    some[3] = False  # without 3 the K4 is a triangle: no 3-core
    assert not net.core(some, 3).any() and np.flatnonzero(net.core(some, 2)).tolist() == [0, 1, 2, 6, 7, 8]
    rng = np.random.default_rng(3)
    g = nx.gnm_random_graph(400, 1600, seed=3)
    a, b = (np.array(x, np.int32) for x in zip(*g.edges()))
    net = Network(400, a, b)
    member = rng.random(400) < 0.6
    core = nx.core_number(g.subgraph(np.flatnonzero(member).tolist()))
    for k in (2, 4, 6):
        assert set(np.flatnonzero(net.core(member, k)).tolist()) == {i for i, c in core.items() if c >= k}
