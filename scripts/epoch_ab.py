"""Epoch time of the trainer before and after a change, side by side on this machine, and what bfloat16 does to it.

Trains the same run (method, model, preset, teacher, seed, epochs per stage) with an older revision of this repository
and with this working tree, alternating A, B, A, B, ...; in the first --bf16-rounds rounds also this working tree
with `--bf16`. Prints each training epoch's seconds (validation excluded) and the ratios of the medians, then
evaluates the float32 and the bfloat16 model of the first round on the same validation images (paired: the
difference in top-1 with its bootstrap interval and McNemar's exact test, `bottlefit.stats.paired_bootstrap`), and
writes everything to a benchmark record (`--out`, default data/results/bench/epoch.json; '' for none) that the
README renders (`bottlefit.bench.render_epoch`).

    python scripts/epoch_ab.py --before 7c7490c --teacher data/results/cpu/teacher-resnet18.pt   # the README's record
    python scripts/epoch_ab.py --before 7c7490c --rounds 3 --method bottlefit-kd --preset cpu --bf16-rounds 0

The 'before' side is exported from git (`git archive`, into the --work folder; the repository is not changed). The
teacher is a weights file (e.g. the committed `data/results/cpu/teacher-resnet18.pt`, a float16 state dict, or a
run's model.pt), checked to load before any training; without --teacher a seeded, randomly initialised one is
written to the --work folder (speed does not depend on its weights; the two models' top-1 then means little).
Both sides run `python -m bottlefit train` in a fresh process.
"""
from __future__ import annotations

import argparse
import csv
import io
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PROGRAM = "python scripts/epoch_ab.py"


def git(*args: str, cwd: Path = ROOT, binary: bool = False):
    r = subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True)
    return r.stdout if binary else r.stdout.decode().strip()


def export_revision(rev: str, work: Path) -> tuple[Path, str]:
    "A plain copy of revision `rev`'s files (git archive; reused when it is already there) and its full hash."
    sha = git("rev-parse", "--verify", f"{rev}^{{commit}}")
    where = work / f"before-{sha[:12]}"
    if (where / ".revision").is_file() and (where / ".revision").read_text().strip() == sha: return where, sha
    if where.exists(): shutil.rmtree(where)
    tmp = Path(tempfile.mkdtemp(prefix=".before-", dir=work))
    with tarfile.open(fileobj=io.BytesIO(git("archive", "--format=tar", sha, binary=True))) as tar:
        tar.extractall(tmp, filter="data")
    (tmp / ".revision").write_text(sha + "\n")
    tmp.replace(where)
    return where, sha


def random_teacher(arch: str, classes: int, path: Path) -> Path:
    if not path.is_file():
        code = ("import sys, torch; from bottlefit.models import teacher; torch.manual_seed(0); "
                f"torch.save(teacher({arch!r}, num_classes={classes}).state_dict(), sys.argv[1])")
        subprocess.run([sys.executable, "-c", code, str(path)], cwd=ROOT, check=True)
    return path


def check_teacher(path: Path, arch: str, preset) -> None:
    "Stop before any training unless `path` loads as the preset's `arch` teacher (a state dict, float16 ones included)."
    from bottlefit.methods import load_teacher
    if not path.is_file(): raise SystemExit(f"epoch_ab: no teacher weights at {path}")
    load_teacher(arch, preset, path)       # raises ConfigError with the reason


def train_once(tree: Path, out: Path, a, bf16: bool = False) -> list[dict]:
    "One fresh `bottlefit train` of the run in the source tree `tree`; its log rows."
    env = {**os.environ, "PYTHONPATH": str(tree)}
    env.pop("THP_MEM_ALLOC_ENABLE", None)          # each side's own default
    cmd = [sys.executable, "-m", "bottlefit", "train", "--method", a.method, "--model", a.model, "--preset", a.preset,
           "--teacher", str(a.teacher), "--out", str(out), "--epochs", str(a.epochs), "--no-progress",
           "--checkpoint-every", "0"] + (["--bf16"] if bf16 else [])
    r = subprocess.run(cmd, cwd=tree, env=env, capture_output=True, text=True)
    if r.returncode != 0: raise SystemExit(f"{tree.name}: training failed:\n{r.stderr[-2000:]}")
    with open(out / "log.csv") as f: return list(csv.DictReader(f))


def outcomes(run: Path, preset) -> tuple[float, list[bool]]:
    "(top-1, per-image correctness) of the finished run in folder `run` on its preset's validation images."
    from bottlefit.methods import load_trained, preset_data
    from bottlefit.train import evaluate
    model, _ = load_trained(run)
    r = evaluate(model, preset_data(preset, progress=False)[1], preset.eval_batch_size, preset.workers, predictions=True)
    return r["top1"], [p == y for p, y in zip(r["predictions"], r["labels"])]


def parse_args(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--before", required=True, help="git revision of the 'before' side (the 'after' side is this working tree)")
    ap.add_argument("--rounds", type=int, default=2, help="alternating before/after rounds (default 2)")
    ap.add_argument("--bf16-rounds", type=int, default=1, help="rounds that also train the after side with --bf16 (default 1; 0: none)")
    ap.add_argument("--epochs", type=int, default=1, help="epochs per stage (default 1: a 1 + 1-epoch run)")
    ap.add_argument("--method", default="bottlefit-kd")
    ap.add_argument("--model", default="resnet18")
    ap.add_argument("--preset", default="cpu")
    ap.add_argument("--teacher", type=Path, help="teacher weights, e.g. data/results/cpu/teacher-resnet18.pt (default: a seeded random one)")
    ap.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "bottlefit-epoch-ab")
    ap.add_argument("--out", default=str(ROOT / "data" / "results" / "bench" / "epoch.json"), help="benchmark record ('' for none)")
    a = ap.parse_args(argv)
    for k in ("rounds", "epochs"):
        if getattr(a, k) < 1: ap.error(f"--{k} must be at least 1")
    if not 0 <= a.bf16_rounds <= a.rounds: ap.error("--bf16-rounds must lie between 0 and --rounds")
    return a


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    a = parse_args(argv)
    from bottlefit import bench
    from bottlefit.core import BottleFitError, read_json
    from bottlefit.presets import get_preset
    from bottlefit.stats import paired_bootstrap
    from bottlefit.train import cpu_bf16_supported
    begun = bench.begin_record("epoch", bench.command_line(PROGRAM, argv))
    preset = get_preset(a.preset)
    a.work.mkdir(parents=True, exist_ok=True)
    a.teacher = (a.teacher or random_teacher(a.model, preset.num_classes, a.work / f"random-{a.model}.pt")).resolve()
    try: check_teacher(a.teacher, a.model, preset)
    except BottleFitError as e: raise SystemExit(f"epoch_ab: the teacher {a.teacher} does not load: {e}")
    if a.bf16_rounds and not cpu_bf16_supported():
        print("this CPU has no native bfloat16: no --bf16 runs", flush=True)
        a.bf16_rounds = 0
    before, sha = export_revision(a.before, a.work)
    secs: dict[str, dict[str, list[float]]] = {}
    for r in range(a.rounds):
        sides = [("before", before, False), ("after", ROOT, False)] + ([("bf16", ROOT, True)] if r < a.bf16_rounds else [])
        for side, tree, bf16 in sides:
            out = a.work / f"run-{side}-{r}"
            if out.exists(): shutil.rmtree(out)
            for row in train_once(tree, out, a, bf16):
                secs.setdefault(row["stage"], {"before": [], "after": [], "bf16": []})[side].append(float(row["seconds"]))
                print(f"round {r + 1} {side:6s} {row['stage']:14s} {float(row['seconds']):7.1f} s "
                      f"({row['images_per_s']} images/s)", flush=True)
    run = read_json(a.work / "run-after-0" / "run.json", "run description")
    top1, paired = {"after": None, "bf16": None}, None
    if a.bf16_rounds:
        print("evaluating the float32 and bfloat16 models of round 1 on the same validation images", flush=True)
        (top1["after"], right32), (top1["bf16"], right16) = (outcomes(a.work / f"run-{s}-0", preset) for s in ("after", "bf16"))
        paired = paired_bootstrap(right16, right32)          # A = bfloat16, B = float32
    else:
        with open(a.work / "run-after-0" / "log.csv") as f: top1["after"] = float(list(csv.DictReader(f))[-1]["val_top1"])
    rec = bench.make_record(begun, dict(
        run=dict(method=a.method, model=a.model, preset=a.preset, epochs=a.epochs, teacher=bench.shown_path(a.teacher),
                 train_images=run["train_images"], val_images=run["val_images"], input_size=run["input_size"], workers=preset.workers),
        before=sha[:7], before_revision=sha, rounds=a.rounds, bf16_rounds=a.bf16_rounds,
        stages=[dict(stage=stage, **sides) for stage, sides in secs.items()], top1=top1, paired=paired))
    if a.out: print(f"wrote {bench.write_record(a.out, rec)}")
    print("\n" + bench.render_epoch(rec))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
