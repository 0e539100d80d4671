"""Epoch time of the trainer before and after a change, side by side on this machine.

Trains the same run (method, model, preset, teacher, seed) with two checkouts of this repository, alternating
A, B, A, B, ... and prints each training epoch's seconds (validation excluded) and the ratio of the medians.

    python scripts/epoch_ab.py --before 7c7490c              # this working tree against revision 7c7490c
    python scripts/epoch_ab.py --before 7c7490c --rounds 3 --method bottlefit-kd --preset cpu

The teacher is a seeded, randomly initialised one (speed does not depend on its weights), written once to the
output folder; pass --teacher to use a trained one.  Both sides run `python -m bottlefit train` in a fresh process.
"""
from __future__ import annotations

import argparse
import csv
import os
import platform
import statistics
import subprocess
import sys
import tempfile
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def git(*args: str, cwd: Path = ROOT) -> str:
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True).stdout.strip()


def checkout(rev: str, where: Path) -> Path:
    "A detached worktree of `rev` (reused if it is already there at that revision)."
    sha = git("rev-parse", rev)
    if not (where / ".git").exists():
        git("worktree", "add", "--detach", "-f", str(where), sha)
    elif git("rev-parse", "HEAD", cwd=where) != sha:
        raise SystemExit(f"{where} holds another revision; remove it (git worktree remove {where}) or pick another --work folder")
    return where


def random_teacher(arch: str, classes: int, path: Path) -> Path:
    if not path.is_file():
        code = ("import sys, torch; from bottlefit.models import teacher; torch.manual_seed(0); "
                f"torch.save(teacher({arch!r}, num_classes={classes}).state_dict(), sys.argv[1])")
        subprocess.run([sys.executable, "-c", code, str(path)], cwd=ROOT, check=True)
    return path


def train_once(tree: Path, out: Path, a) -> list[dict]:
    "One fresh `bottlefit train` of the run in checkout `tree`; its log rows."
    env = {**os.environ, "PYTHONPATH": str(tree)}
    env.pop("THP_MEM_ALLOC_ENABLE", None)          # each side's own default
    cmd = [sys.executable, "-m", "bottlefit", "train", "--method", a.method, "--model", a.model, "--preset", a.preset,
           "--teacher", str(a.teacher), "--out", str(out), "--no-progress", "--checkpoint-every", "0"]
    r = subprocess.run(cmd, cwd=tree, env=env, capture_output=True, text=True)
    if r.returncode != 0: raise SystemExit(f"{tree.name}: training failed:\n{r.stderr[-2000:]}")
    with open(out / "log.csv") as f: return list(csv.DictReader(f))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--before", required=True, help="git revision of the 'before' side (the 'after' side is this working tree)")
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--method", default="bottlefit-kd")
    ap.add_argument("--model", default="resnet18")
    ap.add_argument("--preset", default="cpu")
    ap.add_argument("--teacher", type=Path, help="teacher weights (default: a seeded random one)")
    ap.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "bottlefit-epoch-ab")
    a = ap.parse_args(argv)
    a.work.mkdir(parents=True, exist_ok=True)
    a.teacher = (a.teacher or random_teacher(a.model, 10, a.work / f"random-{a.model}.pt")).resolve()
    sides = {"before": checkout(a.before, a.work / "before"), "after": ROOT}
    secs: dict[tuple[str, str], list[float]] = {}
    for r in range(a.rounds):
        for side, tree in sides.items():
            out = a.work / f"run-{side}-{r}"
            if out.exists(): subprocess.run(["rm", "-rf", str(out)], check=True)
            for row in train_once(tree, out, a):
                secs.setdefault((row["stage"], side), []).append(float(row["seconds"]))
                print(f"round {r + 1} {side:6s} {row['stage']:14s} {float(row['seconds']):7.1f} s "
                      f"({row['images_per_s']} images/s)", flush=True)
    print(f"\n{a.method} {a.model}, preset {a.preset}: seconds per training epoch (median of {a.rounds}; validation excluded)\n")
    print("| stage | before | after | speed-up |\n|---|---|---|---|")
    for stage in dict.fromkeys(s for s, _ in secs):
        b, f = statistics.median(secs[stage, "before"]), statistics.median(secs[stage, "after"])
        print(f"| {stage} | {b:.1f} s | {f:.1f} s | {b / f:.2f}x |")
    dirty = " (+ uncommitted changes)" if git("status", "--porcelain") else ""
    print(f"\nbefore: {git('rev-parse', '--short', a.before)}; after: {git('rev-parse', '--short', 'HEAD')}{dirty}; "
          f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs; {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
