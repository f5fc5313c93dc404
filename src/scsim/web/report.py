"""``scsim report RUN --html FILE``: one self-contained HTML file of a run, to send to someone.

The run's dashboards and a few sample citizens' pages (the same templates and data as
``scsim serve``), with the vendored JavaScript and the stylesheet inlined and the data inline:
the file opens without a server or a network.
"""

from __future__ import annotations

from pathlib import Path

from ..errors import InputError
from ..outputs import staged
from . import pages
from .app import HERE, environment
from .sources import open_run

SCRIPTS = ("vendor/vega.min.js", "vendor/vega-lite.min.js", "vendor/vega-embed.min.js", "vendor/cytoscape.min.js",
           "app.js")


def inline_assets() -> dict:
    """The stylesheet and scripts as text (``</script`` escaped so no script ends early)."""
    static = HERE / "static"
    return {"css": (static / "style.css").read_text(),
            "scripts": [(static / s).read_text().replace("</script", "<\\/script") for s in SCRIPTS]}


def sample_citizens(src, count: int) -> list[int]:
    """Citizens worth showing, chosen by rule (reproducible): the one with the most draggers, the
    listed citizen with the lowest score, the most independent active dissenter, then by id."""
    cur = src.cursor()
    last = src.months - 1
    picks = []
    for sql in ("SELECT citizen FROM citizens ORDER BY draggers DESC, citizen LIMIT 1",
                "SELECT citizen FROM citizens WHERE listed ORDER BY published NULLS LAST, citizen LIMIT 1",
                f"SELECT citizen FROM citizens WHERE {last} - last_post < 12 AND NOT arrested ORDER BY tau DESC, citizen LIMIT 1"):
        got = cur.execute(sql).fetchone()
        if got is not None and int(got[0]) not in picks:
            picks.append(int(got[0]))
    k = 0
    while len(picks) < min(count, src.citizens):
        if k not in picks:
            picks.append(k)
        k += 1
    return picks[:count]


def render_report(folder: str | Path, count: int = 3) -> str:
    src = open_run(Path(folder), Path(folder).resolve().name)
    try:
        env = environment()
        common = {"sources": {src.name: src}, "inline": inline_assets(), "static": ""}
        body = env.get_template("citizen_body.html")
        citizens = []
        for i in sample_citizens(src, count):
            ctx = pages.citizen(src, i)
            citizens.append({"id": i, "html": body.render(**common, src=src, **ctx)})
        return env.get_template("report.html").render(**common, src=src, citizens=citizens, **pages.dashboard(src))
    finally:
        src.con.close()


def write_report(folder: str | Path, html: str | Path, count: int = 3) -> Path:
    """Write the report (to a temporary name, then renamed: never half-written)."""
    out = Path(html)
    if out.suffix.lower() not in (".html", ".htm"):
        raise InputError(f"scsim report: --html {out}: use a .html file name")
    if not out.parent.is_dir():
        raise InputError(f"scsim report: --html {out}: no folder {out.parent}")
    text = render_report(folder, count)
    with staged("scsim report: --html") as outputs:
        outputs.file(out).write_text(text, encoding="utf-8")
    return out
