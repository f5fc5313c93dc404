"""The passes over ties (``TorchTies``, a mixin of ``torch_backend.TorchSimulation``): the ties
phase (cuts of draggers, churn, new ties and refusals), and the per-citizen sums over each
citizen's ties that the scoring and provocation phases read (association, register, agent
friends).

Each pass runs as one Triton kernel on a GPU (``self.fused``, ``triton_kernels``) or else as a
column walk in tensor operations (``TorchNetwork.walk``: the k-th used slot of every citizen with
degree > k, so each citizen's ties are visited in slot order, as the Numba kernels visit them,
and float64 sums add up in the same order); the two give the same results bit for bit
(tests/test_triton_kernels.py).

The host class supplies the state (``net``, ``s_pub``, ``sm``, ...) and V(s) as the CPU kernels
read it (``_value_at``).
"""

from __future__ import annotations

import numpy as np
import torch

from .. import metrics as mx
from .. import month
from ..month import CUT_CHURN, CUT_DRAG, MADE_FORM, MADE_REPLACE
from ..rng import TIES
from . import torch_ops as ops
from .torch_draws import uniform
from .torch_ops import BOOL, F64, I32, I64, U8


class TorchTies:
    """The ties phase and the passes over ties of a TorchSimulation."""

    def ties(self, m: month.Month) -> None:
        """Cuts of draggers, churn, new ties (Simulation.ties)."""
        sc, net, n, sm, dev, t = self.sc, self.net, self.n, self.sm, self.device, m.t
        th, val, line, cost, sd = m.curve
        scored, s_ref = m.scored, m.s_ref
        tp = sc.behaviour.ties
        key = self.keys["ties"]
        temp = sc.behaviour.temperature
        awareness = m.awareness
        ids = self.ids

        # disconnection: each citizen may cut its worst dragger
        c = torch.nonzero((self.worst >= 0) & scored).squeeze(1)
        c = c[uniform(key, t, TIES.cut_consider, c) < tp.cut_rate]
        s = s_ref[c]
        gain = (self._value_at(s + awareness * self.worst_drag[c], th, val, line, cost, sd)
                - self._value_at(s, th, val, line, cost, sd))
        keep = ops.where(self.worst_kind[c] == 1, tp.family_value, tp.friend_value)
        cutters = c[uniform(key, t, TIES.cut, c) < ops.choice(gain, keep, temp)]  # ascending, as np.flatnonzero
        cut_to = self.worst[cutters].to(I64)
        del c, s, gain, keep

        # churn: a random friend dropped with probability churn * degree / 2
        deg = net.deg.to(I64)
        c = torch.nonzero((deg > 0) & (uniform(key, t, TIES.churn, ids) < tp.churn * deg.to(F64) * 0.5)).squeeze(1)
        x = net.start[c] + (uniform(key, t, TIES.churn_slot, c) * deg[c].to(F64)).to(I64)
        friend = net.kind[x] == 0
        churners = c[friend]
        churn_to = net.nbr[x[friend]].to(I64)
        del deg, c, x, friend

        cu = torch.cat([cutters, churners])
        cv = torch.cat([cut_to, churn_to])
        removed, cut_kinds = net.remove_edges(cu, cv)
        reason = torch.cat([torch.full((cutters.shape[0],), CUT_DRAG, dtype=U8, device=dev),
                            torch.full((churners.shape[0],), CUT_CHURN, dtype=U8, device=dev)])
        did_cut = torch.zeros(n, dtype=BOOL, device=dev)
        did_cut[cutters[removed[: cutters.shape[0]]]] = True
        c = torch.nonzero(did_cut).squeeze(1)
        replace = torch.zeros(n, dtype=BOOL, device=dev)
        replace[c] = uniform(key, t, TIES.replace, c) < tp.replace
        seekers = torch.nonzero(replace | (uniform(key, t, TIES.form, ids) < self.form_rate)).squeeze(1)
        seekers = seekers[~self.arrested[seekers]]  # prisoners seek no ties
        del did_cut, c

        # new ties: a candidate (triadic or random), the better of two under score seeking,
        # refused by the target if the newcomer would drag its score (new_tie_kernel)
        points = sm.assoc_points * awareness
        penalty = sm.penalty * awareness
        cand = self._candidate(seekers, t, (TIES.triadic, TIES.friend, TIES.friend_of_friend, TIES.stranger), tp.triadic)
        if sm.assoc_mode != 0:
            two = uniform(key, t, TIES.seek_better, seekers) < tp.score_seeking
            sel = torch.nonzero(two).squeeze(1)
            c2 = self._candidate(seekers[sel], t, (TIES.triadic_2, TIES.friend_2, TIES.friend_of_friend_2,
                                                   TIES.stranger_2), tp.triadic)
            a, b = self.s_pub[cand[sel]], self.s_pub[c2]
            better = ~torch.isnan(b) & (torch.isnan(a) | (b > a))
            cand[sel[better]] = c2[better]
        go = cand != seekers
        seekers, cand = seekers[go], cand[go]
        record = self._friends_record(m)
        if sm.assoc_mode != 0 or record is not None:
            si, st = self.s_pub[seekers].to(F64), self.s_pub[cand].to(F64)
            judged = scored[cand] & ~torch.isnan(si) & ~torch.isnan(st)
            if sm.assoc_mode == 1:
                drag = torch.where(judged & (si < st),
                                   points * (st - si) / (600.0 * (self.pub_weight[cand] + 1.0)), 0.0)
            elif sm.assoc_mode == 2:
                drag = ops.where(judged & (si < sm.line), penalty, 0.0)
            else:
                drag = torch.zeros(seekers.shape[0], dtype=F64, device=dev)
            if record is not None:  # the newcomer's posts would cost the target too
                drag = drag + torch.where(judged, (sm.friends_posts * awareness) * record[seekers], 0.0)
            j = torch.nonzero(drag > 0).squeeze(1)
            loss = (self._value_at(st[j], th, val, line, cost, sd)
                    - self._value_at(st[j] - drag[j], th, val, line, cost, sd))
            refuse = torch.zeros(seekers.shape[0], dtype=BOOL, device=dev)
            refuse[j] = uniform(key, t, TIES.refuse, seekers[j]) < ops.choice(loss, tp.friend_value, temp)
            seekers, cand = seekers[~refuse], cand[~refuse]
        free = ~self.arrested[cand]  # nobody befriends a prisoner
        seekers, cand = seekers[free], cand[free]
        made = net.add_edges(seekers, cand)
        mu, mv = seekers[made], cand[made]
        m_reason = torch.where(replace[mu], MADE_REPLACE, MADE_FORM).to(U8)
        cpu = ops.numpy_copy
        n_rm = int(removed.sum().item())
        m.events.append(month.MonthEvents(
            u=cpu(torch.cat([cu[removed], mu])).astype(np.int32),
            v=cpu(torch.cat([cv[removed], mv])).astype(np.int32),
            kind=cpu(torch.cat([cut_kinds[removed], torch.zeros(mu.shape[0], dtype=U8, device=dev)])),
            made=np.r_[np.zeros(n_rm, np.bool_), np.ones(mu.shape[0], np.bool_)],
            reason=cpu(torch.cat([reason[removed], m_reason])),
        ))

    def _candidate(self, i: torch.Tensor, t: int, slots, triadic: float) -> torch.Tensor:
        """behaviour._candidate for each seeker in ``i``: a friend of a friend who is not yet a
        friend (with probability ``triadic``), else a random citizen."""
        net, n, key = self.net, self.n, self.keys["ties"]
        s_tri, s_a, s_b, s_rand = slots
        out = (uniform(key, t, s_rand, i) * n).to(I64) % n
        deg_i = net.deg[i].to(I64)
        r = torch.nonzero((uniform(key, t, s_tri, i) < triadic) & (deg_i > 0)).squeeze(1)
        ii = i[r]
        f = net.nbr[net.start[ii] + (uniform(key, t, s_a, ii) * deg_i[r].to(F64)).to(I64)].to(I64)
        deg_f = net.deg[f].to(I64)
        has = deg_f > 0
        r, ii, f, deg_f = r[has], ii[has], f[has], deg_f[has]
        g = net.nbr[net.start[f] + (uniform(key, t, s_b, ii) * deg_f.to(F64)).to(I64)].to(I64)
        fine = g != ii
        r, ii, g = r[fine], ii[fine], g[fine]
        fine = ~net.has_edge(ii, g)
        out[r[fine]] = g[fine]
        return out

    # ------------------------------------------------------------------ sums over each citizen's ties
    def _association(self, own_ref: torch.Tensor, reach_posts: torch.Tensor, record: torch.Tensor | None) -> None:
        """scoring.association_pass: association points, each citizen's worst dragger (the first
        friend with the largest gap, kept if its drag is listed), drag unit, peer share.
        ``record``: the citizens' political records when friends' posts count, else None.

        Friends' published scores are read as float32 (the CPU kernel's friend_view); each
        citizen's ties are visited in slot order, so the float64 sums add up in the same order.
        Friends' posts take a second pass once the drag unit is known (``_posts_walk``, or its
        Triton kernel)."""
        sm, n, dev, net = self.sm, self.n, self.device, self.net
        fw1 = sm.family_weight - 1.0
        z = lambda dt=F64: torch.zeros(n, dtype=dt, device=dev)  # noqa: E731
        if self.fused:
            from . import triton_kernels

            wsum, wsx, below, posted, best_gap, best, best_kind = triton_kernels.association(
                net, self.s_pub, reach_posts, own_ref, sm.assoc_mode, fw1, sm.line)
        else:
            wsum, wsx, below, posted, best_gap, best, best_kind = self._association_walk(own_ref, reach_posts, fw1)
        deg = net.deg.to(F64)
        self.peer_share = torch.where(deg > 0, posted / deg.clamp_min(1.0), 0.0)
        self.pub_weight = wsum
        if sm.assoc_mode == 1:
            has = wsum > 0
            a = torch.where(has, sm.assoc_points * (wsx / wsum - 350.0) / 600.0,
                            sm.assoc_points * (own_ref - 350.0) / 600.0)
            unit = torch.where(has, sm.assoc_points / (600.0 * wsum), 0.0)
        elif sm.assoc_mode == 2:
            raw = sm.penalty * below
            scale = torch.where(raw <= sm.max_penalty, 1.0, sm.max_penalty / raw)
            a = -raw * scale
            unit = sm.penalty * scale
        else:
            a, unit = z(), z()
        if record is None:
            drag = unit * best_gap
        else:  # the worst dragger by score gap and record together, once the drag unit is known
            if self.fused:
                from . import triton_kernels

                record_sum, drag, best, best_kind = triton_kernels.posts(
                    net, self.s_pub, own_ref, unit, record, sm.assoc_mode, fw1, sm.line, sm.friends_posts)
            else:
                record_sum, drag, best, best_kind = self._posts_walk(own_ref, record, unit, fw1)
            a = a - sm.friends_posts * record_sum
        listed = (best >= 0) & (drag > 0) & (drag >= sm.min_drag)
        self.assoc = a
        self.drag_unit = unit
        self.worst = torch.where(listed, best, -1)
        self.worst_drag = torch.where(listed, drag, 0.0)
        self.worst_kind = best_kind

    def _friends_record(self, m: month.Month) -> torch.Tensor | None:
        """ScoreModel.friends_record as a tensor: the political records, or None when friends'
        posts do not count this month."""
        return self.political if m.political_on and self.sm.friends_posts > 0 else None

    def _association_walk(self, own_ref: torch.Tensor, reach_posts: torch.Tensor, fw1: float):
        """The association pass as tensor operations, column by column (see TorchNetwork.walk)."""
        sm, n, dev, net = self.sm, self.n, self.device, self.net
        z = lambda dt=F64: torch.zeros(n, dtype=dt, device=dev)  # noqa: E731
        wsum, wsx, below, posted, best_gap = z(), z(), z(), z(), z()
        best = torch.full((n,), -1, dtype=I32, device=dev)
        best_kind = z(U8)
        # friend_view: one float32 (n, 2) gather serves both columns (faster than two on CUDA)
        view = torch.stack([self.s_pub, reach_posts], 1)
        for cit, x, unique in net.walk():
            j = net.nbr[x].to(I64)
            kind = net.kind[x]
            fv = view.index_select(0, j).to(F64)
            ops.add(posted, cit, fv[:, 1])
            sj = fv[:, 0]
            ok = ~torch.isnan(sj)
            sjz = torch.where(ok, sj, 0.0)
            w = ok.to(F64) if fw1 == 0.0 else torch.where(ok, 1.0 + fw1 * kind.to(F64), 0.0)
            ops.add(wsum, cit, w)
            ops.add(wsx, cit, w * sjz)
            under = torch.where(sjz < sm.line, w, 0.0)
            ops.add(below, cit, under)
            gap = w * (ops.take(own_ref, cit) - sjz) if sm.assoc_mode == 1 else under
            best_gap = self._keep_worst(cit, x, unique, j, kind, gap, best_gap, best, best_kind)
        return wsum, wsx, below, posted, best_gap, best, best_kind

    def _posts_walk(self, own_ref: torch.Tensor, record: torch.Tensor, unit: torch.Tensor, fw1: float):
        """Friends' posts (scoring.association_pass with a record): each citizen's sum of w P_j
        and its worst dragger by unit * max(gap, 0) + friends_posts * w P_j (``_post_drag``)."""
        sm, n, dev, net = self.sm, self.n, self.device, self.net
        record_sum, drag = torch.zeros(n, dtype=F64, device=dev), torch.zeros(n, dtype=F64, device=dev)
        best = torch.full((n,), -1, dtype=I32, device=dev)
        best_kind = torch.zeros(n, dtype=U8, device=dev)
        for cit, x, unique in net.walk():
            j = net.nbr[x].to(I64)
            kind = net.kind[x]
            sj = self.s_pub.index_select(0, j).to(F64)
            ok = ~torch.isnan(sj)
            sjz = torch.where(ok, sj, 0.0)
            w = ok.to(F64) if fw1 == 0.0 else torch.where(ok, 1.0 + fw1 * kind.to(F64), 0.0)
            rec = w * record.index_select(0, j)
            ops.add(record_sum, cit, rec)
            if sm.assoc_mode == 1:
                gap = w * (ops.take(own_ref, cit) - sjz)
            else:
                gap = torch.where(sjz < sm.line, w, 0.0)
            dq = ops.take(unit, cit) * gap.clamp_min(0.0) + sm.friends_posts * rec
            drag = self._keep_worst(cit, x, unique, j, kind, dq, drag, best, best_kind)
        return record_sum, drag, best, best_kind

    def _keep_worst(self, cit, x, unique, j, kind, gap, best_gap, best, best_kind) -> torch.Tensor:
        """One batch of a walk: the first slot with the largest gap, where it beats the best so
        far (strictly), updates (best_gap, best, best_kind); returns best_gap."""
        n, dev, net = self.n, self.device, self.net
        if cit is None:
            win = gap > best_gap
            best.copy_(torch.where(win, j.to(I32), best))
            best_kind.copy_(torch.where(win, kind, best_kind))
            return torch.where(win, gap, best_gap)
        if unique:
            win = gap > best_gap[cit]
            wc, wx, wg = cit[win], x[win], gap[win]
        else:
            top = torch.zeros(n, dtype=F64, device=dev).scatter_reduce_(0, cit, gap, "amax")
            win = (gap == top[cit]) & (gap > best_gap[cit])
            first = torch.full((n,), 2**62, dtype=I64, device=dev)
            first.scatter_reduce_(0, cit[win], x[win], "amin")  # smallest such slot
            wc = torch.unique(cit[win])
            wx, wg = first[wc], top[wc]
        best_gap[wc] = wg
        best[wc] = net.nbr[wx]
        best_kind[wc] = net.kind[wx]
        return best_gap

    def _register(self, own_ref: torch.Tensor, record: torch.Tensor | None) -> torch.Tensor:
        """The register (scoring.association_pass with register on): a published citizen is listed when it drags some friend by
        more than 0 and at least register.min_drag (any friend: the order does not matter)."""
        sm, net = self.sm, self.net
        if self.fused:
            from . import triton_kernels

            return triton_kernels.register(net, self.s_pub, own_ref, self.drag_unit, sm.assoc_mode,
                                           sm.family_weight, sm.line, sm.min_drag, record, sm.friends_posts)
        listed = torch.zeros(self.n, dtype=BOOL, device=self.device)
        pub = self.s_pub.to(F64)
        published = ~torch.isnan(pub)
        unit = self.drag_unit  # two 1-D gathers: a packed (n, 2) float64 gather is ~25x slower on CUDA
        for cit, x, _ in net.walk(None if bool(published.all()) else torch.nonzero(published).squeeze(1)):
            i = net.nbr[x].to(I64)
            sj = ops.take(pub, cit)
            w = 1.0 if sm.family_weight == 1.0 else ops.where(net.kind[x] == 1, sm.family_weight, 1.0)
            if sm.assoc_mode == 1:
                ref = own_ref.index_select(0, i)
                drag = torch.where(sj < ref, unit.index_select(0, i) * w * (ref - sj), 0.0)
            else:
                drag = torch.where(sj < sm.line, unit.index_select(0, i) * w, 0.0)
            if record is not None:  # _post_drag: friends_posts * (w * P_j) on top
                drag = drag + sm.friends_posts * (w * ops.take(record, cit))
            hit = (drag > 0) & (drag >= sm.min_drag)
            if cit is None:
                listed |= hit
            else:
                listed[cit[hit]] = True
        return listed

    def _agent_friends(self, t: int):
        """The provocation phase's friend counts (``_agent_friends_walk``), in one Triton kernel on a GPU."""
        if self.fused:
            from . import triton_kernels

            return triton_kernels.agent_friends(self.net, self.provocateur, self.last_post, t, mx.DISSENT_WINDOW)
        return self._agent_friends_walk(t)

    def _agent_friends_walk(self, t: int):
        """Per citizen: friends who are provocateurs, the other friends, and those of them who
        are active dissenters (posted unapproved content in the 12 months before t)."""
        net, n, dev = self.net, self.n, self.device
        agents, friends, dissenting = (torch.zeros(n, dtype=I32, device=dev) for _ in range(3))
        for cit, x, _ in net.walk():
            j = net.nbr[x].to(I64)
            agent = self.provocateur[j]
            active = ~agent & ((t - 1 - self.last_post[j]) < mx.DISSENT_WINDOW)
            ops.add(agents, cit, agent.to(I32))
            ops.add(friends, cit, (~agent).to(I32))
            ops.add(dissenting, cit, active.to(I32))
        return agents, friends, dissenting
