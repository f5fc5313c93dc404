"""compare: intervals computed correctly on a known case, paired by seed, and the CLI."""

import logging
import math

import pandas as pd
import pytest

from scsim.cli import main
from scsim.experiments import summarise
from scsim.summary import interval


def test_interval_on_a_known_case():
    # values 1..5: mean 3, sd 1.5811, t(0.975, 4) = 2.7764 -> half-width 1.9632
    m, lo, hi, n, clipped = interval([1, 2, 3, 4, 5])
    assert n == 5 and not clipped
    assert m == 3
    assert hi - m == pytest.approx(2.776445 * math.sqrt(2.5) / math.sqrt(5), rel=1e-6)
    assert lo == pytest.approx(2 * m - hi)
    assert math.isnan(interval([7.0])[1]) and interval([math.nan, 2.0, 4.0])[0] == 3


def test_differences_are_paired_by_seed():
    """Seed effects shared by both regimes cancel: a constant +1 effect has a zero-width interval,
    although each regime's own interval is wide."""
    base = [10.0, 50.0, 30.0, 70.0]
    runs = pd.DataFrame({"regime": ["western"] * 4 + ["sc"] * 4, "seed": [1, 2, 3, 4] * 2,
                         "score_mean": base + [b + 1 for b in base]})
    t = summarise(runs, "western").set_index("regime")
    assert t.loc["sc", "diff"] == pytest.approx(1.0)
    assert t.loc["sc", "diff_low"] == pytest.approx(1.0) and t.loc["sc", "diff_high"] == pytest.approx(1.0)
    assert t.loc["sc", "high"] - t.loc["sc", "low"] > 50
    assert math.isnan(t.loc["western", "diff"])  # the baseline's difference from itself is left out


def test_compare_cli_on_a_tiny_case(tmp_path, capsys):
    out = tmp_path / "cmp"
    args = ["compare", "--presets", "western,social-credit-2020", "--seeds", "2", "--citizens", "600",
            "--months", "64", "--out", str(out), "--quiet"]
    rc = main([*args, "--table", str(tmp_path / "paper.tex")])
    assert rc == 0
    tex = (tmp_path / "paper.tex").read_text()
    assert r"\begin{tabular}" in tex and r"self\_censorship\_rate" in tex and "over 2 seeds" in tex
    assert main(args) == 2  # the folder holds a comparison: --overwrite replaces it
    assert "already exists (a comparison); pass --overwrite" in capsys.readouterr().err
    table = pd.read_csv(out / "compare.csv").set_index(["metric", "regime"])
    runs = pd.read_csv(out / "compare_runs.csv")
    assert len(runs) == 4 and set(runs.seed) == {1, 2}
    # the chilling effect shows against the western control on the same seeds
    assert table.loc[("self_censorship_rate", "social-credit-2020"), "diff"] > 0
    assert table.loc[("self_censorship_rate", "western"), "mean"] == 0
    for f in ("compare.md", "compare.png"):
        assert (out / f).stat().st_size > 0
    # the figure: a panel a metric, titled by its meaning, a share's or a count's axis from zero
    # (the control's self-censorship is 0 in every run: its axis once ran from -0.05)
    from scsim.experiments import Comparison, figure

    fig = figure(Comparison(runs, pd.read_csv(out / "compare.csv"), "western"))
    panels = {ax.get_title(): ax for ax in fig.axes if ax.get_title()}
    assert len(panels) == table.index.get_level_values("metric").nunique()
    assert not [t for t in panels if "_" in t]  # meanings, not column names
    assert "wanted posts withheld for fear of the score" in panels  # self_censorship_rate
    assert all(ax.get_ylim()[0] == 0 for title, ax in panels.items() if "share" in ax.get_ylabel())


def test_compare_with_a_regime_that_has_no_score(tmp_path):
    out = tmp_path / "cmp"
    rc = main(["compare", "--presets", "western,provocateur", "--seeds", "2", "--citizens", "300",
               "--months", "64", "--out", str(out), "--quiet"])
    assert rc == 0
    table = pd.read_csv(out / "compare.csv").set_index(["metric", "regime"])
    assert math.isnan(table.loc[("score_mean", "provocateur"), "mean"])
    assert table.loc[("arrested_share", "western"), "mean"] == 0
    md = (out / "compare.md").read_text()
    assert "| score_mean | points | provocateur | \u2014 | \u2014 |" in md and "not defined in any run" in md
    assert "nan" not in md and "over 2 seeds" in md


def test_compare_on_a_dask_cluster_gives_the_same_table(tmp_path):
    """Two local workers, and an existing cluster reached by --scheduler, as one process does."""
    from distributed import LocalCluster

    args = ["compare", "--presets", "western,sesame-2015,social-credit-2020", "--seeds", "2", "--citizens", "300",
            "--months", "30", "--quiet"]
    assert main([*args, "--out", str(tmp_path / "one")]) == 0
    assert main([*args, "--out", str(tmp_path / "two"), "--workers", "2"]) == 0
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0",
                      silence_logs=logging.ERROR) as cluster:
        assert main([*args, "--out", str(tmp_path / "far"), "--scheduler", cluster.scheduler_address]) == 0
    for f in ("compare.csv", "compare_runs.csv", "compare.md"):
        one = (tmp_path / "one" / f).read_text()
        assert one == (tmp_path / "two" / f).read_text() == (tmp_path / "far" / f).read_text(), f


@pytest.mark.parametrize("args, fragment", [
    (["--presets", "western,nope"], "unknown preset 'nope'"),
    (["--presets", "western"], "at least two regimes"),
    (["--seeds", "1"], "at least 2"),
    (["--set", "run.seed=4"], "--set run.seed: compare runs every regime on seeds 1..--seeds"),
    (["--workers", "2", "--scheduler", "tcp://127.0.0.1:9"], "not both"),
    (["--workers", "0"], "--workers"),
    (["--scheduler", "tcp://127.0.0.1:9", "--connect-timeout", "1"], "cannot connect"),
    (["--scheduler", "tcp://127.0.0.1:9", "--connect-timeout", "0"], "--connect-timeout must be positive"),
])
def test_compare_bad_arguments(tmp_path, capsys, args, fragment):
    assert main(["compare", *args, "--out", str(tmp_path / "x"), "--quiet", "--citizens", "100", "--months", "2"]) == 2
    err = capsys.readouterr().err
    assert fragment in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "x").exists()

