"""README.md is what nbs/index.ipynb gives with the committed records (scripts/readme.py), and the documentation site
builds (scripts/docs.py, fast mode) with a home page that links every library and course notebook."""
import importlib.util
import json
import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _script(name):
    spec = importlib.util.spec_from_file_location(name, ROOT / "scripts" / f"{name}.py")
    mod = importlib.util.module_from_spec(spec)
    sys.modules[name] = mod
    spec.loader.exec_module(mod)
    return mod


readme, docs = _script("readme"), _script("docs")


def test_readme_is_generated_from_index():
    text = readme.render()
    old = (ROOT / "README.md").read_text(encoding="utf-8")
    assert text == old, f"README.md is stale (nbs/index.ipynb or the records changed): run `{readme.COMMAND}` and commit README.md"


def test_readme_directives():
    nb = {"cells": [{"cell_type": "markdown", "source": "# T"},
                    {"cell_type": "code", "source": "#| hide\nx = 1", "outputs": [{"output_type": "stream", "name": "stdout", "text": "no"}]},
                    {"cell_type": "code", "source": "#| echo: false\nshow()", "outputs": [{"output_type": "execute_result", "data": {"text/markdown": "**b**", "text/plain": "<M>"}}]},
                    {"cell_type": "code", "source": "1 + 1", "outputs": [{"output_type": "execute_result", "data": {"text/plain": "2"}}]}]}
    assert readme.to_markdown(nb) == readme.HEADER + "# T\n\n**b**\n\n```python\n1 + 1\n```\n\n```\n2\n```\n"
    nb["cells"].append({"cell_type": "code", "source": "1/0", "outputs": [{"output_type": "error", "ename": "ZeroDivisionError", "evalue": "x"}]})
    with pytest.raises(RuntimeError, match="ZeroDivisionError"): readme.to_markdown(nb)


def test_site_links_every_notebook(tmp_path):
    report = docs.build(tmp_path / "site", fast=True, work=tmp_path / "_proc")
    index = (tmp_path / "site" / "index.html").read_text(encoding="utf-8")
    notebooks = docs.site_notebooks()
    assert {p["notebook"] for p in report["pages"]} == {f"nbs/{r}" for r in notebooks}
    links = set(re.findall(r'href="([^"#:]+\.html)"', index))
    for rel in notebooks:
        page = str(docs.page_of(rel))
        assert page in links or rel.name == "index.ipynb", f"the home page does not link {page}"
        assert (tmp_path / "site" / page).is_file(), page
    assert not [p for p in report["pages"] if p["error"]], report
    executed = {p["notebook"] for p in report["pages"] if p["executed"]}
    assert executed == {f"nbs/{n}" for n in docs.FAST}
    assert "jp-OutputArea-output" in index                        # the home page carries its outputs (the study's numbers)
    assert json.loads((tmp_path / "site" / "build.json").read_text())["mode"] == "fast"
    for name in docs.FAST:                                       # executed in the copy, never written back into nbs/
        ran = lambda p: [c["execution_count"] for c in json.loads(p.read_text(encoding="utf-8"))["cells"] if c.get("execution_count")]
        assert ran(tmp_path / "_proc" / name) and not ran(ROOT / "nbs" / name), name
