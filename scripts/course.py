"""The course's two builds from its one source. The lessons in nbs/course/ hold everything: prose, exercises, and the
solutions in cells tagged `solution` (a code solution cell also starts with the line `#| solution`). From them:

    python scripts/course.py build --out DIR [--publish-at PATH]   # DIR/student/ and DIR/instructor/
    python scripts/course.py sync                                   # rewrite each lesson's links and setup cell
    python scripts/course.py check                                  # is every lesson well formed? (exit 1 if not)

`student/` gets every lesson with each solution cell replaced by an empty exercise cell that says what to do (the
solution cell's `#| student:` lines; a markdown solution, such as the questionnaire's answers, by the text of its
`<!-- student: ... -->` comment, or nothing); no solution text is left in it. `instructor/` gets the lessons
with their solutions (the markers removed) and `instructor.md`. The exercise checks are in the package
(`bottlefit.exercises`), so a set is its notebooks alone. Both sets open
with "Open in Colab" and Binder badges pointing at `PATH/student/` and `PATH/instructor/` of the project's repository
(settings.ini's `git_url` and `branch`; PATH defaults to `course`, so commit a set there, or give the folder you
publish it in). The source keeps plain links to itself instead of badge images: the documentation site loads
nothing from the internet. Every lesson's setup cell installs the project from `git_url` where `lib_name` does not
import (Colab, Binder) and does nothing where it does. Imports only the standard library (and bottlefit.core)."""
from __future__ import annotations

import argparse
import ast
import configparser
import copy
import json
import re
import shutil
import sys
from pathlib import Path
from urllib.parse import quote

sys.path.insert(0, str(Path(__file__).resolve().parent))
import nbclean  # noqa: E402  (the one definition of a clean notebook, next to this script)

ROOT = Path(__file__).resolve().parents[1]
COURSE = ROOT / "nbs" / "course"
SUPPORT = {"student": (), "instructor": ("instructor.md",)}      # the exercise checks are in the package (bottlefit.exercises)
MARKER = "#| solution"
STUDENT = "#| student:"
_STUDENT_MD = re.compile(r"\A\s*<!--\s*student:(.*?)-->\s*", re.S)
_LINKS = re.compile(r"^(?:\[!\[Open In Colab\]|\[Open in Colab\]).*$", re.M)
DEFAULT_PUBLISH = "course"


class CourseError(Exception):
    "A lesson is not well formed, or a build went wrong: the message says which lesson, which cell, and what to do."


# ---- settings and the generated cells ------------------------------------------------------------------------------

def settings(path: Path = ROOT / "settings.ini") -> dict:
    "settings.ini's [DEFAULT] section (git_url, branch, lib_name, repo ...)."
    cp = configparser.ConfigParser(interpolation=None)
    if not cp.read(path, encoding="utf-8"): raise CourseError(f"{path} not found: the course reads git_url and lib_name from it")
    s = dict(cp["DEFAULT"])
    for k in ("git_url", "lib_name"):
        if not s.get(k): raise CourseError(f"{path} has no {k}: the setup cells install the project from git_url and check lib_name")
    s.setdefault("branch", "main")
    s.setdefault("repo", s["git_url"].rstrip("/").rsplit("/", 1)[-1])
    return s


def _github(s: dict) -> str | None:
    "owner/name of a GitHub git_url, or None (no badges for other hosts)."
    m = re.match(r"https?://github\.com/([^/]+/[^/]+?)(?:\.git)?/?$", s["git_url"])
    return m.group(1) if m else None


def links_line(s: dict, path: str, images: bool) -> str:
    "The 'Open in Colab' and Binder line for notebook `path` (relative to the repository): badge images or text links."
    gh = _github(s)
    if gh is None: return f"[Open in Colab]({s['git_url']}) (badges need a GitHub `git_url` in settings.ini)"
    colab = f"https://colab.research.google.com/github/{gh}/blob/{s['branch']}/{path}"
    binder = f"https://mybinder.org/v2/gh/{gh}/{s['branch']}?labpath={quote(path, safe='')}"
    if images:
        return (f"[![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)]({colab}) "
                f"[![Binder](https://mybinder.org/badge_logo.svg)]({binder})")
    return f"[Open in Colab]({colab}) · [Open in Binder]({binder})"


def setup_source(s: dict) -> str:
    "The setup cell every lesson runs first: installs the project where it does not import, else does nothing."
    lib, repo = s["lib_name"], s["repo"]
    return f'''# Setup. Where `{lib}` does not import (Colab, Binder, a fresh Python), get the workbench from its repository and
# install it; the lessons also read its committed results and its exercise checks. Where it imports, nothing happens.
import importlib.util, subprocess, sys
from pathlib import Path
REPO = "{s['git_url']}"
if importlib.util.find_spec("{lib}") is None:
    here = next((p for p in (Path.cwd(), *Path.cwd().parents) if (p / "{lib}" / "__init__.py").is_file()), None)
    if here is None:
        here = Path("{repo}").resolve()
        if not here.is_dir(): subprocess.run(["git", "clone", "--depth", "1", REPO, str(here)], check=True)
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "-e", str(here)], check=True)
    sys.path[:0] = [str(here), str(here / "nbs" / "course")]    # importable now, without restarting the kernel'''


# ---- reading a lesson ----------------------------------------------------------------------------------------------

def lessons(folder: Path = COURSE) -> list[Path]:
    return sorted(folder.glob("[0-9]*.ipynb"))


def load(nb_path: Path) -> dict:
    try: return json.loads(Path(nb_path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as e: raise CourseError(f"{nb_path}: cannot read the notebook ({e})") from e


def src(cell: dict) -> str:
    s = cell.get("source", "")
    return "".join(s) if isinstance(s, list) else s


def tags(cell: dict) -> list:
    return cell.get("metadata", {}).get("tags", [])


def is_solution(cell: dict) -> bool: return "solution" in tags(cell)


def _lines(text: str) -> list[str]:
    return text.splitlines(True)


def student_text(cell: dict) -> str | None:
    "What the student gets in place of a solution cell: the `#| student:` lines (code) or the `<!-- student: -->` text."
    text = src(cell)
    if cell["cell_type"] == "code":
        said = [l.strip()[len(STUDENT):].strip() for l in text.splitlines() if l.strip().startswith(STUDENT)]
        return "\n".join(said) if said else None
    m = _STUDENT_MD.match(text)
    return m.group(1).strip() if m else None


def instructor_text(cell: dict) -> str:
    "A solution cell without its markers: no `#| solution` / `#| student:` lines, no `<!-- student: -->` comment."
    text = src(cell)
    if cell["cell_type"] == "code":
        return "".join(l for l in _lines(text) if not l.strip().startswith((MARKER, STUDENT))).lstrip("\n")
    return _STUDENT_MD.sub("", text, count=1)


def _names(code: str, ctx) -> set:
    "Names stored (ctx ast.Store) or read (ast.Load) by `code`; IPython magics and shell lines are left out."
    code = "\n".join("" if l.lstrip().startswith(("%", "!")) else l for l in code.splitlines())
    try: tree = ast.parse(code)
    except SyntaxError: return set()
    out = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ctx)}
    if ctx is ast.Store:
        for n in ast.walk(tree):
            if isinstance(n, (ast.FunctionDef, ast.ClassDef)): out.add(n.name)
            if isinstance(n, (ast.Import, ast.ImportFrom)): out |= {(a.asname or a.name).split(".")[0] for a in n.names}
    return out


def problems(nb: dict, name: str, s: dict | None = None) -> list[str]:
    "What is wrong with a source lesson (empty when it is well formed); `s`: the settings its generated cells must match."
    out, cells = [], nb.get("cells", [])
    sols = [i for i, c in enumerate(cells) if is_solution(c)]
    for i, c in enumerate(cells):
        marked = c["cell_type"] == "code" and src(c).lstrip().startswith(MARKER)
        if marked != (is_solution(c) and c["cell_type"] == "code"):
            out.append(f"{name} cell {i}: a code solution cell has the tag `solution` and starts with `{MARKER}` (it has "
                       f"{'the marker' if marked else 'the tag'} only)")
        if is_solution(c) and c["cell_type"] == "code" and not student_text(c):
            out.append(f"{name} cell {i}: a solution cell needs `{STUDENT} ...` lines saying what the student does instead")
        if is_solution(c) and "parameters" in tags(c): out.append(f"{name} cell {i}: the parameters cell cannot be a solution")
        if c["cell_type"] == "code" and ("#| export" in src(c) or "default_exp" in src(c)):
            out.append(f"{name} cell {i}: course notebooks export nothing")
    if not [i for i in sols if cells[i]["cell_type"] == "code"]: out.append(f"{name}: no solution cells (tag `solution`)")
    for i in sols:                 # a student's notebook must run as the instructor's does without the solutions
        if cells[i]["cell_type"] != "code": continue
        stored = _names(instructor_text(cells[i]), ast.Store)
        for j in range(i + 1, len(cells)):
            c = cells[j]
            if c["cell_type"] == "code" and not is_solution(c):
                used = stored & _names(src(c), ast.Load)
                if used: out.append(f"{name} cell {j} reads {sorted(used)}, set by solution cell {i}: the student's notebook "
                                    "has no solution cells, so compute it in a cell of the lesson instead")
    text = "\n".join(src(c) for c in cells if c["cell_type"] == "markdown")
    for heading in ("## Questionnaire", "## Further research"):
        if heading not in text: out.append(f"{name}: no `{heading}` section")
    if s is not None:
        first = next((c for c in cells if c["cell_type"] == "markdown"), None)
        want = links_line(s, f"nbs/course/{name}.ipynb", images=False)
        if first is None or want not in src(first):
            out.append(f"{name}: the first cell lacks the line `{want[:60]}...`: run `python scripts/course.py sync`")
        setup = [c for c in cells if "setup" in tags(c)]
        if len(setup) != 1 or src(setup[0]) != setup_source(s):
            out.append(f"{name}: needs one cell tagged `setup` as scripts/course.py writes it: run `python scripts/course.py sync`")
    return out


# ---- sync: the generated cells of the source ----------------------------------------------------------------------

def _new_cell(kind: str, text: str, cell_id: str, tag: str | None = None) -> dict:
    c = {"cell_type": kind, "id": cell_id, "metadata": {"tags": [tag]} if tag else {}, "source": _lines(text)}
    if kind == "code": c.update(execution_count=None, outputs=[])
    return c


def with_links(nb: dict, line: str) -> dict:
    "`nb` with the links line right under the title of its first markdown cell (replacing any there)."
    nb = copy.deepcopy(nb)
    first = next(c for c in nb["cells"] if c["cell_type"] == "markdown")
    text = _LINKS.sub("", src(first))
    text = re.sub(r"\n{3,}", "\n\n", text)
    head, sep, rest = text.partition("\n")
    first["source"] = _lines(f"{head}\n\n{line}\n\n{rest.lstrip(chr(10))}" if sep else f"{head}\n\n{line}\n")
    return nb


def with_setup(nb: dict, s: dict) -> dict:
    "`nb` with its setup cell (tag `setup`) as `setup_source` writes it, after the first markdown cell."
    nb = copy.deepcopy(nb)
    cells = nb["cells"]
    at = next((i for i, c in enumerate(cells) if "setup" in tags(c)), None)
    if at is None:
        first = next(i for i, c in enumerate(cells) if c["cell_type"] == "markdown")
        cells.insert(first + 1, _new_cell("code", setup_source(s), f"setup-{len(cells)}", "setup"))
    else: cells[at]["source"] = _lines(setup_source(s))
    return nb


def sync(folder: Path = COURSE, s: dict | None = None) -> list[Path]:
    "Rewrite every lesson's links line and setup cell from settings.ini; returns the notebooks it changed."
    s, changed = s or settings(), []
    for p in lessons(folder):
        nb = load(p)
        new = with_setup(with_links(nb, links_line(s, f"nbs/course/{p.name}", images=False)), s)
        if new != nb:
            p.write_text(nbclean.dumps(nbclean.clean(new)), encoding="utf-8")
            changed.append(p)
    return changed


# ---- the two builds ------------------------------------------------------------------------------------------------

def student_version(nb: dict) -> dict:
    "The student's lesson: each solution cell replaced by an exercise cell saying what to do (markdown: its text, or none)."
    nb, cells = copy.deepcopy(nb), []
    for c in nb["cells"]:
        if not is_solution(c): cells.append(c); continue
        said = student_text(c)
        if c["cell_type"] == "code":
            text = "\n".join(f"# {l}" if l else "#" for l in said.splitlines()) + "\n"
            cells.append(_new_cell("code", text, c.get("id", f"ex-{len(cells)}"), "exercise"))
        elif said:
            cells.append(_new_cell("markdown", said, c.get("id", f"ex-{len(cells)}")))
    nb["cells"] = cells
    return nb


def instructor_version(nb: dict) -> dict:
    "The instructor's lesson: the solutions kept, their markers removed, and a line saying whose copy it is."
    nb = copy.deepcopy(nb)
    for c in nb["cells"]:
        if is_solution(c): c["source"] = _lines(instructor_text(c))
    first = next(c for c in nb["cells"] if c["cell_type"] == "markdown")
    first["source"] = _lines(src(first).rstrip("\n") + "\n\n**Instructor's copy, with the solutions** (cells tagged "
                             "`solution`). Hand out the student set instead.")
    return nb


def _squeeze(text: str) -> str: return " ".join(text.split())


def solution_texts(nb: dict) -> list[str]:
    """What of a lesson's solutions must not appear in the student's set: every line of solution code (but comments
    and short lines), and every answer of a markdown solution (an item or paragraph, whitespace squeezed)."""
    out = []
    for c in nb["cells"]:
        if not is_solution(c): continue
        text = instructor_text(c)
        if c["cell_type"] == "code":
            out += [l.strip() for l in text.splitlines() if len(l.strip()) >= 12 and not l.strip().startswith("#")]
        else:
            items = re.split(r"\n\s*\n|\n(?=\s*(?:\d+\.|[-*]) )", text)
            out += [_squeeze(i) for i in items if len(_squeeze(i)) >= 30]
    return out


def build(out: Path, publish_at: str = DEFAULT_PUBLISH, folder: Path = COURSE, s: dict | None = None) -> dict:
    """Write the student and instructor sets into `out`/student and `out`/instructor (replacing them); returns
    {"student": [paths], "instructor": [paths]}. Refuses a malformed source, and checks the student set for leaks."""
    from bottlefit.core import atomic_write_bytes
    s = s or settings()
    srcs = lessons(folder)
    if not srcs: raise CourseError(f"no lessons (NN_*.ipynb) in {folder}")
    bad = [p for nb_path in srcs for p in problems(load(nb_path), nb_path.stem, s)]
    if bad: raise CourseError("the course's source is not well formed:\n  " + "\n  ".join(bad))
    out, written = Path(out), {"student": [], "instructor": []}
    for kind in written:
        d = out / kind
        if d.exists(): shutil.rmtree(d)
        d.mkdir(parents=True)
        for name in SUPPORT[kind]: shutil.copyfile(folder / name, d / name)
        for nb_path in srcs:
            nb = load(nb_path)
            made = student_version(nb) if kind == "student" else instructor_version(nb)
            made = with_links(made, links_line(s, f"{publish_at.strip('/')}/{kind}/{nb_path.name}", images=True))
            text = nbclean.dumps(nbclean.clean(made))
            if kind == "student":
                everything = "\n".join(src(c) for c in made["cells"])
                flat = _squeeze(everything)
                leaked = [l for l in solution_texts(nb) if l in everything or l in flat]
                if leaked: raise CourseError(f"{nb_path.name}: solution text left in the student's copy: {leaked[:3]}")
                if re.search(r"test suite|SOLUTIONS", text):
                    raise CourseError(f"{nb_path.name}: the student's copy mentions the test suite or SOLUTIONS; reword the lesson")
            written[kind].append(atomic_write_bytes(d / nb_path.name, text.encode("utf-8")))
    return written


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    b = sub.add_parser("build", help="write DIR/student and DIR/instructor")
    b.add_argument("--out", required=True, type=Path)
    b.add_argument("--publish-at", default=DEFAULT_PUBLISH, help="the repository folder the sets will be published in "
                   f"(the badges point at PATH/student/ and PATH/instructor/; default {DEFAULT_PUBLISH!r})")
    sub.add_parser("sync", help="rewrite each lesson's links line and setup cell from settings.ini")
    sub.add_parser("check", help="list what is wrong with the lessons; exit 1 if anything is")
    a = ap.parse_args(argv)
    try:
        if a.cmd == "build":
            w = build(a.out, a.publish_at)
            for kind, paths in w.items(): print(f"{kind}: {len(paths)} lessons in {a.out / kind}")
        elif a.cmd == "sync":
            changed = sync()
            print("\n".join(f"synced {p.relative_to(ROOT)}" for p in changed) or "every lesson is in sync")
        else:
            s = settings()
            bad = [p for nb_path in lessons() for p in problems(load(nb_path), nb_path.stem, s)]
            print("\n".join(bad) or f"{len(lessons())} lessons, well formed")
            return 1 if bad else 0
    except CourseError as e:
        print(f"course: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
