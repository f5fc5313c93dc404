"""The score (MODEL.md section 4): six components, each reported separately, added and clamped.

    score = clamp(base + credit_history + capacity + characteristics + behaviour
                  + association + political, min_score, max_score)

``points`` method (Sesame-style): component c gives ``points_c * x_c`` with x_c in [0, 1]:
  x_history   = repayment record (EWMA of on-time repayments),
  x_capacity  = rank of income and assets,
  x_character = (occupation weight + tertiary education) / 2,
  x_behaviour = 1/2 + 1/2 * sum_k share_k * valence_k (spending by category valence).
``scorecard`` method (Western): ln(odds good:bad) = intercept + a * x_history + b * x_capacity,
  score = offset + factor * ln(odds), factor = pdo / ln 2, offset = base_score - factor * ln(base_odds);
  the intercept's points are the base, each term's points its component.
association (guilt by association), on friends' *published* scores from last month:
  mean    : points_5 * (m_i - 350) / 600, m_i the tie-weighted mean of friends' published
            scores (family ties weigh family_weight); a citizen without published friends
            stands in for them with its own last score. Friend j "drags" i by
            points_5 * w_ij * (s_i - s_j) / (600 * W_i) when s_j < s_i.
  penalty : -min(penalty * sum of w_ij over friends below the line, max_penalty); each such
            friend drags by its share of that.
  friends' posts (either mode, or alone): -friends_posts * sum_j w_ij P_j, P_j friend j's
            political record this month (the seed: "if any of your friends do this [...] your
            score will also deteriorate"); friend j drags i by friends_posts * w_ij * P_j more.
political: -P_i, where P_i <- decay * P_i + sum_kind penalty_kind * posts_kind each month.
The explanation of a score lists each component, the clamp, and every friend's contribution,
and adds up to the published score.
"""

from __future__ import annotations

from typing import NamedTuple

import math

import numba as nb
import numpy as np

from . import metrics as mx
from .network import PREFETCH_AHEAD, prefetch_friends
from .scenario import OCCUPATIONS, Scenario

COMPONENTS = ("credit_history", "capacity", "characteristics", "behaviour", "association", "political")
ASSOC_MODES = {"off": 0, "mean": 1, "penalty": 2}
OCCUPATION_WEIGHT = np.array([0.2, 1.0, 0.8, 1.0, 0.8])  # other, official, reporter, ceo, statistician
assert len(OCCUPATION_WEIGHT) == len(OCCUPATIONS)


class ScoreModel:
    """The scenario's scoring parameters, in the form the kernels use."""

    def __init__(self, sc: Scenario):
        s = sc.scoring
        self.lo, self.hi = s.min_score, s.max_score
        if s.method == "points":
            self.base = s.base
            self.w = np.array([s.points.credit_history, s.points.capacity, s.points.characteristics, s.points.behaviour])
        else:
            c = s.scorecard
            factor = c.pdo / math.log(2)
            offset = c.base_score - factor * math.log(c.base_odds)
            self.base = offset + factor * c.intercept
            self.w = np.array([factor * c.credit_history_coef, factor * c.capacity_coef, 0.0, 0.0])
        a = s.association
        self.assoc_mode = ASSOC_MODES[a.mode]
        self.assoc_points = a.points
        self.family_weight = a.family_weight
        self.line, self.penalty, self.max_penalty = a.line, a.penalty, a.max_penalty
        self.friends_posts = a.friends_posts
        self.min_drag = sc.register.min_drag
        self.association_rule = AssociationRule(int(self.assoc_mode), float(self.assoc_points), float(self.family_weight),
                                                float(self.line), float(self.penalty), float(self.max_penalty),
                                                float(self.min_drag), float(self.friends_posts))
        p = s.political
        self.political = p.enabled
        self.pen = np.array([p.penalty_opinion, p.penalty_history, p.penalty_news]) * float(p.enabled)
        self.decay = p.decay

    @property
    def associates(self) -> bool:
        """Whether friends count at all (a mode, or friends' posts): the register needs it."""
        return bool(self.assoc_mode) or self.friends_posts > 0

    def friends_record(self, political: np.ndarray, political_on: bool) -> np.ndarray:
        """The friends' political records the association pass reads: empty (nothing to gather)
        unless friends' posts count and the political component is on."""
        return political if political_on and self.friends_posts > 0 else political[:0]

    def own_components(self, history, capacity, occupation, tertiary, behaviour_x) -> np.ndarray:
        """(4, n) points of the components that depend on the citizen alone."""
        out = np.empty((4, len(history)))
        _own_components(self.w, OCCUPATION_WEIGHT, history, capacity, occupation, tertiary, behaviour_x, out)
        return out

    def score(self, history, capacity, occupation, tertiary, behaviour_x, assoc, political):
        """The month's score in one pass: (own components (4, n), score, clamp, totals), the
        totals being the sums over citizens of the four own components, the association and
        the political points and the score, as ``metrics.row_sums`` / ``metrics.total`` add
        them (the same bits), then the number of scores in ``metrics.MID_BAND``: the metrics
        row reads them instead of passing over 56 bytes a citizen again."""
        n = len(history)
        own, score, clamp = np.empty((4, n)), np.empty(n), np.empty(n)
        part = np.zeros((mx.chunks(n), 8))
        _score(self.w, OCCUPATION_WEIGHT, history, capacity, occupation, tertiary, behaviour_x, self.base, assoc,
               political, self.lo, self.hi, *mx.MID_BAND, own, score, clamp, part)
        return own, score, clamp, mx.in_order(part)

    def standalone_score(self, own: np.ndarray) -> np.ndarray:
        """Score of a citizen without published friends and no political record: the fixed
        point s = base + own + points_5 (s - 350) / 600 (its own score stands in for friends)."""
        total = self.base + own.sum(axis=0)
        if self.assoc_mode == 1 and self.assoc_points > 0:
            k = self.assoc_points / 600.0
            total = (total - 350.0 * k) / (1.0 - k)
        return np.clip(total, self.lo, self.hi)


@nb.njit(cache=True, parallel=True)
def _own_components(w, occupation_weight, history, capacity, occupation, tertiary, behaviour_x, out):
    """``ScoreModel.own_components`` in one pass (NumPy needed five temporaries); the same
    operations in the same order, so the same bits:
    character = 0.5 * occupation weight + 0.5 * tertiary."""
    for i in nb.prange(history.shape[0]):
        character = 0.5 * occupation_weight[occupation[i]] + 0.5 * (1.0 if tertiary[i] else 0.0)
        out[0, i] = w[0] * history[i]
        out[1, i] = w[1] * capacity[i]
        out[2, i] = w[2] * character
        out[3, i] = w[3] * behaviour_x[i]


@nb.njit(cache=True, parallel=True)
def record_posts(posted, pens, decay, month, political, last_post, reach_posts):
    """The month's posts: the political record P <- decay * P + sum_k pen_k [posted_k] (the
    kinds in order), each poster's last month of posting, and whether anything got through
    (friends read it next month). One pass; NumPy's masked updates took five."""
    for i in nb.prange(political.shape[0]):
        p = political[i] * decay
        got_through = False
        for k in range(posted.shape[0]):
            if posted[k, i]:
                got_through = True
                if pens[k] != 0:
                    p += pens[k]
        political[i] = p
        if got_through:
            last_post[i] = month
        reach_posts[i] = 1.0 if got_through else 0.0


def friend_view(s_pub: np.ndarray, reach_posts: np.ndarray, record: np.ndarray) -> np.ndarray:
    """The float32 rows the association pass gathers, one per citizen: last month's published
    score (0: unpublished), whether the citizen's post got through and, when friends' posts
    count (``record`` not empty), the political record's float64 bits in the row's last two
    slots: (n, 2) or (n, 4). A friend is then one 8- or 16-byte row, always inside one cache
    line, so the far friends' records cost no second miss."""
    n = s_pub.shape[0]
    out = np.empty((n, 4 if record.shape[0] else 2), np.float32)
    _fill_friend_view(s_pub, reach_posts, record, out)
    return out


@nb.njit(cache=True, parallel=True)
def _fill_friend_view(s_pub, reach_posts, record, out):
    with_record = record.shape[0] > 0
    bits = out.reshape(-1).view(np.float64)  # row i's record at 2i + 1 when the rows are 4 wide
    for i in nb.prange(s_pub.shape[0]):
        s = s_pub[i]
        out[i, 0] = s if s == s else 0.0
        out[i, 1] = reach_posts[i]
        if with_record:
            bits[2 * i + 1] = record[i]


@nb.njit(cache=True, parallel=True)
def _score(w, occupation_weight, history, capacity, occupation, tertiary, behaviour_x, base, assoc, political,
           lo, hi, band_lo, band_hi, own, score, clamp, part):
    """``ScoreModel.score``: own components as ``_own_components``, score = clip(base + own
    components + association - political, lo, hi) and clamp = score - raw in NumPy's order of
    operations, and per-chunk sums (``metrics.CHUNK`` citizens, each in citizen order)."""
    n = history.shape[0]
    for c in nb.prange(mx.chunks(n)):
        t0 = t1 = t2 = t3 = ta = tp = ts = mid = 0.0
        for i in range(c * mx.CHUNK, min(n, (c + 1) * mx.CHUNK)):
            character = 0.5 * occupation_weight[occupation[i]] + 0.5 * (1.0 if tertiary[i] else 0.0)
            o0 = w[0] * history[i]
            o1 = w[1] * capacity[i]
            o2 = w[2] * character
            o3 = w[3] * behaviour_x[i]
            own[0, i], own[1, i], own[2, i], own[3, i] = o0, o1, o2, o3
            a, p = assoc[i], political[i]
            raw = base + (((o0 + o1) + o2) + o3) + a - p
            x = min(max(raw, lo), hi)
            score[i] = x
            clamp[i] = x - raw
            t0 += o0
            t1 += o1
            t2 += o2
            t3 += o3
            ta += a
            tp += p
            ts += x
            mid += (x >= band_lo) & (x < band_hi)
        part[c, 0], part[c, 1], part[c, 2], part[c, 3], part[c, 4], part[c, 5] = t0, t1, t2, t3, ta, tp
        part[c, 6], part[c, 7] = ts, mid


@nb.njit(cache=True, inline="always")
def _drag(mode, unit_i, w, ref_i, sj, line):
    """Drag of a friend with published score sj on citizen i (0 if it does not draw it down);
    the same product, in the same order, as the association pass's register."""
    if mode == 1:
        return unit_i * (w * (ref_i - sj)) if sj < ref_i else 0.0
    return unit_i * w if sj < line else 0.0


@nb.njit(cache=True, inline="always")
def _post_drag(unit_i, gap, friends_posts, record):
    """Drag of a friend whose score gap is ``gap`` (w * (s_i - s_j) or w below the line) and
    whose tie-weighted political record is ``record`` (w * P_j): its score's drag, if any, plus
    the share of its record that falls on the citizen."""
    return unit_i * max(gap, 0.0) + friends_posts * record


_TWO, _ONE = np.uint64(2), np.uint64(1)
ASSOCIATION_CHUNK = 2048  # citizens per work unit of the association pass (one scratch buffer each)


class AssociationRule(NamedTuple):
    """The association component's parameters (section 4: scoring.association)."""

    mode: int  # 0 off, 1 friends' mean score, 2 penalty per friend below the line
    points: float
    family_weight: float
    line: float
    penalty: float
    max_penalty: float
    min_drag: float  # a drag that lists the dragger on the register
    friends_posts: float  # share of a friend's political record that costs the citizen


@nb.njit(cache=True, parallel=True)
def association_pass(start, deg, nbr, kind, friend_view, own_ref, rule,
                     assoc, worst, worst_drag, worst_kind, peer_share, pub_weight, drag_unit, register, listed):
    """One pass over every tie (the hottest loop of the month): association points, each
    citizen's worst dragger (if it drags by at least ``min_drag``, i.e. is listed) and its drag,
    and the (reach-weighted) share of friends who posted last month. ``drag_unit[i]`` is the
    drag per unit of w * (s_i - s_j) (mean mode) or per unit of w (penalty mode); the dragger
    counts of the final table use it.

    ``friend_view`` is ``friend_view(...)``'s rows: last month's published score (0 if none: a
    published score is at least 350), whether the post got through and, in (n, 4) rows, the
    political record when friends' posts count (``ScoreModel.friends_record``); packed so that
    one cache line serves every gather. With (n, 2) rows nothing more is gathered and the loop
    is the plain one.

    With ``register`` on, friends that drag i by at least ``min_drag`` are marked in ``listed``
    (Credit China's register); ``listed`` must be all False on entry. Writes only ever set
    True, so the result does not depend on threads.

    The citizens are cut into chunks, each with a scratch buffer of its ties' gaps, and each
    chunk runs a copy of the loop compiled for the association mode and for whether family
    ties weigh differently (``_associate``): the unweighted copy is ~20% faster than one loop
    testing both at run time. Far friends are cache misses, hidden by prefetching (see
    ``network.prefetch``); the bare gather is ~40% of the pass, the rest its arithmetic and
    the seven per-citizen stores."""
    mode, points, family_weight, line, penalty, max_penalty, min_drag, friends_posts = rule
    n = start.shape[0]
    weighted = family_weight != 1.0
    if friend_view.shape[1] < 4:
        friends_posts = 0.0
    for c in nb.prange((n + ASSOCIATION_CHUNK - 1) // ASSOCIATION_CHUNK):
        lo = c * ASSOCIATION_CHUNK
        hi = min(n, lo + ASSOCIATION_CHUNK)
        most = 0
        for i in range(lo, hi):
            most = max(most, deg[i])
        gaps = np.empty(most)
        records = np.empty(most if friends_posts > 0 else 0)
        marks = np.empty(most, np.int32)
        args = (start, deg, nbr, kind, friend_view, friends_posts, own_ref, points, family_weight - 1.0,
                line, penalty, max_penalty, min_drag, assoc, worst, worst_drag, worst_kind, peer_share, pub_weight,
                drag_unit, register, listed, gaps, records, marks)
        if mode == 1:
            if weighted:
                _associate(lo, hi, 1, True, args)
            else:
                _associate(lo, hi, 1, False, args)
        elif mode == 2:
            if weighted:
                _associate(lo, hi, 2, True, args)
            else:
                _associate(lo, hi, 2, False, args)
        elif weighted:
            _associate(lo, hi, 0, True, args)
        else:
            _associate(lo, hi, 0, False, args)


@nb.njit(cache=True, inline="always")
def _associate(lo, hi, mode, weighted, args):
    """``association_pass`` for citizens lo..hi-1; ``mode`` and ``weighted`` are constants
    where it is called, so each call compiles to a loop without their tests."""
    (start, deg, nbr, kind, friend_view, friends_posts, own_ref, points, fw1, line, penalty,
     max_penalty, min_drag, assoc, worst, worst_drag, worst_kind, peer_share, pub_weight, drag_unit, register,
     listed, gaps, records, marks) = args
    posts_count = friends_posts > 0
    width = np.uint64(friend_view.shape[1])
    view = friend_view.reshape(-1)  # (score, posted) of citizen j at width j, width j + 1
    bits = view.view(np.float64)  # with 4-wide rows, j's political record at 2j + 1
    for i in range(lo, hi):
        prefetch_friends(start, deg, nbr, friend_view, i + PREFETCH_AHEAD)
        # unsigned indices: Numba computes no wrap-around of negative ones (~13% of the pass)
        ui = np.uint64(i)
        s0 = start[ui]
        d = deg[ui]
        wsum = 0.0
        wsx = 0.0
        below = 0.0
        posted = 0.0
        ref = own_ref[ui]
        best_x = -1  # the worst dragger's slot
        best_gap = 0.0  # mean mode: max w (ref - s_j); penalty mode: max w over friends below the line
        record_sum = 0.0  # sum of w P_j (friends' posts)
        u0 = np.uint64(s0)
        for x in range(s0, s0 + d):
            ux = np.uint64(x)
            j = np.uint64(nbr[ux])
            posted += view[width * j + _ONE]
            sjz = np.float64(view[width * j])  # 0: not published
            # arithmetic, not `if`: LLVM kept branches there, which mispredicted half the time
            # while half the citizens were unpublished (opt-in years: 195 -> 133 ms at 1M)
            w = min(sjz, 1.0)
            if weighted:  # family ties weigh differently
                w *= 1.0 + fw1 * kind[ux]
            wsum += w
            wsx += w * sjz
            under = w * (sjz < line)
            below += under
            gap = w * (ref - sjz) if mode == 1 else under  # the drag is drag_unit * gap
            gaps[ux - u0] = gap
            if posts_count:  # loop-invariant: LLVM unswitches it
                rec = w * bits[_TWO * j + _ONE]
                records[ux - u0] = rec
                record_sum += rec
            better = gap > best_gap  # selects, not a branch: which friend is worst is unpredictable
            best_gap = gap if better else best_gap
            best_x = x if better else best_x
        best = nbr[best_x] if best_x >= 0 else -1
        best_kind = kind[best_x] if best_x >= 0 else 0
        peer_share[ui] = posted / d if d > 0 else 0.0
        pub_weight[ui] = wsum
        a = 0.0
        unit = 0.0
        if mode == 1:
            if wsum > 0:
                a = points * (wsx / wsum - 350.0) / 600.0
                unit = points / (600.0 * wsum)
            else:
                a = points * (ref - 350.0) / 600.0
        elif mode == 2:
            raw = penalty * below
            scale = 1.0 if raw <= max_penalty else max_penalty / raw
            a = -raw * scale
            unit = penalty * scale
        if posts_count:  # the worst dragger by score gap and record together
            a -= friends_posts * record_sum
            best_x, best_gap = -1, 0.0
            for q in range(d):
                dq = _post_drag(unit, gaps[q], friends_posts, records[q])
                better = dq > best_gap
                best_gap = dq if better else best_gap
                best_x = s0 + q if better else best_x
            best = nbr[best_x] if best_x >= 0 else -1
            best_kind = kind[best_x] if best_x >= 0 else 0
            drag = best_gap
        else:
            drag = unit * best_gap
        assoc[ui] = a
        drag_unit[ui] = unit
        listed_drag = best >= 0 and drag > 0 and drag >= min_drag
        worst[ui] = best if listed_drag else -1
        worst_drag[ui] = drag if listed_drag else 0.0
        worst_kind[ui] = best_kind
        if register and listed_drag:  # at least one friend is listed: find them all
            # gather the listed friends without a branch (whether a friend is listed is
            # unpredictable), then mark them: ~half the register's cost
            m = 0
            for q in range(d):
                dj = _post_drag(unit, gaps[q], friends_posts, records[q]) if posts_count else unit * gaps[q]
                marks[m] = nbr[u0 + np.uint64(q)]
                m += (dj > 0) & (dj >= min_drag)
            for q in range(m):
                listed[np.uint32(marks[q])] = True


@nb.njit(cache=True, parallel=True)
def dragger_counts(start, deg, nbr, kind, s_pub, own_ref, drag_unit, rule, friend_record, out):
    """Number of friends listed as dragging each citizen (for the citizens table); the drags
    of ``association_pass`` (``friend_record``: the political records when friends' posts count,
    ``ScoreModel.friends_record``, else empty)."""
    mode, _, family_weight, line, _, _, min_drag, friends_posts = rule
    posts_count = friend_record.shape[0] > 0 and friends_posts > 0
    for i in nb.prange(start.shape[0]):
        c = 0
        for x in range(start[i], start[i] + deg[i]):
            sj = s_pub[nbr[x]]
            if sj == sj:
                w = family_weight if kind[x] == 1 else 1.0
                drag = _drag(mode, drag_unit[i], w, own_ref[i], sj, line)
                if posts_count:
                    drag += friends_posts * (w * friend_record[nbr[x]])
                if drag > 0 and drag >= min_drag:
                    c += 1
        out[i] = c


def friend_terms(sm: ScoreModel, friends: np.ndarray, kinds: np.ndarray, s_pub: np.ndarray, own_ref: float,
                 friend_record: np.ndarray | None = None):
    """Per-friend (contribution, drag) to one citizen's association points: the same formulas as
    ``association_pass``, for the explanation. Contributions add up to the component.
    ``friend_record`` holds the friends' political records (aligned with ``friends``) when
    friends' posts count."""
    s = s_pub[friends]
    pub = ~np.isnan(s)
    w = np.where(kinds == 1, sm.family_weight, 1.0) * pub
    contrib = np.zeros(len(friends))
    drag = np.zeros(len(friends))
    if sm.assoc_mode == 1 and w.sum() > 0:
        contrib = np.where(pub, sm.assoc_points * w * (np.nan_to_num(s) - 350.0) / (600.0 * w.sum()), 0.0)
        drag = np.where(pub & (s < own_ref), sm.assoc_points * w * (own_ref - np.nan_to_num(s)) / (600.0 * w.sum()), 0.0)
    elif sm.assoc_mode == 2:
        under = pub & (s < sm.line)
        raw = sm.penalty * (w * under).sum()
        scale = 1.0 if raw <= sm.max_penalty else sm.max_penalty / raw
        drag = np.where(under, sm.penalty * w * scale, 0.0)
        contrib = -drag
    if friend_record is not None and sm.friends_posts > 0:
        cost = sm.friends_posts * w * np.asarray(friend_record, np.float64)
        contrib = contrib - cost
        drag = drag + cost
    return contrib, drag
