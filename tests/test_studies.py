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
