"""The docs that are generated from code stay current."""

from pathlib import Path

import pytest

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


# The article scsim starts from, as its published page gives it (byline, title, date, address).
ARTICLE_AUTHOR = "Rick Falkvinge"
ARTICLE_TITLE = ("In China, Your Credit Score Is Now Affected By Your Political Opinions – And Your "
                 "Friends' Political Opinions")
ARTICLE_DATE = "3 October 2015"
ARTICLE_URL = ("https://www.privateinternetaccess.com/blog/2015/10/in-china-your-credit-score-is-now-affected-"
               "by-your-political-opinions-and-your-friends-political-opinions/")


def _prose(path: Path) -> str:
    """The file's text with its line breaks and emphasis marks folded, as a reader sees it."""
    return " ".join(path.read_text().replace("*", "").split())


def test_the_article_is_cited_whole_wherever_it_is_introduced():
    for doc in (DOCS.parent / "README.md", DOCS / "index.md"):
        text = _prose(doc)
        for part in (ARTICLE_AUTHOR, ARTICLE_TITLE, ARTICLE_DATE, ARTICLE_URL, "Privacy Online News"):
            assert part in text, f"{doc.name} does not cite the article's {part!r}"


def test_the_docs_say_which_claims_are_disputed_and_who_disputes_them():
    index = (DOCS / "index.md").read_text()
    assert "### What is disputed" in index
    disputed = index.split("### What is disputed", 1)[1].split("\n## ", 1)[0]
    # each contested claim of the article, with the party or record that contests it
    for claim, source in (("Politics in Sesame Credit", "Financial Times"), ("Opt-in", "Cyberspace Administration"),
                          ("Video games", "Caixin"), ("One national score", "Planning Outline"),
                          ("Credit China", "creditchina.gov.cn")):
        assert f"**{claim}.**" in disputed and source in disputed, claim
    for doc in ("README.md", "docs/model.md"):  # the short versions point to it
        assert "#what-is-disputed" in (DOCS.parent / doc).read_text(), doc


def test_what_readmes_first_command_makes_is_not_tracked():
    """README's first command makes .venv/ and a run under runs/ inside the clone: git ignores both."""
    import subprocess

    root = DOCS.parent
    if not (root / ".git").exists():
        pytest.skip("not a git checkout")
    for made in (".venv/bin/python", "runs/social-credit-2020-seed20150128-20261207-011959/results.duckdb"):
        assert subprocess.run(["git", "check-ignore", "-q", made], cwd=root).returncode == 0, made


def test_the_documented_commands_write_where_git_does_not_look():
    """A newcomer who pastes the README's and the docs' commands leaves the clone clean: every
    literal output path is ignored by git, outside the checkout, or a file of docs/ that the
    command exists to regenerate."""
    import re
    import subprocess

    root = DOCS.parent
    if not (root / ".git").exists():
        pytest.skip("not a git checkout")
    targets = set()
    for doc in [root / "README.md", *sorted(DOCS.glob("*.md"))]:
        for block in re.findall(r"```(?:bash|sh|console)?\n(.*?)```", doc.read_text(), re.S):
            commands = "\n".join(line.split("#")[0] for line in block.splitlines())  # not the comments
            for flag, path in re.findall(r"(--out|--html|--parquet|--table)\s+([^\s`\])]+)", commands):
                if not (path.isupper() or path.startswith(("/", "docs/"))):  # FILE, DIR; elsewhere; regenerated docs
                    targets.add((doc.name, flag, path))
    assert {path for _, _, path in targets} >= {"runs/sesame", "runs/sesame.html", "runs/first"}
    tracked = [t for t in targets
               if subprocess.run(["git", "check-ignore", "-q", "--no-index", t[2]], cwd=root).returncode != 0]
    assert tracked == []


def test_the_docs_point_to_no_note_a_clone_lacks():
    """The project's brief (MODEL.md) is not in the repository: the docs cite docs/model.md instead;
    the peer benchmark's note (REFERENCE.md) is restated in benchmarks/README.md, which says so."""
    root = DOCS.parent
    readers = [root / "README.md", *sorted(DOCS.glob("*.md"))]
    assert [p.name for p in readers if "MODEL.md" in p.read_text()] == []
    assert not (root / "REFERENCE.md").exists()
    assert "## The reference model (REFERENCE.md)" in (root / "benchmarks" / "README.md").read_text()
