"""scsim's exceptions, and how a failure becomes the one line the command line prints.

The contract (README, "When something is wrong"): every expected failure (bad input, an output
that cannot be written, a run folder scsim cannot use) is a ``ScsimError`` whose message says
*where* (file, key, line, argument) and *what* is wrong, in one sentence; the CLI prints it as
one line and exits with status 2. The API raises the same exceptions. Anything else is a bug:
the CLI prints one line and "run with --debug for the traceback". Ctrl-C is one line and 130.
"""

from __future__ import annotations

import contextlib


class ScsimError(Exception):
    """Every expected failure: one line naming where and what."""


class InputError(ScsimError, ValueError):
    """Bad user input: a scenario file, an edge list, a CLI argument, a run folder."""


class OutputError(ScsimError, OSError):
    """An output scsim cannot write (read-only or full disk, a file already there, a folder in
    use by another process); nothing half-written is left behind."""


class Interrupted(KeyboardInterrupt):
    """Ctrl-C, with what was kept (e.g. the checkpoint to resume from) in its message. Still a
    ``KeyboardInterrupt``, so that ``except Exception`` never swallows it."""


def interrupt_in(exc: BaseException | None) -> KeyboardInterrupt | None:
    """The Ctrl-C behind ``exc``, if any: a KeyboardInterrupt raised inside a compiled (Numba)
    function surfaces as a ``SystemError`` whose cause or context is the interrupt."""
    seen = set()
    while exc is not None and id(exc) not in seen:
        if isinstance(exc, KeyboardInterrupt):
            return exc
        seen.add(id(exc))
        exc = exc.__cause__ or exc.__context__
    return None


def os_error_line(e: OSError, what: str = "cannot write") -> str:
    """An ``OSError`` as one line naming its file: 'PATH: cannot write: No space left on device'."""
    reason = e.strerror or str(e) or type(e).__name__
    return f"{e.filename}: {what}: {reason}" if e.filename else f"{what}: {reason}"


@contextlib.contextmanager
def interrupts_deferred(reraise: bool = True):
    """Ctrl-C held back until the block ends, then raised (``reraise``; else dropped, for a
    cleanup that is already part of handling a failure): for code that an interrupt must not
    cut in two, such as importing DuckDB (an interrupt inside its extension's initialisation
    aborts the whole process, about one Ctrl-C in thirty that land there) or removing a failed
    run. Only the main thread can handle signals; elsewhere the block runs as it is."""
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread():
        yield
        return
    pending: list[int] = []
    previous = signal.signal(signal.SIGINT, lambda signum, frame: pending.append(signum))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
    if pending and reraise:
        raise KeyboardInterrupt
