"""Global sensitivity: Sobol indices checked against a function whose indices are known, and the
sensitivity study's design, validation and outputs."""

import math
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from scsim.errors import InputError
from scsim.studies import run_study
from scsim.studies.common import load_spec
from scsim.studies.sensitivity import point_overrides
from scsim.sweep.sensitivity import indices, saltelli_points

STUDY = Path(__file__).resolve().parents[1] / "studies" / "sensitivity"


def ishigami(x, a=7.0, b=0.1):
    return np.sin(x[:, 0]) + a * np.sin(x[:, 1]) ** 2 + b * x[:, 2] ** 4 * np.sin(x[:, 0])


def test_indices_of_the_ishigami_function_match_theory():
    """Ishigami (a = 7, b = 0.1) on [-pi, pi]^3: S1 = (0.314, 0.442, 0), ST = (0.558, 0.442, 0.244)."""
    a, b = 7.0, 0.1
    var = a**2 / 8 + b * math.pi**4 / 5 + b**2 * math.pi**8 / 18 + 0.5
    v1 = 0.5 * (1 + b * math.pi**4 / 5) ** 2
    v2 = a**2 / 8
    v13 = b**2 * math.pi**8 * (1 / 18 - 1 / 50)
    s1 = [v1 / var, v2 / var, 0.0]
    st = [(v1 + v13) / var, v2 / var, v13 / var]
    names, bounds = ["x1", "x2", "x3"], [(-math.pi, math.pi)] * 3
    x = saltelli_points(names, bounds, 2048, seed=3)
    assert x.shape == (2048 * (2 * 3 + 2), 3)
    t = indices(names, bounds, {"y": ishigami(x)}, seed=3).set_index("parameter")
    np.testing.assert_allclose(t.S1, s1, atol=0.03)
    np.testing.assert_allclose(t.ST, st, atol=0.03)
    assert (t.ST_conf > 0).all() and (t.ST_conf < 0.1).all()


def test_constant_or_undefined_outputs_get_no_indices():
    names, bounds = ["a", "b"], [(0, 1), (0, 1)]
    x = saltelli_points(names, bounds, 4, seed=1)
    y = x[:, 0].copy()
    y[0] = np.nan
    assert indices(names, bounds, {"flat": np.ones(len(x)), "gap": y}, seed=1).empty


def test_factors_set_their_keys_and_relative_ones_scale_the_preset():
    spec = load_spec(STUDY)
    names = list(spec.sobol.factors)
    point = [f.low for f in spec.sobol.factors.values()]
    over = point_overrides(spec, point)
    # political penalties together, a quarter of the preset's 40 / 40 / 25
    assert over["scoring.political.penalty_opinion"] == 10.0 and over["scoring.political.penalty_news"] == 6.25
    assert over["behaviour.expression.value"] == spec.sobol.factors["behaviour.expression.value"].low
    assert len(names) == 10 and "provocateurs.arrest_cost" in over


@pytest.mark.parametrize("change,message", [
    (r"samples = \d+", "samples = 12"), (r"low = 0\.3\b", "low = 1.5"),
])
def test_a_bad_design_is_one_clear_error(tmp_path, change, message):
    original = (STUDY / "study.toml").read_text()
    text = re.sub(change, message, original, count=1)
    assert text != original  # (the study's file still has the line this test breaks)
    (tmp_path / "study.toml").write_text(text)
    with pytest.raises(InputError, match="power of two|empty range"):
        run_study(tmp_path, fast=True, out=tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_fast_study_writes_indices_ranges_and_figure(tmp_path):
    head = run_study(STUDY, fast=True, out=tmp_path)
    spec = load_spec(STUDY)
    assert head["points"] == 2 * (2 * len(spec.sobol.factors) + 2) and head["runs"] == 2 * head["points"]
    t = pd.read_csv(tmp_path / "sobol.csv")
    assert set(t.parameter) == set(spec.sobol.factors)
    assert "self-censorship (social credit)" in set(t.metric)
    ranges = pd.read_csv(tmp_path / "ranges.csv").set_index("metric")
    assert (ranges["low"] <= ranges["mean"]).all() and (ranges["mean"] <= ranges["high"]).all()
    sc = ranges.loc["self-censorship (social credit)"]
    assert 0 <= sc["low"] < sc["high"] <= 1  # the penalties and the value of speaking move it
    assert (tmp_path / "sobol.png").stat().st_size > 10_000 and (tmp_path / "sobol.md").read_text().count("|") > 20
