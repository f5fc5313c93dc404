"""Progress bars (rich) for anything that takes more than a few seconds."""

from __future__ import annotations

import contextlib
import sys

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn


@contextlib.contextmanager
def month_progress(enabled: bool, months: int, citizens: int):
    """Yields ``advance()``; shows month, citizens and citizen-months per second on stderr."""
    if not enabled:
        yield lambda: None
        return
    progress = Progress(
        TextColumn("month"), MofNCompleteColumn(), BarColumn(),
        TextColumn(f"{citizens:,} citizens"), TextColumn("{task.fields[rate]}"),
        TimeElapsedColumn(), TimeRemainingColumn(),
        console=Console(file=sys.stderr), transient=False,
    )
    with progress:
        task = progress.add_task("run", total=months, rate="")

        def advance():
            progress.advance(task)
            speed = progress.tasks[0].speed
            if speed:
                progress.update(task, rate=f"{speed * citizens / 1e6:,.1f} M citizen-months/s")

        yield advance


@contextlib.contextmanager
def count_progress(enabled: bool, total: int, what: str):
    """Yields ``advance()`` for a count of finished units (e.g. runs of an experiment)."""
    if not enabled:
        yield lambda: None
        return
    progress = Progress(TextColumn(what), MofNCompleteColumn(), BarColumn(), TimeElapsedColumn(),
                        TimeRemainingColumn(), console=Console(file=sys.stderr))
    with progress:
        task = progress.add_task(what, total=total)
        yield lambda: progress.advance(task)
