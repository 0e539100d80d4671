"""Side-by-side training-step benchmark: bottlefit's trainer against torchdistill 1.1.5 on the same work.

    python scripts/bench_train.py [--rows r18-64-s1,r50-160-s2] [--rounds 4] [--steps 20] [--warmup 3]
                                  [--markdown] [--ablate] [--bf16] [--threads N] [--project-only] [--data synthetic]
                                  [--out data/results/bench/train.json]
    python scripts/bench_train.py --rounds 2 --steps 8 --warmup 2 --ablate --markdown    # the README's record

Both sides train the same student (`bottleneck_model`, ResNet SP1, C=3) against the same teacher (a random-init
torchvision ResNet whose BatchNorm statistics are calibrated on the batches, so that they are not 0/1) on the same
in-memory batches of real Imagenette images, in the same order, with the same optimiser: stage 1 of BottleFit
(GHND: summed MSE at decoder/layer3/layer4, Adam, layer3/layer4 frozen) or stage 2 (KD, alpha 0.5, T 1, SGD).

- project side: `StageStep` with the default `TrainConfig`, as `fit` runs it;
- torchdistill side: its `DistillationBox`, configured by the Python equivalent of its YAML configs (forward hooks,
  `frozen_modules`, `WeightedSumLoss` of `MSELoss`/`KDLoss`), driven as its image-classification example does:
  `pre_forward_process`, `forward_process`, `post_forward_process` per batch.

torchdistill is installed with pip into .bench/torchdistill-1.1.5 (never into the project's environment) and put
on sys.path of its worker processes only. Each measurement runs in a fresh process; rounds interleave the sides.
The first-step losses of both sides must agree (relative difference below --tol) or the benchmark stops.
Rows are named r<18|50>-<pixels>-s<1|2>, e.g. r18-128-s2; --ablate also switches the project's speed levers off
one at a time (and bfloat16 autocast on, where the CPU has it) to show which change bought how much.

Every round of every side goes into one benchmark record (`--out`, default data/results/bench/train.json; '' for
none) with its provenance; --markdown prints the README's tables from it (`bottlefit.bench.render_train` and, with
--ablate, `render_levers`), exactly as the README renders them.
"""
from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import re
import resource
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / ".bench"
TD_VERSION = "1.1.5"
TD_DIR = BENCH / f"torchdistill-{TD_VERSION}"
TD_EXTRA_DEPS = {"yaml": "pyyaml", "scipy": "scipy", "numpy": "numpy"}   # torchdistill's imports, if the venv lacks one
DEFAULT_ROWS = ("r18-64-s1", "r18-64-s2", "r18-128-s1", "r18-128-s2", "r50-160-s1", "r50-160-s2")
ARCHS = {"18": ("resnet18", "ResNet-18", 32), "50": ("resnet50", "ResNet-50", 16)}   # arch, label, default batch
NUM_CLASSES, CHANNELS, SEED = 10, 3, 0


class BenchError(Exception):
    "A problem that stops the benchmark, told in one line."


# ---------------------------------------------------------------- rows

@dataclass(frozen=True)
class Row:
    "One benchmark row: a backbone, an input size, a batch size and a BottleFit stage."
    name: str
    arch: str
    label: str
    size: int
    batch: int
    stage: int

    @property
    def title(self) -> str:
        what = "stage 1 (GHND, Adam)" if self.stage == 1 else "stage 2 (KD, SGD)"
        return f"{self.label} SP1 C={CHANNELS}, {self.size} px, batch {self.batch}, {what}"


def parse_row(name: str, batch: int | None = None) -> Row:
    "`r18-64-s1` -> Row(resnet18, 64 px, batch 32, stage 1); `batch` overrides the backbone's default batch."
    m = re.fullmatch(r"r(18|50)-(\d+)-s([12])", name.strip())
    if not m: raise BenchError(f"bad row {name!r}: use r<18|50>-<pixels>-s<1|2>, e.g. r18-64-s1")
    arch, label, default_batch = ARCHS[m[1]]
    return Row(name.strip(), arch, label, int(m[2]), batch or default_batch, int(m[3]))


def stage_of(row: Row):
    "The project's Stage for `row`: BottleFit-KD's stage 1 (GHND) or stage 2 (KD), from `method_stages`."
    from bottlefit.methods import method_stages
    return method_stages("bottlefit-kd", 1)[row.stage - 1]


# ---------------------------------------------------------------- inputs shared by both sides

def input_path(cache: Path, row: Row, data: str, pool: int) -> Path:
    return Path(cache) / f"{row.arch}-{row.size}px-b{row.batch}-{data}-{pool}batches-seed{SEED}.pt"


def dataset(data: str, size: int, n: int):
    "The first-epoch training view (RandomResizedCrop + flip, seeded per image) of `n` evenly spaced images."
    from torch.utils.data import Subset
    from bottlefit.data import SyntheticImages, find_imagenette, imagenette, resize_for, train_transform
    from bottlefit.train import SeededDataset
    if data == "synthetic":
        ds = SyntheticImages(n, NUM_CLASSES, resize_for(size), seed=SEED, transform=train_transform(size))
    else:
        if find_imagenette() is None:
            raise BenchError("no Imagenette under the data root: export BOTTLEFIT_DATA=/path/to/data "
                             "(the folder holding imagenette2-224/) or pass --data synthetic")
        full = imagenette("train", transform=train_transform(size))
        ds = Subset(full, [int(i * len(full) / n) for i in range(n)])
    return SeededDataset(ds, SEED)


def calibrated_teacher(arch: str, batches):
    "A random-init teacher with perturbed BatchNorm scales and running statistics measured on `batches`."
    import torch
    from torch import nn
    from bottlefit.models import teacher
    torch.manual_seed(SEED)
    t = teacher(arch, num_classes=NUM_CLASSES)
    bns = [m for m in t.modules() if isinstance(m, nn.BatchNorm2d)]
    with torch.no_grad():
        for m in bns:
            m.weight.uniform_(0.5, 1.5); m.bias.normal_(0, 0.1)
            m.reset_running_stats(); m.momentum = None      # cumulative average over the batches
        t.train()
        for x in batches: t(x)
    for m in bns: m.momentum = 0.1
    return t.eval()


def prepare_inputs(cache: Path, row: Row, data: str, pool: int) -> Path:
    "Decode the batches and build teacher and student once, into a file in `cache` that both sides load."
    path = input_path(cache, row, data, pool)
    if path.is_file(): return path
    import torch
    from bottlefit.models import bottleneck_model
    ds = dataset(data, row.size, pool * row.batch)
    items = [ds[(0, i)] for i in range(len(ds))]
    x = torch.stack([im for im, _ in items]).view(pool, row.batch, 3, row.size, row.size)
    y = torch.tensor([label for _, label in items]).view(pool, row.batch)
    t = calibrated_teacher(row.arch, x)
    torch.manual_seed(SEED + 1)
    student = bottleneck_model(row.arch, "sp1", CHANNELS, input_size=row.size, teacher_model=t)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    torch.save({"x": x, "y": y, "teacher": t.state_dict(), "student": student.state_dict()}, tmp)
    tmp.replace(path)
    return path


def load_models(row: Row, state: dict):
    "(teacher, student) rebuilt from the saved weights, the teacher in eval mode."
    from bottlefit.models import bottleneck_model, teacher
    t = teacher(row.arch, num_classes=NUM_CLASSES)
    t.load_state_dict(state["teacher"])
    student = bottleneck_model(row.arch, "sp1", CHANNELS, input_size=row.size, teacher_model=t)
    student.load_state_dict(state["student"])
    return t.eval(), student


# ---------------------------------------------------------------- the two sides' training steps

def project_step(row: Row, teacher, student, overrides: dict):
    "One call = one training step of bottlefit's trainer (`StageStep`, TrainConfig defaults plus `overrides`)."
    import torch
    from bottlefit.train import StageStep, TrainConfig, prepare_teacher, set_train_mode
    cfg = TrainConfig(device="cpu", progress=False, **overrides)
    device, stage = torch.device("cpu"), stage_of(row)
    student.to(device, getattr(torch, cfg.dtype))                       # as `fit` sets the model up
    student.to(memory_format=cfg.layout)
    step = StageStep(student, stage, prepare_teacher(teacher, row.arch, cfg, device), row.arch, cfg, device)
    set_train_mode(student, stage.train)
    return lambda x, y: float(step(x, y))


TD_TEACHER_STAGES = {"stem": "layer2", "layer3": "layer3", "layer4": "layer4"}   # project stage -> torchvision module
TD_STUDENT_STAGES = {"decoder": "tail.decoder", "layer3": "tail.layer3", "layer4": "tail.layer4"}


def td_optimizer(stage) -> dict:
    if stage.optimizer == "adam": return {"key": "Adam", "kwargs": {"lr": stage.lr, "weight_decay": stage.weight_decay}}
    return {"key": "SGD", "kwargs": {"lr": stage.lr, "momentum": stage.momentum, "weight_decay": stage.weight_decay}}


def td_train_config(row: Row) -> dict:
    "torchdistill's `train` config for `row`'s stage, as its YAML files would spell it."
    from bottlefit.losses import distill_pairs
    stage = stage_of(row)
    teacher = {"requires_grad": False, "forward_proc": "forward_batch_only"}   # 1.1.5 has no default forward_proc
    student = {"requires_grad": True, "forward_proc": "forward_batch_only"}
    if stage.objective == "ghnd":
        assert stage.train == ("encoder", "decoder"), stage.train
        pairs = [(TD_STUDENT_STAGES[s], TD_TEACHER_STAGES[t]) for s, t in distill_pairs(row.arch)]
        teacher.update(sequential=["conv1", "bn1", "relu", "maxpool", "layer1", "layer2", "layer3", "layer4"],
                       forward_hook={"input": [], "output": [t for _, t in pairs]})
        student.update(sequential=["encoder", "tail.decoder", "tail.layer3", "tail.layer4"],
                       frozen_modules=["tail.layer3", "tail.layer4"],
                       forward_hook={"input": [], "output": [s for s, _ in pairs]})
        terms = {s: {"criterion": {"key": "MSELoss", "kwargs": {"reduction": "sum"}},
                     "criterion_wrapper": {"key": "SimpleLossWrapper", "kwargs": {
                         "input": {"is_from_teacher": False, "module_path": s, "io": "output"},
                         "target": {"is_from_teacher": True, "module_path": t, "io": "output"}}},
                     "weight": 1.0} for s, t in pairs}
    else:
        assert stage.objective == "kd" and stage.train == ("encoder", "decoder", "rest"), stage
        terms = {"kd": {"criterion": {"key": "KDLoss", "kwargs": {     # alpha * CE + (1 - alpha) * T^2 * KL
            "student_module_path": ".", "student_module_io": "output", "teacher_module_path": ".",
            "teacher_module_io": "output", "temperature": stage.kd_temperature, "alpha": stage.kd_alpha,
            "reduction": "batchmean"}}, "weight": 1.0}}
    return {"num_epochs": 1, "teacher": teacher, "student": student, "optimizer": td_optimizer(stage),
            "criterion": {"key": "WeightedSumLoss", "kwargs": {"sub_terms": terms}}}


def torchdistill_step(row: Row, teacher, student):
    "One call = one training step of torchdistill's DistillationBox, frozen blocks in eval mode as bottlefit runs them."
    import torch
    sys.path.insert(0, str(TD_DIR))
    from torchdistill.common.module_util import get_module
    from torchdistill.core.distillation import get_distillation_box
    config = td_train_config(row)
    box = get_distillation_box(teacher, student, {}, config, torch.device("cpu"), None, False, 1)
    box.pre_epoch_process(epoch=0)      # puts the whole student in training mode, frozen modules included
    box.teacher_model.eval()            # torchdistill never sets the teacher's mode: keep its BatchNorm statistics fixed
    for path in config["student"].get("frozen_modules", []): get_module(box.student_model, path).eval()

    def step(x, y):
        box.pre_forward_process(x, y, {})
        loss = box.forward_process(x, y, {})
        box.post_forward_process(loss=loss)
        return loss.item()
    return step


# ---------------------------------------------------------------- worker: one measurement in a fresh process

def minor_faults() -> int: return resource.getrusage(resource.RUSAGE_SELF).ru_minflt


def worker(args) -> dict:
    "Build one side, run warmup + timed steps over the saved batches; return speed and losses."
    import torch
    if args.threads: torch.set_num_threads(args.threads)
    row = parse_row(args.row, args.batch)
    state = torch.load(args.inputs, weights_only=True)
    teacher, student = load_models(row, state)
    step = torchdistill_step(row, teacher, student) if args.worker == "torchdistill" else \
        project_step(row, teacher, student, json.loads(args.cfg))
    xs, ys = list(state["x"]), list(state["y"])
    losses, t0, c0, f0 = [], None, None, None
    for i in range(args.warmup + args.steps):
        if i == args.warmup: t0, c0, f0 = time.perf_counter(), time.process_time(), minor_faults()
        losses.append(step(xs[i % len(xs)], ys[i % len(ys)]))
    secs, cpu_secs, faults = time.perf_counter() - t0, time.process_time() - c0, minor_faults() - f0
    images = args.steps * row.batch
    return {"img_s": images / secs, "img_cpu_s": images / cpu_secs, "faults": faults / args.steps,
            "first_loss": losses[0], "final_loss": losses[-1],
            "threads": torch.get_num_threads(), "thp": os.environ.get("THP_MEM_ALLOC_ENABLE")}


# ---------------------------------------------------------------- parent: install, prepare, interleave, report

def pip_target(*packages: str) -> None:
    "pip install `packages` (no dependencies) into TD_DIR with this interpreter's pip; the environment is untouched."
    cmd = [sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--no-deps",
           "--target", str(TD_DIR), *packages]
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode:
        said = (r.stderr.strip().splitlines() or ["no output"])[-1]
        raise BenchError(f"pip could not install {' '.join(packages)} into {TD_DIR} ({said}). Where PyPI is reachable "
                         f"run: {' '.join(cmd)}  -- or measure the project side alone with --project-only")


def missing_import() -> str | None:
    "The top-level module that torchdistill's DistillationBox fails to import in a clean process, or None."
    code = (f"import sys; sys.path.insert(0, {str(TD_DIR)!r})\n"
            "try:\n import torchdistill.core.distillation\nexcept ModuleNotFoundError as e: print(e.name.split('.')[0])")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    if r.returncode: raise BenchError(f"torchdistill in {TD_DIR} does not import: {r.stderr.strip().splitlines()[-1:]}")
    return r.stdout.strip() or None


def ensure_torchdistill() -> str:
    "Install torchdistill into .bench/ unless it is there; return its version."
    if not (TD_DIR / "torchdistill" / "__init__.py").is_file():
        print(f"installing torchdistill=={TD_VERSION} into {TD_DIR.relative_to(ROOT)} (not into the environment)", flush=True)
        pip_target(f"torchdistill=={TD_VERSION}")
    missing = missing_import()
    if missing in TD_EXTRA_DEPS:
        print(f"torchdistill needs {TD_EXTRA_DEPS[missing]}, which the environment lacks: adding it to {TD_DIR.name}", flush=True)
        pip_target(TD_EXTRA_DEPS[missing])
        missing = missing_import()
    if missing: raise BenchError(f"torchdistill in {TD_DIR} cannot import {missing!r}")
    from importlib.metadata import distributions
    return next((d.version for d in distributions(path=[str(TD_DIR)]) if d.metadata["Name"] == "torchdistill"), "?")


@dataclass(frozen=True)
class Side:
    "What one measurement runs: torchdistill, the project as shipped, or the project with one speed lever flipped."
    label: str
    worker: str                 # project | torchdistill
    cfg: tuple = ()             # TrainConfig overrides, as (field, value) pairs
    thp: str = "0"              # THP_MEM_ALLOC_ENABLE of its process (PyTorch's default: off)
    lever: str | None = None    # the lever this side flips (a key of bottlefit.bench.LEVERS)
    lever_on: bool = False      # True: the flip turns an opt-in lever on; False: it turns a default lever off


PROJECT = Side("project", "project")
TORCHDISTILL = Side("torchdistill", "torchdistill")
BF16 = Side("bf16", "project", (("cpu_bf16", True),), lever="cpu_bf16", lever_on=True)


def sides(args) -> list[Side]:
    "The sides measured on every row, in the order each round runs them."
    out = [PROJECT] + ([] if args.project_only else [TORCHDISTILL])
    if args.ablate:
        out += [Side("no channels_last", "project", (("channels_last", False),), lever="channels_last"),
                Side("no BN folding", "project", (("fold_frozen_bn", False),), lever="fold_frozen_bn"),
                Side("huge pages", "project", thp="1", lever="thp", lever_on=True)]
    if args.ablate or args.bf16:
        from bottlefit.train import cpu_bf16_supported
        if cpu_bf16_supported(): out.append(BF16)
        else: print("this CPU has no native bfloat16: the bf16 side is left out", flush=True)
    return out


def measure(args, row: Row, inputs: Path, side: Side) -> dict:
    "Run one measurement in a fresh process (its own allocator and THP setting); return the worker's result."
    cmd = [sys.executable, __file__, "--worker", side.worker, "--row", row.name, "--batch", str(row.batch),
           "--inputs", str(inputs), "--steps", str(args.steps), "--warmup", str(args.warmup),
           "--cfg", json.dumps(dict(side.cfg))] + (["--threads", str(args.threads)] if args.threads else [])
    env = {**os.environ, "THP_MEM_ALLOC_ENABLE": side.thp}   # read by PyTorch at its first large allocation
    r = subprocess.run(cmd, capture_output=True, text=True, env=env)
    line = next((s for s in reversed(r.stdout.splitlines()) if s.startswith("RESULT ")), None)
    if r.returncode or line is None:
        tail = " | ".join(r.stderr.strip().splitlines()[-3:])
        raise BenchError(f"{side.label} worker for {row.name} failed (exit {r.returncode}): {tail}")
    return json.loads(line[len("RESULT "):])


def bench_row(args, row: Row) -> dict[Side, list[dict]]:
    "Interleaved rounds of every side for `row` (each in a fresh process); checks the losses; results per side."
    inputs = prepare_inputs(args.cache, row, args.data, args.pool)
    print(f"\n== {row.name}: {row.title} ==", flush=True)
    runs = {side: [] for side in sides(args)}
    for rnd in range(args.rounds):
        for side, results in runs.items(): results.append(measure(args, row, inputs, side))
        line = "  ".join(f"{side.label} {results[-1]['img_s']:.1f}" for side, results in runs.items())
        if TORCHDISTILL in runs: line += f"  ratio {runs[PROJECT][-1]['img_s'] / runs[TORCHDISTILL][-1]['img_s']:.2f}"
        print(f"round {rnd + 1}: img/s  {line}", flush=True)
    check_losses(args, row, runs)
    return runs


def rel_diff(a: float, b: float) -> float: return abs(a - b) / max(abs(a), abs(b), 1e-30)


def check_losses(args, row: Row, runs: dict[Side, list[dict]]) -> None:
    "Print first and final losses; stop unless the project's first loss matches torchdistill's to --tol in every round."
    for side, results in runs.items():
        r = results[0]
        print(f"  {side.label:<17} first loss {r['first_loss']:.7g}, after {args.warmup + args.steps} steps "
              f"{r['final_loss']:.7g}  ({r['threads']} threads, THP {r['thp']}, {r['faults']:.0f} page faults/step, "
              f"{statistics.median(x['img_cpu_s'] for x in results):.1f} img/CPU-s)")
    if TORCHDISTILL not in runs: return
    for p, t in zip(runs[PROJECT], runs[TORCHDISTILL]):
        d = rel_diff(p["first_loss"], t["first_loss"])
        if not d < args.tol:
            raise BenchError(f"{row.name}: first losses differ: project {p['first_loss']!r} vs torchdistill "
                             f"{t['first_loss']!r} (relative {d:.1e} > {args.tol:g}): the sides do not compute the same loss")
    p, t = runs[PROJECT][0], runs[TORCHDISTILL][0]
    print(f"  first losses agree (relative difference {rel_diff(p['first_loss'], t['first_loss']):.1e}); after "
          f"{args.warmup + args.steps} steps they differ by {rel_diff(p['final_loss'], t['final_loss']):.1e} "
          "(rounding differences grow as training goes on)")


def median_speed(results: list[dict]) -> float: return statistics.median(r["img_s"] for r in results)


def median_ratio(a: list[dict], b: list[dict]) -> float:
    "Median over rounds of a's speed / b's speed in the same round."
    return statistics.median(x["img_s"] / y["img_s"] for x, y in zip(a, b))


def summary(args, results: dict[Row, dict]) -> None:
    "Per-row medians."
    print(f"\nmedians over {args.rounds} round(s) of {args.steps} timed steps ({args.warmup} warmup):")
    for row, runs in results.items():
        td = f"  torchdistill {median_speed(runs[TORCHDISTILL]):.1f} img/s  ratio " \
             f"{median_ratio(runs[PROJECT], runs[TORCHDISTILL]):.2f}" if TORCHDISTILL in runs else ""
        print(f"  {row.name:<11} project {median_speed(runs[PROJECT]):.1f} img/s{td}")


def record_fields(args, results: dict[Row, dict], td_version: str | None) -> dict:
    "The benchmark record's measurements: the settings, and every round of every side of every row."
    settings = dict(rounds=args.rounds, steps=args.steps, warmup=args.warmup, threads=args.threads, pool=args.pool, data=args.data,
                    batch=args.batch, tol=args.tol, torchdistill=td_version)
    rows = [dict(name=row.name, title=row.title, arch=row.arch, label=row.label, size=row.size, batch=row.batch, stage=row.stage,
                 sides=[dict(side=side.label, worker=side.worker, cfg=dict(side.cfg), thp=side.thp, lever=side.lever,
                             lever_on=side.lever_on, runs=runs) for side, runs in sides.items()])
            for row, sides in results.items()]
    return dict(settings=settings, ablate=args.ablate, rows=rows)


def provenance(args, td_version: str | None) -> None:
    "Where, with what and how the numbers were taken."
    import torch
    import torchvision
    git = lambda *a: subprocess.run(["git", *a], cwd=ROOT, capture_output=True, text=True).stdout.strip()
    rev = git("rev-parse", "--short", "HEAD") + ("-dirty" if git("status", "--porcelain", "--untracked-files=no") else "")
    cpu = next((ln.split(":", 1)[1].strip() for ln in Path("/proc/cpuinfo").read_text().splitlines()
                if ln.startswith("model name")), platform.processor()) if Path("/proc/cpuinfo").is_file() else platform.processor()
    thp = Path("/sys/kernel/mm/transparent_hugepage/enabled")
    print(f"bench_train: git {rev or '?'}, {datetime.datetime.now().astimezone().isoformat(timespec='seconds')}")
    print(f"  torch {torch.__version__}, torchvision {torchvision.__version__}, torchdistill {td_version or 'not run'}, "
          f"Python {platform.python_version()}")
    print(f"  CPU {cpu}, {os.cpu_count()} logical CPUs, torch threads {torch.get_num_threads()}, load average "
          f"{' '.join(f'{v:.2f}' for v in os.getloadavg())}, kernel THP {thp.read_text().strip() if thp.is_file() else '?'}")
    print(f"  {args.data} images, {args.pool} batches per row cycled in order; {args.rounds} round(s) of {args.warmup} "
          f"warmup + {args.steps} timed steps per side, each in a fresh process")


def parse_args(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", default=",".join(DEFAULT_ROWS), help="comma-separated rows r<18|50>-<px>-s<1|2>")
    ap.add_argument("--rounds", type=int, default=4, help="interleaved rounds per row (each side once per round)")
    ap.add_argument("--steps", type=int, default=20, help="timed training steps per measurement")
    ap.add_argument("--warmup", type=int, default=3, help="untimed steps before them (the first gives the first loss)")
    ap.add_argument("--batch", type=int, default=None, help="batch size (default: 32 for ResNet-18, 16 for ResNet-50)")
    ap.add_argument("--threads", type=int, default=None,
                    help="torch threads of every side (default: PyTorch's; 1 gives steadier figures on a busy machine)")
    ap.add_argument("--pool", type=int, default=8, help="distinct batches, cycled through in order")
    ap.add_argument("--data", choices=("imagenette", "synthetic"), default="imagenette")
    ap.add_argument("--cache", type=Path, default=BENCH / "inputs", help="where the prepared batches and weights are kept")
    ap.add_argument("--tol", type=float, default=1e-4, help="largest relative difference of the first losses")
    ap.add_argument("--markdown", action="store_true", help="print the README table")
    ap.add_argument("--ablate", action="store_true", help="also run the project side with each speed lever flipped")
    ap.add_argument("--bf16", action="store_true", help="also run the project side with bfloat16 autocast (opt-in lever)")
    ap.add_argument("--project-only", action="store_true", help="no torchdistill: measure the project side alone")
    ap.add_argument("--out", default=str(ROOT / "data" / "results" / "bench" / "train.json"),
                    help="the benchmark record to write ('' for none)")
    ap.add_argument("--worker", choices=("project", "torchdistill"), help=argparse.SUPPRESS)
    ap.add_argument("--row", help=argparse.SUPPRESS)
    ap.add_argument("--inputs", help=argparse.SUPPRESS)
    ap.add_argument("--cfg", default="{}", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    for k in ("rounds", "steps", "pool", "batch", "threads"):
        if getattr(args, k) is not None and getattr(args, k) < 1: ap.error(f"--{k} must be at least 1")
    if args.warmup < 0: ap.error("--warmup must be at least 0")
    return args


def main(argv=None) -> int:
    from bottlefit.core import BottleFitError
    argv = sys.argv[1:] if argv is None else list(argv)
    args = parse_args(argv)
    try:
        if args.worker:
            print("RESULT " + json.dumps(worker(args)), flush=True)
            return 0
        rows = [parse_row(r, args.batch) for r in args.rows.split(",") if r.strip()]
        if not rows: raise BenchError("no rows given: name at least one, e.g. --rows r18-64-s1")
        from bottlefit import bench          # the records (not in the workers: they time training alone)
        begun = bench.begin_record("train", bench.command_line("python scripts/bench_train.py", argv))
        if args.threads:
            import torch
            torch.set_num_threads(args.threads)
        td_version = None if args.project_only else ensure_torchdistill()
        provenance(args, td_version)
        results = {row: bench_row(args, row) for row in rows}
        summary(args, results)
        rec = bench.make_record(begun, record_fields(args, results, td_version))
        if args.out: print(f"\nwrote {bench.write_record(args.out, rec)}")
        if args.markdown:
            print("\n" + bench.render_train(rec))
            if args.ablate: print("\n" + bench.render_levers(rec))
        return 0
    except (BenchError, BottleFitError) as e:    # BottleFitError: e.g. an input size the bottleneck cannot take
        print(f"bench_train: error: {e}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
