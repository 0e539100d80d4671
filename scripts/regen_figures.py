"""Regenerates the tables and figures of the committed cpu study from its records (data/results/cpu -> figures/cpu), as
`python -m bottlefit figures --preset cpu` does, also where the data is missing (a fresh clone): the figure notebooks
that need the network traces (<data root>/traces/, data that is not in git) are skipped when there are none, and named.
Then it compares the outputs with the committed ones (git): when every regenerated file is byte-identical, the
committed manifest.json is kept (it describes the run that made those very files; a rerun would only change its run
times and date), so `git status` stays clean; files that differ are listed and left in place.

    python scripts/regen_figures.py          # used by scripts/main.sh when there is no Imagenette and no internet"""
from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from bottlefit.core import ConfigError, data_root
from bottlefit.figures import FIGURE_NOTEBOOKS, figures_dir, render_figures

ROOT = Path(__file__).resolve().parents[1]


def _git(*args) -> str | None:
    try: return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError): return None


def main() -> int:
    t0, out = time.perf_counter(), figures_dir("cpu")
    traces = (data_root() / "traces").is_dir()
    done, skipped = [], []
    if traces:
        render_figures("cpu")
        done = list(FIGURE_NOTEBOOKS)
    else:
        print(f"[figures] no network traces under {data_root()}: the notebooks that need them are skipped")
        for name in FIGURE_NOTEBOOKS:
            t = time.perf_counter()
            try: render_figures("cpu", only=name, progress=False)
            except ConfigError as e:
                if "traces" not in str(e): raise
                skipped.append(name)
                print(f"[figures] {name}: skipped (needs the network traces)")
                continue
            done.append(name)
            print(f"[figures] {name}: regenerated ({time.perf_counter() - t:.0f} s)")
    rel = out.relative_to(ROOT) if out.is_relative_to(ROOT) else out
    status = _git("status", "--porcelain", "--", str(rel))
    if status is None:
        print(f"[figures] {len(done)} notebooks regenerated into {rel} (not a git checkout: nothing compared)")
    else:
        changed = [line[3:] for line in status.splitlines()]
        manifest = str(rel / "manifest.json")
        others = [c for c in changed if c != manifest]
        if not others:
            if manifest in changed: _git("checkout", "--", manifest)
            print(f"[figures] {len(done)} notebooks regenerated into {rel}: every file byte-identical to the committed one "
                  "(the committed manifest.json kept)")
        else:
            print(f"[figures] {len(others)} files in {rel} differ from the committed ones: {', '.join(others[:12])}")
    if skipped:
        print(f"[figures] not regenerated (need <data root>/traces/): {', '.join(skipped)}; their committed files are unchanged")
    print(f"[figures] {time.perf_counter() - t0:.0f} s")
    return 0


if __name__ == "__main__":
    try: sys.exit(main())
    except ConfigError as e:
        print(f"error: {e}", file=sys.stderr)
        sys.exit(2)
