"""The notebooks in notebooks/ run from top to bottom, and are committed clean.

Clean means: no outputs or execution counts, and no logic of their own (no ``def`` or
``class`` in a code cell; the notebooks only call privtag's API and display results).

Each notebook is executed with nbclient in the ``python3`` kernel that ipykernel installs
into this environment (``.venv/share/jupyter/kernels/python3``; jupyter_client starts it
with this interpreter), from the repository root. Notebooks that need the default model
skip while ``model/`` (or ``$PRIVTAG_MODEL``) holds none. Together they take a few
minutes on two CPU cores, so running them is marked ``notebook``: out of the fast run,
run by ``make test-notebooks`` (which CI runs after ``make test``).
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
#: Every notebook, and whether it needs the default model (``Tagger.load()``).
EXPECTED = {
    "01_quickstart.ipynb": True,
    "02_train_on_new_annotations.ipynb": False,
    "03_benchmark.ipynb": True,
}
CELL_TIMEOUT = 300  # seconds per cell


def _read(name: str):
    return nbformat.read(NOTEBOOKS / name, as_version=nbformat.NO_CONVERT)


def _code(nb) -> list[str]:
    return [c.source for c in nb.cells if c.cell_type == "code"]


def _execute(nb) -> None:
    client = NotebookClient(
        nb,
        timeout=CELL_TIMEOUT,
        kernel_name="python3",
        resources={"metadata": {"path": str(ROOT)}},  # the kernel's working directory
    )
    client.execute()


def test_the_notebooks_are_there():
    assert sorted(p.name for p in NOTEBOOKS.glob("*.ipynb")) == sorted(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_notebook_is_committed_clean(name):
    nb = _read(name)
    nbformat.validate(nb)
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        assert cell.outputs == [], f"{name} cell {i} has outputs; strip them before committing"
        assert cell.execution_count is None, f"{name} cell {i} has an execution count"
        for word in ("def ", "class "):
            assert word not in cell.source, (
                f"{name} cell {i} contains {word!r}: notebooks call privtag's API and define "
                "nothing; move the logic into the package"
            )


@pytest.mark.parametrize("name", [n for n, needs in EXPECTED.items() if needs])
def test_notebook_uses_the_default_model(name):
    # Tagger.from_pretrained() without a path: the notebook uses the shipped model.
    code = "\n".join(_code(_read(name)))
    calls = re.findall(r"Tagger\.(?:load|from_pretrained)\(([^)]*)\)", code)
    assert calls and all(args.strip() == "" for args in calls), calls


def test_the_kernel_is_this_environment():
    # A kernel from another interpreter would fail every notebook with ImportError.
    nb = nbformat.v4.new_notebook(
        cells=[nbformat.v4.new_code_cell("import sys; print(sys.prefix)")]
    )
    _execute(nb)
    assert nb.cells[0].outputs[0]["text"].strip() == sys.prefix


def _has_default_model() -> bool:
    from privtag.inference.tagger import SETTINGS_FILE, default_model_dir

    return (default_model_dir() / SETTINGS_FILE).is_file()


@pytest.mark.notebook
@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_notebook_runs(name):
    if EXPECTED[name] and not _has_default_model():
        pytest.skip("no default model in model/ (nor in $PRIVTAG_MODEL); the notebook needs one")
    nb = _read(name)
    try:
        _execute(nb)
    except CellExecutionError as e:
        pytest.fail(f"{name} failed:\n{e}", pytrace=False)
