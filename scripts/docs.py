"""The documentation site: every library notebook (nbs/index.ipynb, nbs/NN_*.ipynb) and course notebook (nbs/course/),
executed with their outputs and rendered to HTML, offline, by nbconvert (no Quarto, no network).

    python scripts/docs.py              # everything: _docs/index.html
    python scripts/docs.py --fast       # execute only index.ipynb and 00_core.ipynb; render the rest without outputs
    python scripts/docs.py --only 07_system --only course   # execute the notebooks whose path contains these texts

Notebooks are executed in a copy of nbs/ in _proc/ (each in its own kernel, in its own folder, as the tests run them;
cells flagged `#| slow` or `#| notest` and `nbdev_export()` calls are skipped, as in the tests) and never written back
into nbs/. `#| hide` cells are left out of the pages, `#| echo: false` cells show only their outputs, directive lines
are removed. The home page
_docs/index.html is nbs/index.ipynb (the README) with links to every notebook; _docs/build.json records what was
executed and how long each notebook took. A notebook that fails is rendered with its error and the build exits 1."""
from __future__ import annotations

import argparse
import html
import json
import re
import shutil
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NBS = ROOT / "nbs"
FAST = ("index.ipynb", "00_core.ipynb")
SKIP_FLAGS = ("slow", "notest")
_DIRECTIVE = re.compile(r"^\s*#\|\s*(.*?)\s*$")


def site_notebooks() -> list[Path]:
    "The notebooks of the site, relative to nbs/: index, the library in order, then the course."
    lib = sorted(p.name for p in NBS.glob("[0-9]*.ipynb"))
    course = sorted(str(p.relative_to(NBS)) for p in (NBS / "course").rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts)
    return [Path(p) for p in ["index.ipynb", *lib, *course] if (NBS / p).exists()]


def page_of(rel: Path) -> Path:
    "Where a notebook's page goes in the site (relative): index.ipynb -> index.html, course/x.ipynb -> course/x.html."
    return rel.with_suffix(".html")


def title_of(nb: dict, rel: Path) -> str:
    for c in nb["cells"]:
        if c["cell_type"] == "markdown":
            for line in "".join(c["source"]).splitlines():
                if line.startswith("# "): return line[2:].strip()
    return rel.stem


def directives(cell: dict) -> dict:
    lines, out = "".join(cell["source"]).splitlines(), {}
    for line in lines:
        m = _DIRECTIVE.match(line)
        if not m: break
        key, _, value = m.group(1).partition(":")
        out[key.strip()] = value.strip() or "true"
    return out


def prepare(nb: dict) -> dict:
    "Mark the cells the tests skip (nbdev's test_nb: flagged cells and `nbdev_export()` calls) so nbclient skips them too."
    for c in nb["cells"]:
        d = directives(c) if c["cell_type"] == "code" else {}
        if c["cell_type"] == "code" and (set(d) & set(SKIP_FLAGS) or d.get("eval") == "false" or "nbdev_export(" in "".join(c["source"])):
            c["metadata"].setdefault("tags", []).append("skip-execution")
    return nb


def for_page(nb: dict) -> dict:
    "What a page shows: no `#| hide` cells, no directive lines, no code of `#| echo: false` cells."
    cells = []
    for c in nb["cells"]:
        if c["cell_type"] == "code":
            d = directives(c)
            if d.get("hide") == "true": continue
            src = "".join(c["source"]).splitlines(True)
            while src and _DIRECTIVE.match(src[0]): src.pop(0)
            c["source"] = "".join(src).strip("\n")
            if d.get("echo") == "false": c["metadata"]["transient"] = {"remove_source": True}
            if d.get("output") == "false": c["outputs"] = []
        cells.append(c)
    nb["cells"] = cells
    return nb


def execute(nb, folder: Path, timeout: int) -> str | None:
    "Run `nb` in `folder` with nbclient; None, or the error that stopped it (its outputs up to there are kept)."
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError
    client = NotebookClient(nb, timeout=timeout, kernel_name="python3", resources={"metadata": {"path": str(folder)}},
                            skip_cells_with_tag="skip-execution")
    try: client.execute()
    except CellExecutionError as e: return str(e).strip().splitlines()[-1][:300]
    except Exception as e: return f"{type(e).__name__}: {e}"[:300]
    return None


def exporter():
    from nbconvert import HTMLExporter
    ex = HTMLExporter(template_name="lab")
    ex.exclude_input_prompt = ex.exclude_output_prompt = True
    return ex


BANNER_CSS = ("<style>.bf-nav{font:14px/1.5 system-ui,sans-serif;padding:.6em 1em;border-bottom:1px solid #ddd;background:#fafafa}"
              ".bf-nav a{margin-right:.8em}.bf-note{font:13px system-ui,sans-serif;padding:.4em 1em;background:#fff3cd}"
              ".bf-toc{font:14px/1.6 system-ui,sans-serif;padding:.5em 1em 1em;border-bottom:1px solid #ddd}"
              ".bf-toc li span{color:#777}</style>")


def insert_after_body(page: str, block: str) -> str:
    m = re.search(r"<body[^>]*>", page)
    return page[:m.end()] + block + page[m.end():] if m else block + page


def build(out: Path = ROOT / "_docs", fast: bool = False, only: list[str] | None = None, timeout: int = 600,
          work: Path = ROOT / "_proc") -> dict:
    "Execute and render the site into `out`; the notebooks run in a copy of nbs/ at `work` (a sibling of nbs/ by default,\n    so that relative paths such as ../data resolve as in nbs/)."
    import nbformat
    t0 = time.perf_counter()
    rels = site_notebooks()
    run = (lambda r: r.name in FAST) if fast else (lambda r: any(o in str(r) for o in only)) if only else (lambda r: True)
    if work.exists(): shutil.rmtree(work)
    shutil.copytree(NBS, work, ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"))
    out.mkdir(parents=True, exist_ok=True)
    ex, entries = exporter(), []
    for rel in rels:
        t = time.perf_counter()
        nb = nbformat.read(work / rel, as_version=4)
        title = title_of(nb, rel)
        error, executed = None, run(rel)
        if executed:
            print(f"[docs] executing {rel} ...", flush=True)
            error = execute(prepare(nb), (work / rel).parent, timeout)
            nbformat.write(nb, work / rel)
        seconds = time.perf_counter() - t
        body, _ = ex.from_notebook_node(for_page(nb))
        depth = len(rel.parts) - 1
        up = "../" * depth
        note = ("" if executed and not error else
                f'<div class="bf-note">This notebook ran with an error: {html.escape(error)}</div>' if error else
                '<div class="bf-note">Not executed in this build (fast or partial build): shown without outputs.</div>')
        nav = f'<div class="bf-nav"><a href="{up}index.html">BottleFit Workbench</a> / {html.escape(title)}</div>'
        if rel == Path("index.ipynb"):
            nav = "%TOC%"
        page = insert_after_body(body.replace("</head>", BANNER_CSS + "</head>", 1), nav + note)
        entries.append(dict(notebook=f"nbs/{rel}", page=str(page_of(rel)), title=title, executed=executed, error=error,
                            seconds=round(seconds, 1), _page=page))
        print(f"[docs] {rel}: {'error: ' + error if error else 'executed' if executed else 'not executed'}, {seconds:.1f} s",
              flush=True)
    toc = ['<div class="bf-toc"><b>Notebooks</b> (executed with their outputs; '
           f'{sum(e["executed"] for e in entries)} of {len(entries)} in this build)<ol>']
    toc += [f'<li><a href="{e["page"]}">{html.escape(e["title"])}</a> <span>{html.escape(e["notebook"])}'
            f'{"" if e["executed"] else ", not executed"}{", error" if e["error"] else ""}</span></li>' for e in entries]
    toc.append("</ol></div>")
    for e in entries:
        dest = out / e["page"]
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.write_text(e.pop("_page").replace("%TOC%", "".join(toc), 1), encoding="utf-8")
    for f in sorted((ROOT / "figures" / "cpu").glob("*.png")):          # the README's images
        (out / "figures" / "cpu").mkdir(parents=True, exist_ok=True)
        shutil.copy2(f, out / "figures" / "cpu" / f.name)
    total = time.perf_counter() - t0
    report = dict(mode="fast" if fast else "only " + ", ".join(only) if only else "full", seconds=round(total, 1),
                  index="index.html", pages=entries)
    (out / "build.json").write_text(json.dumps(report, indent=1) + "\n")
    print(f"[docs] {len(entries)} pages ({sum(e['executed'] for e in entries)} executed, "
          f"{sum(bool(e['error']) for e in entries)} with errors) in {total:.1f} s: {out / 'index.html'}")
    return report


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--fast", action="store_true", help=f"execute only {' and '.join(FAST)}")
    ap.add_argument("--only", action="append", metavar="TEXT", help="execute only notebooks whose path contains TEXT")
    ap.add_argument("--out", type=Path, default=ROOT / "_docs", help="the site folder (default _docs/)")
    ap.add_argument("--work", type=Path, default=ROOT / "_proc", help="where the notebooks are executed (default _proc/, wiped)")
    ap.add_argument("--timeout", type=int, default=600, help="seconds one cell may run (default 600)")
    a = ap.parse_args(argv)
    report = build(a.out.resolve(), a.fast, a.only, a.timeout, a.work.resolve())
    return 1 if any(p["error"] for p in report["pages"]) else 0


if __name__ == "__main__":
    sys.exit(main())
