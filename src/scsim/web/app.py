"""The web app: Starlette routes, each a stateless GET that renders one Jinja2 template.

Every input from a URL is checked here before any query: a run name is looked up in the table
of served folders (never joined to a path), a citizen id must be a whole number in range, and
every query parameter has a fixed set of values or a bounded range. Bad input is a 4xx page
with one line saying what is wrong; static files come only from the package's ``static``.
"""

from __future__ import annotations

import json
import math
import re
import threading
from pathlib import Path

import jinja2
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from ..errors import InputError
from ..results import points
from ..scenario import OCCUPATIONS, preset_names
from . import charts, pages, queries
from .sources import Source, open_run

HERE = Path(__file__).parent
MAX_QUERY = 1000  # characters of a query string
MAX_VALUE = 100  # characters of one parameter
PAGE_SIZES = (25, 50, 100, 200)
DIGITS = re.compile(r"[0-9]{1,10}")


def plain(value):
    """``value`` with NaN and infinities as None and NumPy scalars as Python ones: JSON a browser
    parses (Python's json writes NaN, which JSON.parse refuses)."""
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def environment() -> jinja2.Environment:
    """The templates (autoescaped), shared by the server and the report."""
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(HERE / "templates"), autoescape=True, auto_reload=False)
    env.policies["json.dumps_function"] = lambda obj, **kw: json.dumps(plain(obj), allow_nan=False, **kw)
    env.filters["pts"] = points
    env.filters["score"] = lambda x: "n/a" if x is None or x != x else points(x, 1)
    env.filters["num"] = lambda x, d=3: "n/a" if x is None or x != x else f"{x:.{d}g}" if abs(x) < 1e4 else f"{x:,.0f}"
    return env


def bad(message: str, status: int = 400):
    raise HTTPException(status, message)


def param(request: Request, name: str, choices=None, default=None):
    """A query parameter, checked: its length, and that it is one of ``choices`` if given."""
    value = request.query_params.get(name)
    if value is None or value == "":
        return default
    if len(value) > MAX_VALUE:
        bad(f"parameter '{name}' is too long")
    if choices is not None and value not in choices:
        bad(f"parameter '{name}': '{value}' is not one of {', '.join(map(str, choices))}")
    return value


def whole(text: str | None, what: str, lo: int, hi: int, default: int | None = None) -> int:
    """A whole number in [lo, hi] from the URL."""
    if text is None or text == "":
        if default is None:
            bad(f"{what}: missing")
        return default
    if not DIGITS.fullmatch(text):
        bad(f"{what}: '{text[:40]}' is not a whole number")
    value = int(text)
    if not lo <= value <= hi:
        bad(f"{what}: {value} is out of range ({lo}..{hi})")
    return value


def preload() -> None:
    """Import the libraries the pages use when the app is made, not on the first request that
    needs one: scipy.stats (the intervals of compare) and pandas with pyarrow (a citizen's
    explanation) took 0.2-0.5 s each on a 2-core machine, so that the first compare page of a
    1,000,000-citizen run took 1.0 s where the next took 0.02 s."""
    import pandas  # noqa: F401
    import pyarrow  # noqa: F401
    import scipy.stats  # noqa: F401


def create_app(sources: dict[str, Source], scratch: Path | None = None) -> Starlette:
    """The app serving ``sources`` (from ``sources.open_sources``), read-only; with ``scratch``,
    also the "Try it" form, whose runs go to that folder (``tryit``)."""
    preload()
    env = environment()
    tries = None
    if scratch is not None:
        from .tryit import TryIt

        def add(folder: Path, name: str) -> str:
            sources[name] = open_run(folder, name)
            return name

        def remove(name: str) -> None:
            src = sources.pop(name, None)
            if src is not None and src.con is not None:
                src.con.close()

        tries = TryIt(scratch, add, remove)

    def dashboards(src: Source) -> dict:
        """The run's dashboards, made once (a run's database never changes; the score
        distribution aggregates every snapshot row, ~0.3 s at 1M citizens): a request that
        comes while they are being made waits for them rather than making them again."""
        with src.making:
            if "dashboard" not in src.cache:
                src.cache["dashboard"] = pages.dashboard(src)
        return src.cache["dashboard"]

    def warm() -> None:
        """Make every served run's dashboards in the background as the server starts, so that
        the first visitor of a dashboard does not wait for them."""
        for src in [s for s in list(sources.values()) if s.kind == "run"]:
            try:
                dashboards(src)
            except Exception:  # noqa: BLE001  (the request that needs them reports the failure)
                pass

    def render(request: Request, template: str, status: int = 200, **context) -> HTMLResponse:
        html = env.get_template(template).render(sources=dict(sources), inline=None, static="/static",
                                                 try_on=tries is not None, **context)
        return HTMLResponse(html, status_code=status)

    def source(request: Request, kind: str = "run") -> Source:
        if len(request.url.query) > MAX_QUERY:
            bad("query string too long", 414)
        name = request.path_params["name"]
        src = sources.get(name)
        if src is None or src.kind != kind:
            bad(f"no {kind} named '{name[:60]}' is served here", 404)
        return src

    def index(request: Request):
        return render(request, "index.html")

    def dashboard(request: Request):
        src = source(request)
        month = param(request, "month")
        ctx = dashboards(src)
        if month is not None:  # a deep link to the score distribution at one snapshot month
            month = whole(month, "month", 0, max(src.months - 1, 0))
            chart = charts.at_snapshot(ctx["score_chart"], month)
            if chart is None:
                taken = ", ".join(map(str, ctx["score_chart"]["usermeta"]["months"]))
                bad(f"month {month}: no snapshot of published scores (those are at months {taken})", 404)
            ctx = {**ctx, "score_chart": chart}
        return render(request, "run.html", src=src, **ctx)

    def citizen(request: Request):
        src = source(request)
        i = whole(request.path_params["cid"], "citizen", 0, 2**31 - 1)
        if i >= src.citizens:
            bad(f"citizen {i} does not exist (citizens are 0..{src.citizens - 1})", 404)
        return render(request, "citizen.html", src=src, **pages.citizen(src, i))

    def search(request: Request):
        src = source(request)
        i = whole(param(request, "id"), "citizen id", 0, max(src.citizens - 1, 0))
        return RedirectResponse(f"/run/{src.name}/citizen/{i}", 303)

    def random(request: Request):
        src = source(request)
        kind = request.path_params["kind"]
        if kind not in ("citizen", "dissenter", "listed"):
            bad(f"no random '{kind[:40]}': use citizen, dissenter or listed", 404)
        i = queries.random_citizen(src.cursor(), kind, src.months - 1)
        if i is None:
            bad(f"this run has no {kind} citizen", 404)
        return RedirectResponse(f"/run/{src.name}/citizen/{i}", 303)

    def register(request: Request):
        src = source(request)
        f = {"score": param(request, "score", queries.SCORE_BANDS), "tau": param(request, "tau", queries.TAU_BANDS),
             "sanctioned": param(request, "sanctioned", ("yes", "no")),
             "occupation": param(request, "occupation", OCCUPATIONS)}
        sort = param(request, "sort", queries.REGISTER_SORTS, "published")
        order = param(request, "order", ("asc", "desc"), "asc")
        size = int(param(request, "size", [str(s) for s in PAGE_SIZES], "50"))
        page = whole(param(request, "page"), "page", 1, 10**6, 1)
        where, params = queries.register_filters(**f)
        rows, total = queries.register_page(src.cursor(), where, params, sort, order == "desc", size, (page - 1) * size)
        last = max(1, -(-total // size))
        if page > last:
            bad(f"page {page} is past the last page ({last})", 404)
        for r in rows:
            r["occupation"] = OCCUPATIONS[int(r["occupation"])]
        keep = {k: v for k, v in {**f, "sort": sort, "order": order, "size": size}.items() if v}
        return render(request, "register.html", src=src, rows=rows, total=total, page=page, last=last,
                      filters=f, sort=sort, order=order, size=size, keep=keep, sorts=queries.REGISTER_SORTS,
                      score_bands=queries.SCORE_BANDS, tau_bands=queries.TAU_BANDS, occupations=OCCUPATIONS,
                      sizes=PAGE_SIZES)

    def compare(request: Request):
        if len(request.url.query) > MAX_QUERY:
            bad("query string too long", 414)
        runs = [s for s in sources.values() if s.kind == "run"]
        names = param(request, "runs")
        if names is None:
            chosen = runs
        else:
            chosen = []
            for name in names.split(","):
                if name not in sources or sources[name].kind != "run":
                    bad(f"runs: no run named '{name[:60]}' is served here", 404)
                if sources[name] not in chosen:
                    chosen.append(sources[name])
        if len(chosen) < 2:
            bad("compare: name at least two runs (runs=a,b)" if names is not None
                else "compare: serve at least two runs to compare them", 400 if names is not None else 404)
        window = whole(param(request, "window"), "window", 1, 600, 12)
        return render(request, "compare.html", **pages.compare_runs(chosen, window))

    def compare_folder(request: Request):
        src = source(request, "compare")
        return render(request, "compare_folder.html", src=src, **pages.compare_folder(src))

    def sweep(request: Request):
        src = source(request, "sweep")
        metric = param(request, "metric")
        ctx = pages.sweep(src, metric)
        if metric is not None and metric != ctx["metric"]:
            bad(f"metric: '{metric[:40]}' is not one of {', '.join(ctx['metrics'])}")
        return render(request, "sweep.html", src=src, **ctx)

    def try_form(request: Request):
        if tries is None:
            bad("Try it is off on this server (scsim serve --no-try)", 404)
        from .tryit import FIELDS, MAX_CITIZENS

        return render(request, "try.html", jobs=sorted(tries.jobs.values(), key=lambda j: -j.id),
                      presets=preset_names(), fields=FIELDS, max_citizens=MAX_CITIZENS)

    async def try_submit(request: Request):
        if tries is None:
            bad("Try it is off on this server (scsim serve --no-try)", 404)
        from urllib.parse import parse_qs

        from .tryit import parse_form

        body = await request.body()
        if len(body) > 4096:
            bad("the form is too large", 413)
        form = {k: v[0] for k, v in parse_qs(body.decode("utf-8", "replace")).items()}
        try:
            job = tries.submit(*parse_form(form))
        except InputError as e:
            bad(str(e), 429 if "queue is full" in str(e) else 400)
        return RedirectResponse(f"/try/{job.id}", 303)

    def try_job(request: Request):
        if tries is None:
            bad("Try it is off on this server (scsim serve --no-try)", 404)
        k = whole(request.path_params["job"], "run", 0, 10**9)
        job = tries.jobs.get(k)
        if job is None:
            bad(f"no Try it run {k}", 404)
        return render(request, "try_job.html", job=job)

    async def error(request: Request, exc: HTTPException):
        message = exc.detail
        if message in ("Not Found", "Method Not Allowed"):  # Starlette's own, for an address no route has
            message = (f"no page at {request.url.path[:100]}" if exc.status_code == 404
                       else f"{request.method} is not allowed here: every page is a GET")
        html = env.get_template("error.html").render(sources=sources, inline=None, static="/static",
                                                     status=exc.status_code, message=message)
        return HTMLResponse(html, status_code=exc.status_code)

    async def server_error(request: Request, exc: Exception):
        html = env.get_template("error.html").render(sources=sources, inline=None, static="/static", status=500,
                                                     message="the page could not be made (see the server's log)")
        return HTMLResponse(html, status_code=500)

    routes = [
        Route("/", index), Route("/compare", compare), Route("/compare/{name}", compare_folder),
        Route("/sweep/{name}", sweep), Route("/run/{name}", dashboard), Route("/run/{name}/register", register),
        Route("/run/{name}/citizen", search), Route("/run/{name}/citizen/{cid}", citizen),
        Route("/run/{name}/random/{kind}", random), Route("/try", try_form), Route("/try", try_submit, methods=["POST"]),
        Route("/try/{job}", try_job),
        Mount("/static", StaticFiles(directory=HERE / "static"), name="static"),
    ]
    app = Starlette(routes=routes, exception_handlers={HTTPException: error, Exception: server_error})
    app.state.warming = threading.Thread(target=warm, name="scsim-warm", daemon=True)
    app.state.warming.start()
    return app
