"""Damaged files on the command line: one `error: ...` line naming the file and what to do, exit 2, no traceback.

The library notebooks (00_core, 04_train, 05_methods, 09_study, 11_figures) test each check in-process; these run
the real commands a user types, on copies of the committed cpu records or in scratch run folders (seconds each).
"""
import json
import shutil
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]
CPU = ROOT / "data" / "results" / "cpu"


from cli_run import bottlefit, one_error_line  # noqa: E402  (the command line as a user types it)


def damaged_copy(tmp_path, name, edit):
    "A copy of the committed cpu records in which record `name` is replaced by `edit(record)` (JSON text)."
    results = tmp_path / "cpu"
    shutil.copytree(CPU, results)
    (results / f"{name}.json").write_text(edit(json.loads((CPU / f"{name}.json").read_text())))
    return results


def test_figures_refuse_a_nan_record(tmp_path):
    rec = "bottlefit-ft-fe-resnet18-sp1-c3"
    results = damaged_copy(tmp_path, rec, lambda r: json.dumps({**r, "accuracy": {**r["accuracy"], "top1": float("nan")}}))
    r = bottlefit("figures", "--preset", "cpu", "--results", results, "--out", tmp_path / "out", "--no-progress")
    one_error_line(r, str(results / f"{rec}.json"), "NaN is not a number in JSON",
                   f"python -m bottlefit study --preset cpu --results {results} --only {rec} --redo")
    assert not (tmp_path / "out" / "table2.md").exists()


def test_figures_refuse_a_record_under_another_name(tmp_path):
    other = json.loads((CPU / "kd-resnet18-sp1-c3.json").read_text())
    results = damaged_copy(tmp_path, "hnd-resnet18-sp1-c3", lambda r: json.dumps(other))
    r = bottlefit("figures", "--preset", "cpu", "--results", results, "--out", tmp_path / "out", "--no-progress")
    one_error_line(r, str(results / "hnd-resnet18-sp1-c3.json"), "holds the record of job kd-resnet18-sp1-c3")


def test_a_failing_figure_notebook_is_one_line(tmp_path):
    "An error raised inside a papermill notebook reaches the user as its own one-line message."
    results = tmp_path / "cpu"
    shutil.copytree(CPU, results)
    (results / "teacher-resnet18.json").unlink()              # valid records, but Table I needs the teacher
    r = bottlefit("figures", "--preset", "cpu", "--results", results, "--out", tmp_path / "out", "--only", "table1", "--no-progress")
    errors = [l for l in r.stderr.splitlines() if l.startswith("error: ")]
    assert r.returncode == 2 and "Traceback" not in r.stderr and "-----" not in r.stderr, r.stderr[-3000:]
    assert errors == ["error: figure notebook table1: no teacher record for resnet18; run its teacher job"], r.stderr[-3000:]


def test_train_refuses_a_damaged_run_json(tmp_path):
    out = tmp_path / "run"
    out.mkdir()
    (out / "run.json").write_text("[1, 2]")
    r = bottlefit("train", "--method", "teacher", "--model", "resnet18", "--preset", "synthetic", "--epochs", "1",
                  "--out", out, "--no-progress")
    one_error_line(r, str(out / "run.json"), "not a run description", f"delete the folder {out}")


def test_train_starts_in_a_folder_left_by_a_kill_during_creation(tmp_path):
    out = tmp_path / "run"
    out.mkdir()
    (out / ".run.json.k1ll3d_x.tmp").write_text('{"method": "tea')   # SIGKILL during the atomic write of run.json
    r = bottlefit("train", "--method", "teacher", "--model", "resnet18", "--preset", "synthetic", "--epochs", "1",
                  "--out", out, "--no-progress")
    assert r.returncode == 0, r.stderr[-3000:]
    assert sorted(p.name for p in out.iterdir()) == ["checkpoint.pt", "log.csv", "log.jsonl", "model.pt", "run.json"]


def test_eval_refuses_a_damaged_model_file(tmp_path):
    path = tmp_path / "model.pt"
    torch.save({"run": {"arch": "resnet18", "channels": 3}, "model": {}}, path)
    one_error_line(bottlefit("eval", "--checkpoint", path), str(path), "damaged run description (no valid split")
    torch.save({"weights": torch.zeros(3)}, path)
    one_error_line(bottlefit("eval", "--checkpoint", path), str(path), "not a model.pt")
