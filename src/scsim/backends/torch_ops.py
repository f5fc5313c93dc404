"""Tensor primitives for the torch backend: scsim.behaviour's and scsim.rules' formulas
re-expressed on tensors, branch for branch (NaN and inf behave as in the scalar versions), and
the few small tensor helpers the passes over ties and the phases share.

Every value and choice computation is float64 (see docs/gpu.md, "Precision").
"""

from __future__ import annotations

import math

import numpy as np
import torch

F64, F32, I64, I32, U8, BOOL = torch.float64, torch.float32, torch.int64, torch.int32, torch.uint8, torch.bool


# ------------------------------------------------------------------ behaviour primitives


def _logistic(x: float) -> float:
    """scsim.behaviour._logistic for a Python float (same formula, same libm)."""
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)
    return e / (1.0 + e)


def value(s, th, val, line, cost, sd):
    """V(s): perceived value of holding score s (scsim.behaviour.value), float64."""
    v = torch.zeros_like(s)
    for k in range(len(th)):
        v += float(val[k]) * torch.sigmoid((s - float(th[k])) / sd)
    if cost > 0:
        v -= cost * torch.sigmoid((line - s) / sd)
    return v


def choice(benefit, cost, temp):
    """scsim.behaviour.choice: probability of acting for ``benefit`` at ``cost`` (tensor or float)."""
    if isinstance(cost, torch.Tensor):
        base = torch.sigmoid(-cost / temp)
    else:
        base = _logistic(-cost / temp)
    p = (torch.sigmoid((benefit - cost) / temp) - base) / (1.0 - base)
    return torch.where((benefit > 0) & (p > 0), p, 0.0)  # NaN -> 0, as the scalar version


def daymude_action(delta, beta, nu, t, psi, proportional):
    """rules.daymude_action for tensors delta (desire) and psi (severity): the optimal
    expressed dissent, branch for branch (NaN and inf behave as in the scalar version)."""
    if not proportional:
        slope = beta - (1.0 - nu) * psi
        a = torch.where((slope > 0.0) & (delta > (beta * t + nu * psi) / slope), delta, t)
    elif nu >= 1.0:
        a = torch.where(beta >= psi, delta, t)
    else:
        d = 0.5 * (t + (beta - nu * psi) / ((1.0 - nu) * psi))
        a = torch.where(d <= t, t, torch.where(d >= delta, delta, d))
    return torch.where((delta <= t) | (psi <= 0.0), delta, a)


# ------------------------------------------------------------------ small tensor helpers


def where(cond: torch.Tensor, a, b) -> torch.Tensor:
    """torch.where that stays float64 when both branches are Python numbers (torch would
    give float32 and round the parameters)."""
    if not isinstance(a, torch.Tensor) and not isinstance(b, torch.Tensor):
        return torch.full(cond.shape, float(b), dtype=F64, device=cond.device).masked_fill_(cond, float(a))
    return torch.where(cond, a, b)


def take(a: torch.Tensor, cit: torch.Tensor | None) -> torch.Tensor:
    """a[cit], or a itself for a walk batch over every citizen (cit None)."""
    return a if cit is None else a[cit]


def add(acc: torch.Tensor, cit: torch.Tensor | None, v: torch.Tensor) -> None:
    """acc[cit] += v (repeats in cit accumulate), or acc += v for a batch over every citizen."""
    if cit is None:
        acc.add_(v)
    else:
        acc.index_add_(0, cit, v)


def numpy_copy(t: torch.Tensor) -> np.ndarray:
    """A numpy copy (on the CPU, .numpy() would share memory with the live state)."""
    a = t.detach().cpu().numpy()
    return a.copy() if t.device.type == "cpu" else a
