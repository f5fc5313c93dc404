"""The tutorial notebook (examples/tutorial.ipynb) is kept without outputs and runs from start
to end in a fresh kernel, as a newcomer would run it."""

import os
from pathlib import Path

import nbformat
from nbclient import NotebookClient

import scsim

from .conftest import REPO

NOTEBOOK = REPO / "examples" / "tutorial.ipynb"


def test_the_notebook_is_stored_without_outputs():
    nb = nbformat.read(NOTEBOOK, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert len(code) >= 8
    assert all(c.outputs == [] and c.execution_count is None for c in code), \
        "strip the outputs: jupyter nbconvert --clear-output --inplace examples/tutorial.ipynb"


def test_the_notebook_runs(tmp_path, monkeypatch):
    # the kernel imports the scsim under test (the one this process imported), wherever it runs
    here = str(Path(scsim.__file__).resolve().parents[1])
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(p for p in (here, os.environ.get("PYTHONPATH")) if p))
    nb = nbformat.read(NOTEBOOK, as_version=4)
    NotebookClient(nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}).execute()
    outputs = {i: c.outputs for i, c in enumerate(nb.cells) if c.cell_type == "code"}
    text = "\n".join(o.get("text", "") + str(o.get("data", {}).get("text/plain", "")) + str(o.get("data", {}).get("text/markdown", ""))
                     for out in outputs.values() for o in out)
    assert not [o for out in outputs.values() for o in out if o.output_type == "error"]
    assert "Scenario('social-credit-2020': 2,000 citizens, 72 months" in text
    assert "<scsim.Run 'social-credit-2020': 2,000 citizens, 72 months" in text
    assert "Credit China: citizen 42" in text
    assert "difference from western" in text and "over 3 seeds" in text and r"\begin{tabular}" in text
    assert "sweep tutorial (grid): 3 points x 2 seeds" in text
    images = [o for out in outputs.values() for o in out if "image/png" in o.get("data", {})]
    assert len(images) >= 2  # the run at a glance, the main effects
