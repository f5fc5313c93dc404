"""Intervals that respect a metric's range, at the range's edges; tables formatted per metric,
with the seeds counted, nothing printed as nan, and the baseline's self-difference left out."""

import math

import pandas as pd
import pytest

from scsim import tables
from scsim.summary import difference_range, interval, metric_range


def test_ranges_come_from_the_units():
    assert metric_range("arrested_share") == (0, 1)  # share of citizens
    assert metric_range("tau_assortativity") == (-1, 1)  # correlation
    assert metric_range("priv_any_name_tau") == (0, 1)  # a privilege the scenario names
    assert metric_range("register_listed") == (0, math.inf)  # citizens
    assert metric_range("points_political") == (-math.inf, math.inf)  # points can be negative
    assert difference_range("sanctioned_share") == (-1, 1)


def test_a_share_near_zero_keeps_its_interval_in_the_range():
    # mean 0.000256 of three seeds; the plain t interval reaches -0.0008
    values = [0.0, 0.0, 0.000768]
    plain = interval(values)
    assert plain.low < 0 and not plain.clipped
    iv = interval(values, bounds=metric_range("arrested_share"))
    assert iv.low == 0 and iv.high == plain.high and iv.clipped and iv.n == 3
    assert iv.mean == pytest.approx(0.000256)
    assert tables.cell("arrested_share", *iv[:3], iv.clipped) == "0.0003 [0.0000\u2020, 0.0014]"  # two digits of the widest bound


def test_a_share_near_one_and_a_correlation_near_minus_one():
    hi = interval([1.0, 1.0, 0.99], bounds=metric_range("giant_share"))
    assert hi.high == 1 and hi.clipped and hi.low < 1
    lo = interval([-1.0, -0.98, -0.99, -1.0], bounds=metric_range("tau_assortativity"))
    assert lo.low == -1 and lo.clipped
    # a difference of shares stays in [-1, 1]
    d = interval([-1.0, -1.0, -0.9], bounds=difference_range("giant_share"))
    assert d.low == -1 and d.clipped


def test_constant_values_and_one_seed():
    zero = interval([0.0, 0.0, 0.0], bounds=(0, 1))
    assert (zero.mean, zero.low, zero.high, zero.clipped) == (0, 0, 0, False)
    one = interval([0.4], bounds=(0, 1))
    assert one.n == 1 and math.isnan(one.low)
    assert tables.cell("tau_mean", *one[:3]) == "0.400"
    none = interval([math.nan, math.nan])
    assert none.n == 0 and tables.cell("tau_mean", *none[:3]) == "\u2014"


@pytest.mark.parametrize("metric, x, text", [
    ("score_mean", 517.083, "517.1"),  # points: one decimal
    ("register_listed", 1100.0, "1,100"),  # citizens: whole, with a separator
    ("register_listed", 2.35, "2.4"),  # ... but two significant digits when small
    ("self_censorship_rate", 0.4291, "0.429"),  # a share: three decimals
    ("degree_rest", 20.1234, "20.12"),  # ties per citizen: two
])
def test_numbers_are_formatted_per_metric(metric, x, text):
    assert tables.number(metric, x) == text


def _table():
    return pd.DataFrame([
        {"metric": "arrested_share", "regime": "western", "mean": 0.0, "low": 0.0, "high": 0.0, "n": 3,
         "clipped": False, "diff": math.nan, "diff_low": math.nan, "diff_high": math.nan, "diff_clipped": False},
        {"metric": "arrested_share", "regime": "provocateur", "mean": 0.000256, "low": 0.0, "high": 0.00142, "n": 3,
         "clipped": True, "diff": 0.000256, "diff_low": 0.0, "diff_high": 0.00142, "diff_clipped": False},
        {"metric": "score_mean", "regime": "western", "mean": 590.0, "low": 580.0, "high": 600.0, "n": 3,
         "clipped": False, "diff": math.nan, "diff_low": math.nan, "diff_high": math.nan, "diff_clipped": False},
        {"metric": "score_mean", "regime": "provocateur", "mean": math.nan, "low": math.nan, "high": math.nan,
         "n": 0, "clipped": False, "diff": math.nan, "diff_low": math.nan, "diff_high": math.nan,
         "diff_clipped": False},
    ])


def test_a_table_counts_seeds_says_why_a_value_is_missing_and_leaves_out_the_baseline():
    d = tables.display(_table(), "regime", "regimes", "western")
    md = tables.render(d, "markdown")
    assert "over 3 seeds" in md.splitlines()[0]
    assert "nan" not in md.lower() and "+0.000 [+0.000, +0.000]" not in md
    assert "| arrested_share | share of citizens | western | 0.000 [0.000, 0.000] | baseline |" in md
    assert "| score_mean | points | provocateur | \u2014 | \u2014 |" in md
    assert "not defined in any run" in md and "clipped to the metric's range" in md


def test_latex_and_text_tables():
    d = tables.display(_table(), "regime", "regimes", "western")
    tex = tables.render(d, "latex")
    assert r"\begin{tabular}" in tex and r"\caption{regimes; 95\% CI over 3 seeds" in tex  # % escaped
    assert r"arrested\_share" in tex and r"$^\dagger$" in tex and "\u2020" not in tex
    text = tables.render(d, "text")
    assert text.startswith("regimes; 95% CI over 3 seeds") and "baseline" in text


def test_the_table_format_comes_from_the_option_or_the_suffix(tmp_path):
    d = tables.display(_table(), "regime", "regimes", "western")
    assert tables.write(d, tmp_path / "t.tex").read_text().startswith(r"\begin{table}")
    assert tables.write(d, tmp_path / "t.out", "markdown").read_text().startswith("*regimes")
    with pytest.raises(tables.InputError, match=r"t\.doc: a table file ends in \.md, \.tex or \.txt"):
        tables.write(d, tmp_path / "t.doc")


def test_the_terminal_table_never_cuts_a_row_name_short(capsys):
    """On a narrow terminal the intervals wrap, but a metric's name stays whole (it was shown as
    'dissenter_cluster_sha…')."""
    frame = pd.DataFrame({"metric": ["dissenter_cluster_share", "approved_spending_share"],
                          "unit": ["share of citizens", "share of spending"],
                          "mean [95% CI]": ["0.331 [0.317, 0.345]", "0.256 [0.161, 0.352]"],
                          "difference [95% CI]": ["-0.0004 [-0.0051, +0.0044]", "+0.106 [+0.015, +0.196]"]})
    tables.print_rich(tables.Display(frame, "a narrow table"), width=72)
    out = capsys.readouterr().out
    assert "\u2026" not in out
    for name in frame.metric:
        assert any(name in line for line in out.splitlines()), name
