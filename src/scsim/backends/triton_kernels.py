"""Triton kernels for the torch backend on a GPU: the passes over every tie, and the draws.

The association pass and the register pass visit every tie of every citizen. Written as tensor
operations they walk the slotted layout column by column, ~20 elementwise kernels a column,
each reading and writing float64 columns over all citizens: at 100M citizens that was 0.8 s of
a 1.3 s month on an H100. Here one GPU thread owns one citizen and loops over its slots in slot
order, exactly as the Numba kernel ``scoring.association_pass`` does, keeping its sums in
registers: each float64 sum adds the same terms in the same order, and "the first friend with
the largest gap" is the same friend. Kernels are compiled with ``enable_fp_fusion=False`` so
that ``a + b * c`` is not contracted into a fused multiply-add (which rounds once instead of
twice): results are then bit-identical to the column walk.

``agent_friends`` counts the provocation phase's friends (agents, others, dissenting others)
in one pass the same way. ``uniform`` is scsim.rng.uniform (SplitMix64 on the counter (month, slot, citizen), xor the
stream key, SplitMix64 again) in uint64 arithmetic, one kernel instead of ~15 elementwise ones.

A block of ``BLOCK`` citizens loops up to the largest degree in the block (computed beforehand:
``_block_max``), masked per citizen; a few hubs only slow their own block.

Used when the device is CUDA and Triton is importable (``available``); with the environment
variable ``TRITON_INTERPRET=1`` set before import, Triton's interpreter runs the same kernels
on CPU tensors, which is how the test suite checks them without a GPU.
"""

from __future__ import annotations

import os

import torch

try:  # Triton ships with CUDA builds of PyTorch; the CPU wheel has none
    import triton
    import triton.language as tl
except ImportError:  # pragma: no cover - exercised where Triton is absent
    triton = None

BLOCK = 128
INTERPRET = os.environ.get("TRITON_INTERPRET") == "1"


def available(device: torch.device) -> bool:
    """Whether the fused kernels can run on ``device``: CUDA with Triton, or any device under
    Triton's interpreter (TRITON_INTERPRET=1, set before scsim imported this module)."""
    if triton is None:
        return False
    return INTERPRET or device.type == "cuda"


def _block_max(deg: torch.Tensor) -> torch.Tensor:
    """Largest degree in each block of BLOCK citizens (the loop bound of that block)."""
    n = deg.shape[0]
    pad = (-n) % BLOCK
    d = torch.nn.functional.pad(deg, (0, pad)) if pad else deg
    return d.view(-1, BLOCK).amax(1).to(torch.int32).contiguous()


def _params(device, *values: float) -> torch.Tensor:
    """Float parameters as a float64 tensor: Triton would pass a Python float as float32."""
    return torch.tensor(values, dtype=torch.float64, device=device)


def _launch_options() -> dict:
    return {} if INTERPRET else {"enable_fp_fusion": False, "num_warps": 4}


if triton is not None:

    @triton.jit
    def _published_friend(nbr_ptr, kind_ptr, pub_ptr, x, m, fw1):
        """Slot x's friend j, the tie's kind, j's published score (0 if none) and the tie's
        weight (0 unless published: 1, or family_weight for family)."""
        j = tl.load(nbr_ptr + x, mask=m, other=0)
        kind = tl.load(kind_ptr + x, mask=m, other=0).to(tl.int32)
        sj = tl.load(pub_ptr + j, mask=m, other=0.0).to(tl.float64)
        ok = m & (sj == sj)  # not NaN: the friend has a published score
        return j, kind, tl.where(ok, sj, 0.0), tl.where(ok, 1.0 + fw1 * kind.to(tl.float64), 0.0)

    @triton.jit
    def _association_kernel(start_ptr, deg_ptr, bmax_ptr, nbr_ptr, kind_ptr, pub_ptr, reach_ptr,
                            own_ptr, wsum_ptr, wsx_ptr, below_ptr, posted_ptr, gap_ptr, best_ptr,
                            bkind_ptr, n, par_ptr, MODE: tl.constexpr, BLOCK: tl.constexpr):
        pid = tl.program_id(0)
        fw1 = tl.load(par_ptr)
        line = tl.load(par_ptr + 1)
        cit = pid * BLOCK + tl.arange(0, BLOCK)
        live = cit < n
        s = tl.load(start_ptr + cit, mask=live, other=0)
        d = tl.load(deg_ptr + cit, mask=live, other=0)
        own = tl.load(own_ptr + cit, mask=live, other=0.0)
        wsum = tl.zeros([BLOCK], dtype=tl.float64)
        wsx = tl.zeros([BLOCK], dtype=tl.float64)
        below = tl.zeros([BLOCK], dtype=tl.float64)
        posted = tl.zeros([BLOCK], dtype=tl.float64)
        best_gap = tl.zeros([BLOCK], dtype=tl.float64)
        best = tl.full([BLOCK], -1, dtype=tl.int32)
        best_kind = tl.zeros([BLOCK], dtype=tl.int32)
        hi = tl.load(bmax_ptr + pid)
        k = 0
        while k < hi:  # a while loop: Triton's interpreter cannot take a tensor as range()'s bound
            m = k < d
            j, kind, sjz, w = _published_friend(nbr_ptr, kind_ptr, pub_ptr, s + k, m, fw1)
            rp = tl.load(reach_ptr + j, mask=m, other=0.0).to(tl.float64)
            posted += tl.where(m, rp, 0.0)
            wsum += w
            wsx += w * sjz
            under = tl.where(sjz < line, w, 0.0)
            below += under
            if MODE == 1:
                gap = w * (own - sjz)
            else:
                gap = under
            win = m & (gap > best_gap)
            best_gap = tl.where(win, gap, best_gap)
            best = tl.where(win, j, best)
            best_kind = tl.where(win, kind, best_kind)
            k += 1
        tl.store(wsum_ptr + cit, wsum, mask=live)
        tl.store(wsx_ptr + cit, wsx, mask=live)
        tl.store(below_ptr + cit, below, mask=live)
        tl.store(posted_ptr + cit, posted, mask=live)
        tl.store(gap_ptr + cit, best_gap, mask=live)
        tl.store(best_ptr + cit, best, mask=live)
        tl.store(bkind_ptr + cit, best_kind.to(tl.uint8), mask=live)

    @triton.jit
    def _posts_kernel(start_ptr, deg_ptr, bmax_ptr, nbr_ptr, kind_ptr, pub_ptr, own_ptr, unit_ptr, rec_ptr,
                      rsum_ptr, drag_ptr, best_ptr, bkind_ptr, n, par_ptr, MODE: tl.constexpr, BLOCK: tl.constexpr):
        pid = tl.program_id(0)
        fw1 = tl.load(par_ptr)
        line = tl.load(par_ptr + 1)
        share = tl.load(par_ptr + 2)
        cit = pid * BLOCK + tl.arange(0, BLOCK)
        live = cit < n
        s = tl.load(start_ptr + cit, mask=live, other=0)
        d = tl.load(deg_ptr + cit, mask=live, other=0)
        own = tl.load(own_ptr + cit, mask=live, other=0.0)
        unit = tl.load(unit_ptr + cit, mask=live, other=0.0)
        rsum = tl.zeros([BLOCK], dtype=tl.float64)
        best_drag = tl.zeros([BLOCK], dtype=tl.float64)
        best = tl.full([BLOCK], -1, dtype=tl.int32)
        best_kind = tl.zeros([BLOCK], dtype=tl.int32)
        hi = tl.load(bmax_ptr + pid)
        k = 0
        while k < hi:
            m = k < d
            j, kind, sjz, w = _published_friend(nbr_ptr, kind_ptr, pub_ptr, s + k, m, fw1)
            rec = w * tl.load(rec_ptr + j, mask=m, other=0.0)
            rsum += rec
            if MODE == 1:
                gap = w * (own - sjz)
            else:
                gap = tl.where(sjz < line, w, 0.0)
            drag = unit * tl.maximum(gap, 0.0) + share * rec
            win = m & (drag > best_drag)
            best_drag = tl.where(win, drag, best_drag)
            best = tl.where(win, j, best)
            best_kind = tl.where(win, kind, best_kind)
            k += 1
        tl.store(rsum_ptr + cit, rsum, mask=live)
        tl.store(drag_ptr + cit, best_drag, mask=live)
        tl.store(best_ptr + cit, best, mask=live)
        tl.store(bkind_ptr + cit, best_kind.to(tl.uint8), mask=live)

    @triton.jit
    def _register_kernel(start_ptr, deg_ptr, bmax_ptr, nbr_ptr, kind_ptr, pub_ptr, own_ptr, unit_ptr, rec_ptr,
                         listed_ptr, n, par_ptr, MODE: tl.constexpr, FAMILY: tl.constexpr, RECORD: tl.constexpr,
                         BLOCK: tl.constexpr):
        pid = tl.program_id(0)
        fw = tl.load(par_ptr)
        line = tl.load(par_ptr + 1)
        min_drag = tl.load(par_ptr + 2)
        share = tl.load(par_ptr + 3)
        cit = pid * BLOCK + tl.arange(0, BLOCK)
        live = cit < n
        s = tl.load(start_ptr + cit, mask=live, other=0)
        d = tl.load(deg_ptr + cit, mask=live, other=0)
        sj = tl.load(pub_ptr + cit, mask=live, other=float("nan")).to(tl.float64)
        if RECORD:
            rec = tl.load(rec_ptr + cit, mask=live, other=0.0)
        hit = tl.zeros([BLOCK], dtype=tl.int32)
        hi = tl.load(bmax_ptr + pid)
        k = 0
        while k < hi:
            m = k < d
            x = s + k
            i = tl.load(nbr_ptr + x, mask=m, other=0)
            u = tl.load(unit_ptr + i, mask=m, other=0.0)
            if FAMILY:
                kind = tl.load(kind_ptr + x, mask=m, other=0)
                uw = u * tl.where(kind == 1, fw, 1.0)
            else:
                uw = u * 1.0
            if MODE == 1:
                ref = tl.load(own_ptr + i, mask=m, other=0.0)
                drag = tl.where(sj < ref, uw * (ref - sj), 0.0)
            else:
                drag = tl.where(sj < line, uw, 0.0)
            if RECORD:  # TorchTies._register: share * (w * P_j) on top of the score's drag, if published
                if FAMILY:
                    drag = drag + tl.where(sj == sj, share * (tl.where(kind == 1, fw, 1.0) * rec), 0.0)
                else:
                    drag = drag + tl.where(sj == sj, share * (1.0 * rec), 0.0)
            hit = hit | (m & (drag > 0.0) & (drag >= min_drag)).to(tl.int32)
            k += 1
        tl.store(listed_ptr + cit, hit.to(tl.int8), mask=live)


    @triton.jit
    def _agent_friends_kernel(start_ptr, deg_ptr, bmax_ptr, nbr_ptr, agent_ptr, last_ptr, agents_ptr, friends_ptr,
                              dissenting_ptr, n, since, window, BLOCK: tl.constexpr):
        pid = tl.program_id(0)
        cit = pid * BLOCK + tl.arange(0, BLOCK)
        live = cit < n
        s = tl.load(start_ptr + cit, mask=live, other=0)
        d = tl.load(deg_ptr + cit, mask=live, other=0)
        agents = tl.zeros([BLOCK], dtype=tl.int32)
        friends = tl.zeros([BLOCK], dtype=tl.int32)
        dissenting = tl.zeros([BLOCK], dtype=tl.int32)
        hi = tl.load(bmax_ptr + pid)
        k = 0
        while k < hi:
            m = k < d
            j = tl.load(nbr_ptr + s + k, mask=m, other=0)
            a = tl.load(agent_ptr + j, mask=m, other=0) != 0
            last = tl.load(last_ptr + j, mask=m, other=0)
            agents += (m & a).to(tl.int32)
            friends += (m & ~a).to(tl.int32)
            dissenting += (m & ~a & ((since - last) < window)).to(tl.int32)
            k += 1
        tl.store(agents_ptr + cit, agents, mask=live)
        tl.store(friends_ptr + cit, friends, mask=live)
        tl.store(dissenting_ptr + cit, dissenting, mask=live)

    @triton.jit
    def _uniform_kernel(idx_ptr, out_ptr, m, counter_hi, key, BLOCK: tl.constexpr):
        pid = tl.program_id(0)
        offs = pid.to(tl.int64) * BLOCK + tl.arange(0, BLOCK)
        live = offs < m
        i = tl.load(idx_ptr + offs, mask=live, other=0).to(tl.uint64)
        z = i | counter_hi.to(tl.uint64)
        z = z * 0x9E3779B97F4A7C15 + 0x9E3779B97F4A7C15
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9
        z = (z ^ (z >> 27)) * 0x94D049BB133111EB
        z = z ^ (z >> 31)
        z = z ^ key.to(tl.uint64)
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9
        z = (z ^ (z >> 27)) * 0x94D049BB133111EB
        z = z ^ (z >> 31)
        u = (z >> 11).to(tl.int64).to(tl.float64) * (1.0 / 9007199254740992.0)
        tl.store(out_ptr + offs, u, mask=live)


def uniform(key, month: int, slot: int, idx: torch.Tensor) -> torch.Tensor:
    """scsim.rng.uniform(key, month, slot, i) for every i in ``idx``, in one kernel (the tensor
    version takes ~15 elementwise kernels). Bit for bit the same (uint64 arithmetic)."""
    idx = idx.contiguous()
    out = torch.empty(idx.shape, dtype=torch.float64, device=idx.device)
    m = idx.numel()
    if m:
        counter_hi = (int(month) << 40) | (int(slot) << 32)
        key = int(key) & (2**64 - 1)
        _uniform_kernel[(triton.cdiv(m, 1024),)](idx, out, m, _as_int64(counter_hi), _as_int64(key), BLOCK=1024,
                                                  **_launch_options())
    return out


def _as_int64(x: int) -> int:
    """A 64-bit pattern as a signed int (Triton passes ints that fit int64 as int64)."""
    return x - 2**64 if x >= 2**63 else x


def agent_friends(net, provocateur, last_post, month: int, window: int):
    """(agents, friends, dissenting) per citizen, as TorchSimulation._provocation's column walk
    counts them: friends who are provocateurs; the other friends; those of them who posted
    unapproved content in the ``window`` months before ``month`` (integer counts: exact)."""
    n, dev = net.n, net.device
    out = [torch.empty(n, dtype=torch.int32, device=dev) for _ in range(3)]
    if n:
        _agent_friends_kernel[(triton.cdiv(n, BLOCK),)](
            net.start, net.deg, _block_max(net.deg), net.nbr, provocateur.contiguous().view(torch.uint8),
            last_post.contiguous(), *out, n, int(month) - 1, int(window), BLOCK=BLOCK, **_launch_options())
    return tuple(out)


def association(net, s_pub, reach_posts, own_ref, mode: int, fw1: float, line: float):
    """(wsum, wsx, below, posted, best_gap, best, best_kind) of the association pass for every
    citizen, as the column walk in TorchSimulation._association computes them."""
    n, dev = net.n, net.device
    f64 = lambda: torch.empty(n, dtype=torch.float64, device=dev)  # noqa: E731
    wsum, wsx, below, posted, gap = f64(), f64(), f64(), f64(), f64()
    best = torch.empty(n, dtype=torch.int32, device=dev)
    best_kind = torch.empty(n, dtype=torch.uint8, device=dev)
    if n:
        grid = (triton.cdiv(n, BLOCK),)
        _association_kernel[grid](
            net.start, net.deg, _block_max(net.deg), net.nbr, net.kind, s_pub.contiguous(),
            reach_posts.contiguous(), own_ref.contiguous(), wsum, wsx, below, posted, gap, best,
            best_kind, n, _params(dev, fw1, line), MODE=int(mode), BLOCK=BLOCK, **_launch_options())
    return wsum, wsx, below, posted, gap, best, best_kind


def posts(net, s_pub, own_ref, unit, record, mode: int, fw1: float, line: float, share: float):
    """(record_sum, worst drag, worst, worst kind) of friends' posts for every citizen, as
    TorchTies._posts_walk computes them: the sum of w P_j and the worst dragger by
    unit * max(gap, 0) + share * w P_j."""
    n, dev = net.n, net.device
    rsum = torch.empty(n, dtype=torch.float64, device=dev)
    drag = torch.empty(n, dtype=torch.float64, device=dev)
    best = torch.empty(n, dtype=torch.int32, device=dev)
    best_kind = torch.empty(n, dtype=torch.uint8, device=dev)
    if n:
        _posts_kernel[(triton.cdiv(n, BLOCK),)](
            net.start, net.deg, _block_max(net.deg), net.nbr, net.kind, s_pub.contiguous(), own_ref.contiguous(),
            unit.contiguous(), record.contiguous(), rsum, drag, best, best_kind, n, _params(dev, fw1, line, share),
            MODE=int(mode), BLOCK=BLOCK, **_launch_options())
    return rsum, drag, best, best_kind


def register(net, s_pub, own_ref, unit, mode: int, family_weight: float, line: float,
             min_drag: float, record=None, share: float = 0.0) -> torch.Tensor:
    """Who is listed on the register: some friend's drag by this citizen is > 0 and >= min_drag
    (TorchSimulation._register's column walk, in one kernel); with ``record`` (friends' posts)
    the drag includes ``share`` of the citizen's tie-weighted political record."""
    n, dev = net.n, net.device
    listed = torch.empty(n, dtype=torch.int8, device=dev)
    if n:
        grid = (triton.cdiv(n, BLOCK),)
        rec = unit if record is None else record.contiguous()  # (not read without RECORD)
        _register_kernel[grid](
            net.start, net.deg, _block_max(net.deg), net.nbr, net.kind, s_pub.contiguous(),
            own_ref.contiguous(), unit.contiguous(), rec, listed, n, _params(dev, family_weight, line, min_drag, share),
            MODE=int(mode), FAMILY=bool(family_weight != 1.0), RECORD=record is not None, BLOCK=BLOCK,
            **_launch_options())
    return listed.bool()
