"""The web explorer without a browser (Starlette's test client): every route, every bad input,
the same explanation as ``scsim lookup``, read-only runs, and the standalone report."""

from __future__ import annotations

import json
import re
from html import unescape
from pathlib import Path

import duckdb
import pytest
from starlette.testclient import TestClient

from scsim.cli import main
from scsim.results import Run
from scsim.web.app import create_app
from scsim.web.sources import open_sources

from .webkit import CITIZENS, sweep_folder, web_runs  # noqa: F401  (fixtures)


@pytest.fixture(scope="module")
def client(web_runs, sweep_folder):
    sources = open_sources([web_runs["credit"], web_runs["western"], web_runs["regimes"], sweep_folder])
    with TestClient(create_app(sources), follow_redirects=False) as c:
        yield c


@pytest.fixture(scope="module")
def con(web_runs):
    c = duckdb.connect(str(web_runs["credit"] / "results.duckdb"), read_only=True)
    yield c
    c.close()


def spec(html: str, id_: str) -> dict:
    """The JSON embedded in the page under ``id_`` (a chart's spec or the ego network)."""
    m = re.search(rf'<script type="application/json" id="{re.escape(id_)}">(.*?)</script>', html, re.S)
    assert m, f"no {id_} in the page"
    return json.loads(m.group(1))


def text(html: str) -> str:
    return unescape(re.sub(r"<[^>]+>", " ", html))


def error_line(html: str) -> str:
    return unescape(re.search(r'<p class="error">(.*?)</p>', html, re.S).group(1))


# ----------------------------------------------------------------------------- pages


def test_index_lists_every_folder(client):
    r = client.get("/")
    assert r.status_code == 200
    for href in ("/run/credit", "/run/western", "/compare/regimes", "/sweep/grid", "/compare"):
        assert f'href="{href}"' in r.text
    assert f"{CITIZENS:,} citizens" in r.text


def test_dashboard_charts_hold_the_runs_data(client, con):
    html = client.get("/run/credit").text
    metrics = spec(html, "metrics-spec")
    months = con.execute("SELECT count(*) FROM metrics").fetchone()[0]
    scores = next(p for p in metrics["concat"] if p["title"] == "Scores")
    mean = [v for v in scores["layer"][0]["data"]["values"] if v["series"] == "mean"]
    assert len(mean) == sum(1 for (x,) in con.execute("SELECT score_mean FROM metrics").fetchall() if x == x and x is not None)
    assert len(mean) <= months
    phases = {d["phase"]: d["date"] for d in scores["layer"][1]["data"]["values"]}
    assert phases == {"opt-in": "2015-06", "mandatory": "2020-01"}
    # the score distribution: per snapshot month, as many citizens as have a published score
    hist = spec(html, "scores-spec")["data"]["values"]
    last = max(v["snap"] for v in hist)
    shown = sum(v["citizens"] for v in hist if v["snap"] == last)
    published = con.execute("SELECT count(*) FROM snapshots WHERE month = (SELECT max(month) FROM snapshots) "
                            "AND published IS NOT NULL AND NOT isnan(published)").fetchone()[0]
    assert shown == published > 0
    tau = spec(html, "tau-spec")["data"]["values"]
    assert {v["quartile"] for v in tau} == {"Q1", "Q2", "Q3", "Q4"}
    loans = {v["quartile"]: v["share"] for v in tau if v["what"] == "instant_loan"}
    q = con.execute("SELECT quantile_cont(tau, 0.25) FROM citizens").fetchone()[0]
    q1 = con.execute("SELECT avg((published >= 600)::INT) FROM citizens WHERE tau < ?", [q]).fetchone()[0]
    assert loans["Q1"] == pytest.approx(q1)


def test_dashboard_deep_links_the_score_distribution_at_a_month(client, con):
    months = [m for (m,) in con.execute("SELECT DISTINCT month FROM snapshots WHERE NOT isnan(published) "
                                        "ORDER BY month").fetchall()]
    assert len(months) > 2
    for k in (0, len(months) // 2):
        r = client.get(f"/run/credit?month={months[k]}")
        assert r.status_code == 200, r.text[-600:]
        chart = spec(r.text, "scores-spec")
        assert chart["params"][0]["value"] == k
    # the cached dashboard is unchanged: without month= the slider is at the last snapshot
    assert spec(client.get("/run/credit").text, "scores-spec")["params"][0]["value"] == len(months) - 1


def test_dashboards_are_made_as_the_server_starts(web_runs):
    """A served run's dashboards are made in the background when the app is made (a first
    dashboard of a 1M run took 0.2-0.5 s), and the page serves those."""
    sources = open_sources([web_runs["credit"], web_runs["western"]])
    app = create_app(sources)
    app.state.warming.join(timeout=120)
    assert all("dashboard" in s.cache for s in sources.values())
    sources["credit"].cache["dashboard"]["phases"] = [{"phase": "marker-from-the-cache", "date": "2000-01"}]
    with TestClient(app) as c:
        assert "marker-from-the-cache" in c.get("/run/credit").text


def lookup(capsys, run: Path, citizen: int) -> str:
    assert main(["lookup", str(run), str(citizen)]) == 0
    return capsys.readouterr().out


def test_citizen_page_says_what_lookup_says(client, con, web_runs, capsys):
    """The page and `scsim lookup` from the same Explanation: score, components, tau, the register,
    the draggers counted as the citizens table counts them, 'and N more'."""
    citizen, draggers = con.execute("SELECT citizen, draggers FROM citizens ORDER BY draggers DESC, citizen LIMIT 1").fetchone()
    assert draggers > 0
    page = text(client.get(f"/run/credit/citizen/{citizen}").text)
    out = lookup(capsys, web_runs["credit"], citizen)
    for name in ("score", "base", "credit_history", "capacity", "characteristics", "behaviour", "association",
                 "political", "clamp"):
        value = re.search(rf"^\s*{name}\s+(\S+)", out, re.M).group(1)
        assert re.search(rf"\b{name}\s+{re.escape(value)}\s", page), (name, value)
    assert f"friends drawing the score down: {draggers}" in out
    assert f"Friends drawing the score down: {draggers}" in page
    note = re.search(r"^\s+((?:not )?on the register.*)$", out, re.M).group(1)
    assert note in page
    tau = re.search(r"tau \(independent thinking\): (\S+)", out).group(1)
    assert f"tau (independent thinking): {tau}" in page
    more = re.search(r"and \d+ more", out)
    assert (more.group(0) if more else None) == (m.group(0) if (m := re.search(r"and \d+ more", page)) else None)
    assert "-0.0 " not in page and "-0.0\n" not in out


def test_draggers_and_register_agree_with_the_database(con, web_runs):
    """Explanation.draggers counts what the citizens table's draggers column counts, and a citizen
    is listed exactly when it drags some friend by at least register.min_drag."""
    run = Run.open(web_runs["credit"])
    rows = con.execute("SELECT citizen, draggers, listed FROM citizens USING SAMPLE 150 ROWS (reservoir, 3) "
                       "ORDER BY citizen").fetchall()
    assert any(listed for _, _, listed in rows) and any(d for _, d, _ in rows)
    for citizen, draggers, listed in rows:
        ex = run.explain(citizen)
        assert len(ex.draggers) == draggers, citizen
        assert ex.listed == listed and (len(ex.drags) > 0) == listed, citizen
        assert (ex.drags["drag"] >= run.scenario.register.min_drag).all()


def test_points_never_print_minus_zero():
    from scsim.results import points

    assert points(-0.04, 1) == "0.0" and points(-0.0, 1, sign=True) == "+0.0" and points(-0.004) == "0.00"
    assert points(-1.26) == "-1.26" and points(2.0, 1, sign=True) == "+2.0"


def test_citizen_page_ego_network_and_events(client, con):
    citizen = con.execute("SELECT u FROM edge_events WHERE event = 'cut' GROUP BY u ORDER BY count(*) DESC, u LIMIT 1").fetchone()[0]
    html = client.get(f"/run/credit/citizen/{citizen}").text
    ego = spec(html, f"ego-{citizen}-data")
    friends = {r[0] for r in con.execute("SELECT CASE WHEN u = ? THEN v ELSE u END FROM edges WHERE u = ? OR v = ?",
                                         [citizen] * 3).fetchall()}
    ties = {e["data"]["target"] for e in ego["edges"] if e["data"]["kind"] == "tie"}
    assert ties == {str(f) for f in friends}
    cut = {e["data"]["target"] for e in ego["edges"] if e["data"]["kind"] == "cut"}
    assert cut and not cut & ties
    events = con.execute("SELECT count(*) FROM edge_events WHERE u = ? OR v = ?", [citizen] * 2).fetchone()[0]
    assert f"Ties cut and made ({events})" in html
    assert spec(html, f"history-{citizen}-spec")["layer"][0]["data"]["values"]


def plan(con, sql: str, params) -> list[dict]:
    """Every operator of DuckDB's plan for ``sql`` (EXPLAIN as JSON), flattened."""
    nodes, todo = [], json.loads(con.execute(f"EXPLAIN (FORMAT json) {sql}", params).fetchall()[0][1])
    while todo:
        node = todo.pop()
        nodes.append(node)
        todo += node.get("children", [])
    return nodes


def test_tie_events_are_filtered_inside_the_scans(con):
    """A citizen's tie events: each scan of edge_events applies its ``u = ?`` or ``v = ?`` filter
    itself (no filter operator over every row's u, v and month, as ``u = ? OR v = ?`` planned;
    ~30% of a citizen page at 1M citizens), and the rows are those of that OR."""
    from scsim.web.queries import EVENTS, citizen_events

    nodes = plan(con, EVENTS, {"i": 7})
    scans = [n for n in nodes if n["name"] == "SEQ_SCAN" and n["extra_info"]["Table"].endswith("edge_events")]
    assert len(scans) == 2 and not any(n["name"] == "FILTER" for n in nodes)
    assert [re.findall(r"\b([uv]) = 7", json.dumps(n["extra_info"]["Filters"])) for n in scans] in (
        [["u"], ["v"]], [["v"], ["u"]])
    busy = con.execute("SELECT u FROM edge_events GROUP BY u ORDER BY count(*) DESC LIMIT 1").fetchone()[0]
    got, n = citizen_events(con.cursor(), busy)
    want = con.execute("SELECT month, CASE WHEN u = $i THEN v ELSE u END AS other, event::VARCHAR FROM edge_events "
                       "WHERE u = $i OR v = $i ORDER BY month, other", {"i": busy}).fetchall()
    assert n == len(want) > 0 and [(e["month"], e["other"], e["event"]) for e in got] == want


def test_register_pages_sorts_and_filters(client, con):
    listed = con.execute("SELECT count(*) FROM citizens WHERE listed").fetchone()[0]
    assert listed > 60
    html = client.get("/run/credit/register?size=25&sort=tau&order=desc&page=2").text
    assert f"{listed:,} match" in html
    ids = [int(x) for x in re.findall(r'<tr><td><a href="/run/credit/citizen/(\d+)">', html)]
    expect = [r[0] for r in con.execute("SELECT citizen FROM citizens WHERE listed ORDER BY tau DESC, citizen "
                                        "LIMIT 25 OFFSET 25").fetchall()]
    assert ids == expect
    html = client.get("/run/credit/register?tau=0.2-0.4&sanctioned=no&occupation=other&size=200").text
    ids = [int(x) for x in re.findall(r'<tr><td><a href="/run/credit/citizen/(\d+)">', html)]
    want = con.execute("SELECT count(*) FROM citizens WHERE listed AND tau >= 0.2 AND tau < 0.4 AND NOT sanctioned "
                       "AND occupation = 0").fetchone()[0]
    assert len(ids) == min(want, 200) and f"{want:,} match" in html
    assert 'href="?' in html and "next" in html or want <= 200


@pytest.mark.parametrize("kind,where", [("citizen", "TRUE"), ("listed", "listed"),
                                        ("dissenter", f"{71} - last_post < 12 AND NOT arrested")])
def test_random_links_land_on_a_matching_citizen(client, con, kind, where):
    r = client.get(f"/run/credit/random/{kind}")
    assert r.status_code == 303
    citizen = int(re.fullmatch(r"/run/credit/citizen/(\d+)", r.headers["location"]).group(1))
    assert con.execute(f"SELECT count(*) FROM citizens WHERE citizen = ? AND {where}", [citizen]).fetchone()[0] == 1
    assert client.get(r.headers["location"]).status_code == 200


def test_search_redirects_to_the_deep_link(client):
    r = client.get("/run/credit/citizen?id=42")
    assert r.status_code == 303 and r.headers["location"] == "/run/credit/citizen/42"


def test_compare_runs_side_by_side(client, con):
    html = client.get("/compare?runs=western,credit").text
    assert "score_mean" in html and 'href="/run/western"' in html and 'href="/run/credit"' in html
    means = spec(html, "compare-means-spec")["data"]["values"]
    got = {(v["metric"], v["run"]): v["mean"] for v in means}
    want = con.execute("SELECT avg(score_mean) FROM (SELECT score_mean FROM metrics ORDER BY month DESC LIMIT 12)").fetchone()[0]
    assert got[("score_mean", "credit")] == pytest.approx(want)
    assert client.get("/compare").status_code == 200  # every served run


def test_compare_folder_and_sweep(client, web_runs, sweep_folder):
    import pandas as pd

    html = client.get("/compare/regimes").text
    table = pd.read_csv(web_runs["regimes"] / "compare.csv")
    assert set(table.regime) <= set(re.findall(r"<td>(western|social-credit-2020)</td>", html))
    assert len(spec(html, "compare-folder-spec")["data"]["values"]) == len(table)
    html = client.get("/sweep/grid?metric=posts_per_capita").text
    effects = spec(html, "effects-spec")["data"]["values"]
    assert {v["value"] for v in effects} == {0.0, 120.0} and len(effects) == 4  # 2 points x 2 seeds
    assert "scoring.association.points" in html


# ----------------------------------------------------------------------------- bad input

BAD = [
    ("/run/nope", 404, "no run named 'nope'"),
    ("/run/credit/citizen/2000", 404, "citizen 2000 does not exist (citizens are 0..1999)"),
    ("/run/credit/citizen/abc", 400, "not a whole number"),
    ("/run/credit/citizen/-1", 400, "not a whole number"),
    ("/run/credit/citizen/99999999999999999999", 400, "not a whole number"),
    ("/run/credit/citizen/1.5", 400, "not a whole number"),
    ("/run/credit/citizen?id=x", 400, "not a whole number"),
    ("/run/credit/citizen", 400, "citizen id: missing"),
    ("/run/credit/citizen?id=5000", 400, "out of range"),
    ("/run/credit/register?sort=evil", 400, "parameter 'sort'"),
    ("/run/credit/register?sort=citizen;DROP%20TABLE%20citizens", 400, "parameter 'sort'"),
    ("/run/credit/register?order=sideways", 400, "parameter 'order'"),
    ("/run/credit/register?size=100000", 400, "parameter 'size'"),
    ("/run/credit/register?page=0", 400, "page: 0 is out of range"),
    ("/run/credit/register?page=999999", 404, "past the last page"),
    ("/run/credit/register?score=1-2", 400, "parameter 'score'"),
    ("/run/credit/register?tau=" + "9" * 500, 400, "too long"),
    ("/run/credit/register?x=" + "a" * 2000, 414, "query string too long"),
    ("/run/credit/random/anybody", 404, "no random 'anybody'"),
    ("/run/credit?month=5", 404, "month 5: no snapshot of published scores (those are at months 12, 24,"),
    ("/run/credit?month=0", 404, "month 0: no snapshot of published scores"),  # a snapshot, before the opt-in
    ("/run/credit?month=72", 400, "month: 72 is out of range (0..71)"),
    ("/run/credit?month=-1", 400, "not a whole number"),
    ("/run/..%2F..%2Fetc/citizen/1", 404, "no page at /"),
    ("/run/%2e%2e/register", 404, "no run named '..'"),
    ("/run/regimes", 404, "no run named 'regimes'"),
    ("/sweep/credit", 404, "no sweep named 'credit'"),
    ("/compare/credit", 404, "no compare named 'credit'"),
    ("/sweep/grid?metric=bogus", 400, "metric: 'bogus'"),
    ("/compare?runs=credit", 400, "at least two runs"),
    ("/compare?runs=credit,../etc", 404, "no run named '../etc'"),
    ("/compare?window=0", 400, "window: 0 is out of range"),
    ("/static/../app.py", 404, ""),
    ("/static/..%2Fapp.py", 404, ""),
    ("/static/vendor/..%2F..%2Fapp.py", 404, ""),
    ("/static/nothing.js", 404, "no page at /"),
    ("/etc/passwd", 404, "no page at /"),
]


@pytest.mark.parametrize("url,status,message", BAD)
def test_bad_input_gets_a_clear_4xx_page(client, url, status, message):
    r = client.get(url)
    assert r.status_code == status, r.text[:300]
    assert "Traceback" not in r.text and "root:" not in r.text
    if message:
        assert message in error_line(r.text)


def test_only_get(client):
    r = client.post("/run/credit/register")
    assert r.status_code == 405 and "Traceback" not in r.text
    assert error_line(r.text) == "POST is not allowed here: every page is a GET"


def test_static_assets_are_served_locally(client):
    r = client.get("/static/vendor/vega-lite.min.js")
    assert r.status_code == 200 and len(r.content) > 100_000
    html = client.get("/run/credit").text
    assert not re.search(r'(src|href)="(https?:)?//', html), "a page refers to another host"


def test_serving_never_writes_to_the_runs(client, web_runs):
    def state(folder):
        return {p.name: (p.stat().st_size, p.stat().st_mtime_ns) for p in folder.iterdir()}

    before = state(web_runs["credit"])
    for url in ("/run/credit", "/run/credit/citizen/7", "/run/credit/register?page=2", "/compare"):
        assert client.get(url).status_code == 200
    assert state(web_runs["credit"]) == before


# ----------------------------------------------------------------------------- scsim serve's startup


def serve_error(capsys, *args) -> tuple[int, str]:
    rc = main(["serve", *map(str, args)])
    err = capsys.readouterr().err
    assert "Traceback" not in err
    return rc, err.strip()


def test_serve_refuses_what_is_not_a_run(tmp_path, capsys, web_runs):
    (tmp_path / "empty").mkdir()
    rc, err = serve_error(capsys, tmp_path / "empty")
    assert rc == 2 and len(err.splitlines()) == 1 and "not a run" in err and "empty" in err
    rc, err = serve_error(capsys, tmp_path / "missing")
    assert rc == 2 and "no such folder" in err
    partial = tmp_path / "partial"
    partial.mkdir()
    (partial / "results.duckdb.partial").write_bytes(b"")
    rc, err = serve_error(capsys, partial)
    assert rc == 2 and "incomplete" in err
    garbage = tmp_path / "garbage"
    garbage.mkdir()
    (garbage / "results.duckdb").write_bytes(b"this is no database" * 100)
    rc, err = serve_error(capsys, garbage)
    assert rc == 2 and len(err.splitlines()) == 1 and "garbage" in err and ("unreadable" in err or "not a readable" in err)
    import shutil

    broken = tmp_path / "broken"
    broken.mkdir()
    shutil.copy(web_runs["credit"] / "results.duckdb", broken / "results.duckdb")
    with duckdb.connect(str(broken / "results.duckdb")) as c:
        c.execute("DROP TABLE snapshots")
    rc, err = serve_error(capsys, broken)
    assert rc == 2 and "broken: run is corrupt (no table snapshots)" in err
    rc, err = serve_error(capsys, web_runs["credit"], "--port", "70000")
    assert rc == 2 and "--port 70000" in err


def test_serve_warns_before_listening_beyond_loopback(web_runs, capsys, monkeypatch):
    import uvicorn

    listened = []
    monkeypatch.setattr(uvicorn.Server, "run", lambda self: listened.append(self.config.host))
    assert main(["serve", str(web_runs["credit"]), "--host", "0.0.0.0", "--no-try"]) == 0
    assert listened == ["0.0.0.0"]
    assert "warning: listening on 0.0.0.0" in capsys.readouterr().err
    assert main(["serve", str(web_runs["credit"]), "--no-try"]) == 0
    assert listened[-1] == "127.0.0.1" and "warning" not in capsys.readouterr().err


# ----------------------------------------------------------------------------- the report


def test_report_is_one_self_contained_file(tmp_path, web_runs, capsys):
    out = tmp_path / "report.html"
    assert main(["report", str(web_runs["credit"]), "--html", str(out)]) == 0
    html = out.read_text()
    assert "<script src=" not in html and '<link rel="stylesheet"' not in html
    assert "vegaEmbed" in html and "cytoscape" in html  # the libraries inlined
    assert spec(html, "metrics-spec")["concat"] and spec(html, "scores-spec")["data"]["values"]
    assert len(re.findall(r'class="ego"', html)) == 3
    assert list(tmp_path.iterdir()) == [out]
    rc = main(["report", str(web_runs["credit"]), "--html", str(tmp_path / "report.txt")])
    assert rc == 2 and ".html" in capsys.readouterr().err


# ----------------------------------------------------------------------------- Try it


def wait_for(client, location: str, seconds: float = 120) -> str:
    import time

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        html = client.get(location).text
        state = re.search(r'data-state="(\w+)"', html).group(1)
        if state not in ("queued", "running"):
            return state
        time.sleep(0.2)
    raise AssertionError(f"{location} did not finish")


def test_try_it_runs_a_small_scenario_into_the_scratch_folder(web_runs, tmp_path, monkeypatch):
    from scsim.web import tryit

    monkeypatch.setattr(tryit, "MAX_KEPT", 1)
    scratch = tmp_path / "scratch"
    with TestClient(create_app(open_sources([web_runs["credit"]]), scratch), follow_redirects=False) as c:
        assert 'action="/try"' in c.get("/try").text
        r = c.post("/try", data={"preset": "social-credit-2020", "citizens": "400", "months": "14",
                                 "register_public": "no", "association_points": "60"})
        assert r.status_code == 303 and r.headers["location"] == "/try/1"
        assert wait_for(c, "/try/1") == "done"
        page = c.get("/run/try-1").text
        assert "400 citizens, 14 months" in page
        with duckdb.connect(str(scratch / "try-1" / "results.duckdb"), read_only=True) as db:
            stored = db.execute("SELECT value FROM meta WHERE key = 'scenario'").fetchone()[0]
        assert "points = 60.0" in stored and "public = false" in stored
        # a second run: the oldest is removed (at most MAX_KEPT kept), and nothing lands elsewhere
        r = c.post("/try", data={"preset": "western", "citizens": "300", "months": "6"})
        assert wait_for(c, r.headers["location"]) == "done"
        assert c.get("/run/try-1").status_code == 404 and c.get("/run/try-2").status_code == 200
        assert sorted(p.name for p in scratch.iterdir()) == ["try-2"]
        assert sorted(p.name for p in tmp_path.iterdir()) == ["scratch"]


@pytest.mark.parametrize("form,message", [
    ({"citizens": "60000"}, "citizens: 60000 is outside 100..50,000"),
    ({"citizens": "many"}, "citizens: 'many' is not a number"),
    ({"months": "0"}, "months: 0 is outside 1..180"),
    ({"preset": "../etc"}, "preset: '../etc' is not one of"),
    ({"register_public": "maybe"}, "register_public: 'maybe' is not yes or no"),
    ({"association_points": "-5"}, "scoring.association.points"),
    ({"seed": "1" * 30}, "seed: too long"),
])
def test_try_it_refuses_bad_forms(web_runs, tmp_path, form, message):
    with TestClient(create_app(open_sources([web_runs["credit"]]), tmp_path / "s"), follow_redirects=False) as c:
        r = c.post("/try", data=form)
        assert r.status_code == 400 and message in error_line(r.text) and "Traceback" not in r.text
        assert list((tmp_path / "s").iterdir()) == []


def test_try_it_queue_is_bounded(web_runs, tmp_path, monkeypatch):
    import threading

    from scsim.web import tryit

    release = threading.Event()
    monkeypatch.setattr(tryit, "MAX_QUEUED", 1)
    monkeypatch.setattr(tryit.TryIt, "_run", lambda self, job: release.wait(30))
    with TestClient(create_app(open_sources([web_runs["credit"]]), tmp_path / "s"), follow_redirects=False) as c:
        codes = [c.post("/try", data={"citizens": "300", "months": "3"}).status_code for _ in range(3)]
        release.set()
    assert codes == [303, 303, 429]


def test_try_it_off_and_a_server_without_scratch_is_read_only(client):
    assert client.get("/try").status_code == 404
    assert client.post("/try", data={"citizens": "300"}).status_code == 404


def test_no_page_imports_a_library_on_its_first_request(web_runs, tmp_path):
    """The libraries pages use are imported when the app is made (a cold compare page of a 1M
    run took 1.0 s importing scipy.stats, a warm one 0.02 s): a fresh process's first request
    of each page kind imports nothing heavy."""
    import subprocess
    import sys

    script = tmp_path / "first.py"
    script.write_text(
        "import json, sys\n"
        "from starlette.testclient import TestClient\n"
        "from scsim.web.app import create_app\n"
        "from scsim.web.sources import open_sources\n"
        f"c = TestClient(create_app(open_sources([{str(web_runs['credit'])!r}, {str(web_runs['western'])!r}])))\n"
        "before = set(sys.modules)\n"
        "codes = [c.get(u).status_code for u in ('/run/credit/citizen/7', '/run/credit', '/run/credit/register',\n"
        "         '/compare?runs=credit,western', '/run/credit/random/listed')]\n"
        "print(json.dumps({'codes': codes, 'new': sorted(set(sys.modules) - before)}))\n")
    p = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stderr[-2000:]
    got = json.loads(p.stdout.splitlines()[-1])
    assert got["codes"] == [200] * 5
    # (a few of their submodules are imported on first use: a few ms, not the libraries)
    assert not {"pandas", "pyarrow", "scipy", "scipy.stats", "numba"} & set(got["new"]), got["new"]


def test_load_benchmark_runs_tiny(web_runs, tmp_path):
    """benchmarks/web_load.py cannot rot: a few requests against the test run, zero errors."""
    import subprocess
    import sys

    out = tmp_path / "load.jsonl"
    p = subprocess.run([sys.executable, str(Path(__file__).parents[1] / "benchmarks" / "web_load.py"), "--tiny",
                        "--run", str(web_runs["credit"]), "--tile", "2", "--requests", "60", "--out", str(out)],
                       capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stderr[-2000:]
    record = json.loads(out.read_text().splitlines()[-1])
    assert record["routes"]["all"]["requests"] == 60 and record["routes"]["all"]["errors"] == 0
    assert record["citizens"] == 2 * CITIZENS  # two copies of the run's tables
    assert {"citizen", "register", "dashboard"} <= set(record["routes"])
    assert record["server_peak_mb"] is None or record["server_peak_mb"] > 0


def test_page_benchmark_times_every_page_kind(web_runs, tmp_path):
    """benchmarks/web_load.py --pages: each page kind on a fresh server, cold and warm, no errors."""
    import subprocess
    import sys

    out = tmp_path / "pages.jsonl"
    p = subprocess.run([sys.executable, str(Path(__file__).parents[1] / "benchmarks" / "web_load.py"), "--pages",
                        "--run", str(web_runs["credit"]), "--also", str(web_runs["western"]), "--repeat", "2",
                        "--settle", "0",
                        "--out", str(out)], capture_output=True, text=True, timeout=600)
    assert p.returncode == 0, p.stderr[-2000:]
    pages = json.loads(out.read_text().splitlines()[-1])["pages"]
    assert {"citizen", "citizen-hub", "register", "register-filtered", "register-deep", "dashboard",
            "scores-at-month", "random", "compare", "try", "index"} == set(pages)
    for kind, got in pages.items():
        assert got["requests"] == 3 and got["errors"] == 0, kind
        assert 0 < got["warm_p50_ms"] <= got["warm_p99_ms"] and got["cold_ms"] > 0, kind


def test_vendored_scripts_match_their_pins():
    """static/vendor holds exactly what scripts/vendor_web.py pins (versions and digests), with licences."""
    import hashlib
    import importlib.util

    root = Path(__file__).parents[1]
    spec_ = importlib.util.spec_from_file_location("vendor_web", root / "scripts" / "vendor_web.py")
    vendor = importlib.util.module_from_spec(spec_)
    spec_.loader.exec_module(vendor)
    lines = [line.split() for line in (vendor.OUT / "VERSIONS.txt").read_text().splitlines() if not line.startswith("#")]
    assert [(n, v, f) for n, v, f, _ in lines] == [(n, v, t) for n, v, _, t in vendor.PACKAGES]
    for name, _, file, digest in lines:
        assert digest == "sha256:" + hashlib.sha256((vendor.OUT / file).read_bytes()).hexdigest()
        assert "Permission is hereby granted" in (vendor.OUT / f"{name}.LICENSE").read_text() or \
            "Redistribution and use" in (vendor.OUT / f"{name}.LICENSE").read_text()
