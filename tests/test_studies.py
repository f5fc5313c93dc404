"""Each study of the article's claims runs in its fast mode, writes its figure and tables, and
finds what its full run finds in direction; bad study files fail with one line."""

import json

import pandas as pd
import pytest

from scsim.cli import main
from scsim.errors import InputError
from scsim.studies import STUDIES, run_study

from .conftest import REPO

FOLDERS = {name: REPO / "studies" / name for name in ("chilling-effect", "social-exile", "selection", "stasi")}
FACEBOOK = "ego-facebook"  # the SNAP graph shipped with scsim


def test_every_study_has_a_folder_with_a_readme():
    assert set(FOLDERS) | {"sensitivity"} == set(STUDIES)  # (sensitivity: tests/test_sensitivity.py)
    for name in STUDIES:
        folder = REPO / "studies" / name
        assert (folder / "study.toml").is_file() and (folder / "README.md").is_file()
        assert (folder / "results" / "results.json").is_file() and (folder / "results-facebook" / "results.json").is_file()


def flat_findings(found: dict, path: str = ""):
    """(path, value) for every finding of a study's results, nested dicts flattened."""
    for key, value in found.items():
        if key in ("study", "setting", "sizes"):
            continue
        if isinstance(value, dict):
            yield from flat_findings(value, f"{path}/{key}")
        elif isinstance(value, (str, float)) or value is None:
            yield f"{path}/{key}", value


@pytest.mark.parametrize("name", list(FOLDERS))
def test_fast_mode_writes_figures_and_tables(name, tmp_path):
    head = run_study(FOLDERS[name], fast=True, out=tmp_path)
    for f in ("figure.png", "table.csv", "table.md", "assumption.png", "assumption.csv", "results.json"):
        assert (tmp_path / f).stat().st_size > 0, f
    assert json.loads((tmp_path / "results.json").read_text())["study"] == name
    t = pd.read_csv(tmp_path / "table.csv")
    assert set(t.regime) == set(head["regimes"])
    assert t["mean"].notna().all()
    sweep = pd.read_csv(tmp_path / "assumption.csv")
    assert len(sweep) >= 2 and sweep["mean"].notna().all()
    leaves = dict(flat_findings(head))  # what `scsim study` prints: every finding has a value
    assert leaves and not [k for k, v in leaves.items() if not isinstance(v, str) or "nan" in v or v.strip() in {"", "—"}]
    if name == "chilling-effect":  # posts fall under the mandatory system, not under the control
        after = t[(t.metric == "posts_per_capita") & (t.window == "final year")].set_index("regime")["mean"]
        assert after["social-credit-2020"] < 0.8 * after["western"]
    if name == "stasi":
        arrested = t[t.metric == "arrested_share"].set_index("regime")["mean"]
        # (arrests at the GDR's rate are too rare to expect one among 400 citizens in 72 months)
        assert arrested["social-credit-2020"] == 0 and {"provocateur", "provocateur-no-fear"} <= set(arrested.index)


def test_a_study_runs_on_the_real_network(tmp_path):
    head = run_study(FOLDERS["stasi"], fast=True, edgelist=FACEBOOK, out=tmp_path)
    assert head["network"] == "ego-facebook.edges.gz"
    assert pd.read_csv(tmp_path / "table.csv")["mean"].notna().all()


@pytest.mark.parametrize("text,message", [
    ('study = "stasi"\nregimes = ["nowhere"]\n', "unknown regime 'nowhere'"),
    ('study = "stasi"\nregimes = ["western"]\nseed = 3\n', "seed: Extra inputs are not permitted"),
    ('study = "nothing"\nregimes = ["western"]\n', "unknown study 'nothing'"),
    ('study = "stasi"\nregimes = ["western"]\n[set]\n"population.nope" = 1\n', "population.nope"),
])
def test_bad_study_files_fail_with_one_line(tmp_path, text, message):
    (tmp_path / "study.toml").write_text(text)
    with pytest.raises(InputError, match=message) as err:
        run_study(tmp_path, fast=True, out=tmp_path / "out")
    assert "\n" not in str(err.value)
    assert not (tmp_path / "out").exists()


def test_a_bad_assumption_fails_before_any_run(tmp_path):
    (tmp_path / "study.toml").write_text('study = "stasi"\nregimes = ["western"]\n[assumption]\nregime = "provocateur"\n'
                                         'parameter = "provocateurs.arrest_rate"\nvalues = [0.1, 2.0]\n')
    with pytest.raises(InputError, match="arrest_rate"):
        run_study(tmp_path, fast=True, out=tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_the_study_command(tmp_path, capsys):
    from scsim.cli import main

    assert main(["study", str(FOLDERS["chilling-effect"]), "--fast", "--quiet", "--out", str(tmp_path)]) == 0
    assert (tmp_path / "figure.png").exists()
    assert main(["study", str(tmp_path / "nowhere"), "--fast"]) == 2
    assert "not a study folder" in capsys.readouterr().err


def test_workers_change_nothing(tmp_path):
    """Two local Dask workers give the same tables as one process."""
    run_study(FOLDERS["stasi"], fast=True, out=tmp_path / "one")
    run_study(FOLDERS["stasi"], fast=True, out=tmp_path / "two", workers=2)
    for f in ("table.csv", "assumption.csv", "results.json"):
        assert (tmp_path / "one" / f).read_text() == (tmp_path / "two" / f).read_text(), f


def test_an_unreachable_scheduler_fails_before_anything_is_written(tmp_path, capsys):
    out = tmp_path / "res"
    rc = main(["study", str(FOLDERS["stasi"]), "--fast", "--out", str(out), "--scheduler", "tcp://127.0.0.1:9",
               "--connect-timeout", "1"])
    err = capsys.readouterr().err
    assert rc == 2 and "cannot connect" in err and len(err.strip().splitlines()) == 1
    assert not out.exists()


def _tracked(folder) -> dict:
    """Every file git tracks under ``folder`` (every file, outside a git checkout), with its bytes."""
    import subprocess

    try:
        names = subprocess.run(["git", "ls-files", "-z", "."], cwd=folder, capture_output=True, check=True,
                               text=True).stdout.split("\0")
        files = [folder / n for n in names if n]
    except (OSError, subprocess.CalledProcessError):
        files = [p for p in folder.rglob("*") if p.is_file()]
    assert any(f.parent.name == "results" for f in files)
    return {f: f.read_bytes() for f in files}


def test_fast_leaves_the_published_results_untouched(tmp_path, monkeypatch, capsys):
    folder = FOLDERS["chilling-effect"]
    before = _tracked(folder)
    monkeypatch.chdir(tmp_path)
    assert main(["study", str(folder), "--fast"]) == 0
    assert _tracked(folder) == before
    scratch = tmp_path / "runs" / "studies" / "chilling-effect-fast"
    assert json.loads((scratch / "results.json").read_text())["fast"] is True
    out = capsys.readouterr().out
    assert "--fast: the test" in out and "posts" in out and "{" not in out  # a table, not JSON
    assert main(["study", str(folder), "--fast", "--quiet"]) == 0  # the scratch folder is replaced


@pytest.mark.parametrize("args, message", [
    (["--publish", "--fast"], "--publish regenerates the published results at the study's own sizes"),
    (["--publish", "--set", "behaviour.ties.cut_rate=0.5"], "drop --fast and --set"),
    (["--fast", "--set", "run.months=30"], "--set run.months: a study sets it itself"),
    (["--publish", "--out", "x"], "--publish writes to the study's folder: drop --out"),
])
def test_publish_runs_only_at_the_published_size(capsys, args, message):
    before = _tracked(FOLDERS["stasi"])
    assert main(["study", str(FOLDERS["stasi"]), *args]) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1
    assert _tracked(FOLDERS["stasi"]) == before


def test_an_out_folder_with_results_needs_overwrite(tmp_path, capsys):
    (tmp_path / "results.json").write_text("{}")
    assert main(["study", str(FOLDERS["stasi"]), "--fast", "--out", str(tmp_path), "--quiet"]) == 2
    assert "already holds a study's results; pass --overwrite" in capsys.readouterr().err
    assert (tmp_path / "results.json").read_text() == "{}"
    assert main(["study", str(FOLDERS["stasi"]), "--fast", "--out", str(tmp_path), "--quiet", "--overwrite",
                 "--table-format", "latex", "--set", "behaviour.ties.cut_rate=0.05"]) == 0
    found = json.loads((tmp_path / "results.json").read_text())
    assert found["study"] == "stasi" and found["set"] == {"behaviour.ties.cut_rate": 0.05}
    assert r"\begin{tabular}" in (tmp_path / "table.tex").read_text()
    assert (tmp_path / "assumption.tex").is_file() and (tmp_path / "social-credit-vs-provocateur.tex").is_file()
