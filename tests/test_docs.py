"""The docs that are generated from code stay current."""

from pathlib import Path

from scsim.cli import markdown_parameters
from scsim.scenario import parameter_table

DOCS = Path(__file__).resolve().parents[1] / "docs"


def test_parameter_doc_is_current():
    assert markdown_parameters(parameter_table()) in (DOCS / "parameters.md").read_text(), \
        "regenerate docs/parameters.md with: scsim params --markdown"
