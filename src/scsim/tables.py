"""Tables for a paper: means over seeds with their intervals, formatted per metric, as text,
Markdown or LaTeX (``scsim compare``, ``scsim study``).

A table of results (``compare``'s, a study's) has one row per metric and group (a regime, a
swept value) with the columns ``mean``, ``low``, ``high``, ``n`` and ``clipped`` and, for a
table against a baseline, ``diff``, ``diff_low``, ``diff_high``, ``diff_clipped``. ``display``
turns it into strings: each number to the precision its unit calls for (``number``), a bound
moved to the metric's range marked with a dagger, the baseline's own difference left out, a
value that is missing written as a dash with the reason in the notes, and the number of seeds
in the caption. ``render`` writes that as Markdown, LaTeX or plain text.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from .errors import InputError
from .summary import difference_range, metric_range, unit

FORMATS = ("markdown", "latex", "text")
SUFFIXES = {".md": "markdown", ".tex": "latex", ".txt": "text"}
CLIPPED = "\u2020"  # dagger: a bound clipped to the metric's range
MISSING = "\u2014"  # em dash

# decimals by unit: enough to read a difference that matters, not the noise beyond it
DECIMALS = {"points": 1, "citizens": 0, "ties": 0, "count": 0, "ties per citizen": 2, "generations": 1,
            "month": 0}
DEFAULT_DECIMALS = 3  # shares, tau, correlations, posts per citizen

NOTE_CLIPPED = (f"{CLIPPED} bound clipped to the metric's range (a share's interval stays in [0, 1]; "
                "a count's stays at or above 0): the Student-t interval went beyond it.")
NOTE_MISSING = (f"{MISSING} not defined in any run of this group (e.g. the score of a regime without one, "
                "or a network metric no month in the window measured).")
NOTE_ONE = "one seed only: no interval."


def decimals(metric: str, *values: float) -> int:
    """Decimals for ``values`` of ``metric``: its unit's, or more so that the largest value
    shows two significant digits (a share of 0.00026 is not 0.000)."""
    base = DECIMALS.get(unit(metric), DEFAULT_DECIMALS)
    finite = [abs(v) for v in values if v is not None and math.isfinite(v) and v != 0]
    if not finite:
        return base
    needed = 1 - math.floor(math.log10(max(finite)))
    return min(max(base, needed), 6)


def number(metric: str, x: float, sign: bool = False, digits: int | None = None) -> str:
    """One value of ``metric`` as a paper prints it: '0.123', '517.1', '1,100', '+0.040'."""
    if x is None or not math.isfinite(x):
        return MISSING
    d = decimals(metric, x) if digits is None else digits
    return f"{x:{'+' if sign else ''},.{d}f}"


def cell(metric: str, mean: float, low: float, high: float, clipped: bool = False, difference: bool = False) -> str:
    """'mean [low, high]' to one precision (signed for a ``difference``); a bound clipped to the
    range marked; a missing value a dash."""
    if mean is None or not math.isfinite(mean):
        return MISSING
    if low is None or not math.isfinite(low):
        return number(metric, mean, difference)
    d = decimals(metric, mean, low, high)
    edges = difference_range(metric) if difference else metric_range(metric)

    def bound(b: float) -> str:
        return number(metric, b, difference, d) + (CLIPPED if clipped and b in edges else "")

    return f"{number(metric, mean, difference, d)} [{bound(low)}, {bound(high)}]"


@dataclass
class Display:
    """A results table as strings, with its caption and the notes its cells call for."""

    frame: pd.DataFrame
    caption: str
    notes: list[str] = field(default_factory=list)


def display(t: pd.DataFrame, group: str | list[str], caption: str, baseline=None, level: float = 0.95) -> Display:
    """The strings of results table ``t`` (see the module docstring) grouped by ``group`` (a
    column, or several: a swept value and a second one); differences against ``baseline``, a
    value of the first."""
    groups = [group] if isinstance(group, str) else list(group)
    has_diff = "diff" in t and baseline is not None
    ci = f"{level:.0%} CI"
    rows = []
    for r in t.to_dict("records"):
        m = r["metric"]
        row = {"metric": m, "unit": unit(m), **{g: r[g] for g in groups},
               f"mean [{ci}]": cell(m, r["mean"], r["low"], r["high"], bool(r.get("clipped", False)))}
        if has_diff:
            row[f"difference from {baseline} [{ci}]"] = ("baseline" if r[groups[0]] == baseline else
                                                          cell(m, r["diff"], r["diff_low"], r["diff_high"],
                                                               bool(r.get("diff_clipped", False)), difference=True))
        rows.append(row)
    frame = pd.DataFrame(rows)
    seeds = sorted({int(n) for n in t["n"] if n > 0}) if "n" in t else []  # n = 0: nothing to count
    if len(seeds) > 1:  # say per row when rows rest on different numbers of seeds
        frame.insert(2 + len(groups), "seeds", [str(int(n)) if n > 0 else MISSING for n in t["n"]])
    if seeds:
        caption += f"; {ci} over {seeds[0] if len(seeds) == 1 else f'{seeds[0]}-{seeds[-1]}'} seeds"
        caption += " (Student t, clipped to the metric's range)"
    text = frame.to_string()
    notes = [note for mark, note in ((CLIPPED, NOTE_CLIPPED), (MISSING, NOTE_MISSING)) if mark in text]
    if 1 in seeds:
        notes.append(NOTE_ONE)
    return Display(frame, caption, notes)


def render(d: Display, fmt: str) -> str:
    """``d`` as 'markdown', 'latex' (a tabular with booktabs rules, in a table with its caption
    and notes) or 'text'."""
    if fmt == "markdown":
        cols = list(d.frame.columns)
        lines = [f"*{_md(d.caption)}*", "", "| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
        lines += ["| " + " | ".join(_md(str(v)) for v in row) + " |" for row in d.frame.itertuples(index=False)]
        return "\n".join(lines + ([""] + [_md(n) + "  " for n in d.notes] if d.notes else [])) + "\n"
    if fmt == "latex":
        body = d.frame.to_latex(index=False, escape=True, caption=_tex(d.caption), position="htbp")
        body = body.replace(CLIPPED, r"$^\dagger$").replace(MISSING, "---")
        if d.notes:
            notes = " ".join(n.replace(CLIPPED, r"$^\dagger$").replace(MISSING, "---") for n in d.notes)
            body = body.replace(r"\end{table}", "\\par\\footnotesize " + _tex(notes) + "\n\\end{table}")
        return body
    if fmt == "text":
        return "\n".join([d.caption, d.frame.to_string(index=False), *d.notes]) + "\n"
    raise InputError(f"table format '{fmt}': use one of {', '.join(FORMATS)}")


def _md(text: str) -> str:
    return text.replace("|", "/").replace("*", r"\*")


def _tex(text: str) -> str:
    for a, b in (("%", r"\%"), ("_", r"\_"), ("&", r"\&"), ("#", r"\#")):
        text = text.replace(a, b)
    return text


def format_for(path: Path, fmt: str | None) -> str:
    """The format of a table file: ``fmt`` if given, else from the suffix (.md, .tex, .txt)."""
    if fmt is not None:
        if fmt not in FORMATS:
            raise InputError(f"--table-format {fmt}: use one of {', '.join(FORMATS)}")
        return fmt
    if path.suffix.lower() not in SUFFIXES:
        raise InputError(f"{path}: a table file ends in .md, .tex or .txt (or give --table-format)")
    return SUFFIXES[path.suffix.lower()]


def write(d: Display, path: Path, fmt: str | None = None) -> Path:
    """Write ``d`` to ``path`` in ``fmt`` (or the format its suffix names)."""
    path = Path(path)
    text = render(d, format_for(path, fmt))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def print_rich(d: Display, width: int = 120) -> None:
    """``d`` on the terminal: a rich table with its caption as title and the notes below."""
    from rich.console import Console
    from rich.table import Table

    table = Table(title=d.caption, title_justify="left")
    for k, col in enumerate(d.frame.columns):
        # the first column names the row (a metric, a finding): never cut short, the others wrap
        label = max([len(str(col)), *(len(str(v)) for v in d.frame[col])]) if k == 0 else None
        table.add_column(str(col), justify="right" if "[" in str(col) or col == "seeds" else "left",
                         min_width=label, overflow="fold")
    for row in d.frame.itertuples(index=False):
        table.add_row(*(str(v) for v in row))
    console = Console(width=width)
    console.print(table)
    for note in d.notes:
        console.print(note, highlight=False)
