"""End to end: ``scsim run`` writes one complete DuckDB database per run, and ``lookup``,
``export``, ``validate``, ``presets`` and ``params`` work on it or beside it."""

from __future__ import annotations

import contextlib
import io
import os
import re
import tomllib
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow.parquet as pq
import pytest

import scsim
from scsim import engine
from scsim.cli import main
from scsim.engine import Simulation
from scsim.network import edgelist_path
from scsim.results import Run
from scsim.scenario import load_preset, load_scenario, month_label, parameter_table
from scsim.scoring import COMPONENTS

TABLES = ("citizens", "edge_events", "edges", "meta", "metrics", "snapshots")
REASONS = {"drag", "churn", "replace", "form"}
EGO_FACEBOOK = edgelist_path("ego-facebook")  # shipped with the package

CITIZENS, MONTHS, SEED = 1500, 72, 7  # mandatory from month 60: register, sanctions and drag cuts happen


def cli(capsys, *args) -> tuple[int, str, str]:
    rc = main([str(a) for a in args])
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err
    return rc, captured.out, captured.err


def connect(folder: Path) -> duckdb.DuckDBPyConnection:
    return duckdb.connect(str(folder / "results.duckdb"), read_only=True)


def count(con, table: str) -> int:
    return con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]


def stored_scenario(con, tmp_path: Path):
    """The scenario stored in meta, loaded back through the scenario file loader."""
    text = con.execute("SELECT value FROM meta WHERE key = 'scenario'").fetchone()[0]
    path = tmp_path / "stored.toml"
    path.write_text(text)
    return load_scenario(path)


@pytest.fixture(scope="module")
def expected():
    return load_preset("social-credit-2020").with_overrides(
        **{"population.citizens": CITIZENS, "run.months": MONTHS, "run.seed": SEED})


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("cli") / "run"
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        rc = main(["run", "--preset", "social-credit-2020", "--citizens", str(CITIZENS), "--months", str(MONTHS),
                   "--seed", str(SEED), "--out", str(folder), "--quiet"])
    assert rc == 0, err.getvalue()
    # --quiet: only the database path on stdout, nothing on stderr
    assert out.getvalue().strip() == str(folder / "results.duckdb")
    assert err.getvalue() == ""
    return folder


@pytest.fixture
def con(run_dir):
    c = connect(run_dir)
    yield c
    c.close()


# ----------------------------------------------------------------------------- the database


def test_database_is_complete_and_alone(run_dir):
    assert (run_dir / "results.duckdb").is_file()
    assert not (run_dir / "results.duckdb.partial").exists()
    assert sorted(p.name for p in run_dir.iterdir()) == ["results.duckdb"]


def test_tables(con):
    names = {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
    assert names == set(TABLES)


def test_meta(con, tmp_path, expected):
    meta = dict(con.execute("SELECT key, value FROM meta").fetchall())
    assert meta["status"] == "complete"
    assert meta["seed"] == str(SEED)
    assert meta["version"] == scsim.__version__
    assert meta["name"] == "social-credit-2020"
    assert meta["citizens"] == str(CITIZENS)
    assert meta["months"] == str(MONTHS)
    assert float(meta["seconds"]) > 0
    # the stored scenario is valid TOML that loads back to exactly the scenario that ran
    assert tomllib.loads(meta["scenario"])["run"]["seed"] == SEED
    assert stored_scenario(con, tmp_path).model_dump() == expected.model_dump()


def test_metrics_one_row_per_month(con, expected):
    m = con.execute("SELECT * FROM metrics ORDER BY month").df()
    assert m["month"].tolist() == list(range(MONTHS))
    assert m["date"].iloc[0] == expected.run.start
    assert m["date"].iloc[-1] == month_label(expected.run.start, MONTHS - 1)
    scored = m["opted_share"] > 0  # the mean is of published scores: none before the opt-in phase
    assert scored.iloc[-1] and not scored.iloc[0]
    assert m["score_mean"].isna().tolist() == (~scored).tolist()
    assert m.loc[scored, "score_mean"].between(expected.scoring.min_score, expected.scoring.max_score).all()
    assert m["opted_share"].between(0, 1).all()
    assert m["opted_share"].iloc[-1] == pytest.approx(1.0)  # everybody is scored once mandatory


def test_citizens_one_row_per_citizen(con, expected):
    c = con.execute("SELECT citizen, score, published, degree FROM citizens ORDER BY citizen").df()
    assert c["citizen"].tolist() == list(range(CITIZENS))
    assert c["score"].between(expected.scoring.min_score, expected.scoring.max_score).all()


def test_edges_are_the_final_network(con):
    e = con.execute("SELECT u, v, kind::VARCHAR AS kind FROM edges").df()
    assert len(e) > CITIZENS
    assert ((e["u"] >= 0) & (e["u"] < e["v"]) & (e["v"] < CITIZENS)).all()
    assert not e.duplicated(["u", "v"]).any()
    assert set(e["kind"]) == {"friend", "family"}
    degree_sum = con.execute("SELECT sum(degree) FROM citizens").fetchone()[0]
    assert degree_sum == 2 * len(e)


def test_snapshots_every_k_months_and_the_last(con, expected):
    k = expected.run.snapshot_every
    months = [r[0] for r in con.execute("SELECT DISTINCT month FROM snapshots ORDER BY month").fetchall()]
    assert months == sorted(set(range(0, MONTHS, k)) | {MONTHS - 1})
    per_month = con.execute("SELECT month, count(*), count(DISTINCT citizen) FROM snapshots GROUP BY month").fetchall()
    assert all(n == CITIZENS and d == CITIZENS for _, n, d in per_month)
    # the last snapshot is the final state
    last = con.execute(f"SELECT s.citizen FROM snapshots s JOIN citizens c USING (citizen) "
                       f"WHERE s.month = {MONTHS - 1} AND s.degree <> c.degree").fetchall()
    assert last == []


def test_edge_events(con):
    ev = con.execute("SELECT month, u, v, event::VARCHAR AS event, reason::VARCHAR AS reason FROM edge_events").df()
    assert len(ev) > 0
    assert ev["month"].between(0, MONTHS - 1).all()
    assert set(ev["reason"]) <= REASONS
    assert {"drag", "churn", "form"} <= set(ev["reason"])
    assert (ev.loc[ev["reason"].isin(["drag", "churn"]), "event"] == "cut").all()
    assert (ev.loc[ev["reason"].isin(["replace", "form"]), "event"] == "made").all()
    assert ((ev["u"] != ev["v"]) & ev["u"].between(0, CITIZENS - 1) & ev["v"].between(0, CITIZENS - 1)).all()
    # the events after month 0 account for every change between the first snapshot and the end
    ties_after_month0 = con.execute("SELECT sum(degree) FROM snapshots WHERE month = 0").fetchone()[0] // 2
    later = ev[ev["month"] >= 1]
    net = int((later["event"] == "made").sum() - (later["event"] == "cut").sum())
    assert ties_after_month0 + net == count(con, "edges")


# ----------------------------------------------------------------------------- lookup and export


def test_lookup_explains_score_and_draggers(capsys, con, run_dir):
    citizen, score, draggers = con.execute(
        "SELECT citizen, score, draggers FROM citizens ORDER BY draggers DESC, citizen LIMIT 1").fetchone()
    assert draggers > 0
    rc, out, err = cli(capsys, "lookup", run_dir, citizen)
    assert rc == 0, err
    assert f"citizen {citizen}" in out.splitlines()[0]
    shown = float(re.search(r"^\s*score\s+(-?[\d.]+)", out, re.M).group(1))
    assert shown == pytest.approx(score, abs=0.051)
    # every component on its own line; base + components + clamp = the printed total = the score
    parts = {}
    for name in ("base", *COMPONENTS, "clamp"):
        m = re.search(rf"^\s*{name}\s+([+-]?[\d.]+)\s*$", out, re.M)
        assert m, f"no line for {name}:\n{out}"
        parts[name] = float(m.group(1))
    total = float(re.search(r"= total\s+(-?[\d.]+)", out).group(1))
    assert sum(parts.values()) == pytest.approx(total, abs=0.05 * len(parts))
    assert total == pytest.approx(score, abs=0.051)
    # the friends drawing the score down, and they are friends
    n = int(re.search(r"friends drawing the score down: (\d+)", out).group(1))
    assert n == len(scsim.Run.open(run_dir).explain(citizen).draggers)
    assert n == draggers > 0  # counted as the citizens table counts them (register.min_drag)
    listed = [int(x) for x in re.findall(r"^\s+citizen\s+(\d+) \((?:friend|family), score", out, re.M)]
    assert len(listed) == min(n, 10)
    more = re.search(r"and (\d+) more", out)
    assert (int(more.group(1)) if more else 0) == n - len(listed)
    assert "-0.0" not in out and re.search(r"tau .*: \d\.\d{3}", out)
    assert re.search(r"^\s+(on|not on) the register", out, re.M)
    neighbours = {r[0] for r in con.execute("SELECT CASE WHEN u = ? THEN v ELSE u END FROM edges WHERE u = ? OR v = ?",
                                            [citizen, citizen, citizen]).fetchall()}
    assert set(listed) <= neighbours


def test_export_parquet_matches_duckdb(capsys, con, run_dir, tmp_path):
    target = tmp_path / "parquet"
    rc, out, err = cli(capsys, "export", run_dir, "--parquet", target)
    assert rc == 0, err
    assert sorted(Path(line).name for line in out.split()) == [f"{t}.parquet" for t in TABLES]
    assert sorted(p.name for p in target.iterdir()) == [f"{t}.parquet" for t in TABLES]
    for table in TABLES:
        assert pq.read_table(target / f"{table}.parquet").num_rows == count(con, table), table
    metrics = pd.read_parquet(target / "metrics.parquet").sort_values("month").reset_index(drop=True)
    pd.testing.assert_frame_equal(metrics, con.execute("SELECT * FROM metrics ORDER BY month").df(),
                                  check_dtype=False)
    events = pd.read_parquet(target / "edge_events.parquet")
    assert set(events["reason"].astype(str)) <= REASONS


def test_plot_draws_every_panel(capsys, run_dir, tmp_path):
    import shutil

    copy = tmp_path / "run"
    shutil.copytree(run_dir, copy)
    rc, out, err = cli(capsys, "plot", copy)
    assert rc == 0, err
    assert out.strip() == str(copy / "metrics.png") and (copy / "metrics.png").stat().st_size > 20_000
    rc, out, err = cli(capsys, "plot", run_dir, "--out", tmp_path / "m.svg")
    assert rc == 0 and "<svg" in (tmp_path / "m.svg").read_text()[:500]
    fig = Run.open(run_dir).plot()
    titles = [ax.get_title() for ax in fig.axes]
    assert titles[:4] == ["scores", "privileges", "speech", "sanctions and register"] and len(titles) == 8
    assert all(ax.get_legend() is not None for ax in fig.axes)  # every panel has data under social-credit-2020
    assert {t.get_text() for t in fig.axes[0].get_legend().get_texts()} >= {"median published score"}


def test_plot_of_a_regime_without_scores_says_so(tmp_path):
    from scsim.plots import run_figure

    run = scsim.simulate(load_preset("provocateur").with_overrides(
        **{"population.citizens": 300, "run.months": 64}))
    fig = run_figure(run.metrics, run.scenario)
    scores, speech = fig.axes[0], fig.axes[2]
    assert scores.get_legend() is None and "this regime has no score" in {t.get_text() for t in scores.texts}
    assert {t.get_text() for t in speech.get_legend().get_texts()} == {"would post", "posted", "self-censorship rate"}
    assert "mandatory 2020-01" in fig.get_suptitle()  # 64 months reach 2020-05


def test_plot_names_only_the_dates_its_calendar_reaches():
    from scsim.plots import run_figure

    run = scsim.simulate(load_preset("sesame-2015").with_overrides(**{"population.citizens": 300, "run.months": 24}))
    fig = run_figure(run.metrics, run.scenario)
    title = fig.get_suptitle()
    assert "opt-in 2015-06" in title and "mandatory" not in title  # the run ends in 2016-12
    assert sum(len(ax.get_lines()) for ax in fig.axes) > 0
    assert len([ln for ln in fig.axes[0].get_lines() if ln.get_linestyle() == "--"]) == 1


@pytest.mark.parametrize("args, needle", [(["nowhere"], "no run here"), (["RUN", "--out", "x.txt"], ".png")])
def test_plot_bad_input(capsys, run_dir, tmp_path, args, needle):
    args = [str(run_dir) if a == "RUN" else str(tmp_path / a) if a == "nowhere" else a for a in args]
    rc, out, err = cli(capsys, "plot", *args)
    assert rc == 2 and needle in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "x.txt").exists()


# ----------------------------------------------------------------------------- other commands


def test_validate_good_file(capsys, tmp_path):
    path = tmp_path / "good.toml"
    path.write_text('extends = "western"\nname = "w"\n[population]\ncitizens = 5000\n[run]\nmonths = 24\n')
    rc, out, err = cli(capsys, "validate", path)
    assert rc == 0, err
    assert "ok" in out and "5,000 citizens" in out and "24 months" in out
    assert err == ""


def test_presets(capsys):
    rc, out, err = cli(capsys, "presets")
    assert rc == 0, err
    names = [line.split()[0] for line in out.splitlines() if line.strip()]
    assert names == ["provocateur", "provocateur-no-fear", "sesame-2015", "social-credit-2020", "western"]
    assert all(len(line.split()) > 1 for line in out.splitlines())  # each with its description


def _params(capsys, *args) -> tuple[list[str], dict[str, str]]:
    """``scsim params`` output: its lines, and each parameter's first line by key."""
    rc, out, err = cli(capsys, "params", *args)
    assert rc == 0, err
    lines = out.splitlines()
    keys = {r[0] for r in parameter_table()}
    return lines, {line.split()[0]: line for line in lines if line.strip() and line.split()[0] in keys}


def test_params_is_a_table_of_the_preset_scsim_run_runs(capsys):
    lines, rows = _params(capsys)
    assert "values of social-credit-2020" in lines[0]
    assert lines[1].split() == ["key", "social-credit-2020", "unit", "range", "meaning"]  # a header
    assert len(rows) == len(parameter_table())
    assert re.search(r"\b100000\s+citizens\s+>=2\b", rows["population.citizens"])
    assert re.search(r"\bmonths\s+>=1 <=2400\b", rows["run.months"])
    assert "probability" in rows["economy.borrow_prob"]
    assert "utility/month" in rows["behaviour.ties.friend_value"]
    # what scsim run runs, not the schema's defaults (association off, politics off)
    assert re.match(r"scoring\.association\.mode\s+mean\s", rows["scoring.association.mode"])
    # no value is cut: every privilege of the preset is there, whole
    text = "\n".join(lines)
    for p in load_preset("social-credit-2020").privileges:
        assert f"name={p.name}, threshold={p.threshold}, value={p.value}" in text
    assert "[[privileges]]" in text  # text, not rich markup


def test_params_with_preset_shows_its_values(capsys):
    lines, rows = _params(capsys, "--preset", "sesame-2015")
    assert re.match(r"scoring\.association\.mode\s+mean\s", rows["scoring.association.mode"])
    assert re.match(r"scoring\.base\s+290\.0\s", rows["scoring.base"])


def test_params_search(capsys):
    _, rows = _params(capsys, "--search", "Association")
    assert "scoring.association.penalty" in rows and "behaviour.ties.score_seeking" in rows  # key or meaning
    assert "run.months" not in rows
    rc, out, err = cli(capsys, "params", "--search", "zzzz")
    assert rc == 2 and "--search zzzz: no parameter" in err and out == ""


def test_version(capsys):
    assert main(["--version"]) == 0  # (argparse's exit, caught at the boundary)
    assert capsys.readouterr().out.strip() == f"scsim {scsim.__version__}"


def test_set_applies_like_the_file(capsys, tmp_path):
    out = tmp_path / "r"
    rc, _, err = cli(capsys, "run", "--preset", "sesame-2015", "--set", "population.citizens=400",
                     "--set", "run.months=3", "--set", "scoring.association.mode=penalty",
                     "--set", 'scoring.association.line = 560.5', "--out", out, "--quiet")
    assert rc == 0, err
    sc = Run.open(out).scenario
    assert (sc.population.citizens, sc.run.months, sc.scoring.association.mode) == (400, 3, "penalty")
    assert sc.scoring.association.line == 560.5


@pytest.mark.parametrize("setting, message", [
    ("scoring.association.mod=penalty", "--set: unknown key 'scoring.association.mod' (did you mean 'mode'?)"),
    ("behaviour.ties.cut_rate=2", "--set: behaviour.ties.cut_rate: Input should be less than or equal to 1"),
    ("scoring.association.mode=nope", "--set: scoring.association.mode: Input should be 'off', 'mean' or 'penalty'"),
    ("run.seed.x=1", "--set: run.seed.x: 'run.seed' is a value, not a section"),
    ("run.months", "--set run.months: expected KEY=VALUE"),
])
@pytest.mark.parametrize("command", [["run", "--months", "2"], ["compare", "--seeds", "2", "--months", "2"],
                                     ["study", str(Path(__file__).parents[1] / "studies" / "stasi"), "--fast"]])
def test_set_errors_are_one_line_and_nothing_is_written(capsys, tmp_path, setting, message, command):
    out = tmp_path / "out"
    rc, _, err = cli(capsys, *command, "--set", setting, "--out", out, "--quiet")
    assert rc == 2 and message in err and len(err.strip().splitlines()) == 1, err
    assert not out.exists()


def test_overwrite_replaces_a_run(capsys, tmp_path):
    out = tmp_path / "r"
    args = ["run", "--preset", "western", "--citizens", "300", "--months", "2", "--out", out, "--quiet"]
    assert cli(capsys, *args, "--seed", "1")[0] == 0
    (out / "notes.txt").write_text("mine")
    rc, _, err = cli(capsys, *args, "--seed", "2")
    assert rc == 2 and "already holds a run; choose another --out, or pass --overwrite" in err
    assert cli(capsys, *args, "--seed", "2", "--overwrite")[0] == 0
    assert Run.open(out).seed == 2 and (out / "notes.txt").read_text() == "mine"


def test_api_overwrite_and_reprs(tmp_path):
    sc = load_preset("sesame-2015").with_overrides(**{"population.citizens": 300, "run.months": 3})
    assert repr(sc).startswith("Scenario('sesame-2015': 300 citizens, 3 months from 2015-01, seed")
    assert str(sc) == repr(sc)  # print(sc) too, not pydantic's every field (sc.to_toml() has those)
    run = scsim.simulate(sc, out=tmp_path / "r")
    assert repr(run) == f"<scsim.Run 'sesame-2015': 300 citizens, 3 months, seed {sc.run.seed}, in {tmp_path / 'r'}>"
    with pytest.raises(scsim.InputError, match="already holds a run; choose another folder, or pass overwrite=True"):
        scsim.simulate(sc, out=tmp_path / "r")
    again = scsim.simulate(sc.with_overrides(**{"run.seed": 5}), out=tmp_path / "r", overwrite=True)
    assert Run.open(again.path).seed == 5 and "300 citizens" in repr(Run.open(again.path))
    assert "in memory" in repr(scsim.simulate(sc))
    from scsim.engine import Simulation

    net = Simulation(sc).net  # README's step-by-step API: sim.net
    assert repr(net) == f"<scsim Network: 300 citizens, {net.n_edges:,} ties (mean degree {2 * net.n_edges / 300:.1f})>"
    ex = run.explain(3)
    assert re.match(r"<Explanation of citizen 3: score \d+\.\d, (published|not published: not opted in), \d+ ties, "
                    r"\d+ drawing the score down", repr(ex))


def test_run_prints_summary_and_results_path(capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("COLUMNS", "200")  # rich would wrap a long path at 80 columns
    rc, out, err = cli(capsys, "run", "--preset", "sesame-2015", "--citizens", "1000", "--months", "36")
    assert rc == 0, err
    assert "mean score" in out and "share scored" in out
    m = re.search(r"results: (runs/sesame-2015-seed\d+-\d{8}-\d{6}/results\.duckdb)", out)
    assert m, out
    db = tmp_path / m.group(1)
    assert db.is_file()
    c = duckdb.connect(str(db), read_only=True)
    try:
        assert count(c, "metrics") == 36 and count(c, "citizens") == 1000
    finally:
        c.close()


def test_run_metrics_are_read_from_the_database_when_first_asked_for(tmp_path):
    """``scsim run`` never reads its metrics back (pandas and the read cost ~0.8 s on the main
    thread); ``Run.metrics`` loads the table on first use, the same rows as a run in memory."""
    assert main(["run", "--preset", "western", "--citizens", "200", "--months", "3", "--quiet",
                 "--out", str(tmp_path / "r")]) == 0
    run = Run.open(tmp_path / "r")
    assert run._metrics is None
    m = run.metrics
    assert list(m["month"]) == [0, 1, 2] and run.metrics is m
    mem = scsim.simulate(load_preset("western").with_overrides(**{"population.citizens": 200, "run.months": 3}))
    pd.testing.assert_frame_equal(m[["month", "score_mean", "edges"]], mem.metrics[["month", "score_mean", "edges"]],
                                  check_dtype=False)


def test_scenario_file_extending_a_preset(capsys, tmp_path):
    path = tmp_path / "mine.toml"
    path.write_text('extends = "sesame-2015"\nname = "my-sesame"\n[population]\ncitizens = 1200\n'
                    '[run]\nmonths = 24\nseed = 3\n[scoring.association]\npoints = 30.0\n')
    folder = tmp_path / "run"
    rc, out, err = cli(capsys, "run", path, "--out", folder, "--quiet")
    assert rc == 0, err
    with contextlib.closing(connect(folder)) as c:
        sc = stored_scenario(c, tmp_path)
        assert count(c, "citizens") == 1200 and count(c, "metrics") == 24
        assert dict(c.execute("SELECT key, value FROM meta").fetchall())["seed"] == "3"
    assert sc.name == "my-sesame"
    assert sc.scoring.association.points == 30.0  # overridden
    assert sc.scoring.association.mode == "mean"  # inherited from sesame-2015
    assert sc.scoring.base == 290.0  # inherited
    assert (sc.population.citizens, sc.run.months, sc.run.seed) == (1200, 24, 3)
    assert sc.model_dump() == load_scenario(path).model_dump()


def test_edge_list_scenario_ego_facebook(capsys, tmp_path):
    path = tmp_path / "facebook.toml"
    rel = os.path.relpath(EGO_FACEBOOK, tmp_path)  # relative to the scenario file
    path.write_text(f'extends = "social-credit-2020"\n[run]\nmonths = 3\n'
                    f'[network]\nmodel = "edgelist"\npath = "{rel}"\n')
    folder = tmp_path / "run"
    rc, out, err = cli(capsys, "run", path, "--out", folder, "--quiet")
    assert rc == 0, err
    with contextlib.closing(connect(folder)) as c:
        assert count(c, "citizens") == 4039
        assert dict(c.execute("SELECT key, value FROM meta").fetchall())["citizens"] == "4039"
        assert count(c, "metrics") == 3
        friends = c.execute("SELECT count(*) FROM edges WHERE kind = 'friend'").fetchone()[0]
        assert friends == pytest.approx(88234, rel=0.02)  # the file's ties, give or take 3 months of churn
        sc = stored_scenario(c, tmp_path)
    assert Path(sc.network.path) == EGO_FACEBOOK.resolve()


def test_the_bundled_network_is_named_in_a_scenario(tmp_path):
    """path = "ego-facebook" is the graph shipped with scsim, whatever folder the scenario is in."""
    path = tmp_path / "fb.toml"
    path.write_text('extends = "social-credit-2020"\n[network]\nmodel = "edgelist"\npath = "ego-facebook"\n')
    sc = load_scenario(path)
    assert sc.network.path == "ego-facebook" and EGO_FACEBOOK.is_file()
    assert EGO_FACEBOOK.parent.name == "data" and EGO_FACEBOOK.parent.parent.name == "scsim"
    sim = Simulation(sc.with_overrides(**{"run.months": 1}))
    assert sim.n == 4039


# ----------------------------------------------------------------------------- failed runs


def _fail_at(monkeypatch, month: int, exc: BaseException, folder: Path) -> list[bool]:
    """Make Simulation.step raise ``exc`` at ``month``; records whether the partial database existed."""
    real = engine.Simulation.step
    seen: list[bool] = []

    def step(self):
        if self.month == month:
            seen.append((folder / "results.duckdb.partial").is_file())
            raise exc
        return real(self)

    monkeypatch.setattr(engine.Simulation, "step", step)
    return seen


def _small():
    return load_preset("sesame-2015").with_overrides(**{"population.citizens": 1000, "run.months": 12})


def test_failed_run_leaves_no_folder(tmp_path, monkeypatch):
    folder = tmp_path / "run"
    seen = _fail_at(monkeypatch, 4, RuntimeError("boom"), folder)
    with pytest.raises(RuntimeError, match="boom"):
        scsim.simulate(_small(), out=folder)
    assert seen == [True]  # it failed mid-run, with a partial database on disk
    assert not folder.exists()


def test_failed_run_in_existing_folder_removes_only_its_database(tmp_path, monkeypatch):
    folder = tmp_path / "run"
    folder.mkdir()
    (folder / "notes.txt").write_text("mine")
    seen = _fail_at(monkeypatch, 4, RuntimeError("boom"), folder)
    with pytest.raises(RuntimeError):
        scsim.simulate(_small(), out=folder)
    assert seen == [True]
    assert sorted(p.name for p in folder.iterdir()) == ["notes.txt"]


def test_interrupted_cli_run_leaves_no_folder(capsys, tmp_path, monkeypatch):
    folder = tmp_path / "run"
    seen = _fail_at(monkeypatch, 3, KeyboardInterrupt(), folder)
    rc, out, err = cli(capsys, "run", "--preset", "sesame-2015", "--citizens", "1000", "--months", "12",
                       "--out", folder, "--quiet")
    assert rc == 130
    assert "interrupted" in err and len(err.strip().splitlines()) == 1
    assert seen == [True]
    assert not folder.exists()


def test_run_with_the_torch_backend_writes_the_same_database(tmp_path, capsys):
    """`--backend torch` on the CPU: the same decisions as the NumPy backend, so the same tables."""
    pytest.importorskip("torch", reason="the torch backend needs PyTorch")
    args = ["run", "--preset", "sesame-2015", "--citizens", "800", "--months", "14", "--quiet"]
    assert main([*args, "--out", str(tmp_path / "np")]) == 0
    assert main([*args, "--backend", "torch", "--out", str(tmp_path / "pt")]) == 0
    assert "no CUDA GPU found" in capsys.readouterr().err or __import__("torch").cuda.is_available()
    cons = [duckdb.connect(str(tmp_path / d / "results.duckdb"), read_only=True) for d in ("np", "pt")]
    for table in ("edges", "edge_events"):
        a, b = (c.execute(f"SELECT * FROM {table} ORDER BY ALL").df() for c in cons)
        assert len(a) > 0 and a.equals(b), table
    a, b = (c.execute("SELECT month, opted_share, posts_per_capita, edges FROM metrics ORDER BY month").df() for c in cons)
    assert a.equals(b)


def test_every_command_says_what_it_does_and_every_option_what_it_means():
    """`scsim COMMAND --help` is a newcomer's manual: a line on what the command does, and a
    meaning for every argument and option (argparse prints a bare name where none is given)."""
    import argparse

    from scsim.cli import build_parser

    parser = build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    bare = []
    for name, command in sub.choices.items():
        assert command.description and command.description.endswith("."), name
        assert "%%" not in command.format_help(), name
        bare += [f"scsim {name} {a.dest}" for a in command._actions
                 if not isinstance(a, argparse._HelpAction) and not a.help]
    assert bare == []
