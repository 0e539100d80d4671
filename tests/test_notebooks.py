"""Runs every library notebook as a test, and checks that the package is what the notebooks export."""
import filecmp
import shutil
from pathlib import Path

import pytest
from nbdev.export import nb_export
from nbdev.test import test_nb as run_notebook

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "nbs").glob("[0-9]*.ipynb"))


def _default_exp(nb: Path) -> str | None:
    "The module a library notebook exports (its `#| default_exp` line), or None."
    import json, re
    for c in json.loads(nb.read_text(encoding="utf-8"))["cells"]:
        m = re.search(r"^#\|\s*default_exp\s+(\S+)", "".join(c["source"]), re.M)
        if m: return m.group(1)
    return None


def test_one_notebook_per_module():
    "Every library notebook exports one module, and every module of the package comes from its notebook (none is hand-written)."
    exports = {nb.name: _default_exp(nb) for nb in NOTEBOOKS}
    assert None not in exports.values(), [n for n, m in exports.items() if m is None]
    modules = {p.stem for p in (ROOT / "bottlefit").glob("*.py")} - {"__init__", "__main__", "_modidx"}
    assert sorted(exports.values()) == sorted(modules), (sorted(exports.values()), sorted(modules))


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
