"""The monthly row of metrics, declared once: every column's name, unit and meaning, in order.

Each backend computes the row's values (``Simulation.metrics``, ``TorchSimulation.metrics``)
and hands them to ``ordered_row``, which puts them in this order and refuses a row with a column
missing or one too many; the store creates the ``metrics`` table from ``columns`` before the
first month; docs/model.md's list of metrics is generated from ``describe`` (a test keeps them
equal). A few groups of columns repeat per privilege, per kind of post and per position; the
privileges are the scenario's, so the columns are a function of the scenario's privilege names.
Definitions (high-tau citizen, active dissenter, ...) are in ``scsim.metrics``.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from .scenario import EXPRESSION_KINDS, OCCUPATIONS

TEXT, INTEGER, NUMBER = "text", "integer", "number"  # how the store keeps a column (numbers as DOUBLE)


@dataclass(frozen=True)
class Column:
    name: str
    unit: str
    meaning: str
    type: str = NUMBER
    from_phase: str = ""  # a phase reports it (as an extra); ``absent`` in months that phase does not run
    absent: float = float("nan")


def _network(name: str, unit: str, meaning: str) -> Column:
    return Column(name, unit, meaning + " (network months only; NULL in others)")


def _dissenters(name: str, unit: str, meaning: str) -> Column:
    return Column(name, unit, meaning + " (network months from month 11 on, when a whole 12-month window has "
                  "passed; NULL in others)")


NETWORK_COLUMNS: tuple[Column, ...] = (
    _network("components", "count", "connected components of the network"),
    _network("giant_share", "share of citizens", "citizens in the largest component"),
    _network("giant_high_tau", "share", "high-tau citizens in the largest component"),
    _network("giant_rest", "share", "other citizens in the largest component"),
    _dissenters("dissenters", "citizens", "active dissenters (posted unapproved content in the last 12 months, free)"),
    _dissenters("dissenter_cluster", "citizens", "the largest connected group of active dissenters"),
    _dissenters("dissenter_cluster_share", "share of citizens", "dissenter_cluster / citizens"),
    _network("tau_assortativity", "correlation", "Pearson correlation of tau across ties"),
    _dissenters("dissenter_core", "share of citizens", "the largest connected group of active dissenters in which "
                "each knows at least 3 others (the dissenters' 3-core): the capacity to organise, not the volume"),
)


@functools.cache
def columns(privileges: tuple[str, ...]) -> tuple[Column, ...]:
    """The row's columns, in order, for a scenario with these privilege names."""
    cols = [
        Column("month", "month", "months since run.start (0 = the first month)", INTEGER),
        Column("date", "YYYY-MM", "the calendar month", TEXT),
        Column("phase", "", "pre, opt-in or mandatory", TEXT),
        Column("opted_share", "share of citizens", "scored citizens (opted in, or everybody once mandatory)"),
        Column("score_mean", "points", "mean published score"),
        Column("score_sd", "points", "standard deviation of published scores"),
        Column("score_gini", "Gini", "Gini coefficient of published scores"),
    ]
    cols += [Column(f"score_p{q}", "points", f"{q}th percentile of published scores (0.1-point histogram)")
             for q in (10, 25, 50, 75, 90)]
    cols += [
        Column("score_all_mean", "points", "mean computed score of every citizen, published or not"),
        Column("share_500_600", "share of citizens", "computed scores in [500, 600), published or not"),
        Column("published_500_600", "share of published scores", "published scores (opted-in or mandatory "
               "citizens: Sesame's customers) in [500, 600), to 0.1 point"),
    ]
    for p in privileges:
        cols += [Column(f"priv_{p}", "share of citizens", f"holders of the privilege {p}"),
                 Column(f"priv_{p}_tau", "tau", f"mean tau of the holders of {p}")]
    cols += [
        Column("points_credit_history", "points", "mean credit-history component"),
        Column("points_capacity", "points", "mean capacity component"),
        Column("points_characteristics", "points", "mean personal-characteristics component"),
        Column("points_behaviour", "points", "mean behaviour (purchases) component"),
        Column("points_association", "points", "mean association component (friends' scores or penalties)"),
        Column("points_political", "points", "mean political component (<= 0)"),
        Column("register_listed", "citizens", "citizens on the public register"),
        Column("sanctioned_share", "share of citizens", "citizens below the sanction line"),
    ]
    cols += [Column(f"posts_{k}", "posts per citizen", f"unapproved {k} posts published this month")
             for k in EXPRESSION_KINDS]
    cols += [
        Column("posts_per_capita", "posts per citizen", "unapproved posts published, every kind"),
        Column("would_post_per_capita", "posts per citizen", "unapproved posts citizens wanted to publish"),
        Column("self_censorship_rate", "share of wanted posts", "wanted posts withheld for fear of the score"),
        Column("silenced_by_sanction", "share of wanted posts", "wanted posts lost to limited Internet"),
        Column("posts_high_tau", "posts per high-tau citizen", "unapproved posts published by high-tau citizens"),
        Column("edges", "ties", "ties in the network at the month's end"),
        Column("edges_cut_drag", "ties", "ties cut to a dragger (register-driven)"),
        Column("edges_cut_churn", "ties", "ties dropped by random churn"),
        Column("edges_made", "ties", "new ties made"),
        Column("edges_cut_arrest", "ties", "ties lost by arrested citizens"),
        Column("provocateurs", "citizens", "planted provocateurs"),
        Column("invited", "citizens", "citizens a provocateur sounded out this month", from_phase="provocation",
               absent=0),
        Column("agreed", "citizens", "of them, citizens who agreed", from_phase="provocation", absent=0),
        Column("arrests", "citizens", "arrests this month", from_phase="provocation", absent=0),
        Column("on_file", "citizens", "reported, not yet arrested"),
        Column("arrested_share", "share of citizens", "citizens removed by arrest"),
        Column("arrest_risk", "per month", "what citizens believe a dissenter's monthly risk of arrest is"),
        Column("degree_mean", "ties per citizen", "mean degree"),
        Column("degree_high_tau", "ties per citizen", "mean degree of high-tau citizens"),
        Column("degree_rest", "ties per citizen", "mean degree of the other citizens"),
        Column("isolated_high_tau", "share", "high-tau citizens with no tie"),
        Column("isolated_rest", "share", "other citizens with no tie"),
        *NETWORK_COLUMNS,
    ]
    for occupation in OCCUPATIONS[1:]:
        cols += [Column(f"pos_{occupation}", "citizens", f"citizens holding a position as {occupation}"),
                 Column(f"pos_{occupation}_tau", "tau", f"mean tau of the {occupation}s")]
    cols += [
        Column("positions_lost", "citizens", "positions lost to a sanction this month"),
        Column("positions_filled", "citizens", "vacant positions filled this month"),
        Column("approved_spending_share", "share of spending", "spending on approved categories, income-weighted"),
        Column("brag_posts", "citizens", "citizens who posted their score"),
        Column("defaults_per_capita", "per citizen", "repayments defaulted"),
        Column("tau_mean", "tau", "mean independent thinking"),
        Column("tau_sd", "tau", "standard deviation of independent thinking"),
        Column("tau_high_share", "share of citizens", "high-tau citizens (tau >= 0.6)"),
        Column("generation", "generations", "generations so far"),
        Column("parents_tau", "tau", "mean tau of the parents, weighted by children (generation months only)",
               from_phase="generations"),
        Column("citizens", "citizens", "population size"),
    ]
    return tuple(cols)


@functools.cache
def names(privileges: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(c.name for c in columns(privileges))


def column(name: str) -> Column | None:
    """The declared column called ``name`` (a privilege's columns for any privilege), or None:
    its unit and meaning for tables and figures."""
    privileges = (name[5:].removesuffix("_tau"),) if name.startswith("priv_") else ()
    return next((c for c in columns(privileges) if c.name == name), None)


def ordered_row(values: dict, order: tuple[str, ...]) -> dict:
    """``values`` as a row in the declared order; a column missing or undeclared is a bug."""
    if len(values) != len(order) or values.keys() != set(order):
        missing, extra = set(order) - values.keys(), values.keys() - set(order)
        raise RuntimeError(f"metrics row: missing {sorted(missing)}, undeclared {sorted(extra)} (scsim.metric_columns)")
    return {k: values[k] for k in order}


def describe(privileges: tuple[str, ...]) -> str:
    """The columns as a Markdown table (docs/model.md)."""
    lines = ["| column | unit | meaning |", "| --- | --- | --- |"]
    lines += [f"| `{c.name}` | {c.unit} | {c.meaning} |" for c in columns(privileges)]
    return "\n".join(lines)


if __name__ == "__main__":  # the table in docs/model.md, for the default scenario's privileges
    from .scenario import load_preset

    print(describe(tuple(p.name for p in load_preset("social-credit-2020").privileges)))
