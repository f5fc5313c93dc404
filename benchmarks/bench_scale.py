"""How scsim's monthly step scales with citizens and with mean degree (social-credit-2020).

Each configuration runs in a fresh Python process, so its peak resident memory (ru_maxrss) is
its own and a large run cannot inherit warm caches or fragmented memory from a small one.
Inside that process: a tiny throw-away simulation first loads or compiles every Numba kernel
(so JIT time lands in neither the build nor the months), then population + network are built
and timed, month 0 runs as a warm-up (untimed, reported apart), and the next --months months
are timed one by one. run.months stays at the preset's 180, so the months that also compute
network metrics (every 12th) come at the cadence of a real run. What is reported is time per
month; "est. 180 months" is build + 180 x mean month, an extrapolation, unless --full-horizon
runs all 180 months for real.

    python benchmarks/bench_scale.py                       # 10k..10M at degree 20; degrees 10/20/50 at 1M
    python benchmarks/bench_scale.py --sizes 10k,100k,1M --degrees 10,20,50 --months 6 --plot scale.png
    python benchmarks/bench_scale.py --tiny --out /tmp/r.jsonl   # seconds; what the test suite runs
    python benchmarks/bench_scale.py --replot docs/img/scale.png  # redraw the figure from the records, running nothing

Results are appended to benchmarks/results.jsonl (one JSON line per configuration).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
PRESET = "social-credit-2020"
HORIZON = 180  # the preset's months (2015-01 .. 2029-12)
RESULT_MARK = "@@RESULT "
# Peak resident memory ~ 300 B per citizen + 40 B per citizen per unit of mean degree (fitted
# to 1M citizens at degrees 10/20/50, README); used only to skip a configuration that clearly
# cannot fit, unless --force.
BYTES_PER_CITIZEN = 300
BYTES_PER_DEGREE = 40


# ------------------------------------------------------------------ inside the worker process

def peak_rss_mb() -> float:
    """Peak resident set of this process so far (ru_maxrss is KiB on Linux, bytes on macOS)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 2**20 if sys.platform == "darwin" else peak / 1024


def current_rss_mb() -> float | None:
    try:
        with open("/proc/self/statm") as fh:
            return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    except OSError:
        return None


def make_scenario(citizens: int, degree: float, mandatory: bool = False, seed: int | None = None):
    from scsim.scenario import load_preset

    sc = load_preset(PRESET)
    over = {"population.citizens": int(citizens), "network.mean_degree": float(degree), "run.months": HORIZON}
    if mandatory:  # the 2020 regime from month 0: 120 of the real run's 180 months look like this
        over |= {"phases.optin_start": None, "phases.mandatory_start": sc.run.start}
    if seed is not None:
        over["run.seed"] = int(seed)
    return sc.with_overrides(**over)


def measure_scsim(cfg: dict) -> dict:
    """Time one configuration in this process; meant to run in a fresh one (run_isolated)."""
    import numba
    import numpy as np

    from scsim.engine import Simulation

    rss_import = current_rss_mb()
    t0 = time.perf_counter()
    warm = Simulation(make_scenario(1_000, cfg["degree"], cfg.get("mandatory", False)))
    warm.step()
    warm.step()
    del warm
    jit_s = time.perf_counter() - t0

    sc = make_scenario(cfg["citizens"], cfg["degree"], cfg.get("mandatory", False), cfg.get("seed"))
    load0 = os.getloadavg()[0]
    t0 = time.perf_counter()
    sim = Simulation(sc)
    build_s = time.perf_counter() - t0
    rss_build = peak_rss_mb()
    edges0 = int(sim.net.n_edges)

    months = HORIZON if cfg.get("full_horizon") else min(1 + cfg["months"], HORIZON)
    t0 = time.perf_counter()
    row = sim.step()
    month0_s = time.perf_counter() - t0
    times, cpu, phases = [], [], []
    for _ in range(months - 1):
        t0, c0 = time.perf_counter(), time.process_time()
        row = sim.step()
        times.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
        phases.append(row["phase"])
    n = sim.n
    mean = statistics.fmean(times)
    out = {
        "citizens": n, "edges_start": edges0, "edges_end": int(row["edges"]),
        "months_timed": len(times), "month_first_timed": 1, "phases_timed": sorted(set(phases)),
        "jit_warmup_s": jit_s, "build_s": build_s, "month0_s": month0_s,
        "month_median_s": statistics.median(times), "month_mean_s": mean,
        "month_min_s": min(times), "month_max_s": max(times), "month_s": times,
        # CPU seconds of all threads: on a shared machine, wall time grows with others' load,
        # CPU time of a one-thread run much less so
        "month_cpu_median_s": statistics.median(cpu), "month_cpu_s": cpu,
        "agent_steps_per_s": n / mean, "agent_steps_per_s_median": n / statistics.median(times),
        "est_180_months_s": build_s + HORIZON * mean, "est_180_months_is_extrapolated": True,
        "rss_after_import_mb": rss_import, "peak_rss_after_build_mb": rss_build, "peak_rss_mb": peak_rss_mb(),
        "numba_threads": numba.get_num_threads(), "loadavg_1m_start": load0, "loadavg_1m_end": os.getloadavg()[0],
        "final_score_all_mean": float(row["score_all_mean"]), "final_month": int(row["month"]),
    }
    if cfg.get("full_horizon"):
        out["full_horizon_s"] = build_s + month0_s + float(np.sum(times))
        out["est_180_months_is_extrapolated"] = False
    return out


# ------------------------------------------------------------------ in the parent process

def run_isolated(module_path: Path, func: str, cfg: dict, threads: int | None = None,
                 timeout: float | None = None) -> dict:
    """Run ``func(cfg)`` from ``module_path`` in a fresh interpreter (``sys.executable -c``) and
    return its JSON result, or a record with ``ok: False`` and why (timeout, killed, error)."""
    code = (f"import json, sys; sys.path.insert(0, {str(module_path.parent)!r}); "
            f"import {module_path.stem} as m; r = m.{func}(json.loads(sys.argv[1])); "
            f"print({RESULT_MARK!r} + json.dumps(r), flush=True)")
    env = dict(os.environ)
    if threads:
        env["NUMBA_NUM_THREADS"] = str(threads)
    t0 = time.perf_counter()
    try:
        p = subprocess.run([sys.executable, "-c", code, json.dumps(cfg)], capture_output=True, text=True,
                           env=env, timeout=timeout, cwd=REPO)
    except subprocess.TimeoutExpired:
        return {"ok": False, "error": f"timed out after {timeout} s"}
    wall = time.perf_counter() - t0
    for line in reversed(p.stdout.splitlines()):
        if line.startswith(RESULT_MARK):
            return {"ok": True, "process_wall_s": wall, **json.loads(line[len(RESULT_MARK):])}
    why = f"killed by signal {-p.returncode} (out of memory?)" if p.returncode < 0 else f"exit {p.returncode}"
    return {"ok": False, "error": why, "stderr_tail": p.stderr[-2000:]}


def git_hash() -> str:
    try:
        return subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True,
                              text=True, check=True, timeout=10).stdout.strip() or "unknown"
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def git_dirty() -> bool | None:
    """Uncommitted changes to tracked files (read-only check): the hash alone would then not
    pin the code that was measured."""
    try:
        return subprocess.run(["git", "diff", "--quiet", "HEAD", "--"], cwd=REPO, capture_output=True,
                              timeout=10).returncode == 1
    except (OSError, subprocess.SubprocessError):
        return None


def src_digest() -> str:
    """Short SHA-1 of the package sources: pins the measured code even on a dirty tree, where
    the git hash alone does not (the engine changes under active development)."""
    import hashlib

    h = hashlib.sha1()
    for f in sorted((REPO / "src" / "scsim").rglob("*.py")):
        h.update(f.relative_to(REPO).as_posix().encode())
        h.update(f.read_bytes())
    return h.hexdigest()[:12]


def total_memory_bytes() -> int | None:
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return None


def available_memory_bytes() -> int | None:
    try:
        with open("/proc/meminfo") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return total_memory_bytes()


def machine() -> dict:
    return {"platform": platform.platform(), "processor": platform.processor() or platform.machine(),
            "python": platform.python_version(), "cpu_count": os.cpu_count(),
            "total_memory_gib": round((total_memory_bytes() or 0) / 2**30, 1)}


def versions() -> dict:
    import numba
    import numpy
    import scipy

    return {"numpy": numpy.__version__, "numba": numba.__version__, "scipy": scipy.__version__}


def header() -> dict:
    """What every result line carries: when, which code, which machine, which libraries."""
    return {"date": dt.datetime.now().astimezone().isoformat(timespec="seconds"), "git": git_hash(),
            "git_dirty": git_dirty(), "src_sha1": src_digest(), "machine": machine(), "versions": versions()}


def append_jsonl(path: Path, records: list[dict]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a") as fh:
        for r in records:
            fh.write(json.dumps(r) + "\n")


def estimated_bytes(citizens: int, degree: float) -> int:
    return int(citizens * (BYTES_PER_CITIZEN + BYTES_PER_DEGREE * degree)) + 2**28


def parse_count(text: str) -> int:
    """'10k', '1M', '1_000_000' or '1e6' -> int."""
    t = text.strip().replace("_", "").replace(",", "")
    mult = {"k": 10**3, "m": 10**6, "g": 10**9}.get(t[-1:].lower(), 1)
    return int(float(t[:-1] if mult > 1 else t) * mult)


def parse_list(text: str, kind=parse_count) -> list:
    return [kind(x) for x in text.split(",") if x.strip()]


def human(n: float) -> str:
    for unit, div in (("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if n >= div:
            return f"{n / div:.3g}{unit}"
    return f"{n:.3g}"


def fmt_s(sec: float) -> str:
    if sec >= 3600:
        return f"{sec / 3600:.1f} h"
    if sec >= 60:
        return f"{sec / 60:.1f} min"
    return f"{sec:.3g} s" if sec >= 1 else f"{1e3 * sec:.3g} ms"


def print_table(records: list[dict], title: str) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=title)
    for col in ("citizens", "degree", "threads", "build", "month median", "month mean", "CPU/month",
                "agent-steps/s", "peak RSS", "180 months*", "load", "phases timed"):
        table.add_column(col, justify="left" if col == "phases timed" else "right", no_wrap=True)
    for r in records:
        c, res = r["config"], r["result"]
        if not res.get("ok"):
            table.add_row(f"{c['citizens']:,}", f"{c['degree']:g}", "", "[red]" + res.get("error", "failed"), *[""] * 8)
            continue
        horizon = fmt_s(res["full_horizon_s"]) + " (run)" if "full_horizon_s" in res else fmt_s(res["est_180_months_s"])
        table.add_row(f"{c['citizens']:,}", f"{c['degree']:g}", str(res["numba_threads"]), fmt_s(res["build_s"]),
                      fmt_s(res["month_median_s"]), fmt_s(res["month_mean_s"]), fmt_s(res["month_cpu_median_s"]),
                      human(res["agent_steps_per_s"]), f"{res['peak_rss_mb']:,.0f} MiB", horizon,
                      f"{res['loadavg_1m_start']:.1f}-{res['loadavg_1m_end']:.1f}", ", ".join(res["phases_timed"]))
    Console(width=None if sys.stdout.isatty() else 160).print(table)
    print("* 180 months = build + 180 x mean month: an EXTRAPOLATION from the months timed "
          "(marked '(run)' where --full-horizon ran them all). CPU/month: median CPU seconds, all threads. "
          "load: 1-minute load average at start-end (others' work on a shared machine inflates wall times).")


def read_jsonl(path: Path) -> list[dict]:
    """Every record of a results file, in the order written."""
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def latest_sweep(records: list[dict]) -> list[dict]:
    """The records of the newest recorded sweep that a scaling figure is drawn from.

    That is the scale configurations measured like the default command (months timed, all cores,
    not ``--mandatory``, not ``--full-horizon``) on the same code as the newest of them (same git
    hash and, where recorded, the same ``src_sha1``) and with the same number of months timed.
    """
    plain = [r for r in records if r.get("bench") == "scale" and r["result"].get("ok")
             and not r["config"].get("mandatory") and not r["config"].get("full_horizon")
             and not r["config"].get("threads")]
    if not plain:
        return []
    last = plain[-1]
    key = (last["git"], last.get("src_sha1"), last["config"]["months"])
    return [r for r in plain if (r["git"], r.get("src_sha1"), r["config"]["months"]) == key]


def figure_title(records: list[dict], current_src: str | None = None) -> str:
    """What the figure shows and where it comes from, from the records themselves (their date,
    code and machine, never this machine's): a figure redrawn later still says when and on which
    code it was measured, and says so when scsim's code has changed since."""
    first = records[0]
    dates = sorted({r["date"][:10] for r in records})
    months = first["config"]["months"]
    threads = sorted({r["result"].get("numba_threads") for r in records} - {None})
    srcs = sorted({r.get("src_sha1") for r in records} - {None})
    code = f"git {first['git']}" + (f" (sources {srcs[0][:8]})" if len(srcs) == 1 else "")
    machine = f"{first['machine']['cpu_count']}-CPU machine" + (
        f" ({'/'.join(map(str, threads))} Numba threads)" if threads else "")
    seen = {p for r in records for p in r["result"].get("phases_timed", [])}
    phases = [p for p in ("pre", "opt-in", "mandatory") if p in seen] + sorted(seen - {"pre", "opt-in", "mandatory"})
    when = f"phases {' and '.join(phases)}" if phases else "phases not recorded"
    if phases and "mandatory" not in phases:
        when += ", before the mandatory rules"
    lines = [f"scsim {PRESET}: wall time of one month (median of months 1-{months}; {when})",
             f"measured {' to '.join(dates)} on a {machine}, code of {code}"]
    if current_src and srcs and current_src not in srcs:
        lines.append("scsim's code has changed since: README's Performance table has today's whole-run times")
    return "\n".join(lines)


def plot(records: list[dict], path: Path, size_degree: float, degree_citizens: int,
         current_src: str | None = None) -> None:
    """Time per month against citizens (at one degree) and against degree (at one size),
    log-log, each with a dashed line of linear scaling through its smallest point."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import matplotlib.ticker

    ok = [r for r in records if r["result"].get("ok")]
    by_size = sorted((r["config"]["citizens"], r["result"]["month_median_s"]) for r in ok
                     if r["config"]["degree"] == size_degree)
    by_degree = sorted((r["config"]["degree"], r["result"]["month_median_s"]) for r in ok
                       if r["config"]["citizens"] == degree_citizens)
    fig, axes = plt.subplots(1, 2, figsize=(11, 5))
    for ax, pts, xlabel, what in ((axes[0], by_size, "citizens", f"mean degree {size_degree:g}"),
                                  (axes[1], by_degree, "mean degree (ties per citizen)",
                                   f"{degree_citizens:,} citizens")):
        if pts:
            x, y = zip(*pts)
            ax.plot(x, y, "o-", label=f"scsim {PRESET}")
            ax.plot([x[0], x[-1]], [y[0], y[0] * x[-1] / x[0]], "k--", lw=1, label="linear scaling")
            ax.set_xscale("log")
            ax.set_yscale("log")
            plain = matplotlib.ticker.FuncFormatter(lambda val, _: f"{val:g}")
            people = matplotlib.ticker.FuncFormatter(lambda val, _: human(val))
            ax.xaxis.set_major_formatter(people if xlabel == "citizens" else plain)
            ax.yaxis.set_major_formatter(plain)
            if xlabel != "citizens":  # within about one decade: label the minor ticks too
                ax.xaxis.set_minor_formatter(plain)
                ax.yaxis.set_minor_formatter(plain)
        ax.set_xlabel(f"{xlabel}, log scale")
        ax.set_ylabel("seconds per month (median), log scale")
        ax.set_title(f"against {xlabel.split(' (')[0]} ({what})")
        ax.grid(True, which="both", alpha=0.3)
        ax.legend()
    fig.suptitle(figure_title(records, current_src), fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    print(f"plot written to {path}")


def replot(results: Path, path: Path, size_degree: float, degree_citizens: int) -> int:
    """Draw the figure from the newest recorded sweep in ``results``, running nothing."""
    records = latest_sweep(read_jsonl(results)) if results.exists() else []
    if not records:
        print(f"bench_scale.py: {results}: no recorded scale sweep to draw", file=sys.stderr)
        return 2
    print(f"drawing {len(records)} configurations recorded {records[0]['date']} (git {records[0]['git']}) "
          f"from {results}")
    plot(records, path, size_degree, degree_citizens, src_digest())
    return 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="Scaling benchmark of scsim's monthly step (" + PRESET + ").")
    ap.add_argument("--sizes", type=parse_list, default=[10_000, 100_000, 1_000_000, 10_000_000],
                    help="citizens at --size-degree, comma-separated (10k, 1M, 1e6 accepted); default 10k,100k,1M,10M")
    ap.add_argument("--size-degree", type=float, default=20.0, help="mean degree of the size sweep (default 20)")
    ap.add_argument("--degrees", type=lambda s: parse_list(s, float), default=[10.0, 20.0, 50.0],
                    help="mean degrees for the degree sweep (default 10,20,50); empty string: no sweep")
    ap.add_argument("--degree-citizens", type=parse_count, default=1_000_000, help="citizens of the degree sweep (default 1M)")
    ap.add_argument("--months", type=int, default=12, help="months timed after the warm-up month (default 12)")
    ap.add_argument("--full-horizon", action="store_true", help=f"run all {HORIZON} months for real")
    ap.add_argument("--mandatory", action="store_true",
                    help="score everybody from month 0 (the 2020 regime, which is 120 of the 180 months)")
    ap.add_argument("--threads", type=int, default=None, help="NUMBA_NUM_THREADS for the workers (default: all cores)")
    ap.add_argument("--seed", type=int, default=None, help="run.seed (default: the preset's)")
    ap.add_argument("--timeout", type=float, default=None, help="seconds allowed per configuration")
    ap.add_argument("--force", action="store_true", help="run configurations that look too big for memory")
    ap.add_argument("--tiny", action="store_true", help="sizes 2000,5000, degrees 10,50 at 2000, 3 months (tests)")
    ap.add_argument("--plot", type=Path, default=None, help="write a PNG of time per month vs citizens and vs degree")
    ap.add_argument("--replot", type=Path, default=None, metavar="PNG",
                    help="run nothing: draw PNG from the newest sweep recorded in --out (docs/img/scale.png)")
    ap.add_argument("--out", type=Path, default=HERE / "results.jsonl", help="results file to append to (read by --replot)")
    a = ap.parse_args(argv)
    if a.replot:
        return replot(a.out, a.replot, a.size_degree, a.degree_citizens)
    if a.tiny:
        a.sizes, a.degrees, a.degree_citizens, a.months = [2_000, 5_000], [10.0, 50.0], 2_000, 3
    if a.months < 1:
        ap.error("--months must be at least 1")

    configs: list[tuple[int, float]] = [(n, a.size_degree) for n in a.sizes]
    configs += [(a.degree_citizens, d) for d in a.degrees if (a.degree_citizens, d) not in configs]
    avail = available_memory_bytes()
    records = []
    for n, deg in configs:
        head = header()  # per configuration: the code may change between configurations
        cfg = {"preset": PRESET, "citizens": n, "degree": deg, "months": a.months, "full_horizon": a.full_horizon,
               "mandatory": a.mandatory, "seed": a.seed, "threads": a.threads}
        need = estimated_bytes(n, deg)
        if avail and need > 0.9 * avail and not a.force:
            res = {"ok": False, "error": f"skipped: needs ~{need / 2**30:.1f} GiB, {avail / 2**30:.1f} GiB available (--force to try)"}
        else:
            print(f"{n:,} citizens, mean degree {deg:g}: running ...", flush=True)
            res = run_isolated(Path(__file__).resolve(), "measure_scsim", cfg, a.threads, a.timeout)
        rec = {"bench": "scale", **head, "config": cfg, "result": res}
        if not res["ok"]:
            print(f"  {res['error']}" + (f"\n{res.get('stderr_tail', '')}" if res.get("stderr_tail") else ""))
        else:
            print(f"  {fmt_s(res['month_median_s'])}/month (median), build {fmt_s(res['build_s'])}, "
                  f"peak {res['peak_rss_mb']:,.0f} MiB")
        append_jsonl(a.out, [rec])  # one line as soon as it is known: a later crash loses nothing
        records.append(rec)
    gits = ", ".join(sorted({r["git"] + ("+dirty" if r["git_dirty"] else "") for r in records}))
    print_table(records, f"scsim {PRESET}: time per month (git {gits})")
    if a.plot:
        plot(records, a.plot, a.size_degree, a.degree_citizens, src_digest())
    print(f"results appended to {a.out}")
    return 0 if all(r["result"]["ok"] or r["result"]["error"].startswith("skipped") for r in records) else 1


if __name__ == "__main__":
    sys.exit(main())
