"""Engine invariants, determinism, common random numbers and direction-of-effect checks."""

import numpy as np
import pytest

import scsim
from scsim.engine import Simulation
from scsim.scoring import COMPONENTS

from .conftest import small


def run_months(sc, months=None):
    sim = Simulation(sc)
    rows = []
    for _ in range(months or sc.run.months):
        rows.append(sim.step())
        yield sim, rows[-1]


@pytest.mark.parametrize("preset,over", [("western", {}), ("sesame-2015", {}), ("social-credit-2020", {}),
                                         ("social-credit-2020", {"scoring.association.friends_posts": 0.3})])
def test_scores_always_in_range_and_explanations_add_up(preset, over):
    sc = small(preset, citizens=1500, months=72, **over)
    for sim, _ in run_months(sc):
        assert np.all((sim.score >= 350) & (sim.score <= 950))
        pub = sim.s_pub[~np.isnan(sim.s_pub)]
        assert np.all((pub >= 350) & (pub <= 950))
    run = scsim.Run(sc, None, sim=sim)
    for i in np.random.default_rng(0).choice(sim.n, 40, replace=False):
        ex = run.explain(int(i))
        assert ex.total == pytest.approx(ex.score, abs=1e-9)
        assert ex.friends["contribution"].sum() == pytest.approx(ex.components["association"], abs=1e-6) or ex.stand_in
        if not np.isnan(ex.published):
            assert ex.published == pytest.approx(ex.score, abs=1e-3)
    if over:  # friends' posts: the explanation's per-friend drags include the posters' records
        cols = sim.citizen_columns()
        hit = [int(i) for i in np.flatnonzero(cols["draggers"] > 0)[:40]]
        listed = [int((run.explain(i).friends["drag"] >= sc.register.min_drag).sum()) for i in hit]
        assert hit and listed == [cols["draggers"][i] for i in hit]


def test_western_score_ignores_tau_and_posts():
    """Under the Western score, independent thinking and what one posts never move the score."""
    sc = small("western", citizens=1500, months=36)
    loud = sc.with_overrides(**{"behaviour.expression.rate_opinion": 1.0, "behaviour.expression.rate_news": 1.0})
    a, b = Simulation(sc), Simulation(loud)
    b.pop.tau = 1.0 - b.pop.tau  # the opposite minds, same everything else
    posts_a = posts_b = 0.0
    for _ in range(36):
        posts_a += a.step()["posts_per_capita"]
        posts_b += b.step()["posts_per_capita"]
        np.testing.assert_array_equal(a.score, b.score)
    assert posts_b > 5 * posts_a > 0


def test_association_off_means_friends_never_matter():
    sc = small("sesame-2015", citizens=1500, months=48, **{"scoring.association.mode": "off"})
    other = sc.with_overrides(**{"network.mean_degree": 40, "network.model": "barabasi-albert"})
    a, b = Simulation(sc), Simulation(other)
    assert a.net.edge_set() != b.net.edge_set()
    for _ in range(48):
        a.step(), b.step()
        assert not a.assoc.any()
        np.testing.assert_array_equal(a.score, b.score)


def test_association_on_means_friends_matter():
    sc = small("sesame-2015", citizens=1500, months=24)
    other = sc.with_overrides(**{"network.mean_degree": 40, "network.model": "barabasi-albert"})
    a, b = Simulation(sc), Simulation(other)
    for _ in range(24):
        a.step(), b.step()
    assert not np.array_equal(a.score, b.score)


def test_privilege_holders_are_exactly_those_at_or_above_each_threshold():
    """(Also: published scores are the float32 scores of the scored, and the sanctioned are the
    scored below the line once sanctions are on.)"""
    sc = small("social-credit-2020", citizens=1500, months=66)
    sanctioned = 0
    for sim, row in run_months(sc):
        on = sim.regime.sanctions_on(sim.month - 1)
        np.testing.assert_array_equal(sim.s_pub, np.where(sim.opted, sim.score.astype(np.float32), np.nan))
        np.testing.assert_array_equal(sim.sanctioned, on & sim.opted & (np.nan_to_num(sim.s_pub) < sc.sanctions.line))
        sanctioned += int(sim.sanctioned.sum())
        held = sim.flows.holders
        for k, p in enumerate(sc.privileges):
            expected = sim.opted & (np.nan_to_num(sim.s_pub, nan=-1) >= p.threshold)
            np.testing.assert_array_equal(held[k], expected)
            assert row[f"priv_{p.name}"] == pytest.approx(expected.mean())
    assert sanctioned > 0


def test_sanctioned_citizens_hold_no_barred_position():
    sc = small("social-credit-2020", citizens=3000, months=72, **{"sanctions.line": 650.0})
    lost = 0
    for sim, row in run_months(sc):
        if row["phase"] == "mandatory":
            assert not (sim.sanctioned & (sim.pop.occupation > 0)).any()
            lost += row["positions_lost"]
        assert row["pos_official"] == sim.quota[1]  # vacancies are refilled
    assert lost > 0


def test_same_seed_gives_identical_database(tmp_path, monkeypatch):
    """Also whatever the batching of edge events: the second run inserts them every few hundred."""
    from scsim.store import RunWriter

    sc = small("social-credit-2020", citizens=800, months=30, **{"run.snapshot_every": 6})
    runs = [scsim.simulate(sc, out=tmp_path / "r0")]
    monkeypatch.setattr(RunWriter, "EVENTS_BATCH", 200)
    runs.append(scsim.simulate(sc, out=tmp_path / "r1"))
    assert runs[0].query("SELECT count(*) FROM edge_events").iloc[0, 0] > 600  # so several batches
    tables = ["metrics", "citizens", "edges", "snapshots", "edge_events"]
    for t in tables:
        a, b = (r.query(f"SELECT * FROM {t}") for r in runs)
        assert len(a) > 0
        assert a.equals(b), t
    meta = [dict(r.query("SELECT key, value FROM meta WHERE key IN ('scenario', 'seed', 'version')").values) for r in runs]
    assert meta[0] == meta[1]


def test_results_do_not_depend_on_the_number_of_threads(monkeypatch):
    import numba

    monkeypatch.setattr(Simulation, "SMALL", 0)  # small runs would otherwise use one thread anyway
    sc = small("social-credit-2020", citizens=1500, months=64)
    old = numba.get_num_threads()
    try:
        runs = []
        for threads in (1, min(2, numba.config.NUMBA_NUM_THREADS)):
            numba.set_num_threads(threads)
            sim = Simulation(sc)
            sim.run()
            runs.append((sim.score.copy(), sim.net.edge_set()))
    finally:
        numba.set_num_threads(old)
    np.testing.assert_array_equal(runs[0][0], runs[1][0])
    assert runs[0][1] == runs[1][1]


def test_different_seeds_differ():
    a = scsim.simulate(small("sesame-2015", citizens=800, months=12))
    b = scsim.simulate(small("sesame-2015", citizens=800, months=12, **{"run.seed": 7}))
    assert not a.metrics["score_all_mean"].equals(b.metrics["score_all_mean"])


def test_common_random_numbers_across_presets():
    """Two presets on one seed share population and network at month 0, and the draws of
    phases their difference does not touch (here: repayments)."""
    sims = [Simulation(small(p, citizens=1500, months=12)) for p in ("western", "sesame-2015", "social-credit-2020")]
    ref = sims[0]
    for s in sims[1:]:
        for name, col in ref.pop.columns().items():
            np.testing.assert_array_equal(col, s.pop.columns()[name], err_msg=name)
        assert s.net.edge_set() == ref.net.edge_set()
    rows = [[s.step()["defaults_per_capita"] for _ in range(6)] for s in sims[1:]]
    assert rows[0] == rows[1]  # sesame vs social credit before 2020: the same repayment draws


def test_launch_calibration_most_citizens_between_500_and_600():
    """Xinhua, 2015: 'the majority of customers have scores in the 500-600 range'."""
    sc = small("sesame-2015", citizens=5000, months=6)
    rows = scsim.simulate(sc).metrics
    launch = rows[rows["date"] == sc.phases.optin_start].iloc[0]
    assert launch["share_500_600"] > 0.5


def test_chilling_effect_and_register_switch_on_at_mandatory_date():
    sc = small("social-credit-2020", citizens=4000, months=72)
    m = scsim.simulate(sc).metrics
    before, after = m[(m.month >= 48) & (m.month < 60)], m[m.month >= 60]
    assert (before["self_censorship_rate"] == 0).all() and (before["register_listed"] == 0).all()
    assert after["self_censorship_rate"].mean() > 0.1
    assert after["posts_per_capita"].mean() < 0.8 * before["posts_per_capita"].mean()
    assert after["register_listed"].min() > 0
    assert after["sanctioned_share"].max() > 0


def test_western_has_no_chilling_effect():
    m = scsim.simulate(small("western", citizens=2000, months=72)).metrics
    assert (m["self_censorship_rate"] == 0).all()
    assert (m["edges_cut_drag"] == 0).all()
    assert (m["points_association"] == 0).all() and (m["points_political"] == 0).all()


def test_purchases_shift_towards_approved_categories_only_where_rewarded():
    west = scsim.simulate(small("western", citizens=1500, months=72)).metrics
    sesame = scsim.simulate(small("sesame-2015", citizens=1500, months=72)).metrics
    assert west["approved_spending_share"].iloc[-1] == pytest.approx(west["approved_spending_share"].iloc[0])
    assert sesame["approved_spending_share"].iloc[-1] > sesame["approved_spending_share"].iloc[0] + 0.05


def test_monthly_metrics_cover_model_section_9():
    m = scsim.simulate(small("social-credit-2020", citizens=800, months=13)).metrics
    for col in ["score_mean", "score_p10", "score_p90", "score_gini", "priv_schengen_visa", "register_listed",
                "posts_opinion", "posts_history", "posts_news", "self_censorship_rate", "edges_cut_drag",
                "edges_made", "degree_high_tau", "degree_rest", "isolated_high_tau", "dissenter_cluster",
                "components", "giant_share", "tau_assortativity", "priv_schengen_visa_tau", "pos_reporter_tau",
                "approved_spending_share", "tau_mean", "tau_sd"]:
        assert col in m.columns, col
    assert m["components"].notna().sum() == 2  # month 0 and month 12 (= last)
    for c in COMPONENTS[:4]:
        assert f"points_{c}" in m


def test_daymude_expression_rule_is_selectable_and_follows_its_regimes():
    """Under the Daymude rule, zero tolerance with a severe authority silences would-be
    dissent; a tolerant authority (t = 1) silences nobody."""
    base = small("social-credit-2020", citizens=2000, months=66, **{"behaviour.expression.rule": "daymude"})
    harsh = scsim.simulate(base).metrics
    lenient = scsim.simulate(base.with_overrides(**{"behaviour.expression.tolerance": 1.0})).metrics
    after = slice(60, None)
    assert harsh["self_censorship_rate"].iloc[after].mean() > 0.2
    assert (lenient["self_censorship_rate"].iloc[after] == 0).all()
    assert (harsh["self_censorship_rate"].iloc[:60] == 0).all()  # no politics before 2020


def test_large_arrays_come_from_a_heap_that_keeps_freed_memory():
    """glibc agrees to serve big arrays from the heap (see memory.reuse_freed_memory); the
    call is idempotent and any Simulation makes it."""
    import platform

    from scsim.memory import reuse_freed_memory

    if platform.system() != "Linux" or platform.libc_ver()[0] != "glibc":
        pytest.skip("glibc's mallopt only")
    assert reuse_freed_memory() is True
    assert reuse_freed_memory() is True


def test_positions_and_education_go_to_the_top_ranked_as_a_full_stable_sort_would():
    from scsim.population import top_ranked

    rng = np.random.default_rng(0)
    for n in (1, 7, 5000):
        # continuous values and heavy ties (ties keep index order, as np.argsort's stable sort)
        for x in (rng.random(n), rng.integers(0, 4, n).astype(float)):
            for k in (0, 1, n // 3, n, n + 5):
                expected = np.argsort(-x, kind="stable")[: min(k, n)]
                assert np.array_equal(top_ranked(x, k), expected), (n, k)


@pytest.mark.parametrize("sanctioned_share, vacancies", [(0.3, "many"), (0.01, "few"), (0.999, "more than the eligible")])
def test_positions_go_to_the_lowest_draws_among_the_eligible(sanctioned_share, vacancies):
    """update_positions against the rule written with NumPy: sanctioned holders of barred
    positions lose them; each vacancy, in code order, goes to the eligible citizen (no position,
    not sanctioned) with the next lowest draw uniform(key, month, 0, i)."""
    from scsim.population import OCC
    from scsim.privileges import update_positions
    from scsim.rng import Streams, uniform_array

    rng = np.random.default_rng(8)
    n, month = 3 * 32768 + 77, 9
    key = Streams(5).key("positions")
    occupation = np.where(rng.random(n) < 0.02, rng.integers(1, 5, n), 0).astype(np.uint8)
    quota = np.bincount(occupation, minlength=5)
    if vacancies == "many":
        quota[1:] += 500
    sanctioned = rng.random(n) < sanctioned_share
    barred = np.array([1, 2, 4], np.uint8)
    # the rule, with NumPy
    want = occupation.copy()
    lose = sanctioned & np.isin(want, barred)
    want[lose] = OCC["other"]
    open_ = np.maximum(quota - np.bincount(want, minlength=5), 0)
    open_[0] = 0
    free = np.flatnonzero((want == 0) & ~sanctioned)
    draw = uniform_array(key, month, 0, n)
    winners = free[np.argsort(draw[free], kind="stable")][: int(open_.sum())]
    want[winners] = np.repeat(np.arange(5), open_)[: len(winners)]

    got = occupation.copy()
    lost, filled = update_positions(got, quota, sanctioned, barred, key, month)
    assert (lost, filled) == (int(lose.sum()), len(winners)) and filled > 0
    np.testing.assert_array_equal(got, want)


def test_a_private_register_leaves_citizens_guessing_their_draggers_drag():
    """register.public = false: citizens perceive register.private_awareness of a dragger's drag
    (calendar), so fewer of them cut draggers than with the public register, on common random numbers."""
    over = {"run.start": "2019-10", "phases.optin_start": "2019-10", "register.private_awareness": 0.1}
    public = Simulation(small("social-credit-2020", 3000, 12, **over))
    private = Simulation(small("social-credit-2020", 3000, 12, **{**over, "register.public": False}))
    assert public.calendar(5)[3] and private.calendar(5)[3]  # the register is on in both
    assert public.calendar(5)[4] == 1.0 and private.calendar(5)[4] == 0.1
    cuts_public = sum(public.step()["edges_cut_drag"] for _ in range(12))
    cuts_private = sum(private.step()["edges_cut_drag"] for _ in range(12))
    assert cuts_public > 0 and cuts_private < 0.8 * cuts_public


def test_the_dissenters_columns_wait_for_a_whole_window():
    """Month 0 would count only that month's posters (the 12-month window has not passed): NULL
    there, defined from the first network month with a whole window."""
    sim = Simulation(small("western", 1500, 13))
    rows = [sim.step() for _ in range(13)]
    assert all(np.isnan(rows[0][k]) for k in ("dissenters", "dissenter_cluster", "dissenter_cluster_share"))
    assert np.isfinite(rows[0]["components"]) and rows[12]["dissenters"] > 0
    assert rows[12]["dissenter_cluster_share"] == rows[12]["dissenter_cluster"] / 1500
