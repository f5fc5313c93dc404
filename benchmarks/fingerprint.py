"""Fingerprint of a run: a SHA-1 over every metric and every carried array, to check that a
speed-up changes no result bit (stricter than tests/test_regression.py's tolerance).

    .venv/bin/python benchmarks/fingerprint.py [--citizens 20000] [--months 72] [--threads N] [--package NAME]

Run it on a baseline copy of the tree (``--package``, with PYTHONPATH) and on the working tree;
the lines must match.
"""

from __future__ import annotations

import argparse
import hashlib

import numpy as np


def fingerprint(preset: str, citizens: int, months: int, seed: int = 7, package: str = "scsim", **over) -> str:
    import importlib

    Simulation = importlib.import_module(f"{package}.engine").Simulation
    load_preset = importlib.import_module(f"{package}.scenario").load_preset

    sc = load_preset(preset).with_overrides(**{"population.citizens": citizens, "run.months": months,
                                               "run.seed": seed, **over})
    sim = Simulation(sc)
    h = hashlib.sha1()
    for _ in range(months):
        row = sim.step()
        h.update(repr(sorted(row.items())).encode())
        ev = sim.flows.events
        for f in ("u", "v", "kind", "made", "reason"):
            h.update(np.ascontiguousarray(getattr(ev, f)).tobytes())
    for k in sim.CARRIED:
        h.update(np.ascontiguousarray(np.asarray(getattr(sim, k))).tobytes())
    u, v, k = sim.net.edges()
    for a in (u, v, k, sim.net.deg):
        h.update(a.tobytes())
    for k, v in sorted(sim.citizen_columns().items()):
        h.update(k.encode() + np.ascontiguousarray(v).tobytes())
    return h.hexdigest()


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--citizens", type=int, default=20_000)
    ap.add_argument("--months", type=int, default=72)
    ap.add_argument("--threads", type=int, default=None)
    ap.add_argument("--package", default="scsim", help="import the simulator under this name (a copy of a baseline tree)")
    a = ap.parse_args()
    if a.threads:
        import numba
        numba.set_num_threads(a.threads)
    for preset in ("western", "sesame-2015", "social-credit-2020"):
        print(preset, fingerprint(preset, a.citizens, a.months, package=a.package))
    print("penalty", fingerprint("social-credit-2020", a.citizens, a.months, package=a.package,
                                 **{"scoring.association.mode": "penalty"}))
