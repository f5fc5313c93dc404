"""The NumPy/Numba engine: ``Simulation``, one scenario on one seed, with the kernels of each
phase of the month. The order of the phases and their hand-offs is ``scsim.month`` (one table
for every backend); the carried state is declared in ``scsim.state``; the world is built by
``scsim.world``, checkpoints are ``scsim.checkpoint``, the run loop is ``scsim.loop``.
"""

from __future__ import annotations

from dataclasses import fields

import numpy as np

from . import behaviour as bh
from . import checkpoint
from . import generations as gen
from . import metric_columns
from . import metrics as mx
from . import month
from . import provocation as pv
from . import state
from .loop import PhaseClock, run_months
from .memory import reuse_freed_memory
from .network import Network
from .privileges import Regime, update_positions
from .rng import MONTHLY as MONTHLY_STREAMS
from .rng import Streams
from .scenario import EXPRESSION_KINDS, OCCUPATIONS, Scenario, month_label
from .scoring import COMPONENTS, ScoreModel, association_pass, dragger_counts, friend_view, record_posts
from .world import build_world


class Simulation(month.Phased):
    """One scenario on one seed. ``step()`` advances a month and returns its metrics."""

    def __init__(self, scenario: Scenario, graph=None):
        self.configure(scenario)
        sc = scenario
        self.pop, self.net = build_world(sc, self.streams, graph)
        self.n = n = self.pop.n
        self.month = 0
        self.flows: month.Flows | None = None
        self.timings: list[float] = []  # wall seconds per month
        self.clock = PhaseClock()
        friend_edges = int(((self.net.kind[: len(self.net.nbr)] == 0) & (self.net.nbr >= 0)).sum()) // 2
        self.form_rate = sc.behaviour.ties.churn * friend_edges / n  # new ties balance churn
        self.quota = np.bincount(self.pop.occupation, minlength=len(OCCUPATIONS))

        # carried state (scsim.state): the arrays with a fixed initial value, then the rest
        self.generation = 0
        self.arrest_risk = 0.0
        for name, array in state.initial_arrays(n, self.STATE).items():
            setattr(self, name, array)
        approved = np.zeros(n)
        bh.purchase_kernel(*self._purchase_groups(), self.tilt, np.zeros(n, np.bool_), np.zeros(n),
                           0.0, 0.0, 0.0, np.zeros(2), 0.0, self.behaviour_x, approved)
        self.own = self.sm.own_components(self.pop.history, self.pop.capacity, self.pop.occupation,
                                          self.pop.tertiary, self.behaviour_x)
        self.score = self.sm.standalone_score(self.own)
        if self.mandatory_step is not None and self.mandatory_step <= 0:
            self.opted[:] = True
            self.s_pub = self.score.astype(np.float32).astype(np.float64)
        self.own_ref = self.score.copy()

    def configure(self, sc: Scenario) -> None:
        """What follows from the scenario alone (no state)."""
        reuse_freed_memory()
        self.sc = sc
        self.streams = Streams(sc.run.seed)
        self.keys = {name: self.streams.key(name) for name in MONTHLY_STREAMS}
        self.sm = ScoreModel(sc)
        self.regime = Regime(sc)
        self.optin_step = sc.step_of(sc.phases.optin_start)
        self.mandatory_step = sc.step_of(sc.phases.mandatory_start)
        if not sc.scoring.enabled:  # no score at all: nobody is ever scored
            self.optin_step = self.mandatory_step = None
        self.provocation_step = sc.switch_on(sc.provocateurs.start) if sc.provocateurs.enabled else None
        self.political_step = sc.switch_on(sc.scoring.political.start)
        self.register_step = sc.switch_on(sc.register.start)
        self.valence = np.array([c.valence for c in sc.purchases.categories], np.float64)

    # ------------------------------------------------------------------ checkpoints (scsim.checkpoint)

    def checkpoint_arrays(self) -> dict[str, np.ndarray]:
        return checkpoint.checkpoint_arrays(self)

    def save_checkpoint(self, path) -> None:
        checkpoint.save_checkpoint(self, path)

    @classmethod
    def from_checkpoint(cls, scenario: Scenario, path) -> "Simulation":
        return checkpoint.from_checkpoint(cls, scenario, path)

    # ------------------------------------------------------------------ phase switches
    def phase_name(self, t: int) -> str:
        if self.mandatory_step is not None and t >= self.mandatory_step:
            return "mandatory"
        if self.optin_step is not None and t >= self.optin_step:
            return "opt-in"
        return "pre"

    def calendar(self, t: int):
        """Month t's switches: (phase, sanctions on, political on, register on, awareness,
        value-curve args). Awareness is the share of a friend's drag a citizen perceives: all of
        it through a public register, else ``register.private_awareness`` (a private register,
        or none, leaves citizens guessing)."""
        sanctions_on = self.regime.sanctions_on(t)
        political_on = self.sm.political and t >= self.political_step
        register_on = self.sc.register.enabled and t >= self.register_step
        awareness = 1.0 if register_on and self.sc.register.public else float(self.sc.register.private_awareness)
        return self.phase_name(t), sanctions_on, political_on, register_on, awareness, self.value_args(sanctions_on)

    def value_args(self, sanctions_on: bool):
        r = self.regime
        return r.thresholds, r.values, r.line, (r.sanction_cost if sanctions_on else 0.0), self.sc.behaviour.perception_sd

    def decision_curve(self, m: month.Month) -> bh.ValueCurve:
        """This month's value curve with its table, as the decision kernels read it."""
        th, val, line, cost, sd = m.curve
        return bh.ValueCurve(th, val, float(line), float(cost), float(sd), *self.value_curve(th, val, line, cost, sd))

    def value_curve(self, th, val, line, cost, sd) -> tuple[np.ndarray, float]:
        """The V(s) table of these value-curve arguments (``behaviour.value_table``) and its
        first score; kept until the arguments change (when sanctions start)."""
        key = (th.tobytes(), val.tobytes(), line, cost, sd)
        kept = self.__dict__.get("_value_curve")
        if kept is None or kept[0] != key:
            lo, hi = self.sm.lo, self.sm.hi
            kept = self._value_curve = (key, bh.value_table(th, val, line, cost, sd, lo, hi), lo - bh.VALUE_MARGIN)
        return kept[1], kept[2]

    # ------------------------------------------------------------------ the month
    SMALL = 50_000  # below this many citizens, thread start-up costs more than it saves

    def step(self) -> dict:
        """Advance one month (``scsim.month.step``); returns its metrics."""
        if self.n >= self.SMALL:
            return month.step(self)
        import numba

        threads = numba.get_num_threads()
        numba.set_num_threads(1)
        try:
            return month.step(self)
        finally:
            numba.set_num_threads(threads)

    def lap(self, phase: str | None) -> None:
        self.__dict__.setdefault("clock", PhaseClock()).lap(phase)  # (states restored by hand lack one)

    # ------------------------------------------------------------------ the phases (scsim.month.PHASES)
    def generations(self, m: month.Month) -> dict:
        """The population turns over (see ``scsim.generations``)."""
        births = self.new_generation(m.t)
        return {"parents_tau": births.parents_tau}

    def economy(self, m: month.Month) -> None:
        n, e, th = self.n, self.sc.economy, m.curve[0]
        m.due = np.empty(n, np.bool_)
        m.defaulted = np.empty(n, np.bool_)
        loan_threshold = self.regime.thresholds[0] if len(th) else np.inf  # the first privilege is the loan
        bh.economy_kernel(self.pop.reliability, self.pop.history, self.s_pub, self.opted, loan_threshold, e.borrow_prob,
                          e.loan_boost, e.history_rate, self.keys["economy"], m.t, m.due, m.defaulted)

    def optin(self, m: month.Month) -> None:
        th, val, line, cost, sd = m.curve
        if m.phase == "mandatory":
            self.opted[:] = True
        elif m.phase == "opt-in":
            bp = self.sc.behaviour
            bh.optin_kernel(self.opted, self.score, self.pop.privacy_cost, bp.optin.rate, bp.optin.curiosity,
                            bp.temperature, th, val, sd, self.keys["optin"], m.t)
        m.scored = self.opted
        m.s_ref = np.where(np.isnan(self.s_pub), self.score, self.s_pub)  # own last score

    def purchases(self, m: month.Month) -> None:
        sm, pp = self.sm, self.sc.purchases
        m.approved = np.empty(self.n)
        slopes = bh.slope_table(*m.curve, sm.lo, sm.hi)
        bh.purchase_kernel(*self._purchase_groups(), self.tilt, m.scored & (sm.w[3] > 0), m.s_ref,
                           pp.shift_strength, pp.adjust_rate, 0.5 * sm.w[3], slopes, sm.lo,
                           self.behaviour_x, m.approved)

    def expression(self, m: month.Month) -> None:
        sc, sm, pop, n = self.sc, self.sm, self.pop, self.n
        bp = sc.behaviour
        temp = bp.temperature
        ep = bp.expression
        k = len(EXPRESSION_KINDS)
        would = np.empty((k, n), np.bool_)
        posted = np.empty((k, n), np.bool_)
        censored = np.empty((k, n), np.bool_)
        rule = bh.ExpressionRule(np.array([ep.rate_opinion, ep.rate_history, ep.rate_news]), float(ep.value),
                                 float(ep.peer_strength), float(ep.peer_reference), float(temp),
                                 int(ep.rule == "daymude"), float(ep.surveillance), float(ep.tolerance),
                                 ep.punishment == "proportional")
        m.pens = pens = sm.pen if m.political_on else np.zeros(k)
        bh.expression_kernel(pop.tau, m.s_ref, m.scored, self.sanctioned, self.regime.reach, self.peer_share, pens, rule,
                             self.decision_curve(m), self.keys["expression"], m.t, would, posted, censored)
        if pop.provocateur.any() or self.arrested.any():  # agents and prisoners do not post
            quiet = pop.provocateur | self.arrested
            would[:, quiet] = posted[:, quiet] = censored[:, quiet] = False
        if self.arrest_risk > 0 and sc.provocateurs.arrest_cost > 0:  # fear of arrest
            pv.fear_kernel(pop.tau, self.arrest_risk * sc.provocateurs.arrest_cost, ep.value, temp,
                           self.keys["provocation"], m.t, posted, censored)
        m.would, m.posted, m.censored = would, posted, censored

    def provocation(self, m: month.Month) -> dict:
        """Invitations, agreements, reports, arrests (see ``scsim.provocation``)."""
        pp, pop, net, n, t = self.sc.provocateurs, self.pop, self.net, self.n, m.t
        invited, agreed, arrest = (np.empty(n, np.bool_) for _ in range(3))
        ep = self.sc.behaviour.expression
        rule = pv.ProvocationRule(float(pp.invite_rate), float(pp.agree_threshold), float(pp.peer_weight),
                                  float(pp.spread), float(pp.detection), float(pp.arrest_rate), mx.DISSENT_WINDOW,
                                  float(self.arrest_risk * pp.arrest_cost), float(ep.value),
                                  float(self.sc.behaviour.temperature))
        pv.provocation_kernel(net.start, net.deg, net.nbr, pop.provocateur, self.arrested, self.reported,
                              self.last_post, pop.tau, rule, self.keys["provocation"], t, invited, agreed, arrest)
        who = np.flatnonzero(arrest)
        spoke = self.dissenters(t - 1)  # the risk is learned from arrests among those who spoke
        caught = np.count_nonzero(spoke[who])
        self.arrest_risk += pv.RISK_WEIGHT * (caught / max(np.count_nonzero(spoke), 1) - self.arrest_risk)
        self.arrested[who] = True
        self.reported[who] = False
        u, v = pv.incident_edges(net, who)
        removed, kinds = net.remove_edges(u, v)
        u, v, kinds = u[removed], v[removed], kinds[removed]
        m.events.append(month.MonthEvents(u, v, kinds, np.zeros(len(u), np.bool_),
                                          np.full(len(u), month.CUT_ARREST, np.uint8)))
        return {"invited": int(invited.sum()), "agreed": int(agreed.sum()), "arrests": len(who)}

    def ties(self, m: month.Month) -> None:
        sc, net, n, sm, t = self.sc, self.net, self.n, self.sm, m.t
        scored, s_ref = m.scored, m.s_ref
        tp = sc.behaviour.ties
        key = self.keys["ties"]
        awareness = m.awareness
        curve = self.decision_curve(m)
        temp = float(sc.behaviour.temperature)
        cut = np.empty(n, np.int32)
        cutting = bh.CutRule(float(awareness), float(tp.cut_rate), float(tp.friend_value), float(tp.family_value), temp)
        bh.disconnection_kernel(self.worst, self.worst_drag, self.worst_kind, scored, s_ref, cutting, curve, key, t, cut)
        churn = np.empty(n, np.int32)
        bh.churn_kernel(net.start, net.deg, net.nbr, net.kind, tp.churn, key, t, churn)
        cutters = np.flatnonzero(cut >= 0)
        churners = np.flatnonzero(churn >= 0)
        cu = np.r_[cutters, churners].astype(np.int32)
        cv = np.r_[cut[cutters], churn[churners]].astype(np.int32)
        removed, cut_kinds = net.remove_edges(cu, cv)
        reason = np.r_[np.full(len(cutters), month.CUT_DRAG), np.full(len(churners), month.CUT_CHURN)].astype(np.uint8)
        did_cut = np.zeros(n, np.bool_)
        did_cut[cutters[removed[: len(cutters)]]] = True
        replace = np.empty(n, np.bool_)
        seeking = np.empty(n, np.bool_)
        bh.seeker_kernel(did_cut, tp.replace, self.form_rate, key, t, replace, seeking)
        if self.arrested.any():
            seeking &= ~self.arrested
        # the target perceives the drag a newcomer would add as it perceives any drag (awareness)
        seekers = np.flatnonzero(seeking).astype(np.int32)
        target = np.empty(len(seekers), np.int32)
        tying = bh.TieRule(float(tp.triadic), float(tp.score_seeking), int(sm.assoc_mode),
                           float(sm.assoc_points * awareness), float(sm.line), float(sm.penalty * awareness),
                           float(tp.friend_value), temp, float(sm.friends_posts * awareness))
        record = sm.friends_record(self.political, m.political_on)
        bh.new_tie_kernel(seekers, net.start, net.deg, net.nbr, self.s_pub, scored, self.pub_weight, record, tying,
                          curve, key, t, target)
        if self.arrested.any():  # nobody befriends a prisoner
            target[(target >= 0) & self.arrested[np.maximum(target, 0)]] = -1
        proposed = target >= 0
        seekers, target = seekers[proposed], target[proposed]
        made = net.add_edges(seekers, target)
        mu, mv = seekers[made], target[made]
        m_reason = np.where(replace[mu], month.MADE_REPLACE, month.MADE_FORM).astype(np.uint8)
        m.events.append(month.MonthEvents(
            u=np.r_[cu[removed], mu].astype(np.int32),
            v=np.r_[cv[removed], mv].astype(np.int32),
            kind=np.r_[cut_kinds[removed], np.zeros(len(mu), np.uint8)],
            made=np.r_[np.zeros(int(removed.sum()), np.bool_), np.ones(len(mu), np.bool_)],
            reason=np.r_[reason[removed], m_reason],
        ))

    def scoring(self, m: month.Month) -> None:
        sm, pop, net, n = self.sm, self.pop, self.net, self.n
        reach_posts = np.empty(n, np.float32)
        record_posts(m.posted, m.pens, sm.decay, m.t, self.political, self.last_post, reach_posts)
        self.own_ref = m.s_ref
        self.listed[:] = False
        view = friend_view(self.s_pub, reach_posts, sm.friends_record(self.political, m.political_on))
        association_pass(net.start, net.deg, net.nbr, net.kind, view, m.s_ref, sm.association_rule, self.assoc,
                         self.worst, self.worst_drag, self.worst_kind, self.peer_share, self.pub_weight,
                         self.drag_unit, bool(m.register_on and sm.associates), self.listed)
        # own components, score, clamp and their totals (for the metrics row) in one pass
        self.own, self.score, self.clamp, self._totals = sm.score(pop.history, pop.capacity, pop.occupation,
                                                                  pop.tertiary, self.behaviour_x, self.assoc,
                                                                  self.political)

    def publication(self, m: month.Month) -> None:
        self.s_pub_prev = self.s_pub
        self.s_pub, m.holders, self.sanctioned = self.regime.publish(self.score, m.scored, m.t)
        if m.sanctions_on:
            m.positions = update_positions(self.pop.occupation, self.quota, self.sanctioned, self.regime.barred,
                                           self.keys["positions"], m.t)

    def bragging(self, m: month.Month) -> None:
        m.bragged = np.empty(self.n, np.bool_)
        b = self.sc.behaviour.bragging
        bh.brag_kernel(m.scored, self.s_pub, self.pop.status_seeking, b.rate, b.line, m.curve[4], self.keys["bragging"],
                       m.t, m.bragged)

    def new_generation(self, t: int) -> gen.Births:
        """The population turns over (see ``scsim.generations``); returns the births."""
        sc, pop, rg = self.sc, self.pop, self.regime
        gp = sc.generations
        held = (rg.values[:, None] * rg.holders(self.s_pub, self.opted)).sum(axis=0)  # no BLAS: thread-independent
        w = gen.fertility(held, self.sanctioned, rg.sanction_cost, self.arrested, gp.privilege_strength)
        births = gen.draw_parents(w, self.keys["generations"], t, gen.next_size(self.n, gp.growth))
        births.parents_tau = float(pop.tau[births.parent].mean())
        tau = gen.inherit_tau(pop.tau, births.parent, gp.heritability, sc.population.tau_alpha,
                              sc.population.tau_beta, self.keys["generations"], t)
        if births.resized:
            self._resize(births, t)
        pop = self.pop
        pop.tau = tau
        pop.privacy_cost = sc.population.privacy_cost + sc.population.privacy_cost_tau * pop.tau
        pop.generation += 1
        state.new_generation(self, self.STATE)  # the parents' record of speech and arrests
        self.generation += 1
        return births


    def _resize(self, births: gen.Births, t: int) -> None:
        """A growing or shrinking generation: every per-citizen column is re-indexed by
        ``births.source`` (kept places renumbered, new places copies of their parent's place),
        the network is rebuilt with ``generations.child_ties``, and the number of positions of
        each kind scales with the population."""
        src = births.source
        new_id = np.full(self.n, -1, np.int64)
        n_kept = len(src) - births.new_places
        new_id[src[:n_kept]] = np.arange(n_kept)
        state.reindex(self, src, new_id, self.STATE)
        pop = self.pop
        for f in fields(pop):
            col = getattr(pop, f.name)
            if isinstance(col, np.ndarray):
                setattr(pop, f.name, np.ascontiguousarray(col[src]))
        pop.provocateur[n_kept:] = False  # planted agents are not born
        u, v, kind = self.net.edges()
        u, v, kind = gen.child_ties(u, v, kind, src, n_kept, new_id, self.keys["generations"], t)
        self.net = Network(len(src), u, v, kind, self.net.slack, self.net.min_slack)
        self.n = len(src)
        # form_rate stays: it is new ties per citizen, so the mean degree returns to where churn
        # and formation balance, whatever the size
        self.quota = np.rint(self.quota * (self.n / len(births.children))).astype(self.quota.dtype)

    # ------------------------------------------------------------------ measurement
    def is_network_month(self, t: int) -> bool:
        return t % self.sc.run.network_metrics_every == 0 or t == self.sc.run.months - 1

    def dissenters(self, t: int) -> np.ndarray:
        """Active dissenters: posted unapproved content in the last 12 months, and free."""
        return ((t - self.last_post) < mx.DISSENT_WINDOW) & ~self.arrested

    def metrics(self, t: int, phase: str) -> dict:
        """The month's row of metrics (``scsim.metrics``): counts by ``np.count_nonzero``, sums by
        the deterministic kernels of ``scsim.metrics`` (one pass each, no temporaries)."""
        pop, f, rg, n = self.pop, self.flows, self.regime, self.n
        count = np.count_nonzero
        high, n_high, tau_mean, tau_sd = self._tau_stats()
        row: dict = {"month": t, "date": month_label(self.sc.run.start, t), "phase": phase,
                     "opted_share": count(self.opted) / n}
        row.update(mx.score_stats(self.s_pub, self.sm.lo, self.sm.hi))
        totals = self._totals  # (the scoring pass's sums: metrics.row_sums' bits)
        row["score_all_mean"] = float(totals[6]) / n  # published or not (what the system computes)
        row["share_500_600"] = float(totals[7]) / n
        counts, tau_sums = mx.group_stats(f.holders, pop.tau)
        for k, name in enumerate(rg.names):
            row[f"priv_{name}"] = float(counts[k]) / n
            row[f"priv_{name}_tau"] = float(tau_sums[k]) / counts[k] if counts[k] else np.nan
        for c, name in enumerate(COMPONENTS[:4]):
            row[f"points_{name}"] = float(totals[c]) / n
        row["points_association"] = float(totals[4]) / n
        row["points_political"] = -float(totals[5]) / n
        row["register_listed"] = count(self.listed)
        row["sanctioned_share"] = count(self.sanctioned) / n
        for k, name in enumerate(EXPRESSION_KINDS):
            row[f"posts_{name}"] = count(f.posted[k]) / n
        posts = count(f.posted)
        row["posts_per_capita"] = posts / n
        would = count(f.would)
        row["would_post_per_capita"] = would / n
        censored = count(f.censored)
        row["self_censorship_rate"] = censored / would if would else 0.0
        row["silenced_by_sanction"] = (would - censored - posts) / would if would else 0.0  # posts imply would
        row["posts_high_tau"] = float(mx.count_flagged(f.posted, high)) / max(n_high, 1)
        ev = f.events
        degrees = mx.degree_stats(self.net.deg, high)
        row["edges"] = degrees.pop("edges")
        row["edges_cut_drag"] = int(((~ev.made) & (ev.reason == month.CUT_DRAG)).sum())
        row["edges_cut_churn"] = int(((~ev.made) & (ev.reason == month.CUT_CHURN)).sum())
        row["edges_made"] = int(ev.made.sum())
        row["edges_cut_arrest"] = int(((~ev.made) & (ev.reason == month.CUT_ARREST)).sum())
        row["provocateurs"] = count(pop.provocateur)
        row["on_file"] = count(self.reported)
        row["arrested_share"] = count(self.arrested) / n
        row["arrest_risk"] = self.arrest_risk
        row.update(degrees)
        if self.is_network_month(t):
            row.update(mx.network_stats(self.net, pop.tau, self.dissenters(t), t + 1 >= mx.DISSENT_WINDOW))
        else:
            row.update({c: np.nan for c in mx.NETWORK_COLUMNS})
        occ_counts, occ_tau = mx.code_stats(pop.occupation, pop.tau, len(OCCUPATIONS))
        for code, name in enumerate(OCCUPATIONS[1:], start=1):
            row[f"pos_{name}"] = int(occ_counts[code])
            row[f"pos_{name}_tau"] = float(occ_tau[code] / occ_counts[code]) if occ_counts[code] else np.nan
        row["positions_lost"], row["positions_filled"] = f.positions
        approved, spending, _, _ = mx.weighted_stats(f.approved_share, pop.income)
        row["approved_spending_share"] = approved / spending
        row["brag_posts"] = count(f.bragged)
        row["defaults_per_capita"] = count(f.defaulted) / n
        row["tau_mean"], row["tau_sd"] = tau_mean, tau_sd
        row["tau_high_share"] = n_high / n
        row["generation"] = self.generation
        row["citizens"] = n
        row.update(month.phase_extras(self.row_columns(), f.extra))  # (invited, arrests, parents_tau, ...)
        return metric_columns.ordered_row(row, self.row_names())

    def _purchase_groups(self) -> tuple[np.ndarray, np.ndarray]:
        """Base shares summed by valence group, and the groups' valences (the purchase kernel's
        inputs): kept until a generation re-indexes the population's base shares."""
        base, kept = self.pop.base_shares, self.__dict__.get("_groups_kept")
        if kept is None or kept[0] is not base:
            values, group = bh.valence_groups(self.valence)
            kept = (base, bh.group_shares(base, group, len(values)), values)
            self._groups_kept = kept
        return kept[1], kept[2]

    def _tau_stats(self) -> tuple[np.ndarray, int, float, float]:
        """High-tau flags, their count, and tau's mean and sd: tau changes only when a
        generation replaces it, so they are kept until then (~3 ms a month at 1M)."""
        tau, kept = self.pop.tau, self.__dict__.get("_tau_kept")
        if kept is None or kept[0] is not tau or kept[1] != self.generation:
            high = tau >= mx.HIGH_TAU
            kept = self._tau_kept = (tau, self.generation, high, int(np.count_nonzero(high)), *mx.mean_sd(tau, 0.5))
        return kept[2:]

    # ------------------------------------------------------------------ citizens
    def citizen_columns(self) -> dict[str, np.ndarray]:
        """The final per-citizen table (enough to explain any score without the engine)."""
        cols = {"citizen": np.arange(self.n, dtype=np.int64)}
        cols.update(self.pop.columns())
        cols["degree"] = self.net.deg.copy()
        cols["opted"] = self.opted.copy()
        cols["score"] = self.score.copy()
        cols["published"] = self.s_pub.copy()
        cols["published_prev"] = self.s_pub_prev.copy()
        cols["own_ref"] = np.asarray(self.own_ref).copy()
        cols["base"] = np.full(self.n, self.sm.base)
        for c, name in enumerate(COMPONENTS[:4]):
            cols[name] = self.own[c].copy()
        cols["association"] = self.assoc.copy()
        cols["political"] = -self.political
        cols["clamp"] = self.clamp.copy()
        cols["sanctioned"] = self.sanctioned.copy()
        draggers = np.zeros(self.n, np.int32)
        if self.sm.associates:
            sm = self.sm
            dragger_counts(self.net.start, self.net.deg, self.net.nbr, self.net.kind, self.s_pub_prev, self.own_ref,
                           self.drag_unit, sm.association_rule, sm.friends_record(self.political, True),
                           draggers)
        cols["draggers"] = draggers
        cols["listed"] = self.listed.copy()
        cols["last_post"] = self.last_post.copy()
        cols["reported"] = self.reported.copy()
        cols["arrested"] = self.arrested.copy()
        return cols

    def snapshot_columns(self) -> dict[str, np.ndarray]:
        return {"citizen": np.arange(self.n, dtype=np.int32), "score": self.score.astype(np.float32),
                "published": self.s_pub.astype(np.float32), "association": self.assoc.astype(np.float32),
                "political": (-self.political).astype(np.float32), "degree": self.net.deg.copy(),
                "occupation": self.pop.occupation.copy(), "sanctioned": self.sanctioned.copy()}

    def run(self, store=None, progress: bool = False, months: int | None = None) -> list[dict]:
        """Run the remaining months (or ``months`` of them), writing to ``store`` if given."""
        return run_months(self, store, progress, months)
