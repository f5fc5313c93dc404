"""Scenarios: every parameter of MODEL.md with its unit, range and default, in a typed schema.

A scenario is a TOML file. It may start with ``extends = "PRESET"`` and override a few keys;
the presets ship inside the package (``scsim/presets/*.toml``). Validation happens before
anything is created on disk, and every error is one line naming the file and the key.

Utility units: privileges, sanctions, friendships and speaking are valued on one common scale
("utility units per month"; 1.0 = the value of the Schengen fast track). Only ratios matter.
"""

from __future__ import annotations

import difflib
import warnings
import re
import tomllib
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, model_validator

from .errors import InputError

# Networks shipped with the package (src/scsim/data), usable by name wherever an edge list's path
# is: the SNAP ego-Facebook graph (McAuley and Leskovec 2012; 4,039 anonymised accounts, 88,234 ties).
BUNDLED_NETWORKS = {"ego-facebook": "ego-facebook.edges.gz"}

OCCUPATIONS = ("other", "official", "reporter", "ceo", "statistician")
EXPRESSION_KINDS = ("opinion", "history", "news")
SCORE_FLOOR, SCORE_CEIL = 350.0, 950.0
_MONTH_RE = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
# The calendar scsim runs and plots: every month a scenario names lies in these years (the
# runs themselves are at most run.months <= 2400 months, 200 years, long)
FIRST_YEAR, LAST_YEAR = 1900, 2200


def P(default: Any, description: str, unit: str = "", **bounds: Any) -> Any:
    """A documented parameter: default, one-line meaning, unit and range (ge/le/gt/lt)."""
    return Field(default, description=description, json_schema_extra={"unit": unit}, **bounds)


def _check_month(v: str | None) -> str | None:
    if v is not None and not _MONTH_RE.match(v):
        raise ValueError(f"'{v}' is not a month of the form YYYY-MM")
    if v is not None and not FIRST_YEAR <= int(v[:4]) <= LAST_YEAR:
        raise ValueError(f"'{v}' is outside the calendar scsim runs (years {FIRST_YEAR} to {LAST_YEAR})")
    return v


Month = Annotated[str, AfterValidator(_check_month)]
OptionalMonth = Annotated[str | None, AfterValidator(_check_month)]


class Section(BaseModel):
    """Every table of a scenario. Strict (what the file says is what it means: no "3" for 3, no
    "yes" for true; a whole number is accepted for a real one) and finite (no nan or inf in
    any number), for every field, whatever its section: a field added later is strict too."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True, frozen=False, strict=True, allow_inf_nan=False)


def month_index(start: str, when: str | None) -> int | None:
    """Months from ``start`` ("YYYY-MM") to ``when``; None stays None."""
    if when is None:
        return None
    y0, m0 = map(int, start.split("-"))
    y1, m1 = map(int, when.split("-"))
    return (y1 - y0) * 12 + (m1 - m0)


def month_label(start: str, index: int) -> str:
    y0, m0 = map(int, start.split("-"))
    k = y0 * 12 + (m0 - 1) + index
    return f"{k // 12:04d}-{k % 12 + 1:02d}"


class RunParams(Section):
    seed: int = P(20150128, "root seed; every random stream is split from it", ge=0)
    months: int = P(180, "number of monthly steps (default: Jan 2015 to Dec 2029)", "months", ge=1, le=2400)
    start: Month = P("2015-01", "calendar month of step 0", "YYYY-MM")
    snapshot_every: int = P(12, "store every citizen's score every K months (and the last month)", "months", ge=1)
    checkpoint_every: int = P(60, "write a checkpoint every K months so an interrupted run can be resumed (0: never)", "months", ge=0)
    network_metrics_every: int = P(12, "compute components, clusters and assortativity every K months", "months", ge=1)


class PopulationParams(Section):
    citizens: int = P(100_000, "number of synthetic citizens (an edge-list network sets it to the graph's size)", "citizens", ge=2, le=2_000_000_000)
    tau_alpha: float = P(2.0, "independent thinking tau ~ Beta(alpha, beta)", "", gt=0)
    tau_beta: float = P(4.0, "independent thinking tau ~ Beta(alpha, beta); mean 1/3 by default", "", gt=0)
    income_median: float = P(1800.0, "median monthly income (China 2015 per-capita disposable income ~21,966 CNY/yr)", "CNY/month", gt=0)
    income_sigma: float = P(0.8, "log-sd of income (lognormal, heavy right tail)", "", ge=0, le=5)
    assets_median: float = P(60000.0, "median assets", "CNY", gt=0)
    assets_sigma: float = P(1.3, "log-sd of assets (heavier tail than income)", "", ge=0, le=5)
    income_asset_correlation: float = P(0.6, "correlation of log income and log assets", "", ge=-1, le=1)
    reliability_alpha: float = P(12.0, "repayment reliability ~ Beta(alpha, beta): probability of paying on time", "", gt=0)
    reliability_beta: float = P(1.0, "repayment reliability ~ Beta(alpha, beta); mean 0.92 by default", "", gt=0)
    status_alpha: float = P(1.0, "status seeking (wish to post one's score) ~ Beta(alpha, beta)", "", gt=0)
    status_beta: float = P(4.0, "status seeking ~ Beta(alpha, beta)", "", gt=0)
    tertiary_share: float = P(0.15, "share with tertiary education (rises with income rank)", "share", ge=0, le=1)
    official_share: float = P(0.05, "share holding a government-official position", "share", ge=0, le=1)
    reporter_share: float = P(0.005, "share holding a reporter position", "share", ge=0, le=1)
    ceo_share: float = P(0.01, "share holding a CEO position", "share", ge=0, le=1)
    statistician_share: float = P(0.005, "share holding a statistician position", "share", ge=0, le=1)
    privacy_cost: float = P(0.05, "perceived monthly cost of being scored, for tau = 0 (opt-in decision)", "utility/month", ge=0)
    privacy_cost_tau: float = P(0.6, "extra perceived cost of being scored per unit of tau", "utility/month", ge=0)

    @model_validator(mode="after")
    def _shares(self):
        total = self.official_share + self.reporter_share + self.ceo_share + self.statistician_share
        if total > 1:
            raise ValueError(f"position shares add up to {total:.3f} > 1")
        return self


class NetworkParams(Section):
    model: Literal["watts-strogatz", "barabasi-albert", "block", "edgelist"] = P("watts-strogatz", "friendship network generator, an edge list file, or a network shipped with scsim by its name (ego-facebook: read as edgelist with that path)")
    mean_degree: float = P(20.0, "mean number of friends (generators only)", "ties", ge=1, le=1000)
    rewire: float = P(0.1, "Watts-Strogatz rewiring probability", "probability", ge=0, le=1)
    blocks: int = P(10, "block model: number of tau blocks (quantiles of tau)", "", ge=1)
    homophily: float = P(0.8, "block model: probability that a tie stays inside the citizen's tau block", "probability", ge=0, le=1)
    path: str | None = P(None, "edge list: whitespace-separated 'u v' per line, '#' comments, optionally .gz; relative to the scenario file, or the name of a network shipped with scsim (ego-facebook)")
    household_size: float = P(2.6, "mean household size (1 + Poisson); family ties join household members; 1 = no families (China 2020 census: 2.62)", "citizens", ge=1, le=20)

    @model_validator(mode="before")
    @classmethod
    def _bundled(cls, data: Any) -> Any:
        """``model = "ego-facebook"``: the bundled network, as model 'edgelist' with that path."""
        if isinstance(data, dict) and data.get("model") in BUNDLED_NETWORKS:
            name = data["model"]
            if data.get("path") not in (None, name):
                raise ValueError(f"model = '{name}' is the network shipped with scsim: give no path")
            data = {**data, "model": "edgelist", "path": name}
        return data

    @model_validator(mode="after")
    def _path(self):
        if self.model == "edgelist" and not self.path:
            raise ValueError("model = 'edgelist' needs a path")
        return self


class PhaseParams(Section):
    optin_start: OptionalMonth = P("2015-06", "opt-in phase opens (Sesame Credit from mid-2015); none = no opt-in phase")
    mandatory_start: OptionalMonth = P("2020-01", "every citizen is scored from this month; none = never mandatory")

    @model_validator(mode="after")
    def _dates(self):
        if self.optin_start and self.mandatory_start and self.optin_start > self.mandatory_start:
            raise ValueError("optin_start must not come after mandatory_start")
        return self


class PointsParams(Section):
    credit_history: float = P(155.0, "points at a perfect repayment record (Sesame: 35%)", "points", ge=0, le=600)
    capacity: float = P(110.0, "points at the top of income and assets (Sesame: 25%)", "points", ge=0, le=600)
    characteristics: float = P(66.0, "points at the best occupation and education (Sesame: 15%)", "points", ge=0, le=600)
    behaviour: float = P(88.0, "points at fully approved purchases (Sesame: 20%)", "points", ge=0, le=600)


class ScorecardParams(Section):
    base_score: float = P(600.0, "score at the base odds", "points")
    base_odds: float = P(50.0, "good:bad odds that map to base_score", "odds", gt=0)
    pdo: float = P(20.0, "points to double the odds", "points", gt=0)
    intercept: float = P(-8.4, "log-odds intercept of the default model", "log-odds")
    credit_history_coef: float = P(12.0, "log-odds per unit of repayment record (0..1)", "log-odds")
    capacity_coef: float = P(2.0, "log-odds per unit of capacity rank (0..1)", "log-odds")


class AssociationParams(Section):
    mode: Literal["off", "mean", "penalty"] = P("off", "guilt by association: off, weighted mean of friends' published scores, or a penalty per friend below a line")
    points: float = P(22.0, "mean mode: points at friends' mean score 950 (Sesame relationships: 5%)", "points", ge=0, le=600)
    family_weight: float = P(1.0, "weight of a family tie relative to a friend in the association", "", ge=0)
    line: float = P(550.0, "penalty mode: friends below this published score cost points", "points", ge=350, le=950)
    penalty: float = P(8.0, "penalty mode: points per friend below the line", "points", ge=0)
    max_penalty: float = P(120.0, "penalty mode: cap on the total association penalty", "points", ge=0)
    friends_posts: float = P(0.0, "share of each friend's political record (its penalties for unapproved posts) that also costs the citizen, summed over published friends (the seed: 'if any of your friends do this [...] your score will also deteriorate'); any mode, even off", "share", ge=0, le=1)


class PoliticalParams(Section):
    enabled: bool = P(False, "political conformity component on")
    start: OptionalMonth = P(None, "month it switches on; none = the mandatory date (or the first month)", "YYYY-MM")
    penalty_opinion: float = P(40.0, "points per political opinion published without permission", "points", ge=0)
    penalty_history: float = P(40.0, "points per unofficial history published", "points", ge=0)
    penalty_news: float = P(25.0, "points per accurate but embarrassing news item", "points", ge=0)
    decay: float = P(0.9, "monthly retention of political penalties (0.9: half-life ~6.6 months)", "per month", ge=0, le=1)


class ScoringParams(Section):
    enabled: bool = P(True, "a score at all; false: nobody is scored, no privileges or sanctions (the provocateur regime)")
    method: Literal["points", "scorecard"] = P("points", "points: Sesame-style points per dimension; scorecard: Western log-odds scaling")
    base: float = P(350.0, "points method: score with every component at zero", "points")
    min_score: float = P(350.0, "lowest published score", "points", ge=SCORE_FLOOR, le=SCORE_CEIL)
    max_score: float = P(950.0, "highest published score", "points", ge=SCORE_FLOOR, le=SCORE_CEIL)
    points: PointsParams = Field(default_factory=PointsParams)
    scorecard: ScorecardParams = Field(default_factory=ScorecardParams)
    association: AssociationParams = Field(default_factory=AssociationParams)
    political: PoliticalParams = Field(default_factory=PoliticalParams)

    @model_validator(mode="after")
    def _range(self):
        if self.min_score >= self.max_score:
            raise ValueError("min_score must be below max_score")
        return self


class Privilege(Section):
    name: str = P("privilege", "short name, used as a metric column")
    threshold: float = P(600.0, "published score at or above which it is granted", "points", ge=SCORE_FLOOR, le=SCORE_CEIL)
    value: float = P(0.2, "what it is worth to a citizen", "utility/month", ge=0)


def _default_privileges() -> list[Privilege]:
    return [
        Privilege(name="instant_loan", threshold=600, value=0.15),
        Privilege(name="car_rental", threshold=650, value=0.15),
        Privilege(name="singapore_visa", threshold=700, value=0.3),
        Privilege(name="schengen_visa", threshold=750, value=1.0),
    ]


class SanctionParams(Section):
    enabled: bool = P(False, "sanctions on")
    start: OptionalMonth = P(None, "month they switch on; none = the mandatory date (or the first month)", "YYYY-MM")
    line: float = P(550.0, "published score below which a citizen is sanctioned (Sesame 'poor' band: 350-549)", "points", ge=SCORE_FLOOR, le=SCORE_CEIL)
    internet_reach: float = P(0.3, "share of expression and reach left to a sanctioned citizen (limited Internet)", "share", ge=0, le=1)
    barred_positions: list[Literal["official", "reporter", "ceo", "statistician"]] = P(
        ["official", "reporter", "ceo", "statistician"], "positions a sanctioned citizen loses and cannot obtain")
    cost: float = P(1.0, "what being sanctioned costs a citizen", "utility/month", ge=0)


class RegisterParams(Section):
    enabled: bool = P(False, "Credit China register: lists, for each citizen, the friends who draw its score down")
    start: OptionalMonth = P(None, "month it opens; none = the mandatory date (or the first month)", "YYYY-MM")
    public: bool = P(True, "anybody can see the register (drag fully visible); false: citizens only guess")
    private_awareness: float = P(0.3, "share of a dragger's drag a citizen perceives without a public register", "share", ge=0, le=1)
    min_drag: float = P(1.0, "a friend is listed as a dragger when it draws the score down by at least this", "points", ge=0)


class EconomyParams(Section):
    borrow_prob: float = P(0.3, "monthly probability that a repayment falls due", "probability", ge=0, le=1)
    loan_boost: float = P(0.2, "extra probability of a repayment for holders of the first (instant-loan) privilege", "probability", ge=0, le=1)
    history_rate: float = P(0.1, "weight of each new repayment in the repayment record (EWMA)", "", gt=0, le=1)


class Category(Section):
    name: str = P("category", "spending category")
    valence: float = P(0.0, "policy valence: +1 approved, -1 disapproved, 0 neutral", "", ge=-1, le=1)
    share: float = P(0.1, "mean share of spending before any shift", "share", gt=0, le=1)


def _default_categories() -> list[Category]:
    return [
        Category(name="dishwashers", valence=1.0, share=0.05),
        Category(name="baby_supplies", valence=1.0, share=0.10),
        Category(name="video_games", valence=-1.0, share=0.05),
        Category(name="food", valence=0.0, share=0.50),
        Category(name="clothing", valence=0.0, share=0.15),
        Category(name="other", valence=0.0, share=0.15),
    ]


class PurchaseParams(Section):
    categories: list[Category] = Field(default_factory=_default_categories, description="spending categories ([[purchases.categories]]: name, valence in [-1, 1], mean share); the seed's: dishwashers and baby supplies +1, video games -1")
    concentration: float = P(20.0, "Dirichlet concentration of citizens' spending shares around the means", "", gt=0)
    shift_strength: float = P(30.0, "tilt towards approved categories per utility unit per point of score", "", ge=0)
    adjust_rate: float = P(0.2, "monthly speed at which spending moves towards its target tilt", "", ge=0, le=1)


class ExpressionParams(Section):
    rule: Literal["logit", "daymude"] = P("logit", "self-censorship rule: logit (bounded-rational choice) or daymude (Daymude, Axelrod and Forrest 2025: each chooses how much of its desired dissent to express)")
    surveillance: float = P(1.0, "daymude rule: share of expression the authority sees (nu)", "probability", ge=0, le=1)
    tolerance: float = P(0.0, "daymude rule: dissent tolerated without punishment (t), on tau's scale", "", ge=0, le=1)
    punishment: Literal["uniform", "proportional"] = P("uniform", "daymude rule: a fixed punishment, or one proportional to dissent above tolerance")
    rate_opinion: float = P(0.06, "monthly probability of a political opinion at tau = 1, before any fear", "probability", ge=0, le=1)
    rate_history: float = P(0.02, "monthly probability of an unofficial history at tau = 1", "probability", ge=0, le=1)
    rate_news: float = P(0.03, "monthly probability of embarrassing news at tau = 1", "probability", ge=0, le=1)
    value: float = P(0.6, "value of speaking out, per unit of tau", "utility", ge=0)
    peer_strength: float = P(0.5, "how much friends' speaking emboldens (0: not at all)", "", ge=0, le=1)
    peer_reference: float = P(0.02, "share of friends posting in a month at which the peer factor is 1", "share", gt=0, le=1)


class TieParams(Section):
    friend_value: float = P(0.03, "value of keeping a friendship", "utility/month", ge=0)
    family_value: float = P(1.0, "value of keeping a family tie (costs far more to cut)", "utility/month", ge=0)
    cut_rate: float = P(0.5, "monthly chance that a citizen reconsiders its worst dragger", "probability", ge=0, le=1)
    churn: float = P(0.002, "monthly probability that a friendship ends for reasons unrelated to scores", "probability", ge=0, le=1)
    triadic: float = P(0.7, "a new tie closes a triangle (friend of a friend) with this probability, else a random citizen", "probability", ge=0, le=1)
    score_seeking: float = P(0.5, "under association, probability of aiming the new tie at the higher of two candidates' scores", "probability", ge=0, le=1)
    replace: float = P(0.8, "probability of seeking a new tie after cutting one", "probability", ge=0, le=1)


class OptInParams(Section):
    rate: float = P(0.15, "monthly chance that a citizen reconsiders opting in", "probability", ge=0, le=1)
    curiosity: float = P(0.0, "chance that a reconsidering citizen joins whatever its score would buy (curiosity, convenience: Sesame came with Alipay); the rest join when it pays", "probability", ge=0, le=1)


class BraggingParams(Section):
    line: float = P(700.0, "score from which citizens like to post it", "points", ge=SCORE_FLOOR, le=SCORE_CEIL)
    rate: float = P(0.05, "monthly probability of posting one's score, per unit of status seeking, well above the line", "probability", ge=0, le=1)


class BehaviourParams(Section):
    perception_sd: float = P(10.0, "how sharply citizens see thresholds: logistic scale of the privilege value curve", "points", gt=0)
    temperature: float = P(0.05, "logit-choice temperature (bounded rationality; small = sharper)", "utility", gt=0)
    expression: ExpressionParams = Field(default_factory=ExpressionParams)
    ties: TieParams = Field(default_factory=TieParams)
    optin: OptInParams = Field(default_factory=OptInParams)
    bragging: BraggingParams = Field(default_factory=BraggingParams)


class ProvocateurParams(Section):
    enabled: bool = P(False, "provocateurs (the KGB/Stasi method the article compares with): planted agents sound out their friends; those who agree may be reported and arrested")
    start: OptionalMonth = P(None, "month they start; none = the mandatory date (or the first month)", "YYYY-MM")
    share: float = P(0.012, "share of citizens who are provocateurs (Stasi, 1989: ~189,000 unofficial collaborators in 16.4 million people, ~1.2%)", "share", ge=0, le=0.5)
    invite_rate: float = P(0.1, "monthly chance that a provocateur sounds out each of its friends", "probability", ge=0, le=1)
    agree_threshold: float = P(0.6, "tau at which an invited citizen with no dissenting friends agrees half the time", "", ge=0, le=1)
    peer_weight: float = P(0.3, "how far agreeing friends lower that threshold, per unit share of friends who are active dissenters", "", ge=0, le=1)
    spread: float = P(0.08, "logistic spread of agreement around the threshold (small = sharper)", "", gt=0)
    detection: float = P(0.5, "probability that an agreement is reported", "probability", ge=0, le=1)
    arrest_rate: float = P(0.2, "monthly probability that a reported citizen is arrested (removed, with all its ties)", "probability", ge=0, le=1)
    arrest_cost: float = P(0.0, "what citizens believe an arrest costs them; with the known arrest risk it makes them withhold posts (0 = no fear)", "utility", ge=0)


class GenerationParams(Section):
    every: int = P(0, "months between generations (a compressed generation; 0 = off)", "months", ge=0, le=1200)
    heritability: float = P(0.5, "h2: regression of a child's tau on its parent's, on the liability (probit) scale", "", ge=0, le=1)
    privilege_strength: float = P(1.0, "how strongly privileges drive children: fertility is proportional to exp(strength x value of the privileges held, minus the sanction cost)", "per utility", ge=0, le=20)
    growth: float = P(0.0, "relative change of the population size at each generation (0: stable; 0.1: 10% more citizens; -0.1: 10% fewer)", "per generation", ge=-0.5, le=1.0)


warnings.filterwarnings("ignore", message='Field name "register"', category=UserWarning)


class Scenario(Section):
    """A complete, validated scenario."""

    name: str = P("custom", "scenario name")
    description: str = P("", "one paragraph for humans")
    extends: str | None = P(None, "what this scenario starts from: a preset's name, or a .toml file given relative to this one, inside its folder")
    run: RunParams = Field(default_factory=RunParams)
    population: PopulationParams = Field(default_factory=PopulationParams)
    network: NetworkParams = Field(default_factory=NetworkParams)
    phases: PhaseParams = Field(default_factory=PhaseParams)
    scoring: ScoringParams = Field(default_factory=ScoringParams)
    privileges: list[Privilege] = Field(default_factory=_default_privileges, description="privileges ([[privileges]]: name, threshold, value in utility/month), thresholds increasing; the seed's 600/650/700/750")
    sanctions: SanctionParams = Field(default_factory=SanctionParams)
    register: RegisterParams = Field(default_factory=RegisterParams)
    economy: EconomyParams = Field(default_factory=EconomyParams)
    purchases: PurchaseParams = Field(default_factory=PurchaseParams)
    behaviour: BehaviourParams = Field(default_factory=BehaviourParams)
    provocateurs: ProvocateurParams = Field(default_factory=ProvocateurParams)
    generations: GenerationParams = Field(default_factory=GenerationParams)

    @model_validator(mode="after")
    def _cross(self):
        if self.scoring.enabled and self.phases.optin_start is None and self.phases.mandatory_start is None:
            raise ValueError("phases: set optin_start, mandatory_start or both (otherwise nobody is ever scored)")
        th = [p.threshold for p in self.privileges]
        if any(b <= a for a, b in zip(th, th[1:])):
            raise ValueError(f"privileges: thresholds must be increasing, got {th}")
        names = [p.name for p in self.privileges]
        if len(set(names)) != len(names):
            raise ValueError("privileges: names must be unique")
        for p in self.privileges:
            if not (self.scoring.min_score <= p.threshold <= self.scoring.max_score):
                raise ValueError(f"privileges: threshold {p.threshold} of '{p.name}' is outside the score range")
        if not self.purchases.categories:
            raise ValueError("purchases.categories: at least one category is needed")
        self._check_network()
        return self

    def _check_network(self) -> None:
        """A generated network must fit its citizens: every generator gives each citizen
        2 x round(mean_degree / 2) ties (at least 2), which needs more citizens than that, and
        the block model at least one citizen per block. (An edge list sets its own size.)"""
        if self.network.model == "edgelist":
            return
        n, k = self.population.citizens, self.network.mean_degree
        ties = 2 * max(1, int(round(k / 2)))
        if ties >= n:
            raise ValueError(f"network.mean_degree: {k:g} is too large for population.citizens = {n} "
                             f"(the {self.network.model} network needs more citizens than its {ties} ties each)")
        if self.network.model == "block" and self.network.blocks > n:
            raise ValueError(f"network.blocks: {self.network.blocks} blocks need at least as many citizens "
                             f"(population.citizens = {n})")

    # Derived calendar facts, in step indices.
    def step_of(self, when: str | None) -> int | None:
        return month_index(self.run.start, when)

    def switch_on(self, when: str | None) -> int:
        """Step at which a feature with start month ``when`` switches on (default: mandatory)."""
        step = self.step_of(when or self.phases.mandatory_start)
        return 0 if step is None else step

    def with_overrides(self, **dotted: Any) -> "Scenario":
        """A copy with 'section.key' overrides applied, re-validated (e.g. population.citizens=1000)."""
        return self.with_settings(dotted, "overrides")

    def with_settings(self, dotted: dict[str, Any], source: str) -> "Scenario":
        """A copy with 'section.key' settings applied and validated as a scenario file is
        (``scenario_from_dict``); an error names ``source`` (e.g. '--set') and the key."""
        data = self.model_dump()
        for key, value in dotted.items():
            if type(value).__module__ == "numpy" and hasattr(value, "item"):  # a NumPy scalar: its Python value
                value = value.item()
            try:
                _set_dotted(data, key, value)
            except (TypeError, AttributeError):
                raise InputError(f"{source}: {key}: '{key.rsplit('.', 1)[0]}' is a value, not a section") from None
        return scenario_from_dict(data, source=source)

    def __repr__(self) -> str:
        n = "citizens from the edge list" if self.network.model == "edgelist" else f"{self.population.citizens:,} citizens"
        phases = ", ".join(f"{k} {v}" for k, v in (("opt-in", self.phases.optin_start),
                                                    ("mandatory", self.phases.mandatory_start)) if v)
        score = f"score {self.scoring.method}" if self.scoring.enabled else "no score"
        return (f"Scenario('{self.name}': {n}, {self.run.months} months from {self.run.start}, seed {self.run.seed}, "
                f"network {self.network.model}, {score}{', ' + phases if phases else ''})")

    __str__ = __repr__  # print(sc) says what it is; sc.to_toml() has every value

    def to_toml(self) -> str:
        import tomli_w

        return tomli_w.dumps(_drop_none(self.model_dump()))


def parse_settings(items: list[str] | None, source: str = "--set") -> dict[str, Any]:
    """``KEY=VALUE`` strings (``scsim run --set``) as dotted settings: the value is a TOML literal
    (``3``, ``0.5``, ``true``, ``"penalty"``, ``[1, 2]``); a bare word that is not one is a string."""
    out: dict[str, Any] = {}
    for item in items or []:
        key, eq, text = item.partition("=")
        key = key.strip()
        if not eq or not key or not all(key.split(".")):
            raise InputError(f"{source} {item}: expected KEY=VALUE, e.g. {source} population.citizens=5000")
        try:
            out[key] = tomllib.loads(f"v = {text.strip()}")["v"]
        except tomllib.TOMLDecodeError:
            out[key] = text.strip()
    return out


def _drop_none(obj: Any) -> Any:
    if isinstance(obj, dict):
        return {k: _drop_none(v) for k, v in obj.items() if v is not None}
    if isinstance(obj, list):
        return [_drop_none(v) for v in obj]
    return obj


def _set_dotted(data: dict, key: str, value: Any) -> None:
    parts = key.split(".")
    node = data
    for p in parts[:-1]:
        node = node.setdefault(p, {})
    node[parts[-1]] = value


# ---------------------------------------------------------------- loading and errors


def preset_names() -> list[str]:
    return sorted(p.name[:-5] for p in resources.files("scsim.presets").iterdir() if p.name.endswith(".toml"))


def _preset_text(name: str) -> str:
    path = resources.files("scsim.presets") / f"{name}.toml"
    if not _PRESET_NAME.match(name) or not path.is_file():
        close = difflib.get_close_matches(name, preset_names(), n=1)
        hint = f" (did you mean '{close[0]}'?)" if close else f" (presets: {', '.join(preset_names())})"
        raise InputError(f"unknown preset '{name}'{hint}")
    return path.read_text()


def _deep_merge(base: dict, over: dict) -> dict:
    out = dict(base)
    for k, v in over.items():
        if isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k] = _deep_merge(out[k], v)
        else:
            out[k] = v
    return out


def _parse(text: str, source: str) -> dict:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise InputError(f"{source}: not valid TOML: {e}") from None


_PRESET_NAME = re.compile(r"^[a-z0-9][a-z0-9-]*$")


def _resolve(data: dict, source: str, folder: Path | None = None, seen: tuple[str, ...] = ()) -> dict:
    """``data`` merged over what it ``extends``: a preset's name, or (in a scenario file in
    ``folder``) a ``.toml`` file given relative to it, inside that folder (docs/parameters.md)."""
    parent = data.get("extends")
    if parent is None:
        return data
    if not isinstance(parent, str):
        raise InputError(f"{source}: extends: must be a preset name or a .toml file next to this one")
    if parent.endswith(".toml") and folder is not None:
        path = confined_file(parent, folder, source, "extends", "this scenario")
        key, base_source, base_folder = str(path), str(path), path.parent
        try:
            text = _read_text(path, "scenario file")
        except InputError as e:
            raise InputError(f"{source}: extends: {e}") from None
    elif not _PRESET_NAME.match(parent):
        raise InputError(f"{source}: extends: '{parent}' is neither a preset name (presets: {', '.join(preset_names())}) "
                         "nor a .toml file relative to this scenario")
    else:
        key, base_source, base_folder = parent, f"preset {parent}", None
        try:
            text = _preset_text(parent)
        except InputError as e:
            raise InputError(f"{source}: extends: {e}") from None
    if key in seen:
        raise InputError(f"{source}: extends: cycle through '{parent}'")
    base = _resolve(_parse(text, base_source), base_source, base_folder, seen + (key,))
    if base_folder is not None:
        _anchor_network_path(base, base_folder)
    base.pop("name", None)
    return _deep_merge(base, data)


def confined_file(name: str, folder: Path, source: str, key: str = "extends", relative_to: str = "this scenario") -> Path:
    """The file a ``key = "FILE.toml"`` of ``source`` names (a scenario's ``extends``, a sweep's
    ``base``): relative to ``folder`` (the file's own), and inside it (docs/parameters.md)."""
    if Path(name).is_absolute():
        raise InputError(f"{source}: {key}: '{name}' is an absolute path; give a file relative to {relative_to}")
    root = folder.resolve()
    path = (root / name).resolve()
    if not path.is_relative_to(root):
        raise InputError(f"{source}: {key}: '{name}' is outside {relative_to}'s folder ({folder}); "
                         "the file must lie in it or below it")
    return path


def _read_text(path: Path, what: str) -> str:
    """A file's text; a folder, a missing file or an unreadable one is one line naming it."""
    if path.is_dir():
        raise InputError(f"{path}: is a folder, not a {what}")
    if not path.is_file():
        raise InputError(f"{path}: no such {what}")
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise InputError(f"{path}: cannot read: {e}") from None


def _anchor_network_path(data: dict, folder: Path) -> None:
    """An edge list named in an extended file is relative to that file."""
    net = data.get("network")
    path = net.get("path") if isinstance(net, dict) else None
    if isinstance(path, str) and path not in BUNDLED_NETWORKS and not Path(path).is_absolute():
        net["path"] = str((folder / path).resolve())


def _model_at(loc: tuple) -> type[BaseModel] | None:
    """The schema class that owns the field at ``loc`` (for 'did you mean' hints)."""
    model: Any = Scenario
    for part in loc[:-1]:
        if isinstance(part, int):
            continue
        field = model.model_fields.get(part) if isinstance(model, type) and issubclass(model, BaseModel) else None
        if field is None:
            return None
        ann = field.annotation
        args = getattr(ann, "__args__", ())
        inner = [a for a in (ann, *args) if isinstance(a, type) and issubclass(a, BaseModel)]
        if not inner:
            return None
        model = inner[0]
    return model


def _format_error(err: dict, source: str) -> str:
    loc = tuple(err["loc"])
    where = ".".join(str(p) if not isinstance(p, int) else f"[{p}]" for p in loc).replace(".[", "[")
    if err["type"] == "extra_forbidden":
        model = _model_at(loc)
        hint = ""
        if model is not None:
            close = difflib.get_close_matches(str(loc[-1]), list(model.model_fields), n=1)
            if close:
                hint = f" (did you mean '{close[0]}'?)"
        return f"{source}: unknown key '{where}'{hint}"
    msg = schema_message(err)
    if not where:
        return f"{source}: {msg}"
    return f"{source}: {where}: {msg}"


_TYPE_NAMES = {"float_type": "a number", "int_type": "an integer", "bool_type": "true or false",
               "string_type": "a string", "list_type": "a list", "model_type": "a table", "dict_type": "a table"}


def schema_message(err: dict) -> str:
    """pydantic's message, said for a scenario file: a NaN or an infinity is 'not a finite
    number'; a value of the wrong TOML type names the type it has."""
    value = err.get("input")
    if err["type"] == "finite_number" or (isinstance(value, float) and value != value):
        return f"{value} is not a finite number"
    if err["type"] in _TYPE_NAMES:
        if isinstance(value, str):
            got = f"the string {value!r}" + (" (write it without quotes)" if _looks_typed(value) else "")
        else:
            got = type(value).__name__ if isinstance(value, (dict, list)) else f"{value!r} ({type(value).__name__})"
        return f"expected {_TYPE_NAMES[err['type']]}, got {got}"
    return err["msg"].removeprefix("Value error, ")


def _looks_typed(text: str) -> bool:
    """A string that TOML would read as a number or a boolean without its quotes."""
    try:
        tomllib.loads(f"x = {text}")
        return not text.strip().startswith(("[", "{", '"', "'"))
    except tomllib.TOMLDecodeError:
        return False


def scenario_from_dict(data: dict, source: str) -> Scenario:
    """A scenario from its parsed TOML (e.g. a run database's ``meta.scenario``); a schema error is
    one ``InputError`` line that starts with ``source`` and names the key."""
    try:
        return Scenario.model_validate(data)
    except ValidationError as e:
        raise InputError(_format_error(e.errors()[0], source)) from None


def load_preset(name: str) -> Scenario:
    return scenario_from_dict(_resolve(_parse(_preset_text(name), f"preset {name}"), f"preset {name}", None, (name,)),
                              f"preset {name}")


def load_scenario(path: str | Path) -> Scenario:
    """Read and validate a scenario file; an edge-list path is made relative to the file."""
    path = Path(path)
    text = _read_text(path, "scenario file")
    data = _resolve(_parse(text, str(path)), str(path), path.parent)
    scenario = scenario_from_dict(data, str(path))
    if scenario.network.path and not Path(scenario.network.path).is_absolute() \
            and scenario.network.path not in BUNDLED_NETWORKS:
        scenario.network.path = str((path.parent / scenario.network.path).resolve())
    return scenario


def parameter_table(model: type[BaseModel] = Scenario, prefix: str = "") -> list[tuple[str, str, str, str, str]]:
    """(key, default, unit, range, meaning) for every parameter, for docs and ``scsim params``."""
    rows = []
    for name, field in model.model_fields.items():
        ann = field.annotation
        key = f"{prefix}{name}"
        if isinstance(ann, type) and issubclass(ann, BaseModel):
            rows += parameter_table(ann, key + ".")
            continue
        extra = field.json_schema_extra or {}
        bounds = []
        for m in field.metadata:
            for attr, sym in (("ge", ">="), ("gt", ">"), ("le", "<="), ("lt", "<")):
                if getattr(m, attr, None) is not None:
                    bounds.append(f"{sym}{getattr(m, attr)}")
        default = field.get_default(call_default_factory=True)
        if isinstance(default, list) and default and isinstance(default[0], BaseModel):
            default = "; ".join(", ".join(f"{k}={v}" for k, v in d.model_dump().items()) for d in default)
        rows.append((key, str(default), extra.get("unit", ""), " ".join(bounds), field.description or ""))
    return rows
