"""Sensitivity analysis of a Sobol design: first-order and total indices (SALib)."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from ..summary import KEY_METRICS
from .design import salib_problem
from .spec import SweepSpec


COLUMNS = ["metric", "parameter", "S1", "S1_conf", "ST", "ST_conf"]


def saltelli_points(names: list[str], bounds: list[tuple[float, float]], samples: int, seed: int) -> np.ndarray:
    """Saltelli's scheme (SALib, second-order columns included, scrambled with ``seed``):
    ``samples`` x (2D + 2) points, one row each, scaled to ``bounds``."""
    from SALib.sample import sobol

    problem = {"num_vars": len(names), "names": list(names), "bounds": [list(b) for b in bounds]}
    return sobol.sample(problem, samples, calc_second_order=True, seed=seed)


def indices(names: list[str], bounds: list[tuple[float, float]], outputs: dict[str, np.ndarray],
            seed: int) -> pd.DataFrame:
    """S1 and ST (with 95% bootstrap half-widths) of each output (one value per Saltelli point,
    in ``saltelli_points`` order) for each parameter. An output that is constant or undefined
    somewhere has no indices."""
    from SALib.analyze import sobol

    problem = {"num_vars": len(names), "names": list(names), "bounds": [list(b) for b in bounds]}
    rows = []
    for metric, y in outputs.items():
        y = np.asarray(y, float)
        if np.isnan(y).any() or np.ptp(y) == 0:
            continue
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            res = sobol.analyze(problem, y, calc_second_order=True, seed=seed)
        for j, key in enumerate(names):
            rows.append({"metric": metric, "parameter": key, "S1": float(res["S1"][j]), "S1_conf": float(res["S1_conf"][j]),
                         "ST": float(res["ST"][j]), "ST_conf": float(res["ST_conf"][j])})
    return pd.DataFrame(rows, columns=COLUMNS)


def sobol_indices(spec: SweepSpec, summary: pd.DataFrame) -> pd.DataFrame:
    """S1 and ST (with 95% bootstrap half-widths) of each key metric's per-point mean over
    seeds, for each parameter. A metric that is constant or undefined has no indices."""
    problem = salib_problem(spec)
    means = summary.groupby("point")[list(KEY_METRICS)].mean().sort_index()
    return indices(problem["names"], problem["bounds"], {m: means[m].to_numpy(float) for m in KEY_METRICS},
                   spec.options.seed)
