"""Reproductions of published results with scsim's own machinery (docs/validation.md).

Each module (``granovetter``, ``holme_newman``, ``daymude``, ``wei``) builds a classic model from
scsim's primitives (``Network``, the rules in ``scsim.rules``, named ``Streams``, or the whole
engine) and exposes ``run(full) -> Result`` and ``plot(result, path)``. ``runner.run_validation``
runs them, prints the paper's figures next to scsim's, and writes one plot per model.
"""

from __future__ import annotations

from .common import Check, Result, parallel_map


def __getattr__(name: str):
    # lazy: the runner imports every model (and with them Numba, SciPy and the engine)
    if name in ("run_validation", "MODELS"):
        from . import runner

        return getattr(runner, name)
    raise AttributeError(name)


__all__ = ["Check", "Result", "parallel_map", "run_validation", "MODELS"]
