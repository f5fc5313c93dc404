"""Run the reproductions, print the paper's figures next to scsim's, write one plot per model.

    from scsim.validation.runner import run_validation
    ok = run_validation(["holme-newman"], full=False, out=Path("validation"))

(or ``python -m scsim.validation.runner [NAME ...] [--full] [--out DIR]``). The fast versions of
all four take well under a minute on two cores; ``full`` runs the paper-sized ones (minutes).
"""

from __future__ import annotations

import argparse
import sys
import time
import traceback
from pathlib import Path

from ..errors import InputError
from . import daymude, granovetter, holme_newman, wei
from .common import Result

MODELS = {"granovetter": granovetter, "holme-newman": holme_newman, "daymude": daymude, "wei": wei}


def _table(result: Result, console) -> None:
    from rich.table import Table

    status = "[green]match[/]" if result.ok else "[red]MISMATCH[/]"
    table = Table(title=f"{result.model}: {result.reference} ({result.seconds:.1f} s) {status}",
                  title_justify="left", show_lines=False)
    for col in ("check", "paper", "scsim", "tolerance", ""):
        table.add_column(col, overflow="fold")
    for c in result.checks:
        mark = {True: "[green]ok[/]", False: "[red]FAIL[/]", None: "[dim]info[/]"}[c.ok]
        table.add_row(c.what, c.paper, c.scsim, c.tolerance, mark)
    console.print(table)


def run_validation(names: list[str] | None = None, full: bool = False, out: Path = Path("validation")) -> bool:
    """Run the named reproductions (all when None); True only if every judged check matches."""
    from rich.console import Console

    names = list(MODELS) if not names else list(names)
    unknown = [n for n in names if n not in MODELS]
    if unknown:
        raise InputError(f"unknown model(s) {', '.join(unknown)} (models: {', '.join(MODELS)})")
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    console = Console(width=None if sys.stdout.isatty() else 150)
    ok_all = True
    t0 = time.perf_counter()
    for name in names:
        module = MODELS[name]
        try:
            result = module.run(full)
        except Exception:  # a broken engine is a failed reproduction, reported, not a crash
            console.print(f"[red]{name}: the reproduction raised[/]\n{traceback.format_exc()}")
            ok_all = False
            continue
        _table(result, console)
        path = out / f"{name}.png"
        module.plot(result, path)
        console.print(f"plot: {path}\n")
        ok_all &= result.ok
    verdict = "[green]all reproductions match[/]" if ok_all else "[red]some reproductions do not match[/]"
    console.print(f"{verdict} ({'full' if full else 'fast'}, {time.perf_counter() - t0:.1f} s)")
    return ok_all


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m scsim.validation.runner", description=__doc__.splitlines()[0])
    p.add_argument("names", nargs="*", metavar="NAME", help=f"models to run: {', '.join(MODELS)} (default: all)")
    p.add_argument("--full", action="store_true", help="paper-sized runs (minutes)")
    p.add_argument("--out", type=Path, default=Path("validation"), help="folder for the plots")
    a = p.parse_args(argv)
    return 0 if run_validation(a.names or None, a.full, a.out) else 1


if __name__ == "__main__":
    raise SystemExit(main())
