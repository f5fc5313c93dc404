"""A finished run: its metrics as a DataFrame, and the explanation of any citizen's score.

``Run`` works the same on a run still in memory (``scsim.simulate``) and on one read back from
its database (``scsim.Run.open(folder)``): the explanation is built from the final citizens
table and the final network, with the same formulas as the engine (``scoring.friend_terms``).
"""

from __future__ import annotations

import contextlib
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
    min_drag: float = 0.0  # register.min_drag: a smaller drag does not count as dragging
    register_on: bool = False  # the register was open in the run's last month
    listed: bool = False  # on the register: drags some friend by at least min_drag
    drags: pd.DataFrame | None = None  # friend, drag: the friends this citizen drags (listed for), largest first

    SHOWN = 10  # draggers listed on the page; the rest are counted ("and N more")

    def __repr__(self) -> str:
        state = f"score {self.score:.1f}, {self.published_note()}" if self.scored_regime else "no score in this regime"
        return (f"<Explanation of citizen {self.citizen}: {state}, {len(self.friends)} ties, "
                f"{len(self.draggers)} drawing the score down; print() it for the whole page>")

    @property
    def total(self) -> float:
        return self.base + sum(self.components.values()) + self.clamp

    @property
    def draggers(self) -> pd.DataFrame:
        """Friends that draw the score down by more than 0 and at least ``register.min_drag``:
        the friends the engine counts in the citizens table's ``draggers`` column."""
        d = self.friends["drag"]
        return self.friends[(d > 0) & (d >= self.min_drag)]

    def register_note(self) -> str:
        """Whether the citizen is on the register, and why (or why not)."""
        if not self.register_on:
            return "not on the register: this run has no public register open"
        if self.listed:
            top = self.drags.iloc[0] if self.drags is not None and len(self.drags) else None
            why = (f": drags {len(self.drags)} friend(s) by at least {points(self.min_drag, 1)} points "
                   f"(most: citizen {int(top.friend)}, {points(top.drag)} points)") if top is not None else ""
            return "on the register" + why
        return f"not on the register: drags no friend by {points(self.min_drag, 1)} points or more"

    def published_note(self) -> str:
        """Whether the score is published (and, if not, why)."""
        if self.published == self.published:
            return "published"
        return "not published: not opted in" if self.scored_regime else "not published: this regime has no score"

    def __str__(self) -> str:
        lines = [f"Credit China: citizen {self.citizen}",
                 f"  score            {points(self.score, 1):>8}   ({self.published_note()})",
                 f"  base             {points(self.base, 1):>8}"]
        lines += [f"  {name:<16} {points(pts, 1, sign=True):>8}" for name, pts in self.components.items()]
        lines.append(f"  clamp            {points(self.clamp, 1, sign=True):>8}")
        lines.append(f"  = total          {points(self.total, 1):>8}")
        lines.append(f"  tau (independent thinking): {self.tau:.3f}")
        lines.append(f"  privileges: {', '.join(self.privileges) or 'none'}")
        lines.append(f"  sanctioned: {'yes' if self.sanctioned else 'no'}; position: {self.occupation}")
        lines.append(f"  {self.register_note()}")
        lines += [f"  {note}" for note in self.status]
        if self.stand_in:
            lines.append("  no published friends: own last score stood in for the association")
        d = self.draggers
        lines.append(f"  friends drawing the score down: {len(d)}" + (
            f" (by at least {points(self.min_drag, 1)} points)" if self.min_drag > 0 else ""))
        for r in d.head(self.SHOWN).itertuples():
            lines.append(f"    citizen {r.friend:>9} ({r.kind}, score {r.friend_score:6.1f}): -{points(r.drag)} points")
        if len(d) > self.SHOWN:
            lines.append(f"    and {len(d) - self.SHOWN} more")
        return "\n".join(lines)


def points(x: float, digits: int = 2, sign: bool = False) -> str:
    """A number of points as text, never '-0.0' (a value that rounds to zero is shown as 0)."""
    r = round(float(x), digits) + 0.0  # -0.0 + 0.0 == +0.0
    return f"{r:+.{digits}f}" if sign else f"{r:.{digits}f}"


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
            from .store import reading

            with reading(self.path) as con:
                self._metrics = con.execute("SELECT * FROM metrics ORDER BY month").df()
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

        from .store import reading

        with reading(folder) as con:
            meta = dict(con.execute("SELECT key, value FROM meta").fetchall())
        try:
            scenario = scenario_from_dict(tomllib.loads(meta["scenario"]), f"{folder}")
        except tomllib.TOMLDecodeError as e:
            raise InputError(f"{folder}: the run's stored scenario is not valid TOML ({e})") from None
        run = cls(scenario, None, Path(folder))
        run._citizens = int(meta["citizens"]) if meta.get("citizens", "").isdigit() else None
        return run

    def query(self, sql: str) -> pd.DataFrame:
        """Run SQL on the run's database (tables meta, metrics, citizens, edges, snapshots, edge_events)."""
        from .store import open_run_db

        if self.path is None:
            raise InputError("this run was not written to a database (pass out= to simulate)")
        import duckdb

        con = open_run_db(self.path)
        try:
            return con.execute(sql).df()
        except duckdb.Error as e:  # the caller's SQL (or a damaged page): one line, typed
            raise InputError(f"query: {str(e).splitlines()[0]}") from None
        finally:
            con.close()

    # -- explanation
    def _neighbourhoods(self, ids: list[int], con=None) -> dict[int, tuple]:
        """For each citizen in ``ids``: (row, friends, kinds (1 = family), the friends' last
        published scores, their political records). One query for all of them on a database
        (``con`` if given, else the run's, opened for it); raises for an unknown id."""
        if self._sim is not None:
            n = self._sim.n
            cols = self._sim.citizen_columns()
            out = {}
            for i in ids:
                if not 0 <= i < n:
                    raise InputError(f"citizen {i} does not exist (citizens are 0..{n - 1})")
                friends = self._sim.net.neighbours(i)
                out[i] = ({k: v[i] for k, v in cols.items()}, np.asarray(friends, np.int64),
                          np.asarray(self._sim.net.neighbour_kinds(i), np.uint8), cols["published_prev"][friends],
                          -cols["political"][friends])
            return out
        from .store import reading

        with contextlib.nullcontext(con) if con is not None else reading(self.path) as con:
            res = con.execute("SELECT * FROM citizens WHERE citizen IN (SELECT unnest(?))", [ids])
            names = [d[0] for d in res.description]
            rows = [dict(zip(names, r)) for r in res.fetchall()]
            if len(rows) < len(set(ids)):
                count = con.execute("SELECT count(*) FROM citizens").fetchone()[0]
                missing = min(set(ids) - {int(r["citizen"]) for r in rows})
                raise InputError(f"citizen {missing} does not exist (citizens are 0..{count - 1})")
            e = con.execute(
                "SELECT u AS who, v::BIGINT AS friend, (kind = 'family')::UTINYINT AS family FROM edges "
                "WHERE u IN (SELECT unnest($ids)) UNION ALL SELECT v, u, (kind = 'family')::UTINYINT FROM edges "
                "WHERE v IN (SELECT unnest($ids)) ORDER BY who, friend", {"ids": ids}).fetchnumpy()
            # the friends' scores by id (a join with the whole citizens table cost ~10x as much at 1M)
            known = np.unique(np.asarray(e["friend"], np.int64))
            s = con.execute("SELECT citizen, coalesce(published_prev, 'NaN'::DOUBLE) AS prev, -political AS record "
                            "FROM citizens WHERE citizen IN (SELECT unnest(?)) ORDER BY citizen",
                            [known.tolist()]).fetchnumpy()
        at = np.searchsorted(np.asarray(s["citizen"]), e["friend"])
        e["prev"] = np.asarray(s["prev"], np.float64)[at]
        e["record"] = np.asarray(s["record"], np.float64)[at]
        who = np.asarray(e["who"])
        out = {}
        for row in rows:
            i = int(row["citizen"])
            lo, hi = np.searchsorted(who, i, "left"), np.searchsorted(who, i, "right")
            row["published"] = np.nan if row["published"] is None else row["published"]
            out[i] = (row, np.asarray(e["friend"][lo:hi], np.int64), np.asarray(e["family"][lo:hi], np.uint8),
                      np.asarray(e["prev"][lo:hi], np.float64), np.asarray(e["record"][lo:hi], np.float64))
        return out

    def explain(self, citizen: int, con=None) -> Explanation:
        """Points per component, the clamp, the friends that drew the score down, by how much, and
        whether the citizen is on the register because it drags some friend. ``con``: an open
        read-only connection to the run's database to read (the web server's, which keeps one
        open); by default one is opened for the call."""
        i = int(citizen)
        if i < 0:
            raise InputError(f"citizen {i} does not exist (ids are non-negative)")
        sm = ScoreModel(self.scenario)
        row, friends, kinds, friend_prev, friend_record = self._neighbourhoods([i], con)[i]
        contrib, drag = friend_terms(sm, np.arange(len(friends)), kinds, friend_prev, float(row["own_ref"]),
                                     friend_record)
        import pandas as pd

        table = pd.DataFrame({"friend": friends.astype(np.int64), "kind": np.where(kinds == 1, "family", "friend"),
                              "friend_score": friend_prev, "contribution": contrib, "drag": drag})
        table = table.sort_values(["drag", "friend"], ascending=[False, True], kind="stable").reset_index(drop=True)
        comps = {name: float(row[name]) for name in COMPONENTS}
        published = float(row["published"])
        held = [p.name for p in self.scenario.privileges if published == published and published >= p.threshold]
        stand_in = sm.assoc_mode == 1 and not np.isfinite(friend_prev).any()
        months = self.scenario.run.months
        register_on = bool(self.scenario.register.enabled and months - 1 >= self.scenario.switch_on(self.scenario.register.start))
        return Explanation(
            citizen=i, score=float(row["score"]), published=published, base=float(row["base"]),
            components=comps, clamp=float(row["clamp"]), friends=table, stand_in=bool(stand_in),
            privileges=held, sanctioned=bool(row["sanctioned"]),
            occupation=OCCUPATIONS[int(row["occupation"])], tau=float(row["tau"]),
            scored_regime=self.scenario.scoring.enabled, status=_status(row), min_drag=float(sm.min_drag),
            register_on=register_on, listed=bool(row.get("listed", False)),
            drags=self._drags_on_friends(sm, i, friends, con))

    def _drags_on_friends(self, sm: ScoreModel, i: int, friends: np.ndarray, con=None) -> pd.DataFrame:
        """The friends citizen ``i`` drags by more than 0 and at least ``min_drag`` (why the register
        lists it), with the same formulas as the engine's register (``scoring.friend_terms``)."""
        import pandas as pd

        rows = []
        if sm.associates and len(friends):
            for f, (frow, ff, fk, fprev, frec) in self._neighbourhoods([int(x) for x in friends], con).items():
                at = np.flatnonzero(ff == i)
                if not len(at):
                    continue
                _, d = friend_terms(sm, np.arange(len(ff)), fk, fprev, float(frow["own_ref"]), frec)
                dj = float(d[at].max())
                if dj > 0 and dj >= sm.min_drag:
                    rows.append((f, dj))
        table = pd.DataFrame(rows, columns=["friend", "drag"])
        return table.sort_values(["drag", "friend"], ascending=[False, True], kind="stable").reset_index(drop=True)

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
