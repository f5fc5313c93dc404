"""The sweep file: its ``[sweep]``, ``[set]`` and ``[vary]`` tables, read and checked.

Everything the file says is checked here, before anything is created on disk: the keys (with the
closest valid one for a misspelt key), the design's needs and both ends of every range, on the
base scenario with ``[set]`` applied.
"""

from __future__ import annotations

import difflib
import math
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ..errors import InputError
from ..scenario import Scenario, confined_file, load_preset, load_scenario, schema_message

SECTIONS = ("sweep", "set", "vary")
MAX_RUNS = 1_000_000  # points x seeds: a sweep's plan and its combined tables must fit in memory


# ---------------------------------------------------------------- the sweep file


class _Strict(BaseModel):
    """As the scenario's sections: no unknown key, no coercion ("3" is not 3), finite numbers."""

    model_config = ConfigDict(extra="forbid", strict=True, allow_inf_nan=False)


class SweepOptions(_Strict):
    """The ``[sweep]`` table."""

    name: str | None = Field(None, description="sweep name (default: the file's name); the default out folder is sweeps/NAME")
    base: str = Field("social-credit-2020", description="a preset name, or a scenario file (.toml) relative to the sweep file, inside its folder")
    design: Literal["grid", "lhs", "sobol"] = Field(..., description="grid, lhs (Latin hypercube) or sobol (Saltelli)")
    samples: int | None = Field(None, ge=1, description="lhs: points; sobol: N (points = N * (2D + 2)); unused by grid")
    seeds: int = Field(1, ge=1, le=10_000, description="runs per point, on seeds 1..seeds")
    seed: int = Field(1, ge=0, description="seed of the design itself (lhs sampling, sobol scrambling, bootstrap)")
    window: int = Field(12, ge=1, description="final months averaged into each run's summary")


class Range(_Strict):
    """A ``{ low = .., high = .. }`` range to sample (lhs, sobol)."""

    low: float
    high: float


@dataclass(frozen=True)
class Parameter:
    """One varied scenario key: a list of values (grid) or a range (lhs, sobol)."""

    key: str
    kind: str  # "int", "float" or "other" (the scenario field's type)
    values: tuple | None = None
    low: float | None = None
    high: float | None = None

    def typed(self, value: float):
        """A sampled value in the field's type: integer fields are rounded."""
        return int(round(value)) if self.kind == "int" else float(value)


@dataclass
class SweepSpec:
    """A validated sweep: the base scenario with ``[set]`` applied, and what to vary."""

    source: str  # the sweep file, for messages
    name: str
    options: SweepOptions
    base: Scenario
    fixed: dict[str, Any]
    params: list[Parameter]

    @property
    def keys(self) -> list[str]:
        return [p.key for p in self.params]


def load_sweep(path: str | Path) -> SweepSpec:
    """Read and validate a sweep file (one-line ``InputError`` naming the file and key)."""
    path = Path(path)
    if path.is_dir():
        raise InputError(f"{path}: is a folder, not a sweep file")
    if not path.is_file():
        raise InputError(f"{path}: no such sweep file")
    try:
        data = tomllib.loads(path.read_text())
    except (OSError, UnicodeDecodeError) as e:
        raise InputError(f"{path}: cannot read: {e}") from None
    except tomllib.TOMLDecodeError as e:
        raise InputError(f"{path}: not valid TOML: {e}") from None
    return parse_sweep(data, str(path), path.parent, default_name=path.stem)


def parse_sweep(data: dict, source: str, root: Path, default_name: str = "sweep") -> SweepSpec:
    """Validate a parsed sweep file; ``root`` is where a relative ``base`` file is looked up."""
    for key in data:
        if key not in SECTIONS:
            raise InputError(f"{source}: unknown key '{key}'{_hint(key, SECTIONS)}")
    if "sweep" not in data:
        raise InputError(f"{source}: a [sweep] table is needed (base, design, samples, seeds)")
    options = _validate_options(data["sweep"], source)
    fixed = _flatten(_table(data, "set", source), source, "set", ranges=False)
    vary = _flatten(_table(data, "vary", source), source, "vary", ranges=True)
    for key in vary:
        if key in fixed:
            raise InputError(f"{source}: '{key}' is both in [set] and in [vary]")
    base = _apply(_base_scenario(options.base, root, source), fixed, source)
    params = [_parameter(key, value, options.design, source) for key, value in vary.items()]
    if not params:
        raise InputError(f"{source}: vary: name at least one scenario key to vary")
    _check_design(options, params, source)
    check_size(options, params, source)
    spec = SweepSpec(source, options.name or default_name, options, base, fixed, params)
    _check_range_ends(spec)
    return spec


def _validate_options(table: Any, source: str) -> SweepOptions:
    if not isinstance(table, dict):
        raise InputError(f"{source}: sweep: must be a table")
    try:
        return SweepOptions.model_validate(table)
    except ValidationError as e:
        raise InputError(_one_line(e, f"{source}: ", "sweep.", SweepOptions.model_fields)) from None


def _one_line(e: ValidationError, head: str, prefix: str, fields) -> str:
    """A pydantic error as one line: an unknown key with the closest valid one, or what is wrong."""
    err = _first_error(e)
    where = ".".join(str(p) for p in err["loc"])
    if err["type"] == "extra_forbidden":
        return f"{head}unknown key '{prefix}{where}'{_hint(where, fields)}"
    return f"{head}{prefix}{where}: {schema_message(err)}"


def _first_error(e: ValidationError) -> dict:
    """A misspelt key first: its 'did you mean' explains the 'field required' that follows."""
    return sorted(e.errors(), key=lambda err: err["type"] != "extra_forbidden")[0]


def _table(data: dict, name: str, source: str) -> dict:
    table = data.get(name, {})
    if not isinstance(table, dict):
        raise InputError(f"{source}: {name}: must be a table of scenario keys")
    return table


def _hint(word: str, choices) -> str:
    close = difflib.get_close_matches(word, list(choices), n=1)
    return f" (did you mean '{close[0]}'?)" if close else ""


# ---------------------------------------------------------------- scenario keys


def _walk_fields(model: type[BaseModel] = Scenario, prefix: str = ""):
    """(dotted key, field) for every field of the scenario schema, sections included."""
    for name, f in model.model_fields.items():
        yield prefix + name, f
        if isinstance(f.annotation, type) and issubclass(f.annotation, BaseModel):
            yield from _walk_fields(f.annotation, prefix + name + ".")


FIELDS = dict(_walk_fields())
SECTION_KEYS = {k for k, f in FIELDS.items() if isinstance(f.annotation, type) and issubclass(f.annotation, BaseModel)}
SCALAR_KEYS = sorted(k for k, f in FIELDS.items() if k not in SECTION_KEYS and "list" not in str(f.annotation))


def _flatten(table: dict, source: str, where: str, ranges: bool, prefix: str = "") -> dict[str, Any]:
    """Dotted keys for both spellings, ``"a.b" = 1`` and ``[set.a] b = 1``. A table below a
    known scenario section is descended into; in [vary] any other table is a range."""
    out: dict[str, Any] = {}
    for key, value in table.items():
        full = prefix + key
        if isinstance(value, dict) and full in SECTION_KEYS:
            out.update(_flatten(value, source, where, ranges, full + "."))
        elif isinstance(value, dict) and not ranges:
            raise InputError(f"{source}: {where}: '{full}' is not a scenario section{_hint(full, SECTION_KEYS)}")
        else:
            out[full] = value
    return out


def _check_key(key: str, source: str, where: str) -> None:
    """A real scenario key that holds one value (not a section, not a list)."""
    if key not in FIELDS:
        raise InputError(f"{source}: {where}: unknown scenario key '{key}'{_hint(key, SCALAR_KEYS)}")
    if key == "run.seed":
        raise InputError(f"{source}: {where}: 'run.seed' is set by the sweep (seeds 1..sweep.seeds)")
    if key in SECTION_KEYS:
        raise InputError(f"{source}: {where}: '{key}' is a section, not a parameter")
    if key not in SCALAR_KEYS and where == "vary":
        raise InputError(f"{source}: vary: '{key}' is a list; a sweep varies single values")


def _kind(key: str) -> str:
    ann = FIELDS[key].annotation
    return "int" if ann is int else "float" if ann is float else "other"


def _base_scenario(base: str, root: Path, source: str) -> Scenario:
    """A preset by name, or a scenario file (``*.toml``) relative to the sweep file."""
    if base.endswith(".toml"):  # the rule of a scenario's ``extends``: inside the sweep file's folder
        path = confined_file(base, root, source, "sweep.base", "the sweep file")  # (its line names both)
    try:
        return load_scenario(path) if base.endswith(".toml") else load_preset(base)
    except InputError as e:
        raise InputError(f"{source}: sweep.base: {e}") from None


def _apply(sc: Scenario, fixed: dict[str, Any], source: str) -> Scenario:
    """``sc`` with the [set] overrides, each key checked first."""
    for key in fixed:
        _check_key(key, source, "set")
    try:
        return sc.with_overrides(**fixed)
    except InputError as e:
        raise InputError(f"{source}: set: {str(e).removeprefix('overrides: ')}") from None


# ---------------------------------------------------------------- parameters


def _parameter(key: str, value: Any, design: str, source: str) -> Parameter:
    _check_key(key, source, "vary")
    kind = _kind(key)
    if isinstance(value, list):
        if not value:
            raise InputError(f"{source}: vary: '{key}': empty list of values")
        if design != "grid":
            raise InputError(f"{source}: vary: '{key}': design '{design}' samples a range "
                             f"({{ low = .., high = .. }}), not a list of values")
        return Parameter(key, kind, values=tuple(value))
    if isinstance(value, dict):
        if design == "grid":
            raise InputError(f"{source}: vary: '{key}': design 'grid' needs a list of values, not a range")
        if kind == "other":
            raise InputError(f"{source}: vary: '{key}' is not numeric: a grid of values can vary it, a range cannot")
        try:
            r = Range.model_validate(value)
        except ValidationError as e:
            raise InputError(_one_line(e, f"{source}: vary: '{key}': ", "", ("low", "high"))) from None
        if not r.low < r.high:
            raise InputError(f"{source}: vary: '{key}': empty range (low {r.low:g} must be below high {r.high:g})")
        return Parameter(key, kind, low=r.low, high=r.high)
    raise InputError(f"{source}: vary: '{key}': give a list of values (grid) or {{ low = .., high = .. }} (lhs, sobol)")


def _check_design(o: SweepOptions, params: list[Parameter], source: str) -> None:
    if o.design == "grid":
        return
    if o.samples is None:
        what = "points" if o.design == "lhs" else "N (points = N * (2 x parameters + 2))"
        raise InputError(f"{source}: sweep.samples: design '{o.design}' needs samples ({what})")
    if o.design == "sobol" and (o.samples < 2 or o.samples & (o.samples - 1)):
        raise InputError(f"{source}: sweep.samples: design 'sobol' needs a power of two of at least 2 "
                         f"(Sobol' sequences balance only then), got {o.samples}")


def check_size(o: SweepOptions, params: list[Parameter], source: str) -> None:
    """At most ``MAX_RUNS`` runs (points x seeds), checked before any point is drawn."""
    if o.design == "grid":
        points = math.prod(len(p.values) for p in params)
        what = "the grid has " + " x ".join(str(len(p.values)) for p in params) + f" = {points:,} points"
    else:
        points = o.samples if o.design == "lhs" else o.samples * (2 * len(params) + 2)
        what = f"sweep.samples = {o.samples:,} gives {points:,} points"
    if points * o.seeds > MAX_RUNS:
        raise InputError(f"{source}: {what}, x {o.seeds} seeds = {points * o.seeds:,} runs; "
                         f"a sweep runs at most {MAX_RUNS:,}")


def _check_range_ends(spec: SweepSpec) -> None:
    """Both ends of every range must be valid on the base scenario, whatever points are drawn."""
    for p in spec.params:
        if p.values is not None:
            continue
        for end, value in (("low", p.low), ("high", p.high)):
            value = p.typed(value)
            try:
                spec.base.with_overrides(**{p.key: value})
            except InputError as e:
                raise InputError(f"{spec.source}: vary: '{p.key}' {end} = {value:g}: "
                                 f"{str(e).removeprefix('overrides: ').removeprefix(p.key + ': ')}") from None
