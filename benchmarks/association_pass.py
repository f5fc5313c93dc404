"""The association pass alone (``scoring.association_pass``, the month's hottest loop) at scale,
with and without friends' posts and the register, on the state of a month under the 2020 rules.

    .venv/bin/python benchmarks/association_pass.py [--citizens 1000000] [--repeats 7]

Each case reads the same friends' rows; "posts" rows carry the political record too
(``scoring.friend_view`` with a record: 16-byte rows). Medians and minima of the repeats, the
cases interleaved, so that the machine's load falls on all of them alike.
"""

from __future__ import annotations

import argparse
import time

import numpy as np


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--citizens", type=int, default=1_000_000)
    ap.add_argument("--repeats", type=int, default=7)
    ap.add_argument("--months", type=int, default=4, help="months run (mandatory rules) before timing")
    a = ap.parse_args()

    from scsim import scoring
    from scsim.engine import Simulation
    from scsim.scenario import load_preset

    sc = load_preset("social-credit-2020")
    sc = sc.with_overrides(**{"population.citizens": a.citizens, "run.months": 180, "phases.optin_start": None,
                              "phases.mandatory_start": sc.run.start})
    sim = Simulation(sc)
    for _ in range(a.months):
        sim.step()
    net, sm, n = sim.net, sim.sm, sim.n
    reach = (np.random.default_rng(1).random(n) < 0.3).astype(np.float32)
    rows = {"plain": scoring.friend_view(sim.s_pub, reach, sim.political[:0]),
            "posts": scoring.friend_view(sim.s_pub, reach, sim.political)}
    out = [np.empty(n), np.empty(n, np.int32), np.empty(n), np.empty(n, np.uint8), np.empty(n), np.empty(n), np.empty(n)]
    listed = np.zeros(n, np.bool_)

    def once(view, register: bool) -> float:
        listed[:] = False
        t0 = time.perf_counter()
        scoring.association_pass(net.start, net.deg, net.nbr, net.kind, view, sim.own_ref, sm.association_rule,
                                 *out, register, listed)
        return time.perf_counter() - t0

    cases = [(f"{rows_name}{' + register' if reg else ''}", rows[rows_name], reg)
             for rows_name in rows for reg in (False, True)]
    for _, view, reg in cases:  # compile and warm
        once(view, reg)
    times: dict[str, list[float]] = {name: [] for name, _, _ in cases}
    for _ in range(a.repeats):
        for name, view, reg in cases:
            times[name].append(once(view, reg))
    print(f"{n:,} citizens, {net.n_edges:,} ties, month {sim.month}; friends' posts {sm.friends_posts}")
    for name, ts in times.items():
        print(f"  {name:<18} median {1000 * np.median(ts):6.1f} ms   min {1000 * min(ts):6.1f} ms")


if __name__ == "__main__":
    main()
