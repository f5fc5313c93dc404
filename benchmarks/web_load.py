"""Load test of ``scsim serve`` on loopback: many GET requests at a fixed concurrency over the
main routes of one run; reports errors and latency percentiles per route.

    .venv/bin/python benchmarks/web_load.py --citizens 100000 --requests 10000 --concurrency 50
    .venv/bin/python benchmarks/web_load.py --run runs/big --requests 10000 --concurrency 50
    .venv/bin/python benchmarks/web_load.py --tiny                  # 500 citizens, 200 requests
    .venv/bin/python benchmarks/web_load.py --run runs/20k --tile 50 --concurrency 1   # pages at 1M rows

``--tile K`` serves a database made of K copies of the run's tables side by side (citizen ids
and ties shifted by the run's size, each table kept in the order the store writes it): the
row counts of a run K times as large, to time the pages' queries at that size on a machine
that should not simulate it. The copies are data, not a simulation of the larger society.

The server is ``scsim serve RUN --no-try`` in its own process (as a user runs it); the client
is httpx2's async client in this one, so on a small machine both share its cores. Mix of
routes: citizen pages (random ids) 50%, register pages (random page, sort and filter) 20%,
dashboards 10%, random-citizen redirects 10%, the index 10%. A response of 400 or more, or
no response, is an error. Prints one JSON line (``--out FILE`` appends it there too).
"""

from __future__ import annotations

import argparse
import asyncio
import json
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


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--run", help="an existing run folder (default: build one)")
    ap.add_argument("--citizens", type=int, default=100_000)
    ap.add_argument("--months", type=int, default=84)
    ap.add_argument("--requests", type=int)
    ap.add_argument("--concurrency", type=int, default=50)
    ap.add_argument("--tile", type=int, default=1, metavar="K", help="serve K copies of the run's tables side by side")
    ap.add_argument("--tiny", action="store_true", help="500 citizens x 12 months, 200 requests at 10")
    ap.add_argument("--out", help="append the JSON line to this file")
    args = ap.parse_args()
    if args.tiny:
        args.citizens, args.months, args.concurrency = 500, 12, 10
    args.requests = args.requests or (200 if args.tiny else 10_000)
    with tempfile.TemporaryDirectory() as tmp:
        run = Path(args.run) if args.run else build_run(args.citizens, args.months, Path(tmp) / "run")
        if args.tile > 1:
            run = tile(run, args.tile, Path(tmp) / f"{run.resolve().name}-x{args.tile}")
        import duckdb

        with duckdb.connect(str(run / "results.duckdb"), read_only=True) as con:
            citizens = con.execute("SELECT count(*) FROM citizens").fetchone()[0]
            listed = con.execute("SELECT count(*) FROM citizens WHERE listed").fetchone()[0]
        port = free_port()
        log = open(Path(tmp) / "server.log", "w+")  # a file, not a pipe: a full pipe would stall the server
        server = subprocess.Popen([sys.executable, "-m", "scsim", "serve", str(run), "--port", str(port), "--no-try"],
                                  stdout=subprocess.DEVNULL, stderr=log)
        base = f"http://127.0.0.1:{port}"
        try:
            import httpx2

            deadline = time.monotonic() + 60
            while True:
                try:
                    if httpx2.get(base + "/").status_code == 200:
                        break
                except httpx2.TransportError:
                    pass
                if time.monotonic() > deadline or server.poll() is not None:
                    log.seek(0)
                    raise SystemExit(f"web_load: the server did not start: {log.read()[-500:]}")
                time.sleep(0.2)
            plan = urls(run.resolve().name, citizens, max(1, listed // 50), args.requests)
            t0 = time.perf_counter()
            results = asyncio.run(hammer(base, plan, args.concurrency))
            seconds = time.perf_counter() - t0
        finally:
            server.terminate()
            server.wait(timeout=30)
            log.seek(0)
            errors_logged = log.read()
            log.close()
    record = {"date": time.strftime("%Y-%m-%d %H:%M:%S"), "machine": {"platform": platform.platform(),
              "cpu_count": __import__("os").cpu_count()}, "citizens": citizens, "requests": args.requests,
              "concurrency": args.concurrency, "tile": args.tile, "seconds": round(seconds, 2),
              "requests_per_s": round(args.requests / seconds, 1), "routes": summarise(results),
              "server_errors_logged": errors_logged.count("Traceback")}
    if errors_logged.count("Traceback"):
        print(errors_logged[-3000:], file=sys.stderr)
    line = json.dumps(record)
    print(line)
    if args.out:
        with open(args.out, "a") as f:
            f.write(line + "\n")
    return 1 if record["routes"]["all"]["errors"] or record["server_errors_logged"] else 0


if __name__ == "__main__":
    sys.exit(main())
