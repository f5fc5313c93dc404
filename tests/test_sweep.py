"""Sweeps (scsim sweep): designs, determinism across worker counts, resume, bad input, Sobol.

Runs are tiny (300 citizens, 24 months): what costs time here is starting Dask clusters (a
worker process imports scsim and loads the Numba cache), so one two-worker cluster is shared
by the tests that need a cluster, reached through --scheduler as a user would.
"""

from __future__ import annotations

import json
import logging
import shutil
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest

from scsim.cli import main
from scsim.sweep import (RUNS_DIR, design_points, execute, load_sweep, n_points, parse_sweep, plan_runs, point_scenarios,
                         run_id, run_sweep)

REPO = Path(__file__).resolve().parents[1]
TINY = {"population.citizens": 300, "run.months": 24}


def sweep_file(path: Path, design: str, vary: str, samples: int | None = None, seeds: int = 2,
               extra: str = "") -> Path:
    """A tiny sweep file (``vary``: the lines of its [vary] table)."""
    head = f'[sweep]\ndesign = "{design}"\nseeds = {seeds}\n' + (f"samples = {samples}\n" if samples else "") + extra
    fixed = "".join(f'"{k}" = {v}\n' for k, v in TINY.items())
    path.write_text(f"{head}\n[set]\n{fixed}\n[vary]\n{vary}\n")
    return path


LHS_VARY = '"behaviour.ties.cut_rate" = { low = 0.1, high = 0.9 }\n"population.tau_alpha" = { low = 1.0, high = 4.0 }'


def spec_from(design: str, vary: dict, samples: int | None = None, seeds: int = 1):
    sweep = {"design": design, "seeds": seeds, **({"samples": samples} if samples else {})}
    return parse_sweep({"sweep": sweep, "set": dict(TINY), "vary": vary}, "test.toml", REPO)


@pytest.fixture(scope="module")
def scheduler():
    """One local two-worker cluster for the module; tests reach it by its address."""
    from distributed import LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0",
                      silence_logs=logging.ERROR) as cluster:
        yield cluster.scheduler_address


def metrics_of(folder: Path) -> pd.DataFrame:
    with duckdb.connect(str(folder / "sweep.duckdb"), read_only=True) as con:
        return con.execute("SELECT * FROM metrics").df()


# ----------------------------------------------------------------------------- designs


def test_grid_is_the_cartesian_product():
    spec = spec_from("grid", {"behaviour.ties.cut_rate": [0.1, 0.5, 0.9], "scoring.association.mode": ["off", "mean"]})
    points = design_points(spec)
    assert n_points(spec) == len(points) == 6
    assert set(map(tuple, points.to_numpy())) == {(c, m) for c in (0.1, 0.5, 0.9) for m in ("off", "mean")}


def test_lhs_is_within_bounds_and_stratified():
    spec = spec_from("lhs", {"behaviour.ties.cut_rate": {"low": 0.2, "high": 0.6},
                             "population.tau_alpha": {"low": 1.0, "high": 5.0}}, samples=10)
    points = design_points(spec)
    assert len(points) == 10
    for key, lo, hi in (("behaviour.ties.cut_rate", 0.2, 0.6), ("population.tau_alpha", 1.0, 5.0)):
        x = points[key].to_numpy()
        assert ((x >= lo) & (x <= hi)).all()
        strata = np.floor((x - lo) / (hi - lo) * 10).astype(int)
        assert sorted(strata) == list(range(10)), "one point in each tenth of the range"
    assert design_points(spec).equals(points), "the design depends only on the sweep's seed"


def test_integer_parameters_are_rounded():
    spec = spec_from("lhs", {"network.blocks": {"low": 2, "high": 20}}, samples=5)
    values = design_points(spec)["network.blocks"]
    assert all(isinstance(v, int) and 2 <= v <= 20 for v in values)


def test_sobol_has_n_times_2d_plus_2_points():
    spec = spec_from("sobol", {"behaviour.ties.cut_rate": {"low": 0.1, "high": 0.9},
                               "population.tau_alpha": {"low": 1.0, "high": 4.0},
                               "scoring.association.points": {"low": 0.0, "high": 200.0}}, samples=4)
    assert n_points(spec) == len(design_points(spec)) == 4 * (2 * 3 + 2)


def test_runs_have_stable_ids_and_every_seed(tmp_path):
    spec = spec_from("grid", {"behaviour.ties.cut_rate": [0.1, 0.5]}, seeds=3)
    tasks = plan_runs(spec, design_points(spec), tmp_path)
    assert [t.run_id for t in tasks] == [run_id(p, s) for p in (0, 1) for s in (1, 2, 3)]
    assert run_id(3, 2) == "p0003-s02"
    assert [t.scenario.run.seed for t in tasks] == [1, 2, 3, 1, 2, 3]
    assert tasks[4].params == {"behaviour.ties.cut_rate": 0.5}
    assert not (tmp_path / RUNS_DIR).exists(), "planning creates nothing"


def test_example_sweep_validates():
    spec = load_sweep(REPO / "examples" / "sweeps" / "small.toml")
    assert len(point_scenarios(spec, design_points(spec))) == spec.options.samples


# ----------------------------------------------------------------------------- running


@pytest.fixture(scope="module")
def two_worker_sweep(tmp_path_factory, scheduler):
    """A 6-run LHS sweep on the shared two-worker cluster (the --scheduler path)."""
    folder = tmp_path_factory.mktemp("sweep") / "two"
    path = sweep_file(folder.parent / "lhs.toml", "lhs", LHS_VARY, samples=3)
    result = run_sweep(load_sweep(path), out=folder, scheduler=scheduler)
    return path, folder, result


def test_sweep_writes_run_files_and_combined_tables(two_worker_sweep):
    _, folder, result = two_worker_sweep
    assert (result.runs_total, result.runs_done, result.runs_skipped) == (6, 6, 0)
    assert sorted(p.name for p in (folder / RUNS_DIR).iterdir()) == [f"{run_id(p, s)}.parquet" for p in range(3) for s in (1, 2)]
    m = metrics_of(folder)
    assert list(m.columns[:6]) == ["run_id", "point", "seed", "behaviour.ties.cut_rate", "population.tau_alpha", "month"]
    assert len(m) == 6 * 24 and m.run_id.is_monotonic_increasing
    runs = result.table("runs")
    assert list(runs.columns) == ["run_id", "point", "seed", "behaviour.ties.cut_rate", "population.tau_alpha"]
    summary = pd.read_csv(folder / "summary.csv")
    assert len(summary) == 6 and {"score_mean", "posts_per_capita"} <= set(summary.columns)
    assert result.sobol is None and "sobol" not in result.tables


def test_worker_count_does_not_change_results(two_worker_sweep, tmp_path):
    """One local worker (its own cluster, two Numba threads) against the two-worker cluster."""
    path, folder, two = two_worker_sweep
    one = run_sweep(load_sweep(path), out=tmp_path / "one", workers=1)
    assert one.runs_done == 6
    pd.testing.assert_frame_equal(metrics_of(tmp_path / "one"), metrics_of(folder), check_exact=True)
    pd.testing.assert_frame_equal(one.summary, two.summary, check_exact=True)


def test_resume_runs_only_the_missing_runs(two_worker_sweep, tmp_path, scheduler):
    path, folder, _ = two_worker_sweep
    copy = tmp_path / "copy"
    shutil.copytree(folder, copy)
    missing = ["p0001-s01", "p0002-s02"]
    for rid in missing:
        (copy / RUNS_DIR / f"{rid}.parquet").unlink()
    (copy / RUNS_DIR / ".p0001-s01.parquet.dead.tmp").write_text("a run killed while writing")
    before = {p.name: p.stat().st_mtime_ns for p in (copy / RUNS_DIR).glob("*.parquet")}
    result = run_sweep(load_sweep(path), out=copy, scheduler=scheduler)
    assert (result.runs_done, result.runs_skipped) == (2, 4)
    after = {p.name: p.stat().st_mtime_ns for p in (copy / RUNS_DIR).glob("*.parquet")}
    assert {k for k in after if k not in before} == {f"{rid}.parquet" for rid in missing}
    assert all(after[k] == v for k, v in before.items()), "finished runs are not rerun"
    assert not list((copy / RUNS_DIR).glob(".*.tmp"))
    pd.testing.assert_frame_equal(metrics_of(copy), metrics_of(folder), check_exact=True)


def test_a_failed_run_is_reported_and_the_others_finish(tmp_path, scheduler):
    from distributed import Client

    spec = spec_from("grid", {"behaviour.ties.cut_rate": [0.1, 0.5]})
    good, bad = plan_runs(spec, design_points(spec), tmp_path)
    (tmp_path / "a-file").write_text("")
    bad.path = str(tmp_path / "a-file" / "run.parquet")  # its folder cannot be made
    with Client(scheduler, set_as_default=False) as client:
        failures = execute(client, [good, bad], progress=False)
    assert [f.run_id for f in failures] == [bad.run_id]
    assert Path(good.path).exists()


def test_sobol_sweep_through_the_cli(tmp_path, scheduler, capsys):
    vary = LHS_VARY
    path = sweep_file(tmp_path / "sobol.toml", "sobol", vary, samples=2, seeds=1)
    out = tmp_path / "out"
    assert main(["sweep", str(path), "--scheduler", scheduler, "--out", str(out), "--quiet"]) == 0
    assert capsys.readouterr().out.strip() == str(out / "sweep.duckdb")
    sobol = pd.read_csv(out / "sobol.csv")
    assert list(sobol.columns) == ["metric", "parameter", "S1", "S1_conf", "ST", "ST_conf"]
    assert len(sobol) > 0 and set(sobol.parameter) == {"behaviour.ties.cut_rate", "population.tau_alpha"}
    with duckdb.connect(str(out / "sweep.duckdb"), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM sobol").fetchone()[0] == len(sobol)
        assert con.execute("SELECT count(DISTINCT run_id) FROM metrics").fetchone()[0] == 2 * (2 * 2 + 2)


def test_bench_sweep_tiny(tmp_path):
    out = tmp_path / "bench.jsonl"
    p = subprocess.run([sys.executable, str(REPO / "benchmarks" / "bench_sweep.py"), "--tiny", "--quiet", "--out", str(out)],
                       capture_output=True, text=True, timeout=300, cwd=REPO)
    assert p.returncode == 0, p.stdout[-2000:] + p.stderr[-2000:]
    record = json.loads(out.read_text().splitlines()[-1])
    assert record["bench"] == "sweep" and record["result"]["identical"] is True
    assert [t["workers"] for t in record["result"]["timings"]] == [1, 2]
    assert all(t["wall_s"] > 0 and t["runs"] == 8 for t in record["result"]["timings"])
    assert record["result"]["ratio_2_over_1"] > 0


# ----------------------------------------------------------------------------- bad input


def assert_one_line_exit_2(rc: int, err: str, *needles: str) -> None:
    assert rc == 2, err
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert len(lines) == 1 and "Traceback" not in err, err
    for needle in needles:
        assert needle in lines[0], lines[0]


BAD = {
    "unknown parameter": ("grid", '"behaviour.ties.cut_rat" = [0.1]', None, "did you mean 'behaviour.ties.cut_rate'"),
    "empty list": ("grid", '"behaviour.ties.cut_rate" = []', None, "empty list"),
    "empty range": ("lhs", '"behaviour.ties.cut_rate" = { low = 0.5, high = 0.5 }', 4, "empty range"),
    "inverted range": ("lhs", '"behaviour.ties.cut_rate" = { low = 0.5, high = 0.1 }', 4, "empty range"),
    "grid with a range": ("grid", '"behaviour.ties.cut_rate" = { low = 0.1, high = 0.5 }', None, "needs a list of values"),
    "lhs with a list": ("lhs", '"behaviour.ties.cut_rate" = [0.1, 0.5]', 4, "samples a range"),
    "lhs without samples": ("lhs", '"behaviour.ties.cut_rate" = { low = 0.1, high = 0.5 }', None, "needs samples"),
    "sobol, not a power of two": ("sobol", '"behaviour.ties.cut_rate" = { low = 0.1, high = 0.5 }', 3, "power of two"),
    "range of a word": ("lhs", '"scoring.association.mode" = { low = 0, high = 1 }', 4, "not numeric"),
    "range out of bounds": ("lhs", '"behaviour.ties.cut_rate" = { low = 0.1, high = 1.5 }', 4, "high = 1.5"),
    "point out of bounds": ("grid", '"behaviour.ties.cut_rate" = [0.1, 1.5]', None, "point 1 (behaviour.ties.cut_rate=1.5)"),
    "a section": ("grid", '"behaviour.ties" = [0.1]', None, "is a section"),
    "nothing to vary": ("grid", "", None, "at least one"),
    "misspelt range": ("lhs", '"behaviour.ties.cut_rate" = { lo = 0.1, high = 0.5 }', 4, "did you mean 'low'"),
}


@pytest.mark.parametrize("case", BAD, ids=list(BAD))
def test_bad_sweep_files(case, tmp_path, capsys):
    design, vary, samples, needle = BAD[case]
    path = sweep_file(tmp_path / "bad.toml", design, vary, samples=samples)
    rc = main(["sweep", str(path), "--out", str(tmp_path / "out")])
    assert_one_line_exit_2(rc, capsys.readouterr().err, "bad.toml", needle)
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("text, needle", [
    ('[sweeps]\ndesign = "grid"\n', "did you mean 'sweep'"),
    ('[sweep]\ndesing = "grid"\n[vary]\n"run.months" = [2]\n', "did you mean 'design'"),
    ('[sweep]\ndesign = "latin"\n[vary]\n"run.months" = [2]\n', "sweep.design"),
    ('[sweep]\ndesign = "grid"\nbase = "social-credit-202"\n[vary]\n"run.months" = [2]\n', "did you mean 'social-credit-2020'"),
    ('[sweep]\ndesign = "grid"\n[set]\n"population.citizen" = 3\n[vary]\n"run.months" = [2]\n', "did you mean 'population.citizens'"),
    ('[sweep]\ndesign = "grid"\n[set]\n"run.seed" = 3\n[vary]\n"run.months" = [2]\n', "run.seed"),
    ('[sweep]\ndesign = "grid"\n[vary]\n"run.months" = [2]\n"run.seed" = [1, 2]\n', "run.seed"),
    ("garbage =\n", "not valid TOML"),
], ids=["section", "sweep key", "design", "preset", "set key", "set seed", "vary seed", "toml"])
def test_bad_sweep_keys(text, needle, tmp_path, capsys):
    path = tmp_path / "bad.toml"
    path.write_text(text)
    rc = main(["sweep", str(path), "--out", str(tmp_path / "out")])
    assert_one_line_exit_2(rc, capsys.readouterr().err, needle)
    assert not (tmp_path / "out").exists()


def test_unreachable_scheduler_fails_fast(tmp_path, capsys):
    path = sweep_file(tmp_path / "ok.toml", "grid", '"behaviour.ties.cut_rate" = [0.1]')
    t0 = time.perf_counter()
    rc = main(["sweep", str(path), "--scheduler", "tcp://127.0.0.1:9", "--connect-timeout", "1",
               "--out", str(tmp_path / "out")])
    assert_one_line_exit_2(rc, capsys.readouterr().err, "tcp://127.0.0.1:9", "cannot connect")
    assert time.perf_counter() - t0 < 15
    assert not (tmp_path / "out").exists()


def test_bad_arguments(tmp_path, capsys):
    path = sweep_file(tmp_path / "ok.toml", "grid", '"behaviour.ties.cut_rate" = [0.1]')
    for args, needle in ((["--workers", "0"], "--workers"), (["--workers", "1", "--scheduler", "tcp://x:1"], "not both"),
                         (["--scheduler", "nonsense"], "not a scheduler address"),
                             (["--scheduler", "foo://bar:1"], "unknown address scheme")):
        rc = main(["sweep", str(path), "--out", str(tmp_path / "out"), *args])
        assert_one_line_exit_2(rc, capsys.readouterr().err, needle)
    rc = main(["sweep", str(tmp_path / "missing.toml")])
    assert_one_line_exit_2(rc, capsys.readouterr().err, "no such sweep file")
    assert not (tmp_path / "out").exists()


def test_folder_of_another_sweep_is_refused(tmp_path, capsys):
    path = sweep_file(tmp_path / "ok.toml", "grid", '"behaviour.ties.cut_rate" = [0.1]')
    out = tmp_path / "out"
    out.mkdir()
    (out / "sweep.json").write_text(json.dumps({"fingerprint": "something else"}))
    rc = main(["sweep", str(path), "--out", str(out)])
    assert_one_line_exit_2(rc, capsys.readouterr().err, "different sweep")
    assert not (out / RUNS_DIR).exists()


def test_main_effects_on_a_known_case():
    """A metric that rises with one parameter at every point and ignores the other has rank
    correlation +1 with it and 0 with the other; a metric no point changes is left out."""
    from scsim.sweep.effects import display, main_effects

    spec = spec_from("lhs", {"behaviour.ties.cut_rate": {"low": 0.1, "high": 0.9},
                             "population.tau_alpha": {"low": 1.0, "high": 4.0}}, samples=5)
    cut = [0.1, 0.3, 0.5, 0.7, 0.9]
    alpha = [2.0, 1.0, 3.0, 1.0, 2.0]  # unrelated to cut_rate's order: Spearman 0 with a rising metric
    rows = [{"point": p, "seed": s, "behaviour.ties.cut_rate": c, "population.tau_alpha": a,
             "posts_per_capita": 0.01 * c + 0.0001 * s, "arrested_share": 0.0}
            for p, (c, a) in enumerate(zip(cut, alpha)) for s in (1, 2)]
    summary = pd.DataFrame(rows)
    t = main_effects(spec, summary).set_index("metric")
    assert list(t.index) == ["posts_per_capita"]
    assert t.loc["posts_per_capita", "rho_behaviour.ties.cut_rate"] == pytest.approx(1.0)
    assert t.loc["posts_per_capita", "rho_population.tau_alpha"] == pytest.approx(0.0)
    assert t.loc["posts_per_capita", "lowest"] == pytest.approx(0.00115)
    d = display(spec, t.reset_index(), summary)
    assert "5 points x 2 seeds" in d.caption and "arrested_share" in d.notes[0]
    assert list(d.frame["rho cut_rate"]) == ["+1.00"]


def test_a_sweep_ends_with_main_effects(two_worker_sweep, capsys):
    from scsim.sweep import print_result

    _, folder, result = two_worker_sweep
    effects = pd.read_csv(folder / "effects.csv")
    assert len(effects) > 0 and {"rho_behaviour.ties.cut_rate", "rho_population.tau_alpha"} <= set(effects.columns)
    assert effects[["rho_behaviour.ties.cut_rate", "rho_population.tau_alpha"]].abs().le(1).all().all()
    assert result.effects_plot == folder / "main_effects.png" and result.effects_plot.stat().st_size > 0
    print_result(result)
    out = capsys.readouterr().out
    assert "main effects" in out and "rho cut_rate" in out and "3 points x 2 seeds" in out


def test_a_full_disk_while_combining_is_one_line_and_leaves_no_combined_file(tmp_path, scheduler, capsys, monkeypatch):
    """ENOSPC while the combined outputs are written (here summary.csv, after sweep.duckdb):
    one line, exit 2, none of them left (nor a temporary), the finished runs kept; a rerun
    combines them."""
    import errno
    import os

    path = sweep_file(tmp_path / "grid.toml", "grid", '"behaviour.ties.cut_rate" = [0.1, 0.5]', seeds=1)
    out = tmp_path / "out"
    to_csv = pd.DataFrame.to_csv

    def full(self, target=None, *a, **k):
        if target is not None and Path(target).name.startswith(".summary"):
            Path(target).write_text("run_id,half")
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return to_csv(self, target, *a, **k)

    monkeypatch.setattr(pd.DataFrame, "to_csv", full)
    rc = main(["sweep", str(path), "--scheduler", scheduler, "--out", str(out), "--quiet"])
    assert_one_line_exit_2(rc, capsys.readouterr().err, str(out / "summary.csv"), os.strerror(errno.ENOSPC),
                           "rerun to combine")
    assert sorted(p.name for p in out.iterdir()) == [RUNS_DIR, "sweep.json"]
    assert len(list((out / RUNS_DIR).glob("*.parquet"))) == 2
    monkeypatch.undo()
    assert main(["sweep", str(path), "--scheduler", scheduler, "--out", str(out), "--quiet"]) == 0
    assert {"sweep.duckdb", "summary.csv", "effects.csv"} <= {p.name for p in out.iterdir()}
