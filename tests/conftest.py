"""Shared fixtures: small scenarios that run in a second or two."""

from __future__ import annotations

from pathlib import Path

import numba
import pytest

from scsim.scenario import load_preset

# pytest-xdist runs one worker per core: one Numba thread each avoids oversubscription.
# (Results do not depend on the thread count: tests/test_engine.py checks it.)
numba.set_num_threads(1)

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"


def small(preset: str, citizens: int = 2000, months: int = 72, **over):
    """A preset shrunk for tests (dotted overrides allowed)."""
    return load_preset(preset).with_overrides(**{"population.citizens": citizens, "run.months": months, **over})


@pytest.fixture
def small_scenario():
    return small
