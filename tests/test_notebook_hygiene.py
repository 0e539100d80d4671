"""Notebooks are committed clean: no outputs, no execution counts, and no metadata beyond the kernel and cell tags
(papermill's `parameters`). Opening a notebook in JupyterLab and saving it adds outputs and widget state; this check
fails until they are cleared with `python scripts/nbclean.py` (JupyterLab started by `bash scripts/lab.sh` saves them
clean). `nbdev_clean` is not enough: with this project's settings it keeps outputs and widget state."""
import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "nbs").rglob("*.ipynb"))
NOTEBOOKS = [p for p in NOTEBOOKS if ".ipynb_checkpoints" not in p.parts]


@pytest.mark.parametrize("nb", NOTEBOOKS, ids=lambda p: str(p.relative_to(ROOT / "nbs")))
def test_notebook_is_clean(nb):
    d = json.loads(nb.read_text(encoding="utf-8"))
    assert set(d.get("metadata", {})) <= {"kernelspec"}, f"{nb.name}: notebook metadata {sorted(d['metadata'])}; run `python scripts/nbclean.py`"
    for i, c in enumerate(d["cells"]):
        assert set(c.get("metadata", {})) <= {"tags"}, f"{nb.name} cell {i}: metadata {sorted(c['metadata'])}; run `python scripts/nbclean.py`"
        if c["cell_type"] == "code":
            assert not c.get("outputs") and c.get("execution_count") is None, f"{nb.name} cell {i} has outputs; run `python scripts/nbclean.py`"


def test_a_dirty_notebook_is_caught(tmp_path):
    nb = tmp_path / "x.ipynb"
    nb.write_text(json.dumps({"metadata": {"widgets": {}}, "cells": [{"cell_type": "code", "metadata": {}, "source": "1",
                                                                     "outputs": [{"output_type": "stream"}], "execution_count": 1}]}))
    with pytest.raises(AssertionError, match="notebook metadata"): test_notebook_is_clean(nb)


def _nbclean():
    import importlib.util, sys
    spec = importlib.util.spec_from_file_location("nbclean", ROOT / "scripts" / "nbclean.py")
    mod = importlib.util.module_from_spec(spec)
    sys.modules["nbclean"] = mod
    spec.loader.exec_module(mod)
    return mod


def _dirty_nb() -> dict:
    return {"metadata": {"kernelspec": {"name": "python3"}, "widgets": {"state": {}}, "language_info": {}}, "nbformat": 4,
            "nbformat_minor": 5,
            "cells": [{"cell_type": "code", "id": "a", "metadata": {"tags": ["parameters"], "collapsed": False}, "source": "x = 1",
                       "outputs": [{"output_type": "stream", "name": "stdout", "text": "1"}], "execution_count": 3},
                      {"cell_type": "markdown", "id": "b", "metadata": {"jp-MarkdownHeadingCollapsed": True}, "source": "# T"}]}


def test_nbclean_makes_a_notebook_clean(tmp_path):
    nbclean = _nbclean()
    nb = _dirty_nb()
    assert nbclean.problems(nb)
    nbclean.clean(nb)
    assert not nbclean.problems(nb) and nb["cells"][0]["metadata"] == {"tags": ["parameters"]}   # papermill's tag kept
    path = tmp_path / "x.ipynb"
    path.write_text(nbclean.dumps(nb))
    test_notebook_is_clean(path)


def test_jupyter_pre_save_hook_cleans_only_the_projects_notebooks(tmp_path):
    "The hook .jupyter/jupyter_server_config.py installs (bash scripts/lab.sh): notebooks under nbs/ are saved clean."
    nbclean = _nbclean()
    class Manager:                                    # what jupyter_server passes: API path -> file on disk
        def __init__(self, root): self.root = root
        def _get_os_path(self, path): return str(self.root / path)
    ours, other = _dirty_nb(), _dirty_nb()
    nbclean.pre_save_hook(model={"type": "notebook", "content": ours}, path="nbs/figures/explorer.ipynb", contents_manager=Manager(ROOT))
    nbclean.pre_save_hook(model={"type": "notebook", "content": other}, path="scratch.ipynb", contents_manager=Manager(tmp_path))
    assert not nbclean.problems(ours) and nbclean.problems(other)
    config = (ROOT / ".jupyter" / "jupyter_server_config.py").read_text()
    assert "pre_save_hook = pre_save_hook" in config


def test_committed_notebooks_pass_nbclean_check():
    import subprocess, sys
    r = subprocess.run([sys.executable, str(ROOT / "scripts" / "nbclean.py"), "--check"], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
