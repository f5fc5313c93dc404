"""The torch backend against the CPU engine: the same draws, the same decisions, the same store.

Runs on the CPU build of PyTorch (CI has no GPU); benchmarks/gpu_bench.py repeats the
equivalence check on a GPU. Tolerances, and why:
- draws: bit for bit (same integer arithmetic);
- from one state, with float64 population columns: every decision identical and scores equal to
  ~1e-15 (only the order of a few float additions may differ);
- with the default float32 population columns (tau, reliability, ...): a decision may flip only
  where a draw falls within ~1e-7 of its threshold, so at least 99.9% of citizens take identical
  decisions each month (in practice all of them) and scores agree to 1e-6 relative;
- independent worlds (``TorchSimulation.synthetic``): metrics within sampling error.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="the torch backend needs PyTorch (pip install torch)")

from scsim.engine import Simulation  # noqa: E402
from scsim.network import Network, watts_strogatz  # noqa: E402
from scsim.rng import Streams, uniform_array  # noqa: E402
from scsim.backends import make_simulation  # noqa: E402
from scsim.backends.torch_backend import (NO_CUDA_NOTE, TorchNetwork, TorchSimulation, select_device,  # noqa: E402
                                          uniform)

from .conftest import small  # noqa: E402

BENCH = Path(__file__).resolve().parent.parent / "benchmarks" / "gpu_bench.py"
EVENT_FIELDS = ("u", "v", "kind", "made", "reason")


@pytest.fixture(autouse=True)
def one_thread():
    """One torch thread: the step's tensors are small here, and OpenMP threads that wait on a
    busy 2-core machine cost far more than they save."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def crossing(citizens=2000, **over):
    """social-credit-2020 shrunk so that month 3 is the mandatory date (every phase is visited)."""
    return small("social-credit-2020", citizens=citizens, months=72,
                 **{"run.start": "2019-10", "phases.optin_start": "2019-10", **over})


def same_decisions(a: Simulation, b: TorchSimulation) -> float:
    """Share of citizens whose month's decisions agree: what they would post and posted,
    opting in, and every tie they cut or made (partner, made or cut, reason)."""
    fa, fb = a.flows, b.flows
    ok = (fa.posted == fb.posted.numpy()).all(0) & (fa.would == fb.would.numpy()).all(0)
    ok &= a.opted == b.opted.numpy()
    sides = []
    for ev in (fa.events, fb.events):
        sides.append({(int(x), int(y), bool(m), int(r)) for u, v, m, r in zip(ev.u, ev.v, ev.made, ev.reason)
                      for x, y in ((u, v), (v, u))})
    for citizen, *_ in sides[0] ^ sides[1]:
        ok[citizen] = False
    return float(ok.mean())


# ------------------------------------------------------------------ draws and device


@pytest.mark.parametrize("month,slot", [(0, 0), (3, 7), (62, 15), (179, 31), (2399, 2)])
def test_uniform_reproduces_the_numpy_stream_bit_for_bit(month, slot):
    key = Streams(20150128).key("ties")
    n = 50_000
    expect = uniform_array(key, month, slot, n)
    got = uniform(key, month, slot, torch.arange(n)).numpy()
    assert got.dtype == np.float64
    np.testing.assert_array_equal(got, expect)
    idx = torch.tensor([0, 1, 2**31 - 1, 2**32 - 1])  # the citizen field is 32 bits wide
    from scsim.rng import uniform as uniform_one

    assert uniform(key, month, slot, idx).tolist() == [uniform_one(key, month, slot, int(i)) for i in idx]


def test_without_cuda_the_backend_falls_back_to_the_cpu_and_says_so(capsys):
    if torch.cuda.is_available():
        pytest.skip("this machine has a CUDA GPU")
    device, note = select_device("cuda")
    assert device.type == "cpu"
    assert note == NO_CUDA_NOTE == "no CUDA GPU found: the torch backend runs on the CPU"
    assert select_device("cpu") == (torch.device("cpu"), None)
    assert select_device("auto") == (torch.device("cpu"), None)
    sim = make_simulation(small("sesame-2015", citizens=200, months=2), backend="torch")
    assert isinstance(sim, TorchSimulation) and sim.device.type == "cpu"
    assert capsys.readouterr().err.strip() == f"scsim: {NO_CUDA_NOTE}"


# ------------------------------------------------------------------ the network


def slot_lists(net) -> list[list[int]]:
    start, deg = np.asarray(net.start), np.asarray(net.deg)
    nbr = np.asarray(net.nbr)
    return [nbr[start[i] : start[i] + deg[i]].tolist() for i in range(len(deg))]


def test_network_cuts_and_makes_like_the_cpu_network_including_relocation_and_regrowth():
    n = 3000
    u, v, _ = watts_strogatz(n, 6, 0.2, Streams(3)["network"])
    cpu = Network(n, u, v, slack=0.0, min_slack=1)  # little room: citizens move to the tail, then regrow
    dev = TorchNetwork.from_numpy(cpu, "cpu")
    rng = np.random.default_rng(7)
    for month in range(6):
        eu, ev, _ = cpu.edges()
        pick = rng.choice(len(eu), 400)
        cu = np.r_[eu[pick], rng.integers(0, n, 50)]  # existing ties (some twice), and random pairs
        cv = np.r_[ev[pick], rng.integers(0, n, 50)]
        flip = rng.random(len(cu)) < 0.5
        cu, cv = np.where(flip, cv, cu).astype(np.int32), np.where(flip, cu, cv).astype(np.int32)
        r1, k1 = cpu.remove_edges(cu, cv)
        r2, k2 = dev.remove_edges(torch.from_numpy(cu), torch.from_numpy(cv))
        np.testing.assert_array_equal(r1, r2.numpy())
        np.testing.assert_array_equal(k1[r1], k2.numpy()[r1])
        assert slot_lists(cpu) == slot_lists(dev.to_numpy())  # each citizen's ties sorted, as the kernels read them
        hub = rng.integers(0, 20, 1500)  # a few citizens gain many ties: they outgrow their slots
        au = np.r_[hub, rng.integers(0, n, 700), cu[:20], 5].astype(np.int32)
        av = np.r_[rng.integers(0, n, 1500), rng.integers(0, n, 700), cv[:20], 5].astype(np.int32)
        m1 = cpu.add_edges(au, av)
        m2 = dev.add_edges(torch.from_numpy(au), torch.from_numpy(av))
        np.testing.assert_array_equal(m1, m2.numpy())
        lists = slot_lists(cpu)
        assert lists == slot_lists(dev.to_numpy()) and all(x == sorted(x) for x in lists)
        assert dev.to_numpy().edge_set() == cpu.edge_set()
    assert dev.regrowths >= 1 and (dev.nbr >= 0).sum().item() == 2 * cpu.n_edges  # free slots hold -1


# ------------------------------------------------------------------ the step


def assert_same_months(a: Simulation, b: TorchSimulation, months: int) -> dict:
    """Step both ``months`` times: the same events, decisions and metrics every month (scores
    to ~1e-13); returns the last month's metrics."""
    for t in range(months):
        ra, rb = a.step(), b.step()
        assert list(ra) == list(rb)  # same columns, same order
        for f in EVENT_FIELDS:
            np.testing.assert_array_equal(getattr(a.flows.events, f), getattr(b.flows.events, f))
        for f in ("would", "posted", "censored", "bragged", "defaulted", "holders"):
            np.testing.assert_array_equal(getattr(a.flows, f), getattr(b.flows, f).numpy(), err_msg=f)
        np.testing.assert_array_equal(a.listed, b.listed.numpy())
        np.testing.assert_array_equal(a.worst, b.worst.numpy())
        np.testing.assert_array_equal(a.pop.occupation, b.occupation.numpy())
        np.testing.assert_allclose(b.score.numpy(), a.score, rtol=1e-13)
        for k, x in ra.items():
            y = rb[k]
            if isinstance(x, str) or x is None:
                assert x == y, k
            else:
                assert y == pytest.approx(x, rel=1e-9, abs=1e-12, nan_ok=True), k
        for f in ("arrested", "reported"):
            np.testing.assert_array_equal(getattr(a, f), getattr(b, f).numpy(), err_msg=f)
        assert b.arrest_risk == pytest.approx(a.arrest_risk, rel=1e-12, abs=0)
    assert a.net.edge_set() == b.net.edge_set()
    return ra


@pytest.mark.parametrize("over", [{}, {"scoring.association.mode": "penalty", "scoring.association.family_weight": 2.0},
                                  {"behaviour.expression.rule": "daymude", "register.public": False},
                                  {"scoring.association.friends_posts": 0.3, "scoring.association.family_weight": 2.0},
                                  {"scoring.association.friends_posts": 0.3, "scoring.association.mode": "off"}])
def test_float64_step_reproduces_the_cpu_step_exactly(over):
    a = Simulation(crossing(1500, **over))
    b = TorchSimulation.from_simulation(a, "cpu", attr_dtype=torch.float64)
    ra = assert_same_months(a, b, 7)
    assert ra["phase"] == "mandatory" and ra["edges_cut_drag"] > 0 and ra["register_listed"] > 0
    if over.get("scoring.association.friends_posts"):  # the posters' records did cost their friends
        assert (a.political > 0).any() and a.flows.events.reason.size > 0


def test_float64_step_reproduces_the_provocateur_regime_exactly():
    """Invitations, agreements, reports, arrests (ties cut, prisoners silent and unbefriended)
    and the fear they spread: the same citizens, the same months, on both backends."""
    sc = small("provocateur", 1500, 72, **{"phases.optin_start": None, "phases.mandatory_start": "2015-02", "run.seed": 11,
                                           "provocateurs.invite_rate": 0.3, "provocateurs.arrest_rate": 0.4,
                                           "provocateurs.arrest_cost": 300.0})
    a = Simulation(sc)
    b = TorchSimulation.from_simulation(a, "cpu", attr_dtype=torch.float64)
    assert torch.equal(b.provocateur, torch.from_numpy(a.pop.provocateur))
    last = assert_same_months(a, b, 8)
    assert a.arrested.sum() > 10 and a.arrest_risk > 0  # arrests happened, and fear with them
    assert last["arrested_share"] == a.arrested.sum() / a.n and last["provocateurs"] == a.pop.provocateur.sum()
    events = b.flows.events
    assert b.arrested.any() and not b.net.deg[b.arrested].any()  # prisoners keep no tie
    assert (events.reason == 4).sum() == last["edges_cut_arrest"]
    cols = b.citizen_columns()
    assert cols["arrested"].sum() == a.arrested.sum() and cols["provocateur"].sum() == a.pop.provocateur.sum()
    back = b.to_simulation()  # and back to the CPU engine, which carries on identically
    assert np.array_equal(back.arrested, a.arrested) and back.arrest_risk == pytest.approx(a.arrest_risk, rel=1e-12)
    assert back.step()["arrests"] == a.step()["arrests"]


@pytest.mark.parametrize("growth", [0.0, 0.2, -0.15])
def test_generations_on_the_torch_backend_equal_the_cpu_engine(growth):
    """Generations (every 3 months here, stable, growing and shrinking) run the CPU engine's code
    on a copy of the state: the two backends stay step for step identical through them."""
    sc = crossing(1200, **{"generations.every": 3, "generations.growth": growth, "generations.privilege_strength": 2.0})
    a = Simulation(sc)
    b = TorchSimulation.from_simulation(a, "cpu", attr_dtype=torch.float64)
    last = assert_same_months(a, b, 8)
    assert b.generation == a.generation == 2 and last["generation"] == 2 and b.n == a.n
    assert last["citizens"] == round(round(1200 * (1 + growth)) * (1 + growth))
    assert np.array_equal(b.tau.numpy(), a.pop.tau)


def test_features_together_on_the_torch_backend_equal_the_cpu_engine():
    """Generations, the provocateur regime, penalty association and weighted family ties in one
    run, with generation months that are also provocation months: every metric column (the
    parents' tau of a generation month included), every event and decision, on both backends."""
    sc = crossing(1500, **{"provocateurs.enabled": True, "run.seed": 5, "provocateurs.invite_rate": 0.3,
                                           "provocateurs.arrest_rate": 0.4, "provocateurs.arrest_cost": 300.0,
                                           "generations.every": 3, "generations.growth": 0.1,
                                           "generations.privilege_strength": 2.0,
                                           "scoring.association.mode": "penalty",
                                           "scoring.association.family_weight": 2.0})
    a = Simulation(sc)
    b = TorchSimulation.from_simulation(a, "cpu", attr_dtype=torch.float64)
    rows = []
    for _ in range(10):  # from month 3 (the mandatory date) on, a generation is a provocation month
        rows.append(assert_same_months(a, b, 1))
    assert [r["generation"] for r in rows] == [0, 0, 0, 1, 1, 1, 2, 2, 2, 3]
    assert all(np.isfinite(rows[t]["parents_tau"]) for t in (3, 6, 9)) and rows[6]["invited"] > 0
    assert sum(r["arrests"] for r in rows) > 0 and rows[9]["points_association"] < 0 and b.n == a.n > 1500


def test_the_synthetic_world_plants_provocateurs():
    sc = small("provocateur", 5000, 24, **{"phases.optin_start": None, "phases.mandatory_start": "2015-02"})
    sim = TorchSimulation.synthetic(sc, device="cpu")
    assert int(sim.provocateur.sum()) == round(0.012 * 5000)
    rows = sim.run()
    assert sum(r["invited"] for r in rows) > 0 and rows[-1]["provocateurs"] == 60


def test_default_step_takes_the_same_decisions_over_the_mandatory_date():
    """Default precision (float32 population columns), 2000 citizens, months 0-8 (mandatory
    from month 3): >= 99.9% of citizens decide identically each month, scores within 1e-6."""
    a = Simulation(crossing(2000))
    b = TorchSimulation.from_simulation(a, "cpu")
    shares = []
    for t in range(9):
        ra, rb = a.step(), b.step()
        shares.append(same_decisions(a, b))
        close = np.isclose(b.score.numpy(), a.score, rtol=1e-6, atol=0)
        assert close.mean() >= 0.999, (t, close.mean())
        pub_a, pub_b = a.s_pub, b.s_pub.numpy().astype(np.float64)
        assert np.array_equal(np.isnan(pub_a), np.isnan(pub_b))
        for k in ("score_mean", "posts_per_capita", "self_censorship_rate", "edges", "register_listed"):
            assert rb[k] == pytest.approx(ra[k], rel=1e-4, abs=1e-9), (t, k)
    assert min(shares) >= 0.999, shares
    diff = a.net.edge_set() ^ b.net.edge_set()
    assert len(diff) <= 0.001 * a.net.n_edges


def test_long_run_from_one_world_stays_on_the_cpu_trajectory():
    """62 months (2015-01 to 2020-02) on 1500 citizens: the whole opt-in era and the switch to
    the mandatory system, from the same initial world, at default precision."""
    sc = small("social-credit-2020", citizens=1500, months=62)
    a = Simulation(sc)
    b = TorchSimulation(sc, device="cpu")
    shares, rows_a, rows_b = [], [], []
    for t in range(62):
        rows_a.append(a.step())
        rows_b.append(b.step())
        shares.append(same_decisions(a, b))
    assert min(shares) >= 0.999, min(shares)
    for key in ("score_mean", "posts_per_capita", "self_censorship_rate", "opted_share", "edges"):
        xa = np.array([r[key] for r in rows_a], float)
        xb = np.array([r[key] for r in rows_b], float)
        np.testing.assert_allclose(xb, xa, rtol=1e-3, atol=1e-9, err_msg=key)
    assert rows_b[-1]["phase"] == "mandatory" and np.isfinite(rows_b[-1]["components"])
    assert rows_b[-1]["components"] == rows_a[-1]["components"]


def test_independent_worlds_agree_within_sampling_error():
    """3 seeds x 72 months at 2000 citizens: the CPU engine on its worlds, the torch backend on
    worlds drawn on the device (no households on either side): mean score, posts per capita
    and the self-censorship rate in the mandatory era agree within sampling error."""
    late = slice(60, 72)
    stats = {"cpu": [], "torch": []}
    for seed in (11, 12, 13):
        sc = small("social-credit-2020", citizens=2000, months=72,
                   **{"run.seed": seed, "network.household_size": 1.0})
        for side, sim in (("cpu", Simulation(sc)), ("torch", TorchSimulation.synthetic(sc, device="cpu"))):
            rows = sim.run()[late]
            stats[side].append([np.mean([r[k] for r in rows]) for k in
                                ("score_mean", "posts_per_capita", "self_censorship_rate")])
    cpu, dev = np.array(stats["cpu"]), np.array(stats["torch"])
    spread = np.sqrt(cpu.var(0, ddof=1) / 3 + dev.var(0, ddof=1) / 3)
    floor = np.array([1.0, 0.002, 0.02])  # what 3 seeds cannot resolve: ~1 point, ~10% of posts
    assert np.all(np.abs(cpu.mean(0) - dev.mean(0)) <= 4 * spread + floor), (cpu.mean(0), dev.mean(0), spread)
    assert 0.1 < dev[:, 2].mean() < 1.0  # self-censorship is real after the mandatory date


def test_synthetic_world_is_a_clean_watts_strogatz_network_whatever_the_chunking():
    sc = small("social-credit-2020", citizens=5000, months=12)
    a = TorchSimulation.synthetic(sc, device="cpu", chunk=777)
    b = TorchSimulation.synthetic(sc, device="cpu")
    net = a.net.to_numpy()
    assert net.edge_set() == b.net.to_numpy().edge_set()  # counter-based draws: chunking does not matter
    assert abs(net.deg.mean() - 20) < 0.1 and a.net.n_edges == net.n_edges
    u, v, k = net.edges()
    assert (u < v).all() and not k.any()
    lists = slot_lists(net)
    assert all(lst == sorted(set(lst)) for lst in lists)  # sorted, no repeats
    pairs = {(i, j) for i, lst in enumerate(lists) for j in lst}
    assert all((j, i) in pairs for i, j in pairs)  # symmetric
    assert abs(a.tau.mean().item() - 1 / 3) < 0.01 and a.score.min() >= 350
    assert np.bincount(a.occupation.numpy(), minlength=5)[1] == 250  # officials: 5%


# ------------------------------------------------------------------ store, explanations, checkpoints


def test_the_store_gets_the_same_database_from_either_backend(tmp_path):
    import scsim
    from scsim.store import RunWriter, open_run_db

    sc = small("social-credit-2020", citizens=800, months=14,
               **{"run.start": "2019-06", "phases.optin_start": "2019-06", "run.checkpoint_every": 6})
    dbs = {}
    for name in ("numpy", "torch"):
        sim = make_simulation(sc, backend=name, device="cpu")
        writer = RunWriter(tmp_path / name, sc, sc.run.snapshot_every)
        sim.run(store=writer)
        writer.finish(sim, 1.0)
        con = open_run_db(tmp_path / name)
        dbs[name] = {t: con.execute(f"SELECT * FROM {t}").df() for t in ("metrics", "citizens", "edges", "edge_events",
                                                                          "snapshots")}
        con.close()
    a, b = dbs["numpy"], dbs["torch"]
    for table in ("edges", "edge_events"):
        assert a[table].equals(b[table]), table
    assert list(a["metrics"].columns) == list(b["metrics"].columns)
    num = a["metrics"].select_dtypes("number").columns
    np.testing.assert_allclose(b["metrics"][num].to_numpy(float), a["metrics"][num].to_numpy(float), rtol=1e-5)
    assert list(a["citizens"].columns) == list(b["citizens"].columns)
    for col in a["citizens"].columns:
        x, y = a["citizens"][col].to_numpy(), b["citizens"][col].to_numpy()
        if x.dtype.kind == "f":
            np.testing.assert_allclose(y, x, rtol=1e-6, err_msg=col)
        else:
            np.testing.assert_array_equal(y, x, err_msg=col)
    assert list(a["snapshots"].columns) == list(b["snapshots"].columns) and len(a["snapshots"]) == len(b["snapshots"])
    # a live torch run explains scores like a CPU one
    tsim = TorchSimulation(sc, device="cpu")
    tsim.run()
    run = scsim.Run(sc, None, sim=tsim)
    for i in (0, 17, 333):
        ex = run.explain(i)
        assert ex.total == pytest.approx(ex.score, abs=1e-9)


def test_state_round_trips_through_a_cpu_simulation():
    sc = crossing(1000)
    b = TorchSimulation(sc, device="cpu")
    for _ in range(5):
        b.step()
    a = b.to_simulation()
    c = TorchSimulation.from_simulation(a, "cpu")
    for name in Simulation.CARRIED:
        x, y = getattr(b, name), getattr(c, name)
        if isinstance(x, torch.Tensor):
            assert torch.equal(x, y) or torch.allclose(x, y, equal_nan=True), name
        else:
            assert np.all(np.asarray(x) == np.asarray(y)), name
    ra, rc = a.step(), b.step()  # the CPU engine carries on from the torch state
    assert rc["edges"] == ra["edges"] and rc["score_mean"] == pytest.approx(ra["score_mean"], rel=1e-6)


# ------------------------------------------------------------------ the GPU benchmark script


def test_gpu_bench_cpu_smoke_mode_runs_and_writes_records(tmp_path):
    out = tmp_path / "gpu.jsonl"
    env = {**os.environ, "OUT": ""}
    p = subprocess.run([sys.executable, str(BENCH), "--cpu-smoke", "--out", str(out)], capture_output=True, text=True,
                       timeout=240, env=env)
    assert p.returncode == 0, p.stdout[-3000:] + p.stderr[-3000:]
    records = [json.loads(line) for line in out.read_text().splitlines()]
    kinds = {r["record"] for r in records}
    assert {"environment", "check", "size"} <= kinds
    size = next(r for r in records if r["record"] == "size")
    assert size["ok"] and size["citizens"] == 20_000 and size["ms_per_month_median"] > 0
    check = next(r for r in records if r["record"] == "check")
    assert check["uniform_bit_identical"] and check["identical_decisions_min"] >= 0.999
