"""What bfloat16 autocast on the CPU does to training results, on the smoke preset.

Trains the same BottleFit run (bottlefit-kd, ResNet-18 SP1 C=3) in float32 and under bfloat16 autocast for a few
seeds, then compares: the loss of the first step on the same batch, the validation top-1 of each pair, and
whether the two models' per-image predictions differ more than chance (exact McNemar test, per seed and pooled).
Run folders resume, so an interrupted check continues where it stopped. The result is a benchmark record
(`--out`, default data/results/bench/bf16.json; '' for none) that the README renders (`bottlefit.bench.render_bf16`).

    python scripts/bf16_check.py                       # seeds 0 1 2, into $TMPDIR/bottlefit-bf16-check: the README's record
    python scripts/bf16_check.py --seeds 0 --preset cpu --teacher data/results/cpu/teacher-resnet18.pt --out ''
"""
from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import bottlefit  # noqa: F401  (sets the allocator's huge pages before torch allocates)
import torch
from torch.utils.data import DataLoader

from bottlefit import bench
from bottlefit.methods import build_run, train_run
from bottlefit.presets import Preset, get_preset
from bottlefit.train import StageStep, TrainConfig, cpu_bf16_supported, prepare_teacher, set_train_mode


@torch.no_grad()
def predictions(model, ds) -> tuple[torch.Tensor, torch.Tensor]:
    "(predicted class, label) of every image of `ds`, in float32."
    model.eval()
    preds, labels = [], []
    for x, y in DataLoader(ds, batch_size=100):
        preds.append(model(x).argmax(1)); labels.append(y)
    return torch.cat(preds), torch.cat(labels)


def first_losses(teacher_path: Path, preset: Preset) -> tuple[float, float]:
    "The stage-1 loss of one step on the same batch, same initial weights, in float32 and under bfloat16 autocast."
    out = []
    for bf16 in (False, True):
        run = build_run("bottlefit-kd", "resnet18", "sp1", 3, preset, teacher_path, progress=False, seed=0)
        cfg = TrainConfig(cpu_bf16=bf16)
        dev = torch.device("cpu")
        run.model.to(memory_format=cfg.layout)
        step = StageStep(run.model, run.stages[0], prepare_teacher(run.teacher, "resnet18", cfg, dev), "resnet18", cfg, dev)
        set_train_mode(run.model, run.stages[0].train)
        x, y = next(iter(DataLoader(run.train, batch_size=preset.batch_size)))
        out.append(float(step(x, y)))
    return out[0], out[1]


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--preset", default="smoke")
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    ap.add_argument("--teacher", type=Path, help="teacher weights (a run's model.pt or a state dict such as "
                                                  "data/results/cpu/teacher-resnet18.pt; default: train the preset's teacher first)")
    ap.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "bottlefit-bf16-check")
    ap.add_argument("--out", default=str(Path(__file__).resolve().parents[1] / "data" / "results" / "bench" / "bf16.json"),
                    help="benchmark record ('' for none)")
    a = ap.parse_args(argv)
    if not cpu_bf16_supported(): raise SystemExit("this CPU has no native bfloat16 (AVX512-BF16 or AMX): nothing to check")
    begun = bench.begin_record("bf16", bench.command_line("python scripts/bf16_check.py", argv))
    p = get_preset(a.preset)
    t_path = a.teacher
    if t_path is None:
        teacher = build_run("teacher", "resnet18", "none", 0, p, progress=False)
        train_run(teacher, a.work / "teacher", TrainConfig(batch_size=p.batch_size, eval_batch_size=p.eval_batch_size,
                                                            workers=p.workers, progress=False))
        t_path = a.work / "teacher" / "model.pt"
    l32, l16 = first_losses(t_path, p)
    print(f"first stage-1 step, same batch and weights: loss {l32:.6g} (float32) vs {l16:.6g} (bfloat16 autocast), "
          f"relative difference {abs(l16 - l32) / abs(l32):.2e}")
    seeds = []
    for seed in a.seeds:
        res = {}
        for name, bf16 in (("fp32", False), ("bf16", True)):
            run = build_run("bottlefit-kd", "resnet18", "sp1", 3, p, t_path, progress=False, seed=seed)
            cfg = TrainConfig(batch_size=p.batch_size, eval_batch_size=p.eval_batch_size, workers=p.workers, seed=seed,
                              progress=False, cpu_bf16=bf16)
            train_run(run, a.work / f"{name}-seed{seed}", cfg)
            res[name] = predictions(run.model, run.val)
        (p32, y), (p16, _) = res["fp32"], res["bf16"]
        r32, r16 = p32 == y, p16 == y
        seeds.append(dict(seed=seed, images=len(y), top1_fp32=r32.float().mean().item(), top1_bf16=r16.float().mean().item(),
                          differ=int((p32 != p16).sum()), only_fp32=int((r32 & ~r16).sum()), only_bf16=int((r16 & ~r32).sum())))
        print(f"seed {seed}: top-1 {seeds[-1]['top1_fp32']:.4f} (float32) vs {seeds[-1]['top1_bf16']:.4f} (bfloat16)", flush=True)
    rec = bench.make_record(begun, dict(preset=p.name, method="bottlefit-kd", model=dict(arch="resnet18", split="sp1", channels=3),
                                        teacher=bench.shown_path(t_path) if a.teacher else "trained by the check",
                                        first_loss=dict(fp32=l32, bf16=l16), seeds=seeds))
    if a.out: print(f"wrote {bench.write_record(a.out, rec)}")
    print("\n" + bench.bf16_seed_table(rec) + "\n\n" + bench.render_bf16(rec))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
