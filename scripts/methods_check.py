"""Train every method of the paper end to end on real images at a small preset and show that its loss falls.

    python scripts/methods_check.py [--preset smoke] [--out runs/methods-smoke] [--model resnet18]

Trains a teacher from scratch (no pretrained weights are needed), then CE, KD, HND, the four BottleFit
configurations and the autoencoder baseline, and prints, per stage, the training loss of its first and last
epoch and the validation top-1 (with and without 8-bit bottleneck quantization). Resumable: rerun to continue.
"""
import argparse
import sys
import time
from pathlib import Path

from bottlefit.codec import fake_quantize
from bottlefit.methods import build_run, load_trained, train_run
from bottlefit.presets import METHODS, get_preset
from bottlefit.train import TrainConfig, evaluate


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--preset", default="smoke")
    ap.add_argument("--model", default="resnet18")
    ap.add_argument("--channels", type=int, default=3)
    ap.add_argument("--out", default="runs/methods-smoke")
    ap.add_argument("--data", default=None)
    a = ap.parse_args()
    p, out = get_preset(a.preset), Path(a.out)
    cfg = TrainConfig(batch_size=p.batch_size, eval_batch_size=p.eval_batch_size, workers=p.workers, progress=False,
                      checkpoint_every=100)
    rows, t_all = [], time.perf_counter()
    for method in ("teacher",) + tuple(m for m in METHODS if m != "teacher"):
        split = "ae" if method == "autoencoder" else "sp1"
        t0 = time.perf_counter()
        run = build_run(method, a.model, split, a.channels, p, None if method == "teacher" else out / "teacher" / "model.pt",
                        a.data, progress=False)
        hist = train_run(run, out / method, cfg)
        bq = None
        if method != "teacher":
            model, _ = load_trained(out / method)
            bq = evaluate(model, run.val, p.eval_batch_size, p.workers, bottleneck_fn=fake_quantize)["top1"]
        for stage in dict.fromkeys(h["stage"] for h in hist):
            hs = [h for h in hist if h["stage"] == stage]
            rows.append(dict(method=method, stage=stage, first=hs[0]["train_loss"], last=hs[-1]["train_loss"],
                             falls=hs[-1]["train_loss"] < hs[0]["train_loss"], top1=hs[-1]["val_top1"], top1_bq=None))
        rows[-1]["top1_bq"] = bq      # the finished model, after its last stage
        print(f"{method}: {time.perf_counter() - t0:.0f} s", flush=True)
    print(f"\n{a.model} sp1/ae C={a.channels}, preset {a.preset} ({p.description}); {time.perf_counter() - t_all:.0f} s in all\n")
    print(f"{'method':<16} {'stage':<12} {'loss first':>11} {'loss last':>11} {'falls':>6} {'top-1':>7} {'top-1 BQ':>9}")
    for r in rows:
        bq = f"{r['top1_bq']:.4f}" if r["top1_bq"] is not None else ""
        print(f"{r['method']:<16} {r['stage']:<12} {r['first']:>11.4g} {r['last']:>11.4g} {str(r['falls']):>6} {r['top1']:>7.4f} {bq:>9}")
    return 0 if all(r["falls"] for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
