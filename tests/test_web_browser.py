"""The web explorer in a real browser: Playwright driving the system's Chromium, headless.

For the citizen page, the register, the dashboards and compare: no console error, no request
outside the loopback origin, the charts and the ego network drawn, and a screenshot saved (under
``SCSIM_WEB_ARTIFACTS``, default the test's tmp folder) and checked to be non-blank. The browser
is Debian's ``chromium`` (``.ci/run`` installs it with apt); nothing downloads a browser. Where
no Chromium binary exists the tests skip, saying so.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import numpy as np
import pytest

from .webkit import live_server, web_runs  # noqa: F401  (fixtures)

CHROMIUM = next((p for p in (os.environ.get("SCSIM_CHROMIUM"), shutil.which("chromium"),
                             shutil.which("chromium-browser"), "/usr/bin/chromium") if p and Path(p).is_file()), None)
if CHROMIUM is None and os.environ.get("SCSIM_REQUIRE_CHROMIUM"):  # CI: .ci/run installs it
    raise RuntimeError("SCSIM_REQUIRE_CHROMIUM is set but no chromium binary was found")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="no chromium binary (apt-get install -y chromium)")


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
        yield b
        b.close()


@pytest.fixture(scope="module")
def artefacts(tmp_path_factory) -> Path:
    out = Path(os.environ.get("SCSIM_WEB_ARTIFACTS") or tmp_path_factory.mktemp("screenshots"))
    out.mkdir(parents=True, exist_ok=True)
    return out


def visit(browser, base: str, path: str, shot: Path):
    """Open ``path``; return (page, console errors, requests outside ``base``) after drawing."""
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    errors, foreign = [], []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("request", lambda r: None if r.url.startswith(base + "/") or r.url.startswith("data:") else foreign.append(r.url))
    response = page.goto(base + path)
    assert response.status == 200
    page.wait_for_load_state("networkidle")
    page.wait_for_function("() => [...document.querySelectorAll('div.chart, div.ego')].every(e => e.dataset.drawn)",
                           timeout=15000)
    page.screenshot(path=str(shot), full_page=True)
    return page, errors, foreign


def assert_not_blank(png: Path) -> None:
    import matplotlib.image

    img = matplotlib.image.imread(str(png))[..., :3]
    assert img.shape[0] > 300 and img.shape[1] > 600
    colours = np.unique((img.reshape(-1, 3) * 255).astype(np.uint8), axis=0)
    assert len(colours) > 50, f"{png} looks blank ({len(colours)} colours)"
    assert img.std() > 0.05


def charts_drawn(page, expected: int) -> None:
    drawn = page.eval_on_selector_all("div.chart", "els => els.map(e => [e.dataset.drawn, e.querySelectorAll('svg path, svg rect, svg line').length])")
    assert len(drawn) == expected
    for state, marks in drawn:
        assert state == "yes" and marks > 5, drawn


def test_citizen_page_draws_the_ego_network_and_history(browser, live_server, web_runs, artefacts):
    import duckdb

    with duckdb.connect(str(web_runs["credit"] / "results.duckdb"), read_only=True) as con:
        citizen, degree = con.execute("SELECT citizen, degree FROM citizens ORDER BY draggers DESC, citizen LIMIT 1").fetchone()
        cut = con.execute("SELECT count(DISTINCT CASE WHEN u = ? THEN v ELSE u END) FROM edge_events "
                          "WHERE (u = ? OR v = ?) AND event = 'cut'", [citizen] * 3).fetchone()[0]
    page, errors, foreign = visit(browser, live_server, f"/run/credit/citizen/{citizen}", artefacts / "citizen.png")
    assert errors == [] and foreign == []
    ego = page.query_selector("div.ego")
    nodes = int(ego.get_attribute("data-nodes"))  # the citizen, its friends, the ties it lost (at most)
    assert ego.get_attribute("data-drawn") == "yes" and degree + 1 <= nodes <= degree + 1 + cut
    assert ego.query_selector("canvas") is not None  # Cytoscape draws on canvases
    charts_drawn(page, 1)
    assert_not_blank(artefacts / "citizen.png")
    page.close()


def test_dashboard_draws_every_chart(browser, live_server, artefacts):
    page, errors, foreign = visit(browser, live_server, "/run/credit", artefacts / "dashboard.png")
    assert errors == [] and foreign == []
    charts_drawn(page, 3)
    slider = page.query_selector("input[type=range]")
    assert slider is not None  # the score distribution's month slider
    assert "2020-12" in page.inner_text("#scores")  # the last snapshot first
    slider.fill("0")
    # the first snapshot with published scores: 2016-01 (nobody is scored before the 2015-06 opt-in)
    page.wait_for_function("() => document.querySelector('#scores').textContent.includes('2016-01')", timeout=5000)
    assert_not_blank(artefacts / "dashboard.png")
    page.close()


def test_register_pages_in_the_browser(browser, live_server, artefacts):
    page, errors, foreign = visit(browser, live_server, "/run/credit/register?sort=tau&order=desc",
                                  artefacts / "register.png")
    assert errors == [] and foreign == []
    rows = page.query_selector_all("table.register tr")
    assert len(rows) > 10
    page.click("text=next")
    page.wait_for_load_state("networkidle")
    assert "page=2" in page.url
    assert_not_blank(artefacts / "register.png")
    page.close()


def test_compare_draws_its_charts(browser, live_server, artefacts):
    page, errors, foreign = visit(browser, live_server, "/compare", artefacts / "compare.png")
    assert errors == [] and foreign == []
    charts_drawn(page, 2)
    assert_not_blank(artefacts / "compare.png")
    page.close()


def test_report_opens_without_any_request(browser, web_runs, tmp_path, artefacts):
    from scsim.web.report import write_report

    out = write_report(web_runs["credit"], tmp_path / "report.html")
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    errors, requests = [], []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("request", lambda r: requests.append(r.url))
    page.goto(out.as_uri())
    page.wait_for_function("() => document.querySelectorAll('[data-drawn=yes]').length >= 6", timeout=15000)
    page.screenshot(path=str(artefacts / "report.png"))
    assert errors == [] and [r for r in requests if r != out.as_uri() and not r.startswith("data:")] == []
    assert_not_blank(artefacts / "report.png")
    page.close()
