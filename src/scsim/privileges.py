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

from .metrics import CHUNK, chunks
from .population import OCC
from .rng import POSITIONS, uniform
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

    def publish(self, score: np.ndarray, scored: np.ndarray, month: int):
        """The month's publication in one pass: (published scores, holders (privileges, n) as
        ``holders`` gives them, sanctioned: scored and below the line once sanctions are on);
        ~3 ms a month less at 1M than three NumPy passes and their temporaries."""
        n = len(score)
        s_pub, holders, sanctioned = np.empty(n), np.empty((len(self.thresholds), n), np.bool_), np.empty(n, np.bool_)
        _publish(score, scored, self.thresholds, self.line, self.sanctions_on(month), s_pub, holders, sanctioned)
        return s_pub, holders, sanctioned


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
                     barred: np.ndarray, key, month: int) -> tuple[int, int]:
    """Sanctioned holders of barred positions lose them; vacancies are refilled from eligible
    citizens (no position, not sanctioned) in order of their draw ``uniform(key, month, POSITIONS.priority, i)``.
    Returns (lost, filled)."""
    other = OCC["other"]
    is_barred = np.zeros(len(quota), np.bool_)
    is_barred[barred] = True
    part = np.zeros((chunks(len(occupation)), len(quota) + 2), np.int64)
    _vacate(occupation, sanctioned, is_barred, other, part)
    sums = part.sum(axis=0)  # integers: any order gives the same
    counts, lost, n_free = sums[: len(quota)], int(sums[-2]), int(sums[-1])
    vacancies = np.maximum(quota - counts, 0)
    vacancies[other] = 0
    total = int(vacancies.sum())
    if total == 0:
        return lost, 0
    take = min(total, n_free)
    # the `take` lowest draws among the eligible; draws are uniform in [0, 1), so they almost surely
    # lie below a few times take / n_free: looking there first gives the same citizens without
    # sorting every eligible citizen's draw (all of them if too few lie below)
    eligible, draws = _eligible(occupation, sanctioned, other, key, month, 4.0 * take / n_free + 1e-4 if take < n_free else 2.0)
    if len(eligible) < take:
        eligible, draws = _eligible(occupation, sanctioned, other, key, month, 2.0)
    pick = np.argpartition(draws, take - 1)[:take] if take < len(eligible) else np.arange(len(eligible))
    chosen = eligible[pick][np.argsort(draws[pick], kind="stable")]
    codes = np.repeat(np.arange(len(quota), dtype=np.uint8), vacancies)[:take]
    occupation[chosen] = codes
    return lost, take


@nb.njit(cache=True, parallel=True)
def _vacate(occupation, sanctioned, is_barred, other, part):
    """Sanctioned holders of barred positions become ``other``; per chunk of citizens: each
    code's count after that, the positions lost and the eligible (``other``, not sanctioned)."""
    n = occupation.shape[0]
    k = part.shape[1] - 2
    for c in nb.prange(chunks(n)):
        for i in range(c * CHUNK, min(n, (c + 1) * CHUNK)):
            code = occupation[i]
            if sanctioned[i] and is_barred[code]:
                occupation[i] = other
                code = other
                part[c, k] += 1
            part[c, code] += 1
            if code == other and not sanctioned[i]:
                part[c, k + 1] += 1


@nb.njit(cache=True, parallel=True)
def _eligible(occupation, sanctioned, other, key, month, below):
    """The eligible citizens whose draw is under ``below``, in id order, and their draws (drawn
    here: no array of a million draws)."""
    n = occupation.shape[0]
    m = chunks(n)
    found = np.zeros(m + 1, np.int64)
    for c in nb.prange(m):
        for i in range(c * CHUNK, min(n, (c + 1) * CHUNK)):
            if occupation[i] == other and not sanctioned[i] and uniform(key, month, POSITIONS.priority, i) < below:
                found[c + 1] += 1
    offsets = np.cumsum(found)
    who = np.empty(offsets[-1], np.int64)
    draws = np.empty(offsets[-1])
    for c in nb.prange(m):
        w = offsets[c]
        for i in range(c * CHUNK, min(n, (c + 1) * CHUNK)):
            if occupation[i] == other and not sanctioned[i]:
                u = uniform(key, month, POSITIONS.priority, i)
                if u < below:
                    who[w] = i
                    draws[w] = u
                    w += 1
    return who, draws
