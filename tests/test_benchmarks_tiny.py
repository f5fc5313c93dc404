"""The benchmark scripts in their --tiny modes, so they cannot rot unnoticed.

They run as subprocesses, exactly as a user runs them, writing to a temporary results file
(never benchmarks/results.jsonl). Only that they run and write sane records is checked here;
the figures themselves belong in benchmarks/README.md.
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parent.parent / "benchmarks"
HAS_MESA = importlib.util.find_spec("mesa") is not None


def run_script(script: Path, out: Path, *extra: str) -> list[dict]:
    p = subprocess.run([sys.executable, str(script), "--tiny", "--out", str(out), *extra],
                       capture_output=True, text=True, timeout=300, cwd=BENCH.parent)  # fresh Numba caches on a loaded CI machine
    assert p.returncode == 0, f"{script.name} exited {p.returncode}\n{p.stdout[-3000:]}\n{p.stderr[-3000:]}"
    lines = out.read_text().splitlines()
    assert lines, f"{script.name} wrote no results"
    records = [json.loads(line) for line in lines]
    for r in records:
        assert r["git"] and r["date"] and r["machine"]["cpu_count"] >= 1
        assert r["versions"]["numpy"] and r["versions"]["numba"]
    return records


@pytest.fixture(scope="module")
def compare_records(tmp_path_factory) -> list[dict]:
    out = tmp_path_factory.mktemp("bench") / "compare.jsonl"
    return run_script(BENCH / "peers" / "compare.py", out, *(() if HAS_MESA else ("--no-mesa",)))


def test_bench_scale_tiny(tmp_path):
    records = run_script(BENCH / "bench_scale.py", tmp_path / "scale.jsonl")
    assert {(r["config"]["citizens"], r["config"]["degree"]) for r in records} == {
        (2000, 20.0), (5000, 20.0), (2000, 10.0), (2000, 50.0)}
    for r in records:
        res = r["result"]
        assert r["bench"] == "scale" and res["ok"], res
        assert res["months_timed"] == 3 and len(res["month_s"]) == 3
        assert all(t > 0 for t in res["month_s"])
        assert res["build_s"] > 0 and res["month_median_s"] > 0 and res["agent_steps_per_s"] > 0
        assert res["peak_rss_mb"] >= res["rss_after_import_mb"] > 0
        assert res["est_180_months_is_extrapolated"] is True


def test_compare_tiny_numpy_and_scsim(compare_records):
    by_impl = {}
    for r in compare_records:
        if r["bench"] == "compare":
            by_impl.setdefault(r["config"]["impl"], []).append(r["result"])
    numpy_res = by_impl["numpy"][0]
    assert numpy_res["ok"] and numpy_res["steps_timed"] == 5 and numpy_res["step_median_s"] > 0
    assert numpy_res["summary"]["friendships"] > 0
    assert len(by_impl["scsim"]) == 2  # one thread and all cores
    for res in by_impl["scsim"]:
        assert res["ok"] and res["months_timed"] == 3 and res["month_median_s"] > 0
    assert compare_records[-1]["bench"] == "compare-summary"


@pytest.mark.skipif(not HAS_MESA, reason="mesa is not installed (pip install mesa==3.3.1): Mesa reference not timed")
def test_compare_tiny_mesa(compare_records):
    mesa_res = next(r["result"] for r in compare_records if r["bench"] == "compare" and r["config"]["impl"] == "mesa")
    assert mesa_res["ok"] and mesa_res["steps_timed"] == 5 and all(t > 0 for t in mesa_res["step_s"])
    summary = compare_records[-1]["result"]
    assert summary["ratios"]["numpy_over_mesa"] > 0 and summary["ratios_cpu_time"]["numpy_over_mesa"] > 0
    assert any(k.startswith("scsim") for k in summary["ratios"])
    # Mesa and NumPy implement one model: their means agree (statistically) at 2,000 citizens
    assert summary["agreement"]["agree"], summary["agreement"]
