"""Where a month's time goes at scale: per-phase milliseconds from ``Simulation.clock``, and
the world build split into its parts.

    .venv/bin/python benchmarks/profile_step.py --citizens 1000000 --months 8 --mandatory
    .venv/bin/python benchmarks/profile_step.py --citizens 1000000 --months 70      # through 2020

``--mandatory`` scores everybody from month 0 (the 2020 rules, 120 of a real run's 180 months)
so that a few months profile them; month 0 (warm-up) is left out of the per-phase figures.
"""

from __future__ import annotations

import argparse
import resource
import time

import numpy as np


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--citizens", type=int, default=1_000_000)
    ap.add_argument("--months", type=int, default=8)
    ap.add_argument("--mandatory", action="store_true")
    ap.add_argument("--skip", type=int, default=1, help="months left out of the per-phase means (warm-up)")
    a = ap.parse_args()

    from scsim import world
    from scsim.engine import Simulation
    from scsim.scenario import load_preset

    sc = load_preset("social-credit-2020")
    over = {"population.citizens": a.citizens, "run.months": 180}
    if a.mandatory:
        over |= {"phases.optin_start": None, "phases.mandatory_start": sc.run.start}
    sc = sc.with_overrides(**over)

    Simulation(sc.with_overrides(**{"population.citizens": 2000})).step()  # load the kernels

    # the build, part by part (wrapping the functions build_world calls)
    parts: dict[str, float] = {}

    def timed(name, fn):
        def wrapper(*args, **kw):
            t0 = time.perf_counter()
            out = fn(*args, **kw)
            parts[name] = parts.get(name, 0.0) + time.perf_counter() - t0
            return out
        return wrapper

    saved = {k: getattr(world, k) for k in ("households", "make_population", "watts_strogatz", "dedupe", "Network")}
    for k, fn in saved.items():
        setattr(world, k, timed(k, fn))
    t0 = time.perf_counter()
    sim = Simulation(sc)
    build = time.perf_counter() - t0
    for k, fn in saved.items():
        setattr(world, k, fn)
    print(f"build {build:.2f} s: " + ", ".join(f"{k} {v:.2f}" for k, v in parts.items())
          + f"; peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")

    per_month = []
    for m in range(a.months):
        before = dict(sim.clock.seconds)
        t0 = time.perf_counter()
        sim.step()
        wall = time.perf_counter() - t0
        after = sim.clock.seconds
        per_month.append((wall, {k: after[k] - before.get(k, 0.0) for k in after}))
    timed_months = per_month[a.skip:]
    phases = sorted({k for _, d in timed_months for k in d}, key=lambda k: -np.median([d.get(k, 0) for _, d in timed_months]))
    print(f"months {a.skip}..{a.months - 1}: median wall {1e3 * np.median([w for w, _ in timed_months]):.0f} ms/month")
    for k in phases:
        xs = [1e3 * d.get(k, 0.0) for _, d in timed_months]
        print(f"  {k:12s} median {np.median(xs):7.1f}  min {min(xs):7.1f}  max {max(xs):7.1f} ms")
    print("per month wall (ms):", " ".join(f"{1e3 * w:.0f}" for w, _ in per_month))
    print(f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")


if __name__ == "__main__":
    main()
