"""The package as a user gets it: built as a wheel, installed in a fresh venv outside the
checkout, it runs (``.ci/wheel``, which CI runs after the suite; here with ``-m slow``: it builds
in an isolated environment from PyPI and compiles the kernels once in the new venv, minutes)."""

import os
import subprocess
import sys

import pytest

import scsim

from .conftest import REPO


@pytest.mark.slow
def test_the_wheel_installs_and_runs_outside_the_checkout():
    p = subprocess.run(["bash", str(REPO / ".ci" / "wheel")], cwd=REPO, env=dict(os.environ, PYTHON=sys.executable),
                       capture_output=True, text=True, timeout=1200)
    assert p.returncode == 0, p.stdout[-3000:] + p.stderr[-3000:]
    assert f"scsim {scsim.__version__}" in p.stdout and "4,039 citizens" in p.stdout and p.stdout.rstrip().endswith("wheel: ok")
