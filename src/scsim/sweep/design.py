"""The design: the points of a sweep, one value of every varied key each.

``grid``: every combination of the value lists. ``lhs``: a Latin hypercube over the ranges
(SciPy's QMC). ``sobol``: Saltelli's scheme (SALib), whose points ``sensitivity`` analyses.
The points depend only on the sweep file (and ``sweep.seed``).
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pandas as pd

from .spec import SweepSpec


def n_points(spec: SweepSpec) -> int:
    o, d = spec.options, len(spec.params)
    if o.design == "grid":
        return math.prod(len(p.values) for p in spec.params)
    return o.samples if o.design == "lhs" else o.samples * (2 * d + 2)


def sampled_design(spec: SweepSpec) -> np.ndarray:
    """lhs and sobol: the sample before rounding, one row per point, scaled to the ranges."""
    lows = np.array([p.low for p in spec.params])
    highs = np.array([p.high for p in spec.params])
    o = spec.options
    if o.design == "lhs":
        from scipy.stats import qmc

        return qmc.scale(qmc.LatinHypercube(d=len(spec.params), rng=o.seed).random(o.samples), lows, highs)
    from SALib.sample import sobol

    return sobol.sample(salib_problem(spec), o.samples, calc_second_order=True, seed=o.seed)


def salib_problem(spec: SweepSpec) -> dict:
    return {"num_vars": len(spec.params), "names": spec.keys, "bounds": [[p.low, p.high] for p in spec.params]}


def design_points(spec: SweepSpec) -> pd.DataFrame:
    """One row per design point (index = point number), one column per varied key."""
    if spec.options.design == "grid":
        rows = list(itertools.product(*(p.values for p in spec.params)))
        return pd.DataFrame(rows, columns=spec.keys)
    raw = sampled_design(spec)
    return pd.DataFrame({p.key: [p.typed(v) for v in raw[:, j]] for j, p in enumerate(spec.params)})
