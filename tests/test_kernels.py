"""The line a first run prints while Numba compiles: only when the kernel cache is cold."""

import os
import subprocess
import sys

from .conftest import REPO

PROBE = ("import sys; from scsim import kernels; paths = kernels.index_paths(); "
         "print(len(paths), kernels.cache_is_cold(), kernels.notice(sys.stdout)); "
         "[p.parent.mkdir(parents=True, exist_ok=True) or p.touch() for p in paths[: int(sys.argv[1])]]")


def _probe(cache, touch: int) -> list[str]:
    env = dict(os.environ, NUMBA_CACHE_DIR=str(cache), PYTHONPATH=str(REPO / "src"))
    p = subprocess.run([sys.executable, "-c", PROBE, str(touch)], env=env, capture_output=True, text=True,
                       timeout=120, check=True)
    return p.stdout.splitlines()


def test_the_compile_line_shows_only_with_a_cold_cache(tmp_path):
    """Each probe reports before it touches ``touch`` index files, as a run would leave them."""
    first = _probe(tmp_path, touch=0)  # an empty cache folder: a fresh clone
    assert first[0].startswith("scsim: compiling scsim's kernels, first run only, about 70 s")
    n, cold, printed = first[1].split()
    assert int(n) > 50 and cold == "True" and printed == "True"
    assert _probe(tmp_path, touch=int(n) // 2)[1] == f"{n} True True"  # then half the kernels cached
    assert _probe(tmp_path, touch=0) == [f"{n} False False"]  # as after a run: no line
