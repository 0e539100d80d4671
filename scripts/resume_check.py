"""Kill a training run with SIGKILL mid-epoch, resume it, and compare it with an uninterrupted run.

    python scripts/resume_check.py [--out DIR]

Prints whether the final weights and the per-epoch metrics are identical; exits 1 if they are not.
"""
import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import torch

HERE = Path(__file__).resolve().parent


def train(out, delay=0.0):
    sys.path.insert(0, str(HERE))
    from _tiny_run import tiny_run
    tiny_run(out, checkpoint_every=1, delay=delay)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=None, help="scratch folder (default: a new temporary folder)")
    ap.add_argument("--child", default=None, help=argparse.SUPPRESS)
    ap.add_argument("--delay", type=float, default=0.0, help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.child:
        return train(a.child, a.delay)
    out = Path(a.out or tempfile.mkdtemp())
    me = [sys.executable, __file__]
    subprocess.run(me + ["--child", str(out / "ref")], check=True)
    print("uninterrupted run finished")

    proc = subprocess.Popen(me + ["--child", str(out / "cut"), "--delay", "0.02"])
    ckpt, killed_at = out / "cut" / "checkpoint.pt", None
    while proc.poll() is None:
        if ckpt.is_file():
            st = torch.load(ckpt, weights_only=True)
            if st["stage"] == 1 and st["step"] >= 3:      # mid-epoch in the second stage
                os.kill(proc.pid, signal.SIGKILL)
                killed_at = (st["stage"], st["epoch"], st["step"])
                break
        time.sleep(0.05)
    proc.wait()
    if killed_at is None:
        print("the run finished before it could be killed; nothing was tested")
        return 1
    print(f"killed with SIGKILL at stage {killed_at[0]}, epoch {killed_at[1]}, step {killed_at[2]} (exit {proc.returncode})")
    subprocess.run(me + ["--child", str(out / "cut")], check=True)
    print("resumed run finished")

    ref = torch.load(out / "ref" / "model.pt", weights_only=True)
    cut = torch.load(out / "cut" / "model.pt", weights_only=True)
    same_w = ref["model"].keys() == cut["model"].keys() and all(torch.equal(ref["model"][k], cut["model"][k]) for k in ref["model"])
    strip = lambda h: [{k: v for k, v in e.items() if k not in ("seconds", "images_per_s")} for e in h]
    same_m = strip(ref["history"]) == strip(cut["history"])
    for e_ref, e_cut in zip(ref["history"], cut["history"]):
        print(f"  {e_ref['stage']:>5} epoch {e_ref['epoch']}: loss {e_ref['train_loss']:.6f} vs {e_cut['train_loss']:.6f}, "
              f"top-1 {e_ref['val_top1']:.4f} vs {e_cut['val_top1']:.4f}")
    print(f"identical weights: {same_w}")
    print(f"identical metrics: {same_m}")
    return 0 if same_w and same_m else 1


if __name__ == "__main__":
    sys.exit(main())
