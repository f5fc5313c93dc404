"""Counter-based draws on tensors: ``uniform(key, month, slot, idx)`` is ``scsim.rng.uniform``
for every citizen in ``idx``, bit for bit, on any device.

int64 multiplication wraps modulo 2**64 exactly as uint64 does, and each logical right shift is
an arithmetic shift followed by a mask, so SplitMix64 runs in torch's int64 arithmetic. On CUDA
with Triton, ``FUSED_DRAWS = True`` does a whole draw in one kernel
(``triton_kernels.uniform``) instead of ~15 elementwise ones.
"""

from __future__ import annotations

import functools

import torch

F64, I64 = torch.float64, torch.int64


@functools.cache
def fused_available(device: torch.device) -> bool:
    """Whether scsim.backends.triton_kernels can run on ``device``: CUDA with Triton. (On the CPU
    the column walk is used; tests set ``fused = True`` to run the kernels in Triton's interpreter.)"""
    import importlib.util

    if device.type != "cuda":
        return False
    if importlib.util.find_spec("triton") is None:
        return False
    from . import triton_kernels

    return triton_kernels.available(device)


def signed(x: int) -> int:
    """A uint64 constant as the int64 with the same bits."""
    x = int(x) & (2**64 - 1)
    return x - 2**64 if x >= 2**63 else x


_GOLDEN = signed(0x9E3779B97F4A7C15)
_M1 = signed(0xBF58476D1CE4E5B9)
_M2 = signed(0x94D049BB133111EB)
_TO_UNIT = 1.0 / 9007199254740992.0  # 2**-53


def _xorshift_(z: torch.Tensor, s: int) -> torch.Tensor:
    """z ^= z >>> s (logical shift: arithmetic shift, then clear the copied sign bits)."""
    return z.bitwise_xor_((z >> s).bitwise_and_((1 << (64 - s)) - 1))


def _mix_(z: torch.Tensor) -> torch.Tensor:
    """SplitMix64's finaliser, in place (int64 products wrap like uint64 ones)."""
    _xorshift_(z, 30).mul_(_M1)
    _xorshift_(z, 27).mul_(_M2)
    return _xorshift_(z, 31)


# True: on CUDA with Triton, each draw is one Triton kernel instead of ~15 tensor operations.
# Measured on an H100 (session 5, benchmarks/gpu_bench.py): bit for bit equal to scsim.rng, and a
# 100M-citizen month 665 -> 541 ms, 10M 110 -> 81 ms. Set False to use the tensor operations.
FUSED_DRAWS = True


def uniform(key, month: int, slot: int, idx: torch.Tensor) -> torch.Tensor:
    """scsim.rng.uniform(key, month, slot, i) for every i in ``idx`` (float64 in [0, 1))."""
    if idx.is_cuda and FUSED_DRAWS and fused_available(idx.device):
        from . import triton_kernels

        return triton_kernels.uniform(key, month, slot, idx)
    z = idx.to(I64) | ((int(month) << 40) | (int(slot) << 32))
    z.mul_(_GOLDEN).add_(_GOLDEN)
    _mix_(z).bitwise_xor_(signed(key))
    _mix_(z)
    return (z >> 11).bitwise_and_((1 << 53) - 1).to(F64).mul_(_TO_UNIT)
