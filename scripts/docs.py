"""The documentation site: every library notebook (nbs/index.ipynb, nbs/NN_*.ipynb) and course notebook (nbs/course/),
executed with their outputs and rendered to HTML, offline, by nbconvert (no Quarto, no network), with an API reference,
a sidebar, a search box and the math rendered by a local copy of KaTeX.

    python scripts/docs.py              # everything: _docs/index.html
    python scripts/docs.py --fast       # execute index, 00_core and the course (lesson 01 with smaller parameters)
    python scripts/docs.py --only 07_system --only course   # execute the notebooks whose path contains these texts
    python scripts/docs.py --pages 03_losses --no-execute    # a small site: the home page and 03_losses, as saved

Notebooks are executed in a copy of nbs/ in _proc/ (each in its own kernel, in its own folder, as the tests run them;
cells flagged `#| slow` or `#| notest` and `nbdev_export()` calls are skipped, as in the tests) and never written back
into nbs/. `#| hide` cells are left out of the pages, `#| echo: false` cells show only their outputs, directive lines
are removed, and each `#| export` cell is folded ("Exported source") above the API entries of what it defines, as
nbdev's `show_doc` shows them. The API reference (api/<module>.html) has every exported name of every module, with its
signature, docstring and a link to its line in the module's source (api/source/<module>.html). A search box on every
page searches the pages' text and the API (an index written at build time, _assets/search_index.js). KaTeX comes from
the npm package katex (pinned, checked by SHA-256, cached in .cache/docs/); the site loads nothing from the internet.
_docs/build.json records what was executed and how long each notebook took. A notebook that fails is rendered with
its error and the build exits 1."""
from __future__ import annotations

import argparse
import hashlib
import html
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
from html.parser import HTMLParser
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import docs_api  # noqa: E402  (the API reference, next to this script)

ROOT = Path(__file__).resolve().parents[1]
NBS = ROOT / "nbs"
LIB = ROOT / "bottlefit"
ASSETS = Path(__file__).resolve().parent / "docs_assets"
SITE = "BottleFit Workbench"
FAST = ("index.ipynb", "00_core.ipynb")          # --fast executes these and every course notebook
# Course lessons that the fast build runs with smaller parameters than a student's defaults (those of the suite,
# tests/test_course.py): lesson 01 trains four small models, minutes on a busy 2-core machine at its defaults.
FAST_PARAMETERS = {     # the lessons that train, at the small budgets the test suite runs them with
    "01_bottlenecks_and_losses": dict(TRAIN_IMAGES=160, VAL_IMAGES=100, TEACHER_EPOCHS=1, EPOCHS=1),
    "06_two_stages_vs_hnd": dict(TRAIN_IMAGES=320, VAL_IMAGES=100, EPOCHS=1, SEEDS=[0], THREADS=1),
    "07_rate_and_distortion": dict(BETAS=[1.0, 10.0], STEPS=60, FIT_IMAGES=100, TEST_IMAGES=100),
}
SKIP_FLAGS = ("slow", "notest")
EXPORT_FLAGS = ("export", "exports", "exporti")
KATEX = dict(version="0.19.1", sha256="24da5a599eb2fcede2e270b99a6ff48bca816beecc95feeb84e8cccbd1bb34fd")
_DIRECTIVE = re.compile(r"^\s*#\|\s*(.*?)\s*$")


class DocsError(Exception):
    "The site cannot be built: what is missing and what to run."


# ---- the notebooks -------------------------------------------------------------------------------------------------

def site_notebooks() -> list[Path]:
    "The notebooks of the site, relative to nbs/: index, the library in order, then the course."
    lib = sorted(p.name for p in NBS.glob("[0-9]*.ipynb"))
    course = sorted(str(p.relative_to(NBS)) for p in (NBS / "course").rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts)
    return [Path(p) for p in ["index.ipynb", *lib, *course] if (NBS / p).exists()]


def is_course(rel: Path) -> bool: return rel.parts[0] == "course"


def page_of(rel: Path) -> Path:
    "Where a notebook's page goes in the site (relative): index.ipynb -> index.html, course/x.ipynb -> course/x.html."
    return rel.with_suffix(".html")


def title_of(nb: dict, rel: Path) -> str:
    for c in nb["cells"]:
        if c["cell_type"] == "markdown":
            for line in "".join(c["source"]).splitlines():
                if line.startswith("# "): return line[2:].strip()
    return rel.stem


def description_of(nb: dict) -> str:
    "The notebook's summary: the `> ...` lines of its first markdown cell (nbdev's description)."
    for c in nb["cells"]:
        if c["cell_type"] == "markdown":
            quoted = [l[1:].strip() for l in "".join(c["source"]).splitlines() if l.startswith(">")]
            return " ".join(quoted)
    return ""


def directives(cell: dict) -> dict:
    lines, out = "".join(cell["source"]).splitlines(), {}
    for line in lines:
        m = _DIRECTIVE.match(line)
        if not m: break
        key, _, value = m.group(1).partition(":")
        key, value = key.strip(), value.strip()
        if " " in key and not value: key, _, value = key.partition(" ")      # `#| export core`
        out[key] = value or "true"
    return out


def prepare(nb: dict) -> dict:
    "Mark the cells the tests skip (nbdev's test_nb: flagged cells and `nbdev_export()` calls) so nbclient skips them too."
    for c in nb["cells"]:
        d = directives(c) if c["cell_type"] == "code" else {}
        if c["cell_type"] == "code" and (set(d) & set(SKIP_FLAGS) or d.get("eval") == "false" or "nbdev_export(" in "".join(c["source"])):
            c["metadata"].setdefault("tags", []).append("skip-execution")
    return nb


def inject_parameters(nb, values: dict) -> dict:
    """Set a lesson's parameters as papermill does: a cell after the one tagged `parameters`, tagged
    `injected-parameters` (left out of the page). Only names the parameters cell defines are set; what was set is returned."""
    import nbformat
    at = next((i for i, c in enumerate(nb.cells) if "parameters" in c.metadata.get("tags", [])), None)
    if at is None: return {}
    own = "".join(nb.cells[at].source)
    used = {k: v for k, v in values.items() if re.search(rf"^{re.escape(k)}\s*=", own, re.M)}
    if used:
        cell = nbformat.v4.new_code_cell("\n".join(f"{k} = {v!r}" for k, v in used.items()))
        cell.metadata["tags"] = ["injected-parameters"]
        nb.cells.insert(at + 1, cell)
    return used


def for_page(nb: dict, api: dict | None = None, root: str = "") -> dict:
    """What a page shows: no `#| hide` cells, no injected parameters, no directive lines, no code of `#| echo: false`
    cells; each exported cell folded above the API entries (`api`: cell id -> entries) of what it defines."""
    cells = []
    for c in nb["cells"]:
        if c["cell_type"] == "code":
            d = directives(c)
            if d.get("hide") == "true" or "injected-parameters" in c["metadata"].get("tags", []): continue
            src = "".join(c["source"]).splitlines(True)
            while src and _DIRECTIVE.match(src[0]): src.pop(0)
            c["source"] = "".join(src).strip("\n")
            if d.get("echo") == "false": c["metadata"]["transient"] = {"remove_source": True}
            if d.get("output") == "false": c["outputs"] = []
            if not c["source"] and not c.get("outputs"): continue          # only directives (`#| default_exp`)
            if set(d) & set(EXPORT_FLAGS):
                c["metadata"]["bf_exported"] = True
                entries = [e for e in (api or {}).get(c.get("id"), []) if e.kind != "constant"]
                c["metadata"]["bf_api"] = "\n".join(docs_api.entry_html(e, root) for e in entries)
        cells.append(c)
    nb["cells"] = cells
    return nb


def execute(nb, folder: Path, timeout: int) -> str | None:
    """Run `nb` in `folder` with nbclient, the kernel on Unix sockets in a private folder; None, or the error that
    stopped it (its outputs up to there are kept)."""
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError
    from traitlets.config import Config
    with tempfile.TemporaryDirectory(prefix="bottlefit-kernel-") as sockets:
        ipc = Config({"KernelManager": {"transport": "ipc", "ip": str(Path(sockets) / "kernel")}})
        client = NotebookClient(nb, timeout=timeout, kernel_name="python3", resources={"metadata": {"path": str(folder)}},
                                skip_cells_with_tag="skip-execution", config=ipc)
        try: client.execute()
        except CellExecutionError as e: return _plain(str(e)).strip().splitlines()[-1][:300]
        except Exception as e: return f"{type(e).__name__}: {e}"[:300]
    return None


def _plain(text: str) -> str: return re.sub(r"\x1b\[[0-9;]*m", "", text)


# ---- assets: KaTeX, the notebook CSS, the site's CSS and script -----------------------------------------------------

def cache_dir() -> Path:
    "Where downloads for the site are kept: `$BOTTLEFIT_CACHE/docs`, else `<project>/.cache/docs`."
    return Path(os.environ.get("BOTTLEFIT_CACHE") or ROOT / ".cache").expanduser() / "docs"


def _sha256(path: Path) -> str: return hashlib.sha256(path.read_bytes()).hexdigest()


def katex_tarball(cache: Path | None = None) -> Path:
    """The pinned KaTeX package (npm's `katex`), from the cache, else fetched once with `npm pack` into it; its SHA-256
    is checked. Offline and not cached: a DocsError saying what to run."""
    v, want = KATEX["version"], KATEX["sha256"]
    cache = cache or cache_dir()
    path = cache / f"katex-{v}.tgz"
    fix = (f"run `npm pack katex@{v} --pack-destination {cache}` on a machine that reaches the npm registry "
           f"(or copy katex-{v}.tgz there), then build again")
    if not path.exists():
        cache.mkdir(parents=True, exist_ok=True)
        npm = shutil.which("npm")
        if npm is None: raise DocsError(f"KaTeX {v} (the site's math) is not in {cache} and npm is not installed: {fix}")
        print(f"[docs] fetching KaTeX {v} once: npm pack katex@{v} -> {cache}", flush=True)
        with tempfile.TemporaryDirectory(dir=cache) as tmp:
            r = subprocess.run([npm, "pack", f"katex@{v}", "--pack-destination", tmp], capture_output=True, text=True, timeout=300)
            got = Path(tmp) / f"katex-{v}.tgz"
            if r.returncode != 0 or not got.exists():
                why = (r.stderr or r.stdout).strip().splitlines()[-1:] or ["no file"]
                raise DocsError(f"KaTeX {v} (the site's math) is not in {cache} and `npm pack` failed ({why[0][:200]}): {fix}")
            os.replace(got, path)
    if _sha256(path) != want:
        raise DocsError(f"{path} is not KaTeX {v} as pinned (SHA-256 {_sha256(path)[:16]}..., expected {want[:16]}...): "
                        f"delete it and {fix}")
    return path


def vendor_katex(dest: Path, tarball: Path) -> list[str]:
    "Copy what the pages use from the KaTeX package into `dest`: the script, its CSS, auto-render, the woff2 fonts, the licence."
    keep = re.compile(r"^package/(LICENSE|dist/(katex\.min\.js|katex\.min\.css|contrib/auto-render\.min\.js|fonts/[\w-]+\.woff2))$")
    names = []
    with tarfile.open(tarball) as tar:
        for m in tar.getmembers():
            hit = keep.match(m.name)
            if not (hit and m.isfile()): continue
            rel = hit.group(1) if hit.group(1) == "LICENSE" else hit.group(2)
            out = dest / rel
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_bytes(tar.extractfile(m).read())
            names.append(rel)
    missing = {"katex.min.js", "katex.min.css", "contrib/auto-render.min.js", "LICENSE"} - set(names)
    if missing: raise DocsError(f"{tarball} lacks {sorted(missing)}: delete it and build again")
    return names


def exporter():
    from nbconvert import HTMLExporter
    ex = HTMLExporter(template_name="lab", template_file="site.html.j2", extra_template_paths=[str(ASSETS)])
    ex.exclude_input_prompt = ex.exclude_output_prompt = True
    return ex


def notebook_css(ex) -> str:
    "JupyterLab's notebook CSS and light theme, as nbconvert's lab template would inline them in every page (here once)."
    for d in ex.template_paths:
        static = Path(d) / "static"
        if (static / "index.css").exists() and (static / "theme-light.css").exists():
            return "\n".join((static / n).read_text(encoding="utf-8") for n in ("index.css", "theme-light.css"))
    raise DocsError(f"nbconvert's lab template has no static/index.css in {ex.template_paths}")


def write_assets(out: Path, ex, index: list) -> dict:
    a = out / "_assets"
    if a.exists(): shutil.rmtree(a)
    a.mkdir(parents=True)
    katex = vendor_katex(a / "katex", katex_tarball())
    (a / "jupyter.css").write_text(notebook_css(ex), encoding="utf-8")
    for name in ("site.css", "site.js"): shutil.copy2(ASSETS / name, a / name)
    text = json.dumps(index, ensure_ascii=False, separators=(",", ":"))
    (a / "search.json").write_text(text + "\n", encoding="utf-8")
    (a / "search_index.js").write_text(f"window.BF_INDEX = {text};\n", encoding="utf-8")   # file:// pages cannot fetch JSON
    return dict(katex=KATEX["version"], katex_files=len(katex), search_entries=len(index))


# ---- the sidebar, the search index, the pages ---------------------------------------------------------------------

_HEADING = re.compile(r'<h([1-3]) id="([^"]+)">(.*?)<a class="anchor-link"', re.S)


def headings(body: str, levels=(2,)) -> list[tuple[str, str]]:
    "(id, text) of the page's headings of these levels, in order."
    return [(i, html.unescape(re.sub(r"<[^>]+>", "", t)).strip()) for lv, i, t in _HEADING.findall(body) if int(lv) in levels]


def sidebar(pages: list[dict], modules: list, root: str, current: str, toc: list[tuple[str, str]]) -> str:
    "The navigation of every page: home, the library notebooks in order, the course, the API reference; the search box."
    def item(href, label, num=""):
        here = href == current
        sub = ""
        if here and toc:
            sub = '<ul class="bf-toc">' + "".join(f'<li><a href="#{html.escape(i)}">{html.escape(t)}</a></li>' for i, t in toc) + "</ul>"
        n = f'<span class="bf-num">{html.escape(num)}</span>' if num else ""
        cur, aria = (' class="bf-current"', ' aria-current="page"') if here else ("", "")
        return f'<li{cur}><a href="{root}{href}"{aria}>{n}{html.escape(label)}</a>{sub}</li>'

    def group(title, items, open_=True):
        return f'<details{" open" if open_ else ""}><summary>{title}</summary><ol>{"".join(items)}</ol></details>'

    lib = [p for p in pages if not p["course"]]
    course = [p for p in pages if p["course"]]
    num = lambda p: p["notebook"].split("/")[-1].split("_")[0] if p["notebook"].split("/")[-1][:1].isdigit() else ""
    parts = [f'<nav class="bf-side" aria-label="Site navigation"><div class="bf-top"><a class="bf-brand" href="{root}index.html">{SITE}</a>',
             '<div class="bf-search"><input type="search" id="bf-q" placeholder="Search the docs and API ( / )" '
             'autocomplete="off" aria-label="Search the documentation and the API reference">'
             '<div id="bf-results" class="bf-results" hidden></div></div></div>',
             group("Library", [item(p["page"], p["title"], num(p)) for p in lib])]
    if course: parts.append(group("Course", [item(p["page"], p["title"], num(p)) for p in course]))
    if modules:
        parts.append(group("API reference", [item("api/index.html", "All modules")] +
                           [item(f"api/{m.name}.html", m.name) for m in modules],
                           open_=current.startswith("api/")))
    parts.append("</nav>")
    return "".join(parts)


class _Text(HTMLParser):
    """The prose of a rendered page, section by section (a section starts at each h1-h3 with an id): the text of the
    markdown cells, without code, outputs, API entries (indexed apart) or the site's own notes."""
    BLOCK = {"p", "li", "div", "td", "th", "tr", "dd", "dt", "blockquote"}
    VOID = {"br", "img", "hr", "input", "meta", "link", "wbr", "source", "col", "area", "base", "embed", "param", "track"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack, self.sections, self.heading = [], [["", "", []]], None

    def _flags(self):
        return {f for _, f in self.stack for f in f}

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        cls = set((a.get("class") or "").split())
        flags = set()
        if "jp-RenderedMarkdown" in cls: flags.add("md")
        if tag in ("script", "style", "pre", "details", "nav") or cls & {"bf-api", "bf-note", "bf-toc-home", "anchor-link"}:
            flags.add("skip")
        if re.fullmatch(r"h[1-3]", tag) and a.get("id"):
            self.sections.append([a["id"], "", []])
            self.heading = tag
        if tag not in self.VOID: self.stack.append((tag, flags))
        elif tag == "br": self.handle_data(" ")

    def handle_endtag(self, tag):
        if tag in self.BLOCK: self.handle_data(" ")
        if tag == self.heading: self.heading = None
        for i in range(len(self.stack) - 1, -1, -1):
            if self.stack[i][0] == tag: del self.stack[i:]; break

    def handle_data(self, data):
        f = self._flags()
        if "skip" in f: return
        if self.heading: self.sections[-1][1] += data
        elif "md" in f: self.sections[-1][2].append(data)


def page_index(body: str, page: str, title: str, limit: int = 4000) -> list[dict]:
    "Search entries of a page: one per section with its heading and prose."
    p = _Text()
    p.feed(body)
    out = []
    for sid, head, text in p.sections:
        text = re.sub(r"\s+", " ", "".join(text)).strip()
        if not (text or head.strip()): continue
        out.append(dict(k="page", t=title, h=head.strip(), u=page + (f"#{sid}" if sid else ""), x=text[:limit]))
    return out


def api_index(modules: list, shown: dict) -> list[dict]:
    "Search entries of the API: each name with its module, signature and first docstring line; linked where it is shown."
    out = []
    for m in modules:
        for e in m.entries:
            for x in [e, *e.members]:
                where = shown.get((m.name, x.name), f"api/{m.name}.html")
                out.append(dict(k="api", t=x.name, h=f"bottlefit.{m.name}", u=f"{where}#{x.anchor}",
                                x=(x.name.split(".")[-1] + x.signature)[:200] + (" — " + x.first_line[:200] if x.first_line else "")))
    return out


def standalone(title: str, body: str, root: str, side: str, extra_css: str = "") -> str:
    "A page of the site that is not a notebook (the API reference, a module's source)."
    return (f'<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
            f'<meta name="viewport" content="width=device-width, initial-scale=1.0">\n<title>{html.escape(title)} – {SITE}</title>\n'
            f'<link rel="stylesheet" href="{root}_assets/katex/katex.min.css">\n<link rel="stylesheet" href="{root}_assets/site.css">\n'
            + (f"<style>{extra_css}</style>\n" if extra_css else "") +
            f'<script defer src="{root}_assets/katex/katex.min.js"></script>\n'
            f'<script defer src="{root}_assets/katex/contrib/auto-render.min.js"></script>\n'
            f'<script defer src="{root}_assets/search_index.js"></script>\n<script defer src="{root}_assets/site.js"></script>\n'
            f'</head>\n<body class="bf-page bf-doc" data-root="{root}">\n{side}\n<main class="bf-main">\n{body}\n</main>\n</body>\n</html>\n')


def api_pages(out: Path, modules: list, pages: list, shown_in: dict, about: dict) -> None:
    """api/index.html (every module), api/<module>.html (its entries) and api/source/<module>.html (its numbered source).
    `about`: notebook name -> (title, description), which say what a module holds better than its one-line docstring."""
    root = "../"
    title = lambda m: about.get(m.notebook, (docs_api.first_paragraph(m.doc), ""))[0]
    rows = "".join(f'<tr><td><a href="{m.name}.html"><code>bottlefit.{m.name}</code></a></td><td>{len(m.entries)}</td>'
                   f'<td>{html.escape(title(m))}</td></tr>' for m in modules)
    body = (f"<h1>API reference</h1><p>Every exported name of the package, module by module, as its notebook defines it: "
            f"signature, docstring and source. Search with the box at the top left (press <kbd>/</kbd>).</p>"
            f'<table class="bf-modules"><thead><tr><th>module</th><th>names</th><th>what it holds</th></tr></thead>'
            f"<tbody>{rows}</tbody></table>")
    (out / "api").mkdir(parents=True, exist_ok=True)
    (out / "api" / "index.html").write_text(standalone("API reference", body, root, sidebar(pages, modules, root, "api/index.html", [])),
                                            encoding="utf-8")
    for m in modules:
        nb_page = shown_in.get(m.notebook)
        toc = [(e.anchor, e.name) for e in m.entries if e.kind != "constant"]
        head, summary = about.get(m.notebook, ("", m.doc))
        parts = [f"<h1><code>bottlefit.{m.name}</code></h1>" + (f'<p class="bf-module-title">{html.escape(head)}</p>' if head else ""),
                 f'<div class="bf-module-doc">{docs_api.doc_html(summary or m.doc)}</div>',
                 f"<p>Defined in the notebook <a href=\"{root}{nb_page}\">nbs/{m.notebook}</a>; "
                 f'the <a href="source/{m.name}.html">source</a> (<code>bottlefit/{m.name}.py</code>, generated from it).</p>'
                 if nb_page else f'<p>Generated from <code>nbs/{m.notebook}</code>; <a href="source/{m.name}.html">source</a>.</p>']
        for e in m.entries:
            href = f"{root}{nb_page}#{e.anchor}" if nb_page and e.kind != "constant" and e.cell else None
            parts.append(docs_api.entry_html(e, root, notebook_href=href))
        (out / "api" / f"{m.name}.html").write_text(
            standalone(f"bottlefit.{m.name}", "\n".join(parts), root, sidebar(pages, modules, root, f"api/{m.name}.html", toc)),
            encoding="utf-8")
        code, css = docs_api.source_page_body(m)
        (out / "api" / "source").mkdir(parents=True, exist_ok=True)
        body = f'<h1>bottlefit/{m.name}.py</h1><p>Generated from <code>nbs/{m.notebook}</code> by nbdev; <a href="../{m.name}.html">API</a>.</p>{code}'
        (out / "api" / "source" / f"{m.name}.html").write_text(
            standalone(f"bottlefit/{m.name}.py", body, "../../", sidebar(pages, modules, "../../", f"api/{m.name}.html", []), css),
            encoding="utf-8")


def _note(executed: bool, error: str | None, params: dict) -> str:
    if error: return f'<div class="bf-note">This notebook ran with an error: {html.escape(error)}</div>'
    if not executed: return '<div class="bf-note">Not executed in this build (fast or partial build): shown without outputs.</div>'
    if params:
        given = ", ".join(f"{k} = {v!r}" for k, v in params.items())
        return (f'<div class="bf-note">Executed by the fast build with smaller parameters than a student\'s defaults '
                f"({html.escape(given)}), to keep the fast build short; the full build (<code>bash scripts/docs.sh</code>) "
                f"runs the lesson as it is.</div>")
    return ""


def build(out: Path = ROOT / "_docs", fast: bool = False, only: list[str] | None = None, timeout: int = 600,
          work: Path = ROOT / "_proc", pages: list[str] | None = None, execute_notebooks: bool = True) -> dict:
    """Execute and render the site into `out`; the notebooks run in a copy of nbs/ at `work` (a sibling of nbs/ by default,
    so that relative paths such as ../data resolve as in nbs/). `fast`: execute index, 00_core and the course; `only`:
    the notebooks whose path contains one of these texts; `pages`: render only the home page and the notebooks whose path
    contains one of these texts; `execute_notebooks=False`: execute nothing."""
    import nbformat
    t0 = time.perf_counter()
    rels = [r for r in site_notebooks() if pages is None or r.name == "index.ipynb" or any(t in str(r) for t in pages)]
    if not execute_notebooks: run = lambda r: False
    elif fast: run = lambda r: r.name in FAST or is_course(r)
    elif only: run = lambda r: any(o in str(r) for o in only)
    else: run = lambda r: True
    ex = exporter()
    katex_tarball()                                      # before any notebook runs: fail early when offline and not cached
    modules = docs_api.read_package(LIB)
    by_cell = {}
    for m in modules:
        for e in m.entries:
            by_cell.setdefault((e.notebook, e.cell), []).append(e)
    if work.exists(): shutil.rmtree(work)
    shutil.copytree(NBS, work, ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"))
    out.mkdir(parents=True, exist_ok=True)
    for old in ("api", "_assets"):
        if (out / old).exists(): shutil.rmtree(out / old)
    saved = {r: nbformat.read(NBS / r, as_version=4) for r in rels}
    entries = [dict(notebook=f"nbs/{r}", page=str(page_of(r)), title=title_of(saved[r], r), course=is_course(r)) for r in rels]
    about = {m.notebook: (title_of(nb, Path(m.notebook)), description_of(nb)) for m in modules
             for nb in [nbformat.read(NBS / m.notebook, as_version=4)] if (NBS / m.notebook).exists()}
    shown_in = {Path(e["notebook"]).name: e["page"] for e in entries if not e["course"]}   # '03_losses.ipynb' -> page
    shown = {(m.name, x.name): shown_in[m.notebook] for m in modules if m.notebook in shown_in
             for e in m.entries if e.kind != "constant" for x in [e, *e.members]}
    index, rendered = [], []
    for rel, entry in zip(rels, entries):
        t = time.perf_counter()
        nb = nbformat.read(work / rel, as_version=4)
        error, executed, params = None, run(rel), {}
        if executed:
            if fast and is_course(rel): params = inject_parameters(nb, FAST_PARAMETERS.get(rel.stem, {}))
            print(f"[docs] executing {rel} ...", flush=True)
            error = execute(prepare(nb), (work / rel).parent, timeout)
            nbformat.write(nb, work / rel)
        seconds = time.perf_counter() - t
        root = "../" * (len(rel.parts) - 1)
        nb.metadata["title"] = f"{entry['title']} – {SITE}"
        api = {cell: es for (nbname, cell), es in by_cell.items() if nbname == rel.name} if not is_course(rel) else {}
        body, _ = ex.from_notebook_node(for_page(nb, api, root),
                                        resources=dict(bf_root=root, bf_side="%BF_SIDE%", bf_note="%BF_NOTE%"))
        body = body.replace("%BF_NOTE%", ("%TOC%" if rel.name == "index.ipynb" else "") + _note(executed, error, params), 1)
        index += page_index(body, entry["page"], entry["title"])
        rendered.append((rel, body, root))
        entry.update(executed=executed, error=error, seconds=round(seconds, 1), parameters=params or None)
        print(f"[docs] {rel}: {'error: ' + error if error else 'executed' if executed else 'not executed'}, {seconds:.1f} s",
              flush=True)
    toc = ['<div class="bf-toc-home"><b>Notebooks</b> (executed with their outputs; '
           f'{sum(e["executed"] for e in entries)} of {len(entries)} in this build; '
           '<a href="api/index.html">API reference</a>)<ol>']
    toc += [f'<li><a href="{e["page"]}">{html.escape(e["title"])}</a> <span>{html.escape(e["notebook"])}'
            f'{"" if e["executed"] else ", not executed"}{", error" if e["error"] else ""}</span></li>' for e in entries]
    toc.append("</ol></div>")
    for (rel, body, root), e in zip(rendered, entries):
        dest = out / e["page"]
        dest.parent.mkdir(parents=True, exist_ok=True)
        side = sidebar(entries, modules, root, e["page"], headings(body))
        dest.write_text(body.replace("%BF_SIDE%", side, 1).replace("%TOC%", "".join(toc), 1), encoding="utf-8")
    api_pages(out, modules, entries, shown_in, about)
    index += api_index(modules, shown)
    assets = write_assets(out, ex, index)
    for f in sorted((ROOT / "figures" / "cpu").glob("*.png")):          # the README's images
        (out / "figures" / "cpu").mkdir(parents=True, exist_ok=True)
        shutil.copy2(f, out / "figures" / "cpu" / f.name)
    total = time.perf_counter() - t0
    mode = "fast" if fast else "only " + ", ".join(only) if only else "full"
    report = dict(mode=mode if execute_notebooks else "none executed", seconds=round(total, 1), index="index.html",
                  pages=[{k: v for k, v in e.items() if k != "course"} for e in entries],
                  api=dict(modules=len(modules), entries=sum(len(m.entries) for m in modules)), **assets)
    (out / "build.json").write_text(json.dumps(report, indent=1) + "\n")
    print(f"[docs] {len(entries)} pages ({sum(e['executed'] for e in entries)} executed, "
          f"{sum(bool(e['error']) for e in entries)} with errors), API of {len(modules)} modules, "
          f"{len(index)} search entries, in {total:.1f} s: {out / 'index.html'}")
    return report


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--fast", action="store_true", help=f"execute only {' and '.join(FAST)} and the course (lesson 01 with smaller parameters)")
    ap.add_argument("--only", action="append", metavar="TEXT", help="execute only notebooks whose path contains TEXT")
    ap.add_argument("--pages", action="append", metavar="TEXT", help="render only the home page and notebooks whose path contains TEXT")
    ap.add_argument("--no-execute", action="store_true", help="execute nothing: the pages as the notebooks are saved (no outputs)")
    ap.add_argument("--out", type=Path, default=ROOT / "_docs", help="the site folder (default _docs/)")
    ap.add_argument("--work", type=Path, default=ROOT / "_proc", help="where the notebooks are executed (default _proc/, wiped)")
    ap.add_argument("--timeout", type=int, default=600, help="seconds one cell may run (default 600)")
    a = ap.parse_args(argv)
    try:
        report = build(a.out.resolve(), a.fast, a.only, a.timeout, a.work.resolve(), a.pages, not a.no_execute)
    except DocsError as e:
        print(f"[docs] {e}", file=sys.stderr)
        return 2
    return 1 if any(p["error"] for p in report["pages"]) else 0


if __name__ == "__main__":
    sys.exit(main())
