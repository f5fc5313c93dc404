"""Properties of sweep files and of command lines: whatever is given, ``scsim`` succeeds, or
exits 2 with one line, no traceback and no output folder. Sweep files are checked on the path
that ``scsim sweep`` takes before any run (validation and planning); a refused one also through
the command line."""

from __future__ import annotations

import math
import tempfile
from pathlib import Path

import pytest
import tomli_w
from hypothesis import strategies as st

from scsim.errors import InputError
from scsim.sweep import design_points, load_sweep, plan_runs
from scsim.sweep.spec import MAX_RUNS

from .fuzzing import assert_contract, bounded_and_large, call

GOOD_KEYS = ["economy.borrow_prob", "behaviour.ties.cut_rate", "economy.loan_boost"]
BAD_KEYS = ["run.months", "network.model", "scoring.association.mode", "run.seed", "nosuch.key", "register.enabled",
            "network.mean_degree", "population.citizens"]
GOOD_NUMBER = st.floats(0.05, 0.95, allow_nan=False)
NUMBER = st.one_of(st.floats(-2, 2, allow_nan=False), st.integers(-3, 300), st.sampled_from([math.nan, math.inf, -math.inf]),
                   st.text(max_size=4), st.booleans())


def mostly(good, bad):
    """``good`` about four times in five (Hypothesis leans to the first choices)."""
    return st.sampled_from([True, True, True, True, False]).flatmap(lambda g: good if g else bad)


@st.composite
def sweeps(draw):
    design = draw(mostly(st.sampled_from(["grid", "lhs", "sobol"]), st.sampled_from(["latin", "", 3])))
    options = {"design": design, "base": draw(mostly(st.sampled_from(["sesame-2015", "western"]),
                                                     st.sampled_from(["nope", "../x.toml", "sesame-2015.toml"]))),
               "seeds": draw(mostly(st.integers(1, 2), st.one_of(st.integers(-1, 20_000), st.just("2"))))}
    if design != "grid" or draw(st.booleans()):
        options["samples"] = draw(mostly(st.sampled_from([2, 4]), st.sampled_from([2**20, 10**15, 0, -4, 3, 2.0])))
    vary = {}
    keys = draw(st.lists(mostly(st.sampled_from(GOOD_KEYS), st.sampled_from(BAD_KEYS)), min_size=1, max_size=2, unique=True))
    for key in keys:
        value = mostly(GOOD_NUMBER, NUMBER)
        if design == "grid":
            vary[key] = draw(mostly(st.lists(value, min_size=1, max_size=3), st.lists(NUMBER, max_size=3)))
        else:
            lo = draw(value)
            vary[key] = {"low": lo, "high": draw(mostly(st.floats(0.96, 1.0), NUMBER))}
    doc = {"sweep": options, "set": {"population.citizens": 60, "run.months": 2}, "vary": vary}
    if not draw(st.sampled_from([True] * 9 + [False])):
        doc["extra"] = {"x": 1}
    return doc


def check_sweep(doc):
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "s.toml"
        path.write_text(tomli_w.dumps(doc))
        out = Path(tmp) / "out"
        try:
            spec = load_sweep(path)
            points = design_points(spec)
            tasks = plan_runs(spec, points, out)
        except InputError as e:
            assert "\n" not in str(e) and str(e).startswith(str(path)), str(e)
            rc, _, err = call("sweep", path, "--out", out, "--workers", "1", "--quiet")
            assert rc == 2
            assert_contract(rc, err, out)
            return
        assert 0 < len(tasks) <= MAX_RUNS and len(tasks) == len(points) * spec.options.seeds
        for t in tasks[:50]:  # every value finite and typed as the schema says
            for v in t.params.values():
                assert not (isinstance(v, float) and not math.isfinite(v))


test_sweep_files, test_sweep_files_many = bounded_and_large(check_sweep, 120, doc=sweeps())


# ----------------------------------------------------------------------------- command lines


@pytest.fixture(scope="module")
def finished(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("argv") / "run"
    rc, _, err = call("run", "--preset", "western", "--citizens", "200", "--months", "2", "--out", folder, "--quiet")
    assert rc == 0, err
    return folder


TOKENS = st.one_of(
    st.sampled_from(["--preset", "western", "sesame-2015", "--seed", "--quiet", "--out", "--resume", "--backend",
                     "torch", "--window", "--presets", "western,provocateur", "--seeds", "--workers", "--scheduler",
                     "--markdown", "--parquet", "--full", "--fast", "--edgelist", "-", "--", "-x", "nan"]),
    st.integers(-3, 10**20).map(str), st.text(max_size=6),
)
COMMANDS = ["run", "presets", "validate", "params", "lookup", "plot", "export", "compare", "sweep", "study",
            "validate-models", "bogus", ""]
# Sizes appended to every command that would otherwise simulate at full size (argparse keeps
# the last value given); validate-models and study only ever get names that do not exist.
TINY = {"run": ["--citizens", "100", "--months", "2"],
        "compare": ["--citizens", "60", "--months", "2", "--seeds", "2", "--presets", "western,sesame-2015"]}


def check_argv(command, tokens, finished_path, out_name):
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / out_name
        argv = [command] + [str(out) if t == "OUT" else str(finished_path) if t == "RUN" else t for t in tokens]
        if command == "compare":  # runs here, one after the other (a Dask cluster takes seconds to start)
            argv = [a for a in argv if a not in ("--workers", "--scheduler")]
        if command in ("validate-models", "study"):
            argv = [command, "no-such-model-" + "".join(t for t in tokens if t.isalnum())[:8]]
        argv += TINY.get(command, []) + (["--out", str(out)] if command in ("run", "compare", "sweep") else [])
        rc, _, err = call(*argv)
        assert_contract(rc, err, out, ok=(0,))


def test_command_lines(finished):
    from hypothesis import given, settings

    from .fuzzing import COMMON

    @settings(max_examples=120, **COMMON)
    @given(command=st.sampled_from(COMMANDS), tokens=st.lists(st.one_of(TOKENS, st.sampled_from(["OUT", "RUN"])), max_size=5),
           out_name=st.sampled_from(["o", "o.png", "o.csv"]))
    def prop(command, tokens, out_name):
        check_argv(command, tokens, finished, out_name)

    prop()


@pytest.mark.fuzz
def test_command_lines_many(finished):
    from hypothesis import given, settings

    from .fuzzing import COMMON, FUZZ_SCALE

    @settings(max_examples=120 * FUZZ_SCALE, **COMMON)
    @given(command=st.sampled_from(COMMANDS), tokens=st.lists(st.one_of(TOKENS, st.sampled_from(["OUT", "RUN"])), max_size=8),
           out_name=st.sampled_from(["o", "o.png", "o.csv"]))
    def prop(command, tokens, out_name):
        check_argv(command, tokens, finished, out_name)

    prop()
