"""Load test of ``scsim serve`` on loopback: many GET requests at a fixed concurrency over the
main routes of one run; reports errors and latency percentiles per route.

    .venv/bin/python benchmarks/web_load.py --citizens 100000 --requests 10000 --concurrency 50
    .venv/bin/python benchmarks/web_load.py --run runs/big --requests 10000 --concurrency 50
    .venv/bin/python benchmarks/web_load.py --tiny                  # 500 citizens, 200 requests
    .venv/bin/python benchmarks/web_load.py --run runs/20k --tile 50 --concurrency 1   # pages at 1M rows
    .venv/bin/python benchmarks/web_load.py --pages --run runs/1m --also runs/100k     # each page kind, cold and warm

``--tile K`` serves a database made of K copies of the run's tables side by side (citizen ids
and ties shifted by the run's size, each table kept in the order the store writes it): the
row counts of a run K times as large, to time the pages' queries at that size on a machine
that should not simulate it. The copies are data, not a simulation of the larger society.

The server is ``scsim serve RUN --no-try`` in its own process (as a user runs it); the client
is httpx2's async client in this one, so on a small machine both share its cores. Mix of
routes: citizen pages (random ids) 50%, register pages (random page, sort and filter) 20%,
dashboards 10%, random-citizen redirects 10%, the index 10%. A response of 400 or more, or
no response, is an error. Prints one JSON line (``--out FILE`` appends it there too), with the
server's peak resident memory (``VmHWM``, Linux).

``--pages`` times each main page kind one at a time instead (citizen pages at random ids and of
the best-connected citizens, the register's first pages with each sort, with filters, and deep
pages, dashboards, the score distribution at a snapshot month, random links, compare of two runs
(``--also RUN`` serves a second run), the Try it form, the index): for each kind a freshly started
server, 3 s after it answers (``--settle``: the server makes each run's dashboards in the
background as it starts), whose first request of that kind is the "cold" figure (the operating
system's file cache is not dropped) and whose next ``--repeat`` requests give the warm p50 and
p99. ``--settle 0`` times a first dashboard while it is still being made.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def build_run(citizens: int, months: int, folder: Path) -> Path:
    subprocess.run([sys.executable, "-m", "scsim", "run", "--citizens", str(citizens), "--months", str(months),
                    "--out", str(folder), "--quiet"], check=True, stdout=subprocess.DEVNULL)
    return folder


def tile(run: Path, k: int, folder: Path) -> Path:
    """K copies of ``run``'s tables in one database (see the module docstring)."""
    import duckdb

    folder.mkdir(parents=True)
    with duckdb.connect(str(folder / "results.duckdb")) as con:
        con.execute(f"ATTACH '{run / 'results.duckdb'}' AS src (READ_ONLY)")
        n = con.execute("SELECT count(*) FROM src.citizens").fetchone()[0]
        copies = f"range({k}) t(k)"
        con.execute(f"CREATE TABLE citizens AS SELECT * REPLACE (citizen + k * {n} AS citizen) FROM src.citizens, "
                    f"{copies} ORDER BY citizen")
        con.execute(f"CREATE TABLE edges AS SELECT * REPLACE (u + k * {n} AS u, v + k * {n} AS v) FROM src.edges, "
                    f"{copies} ORDER BY k, u, v")
        con.execute(f"CREATE TABLE snapshots AS SELECT * REPLACE (citizen + k * {n} AS citizen) FROM src.snapshots, "
                    f"{copies} ORDER BY month, citizen")
        con.execute(f"CREATE TABLE edge_events AS SELECT * REPLACE (u + k * {n} AS u, v + k * {n} AS v) "
                    f"FROM src.edge_events, {copies} ORDER BY month, k")
        con.execute("CREATE TABLE metrics AS SELECT * FROM src.metrics")
        con.execute("CREATE TABLE meta AS SELECT * FROM src.meta")
        con.execute("UPDATE meta SET value = ? WHERE key = 'citizens'", [str(n * k)])
    return folder


def urls(name: str, citizens: int, pages: int, count: int, seed: int = 1) -> list[tuple[str, str]]:
    """(route, url) pairs in the benchmark's mix, reproducibly drawn."""
    rng = random.Random(seed)
    sorts = ("citizen", "score", "published", "tau", "degree", "draggers")
    out = []
    for _ in range(count):
        x = rng.random()
        if x < 0.5:
            out.append(("citizen", f"/run/{name}/citizen/{rng.randrange(citizens)}"))
        elif x < 0.7:
            q = f"?sort={rng.choice(sorts)}&order={rng.choice(('asc', 'desc'))}&page={rng.randint(1, max(1, pages))}"
            if rng.random() < 0.3:
                q = f"?tau={rng.choice(('0-0.2', '0.2-0.4', '0.4-0.6'))}"
            out.append(("register", f"/run/{name}/register{q}"))
        elif x < 0.8:
            out.append(("dashboard", f"/run/{name}"))
        elif x < 0.9:
            out.append(("random", f"/run/{name}/random/citizen"))
        else:
            out.append(("index", "/"))
    return out


def peak_memory_mb(pid: int) -> float | None:
    """A process's peak resident memory (Linux ``VmHWM``), in MB; None elsewhere."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    return None


class Server:
    """``scsim serve RUN ... [--no-try]`` in its own process on a free loopback port, until ``stop``."""

    def __init__(self, runs: list[Path], tmp: Path, try_it: bool = False, settle: float = 0.0):
        import httpx2

        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log = open(tmp / f"server-{self.port}.log", "w+")  # a file, not a pipe: a full pipe would stall it
        extra = ["--scratch", str(tmp / f"scratch-{self.port}")] if try_it else ["--no-try"]
        self.process = subprocess.Popen([sys.executable, "-m", "scsim", "serve", *map(str, runs), "--port",
                                         str(self.port), *extra], stdout=subprocess.DEVNULL, stderr=self.log)
        deadline = time.monotonic() + 120
        while True:
            try:
                if httpx2.get(self.base + "/favicon.ico").status_code in (200, 404):
                    time.sleep(settle)  # (the server's start-up work: each run's dashboards, made in the background)
                    return
            except httpx2.TransportError:
                pass
            if time.monotonic() > deadline or self.process.poll() is not None:
                self.log.seek(0)
                self.stop()
                raise SystemExit(f"web_load: the server did not start: {self.log.read()[-500:]}")
            time.sleep(0.2)

    def stop(self) -> tuple[float | None, int]:
        """Stop the server: (its peak resident MB, how many tracebacks it logged)."""
        peak = peak_memory_mb(self.process.pid)
        self.process.terminate()
        self.process.wait(timeout=30)
        self.log.seek(0)
        self.errors = self.log.read()
        self.log.close()
        return peak, self.errors.count("Traceback")


async def hammer(base: str, plan: list[tuple[str, str]], concurrency: int) -> list[tuple[str, float, int]]:
    import httpx2

    results: list[tuple[str, float, int]] = []
    queue: asyncio.Queue = asyncio.Queue()
    for item in plan:
        queue.put_nowait(item)
    limits = httpx2.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx2.AsyncClient(base_url=base, limits=limits, timeout=60, follow_redirects=False) as client:
        async def worker():
            while not queue.empty():
                route, url = queue.get_nowait()
                t0 = time.perf_counter()
                try:
                    status = (await client.get(url)).status_code
                except Exception:  # noqa: BLE001  counted as an error
                    status = 0
                results.append((route, time.perf_counter() - t0, status))

        await asyncio.gather(*(worker() for _ in range(concurrency)))
    return results


def summarise(results) -> dict:
    def stats(rows):
        ms = np.array([r[1] for r in rows]) * 1000
        return {"requests": len(rows), "errors": sum(1 for r in rows if r[2] == 0 or r[2] >= 400),
                "p50_ms": round(float(np.percentile(ms, 50)), 1), "p90_ms": round(float(np.percentile(ms, 90)), 1),
                "p99_ms": round(float(np.percentile(ms, 99)), 1), "max_ms": round(float(ms.max()), 1)}

    routes = sorted({r[0] for r in results})
    return {"all": stats(results), **{route: stats([r for r in results if r[0] == route]) for route in routes}}


def page_plan(con, name: str, other: str | None, months: list[int], repeat: int,
              seed: int = 1) -> dict[str, list[str]]:
    """For each page kind, ``repeat + 1`` URLs (reproducibly drawn): the first is timed cold."""
    rng = random.Random(seed)
    citizens, listed = con.execute("SELECT count(*), count(*) FILTER (listed) FROM citizens").fetchone()
    hubs = [r[0] for r in con.execute("SELECT citizen FROM citizens ORDER BY degree DESC, citizen LIMIT ?",
                                      [repeat + 1]).fetchall()]
    last = max(1, -(-listed // 200))  # the last page at 200 a page
    sorts = ("published", "citizen", "score", "tau", "degree", "draggers", "occupation")
    filters = ("score=550-600", "score=600-650", "tau=0.2-0.4", "tau=0.6-1", "sanctioned=yes", "sanctioned=no",
               "occupation=official", "occupation=reporter", "score=600-650&tau=0.4-0.6&sanctioned=no")
    orders = ("asc", "desc")
    n = repeat + 1

    def draw(make):
        return [make(k) for k in range(n)]

    plan = {
        "citizen": draw(lambda k: f"/run/{name}/citizen/{rng.randrange(citizens)}"),
        "citizen-hub": [f"/run/{name}/citizen/{hubs[k % len(hubs)]}" for k in range(n)],
        "register": draw(lambda k: f"/run/{name}/register?sort={sorts[k % len(sorts)]}&order={rng.choice(orders)}"),
        "register-filtered": draw(lambda k: f"/run/{name}/register?{filters[k % len(filters)]}"
                                            f"&sort={rng.choice(sorts)}&order=desc"),
        "register-deep": draw(lambda k: f"/run/{name}/register?sort={rng.choice(sorts)}&order={rng.choice(orders)}"
                                        f"&size=200&page={max(1, last // 2) if k % 2 else last}"),
        "dashboard": [f"/run/{name}"] * n,
        "scores-at-month": draw(lambda k: f"/run/{name}?month={rng.choice(months)}"),
        "random": draw(lambda k: f"/run/{name}/random/{('citizen', 'dissenter', 'listed')[k % 3]}"),
        "try": ["/try"] * n,
        "index": ["/"] * n,
    }
    if other:
        plan["compare"] = [f"/compare?runs={name},{other}"] * n
    return plan


def time_pages(run: Path, also: Path | None, repeat: int, tmp: Path, settle: float = 3.0) -> dict:
    """Each page kind on a freshly started server, ``settle`` seconds after it answers (its
    start-up work done): its first request (cold) and ``repeat`` more."""
    import duckdb
    import httpx2

    with duckdb.connect(str(run / "results.duckdb"), read_only=True) as con:
        months = [r[0] for r in con.execute("SELECT DISTINCT month FROM snapshots WHERE NOT isnan(published) "
                                            "ORDER BY month").fetchall()]  # (the distribution's months)
        plan = page_plan(con, run.resolve().name, also.resolve().name if also else None, months, repeat)
    out, peaks, tracebacks = {}, [], 0
    for kind, urls_ in plan.items():
        server = Server([run, *([also] if also else [])], tmp, try_it=kind == "try", settle=settle)
        times, statuses = [], []
        try:
            with httpx2.Client(base_url=server.base, timeout=120, follow_redirects=False) as client:
                for url in urls_:
                    t0 = time.perf_counter()
                    statuses.append(client.get(url).status_code)
                    times.append(time.perf_counter() - t0)
        finally:
            peak, logged = server.stop()
        if logged:
            print(server.errors[-3000:], file=sys.stderr)
        peaks.append(peak)
        tracebacks += logged
        warm = np.array(times[1:]) * 1000
        out[kind] = {"cold_ms": round(times[0] * 1000, 1), "warm_p50_ms": round(float(np.percentile(warm, 50)), 1),
                     "warm_p99_ms": round(float(np.percentile(warm, 99)), 1),
                     "warm_max_ms": round(float(warm.max()), 1), "requests": len(times),
                     "errors": sum(1 for c in statuses if c >= 400), "example": urls_[0], "server_peak_mb": peak}
    known = [p for p in peaks if p is not None]
    return {"pages": out, "server_peak_mb": max(known) if known else None, "server_errors_logged": tracebacks}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--run", help="an existing run folder (default: build one)")
    ap.add_argument("--citizens", type=int, default=100_000)
    ap.add_argument("--months", type=int, default=84)
    ap.add_argument("--requests", type=int)
    ap.add_argument("--concurrency", type=int, default=50)
    ap.add_argument("--tile", type=int, default=1, metavar="K", help="serve K copies of the run's tables side by side")
    ap.add_argument("--pages", action="store_true", help="time each page kind one at a time, cold and warm")
    ap.add_argument("--repeat", type=int, default=20, help="--pages: warm requests of each kind")
    ap.add_argument("--also", help="--pages: a second run, served too, for the compare page")
    ap.add_argument("--settle", type=float, default=3.0,
                    help="--pages: seconds between a server's start and its first request")
    ap.add_argument("--tiny", action="store_true", help="500 citizens x 12 months, 200 requests at 10")
    ap.add_argument("--out", help="append the JSON line to this file")
    args = ap.parse_args()
    if args.tiny:
        args.citizens, args.months, args.concurrency = 500, 12, 10
    args.requests = args.requests or (200 if args.tiny else 10_000)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        run = Path(args.run) if args.run else build_run(args.citizens, args.months, tmp / "run")
        if args.tile > 1:
            run = tile(run, args.tile, tmp / f"{run.resolve().name}-x{args.tile}")
        import duckdb

        with duckdb.connect(str(run / "results.duckdb"), read_only=True) as con:
            citizens = con.execute("SELECT count(*) FROM citizens").fetchone()[0]
            listed = con.execute("SELECT count(*) FROM citizens WHERE listed").fetchone()[0]
        record = {"date": time.strftime("%Y-%m-%d %H:%M:%S"), "machine": {"platform": platform.platform(),
                  "cpu_count": os.cpu_count()}, "citizens": citizens, "tile": args.tile,
                  "load_average_before": round(os.getloadavg()[0], 2)}
        if args.pages:
            also = Path(args.also) if args.also else None
            timed = time_pages(run, also, args.repeat, tmp, args.settle)
            record.update(repeat=args.repeat, settle_s=args.settle, **timed)
            errors = sum(p["errors"] for p in record["pages"].values())
        else:
            server = Server([run], tmp)
            try:
                plan = urls(run.resolve().name, citizens, max(1, listed // 50), args.requests)
                t0 = time.perf_counter()
                results = asyncio.run(hammer(server.base, plan, args.concurrency))
                seconds = time.perf_counter() - t0
            finally:
                peak, logged = server.stop()
            record.update(requests=args.requests, concurrency=args.concurrency, seconds=round(seconds, 2),
                          requests_per_s=round(args.requests / seconds, 1), routes=summarise(results),
                          server_peak_mb=peak, server_errors_logged=logged)
            errors = record["routes"]["all"]["errors"]
            if logged:
                print(server.errors[-3000:], file=sys.stderr)
    record["load_average_after"] = round(os.getloadavg()[0], 2)  # (other work on a shared machine)
    line = json.dumps(record)
    print(line)
    if args.out:
        with open(args.out, "a") as f:
            f.write(line + "\n")
    return 1 if errors or record["server_errors_logged"] else 0


if __name__ == "__main__":
    sys.exit(main())
