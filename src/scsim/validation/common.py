"""What every reproduction shares: a published figure next to scsim's (``Check``), a model's
result (``Result``) and ``parallel_map``. The model modules and the runner import them from here,
the package root re-exports them, so no module of the package imports the package root.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Check:
    """One published figure next to scsim's. ``ok`` None: reported, not judged."""

    what: str
    paper: str
    scsim: str
    tolerance: str
    ok: bool | None

    def __post_init__(self):
        if self.ok is not None:
            self.ok = bool(self.ok)


@dataclass
class Result:
    model: str
    reference: str
    checks: list[Check]
    data: dict = field(default_factory=dict)  # what the plot needs
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return all(c.ok is not False for c in self.checks)


def parallel_map(fn, args: list, workers: int | None = None) -> list:
    """``[fn(*a) for a in args]``, over worker processes when more than one CPU is there (spawned,
    so numba's threads are never forked). ``fn`` must be a module-level function."""
    import os

    workers = workers or min(len(os.sched_getaffinity(0)), len(args))
    if workers <= 1:
        return [fn(*a) for a in args]
    import multiprocessing as mp
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(workers, mp_context=mp.get_context("spawn")) as ex:
        return list(ex.map(fn, *zip(*args), chunksize=1))
