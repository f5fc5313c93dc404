"""The fused Triton tie walks (scsim.backends.triton_kernels) against the column walk they replace.

CI has no GPU: Triton's interpreter (TRITON_INTERPRET=1) runs the same kernels on CPU tensors.
The promise is bit-for-bit equality with the tensor-operation walk (sums in slot order, no fused
multiply-adds), so every state tensor is compared exactly, NaN for NaN, for months across the
mandatory date in each association mode; benchmarks/gpu_bench.py repeats the check on a GPU.
"""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="the torch backend needs PyTorch")
pytest.importorskip("triton", reason="the fused kernels need Triton (in the test extra)")

from scsim.backends.torch_backend import TorchSimulation  # noqa: E402

from .test_torch_backend import crossing  # noqa: E402


@pytest.fixture
def interpreted():
    """scsim.backends.triton_kernels under Triton's CPU interpreter (tests/conftest.py sets
    TRITON_INTERPRET=1 before anything imports Triton)."""
    import scsim.backends.triton_kernels as tk

    if not tk.INTERPRET:
        pytest.skip("Triton was imported before TRITON_INTERPRET=1 was set")
    assert tk.available(torch.device("cpu"))
    return tk


def state(sim: TorchSimulation) -> dict[str, torch.Tensor]:
    return {k: v for k, v in vars(sim).items() if isinstance(v, torch.Tensor)}


def assert_same(a: dict, b: dict, month: int) -> None:
    assert a.keys() == b.keys()
    for k in a:
        x, y = a[k], b[k]
        assert x.dtype == y.dtype and x.shape == y.shape, k
        assert torch.equal(x, y) or (x.is_floating_point() and torch.equal(torch.nan_to_num(x, 7.0),
                                                                           torch.nan_to_num(y, 7.0))), \
            f"month {month}: {k} differs"


@pytest.mark.parametrize("over", [
    {"register.min_drag": 6.0},  # (the preset's 12 points list nobody in 7 months at this size)
    {"scoring.association.mode": "penalty", "scoring.association.family_weight": 2.0},
    {"scoring.association.family_weight": 1.5, "register.min_drag": 0.3},
    {"scoring.association.friends_posts": 0.3, "scoring.association.family_weight": 1.5},
    {"scoring.association.friends_posts": 0.3, "scoring.association.mode": "penalty", "register.min_drag": 4.0},
])
def test_fused_walks_equal_the_column_walk_bit_for_bit(interpreted, over):
    sc = crossing(700, **over)
    walk = TorchSimulation(sc, device="cpu")
    fused = TorchSimulation(sc, device="cpu")
    walk.fused, fused.fused = False, True
    calls, cuts = [], 0
    real, real_posts = interpreted.association, interpreted.posts
    interpreted.association = lambda *a, **k: calls.append(1) or real(*a, **k)
    interpreted.posts = lambda *a, **k: calls.append(2) or real_posts(*a, **k)
    try:
        for t in range(7):
            ra, rb = walk.step(), fused.step()
            cuts += ra["edges_cut_drag"]
            assert ra.keys() == rb.keys()
            for k, x in ra.items():
                y = rb[k]
                assert x == y or (x != x and y != y), f"month {t}: metric {k}: {x} != {y}"
            assert_same(state(walk), state(fused), t)
    finally:
        interpreted.association, interpreted.posts = real, real_posts
    assert calls.count(1) == 7  # the fused kernel really ran, every month
    if sc.scoring.association.friends_posts:  # and friends' posts' kernel from the political start (month 3)
        assert calls.count(2) == 4 and (fused.political > 0).any()
    assert ra["phase"] == "mandatory" and ra["register_listed"] > 0 and cuts > 0
    assert (fused.worst >= 0).any()


def test_hubs_and_isolated_citizens_in_one_block(interpreted):
    """Degrees from 0 to well past a block's typical maximum: the per-block loop bound and the
    masks must neither skip a hub's last ties nor read an isolated citizen's neighbour's slots."""
    sc = crossing(400, **{"network.model": "barabasi-albert", "network.mean_degree": 6.0})
    walk = TorchSimulation(sc, device="cpu")
    fused = TorchSimulation(sc, device="cpu")
    walk.fused, fused.fused = False, True
    for net in (walk.net, fused.net):  # isolate ten citizens: degree 0 inside a block
        u = torch.cat([torch.full((len(net.neighbours(i)),), i, dtype=torch.int32) for i in range(10)])
        v = torch.cat([torch.as_tensor(net.neighbours(i), dtype=torch.int32) for i in range(10)])
        net.remove_edges(u, v)
    assert int((walk.net.deg[:10] == 0).sum()) == 10
    assert int(walk.net.deg.max()) > 3 * float(walk.net.deg.float().mean())
    for t in range(4):
        walk.step(), fused.step()
        assert_same(state(walk), state(fused), t)


@pytest.mark.parametrize("month,slot", [(0, 0), (77, 13), (2399, 31)])
def test_fused_draws_equal_scsim_rng_bit_for_bit(interpreted, month, slot):
    from scsim.rng import Streams, uniform_array

    key = Streams(20150128).key("expression")
    want = uniform_array(key, month, slot, 1 << 16)
    idx = torch.randperm(1 << 16, generator=torch.Generator().manual_seed(month))[::3]  # any order, a subset
    got = interpreted.uniform(key, month, slot, idx)
    assert got.dtype == torch.float64 and got.shape == idx.shape
    assert np.array_equal(got.numpy(), want[idx.numpy()])
    big = torch.tensor([2**32 - 1, 2**31, 123_456_789], dtype=torch.int64)  # ids of a 4-billion nation
    assert got.numel() and interpreted.uniform(key, month, slot, big).tolist() == [
        float(x) for x in _rng_at(key, month, slot, big.tolist())]


def _rng_at(key, month, slot, ids):
    from scsim.rng import uniform

    return [uniform(key, month, slot, i) for i in ids]


def test_fused_provocation_counts_equal_the_column_walk(interpreted):
    """The provocateur regime with the friend counts in one kernel: every state tensor equal."""
    from .conftest import small

    sc = small("provocateur", 700, 24, **{"phases.optin_start": None, "phases.mandatory_start": "2015-02",
                                          "provocateurs.invite_rate": 0.3, "provocateurs.arrest_rate": 0.4,
                                          "provocateurs.arrest_cost": 300.0, "run.seed": 3})
    walk = TorchSimulation(sc, device="cpu")
    fused = TorchSimulation(sc, device="cpu")
    walk.fused, fused.fused = False, True
    calls = []
    real = interpreted.agent_friends
    interpreted.agent_friends = lambda *a, **k: calls.append(1) or real(*a, **k)
    try:
        for t in range(6):
            ra, rb = walk.step(), fused.step()
            assert {k: v for k, v in ra.items() if v == v} == {k: v for k, v in rb.items() if v == v}
            assert_same(state(walk), state(fused), t)
    finally:
        interpreted.agent_friends = real
    assert len(calls) == 5 and bool(fused.arrested.any())  # months 1-5 provoke; somebody was arrested
    # the counts themselves, at months on both sides of the dissent window's edges
    posted = fused.last_post[fused.last_post >= 0]
    for t in sorted({int(posted.min()) + 12, int(posted.max()) + 12, int(posted.max()) + 1, 6}):
        got = interpreted.agent_friends(fused.net, fused.provocateur, fused.last_post, t, 12)
        want = fused._agent_friends_walk(t)
        for g, w in zip(got, want):
            assert torch.equal(g, w), t
    assert int(want[0].sum()) > 0 and int(fused._agent_friends_walk(6)[2].sum()) > 0
