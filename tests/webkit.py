"""Fixtures for the web explorer's tests: small runs built once per test session, a compare
output and a sweep folder, and a live server on loopback (imported by test_web*.py)."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

import scsim
from scsim.scenario import load_preset

CITIZENS, MONTHS = 2000, 72  # to 2020-12: a year of the mandatory rules, so the register lists citizens


@pytest.fixture(scope="session")
def web_runs(tmp_path_factory) -> dict[str, Path]:
    """Two runs (social-credit-2020 and western) and a scsim compare output folder."""
    from scsim.experiments import compare, write

    root = tmp_path_factory.mktemp("web")
    out = {}
    for name, preset, seed in (("credit", "social-credit-2020", 5), ("western", "western", 5)):
        over = {"population.citizens": CITIZENS, "run.months": MONTHS, "run.seed": seed}
        if preset == "social-credit-2020":  # a register long enough to page (the preset lists ~1%)
            over["register.min_drag"] = 2.0
        sc = load_preset(preset).with_overrides(**over)
        scsim.simulate(sc, out=root / name)
        out[name] = root / name
    write(compare(["western", "social-credit-2020"], seeds=2, citizens=300, months=24), root / "regimes")
    out["regimes"] = root / "regimes"
    return out


@pytest.fixture(scope="session")
def sweep_folder(tmp_path_factory) -> Path:
    """A 2-point grid sweep of tiny runs (one local worker)."""
    from scsim.sweep import load_sweep, run_sweep

    root = tmp_path_factory.mktemp("websweep")
    spec = root / "grid.toml"
    spec.write_text('[sweep]\nbase = "social-credit-2020"\ndesign = "grid"\nseeds = 2\nwindow = 6\n\n[set]\n'
                    '"population.citizens" = 300\n"run.months" = 24\n\n[vary]\n'
                    '"scoring.association.points" = [0.0, 120.0]\n')
    run_sweep(load_sweep(spec), out=root / "grid", workers=1)
    return root / "grid"


@pytest.fixture(scope="session")
def live_server(web_runs):
    """``scsim serve``'s app on uvicorn in a thread, on a free loopback port: its base URL."""
    import uvicorn

    from scsim.web.app import create_app
    from scsim.web.sources import open_sources

    app = create_app(open_sources([web_runs["credit"], web_runs["western"], web_runs["regimes"]]))
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the test server did not start")
        time.sleep(0.05)
    port = server.servers[0].sockets[0].getsockname()[1]
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)
