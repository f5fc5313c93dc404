"""MkDocs hooks: the command-line reference (docs/cli.md) from scsim's own argument parser, at
build time, so that it cannot fall behind the options (``<!-- cli-reference -->`` marks where);
and a page of docs/ that mkdocs.yml's nav does not list yet joins it under "More" (a new page
is never left out of the site)."""

from __future__ import annotations

import os
from pathlib import Path

MARK = "<!-- cli-reference -->"


def cli_markdown() -> str:
    """Every command's ``--help``, one section a command, in the parser's order."""
    import argparse

    from scsim.cli import build_parser

    old = os.environ.get("COLUMNS")
    os.environ["COLUMNS"] = "100"  # argparse wraps help to the terminal: the same width always
    try:
        parser = build_parser()
        sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
        parts = [f"```text\n{parser.format_help()}```"]
        for name, command in sub.choices.items():  # each command's help opens with what it does
            parts.append(f"## scsim {name}\n\n```text\n{command.format_help()}```")
    finally:
        if old is None:
            os.environ.pop("COLUMNS", None)
        else:
            os.environ["COLUMNS"] = old
    return "\n\n".join(parts)


def on_page_markdown(markdown: str, page, config, files) -> str:
    return markdown.replace(MARK, cli_markdown()) if MARK in markdown else markdown


def _listed(nav) -> set[str]:
    """Every page file the nav names, at any depth."""
    if isinstance(nav, str):
        return {nav}
    if isinstance(nav, dict):
        return set().union(*(_listed(v) for v in nav.values())) if nav else set()
    return set().union(*(_listed(v) for v in nav)) if nav else set()


def on_config(config):
    docs = Path(config["docs_dir"])
    listed = _listed(config["nav"] or [])
    extra = sorted(str(p.relative_to(docs)) for p in docs.rglob("*.md")
                   if "hooks" not in p.parts and str(p.relative_to(docs)) not in listed)
    if extra:
        config["nav"] = [*config["nav"], {"More": extra}]
    return config
