"""Wall time of one sweep with one Dask worker and then with two (scsim sweep, local cluster).

The issue's target: on the 2-core machine, 64 runs of 100,000 citizens over 180 months with two
workers take less than 0.6 of the time one worker takes. One worker gets both cores as Numba
threads; two workers get one thread each (scsim.parallel.numba_threads), so the comparison is
"two runs side by side" against "one run on two threads".

Each worker count runs the whole sweep into a fresh folder (nothing skipped), timed from
run_sweep's call to its return: cluster start, every run, and the combined outputs. The Numba
cache is warmed in this process first, so neither timing pays compilation. The two combined
metrics tables are compared too: they must be identical.

    python benchmarks/bench_sweep.py                       # benchmarks/sweep_bench.toml (~45 min here)
    python benchmarks/bench_sweep.py --workers 1,2 --keep /tmp/sweeps
    python benchmarks/bench_sweep.py --tiny --out /tmp/r.jsonl   # seconds; what the test suite runs

Results are appended to benchmarks/results.jsonl (one JSON line), as bench_scale.py does.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
import tomllib
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from bench_scale import append_jsonl, fmt_s, header  # noqa: E402

SPEC = HERE / "sweep_bench.toml"
TARGET = 0.6  # two workers / one worker, at most
TINY = {"sweep": {"samples": 4, "seeds": 2}, "set": {"population.citizens": 300, "run.months": 12}}


def load_spec(path: Path, tiny: bool):
    """The sweep to time; --tiny shrinks it to 8 runs of 300 citizens over 12 months."""
    from scsim.sweep import parse_sweep

    data = tomllib.loads(path.read_text())
    if tiny:
        for section, values in TINY.items():
            data.setdefault(section, {}).update(values)
    return parse_sweep(data, str(path), path.parent, default_name=path.stem)


def warm_numba() -> None:
    """Compile (or load) every kernel once, so no timed worker compiles from scratch."""
    from scsim.engine import Simulation
    from scsim.scenario import load_preset

    Simulation(load_preset("social-credit-2020").with_overrides(**{"population.citizens": 500, "run.months": 62})).run()


def time_sweep(spec, workers: int, folder: Path, progress: bool) -> dict:
    from scsim.sweep import run_sweep

    load0 = os.getloadavg()[0]
    t0 = time.perf_counter()
    result = run_sweep(spec, out=folder, workers=workers, progress=progress)
    wall = time.perf_counter() - t0
    return {"workers": workers, "wall_s": wall, "runs": result.runs_done, "failed": len(result.failures),
            "loadavg_1m_start": load0, "loadavg_1m_end": os.getloadavg()[0], "database": str(result.database)}


def identical(databases: list[str]) -> bool:
    """The combined metrics tables of every worker count are equal, value for value."""
    import duckdb

    tables = []
    for db in databases:
        with duckdb.connect(db, read_only=True) as con:
            tables.append(con.execute("SELECT * FROM metrics ORDER BY run_id, month").df())
    return all(t.equals(tables[0]) for t in tables[1:])


def _relative(path: Path) -> str:
    """The spec's path relative to the repository when it is inside it (records carry no machine paths)."""
    try:
        return str(path.resolve().relative_to(HERE.parent))
    except ValueError:
        return path.name


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="Time a sweep with 1 and 2 Dask workers.")
    ap.add_argument("--spec", type=Path, default=SPEC, help="sweep file (default benchmarks/sweep_bench.toml)")
    ap.add_argument("--workers", default="1,2", help="worker counts to time, comma-separated (default 1,2)")
    ap.add_argument("--tiny", action="store_true", help="8 runs of 300 citizens, 12 months (tests)")
    ap.add_argument("--keep", type=Path, default=None, help="keep the sweep folders under this folder")
    ap.add_argument("--quiet", action="store_true", help="no progress bars")
    ap.add_argument("--out", type=Path, default=HERE / "results.jsonl", help="results file to append to")
    a = ap.parse_args(argv)
    counts = [int(x) for x in a.workers.split(",") if x.strip()]
    spec = load_spec(a.spec, a.tiny)
    head = header()
    warm_numba()
    root = Path(tempfile.mkdtemp(prefix="bench-sweep-")) if a.keep is None else a.keep
    try:
        timings = []
        for n in counts:
            folder = root / f"workers-{n}"
            shutil.rmtree(folder, ignore_errors=True)  # a full sweep every time: nothing skipped
            print(f"{n} worker(s): running ...", flush=True)
            timings.append(time_sweep(spec, n, folder, progress=not a.quiet))
            print(f"  {fmt_s(timings[-1]['wall_s'])} for {timings[-1]['runs']} runs", flush=True)
        same = identical([t["database"] for t in timings])
    finally:
        if a.keep is None:
            shutil.rmtree(root, ignore_errors=True)
    by = {t["workers"]: t["wall_s"] for t in timings}
    ratio = by[2] / by[1] if 1 in by and 2 in by else None
    result = {"ok": all(t["failed"] == 0 for t in timings) and same, "timings": timings, "identical": same,
              "ratio_2_over_1": ratio, "target_ratio": TARGET, "target_met": ratio is not None and ratio < TARGET}
    config = {"spec": _relative(a.spec), "tiny": a.tiny, "design": spec.options.design, "points": int(spec.options.samples or 0),
              "seeds": spec.options.seeds, "citizens": spec.base.population.citizens, "months": spec.base.run.months,
              "runs": timings[0]["runs"] if timings else 0, "cpu_count": os.cpu_count()}
    for t in timings:  # temporary folders: not worth keeping in the record
        t.pop("database")
    append_jsonl(a.out, [{"bench": "sweep", **head, "config": config, "result": result}])
    for t in timings:
        print(f"{t['workers']} worker(s): {fmt_s(t['wall_s'])} wall ({t['runs']} runs, load "
              f"{t['loadavg_1m_start']:.1f}-{t['loadavg_1m_end']:.1f})")
    if ratio is not None:
        print(f"2 workers / 1 worker: {ratio:.3f} (target < {TARGET}: {'met' if ratio < TARGET else 'NOT met'})")
    print(f"combined metrics identical across worker counts: {same}")
    print(f"results appended to {a.out}")
    return 0 if result["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
