"""The provocateur regime (MODEL.md section 8): the KGB/Stasi method, with no score at all.

A share of citizens are planted agents (``pop.provocateur``, drawn once from the
``provocateurs`` stream, so every other draw is the same as in any other regime). From
``provocateurs.start``, every month (phase 6a, after expression and before ties):

1. **invitation**: a citizen i with m provocateur friends is sounded out with probability
   1 - (1 - invite_rate)^m;
2. **agreement**: an invited citizen agrees (voices dissent to the agent) with probability
   logistic((tau_i - agree_threshold + peer_weight * a_i) / spread), where a_i is the share of
   i's other friends who are active dissenters (posted unapproved content in the 12 months
   before this one): friends who agree embolden;
3. **report**: an agreement is reported with probability ``detection``; a reported citizen stays
   on file until arrested;
4. **arrest**: each month every citizen on file is arrested with probability ``arrest_rate``,
   removed with all its ties (edge events with reason ``arrest``). Arrested citizens no longer
   post, seek or receive ties; they stay in the population arrays (isolated), and a new
   generation (section 7) gives their place to a free child.

Provocateurs never post (they are agents), are never arrested and keep their ties: nobody
knows who they are.

**Fear**: arrests are public knowledge. Citizens estimate the monthly probability that a
dissenter is arrested, r = an exponentially weighted mean (weight 1/12) of the share of last
month's active dissenters arrested this month (a probability: r stays in [0, 1]). A would-be post
is withheld (phase 5, after the expression rule), and an invited citizen declines to agree with
an agent (step 2's probability times 1 - f), with probability f = choice(r * ``arrest_cost``,
value * tau, temperature): the same bounded-rational rule as self-censorship under a score.
``arrest_cost`` = 0 (the default) means no fear: the method then only removes dissenters; the
Stasi study sweeps it. Every draw is counter-based on the
``provocation`` stream (slots 0-3 above, 4-6 for fear), one per citizen and month.
"""

from __future__ import annotations

from typing import NamedTuple

import math

import numba as nb
import numpy as np

from .behaviour import choice
from .rng import PROVOCATION, uniform

RISK_WEIGHT = 1.0 / 12.0  # the arrest-risk estimate is an EWMA over about a year


def plant(n: int, share: float, rng: np.random.Generator) -> np.ndarray:
    """Who the provocateurs are: round(share * n) citizens, uniformly at random."""
    flags = np.zeros(n, np.bool_)
    count = int(round(share * n))
    if count:
        flags[rng.choice(n, size=count, replace=False)] = True
    return flags


@nb.njit(cache=True)
def agreement_probability(tau, dissent_share, threshold, peer_weight, spread):
    """P(agree) of an invited citizen: a logistic in tau, shifted by dissenting friends."""
    return 1.0 / (1.0 + math.exp(-(tau - threshold + peer_weight * dissent_share) / spread))


class ProvocationRule(NamedTuple):
    """The provocateurs' parameters (section 8: provocateurs), and the dissent window."""

    invite_rate: float
    threshold: float  # agree_threshold
    peer_weight: float
    spread: float
    detection: float
    arrest_rate: float
    window: int  # months a post keeps its author an active dissenter
    fear_loss: float  # what citizens expect to lose by speaking: arrest risk * arrest_cost (0: no fear)
    speak_value: float  # expression.value (speaking is worth speak_value * tau)
    temperature: float


@nb.njit(cache=True, parallel=True)
def provocation_kernel(start, deg, nbr, provocateur, arrested, reported, last_post, tau, rule, key, month, invited,
                       agreed, arrest):
    """Steps 1-4 of the module docstring for every citizen; ``reported`` is updated in place."""
    invite_rate, threshold, peer_weight, spread, detection, arrest_rate, window = rule[:7]
    n = tau.shape[0]
    for i in nb.prange(n):
        invited[i] = False
        agreed[i] = False
        arrest[i] = False
        if provocateur[i] or arrested[i]:
            continue
        agents = 0
        friends = 0
        dissenting = 0
        for s in range(start[i], start[i] + deg[i]):
            j = nbr[s]
            if provocateur[j]:
                agents += 1
            else:
                friends += 1
                if month - 1 - last_post[j] < window:
                    dissenting += 1
        if agents > 0 and uniform(key, month, PROVOCATION.invite, i) < 1.0 - (1.0 - invite_rate) ** agents:
            invited[i] = True
            share = dissenting / friends if friends > 0 else 0.0
            p = agreement_probability(tau[i], share, threshold, peer_weight, spread)
            if rule.fear_loss > 0:  # fear deters agreeing as it deters posting
                p *= 1.0 - choice(rule.fear_loss, rule.speak_value * tau[i], rule.temperature)
            if uniform(key, month, PROVOCATION.agree, i) < p:
                agreed[i] = True
                if uniform(key, month, PROVOCATION.report, i) < detection:
                    reported[i] = True
        if reported[i] and uniform(key, month, PROVOCATION.arrest, i) < arrest_rate:
            arrest[i] = True


def incident_edges(net, who: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Every tie of the citizens ``who`` as (u, v) pairs, each tie once."""
    if len(who) == 0:
        return np.zeros(0, np.int32), np.zeros(0, np.int32)
    counts = net.deg[who].astype(np.int64)
    u = np.repeat(who.astype(np.int32), counts)
    first = np.cumsum(counts) - counts  # where each citizen's run of slots begins in the output
    slots = np.repeat(net.start[who].astype(np.int64) - first, counts) + np.arange(counts.sum())
    v = net.nbr[slots].astype(np.int32)
    inside = np.zeros(net.n, np.bool_)
    inside[who] = True
    keep = ~inside[v] | (u < v)  # a tie between two arrested citizens once
    return u[keep], v[keep]



@nb.njit(cache=True, parallel=True)
def fear_kernel(tau, expected_loss, expr_value, temp, key, month, posted, censored):
    """Withhold a would-be post with probability choice(expected loss, value * tau, temp)."""
    kinds, n = posted.shape
    for i in nb.prange(n):
        p = choice(expected_loss, expr_value * tau[i], temp)
        for q in range(kinds):
            if posted[q, i] and uniform(key, month, PROVOCATION.fear + q, i) < p:
                posted[q, i] = False
                censored[q, i] = True
