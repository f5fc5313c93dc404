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
                progress.update(task, rate=rate_text(speed * citizens))

        yield advance


def rate_text(per_second: float) -> str:
    """Citizen-months per second to two significant digits at any size: '3.9 M', '45 k', '820'
    (a small run read '0.0 M')."""
    scale, suffix = next(((s, x) for s, x in ((1e6, " M"), (1e3, " k")) if per_second >= s), (1.0, ""))
    value = per_second / scale
    return f"{value:,.{1 if value < 10 else 0}f}{suffix} citizen-months/s"


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
