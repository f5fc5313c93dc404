"""The carried state is declared once (scsim.state.STATE): the engine carries exactly it, with its
dtypes, and a checkpoint round-trips every array of it."""

from __future__ import annotations

import numbers

import numpy as np
import pytest

from scsim import state
from scsim.engine import Simulation

from .conftest import small


def stepped(months: int = 7) -> Simulation:
    """Across the mandatory date (month 3), with provocateurs and a generation every 3 months
    that grows the population (so every array has been re-indexed)."""
    sc = small("social-credit-2020", 800, 12, **{"run.start": "2019-10", "phases.optin_start": "2019-10",
                                                 "provocateurs.enabled": True, "generations.every": 3,
                                                 "generations.growth": 0.1})
    sim = Simulation(sc)
    for _ in range(months):
        sim.step()
    return sim


def test_the_engine_carries_exactly_the_declared_state():
    sim = stepped()
    configured = object.__new__(Simulation)
    configured.configure(sim.sc)  # what follows from the scenario alone is not state
    carried = {k for k, v in vars(sim).items() if not k.startswith("_") and k not in vars(configured)
               and isinstance(v, (np.ndarray, numbers.Number))}
    assert carried == set(state.NAMES), f"undeclared: {carried - set(state.NAMES)}; declared, not carried: " \
                                        f"{set(state.NAMES) - carried}"
    for a in state.STATE:
        v = np.asarray(getattr(sim, a.name))
        if a.per_citizen:
            assert v.dtype == np.dtype(a.dtype) and v.shape == a.shape(sim.n), a.name
    assert sim.n > 800 and sim.generation == 2


def test_every_declared_array_round_trips_through_a_checkpoint(tmp_path):
    sim = stepped()
    sim.save_checkpoint(tmp_path / "c.npz")
    back = Simulation.from_checkpoint(sim.sc, tmp_path / "c.npz")
    for a in state.STATE:
        x, y = np.asarray(getattr(sim, a.name)), np.asarray(getattr(back, a.name))
        assert x.dtype == y.dtype and x.shape == y.shape, a.name
        assert np.array_equal(x, y, equal_nan=x.dtype.kind == "f"), a.name
    assert back.step() == sim.step()  # and the next month is the same month


def test_a_checkpoint_without_a_declared_array_is_refused(tmp_path):
    sim = stepped(2)
    arrays = sim.checkpoint_arrays()
    del arrays["sim.worst"]
    np.savez(tmp_path / "c.npz", **arrays)
    with pytest.raises(Exception, match="checkpoint lacks the state worst"):
        Simulation.from_checkpoint(sim.sc, tmp_path / "c.npz")


def test_a_generation_resets_what_the_spec_says_and_renumbers_ids():
    sim = stepped(3)
    sim.last_post[:5] = 2
    sim.arrested[:3] = True
    sim.new_generation(3)
    for a in state.PER_CITIZEN:
        if a.at_generation is not None:
            assert (getattr(sim, a.name) == a.at_generation).all(), a.name
    assert ((sim.worst >= -1) & (sim.worst < sim.n)).all()


def test_the_torch_backend_holds_the_declared_state_with_its_device_dtypes():
    torch = pytest.importorskip("torch")
    from scsim.backends.torch_backend import TorchSimulation

    b = TorchSimulation.from_simulation(stepped(4), "cpu")
    b.step()
    for a in state.PER_CITIZEN:
        t = getattr(b, a.name)
        assert t.dtype == getattr(torch, a.device_dtype) and tuple(t.shape) == a.shape(b.n), a.name
    back = b.to_simulation()
    for a in state.PER_CITIZEN:
        assert getattr(back, a.name).dtype == np.dtype(a.dtype), a.name
