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

import numba as nb
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

    def holds(self, k: int, s_pub: np.ndarray, scored: np.ndarray) -> np.ndarray:
        """Who holds privilege k (row k of ``holders``, without the other rows)."""
        with np.errstate(invalid="ignore"):
            return (s_pub >= self.thresholds[k]) & scored

    def publish(self, score: np.ndarray, scored: np.ndarray, month: int):
        """The month's publication in one pass: (published scores, holders (privileges, n),
        sanctioned), as ``scoring.publish``, ``holders`` and ``sanctioned`` give them (~3 ms
        a month less at 1M than the three NumPy passes and their temporaries)."""
        n = len(score)
        s_pub, holders, sanctioned = np.empty(n), np.empty((len(self.thresholds), n), np.bool_), np.empty(n, np.bool_)
        _publish(score, scored, self.thresholds, self.line, self.sanctions_on(month), s_pub, holders, sanctioned)
        return s_pub, holders, sanctioned

    def sanctioned(self, s_pub: np.ndarray, scored: np.ndarray, month: int) -> np.ndarray:
        if not self.sanctions_on(month):
            return np.zeros(len(s_pub), np.bool_)
        with np.errstate(invalid="ignore"):
            return scored & (s_pub < self.line)


@nb.njit(cache=True, parallel=True)
def _publish(score, scored, thresholds, line, sanctions_on, s_pub, holders, sanctioned):
    """``Regime.publish``: scores rounded to float32 (what the association pass reads, so an
    explanation recomputed from them adds up exactly; NaN for citizens not scored), who holds
    each privilege, who is sanctioned."""
    for i in nb.prange(score.shape[0]):
        on = scored[i]
        s = np.float64(np.float32(score[i]))
        s_pub[i] = s if on else np.nan
        for k in range(thresholds.shape[0]):
            holders[k, i] = on and s >= thresholds[k]
        sanctioned[i] = sanctions_on and on and s < line


def update_positions(occupation: np.ndarray, quota: np.ndarray, sanctioned: np.ndarray,
                     barred: np.ndarray, priority: np.ndarray) -> tuple[int, int]:
    """Sanctioned holders of barred positions lose them; vacancies are refilled from eligible
    citizens in order of ``priority``. Returns (lost, filled)."""
    is_barred = np.zeros(len(quota), np.bool_)
    is_barred[barred] = True
    counts = np.zeros(len(quota), np.int64)
    lost = _vacate(occupation, sanctioned, is_barred, OCC["other"], counts)
    vacancies = np.maximum(quota - counts, 0)
    vacancies[OCC["other"]] = 0
    total = int(vacancies.sum())
    if total == 0:
        return lost, 0
    free = (occupation == OCC["other"]) & ~sanctioned
    n_free = int(np.count_nonzero(free))
    take = min(total, n_free)
    # the `take` lowest draws among the eligible; draws are uniform in [0, 1), so they almost surely
    # lie below a few times take / n_free: looking there first gives the same citizens without
    # partitioning every eligible citizen's draw (all of them if too few lie below)
    eligible = np.flatnonzero(free & (priority < 4.0 * take / n_free + 1e-4)) if take < n_free else np.empty(0, np.intp)
    if len(eligible) < take:
        eligible = np.flatnonzero(free)
    chosen = eligible[np.argpartition(priority[eligible], take - 1)[:take]] if take < len(eligible) else eligible
    chosen = chosen[np.argsort(priority[chosen], kind="stable")]
    codes = np.repeat(np.arange(len(quota), dtype=np.uint8), vacancies)[:take]
    occupation[chosen] = codes
    return lost, take


@nb.njit(cache=True)
def _vacate(occupation, sanctioned, is_barred, other, counts):
    """Sanctioned holders of barred positions become ``other``; counts each code after that.
    Returns the number of positions lost (one pass: NumPy's isin and bincount took four)."""
    lost = 0
    for i in range(occupation.shape[0]):
        c = occupation[i]
        if sanctioned[i] and is_barred[c]:
            occupation[i] = other
            c = other
            lost += 1
        counts[c] += 1
    return lost
