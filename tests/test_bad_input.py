"""Bad input: one line on stderr saying where and what, exit status 2, no traceback, no run folder.

Most cases call ``scsim.cli.main`` in-process (fast); a few run ``python -m scsim`` in a real
process to prove the exit status and the absence of a traceback end to end.
"""

from __future__ import annotations

import gzip
import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from scsim.cli import main


# ----------------------------------------------------------------------------- helpers


def cli(capsys, *args) -> tuple[int, str, str]:
    rc = main([str(a) for a in args])
    captured = capsys.readouterr()
    return rc, captured.out, captured.err


def assert_input_error(rc: int, err: str, *needles: str) -> str:
    """Exit 2, exactly one non-empty line on stderr, no traceback, every needle in the line."""
    assert rc == 2, f"exit status {rc}, stderr: {err!r}"
    assert "Traceback" not in err
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert len(lines) == 1, f"expected one line on stderr, got {len(lines)}: {err!r}"
    line = lines[0]
    for needle in needles:
        assert needle in line, f"{needle!r} not in {line!r}"
    return line


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def run_file(capsys, scenario: Path, out: Path, *extra) -> tuple[int, str, str]:
    return cli(capsys, "run", scenario, "--out", out, "--quiet", *extra)


EDGE_SCENARIO = """\
extends = "sesame-2015"
[run]
months = 2
[network]
model = "edgelist"
path = "{path}"
"""


def edge_scenario(folder: Path, edges: str | bytes | None, name: str = "edges.txt") -> Path:
    """A scenario in ``folder`` whose edge list ``name`` (relative path) holds ``edges``
    (None: no edge-list file at all)."""
    folder.mkdir(parents=True, exist_ok=True)
    if edges is not None:
        data = edges.encode() if isinstance(edges, str) else edges
        (folder / name).write_bytes(gzip.compress(data) if name.endswith(".gz") else data)
    return write(folder / "scenario.toml", EDGE_SCENARIO.format(path=name))


@pytest.fixture
def out(tmp_path) -> Path:
    """The --out folder; every bad-input test checks it was never created."""
    folder = tmp_path / "out"
    yield folder
    assert not folder.exists(), f"bad input left a results folder behind: {folder}"


@pytest.fixture(scope="module")
def finished_run(tmp_path_factory) -> Path:
    """A small complete run (300 citizens, 3 months)."""
    folder = tmp_path_factory.mktemp("finished") / "run"
    assert main(["run", "--preset", "sesame-2015", "--citizens", "300", "--months", "3",
                 "--out", str(folder), "--quiet"]) == 0
    assert (folder / "results.duckdb").is_file()
    return folder


# ----------------------------------------------------------------------------- scenario files


def test_invalid_toml_names_file_and_line(capsys, tmp_path, out):
    sc = write(tmp_path / "broken.toml", 'name = "a"\n[run]\nmonths = = 3\nseed = 1\n')
    rc, _, err = run_file(capsys, sc, out)
    line = assert_input_error(rc, err, "broken.toml", "line 3")
    assert "TOML" in line


def test_duplicate_table_is_invalid_toml(capsys, tmp_path, out):
    sc = write(tmp_path / "twice.toml", '[run]\nmonths = 3\n[run]\nseed = 1\n')
    rc, _, err = run_file(capsys, sc, out)
    assert_input_error(rc, err, "twice.toml", "line 3")


@pytest.mark.parametrize("text, key, suggestion", [
    ('descripton = "x"\n', "descripton", "description"),
    ("[sanctionz]\nenabled = true\n", "sanctionz", "sanctions"),
    ('[scoring.association]\nmod = "mean"\n', "scoring.association.mod", "mode"),
    ('extends = "sesame-2015"\n[scoring.association]\nmod = "mean"\n', "scoring.association.mod", "mode"),
    ("[behaviour.ties]\ncutrate = 0.1\n", "behaviour.ties.cutrate", "cut_rate"),
    ('[[privileges]]\nnme = "x"\nthreshold = 600\n', "privileges[0].nme", "name"),
], ids=["top-level", "section", "nested", "nested-after-extends", "deep", "list-of-tables"])
def test_unknown_key_suggests_the_right_one(capsys, tmp_path, out, text, key, suggestion):
    sc = write(tmp_path / "typo.toml", text)
    rc, _, err = run_file(capsys, sc, out)
    line = assert_input_error(rc, err, "typo.toml", key, "did you mean")
    assert f"'{suggestion}'" in line


@pytest.mark.parametrize("text, key, what", [
    ("[economy]\nborrow_prob = 1.5\n", "economy.borrow_prob", "less than or equal to 1"),
    ("[behaviour.ties]\nchurn = 1.5\n", "behaviour.ties.churn", "less than or equal to 1"),
    ("[network]\nrewire = -0.1\n", "network.rewire", "greater than or equal to 0"),
    ("[run]\nmonths = 0\n", "run.months", "greater than or equal to 1"),
    ('[run]\nmonths = "ten"\n', "run.months", "integer"),
    ('[scoring.association]\nmode = "median"\n', "scoring.association.mode", "'penalty'"),
])
def test_value_out_of_range_names_the_key(capsys, tmp_path, out, text, key, what):
    sc = write(tmp_path / "range.toml", text)
    rc, _, err = run_file(capsys, sc, out)
    assert_input_error(rc, err, "range.toml", key, what)


def test_privilege_thresholds_must_increase(capsys, tmp_path, out):
    sc = write(tmp_path / "priv.toml", '[[privileges]]\nname = "a"\nthreshold = 700\n'
                                       '[[privileges]]\nname = "b"\nthreshold = 650\n')
    rc, _, err = run_file(capsys, sc, out)
    assert_input_error(rc, err, "priv.toml", "privileges", "increasing")


@pytest.mark.parametrize("lo, hi", [(700, 600), (600, 600)])
def test_min_score_must_be_below_max_score(capsys, tmp_path, out, lo, hi):
    sc = write(tmp_path / "range.toml", f"[scoring]\nmin_score = {lo}\nmax_score = {hi}\n")
    rc, _, err = run_file(capsys, sc, out)
    assert_input_error(rc, err, "range.toml", "min_score", "max_score")


def test_unknown_preset_in_extends_names_file_and_key(capsys, tmp_path, out):
    sc = write(tmp_path / "child.toml", 'extends = "sesame2015"\n')
    rc, _, err = run_file(capsys, sc, out)
    # what is wrong, with a suggestion ...
    line = assert_input_error(rc, err, "unknown preset", "sesame2015", "'sesame-2015'")
    # ... and where: the file and the key, like every other scenario error
    assert "child.toml" in line and "extends" in line, line


@pytest.mark.parametrize("section, key, value", [
    ("run", "start", "Jan 2015"),
    ("phases", "optin_start", "2015-13"),
    ("phases", "mandatory_start", "2020-1"),
    ("sanctions", "start", "2020-13"),
])
def test_bad_month_names_file_key_and_value(capsys, tmp_path, out, section, key, value):
    sc = write(tmp_path / "month.toml", f'[{section}]\n{key} = "{value}"\n')
    rc, _, err = run_file(capsys, sc, out)
    line = assert_input_error(rc, err, "month.toml", f"'{value}'", "YYYY-MM")
    # the message must say which key holds the bad month (e.g. 'sanctions.start'), as value
    # errors do ('economy.borrow_prob: ...'), not only the section or nothing at all
    where = line.split("month.toml", 1)[1]
    assert section in where and key in where, line


def test_missing_scenario_file(capsys, tmp_path, out):
    rc, _, err = run_file(capsys, tmp_path / "nowhere.toml", out)
    assert_input_error(rc, err, "nowhere.toml", "no such")


def test_scenario_that_is_not_utf8(capsys, tmp_path, out):
    sc = tmp_path / "binary.toml"
    sc.write_bytes(b"\xff\xfe\x00name")
    rc, _, err = run_file(capsys, sc, out)
    assert_input_error(rc, err, "binary.toml")


def test_validate_reports_the_same_errors(capsys, tmp_path):
    sc = write(tmp_path / "typo.toml", '[scoring.association]\nmod = "mean"\n')
    rc, out, err = cli(capsys, "validate", sc)
    assert_input_error(rc, err, "typo.toml", "scoring.association.mod", "'mode'")
    assert "ok" not in out


def test_bad_scenario_without_out_creates_no_runs_folder(capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write(tmp_path / "bad.toml", "[economy]\nborrow_prob = 1.5\n")
    rc, _, err = cli(capsys, "run", "bad.toml", "--quiet")
    assert_input_error(rc, err, "bad.toml")
    assert not (tmp_path / "runs").exists()


# ----------------------------------------------------------------------------- edge lists


@pytest.mark.parametrize("edges, lineno, what", [
    ("0 1\n1 x\n", 2, "integer"),
    ("0 1\n1.5 2\n", 2, "integer"),
    ("0 1\n-1 2\n", 2, "non-negative"),
    ("0 1\n# a comment\n2 2\n", 3, "self-loop"),
    ("1 2\n0 1\n2 1\n", 3, "duplicate"),
    ("1 2\n1 2\n", 2, "duplicate"),
    ("0 1\n1\n", 2, "two"),
], ids=["non-numeric", "float", "negative", "self-loop", "duplicate-reversed", "duplicate-same", "one-id"])
def test_malformed_edge_list_names_file_and_line(capsys, tmp_path, out, edges, lineno, what):
    sc = edge_scenario(tmp_path / "sc", edges)
    rc, _, err = run_file(capsys, sc, out)
    assert_input_error(rc, err, f"edges.txt:{lineno}", what)


def test_duplicate_tie_points_at_the_first_one(capsys, tmp_path, out):
    sc = edge_scenario(tmp_path / "sc", "1 2\n0 1\n2 1\n")
    rc, _, err = run_file(capsys, sc, out)
    assert_input_error(rc, err, "edges.txt:3", "2-1", "line 1")


def test_missing_edge_list(capsys, tmp_path, out):
    sc = edge_scenario(tmp_path / "sc", None)
    rc, _, err = run_file(capsys, sc, out)
    # the path is resolved relative to the scenario file, not the working directory
    assert_input_error(rc, err, str(tmp_path / "sc" / "edges.txt"), "no such")


def test_edge_list_with_only_comments_is_empty(capsys, tmp_path, out):
    sc = edge_scenario(tmp_path / "sc", "# nothing here\n\n   # nor here\n")
    rc, _, err = run_file(capsys, sc, out)
    assert_input_error(rc, err, "edges.txt", "empty")


def test_corrupt_gzip_edge_list(capsys, tmp_path, out):
    (tmp_path / "sc").mkdir()
    (tmp_path / "sc" / "edges.txt.gz").write_bytes(b"this is not gzip\n")
    sc = write(tmp_path / "sc" / "scenario.toml", EDGE_SCENARIO.format(path="edges.txt.gz"))
    rc, _, err = run_file(capsys, sc, out)
    assert_input_error(rc, err, "edges.txt.gz")


def test_edgelist_model_needs_a_path(capsys, tmp_path, out):
    sc = write(tmp_path / "nopath.toml", '[network]\nmodel = "edgelist"\n')
    rc, _, err = run_file(capsys, sc, out)
    assert_input_error(rc, err, "nopath.toml", "network", "path")


def test_citizens_cannot_override_an_edge_list(capsys, tmp_path, out):
    sc = edge_scenario(tmp_path / "sc", "0 1\n1 2\n")
    rc, _, err = run_file(capsys, sc, out, "--citizens", "100")
    assert_input_error(rc, err, "--citizens", "edge list")


def test_gzip_edge_list_runs_with_ids_relabelled(capsys, tmp_path):
    """A .gz edge list with sparse ids and comments: 4 citizens, exactly the 5 listed ties."""
    folder = tmp_path / "sc"
    folder.mkdir()
    (folder / "edges.txt.gz").write_bytes(gzip.compress(
        b"# sparse ids\n10 20\n20 30  # trailing comment\n30 40\n40 10\n\n10 30\n"))
    # no households and no tie dynamics, so the final network is the file's
    sc = write(folder / "scenario.toml", EDGE_SCENARIO.format(path="edges.txt.gz")
               + "household_size = 1.0\n[behaviour.ties]\nchurn = 0.0\ncut_rate = 0.0\nreplace = 0.0\n")
    run_dir = tmp_path / "run"
    rc, out, err = run_file(capsys, sc, run_dir)
    assert rc == 0, err
    assert "Traceback" not in err
    con = duckdb.connect(str(run_dir / "results.duckdb"), read_only=True)
    try:
        assert con.execute("SELECT count(*) FROM citizens").fetchone()[0] == 4
        edges = {tuple(sorted(e)) for e in con.execute("SELECT u, v FROM edges").fetchall()}
        assert edges == {(0, 1), (1, 2), (2, 3), (0, 3), (0, 2)}
    finally:
        con.close()


# ----------------------------------------------------------------------------- CLI arguments


@pytest.mark.parametrize("args, needles", [
    (["--citizens", "abc"], ["--citizens", "abc"]),
    (["--citizens", "-5"], ["--citizens", "-5"]),
    (["--citizens", "1"], ["--citizens"]),
    (["--months", "0"], ["--months"]),
    (["--months", "1e3"], ["--months", "1e3"]),
    (["--seed", "-1"], ["--seed"]),
    (["--preset", "nope"], ["unknown preset", "nope"]),
    (["--preset", "sesame2015"], ["unknown preset", "'sesame-2015'"]),
    (["--frobnicate"], ["--frobnicate"]),
], ids=["citizens-abc", "citizens-negative", "citizens-one", "months-zero", "months-float", "seed-negative",
        "unknown-preset", "preset-typo", "unknown-option"])
def test_bad_run_arguments(capsys, out, args, needles):
    base = [] if "--preset" in args else ["--preset", "sesame-2015"]
    rc, _, err = cli(capsys, "run", *base, *args, "--out", out, "--quiet")
    assert_input_error(rc, err, *needles)


def test_file_and_preset_together(capsys, tmp_path, out):
    sc = write(tmp_path / "ok.toml", 'extends = "sesame-2015"\n')
    rc, _, err = run_file(capsys, sc, out, "--preset", "western")
    assert_input_error(rc, err, "--preset", "not both")


@pytest.mark.parametrize("argv, needle", [
    (["frobnicate"], "frobnicate"),
    ([], "command"),
    (["lookup"], "run"),
])
def test_unknown_or_missing_subcommand(capsys, argv, needle):
    rc, out, err = cli(capsys, *argv)
    assert_input_error(rc, err, needle)
    assert out == ""


def test_lookup_citizen_out_of_range(capsys, finished_run):
    rc, out, err = cli(capsys, "lookup", finished_run, 300)
    assert_input_error(rc, err, "citizen 300", "0..299")
    assert out == ""
    # the last citizen is fine
    rc, out, err = cli(capsys, "lookup", finished_run, 299)
    assert rc == 0, err
    assert "citizen 299" in out


def test_lookup_negative_citizen(capsys, finished_run):
    rc, _, err = cli(capsys, "lookup", finished_run, -1)
    assert_input_error(rc, err, "citizen", "-1")


def _no_run_folders(tmp_path: Path) -> dict[str, Path]:
    empty = tmp_path / "empty"
    empty.mkdir()
    partial = tmp_path / "partial"
    partial.mkdir()
    (partial / "results.duckdb.partial").write_bytes(b"")
    return {"empty": empty, "missing": tmp_path / "missing", "partial": partial}


@pytest.mark.parametrize("kind", ["empty", "missing", "partial"])
def test_lookup_of_a_folder_without_a_run(capsys, tmp_path, kind):
    folder = _no_run_folders(tmp_path)[kind]
    rc, out, err = cli(capsys, "lookup", folder, 0)
    line = assert_input_error(rc, err, str(folder))
    assert ("incomplete" if kind == "partial" else "no run") in line
    assert out == ""


@pytest.mark.parametrize("kind", ["empty", "missing", "partial"])
def test_export_of_a_folder_without_a_run(capsys, tmp_path, kind):
    folder = _no_run_folders(tmp_path)[kind]
    parquet = tmp_path / "parquet"
    rc, out, err = cli(capsys, "export", folder, "--parquet", parquet)
    line = assert_input_error(rc, err, str(folder))
    assert ("incomplete" if kind == "partial" else "no run") in line
    assert not parquet.exists()


def test_export_needs_parquet_option(capsys, finished_run):
    rc, _, err = cli(capsys, "export", finished_run)
    assert_input_error(rc, err, "--parquet")


def test_out_folder_already_holding_a_run_is_refused_and_untouched(capsys, finished_run):
    db = finished_run / "results.duckdb"
    before = (db.stat().st_size, db.stat().st_mtime_ns)
    rc, _, err = cli(capsys, "run", "--preset", "sesame-2015", "--citizens", "300", "--months", "3",
                     "--out", finished_run, "--quiet")
    assert_input_error(rc, err, str(finished_run), "already holds a run")
    assert (db.stat().st_size, db.stat().st_mtime_ns) == before
    assert not (finished_run / "results.duckdb.partial").exists()
    rc, _, err = cli(capsys, "lookup", finished_run, 0)  # still a complete, readable run
    assert rc == 0, err


def test_out_folder_holding_a_partial_run_is_refused(capsys, tmp_path):
    folder = tmp_path / "crashed"
    folder.mkdir()
    (folder / "results.duckdb.partial").write_bytes(b"half a run")
    rc, _, err = cli(capsys, "run", "--preset", "sesame-2015", "--citizens", "300", "--months", "3",
                     "--out", folder, "--quiet")
    assert_input_error(rc, err, str(folder), "interrupted before its first checkpoint", f"scsim run --resume {folder}")
    assert (folder / "results.duckdb.partial").read_bytes() == b"half a run"
    assert not (folder / "results.duckdb").exists()


def test_out_pointing_to_a_file(capsys, tmp_path):
    target = tmp_path / "file.txt"
    target.write_text("keep me")
    rc, _, err = cli(capsys, "run", "--preset", "sesame-2015", "--citizens", "300", "--months", "3",
                     "--out", target, "--quiet")
    assert_input_error(rc, err, str(target), "not a folder")
    assert target.read_text() == "keep me"


def test_params_unknown_preset(capsys):
    rc, out, err = cli(capsys, "params", "--preset", "nope")
    assert_input_error(rc, err, "unknown preset", "nope")
    assert out == ""


# ----------------------------------------------------------------------------- real processes


def _scsim(*args, cwd: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONWARNINGS="ignore")
    return subprocess.run([sys.executable, "-m", "scsim", *map(str, args)], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=120)


def test_process_invalid_toml(tmp_path):
    sc = write(tmp_path / "broken.toml", '[run]\nmonths = 3\nseed = \n')
    p = _scsim("run", sc, "--out", tmp_path / "out", "--quiet", cwd=tmp_path)
    assert_input_error(p.returncode, p.stderr, "broken.toml", "line 3")
    assert p.stdout == ""
    assert not (tmp_path / "out").exists()


def test_process_bad_edge_list(tmp_path):
    sc = edge_scenario(tmp_path / "sc", "0 1\n1 2\n2 1\n")
    p = _scsim("run", sc, "--out", tmp_path / "out", "--quiet", cwd=tmp_path)
    assert_input_error(p.returncode, p.stderr, "edges.txt:3", "duplicate")
    assert not (tmp_path / "out").exists()


def test_process_bad_argument(tmp_path):
    p = _scsim("run", "--preset", "sesame-2015", "--citizens", "abc", "--out", tmp_path / "out", cwd=tmp_path)
    assert_input_error(p.returncode, p.stderr, "--citizens", "abc")
    assert "usage" not in p.stderr.lower()
    assert not (tmp_path / "out").exists()
    assert not (tmp_path / "runs").exists()


def test_process_finished_run_prints_its_path_and_leaves_a_complete_database(tmp_path):
    """A finished ``scsim run`` ends the process at once (``cli.entry``): its output must still
    be flushed and its database complete."""
    import duckdb

    p = _scsim("run", "--preset", "sesame-2015", "--citizens", "300", "--months", "3", "--quiet",
               "--out", tmp_path / "out", cwd=tmp_path)
    assert p.returncode == 0, p.stderr
    assert p.stdout.strip() == str(tmp_path / "out" / "results.duckdb")
    con = duckdb.connect(str(tmp_path / "out" / "results.duckdb"), read_only=True)
    assert con.execute("SELECT value FROM meta WHERE key = 'status'").fetchone()[0] == "complete"
    assert con.execute("SELECT count(*) FROM metrics").fetchone()[0] == 3
    con.close()
    p = _scsim("run", "--preset", "sesame-2015", "--citizens", "300", "--months", "2",
               "--out", tmp_path / "out2", cwd=tmp_path)  # with the summary table (rich) on stdout
    assert p.returncode == 0, p.stderr
    assert "results:" in p.stdout and "out2" in p.stdout
