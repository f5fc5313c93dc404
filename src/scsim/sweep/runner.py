"""A sweep from start to end: plan its runs, run those not yet finished, combine, report."""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from ..errors import InputError, OutputError
from ..outputs import check_writable_folder, folder_lock, staged
from ..parallel import check_cluster_options, client_and_threads, connect
from .design import design_points
from .effects import display as effects_display
from .effects import figure as effects_figure
from .effects import main_effects
from .folder import DB_NAME, check_manifest, combine, fingerprint, prepare_folder
from .runs import Failure, RunTask, execute, plan_runs
from .spec import SweepSpec


@dataclass
class SweepResult:
    """What a call of ``run_sweep`` did, and where its combined outputs are."""

    folder: Path
    runs_total: int
    runs_done: int  # ran in this call
    runs_skipped: int  # already finished before this call
    database: Path
    tables: list[str]
    summary: pd.DataFrame  # one row per run: run_id, point, seed, parameters, key metrics
    sobol: pd.DataFrame | None = None
    failures: list[Failure] = field(default_factory=list)
    spec: SweepSpec | None = None
    effects: pd.DataFrame | None = None  # main effects of the key metrics (scsim.sweep.effects)
    effects_plot: Path | None = None  # main_effects.png (None: no metric changed)

    def table(self, name: str) -> pd.DataFrame:
        """A table of ``sweep.duckdb`` (e.g. ``metrics``), ordered as stored."""
        import duckdb

        with duckdb.connect(str(self.database), read_only=True) as con:
            return con.execute(f'SELECT * FROM "{name}"').df()


def default_folder(spec: SweepSpec) -> Path:
    return Path("sweeps") / spec.name


def run_sweep(spec: SweepSpec, out: str | Path | None = None, workers: int | None = None,
              scheduler: str | None = None, client=None, progress: bool = False,
              connect_timeout: float = 10.0) -> SweepResult:
    """Run the runs not yet finished in ``out``, then write the combined outputs.

    Dask: ``client`` if given; else a scheduler at ``scheduler``; else a local cluster of
    ``workers`` processes (default: one per core)."""
    check_cluster_options(workers, scheduler, connect_timeout, "scsim sweep")
    folder = Path(out) if out is not None else default_folder(spec)
    if folder.exists() and not folder.is_dir():
        raise InputError(f"{folder}: exists and is not a folder")
    check_writable_folder(folder, "--out")
    points = design_points(spec)
    tasks = plan_runs(spec, points, folder)
    fp = fingerprint(spec, points)
    check_manifest(folder, fp)
    todo = [t for t in tasks if not Path(t.path).exists()]
    with contextlib.ExitStack() as stack:
        if client is None and scheduler:
            client = stack.enter_context(connect(scheduler, connect_timeout))  # fails before any file is made
        folder.mkdir(parents=True, exist_ok=True)
        stack.enter_context(folder_lock(folder, "a sweep"))  # one sweep at a time in a folder
        prepare_folder(folder, spec, fp)
        failures = _execute_todo(stack, client, todo, workers, progress)
        done = [t for t in tasks if Path(t.path).exists()]
        try:
            with staged("scsim sweep:") as outputs:  # the combined outputs: all of them, or (a full disk) none
                tables, summary, sobol = combine(folder, spec, points, done, outputs)
                effects = main_effects(spec, summary)
                effects.to_csv(outputs.file(folder / "effects.csv"), index=False)
                drawn = effects_figure(spec, effects, summary, outputs.file(folder / "main_effects.png"))
        except OutputError as e:
            e.add_note(f"the finished runs are kept in {folder}; rerun to combine them")
            raise
        plot = folder / "main_effects.png" if drawn is not None else None
    return SweepResult(folder, runs_total=len(tasks), runs_done=len(todo) - len(failures),
                       runs_skipped=len(tasks) - len(todo), database=folder / DB_NAME, tables=tables,
                       summary=summary, sobol=sobol, failures=failures, spec=spec, effects=effects,
                       effects_plot=plot)


def _execute_todo(stack: contextlib.ExitStack, client, todo: list[RunTask], workers: int | None,
                  progress: bool) -> list[Failure]:
    """Run ``todo`` on ``client``, or on a local cluster started (only) when there is work."""
    if not todo:
        return []
    client, threads = client_and_threads(stack, client, workers or os.cpu_count() or 1, len(todo))
    for t in todo:
        t.threads = threads
    return execute(client, todo, progress)


# ---------------------------------------------------------------- reporting


def print_result(result: SweepResult, quiet: bool = False) -> None:
    """What the CLI prints: the counts, the Sobol indices (if any), and where the results are."""
    import sys

    if result.failures:
        first = result.failures[0]
        print(f"scsim sweep: {len(result.failures)} of {result.runs_total} runs failed (first: {first.run_id}: "
              f"{first.error}); finished runs are kept in {result.folder}, rerun to retry", file=sys.stderr)
    if quiet:
        print(result.database)
        return
    from rich.console import Console
    from rich.table import Table

    from .. import tables

    if result.effects is not None and len(result.effects):
        tables.print_rich(effects_display(result.spec, result.effects, result.summary))
    if result.sobol is not None and len(result.sobol):
        table = Table(title="Sobol indices of each key metric's final-window mean (95% bootstrap half-widths)")
        for col in ("metric", "parameter", "S1", "ST"):
            table.add_column(col, justify="left" if col in ("metric", "parameter") else "right")
        for r in result.sobol.itertuples():
            table.add_row(r.metric, r.parameter, f"{r.S1:.3f} ± {r.S1_conf:.3f}", f"{r.ST:.3f} ± {r.ST_conf:.3f}")
        Console(width=120).print(table)
    print(f"{result.runs_done} runs done now, {result.runs_skipped} already finished, "
          f"{result.runs_total} in the sweep; results: {result.database}"
          + (f"; main effects: {result.effects_plot}" if result.effects_plot else ""))
