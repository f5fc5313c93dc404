"""The monthly step on PyTorch tensors: a CUDA GPU when there is one, else the CPU.

``TorchSimulation`` supplies the phases of ``scsim.month.PHASES`` (the one table of the month,
run by ``scsim.month.step`` for both backends) with tensor operations instead of Numba loops, and draws
the SAME counter-based random numbers: ``torch_draws.uniform(key, month, slot, citizen)``
reproduces ``scsim.rng.uniform`` bit for bit. So from one state both
backends take the same decisions, except where a float rounding difference of ~1e-16 (or
~1e-7 for the float32 population columns, see below) falls on a decision boundary.

The backend, file by file:

- ``torch_backend`` (here): ``TorchSimulation``, one method per phase of the month in the
  table's order (the ties phase is ``TorchTies.ties``), the month's pieces they share (V(s) and
  V'(s) as the CPU kernels read them, purchases, own components, positions) and the metrics
  row;
- ``torch_world``: the world on the device (``TorchWorld``: copied from a numpy simulation,
  or drawn there by ``synthetic``) and back to numpy (``population``, ``to_simulation``);
- ``torch_ties``: the ties phase and the passes over ties (``TorchTies``: association,
  register, agent friends; Triton kernels on a GPU, a column walk otherwise);
- ``torch_ops``: scsim.behaviour's and scsim.rules' formulas on tensors (V(s), the choice rule,
  the Daymude action) and small tensor helpers;
- ``torch_network``: the network (``TorchNetwork``: scsim.network.Network's slotted layout,
  ``start``/``deg``/``cap``/``nbr``/``kind``, as tensors; free slots hold -1), and
  ``torch_draws``: the counter-based draws.

Precision (see docs/gpu.md): population attributes that never change (tau, reliability,
capacity, status, privacy cost, income, spending shares) are ``attr_dtype`` (float32 by
default; float64 reproduces the CPU step to ~1e-16); everything that accumulates or must add up
in a score's explanation (repayment record, components, score, association, political record,
drag) is float64; published scores are float32 as in the CPU engine (which stores float32
values in float64 arrays).
"""

from __future__ import annotations

import sys

import numpy as np
import torch

from .. import behaviour as bh
from .. import metric_columns
from .. import metrics as mx
from .. import month
from ..engine import Simulation
from ..loop import PhaseClock
from ..month import CUT_ARREST, CUT_CHURN, CUT_DRAG
from ..population import OCC, Population
from ..rng import BRAGGING, ECONOMY, EXPRESSION, OPTIN, POSITIONS, PROVOCATION
from ..scenario import EXPRESSION_KINDS, OCCUPATIONS, Scenario, month_label
from ..scoring import COMPONENTS, OCCUPATION_WEIGHT, dragger_counts

from . import torch_ops as ops
from .torch_draws import fused_available as _fused_available
from .torch_draws import uniform
from .torch_network import TorchNetwork  # noqa: F401  (imported from here by tests)
from .torch_ops import BOOL, F32, F64, I64
from .torch_ops import numpy_copy as _numpy  # (the name metrics and the citizen tables read it by)
from .torch_ties import TorchTies
from .torch_world import TorchWorld

NO_CUDA_NOTE = "no CUDA GPU found: the torch backend runs on the CPU"


def select_device(prefer: str = "cuda") -> tuple[torch.device, str | None]:
    """The device to run on and, when it is not the one asked for, a one-line note saying so.

    ``prefer``: "cuda" (or "cuda:N") falls back to the CPU where no CUDA GPU exists; "cpu"
    is always honoured; "auto" is "cuda" without the note."""
    if prefer in ("cuda", "auto") or prefer.startswith("cuda:"):
        if torch.cuda.is_available():
            return torch.device("cuda" if prefer == "auto" else prefer), None
        return torch.device("cpu"), (None if prefer == "auto" else NO_CUDA_NOTE)
    return torch.device(prefer), None


class TorchSimulation(TorchWorld, TorchTies, month.Phased):
    """One scenario on one seed, stepped with PyTorch on ``device``; same API as Simulation.

    ``world``: None builds population and network with scsim's CPU code (so the initial state
    equals ``Simulation(scenario)``'s); a numpy ``Simulation`` is copied as it stands; any other
    value is a graph for ``Simulation(scenario, graph)``. ``TorchSimulation.synthetic`` builds a
    (statistically equivalent) world directly on the device instead, for sizes where the CPU
    builder is too slow. ``net_metrics_limit``: network-wide metrics (components, dissenter
    clusters, assortativity) are computed on the CPU up to this many citizens, NaN above.

    State lives on the device as tensors under the CPU engine's names (``score``, ``s_pub``,
    ``net``, ...); ``flows`` holds the month's per-citizen results as tensors except
    ``flows.events``, numpy arrays as the store reads them. ``to_simulation()`` goes back."""

    # what only depends on the scenario, and the calendar: the CPU engine's own code
    configure = Simulation.configure
    phase_name = Simulation.phase_name
    is_network_month = Simulation.is_network_month
    value_args = Simulation.value_args
    value_curve = Simulation.value_curve
    calendar = Simulation.calendar

    def __init__(self, scenario: Scenario, device=None, world=None, *, attr_dtype=F32,
                 net_metrics_limit: int = 2_000_000):
        if isinstance(world, Simulation):
            sim, own = world, False
        else:
            sim, own = self.cpu_class(scenario, world), True
        self._setup(scenario, device, attr_dtype, net_metrics_limit)
        self._load(sim, copy_population=not own)

    @classmethod
    def from_simulation(cls, sim: Simulation, device=None, **kw) -> "TorchSimulation":
        """A copy of a numpy simulation's full current state, on ``device``."""
        return cls(sim.sc, device=device, world=sim, **kw)

    def _setup(self, scenario, device, attr_dtype, net_metrics_limit) -> None:
        if device is None:
            device, note = select_device("cuda")
            if note:
                print(f"scsim: {note}", file=sys.stderr)
        self.device = torch.device(device)
        self.attr_dtype = attr_dtype
        self.net_metrics_limit = int(net_metrics_limit)
        # the two passes over every tie as one Triton kernel each (CUDA with Triton); False: the
        # column walk in tensor operations. Same results bit for bit (tests/test_triton_kernels.py)
        self.fused = _fused_available(self.device)
        self.configure(scenario)
        self.flows: month.Flows | None = None
        self.timings: list[float] = []
        self.profile_phases = False  # time each phase (see lap)
        self.clock = PhaseClock()
        self.pop: Population | None = None  # CPU population (columns the device does not hold)
        self._barred = torch.tensor(self.regime.barred.astype(np.int64), device=self.device)
        self._occ_weight = torch.tensor(OCCUPATION_WEIGHT, dtype=F64, device=self.device)

    # ------------------------------------------------------------------ pieces of the month
    def _own_components(self) -> torch.Tensor:
        """ScoreModel.own_components: (4, n) points of the components that depend on the citizen alone."""
        w = self.sm.w
        character = 0.5 * self._occ_weight[self.occupation.to(I64)] + 0.5 * self.tertiary.to(F64)
        return torch.stack([float(w[0]) * self.history, float(w[1]) * self.capacity.to(F64),
                            float(w[2]) * character, float(w[3]) * self.behaviour_x])

    def _standalone_score(self, own: torch.Tensor) -> torch.Tensor:
        sm = self.sm
        total = sm.base + own.sum(0)
        if sm.assoc_mode == 1 and sm.assoc_points > 0:
            k = sm.assoc_points / 600.0
            total = (total - 350.0 * k) / (1.0 - k)
        return torch.clamp(total, sm.lo, sm.hi)

    def _value_at(self, s, th, val, line, cost, sd) -> torch.Tensor:
        """V(s) as the CPU kernels read it (behaviour.value_at): interpolated in the engine's own
        table (behaviour.value_table), the formula outside it."""
        table, t0 = self.value_curve(th, val, line, cost, sd)
        kept = self.__dict__.get("_value_tensor")
        if kept is None or kept[0] is not table:
            kept = self._value_tensor = (table, torch.tensor(table, dtype=F64, device=self.device))
        tab = kept[1]
        x = (s - t0) * (1.0 / bh.VALUE_STEP)
        inside = (x >= 0.0) & (x < tab.shape[0] - 1)
        q = torch.where(inside, x, 0.0).to(I64)  # int(x) where it is used
        f = x - q
        out = tab[q] * (1.0 - f) + tab[q + 1] * f
        return torch.where(inside, out, ops.value(s, th, val, line, cost, sd))

    def _slope(self, s, th, val, line, cost, sd) -> torch.Tensor:
        """V'(s) as the CPU purchase kernel reads it: from the month's table (the engine's own
        behaviour.slope_table), interpolated as behaviour._interp does."""
        lo, step = self.sm.lo, bh.SLOPE_STEP
        table = torch.tensor(bh.slope_table(th, val, line, cost, sd, lo, self.sm.hi), dtype=F64, device=self.device)
        x = (s - lo) / step
        q = x.to(I64).clamp(0, table.shape[0] - 2)  # int(x) where it is used
        f = x - q
        out = table[q] * (1.0 - f) + table[q + 1] * f
        out = torch.where(x.to(I64) >= table.shape[0] - 1, table[-1], out)
        return torch.where(x <= 0, table[0], out)

    def _purchase_groups(self) -> tuple[np.ndarray, torch.Tensor]:
        """The groups' valences and (groups, n) float64 base shares summed by valence group in
        category order (Simulation._purchase_groups: the same bits), kept while the base
        shares are."""
        kept = self.__dict__.get("_groups_kept")
        if kept is None or kept[0] is not self.base_shares:
            values, group = bh.valence_groups(self.valence)
            shares = torch.zeros((len(values), self.n), dtype=F64, device=self.device)
            for c, q in enumerate(group.tolist()):
                shares[q] += self.base_shares[c].to(F64)
            kept = (self.base_shares, values, shares)
            self._groups_kept = kept
        return kept[1], kept[2]

    def _purchases(self, active, s_ref, shift, rate, ppv, th, val, line, cost, sd) -> torch.Tensor:
        """scsim.behaviour.purchase_kernel: updates tilt and behaviour_x; returns approved shares."""
        target = torch.where(active, shift * self._slope(s_ref, th, val, line, cost, sd) * ppv, 0.0)
        self.tilt += rate * (target - self.tilt)
        g = self.tilt
        e = torch.exp(g)  # as the CPU kernel: groups +1, -1, 0 first, one exp for them
        values, shares = self._purchase_groups()
        up = shares[0] * e
        down = shares[1] * (1.0 / e)
        z = up + down + shares[2]
        bx = up - down
        ap = up
        for c, vc in enumerate(values.tolist()[3:], start=3):
            sh = shares[c] * torch.exp(g * vc)
            z = z + sh
            bx = bx + sh * vc
            if vc > 0:
                ap = ap + sh
        self.behaviour_x = 0.5 + 0.5 * bx / z
        return ap / z

    # ------------------------------------------------------------------ the month
    def step(self) -> dict:
        """One month: ``scsim.month.step``, with this backend's phases, on tensors."""
        return month.step(self)

    def lap(self, phase: str | None) -> None:
        """With ``profile_phases`` on, time each phase into ``phase_seconds`` (synchronising the
        device, so off by default)."""
        if self.profile_phases:
            self.synchronize()
            self.clock.lap(phase)

    @property
    def phase_seconds(self) -> dict[str, float]:
        return self.clock.seconds

    def generations(self, m: month.Month) -> dict:
        """Rare (every G months) and resizing, so it runs the CPU engine's own code on a copy of
        the state, which then comes back (identical by construction)."""
        sim = self.to_simulation()
        births = sim.new_generation(m.t)
        self._load(sim)
        return {"parents_tau": births.parents_tau}

    def economy(self, m: month.Month) -> None:
        e, n, t, th, keys = self.sc.economy, self.n, m.t, m.curve[0], self.keys
        if len(th):
            has_loan = self.opted & (self.s_pub.to(F64) >= float(th[0]))
        else:
            has_loan = torch.zeros(n, dtype=BOOL, device=self.device)
        p_due = ops.where(has_loan, e.borrow_prob + e.loan_boost, e.borrow_prob + 0.0)
        due = uniform(keys["economy"], t, ECONOMY.due, self.ids) < p_due
        del p_due, has_loan
        d_idx = torch.nonzero(due).squeeze(1)
        ok = uniform(keys["economy"], t, ECONOMY.repaid, d_idx) < self.reliability[d_idx].to(F64)
        defaulted = torch.zeros(n, dtype=BOOL, device=self.device)
        defaulted[d_idx] = ~ok
        h = self.history[d_idx]
        self.history[d_idx] = h + e.history_rate * (ok.to(F64) - h)
        m.due, m.defaulted = due, defaulted

    def optin(self, m: month.Month) -> None:
        th, val, line, cost, sd = m.curve
        bp, t = self.sc.behaviour, m.t
        if m.phase == "mandatory":
            self.opted[:] = True
        elif m.phase == "opt-in":
            c = torch.nonzero(~self.opted).squeeze(1)
            c = c[uniform(self.keys["optin"], t, OPTIN.consider, c) < bp.optin.rate]
            pays = ops.choice(ops.value(self.score[c], th, val, 0.0, 0.0, sd), self.privacy_cost[c].to(F64),
                              bp.temperature)
            p = bp.optin.curiosity + (1.0 - bp.optin.curiosity) * pays  # behaviour.optin_kernel
            self.opted[c[uniform(self.keys["optin"], t, OPTIN.join, c) < p]] = True
        m.scored = self.opted
        pub64 = self.s_pub.to(F64)
        m.s_ref = torch.where(torch.isnan(pub64), self.score, pub64)  # own last score

    def purchases(self, m: month.Month) -> None:
        pp, sm = self.sc.purchases, self.sm
        m.approved = self._purchases(m.scored & bool(sm.w[3] > 0), m.s_ref, pp.shift_strength, pp.adjust_rate,
                                     0.5 * float(sm.w[3]), *m.curve)

    def expression(self, m: month.Month) -> None:
        sc, sm, rg, n, t, dev = self.sc, self.sm, self.regime, self.n, m.t, self.device
        th, val, line, cost, sd = m.curve
        scored, s_ref, keys = m.scored, m.s_ref, self.keys
        bp = sc.behaviour
        temp = bp.temperature
        ids = self.ids
        ep = bp.expression
        k = len(EXPRESSION_KINDS)
        rates = (ep.rate_opinion, ep.rate_history, ep.rate_news)
        m.pens = pens = [float(x) for x in sm.pen] if m.political_on else [0.0] * k
        peer = torch.clamp(1.0 + ep.peer_strength * ((self.peer_share - ep.peer_reference) / ep.peer_reference),
                           1.0 - ep.peer_strength, 1.0 + ep.peer_strength)
        tau64 = self.tau.to(F64)
        would = torch.empty((k, n), dtype=BOOL, device=dev)
        posted = torch.empty((k, n), dtype=BOOL, device=dev)
        censored = torch.zeros((k, n), dtype=BOOL, device=dev)
        reach = rg.reach
        rule = ep.rule  # (the schema allows logit and daymude only)
        v0 = None
        for q in range(k):
            u_would = uniform(keys["expression"], t, EXPRESSION.stride * q + EXPRESSION.would, ids)
            would[q] = u_would < rates[q] * tau64 * peer
            speak = would[q].clone()
            if pens[q] > 0:
                c = torch.nonzero(would[q] & scored).squeeze(1)
                if v0 is None:
                    v0 = torch.full((n,), float("nan"), dtype=F64, device=dev)
                miss = c[torch.isnan(v0[c])]
                v0[miss] = self._value_at(s_ref[miss], th, val, line, cost, sd)
                loss = v0[c] - self._value_at(s_ref[c] - pens[q], th, val, line, cost, sd)
                if rule == "logit":
                    silent = uniform(keys["expression"], t, EXPRESSION.stride * q + EXPRESSION.censor, c) < ops.choice(
                        loss, ep.value * tau64[c], temp)
                else:  # daymude: post only the optimal share a* of the desired dissent (same draw as would)
                    severity = loss / ep.value if ep.value > 0 else torch.full_like(loss, float("inf"))
                    a = ops.daymude_action(tau64[c], 1.0, ep.surveillance, ep.tolerance, severity,
                                        ep.punishment == "proportional")
                    silent = u_would[c] >= rates[q] * a * peer[c]
                censored[q, c] = silent
                speak[c[silent]] = False
            if reach < 1.0:  # a sanctioned citizen's post gets through with probability reach
                c = torch.nonzero(speak & self.sanctioned).squeeze(1)
                speak[c] = uniform(keys["expression"], t, EXPRESSION.stride * q + EXPRESSION.reach, c) < reach
            posted[q] = speak
        del peer, v0, u_would
        quiet = self.provocateur | self.arrested
        if bool(quiet.any()):  # agents and prisoners do not post
            would[:, quiet] = False
            posted[:, quiet] = False
            censored[:, quiet] = False
        del quiet
        if self.arrest_risk > 0 and sc.provocateurs.arrest_cost > 0:  # fear of arrest (provocation.fear_kernel)
            p = ops.choice(self.arrest_risk * sc.provocateurs.arrest_cost, ep.value * tau64, temp)
            for q in range(k):
                c = torch.nonzero(posted[q]).squeeze(1)
                c = c[uniform(keys["provocation"], t, PROVOCATION.fear + q, c) < p[c]]
                posted[q, c] = False
                censored[q, c] = True
        m.would, m.posted, m.censored = would, posted, censored

    def provocation(self, m: month.Month) -> dict:
        """Invitations, agreements, reports, arrests (Simulation.provocation, scsim.provocation);
        arrested citizens lose every tie."""
        pp, net, n, dev, t = self.sc.provocateurs, self.net, self.n, self.device, m.t
        tau64 = self.tau.to(F64)
        key = self.keys["provocation"]
        agents, friends, dissenting = self._agent_friends(t)
        free = ~self.provocateur & ~self.arrested
        invited = torch.zeros(n, dtype=BOOL, device=dev)
        agreed = torch.zeros(n, dtype=BOOL, device=dev)
        c = torch.nonzero(free & (agents > 0)).squeeze(1)
        c = c[uniform(key, t, PROVOCATION.invite, c) < 1.0 - (1.0 - pp.invite_rate) ** agents[c].to(F64)]
        invited[c] = True
        fr = friends[c]
        share = torch.where(fr > 0, dissenting[c].to(F64) / fr.clamp_min(1).to(F64), 0.0)
        p = 1.0 / (1.0 + torch.exp(-(tau64[c] - pp.agree_threshold + pp.peer_weight * share) / pp.spread))
        fear_loss = self.arrest_risk * pp.arrest_cost
        if fear_loss > 0:  # fear deters agreeing as it deters posting (provocation_kernel)
            bp = self.sc.behaviour
            p = p * (1.0 - ops.choice(fear_loss, bp.expression.value * tau64[c], bp.temperature))
        c = c[uniform(key, t, PROVOCATION.agree, c) < p]
        agreed[c] = True
        self.reported[c[uniform(key, t, PROVOCATION.report, c) < pp.detection]] = True
        c = torch.nonzero(free & self.reported).squeeze(1)
        who = c[uniform(key, t, PROVOCATION.arrest, c) < pp.arrest_rate]
        from ..provocation import RISK_WEIGHT

        spoke = self.dissenters(t - 1)  # the risk is learned from arrests among those who spoke
        caught = int(spoke[who].sum().item())
        self.arrest_risk += RISK_WEIGHT * (caught / max(int(spoke.sum().item()), 1) - self.arrest_risk)
        self.arrested[who] = True
        self.reported[who] = False
        # every tie of the arrested, once (provocation.incident_edges), cut in that order
        rows, x = net.segments(who)
        u, v = who[rows], net.nbr[x].to(I64)
        keep = ~self.arrested[v] | (u < v)  # (only this month's arrested still have ties)
        u, v = u[keep], v[keep]
        removed, kinds = net.remove_edges(u, v)
        cpu = _numpy
        cut = int(removed.sum().item())
        m.events.append(month.MonthEvents(cpu(u[removed]).astype(np.int32), cpu(v[removed]).astype(np.int32),
                                          cpu(kinds[removed]), np.zeros(cut, np.bool_),
                                          np.full(cut, month.CUT_ARREST, np.uint8)))
        return {"invited": int(invited.sum().item()), "agreed": int(agreed.sum().item()), "arrests": int(who.shape[0])}

    # ties: TorchTies.ties (torch_ties), cuts of draggers, churn and new ties

    def scoring(self, m: month.Month) -> None:
        sm, n, t, posted, pens = self.sm, self.n, m.t, m.posted, m.pens
        self.own = self._own_components()
        self.political *= sm.decay
        if any(pens):  # pens @ posted, added at once as the CPU engine does (same rounding)
            self.political += sum(pens[q] * posted[q].to(F64) for q in range(len(pens)))
        any_post = posted.any(0)
        reach_posts = any_post.to(F32)
        self.last_post[any_post] = t
        self.own_ref = m.s_ref
        record = self._friends_record(m)
        self._association(m.s_ref, reach_posts, record)
        if m.register_on and sm.associates:
            self.listed = self._register(m.s_ref, record)
        else:
            self.listed = torch.zeros(n, dtype=BOOL, device=self.device)
        raw = ((self.own[0] + self.own[1]) + self.own[2]) + self.own[3]
        raw = sm.base + raw + self.assoc - self.political
        self.score = torch.clamp(raw, sm.lo, sm.hi)
        self.clamp = self.score - raw

    def publication(self, m: month.Month) -> None:
        n, th, scored = self.n, m.curve[0], m.scored
        self.s_pub_prev = self.s_pub
        self.s_pub = torch.where(scored, self.score, float("nan")).to(F32)
        pub64 = self.s_pub.to(F64)
        m.holders = torch.stack([scored & (pub64 >= float(x)) for x in th]) if len(th) else \
            torch.zeros((0, n), dtype=BOOL, device=self.device)
        if m.sanctions_on:
            self.sanctioned = scored & (pub64 < self.regime.line)
            m.positions = self._positions(uniform(self.keys["positions"], m.t, POSITIONS.priority, self.ids))
        else:
            self.sanctioned = torch.zeros(n, dtype=BOOL, device=self.device)

    def bragging(self, m: month.Month) -> None:
        b, sd = self.sc.behaviour.bragging, m.curve[4]
        c = torch.nonzero(m.scored).squeeze(1)
        brag_p = b.rate * self.status_seeking[c].to(F64) * torch.sigmoid((self.s_pub[c].to(F64) - b.line) / sd)
        m.bragged = torch.zeros(self.n, dtype=BOOL, device=self.device)
        m.bragged[c] = uniform(self.keys["bragging"], m.t, BRAGGING.brag, c) < brag_p

    def _positions(self, priority: torch.Tensor) -> tuple[int, int]:
        """privileges.update_positions on the device."""
        occ, other = self.occupation, OCC["other"]
        lost = self.sanctioned & torch.isin(occ.to(I64), self._barred)
        occ[lost] = other
        counts = torch.bincount(occ.to(I64), minlength=len(self.quota)).cpu().numpy()
        vacancies = np.maximum(self.quota - counts, 0)
        vacancies[other] = 0
        total = int(vacancies.sum())
        n_lost = int(lost.sum().item())
        if total == 0:
            return n_lost, 0
        eligible = torch.nonzero((occ == other) & ~self.sanctioned).squeeze(1)
        take = min(total, eligible.shape[0])
        pr = priority[eligible]
        if take < eligible.shape[0]:
            chosen = eligible[torch.topk(pr, take, largest=False, sorted=True).indices]
        else:
            chosen = eligible[torch.argsort(pr, stable=True)]
        codes = np.repeat(np.arange(len(self.quota), dtype=np.uint8), vacancies)[:take]
        occ[chosen] = torch.as_tensor(codes, device=self.device)
        return n_lost, take

    # ------------------------------------------------------------------ measurement
    def dissenters(self, t: int) -> torch.Tensor:
        """Simulation.dissenters: posted unapproved content in the last 12 months, and free."""
        return ((t - self.last_post) < mx.DISSENT_WINDOW) & ~self.arrested

    def metrics(self, t: int, phase: str) -> dict:
        """Simulation.metrics, computed on the device and fetched in one transfer."""
        f, rg, n = self.flows, self.regime, self.n
        high = self.high
        vals: dict[str, torch.Tensor] = {}  # device scalars, fetched together at the end
        row: dict = {"month": t, "date": month_label(self.sc.run.start, t), "phase": phase}
        vals["opted_share"] = self.opted.to(F64).mean()
        hist = _histogram_stats(self.s_pub, self.sm.lo, self.sm.hi)
        vals["score_all_mean"] = self.score.mean()
        vals["share_500_600"] = ((self.score >= 500) & (self.score < 600)).to(F64).mean()
        tau64 = self.tau.to(F64)
        for k, name in enumerate(rg.names):
            vals[f"priv_{name}"] = f.holders[k].sum().to(F64) / n
            cnt = f.holders[k].sum().to(F64)
            vals[f"priv_{name}_tau"] = torch.where(cnt > 0, (tau64 * f.holders[k]).sum() / cnt.clamp_min(1),
                                                   float("nan"))
        for c, name in enumerate(COMPONENTS[:4]):
            vals[f"points_{name}"] = self.own[c].mean()
        vals["points_association"] = self.assoc.mean()
        vals["points_political"] = -self.political.mean()
        vals["register_listed"] = self.listed.sum()
        vals["sanctioned_share"] = self.sanctioned.to(F64).mean()
        for k, name in enumerate(EXPRESSION_KINDS):
            vals[f"posts_{name}"] = f.posted[k].sum().to(F64) / n
        vals["posts_per_capita"] = f.posted.sum().to(F64) / n
        would = f.would.sum().to(F64)
        vals["would_post_per_capita"] = would / n
        vals["self_censorship_rate"] = torch.where(would > 0, f.censored.sum() / would.clamp_min(1), 0.0)
        vals["silenced_by_sanction"] = torch.where(
            would > 0, (f.would & ~f.censored & ~f.posted).sum() / would.clamp_min(1), 0.0)
        vals["posts_high_tau"] = (f.posted & high).sum().to(F64) / high.sum().clamp_min(1)
        vals["edges"] = self.net.deg.to(I64).sum() // 2
        deg = self.net.deg.to(F64)
        rest = ~high
        for name, sel in (("degree_high_tau", high), ("degree_rest", rest)):
            vals[name] = torch.where(sel.any(), (deg * sel).sum() / sel.sum().clamp_min(1), float("nan"))
        for name, sel in (("isolated_high_tau", high), ("isolated_rest", rest)):
            vals[name] = torch.where(sel.any(), ((deg == 0) & sel).sum().to(F64) / sel.sum().clamp_min(1),
                                     float("nan"))  # float64: an integer ratio would be float32
        vals["degree_mean"] = deg.mean()
        occ = self.occupation.to(I64)
        occ_counts = torch.bincount(occ, minlength=len(OCCUPATIONS))
        occ_tau = torch.stack([(tau64 * (occ == c)).sum() for c in range(len(OCCUPATIONS))])  # no 5-bin atomics
        vals["approved_spending_share"] = (self.income.to(F64) * f.approved_share).sum() / self.income.to(F64).sum()
        vals["brag_posts"] = f.bragged.sum()
        vals["defaults_per_capita"] = f.defaulted.sum().to(F64) / n
        vals["tau_mean"] = tau64.mean()
        vals["tau_sd"] = tau64.std(correction=0)
        vals["tau_high_share"] = self.high.to(F64).mean()
        names = list(vals)
        row.update(zip(names, torch.stack([v.to(F64) for v in vals.values()]).tolist()))
        row.update(hist)
        for name in ("register_listed", "edges", "brag_posts"):
            row[name] = int(row[name])
        occ_counts = occ_counts.tolist()
        occ_tau = occ_tau.tolist()
        ev = f.events
        row["edges_cut_drag"] = int(((~ev.made) & (ev.reason == CUT_DRAG)).sum())
        row["edges_cut_churn"] = int(((~ev.made) & (ev.reason == CUT_CHURN)).sum())
        row["edges_made"] = int(ev.made.sum())
        row["edges_cut_arrest"] = int(((~ev.made) & (ev.reason == CUT_ARREST)).sum())
        row["provocateurs"] = int(self.provocateur.sum().item())
        row["on_file"] = int(self.reported.sum().item())
        row["arrested_share"] = int(self.arrested.sum().item()) / n
        row["arrest_risk"] = self.arrest_risk
        if self.is_network_month(t) and n <= self.net_metrics_limit:
            tau = self.pop.tau if self.pop is not None else tau64.cpu().numpy()
            row.update(mx.network_stats(self.net.to_numpy(), tau, self.dissenters(t).cpu().numpy(),
                                        t + 1 >= mx.DISSENT_WINDOW))
        else:  # off months, and networks too large to copy to the CPU every year
            row.update({c: np.nan for c in mx.NETWORK_COLUMNS})
        for code, name in enumerate(OCCUPATIONS[1:], start=1):
            row[f"pos_{name}"] = int(occ_counts[code])
            row[f"pos_{name}_tau"] = float(occ_tau[code] / occ_counts[code]) if occ_counts[code] else np.nan
        row["positions_lost"], row["positions_filled"] = f.positions
        row["generation"] = self.generation
        row["citizens"] = self.n
        row.update(month.phase_extras(self.row_columns(), f.extra))  # (invited, arrests, parents_tau, ...)
        return metric_columns.ordered_row(row, self.row_names())  # (the declared order, as the CPU engine's row)

    # ------------------------------------------------------------------ citizens
    def citizen_columns(self) -> dict[str, np.ndarray]:
        """Simulation.citizen_columns: the final per-citizen table, as numpy arrays."""
        cpu = _numpy
        cols = {"citizen": np.arange(self.n, dtype=np.int64)}
        cols.update(self.population().columns())
        cols["degree"] = cpu(self.net.deg).astype(np.int32)
        cols["opted"] = cpu(self.opted)
        cols["score"] = cpu(self.score)
        cols["published"] = cpu(self.s_pub).astype(np.float64)
        cols["published_prev"] = cpu(self.s_pub_prev).astype(np.float64)
        cols["own_ref"] = cpu(self.own_ref)
        cols["base"] = np.full(self.n, self.sm.base)
        own = cpu(self.own)
        for c, name in enumerate(COMPONENTS[:4]):
            cols[name] = own[c].copy()
        cols["association"] = cpu(self.assoc)
        cols["political"] = -cpu(self.political)
        cols["clamp"] = cpu(self.clamp)
        cols["sanctioned"] = cpu(self.sanctioned)
        draggers = np.zeros(self.n, np.int32)
        if self.sm.associates:  # counted on the CPU with the engine's own kernel (once, at the end)
            sm, net = self.sm, self.net.to_numpy()
            dragger_counts(net.start, net.deg, net.nbr, net.kind, cols["published_prev"], cols["own_ref"],
                           cpu(self.drag_unit), sm.association_rule, sm.friends_record(-cols["political"], True),
                           draggers)
        cols["draggers"] = draggers
        cols["listed"] = cpu(self.listed).astype(np.bool_)
        cols["last_post"] = cpu(self.last_post).astype(np.int32)
        cols["reported"] = cpu(self.reported)
        cols["arrested"] = cpu(self.arrested)
        return cols

    def snapshot_columns(self) -> dict[str, np.ndarray]:
        cpu = _numpy
        return {"citizen": np.arange(self.n, dtype=np.int32), "score": cpu(self.score.to(F32)),
                "published": cpu(self.s_pub), "association": cpu(self.assoc.to(F32)),
                "political": cpu((-self.political).to(F32)), "degree": cpu(self.net.deg).astype(np.int32),
                "occupation": cpu(self.occupation), "sanctioned": cpu(self.sanctioned)}

    def memory_report(self) -> dict:
        """Bytes held between months: per citizen (state, population, this month's flows,
        network index arrays) and per tie slot (neighbour id + kind), for sizing a GPU run."""
        n, net = self.n, self.net
        tensors = [v for v in vars(self).values() if isinstance(v, torch.Tensor)]
        if self.flows is not None:
            tensors += [v for v in vars(self.flows).values() if isinstance(v, torch.Tensor)]
        tensors += [net.start, net.deg, net.cap]
        citizen = sum(t.numel() * t.element_size() for t in tensors if t.shape and t.shape[-1] == n)
        slots = net.nbr.numel()
        slot = net.nbr.numel() * net.nbr.element_size() + net.kind.numel() * net.kind.element_size()
        ties = net.n_edges
        return {"citizens": n, "ties": ties, "slots": slots, "bytes_citizens": citizen, "bytes_slots": slot,
                "bytes_per_citizen": citizen / n, "bytes_per_slot": slot / max(slots, 1),
                "slots_per_tie": slots / max(ties, 1), "bytes_per_tie": slot / max(ties, 1)}

    def synchronize(self) -> None:
        if self.device.type == "cuda":
            torch.cuda.synchronize(self.device)

    def run(self, store=None, progress: bool = False, months: int | None = None) -> list[dict]:
        """Run the remaining months (or ``months`` of them), writing to ``store`` if given."""
        from ..loop import run_months

        return run_months(self, store, progress, months)


# ------------------------------------------------------------------ helpers on the device



def _histogram_stats(scores: torch.Tensor, lo: float, hi: float, res: float = 0.1) -> dict:
    """metrics.score_stats with the histogram counted on the device: only the 6,001 counts
    travel to the CPU, where ``metrics.histogram_summary`` reads the quantiles and Gini."""
    s = scores[~torch.isnan(scores)].to(F64)
    nb = int(round((hi - lo) / res)) + 1
    if s.shape[0] == 0:
        return mx.histogram_summary(np.zeros(nb, np.int64), lo, res, np.nan, np.nan)
    idx = torch.clamp(torch.round((s - lo) / res).to(I64), 0, nb - 1)
    counts = torch.bincount(idx, minlength=nb).cpu().numpy()
    mean, sd = torch.stack([s.mean(), s.std(correction=0)]).tolist()
    return mx.histogram_summary(counts, lo, res, mean, sd)
