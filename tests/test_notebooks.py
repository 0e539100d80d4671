"""Runs every library notebook as a test, and checks that the package is what the notebooks export."""
import filecmp
import shutil
from pathlib import Path

import pytest
from nbdev.export import nb_export
from nbdev.test import test_nb as run_notebook

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "nbs").glob("[0-9]*.ipynb"))


def test_notebooks_found():
    assert len(NOTEBOOKS) >= 4, NOTEBOOKS


@pytest.mark.parametrize("nb", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook(nb):
    ok, seconds = run_notebook(nb, skip_flags=["slow"])
    assert ok, f"{nb.name} failed (see the traceback above)"


def test_package_matches_notebooks(tmp_path):
    # Export into a copy of the layout so that the generated "File to edit: ../nbs/..." headers match.
    shutil.copytree(ROOT / "nbs", tmp_path / "nbs")
    for nb in sorted((tmp_path / "nbs").glob("[0-9]*.ipynb")):
        nb_export(nb, lib_path=tmp_path / "bottlefit")
    exported = sorted(p.relative_to(tmp_path / "bottlefit") for p in (tmp_path / "bottlefit").rglob("*.py"))
    assert len(exported) == len(NOTEBOOKS), exported
    stale = [str(p) for p in exported
             if not filecmp.cmp(tmp_path / "bottlefit" / p, ROOT / "bottlefit" / p, shallow=False)]
    assert not stale, f"bottlefit/ differs from the notebooks in {stale}: run nbdev_export and commit"
