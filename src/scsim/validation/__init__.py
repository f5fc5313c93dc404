"""Reproductions of published results with scsim's own machinery (docs/validation.md).

Each module (``granovetter``, ``holme_newman``, ``daymude``, ``wei``) builds a classic model from
scsim's primitives (``Network``, the rules in ``scsim.rules``, named ``Streams``, or the whole
engine) and exposes ``run(full) -> Result`` and ``plot(result, path)``. ``runner.run_validation``
runs them, prints the paper's figures next to scsim's, and writes one plot per model.
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


def __getattr__(name: str):
    # lazy, so that the model modules can import Check and Result from here
    if name in ("run_validation", "MODELS"):
        from . import runner

        return getattr(runner, name)
    raise AttributeError(name)


__all__ = ["Check", "Result", "run_validation", "MODELS"]
