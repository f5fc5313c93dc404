"""How citizens respond (MODEL.md section 6): boundedly rational choices against the score.

Two primitives carry every rule.

The value of a score (utility/month), as a citizen perceives it, near thresholds most of all:
    V(s) = sum_k v_k * L((s - theta_k) / sd) - c_sanction * L((line - s) / sd) * [sanctions on]
with L the logistic function, theta_k / v_k the privileges' thresholds and values, sd the
perception scale. A score change from s to s' is worth V(s') - V(s). The monthly decisions read V
from a table of the month's curve (``value_table``, ``value_at``: within ~1e-6 of the formula).

The choice rule (logit, zero when nothing is gained): the probability of acting for a
benefit b at a cost c, at temperature T,
    choice(b, c) = max(0, L((b - c) / T) - L(-c / T)) / (1 - L(-c / T)).
It is 0 at b = 0, rises with b - c, and tends to 1; it is the logit choice between acting and
not with the noise already spent by the draw that made the citizen consider acting.

Rules (each month, from last month's published scores):
- self-censorship: a citizen who would publish content of kind k (probability
  rate_k * tau * peer factor) stays silent with probability choice(V(s) - V(s - pen_k), value * tau);
  the peer factor is clip(1 + peer_strength * (f - f_ref) / f_ref, 1 - peer_strength, 1 + peer_strength)
  with f the (reach-weighted) share of friends who posted last month. A sanctioned citizen's
  post gets through with probability internet_reach (limited Internet).
- disconnection: with probability cut_rate a citizen looks at its worst dragger (from the
  register) and cuts the tie with probability choice(V(s + a * drag) - V(s), tie value),
  a = 1 with a public register, private_awareness without. Family ties are worth far more.
- new ties: churn ends friendships at random; seekers (churn's replacement rate, or those who
  just cut) aim at a friend of a friend (triadic closure) or a random citizen, and under
  association at the higher scorer of two candidates; the target refuses with probability
  choice(V(s_t) - V(s_t - drag the newcomer would add), friend_value).
- purchases: spending tilts towards approved categories: shares ~ base * exp(g * valence),
  g moving each month towards shift_strength * V'(s) * points per unit of valence.
- opting in: with probability rate a citizen reconsiders, and joins with probability
  choice(V(own score), privacy cost).
- bragging: a scored citizen posts its score with probability rate * status * L((s - line) / sd).
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numba as nb
import numpy as np

from .network import PREFETCH_AHEAD, prefetch, prefetch_index
from .rng import BRAGGING, ECONOMY, EXPRESSION, OPTIN, TIES, uniform
from .rules import daymude_action
from .scenario import EXPRESSION_KINDS

N_KINDS = len(EXPRESSION_KINDS)


@nb.njit(cache=True, inline="always")
def _logistic(x):
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)
    return e / (1.0 + e)


@nb.njit(cache=True, inline="always")
def value(s, th, val, line, cost, sd):
    """V(s): perceived value of holding score s (privileges minus sanction); cost=0 when off."""
    v = 0.0
    for k in range(th.shape[0]):
        v += val[k] * _logistic((s - th[k]) / sd)
    if cost > 0:
        v -= cost * _logistic((line - s) / sd)
    return v


VALUE_STEP = 1.0 / 32  # points between entries of the V(s) table (a power of two: exact grid)
VALUE_MARGIN = 256.0  # the table reaches this far past the score range (a score plus a drag, minus a penalty)


@nb.njit(cache=True, parallel=True)
def value_table(th, val, line, cost, sd, lo, hi):
    """V(s) on a grid from ``lo - VALUE_MARGIN`` to ``hi + VALUE_MARGIN``, VALUE_STEP apart: the
    value curve is fixed while the regime is (it changes when sanctions start), so one table
    serves every decision of those months. Read by ``value_at``."""
    t0 = lo - VALUE_MARGIN
    m = int((hi - lo + 2 * VALUE_MARGIN) / VALUE_STEP) + 2
    out = np.empty(m)
    for q in nb.prange(m):
        out[q] = value(t0 + q * VALUE_STEP, th, val, line, cost, sd)
    return out


@nb.njit(cache=True, inline="always")
def value_at(table, t0, s, th, val, line, cost, sd):
    """V(s) interpolated linearly in ``table`` (a ``value_table`` starting at score t0), the
    formula itself outside it. Exact at the grid points; in between within
    VALUE_STEP^2 / 8 * max |V''| of the formula (~1e-6 utility at perception_sd 10), where the
    formula costs five ``exp``: the decisions to cut a dragger, to stay silent and to refuse a
    newcomer compare V at two scores (disconnection 14 -> 2 ms a month at 1M citizens)."""
    x = (s - t0) * (1.0 / VALUE_STEP)
    if x >= 0.0 and x < table.shape[0] - 1:
        q = int(x)
        f = x - q
        return table[q] * (1.0 - f) + table[q + 1] * f
    return value(s, th, val, line, cost, sd)  # (NaN too)


class ValueCurve(NamedTuple):
    """V(s) as this month's decisions read it: the formula's arguments (privilege thresholds and
    values, sanction line and cost, perception sd) and its table (``value_table``, from t0)."""

    thresholds: np.ndarray
    values: np.ndarray
    line: float
    cost: float
    sd: float
    table: np.ndarray
    t0: float


@nb.njit(cache=True, inline="always")
def curve_value(curve, s):
    """V(s) read from a ``ValueCurve`` (``value_at``)."""
    return value_at(curve.table, curve.t0, s, curve.thresholds, curve.values, curve.line, curve.cost, curve.sd)


class ExpressionRule(NamedTuple):
    """The expression phase's parameters (section 6: behaviour.expression)."""

    rates: np.ndarray  # base posting rate of each kind of post (opinion, history, news)
    value: float  # value of speaking, per unit of tau
    peer_strength: float
    peer_reference: float
    temperature: float
    rule: int  # 0 logit, 1 daymude
    surveillance: float  # daymude's nu
    tolerance: float  # daymude's t
    proportional: bool  # daymude's punishment: proportional (True) or uniform


class CutRule(NamedTuple):
    """Whether to cut the worst dragger (section 6: behaviour.ties)."""

    awareness: float  # share of a dragger's drag the citizen perceives (1 with the register on)
    cut_rate: float
    friend_value: float
    family_value: float
    temperature: float


class TieRule(NamedTuple):
    """Whom a seeker proposes a tie to, and whether the target accepts (section 6)."""

    triadic: float
    score_seeking: float
    mode: int  # association mode: 0 off, 1 friends' scores, 2 penalty
    points: float  # association points as the target perceives them
    line: float  # the association's line (penalty mode)
    penalty: float  # a penalty as the target perceives it
    friend_value: float
    temperature: float
    posts: float  # the share of a newcomer's political record the target perceives it would pay


@nb.njit(cache=True, inline="always")
def value_slope(s, th, val, line, cost, sd):
    """dV/ds."""
    g = 0.0
    for k in range(th.shape[0]):
        p = _logistic((s - th[k]) / sd)
        g += val[k] * p * (1.0 - p) / sd
    if cost > 0:
        p = _logistic((line - s) / sd)
        g += cost * p * (1.0 - p) / sd
    return g


@nb.njit(cache=True, inline="always")
def choice(benefit, cost, temp):
    """Probability of acting for ``benefit`` at ``cost`` (0 when benefit <= 0)."""
    if benefit <= 0:
        return 0.0
    base = _logistic(-cost / temp)
    p = (_logistic((benefit - cost) / temp) - base) / (1.0 - base)
    return p if p > 0 else 0.0


@nb.njit(cache=True, inline="always")
def _peer_factor(share, reference, strength):
    """clip(1 + strength * (share - reference) / reference, 1 - strength, 1 + strength)."""
    peer = 1.0 + strength * ((share - reference) / reference)
    if peer < 1.0 - strength:
        peer = 1.0 - strength
    if peer > 1.0 + strength:
        peer = 1.0 + strength
    return peer


@nb.njit(cache=True, parallel=True)
def expression_kernel(tau, s_ref, scored, sanctioned, reach, peer_share, pens, rule, curve, key, month, would, posted,
                      censored):
    """Who would post each kind of content, who self-censors, whose post gets through.

    rule 0 (logit): a would-be poster stays silent with probability choice(loss, value * tau).
    rule 1 (daymude): the citizen expresses a* of its desired dissent tau, a* the optimum of
    Daymude, Axelrod and Forrest's utility with boldness 1 (speaking valued at ``value`` per
    unit), surveillance nu, tolerance t and severity loss / value; a would-be post (drawn at
    rate * tau) is made when the same draw falls under rate * a*, so (tau - a*) / tau of them
    are withheld.

    A sanctioned citizen's post gets through with probability ``reach`` (limited Internet).

    Two passes: who would post (every citizen, a loop LLVM vectorises), then the decisions of
    the few who would (a few percent): one loop doing both was 1.4x slower at 1M citizens."""
    rates, expr_value, temp = rule.rates, rule.value, rule.temperature
    peer_ref, peer_strength = rule.peer_reference, rule.peer_strength
    n = tau.shape[0]
    for i in nb.prange(n):
        peer = _peer_factor(peer_share[i], peer_ref, peer_strength)
        for k in range(N_KINDS):  # a constant: the loop unrolls
            w = uniform(key, month, EXPRESSION.stride * k + EXPRESSION.would, i) < rates[k] * tau[i] * peer
            would[k, i] = w
            posted[k, i] = w
            censored[k, i] = False
    for i in nb.prange(n):
        anyone = False
        for k in range(N_KINDS):
            anyone |= would[k, i]
        if not anyone:
            continue
        peer = _peer_factor(peer_share[i], peer_ref, peer_strength)
        v0 = np.nan  # V(own score), computed only if needed
        for k in range(N_KINDS):
            if not would[k, i]:
                continue
            silent = False
            if scored[i] and pens[k] > 0:
                if v0 != v0:
                    v0 = curve_value(curve, s_ref[i])
                loss = v0 - curve_value(curve, s_ref[i] - pens[k])
                if rule.rule == 0:
                    silent = uniform(key, month, EXPRESSION.stride * k + EXPRESSION.censor, i) < choice(loss, expr_value * tau[i], temp)
                else:
                    severity = loss / expr_value if expr_value > 0 else np.inf
                    a = daymude_action(tau[i], 1.0, rule.surveillance, rule.tolerance, severity, rule.proportional)
                    silent = uniform(key, month, EXPRESSION.stride * k + EXPRESSION.would, i) >= rates[k] * a * peer
            censored[k, i] = silent
            r = reach if sanctioned[i] else 1.0
            posted[k, i] = not silent and (r >= 1.0 or uniform(key, month, EXPRESSION.stride * k + EXPRESSION.reach, i) < r)


@nb.njit(cache=True, parallel=True)
def disconnection_kernel(worst, worst_drag, worst_kind, scored, s_ref, rule, curve, key, month, cut):
    """Each citizen's decision to cut its worst dragger (target index, or -1)."""
    n = worst.shape[0]
    for i in nb.prange(n):
        cut[i] = -1
        j = worst[i]
        if j < 0 or not scored[i] or uniform(key, month, TIES.cut_consider, i) >= rule.cut_rate:
            continue
        s = s_ref[i]
        gain = curve_value(curve, s + rule.awareness * worst_drag[i]) - curve_value(curve, s)
        keep = rule.family_value if worst_kind[i] == 1 else rule.friend_value
        if uniform(key, month, TIES.cut, i) < choice(gain, keep, rule.temperature):
            cut[i] = j


_CHURNS = -2  # marks a citizen who drops a friend, before ``_churn_targets`` says which


@nb.njit(cache=True, parallel=True)
def _churn_draws(deg, churn, key, month, out):
    """Who drops a friend (``_CHURNS``) and who does not (-1): a loop LLVM vectorises."""
    for i in nb.prange(deg.shape[0]):
        out[i] = _CHURNS if uniform(key, month, TIES.churn, i) < churn * deg[i] * 0.5 else -1


@nb.njit(cache=True, parallel=True)
def _churn_targets(who, start, deg, nbr, kind, key, month, out):
    """The friend each of ``who`` drops (a friendship; a family tie stays): a random slot of a
    scattered citizen, prefetched PREFETCH_AHEAD citizens ahead."""
    m = who.shape[0]
    for q in nb.prange(m):
        if q + PREFETCH_AHEAD < m:
            a = who[q + PREFETCH_AHEAD]
            xa = start[a] + int(uniform(key, month, TIES.churn_slot, a) * deg[a])
            prefetch(nbr, xa)
            prefetch(kind, xa)
        i = who[q]
        x = start[i] + int(uniform(key, month, TIES.churn_slot, i) * deg[i])
        out[i] = nbr[x] if kind[x] == 0 else -1


def churn_kernel(start, deg, nbr, kind, churn, key, month, out):
    """Friendships ending for no score-related reason: each citizen drops one random friend
    with probability churn * degree / 2 (so each tie ends with probability ~churn a month);
    ``out`` the friend dropped, or -1.

    Two passes: the draws of everyone (vectorised), then the ~2% who drop a friend, each a
    cache miss (one loop doing both: 7.5 -> 4.9 ms a month at 1M citizens)."""
    _churn_draws(deg, churn, key, month, out)
    _churn_targets(np.flatnonzero(out == _CHURNS), start, deg, nbr, kind, key, month, out)


@nb.njit(cache=True, parallel=True)
def seeker_kernel(did_cut, replace_prob, form_rate, key, month, replace, seeking):
    """Who seeks a new tie: those who just cut a dragger (with probability replace_prob) and
    anyone at the rate that balances churn."""
    for i in nb.prange(did_cut.shape[0]):
        replace[i] = did_cut[i] and uniform(key, month, TIES.replace, i) < replace_prob
        seeking[i] = replace[i] or uniform(key, month, TIES.form, i) < form_rate


@nb.njit(cache=True, inline="always")
def _is_friend(start, deg, nbr, i, j):
    for x in range(start[i], start[i] + deg[i]):
        if nbr[x] == j:
            return True
    return False


@nb.njit(cache=True, inline="always")
def _candidate(i, start, deg, nbr, n, triadic, u_tri, u_a, u_b, u_rand):
    """A friend of a friend who is not yet a friend (triadic closure), else a random citizen."""
    if u_tri < triadic and deg[i] > 0:
        f = nbr[start[i] + int(u_a * deg[i])]
        if deg[f] > 0:
            g = nbr[start[f] + int(u_b * deg[f])]
            if g != i and not _is_friend(start, deg, nbr, i, g):
                return g
    return int(u_rand * n) % n


@nb.njit(cache=True, inline="always")
def _prefetch_candidate(i, start, deg, nbr, n, s_pub, triadic, u_tri, u_a, u_b, u_rand, stage):
    """Prefetch, ``stage`` steps before it is needed, what ``_candidate`` reads for citizen i:
    4 i's index entries, 3 i's slots, 2 the index entries of the friend it picks, 1 the slot of
    that friend's friend, 0 the candidate's published score (a random citizen's directly). Each
    stage reads only what an earlier stage brought in."""
    if u_tri < triadic:
        if stage == 4:
            prefetch_index(start, deg, i)
            return
        if deg[i] == 0:
            return
        x = start[i] + int(u_a * deg[i])
        if stage == 3:
            prefetch(nbr, start[i])  # all of i's slots: the candidate is checked against them
            prefetch(nbr, start[i] + deg[i])
            return
        f = nbr[x]
        if stage == 2:
            prefetch_index(start, deg, f)
            return
        if deg[f] == 0:
            return
        y = start[f] + int(u_b * deg[f])
        if stage == 1:
            prefetch(nbr, y)
            return
        prefetch(s_pub, nbr[y])
    elif stage == 0:
        prefetch(s_pub, int(u_rand * n) % n)


@nb.njit(cache=True, parallel=True)
def new_tie_kernel(seekers, start, deg, nbr, s_pub, scored, pub_weight, record, rule, curve, key, month, target):
    """For each seeker (ascending ids), the citizen it proposes a tie to, if that citizen
    accepts (else -1), in ``target`` (one entry per seeker). ``record`` is the citizens'
    political records when friends' posts count (``ScoreModel.friends_record``), else empty.

    Seekers are scattered and each candidate is a chain of dependent reads (the seeker's slots,
    a friend's index entries, that friend's slots, the candidate's score): while seeker q is
    decided, the chains of the seekers up to 4 * PREFETCH_AHEAD places ahead are prefetched one
    link a stage (13 -> 8 ms at 1M citizens). Prefetching changes no result."""
    triadic, score_seeking, mode = rule.triadic, rule.score_seeking, rule.mode
    posts_count = record.shape[0] > 0 and rule.posts > 0
    n = start.shape[0]
    m = seekers.shape[0]
    for q in nb.prange(m):
        for stage in range(4, -1, -1):
            ahead = q + (PREFETCH_AHEAD // 2 if stage == 0 else stage * PREFETCH_AHEAD)
            if ahead < m:
                a = seekers[ahead]
                _prefetch_candidate(a, start, deg, nbr, n, s_pub, triadic, uniform(key, month, TIES.triadic, a),
                                    uniform(key, month, TIES.friend, a), uniform(key, month, TIES.friend_of_friend, a),
                                    uniform(key, month, TIES.stranger, a), stage)
                if mode != 0 and uniform(key, month, TIES.seek_better, a) < score_seeking:
                    _prefetch_candidate(a, start, deg, nbr, n, s_pub, triadic, uniform(key, month, TIES.triadic_2, a),
                                        uniform(key, month, TIES.friend_2, a), uniform(key, month, TIES.friend_of_friend_2, a),
                                        uniform(key, month, TIES.stranger_2, a), stage)
        i = seekers[q]
        target[q] = -1
        c = _candidate(i, start, deg, nbr, n, triadic, uniform(key, month, TIES.triadic, i), uniform(key, month, TIES.friend, i),
                       uniform(key, month, TIES.friend_of_friend, i), uniform(key, month, TIES.stranger, i))
        if mode != 0 and uniform(key, month, TIES.seek_better, i) < score_seeking:
            c2 = _candidate(i, start, deg, nbr, n, triadic, uniform(key, month, TIES.triadic_2, i), uniform(key, month, TIES.friend_2, i),
                            uniform(key, month, TIES.friend_of_friend_2, i), uniform(key, month, TIES.stranger_2, i))
            a, b = s_pub[c], s_pub[c2]
            if b == b and (a != a or b > a):
                c = c2
        if c == i:
            continue
        # the target weighs the drag the newcomer would add to its own score
        si = s_pub[i]
        st = s_pub[c]
        if (mode != 0 or posts_count) and scored[c] and si == si and st == st:
            drag = 0.0
            if mode == 1 and si < st:
                drag = rule.points * (st - si) / (600.0 * (pub_weight[c] + 1.0))
            elif mode == 2 and si < rule.line:
                drag = rule.penalty
            if posts_count:
                drag += rule.posts * record[i]
            if drag > 0:
                loss = curve_value(curve, st) - curve_value(curve, st - drag)
                if uniform(key, month, TIES.refuse, i) < choice(loss, rule.friend_value, rule.temperature):
                    continue
        target[q] = c


SLOPE_STEP = 0.05  # points between entries of the V'(s) table


@nb.njit(cache=True)
def slope_table(th, val, line, cost, sd, lo, hi):
    """V'(s) on a grid from lo to hi (the month's value curve is fixed: one table serves all)."""
    m = int((hi - lo) / SLOPE_STEP) + 2
    out = np.empty(m)
    for q in range(m):
        out[q] = value_slope(lo + q * SLOPE_STEP, th, val, line, cost, sd)
    return out


@nb.njit(cache=True, inline="always")
def _interp(table, lo, s):
    x = (s - lo) / SLOPE_STEP
    if x <= 0:
        return table[0]
    q = int(x)
    if q >= table.shape[0] - 1:
        return table[-1]
    f = x - q
    return table[q] * (1.0 - f) + table[q + 1] * f


COMMON_VALENCES = (1.0, -1.0, 0.0)  # the purchase kernel's first three groups, always present


def valence_groups(valence: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The valence groups (+1, -1 and 0 first, then any other valence in order of first
    appearance) and each category's group: categories of one valence tilt alike, so the
    purchase kernel needs only the sum of their base shares (``group_shares``)."""
    values = list(COMMON_VALENCES)
    group = []
    for v in np.asarray(valence, np.float64).tolist():
        if v not in values:
            values.append(v)
        group.append(values.index(v))
    return np.array(values, np.float64), np.array(group, np.int64)


@nb.njit(cache=True, parallel=True)
def group_shares(base_shares, group, groups):
    """(n, groups) float64: each citizen's base shares summed by valence group, in category
    order (the torch backend adds them in the same order: the same bits)."""
    n, k = base_shares.shape
    out = np.zeros((n, groups))
    for i in nb.prange(n):
        for c in range(k):
            out[i, group[c]] += np.float64(base_shares[i, c])
    return out


@nb.njit(cache=True, parallel=True)
def purchase_kernel(shares, valence, tilt, active, s_ref, shift, rate, points_per_valence,
                    slopes, lo, behaviour_x, approved_share):
    """Tilt spending towards approved categories as far as the score rewards it (V' read from
    ``slopes``, a ``slope_table`` starting at score ``lo``). ``shares`` are the base shares by
    valence group, ``valence`` the groups' valences (``valence_groups``: +1, -1, 0, then any
    other): the common three need one exp and one division (23 -> 10 ms at 1M with six
    categories, three groups)."""
    n, k = shares.shape
    for i in nb.prange(n):
        target = 0.0
        if active[i]:
            target = shift * _interp(slopes, lo, s_ref[i]) * points_per_valence
        tilt[i] += rate * (target - tilt[i])
        g = tilt[i]
        e = math.exp(g)
        up = shares[i, 0] * e  # valence +1
        down = shares[i, 1] * (1.0 / e)  # valence -1
        z = up + down + shares[i, 2]
        bx = up - down
        ap = up
        for c in range(3, k):
            vc = valence[c]
            sh = shares[i, c] * math.exp(g * vc)
            z += sh
            bx += sh * vc
            if vc > 0:
                ap += sh
        behaviour_x[i] = 0.5 + 0.5 * bx / z
        approved_share[i] = ap / z


@nb.njit(cache=True, parallel=True)
def optin_kernel(opted, s_ref, privacy_cost, rate, curiosity, temp, th, val, sd, key, month):
    """A reconsidering citizen joins out of curiosity, or else when its score's privileges are
    worth more than its privacy (the choice rule): p = curiosity + (1 - curiosity) choice."""
    n = opted.shape[0]
    for i in nb.prange(n):
        if opted[i] or uniform(key, month, OPTIN.consider, i) >= rate:
            continue
        pays = choice(value(s_ref[i], th, val, 0.0, 0.0, sd), privacy_cost[i], temp)
        if uniform(key, month, OPTIN.join, i) < curiosity + (1.0 - curiosity) * pays:
            opted[i] = True


@nb.njit(cache=True, parallel=True)
def brag_kernel(scored, s_pub, status, rate, line, sd, key, month, out):
    n = scored.shape[0]
    for i in nb.prange(n):
        u = uniform(key, month, BRAGGING.brag, i)
        cap = rate * status[i]
        # the logistic (an exp) only where it can decide, u < cap * L needing u < cap: an `if`,
        # since LLVM computes both sides of an `and` (3x slower at a 5% rate)
        if u < cap:
            out[i] = scored[i] and u < cap * _logistic((s_pub[i] - line) / sd)
        else:
            out[i] = False


@nb.njit(cache=True, parallel=True)
def economy_kernel(reliability, history, s_pub, scored, loan_threshold, borrow, boost, rate, key, month, due,
                   defaulted):
    """Repayments fall due; each is paid on time with the citizen's reliability; the record
    is an EWMA of on-time repayments. Holders of the loan privilege (scored, last month's
    published score at least ``loan_threshold``; NaN: none) borrow more."""
    n = reliability.shape[0]
    for i in nb.prange(n):
        p = borrow + (boost if scored[i] and s_pub[i] >= loan_threshold else 0.0)
        d = uniform(key, month, ECONOMY.due, i) < p
        ok = uniform(key, month, ECONOMY.repaid, i) < reliability[i]  # drawn for all: selects, not branches
        due[i] = d
        defaulted[i] = d and not ok
        h = history[i]
        history[i] = h + rate * ((1.0 if ok else 0.0) - h) if d else h
