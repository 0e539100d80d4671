"""`codec-report` on a run with a learned entropy bottleneck (method eb-kd): the eb row beside the fixed codecs.

The command reads Imagenette through the decoded-image cache; here that source is replaced by a few seeded random
images (decoding and caching Imagenette is tested elsewhere), so only the report itself is under test: the head
that runs is the rounded head, the eb frames are coded with the run's own tables, and the text names them. The runs
are written directly (a model and its run description, as `bottlefit train` saves them), untrained: a second or two.
"""
import json

import pytest
import torch

import bottlefit.data as data
from bottlefit.cli import main
from bottlefit.codec import header_size
from bottlefit.core import CODECS
from bottlefit.entropy import EntropyBottleneck
from bottlefit.models import bottleneck_model


def write_run(folder, learned: bool):
    "A run folder with a model.pt as `bottlefit train` writes it: an untrained ResNet-18 SP1, C = 2, at 32 px."
    torch.manual_seed(0)
    m = bottleneck_model("resnet18", "sp1", 2, num_classes=10, input_size=32, entropy=EntropyBottleneck if learned else None)
    if learned: m.entropy.update()
    run = dict(method="eb-kd" if learned else "bottlefit-ft-fe", arch="resnet18", split="sp1", channels=2, num_classes=10,
               input_size=32, preset="synthetic", **({"beta": 0.01} if learned else {}))
    folder.mkdir()
    torch.save(dict(run=run, model=m.state_dict()), folder / "model.pt")
    return m


@pytest.fixture
def images(monkeypatch):
    "Six seeded uint8 images stand in for Imagenette's cached train and val images."
    gen = torch.Generator().manual_seed(1)
    imgs = [((torch.rand(3, 40, 40, generator=gen) * 255).to(torch.uint8), 0) for _ in range(6)]
    monkeypatch.setattr(data, "imagenette", lambda split, root=None, **kw: split)
    monkeypatch.setattr(data, "decoded_cache", lambda folder, size, **kw: folder)
    monkeypatch.setattr(data, "CachedImages", lambda path, *a, **kw: imgs)
    return imgs


def report(run, capsys, *extra):
    code = main(["codec-report", "--checkpoint", str(run), "--input-size", "32", "--images", "3", "--fit-images", "3", *extra])
    out = capsys.readouterr()
    assert code == 0, out.err
    return out.out


def test_learned_run_gets_the_eb_row(tmp_path, images, capsys):
    m = write_run(tmp_path / "e", learned=True)
    r = json.loads(report(tmp_path / "e", capsys, "--json"))
    eb = r["frames"]["eb"]
    assert list(r["frames"]) == [*CODECS, "eb"]
    assert (eb["tables_hash"], eb["header"], r["test_images"]) == (m.entropy.tables_hash(), header_size("eb", 3), 3)
    assert eb["bytes"] > eb["header"] and eb["estimated_bits_per_element"] > 0
    assert abs(eb["payload_bits_per_element"] - eb["estimated_bits_per_element"]) < 1.0     # real frames, near the density's estimate
    text = report(tmp_path / "e", capsys)
    assert f"eb (learned entropy tables {m.entropy.tables_hash()}): real frames of" in text
    assert "bits/element with the 27-byte header" in text and "the density's own estimate" in text


def test_fixed_codecs_only_without_a_learned_bottleneck(tmp_path, images, capsys):
    write_run(tmp_path / "b", learned=False)
    r = json.loads(report(tmp_path / "b", capsys, "--json"))
    assert list(r["frames"]) == list(CODECS)
    assert "eb (learned" not in report(tmp_path / "b", capsys)
