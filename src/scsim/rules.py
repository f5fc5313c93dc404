"""Decision and contagion rules the classic models need and the monthly engine lacks.

Each is a numba kernel over plain arrays (a ``Network``'s ``start``/``deg``/``nbr`` slots, or
per-citizen columns), so the engine can call it per citizen and the validations in
``scsim.validation`` exercise exactly the code the engine would run. None of them draws random
numbers: callers pass uniforms drawn from a named ``Streams`` stream (common random numbers,
no global RNG).

1. Threshold activation (Granovetter 1978; Watts 2002 with ``fractional``).
   Citizen i, inactive, becomes active once
       A_i >= theta_i                (counts: theta_i in citizens)
       A_i >= theta_i * deg_i        (fractional: theta_i a share of i's ties),
   with A_i the number of i's active neighbours. Activation is permanent, so every update
   order reaches the same final state, the smallest fixed point above the initial one;
   ``threshold_sync`` updates everybody from last round's state, ``threshold_sequential`` in a
   given order with immediate effect, and ``threshold_mixed`` is the fully mixed crowd
   (everybody sees everybody: A_i = number active), the complete graph without its N^2 ties.

2. Coevolving voter step (Holme and Newman 2006). Pick a citizen i with at least one tie;
   with probability phi move the far end of one of its ties (chosen at random) to a random
   citizen holding i's opinion, else adopt the opinion of a random neighbour. Ties are cut and
   made with ``Network``'s own cut and make (each citizen's ties stay sorted).

3. Expression under an authority (Daymude, Axelrod and Forrest 2025). A citizen with desire
   to dissent delta in [0, 1] and boldness beta > 0 chooses its expressed dissent a in
   [0, delta]. The authority observes a with probability nu + (1 - nu) a (surveillance nu)
   and punishes observed dissent above its tolerance t with severity psi:
       uniform:       pi(a) = psi * [a > t]
       proportional:  pi(a) = psi * max(a - t, 0)
   and the citizen maximises  u(a) = beta * a - (nu + (1 - nu) a) * pi(a)
   (equivalently -beta (delta - a) - E[punishment]: the loss from unexpressed desire). This
   utility is a reconstruction that reproduces the paper's published critical desires; closed
   form (derivation in docs/validation.md):
       delta <= t                              a* = delta   (compliant: nothing to punish)
       uniform, beta > (1 - nu) psi and
           delta > d_u = (beta t + nu psi) / (beta - (1 - nu) psi)
                                               a* = delta   (defiant)
       uniform, otherwise                      a* = t       (full self-censorship)
       proportional, nu < 1                    a* = clip(d_p, t, delta),
           d_p = (t + (beta - nu psi) / ((1 - nu) psi)) / 2
           (a* = t: full self-censorship; t < a* < delta: partial; a* = delta: defiant)
       proportional, nu = 1                    a* = delta if beta >= psi else t.
"""

from __future__ import annotations

import numba as nb
import numpy as np

from .network import find_slot, insert_sorted, remove_slot

# ------------------------------------------------------------------------------ thresholds


@nb.njit(cache=True, inline="always")
def _active_neighbours(start, deg, nbr, active, i):
    c = 0
    for x in range(start[i], start[i] + deg[i]):
        if active[nbr[x]]:
            c += 1
    return c


@nb.njit(cache=True, inline="always")
def _crosses(count, d, theta, fractional):
    if fractional:
        return d > 0 and count >= theta * d
    return count >= theta


@nb.njit(cache=True)
def threshold_sync(start, deg, nbr, threshold, active, fractional):
    """Synchronous threshold activation to its fixed point; ``active`` (bool) is updated in place.
    Returns the number of rounds that activated somebody."""
    n = start.shape[0]
    nxt = active.copy()
    rounds = 0
    while True:
        changed = False
        for i in range(n):
            if not active[i] and _crosses(_active_neighbours(start, deg, nbr, active, i), deg[i], threshold[i], fractional):
                nxt[i] = True
                changed = True
        if not changed:
            return rounds
        active[:] = nxt
        rounds += 1


@nb.njit(cache=True)
def threshold_sequential(start, deg, nbr, threshold, active, fractional, order):
    """Sequential (asynchronous) activation in ``order``, each change seen at once by those
    updated after it; sweeps until one changes nothing. Returns the number of sweeps."""
    sweeps = 0
    while True:
        changed = False
        for k in range(order.shape[0]):
            i = order[k]
            if not active[i] and _crosses(_active_neighbours(start, deg, nbr, active, i), deg[i], threshold[i], fractional):
                active[i] = True
                changed = True
        sweeps += 1
        if not changed:
            return sweeps


@nb.njit(cache=True)
def threshold_mixed(threshold, active):
    """Fully mixed crowd (Granovetter's): i joins once the number already in reaches
    ``threshold[i]``. Synchronous rounds on a global count; returns the rounds that added
    somebody. Equal to ``threshold_sync`` on a complete graph with count thresholds."""
    n = threshold.shape[0]
    rounds = 0
    count = 0
    for i in range(n):
        if active[i]:
            count += 1
    while True:
        added = 0
        for i in range(n):
            if not active[i] and count >= threshold[i]:
                active[i] = True
                added += 1
        if added == 0:
            return rounds
        count += added
        rounds += 1


# ------------------------------------------------------------------------------ coevolving voter

# status codes of ``coevolve_voter``
CONSENSUS, NEED_UNIFORMS, NEED_SLOT, STEP_LIMIT = 0, 1, 2, 3


@nb.njit(cache=True, inline="always")
def _cut(start, deg, nbr, kind, a, b):
    """Network's cut of the tie a-b, from both ends (the other ties keep their order)."""
    remove_slot(start, deg, nbr, kind, a, find_slot(start, deg, nbr, a, b))
    remove_slot(start, deg, nbr, kind, b, find_slot(start, deg, nbr, b, a))


@nb.njit(cache=True, inline="always")
def _make(start, deg, nbr, kind, a, b):
    """Network's make of the friendship a-b, in its sorted place at both ends (caller checks room)."""
    insert_sorted(start, deg, nbr, kind, a, b, 0)
    insert_sorted(start, deg, nbr, kind, b, a, 0)


@nb.njit(cache=True)
def discordant_ties(start, deg, nbr, opinion):
    """Number of ties whose two ends hold different opinions (0 = consensus in every component)."""
    c = 0
    for a in range(start.shape[0]):
        for x in range(start[a], start[a] + deg[a]):
            b = nbr[x]
            if b > a and opinion[a] != opinion[b]:
                c += 1
    return c


@nb.njit(cache=True)
def opinion_members(opinion, n_opinions):
    """Per-opinion member lists (members[g, :size[g]]) and each citizen's place in its list."""
    n = opinion.shape[0]
    members = np.empty((n_opinions, n), np.int32)
    size = np.zeros(n_opinions, np.int64)
    pos = np.empty(n, np.int64)
    for i in range(n):
        g = opinion[i]
        members[g, size[g]] = i
        pos[i] = size[g]
        size[g] += 1
    return members, size, pos


@nb.njit(cache=True)
def coevolve_voter(start, deg, cap, nbr, kind, opinion, members, size, pos, phi, u, iu, max_steps, discordant):
    """Holme-Newman steps until consensus in every component (no discordant tie), the uniforms
    ``u[iu:]`` run low, ``max_steps`` steps, or a tie needs a slot its end lacks. Returns
    (status, steps, iu, discordant, i, k, j): for NEED_SLOT the caller moves i-k to i-j itself
    (Network.remove_edges / add_edges, which regrow) and resumes; the step is already counted."""
    n = start.shape[0]
    steps = 0
    m = u.shape[0]
    while True:
        if discordant == 0:
            return CONSENSUS, steps, iu, discordant, -1, -1, -1
        if steps >= max_steps:
            return STEP_LIMIT, steps, iu, discordant, -1, -1, -1
        if m - iu < 64:
            return NEED_UNIFORMS, steps, iu, discordant, -1, -1, -1
        # a random citizen with at least one tie (rejection; the uniforms are budgeted above)
        i = int(u[iu] * n)
        iu += 1
        while deg[i] == 0 and m - iu > 8:
            i = int(u[iu] * n)
            iu += 1
        if deg[i] == 0:
            continue
        steps += 1
        gi = opinion[i]
        x = start[i] + int(u[iu + 1] * deg[i])
        k = nbr[x]
        if u[iu] < phi:
            # rewire: move the far end of tie i-k to a random holder of i's opinion
            j = members[gi, int(u[iu + 2] * size[gi])]
            iu += 3
            if j == i or find_slot(start, deg, nbr, i, j) >= 0:
                continue
            if deg[j] == cap[j]:
                if opinion[k] != gi:
                    discordant -= 1
                return NEED_SLOT, steps, iu, discordant, i, k, j
            if opinion[k] != gi:
                discordant -= 1
            _cut(start, deg, nbr, kind, i, k)
            _make(start, deg, nbr, kind, i, j)
        else:
            # adopt a random neighbour's opinion
            iu += 2
            gk = opinion[k]
            if gk == gi:
                continue
            for y in range(start[i], start[i] + deg[i]):
                gm = opinion[nbr[y]]
                if gm == gi:
                    discordant += 1
                elif gm == gk:
                    discordant -= 1
            # move i from gi's member list to gk's
            p = pos[i]
            last = members[gi, size[gi] - 1]
            members[gi, p] = last
            pos[last] = p
            size[gi] -= 1
            members[gk, size[gk]] = i
            pos[i] = size[gk]
            size[gk] += 1
            opinion[i] = gk


# ------------------------------------------------------------------------------ dissent


@nb.njit(cache=True)
def daymude_utility(a, beta, nu, t, psi, proportional):
    """u(a) = beta a - (nu + (1 - nu) a) pi(a): expression benefit minus expected punishment."""
    if a <= t:
        return beta * a
    pun = psi * (a - t) if proportional else psi
    return beta * a - (nu + (1.0 - nu) * a) * pun


@nb.njit(cache=True)
def daymude_action(delta, beta, nu, t, psi, proportional):
    """Optimal expressed dissent a* in [0, delta] (Daymude, Axelrod and Forrest 2025).

    delta: desire to dissent in [0, 1]; beta: boldness > 0; nu: surveillance in [0, 1];
    t: tolerance in [0, 1]; psi: severity >= 0; proportional: False = uniform punishment.
    Ties between regimes go to self-censorship (a* = t)."""
    if delta <= t or psi <= 0.0:
        return delta
    if not proportional:
        slope = beta - (1.0 - nu) * psi
        if slope > 0.0 and delta > (beta * t + nu * psi) / slope:
            return delta
        return t
    if nu >= 1.0:
        return delta if beta >= psi else t
    d = 0.5 * (t + (beta - nu * psi) / ((1.0 - nu) * psi))
    if d <= t:
        return t
    if d >= delta:
        return delta
    return d


@nb.njit(cache=True, parallel=True)
def daymude_action_array(delta, beta, nu, t, psi, proportional, out):
    """``daymude_action`` per citizen: delta, beta (arrays), the authority's nu, t, psi (scalars)."""
    for i in nb.prange(delta.shape[0]):
        out[i] = daymude_action(delta[i], beta[i], nu, t, psi, proportional)


COMPLIANT, SELF_CENSORING, PARTIAL, DEFIANT = 0, 1, 2, 3
REGIMES = ("compliant", "self-censoring", "partially self-censoring", "defiant")


@nb.njit(cache=True)
def daymude_regime(delta, beta, nu, t, psi, proportional):
    """COMPLIANT (delta <= t), SELF_CENSORING (a* = t < delta), PARTIAL (t < a* < delta,
    proportional punishment only) or DEFIANT (a* = delta > t)."""
    if delta <= t:
        return COMPLIANT
    a = daymude_action(delta, beta, nu, t, psi, proportional)
    if a >= delta:
        return DEFIANT
    return SELF_CENSORING if a <= t else PARTIAL
