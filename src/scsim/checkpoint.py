"""Checkpoints: everything the months to come depend on, written to one ``.npz`` and read back.

A checkpoint holds the carried state (``Simulation.CARRIED``, i.e. ``scsim.state.STATE``) under
``sim.``, the network's slots (``NETWORK``) under ``net.`` and the population's columns under
``pop.``. ``engine.Simulation.checkpoint_arrays``, ``save_checkpoint`` and ``from_checkpoint``
call these functions.
"""

from __future__ import annotations

import zipfile

import numpy as np

from .errors import InputError
from .loop import PhaseClock
from .network import Network
from .population import Population
from .scenario import Scenario

NETWORK = ("start", "deg", "cap", "nbr", "kind", "tail", "slack", "min_slack", "n")


def write_checkpoint(arrays: dict[str, np.ndarray], path) -> None:
    """Write ``Simulation.checkpoint_arrays()`` atomically (write, then rename)."""
    import os
    from pathlib import Path

    path = Path(path)
    tmp = path.with_name(path.name + ".tmp.npz")
    np.savez(tmp, **arrays)
    os.replace(tmp, path)


def checkpoint_arrays(sim) -> dict[str, np.ndarray]:
    """Everything the months to come depend on: the live arrays, not copies (write them
    before the next step). Monthly draws are counter-based, so no generator state is needed."""
    arrays = {f"sim.{k}": np.asarray(getattr(sim, k)) for k in sim.CARRIED}
    arrays.update({f"net.{k}": np.asarray(getattr(sim.net, k)) for k in NETWORK})
    arrays.update({f"pop.{k}": v for k, v in vars(sim.pop).items() if isinstance(v, np.ndarray)})
    return arrays


def save_checkpoint(sim, path) -> None:
    write_checkpoint(sim.checkpoint_arrays(), path)


def from_checkpoint(cls, scenario: Scenario, path):
    """A ``cls`` (``engine.Simulation``) restored from a checkpoint, ready to run its next month."""
    sim = object.__new__(cls)
    sim.configure(scenario)
    try:
        with np.load(path) as data:
            parts = {k: data[k] for k in data.files}
    except (OSError, EOFError, ValueError, zipfile.BadZipFile) as e:  # cut short, damaged, not a checkpoint
        raise InputError(f"{path}: not a readable checkpoint ({str(e).splitlines()[0] if str(e) else type(e).__name__}); "
                         "the run cannot be resumed from it") from None
    pick = lambda prefix: {k[len(prefix):]: v for k, v in parts.items() if k.startswith(prefix)}  # noqa: E731
    carried = pick("sim.")
    missing = [k for k in cls.CARRIED if k not in carried]
    if missing:
        raise InputError(f"{path}: checkpoint lacks the state {', '.join(missing)} (written by another version?)")
    for k in cls.CARRIED:  # (state a checkpoint holds that is no longer carried is left out)
        v = carried[k]
        setattr(sim, k, v.item() if v.ndim == 0 else v)
    net = object.__new__(Network)
    for k, v in pick("net.").items():
        setattr(net, k, v.item() if v.ndim == 0 else v)
    sim.net = net
    sim.pop = Population(**pick("pop."))
    sim.flows = None
    sim.timings = []
    sim.clock = PhaseClock()
    return sim
