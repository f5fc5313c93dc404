"""Where ties go (MODEL.md section 6): each citizen's ties lost and gained over a run, by the
channel that moved them, so that a difference in who keeps friends can be traced to what made it
and read by income quartile as well as by tau band.

Channels (a tie event counts for both its ends, in the role it gave them):
  cut_as_dragger  ties lost because a friend cut the citizen as its worst dragger (the register)
  cut_a_dragger   ties the citizen cut itself, dropping its worst dragger
  churn           ties lost to random churn (either end)
  arrest          ties lost to an arrest (the provocateur regime)
  sought          new ties the citizen proposed and had accepted (after a cut, or a new friendship;
                  under association aimed at high scorers)
  received        new ties others proposed to the citizen (score seeking sends them to high scorers)
Losses count negative, so a citizen's channels add up to its change in degree over the run.

The ledger also keeps the traits of the citizens cut as draggers (tau, capacity, income, and
whether they had posted), one entry per cut: whom the register's cuts fall on.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from . import month
from .errors import InputError
from .metrics import HIGH_TAU
from .state import NEVER_POSTED

CHANNELS = ("cut_as_dragger", "cut_a_dragger", "churn", "arrest", "sought", "received")


class TieLedger:
    """Per-citizen tie gains and losses by channel, accumulated month by month."""

    def __init__(self, sim):
        if sim.sc.generations.every:
            raise InputError("the tie ledger follows citizens through a run: it needs generations off")
        self.sim = sim
        self.start_degree = np.asarray(sim.net.deg, np.int64).copy()
        self.counts = np.zeros((len(CHANNELS), sim.n), np.int64)
        self.cut_traits: list[np.ndarray] = []  # per month: the cut draggers' ids

    def record(self, events: month.MonthEvents) -> None:
        """Add one month's tie events (``sim.flows.events``)."""
        u, v, reason, made = (np.asarray(events.u, np.int64), np.asarray(events.v, np.int64),
                              np.asarray(events.reason), np.asarray(events.made, bool))
        add = lambda channel, who, sign: np.add.at(self.counts[CHANNELS.index(channel)], who, sign)  # noqa: E731
        drag = ~made & (reason == month.CUT_DRAG)
        add("cut_as_dragger", v[drag], -1)
        add("cut_a_dragger", u[drag], -1)
        churn = ~made & (reason == month.CUT_CHURN)
        add("churn", np.r_[u[churn], v[churn]], -1)
        arrest = ~made & (reason == month.CUT_ARREST)
        add("arrest", np.r_[u[arrest], v[arrest]], -1)
        add("sought", u[made], 1)
        add("received", v[made], 1)
        self.cut_traits.append(v[drag])

    def per_citizen(self) -> pd.DataFrame:
        """One row per citizen: each channel and ``net`` (their sum: the change in degree)."""
        df = pd.DataFrame(self.counts.T, columns=list(CHANNELS))
        df["net"] = self.counts.sum(axis=0)
        return df

    def groups(self) -> pd.DataFrame:
        """Mean change in ties per citizen, by channel and in all, for each income quartile
        (1: poorest) and for high-tau citizens and the rest."""
        pop = self.sim.pop
        df = self.per_citizen()
        quartile = np.minimum((pd.Series(pop.income).rank(method="first").to_numpy() - 1) * 4 // len(df), 3)
        rows = []
        for label, mask in [*((f"income Q{q + 1}", quartile == q) for q in range(4)),
                            ("high tau", pop.tau >= HIGH_TAU), ("rest", pop.tau < HIGH_TAU)]:
            mean = df[mask].mean()
            rows.append({"group": label, "citizens": int(mask.sum()), **{c: float(mean[c]) for c in [*CHANNELS, "net"]}})
        return pd.DataFrame(rows)

    def cut_draggers(self) -> dict[str, float]:
        """Who the register's cuts fall on: the cut draggers' mean tau, capacity and income
        (one entry per cut) against the population's, and the share of cuts whose dragger had
        ever posted unapproved content."""
        pop = self.sim.pop
        cut = np.concatenate(self.cut_traits) if self.cut_traits else np.zeros(0, np.int64)
        mean = lambda x: float(np.mean(x[cut])) if cut.size else float("nan")  # noqa: E731
        posted = np.asarray(self.sim.last_post) != NEVER_POSTED
        return {"cuts": int(cut.size), "cut_tau": mean(pop.tau), "population_tau": float(np.mean(pop.tau)),
                "cut_capacity": mean(pop.capacity), "population_capacity": float(np.mean(pop.capacity)),
                "cut_income": mean(pop.income), "population_income": float(np.mean(pop.income)),
                "cut_posters": mean(posted.astype(float)), "population_posters": float(np.mean(posted))}


def run_with_ledger(sim, months: int | None = None) -> tuple[pd.DataFrame, TieLedger]:
    """Run ``sim`` (the remaining months, or ``months``) keeping a tie ledger: (monthly metrics, ledger)."""
    ledger = TieLedger(sim)
    rows = []
    for _ in range(sim.sc.run.months - sim.month if months is None else months):
        rows.append(sim.step())
        ledger.record(sim.flows.events)
    return pd.DataFrame(rows), ledger
