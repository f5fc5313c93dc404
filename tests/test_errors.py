"""The guarded boundary (scsim.errors, scsim.cli.main): every expected failure one line and exit
2, a bug one line with a hint to use --debug (which shows the traceback), Ctrl-C one line and
130 wherever it lands, and typed exceptions from the API."""

from __future__ import annotations

import pytest

import scsim
from scsim import cli as cli_module
from scsim.cli import main
from scsim.engine import Simulation
from scsim.errors import InputError, Interrupted, OutputError, ScsimError, interrupt_in

from .test_bad_input import assert_input_error, cli


def one_line(err: str) -> str:
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert len(lines) == 1 and "Traceback" not in err, err
    return lines[0]


@pytest.fixture
def broken_presets(monkeypatch):
    """`scsim presets` with a bug inside it."""
    def boom(args):
        raise TypeError("unsupported operand\nsecond line")

    monkeypatch.setitem(cli_module.COMMANDS, "presets", boom)


def test_a_bug_is_one_line_with_the_debug_hint(capsys, broken_presets):
    rc, _, err = cli(capsys, "presets")
    line = one_line(err)
    assert rc == 1
    assert "internal error: TypeError: unsupported operand" in line and "run with --debug for the traceback" in line


@pytest.mark.parametrize("where", ["before", "after"])
def test_debug_shows_the_traceback(capsys, broken_presets, where):
    rc, _, err = cli(capsys, *(["--debug", "presets"] if where == "before" else ["presets", "--debug"]))
    assert rc == 1
    assert "Traceback (most recent call last)" in err and "def boom" not in err and "in boom" in err
    assert "run with --debug" not in err


def test_the_error_classes():
    assert issubclass(InputError, ScsimError) and issubclass(InputError, ValueError)
    assert issubclass(OutputError, ScsimError) and issubclass(OutputError, OSError)
    # Ctrl-C stays a KeyboardInterrupt: `except Exception` never swallows it
    assert issubclass(Interrupted, KeyboardInterrupt) and not issubclass(Interrupted, Exception)


def test_an_interrupt_inside_a_compiled_kernel_is_found():
    """Numba turns a KeyboardInterrupt raised inside a kernel into a SystemError whose context is
    the interrupt ("returned a result with an exception set")."""
    try:
        try:
            raise KeyboardInterrupt
        except KeyboardInterrupt:
            raise SystemError("CPUDispatcher(<function f>) returned a result with an exception set")
    except SystemError as e:
        assert isinstance(interrupt_in(e), KeyboardInterrupt)
    assert interrupt_in(ValueError("x")) is None


def _fail_at(monkeypatch, month: int, fail):
    """Simulation.step calls ``fail()`` (which raises) at ``month``."""
    real = Simulation.step

    def step(self):
        if self.month == month:
            fail()
        return real(self)

    monkeypatch.setattr(Simulation, "step", step)


def _kernel_interrupt():
    """What Ctrl-C inside a Numba kernel raises."""
    try:
        raise KeyboardInterrupt
    except KeyboardInterrupt:
        raise SystemError("CPUDispatcher(<function kernel>) returned a result with an exception set")


def _interrupt():
    raise KeyboardInterrupt


@pytest.mark.parametrize("make_error", [_interrupt, _kernel_interrupt], ids=["python", "in-a-kernel"])
def test_ctrl_c_before_a_checkpoint_is_one_line_and_130_and_leaves_nothing(capsys, tmp_path, monkeypatch, make_error):
    folder = tmp_path / "run"
    _fail_at(monkeypatch, 5, make_error)
    rc, _, err = cli(capsys, "run", "--preset", "sesame-2015", "--citizens", "300", "--months", "8",
                     "--out", folder, "--quiet")
    assert rc == 130
    assert one_line(err) == "scsim: interrupted"
    assert not folder.exists()


def test_ctrl_c_after_a_checkpoint_keeps_the_run_in_one_line(capsys, tmp_path, monkeypatch):
    sc = tmp_path / "sc.toml"
    sc.write_text('extends = "sesame-2015"\n[population]\ncitizens = 300\n[run]\nmonths = 8\ncheckpoint_every = 2\n')
    folder = tmp_path / "run"
    _fail_at(monkeypatch, 5, _kernel_interrupt)
    rc, _, err = cli(capsys, "run", sc, "--out", folder, "--quiet")
    monkeypatch.undo()
    assert rc == 130
    line = one_line(err)
    assert line.startswith("scsim: interrupted") and f"continue it with: scsim run --resume {folder}" in line
    assert (folder / "checkpoint.npz").exists()
    assert main(["run", "--resume", str(folder), "--quiet"]) == 0


def test_api_raises_typed_exceptions_in_api_words(tmp_path):
    with pytest.raises(InputError, match="compare: preset western: population.citizens") as e:
        from scsim.experiments import compare

        compare(["western", "sesame-2015"], seeds=2, citizens=1)
    assert "--citizens" not in str(e.value)
    with pytest.raises(InputError, match="seeds = 1"):
        compare(["western", "sesame-2015"], seeds=1)
    with pytest.raises(InputError):
        scsim.load_scenario(tmp_path / "missing.toml")
    done = scsim.simulate(scsim.load_preset("western").with_overrides(
        **{"population.citizens": 100, "run.months": 2}), out=tmp_path / "done")
    with pytest.raises(InputError, match="^query: .*SELEC"):
        done.query("SELEC * FROM metrics")
    with pytest.raises(InputError, match="citizen 100 does not exist"):
        scsim.Run.open(tmp_path / "done").explain(100)
    (tmp_path / "run").mkdir()
    (tmp_path / "run" / "results.duckdb").write_bytes(b"not a database")
    with pytest.raises(InputError, match="not a readable scsim run database"):
        scsim.Run.open(tmp_path / "run")


@pytest.mark.parametrize("args, needle", [
    (["compare", "--citizens", "1", "--seeds", "2"], "--citizens 1"),
    (["compare", "--months", "0", "--seeds", "2"], "--months"),
    (["compare", "--seeds", "1"], "--seeds 1"),
    (["run", "--citizens", "1", "--months", "2"], "--citizens 1"),
    (["run", "--preset", "western", "--citizens", "10", "--months", "2"], "--citizens 10"),  # mean degree 20
])
def test_cli_errors_name_the_flag(capsys, tmp_path, args, needle):
    rc, _, err = cli(capsys, *args, "--out", tmp_path / "out")
    line = assert_input_error(rc, err, needle)
    assert "overrides" not in line and "population.citizens =" not in line.split(needle)[0]
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("address, needle", [
    ("tcp://:::::", "not a scheduler address"), ("foo://bar:1", "unknown address scheme"),
    ("tcp://host:notaport", "not a scheduler address"), ("tcp://host:0", "1..65535"),
])
def test_malformed_scheduler_address_is_one_line_without_a_client(capfd, tmp_path, address, needle):
    """The address is checked before a Client is made: a failed Client printed a traceback from
    its __del__ after the one line."""
    import gc

    rc = main(["compare", "--seeds", "2", "--citizens", "100", "--months", "2", "--scheduler", address,
               "--out", str(tmp_path / "c")])
    gc.collect()
    err = capfd.readouterr().err
    assert rc == 2 and needle in one_line(err)


def test_the_command_line_is_guarded_before_anything_heavy_loads():
    """`import scsim.cli` (what the console script does before calling main) loads neither NumPy
    nor pydantic nor Numba, so that a Ctrl-C while they load lands inside main's boundary."""
    import subprocess
    import sys

    from .conftest import REPO

    code = "import sys, scsim.cli; print(sorted(m for m in ('numpy', 'pydantic', 'numba', 'duckdb') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env={**__import__("os").environ, "PYTHONPATH": str(REPO / "src")}).stdout
    assert out.strip() == "[]"
