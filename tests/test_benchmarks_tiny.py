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


# ---------------------------------------------------------------- docs/img/scale.png, redrawn from records

def load_bench_scale():
    spec = importlib.util.spec_from_file_location("bench_scale", BENCH / "bench_scale.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def scale_record(git: str, src: str, date: str, citizens: int, degree: float, **config) -> dict:
    """One line of results.jsonl as bench_scale.py writes it (only the fields the figure reads)."""
    return {"bench": "scale", "date": date, "git": git, "git_dirty": False, "src_sha1": src,
            "machine": {"cpu_count": 7},  # not this machine's count: the figure must say the record's
            "config": {"preset": "social-credit-2020", "citizens": citizens, "degree": degree, "months": 12,
                       "full_horizon": False, "mandatory": False, "threads": None, **config},
            "result": {"ok": True, "month_median_s": citizens * degree * 1e-9, "numba_threads": 7,
                       "phases_timed": ["opt-in", "pre"]}}


def recorded_history() -> list[dict]:
    old = [scale_record("aaaaaaa", "src-old", "2026-11-01T10:00:00+00:00", n, 20.0) for n in (10_000, 100_000)]
    new = [scale_record("bbbbbbb", "src-new", "2026-11-20T10:00:00+00:00", n, d)
           for n, d in ((10_000, 20.0), (1_000_000, 20.0), (1_000_000, 10.0), (1_000_000, 50.0))]
    # measured after the newest sweep, but not like the default command: never in the figure
    odd = [scale_record("ccccccc", "src-new", "2026-11-21T10:00:00+00:00", 1_000_000, 20.0, mandatory=True),
           scale_record("ccccccc", "src-new", "2026-11-21T10:00:00+00:00", 1_000_000, 20.0, threads=1)]
    return old + new + odd


def test_scale_figure_draws_the_newest_plain_sweep():
    bench = load_bench_scale()
    chosen = bench.latest_sweep(recorded_history())
    assert {r["git"] for r in chosen} == {"bbbbbbb"}
    assert sorted((r["config"]["citizens"], r["config"]["degree"]) for r in chosen) == [
        (10_000, 20.0), (1_000_000, 10.0), (1_000_000, 20.0), (1_000_000, 50.0)]
    assert bench.latest_sweep([r for r in recorded_history() if r["git"] == "ccccccc"]) == []


def test_scale_figure_title_says_when_and_on_which_code_it_was_measured():
    bench = load_bench_scale()
    chosen = bench.latest_sweep(recorded_history())
    title = bench.figure_title(chosen, current_src="src-new")
    assert "2026-11-20" in title and "git bbbbbbb" in title and "7-CPU machine" in title
    assert "months 1-12" in title and "before the mandatory rules" in title
    assert "changed since" not in title
    assert "changed since" in bench.figure_title(chosen, current_src="src-today")


def test_replot_draws_from_the_records_and_runs_nothing(tmp_path):
    results = tmp_path / "results.jsonl"
    results.write_text("".join(json.dumps(r) + "\n" for r in recorded_history()))
    before = results.read_bytes()
    png = tmp_path / "scale.png"
    p = subprocess.run([sys.executable, str(BENCH / "bench_scale.py"), "--out", str(results), "--replot", str(png)],
                       capture_output=True, text=True, timeout=120, cwd=BENCH.parent)
    assert p.returncode == 0, p.stderr
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "4 configurations" in p.stdout and "bbbbbbb" in p.stdout
    assert results.read_bytes() == before  # nothing measured, nothing appended
    empty = tmp_path / "empty.jsonl"
    empty.write_text("")
    p = subprocess.run([sys.executable, str(BENCH / "bench_scale.py"), "--out", str(empty), "--replot", str(png)],
                       capture_output=True, text=True, timeout=120, cwd=BENCH.parent)
    assert p.returncode == 2 and "no recorded scale sweep" in p.stderr


def test_association_pass_benchmark_times_its_four_cases():
    p = subprocess.run([sys.executable, str(BENCH / "association_pass.py"), "--citizens", "3000", "--repeats", "1",
                        "--months", "2"], capture_output=True, text=True, timeout=300, cwd=BENCH.parent)
    assert p.returncode == 0, p.stderr[-3000:]
    cases = [line.split()[0:3] for line in p.stdout.splitlines() if "median" in line]
    assert [" ".join(c[: c.index("median")] if "median" in c else c) for c in cases] == \
        ["plain", "plain + register", "posts", "posts + register"]
