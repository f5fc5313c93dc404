"""Regression test of summary results on a fixed seed (as Covasim/Starsim do).

If a change of the model is intended, regenerate with ``SCSIM_REGEN=1 pytest tests/test_regression.py``
and say why in the commit message."""

import json
import os
from pathlib import Path

import pytest

import scsim

from .conftest import small

BASELINE = Path(__file__).parent / "data" / "regression.json"
COLUMNS = ["score_mean", "score_gini", "opted_share", "posts_per_capita", "self_censorship_rate", "register_listed",
           "sanctioned_share", "edges", "degree_high_tau", "dissenter_cluster", "approved_spending_share"]
MONTHS = [5, 30, 59, 60, 71]


def summary() -> dict:
    out = {}
    for preset in ("western", "sesame-2015", "social-credit-2020"):
        m = scsim.simulate(small(preset, citizens=2000, months=72, **{"run.seed": 424242})).metrics
        out[preset] = {c: [float(v) for v in m.loc[MONTHS, c]] for c in COLUMNS}  # NaN: not a network month
    return out


def test_summary_matches_the_recorded_baseline():
    got = summary()
    if os.environ.get("SCSIM_REGEN"):
        BASELINE.write_text(json.dumps(got, indent=1))
    want = json.loads(BASELINE.read_text())  # json reads NaN back as float('nan')
    for preset, cols in want.items():
        for col, values in cols.items():
            assert got[preset][col] == pytest.approx(values, rel=1e-6, abs=1e-9, nan_ok=True), f"{preset} {col}"
