"`train --data DIR` on your own ImageFolder: a teacher, then a student, on a tiny generated folder; each wrong layout its message."
import shutil

import pytest
from PIL import Image

from bottlefit.cli import main

CLASSES = ("cat", "dog", "fox")

def _folder(root, classes=CLASSES, n=6, size=32):
    for split in ("train", "val"):
        for k, c in enumerate(classes):
            (root / split / c).mkdir(parents=True, exist_ok=True)
            for i in range(n): Image.new("RGB", (size, size), (100 * k, 30 * i, 200 - 90 * k)).save(root / split / c / f"{i}.jpg")
    return root

def _train(data, out, *more):
    return main(["train", "--preset", "smoke", "--model", "resnet18", "--data", str(data), "--out", str(out), "--epochs", "1",
                 "--batch-size", "6", "--workers", "0", "--device", "cpu", "--no-progress", *more])

@pytest.fixture
def own(tmp_path, monkeypatch):
    monkeypatch.setenv("BOTTLEFIT_CACHE", str(tmp_path / "cache"))
    return _folder(tmp_path / "own")

def test_teacher_then_student(own, tmp_path, capsys):
    import torch
    assert _train(own, tmp_path / "t", "--method", "teacher") == 0
    run = torch.load(tmp_path / "t" / "model.pt", map_location="cpu", weights_only=True)["run"]
    assert (run["classes"], run["num_classes"]) == (list(CLASSES), 3)
    assert _train(own, tmp_path / "s", "--method", "hnd", "--teacher", str(tmp_path / "t" / "model.pt")) == 0
    assert "top-1" in capsys.readouterr().out
    assert main(["eval", "--checkpoint", str(tmp_path / "s" / "model.pt"), "--device", "cpu", "--json"]) == 0   # on its own folder
    assert '"top1"' in capsys.readouterr().out
    other = _folder(tmp_path / "other", ("ant", "bee", "cow"), n=1)
    assert main(["eval", "--checkpoint", str(tmp_path / "s" / "model.pt"), "--data", str(other), "--device", "cpu"]) == 2
    assert "was trained on your own images" in capsys.readouterr().err
    assert _train(other, tmp_path / "s2", "--method", "hnd", "--teacher", str(tmp_path / "t" / "model.pt")) == 2
    assert "was trained on the classes cat, dog, fox, but" in capsys.readouterr().err
    assert _train(own, tmp_path / "s3", "--method", "hnd") == 2
    assert "a student needs a teacher trained on the same 3 classes" in capsys.readouterr().err

def _no_val(r): shutil.rmtree(r / "val")
def _no_classes(r): shutil.rmtree(r / "train"); (r / "train").mkdir()
def _empty_class(r): shutil.rmtree(r / "val" / "fox"); (r / "val" / "fox").mkdir()
def _mismatch(r): (r / "val" / "fox").rename(r / "val" / "wolf")
def _unreadable(r): (r / "train" / "dog" / "3.jpg").write_bytes(b"\x00 not an image")
def _missing(r): shutil.rmtree(r)

@pytest.mark.parametrize("damage, message", [
    (_no_val, "has no val/ folder; expected"), (_no_classes, "has no class folders"), (_empty_class, "fox under"),
    (_mismatch, "only in train: fox; only in val: wolf"), (_unreadable, "cannot read image"), (_missing, "is not a folder")])
def test_bad_layouts(own, tmp_path, capsys, damage, message):
    damage(own)
    assert _train(own, tmp_path / "t", "--method", "teacher") == 2
    err = capsys.readouterr().err
    assert err.startswith("error:") and message in err, err
    if damage is not _missing: assert f"{own / 'train'}/<class>/*.jpg" in err, err       # the expected layout, with the path

def test_study_keeps_own_data_apart(own, capsys):
    assert main(["study", "--preset", "cpu", "--data", str(own)]) == 2
    assert "give --results DIR and --runs DIR" in capsys.readouterr().err
