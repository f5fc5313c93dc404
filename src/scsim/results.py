"""A finished run: its metrics as a DataFrame, and the explanation of any citizen's score.

``Run`` works the same on a run still in memory (``scsim.simulate``) and on one read back from
its database (``scsim.Run.open(folder)``): the explanation is built from the final citizens
table and the final network, with the same formulas as the engine (``scoring.friend_terms``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from .scenario import OCCUPATIONS, Scenario, scenario_from_dict
from .scoring import COMPONENTS, ScoreModel, friend_terms
from .errors import InputError

if TYPE_CHECKING:  # pandas is imported where a table is made (0.7 s): not on the CLI's run path
    import pandas as pd

KEY_METRICS = (
    ("score_mean", "mean score"), ("score_gini", "score Gini"), ("opted_share", "share scored"),
    ("posts_per_capita", "unapproved posts per capita"), ("self_censorship_rate", "self-censorship rate"),
    ("register_listed", "citizens on the register"), ("sanctioned_share", "share sanctioned"),
    ("edges_cut_drag", "ties cut over drag / month"), ("degree_high_tau", "degree of high-tau citizens"),
    ("degree_rest", "degree of the rest"), ("dissenter_cluster", "largest dissenter cluster"),
    ("approved_spending_share", "approved spending share"), ("arrests", "arrests / month"),
    ("arrested_share", "share arrested"), ("tau_mean", "mean tau"),
)


def _status(row) -> list[str]:
    """What the provocateur regime did to a citizen (columns absent from older runs count as no)."""
    notes = []
    if bool(row.get("provocateur", False)):
        notes.append("a planted agent (provocateur)")
    if bool(row.get("arrested", False)):
        notes.append("arrested: removed with every tie")
    elif bool(row.get("reported", False)):
        notes.append("on file: reported for agreeing with an agent")
    return notes


@dataclass
class Explanation:
    """The points each component gave one citizen, the clamp, and each friend's share."""

    citizen: int
    score: float
    published: float
    base: float
    components: dict[str, float]
    clamp: float
    friends: pd.DataFrame  # friend, kind, friend_score, contribution, drag (largest drag first)
    stand_in: bool  # no published friends: the citizen's own last score stood in for them
    privileges: list[str]
    sanctioned: bool
    occupation: str
    tau: float
    scored_regime: bool = True  # False: the regime has no score at all (provocateur)
    status: list[str] = field(default_factory=list)  # arrested, on file, a planted agent


    def __repr__(self) -> str:
        state = f"score {self.score:.1f}, {self._published_note()}" if self.scored_regime else "no score in this regime"
        return (f"<Explanation of citizen {self.citizen}: {state}, {len(self.friends)} ties, "
                f"{len(self.draggers)} drawing the score down; print() it for the whole page>")

    @property
    def total(self) -> float:
        return self.base + sum(self.components.values()) + self.clamp

    @property
    def draggers(self) -> pd.DataFrame:
        return self.friends[self.friends["drag"] > 0]

    def _published_note(self) -> str:
        if self.published == self.published:
            return "published"
        return "not published: not opted in" if self.scored_regime else "not published: this regime has no score"

    def __str__(self) -> str:
        lines = [f"Credit China: citizen {self.citizen}",
                 f"  score            {self.score:8.1f}   ({self._published_note()})",
                 f"  base             {self.base:8.1f}"]
        lines += [f"  {name:<16} {pts:+8.1f}" for name, pts in self.components.items()]
        lines.append(f"  clamp            {self.clamp:+8.1f}")
        lines.append(f"  = total          {self.total:8.1f}")
        lines.append(f"  privileges: {', '.join(self.privileges) or 'none'}")
        lines.append(f"  sanctioned: {'yes' if self.sanctioned else 'no'}; position: {self.occupation}")
        lines += [f"  {note}" for note in self.status]
        if self.stand_in:
            lines.append("  no published friends: own last score stood in for the association")
        d = self.draggers
        lines.append(f"  friends drawing the score down: {len(d)}")
        for r in d.head(10).itertuples():
            lines.append(f"    citizen {r.friend:>9} ({r.kind}, score {r.friend_score:6.1f}): -{r.drag:.2f} points")
        return "\n".join(lines)


class Run:
    """Results of one run; ``metrics`` is a pandas DataFrame with one row a month."""

    def __init__(self, scenario: Scenario, metrics: pd.DataFrame | None = None, path: Path | None = None, sim=None):
        self.scenario = scenario
        self._metrics = metrics
        self.path = path
        self._sim = sim
        self._citizens: int | None = None  # a run read back: the population its database records

    def __repr__(self) -> str:
        sc = self.scenario
        n = self._sim.n if self._sim is not None else self._citizens or sc.population.citizens
        where = f"in {self.path}" if self.path is not None else "in memory (not written: pass out= to simulate)"
        return f"<scsim.Run '{sc.name}': {n:,} citizens, {sc.run.months} months, seed {sc.run.seed}, {where}>"

    @property
    def metrics(self) -> pd.DataFrame | None:
        """One row a month; read from the database on first use (``scsim run`` never needs it:
        importing pandas and reading the table back cost ~0.8 s on its main thread)."""
        if self._metrics is None and self.path is not None:
            from .store import open_run_db

            con = open_run_db(self.path)
            self._metrics = con.execute("SELECT * FROM metrics ORDER BY month").df()
            con.close()
        return self._metrics

    @property
    def seed(self) -> int:
        return self.scenario.run.seed

    @property
    def simulation(self):
        """The simulation behind this run (``sim``: the one ``scsim.simulate`` or ``scsim.resume``
        ran, or one still running); None for a run read back with ``Run.open``."""
        return self._sim

    @classmethod
    def open(cls, folder: str | Path) -> "Run":
        import tomllib

        from .store import open_run_db

        con = open_run_db(folder)
        meta = dict(con.execute("SELECT key, value FROM meta").fetchall())
        scenario = scenario_from_dict(tomllib.loads(meta["scenario"]), f"{folder}")
        con.close()
        run = cls(scenario, None, Path(folder))
        run._citizens = int(meta["citizens"]) if meta.get("citizens", "").isdigit() else None
        return run

    def query(self, sql: str) -> pd.DataFrame:
        """Run SQL on the run's database (tables meta, metrics, citizens, edges, snapshots, edge_events)."""
        from .store import open_run_db

        if self.path is None:
            raise InputError("this run was not written to a database (pass out= to simulate)")
        con = open_run_db(self.path)
        try:
            return con.execute(sql).df()
        finally:
            con.close()

    # -- explanation
    def _citizen_data(self, i: int):
        n = self._sim.n if self._sim is not None else None
        if self._sim is not None:
            if not 0 <= i < n:
                raise InputError(f"citizen {i} does not exist (citizens are 0..{n - 1})")
            cols = self._sim.citizen_columns()
            row = {k: v[i] for k, v in cols.items()}
            friends = self._sim.net.neighbours(i)
            kinds = self._sim.net.neighbour_kinds(i)
            prev = cols["published_prev"]
            return row, friends, kinds, prev[friends], prev
        from .store import open_run_db

        con = open_run_db(self.path)
        try:
            df = con.execute("SELECT * FROM citizens WHERE citizen = ?", [i]).df()
            if df.empty:
                count = con.execute("SELECT count(*) FROM citizens").fetchone()[0]
                raise InputError(f"citizen {i} does not exist (citizens are 0..{count - 1})")
            row = df.iloc[0].to_dict()
            e = con.execute(
                "SELECT CASE WHEN u = ? THEN v ELSE u END AS friend, kind, c.published_prev AS prev "
                "FROM edges JOIN citizens c ON c.citizen = CASE WHEN u = ? THEN v ELSE u END "
                "WHERE u = ? OR v = ? ORDER BY friend", [i, i, i, i]).df()
        finally:
            con.close()
        return (row, e["friend"].to_numpy(np.int64), (e["kind"].astype(str) == "family").to_numpy(np.uint8),
                e["prev"].to_numpy(np.float64), None)

    def explain(self, citizen: int) -> Explanation:
        """Points per component, the clamp, and the friends that drew the score down, by how much."""
        i = int(citizen)
        if i < 0:
            raise InputError(f"citizen {i} does not exist (ids are non-negative)")
        sm = ScoreModel(self.scenario)
        row, friends, kinds, friend_prev, _ = self._citizen_data(i)
        local = np.full(len(friends), np.nan)
        local[:] = friend_prev
        contrib, drag = friend_terms(sm, np.arange(len(friends)), kinds, local, float(row["own_ref"]))
        import pandas as pd

        table = pd.DataFrame({"friend": friends.astype(np.int64), "kind": np.where(kinds == 1, "family", "friend"),
                              "friend_score": friend_prev, "contribution": contrib, "drag": drag})
        table = table.sort_values(["drag", "friend"], ascending=[False, True], kind="stable").reset_index(drop=True)
        comps = {name: float(row[name]) for name in COMPONENTS}
        published = float(row["published"])
        held = [p.name for p in self.scenario.privileges if published == published and published >= p.threshold]
        stand_in = sm.assoc_mode == 1 and not np.isfinite(friend_prev).any()
        return Explanation(
            citizen=i, score=float(row["score"]), published=published, base=float(row["base"]),
            components=comps, clamp=float(row["clamp"]), friends=table, stand_in=bool(stand_in),
            privileges=held, sanctioned=bool(row["sanctioned"]),
            occupation=OCCUPATIONS[int(row["occupation"])], tau=float(row["tau"]),
            scored_regime=self.scenario.scoring.enabled, status=_status(row))

    # -- summaries
    def plot(self, path: str | Path | None = None):
        """The run at a glance (``scsim.plots``): a matplotlib figure, or written to ``path``
        (PNG by default; the suffix picks the format) and its path returned."""
        from . import plots

        if path is None:
            return plots.run_figure(self.metrics, self.scenario)
        return plots.save_run_figure(self.metrics, self.scenario, path)

    def summary(self) -> pd.DataFrame:
        """Key metrics averaged over the year before and the year after the mandatory date
        (or the first and last year when there is none)."""
        import pandas as pd

        m = self.metrics
        step = self.scenario.step_of(self.scenario.phases.mandatory_start)
        if step is None or step <= 0 or step >= len(m):
            before, after = m.iloc[: min(12, len(m))], m.iloc[-min(12, len(m)):]
            labels = ("first year", "last year")
        else:
            before, after = m.iloc[max(0, step - 12): step], m.iloc[step: step + 12]
            labels = ("year before mandatory", "year after mandatory")
        rows = []
        for col, label in KEY_METRICS:
            if col in m and m[col].notna().any():  # e.g. no score at all under provocateurs
                rows.append((label, before[col].mean(), after[col].mean(), m[col].iloc[-1]))
        return pd.DataFrame(rows, columns=["metric", labels[0], labels[1], "final month"])
