"""Draw slots are declared once (scsim.rng) and no rule writes a bare slot number."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from scsim import rng
from scsim.engine import Simulation

from .conftest import small

SRC = Path(rng.__file__).resolve().parent
DRAWS = {"uniform", "uniform_array"}  # (key, month, slot, citizen / count)


def draw_calls():
    for path in sorted(SRC.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Call) and len(node.args) >= 3:
                name = node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", None)
                if name in DRAWS:
                    yield path.relative_to(SRC), node


def test_no_draw_names_its_slot_with_a_number():
    calls = list(draw_calls())
    assert len(calls) > 40  # the scan sees the kernels (Numba, torch, builders)
    bare = [f"{path}:{node.lineno}" for path, node in calls
            if any(isinstance(c, ast.Constant) and isinstance(c.value, int) for c in ast.walk(node.args[2]))]
    assert not bare, f"bare slot numbers at {bare}: name them in scsim.rng"


@pytest.mark.parametrize("stream", sorted(rng.MONTHLY))
def test_each_streams_slots_are_distinct_and_fit_the_counter(stream):
    slots = rng.MONTHLY[stream]
    fields = dict(slots._asdict())
    if stream == "expression":  # three slots per kind of post
        stride = fields.pop("stride")
        used = [stride * k + s for k in range(3) for s in fields.values()]
        assert max(fields.values()) < stride
    elif stream == "provocation":  # fear takes one slot per kind of post, from `fear` on
        used = [v for f, v in fields.items() if f != "fear"] + [slots.fear + k for k in range(3)]
    else:
        used = list(fields.values())
    assert len(set(used)) == len(used), f"{stream}: two draws share a slot"
    assert 0 <= min(used) and max(used) < 256  # the counter holds a slot in 8 bits


def test_the_engine_keys_exactly_the_declared_monthly_streams():
    sim = Simulation(small("social-credit-2020", 200, 2))
    assert set(sim.keys) == set(rng.MONTHLY)
    assert set(rng.MONTHLY) <= set(rng.STREAMS) and len(set(rng.STREAMS)) == len(rng.STREAMS)
