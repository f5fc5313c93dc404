"""The ``scsim`` command line. Bad input gets one line on stderr and exit status 2."""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import sys
import threading
import time
import traceback
from pathlib import Path

from .errors import InputError, ScsimError, interrupt_in, os_error_line


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # one line, exit 2, no usage dump
        raise InputError(f"{self.prog}: {message}")


def _count(text: str) -> int:
    try:
        value = int(text.replace("_", ""))
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a whole number") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"'{text}' must not be negative")
    return value


def build_parser() -> argparse.ArgumentParser:
    from .version import __version__

    p = _Parser(prog="scsim", description="Simulate social credit systems on synthetic citizens.")
    p.add_argument("--debug", action="store_true", help="on an error, print the traceback too (also after the command)")
    p.add_argument("--version", action="version", version=f"scsim {__version__}")
    sub = _Commands(p.add_subparsers(dest="command", required=True, parser_class=_Parser))

    r = sub.add_parser("run", help="run a scenario (default: the social-credit-2020 preset)")
    r.add_argument("scenario", nargs="?", help="scenario TOML file")
    r.add_argument("--preset", help="run a preset instead of a file")
    r.add_argument("--citizens", type=_count, help="number of citizens (generated networks only)")
    r.add_argument("--months", type=_count, help="number of months")
    r.add_argument("--seed", type=_count, help="root seed")
    r.add_argument("--out", help="run folder (default: runs/NAME-seedS-TIMESTAMP)")
    r.add_argument("--overwrite", action="store_true", help="replace the run --out already holds")
    _set_option(r)
    r.add_argument("--quiet", action="store_true", help="no progress bar or summary")
    r.add_argument("--resume", metavar="RUN", help="continue an interrupted run from its last checkpoint")
    r.add_argument("--backend", choices=("numpy", "torch"), default="numpy",
                   help="numpy (CPU, default) or torch (a CUDA GPU when there is one, else the CPU)")

    sub.add_parser("presets", help="list the presets")
    v = sub.add_parser("validate", help="check a scenario file")
    v.add_argument("file", help="scenario TOML file")
    pa = sub.add_parser("params", help="every parameter with its unit, range and default")
    pa.add_argument("--preset",
                    help=f"show this preset's values (default: {RUN_PRESET}, the one scsim run runs)")
    pa.add_argument("--search", metavar="WORD", help="only the parameters whose key or meaning has WORD")
    pa.add_argument("--markdown", action="store_true", help="a Markdown table of the defaults (docs/parameters.md)")

    lk = sub.add_parser("lookup", help="the Credit China page of one citizen of a finished run")
    lk.add_argument("run", help=RUN_HELP)
    lk.add_argument("citizen", type=_count, help="the citizen's number (0 to citizens - 1)")

    sv = sub.add_parser("serve", help="a read-only web explorer of runs, compare outputs and sweeps")
    sv.add_argument("runs", nargs="+", metavar="RUN", help="run folders (or scsim compare / sweep output folders)")
    sv.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1: this machine only)")
    sv.add_argument("--port", type=_count, default=8765, help="port (default 8765)")
    sv.add_argument("--open", action="store_true", help="open the explorer in a browser")
    sv.add_argument("--scratch", metavar="DIR", help="folder for Try it runs (default: a temporary one)")
    sv.add_argument("--no-try", action="store_true", help="no Try it form: serve the given folders only")
    rp = sub.add_parser("report", help="one self-contained HTML file of a run: dashboards and sample citizens")
    rp.add_argument("run", help=RUN_HELP)
    rp.add_argument("--html", required=True, metavar="FILE", help="the HTML file to write")
    rp.add_argument("--citizens", type=_count, default=3, help="sample citizens shown (default 3)")

    pl = sub.add_parser("plot", help="a finished run at a glance: its monthly metrics as a figure")
    pl.add_argument("run", help=RUN_HELP)
    pl.add_argument("--out", metavar="FILE", help="image file (default: RUN/metrics.png; .svg, .pdf also work)")

    ex = sub.add_parser("export", help="write a run's tables as Parquet")
    ex.add_argument("run", help=RUN_HELP)
    ex.add_argument("--parquet", required=True, metavar="DIR",
                    help="folder to write one TABLE.parquet per table into (made if missing)")

    cp = sub.add_parser("compare", help="regimes on the same seeds (common random numbers), with 95%% intervals")
    cp.add_argument("--presets", default="western,sesame-2015,social-credit-2020,provocateur",
                    help="comma-separated presets; differences are from western, or from the first when "
                         "western is not among them (default %(default)s)")
    cp.add_argument("--seeds", type=_count, default=20, help="seeds per regime (default 20)")
    cp.add_argument("--citizens", type=_count, help="citizens per run (default: each preset's, 100,000)")
    cp.add_argument("--months", type=_count, help="months per run (default: each preset's, 180)")
    cp.add_argument("--window", type=_count, default=12, help="final months averaged per run (default 12)")
    cp.add_argument("--out", default="compare-results", help="folder for the table and plots (default %(default)s)")
    cp.add_argument("--overwrite", action="store_true", help="replace the comparison --out already holds")
    _table_options(cp, "compare")
    _set_option(cp)
    _dask_options(cp, "run side by side on a local Dask cluster of N processes (default: one after the other)")
    cp.add_argument("--quiet", action="store_true", help="no progress bar or table")

    vm = sub.add_parser("validate-models", help="reproduce classic published results with scsim's machinery")
    vm.add_argument("names", nargs="*", help="granovetter, holme-newman, daymude, wei (default: all)")
    vm.add_argument("--full", action="store_true", help="paper-sized runs")
    vm.add_argument("--out", default="validation-results", help="folder for the plots (default %(default)s)")

    sw = sub.add_parser("sweep", help="many runs over a design of parameters (grid, lhs, sobol), on Dask")
    sw.add_argument("file", help="sweep TOML file (docs/sweeps.md)")
    sw.add_argument("--workers", type=_count, help="local worker processes (default: one per core)")
    sw.add_argument("--scheduler", metavar="ADDRESS", help="an existing Dask scheduler, e.g. tcp://host:8786")
    sw.add_argument("--connect-timeout", type=float, default=10.0, metavar="S",
                    help="seconds to wait for --scheduler (default 10)")
    sw.add_argument("--out", help="sweep folder (default: sweeps/NAME); rerun to resume")
    sw.add_argument("--quiet", action="store_true", help="no progress bar or tables")

    ca = sub.add_parser("calibrate", help="each calibration target, its source, and the presets' simulated value")
    ca.add_argument("--citizens", type=_count, default=20_000, help="citizens per run (default 20,000)")
    ca.add_argument("--seeds", type=_count, default=5, help="seeds per preset (default 5)")
    ca.add_argument("--workers", type=_count, default=1, help="runs side by side on a local Dask cluster")
    ca.add_argument("--out", help="write the report as Markdown there (e.g. docs/calibration.md)")
    ca.add_argument("--quiet", action="store_true", help="no progress bar")
    st = sub.add_parser("study", help="run a study of the article's claims (studies/NAME), in a scratch folder "
                        "unless --publish or --out")
    st.add_argument("folder", help="a study folder with study.toml, e.g. studies/chilling-effect")
    st.add_argument("--fast", action="store_true", help="the test suite's small sizes (results in a scratch folder)")
    st.add_argument("--publish", action="store_true", help="regenerate the published results (FOLDER/results, or "
                    "results-facebook with --edgelist ego-facebook) at the study's own sizes")
    st.add_argument("--edgelist", metavar="PATH", help="run on this network instead: a file, or ego-facebook (the SNAP "
                    "ego-Facebook graph, shipped with scsim)")
    st.add_argument("--out", help="results folder (default: runs/studies/NAME..., a scratch folder; with --publish "
                    "the study's own)")
    st.add_argument("--overwrite", action="store_true", help="replace the results --out already holds")
    st.add_argument("--table-format", choices=("markdown", "latex", "text"),
                    help="write every table in this format too (table.tex, ...), beside the Markdown")
    _set_option(st)
    _dask_options(st, "run simulations side by side on a local Dask cluster of N processes")
    st.add_argument("--quiet", action="store_true", help="no progress bar or summary")
    return p


RUN_PRESET = "social-credit-2020"  # what scsim run runs without a scenario
RUN_HELP = "a finished run folder (made by scsim run)"


class _Commands:
    """The subcommands' parsers, each with its one-line help as the description that
    ``scsim COMMAND --help`` prints (argparse shows ``help`` only in ``scsim --help``)."""

    def __init__(self, action):
        self.action = action

    def add_parser(self, name: str, help: str):
        about = help.replace("%%", "%")  # help is %-formatted by argparse, a description is not
        return self.action.add_parser(name, help=help, description=about[0].upper() + about[1:] + ".")


def _set_option(parser) -> None:
    parser.add_argument("--set", action="append", metavar="KEY=VALUE", default=[],
                        help="set a parameter for every run, as in a scenario file (repeatable; e.g. "
                             "--set scoring.association.mode=penalty --set population.citizens=5000)")


def _table_options(parser, name: str) -> None:
    parser.add_argument("--table", metavar="FILE", help=f"also write the table here (.md, .tex or .txt: "
                        f"Markdown, LaTeX or text; or say --table-format); default with --table-format: OUT/{name}.EXT")
    parser.add_argument("--table-format", choices=("markdown", "latex", "text"), help="the format of --table")


def _dask_options(parser, workers_help: str) -> None:
    """--workers / --scheduler / --connect-timeout, as scsim sweep has them."""
    parser.add_argument("--workers", type=_count, metavar="N", help=workers_help)
    parser.add_argument("--scheduler", metavar="ADDRESS", help="an existing Dask scheduler instead, e.g. tcp://host:8786")
    parser.add_argument("--connect-timeout", type=float, default=10.0, metavar="S",
                        help="seconds to wait for --scheduler (default 10)")


def _scenario(args):
    from .scenario import load_preset, load_scenario, parse_settings

    if args.scenario and args.preset:
        raise InputError("scsim run: give a scenario file or --preset, not both")
    sc = load_scenario(args.scenario) if args.scenario else load_preset(args.preset or RUN_PRESET)
    if args.citizens is not None and sc.network.model == "edgelist":
        raise InputError("scsim run: --citizens: the edge list sets the number of citizens")
    sc = with_flags(sc, "scsim run", {"--citizens": ("population.citizens", args.citizens),
                                      "--months": ("run.months", args.months), "--seed": ("run.seed", args.seed)})
    if args.set:
        sc = sc.with_settings(parse_settings(args.set), "--set")
    return sc


def with_flags(sc, command: str, flags: dict):
    """``sc`` with the values of command-line flags (``{"--months": ("run.months", 12)}``; None:
    not given), each checked on its own so that an error names the flag, not the key."""
    for flag, (key, value) in flags.items():
        if value is None:
            continue
        try:
            sc = sc.with_overrides(**{key: value})
        except InputError as e:
            raise InputError(f"{command}: {flag} {value}: {str(e).removeprefix('overrides: ').removeprefix(key + ': ')}") from None
    return sc


def cmd_run(args) -> int:
    import gc

    from rich.console import Console
    from rich.table import Table

    from . import simulate
    from .results import KEY_METRICS
    from .store import check_run_dir, default_run_dir
    from .tables import decimals, number

    t0 = time.perf_counter()
    # the imported modules' objects live to the end: the garbage collector skips them from now
    # on (its full collections scan ~170,000 objects, ~0.1 s each)
    gc.freeze()
    if args.resume:
        if args.scenario or args.preset or args.citizens or args.months or args.seed is not None or args.out \
                or args.set or args.overwrite:
            raise InputError("scsim run: --resume takes no scenario, preset, sizes, seed, --set, --out or --overwrite")
        from . import resume

        run = resume(args.resume, progress=not args.quiet)
        sc = run.scenario
    else:
        sc = _scenario(args)
        out = Path(args.out) if args.out else default_run_dir(sc.name, sc.run.seed)
        if not args.overwrite:
            check_run_dir(out, "choose another --out, or pass --overwrite to replace it")
        run = simulate(sc, out=out, progress=not args.quiet, backend=args.backend, overwrite=args.overwrite)
    seconds = time.perf_counter() - t0
    if not args.quiet:
        console = Console()
        summary = run.summary()
        table = Table(title=f"{sc.name}: {run.simulation.n:,} citizens, {sc.run.months} months, seed {sc.run.seed}")
        console.width = max(console.width, 100)
        for col in summary.columns:
            table.add_column(col, justify="left" if col == "metric" else "right")
        columns = {label: col for col, label in KEY_METRICS}
        for row in summary.itertuples(index=False):  # a row to its metric's precision (scsim.tables)
            digits = decimals(columns[row[0]], *row[1:])
            table.add_row(row[0], *(number(columns[row[0]], x, digits=digits) for x in row[1:]))
        console.print(table)
        console.print(f"results: {run.path / 'results.duckdb'}  ({seconds:.1f} s); "
                      f"at a glance: scsim plot {run.path}")
    else:
        print(run.path / "results.duckdb")
    return 0


def cmd_presets(args) -> int:
    from .scenario import load_preset, preset_names

    for name in preset_names():
        print(f"{name:<20} {load_preset(name).description}")
    return 0


def cmd_validate(args) -> int:
    from .scenario import load_scenario

    sc = load_scenario(args.file)
    print(f"{args.file}: ok ({sc.name}, {sc.population.citizens:,} citizens, {sc.run.months} months)")
    return 0


def cmd_params(args) -> int:
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    from .scenario import load_preset, parameter_table

    rows = parameter_table()
    if args.markdown and args.preset is None:  # docs/parameters.md: the schema's own defaults
        print(markdown_parameters(rows))
        return 0
    preset = args.preset or RUN_PRESET
    values = load_preset(preset).model_dump()
    for i, (key, _, unit, rng, desc) in enumerate(rows):
        node = values
        for part in key.split("."):
            node = node.get(part) if isinstance(node, dict) else None
        rows[i] = (key, _value_text(node), unit, rng, desc)
    if args.search:
        word = args.search.lower()
        rows = [r for r in rows if word in r[0].lower() or word in r[4].lower()]
        if not rows:
            raise InputError(f"scsim params: --search {args.search}: no parameter's key or meaning has it")
    if args.markdown:
        print(markdown_parameters(rows))
        return 0
    note = " (what scsim run runs; --preset NAME for another)" if preset == RUN_PRESET else ""
    table = Table(title=f"scsim's parameters, with the values of {preset}{note}", title_justify="left", box=None,
                  pad_edge=False)
    for col, width in (("key", None), (preset, 48), ("unit", None), ("range", None), ("meaning", None)):
        table.add_column(col, min_width=width, overflow="fold")  # a privilege on one line, meanings wrapped
    for row in rows:
        table.add_row(*map(escape, row))  # '[[privileges]]' is text, not rich markup
    Console(width=None if sys.stdout.isatty() else 160).print(table)
    return 0


def _value_text(value) -> str:
    """A parameter's value for the table: a list of sections (privileges) one per line."""
    if isinstance(value, list) and value and isinstance(value[0], dict):
        return "\n".join(", ".join(f"{k}={v}" for k, v in d.items()) for d in value)
    return str(value)


def markdown_parameters(rows) -> str:
    out = ["| key | default | unit | range | meaning |", "|---|---|---|---|---|"]
    for key, default, unit, rng, desc in rows:
        out.append(f"| `{key}` | {default.replace('|', '/')} | {unit} | {rng} | {desc.replace('|', '/')} |")
    return "\n".join(out)


def cmd_lookup(args) -> int:
    from .results import Run

    print(Run.open(args.run).explain(args.citizen))
    return 0


def cmd_serve(args) -> int:
    from .web.serve import serve

    return serve(args.runs, args.host, args.port, args.open, args.scratch, not args.no_try)


def cmd_report(args) -> int:
    from .web.report import write_report

    print(write_report(args.run, args.html, args.citizens))
    return 0


def cmd_plot(args) -> int:
    from .outputs import check_new_files, check_writable_folder
    from .results import Run

    out = Path(args.out) if args.out else Path(args.run) / "metrics.png"
    if out.suffix.lower() not in (".png", ".svg", ".pdf", ".jpg", ".jpeg"):
        raise InputError(f"scsim plot: --out {out}: use a .png, .svg, .pdf or .jpg file name")
    run = Run.open(args.run)
    if args.out:  # a file of the user's is never replaced; the run's own metrics.png is redrawn
        check_new_files([out], "scsim plot: --out")
    else:
        check_writable_folder(out.parent, "scsim plot: the run folder")
    print(run.plot(out))
    return 0


def cmd_export(args) -> int:
    from .store import export_parquet

    for path in export_parquet(args.run, args.parquet):
        print(path)
    return 0


def cmd_compare(args) -> int:
    from . import tables
    from .experiments import OUTPUTS, compare, display, write
    from .outputs import check_new_files
    from .parallel import cluster
    from .scenario import load_preset, parse_settings, preset_names

    presets = [p.strip() for p in args.presets.split(",") if p.strip()]
    for p in presets:
        if p not in preset_names():
            raise InputError(f"scsim compare: --presets: unknown preset '{p}' (presets: {', '.join(preset_names())})")
    if len(presets) < 2:
        raise InputError("scsim compare: --presets: name at least two regimes")
    if args.window < 1:
        raise InputError("scsim compare: --window must be at least 1")
    if args.seeds < 2:
        raise InputError(f"scsim compare: --seeds {args.seeds}: must be at least 2 (intervals need two runs)")
    for p in presets:  # the sizes on every regime, before any run (and before any cluster)
        with_flags(load_preset(p), "scsim compare", {"--citizens": ("population.citizens", args.citizens),
                                                      "--months": ("run.months", args.months)})
    out = Path(args.out)
    if out.exists() and not out.is_dir():
        raise InputError(f"scsim compare: --out {out}: exists and is not a folder")
    if not args.overwrite:
        if (out / "compare.csv").exists():
            raise InputError(f"scsim compare: {out / 'compare.csv'}: already exists (a comparison); pass --overwrite to replace it, "
                             "or choose another --out")
        check_new_files([out / name for name in OUTPUTS], "scsim compare: --out")  # before any run
    table = Path(args.table) if args.table else None
    if table is None and args.table_format:
        table = out / ("compare" + {v: k for k, v in tables.SUFFIXES.items()}[args.table_format])
    if table is not None:
        tables.format_for(table, args.table_format)  # a bad file name fails before any run
    settings = parse_settings(args.set)
    if "run.seed" in settings:
        raise InputError("scsim compare: --set run.seed: compare runs every regime on seeds 1..--seeds")
    with cluster(args.workers, args.scheduler, args.connect_timeout, "scsim compare") as client:
        result = compare(presets, args.seeds, args.citizens, args.months, args.window, progress=not args.quiet,
                         workers=args.workers, client=client, settings=settings)
    paths = write(result, out, table, args.table_format)
    if not args.quiet:
        tables.print_rich(display(result))
    for p in paths:
        print(p)
    return 0


def cmd_validate_models(args) -> int:
    try:
        from .validation.runner import MODELS, run_validation  # noqa: F401
    except ImportError:
        raise InputError("scsim validate-models: the validation package is not installed") from None
    unknown = [n for n in args.names if n not in MODELS]
    if unknown:
        raise InputError(f"scsim validate-models: unknown model '{unknown[0]}' (models: {', '.join(MODELS)})")
    ok = run_validation(args.names or None, args.full, Path(args.out))
    return 0 if ok else 1


def cmd_sweep(args) -> int:
    from .sweep import load_sweep, print_result, run_sweep

    spec = load_sweep(args.file)
    result = run_sweep(spec, out=args.out, workers=args.workers, scheduler=args.scheduler,
                       progress=not args.quiet, connect_timeout=args.connect_timeout)
    print_result(result, quiet=args.quiet)
    return 1 if result.failures else 0


def cmd_study(args) -> int:
    from . import tables
    from .scenario import parse_settings
    from .studies import headline_display, run_study

    headline = run_study(args.folder, fast=args.fast, edgelist=args.edgelist, out=args.out, progress=not args.quiet,
                         workers=args.workers, scheduler=args.scheduler, connect_timeout=args.connect_timeout,
                         settings=parse_settings(args.set), publish=args.publish, overwrite=args.overwrite,
                         table_format=args.table_format)
    if args.quiet:
        print(headline["folder"])
    else:
        tables.print_rich(headline_display(headline))
    return 0


def cmd_calibrate(args) -> int:
    from .calibration import markdown, measure

    if args.citizens < 100 or args.seeds < 2:
        raise InputError("scsim calibrate: needs --citizens of at least 100 and --seeds of at least 2")
    out = Path(args.out) if args.out else None
    if out is not None and not out.parent.is_dir():
        raise InputError(f"scsim calibrate: --out {out}: no such folder {out.parent}")
    report = measure(args.citizens, args.seeds, progress=not args.quiet, workers=args.workers)
    text = markdown(report, args.citizens, args.seeds)
    if out is not None:
        from .outputs import staged

        with staged("scsim calibrate: --out") as outputs:  # renamed into place when whole
            outputs.file(out).write_text(text)
    print(text)
    return 0 if report["within"].all() else 1


COMMANDS = {"run": cmd_run, "calibrate": cmd_calibrate, "presets": cmd_presets, "validate": cmd_validate, "params": cmd_params,
            "lookup": cmd_lookup, "plot": cmd_plot, "export": cmd_export, "compare": cmd_compare, "validate-models": cmd_validate_models,
            "sweep": cmd_sweep, "study": cmd_study, "serve": cmd_serve, "report": cmd_report}


# Commands whose output is all written, flushed and closed when they return; after them the
# console script leaves without the interpreter's teardown (see ``entry``).
QUICK_EXIT = frozenset({"run"})
_succeeded: list[str] = []  # commands that returned 0, for ``entry``


def main(argv: list[str] | None = None) -> int:
    """Run one command; every failure ends here as one line on stderr (``report``). ``--debug``
    (anywhere before a ``--``) prints the traceback too."""
    argv = list(sys.argv[1:] if argv is None else argv)
    head = argv[: argv.index("--")] if "--" in argv else argv
    debug = "--debug" in head
    if debug:
        argv.remove("--debug")
    seen: list[int] = []
    with _interrupts_noted(seen):
        try:
            args = build_parser().parse_args(argv)
            rc = COMMANDS[args.command](args)
            if rc == 0:
                _succeeded.append(args.command)
            return rc
        except SystemExit as e:  # --help
            return e.code if isinstance(e.code, int) else 0
        except BaseException as e:  # noqa: BLE001  the boundary: nothing gets past as a traceback
            return report(e, debug, interrupted=bool(seen))


@contextlib.contextmanager
def _interrupts_noted(seen: list):
    """Ctrl-C raises KeyboardInterrupt as usual, and is noted in ``seen``: whatever a library
    turns it into on its way up (NumPy an ImportError, Numba a SystemError) is then reported as
    the interrupt it was."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def note(signum, frame):
        seen.append(signum)
        raise KeyboardInterrupt

    def unraisable(info):  # a Ctrl-C that landed in a finaliser (``__del__``, a weakref callback):
        if not isinstance(info.exc_value, KeyboardInterrupt):  # Python drops it; say nothing of it
            hook(info)

    previous, hook = signal.signal(signal.SIGINT, note), sys.unraisablehook
    sys.unraisablehook = unraisable
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
        sys.unraisablehook = hook


def report(e: BaseException, debug: bool = False, interrupted: bool = False) -> int:
    """One line on stderr for ``e`` and the exit status: 2 for an expected failure (a
    ``ScsimError``, or an ``OSError`` naming its file), 130 for Ctrl-C (wherever it landed,
    even inside a compiled kernel), 1 for a bug, with a hint to run again with --debug."""
    if isinstance(e, BrokenPipeError):  # e.g. `scsim lookup RUN 4 | head -2`
        sys.stderr.close()
        return 0
    if debug:
        traceback.print_exception(e, file=sys.stderr)
    notes = "".join(f"; {n}" for n in getattr(e, "__notes__", ()))
    interrupt = interrupt_in(e) or (KeyboardInterrupt() if interrupted else None)
    if interrupt is not None:
        said = str(interrupt)
        line, rc = f"scsim: interrupted{': ' + said if said else ''}", 130
        notes = "".join(f"; {n}" for n in getattr(interrupt, "__notes__", ())) or notes
    elif isinstance(e, ScsimError):
        msg = str(e)
        line, rc = (msg if msg.startswith("scsim") else f"scsim: error: {msg}"), 2
    elif isinstance(e, OSError) and e.filename:
        line, rc = f"scsim: error: {os_error_line(e, 'cannot use')}", 2
    elif isinstance(e, MemoryError):
        line, rc = "scsim: error: out of memory (try fewer citizens or months)", 2
    else:
        first = next((ln for ln in str(e).splitlines() if ln.strip()), "")
        hint = "" if debug else " (run with --debug for the traceback)"
        line, rc = f"scsim: internal error: {type(e).__name__}{': ' + first.strip() if first else ''}{hint}", 1
    text = " ".join(part.strip() for part in (line + notes).splitlines() if part.strip())
    try:
        print(text, file=sys.stderr)
    except (OSError, ValueError):  # stderr itself is gone
        pass
    return rc


def exit_now(rc: int) -> None:
    """End the process at once with ``rc``, its output streams flushed (no interpreter teardown)."""
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed pipe (`scsim run ... | head -0`) or stream
            pass
    os._exit(rc)


def entry() -> None:
    """The console script and ``python -m scsim``: ``main``, then exit. After a finished
    ``scsim run`` the process ends at once (``os._exit``): the interpreter's teardown (freeing
    Numba's compiled modules, collecting every object) took ~0.7-1 s after a 1M run, and
    there is nothing left to write (the database is closed and renamed, the streams flushed
    here). Tests call ``main`` in-process and are unaffected."""
    rc = main()
    if threading.current_thread() is threading.main_thread():
        # the command is over (its line said, its outputs whole): a Ctrl-C in the interpreter's
        # teardown (Dask's clean-up, the collector) ends it with the command's status, silently,
        # instead of a traceback printed from some finaliser
        signal.signal(signal.SIGINT, lambda signum, frame: exit_now(rc))
    if rc == 0 and _succeeded and _succeeded[-1] in QUICK_EXIT:
        exit_now(0)
    # A KeyboardInterrupt that ended a string ``exec`` (Numba and dataclasses run generated
    # source that way) leaves CPython's "unhandled KeyboardInterrupt" flag set even though it
    # was handled; under ``python -m`` the interpreter then ends by raising SIGINT on itself
    # (exit status -2 after the right line, about one Ctrl-C in seven mid-run). Each string
    # ``exec`` starts by clearing that flag: one here leaves the status ours.
    exec("")  # noqa: S102
    sys.exit(rc)


if __name__ == "__main__":
    entry()
