"""The plumbing of scripts/bench_train.py on tiny rows (32 px, batch 4, 2 steps): inputs prepared once, one fresh
worker process per side and round, the losses and the summary printed, the benchmark record written and its README
tables printed from it (`bottlefit.bench`). No timing is asserted. torchdistill is never installed here: its side
runs only where .bench/ already holds it (after a real benchmark run)."""
import math
import re
import subprocess
import sys
from pathlib import Path

import pytest

from bottlefit import bench

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "scripts" / "bench_train.py"
TORCHDISTILL = ROOT / ".bench" / "torchdistill-1.1.5" / "torchdistill" / "__init__.py"
TINY = ["--rows", "r18-32-s1,r18-32-s2", "--batch", "4", "--pool", "2", "--rounds", "1", "--steps", "2",
        "--warmup", "1", "--threads", "1", "--data", "synthetic"]   # 1 thread: steady on a busy machine


def run(*args):
    "Run the script; return (exit status, stdout, stderr)."
    r = subprocess.run([sys.executable, str(SCRIPT), *args], capture_output=True, text=True, timeout=900, cwd=ROOT)
    return r.returncode, r.stdout, r.stderr


def first_losses(out: str, side: str) -> list[float]:
    return [float(v) for v in re.findall(rf"^  {side} +first loss (\S+),", out, re.M)]


def test_bad_row_is_one_line():
    code, out, err = run("--rows", "r34-64-s1", "--project-only", "--out", "")
    assert code == 1 and err.count("\n") == 1 and "bad row 'r34-64-s1'" in err, err


def test_project_side(tmp_path):
    code, out, err = run(*TINY, "--project-only", "--cache", str(tmp_path), "--markdown", "--out", str(tmp_path / "train.json"))
    assert code == 0, err
    assert "torchdistill not run" in out and "torchdistill" not in out.split("not run", 1)[1]
    losses = first_losses(out, "project")
    assert len(losses) == 2 and all(math.isfinite(v) and v > 0 for v in losses), out
    assert re.search(r"r18-32-s1 +project [\d.]+ img/s", out) and re.search(r"r18-32-s2 +project [\d.]+ img/s", out), out
    assert len(list(tmp_path.glob("*.pt"))) == 1      # one input file serves both stages
    rec = bench.load_record("train", tmp_path)
    assert rec["provenance"]["command"] == bench.command_line("python scripts/bench_train.py", [*TINY, "--project-only", "--cache",
                                                              str(tmp_path), "--markdown", "--out", str(tmp_path / "train.json")])
    assert [r["name"] for r in rec["rows"]] == ["r18-32-s1", "r18-32-s2"] and rec["ablate"] is False
    assert [[(s["side"], len(s["runs"])) for s in r["sides"]] for r in rec["rows"]] == [[("project", 1)]] * 2
    assert [r["runs"][0]["first_loss"] for row in rec["rows"] for r in row["sides"]] == pytest.approx(losses, rel=1e-6)
    assert bench.render_train(rec) in out                  # --markdown prints what the README renders from the record


def test_ablation_record(tmp_path):
    "--ablate: every lever's side in the record, and the levers table printed from it."
    args = [*TINY, "--rows", "r18-32-s1", "--project-only", "--ablate", "--markdown", "--cache", str(tmp_path), "--out", str(tmp_path / "train.json")]
    code, out, err = run(*args)
    assert code == 0, err
    rec = bench.load_record("train", tmp_path)
    levers = [s["lever"] for s in rec["rows"][0]["sides"]]
    assert levers[:4] == [None, "channels_last", "fold_frozen_bn", "thp"] and set(levers) <= {None, *bench.LEVERS}, levers
    assert bench.render_levers(rec) in out and "| change | ResNet-18 32 px s1 |" in out


@pytest.mark.skipif(not TORCHDISTILL.is_file(), reason="torchdistill is not in .bench/ (run scripts/bench_train.py once)")
def test_both_sides_agree(tmp_path):
    code, out, err = run(*TINY, "--markdown", "--cache", str(tmp_path), "--out", "")
    assert code == 0, err
    assert out.count("first losses agree") == 2, out
    for p, t in zip(first_losses(out, "project"), first_losses(out, "torchdistill"), strict=True):
        assert abs(p - t) <= 1e-4 * abs(t), (p, t)
    assert out.count("| ResNet-18 SP1 C=3, 32 px, batch 4, stage") == 2, out
