"""The SQL behind each page, against one run's database (opened read-only).

A page asks only for what it shows: one citizen's rows (``WHERE citizen = ?``: the tables are
written in citizen order, so DuckDB's zone maps skip all but a few row groups), one page of the
register (``LIMIT``/``OFFSET``), or an aggregate computed in the database. Nothing here loads a
whole table into Python.
"""

from __future__ import annotations

from ..metrics import DISSENT_WINDOW
from ..scenario import OCCUPATIONS

SCORE_BANDS = {"350-550": (350, 550), "550-600": (550, 600), "600-650": (600, 650), "650-700": (650, 700),
               "700-750": (700, 750), "750-950": (750, 951)}
TAU_BANDS = {"0-0.2": (0.0, 0.2), "0.2-0.4": (0.2, 0.4), "0.4-0.6": (0.4, 0.6), "0.6-1": (0.6, 1.01)}
REGISTER_SORTS = ("citizen", "score", "published", "tau", "degree", "draggers", "occupation")
REGISTER_COLUMNS = "citizen, score, published, tau, occupation, sanctioned, degree, draggers"


def rows(cur, sql: str, params=()) -> list[dict]:
    """A query's rows as dicts (column name -> value); ``params`` a list, or a dict of named ones."""
    res = cur.execute(sql, params if isinstance(params, dict) else list(params))
    names = [d[0] for d in res.description]
    return [dict(zip(names, r)) for r in res.fetchall()]


def citizen_history(cur, i: int) -> list[dict]:
    """The citizen's snapshots (every run.snapshot_every months and the last month)."""
    return rows(cur, "SELECT month, score, published, sanctioned, occupation, degree FROM snapshots "
                     "WHERE citizen = ? ORDER BY month", [i])


# A citizen's tie events: those where it is the first citizen and those where it is the second.
# Two scans, each with a plain ``column = constant`` filter DuckDB applies inside the scan, cost
# less than one with ``u = ? OR v = ?``, which reads every row's u, v and month before filtering
# (the table is in month order, so no zone map helps either way).
EVENTS = ("SELECT month, v AS other, kind, event, reason FROM edge_events WHERE u = $i UNION ALL "
          "SELECT month, u AS other, kind, event, reason FROM edge_events WHERE v = $i AND u <> $i")


def citizen_events(cur, i: int, limit: int = 5000) -> tuple[list[dict], int]:
    """Ties the citizen cut or made (or lost), with month and reason, in month order: up to
    ``limit`` of them, and how many there are."""
    got = rows(cur, f"SELECT month, other, kind::VARCHAR AS kind, event::VARCHAR AS event, "
                    f"reason::VARCHAR AS reason FROM ({EVENTS}) ORDER BY month, other LIMIT $limit",
               {"i": i, "limit": limit})
    if len(got) < limit:
        return got, len(got)
    return got, int(cur.execute(f"SELECT count(*) FROM ({EVENTS})", {"i": i}).fetchone()[0])


def cut_partners(cur, events: list[dict], friends, limit: int = 60) -> list[dict]:
    """Citizens whose last event with this one (in ``events``, month order) was a cut and who are
    not friends now, with their final score."""
    last = {}
    for e in events:
        last[e["other"]] = e["event"]
    now = {int(f) for f in friends}
    gone = sorted(o for o, ev in last.items() if ev == "cut" and o not in now)[:limit]
    if not gone:
        return []
    return rows(cur, "SELECT citizen, published_prev AS score FROM citizens WHERE citizen IN (SELECT unnest(?)) "
                     "ORDER BY citizen", [gone])


def register_filters(score: str | None, tau: str | None, sanctioned: str | None, occupation: str | None):
    """(WHERE clause, parameters) for the register's filters (each already validated)."""
    where, params = ["listed"], []
    if score:
        lo, hi = SCORE_BANDS[score]
        where.append("published >= ? AND published < ?")
        params += [lo, hi]
    if tau:
        lo, hi = TAU_BANDS[tau]
        where.append("tau >= ? AND tau < ?")
        params += [lo, hi]
    if sanctioned in ("yes", "no"):
        where.append("sanctioned" if sanctioned == "yes" else "NOT sanctioned")
    if occupation:
        where.append("occupation = ?")
        params.append(OCCUPATIONS.index(occupation))
    return " AND ".join(where), params


def register_page(cur, where: str, params: list, sort: str, descending: bool, limit: int, offset: int):
    """One page of the register and the number of listed citizens matching the filters."""
    assert sort in REGISTER_SORTS  # a whitelisted column, never text from the request
    order = f"{sort} {'DESC' if descending else 'ASC'} NULLS LAST, citizen"
    total = cur.execute(f"SELECT count(*) FROM citizens WHERE {where}", params).fetchone()[0]
    page = rows(cur, f"SELECT {REGISTER_COLUMNS} FROM citizens WHERE {where} ORDER BY {order} LIMIT ? OFFSET ?",
                [*params, limit, offset])
    return page, int(total)


def metrics(cur, columns: list[str]) -> list[dict]:
    """The monthly metrics (one row a month: 180 rows for a whole run), only ``columns``."""
    present = {r[0] for r in cur.execute("DESCRIBE metrics").fetchall()}
    cols = ", ".join(f'"{c}"' for c in columns if c in present)
    return rows(cur, f"SELECT month, date, {cols} FROM metrics ORDER BY month")


def score_histogram(cur, width: int = 10) -> list[dict]:
    """Citizens per published-score bin at every snapshot month (unpublished scores left out)."""
    return rows(cur, "SELECT month, (floor(published / ?) * ?)::INTEGER AS bin, count(*) AS citizens "
                     "FROM snapshots WHERE published IS NOT NULL AND NOT isnan(published) GROUP BY ALL ORDER BY ALL",
                [width, width])


def by_tau_quartile(cur, privileges) -> list[dict]:
    """Per tau quartile (final state): the share holding each privilege, sanctioned, in each position."""
    q = cur.execute("SELECT quantile_cont(tau, [0.25, 0.5, 0.75]) FROM citizens").fetchone()[0]
    cases = [f"avg((published >= {float(p.threshold)})::INTEGER) AS \"{p.name}\"" for p in privileges]
    cases += [f"avg((occupation = {k})::INTEGER) AS \"{name}\"" for k, name in enumerate(OCCUPATIONS) if name != "other"]
    cases.append("avg(sanctioned::INTEGER) AS sanctioned")
    sql = (f"SELECT CASE WHEN tau < ? THEN 1 WHEN tau < ? THEN 2 WHEN tau < ? THEN 3 ELSE 4 END AS quartile, "
           f"{', '.join(cases)} FROM citizens GROUP BY quartile ORDER BY quartile")
    return rows(cur, sql, q)


def random_citizen(cur, kind: str, last_month: int) -> int | None:
    """A random citizen, active dissenter (posted unapproved content in the last DISSENT_WINDOW
    months, not arrested) or listed citizen; None when there is none."""
    where = {"citizen": "TRUE", "dissenter": f"{last_month} - last_post < {DISSENT_WINDOW} AND NOT arrested",
             "listed": "listed"}[kind]
    got = cur.execute(f"SELECT citizen FROM citizens WHERE {where} ORDER BY random() LIMIT 1").fetchone()
    return None if got is None else int(got[0])
