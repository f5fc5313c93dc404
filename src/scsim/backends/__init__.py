"""Alternative backends for the monthly step.

``scsim.engine.Simulation`` (NumPy + Numba, CPU) is the reference. A backend here runs the same
phases with the same counter-based draws on other hardware; it is optional and imported only
when asked for, so scsim itself never needs its dependencies.

- ``torch``: the step on PyTorch tensors, on a CUDA GPU when there is one, else the CPU
  (``pip install torch``; see docs/gpu.md).
"""

from __future__ import annotations

BACKENDS = ("numpy", "torch")


def torch_available() -> bool:
    """Whether PyTorch can be imported (the torch backend is usable at all)."""
    import importlib.util

    return importlib.util.find_spec("torch") is not None


def make_simulation(scenario, backend: str = "numpy", device=None, graph=None):
    """A simulation of ``scenario`` on the named backend: what ``scsim run --backend`` builds.

    The torch backend takes ``device`` ("cuda", "cpu", a torch.device, or None for the best
    available); on a machine without CUDA it runs on the CPU and says so once on stderr."""
    if backend == "numpy":
        from ..engine import Simulation

        return Simulation(scenario, graph)
    if backend == "torch":
        if not torch_available():
            from ..errors import InputError

            raise InputError("--backend torch needs PyTorch (pip install torch); it is not installed")
        from .torch_backend import TorchSimulation

        return TorchSimulation(scenario, device=device, world=graph)
    from ..errors import InputError

    raise InputError(f"unknown backend '{backend}' (backends: {', '.join(BACKENDS)})")
