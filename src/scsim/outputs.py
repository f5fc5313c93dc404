"""Output paths, checked before any work is done, and the lock that keeps one writer per folder.

Every command that writes (``run``, ``plot``, ``export``, ``compare``, ``sweep``) checks its
outputs first, so that a folder without write permission or a file already there fails in one
line before the world is built or a single run computed, and nothing is left half-written.
"""

from __future__ import annotations

import contextlib
import tempfile
from pathlib import Path

from .errors import OutputError, os_error_line

LOCK_NAME = ".scsim.lock"


def existing_ancestor(path: Path) -> Path:
    """``path`` itself, or its nearest parent that exists (where a new folder would be made)."""
    path = Path(path).absolute()
    while not path.exists() and path != path.parent:
        path = path.parent
    return path


def check_writable_folder(folder: str | Path, what: str) -> None:
    """``folder`` (existing or not yet made) can be created and written to: its nearest existing
    ancestor is a folder in which a file can be made (tried, not guessed from permission bits,
    so that a read-only file system and root's privileges are both told right)."""
    folder = Path(folder)
    base = existing_ancestor(folder)
    if not base.is_dir():
        raise OutputError(f"{what} {folder}: {base} is a file, not a folder")
    try:
        with tempfile.TemporaryFile(dir=base, prefix=".scsim-probe-"):
            pass
    except OSError as e:
        raise OutputError(f"{what} {folder}: cannot write in {base}: {e.strerror or e}") from None


def check_new_files(paths, what: str) -> None:
    """None of ``paths`` exists yet (scsim never replaces a file it did not make in this
    command), and their folders can be written."""
    for path in map(Path, paths):
        if path.exists() or path.is_symlink():
            kind = "a folder" if path.is_dir() else "a file"
            raise OutputError(f"{what} {path}: already exists ({kind}); choose another name or remove it")
        check_writable_folder(path.parent, what)


@contextlib.contextmanager
def folder_lock(folder: str | Path, what: str):
    """Hold ``folder/.scsim.lock`` (an OS file lock, released if the process dies) while writing
    there; a second process on the same folder fails at once with one line. The lock file is
    removed on release."""
    from filelock import FileLock, Timeout

    path = Path(folder) / LOCK_NAME
    lock = FileLock(str(path), timeout=0)
    try:
        lock.acquire()
    except Timeout:
        raise OutputError(f"{folder}: another scsim process is writing here ({what}); wait for it to end") from None
    except OSError as e:
        raise OutputError(os_error_line(e)) from None
    try:
        yield
    finally:
        lock.release()
        with contextlib.suppress(OSError):
            path.unlink()
