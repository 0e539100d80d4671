"""Running the command line as a user types it, for the tests: `bottlefit(...)` in a fresh process, and the check that
it failed with exactly one `error:` line."""
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def bottlefit(*args, timeout=300):
    return subprocess.run([sys.executable, "-m", "bottlefit", *map(str, args)], capture_output=True, text=True, cwd=ROOT,
                          timeout=timeout)


def one_error_line(r, *contains):
    "Exit 2 and a stderr of exactly one line, `error: ...`, saying each of `contains`."
    lines = [l for l in r.stderr.splitlines() if l.strip()]
    assert r.returncode == 2 and len(lines) == 1 and lines[0].startswith("error: "), (r.returncode, r.stderr[-3000:])
    for c in contains: assert c in lines[0], (c, lines[0])
    return lines[0]
