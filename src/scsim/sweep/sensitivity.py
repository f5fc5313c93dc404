"""Sensitivity analysis of a Sobol design: first-order and total indices (SALib)."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from ..summary import KEY_METRICS
from .design import salib_problem
from .spec import SweepSpec


def sobol_indices(spec: SweepSpec, summary: pd.DataFrame) -> pd.DataFrame:
    """S1 and ST (with 95% bootstrap half-widths) of each key metric's per-point mean over
    seeds, for each parameter. A metric that is constant or undefined has no indices."""
    from SALib.analyze import sobol

    means = summary.groupby("point")[list(KEY_METRICS)].mean().sort_index()
    rows = []
    for metric in KEY_METRICS:
        y = means[metric].to_numpy(float)
        if np.isnan(y).any() or np.ptp(y) == 0:
            continue
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            res = sobol.analyze(salib_problem(spec), y, calc_second_order=True, seed=spec.options.seed)
        for j, key in enumerate(spec.keys):
            rows.append({"metric": metric, "parameter": key, "S1": float(res["S1"][j]), "S1_conf": float(res["S1_conf"][j]),
                         "ST": float(res["ST"][j]), "ST_conf": float(res["ST_conf"][j])})
    return pd.DataFrame(rows, columns=["metric", "parameter", "S1", "S1_conf", "ST", "ST_conf"])
