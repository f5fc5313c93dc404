"""Studies of the article's four claims (issue: experiments). Each is a folder under ``studies/``
with a ``study.toml`` (see ``common``). ``scsim study FOLDER --publish`` regenerates its published
results, ``FOLDER/results`` (or ``results-facebook`` with ``--edgelist ego-facebook``): a figure,
a table with 95% intervals over seeds, the assumption sweep, and ``results.json`` with the
headline numbers that the folder's README quotes. Without ``--publish`` (``--fast``, ``--set``,
another network, or the full size as a check) results go to a scratch folder, so that no
command but that one replaces what the READMEs quote.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from .. import tables
from ..errors import InputError
from ..network import edgelist_path
from ..outputs import check_writable_folder, folder_lock, staged
from ..parallel import cluster
from ..scenario import BUNDLED_NETWORKS, load_preset
from . import chilling, exile, selection, sensitivity, stasi
from .common import Setting, load_spec

STUDIES = {"chilling-effect": chilling, "social-exile": exile, "selection": selection, "stasi": stasi,
           "sensitivity": sensitivity}


STUDY_SIZES = {"run.seed", "run.months", "population.citizens", "run.start"}  # a study's own, not --set's
SCRATCH = Path("runs") / "studies"  # where a run not at a study's published size goes by default


def results_folder(folder: Path, edgelist, fast: bool, settings: dict, publish: bool,
                   out, overwrite: bool) -> Path:
    """Where a study's results go. The published ones (``FOLDER/results``, or
    ``results-facebook`` on the ego-Facebook graph) only with ``publish``, which runs at the
    study's own sizes; every other run in a scratch folder (``runs/studies/NAME...``,
    replaced at each run) or in ``out``, refused if it holds results unless ``overwrite``."""
    facebook = edgelist is not None and Path(str(edgelist)).name in (*BUNDLED_NETWORKS, *BUNDLED_NETWORKS.values())
    if publish:
        if fast or settings or (edgelist is not None and not facebook):
            raise InputError(f"{folder}: --publish regenerates the published results at the study's own sizes "
                             "(study.toml): drop --fast and --set, and use no --edgelist but ego-facebook")
        if out is not None:
            raise InputError(f"{folder}: --publish writes to the study's folder: drop --out")
        return folder / ("results-facebook" if facebook else "results")
    if out is None:
        tag = "" if edgelist is None else "-facebook" if facebook else "-" + Path(str(edgelist)).name.split(".")[0]
        return SCRATCH / f"{folder.resolve().name}{tag}{'-fast' if fast else ''}"
    out = Path(out)
    if (out / "results.json").exists() and not overwrite:
        raise InputError(f"{out}: already holds a study's results; pass --overwrite to replace them, or choose another "
                         "--out")
    return out


def run_study(folder: str | Path, fast: bool = False, edgelist: str | Path | None = None, out: str | Path | None = None,
              progress: bool = False, workers: int | None = None, scheduler: str | None = None,
              connect_timeout: float = 10.0, settings: dict | None = None, publish: bool = False,
              overwrite: bool = False, table_format: str | None = None) -> dict:
    """Run the study in ``folder``; returns its headline numbers (also in ``out/results.json``)
    and, under ``"folder"``, where the results are (``results_folder``: the published
    results are replaced only with ``publish``). ``settings`` ('section.key': value, as
    ``scsim study --set``) apply to every run after the study's own. ``workers`` > 1 runs the
    simulations side by side on a local Dask cluster, ``scheduler`` on an existing one (same
    results either way). ``table_format`` 'latex' or 'text' writes every table in that
    format too, beside the Markdown."""
    folder = Path(folder)
    spec = load_spec(folder)
    settings = dict(settings or {})
    for key in STUDY_SIZES.intersection(settings):
        raise InputError(f"--set {key}: a study sets it itself (seeds, citizens and months are study.toml's; "
                         "--fast for the small ones)")
    if spec.study not in STUDIES:
        raise InputError(f"{folder / 'study.toml'}: study: unknown study '{spec.study}' (studies: {', '.join(STUDIES)})")
    if table_format not in (None, *tables.FORMATS):
        raise InputError(f"--table-format {table_format}: use one of {', '.join(tables.FORMATS)}")
    given = out is not None
    out = results_folder(folder, edgelist, fast, settings, publish, out, overwrite)
    check_writable_folder(out, "scsim study: --out" if given else "scsim study: the results folder")
    if fast:
        spec = spec.shrunk()
    if edgelist is not None:
        edgelist = edgelist_path(edgelist).resolve()
        if not edgelist.is_file():
            raise InputError(f"--edgelist: {edgelist}: no such file")
    for regime in {*spec.regimes, *([spec.assumption.regime] if spec.assumption else [])}:
        load_preset(spec.regime(regime)[0]).with_settings(settings, "--set")  # a bad --set names itself, before any run
    spec = spec.model_copy(update={"set": {**spec.set, **settings}})
    where = cluster(workers, scheduler, connect_timeout, "scsim study")  # bad options fail here
    setting = Setting(spec.citizens, spec.months, edgelist, int(workers or 1), table_format=table_format)
    for regime in spec.regimes:  # bad overrides fail here, before any run
        setting.regime(spec, regime, 1)
    if spec.assumption is not None:
        a = spec.assumption
        for value in a.values:
            setting.regime(spec, a.regime, 1, {a.parameter: value, **{k: v[0] for k, v in a.also.items()}})
    if spec.sobol is not None:  # every factor at both ends of its range
        for name, f in spec.sobol.factors.items():
            for x in (f.low, f.high):
                point = [x if k == name else g.low for k, g in spec.sobol.factors.items()]
                for regime in spec.regimes:
                    setting.regime(spec, regime, 1, sensitivity.point_overrides(spec, point))
    # every file written in a staging folder inside ``out`` and moved into it when all are
    # written (a full disk or a Ctrl-C leaves ``out`` as it was); ``out`` locked meanwhile
    with staged("scsim study:") as outputs:
        stage = outputs.folder(out)
        with folder_lock(out, "a study"):  # another process's study there: refused before any run
            with where as client:  # an unreachable scheduler fails here, before any run
                setting.client = client
                headline = STUDIES[spec.study].analyse(spec, setting, stage, progress)
            headline = {"study": spec.study, "seeds": spec.seeds, "citizens": spec.citizens, "months": spec.months,
                        "network": str(edgelist.name) if edgelist else "watts-strogatz", "fast": fast,
                        **({"set": settings} if settings else {}), **headline}
            (stage / "results.json").write_text(json.dumps(headline, indent=1, default=float) + "\n")
    return {**headline, "folder": str(out)}


def headline_display(headline: dict) -> tables.Display:
    """A study's headline numbers (``run_study``'s answer) as a table: one finding a row."""
    rows = []

    def walk(prefix: list[str], node) -> None:
        for key, value in node.items():
            if isinstance(value, dict):
                walk([*prefix, str(key)], value)
            else:
                rows.append({"finding": " / ".join([*prefix, str(key)]).replace("_", " "), "value [95% CI]": str(value)})

    walk([], {k: v for k, v in headline.items() if isinstance(v, dict) and k != "set"})
    h = headline
    caption = (f"{h['study']}: {h['seeds']} seeds x {h['citizens']:,} citizens x {h['months']} months on "
               f"{h['network']}{' (--fast: the test sizes, not the published ones)' if h.get('fast') else ''}; "
               f"95% CI over seeds (Student t, clipped to the metric's range)")
    notes = [tables.NOTE_CLIPPED] if any(tables.CLIPPED in r["value [95% CI]"] for r in rows) else []
    notes += [f"results: {h['folder']}"] if "folder" in h else []
    return tables.Display(pd.DataFrame(rows, columns=["finding", "value [95% CI]"]), caption, notes)
