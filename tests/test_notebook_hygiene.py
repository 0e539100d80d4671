"""Notebooks are committed clean: no outputs, no execution counts, and no metadata beyond the kernel and cell tags
(papermill's `parameters`). Opening a notebook in JupyterLab and saving it adds outputs and widget state; this check
fails until they are cleared with `python scripts/nbclean.py` (JupyterLab started by `bash scripts/lab.sh` saves them
clean). `nbdev_clean` is not enough: with this project's settings it keeps outputs and widget state."""
import json
from pathlib import Path

import pytest
from script_kit import load_script

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "nbs").rglob("*.ipynb"))
NOTEBOOKS = [p for p in NOTEBOOKS if ".ipynb_checkpoints" not in p.parts]


@pytest.mark.parametrize("nb", NOTEBOOKS, ids=lambda p: str(p.relative_to(ROOT / "nbs")))
def test_notebook_is_clean(nb):
    problems = load_script("nbclean").problems(json.loads(nb.read_text(encoding="utf-8")))
    assert not problems, f"{nb.name}: {'; '.join(problems[:3])}; run `python scripts/nbclean.py`"


def test_a_dirty_notebook_is_caught(tmp_path):
    nb = tmp_path / "x.ipynb"
    nb.write_text(json.dumps({"metadata": {"widgets": {}}, "cells": [{"cell_type": "code", "metadata": {}, "source": "1",
                                                                     "outputs": [{"output_type": "stream"}], "execution_count": 1}]}))
    with pytest.raises(AssertionError, match="notebook metadata"): test_notebook_is_clean(nb)




def _dirty_nb() -> dict:
    return {"metadata": {"kernelspec": {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}, "widgets": {"state": {}}, "language_info": {}}, "nbformat": 4,
            "nbformat_minor": 5,
            "cells": [{"cell_type": "code", "id": "a", "metadata": {"tags": ["parameters"], "collapsed": False}, "source": "x = 1",
                       "outputs": [{"output_type": "stream", "name": "stdout", "text": "1"}], "execution_count": 3},
                      {"cell_type": "markdown", "id": "b", "metadata": {"jp-MarkdownHeadingCollapsed": True}, "source": "# T"}]}


def test_nbclean_makes_a_notebook_clean(tmp_path):
    nbclean = load_script("nbclean")
    nb = _dirty_nb()
    assert nbclean.problems(nb)
    nbclean.clean(nb)
    assert not nbclean.problems(nb) and nb["cells"][0]["metadata"] == {"tags": ["parameters"]}   # papermill's tag kept
    path = tmp_path / "x.ipynb"
    path.write_text(nbclean.dumps(nb))
    test_notebook_is_clean(path)


def test_jupyter_pre_save_hook_cleans_only_the_projects_notebooks(tmp_path):
    "The hook .jupyter/jupyter_server_config.py installs (bash scripts/lab.sh): notebooks under nbs/ are saved clean."
    nbclean = load_script("nbclean")
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


def test_jupyterlab_kernel_name_is_caught_and_cleaned(tmp_path):
    "JupyterLab saves the kernel's display name ('Python 3 (ipykernel)'): the check fails on it and nbclean writes it back."
    nbclean = load_script("nbclean")
    nb = json.loads((ROOT / "nbs" / "00_core.ipynb").read_text())
    nb["metadata"]["kernelspec"]["display_name"] = "Python 3 (ipykernel)"
    (tmp_path / "x.ipynb").write_text(nbclean.dumps(nb))
    with pytest.raises(AssertionError, match="kernelspec"): test_notebook_is_clean(tmp_path / "x.ipynb")
    assert nbclean.clean(nb)["metadata"]["kernelspec"] == nbclean.KERNELSPEC


def test_a_save_through_the_projects_jupyter_server_is_clean():
    """A notebook saved the way JupyterLab saves it (a PUT to the contents API of a Jupyter server started with this
    project's configuration, as scripts/lab.sh starts it), with outputs, widget state and the kernel's display name:
    what lands on disk passes the check."""
    import os, secrets, socket, subprocess, sys, time, urllib.request
    nbclean = load_script("nbclean")
    with socket.socket() as s: s.bind(("127.0.0.1", 0)); port = s.getsockname()[1]
    token, probe = secrets.token_hex(8), ROOT / "nbs" / f"_save_probe_{os.getpid()}.ipynb"
    env = dict(os.environ, JUPYTER_CONFIG_PATH=str(ROOT / ".jupyter"))
    server = subprocess.Popen([sys.executable, "-m", "jupyter", "server", "--no-browser", f"--port={port}", "--ServerApp.port_retries=0",
                               "--ServerApp.ip=127.0.0.1", "--allow-root", f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={ROOT}"],
                              env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        url = f"http://127.0.0.1:{port}/api/contents/nbs/{probe.name}"
        body = json.dumps({"type": "notebook", "format": "json", "content": _dirty_nb()}).encode()
        end = time.monotonic() + 120
        while True:
            try:
                req = urllib.request.Request(url, body, method="PUT", headers={"Authorization": f"token {token}"})
                with urllib.request.urlopen(req, timeout=30) as r: assert r.status in (200, 201)
                break
            except OSError:
                if time.monotonic() > end or server.poll() is not None: pytest.fail(f"jupyter server did not answer: {server.stderr.read()[-2000:]}")
                time.sleep(0.3)
        saved = json.loads(probe.read_text())
        assert nbclean.problems(saved) == [], nbclean.problems(saved)
        assert saved["metadata"] == {"kernelspec": nbclean.KERNELSPEC}
    finally:
        server.terminate()
        try: server.wait(30)
        except subprocess.TimeoutExpired: server.kill(); server.wait()
        probe.unlink(missing_ok=True)


def test_readme_starts_jupyterlab_through_lab_sh():
    "Plain `jupyter lab` skips the pre-save hook: every command the README and the notebooks give goes through scripts/lab.sh."
    import re
    texts = {p: p.read_text() for p in [ROOT / "README.md", *NOTEBOOKS]}
    bare = [str(p.relative_to(ROOT)) for p, t in texts.items() if re.search(r"(?<![\w/.-])(\.venv/bin/)?jupyter[ -]lab\b(?! extension)", t)]
    assert not bare, f"plain `jupyter lab` in {bare}: use `bash scripts/lab.sh`"
