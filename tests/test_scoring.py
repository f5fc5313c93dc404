"""Score components, scorecard scaling, the association kernel, and the choice primitives."""

import math

import numpy as np
import pytest

from scsim.behaviour import choice, value, value_slope
from scsim.network import Network
from scsim.scenario import load_preset
from scsim.scoring import AssociationRule, ScoreModel, association_pass, dragger_counts, friend_terms, friend_view


def sm_for(preset="sesame-2015", **over):
    return ScoreModel(load_preset(preset).with_overrides(**over))


def test_scorecard_scaling_points_to_double_the_odds():
    """600 at 50:1 good:bad odds, +20 points each time the odds double."""
    sm = sm_for("western", **{"scoring.scorecard.intercept": 0.0})
    factor = 20 / math.log(2)
    c = load_preset("western").scoring.scorecard
    def score(log_odds_from_history):
        x = log_odds_from_history / c.credit_history_coef
        return sm.base + sm.w[0] * x
    assert score(math.log(50)) == pytest.approx(600.0)
    assert score(math.log(100)) - score(math.log(50)) == pytest.approx(20.0)
    assert sm.w[0] == pytest.approx(factor * c.credit_history_coef)
    assert sm.w[2] == sm.w[3] == 0  # characteristics and behaviour do not exist in the West


def run_pass(net, pub, own, mode, posted=None, record=None, **kw):
    n = net.n
    record = np.zeros(0) if record is None else np.asarray(record, float)
    posted = np.zeros(n, np.float32) if posted is None else np.asarray(posted, np.float32)
    view = friend_view(np.asarray(pub, float), posted, record)  # published NaN: 0 in the view
    out = dict(assoc=np.zeros(n), worst=np.zeros(n, np.int32), worst_drag=np.zeros(n), worst_kind=np.zeros(n, np.uint8),
               peer=np.zeros(n), w=np.zeros(n), unit=np.zeros(n), register=True, listed=np.zeros(n, np.bool_))
    p = dict(points=120.0, family_weight=1.0, line=550.0, penalty=8.0, max_penalty=20.0, min_drag=1e-9,
             friends_posts=0.0) | kw
    own = own.astype(float)
    rule = AssociationRule(mode, p["points"], p["family_weight"], p["line"], p["penalty"], p["max_penalty"], p["min_drag"],
                           p["friends_posts"])
    association_pass(net.start, net.deg, net.nbr, net.kind, view, own, rule, *out.values())
    s_pub = np.asarray(pub, float)
    out["nd"] = np.zeros(n, np.int32)
    dragger_counts(net.start, net.deg, net.nbr, net.kind, s_pub, own, out["unit"], rule, record, out["nd"])
    return out


def test_friends_posts_cost_points_and_make_the_poster_the_worst_dragger():
    """The seed's kicker: a friend's unapproved posts lower your score. Citizen 0 (650) has
    friends 1 (500, no posts) and 2 (640, political record 80): with friends_posts = 0.25 the
    poster costs 0 a further 20 points, drags it by more than the low scorer and is listed."""
    net = Network(4, [0, 0, 3], [1, 2, 2])
    pub = np.array([650, 500, 640, 600.0])
    record = np.array([0, 0, 80.0, 0])
    plain = run_pass(net, pub, pub, 1)
    out = run_pass(net, pub, pub, 1, record=record, friends_posts=0.25, min_drag=5.0)
    assert out["assoc"][0] == pytest.approx(plain["assoc"][0] - 0.25 * 80, rel=1e-12)
    assert out["assoc"][3] == pytest.approx(plain["assoc"][3] - 0.25 * 80, rel=1e-12)
    mean_drag_2 = 120 * (650 - 640) / (600 * 2)  # 1 point from its score
    assert out["worst"][0] == 2 and out["worst_drag"][0] == pytest.approx(mean_drag_2 + 20, rel=1e-12)
    assert out["worst"][3] == 2 and out["worst_drag"][3] == pytest.approx(20.0, rel=1e-12)  # 2 scores higher than 3
    # listed: 2 (drags 0 by 21 and 3 by 20); 1 drags 0 by 120 * 150 / 1200 = 15 as before
    assert out["listed"][2] and out["listed"][1] and not out["listed"][0] and not out["listed"][3]
    assert out["nd"][0] == 2 and out["nd"][3] == 1
    # without the share the record is ignored; with an empty record (political off) likewise
    assert run_pass(net, pub, pub, 1, record=record)["assoc"][0] == plain["assoc"][0]
    assert run_pass(net, pub, pub, 1, friends_posts=0.25)["assoc"][0] == plain["assoc"][0]
    # with association off, friends' posts still count on their own
    off = run_pass(net, pub, pub, 0, record=record, friends_posts=0.25, min_drag=5.0)
    assert off["assoc"][0] == pytest.approx(-20.0) and off["worst"][0] == 2 and off["listed"][2]
    # the explanation's per-friend terms add up to the component and name the same worst dragger
    sm = sm_for(**{"scoring.association.points": 120.0, "scoring.association.friends_posts": 0.25})
    contrib, drag = friend_terms(sm, np.array([1, 2]), np.zeros(2, np.uint8), pub, 650.0, record[[1, 2]])
    assert contrib.sum() == pytest.approx(out["assoc"][0], rel=1e-12)
    assert drag[1] == pytest.approx(out["worst_drag"][0], rel=1e-12)


def test_mean_association_and_draggers():
    # citizen 0 has friends 1 (600), 2 (500, family, weight 2), 3 (unpublished)
    net = Network(4, [0, 0, 0], [1, 2, 3], np.array([0, 1, 0], np.uint8))
    pub = np.array([650, 600, 500, np.nan])
    out = run_pass(net, pub, pub, 1, family_weight=2.0)
    m = (600 + 2 * 500) / 3
    assert out["assoc"][0] == pytest.approx(120 * (m - 350) / 600, rel=1e-6)
    assert out["worst"][0] == 2 and out["worst_kind"][0] == 1
    assert out["worst_drag"][0] == pytest.approx(120 * 2 * (650 - 500) / (600 * 3), rel=1e-6)
    assert out["nd"][0] == 2 and out["listed"][1] and out["listed"][2] and not out["listed"][0]
    # a citizen without published friends: its own score stands in
    assert out["assoc"][3] == pytest.approx(120 * (650 - 350) / 600, rel=1e-6)
    sm = sm_for(**{"scoring.association.family_weight": 2.0, "scoring.association.points": 120.0})
    contrib, drag = friend_terms(sm, np.array([1, 2, 3]), np.array([0, 1, 0], np.uint8), pub, 650.0)
    assert contrib.sum() == pytest.approx(out["assoc"][0], rel=1e-6)
    assert drag.max() == pytest.approx(out["worst_drag"][0], rel=1e-6)


def test_register_threshold_lists_only_real_draggers():
    net = Network(3, [0, 0], [1, 2])
    pub = np.array([700, 690, 500.0])
    out = run_pass(net, pub, pub, 1, min_drag=2.0)  # drags on 0: 120 (700-690)/1200 = 1.0 and 120 (200)/1200 = 20
    assert list(out["listed"]) == [False, False, True]
    assert out["nd"][0] == 1 and out["worst"][0] == 2
    out = run_pass(net, pub, pub, 1, min_drag=50.0)
    assert not out["listed"].any() and out["worst"][0] == -1 and out["worst_drag"][0] == 0


def test_penalty_association_is_capped():
    net = Network(5, [0, 0, 0, 0], [1, 2, 3, 4])
    pub = np.array([700, 500, 520, 540, 600.0])
    out = run_pass(net, pub, pub, 2)
    assert out["assoc"][0] == pytest.approx(-20.0)  # 3 below the line x 8 = 24, capped at 20
    assert out["worst_drag"][0] == pytest.approx(20 / 3)
    assert out["assoc"][4] == pytest.approx(0.0)


def test_peer_share_counts_friends_posts():
    net = Network(4, [0, 0, 0], [1, 2, 3])
    out = run_pass(net, np.full(4, np.nan), np.full(4, 600.0), 0, posted=np.array([0, 1, 1, 0]))
    assert out["peer"][0] == pytest.approx(2 / 3) and not out["assoc"].any()


def test_value_is_steepest_at_thresholds():
    th, val = np.array([600.0, 700.0]), np.array([0.2, 1.0])
    assert value(900, th, val, 0.0, 0.0, 10.0) == pytest.approx(1.2, abs=1e-6)
    assert value(400, th, val, 0.0, 0.0, 10.0) == pytest.approx(0.0, abs=1e-6)
    slopes = [value_slope(s, th, val, 0.0, 0.0, 10.0) for s in (650, 690, 700, 710)]
    assert slopes[2] == max(slopes)
    with_sanction = value(500, th, val, 550.0, 1.0, 10.0)
    assert with_sanction < -0.9


def test_choice_rule():
    assert choice(0.0, 0.1, 0.05) == 0.0
    assert choice(-1.0, 0.1, 0.05) == 0.0
    ps = [choice(b, 0.1, 0.05) for b in (0.05, 0.1, 0.2, 0.5, 2.0)]
    assert all(a < b for a, b in zip(ps, ps[1:]))
    assert ps[-1] > 0.999
    assert choice(0.2, 0.0, 0.05) == pytest.approx(math.tanh(0.2 / 0.1))


def test_own_components_points_method():
    sm = sm_for()
    own = sm.own_components(np.array([1.0, 0.0]), np.array([1.0, 0.0]), np.array([1, 0], np.uint8),
                            np.array([True, False]), np.array([1.0, 0.0]))
    assert own[:, 0] == pytest.approx([155, 110, 66, 88])
    assert own[:, 1] == pytest.approx([0, 0, 66 * 0.1, 0])


def test_slope_table_interpolates_the_value_slope():
    from scsim.behaviour import _interp, slope_table

    th, val = np.array([600.0, 650.0, 700.0, 750.0]), np.array([0.15, 0.15, 0.3, 1.0])
    table = slope_table(th, val, 550.0, 1.0, 10.0, 350.0, 950.0)
    for s in (350.0, 548.93, 600.0, 701.37, 949.99, 950.0):
        assert _interp(table, 350.0, s) == pytest.approx(value_slope(s, th, val, 550.0, 1.0, 10.0), rel=1e-4, abs=1e-9)


def test_value_table_matches_the_formula_and_falls_back_to_it_outside():
    from scsim.behaviour import VALUE_MARGIN, VALUE_STEP, value_at, value_table

    th, val = np.array([600.0, 650.0, 700.0, 750.0]), np.array([0.15, 0.15, 0.3, 1.0])
    args = (th, val, 550.0, 1.0, 10.0)
    table = value_table(*args, 350.0, 950.0)
    t0 = 350.0 - VALUE_MARGIN
    rng = np.random.default_rng(1)
    scores = np.r_[rng.uniform(t0, 950.0 + VALUE_MARGIN, 2000), 549.99, 550.0, 600.0, 950.0]
    worst = max(abs(value_at(table, t0, s, *args) - value(s, *args)) for s in scores)
    # linear interpolation: within step^2 / 8 * max|V''| (V'' <= ~0.1 * sum of values / sd^2 here)
    assert 0 < worst <= VALUE_STEP ** 2 / 8 * 0.1 * 2.6 / 10.0 ** 2
    for s in (600.0, 600.0 + VALUE_STEP, t0):  # grid points: the formula's own value
        assert value_at(table, t0, s, *args) == value(s, *args)
    for s in (t0 - 0.5, 950.0 + VALUE_MARGIN + 1.0, 2000.0):  # outside the table: the formula
        assert value_at(table, t0, s, *args) == value(s, *args)
    assert math.isnan(value_at(table, t0, np.nan, *args))
