"""The month loop every backend runs (step, time, store, progress) and the clock of its phases.

The order of the phases within a month is ``scsim.month``; this module only repeats months.
"""

from __future__ import annotations

import time


class PhaseClock:
    """Wall seconds spent in each phase of the month, summed over months (for profiling)."""

    def __init__(self):
        self.seconds: dict[str, float] = {}
        self._phase: str | None = None
        self._t = 0.0

    def lap(self, phase: str | None) -> None:
        now = time.perf_counter()
        if self._phase is not None:
            self.seconds[self._phase] = self.seconds.get(self._phase, 0.0) + now - self._t
        self._phase, self._t = phase, now


def run_months(sim, store=None, progress: bool = False, months: int | None = None) -> list[dict]:
    """The month loop shared by every backend: step, time, store, progress."""
    from .progress import month_progress

    end = sim.sc.run.months if months is None else min(sim.sc.run.months, sim.month + months)
    rows = []
    with month_progress(progress, end - sim.month, sim.n) as advance:
        while sim.month < end:
            t = sim.month
            t0 = time.perf_counter()
            row = sim.step()  # a backend's step ends with its results on the host: the month's time
            sim.timings.append(time.perf_counter() - t0)  # kept out of the results: they must be reproducible
            rows.append(row)
            if store is not None:
                store.month(sim, t, row)
            advance()
    return rows
