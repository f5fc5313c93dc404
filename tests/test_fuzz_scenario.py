"""Property: any scenario document, valid or nearly so (values in and out of range, NaN and
infinities, wrong types, unknown keys, sizes that break cross-field rules), is either accepted
and runs with every score inside the score range, or refused with exit 2 and one line, leaving
no run folder. Generic over the schema: every field of ``scsim.scenario`` can be drawn."""

from __future__ import annotations

import math
import tempfile
from pathlib import Path

import duckdb
import tomli_w
from hypothesis import strategies as st

from scsim.scenario import SCORE_CEIL, SCORE_FLOOR, preset_names
from scsim.sweep.spec import FIELDS, SCALAR_KEYS

from .fuzzing import assert_contract, bounded_and_large, call


def _bounds(key: str) -> tuple[float, float]:
    lo, hi = -1e6, 1e6
    for m in FIELDS[key].metadata:
        lo = getattr(m, "ge", None) if getattr(m, "ge", None) is not None else getattr(m, "gt", None) or lo
        hi = getattr(m, "le", None) if getattr(m, "le", None) is not None else getattr(m, "lt", None) or hi
    return float(lo), float(hi)


HOSTILE = st.one_of(st.sampled_from([math.nan, math.inf, -math.inf, -1, 0, 10**30, -(10**30), "", "3", "0.5", "yes",
                                     "nan", True, False]),
                    st.text(max_size=8), st.lists(st.integers(), max_size=2), st.dictionaries(st.text(max_size=3),
                                                                                              st.integers(), max_size=1))


def value(key: str):
    """Mostly a value of the field's type inside its range; sometimes anything at all."""
    ann = FIELDS[key].annotation
    lo, hi = _bounds(key)
    if ann is float:
        typed = st.floats(min_value=lo, max_value=hi, allow_nan=False, allow_infinity=False)
    elif ann is int:
        typed = st.integers(min_value=int(max(lo, -1e6)), max_value=int(min(hi, 1e6)))
    elif ann is bool:
        typed = st.booleans()
    else:
        typed = st.sampled_from([FIELDS[key].default]) if FIELDS[key].default is not None else st.none()
    return st.one_of(typed, typed, typed, HOSTILE)


def _set(doc: dict, key: str, v) -> None:
    *sections, name = key.split(".")
    node = doc
    for s in sections:
        node = node.setdefault(s, {})
        if not isinstance(node, dict):
            return
    node[name] = v


@st.composite
def documents(draw):
    """A scenario: a preset (or none), a tiny size, a few fields drawn, maybe an unknown key."""
    doc: dict = {}
    if draw(st.booleans()):
        doc["extends"] = draw(st.sampled_from(preset_names() + ["no-such-preset", "../escape.toml"]))
    citizens = draw(st.one_of(st.integers(40, 150), st.integers(-5, 40)))
    doc["population"] = {"citizens": citizens}
    doc["run"] = {"months": draw(st.integers(1, 3)), "seed": draw(st.integers(0, 2**31))}
    for key in draw(st.lists(st.sampled_from([k for k in SCALAR_KEYS if k not in ("run.months", "population.citizens",
                                                                                    "network.path")]), max_size=4)):
        v = draw(value(key))
        if v is not None:
            _set(doc, key, v)
    rarely = st.sampled_from([False] * 9 + [True])  # (Hypothesis leans to the first choice)
    if draw(rarely):
        _set(doc, draw(st.sampled_from(["colour", "run.colour", "network.model_name", "scoring.points.bonus"])), 1)
    if draw(rarely):  # a generated network about as big as its citizens
        doc.setdefault("network", {})
        if isinstance(doc["network"], dict):
            doc["network"]["mean_degree"] = float(citizens + draw(st.integers(-3, 3)))
    return doc


def check_document(doc, run):
    """``validate`` always; ``run`` (tiny) when asked and the document is valid."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "fuzz.toml"
        path.write_text(tomli_w.dumps(doc))
        rc, _, err = call("validate", path)
        assert_contract(rc, err)
        if rc != 0 or not run:
            return
        out = Path(tmp) / "out"
        rc, stdout, err = call("run", path, "--out", out, "--quiet")
        assert_contract(rc, err, out)
        if rc == 0:
            with duckdb.connect(str(out / "results.duckdb"), read_only=True) as con:
                lo, hi = con.execute("SELECT min(score), max(score) FROM citizens WHERE NOT isnan(score)").fetchone()
            assert lo is None or SCORE_FLOOR <= lo <= hi <= SCORE_CEIL


test_scenario_documents, test_scenario_documents_many = bounded_and_large(
    check_document, 150, doc=documents(), run=st.just(False))
test_scenario_documents_run, test_scenario_documents_run_many = bounded_and_large(
    check_document, 12, doc=documents(), run=st.just(True))
