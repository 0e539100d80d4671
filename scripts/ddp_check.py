"""Train the same small model in one process and in two gloo processes (torchrun) and compare the weights.

    python scripts/ddp_check.py [--out DIR]

Both runs use a global batch of 8 (two processes: 4 each), the same data order and float64 arithmetic (in
float32 the different summation order grows into visibly different trajectories); BatchNorm trains in both
stages, so the two-process run synchronises its statistics. Prints the largest weight difference next to the
size of the updates; exits 1 if they do not match.
"""
import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import torch

HERE = Path(__file__).resolve().parent


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=None, help="scratch folder (default: a new temporary folder)")
    ap.add_argument("--worker", default=None, help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.worker:
        sys.path.insert(0, str(HERE))
        from _tiny_run import tiny_run
        tiny_run(a.worker, dtype="float64")
        if torch.distributed.is_initialized(): torch.distributed.destroy_process_group()
        return 0
    out = Path(a.out or tempfile.mkdtemp())
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    subprocess.run([sys.executable, __file__, "--worker", str(out / "one")], check=True, env=env)
    subprocess.run([sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2",
                    __file__, "--worker", str(out / "two")], check=True, env=env)
    one = torch.load(out / "one" / "model.pt", weights_only=True)
    two = torch.load(out / "two" / "model.pt", weights_only=True)
    sys.path.insert(0, str(HERE))
    torch.manual_seed(0)
    from bottlefit.models import bottleneck_model, teacher
    init = bottleneck_model("resnet18", "sp1", 2, teacher_model=teacher("resnet18", num_classes=4), input_size=32).double().state_dict()
    keys = [k for k, v in one["model"].items() if v.is_floating_point()]
    diff = max((one["model"][k] - two["model"][k]).abs().max().item() for k in keys)
    upd = max((one["model"][k] - init[k]).abs().max().item() for k in keys)
    print(f"largest weight difference, 1 vs 2 processes: {diff:.3e}")
    print(f"largest update of any weight during training: {upd:.3e}")
    for h1, h2 in zip(one["history"], two["history"]):
        print(f"  {h1['stage']:>5}: loss {h1['train_loss']:.5f} vs {h2['train_loss']:.5f}; top-1 {h1['val_top1']:.4f} vs {h2['val_top1']:.4f}")
    ok = diff <= 1e-6 * upd
    print(f"match: {ok}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
