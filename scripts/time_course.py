"""Time every course lesson as it is handed out: the instructor set (or the student set) built by scripts/course.py
into a temporary folder, each lesson executed there with papermill at its own defaults, in a fresh kernel; prints one
line per lesson and a Markdown table for the instructor page.

    python scripts/time_course.py [--only 01] [--student] [--param NAME=VALUE ...]

Needs BOTTLEFIT_DATA (Imagenette and the traces). The builds and executed copies go to a temporary folder; nbs/ is
not touched. `--param` values (Python literals) go to every lesson that declares that name in its parameters cell."""
from __future__ import annotations

import argparse
import ast
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
COURSE = ROOT / "nbs" / "course"
sys.path.insert(0, str(Path(__file__).resolve().parent))
import course  # noqa: E402  (the builds, next to this script)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--only", default="", help="only lessons whose name contains this text")
    ap.add_argument("--student", action="store_true", help="time the student set (solutions left out) instead")
    ap.add_argument("--param", action="append", default=[], help="NAME=VALUE passed to the lessons (Python literal)")
    a = ap.parse_args()
    params = {}
    for p in a.param:
        name, sep, value = p.partition("=")
        if not sep: ap.error(f"--param {p!r}: expected NAME=VALUE")
        v = ast.literal_eval(value)
        params[name] = list(v) if isinstance(v, tuple) else v      # papermill writes a tuple as a string
    lessons = [nb for nb in course.lessons(COURSE) if a.only in nb.stem]
    if not lessons: ap.error(f"no lesson matches {a.only!r}")
    from bottlefit.figures import run_notebook       # papermill with the kernel on private IPC sockets
    out = Path(tempfile.mkdtemp(prefix="course-"))
    kind = "student" if a.student else "instructor"
    course.build(out / "sets")
    rows = []
    for nb in lessons:
        own = course.src(next((c for c in course.load(nb)["cells"] if "parameters" in course.tags(c)), {"source": ""}))
        given = {k: v for k, v in params.items() if any(l.split("=")[0].strip() == k for l in own.splitlines())}
        t0 = time.perf_counter()
        run_notebook(out / "sets" / kind / nb.name, out / nb.name, given, out / "sets" / kind)
        rows.append((nb.stem, time.perf_counter() - t0))
        print(f"{nb.stem} ({kind}{', ' + str(given) if given else ''}): {rows[-1][1]:.1f} s", flush=True)
    print("\n| lesson | set | run time |\n|---|---|---|")
    for name, s in rows: print(f"| `{name}` | {kind} | {s:.0f} s |")
    print(f"\nexecuted copies in {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
