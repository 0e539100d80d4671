"""Time every course lesson as a student runs it: each nbs/course/NN_*.ipynb executed with papermill at its own
defaults, solutions on, in a fresh kernel; prints one line per lesson and a Markdown table for the instructor page.

    python scripts/time_course.py [--only 01] [--param NAME=VALUE ...]

Needs BOTTLEFIT_DATA (Imagenette and the traces). The executed copies go to a temporary folder; nbs/ is not touched."""
from __future__ import annotations

import argparse
import ast
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
COURSE = ROOT / "nbs" / "course"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--only", default="", help="only lessons whose name contains this text")
    ap.add_argument("--param", action="append", default=[], help="NAME=VALUE passed to every lesson (Python literal)")
    a = ap.parse_args()
    from bottlefit.figures import run_notebook       # papermill with the kernel on private IPC sockets
    params = dict(SOLUTIONS=True)
    for p in a.param:
        name, sep, value = p.partition("=")
        if not sep: ap.error(f"--param {p!r}: expected NAME=VALUE")
        params[name] = ast.literal_eval(value)
    lessons = [nb for nb in sorted(COURSE.glob("[0-9]*.ipynb")) if a.only in nb.stem]
    if not lessons: ap.error(f"no lesson matches {a.only!r}")
    out, rows = Path(tempfile.mkdtemp(prefix="course-")), []
    for nb in lessons:
        t0 = time.perf_counter()
        run_notebook(nb, out / nb.name, params, COURSE)
        rows.append((nb.stem, time.perf_counter() - t0))
        print(f"{nb.stem}: {rows[-1][1]:.1f} s", flush=True)
    print("\n| lesson | run time |\n|---|---|")
    for name, s in rows: print(f"| `{name}` | {s:.0f} s |")
    print(f"\nexecuted copies in {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
