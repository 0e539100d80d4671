"""Two processes on one run folder, one results folder or one timings file; and the teacher weights a record keeps.

Each test starts real processes and synchronises with them through files and pipes, never through sleeps of a
guessed length: a child says when it holds a lock (or has written a checkpoint), and is then stopped with SIGKILL.
The notebooks (00_core, 04_train, 09_study, 15_measure) show the same checks in one process.
"""
import json
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CPU = ROOT / "data" / "results" / "cpu"
TEACHER = "teacher-resnet18"


def start(code: str, *args) -> subprocess.Popen:
    "A Python child running `code` (with `sys.argv[1:] = args`), its stdout a pipe."
    return subprocess.Popen([sys.executable, "-c", textwrap.dedent(code), *map(str, args)], cwd=ROOT, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def wait_for(what, child: subprocess.Popen, timeout: float = 300):
    "Wait until `what()` is true while `child` lives; fail with the child's stderr if it died first."
    end = time.monotonic() + timeout
    while not what():
        if child.poll() is not None: pytest.fail(f"the child ended (exit {child.returncode}) first:\n{child.stderr.read()[-3000:]}")
        if time.monotonic() > end: pytest.fail(f"nothing after {timeout} s")
        time.sleep(0.05)


def kill(child: subprocess.Popen):
    child.send_signal(signal.SIGKILL)
    child.wait(timeout=60)
    child.stdout.close(); child.stderr.close()


def one_line_error(fn, exc, *contains) -> str:
    with pytest.raises(exc) as e: fn()
    msg = str(e.value)
    assert "\n" not in msg, msg
    for c in contains: assert c in msg, (c, msg)
    return msg


from cli_run import bottlefit, one_error_line  # noqa: E402  (the command line as a user types it)


# ---------------------------------------------------------------------------------------------- the lock itself

HOLD = """
import sys, time
from bottlefit.core import hold_lock
with hold_lock(sys.argv[1], "the thing"):
    print("held", flush=True)
    time.sleep(600)
"""


def test_a_lock_held_by_another_process_is_refused_and_freed_by_sigkill(tmp_path):
    from bottlefit.core import Busy, hold_lock
    lock = tmp_path / ".lock"
    child = start(HOLD, lock)
    try:
        assert child.stdout.readline().strip() == "held"
        def take():
            with hold_lock(lock, "the thing"): pass
        one_line_error(take, Busy, f"the thing is in use by process {child.pid} (", f"kill {child.pid}")
    finally: kill(child)
    assert lock.exists()                  # SIGKILL ran no cleanup: the file stays, but it is no lock any more
    with hold_lock(lock, "the thing"): pass
    assert not lock.exists()


# ---------------------------------------------------------------------------------------------- training

TINY = """
import sys, time
from pathlib import Path
import torch
from bottlefit.data import SyntheticImages, eval_transform, train_transform
from bottlefit.models import bottleneck_model, teacher
from bottlefit.train import Stage, TrainConfig, fit

class Gate(torch.utils.data.Dataset):
    "Serves `open_items` items, then writes the file `blocked` and waits for ever (until killed)."
    def __init__(self, ds, open_items, blocked): self.ds, self.left, self.blocked = ds, open_items, blocked
    def __len__(self): return len(self.ds)
    def __getitem__(self, i):
        if self.left is not None:
            if self.left <= 0:
                Path(self.blocked).write_text("waiting")
                time.sleep(3600)
            self.left -= 1
        return self.ds[i]

def tiny_fit(out, open_items=None, blocked=None):
    torch.manual_seed(0)
    t = teacher("resnet18", num_classes=4).eval()
    model = bottleneck_model("resnet18", "sp1", 2, teacher_model=t, input_size=32)
    train = Gate(SyntheticImages(64, 4, 36, seed=0, transform=train_transform(32)), open_items, blocked)
    val = SyntheticImages(32, 4, 36, seed=1, transform=eval_transform(32))
    stages = [Stage("ghnd", 1, "ghnd", ("encoder", "decoder")), Stage("ce", 1, "ce", optimizer="sgd", lr=0.01)]
    cfg = TrainConfig(batch_size=8, eval_batch_size=16, workers=0, progress=False, checkpoint_every=1)
    return fit(model, stages, train, val, out, {"method": "lock-test"}, teacher=t, config=cfg)
"""


def tiny_fit(out):
    ns = {}
    exec(textwrap.dedent(TINY), ns)
    return ns["tiny_fit"](out)


def test_fit_refuses_a_run_folder_in_training_and_resumes_it_after_sigkill(tmp_path):
    "A training child blocks after 2 checkpointed steps; a second fit is refused naming it; killed, its run resumes."
    import torch
    from bottlefit.core import BottleFitError
    out, blocked = tmp_path / "run", tmp_path / "blocked"
    child = start(TINY + "\ntiny_fit(sys.argv[1], open_items=16, blocked=sys.argv[2])\n", out, blocked)
    try:
        wait_for(blocked.exists, child)                  # 2 batches of 8 trained, each checkpointed, and the child waits
        assert torch.load(out / "checkpoint.pt", weights_only=True)["step"] == 2
        one_line_error(lambda: tiny_fit(out), BottleFitError, f"run folder {out} is in use by process {child.pid} (", f"kill {child.pid}")
        assert torch.load(out / "checkpoint.pt", weights_only=True)["step"] == 2      # the refused fit touched nothing
    finally: kill(child)
    history = tiny_fit(out)                              # the kernel released the dead child's lock
    assert [h["stage"] for h in history] == ["ghnd", "ce"] and history[0]["train_steps"] == 8
    assert sorted(p.name for p in out.iterdir()) == ["checkpoint.pt", "log.csv", "log.jsonl", "model.pt", "run.json"]


def test_opening_a_run_folder_deletes_only_the_leftovers_of_its_own_files(tmp_path):
    from bottlefit.train import RunFolder
    out, run = tmp_path / "run", {"method": "x", "stages": [], "batch_size": 8, "seed": 0}
    RunFolder(out, run).create()
    ours, theirs = out / ".checkpoint.pt.k2x9_q0a.tmp", out / ".head.onnx.x7y8z9w0.tmp"
    ours.write_bytes(b"a killed checkpoint write"); theirs.write_bytes(b"another program, still writing")
    RunFolder(out, run)
    assert not ours.exists() and theirs.exists()


# ---------------------------------------------------------------------------------------------- the study

BLOCKED_STUDY = """
import sys, time
from pathlib import Path
import bottlefit.study as study
from bottlefit.presets import get_preset
def blocked(*args, **kwargs):
    Path(sys.argv[3]).write_text("running")
    time.sleep(3600)
study.run_job = blocked
study.run_study(get_preset("synthetic"), sys.argv[1], sys.argv[2], only="kd-resnet18-sp1-c3", progress=False)
"""


def test_a_second_study_on_the_same_folders_fails_fast(tmp_path, monkeypatch):
    import bottlefit.study as study
    from bottlefit.core import BottleFitError
    from bottlefit.presets import get_preset
    synthetic = get_preset("synthetic")
    results, runs, running = tmp_path / "results", tmp_path / "runs", tmp_path / "running"
    child = start(BLOCKED_STUDY, results, runs, running)
    try:
        wait_for(running.exists, child)                  # the first study is inside its first job
        r = bottlefit("study", "--preset", "synthetic", "--results", results, "--runs", tmp_path / "other-runs",
                      "--only", "kd-resnet18-sp1-c3", "--no-progress")
        one_error_line(r, f"results folder {results} is in use by process {child.pid} (", f"kill {child.pid}")
        one_line_error(lambda: study.run_study(synthetic, tmp_path / "other-results", runs, only="kd-resnet18-sp1-c3",
                                               progress=False), BottleFitError, f"runs folder {runs} is in use by process {child.pid} (")
    finally: kill(child)
    monkeypatch.setattr(study, "run_job", lambda job, *args, **kwargs: {"ran": job.name})
    assert study.run_study(synthetic, results, runs, only="kd-resnet18-sp1-c3", progress=False) == \
        {"kd-resnet18-sp1-c3": {"ran": "kd-resnet18-sp1-c3"}}


# ---------------------------------------------------------------------------------------------- timings files

WRITER = """
import sys, time
from pathlib import Path
from bottlefit.measure import save_timings
out, w, n, go = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), Path(sys.argv[4])
print("ready", flush=True)
while not go.exists(): time.sleep(0.01)
for i in range(n):
    save_timings(out, {"input_size": 64, "designs": [dict(arch=f"net{w}", split="sp1", channels=i, input_size=64, head_s=[0.1])],
                       "teachers": {f"net{w}-{i}": [0.2]}})
"""


def test_concurrent_measure_writers_lose_no_entry(tmp_path):
    out, go, writers, n = tmp_path / "timings.json", tmp_path / "go", 4, 50
    children = [start(WRITER, out, w, n, go) for w in range(writers)]
    try:
        for c in children: assert c.stdout.readline().strip() == "ready"
        go.write_text("go")                                  # all start writing together
        for c in children: assert c.wait(timeout=600) == 0, c.stderr.read()[-3000:]
    finally:
        for c in children:
            if c.poll() is None: kill(c)
    got = json.loads(out.read_text())
    assert len(got["designs"]) == writers * n and len(got["teachers"]) == writers * n
    assert sorted(p.name for p in tmp_path.iterdir()) == ["go", "timings.json"]      # no lock file, no temporary file


# ---------------------------------------------------------------------------------------------- teacher weights

def kept_copy(tmp_path, file=None, sha256=None, data=None):
    "A results folder with the committed cpu teacher's record (its `weights` edited) and its weights file (or `data`)."
    results = tmp_path / "results"
    results.mkdir()
    rec = json.loads((CPU / f"{TEACHER}.json").read_text())
    rec["weights"].update({k: v for k, v in dict(file=file, sha256=sha256).items() if v is not None})
    (results / f"{TEACHER}.json").write_text(json.dumps(rec))
    (results / f"{TEACHER}.pt").write_bytes(data if data is not None else (CPU / f"{TEACHER}.pt").read_bytes())
    return results, rec["weights"]


def teacher_path(results):
    from bottlefit.presets import Job, get_preset
    from bottlefit.study import _teacher_path
    return _teacher_path(Job("kd", "resnet18", "sp1", 3), get_preset("cpu"), results, results.parent / "runs")


def sha256(data: bytes) -> str:
    import hashlib
    return hashlib.sha256(data).hexdigest()


def test_the_committed_teacher_weights_pass(tmp_path):
    results, _ = kept_copy(tmp_path)
    assert teacher_path(results) == results / f"{TEACHER}.pt"


@pytest.mark.parametrize("file", ["../outside.pt", "../../outside.pt", "/tmp/outside.pt", "sub/teacher-resnet18.pt", ".."])
def test_a_weights_file_outside_the_results_folder_is_refused(tmp_path, file):
    from bottlefit.core import ConfigError
    results, _ = kept_copy(tmp_path, file=file)
    shutil.copy(CPU / f"{TEACHER}.pt", tmp_path / "outside.pt")      # the same weights: only the place is wrong
    one_line_error(lambda: teacher_path(results), ConfigError, "not a plain file name", "git checkout")


def test_a_link_leading_out_of_the_results_folder_is_refused(tmp_path):
    from bottlefit.core import ConfigError
    results, _ = kept_copy(tmp_path)
    shutil.copy(CPU / f"{TEACHER}.pt", tmp_path / "outside.pt")
    (results / f"{TEACHER}.pt").unlink()
    (results / f"{TEACHER}.pt").symlink_to(tmp_path / "outside.pt")
    one_line_error(lambda: teacher_path(results), ConfigError, "outside", str(tmp_path / "outside.pt"))


def test_swapped_weights_with_an_edited_hash_are_refused_by_their_size(tmp_path):
    from bottlefit.core import ConfigError
    doubled = (CPU / f"{TEACHER}.pt").read_bytes() * 2
    results, w = kept_copy(tmp_path, sha256=sha256(doubled), data=doubled)
    assert w["bytes"] == 22418571
    one_line_error(lambda: teacher_path(results), ConfigError, f"{TEACHER}.pt is 44.8 MB, ", "says 22.4 MB")
    r = bottlefit("study", "--preset", "cpu", "--results", results, "--runs", tmp_path / "runs", "--only", "kd-resnet18-sp1-c3",
                  "--no-progress")
    one_error_line(r, f"{TEACHER}.pt is 44.8 MB, ", "says 22.4 MB")


def test_weights_of_the_right_size_but_another_hash_are_refused(tmp_path):
    from bottlefit.core import ConfigError
    good = (CPU / f"{TEACHER}.pt").read_bytes()
    results, w = kept_copy(tmp_path, data=good[:-1] + bytes([good[-1] ^ 1]))
    one_line_error(lambda: teacher_path(results), ConfigError, "SHA-256", f"not the {w['sha256'][:16]}")
