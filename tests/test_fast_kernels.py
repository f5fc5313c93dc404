"""The fused or prefetching kernels give the same bits as the plain NumPy formulas they replace."""

import numpy as np
import pytest

from scsim import metrics as mx
from scsim.network import Network, watts_strogatz
from scsim.scenario import load_preset
from scsim.scoring import OCCUPATION_WEIGHT, ScoreModel


def test_degree_stats_equal_numpy_means():
    rng = np.random.default_rng(1)
    deg = rng.integers(0, 30, 10_001).astype(np.int32)
    deg[::7] = 0
    high = rng.random(len(deg)) < 0.1
    rest = ~high
    want = {"edges": int(deg.sum()) // 2, "degree_mean": float(deg.mean()), "degree_high_tau": float(deg[high].mean()),
            "degree_rest": float(deg[rest].mean()), "isolated_high_tau": float((deg[high] == 0).mean()),
            "isolated_rest": float((deg[rest] == 0).mean())}
    assert mx.degree_stats(deg, high) == want
    assert np.isnan(mx.degree_stats(deg, np.zeros(len(deg), np.bool_))["degree_high_tau"])


def test_score_stats_equal_numpy():
    rng = np.random.default_rng(2)
    s = np.r_[rng.uniform(300, 1000, 5000), 350.05, 350.15, 949.95, np.nan]
    got = mx.score_stats(s, 350.0, 950.0)
    x = s[~np.isnan(s)]
    idx = np.clip(np.rint((x - 350.0) / 0.1).astype(np.int64), 0, 6000)
    counts = np.bincount(idx, minlength=6001)
    cum = np.cumsum(counts)
    assert got["score_p50"] == float((350.0 + 0.1 * np.arange(6001))[np.searchsorted(cum, 0.5 * cum[-1])])
    assert got["score_mean"] == pytest.approx(float(x.mean()), rel=1e-14)
    assert got["score_sd"] == pytest.approx(float(x.std()), rel=1e-12)
    assert np.isnan(mx.score_stats(np.full(3, np.nan), 350.0, 950.0)["score_mean"])
    assert np.isnan(mx.score_stats(np.zeros(0), 350.0, 950.0)["score_p50"])
    # over many chunks (counted in blocks of chunks): the same quantiles and moments as NumPy's
    big = rng.normal(600, 80, 40 * mx.CHUNK + 5)
    big[::13] = np.nan
    got = mx.score_stats(big, 350.0, 950.0)
    x = np.clip(big[~np.isnan(big)], 350.0, 950.0)
    assert got["score_p90"] == pytest.approx(np.quantile(x, 0.9), abs=0.1)
    raw = big[~np.isnan(big)]
    assert got["score_mean"] == pytest.approx(float(raw.mean()), rel=1e-13)
    assert got["score_sd"] == pytest.approx(float(raw.std()), rel=1e-12)


def test_sums_over_citizens_do_not_depend_on_threads():
    """Chunks are fixed by the number of citizens: one thread or two, the same bits."""
    import numba

    rng = np.random.default_rng(5)
    n = 200_003  # several chunks, the last one partial
    x = rng.normal(600, 80, n)
    x[::11] = np.nan
    rows = rng.random((4, n))
    member = rng.random((3, n)) < 0.3
    code = rng.integers(0, 5, n).astype(np.uint8)

    def everything():
        return (mx.mean_sd(x, 650.0), mx.row_sums(rows).tolist(), [a.tolist() for a in mx.group_stats(member, rows[1])],
                [a.tolist() for a in mx.code_stats(code, rows[0], 5)], mx.score_stats(x, 350.0, 950.0))

    threads = numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        one = everything()
        numba.set_num_threads(max(threads, 2))
        assert everything() == one
    finally:
        numba.set_num_threads(threads)
    np.testing.assert_allclose(mx.row_sums(rows), rows.sum(axis=1), rtol=1e-12)
    assert mx.mean_sd(x, 650.0) == pytest.approx((np.nanmean(x), np.nanstd(x)), rel=1e-12)


def test_own_components_equal_numpy():
    sm = ScoreModel(load_preset("social-credit-2020"))
    rng = np.random.default_rng(3)
    n = 1000
    hist, cap, bx = rng.random(n), rng.random(n), rng.random(n)
    occ = rng.integers(0, len(OCCUPATION_WEIGHT), n).astype(np.uint8)
    tert = rng.random(n) < 0.3
    character = 0.5 * OCCUPATION_WEIGHT[occ] + 0.5 * tert
    want = np.stack([sm.w[0] * hist, sm.w[1] * cap, sm.w[2] * character, sm.w[3] * bx])
    assert np.array_equal(sm.own_components(hist, cap, occ, tert, bx), want)


def test_score_pass_equals_numpy_and_the_metrics_sums():
    """One pass gives the own components, the clipped score and clamp in NumPy's order of
    operations, and totals with metrics.row_sums' bits (over more than one chunk)."""
    sm = ScoreModel(load_preset("social-credit-2020"))
    rng = np.random.default_rng(4)
    n = 2 * mx.CHUNK + 123
    hist, cap, bx = rng.random(n), rng.random(n), rng.random(n)
    occ = rng.integers(0, len(OCCUPATION_WEIGHT), n).astype(np.uint8)
    tert = rng.random(n) < 0.3
    assoc, political = rng.normal(20, 30, n), rng.exponential(40, n) * (rng.random(n) < 0.3)
    political[:50] = 900.0  # some clamped at the bottom, some at the top
    assoc[50:100] = 900.0
    own, score, clamp, totals = sm.score(hist, cap, occ, tert, bx, assoc, political)
    want_own = sm.own_components(hist, cap, occ, tert, bx)
    assert np.array_equal(own, want_own)
    raw = sm.base + own.sum(axis=0) + assoc - political  # (sum over 4 rows: ((o0 + o1) + o2) + o3)
    assert np.array_equal(score, np.clip(raw, sm.lo, sm.hi)) and np.array_equal(clamp, score - raw)
    assert (score[:50] == sm.lo).all() and (score[50:100] == sm.hi).all()
    band = mx.weighted_stats(score, score, *mx.MID_BAND)
    assert totals.tolist() == [*mx.row_sums(want_own).tolist(), mx.total(assoc), mx.total(political), band[2], band[3]]
    assert 0 < band[3] < n


def test_network_analysis_unchanged_by_prefetching():
    """Components (Afforest's shortcut for a dense subgraph, the plain walk for a sparse one)
    equal a plain union-find's labels: each component's smallest member."""
    rng = np.random.default_rng(4)
    n = 3000
    u, v, _ = watts_strogatz(n, 6, 0.3, rng)
    net = Network(n, u, v)
    net.remove_edges(u[:200], v[:200])  # a few small components besides the giant
    u, v = u[200:], v[200:]
    for density in (0.4, 0.8, 1.0):
        member = rng.random(n) < density
        labels = net.components(member)
        parent = np.arange(n)

        def root(x):
            while parent[x] != x:
                x = parent[x]
            return x

        for a, b in zip(u, v):
            if member[a] and member[b]:
                ra, rb = root(a), root(b)
                parent[max(ra, rb)] = min(ra, rb)
        want = np.array([root(a) if member[a] else -1 for a in range(n)])
        assert np.array_equal(labels, want), density
        assert len(np.unique(want[want >= 0])) > 1  # more than the giant
    x = rng.random(n)
    ends = np.r_[u, v], np.r_[v, u]
    assert np.isclose(net.assortativity(x), np.corrcoef(x[ends[0]], x[ends[1]])[0, 1])


def test_group_and_code_sums_equal_the_masked_numpy_sums():
    from scsim.metrics import code_stats, group_stats

    rng = np.random.default_rng(11)
    n = 100_007
    tau = rng.beta(2, 4, n)
    holders = rng.random((4, n)) < np.array([[0.9], [0.5], [0.1], [0.0]])
    counts, sums = group_stats(holders, tau)
    assert counts.tolist() == holders.sum(axis=1).tolist()
    np.testing.assert_allclose(sums, [tau[h].sum() for h in holders], rtol=1e-12)
    assert sums[3] == 0.0
    occ = rng.integers(0, 5, n).astype(np.uint8)
    counts, sums = code_stats(occ, tau, 5)
    assert np.array_equal(counts, np.bincount(occ, minlength=5))
    np.testing.assert_allclose(sums, np.bincount(occ, weights=tau, minlength=5), rtol=1e-12)
    empty = group_stats(np.zeros((0, n), np.bool_), tau)
    assert empty[0].shape == (0,) and empty[1].shape == (0,)


def test_count_flagged_counts_the_posts_of_flagged_citizens():
    from scsim.metrics import count_flagged

    rng = np.random.default_rng(12)
    n = 70_001
    posted = rng.random((3, n)) < np.array([[0.3], [0.05], [0.0]])
    high = rng.random(n) < 0.1
    assert count_flagged(posted, high) == int(posted[:, high].sum())
    assert count_flagged(posted, np.zeros(n, np.bool_)) == 0
    assert count_flagged(np.zeros((0, n), np.bool_), high) == 0


def test_tau_statistics_follow_a_replaced_tau():
    from scsim.engine import Simulation

    from .conftest import small

    sim = Simulation(small("social-credit-2020", citizens=3000, months=3))
    row = sim.step()
    assert row["tau_mean"] == mx.mean_sd(sim.pop.tau, 0.5)[0]
    sim.pop.tau = 1.0 - sim.pop.tau  # kept statistics must not outlive the array they describe
    row = sim.step()
    assert row["tau_mean"] == mx.mean_sd(sim.pop.tau, 0.5)[0]
    assert row["tau_high_share"] == np.count_nonzero(sim.pop.tau >= mx.HIGH_TAU) / sim.n


def test_weighted_stats_equal_numpy():
    rng = np.random.default_rng(12)
    x = rng.normal(560, 60, 70_001)
    w = rng.lognormal(0, 1, len(x))
    xw, ws, xs, inside = mx.weighted_stats(x, w, 500.0, 600.0)
    np.testing.assert_allclose([xw, ws, xs], [np.sum(x * w), w.sum(), x.sum()], rtol=1e-12)
    assert inside == int(np.count_nonzero((x >= 500) & (x < 600)))


def test_dedupe_keeps_sorted_unique_pairs_and_family_ties():
    from scsim.network import dedupe

    u = np.array([3, 1, 2, 1, 4, 0, 2])
    v = np.array([1, 3, 2, 3, 0, 4, 0])
    k = np.array([0, 0, 0, 1, 0, 0, 0], np.uint8)
    a, b, kind = dedupe(5, u, v, k)
    assert list(zip(a.tolist(), b.tolist(), kind.tolist())) == [(0, 2, 0), (0, 4, 0), (1, 3, 1)]  # self-loop gone
    with pytest.raises(ValueError, match="0..4"):
        dedupe(5, [0, 5], [1, 2])


@pytest.mark.parametrize("valence", [[1.0, 1.0, -1.0, 0.0, 0.0, 0.0], [0.5, -1.0, 0.5, 1.0, -0.25]])
def test_purchases_by_valence_group_equal_the_per_category_formula(valence):
    """shares ~ base * exp(g * valence), normalised; x = 1/2 + 1/2 sum share * valence and the
    approved share, from the base shares summed by valence group (to ~1 ulp)."""
    from scsim import behaviour as bh

    rng = np.random.default_rng(5)
    n, v = 4000, np.array(valence)
    base = rng.dirichlet(np.ones(len(v)), n).astype(np.float32)
    tilt = rng.normal(0, 0.5, n)
    values, group = bh.valence_groups(v)
    assert values[:3].tolist() == [1.0, -1.0, 0.0] and set(valence) <= set(values.tolist())
    assert (values[group] == v).all() and len(values) == len(set(values.tolist()))
    shares = bh.group_shares(base, group, len(values))
    x, approved = np.empty(n), np.empty(n)
    bh.purchase_kernel(shares, values, tilt.copy(), np.zeros(n, np.bool_), np.zeros(n), 0.0, 0.0, 0.0,
                       np.zeros(2), 0.0, x, approved)
    w = base.astype(np.float64) * np.exp(tilt[:, None] * v)
    w /= w.sum(axis=1, keepdims=True)
    np.testing.assert_allclose(x, 0.5 + 0.5 * (w * v).sum(axis=1), rtol=1e-14)
    np.testing.assert_allclose(approved, w[:, v > 0].sum(axis=1), rtol=1e-14)
