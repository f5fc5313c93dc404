"""The docs that are generated from code stay current."""

from pathlib import Path

from scsim.cli import markdown_parameters
from scsim.scenario import parameter_table

DOCS = Path(__file__).resolve().parents[1] / "docs"


def test_parameter_doc_is_current():
    assert markdown_parameters(parameter_table()) in (DOCS / "parameters.md").read_text(), \
        "regenerate docs/parameters.md with: scsim params --markdown"


def _repository_files() -> list[Path]:
    """The files git tracks or would add (every file outside .git and ignored folders, outside a
    checkout)."""
    import subprocess

    root = DOCS.parent
    try:
        out = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=root,
                             capture_output=True, check=True, text=True).stdout
        return [root / n for n in out.split("\0") if n and (root / n).is_file()]
    except (OSError, subprocess.CalledProcessError):
        skip = {".git", ".venv", "runs", "site", "__pycache__"}
        return [p for p in root.rglob("*") if p.is_file() and not skip & set(p.relative_to(root).parts)]


def test_nothing_refers_to_a_folder_beside_the_repository():
    """The repository stands alone: a clone has no sibling folder of data or notes to point to."""
    needle = b"../" + b"shared"  # spelled in two parts so that this file does not match itself
    files = _repository_files()
    assert len(files) > 50
    hits = [str(p.relative_to(DOCS.parent)) for p in files if needle in p.read_bytes()]
    assert hits == []


def test_every_bundled_network_is_described_and_cited():
    from scsim import datasets
    from scsim.network.io import load_edgelist

    from scsim.scenario import BUNDLED_NETWORKS

    assert datasets.names() == sorted(BUNDLED_NETWORKS) == ["ego-facebook"]
    fb = datasets.get("ego-facebook")
    n, u, _ = load_edgelist(fb.path)
    assert (n, len(u)) == (fb.citizens, fb.ties) == (4039, 88234)
    assert "McAuley" in fb.citation and "Leskovec" in fb.citation
    assert fb.citation.split(",")[0] in (DOCS / "index.md").read_text()
