"""The torch backend's monthly step on a GPU at 1M, 10M and 100M citizens (one prepared run).

Meant for a lent H100 (80 GB) with a strict time budget: the whole script, torch import
included, stays under --budget-s (330 s by default) by skipping a size whose predicted time no
longer fits. In order:

1. environment: torch and CUDA versions, the card's name and memory;
2. sizes: social-credit-2020 with the mandatory system from month 0 (every phase does real
   work), mean degree 20, the world drawn on the device (TorchSimulation.synthetic); build
   time, one warm-up month, then --months timed months (torch.cuda.synchronize around each);
   ms per month (median), citizen-months per second, peak GPU memory
   (torch.cuda.max_memory_allocated) and the bytes held per citizen and per tie. An
   out-of-memory at one size is recorded and the next size still runs;
3. checks on the device (last, so that neither Numba's compilation nor its threads touch the
   timings): the counter-based draws equal scsim.rng's bit for bit, and from one state the
   torch step takes the same decisions as the CPU engine (2,000 citizens, months 0-5, mandatory
   from month 2).

Every record is one JSON line in --out (default $OUT/gpu_bench.jsonl when $OUT is set, else
benchmarks/gpu_results.jsonl).

    python benchmarks/gpu_bench.py                       # 1M, 10M, 100M on cuda
    python benchmarks/gpu_bench.py --sizes 1M,10M --months 5
    python benchmarks/gpu_bench.py --cpu-smoke --out /tmp/g.jsonl   # 20k citizens on the CPU, seconds
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path

T0 = time.perf_counter()
HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "src"))  # run from a checkout without installing scsim

import numpy as np  # noqa: E402
import torch  # noqa: E402

IMPORT_S = time.perf_counter() - T0


def parse_size(text: str) -> int:
    text = text.strip().lower()
    mult = {"k": 10**3, "m": 10**6, "g": 10**9}.get(text[-1], 1)
    return int(float(text[:-1] if text[-1] in "kmg" else text) * mult)


def elapsed() -> float:
    return time.perf_counter() - T0


class Out:
    """JSON lines, flushed one by one (a run cut short keeps what it measured)."""

    def __init__(self, path: Path):
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self.fh = path.open("a")

    def write(self, record: dict) -> None:
        record = {"date": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"), **record}
        self.fh.write(json.dumps(record, default=float) + "\n")
        self.fh.flush()


PRESET = "social-credit-2020"  # --preset


def scenario(citizens: int, mandatory_from_start: bool = True):
    from scsim.scenario import load_preset

    sc = load_preset(PRESET)
    over = {"population.citizens": int(citizens), "network.mean_degree": 20.0, "run.months": 180,
            "run.network_metrics_every": 1000}
    if mandatory_from_start:
        over |= {"phases.optin_start": None, "phases.mandatory_start": sc.run.start}
    return sc.with_overrides(**over)


def sync(device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def environment(device) -> dict:
    from scsim.backends import torch_draws

    env = {"record": "environment", "preset": PRESET, "torch": torch.__version__, "cuda": torch.version.cuda,
           "fused_draws": bool(torch_draws.FUSED_DRAWS),
           "device": str(device), "python": platform.python_version(), "numpy": np.__version__,
           "platform": platform.platform(), "import_s": round(IMPORT_S, 2), "cpu_count": os.cpu_count()}
    if device.type == "cuda":
        props = torch.cuda.get_device_properties(device)
        env |= {"card": torch.cuda.get_device_name(device), "gpu_memory_gib": props.total_memory / 2**30,
                "multiprocessors": props.multi_processor_count}
    return env


def checks(device, citizens: int, months: int) -> dict:
    """Bit-identical draws and identical decisions against the CPU engine, on this device."""
    from scsim.engine import Simulation
    from scsim.rng import Streams, uniform_array
    from scsim.backends.torch_backend import TorchSimulation, uniform

    t0 = time.perf_counter()
    key = Streams(20150128).key("expression")
    same_draws = all(np.array_equal(uniform(key, m, s, torch.arange(1 << 20, device=device)).cpu().numpy(),
                                    uniform_array(key, m, s, 1 << 20)) for m, s in ((0, 0), (77, 13), (2399, 31)))
    sc = scenario(citizens, mandatory_from_start=False).with_overrides(
        **{"run.start": "2019-11", "phases.optin_start": "2019-11", "run.network_metrics_every": 12})
    a = Simulation(sc)
    b = TorchSimulation.from_simulation(a, device)
    shares, max_rel = [], 0.0
    for _ in range(months):
        a.step()
        b.step()
        ok = (a.flows.posted == b.flows.posted.cpu().numpy()).all(0) & (a.opted == b.opted.cpu().numpy())
        ea, eb = a.flows.events, b.flows.events
        sa = set(zip(ea.u.tolist(), ea.v.tolist(), ea.made.tolist(), ea.reason.tolist()))
        sb = set(zip(eb.u.tolist(), eb.v.tolist(), eb.made.tolist(), eb.reason.tolist()))
        for u, v, *_ in sa ^ sb:
            ok[u] = ok[v] = False
        shares.append(float(ok.mean()))
        max_rel = max(max_rel, float(np.max(np.abs(b.score.cpu().numpy() - a.score) / a.score)))
    return {"record": "check", "uniform_bit_identical": bool(same_draws), "citizens": citizens, "months": months,
            "identical_decisions": shares, "identical_decisions_min": min(shares), "score_max_rel_diff": max_rel,
            "edge_sets_equal": a.net.edge_set() == b.net.edge_set(), "seconds": time.perf_counter() - t0}


def profile_month(sim, citizens: int) -> str | None:
    """torch.profiler over one month: the 40 kernels that took longest, as a text table in $OUT."""
    from torch.profiler import ProfilerActivity, profile

    acts = [ProfilerActivity.CPU] + ([ProfilerActivity.CUDA] if sim.device.type == "cuda" else [])
    with profile(activities=acts) as prof:
        sim.step()
        sync(sim.device)
    key = "self_cuda_time_total" if sim.device.type == "cuda" else "self_cpu_time_total"
    table = prof.key_averages().table(sort_by=key, row_limit=40, max_name_column_width=60)
    if not os.environ.get("OUT"):
        return None
    path = Path(os.environ["OUT"]) / f"profile_{citizens}.txt"
    path.write_text(table)
    return str(path)


def draws_self_check(device) -> dict:
    """Before any timing: the Triton draw kernel compiles and equals scsim.rng bit for bit on this
    device; otherwise say why and time the tensor-operation draws instead."""
    from scsim.backends import torch_draws
    from scsim.rng import Streams, uniform_array

    rec = {"record": "fused_draws_check"}
    try:
        key = Streams(20150128).key("expression")
        idx = torch.arange(1 << 20, device=device)
        ok = all(np.array_equal(torch_draws.uniform(key, m, s, idx).cpu().numpy(), uniform_array(key, m, s, 1 << 20))
                 for m, s in ((0, 0), (77, 13), (2399, 31)))
        rec["bit_identical"] = ok
    except Exception as e:  # noqa: BLE001 - a kernel that does not compile here: fall back, say so
        rec["error"] = f"{type(e).__name__}: {e}"[:500]
        ok = False
    if not ok:
        torch_draws.FUSED_DRAWS = False
    print(f"fused draws: {rec} -> FUSED_DRAWS = {torch_draws.FUSED_DRAWS}", flush=True)
    return rec


def fused_check(device, citizens: int, months: int) -> dict:
    """The Triton tie passes against the column walk on this device: one synthetic world, two
    copies, stepped side by side; share of citizens whose state is bit-identical each month."""
    from scsim.backends.torch_backend import TorchSimulation

    t0 = time.perf_counter()
    sc = scenario(citizens)
    a = TorchSimulation.synthetic(sc, device=device, net_metrics_limit=0)
    b = TorchSimulation.synthetic(sc, device=device, net_metrics_limit=0)
    rec = {"record": "fused_check", "citizens": citizens, "months": months, "fused_available": bool(a.fused)}
    if not a.fused:
        return rec | {"error": "Triton kernels not available on this device"}
    a.fused = False
    same, worst = [], 0.0
    for _ in range(months):
        ra, rb = a.step(), b.step()
        ok = torch.ones(a.n, dtype=torch.bool, device=device)
        for name in ("score", "assoc", "worst", "listed", "peer_share", "drag_unit"):
            x, y = getattr(a, name), getattr(b, name)
            ok &= (x == y) | (torch.isnan(x) & torch.isnan(y)) if x.is_floating_point() else (x == y)
        same.append(float(ok.float().mean()))
        worst = max(worst, float(((a.score - b.score).abs() / a.score.abs()).max()))
    rec |= {"identical_state_share": same, "score_max_rel_diff": worst, "phase": ra["phase"],
            "register_listed": [ra["register_listed"], rb["register_listed"]],
            "edges": [ra["edges"], rb["edges"]], "seconds": time.perf_counter() - t0}
    return rec


def measure(device, citizens: int, months: int, chunk: int, walk_months: int = 0,
            profile: bool = False) -> dict:
    """Build on the device, one warm-up month, then ``months`` timed months."""
    from scsim.backends.torch_backend import TorchSimulation

    rec = {"record": "size", "citizens": citizens, "device": str(device), "mean_degree": 20.0, "ok": False}
    cuda = device.type == "cuda"
    if cuda:
        torch.cuda.reset_peak_memory_stats(device)
    sim = None
    try:
        sync(device)
        t0 = time.perf_counter()
        sim = TorchSimulation.synthetic(scenario(citizens), device=device, net_metrics_limit=0, chunk=chunk)
        sync(device)
        rec["build_s"] = time.perf_counter() - t0
        print(f"  {citizens:,}: built in {rec['build_s']:.1f} s ({elapsed():.0f} s elapsed)", flush=True)
        if cuda:
            rec["build_peak_gib"] = torch.cuda.max_memory_allocated(device) / 2**30
            torch.cuda.reset_peak_memory_stats(device)
        t0 = time.perf_counter()
        sim.step()
        sync(device)
        rec["warmup_month_s"] = time.perf_counter() - t0
        times, rows = [], []
        for _ in range(months):
            sync(device)
            t0 = time.perf_counter()
            rows.append(sim.step())
            sync(device)
            times.append(time.perf_counter() - t0)
        med = statistics.median(times)
        sim.profile_phases = True  # one more month, phase by phase (synchronised: a little slower)
        sim.step()
        rec["phase_s"] = {k: round(v, 4) for k, v in sim.phase_seconds.items()}
        sim.profile_phases = False
        rec["fused"] = bool(sim.fused)
        if sim.fused and walk_months:  # the same world without Triton: tie walks and draws as tensor ops
            from scsim.backends import torch_draws as td

            sim.fused = td.FUSED_DRAWS = False
            walk = []
            for _ in range(walk_months):
                sync(device)
                t0 = time.perf_counter()
                sim.step()
                sync(device)
                walk.append(time.perf_counter() - t0)
            rec["ms_per_month_no_triton"] = 1000 * statistics.median(walk)
            sim.fused = td.FUSED_DRAWS = True
        if profile:
            rec["profile"] = profile_month(sim, citizens)
        rec |= {"ok": True, "month_s": times, "ms_per_month_median": 1000 * med,
                "citizen_months_per_s": citizens / med, "phase": rows[-1]["phase"], "edges": rows[-1]["edges"],
                "score_mean": rows[-1]["score_mean"], "posts_per_capita": rows[-1]["posts_per_capita"],
                "self_censorship_rate": rows[-1]["self_censorship_rate"],
                "edges_cut_drag": rows[-1]["edges_cut_drag"], "edges_made": rows[-1]["edges_made"],
                "regrowths": sim.net.regrowths, "memory": sim.memory_report()}
        if cuda:
            rec["step_peak_gib"] = torch.cuda.max_memory_allocated(device) / 2**30
            rec["held_gib"] = torch.cuda.memory_allocated(device) / 2**30
    except torch.cuda.OutOfMemoryError as e:
        rec |= {"error": "out of memory", "detail": str(e).splitlines()[0][:300]}
    except Exception as e:  # noqa: BLE001 - a benchmark records what went wrong and moves on
        rec |= {"error": type(e).__name__, "detail": str(e)[:500]}
    finally:
        del sim
        gc.collect()
        if cuda:
            torch.cuda.empty_cache()
    return rec


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="1M,10M,100M", help="citizens, comma-separated (k/M suffixes)")
    ap.add_argument("--months", type=int, default=3, help="timed months per size (after one warm-up month)")
    ap.add_argument("--device", default="cuda")
    ap.add_argument("--out", default=None,
                    help="JSON lines file (default $OUT/gpu_bench.jsonl, else benchmarks/gpu_results.jsonl)")
    ap.add_argument("--budget-s", type=float, default=330.0, help="skip sizes that would not finish within this")
    ap.add_argument("--chunk", type=int, default=1 << 22, help="citizens per chunk when building the network")
    ap.add_argument("--check-citizens", type=int, default=2000)
    ap.add_argument("--check-months", type=int, default=6)
    ap.add_argument("--no-check", action="store_true", help="skip the equivalence check against the CPU engine")
    ap.add_argument("--preset", default="social-credit-2020",
                    help="the regime timed (default social-credit-2020; e.g. provocateur), its system on from month 0")
    ap.add_argument("--walk-months", type=int, default=2,
                    help="months timed again without the Triton kernels (tie walks and draws as tensor operations)")
    ap.add_argument("--profile-size", default="10M", help="size at which one month is profiled ('' for none)")
    ap.add_argument("--fused-check-citizens", type=int, default=300_000)
    ap.add_argument("--no-fused-draws", action="store_true",
                    help="draws as tensor operations (default: one Triton kernel per draw, torch_draws.FUSED_DRAWS)")
    ap.add_argument("--cpu-smoke", action="store_true", help="20k citizens on the CPU in seconds (tests this script)")
    args = ap.parse_args(argv)
    globals()["PRESET"] = args.preset  # scenario() reads it
    if args.cpu_smoke:
        args.device, args.sizes, args.months = "cpu", "20k", 2
        args.check_citizens, args.check_months = 500, 4
        torch.set_num_threads(1)  # small tensors: OpenMP start-up would dominate
    from scsim.backends import torch_draws
    from scsim.backends.torch_backend import select_device

    torch_draws.FUSED_DRAWS = not args.no_fused_draws  # checked bit for bit against scsim.rng below
    device, note = select_device(args.device)
    if note:
        print(f"gpu_bench: {note}", flush=True)
    default = Path(os.environ["OUT"]) / "gpu_bench.jsonl" if os.environ.get("OUT") else HERE / "gpu_results.jsonl"
    out = Out(Path(args.out) if args.out else default)
    env = environment(device)
    print(f"torch {env['torch']}  CUDA {env['cuda']}  device {env.get('card', device)}"
          + (f" ({env['gpu_memory_gib']:.1f} GiB)" if "gpu_memory_gib" in env else "")
          + f"  import {IMPORT_S:.1f} s", flush=True)
    out.write(env)
    if torch_draws.FUSED_DRAWS and device.type == "cuda":
        out.write(draws_self_check(device))
    per_citizen_s = None  # seconds per citizen for build + (1 + months) months, from the last size
    for size in [parse_size(s) for s in args.sizes.split(",")]:
        if per_citizen_s is not None:
            predicted = per_citizen_s * size * 1.3 + 5
            if elapsed() + predicted > args.budget_s:
                rec = {"record": "size", "citizens": size, "ok": False, "error": "skipped: time budget",
                       "predicted_s": predicted, "elapsed_s": elapsed()}
                out.write(rec)
                print(f"{size:>12,} citizens: skipped (predicted {predicted:.0f} s, {elapsed():.0f} s used)",
                      flush=True)
                continue
        t0 = time.perf_counter()
        profile = bool(args.profile_size) and size == parse_size(args.profile_size)
        rec = measure(device, size, args.months, args.chunk, args.walk_months, profile)
        rec["wall_s"] = time.perf_counter() - t0
        out.write(rec)
        if rec["ok"]:
            per_citizen_s = rec["wall_s"] / size
            mem = rec["memory"]
            gpu = (f"  peak {rec['step_peak_gib']:.1f} GiB (build {rec['build_peak_gib']:.1f})"
                   if "step_peak_gib" in rec else "")
            print(f"{size:>12,} citizens: build {rec['build_s']:.1f} s, {rec['ms_per_month_median']:.1f} ms/month "
                  f"({rec['citizen_months_per_s']:.3g} citizen-months/s){gpu}; "
                  f"held {mem['bytes_per_citizen']:.0f} B/citizen "
                  f"+ {mem['bytes_per_tie']:.1f} B/tie", flush=True)
            walk = (f"; without Triton {rec['ms_per_month_no_triton']:.1f} ms/month"
                    if "ms_per_month_no_triton" in rec else "")
            print(f"    fused {rec['fused']}{walk}; phases (s): "
                  + ", ".join(f"{k} {v:.3f}" for k, v in rec["phase_s"].items()), flush=True)
        else:
            print(f"{size:>12,} citizens: FAILED ({rec.get('error')}: {rec.get('detail', '')[:200]})", flush=True)
    if device.type == "cuda" and args.fused_check_citizens and elapsed() + 60 < args.budget_s:
        try:
            rec = fused_check(device, args.fused_check_citizens, 4)
        except Exception as e:  # noqa: BLE001
            rec = {"record": "fused_check", "error": f"{type(e).__name__}: {e}"[:500]}
        out.write(rec)
        print(f"fused check: {rec}", flush=True)
    if not args.no_check and elapsed() + 60 < args.budget_s:
        try:
            rec = checks(device, args.check_citizens, args.check_months)
        except Exception as e:  # noqa: BLE001 - e.g. Numba missing on the GPU machine: say so, keep the sizes
            rec = {"record": "check", "error": f"{type(e).__name__}: {e}"[:500]}
            out.write(rec)
            print(f"check: FAILED {rec['error']}", flush=True)
            return 0
        out.write(rec)
        print(f"check: draws bit-identical {rec['uniform_bit_identical']}; identical decisions "
              f"{min(rec['identical_decisions']):.4%} (worst month), scores within {rec['score_max_rel_diff']:.1e} "
              f"relative, edge sets equal {rec['edge_sets_equal']}  ({rec['seconds']:.1f} s)", flush=True)
    print(f"total {elapsed():.1f} s; results in {out.path}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
