"""Parameter sweeps: many runs of one scenario over a design of points and seeds, on Dask.

A sweep file (TOML, docs/sweeps.md) names a base scenario, fixed overrides (``[set]``), the
parameters to vary (``[vary]``) and a design: ``grid`` (every combination of value lists),
``lhs`` (a Latin hypercube over ranges, SciPy's QMC) or ``sobol`` (Saltelli's scheme from SALib,
analysed into first-order and total sensitivity indices). Every point runs on seeds 1..S, the
same seeds at every point (common random numbers, as in ``scsim compare``).

Everything the file says is checked before anything is created on disk: the keys, the design,
and the scenario of every design point (so a value out of a parameter's range fails early and
names the point). A bad scheduler address fails the same way, before any run starts.

Each run executes on a Dask worker and writes ``runs/<run_id>.parquet`` (to a temporary name,
then renamed) when it ends, so results are never all in memory and a rerun skips the runs whose
file exists: an interrupted sweep resumes. A run depends only on its scenario and seed, so the
combined tables do not depend on how many workers ran them. When the runs are done, the sweep
folder gets ``sweep.duckdb`` (tables ``runs``, ``metrics``, ``summary`` and, for Sobol designs,
``sobol``), ``summary.csv`` and ``sobol.csv``, and the main effects of every design:
``effects.csv`` and ``main_effects.png`` (``effects``), which ``scsim sweep`` ends with.

The parts, each with one concern: ``spec`` (the sweep file, read and checked), ``design`` (the
points), ``runs`` (a task per run, executed on a worker), ``folder`` (the manifest and the
combined outputs), ``sensitivity`` (Sobol indices), ``effects`` (main effects) and ``runner`` (``run_sweep``, from start to
end). The Dask cluster is ``scsim.parallel``, shared with ``compare`` and ``study``; its names
are exported here too.
"""

from __future__ import annotations

from ..parallel import check_cluster_options, cluster, connect, local_client, map_runs, numba_threads
from .design import design_points, n_points, sampled_design
from .effects import main_effects
from .folder import DB_NAME, MANIFEST, combine, fingerprint, summarise_runs
from .runner import SweepResult, default_folder, print_result, run_sweep
from .runs import RUNS_DIR, Failure, RunTask, execute, execute_run, plan_runs, point_scenarios, run_id, write_parquet_atomic
from .sensitivity import sobol_indices
from .spec import (FIELDS, SCALAR_KEYS, SECTION_KEYS, SECTIONS, Parameter, Range, SweepOptions, SweepSpec, load_sweep,
                   parse_sweep)

__all__ = [
    "SECTIONS", "FIELDS", "SECTION_KEYS", "SCALAR_KEYS", "SweepOptions", "Range", "Parameter", "SweepSpec",
    "load_sweep", "parse_sweep",
    "n_points", "sampled_design", "design_points",
    "RUNS_DIR", "RunTask", "run_id", "point_scenarios", "plan_runs", "execute_run", "write_parquet_atomic",
    "Failure", "execute",
    "DB_NAME", "MANIFEST", "fingerprint", "combine", "summarise_runs",
    "sobol_indices", "main_effects",
    "SweepResult", "default_folder", "run_sweep", "print_result",
    "connect", "check_cluster_options", "cluster", "map_runs", "local_client", "numba_threads",
]
