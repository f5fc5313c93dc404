"""Whether scsim's Numba kernels still have to be compiled, and a line that says so.

The kernels are compiled on their first call and cached on disk (``cache=True``: in
``__pycache__`` beside the source, or in ``NUMBA_CACHE_DIR``); the first run on a machine spends
about a minute compiling with no month done, which looks like a hang. ``notice`` prints one
line before such a run. A kernel is cached when Numba's index file for it exists; the cache
counts as cold when fewer than a quarter of the kernels have one (a run compiles about half of
them: no single run uses every rule), so a warm cache never gets the line, and a fresh clone
always does.
"""

from __future__ import annotations

import sys
from pathlib import Path

COMPILE_SECONDS = 70  # measured on the 2-core CI machine, a fresh clone (README, "Two commands")
COLD_SHARE = 0.25


def index_paths() -> list[Path]:
    """The cache index file of every cached kernel of scsim's modules (importing the engine)."""
    from numba.core.registry import CPUDispatcher

    from . import engine  # noqa: F401  (imports every module that defines a kernel of the step)

    paths = []
    for name, module in list(sys.modules.items()):
        if not name.startswith("scsim"):
            continue
        for obj in list(vars(module).values()):
            cache_file = getattr(getattr(obj, "_cache", None), "_cache_file", None)  # None: not cache=True
            if isinstance(obj, CPUDispatcher) and cache_file is not None:
                paths.append(Path(cache_file._index_path))
    return sorted(set(paths))


def cache_is_cold() -> bool:
    """True when most kernels have no cached compilation yet (see the module docstring)."""
    paths = index_paths()
    return bool(paths) and sum(p.exists() for p in paths) < COLD_SHARE * len(paths)


def notice(stream=None) -> bool:
    """Print 'compiling scsim's kernels ...' on ``stream`` (stderr) if the cache is cold;
    returns whether it did."""
    if not cache_is_cold():
        return False
    print(f"scsim: compiling scsim's kernels, first run only, about {COMPILE_SECONDS} s on two cores "
          "(Numba caches them for every later run)", file=stream or sys.stderr, flush=True)
    return True
