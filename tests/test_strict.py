"""The strict schema: finite numbers in every field, no coercion of strings, every cross-field
constraint before anything is built, ``extends`` only a preset or a file inside the scenario's
folder. Generic over the schema: a field added later is covered without a new test."""

from __future__ import annotations


import pytest

from scsim.cli import main
from scsim.errors import InputError
from scsim.scenario import LAST_YEAR, load_scenario
from scsim.sweep.spec import FIELDS, SCALAR_KEYS

from .test_bad_input import assert_input_error, cli, run_file, write


def keys_of(kind: type) -> list[str]:
    return [k for k in SCALAR_KEYS if FIELDS[k].annotation is kind]


def toml_line(key: str, value: str) -> str:
    """``[a.b]\\nc = value`` for the dotted key ``a.b.c``."""
    *section, name = key.split(".")
    return (f"[{'.'.join(section)}]\n" if section else "") + f"{name} = {value}\n"


FLOATS = keys_of(float)


def test_the_schema_has_the_fields_these_tests_walk():
    assert len(FLOATS) > 80 and len(keys_of(int)) > 5 and len(keys_of(bool)) > 4


@pytest.mark.parametrize("value", ["nan", "inf", "-inf"])
def test_no_float_field_takes_nan_or_infinity(tmp_path, capsys, value):
    for key in FLOATS:
        path = write(tmp_path / "f.toml", toml_line(key, value))
        rc, _, err = cli(capsys, "validate", path)
        assert_input_error(rc, err, "f.toml", key, "not a finite number")


@pytest.mark.parametrize("kind, text", [(float, '"0.5"'), (int, '"3"'), (bool, '"yes"'), (bool, "1"), (int, "3.0")])
def test_no_coercion_of_strings_or_numbers(tmp_path, capsys, kind, text):
    for key in keys_of(kind):
        path = write(tmp_path / "t.toml", toml_line(key, text))
        rc, _, err = cli(capsys, "validate", path)
        line = assert_input_error(rc, err, "t.toml", key, "expected")
        if text in ('"0.5"', '"3"'):
            assert "without quotes" in line


def test_a_whole_number_is_a_real_one(tmp_path):
    assert load_scenario(write(tmp_path / "w.toml", "[economy]\nborrow_prob = 0\n")).economy.borrow_prob == 0.0


@pytest.mark.parametrize("key", [k for k in SCALAR_KEYS if "start" in k])
@pytest.mark.parametrize("month", ["0001-01", "1899-12", f"{LAST_YEAR + 1}-01", "9999-12"])
def test_months_lie_in_the_calendar_scsim_plots(tmp_path, capsys, key, month):
    path = write(tmp_path / "m.toml", toml_line(key, f'"{month}"'))
    rc, _, err = cli(capsys, "validate", path)
    assert_input_error(rc, err, "m.toml", key, "calendar")


@pytest.mark.parametrize("model", ["watts-strogatz", "barabasi-albert", "block"])
@pytest.mark.parametrize("citizens, degree", [(100, 500), (20, 20), (10, 10)])
def test_mean_degree_against_citizens_for_every_generator(tmp_path, capsys, model, citizens, degree):
    out = tmp_path / "out"
    path = write(tmp_path / "deg.toml", f'[population]\ncitizens = {citizens}\n[network]\nmodel = "{model}"\n'
                                        f"mean_degree = {degree}\n")
    rc, _, err = run_file(capsys, path, out)
    assert_input_error(rc, err, "deg.toml", "network.mean_degree", f"population.citizens = {citizens}")
    assert not out.exists()


def test_blocks_against_citizens(tmp_path, capsys):
    path = write(tmp_path / "b.toml", '[population]\ncitizens = 30\n[network]\nmodel = "block"\nmean_degree = 4\n'
                                      "blocks = 31\n")
    rc, _, err = cli(capsys, "validate", path)
    assert_input_error(rc, err, "b.toml", "network.blocks")


# ----------------------------------------------------------------------------- extends


def test_extends_a_file_next_to_the_scenario(tmp_path):
    write(tmp_path / "bases" / "short.toml", 'extends = "sesame-2015"\n[run]\nmonths = 3\n'
                                            '[network]\nmodel = "edgelist"\npath = "tiny.txt"\n')
    write(tmp_path / "bases" / "tiny.txt", "0 1\n1 2\n")
    sc = load_scenario(write(tmp_path / "child.toml", 'extends = "bases/short.toml"\nname = "child"\n'))
    assert sc.run.months == 3 and sc.name == "child" and sc.scoring.association.mode == "mean"
    # the edge list named in the extended file is relative to that file
    assert sc.network.path == str((tmp_path / "bases" / "tiny.txt").resolve())


@pytest.mark.parametrize("extends, needle", [
    ("../outside.toml", "outside this scenario's folder"),
    ("/etc/anything.toml", "absolute path"),
    ("sub/../../outside.toml", "outside this scenario's folder"),
    ("../../../../../../etc/passwd", "neither a preset name"),
    ("missing.toml", "no such scenario file"),
    ("self.toml", "cycle"),
    ("sub", "unknown preset"),
])
def test_extends_never_leaves_the_scenario_folder(tmp_path, capsys, extends, needle):
    write(tmp_path / "outside.toml", "[run]\nmonths = 3\n")
    folder = tmp_path / "scenarios"
    (folder / "sub").mkdir(parents=True)
    path = write(folder / "self.toml", f'extends = "{extends}"\n')
    rc, _, err = cli(capsys, "validate", path)
    assert_input_error(rc, err, "self.toml", "extends", needle)


def test_a_link_out_of_the_folder_is_refused(tmp_path, capsys):
    write(tmp_path / "secret.toml", "[run]\nmonths = 3\n")
    (tmp_path / "sc").mkdir()
    (tmp_path / "sc" / "link.toml").symlink_to(tmp_path / "secret.toml")
    rc, _, err = cli(capsys, "validate", write(tmp_path / "sc" / "s.toml", 'extends = "link.toml"\n'))
    assert_input_error(rc, err, "s.toml", "outside")


@pytest.mark.parametrize("command", ["validate", "run", "sweep"])
def test_a_folder_given_as_a_file(tmp_path, capsys, command):
    rc, _, err = cli(capsys, command, tmp_path)
    assert_input_error(rc, err, str(tmp_path), "is a folder")


def test_an_edge_list_that_is_a_folder(tmp_path, capsys):
    (tmp_path / "edges").mkdir()
    path = write(tmp_path / "e.toml", '[run]\nmonths = 2\n[network]\nmodel = "edgelist"\npath = "edges"\n')
    rc, _, err = run_file(capsys, path, tmp_path / "out")
    assert_input_error(rc, err, "edges", "is a folder, not an edge list")


# ----------------------------------------------------------------------------- sweeps


SWEEP = """[sweep]
base = "sesame-2015"
design = "{design}"
{samples}
[set]
"population.citizens" = 200
"run.months" = 2
[vary]
{vary}
"""


@pytest.mark.parametrize("design, samples, vary, needle", [
    ("lhs", "samples = 100000000000000", '"economy.borrow_prob" = { low = 0.1, high = 0.5 }', "at most 1,000,000"),
    ("sobol", "samples = 1048576", '"economy.borrow_prob" = { low = 0.1, high = 0.5 }', "at most 1,000,000"),
    ("grid", "", "\n".join(f'"{k}" = {[0.01 * (i + 1) for i in range(40)]}' for k in
                           ("economy.borrow_prob", "behaviour.ties.churn", "behaviour.ties.cut_rate", "economy.loan_boost")),
     "40 x 40 x 40 x 40 = 2,560,000 points"),
    ("lhs", "samples = 4", '"economy.borrow_prob" = { low = nan, high = 0.5 }', "not a finite number"),
    ("lhs", "samples = 4", '"economy.borrow_prob" = { low = 0.1, high = inf }', "not a finite number"),
    ("grid", "", '"economy.borrow_prob" = [0.1, nan]', "not a finite number"),
    ("grid", "", '"behaviour.ties.churn" = [-inf]', "not a finite number"),
    ("lhs", 'samples = "10"', '"economy.borrow_prob" = { low = 0.1, high = 0.5 }', "without quotes"),
    ("grid", "", '"run.snapshot_every" = ["3"]', "without quotes"),
])
def test_sweep_sizes_and_numbers(tmp_path, capsys, design, samples, vary, needle):
    path = write(tmp_path / "s.toml", SWEEP.format(design=design, samples=samples, vary=vary))
    rc, _, err = cli(capsys, "sweep", path, "--out", tmp_path / "out", "--workers", "1")
    assert_input_error(rc, err, "s.toml", needle)
    assert not (tmp_path / "out").exists()


def test_runs_are_limited_to_what_can_plot(tmp_path):
    """The last month of the longest run from the last start year still has a plottable year."""
    sc = load_scenario(write(tmp_path / "late.toml", f'[run]\nstart = "{LAST_YEAR}-12"\nmonths = 2400\n'
                                                     "[phases]\noptin_start = \"2200-01\"\nmandatory_start = \"2200-06\"\n"))
    from scsim.scenario import month_label

    assert int(month_label(sc.run.start, sc.run.months - 1)[:4]) < 9999


@pytest.mark.parametrize("base, needle", [
    ("../outside.toml", "outside the sweep file's folder"),
    ("/etc/anything.toml", "absolute path"),
    ("sub/../../outside.toml", "outside the sweep file's folder"),
    ("../../../../../../etc/passwd", "unknown preset"),
    ("missing.toml", "no such scenario file"),
])
def test_a_sweep_base_follows_the_rule_of_extends(tmp_path, capsys, base, needle):
    """``sweep.base`` names a preset or a file relative to the sweep file, inside its folder."""
    from scsim.sweep import load_sweep

    write(tmp_path / "outside.toml", 'extends = "western"\n[run]\nmonths = 3\n')
    folder = tmp_path / "sweeps"
    (folder / "sub").mkdir(parents=True)
    path = write(folder / "s.toml", f'[sweep]\nbase = "{base}"\ndesign = "grid"\nseeds = 1\n'
                                    '[vary]\n"economy.borrow_prob" = [0.2, 0.3]\n')
    with pytest.raises(InputError, match="sweep.base") as e:
        load_sweep(path)
    assert needle in str(e.value) and str(e.value).count(str(path)) == 1 and str(e.value).count("sweep.base") == 1
    rc, _, err = cli(capsys, "sweep", path, "--out", tmp_path / "out", "--quiet")
    assert_input_error(rc, err, "s.toml", "sweep.base", needle)
    assert not (tmp_path / "out").exists()


def test_a_sweep_base_inside_its_folder_is_used(tmp_path):
    from scsim.sweep import load_sweep

    folder = tmp_path / "sweeps"
    write(folder / "bases" / "short.toml", 'extends = "western"\n[run]\nmonths = 3\n')
    path = write(folder / "s.toml", '[sweep]\nbase = "bases/short.toml"\ndesign = "grid"\nseeds = 1\n'
                                    '[vary]\n"economy.borrow_prob" = [0.2, 0.3]\n')
    assert load_sweep(path).base.run.months == 3
