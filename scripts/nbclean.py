"""Notebooks of this project are committed clean: no outputs, no execution counts, no metadata beyond the kernel
(`kernelspec`) and cell tags (papermill's `parameters`). This script is the one definition of "clean":

    python scripts/nbclean.py                 # clean every notebook under nbs/ in place
    python scripts/nbclean.py --check [NB..]  # list the notebooks that are not clean; exit 1 if any
    python scripts/nbclean.py --check-staged  # the same for the notebooks staged for commit (the pre-commit hook)
    python scripts/nbclean.py --install-hooks # the git pre-commit hook (scripts/hooks.sh runs this)

`pre_save_hook` is the JupyterLab hook that `.jupyter/jupyter_server_config.py` installs (`bash scripts/lab.sh`
starts JupyterLab with it): every notebook under nbs/ is saved clean, so running the explorer or any notebook
leaves `git status` clean while the outputs stay on screen. Imports only the standard library."""
from __future__ import annotations

import argparse
import hashlib
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NBS = ROOT / "nbs"
KEEP_NB_METADATA = ("kernelspec",)
# The one kernelspec of this project's notebooks. JupyterLab writes the display name of the kernel it ran
# ("Python 3 (ipykernel)"), which would change a committed notebook on every save: it is written back as this.
KERNELSPEC = {"display_name": "python3", "language": "python", "name": "python3"}
KEEP_CELL_METADATA = ("tags",)


def problems(nb: dict) -> list[str]:
    "What makes `nb` unclean (empty when it is clean)."
    out = []
    extra = sorted(set(nb.get("metadata", {})) - set(KEEP_NB_METADATA))
    if extra: out.append(f"notebook metadata {extra}")
    ks = nb.get("metadata", {}).get("kernelspec")
    if ks is not None and ks != KERNELSPEC: out.append(f"kernelspec {ks} (this project's notebooks keep {KERNELSPEC})")
    for i, c in enumerate(nb.get("cells", [])):
        extra = sorted(set(c.get("metadata", {})) - set(KEEP_CELL_METADATA))
        if extra: out.append(f"cell {i}: metadata {extra}")
        if c.get("cell_type") == "code" and (c.get("outputs") or c.get("execution_count") is not None):
            out.append(f"cell {i}: outputs or an execution count")
        if "id" not in c and nb.get("nbformat_minor", 0) >= 5:
            out.append(f"cell {i}: no id (nbdev_export would name its code in the module by a new random id at every export)")
    return out


def clean(nb: dict) -> dict:
    "Clean `nb` in place (and return it)."
    nb["metadata"] = {k: v for k, v in nb.get("metadata", {}).items() if k in KEEP_NB_METADATA}
    if "kernelspec" in nb["metadata"]: nb["metadata"]["kernelspec"] = dict(KERNELSPEC)
    for c in nb.get("cells", []):
        c["metadata"] = {k: v for k, v in c.get("metadata", {}).items() if k in KEEP_CELL_METADATA}
        if c.get("cell_type") == "code":
            c["outputs"], c["execution_count"] = [], None
        c.pop("attachments", None) if c.get("cell_type") == "code" else None
    if nb.get("nbformat_minor", 0) >= 5:                 # a cell without an id gets one made from its place and text
        used = {c["id"] for c in nb.get("cells", []) if "id" in c}
        for i, c in enumerate(nb.get("cells", [])):
            if "id" in c: continue
            k = 0
            while (cid := hashlib.sha1(f"{i}-{k}-{''.join(c.get('source', ''))}".encode()).hexdigest()[:8]) in used: k += 1
            c["id"] = cid; used.add(cid)
    return nb


def dumps(nb: dict) -> str:
    "The text of a notebook as Jupyter writes it (nbformat: indent 1, sorted keys, unicode kept)."
    return json.dumps(nb, indent=1, sort_keys=True, ensure_ascii=False) + "\n"


def notebooks(paths=()) -> list[Path]:
    paths = [Path(p) for p in paths] or [NBS]
    out = []
    for p in paths:
        out += sorted(q for q in p.rglob("*.ipynb") if ".ipynb_checkpoints" not in q.parts) if p.is_dir() else [p]
    return out


def pre_save_hook(model, path, contents_manager=None, **kwargs):
    "JupyterLab pre-save hook: a notebook of this project (under nbs/) is written clean."
    if model.get("type") != "notebook" or not isinstance(model.get("content"), dict): return
    try:
        os_path = Path(contents_manager._get_os_path(path)) if contents_manager is not None else Path(path)
        os_path.resolve().relative_to(NBS)
    except (ValueError, AttributeError, OSError): return      # not one of ours: leave it alone
    clean(model["content"])


def _staged() -> list[tuple[str, str]]:
    names = subprocess.run(["git", "diff", "--cached", "--name-only", "--diff-filter=ACMR", "--", "*.ipynb"],
                           cwd=ROOT, capture_output=True, text=True, check=True).stdout.split()
    return [(n, subprocess.run(["git", "show", f":{n}"], cwd=ROOT, capture_output=True, text=True, check=True).stdout)
            for n in names]


HOOK = """#!/bin/sh
# installed by `python scripts/nbclean.py --install-hooks`: refuses to commit notebooks with outputs or editor metadata
exec "{python}" "$(git rev-parse --show-toplevel)/scripts/nbclean.py" --check-staged
"""


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("paths", nargs="*", help="notebooks or folders (default: nbs/)")
    g = ap.add_mutually_exclusive_group()
    g.add_argument("--check", action="store_true", help="only list unclean notebooks; exit 1 if any")
    g.add_argument("--check-staged", action="store_true", help="check the notebooks staged for commit")
    g.add_argument("--install-hooks", action="store_true", help="install the git pre-commit hook")
    a = ap.parse_args(argv)
    if a.install_hooks:
        hooks = Path(subprocess.run(["git", "rev-parse", "--git-path", "hooks"], cwd=ROOT, capture_output=True, text=True,
                                    check=True).stdout.strip())
        hooks = hooks if hooks.is_absolute() else ROOT / hooks
        hooks.mkdir(parents=True, exist_ok=True)
        (hooks / "pre-commit").write_text(HOOK.format(python=sys.executable))
        (hooks / "pre-commit").chmod(0o755)
        print(f"installed {hooks / 'pre-commit'}: commits of notebooks with outputs are refused")
        return 0
    if a.check_staged:
        bad = [(n, p) for n, text in _staged() if (p := problems(json.loads(text)))]
        for n, p in bad: print(f"{n}: {'; '.join(p[:3])}", file=sys.stderr)
        if bad: print("commit refused: run `python scripts/nbclean.py`, `git add` the notebooks, and commit again", file=sys.stderr)
        return 1 if bad else 0
    bad = 0
    for nb_path in notebooks(a.paths):
        nb = json.loads(nb_path.read_text(encoding="utf-8"))
        if not (p := problems(nb)): continue
        bad += 1
        if a.check: print(f"{nb_path}: {'; '.join(p[:3])}", file=sys.stderr)
        else:
            nb_path.write_text(dumps(clean(nb)), encoding="utf-8")
            print(f"cleaned {nb_path}")
    if a.check and bad: print(f"{bad} notebook(s) not clean: run `python scripts/nbclean.py`", file=sys.stderr)
    return 1 if (a.check and bad) else 0


if __name__ == "__main__":
    sys.exit(main())
