"""README.md is generated from nbs/index.ipynb, as nbdev intends, without Quarto: the notebook is executed (execnb, the
executor nbdev uses) and README.md is its markdown cells plus what its code cells display. The study's numbers in it are
computed by those cells from the committed records (data/results/cpu) and claims (figures/cpu/claims.csv), so the README
changes when they change.

    python scripts/readme.py            # write README.md
    python scripts/readme.py --check    # exit 1 if README.md is not what the notebook and records give

Cell directives (nbdev's): `#| hide` leaves a cell out; `#| echo: false` shows only its outputs; other code cells show
their code (python fence) and outputs. Outputs: text/markdown is written as it is, other text in a fence; an error stops."""
from __future__ import annotations

import argparse
import difflib
import os
import re
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
INDEX = ROOT / "nbs" / "index.ipynb"
README = ROOT / "README.md"
HEADER = ("<!-- Generated from nbs/index.ipynb by `python scripts/readme.py`: edit the notebook, not this file. -->\n\n")
COMMAND = "python scripts/readme.py"
_DIRECTIVE = re.compile(r"^\s*#\|\s*(.*?)\s*$")


def directives(source: str) -> tuple[dict, str]:
    "The leading `#| key: value` directives of a code cell, and the code after them."
    lines, dirs = source.splitlines(), {}
    while lines and (m := _DIRECTIVE.match(lines[0])):
        key, _, value = m.group(1).partition(":")
        dirs[key.strip()] = value.strip() or "true"
        lines.pop(0)
    return dirs, "\n".join(lines).strip("\n")


def _text(v) -> str: return "".join(v) if isinstance(v, list) else str(v)


def render_outputs(outputs: list) -> list[str]:
    parts = []
    for o in outputs:
        kind = o.get("output_type")
        if kind == "error":
            raise RuntimeError(f"a cell of {INDEX.name} failed: {o.get('ename')}: {o.get('evalue')}")
        if kind == "stream":
            if o.get("name") == "stdout" and _text(o["text"]).strip(): parts.append(f"```\n{_text(o['text']).rstrip()}\n```")
            continue
        data = o.get("data", {})
        if "text/markdown" in data:
            if _text(data["text/markdown"]).strip(): parts.append(_text(data["text/markdown"]).strip("\n"))
        elif "text/plain" in data: parts.append(f"```\n{_text(data['text/plain']).rstrip()}\n```")
    return parts


def to_markdown(nb) -> str:
    "README text of an executed notebook."
    parts = []
    for c in nb["cells"]:
        src = _text(c["source"])
        if c["cell_type"] == "markdown":
            if src.strip(): parts.append(src.strip("\n"))
            continue
        if c["cell_type"] != "code": continue
        dirs, code = directives(src)
        if dirs.get("hide") == "true": continue
        if dirs.get("echo", "true") != "false" and code: parts.append(f"```python\n{code}\n```")
        if dirs.get("output", "true") != "false": parts += render_outputs(c.get("outputs", []))
    return HEADER + "\n\n".join(parts) + "\n"


def execute(path: Path = INDEX):
    "`path` executed in its folder by execnb (as nbdev runs notebooks); the notebook with its outputs."
    from execnb.nbio import read_nb
    from execnb.shell import CaptureShell
    nb, cwd = read_nb(path), os.getcwd()
    os.chdir(path.parent)
    try:
        shell = CaptureShell()
        shell.run_all(nb, exc_stop=True)
    finally: os.chdir(cwd)
    return nb


def render(path: Path = INDEX) -> str:
    "The README that `path` gives with the records and figures as they are now."
    return to_markdown(execute(path))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--check", action="store_true", help="do not write; exit 1 if README.md is stale")
    a = ap.parse_args(argv)
    t0 = time.perf_counter()
    text = render()
    old = README.read_text(encoding="utf-8") if README.exists() else ""
    seconds = time.perf_counter() - t0
    if a.check:
        if text == old:
            print(f"README.md is up to date ({seconds:.1f} s)")
            return 0
        sys.stdout.writelines(list(difflib.unified_diff(old.splitlines(True), text.splitlines(True), "README.md",
                                                        "from nbs/index.ipynb", n=1))[:60])
        print(f"\nREADME.md is stale: run `{COMMAND}`", file=sys.stderr)
        return 1
    if text != old: README.write_text(text, encoding="utf-8")
    print(f"README.md {'written' if text != old else 'unchanged'} from nbs/index.ipynb in {seconds:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
