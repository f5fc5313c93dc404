"""Scenarios: presets, extension, schema."""

import pytest

from scsim.errors import InputError
from scsim.scenario import Scenario, load_preset, load_scenario, parameter_table, preset_names


def test_presets_load_and_differ_as_model_section_8_says():
    assert {"western", "sesame-2015", "social-credit-2020"} <= set(preset_names())
    w, s, c = (load_preset(p) for p in ("western", "sesame-2015", "social-credit-2020"))
    assert w.scoring.method == "scorecard" and w.scoring.association.mode == "off" and not w.scoring.political.enabled
    assert s.scoring.association.mode == "mean" and not s.sanctions.enabled and not s.scoring.political.enabled
    assert c.scoring.political.enabled and c.sanctions.enabled and c.register.enabled and c.register.public
    assert [p.threshold for p in c.privileges] == [600, 650, 700, 750]


def test_scenario_extends_a_preset_and_overrides(tmp_path):
    f = tmp_path / "s.toml"
    f.write_text('extends = "social-credit-2020"\nname = "mine"\n[population]\ncitizens = 1234\n'
                 '[scoring.association]\npoints = 50.0\n')
    sc = load_scenario(f)
    base = load_preset("social-credit-2020")
    assert sc.name == "mine" and sc.population.citizens == 1234 and sc.scoring.association.points == 50
    assert sc.scoring.political == base.scoring.political and sc.sanctions == base.sanctions


def test_toml_round_trip(tmp_path):
    sc = load_preset("social-credit-2020")
    f = tmp_path / "round.toml"
    f.write_text(sc.to_toml())
    assert load_scenario(f) == sc


def test_unknown_key_suggests_the_closest(tmp_path):
    f = tmp_path / "s.toml"
    f.write_text('[scoring.association]\nmod = "mean"\n')
    with pytest.raises(InputError, match=r"unknown key 'scoring.association.mod' \(did you mean 'mode'\?\)"):
        load_scenario(f)


@pytest.mark.parametrize("over, fragment", [
    ({"behaviour.ties.churn": 1.5}, "behaviour.ties.churn"),
    ({"scoring.min_score": 300.0}, "scoring.min_score"),
    ({"scoring.min_score": 900.0, "scoring.max_score": 800.0}, "min_score must be below max_score"),
    ({"phases.mandatory_start": "2020-13"}, "not a month"),
])
def test_invalid_values(over, fragment):
    with pytest.raises(InputError, match=None) as err:
        load_preset("sesame-2015").with_overrides(**over)
    assert fragment in str(err.value)


def test_thresholds_must_increase():
    data = load_preset("sesame-2015").model_dump()
    data["privileges"][1]["threshold"] = 590
    with pytest.raises(ValueError, match="increasing"):
        Scenario.model_validate(data)


def test_every_parameter_is_documented_with_a_range():
    rows = parameter_table()
    keys = {r[0] for r in rows}
    assert {"population.citizens", "scoring.association.mode", "sanctions.internet_reach", "run.seed"} <= keys
    for key, default, unit, rng, desc in rows:
        assert desc, f"{key} has no description"
    numeric = [r for r in rows if r[1].replace(".", "", 1).isdigit()]
    assert sum(1 for r in numeric if r[3]) / len(numeric) > 0.9  # nearly every number has a range


def test_the_bundled_network_is_a_model_by_name(tmp_path):
    f = tmp_path / "fb.toml"
    f.write_text('extends = "western"\n[network]\nmodel = "ego-facebook"\n')
    sc = load_scenario(f)
    assert (sc.network.model, sc.network.path) == ("edgelist", "ego-facebook")  # read as the edge list
    f.write_text('extends = "western"\n[network]\nmodel = "ego-facebook"\npath = "mine.txt"\n')
    with pytest.raises(InputError, match="fb.toml: network: model = 'ego-facebook' is the network shipped with scsim"):
        load_scenario(f)
