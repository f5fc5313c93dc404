"""The documentation site builds with warnings as errors (a broken link, a missing page or a
reference the API pages cannot resolve fails), and its generated pages say what they should.
Needs the docs extra (pip install -e '.[docs]', as .ci/run installs it)."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

import scsim

from .conftest import REPO

pytest.importorskip("mkdocs")
pytest.importorskip("mkdocstrings")


def test_the_docs_site_builds_strictly(tmp_path):
    src = str(Path(scsim.__file__).resolve().parents[1])  # the hook imports the scsim under test
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in (src, os.environ.get("PYTHONPATH")) if p),
               NO_MKDOCS_2_WARNING="1")
    p = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(tmp_path / "site")],
                       cwd=REPO, env=env, capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stdout[-3000:] + p.stderr[-3000:]
    cli = (tmp_path / "site" / "cli" / "index.html").read_text()
    for command in ("run", "compare", "study", "params", "sweep"):
        assert f"scsim {command}" in cli
    assert "--set KEY=VALUE" in cli and "--publish" in cli  # from the parser, at build time
    api = (tmp_path / "site" / "api" / "index.html").read_text()
    assert "overwrite" in api and "clipped" in api  # simulate's and interval's docstrings
    assert not (tmp_path / "site" / "hooks").exists()


def test_a_page_missing_from_the_nav_joins_it(tmp_path):
    import importlib.util

    spec = importlib.util.spec_from_file_location("cli_reference", REPO / "docs" / "hooks" / "cli_reference.py")
    hook = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(hook)
    (tmp_path / "a.md").write_text("# a")
    (tmp_path / "new.md").write_text("# new")
    config = hook.on_config({"docs_dir": str(tmp_path), "nav": [{"A": "a.md"}]})
    assert config["nav"] == [{"A": "a.md"}, {"More": ["new.md"]}]
