"""A small deterministic two-stage training run shared by resume_check.py and ddp_check.py (CPU, seconds)."""
import time

import torch

from bottlefit.data import SyntheticImages, eval_transform, train_transform
from bottlefit.models import bottleneck_model, teacher
from bottlefit.train import Stage, TrainConfig, fit


class Slow(torch.utils.data.Dataset):
    "Delays each item so that a kill lands mid-epoch."
    def __init__(self, ds, delay): self.ds, self.delay = ds, delay
    def __len__(self): return len(self.ds)
    def __getitem__(self, i):
        time.sleep(self.delay)
        return self.ds[i]


def tiny_run(out, stages=None, checkpoint_every=0, delay=0.0, batch_size=8, dtype="float32"):
    torch.manual_seed(0)
    t = teacher("resnet18", num_classes=4).eval()
    model = bottleneck_model("resnet18", "sp1", 2, teacher_model=t, input_size=32)
    train = Slow(SyntheticImages(64, 4, 36, seed=0, transform=train_transform(32)), delay)
    val = SyntheticImages(32, 4, 36, seed=1, transform=eval_transform(32))
    stages = stages or [Stage("ghnd", 1, "ghnd", ("encoder", "decoder")),
                        Stage("ce", 1, "ce", ("encoder", "decoder", "rest"), optimizer="sgd", lr=0.01)]
    cfg = TrainConfig(batch_size=batch_size, eval_batch_size=16, workers=0, progress=False,
                      checkpoint_every=checkpoint_every, dtype=dtype)
    return fit(model, stages, train, val, out, {"method": "tiny"}, teacher=t, config=cfg)
