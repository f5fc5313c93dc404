"""Shared fixtures: small scenarios that run in a second or two."""

from __future__ import annotations

import os
from pathlib import Path

# CI has no GPU: the torch backend's Triton kernels run through Triton's CPU interpreter in
# tests/test_triton_kernels.py. Triton reads this when it is first imported, so it is set here.
os.environ.setdefault("TRITON_INTERPRET", "1")

import numba  # noqa: E402
import pytest  # noqa: E402

from scsim.scenario import load_preset  # noqa: E402

# pytest-xdist runs one worker per core: one Numba thread each avoids oversubscription.
# (Results do not depend on the thread count: tests/test_engine.py checks it.)
numba.set_num_threads(1)

REPO = Path(__file__).resolve().parents[1]


def small(preset: str, citizens: int = 2000, months: int = 72, **over):
    """A preset shrunk for tests (dotted overrides allowed)."""
    return load_preset(preset).with_overrides(**{"population.citizens": citizens, "run.months": months, **over})


@pytest.fixture
def small_scenario():
    return small
