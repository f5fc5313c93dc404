"""Synthetic citizens as columns of NumPy arrays (MODEL.md section 2).

Distributions (all parameters of ``[population]``):
- log income and log assets are bivariate normal with correlation rho (lognormal margins,
  heavy right tails; assets heavier);
- repayment reliability ~ Beta: the probability of paying a repayment on time;
- tau (independent thinking) ~ Beta(2, 4) by default, mean 1/3;
- status seeking ~ Beta(1, 4): the wish to post one's score;
- positions (official, reporter, CEO, statistician) go to the citizens ranked highest on
  capacity plus noise, in the shares given; education (tertiary or not) likewise;
- spending shares ~ Dirichlet around the categories' mean shares;
- the perceived cost of being scored grows with tau (independent thinkers value privacy more).
Nothing here is real data: every citizen is drawn from the ``population`` stream.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields

import numpy as np
from scipy.special import ndtr

from .scenario import OCCUPATIONS, Scenario

OCC = {name: i for i, name in enumerate(OCCUPATIONS)}


@dataclass
class Population:
    """Per-citizen columns; every array has length ``n``."""

    tau: np.ndarray  # independent thinking in [0, 1]
    income: np.ndarray  # CNY / month
    assets: np.ndarray  # CNY
    capacity: np.ndarray  # fulfilment-capacity rank in (0, 1) from income and assets
    reliability: np.ndarray  # probability of paying on time
    history: np.ndarray  # repayment record (EWMA of on-time repayments) in [0, 1]
    occupation: np.ndarray  # index into OCCUPATIONS (uint8)
    tertiary: np.ndarray  # bool
    status_seeking: np.ndarray  # in [0, 1]
    privacy_cost: np.ndarray  # utility/month of being scored
    base_shares: np.ndarray  # (n, categories) spending shares before any tilt
    age: np.ndarray  # years
    generation: np.ndarray  # int16
    household: np.ndarray  # household id (family ties)
    provocateur: np.ndarray  # bool (section 8)
    extra: dict = field(default_factory=dict)

    @property
    def n(self) -> int:
        return len(self.tau)

    def columns(self) -> dict[str, np.ndarray]:
        """The 1-D columns, by name (for storage)."""
        return {f.name: getattr(self, f.name) for f in fields(self) if f.name not in ("extra", "base_shares")}


def top_ranked(x: np.ndarray, k: int) -> np.ndarray:
    """The indices of the k largest x, largest first, ties in index order: the first k of
    ``np.argsort(-x, kind="stable")``, without sorting all of x (a full sort of a million
    took 0.2 s; positions and education go to a few percent)."""
    k = max(0, min(int(k), len(x)))
    if k == 0:
        return np.zeros(0, np.int64)
    neg = -x
    kth = neg[np.argpartition(neg, k - 1)[:k]].max()  # the k-th smallest of -x
    better = np.flatnonzero(neg < kth)
    chosen = np.r_[better, np.flatnonzero(neg == kth)[: k - len(better)]]  # in index order
    return chosen[np.argsort(neg[chosen], kind="stable")]


def make_population(sc: Scenario, n: int, rng: np.random.Generator, household: np.ndarray | None = None) -> Population:
    p = sc.population
    tau = rng.beta(p.tau_alpha, p.tau_beta, n)
    z = rng.standard_normal((2, n))
    rho = p.income_asset_correlation
    z_inc = z[0]
    z_ast = rho * z[0] + np.sqrt(1 - rho * rho) * z[1]
    income = p.income_median * np.exp(p.income_sigma * z_inc)
    assets = p.assets_median * np.exp(p.assets_sigma * z_ast)
    capacity = ndtr((z_inc + z_ast) / np.sqrt(2 + 2 * rho))  # rank of combined resources
    reliability = rng.beta(p.reliability_alpha, p.reliability_beta, n)
    history = np.clip(reliability + 0.02 * rng.standard_normal(n), 0, 1)

    rank_noise = rng.standard_normal(n)
    merit = capacity + 0.15 * rank_noise  # positions and education go to the better-off, noisily
    names = ("official", "reporter", "ceo", "statistician")
    counts = [int(round(getattr(p, f"{name}_share") * n)) for name in names]
    order = top_ranked(merit, sum(counts))
    occupation = np.zeros(n, np.uint8)
    pos = 0
    for name, count in zip(names, counts):
        occupation[order[pos : pos + count]] = OCC[name]
        pos += count
    tertiary = np.zeros(n, np.bool_)
    tertiary[top_ranked(capacity + 0.3 * rng.standard_normal(n), int(round(p.tertiary_share * n)))] = True

    status = rng.beta(p.status_alpha, p.status_beta, n)
    privacy = p.privacy_cost + p.privacy_cost_tau * tau
    cats = sc.purchases.categories
    mean_shares = np.array([c.share for c in cats], np.float64)
    mean_shares /= mean_shares.sum()
    gam = rng.standard_gamma(sc.purchases.concentration * mean_shares, size=(n, len(cats)))
    base_shares = (gam / np.maximum(gam.sum(axis=1, keepdims=True), 1e-300)).astype(np.float32)
    age = rng.uniform(18, 80, n)
    return Population(
        tau=tau, income=income, assets=assets, capacity=capacity, reliability=reliability,
        history=history, occupation=occupation, tertiary=tertiary, status_seeking=status,
        privacy_cost=privacy, base_shares=base_shares, age=age,
        generation=np.zeros(n, np.int16),
        household=np.arange(n, dtype=np.int32) if household is None else household,
        provocateur=np.zeros(n, np.bool_),
    )
