"""scsim: a simulator of social credit systems on synthetic citizens.

    import scsim
    run = scsim.simulate(scsim.load_preset("social-credit-2020").with_overrides(**{"population.citizens": 10_000}))
    run.metrics            # one row a month (pandas DataFrame)
    run.explain(42)        # why citizen 42 has the score it has
"""

import os as _os
import sys as _sys


def _started_as_the_program() -> bool:
    """True while ``python -m scsim`` or the ``scsim`` console script imports this package:
    the command line's first moments, before ``scsim.cli.main`` guards Ctrl-C itself."""
    argv = list(getattr(_sys, "orig_argv", ()))
    if (getattr(_sys, "argv", None) or [""])[0] == "-m":  # `python -m NAME` while NAME is located
        return "-mscsim" in argv or ("-m" in argv and argv[argv.index("-m") + 1:][:1] == ["scsim"])
    return _os.path.basename((getattr(_sys, "argv", None) or [""])[0]) in ("scsim", "scsim.exe", "scsim-script.py")


def _interrupted_while_starting(signum, frame) -> None:
    """Ctrl-C while the command line starts (its modules importing): one line and 130, as
    ``scsim.cli.report`` says it later; nothing has been written yet."""
    try:
        _sys.stderr.write("scsim: interrupted\n")
        _sys.stderr.flush()
    finally:
        _os._exit(130)


if _started_as_the_program():  # before any import of scsim's own: a Ctrl-C from here on is one line
    import _signal  # the C module, loaded with the interpreter (``signal`` would first import enum, unguarded)

    _signal.signal(_signal.SIGINT, _interrupted_while_starting)

import time  # noqa: E402  (after the guard above; both are loaded with the interpreter)

from .errors import InputError, Interrupted, OutputError, ScsimError, interrupt_in, interrupts_deferred
from .version import __version__

TYPE_CHECKING = False  # (typing.TYPE_CHECKING without importing typing: ``import scsim`` stays light)
if TYPE_CHECKING:
    from pathlib import Path

    from .results import Explanation, Run
    from .scenario import Scenario

# Imported when first asked for (PEP 562): ``import scsim`` loads nothing heavy, so that the
# command line is inside its guarded boundary (one line for a Ctrl-C, ``scsim.cli.main``)
# before NumPy, pydantic or Numba load.
_LAZY = {"Run": "results", "Explanation": "results", "Scenario": "scenario", "load_preset": "scenario",
         "load_scenario": "scenario", "preset_names": "scenario"}


def __getattr__(name: str):
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
    raise AttributeError(f"module 'scsim' has no attribute '{name}'")


def simulate(scenario: "Scenario | str", out: "str | Path | None" = None, progress: bool = False, graph=None,
             backend: str = "numpy", device=None, overwrite: bool = False) -> "Run":
    """Run a scenario (or a preset name) to the end. With ``out``, the run is also written to
    its DuckDB database in that folder (complete only if the run finishes); a folder that
    already holds a run is refused unless ``overwrite`` (then that run is removed first, and
    nothing else in the folder). ``graph`` (a
    NetworkX graph or a ``scsim.network.Network``) replaces the scenario's network and sets
    the number of citizens. ``backend="torch"`` runs the step on PyTorch (a CUDA GPU when
    there is one, else the CPU, with a note); the results match the NumPy backend's."""

    from pathlib import Path

    from .backends import make_simulation
    from .scenario import load_preset
    from .store import RunWriter, check_run_dir

    if isinstance(scenario, str):
        scenario = load_preset(scenario)
    if progress and backend == "numpy":
        from .kernels import notice

        notice()  # the first run compiles for about a minute before its first month: say so
    t0 = time.perf_counter()
    if out is not None and not overwrite:
        check_run_dir(Path(out))  # a folder holding a run, or one that cannot be written: before the world
    sim = make_simulation(scenario, backend, device, graph)  # bad input (e.g. an edge list) fails here, before any folder exists
    if out is not None and overwrite:
        from .store import clear_run_dir

        clear_run_dir(Path(out))
    writer = RunWriter(out, scenario, scenario.run.snapshot_every) if out is not None else None
    return _finish(sim, writer, progress, t0)


def resume(folder: "str | Path", progress: bool = False) -> "Run":
    """Continue an interrupted run from its last checkpoint; the finished database is the
    same as that of an uninterrupted run with the same seed."""
    from .store import RunWriter

    t0 = time.perf_counter()
    writer, sim = RunWriter.resume(folder)
    return _finish(sim, writer, progress, t0)


def _finish(sim, writer, progress: bool, t0: float) -> "Run":
    """Run to the end and finish the database. On any failure (Ctrl-C included) the writer
    keeps the run at its last checkpoint (a note on the exception says how to continue) or
    removes it; a failed write (a full disk) becomes one ``OutputError`` naming the file."""
    try:
        rows = sim.run(store=writer, progress=progress)
        path = writer.finish(sim, time.perf_counter() - t0).parent if writer else None
    except BaseException as e:
        from .store import write_error

        if writer is None:
            raise
        with interrupts_deferred(reraise=False):  # a second Ctrl-C does not cut the clean-up in two
            kept = writer.abort()
        failure = write_error(writer.partial, e)
        if interrupt_in(e) is not None:
            failure = Interrupted()
        if kept:
            failure.add_note(f"run kept at its last checkpoint; continue it with: scsim run --resume {writer.folder}")
        if failure is e:
            raise
        raise failure from e
    from .results import Run

    if writer is not None:  # the metrics are read back from the database when first asked for
        return Run(sim.sc, None, path, sim)
    import pandas as pd

    return Run(sim.sc, pd.DataFrame(rows), None, sim)


__all__ = ["simulate", "resume", "Run", "Explanation", "Scenario", "load_preset", "load_scenario", "preset_names",
           "ScsimError", "InputError", "OutputError", "Interrupted"]
