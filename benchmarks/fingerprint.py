"""Fingerprint of a run: a SHA-1 over every metric, every tie event and every carried array,
to check that a refactor or a speed-up changes no result bit (stricter than
tests/test_regression.py's tolerance).

    .venv/bin/python benchmarks/fingerprint.py [--citizens 20000] [--months 72] [--threads N] [--package NAME]

Run it on a baseline copy of the tree (``PYTHONPATH=<baseline>/src``, or ``--package`` for a
copy under another name) and on the working tree; the lines must match. The cases cover every
preset, the penalty association, and generations and the provocateur regime together with
family ties (months 0-2 are before the 2015 opt-in, so 40 months or more cross it; the
mandatory date is month 60).
"""

from __future__ import annotations

import argparse
import hashlib

import numpy as np

# The state the months carry, by name (a fixed list, so that the fingerprint does not change
# when the engine's own list does; state that is rebuilt every month is not in it).
STATE = ("month", "n", "form_rate", "quota", "tilt", "behaviour_x", "own", "score", "assoc", "political", "clamp",
         "opted", "s_pub", "s_pub_prev", "own_ref", "sanctioned", "last_post", "worst", "worst_drag", "worst_kind",
         "drag_unit", "listed", "peer_share", "pub_weight", "arrested", "reported", "generation", "arrest_risk")

CASES = {
    "western": ("western", {}),
    "sesame-2015": ("sesame-2015", {}),
    "social-credit-2020": ("social-credit-2020", {}),
    "penalty": ("social-credit-2020", {"scoring.association.mode": "penalty"}),
    "provocateur": ("provocateur", {"provocateurs.invite_rate": 0.3, "provocateurs.arrest_cost": 300.0}),
    "together": ("social-credit-2020", {"provocateurs.enabled": True, "provocateurs.invite_rate": 0.3,
                                        "provocateurs.arrest_cost": 300.0, "generations.every": 12,
                                        "generations.growth": 0.1, "scoring.association.mode": "penalty",
                                        "scoring.association.family_weight": 2.0}),
}


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
    for k in STATE:
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
    ap.add_argument("--cases", default=",".join(CASES), help="comma-separated names of CASES")
    a = ap.parse_args()
    if a.threads:
        import numba
        numba.set_num_threads(a.threads)
    for name in a.cases.split(","):
        preset, over = CASES[name]
        print(name, fingerprint(preset, a.citizens, a.months, package=a.package, **over), flush=True)
