"""scsim beside Mesa and plain NumPy, timed in one run on one machine.

Timings differ from machine to machine and from hour to hour (REFERENCE.md), so a ratio is
only meaningful between figures taken together: this script times, at one population,
  - the REFERENCE.md model in Mesa (mesa_reference.py, agents hold friend lists),
  - the same model vectorised with NumPy + scipy.sparse (numpy_reference.py),
  - scsim's FULL social-credit-2020 model (its own network, mean degree 20 plus household
    ties), once on one Numba thread (like for like with the single-threaded references) and
    once on all cores; months are timed after a warm-up month, as in bench_scale.py,
each in a fresh process (own peak memory), and reports ms per step, agent-steps per second
(citizens / median step) and scsim's agent-steps/s over Mesa's. Mesa and NumPy build the
same Watts-Strogatz graph from the seed; their end-of-run means are compared as a sanity
check (statistically: they draw random numbers differently).

    python benchmarks/peers/compare.py                           # 100k citizens, 50 steps each
    python benchmarks/peers/compare.py --citizens 100000 --mesa-steps 10
    python benchmarks/peers/compare.py --tiny --out /tmp/r.jsonl  # seconds; what the tests run
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import statistics
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))
import bench_scale as bs  # noqa: E402

TARGET_RATIO = 300  # the goal for scsim over Mesa at 100,000 citizens
# End-of-run agreement between Mesa and NumPy: a few standard errors at 2,000 citizens.
TOLERANCE = {"mean_score": 0.01, "mean_dissent": 0.10, "friendships": 0.01}


def measure_reference(cfg: dict) -> dict:
    """Build and step one reference implementation in this (fresh) process."""
    import numpy_reference as npr

    module = npr
    if cfg["impl"] == "mesa":
        import mesa

        import mesa_reference as module
    n, seed = cfg["citizens"], cfg["seed"]
    rss_import = bs.current_rss_mb()
    t0 = time.perf_counter()
    edges = npr.watts_strogatz(n, seed=seed)
    model = module.build(n, seed, edges)
    build_s = time.perf_counter() - t0
    times, cpu, trajectory = [], [], []
    load0 = os.getloadavg()[0]
    for _ in range(cfg["steps"]):
        t0, c0 = time.perf_counter(), time.process_time()
        model.step()
        times.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
        trajectory.append(model.summary())  # untimed
    med, mean = statistics.median(times), statistics.fmean(times)
    out = {"citizens": n, "steps_timed": len(times), "build_s": build_s, "step_median_s": med, "step_mean_s": mean,
           "step_s": times, "step_cpu_median_s": statistics.median(cpu), "step_cpu_s": cpu,
           "agent_steps_per_s": n / med, "agent_steps_per_s_mean": n / mean,
           "loadavg_1m_start": load0, "loadavg_1m_end": os.getloadavg()[0],
           "rss_after_import_mb": rss_import, "peak_rss_mb": bs.peak_rss_mb(), "summary": trajectory[-1],
           "trajectory": trajectory}
    if cfg["impl"] == "mesa":
        out["mesa_version"] = mesa.__version__
    return out


def mesa_version() -> str | None:
    if importlib.util.find_spec("mesa") is None:
        return None
    from importlib.metadata import version

    return version("mesa")


def agreement(mesa_res: dict, numpy_res: dict) -> dict:
    """Relative differences of Mesa's and NumPy's means after the same number of steps."""
    k = min(mesa_res["steps_timed"], numpy_res["steps_timed"])
    a, b = mesa_res["trajectory"][k - 1], numpy_res["trajectory"][k - 1]
    rel = {key: abs(a[key] - b[key]) / max(abs(b[key]), 1e-12) for key in TOLERANCE}
    return {"after_steps": k, "mesa": a, "numpy": b, "relative_difference": rel,
            "agree": all(rel[key] <= tol for key, tol in TOLERANCE.items())}


def print_table(rows: list[tuple[str, dict]], n: int) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"{n:,} citizens, one run (agent-steps/s = citizens / median step)")
    for col in ("implementation", "steps timed", "ms/step median", "ms/step mean", "CPU ms/step", "agent-steps/s",
                "peak RSS", "load", "mean score", "mean dissent", "friendships"):
        table.add_column(col, justify="left" if col == "implementation" else "right", no_wrap=True)
    for name, res in rows:
        if not res.get("ok"):
            table.add_row(name, "[red]" + res.get("error", "failed"), *[""] * 9)
            continue
        timed = res.get("steps_timed", res.get("months_timed"))
        med = res.get("step_median_s", res.get("month_median_s"))
        mean = res.get("step_mean_s", res.get("month_mean_s"))
        cpu = res.get("step_cpu_median_s", res.get("month_cpu_median_s"))
        sm = res.get("summary", {})
        table.add_row(name, str(timed), f"{1e3 * med:,.1f}", f"{1e3 * mean:,.1f}", f"{1e3 * cpu:,.1f}", bs.human(n / med),
                      f"{res['peak_rss_mb']:,.0f} MiB", f"{res['loadavg_1m_start']:.1f}-{res['loadavg_1m_end']:.1f}",
                      f"{sm['mean_score']:.1f}" if sm else "-", f"{sm['mean_dissent']:.4f}" if sm else "-",
                      f"{sm['friendships']:,}" if sm else f"{res['edges_end']:,} ties")
    Console(width=None if sys.stdout.isatty() else 190).print(table)
    print("CPU ms/step: median CPU time of all threads. load: 1-minute load average at start-end.")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="Time scsim beside Mesa and NumPy on the REFERENCE.md model.")
    ap.add_argument("--citizens", type=bs.parse_count, default=100_000)
    ap.add_argument("--steps", type=int, default=50, help="steps of the NumPy reference (default 50)")
    ap.add_argument("--mesa-steps", type=int, default=None, help="steps of the Mesa reference (default --steps; ~1 s each at 100k)")
    ap.add_argument("--scsim-months", type=int, default=None, help="scsim months timed after the warm-up month (default --steps)")
    ap.add_argument("--scsim-degree", type=float, default=20.0, help="scsim's mean degree (default 20, the preset's)")
    ap.add_argument("--scsim-threads", type=lambda s: bs.parse_list(s, int), default=[1, 0],
                    help="Numba thread counts to time scsim with; 0 = all cores (default 1,0)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--no-mesa", action="store_true", help="leave Mesa out")
    ap.add_argument("--timeout", type=float, default=None, help="seconds allowed per implementation")
    ap.add_argument("--tiny", action="store_true", help="2,000 citizens, 5 steps (3 scsim months): for the tests")
    ap.add_argument("--out", type=Path, default=HERE.parent / "results.jsonl", help="results file to append to")
    a = ap.parse_args(argv)
    if a.tiny:
        a.citizens, a.steps, a.mesa_steps, a.scsim_months = 2_000, 5, 5, 3
    mesa_steps = a.mesa_steps or a.steps
    scsim_months = a.scsim_months or a.steps
    n = a.citizens
    head = bs.header()
    mver = None if a.no_mesa else mesa_version()
    head["versions"]["mesa"] = mver
    jobs: list[tuple[str, dict]] = []
    if not a.no_mesa:
        jobs.append((f"Mesa {mver} (friend lists)" if mver else "Mesa",
                     {"impl": "mesa", "citizens": n, "steps": mesa_steps, "seed": a.seed}))
    jobs.append(("NumPy + scipy.sparse", {"impl": "numpy", "citizens": n, "steps": a.steps, "seed": a.seed}))
    for th in a.scsim_threads:
        label = f"scsim full {bs.PRESET}, {th or os.cpu_count()} thread{'s' if th != 1 else ''}"
        jobs.append((label, {"impl": "scsim", "preset": bs.PRESET, "citizens": n, "degree": a.scsim_degree,
                             "months": scsim_months, "threads": th or None, "seed": None}))

    rows, records = [], []
    for name, cfg in jobs:
        print(f"{name}: running ...", flush=True)
        if cfg["impl"] == "mesa" and mver is None:
            res = {"ok": False, "error": "skipped: mesa is not installed (pip install mesa==3.3.1)"}
        elif cfg["impl"] == "scsim":
            res = bs.run_isolated(HERE.parent / "bench_scale.py", "measure_scsim", cfg, cfg["threads"], a.timeout)
        else:
            res = bs.run_isolated(Path(__file__).resolve(), "measure_reference", cfg, None, a.timeout)
        if not res["ok"]:
            print(f"  {res['error']}\n{res.get('stderr_tail', '')}")
        rec = {"bench": "compare", **head, "git": bs.git_hash(), "git_dirty": bs.git_dirty(), "src_sha1": bs.src_digest(),
               "implementation": name, "config": cfg,
               "result": res}
        bs.append_jsonl(a.out, [rec])
        records.append(rec)
        rows.append((name, res))

    print_table(rows, n)
    by = {r["config"]["impl"] + (str(r["config"].get("threads")) if r["config"]["impl"] == "scsim" else ""): r["result"]
          for r in records}
    mesa_res, numpy_res = by.get("mesa", {}), by.get("numpy", {})

    def rate(res: dict) -> float | None:
        return res.get("agent_steps_per_s_median", res.get("agent_steps_per_s")) if res.get("ok") else None

    def cpu(res: dict) -> float | None:
        return res.get("step_cpu_median_s", res.get("month_cpu_median_s")) if res.get("ok") else None

    # ratios of agent-steps/s (median wall time per step); the CPU-time ratios are steadier on a
    # shared machine, and equal to the wall ones on a quiet machine for one-thread runs
    summary = {"citizens": n, "ratios": {}, "ratios_cpu_time": {}, "target_ratio": TARGET_RATIO}
    for key, res in by.items():
        if key.startswith("scsim") and rate(res) and rate(mesa_res):
            threads = res.get("numba_threads")
            summary["ratios"][f"scsim_{threads}_threads_over_mesa"] = rate(res) / rate(mesa_res)
            summary["ratios_cpu_time"][f"scsim_{threads}_threads_over_mesa"] = cpu(mesa_res) / cpu(res)
    if rate(numpy_res) and rate(mesa_res):
        summary["ratios"]["numpy_over_mesa"] = rate(numpy_res) / rate(mesa_res)
        summary["ratios_cpu_time"]["numpy_over_mesa"] = cpu(mesa_res) / cpu(numpy_res)
    if mesa_res.get("ok") and numpy_res.get("ok"):
        summary["agreement"] = agreement(mesa_res, numpy_res)
    for name, r in summary["ratios"].items():
        verdict = "" if not name.startswith("scsim") else (
            f"  (target {TARGET_RATIO}x: {'met' if r >= TARGET_RATIO else 'NOT met'})")
        label = {"numpy_over_mesa": "NumPy reference / Mesa"}.get(name) or (
            f"scsim full model ({name.split('_')[1]} thread{'s' if name.split('_')[1] != '1' else ''}) / Mesa reference")
        print(f"agent-steps/s, {label}: {r:,.1f}x (by CPU time: {summary['ratios_cpu_time'][name]:,.1f}x){verdict}")
    if "agreement" in summary:
        g = summary["agreement"]
        rel = ", ".join(f"{k} {100 * v:.2f}%" for k, v in g["relative_difference"].items())
        print(f"Mesa vs NumPy after {g['after_steps']} steps: {rel} -> {'agree' if g['agree'] else 'DISAGREE'}")
    bs.append_jsonl(a.out, [{"bench": "compare-summary", **head, "config": {"citizens": n, "steps": a.steps,
                             "mesa_steps": mesa_steps, "scsim_months": scsim_months}, "result": {"ok": True, **summary}}])
    print(f"results appended to {a.out}")
    failed = [r for r in records if not r["result"]["ok"] and not r["result"]["error"].startswith("skipped")]
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
