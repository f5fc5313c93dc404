"""The month (MODEL.md sections 1-9): one ordered table of phases and the one step that runs it.

Every backend (the NumPy/Numba engine, the torch backend) supplies one method per phase, named
after it, that reads and writes the simulation's state and the month's hand-offs (``Month``);
``step`` below is the only place that knows the order of the phases, when each runs, and how
their results come together (tie events, the extras each phase reports, the month's flows).

Each month t, everybody reads the state at the start of the month (last month's published
scores, last month's posts, last month's register). Every phase draws from its own named stream
(``scsim.rng``), the same variates each month whatever the regime, so scenarios on one seed share
every unrelated draw (common random numbers). ``describe()`` prints the table; docs/model.md
holds the same text (a test keeps them equal).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

from . import metric_columns, state


# why a tie was cut or made (edge_events.reason)
CUT_DRAG, CUT_CHURN, MADE_REPLACE, MADE_FORM, CUT_ARREST = 0, 1, 2, 3, 4
REASONS = ("drag", "churn", "replace", "form", "arrest")


@dataclass
class MonthEvents:
    """Ties cut and made in one month: parallel arrays."""

    u: np.ndarray
    v: np.ndarray
    kind: np.ndarray
    made: np.ndarray  # bool: made (True) or cut (False)
    reason: np.ndarray  # index into REASONS

    @staticmethod
    def concat(*parts: "MonthEvents") -> "MonthEvents":
        return MonthEvents(*(np.concatenate([getattr(p, f) for p in parts]) for f in ("u", "v", "kind", "made", "reason")))


@dataclass
class Flows:
    """Per-citizen results of the current month (not carried over)."""

    would: np.ndarray
    posted: np.ndarray
    censored: np.ndarray
    bragged: np.ndarray
    defaulted: np.ndarray
    due: np.ndarray
    approved_share: np.ndarray
    holders: np.ndarray
    events: MonthEvents | None = None
    positions: tuple[int, int] = (0, 0)
    extra: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Phase:
    """One phase of the month: what it reads and writes (state arrays, population columns and
    the month's hand-offs), the random streams it draws from, and when it runs."""

    name: str
    doc: str
    reads: tuple[str, ...] = ()
    writes: tuple[str, ...] = ()
    streams: tuple[str, ...] = ()  # the random streams it draws from (scsim.rng.MONTHLY)
    when: Callable[[Any, int], bool] | None = None  # (simulation, month) -> runs this month; None: always
    state: tuple[state.StateArray, ...] = ()  # arrays this phase adds to the carried state
    columns: tuple[metric_columns.Column, ...] = ()  # metrics it reports (returned as extras), at the row's end


def _generation_month(sim, t: int) -> bool:
    every = sim.sc.generations.every
    return bool(every) and t > 0 and t % every == 0


def _provocation_on(sim, t: int) -> bool:
    return sim.provocation_step is not None and t >= sim.provocation_step


PHASES: tuple[Phase, ...] = (
    Phase("generations", "every generations.every months the population turns over: privileges buy children, "
          "children inherit tau (section 7; off by default)",
          reads=("s_pub", "opted", "sanctioned", "arrested", "tau"),
          writes=("population", "network", "every per-citizen array (resized)", "extra.parents_tau"),
          streams=("generations",), when=_generation_month),
    Phase("calendar", "which rules are on this month: opt-in, mandatory, political, sanctions, register; how much "
          "of a friend's drag citizens see (all of it through a public register); the value curve V(s) they act on",
          writes=("month.phase", "month.switches", "month.curve")),
    Phase("economy", "repayments fall due and are paid or defaulted (repayment record)",
          reads=("s_pub", "opted", "reliability", "history"), writes=("history", "month.due", "month.defaulted"),
          streams=("economy",)),
    Phase("optin", "citizens join the score when it pays (opt-in phase); all are in once mandatory",
          reads=("opted", "score", "privacy_cost"), writes=("opted", "month.scored", "month.s_ref"), streams=("optin",)),
    Phase("purchases", "spending tilts towards approved categories as far as the score rewards it",
          reads=("tilt", "base_shares", "month.s_ref"), writes=("tilt", "behaviour_x", "month.approved")),
    Phase("expression", "who would post, who self-censors, whose post gets through limited Internet; fear of "
          "arrest silences some (the provocateur regime)",
          reads=("tau", "month.s_ref", "sanctioned", "peer_share", "arrested", "arrest_risk"),
          writes=("month.would", "month.posted", "month.censored", "month.pens"), streams=("expression", "provocation")),
    Phase("provocation", "provocateurs sound out their friends; agreements are reported; citizens on file are "
          "arrested and lose every tie (the provocateur regime; off by default)",
          reads=("network", "provocateur", "last_post", "tau", "reported", "arrested"),
          writes=("reported", "arrested", "arrest_risk", "network", "month.events", "extra.invited",
                  "extra.agreed", "extra.arrests"),
          streams=("provocation",), when=_provocation_on),
    Phase("ties", "register-driven cuts of draggers, random churn, new ties (triadic or random, aimed at high "
          "scorers under association; targets may refuse)",
          reads=("worst", "worst_drag", "worst_kind", "s_pub", "pub_weight", "arrested", "month.s_ref"),
          writes=("network", "month.events"), streams=("ties",)),
    Phase("scoring", "six components on the current network and last month's published scores; the register "
          "lists who drags a friend",
          reads=("network", "s_pub", "month.posted", "month.s_ref", "history", "behaviour_x", "political"),
          writes=("political", "last_post", "own_ref", "assoc", "worst", "worst_drag", "worst_kind", "peer_share",
                  "pub_weight", "drag_unit", "listed", "own", "score", "clamp")),
    Phase("publication", "scores published; privileges, sanctions, positions",
          reads=("score", "month.scored", "occupation"), writes=("s_pub_prev", "s_pub", "sanctioned", "occupation",
                                                                 "month.holders", "month.positions"),
          streams=("positions",)),
    Phase("bragging", "high scorers post their scores", reads=("s_pub", "status_seeking"), writes=("month.bragged",),
          streams=("bragging",)),
    Phase("metrics", "one row of monthly metrics; snapshots and edge events go to the store",
          reads=("everything",), writes=("row",)),
)
ORDER = tuple(p.name for p in PHASES)
RUN_BY_STEP = ("calendar",)  # phases this module runs itself; a backend supplies the others


@dataclass
class Month:
    """The hand-offs between one month's phases (NumPy arrays or tensors, as the backend keeps
    them); nothing here outlives the month except what ``step`` puts in ``sim.flows``."""

    t: int
    phase: str = "pre"  # the calendar's phase: pre, opt-in or mandatory
    sanctions_on: bool = False
    political_on: bool = False
    register_on: bool = False
    awareness: float = 0.0  # share of a friend's drag citizens perceive (1 through a public register)
    curve: tuple = ()  # the value curve's arguments (thresholds, values, line, cost, sd)
    scored: Any = None
    s_ref: Any = None  # each citizen's own last score (published, else computed)
    pens: Any = None  # the political penalty of each kind of post this month
    due: Any = None
    defaulted: Any = None
    approved: Any = None
    would: Any = None
    posted: Any = None
    censored: Any = None
    holders: Any = None
    positions: tuple[int, int] = (0, 0)
    bragged: Any = None
    events: list = field(default_factory=list)  # MonthEvents, in the order the phases cut and made ties
    extra: dict = field(default_factory=dict)  # counts a phase reports for the metrics row


def state_arrays(phases: tuple[Phase, ...] = PHASES) -> tuple[state.StateArray, ...]:
    """Everything a simulation with these phases carries: scsim.state's arrays and the phases' own."""
    return state.STATE + tuple(a for p in phases for a in p.state)


def row_columns(privileges: tuple[str, ...], phases: tuple[Phase, ...] = PHASES) -> tuple[metric_columns.Column, ...]:
    """The monthly row of a simulation with these phases: scsim.metric_columns' and the phases' own."""
    return metric_columns.columns(tuple(privileges)) + tuple(c for p in phases for c in p.columns)


class Phased:
    """What a backend's simulation class inherits: the phases it runs (``phases``), the state they
    carry (``STATE``, ``CARRIED``) and the row they report (``row_columns``). A subclass that adds
    a rule sets ``phases`` to a table with its Phase (declaring the rule's state and columns) and
    defines the phase's method; everything else follows from the table."""

    phases: tuple[Phase, ...] = PHASES
    STATE: tuple[state.StateArray, ...] = state_arrays(PHASES)
    CARRIED: tuple[str, ...] = tuple(a.name for a in STATE)

    def __init_subclass__(cls, **kw):
        super().__init_subclass__(**kw)
        cls.STATE = state_arrays(cls.phases)
        cls.CARRIED = tuple(a.name for a in cls.STATE)

    def row_columns(self) -> tuple[metric_columns.Column, ...]:
        kept = self.__dict__.get("_row_columns")  # (read every month: kept once built)
        if kept is None:
            kept = self._row_columns = row_columns(tuple(self.regime.names), self.phases)
        return kept

    def row_names(self) -> tuple[str, ...]:
        kept = self.__dict__.get("_row_names")
        if kept is None:
            kept = self._row_names = tuple(c.name for c in self.row_columns())
        return kept


def phase_extras(columns, extra: dict) -> dict:
    """The row's columns that phases report as extras, with their value in months they do not run."""
    return {c.name: extra.get(c.name, c.absent) for c in columns if c.from_phase}


def runs(phase: Phase, sim, t: int) -> bool:
    return phase.when is None or phase.when(sim, t)


def step(sim) -> dict:
    """Advance ``sim`` one month through its phases (``sim.phases``, PHASES unless a simulation
    adds its own); returns the month's metrics row."""
    m = Month(sim.month)
    for phase in sim.phases:
        if phase.name == "metrics":
            continue
        if not runs(phase, sim, m.t):
            continue
        sim.lap(phase.name)
        if phase.name == "calendar":
            m.phase, m.sanctions_on, m.political_on, m.register_on, m.awareness, m.curve = sim.calendar(m.t)
            continue
        extra = getattr(sim, phase.name)(m)
        if extra:
            m.extra.update(extra)
    events = m.events[0] if len(m.events) == 1 else MonthEvents.concat(*m.events)
    sim.flows = Flows(m.would, m.posted, m.censored, m.bragged, m.defaulted, m.due, m.approved, m.holders, events,
                      m.positions, m.extra)
    sim.lap("metrics")
    row = sim.metrics(m.t, m.phase)
    sim.lap(None)
    sim.month += 1
    return row


def describe(markdown: bool = False) -> str:
    """The phase table as text (the engine's and docs/model.md's list of phases)."""
    lines = []
    for k, p in enumerate(PHASES):
        stream = f" [streams: {', '.join(p.streams)}]" if p.streams else ""
        lines.append(f"{k:>2}. **{p.name}**: {p.doc}{stream}" if markdown else f"{k:>2}. {p.name:<12} {p.doc}{stream}")
    return "\n".join(lines)


if __name__ == "__main__":
    print(describe(markdown=True))
