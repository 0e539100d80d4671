"""Every subcommand, fed bad input, exits non-zero with one line naming the problem, and never a traceback.

The table runs in-process (`bottlefit.cli.main`, one torch import for all cases); a few cases also run as a user types
them (`python -m bottlefit ...` in a fresh process). Nothing here depends on timing: every case is refused before
any model is timed or trained (`latency` and `plan` price recorded timings, the committed data/results/cpu).
"""
import contextlib
import io
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from bottlefit.cli import main

ROOT = Path(__file__).resolve().parents[1]


def call(argv):
    "Run the CLI in-process; return (status, stdout, stderr)."
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try: code = main(argv)
        except SystemExit as e: code = e.code
    return code, out.getvalue(), err.getvalue()


@pytest.fixture(scope="module")
def ws(tmp_path_factory):
    "A workspace: a tiny trained split run (synthetic preset), damaged files, an image folder, a busy port."
    from PIL import Image
    tmp = tmp_path_factory.mktemp("cli")
    common = ["--preset", "synthetic", "--epochs", "1", "--no-progress"]
    assert call(["train", "--method", "teacher", "--model", "resnet18", "--split", "none", *common, "--out", str(tmp / "t")])[0] == 0
    assert call(["train", "--method", "hnd", "--model", "resnet18", "--split", "sp1", "--channels", "2", *common,
                 "--teacher", str(tmp / "t" / "model.pt"), "--out", str(tmp / "run")])[0] == 0
    (tmp / "imgs").mkdir(); Image.new("RGB", (40, 40)).save(tmp / "imgs" / "a.png")
    (tmp / "huge").mkdir(); Image.new("L", (20000, 20000)).save(tmp / "huge" / "big.png")   # 400 MP in ~400 KB
    (tmp / "binary.json").write_bytes(bytes(range(256)) * 4)
    (tmp / "empty.json").write_text("[{}]")
    (tmp / "nan.json").write_text('[{"arch": "resnet18", "split": "sp1", "channels": 3, "codec": "bq8", "top1": NaN, "bytes": 10}]')
    (tmp / "object.json").write_text('{"arch": "resnet18", "split": "sp1", "channels": 3, "codec": "bq8", "top1": 0.5, "bytes": 10}')
    (tmp / "record.json").write_text('{"record_version": 1, "name": "system", "job": {"method": "system"}}')
    (tmp / "untimed.json").write_text('[{"arch": "resnet50", "split": "sp1", "channels": 3, "codec": "bq8", "top1": 0.7, "bytes": 2543}]')
    (tmp / "dir").mkdir()
    busy = socket.socket(); busy.bind(("127.0.0.1", 0)); busy.listen()
    free = socket.socket(); free.bind(("127.0.0.1", 0)); closed_port = free.getsockname()[1]; free.close()
    yield dict(tmp=tmp, run=str(tmp / "run"), busy=busy.getsockname()[1], closed=closed_port)
    busy.close()


# (argv template, a fragment the one error line must hold). {run}, {tmp}, {busy}, {closed} come from the workspace.
CASES = [
    ("info --input-size 100000", "too large"),
    ("info --input-size 7", "too small"),
    ("info --num-classes 0", "--num-classes"),
    ("info --channels 0", ">= 1"),
    ("info --model vgg", "unknown backbone"),
    ("cards --channels 0", ">= 1"),
    ("cards --input-size 2000", "too large"),
    ("cache --size 0", "too small"),
    ("cache --splits test", "unknown split"),
    ("cache --data {tmp}/dir", "No Imagenette"),
    ("bench-data --limit 0", "--limit"),
    ("bench-data --workers -1", "--workers"),
    ("bench-data --batch-size 0", "--batch-size"),
    ("bench-data --data {tmp}/dir", "BOTTLEFIT_DATA"),
    ("train --method nope --out {tmp}/x", "unknown method"),
    ("train --method ce --preset nope --out {tmp}/x", "unknown preset"),
    ("train --method ce --epochs 0 --out {tmp}/x", "--epochs"),
    ("train --method ce --batch-size 0 --out {tmp}/x", "--batch-size"),
    ("train --method ce --augment-cycle -1 --out {tmp}/x", "--augment-cycle"),
    ("train --method hnd --preset synthetic --cache-teacher --out {tmp}/x", "needs augment_cycle"),
    ("train --method hnd --preset synthetic --teacher {tmp}/missing.pt --out {tmp}/x", "does not exist"),
    ("eval --checkpoint {tmp}/missing", "does not exist"),
    ("eval --checkpoint {tmp}/binary.json", "binary.json"),
    ("eval --checkpoint {run} --batch-size 0", "--batch-size"),
    ("bench-train --steps 0", "--steps"),
    ("bench-train --warmup -1", "--warmup"),
    ("bench-train --preset nope", "unknown preset"),
    ("codec-report --checkpoint {tmp}/missing", "does not exist"),
    ("codec-report --checkpoint {run} --images 0", "--images"),
    ("latency --input-size 7", "too small"),
    ("latency --input-size 100", "bottlefit measure --model resnet152 --split none --input-size 100"),
    ("latency --codec nope", "invalid choice"),
    ("latency --device nope", "invalid choice"),
    ("latency --edge nope", "invalid choice"),
    ("latency --offload-bytes -1", "--offload-bytes"),
    ("latency --offload-bytes 0", "--offload-bytes"),
    ("latency --jpeg-bytes -1", "--jpeg-bytes"),
    ("latency --channels 0", "--channels"),
    ("latency --repeats 5", "unrecognized arguments"),
    ("latency --link nope", "unknown link"),
    ("latency --device-model cubic", "invalid choice: 'cubic' (choose from 'proportional', 'affine', 'overhead+macs', 'layers+macs')"),
    ("latency --link 10mbps --device here --device-model affine", "--device here is measured as it is, with no device models"),
    ("latency --link 10mbps:3", "take a ':' part"),
    ("latency --link 10mbps --channels 5", "bottlefit measure --model resnet152 --split sp1 --channels 5"),
    ("latency --link 10mbps --model resnet50", "bottlefit measure --model resnet50 --split none"),
    ("latency --link 10mbps --results {tmp}/dir", "bottlefit measure"),
    ("latency --link 10mbps --results {tmp}/missing", "no results folder"),
    ("latency --link 10mbps --timings {tmp}/missing.json", "not a readable timings file"),
    ("latency --link 10mbps --timings {tmp}/binary.json", "not a readable timings file"),
    ("measure --repeats 0", "--repeats"),
    ("measure --channels 0", "--channels"),
    ("measure --model vgg", "unknown backbone"),
    ("measure --input-size 7", "too small"),
    ("measure --split none --channels 3", "--split none"),
    ("measure --out {tmp}/binary.json", "not a timings file"),
    ("measure --out {tmp}/empty.json", "not a timings file"),
    ("measure --out {tmp}/dir", "is a folder"),
    ("plan --records {tmp}/dir --link 10mbps", "no results records"),
    ("plan --records {tmp}/missing --link 10mbps", "no results folder"),
    ("plan --records {tmp}/missing.json --link 10mbps", "does not exist"),
    ("plan --records {tmp}/binary.json --link 10mbps", "not a readable JSON"),
    ("plan --records {tmp}/object.json --link 10mbps", "holds an object, not a list"),
    ("plan --records {tmp}/record.json --link 10mbps", "give its folder"),
    ("plan --records {tmp}/empty.json --link 10mbps", "lacks arch"),
    ("plan --records {tmp}/nan.json --link 10mbps", "NaN"),
    ("plan --records {tmp}/untimed.json --link 10mbps", "bottlefit measure --model resnet50 --split sp1 --channels 3"),
    ("plan --records cpu --link 10mbps --min-accuracy 0.99", "no candidate reaches top-1"),
    ("plan --records cpu --link 10mbps --edge nope", "invalid choice"),
    ("plan --records cpu --link 10mbps --device nope", "invalid choice"),
    ("plan --records cpu --link 10mbps --device-model cubic", "invalid choice: 'cubic'"),
    ("plan --records cpu --link 10mbps --device here --device-model affine", "no device models"),
    ("plan --records cpu --link 10mbps --timings {tmp}/binary.json", "not a readable timings file"),
    ("plan --records cpu --link 10mbps:3", "take a ':' part"),
    ("plan --records cpu --link lora:0", "> 0 kHz"),
    ("plan --records {tmp}/empty.json --level 0", "--level"),
    ("plan --records {tmp}/empty.json --level -1", "--level"),
    ("plan --records {tmp}/empty.json --link 10mbps --level 2", "levels 1..1"),
    ("plan --records {tmp}/empty.json --link lora:500 --level 2", "drop --level"),
    ("plan --records {tmp}/empty.json --min-accuracy 70", "fraction"),
    ("plan --runs {tmp}/dir --objective speed", "invalid choice"),
    ("plan --runs {tmp}/dir --link 10mbps", "no finished"),
    ("plan --runs {tmp} --link 10mbps", "bottlefit measure --model resnet18 --split sp1 --channels 2"),
    ("plan --link 10mbps", "exactly one"),
    ("plan --records cpu --runs {tmp} --link 10mbps", "exactly one"),
    ("serve --checkpoint {run} --port {busy}", "in use"),
    ("serve --checkpoint {run} --port 70000", "0..65535"),
    ("serve --checkpoint {run} --port -1", "0..65535"),
    ("serve --checkpoint {run} --host no.such.host.invalid", "no.such.host.invalid"),
    ("serve --checkpoint {run} --timeout 0", "--timeout"),
    ("serve --checkpoint {run} --max-batch 0", "--max-batch"),
    ("serve --checkpoint {tmp}/missing", "does not exist"),
    ("client --checkpoint {run} --server 127.0.0.1:{closed} --images {tmp}/imgs --link wifi:x", "not a whole number"),
    ("client --checkpoint {run} --server 127.0.0.1:{closed} --images {tmp}/imgs --link wifi:0", "levels 1.."),
    ("client --checkpoint {run} --server 127.0.0.1:{closed} --images {tmp}/imgs --link lora:0", "> 0 kHz"),
    ("client --checkpoint {run} --server 127.0.0.1:{closed} --images {tmp}/imgs --link 10mbps:3", "take a ':' part"),
    ("client --checkpoint {run} --server 127.0.0.1:{closed} --images {tmp}/imgs", "cannot reach the edge server"),
    ("client --checkpoint {run} --server 127.0.0.1:99999 --images {tmp}/imgs", "HOST:PORT"),
    ("client --checkpoint {run} --server nohostport --images {tmp}/imgs", "HOST:PORT"),
    ("client --checkpoint {run} --server 127.0.0.1:{closed} --images {tmp}/missing", "not a folder"),
    ("client --checkpoint {run} --server 127.0.0.1:{closed} --images {tmp}/imgs --codec nope", "invalid choice"),
    ("client --checkpoint {run} --server 127.0.0.1:{closed} --images {tmp}/imgs --limit 0", "--limit"),
    ("client --checkpoint {run} --server 127.0.0.1:{closed} --images {tmp}/imgs --retries -1", "--retries"),
    ("client --checkpoint {run} --server 127.0.0.1:{busy} --images {tmp}/huge", "megapixels"),
    ("client --server 127.0.0.1:{closed} --images {tmp}/imgs", "give --checkpoint"),
    ("client --head {tmp}/binary.json --server 127.0.0.1:{closed} --images {tmp}/imgs", "not a loadable ONNX model"),
    ("client --head {tmp}/missing.onnx --server 127.0.0.1:{closed} --images {tmp}/imgs", "does not exist"),
    ("export-head --run {tmp}/missing --out {tmp}/h.onnx", "does not exist"),
    ("export-head --run {run} --out {tmp}/h.onnx --input-size 7", "too small"),
    ("export-head --run {run} --out {tmp}/h.onnx --int8 --calibration-images 0", "--calibration-images"),
    ("bench-head --repeats 0", "--repeats"),
    ("bench-head --threads 0", "--threads"),
    ("bench-head --input-size 7", "too small"),
    ("bench-head --int8 {tmp}/h.onnx", "needs --run"),
    ("bench-head --run {run} --int8 {tmp}/binary.json", "not a loadable ONNX model"),
    ("bench-runtime --clients 0", "--clients"),
    ("bench-runtime --images 0", "--images"),
    ("bench-runtime --requests 0", "--requests"),
    ("bench-runtime --codec bq8-rans", "invalid choice"),
    ("bench-runtime --input-size 7", "too small"),
    ("study --preset nope", "unknown preset"),
    ("study --preset smoke --only nothing-like-this", "no job"),
    ("figures --preset nope --no-progress", "nope"),
    ("figures --preset smoke --results {tmp}/missing --no-progress", "run the study first"),
    ("explore --results {tmp}/missing --no-browser", "no results folder"),
    ("explore --port 70000 --no-browser", "out of range"),
    ("nosuchcommand", "invalid choice"),
]


@pytest.mark.parametrize("template,fragment", CASES, ids=[c[0].split(" --")[0] + ":" + c[1] for c in CASES])
def test_bad_input_is_one_line(ws, template, fragment):
    argv = template.format(**ws).split()
    code, _, err = call(argv)
    lines = [l for l in err.splitlines() if l.strip()]
    errors = [l for l in lines if l.startswith("error:")]
    assert code not in (0, None), f"{template!r} was accepted: {err}"
    assert "Traceback" not in err, err
    assert len(errors) == 1 and fragment in errors[0], f"{template!r} -> {err!r}"


def test_every_subcommand_has_a_case():
    from bottlefit.cli import parser
    sub = next(a for a in parser()._actions if a.dest == "command")
    covered = {c[0].split()[0] for c in CASES}
    assert set(sub.choices) <= covered, set(sub.choices) - covered


@pytest.mark.parametrize("argv", [["info", "--input-size", "100000"], ["latency", "--codec", "nope"],
                                  ["plan", "--records", "{tmp}/binary.json", "--link", "10mbps"]])
def test_as_a_user_types_it(ws, argv):
    r = subprocess.run([sys.executable, "-m", "bottlefit", *(a.format(**ws) for a in argv)], capture_output=True, text=True,
                       cwd=ROOT, timeout=300)
    assert r.returncode == 2 and "Traceback" not in r.stderr, r.stderr
    assert len(r.stderr.strip().splitlines()) == 1 and r.stderr.startswith("error:"), r.stderr


def test_outputs_respect_the_umask(ws):
    "Run folders are written with the user's umask (group-readable under 022), not 0600."
    mode = (Path(ws["run"]) / "run.json").stat().st_mode & 0o777
    old = os.umask(0); os.umask(old)
    assert mode == 0o666 & ~old, oct(mode)


@pytest.mark.parametrize("link", ["10mbps", "lte:9"])
def test_plan_on_the_committed_results(link):
    "`plan` on a fresh clone: the committed cpu results, no run folders, as a user types it."
    from bottlefit.core import data_root
    if ":" in link and not (data_root() / "traces").is_dir(): pytest.skip("no network traces under the data root")
    r = subprocess.run([sys.executable, "-m", "bottlefit", "plan", "--records", "data/results/cpu", "--device", "jetson_nano",
                        "--link", link, "--min-accuracy", "0.5"], capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert r.returncode == 0 and r.stderr == "", r.stderr
    assert "\nbest: " in r.stdout and "* = on the Pareto front" in r.stdout, r.stdout


NEEDS_DATA = ("cache", "bench-data", "codec-report", "latency", "plan", "client", "bench-runtime", "train", "eval", "study")
ARG_CASES = [c for c in CASES if c[0].split()[0] in NEEDS_DATA]


@pytest.mark.parametrize("template,fragment", ARG_CASES, ids=[c[0].split(" --")[0] + ":" + c[1] for c in ARG_CASES])
def test_argument_errors_come_before_data_errors(ws, template, fragment, tmp_path, monkeypatch):
    "With an empty data root (a fresh clone: no Imagenette, no traces) each bad argument is still named, not the missing data."
    monkeypatch.setenv("BOTTLEFIT_DATA", str(tmp_path))
    test_bad_input_is_one_line(ws, template, fragment)
