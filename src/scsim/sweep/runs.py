"""The runs of a sweep: one task per (point, seed), planned here, executed on Dask workers.

Each run writes its monthly metrics to ``runs/<run_id>.parquet`` (to a temporary name, then
renamed) when it ends: a file under its final name is a finished run, which a rerun skips.
"""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from ..errors import InputError
from ..parallel import set_numba_threads
from ..scenario import Scenario
from .spec import SweepSpec

RUNS_DIR = "runs"  # in the sweep folder: one parquet file per finished run


# ---------------------------------------------------------------- planning runs


@dataclass
class RunTask:
    """Everything a worker needs for one run: pickled to the worker as it is."""

    run_id: str
    point: int
    seed: int
    params: dict[str, Any]
    scenario: Scenario
    path: str  # the run's parquet file (absolute)
    threads: int = 1  # Numba threads for this run


def run_id(point: int, seed: int, width: int = 4) -> str:
    """Stable, sortable run ids: ``p0003-s02``."""
    return f"p{point:0{width}d}-s{seed:02d}"


def point_scenarios(spec: SweepSpec, points: pd.DataFrame) -> list[Scenario]:
    """The scenario of every point, built now so a bad value fails before any run starts."""
    out = []
    for i, row in enumerate(points.to_dict("records")):
        try:
            out.append(spec.base.with_overrides(**row))
        except InputError as e:
            values = ", ".join(f"{k}={v}" for k, v in row.items())
            raise InputError(f"{spec.source}: point {i} ({values}): {str(e).removeprefix('overrides: ')}") from None
    return out


def plan_runs(spec: SweepSpec, points: pd.DataFrame, folder: Path) -> list[RunTask]:
    """Every (point, seed) run, in run-id order; parameter values as the scenario holds them."""
    width = max(4, len(str(len(points) - 1)))
    tasks = []
    for i, sc in enumerate(point_scenarios(spec, points)):
        params = {k: _get(sc, k) for k in spec.keys}
        for seed in range(1, spec.options.seeds + 1):
            rid = run_id(i, seed, width)
            tasks.append(RunTask(rid, i, seed, params, sc.with_overrides(**{"run.seed": seed}),
                                 str((folder / RUNS_DIR / f"{rid}.parquet").resolve())))
    return tasks


def _get(sc: Scenario, key: str) -> Any:
    node: Any = sc
    for part in key.split("."):
        node = getattr(node, part)
    return node


# ---------------------------------------------------------------- on a worker


def execute_run(task: RunTask) -> str:
    """Run one simulation (no store) and write its monthly metrics to its parquet file."""
    from ..engine import Simulation

    set_numba_threads(task.threads)
    metrics = pd.DataFrame(Simulation(task.scenario).run())
    front = {"run_id": task.run_id, "point": task.point, "seed": task.seed, **task.params}
    for pos, (col, value) in enumerate(front.items()):
        metrics.insert(pos, col, value)
    write_parquet_atomic(metrics, Path(task.path))
    return task.run_id


def write_parquet_atomic(df: pd.DataFrame, path: Path) -> None:
    """Write to a temporary name, then rename: a file under its final name is complete."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.tmp")
    try:
        df.to_parquet(tmp, index=False)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


# ---------------------------------------------------------------- on the cluster


@dataclass
class Failure:
    """A run that raised on its worker (its file was not written; a rerun retries it)."""

    run_id: str
    error: str


def execute(client, tasks: list[RunTask], progress: bool) -> list[Failure]:
    """Submit the runs and wait for them, counting finished runs; failures are collected."""
    from distributed import as_completed

    from ..progress import count_progress

    failures = []
    tag = uuid.uuid4().hex[:8]  # unique keys: a shared cluster may hold another sweep's runs
    futures = {client.submit(execute_run, t, key=f"scsim-{tag}-{t.run_id}", pure=False): t for t in tasks}
    with count_progress(progress, len(tasks), "runs") as advance:
        for future in as_completed(futures, loop=client.loop):
            if future.status == "error":
                failures.append(Failure(futures[future].run_id, repr(future.exception())))
            advance()
    return failures
