"""Ctrl-C in the command line's first moments (``python -m scsim`` and the ``scsim`` console
script, while scsim's modules import, before ``scsim.cli.main`` takes over): one line, exit 130,
never a traceback. Only the interpreter's own start-up, before it imports scsim, is Python's.

The interrupts are placed by an audit hook (``sitecustomize`` on the child's path) that raises
SIGINT at the N-th module import after ``scsim``'s own, so that every run lands where it says;
a second test sends real signals at a spread of delays after that point."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
import tomllib
from pathlib import Path

import pytest

from .conftest import REPO

HOOK = textwrap.dedent("""
    import os, signal, sys

    AT = int(os.environ.get("SCSIM_TEST_SIGINT_AT", "0"))  # raise SIGINT at this import after scsim's
    READY = int(os.environ.get("SCSIM_TEST_READY_FD", "-1"))  # or say when scsim's first import starts
    HANDLED = os.environ.get("SCSIM_TEST_HANDLED_INTERRUPT")
    seen = []

    def hook(event, args):
        if event != "import":
            return
        if not seen and args[0] != "scsim":
            return
        seen.append(args[0])
        if len(seen) == 2 and READY >= 0:
            os.write(READY, b"ready")
            os.close(READY)
        if AT and len(seen) == AT + 1:
            signal.raise_signal(signal.SIGINT)
        if HANDLED:  # at each import: a library's generated code interrupted, the interrupt handled
            try:
                exec("raise KeyboardInterrupt")
            except KeyboardInterrupt:
                pass

    sys.addaudithook(hook)
""")


def _console_script(folder: Path) -> Path:
    """The console script pip writes for pyproject's ``scsim`` entry point (named ``scsim``)."""
    target = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["scripts"]["scsim"]
    module, func = target.split(":")
    script = folder / "bin" / "scsim"
    script.parent.mkdir(parents=True, exist_ok=True)
    script.write_text(f"import re\nimport sys\nfrom {module} import {func}\nif __name__ == '__main__':\n"
                      f"    sys.argv[0] = re.sub(r'(-script\\.pyw|\\.exe)?$', '', sys.argv[0])\n"
                      f"    sys.exit({func}())\n")
    return script


@pytest.fixture(scope="module")
def hooked(tmp_path_factory) -> dict:
    site = tmp_path_factory.mktemp("site")
    (site / "sitecustomize.py").write_text(HOOK)
    return {"env": {**os.environ, "PYTHONPATH": os.pathsep.join([str(site), str(REPO / "src")])},
            "script": _console_script(site)}


def _command(hooked: dict, entry: str, out: Path) -> list[str]:
    head = [sys.executable, "-m", "scsim"] if entry == "-m" else [sys.executable, str(hooked["script"])]
    return [*head, "run", "--preset", "western", "--citizens", "200", "--months", "2", "--quiet", "--out", str(out)]


def _assert_one_line_or_finished(proc: subprocess.CompletedProcess | subprocess.Popen, err: str, out: Path) -> str:
    assert "Traceback" not in err, err
    if (out / "results.duckdb").exists():  # it finished first (the signal may then land in Python's own exit)
        assert proc.returncode in (0, -signal.SIGINT) and not err.strip(), (proc.returncode, err)
        return "finished"
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert proc.returncode == 130 and lines == ["scsim: interrupted"], (proc.returncode, err)
    assert not out.exists(), "an interrupted start left its folder"
    return "interrupted"


# the first imports of scsim's own (its package, the command line), then steps through the
# libraries as `scsim run` loads them (argparse, rich, NumPy, pydantic, Numba, DuckDB, pandas:
# about 1,400 modules)
AT = [1, 2, 3, 4, 6, 9, 14, 22, 35, 55, 90, 150, 250, 400, 650, 1000, 1350]


@pytest.mark.parametrize("entry", ["-m", "console-script"])
def test_ctrl_c_at_any_import_of_the_start_is_one_line_and_130(hooked, tmp_path, entry):
    """The two entries differ only in their first imports: the console script is tried there."""
    outcomes = []
    for n in AT if entry == "-m" else AT[:8]:
        out = tmp_path / f"run-{n}"
        proc = subprocess.run(_command(hooked, entry, out), env={**hooked["env"], "SCSIM_TEST_SIGINT_AT": str(n)},
                              capture_output=True, text=True, timeout=300)
        outcomes.append(_assert_one_line_or_finished(proc, proc.stderr, out))
    # the spread lands inside the start (the last two points, near the end of the imports, may
    # come after them where fewer modules load)
    assert set(outcomes[:-2]) == {"interrupted"}, outcomes


@pytest.mark.parametrize("delay", [0.0, 0.002, 0.005, 0.01, 0.02, 0.04, 0.08, 0.15])
def test_a_real_ctrl_c_early_in_the_start_is_one_line_and_130(hooked, tmp_path, delay):
    """SIGINT sent from outside ``delay`` seconds after the child began importing scsim."""
    read, write = os.pipe()
    out = tmp_path / "run"
    proc = subprocess.Popen(_command(hooked, "-m", out), env={**hooked["env"], "SCSIM_TEST_READY_FD": str(write)},
                            pass_fds=(write,), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    os.close(write)
    try:
        assert os.read(read, 5) == b"ready"
    finally:
        os.close(read)
    time.sleep(delay)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=300)
    _assert_one_line_or_finished(proc, err, out)


@pytest.mark.slow
@pytest.mark.parametrize("delay", [0.4 + 0.25 * k for k in range(10)])
def test_a_real_ctrl_c_mid_run_under_python_m_exits_130(hooked, tmp_path, delay):
    """Later, inside the run: still 130 (a signal that reached another of the process's threads
    once made the interpreter end by SIGINT, -2, after the right line)."""
    read, write = os.pipe()
    out = tmp_path / "run"
    proc = subprocess.Popen(_command(hooked, "-m", out), env={**hooked["env"], "SCSIM_TEST_READY_FD": str(write)},
                            pass_fds=(write,), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    os.close(write)
    os.read(read, 5)
    os.close(read)
    time.sleep(delay)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=300)
    _assert_one_line_or_finished(proc, err, out)


def test_a_handled_interrupt_in_generated_code_does_not_change_the_exit_status(hooked):
    """A KeyboardInterrupt that ends a string ``exec`` and is then handled (as Numba's generated
    code may take a Ctrl-C) leaves CPython's "unhandled KeyboardInterrupt" flag set: under
    ``python -m`` the interpreter then ended by SIGINT (-2), whatever the command's status."""
    for args, status in ((["presets"], 0), (["validate", "missing.toml"], 2)):
        proc = subprocess.run([sys.executable, "-m", "scsim", *args], capture_output=True, text=True, timeout=300,
                              env={**hooked["env"], "SCSIM_TEST_HANDLED_INTERRUPT": "1"})
        assert proc.returncode == status and "Traceback" not in proc.stderr, (proc.returncode, proc.stderr)


def test_a_ctrl_c_that_lands_in_a_finaliser_prints_no_traceback(tmp_path):
    """Python drops a KeyboardInterrupt raised inside ``__del__`` and prints it as 'Exception
    ignored in ...' with a traceback; inside the command line's boundary it says nothing."""
    code = textwrap.dedent("""
        import gc, sys
        from scsim import cli

        class Finalised:
            def __del__(self):
                raise KeyboardInterrupt

        def command(args):
            Finalised()
            gc.collect()
            print("finished")
            return 0

        cli.COMMANDS["presets"] = command
        sys.exit(cli.main(["presets"]))
    """)
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300,
                          env={**os.environ, "PYTHONPATH": str(REPO / "src")})
    assert proc.returncode == 0 and proc.stdout == "finished\n", (proc.returncode, proc.stdout, proc.stderr)
    assert "Traceback" not in proc.stderr and "Exception ignored" not in proc.stderr, proc.stderr
