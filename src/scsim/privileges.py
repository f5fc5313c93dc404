"""Privileges, sanctions and positions (MODEL.md section 5).

- A scored citizen holds privilege k exactly when its published score is at or above
  threshold k (the article's 600 / 650 / 700 / 750 by default).
- Once sanctions are on, a scored citizen below ``sanctions.line`` is sanctioned: its
  expression and reach are cut to ``internet_reach`` (limited Internet), and it loses any
  barred position (government official, reporter, CEO, statistician) and cannot obtain one.
- Positions are kept filled: each month every vacancy goes to the eligible citizen (holding
  no position and not sanctioned) with the lowest draw of the ``positions`` stream.
The Credit China register is computed with the association (``scoring.association_pass``).
"""

from __future__ import annotations

import numpy as np

from .population import OCC
from .scenario import Scenario


class Regime:
    """Thresholds and values as arrays, and which sanctions apply, for the kernels."""

    def __init__(self, sc: Scenario):
        self.names = [p.name for p in sc.privileges]
        self.thresholds = np.array([p.threshold for p in sc.privileges], np.float64)
        self.values = np.array([p.value for p in sc.privileges], np.float64)
        s = sc.sanctions
        self.sanctions = s.enabled
        self.sanction_start = sc.switch_on(s.start)
        self.line = s.line
        self.sanction_cost = s.cost
        self.reach = s.internet_reach
        self.barred = np.array(sorted(OCC[p] for p in s.barred_positions), np.uint8)

    def sanctions_on(self, month: int) -> bool:
        return self.sanctions and month >= self.sanction_start

    def holders(self, s_pub: np.ndarray, scored: np.ndarray) -> np.ndarray:
        """(privileges, n) bool: who holds each privilege (NaN scores hold nothing)."""
        with np.errstate(invalid="ignore"):
            return (s_pub[None, :] >= self.thresholds[:, None]) & scored[None, :]

    def sanctioned(self, s_pub: np.ndarray, scored: np.ndarray, month: int) -> np.ndarray:
        if not self.sanctions_on(month):
            return np.zeros(len(s_pub), np.bool_)
        with np.errstate(invalid="ignore"):
            return scored & (s_pub < self.line)


def update_positions(occupation: np.ndarray, quota: np.ndarray, sanctioned: np.ndarray,
                     barred: np.ndarray, priority: np.ndarray) -> tuple[int, int]:
    """Sanctioned holders of barred positions lose them; vacancies are refilled from eligible
    citizens in order of ``priority``. Returns (lost, filled)."""
    lost = sanctioned & np.isin(occupation, barred)
    occupation[lost] = OCC["other"]
    counts = np.bincount(occupation, minlength=len(quota))
    vacancies = np.maximum(quota - counts, 0)
    vacancies[OCC["other"]] = 0
    total = int(vacancies.sum())
    if total == 0:
        return int(lost.sum()), 0
    eligible = np.flatnonzero((occupation == OCC["other"]) & ~sanctioned)
    take = min(total, len(eligible))
    chosen = eligible[np.argpartition(priority[eligible], take - 1)[:take]] if take < len(eligible) else eligible
    chosen = chosen[np.argsort(priority[chosen], kind="stable")]
    codes = np.repeat(np.arange(len(quota), dtype=np.uint8), vacancies)[:take]
    occupation[chosen] = codes
    return int(lost.sum()), take
