"""Shared by the property-based tests (``tests/test_fuzz_*.py``): the Hypothesis profiles, the
contract every generated input is held to, and a way to write each property once and run it
both bounded (the default run) and large (``pytest -m fuzz``).

The contract: ``scsim.cli.main`` either succeeds, or returns 2 with exactly one line on stderr
and no traceback, and leaves nothing in the output folder it was given.
"""

from __future__ import annotations

import contextlib
import io
import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings

from scsim.cli import main

# A fixed seed (derandomize) and no example database: the default run is the same every time.
# SCSIM_FUZZ_EXAMPLES scales the large (-m fuzz) runs.
FUZZ_SCALE = int(os.environ.get("SCSIM_FUZZ_EXAMPLES", "25"))
COMMON = dict(derandomize=True, database=None, deadline=None, print_blob=True,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much])


def bounded_and_large(body, examples: int, **strategies):
    """Two tests of the property ``body`` (its arguments drawn from ``strategies``): one with
    ``examples`` examples, for the default run, and one marked ``fuzz`` with FUZZ_SCALE times as
    many. Assign them to two ``test_*`` names in a test module."""
    small = settings(max_examples=examples, **COMMON)(given(**strategies)(body))
    large = settings(max_examples=examples * FUZZ_SCALE, **COMMON)(given(**strategies)(body))
    return small, pytest.mark.fuzz(large)


def call(*argv) -> tuple[int, str, str]:
    """``scsim ARGV`` in this process: (exit status, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        rc = main([str(a) for a in argv])
    return rc, out.getvalue(), err.getvalue()


def assert_contract(rc: int, err: str, out_folder: Path | None = None, ok=(0,)) -> None:
    """Success (``rc`` in ``ok``, no traceback), or 2 with one line, no traceback, and
    ``out_folder`` (if given) not created."""
    assert "Traceback" not in err, err
    if rc in ok:
        return
    assert rc == 2, f"exit status {rc}: {err!r}"
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert len(lines) == 1, f"expected one line on stderr, got {len(lines)}: {err!r}"
    assert lines[0].startswith("scsim"), lines[0]
    if out_folder is not None:
        assert not out_folder.exists() or not any(out_folder.iterdir()), f"a failure left files in {out_folder}"
