"""The world a scenario starts from: its population and its network (``build_world``)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np

from . import provocation as pv
from .network import (Network, barabasi_albert, dedupe, from_networkx, homophilous_blocks, households, load_edgelist,
                      watts_strogatz)
from .population import Population, make_population
from .rng import Streams
from .scenario import Scenario


def build_world(sc: Scenario, streams: Streams, graph=None) -> tuple[Population, Network]:
    """Population and network. An edge list or a given graph (NetworkX, or a Network) sets the
    number of citizens; its ties are friendships, plus the households' family ties."""
    net_rng = streams["network"]
    if graph is not None:
        given = graph if isinstance(graph, Network) else from_networkx(graph)
        n, u, v, gk = given.n, *given.edges()
    elif sc.network.model == "edgelist":
        n, u, v = load_edgelist(sc.network.path)
    else:
        n, u, v = sc.population.citizens, None, None
    hid, fu, fv = households(n, sc.network.household_size, net_rng)
    k = sc.network.mean_degree
    generate = None
    if graph is not None or sc.network.model == "edgelist":
        pass
    elif sc.network.model == "watts-strogatz":
        # (raw: the dedupe below, with the family ties, is the ring's own; ~0.2 s less at 1M)
        generate = lambda: watts_strogatz(n, k, sc.network.rewire, net_rng, raw=True)  # noqa: E731
    elif sc.network.model == "barabasi-albert":
        generate = lambda: barabasi_albert(n, k, net_rng)  # noqa: E731
    # the network's stream and the population's are independent: drawn side by side, one on
    # each core (NumPy's generators and the Numba kernels release the GIL)
    with ThreadPoolExecutor(1) as pool:
        ties = pool.submit(generate) if generate else None
        pop = make_population(sc, n, streams["population"], household=hid)
        if sc.provocateurs.enabled:
            pop.provocateur = pv.plant(n, sc.provocateurs.share, streams["provocateurs"])
        if ties is not None:
            u, v, _ = ties.result()
    if sc.network.model == "block" and graph is None:  # homophilous in tau: after the population
        u, v, _ = homophilous_blocks(pop.tau, k, sc.network.blocks, sc.network.homophily, net_rng)
    kinds = np.r_[gk if graph is not None else np.zeros(len(u), np.uint8), np.ones(len(fu), np.uint8)]
    uu, vv, kk = dedupe(n, np.r_[u, fu], np.r_[v, fv], kinds)
    return pop, Network(n, uu, vv, kk)
