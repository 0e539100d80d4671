"""Notebooks are committed clean: no outputs, no execution counts, and no metadata beyond the kernel and cell tags
(papermill's `parameters`). Opening a notebook in JupyterLab and saving it adds outputs and widget state; this check
fails until they are cleared (`nbdev_clean` from the project folder, or Kernel > Restart and Clear Outputs)."""
import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "nbs").rglob("*.ipynb"))
NOTEBOOKS = [p for p in NOTEBOOKS if ".ipynb_checkpoints" not in p.parts]


@pytest.mark.parametrize("nb", NOTEBOOKS, ids=lambda p: str(p.relative_to(ROOT / "nbs")))
def test_notebook_is_clean(nb):
    d = json.loads(nb.read_text(encoding="utf-8"))
    assert set(d.get("metadata", {})) <= {"kernelspec"}, f"{nb.name}: notebook metadata {sorted(d['metadata'])}; run nbdev_clean"
    for i, c in enumerate(d["cells"]):
        assert set(c.get("metadata", {})) <= {"tags"}, f"{nb.name} cell {i}: metadata {sorted(c['metadata'])}; run nbdev_clean"
        if c["cell_type"] == "code":
            assert not c.get("outputs") and c.get("execution_count") is None, f"{nb.name} cell {i} has outputs; run nbdev_clean"


def test_a_dirty_notebook_is_caught(tmp_path):
    nb = tmp_path / "x.ipynb"
    nb.write_text(json.dumps({"metadata": {"widgets": {}}, "cells": [{"cell_type": "code", "metadata": {}, "source": "1",
                                                                     "outputs": [{"output_type": "stream"}], "execution_count": 1}]}))
    with pytest.raises(AssertionError, match="notebook metadata"): test_notebook_is_clean(nb)
