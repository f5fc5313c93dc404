"""Output paths, checked before any work is done, written so that none is ever half there, and
the lock that keeps one writer per folder.

Every command that writes (``run``, ``plot``, ``export``, ``compare``, ``sweep``, ``study``,
``report``) checks its outputs first, so that a folder without write permission or a file
already there fails in one line before the world is built or a single run computed. Its files
are then written under temporary names beside their own (``staged``) and renamed into place
only when all of them are written: a full disk or a Ctrl-C midway leaves nothing behind.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import tempfile
from pathlib import Path

from .errors import OutputError, interrupts_deferred, os_error_line

PARTIAL = ".scsim-partial"  # the mark of a file or folder being written (``Staged``)

LOCK_NAME = ".scsim.lock"
_STAGED_BY = re.compile(re.escape(PARTIAL) + r"-(\d+)")  # the writer's process id in a temporary's name


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # (alive, another user's)
        return True
    return True


def clear_stale(folder: Path) -> list[Path]:
    """Remove the temporaries a killed writer (``kill -9``, a power cut) left in ``folder``: the
    files and folders ``Staged`` names with a process id that is no longer running. Returns them."""
    removed = []
    with contextlib.suppress(OSError):
        for entry in Path(folder).iterdir():
            m = _STAGED_BY.search(entry.name)
            if m and int(m.group(1)) != os.getpid() and not _alive(int(m.group(1))):
                with contextlib.suppress(OSError):
                    shutil.rmtree(entry) if entry.is_dir() and not entry.is_symlink() else entry.unlink()
                    removed.append(entry)
    return removed


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


class Staged:
    """The outputs of one command, written first under temporary names in their own folders (a
    rename is then atomic) and put in place together by ``commit``; ``discard`` removes every
    temporary and each folder made for them. Use it through ``staged``."""

    def __init__(self, what: str):
        self.what = what
        self.files: list[tuple[Path, Path]] = []  # (temporary, final)
        self.folders: list[tuple[Path, Path]] = []  # (temporary folder, final folder)
        self.made: list[Path] = []  # folders this command made, outermost first
        self.current: Path | None = None  # the output last handed out: the one being written
        self.cleared: set[Path] = set()  # folders already rid of a killed writer's temporaries

    def _clear(self, folder: Path) -> None:
        if folder not in self.cleared:  # once a folder: a command hands out many files there
            clear_stale(folder)
            self.cleared.add(folder)

    def _make(self, folder: Path) -> None:
        missing = []
        while not folder.exists() and folder != folder.parent:
            missing.append(folder)
            folder = folder.parent
        for new in reversed(missing):
            new.mkdir(exist_ok=True)
            self.made.append(new)

    def file(self, final: str | Path) -> Path:
        """Where to write ``final``: a temporary name beside it, with its suffix (which picks
        the format of matplotlib, pandas and DuckDB alike)."""
        final = Path(final)
        self._make(final.parent)
        self._clear(final.parent)
        tmp = final.with_name(f".{final.stem}{PARTIAL}-{os.getpid()}{final.suffix}")
        self.files.append((tmp, final))
        self.current = final
        return tmp

    def folder(self, final: str | Path) -> Path:
        """A temporary folder inside ``final`` (made if need be), whose files replace their
        namesakes in ``final`` on ``commit``."""
        final = Path(final)
        self._make(final)
        self._clear(final)
        tmp = final / f"{PARTIAL}-{os.getpid()}"
        tmp.mkdir(exist_ok=True)
        self.folders.append((tmp, final))
        self.current = final
        return tmp

    def commit(self) -> None:
        for tmp, final in self.files:
            if tmp.exists():  # (an output handed out but not written, e.g. a figure with nothing to draw)
                os.replace(tmp, final)
        for tmp, final in self.folders:
            for f in sorted(tmp.iterdir()):
                os.replace(f, final / f.name)
            tmp.rmdir()

    def discard(self) -> None:
        for tmp, _ in self.files:
            for f in (tmp, tmp.with_name(tmp.name + ".wal")):  # (and a database's write-ahead log)
                with contextlib.suppress(OSError):
                    f.unlink(missing_ok=True)
        for tmp, _ in self.folders:
            shutil.rmtree(tmp, ignore_errors=True)
        for folder in reversed(self.made):  # innermost first; only while empty (another's files stay)
            with contextlib.suppress(OSError):
                folder.rmdir()

    def error(self, e: OSError) -> OutputError:
        """``e`` as one line naming the output (not its temporary name)."""
        temporary = {str(tmp): final for tmp, final in self.files}
        named = temporary.get(str(e.filename)) if e.filename else self.current  # a failed write names no file
        reason = e.strerror or str(e) or type(e).__name__
        return OutputError(f"{self.what} {named or e.filename}: cannot write: {reason}")


@contextlib.contextmanager
def staged(what: str):
    """A ``Staged`` for the block: its outputs put in place when the block ends, or, on any
    failure (a full disk, a Ctrl-C), all removed; an ``OSError`` becomes one ``OutputError``
    line naming the output (``what`` says whose: ``"scsim compare: --out"``)."""
    outputs = Staged(what)
    try:
        yield outputs
        outputs.commit()
    except BaseException as e:
        with interrupts_deferred(reraise=False):  # a second Ctrl-C does not cut the clean-up short
            outputs.discard()
        if isinstance(e, OSError) and not isinstance(e, OutputError):
            raise outputs.error(e) from e
        raise
