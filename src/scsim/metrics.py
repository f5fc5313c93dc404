"""What every run measures, every month (MODEL.md section 9).

Definitions used by the columns:
- high-tau citizen: tau >= HIGH_TAU (0.6; about the top 9% of Beta(2, 4));
- active dissenter: published unapproved content in the last DISSENT_WINDOW (12) months;
- dissenter cluster: a connected component of the network restricted to active dissenters;
  the largest one measures the capacity for large-scale resistance;
- score quantiles and Gini are over published scores, read from a 0.1-point histogram (exact
  to 0.1 point, and cheap at any population);
- network-wide metrics (components, clusters, assortativity) are computed every
  ``run.network_metrics_every`` months and in the last month; other months hold NaN.
"""

from __future__ import annotations

import numba as nb
import numpy as np

from . import metric_columns


HIGH_TAU = 0.6
DISSENT_WINDOW = 12
# dissenter_core: a cell in which each member knows at least CORE_K other active dissenters. An
# assumption (argued range 3-5 at mean degree 20): 3 is the smallest group that survives the loss
# of any one tie; at 5 the core of social-credit-2020 all but vanishes (0.1% against 22% of citizens
# under western at 20,000 x 85 months), at 3 it falls to 10% against 33%.
CORE_K = 3
QUANTILES = (0.1, 0.25, 0.5, 0.75, 0.9)
MID_BAND = (500.0, 600.0)  # share_500_600: scores (published or not) in [500, 600)


def histogram_summary(counts: np.ndarray, lo: float, res: float, mean: float, sd: float) -> dict:
    """Score mean, sd, quantiles and Gini from a histogram of published scores (bin q holds the
    scores that round to lo + q * res) and their mean and sd. Shared by every backend: each
    counts its own histogram, the rest is this."""
    out = {"score_mean": np.nan, "score_sd": np.nan, "score_gini": np.nan}
    out.update({f"score_p{int(q * 100)}": np.nan for q in QUANTILES})
    out["published_500_600"] = np.nan
    cum = np.cumsum(counts)
    n = cum[-1] if len(cum) else 0
    if n == 0:
        return out
    centres = lo + res * np.arange(len(counts))
    out["score_mean"], out["score_sd"] = float(mean), float(sd)
    for q in QUANTILES:
        out[f"score_p{int(q * 100)}"] = float(centres[np.searchsorted(cum, q * n)])
    mass = counts * centres
    lorenz = np.cumsum(mass) / mass.sum()
    prev = np.concatenate(([0.0], lorenz[:-1]))
    out["score_gini"] = float(1.0 - np.sum(counts / n * (lorenz + prev)))
    band = (centres >= MID_BAND[0] - res / 2) & (centres < MID_BAND[1] - res / 2)  # to the histogram's 0.1 point
    out["published_500_600"] = float(counts[band].sum() / n)
    return out


# --------------------------------------------------------------------- sums over citizens
#
# Every per-citizen metric of a month is a count or a sum over citizens. NumPy took ~40 passes
# with temporaries (48 ms a month at 1M citizens); these kernels take a few, in parallel.
# Citizens are split into fixed chunks of CHUNK, summed in order within a chunk, and the
# chunks' sums added in chunk order: results depend on the number of citizens only, never on
# the number of threads. (One kernel for everything was slower: with two dozen arrays LLVM
# reloads every array's address after each store.)

CHUNK = 1 << 15


@nb.njit(cache=True, inline="always")
def chunks(n):
    return (n + CHUNK - 1) // CHUNK


@nb.njit(cache=True)
def in_order(per_chunk):
    """Column sums of a (chunks, k) array, adding the chunks in order."""
    out = np.zeros(per_chunk.shape[1], per_chunk.dtype)
    for c in range(per_chunk.shape[0]):
        for j in range(per_chunk.shape[1]):
            out[j] += per_chunk[c, j]
    return out


def _mean_sd(m: float, s1: float, s2: float, shift: float) -> tuple[float, float]:
    """Mean and sd from ``_histogram_moments``' sums (count, sum of x - shift, of its square)."""
    if m == 0:
        return np.nan, np.nan
    d = s1 / m
    return float(shift + d), float(np.sqrt(max(s2 / m - d * d, 0.0)))


def mean_sd(x: np.ndarray, shift: float = 0.0) -> tuple[float, float]:
    """Mean and (population) standard deviation of the non-NaN x. ``shift``, a value near the
    mean, keeps the variance free of cancellation."""
    return _mean_sd(*_histogram_moments(x, 0.0, 1.0, 0, shift)[1], shift)


@nb.njit(cache=True, parallel=True)
def _row_sums(rows):
    """Sum of each row of a (k, n) array."""
    k, n = rows.shape
    part = np.zeros((chunks(n), k))
    for c in nb.prange(chunks(n)):
        for g in range(k):
            total = 0.0
            for i in range(c * CHUNK, min(n, (c + 1) * CHUNK)):
                total += rows[g, i]
            part[c, g] = total
    return in_order(part)


def row_sums(rows: np.ndarray) -> np.ndarray:
    """Sum of each row of a (k, n) float array (deterministic)."""
    return _row_sums(np.ascontiguousarray(rows, np.float64))


def total(x: np.ndarray) -> float:
    """Sum of a float array (deterministic)."""
    return float(row_sums(x.reshape(1, -1))[0])


@nb.njit(cache=True, parallel=True)
def _weighted(x, w, lo, hi):
    """(sum of x * w, sum of w, sum of x, count of lo <= x < hi)."""
    n = x.shape[0]
    part = np.zeros((chunks(n), 4))
    for c in nb.prange(chunks(n)):
        xw = ws = xs = inside = 0.0
        for i in range(c * CHUNK, min(n, (c + 1) * CHUNK)):
            xw += x[i] * w[i]
            ws += w[i]
            xs += x[i]
            inside += (x[i] >= lo) & (x[i] < hi)
        part[c, 0], part[c, 1], part[c, 2], part[c, 3] = xw, ws, xs, inside
    return in_order(part)


def weighted_stats(x: np.ndarray, w: np.ndarray, lo: float = -np.inf, hi: float = np.inf) -> tuple[float, float, float, int]:
    """(sum of x * w, sum of w, sum of x, citizens with lo <= x < hi) in one pass."""
    xw, ws, xs, inside = _weighted(x, w, lo, hi)
    return float(xw), float(ws), float(xs), int(inside)


@nb.njit(cache=True, parallel=True)
def _group_sums(member, x):
    """For each row g of the (groups, n) 0/1 array ``member``: (count, sum of x over members).
    ``x`` finite: a non-member adds x * 0 = 0, which needs no branch."""
    k, n = member.shape
    counts = np.zeros((chunks(n), k), np.int64)
    sums = np.zeros((chunks(n), k))
    for c in nb.prange(chunks(n)):
        for g in range(k):
            m, total = 0, 0.0
            for i in range(c * CHUNK, min(n, (c + 1) * CHUNK)):
                b = member[g, i]
                m += b
                total += x[i] * b
            counts[c, g], sums[c, g] = m, total
    return in_order(counts), in_order(sums)


def group_stats(member: np.ndarray, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(members of each group, sum of x over them); ``member`` a (groups, n) bool array,
    e.g. the holders of each privilege and their tau."""
    return _group_sums(np.ascontiguousarray(member).view(np.uint8), x)  # bool -> 0/1 bytes


@nb.njit(cache=True, parallel=True)
def _count_flagged(member, flag):
    """Number of (g, i) with member[g, i] and flag[i] (integers: exact in any order)."""
    k, n = member.shape
    part = np.zeros(chunks(n), np.int64)
    for c in nb.prange(chunks(n)):
        m = 0
        for g in range(k):
            for i in range(c * CHUNK, min(n, (c + 1) * CHUNK)):
                m += member[g, i] & flag[i]
        part[c] = m
    return part.sum()


def count_flagged(member: np.ndarray, flag: np.ndarray) -> int:
    """How many entries of the (groups, n) bool array ``member`` belong to flagged citizens,
    e.g. the posts of each kind made by high-tau citizens."""
    return int(_count_flagged(np.ascontiguousarray(member).view(np.uint8), np.ascontiguousarray(flag).view(np.uint8)))


@nb.njit(cache=True, parallel=True)
def _code_sums(code, x, k):
    n = code.shape[0]
    counts = np.zeros((chunks(n), k), np.int64)
    sums = np.zeros((chunks(n), k))
    for c in nb.prange(chunks(n)):
        for i in range(c * CHUNK, min(n, (c + 1) * CHUNK)):
            counts[c, code[i]] += 1
            sums[c, code[i]] += x[i]
    return in_order(counts), in_order(sums)


def code_stats(code: np.ndarray, x: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """(citizens with each code 0..k-1, sum of x over them), e.g. occupations and their tau."""
    return _code_sums(code, x, k)


HISTOGRAM_BLOCKS = 16  # work units of the histogram, each with its own counts (integers: any order)


@nb.njit(cache=True, parallel=True)
def _histogram_moments(s, lo, res, bins, shift):
    """Counts of round((s - lo) / res) over the non-NaN s, clipped to [0, bins) (none if bins
    is 0), and per chunk of citizens (count, sum of s - shift, sum of (s - shift)^2) over them,
    in one pass. ``shift``, a value near the mean, keeps the variance free of cancellation."""
    n = s.shape[0]
    m = chunks(n)
    blocks = min(m, HISTOGRAM_BLOCKS)
    counts = np.zeros((blocks, bins), np.int64)
    part = np.zeros((m, 3))
    for b in nb.prange(blocks):
        for c in range(b * m // blocks, (b + 1) * m // blocks):
            k = s1 = s2 = 0.0
            for i in range(c * CHUNK, min(n, (c + 1) * CHUNK)):
                d = s[i] - shift
                if d == d:
                    k += 1.0
                    s1 += d
                    s2 += d * d
                    if bins > 0:
                        q = int(np.rint((s[i] - lo) / res))
                        counts[b, min(max(q, 0), bins - 1)] += 1
            part[c, 0], part[c, 1], part[c, 2] = k, s1, s2
    return in_order(counts), in_order(part)


def score_stats(s_pub: np.ndarray, lo: float, hi: float, res: float = 0.1) -> dict:
    """Mean, sd, quantiles and Gini of the published scores (NaN: not published)."""
    shift = 0.5 * (lo + hi)
    counts, moments = _histogram_moments(s_pub, lo, res, int(round((hi - lo) / res)) + 1, shift)
    return histogram_summary(counts, lo, res, *_mean_sd(*moments, shift))


@nb.njit(cache=True, parallel=True)
def _degree_sums(deg, high):
    """(sum of degrees, isolated citizens, citizens) among high-tau citizens [0] and the rest [1]."""
    n = deg.shape[0]
    part = np.zeros((chunks(n), 6), np.int64)
    for c in nb.prange(chunks(n)):
        h_sum = h_iso = h_n = r_sum = r_iso = r_n = 0
        for i in range(c * CHUNK, min(n, (c + 1) * CHUNK)):
            d = deg[i]
            if high[i]:
                h_sum += d
                h_iso += d == 0
                h_n += 1
            else:
                r_sum += d
                r_iso += d == 0
                r_n += 1
        part[c, 0], part[c, 1], part[c, 2], part[c, 3], part[c, 4], part[c, 5] = h_sum, h_iso, h_n, r_sum, r_iso, r_n
    return in_order(part)


def degree_stats(deg: np.ndarray, high: np.ndarray) -> dict:
    """Ties (half the degrees' sum), mean degree and share isolated among high-tau citizens
    and the rest (integer sums: the means equal NumPy's bit for bit)."""
    h_sum, h_iso, h_n, r_sum, r_iso, r_n = _degree_sums(deg, high).tolist()
    return {
        "edges": (h_sum + r_sum) // 2,
        "degree_mean": (h_sum + r_sum) / len(deg),
        "degree_high_tau": h_sum / h_n if h_n else np.nan,
        "degree_rest": r_sum / r_n if r_n else np.nan,
        "isolated_high_tau": h_iso / h_n if h_n else np.nan,
        "isolated_rest": r_iso / r_n if r_n else np.nan,
    }


def network_stats(net, tau: np.ndarray, dissenter: np.ndarray, window_full: bool = True) -> dict:
    """Components, giant component, largest dissenter cluster, tau assortativity, the dissenters'
    largest connected CORE_K-core (a measure of the capacity to organise, not of volume). Before
    ``window_full`` (months 0 to DISSENT_WINDOW - 2, when nobody has had a whole window to post
    in) the dissenters' columns are NaN, not an artefact of the short history."""
    from concurrent.futures import ThreadPoolExecutor

    n = net.n

    def beside():  # on the other core: the dissenters' union-find and the tau assortativity
        return net.components(dissenter), net.assortativity(tau)

    with ThreadPoolExecutor(1) as pool:  # each of the passes is sequential
        other_job = pool.submit(beside)
        labels = net.components()
        core_labels = net.components(net.core(dissenter, CORE_K))
        d_labels, assortativity = other_job.result()
    counts = np.bincount(labels)
    sizes = counts[counts > 0]
    giant = int(sizes.max()) if len(sizes) else 0
    in_giant = labels == np.argmax(counts) if len(sizes) else np.zeros(n, np.bool_)
    high = tau >= HIGH_TAU
    d_sizes = np.bincount(d_labels[d_labels >= 0]) if dissenter.any() else np.zeros(1, np.int64)
    cluster = int(d_sizes.max()) if len(d_sizes) else 0
    c_sizes = np.bincount(core_labels[core_labels >= 0]) if (core_labels >= 0).any() else np.zeros(1, np.int64)
    out = {
        "components": int(len(sizes)),
        "giant_share": giant / n,
        "giant_high_tau": float(in_giant[high].mean()) if high.any() else np.nan,  # share in the giant component
        "giant_rest": float(in_giant[~high].mean()) if (~high).any() else np.nan,
        "dissenters": int(dissenter.sum()),
        "dissenter_cluster": cluster,
        "dissenter_cluster_share": cluster / n,
        "tau_assortativity": assortativity,
        "dissenter_core": int(c_sizes.max()) / n,
    }
    if not window_full:
        out.update({k: np.nan for k in DISSENTER_COLUMNS})
    return out


# the network columns that count active dissenters (undefined before a whole window has passed)
DISSENTER_COLUMNS = ("dissenters", "dissenter_cluster", "dissenter_cluster_share", "dissenter_core")


NETWORK_COLUMNS = tuple(c.name for c in metric_columns.NETWORK_COLUMNS)  # (NaN in the months between)
