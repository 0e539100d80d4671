"""Files made to hurt, and a shared temporary folder: each is refused in one line, or cannot interfere.

- JSON nested 100,000 deep, in every place a JSON file is read (records, `measure` timings, candidate lists, the figures
  manifest, a head's metadata): one line that names the file, never a `RecursionError` traceback. The library
  functions in-process, the commands as a user types them.
- An ONNX head whose graph asks for 16 GiB: refused when opened where the graph fixes the size, one line when it runs
  where the image decides it, and nothing near 16 GiB ever allocated (the check runs under an 8 GiB address-space
  limit, so that a missing guard fails the test instead of filling the machine's memory).
- `figures`: the executed notebooks go to a new private folder per run, never to a fixed path in the shared
  temporary folder (which anyone could have created, or made a link); the kernels talk over Unix sockets, so the
  kernel's "running over TCP without encryption" warning never reaches the terminal.
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

import pytest

from bottlefit.core import ConfigError

ROOT = Path(__file__).resolve().parents[1]
CPU = ROOT / "data" / "results" / "cpu"
DEEP = "[" * 100_000 + "]" * 100_000


def bottlefit(*args, env=None, timeout=300):
    return subprocess.run([sys.executable, "-m", "bottlefit", *map(str, args)], capture_output=True, text=True, cwd=ROOT,
                          timeout=timeout, env={**os.environ, **(env or {})})


def one_error_line(r, *contains):
    "Exit 2 and a stderr of exactly one line, `error: ...`, saying each of `contains`; no traceback."
    lines = [l for l in r.stderr.splitlines() if l.strip()]
    assert "Traceback" not in r.stderr and "RecursionError" not in r.stderr, r.stderr[-3000:]
    assert r.returncode == 2 and len(lines) == 1 and lines[0].startswith("error: "), (r.returncode, r.stderr[-3000:])
    for c in contains: assert c in lines[0], (c, lines[0])
    return lines[0]


def refused(f, *contains):
    "`f()` raises one `ConfigError` line saying each of `contains`."
    with pytest.raises(ConfigError) as e: f()
    msg = str(e.value)
    assert "\n" not in msg and "RecursionError" not in msg, msg
    for c in contains: assert c in msg, (c, msg)
    return msg


@pytest.fixture
def deep(tmp_path):
    "A file of JSON nested 100,000 deep, and a copy of the cpu records whose `system` record is that file."
    (tmp_path / "deep.json").write_text(DEEP)
    shutil.copytree(CPU, tmp_path / "cpu", ignore=shutil.ignore_patterns("*.pt"))
    (tmp_path / "cpu" / "system.json").write_text(DEEP)
    return tmp_path


# ---------------------------------------------------------------- JSON nested 100,000 deep: the library
def test_read_json(deep):
    from bottlefit.core import read_json
    refused(lambda: read_json(deep / "deep.json", "--records"), f"--records {deep / 'deep.json'}: unreadable", "more than 32 deep")


def test_records_and_timings(deep):
    from bottlefit.results import load_records, read_record, timings
    system = deep / "cpu" / "system.json"
    refused(lambda: read_record(system), f"results record {system}: unreadable", "more than 32 deep", "--only system --redo")
    refused(lambda: load_records(deep / "cpu", "cpu"), str(system), "more than 32 deep")
    refused(lambda: timings(load_records(CPU, "cpu"), deep / "deep.json"), "not a readable timings file", "more than 32 deep")


def test_explorer_and_figures_read_the_same_way(deep):
    from bottlefit.explore import explorer_records
    from bottlefit.figures import _kept_notebooks, render_figures
    system = deep / "cpu" / "system.json"
    refused(lambda: explorer_records(results=deep / "cpu"), str(system), "more than 32 deep")
    refused(lambda: render_figures("cpu", deep / "cpu", deep / "out", progress=False), str(system), "more than 32 deep")
    assert _kept_notebooks(deep / "deep.json", {}) == {}          # a damaged earlier manifest is replaced, not read


def test_head_metadata(tmp_path):
    "A head file whose facts are nested 100,000 deep is no head, in one line."
    import onnx
    from onnx import TensorProto, helper
    g = helper.make_graph([helper.make_node("Identity", ["image"], ["codes"])], "g",
                          [helper.make_tensor_value_info("image", TensorProto.FLOAT, [1, 3, 8, 8])],
                          [helper.make_tensor_value_info("codes", TensorProto.FLOAT, [1, 3, 8, 8])])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)])
    helper.set_model_props(m, {"bottlefit.format": '"bottlefit-head-1"', "bottlefit.arch": DEEP})
    onnx.save(m, tmp_path / "deep.onnx")
    from bottlefit.deploy import OnnxHead
    refused(lambda: OnnxHead(tmp_path / "deep.onnx"), "not a head written by bottlefit")


# ---------------------------------------------------------------- JSON nested 100,000 deep: the commands
def test_latency_timings(deep):
    one_error_line(bottlefit("latency", "--link", "10mbps", "--timings", deep / "deep.json"),
                   f"--timings {deep / 'deep.json'}: not a readable timings file", "more than 32 deep")


def test_latency_results(deep):
    one_error_line(bottlefit("latency", "--link", "10mbps", "--results", deep / "cpu"), str(deep / "cpu" / "system.json"), "more than 32 deep")


def test_plan_records_folder_and_timings(deep):
    one_error_line(bottlefit("plan", "--records", deep / "cpu", "--link", "10mbps"), str(deep / "cpu" / "system.json"), "more than 32 deep")
    one_error_line(bottlefit("plan", "--records", "cpu", "--link", "10mbps", "--timings", deep / "deep.json"),
                   "not a readable timings file", "more than 32 deep")


def test_plan_records_file(deep):
    "A list of candidates nested 100,000 deep (the command's own reader of --records FILE)."
    one_error_line(bottlefit("plan", "--records", deep / "deep.json", "--link", "10mbps"), f"--records {deep / 'deep.json'}", "more than 32 deep")


def test_measure_out(deep):
    "An --out timings file nested 100,000 deep is refused before anything is timed."
    one_error_line(bottlefit("measure", "--model", "resnet18", "--split", "sp1", "--channels", "3", "--repeats", "1",
                             "--out", deep / "deep.json"), str(deep / "deep.json"), "more than 32 deep")


def test_figures_and_explore(deep):
    system = deep / "cpu" / "system.json"
    one_error_line(bottlefit("figures", "--preset", "cpu", "--results", deep / "cpu", "--out", deep / "out", "--no-progress"),
                   str(system), "more than 32 deep")
    one_error_line(bottlefit("explore", "--results", deep / "cpu", "--no-browser", "--port", "0", timeout=120),
                   str(system), "more than 32 deep")


# ---------------------------------------------------------------- an ONNX head that asks for 16 GiB
GREEDY = textwrap.dedent('''
    import json, resource, sys
    resource.setrlimit(resource.RLIMIT_AS, (8 << 30, 8 << 30))     # a missing guard fails here instead of filling memory
    from pathlib import Path
    import numpy as np, onnx, torch
    from onnx import TensorProto as T, helper, numpy_helper
    from bottlefit.core import ConfigError
    from bottlefit.deploy import OnnxHead

    def head(path, elements, from_image):
        "A head-shaped file (facts, input, outputs) whose scale is 1 + the sum of `elements` float zeros."
        inits = [numpy_helper.from_array(np.array(v, d), k) for k, v, d in
                 (("one", [1.0], np.float32), ("zp", [0], np.int64), ("zero", 0, np.float32), ("count", elements, np.float32),
                  ("shape1", [1], np.int64), ("fixed", [elements], np.int64))]
        nodes = [helper.make_node("ReduceMin", ["image"], ["lo"], keepdims=0), helper.make_node("Mul", ["lo", "zero"], ["nought"]),
                 helper.make_node("Add", ["nought", "count"], ["nf"]), helper.make_node("Cast", ["nf"], ["n1"], to=T.INT64),
                 helper.make_node("Reshape", ["n1", "shape1"], ["from_image"]),
                 helper.make_node("ConstantOfShape", ["from_image" if from_image else "fixed"], ["zeros"]),
                 helper.make_node("ReduceSum", ["zeros"], ["sum"]), helper.make_node("Add", ["sum", "one"], ["scale"]),
                 helper.make_node("Identity", ["zp"], ["zero_point"]), helper.make_node("Cast", ["image"], ["codes"], to=T.UINT8)]
        outs = [helper.make_tensor_value_info(k, t, d) for k, t, d in
                (("codes", T.UINT8, [1, 3, 32, 32]), ("scale", T.FLOAT, [1]), ("zero_point", T.INT64, [1]))]
        g = helper.make_graph(nodes, "greedy", [helper.make_tensor_value_info("image", T.FLOAT, [1, 3, 32, 32])], outs, inits)
        m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)])
        facts = dict(format="bottlefit-head-1", arch="resnet18", split="sp1", channels=3, input_size=32,
                     bottleneck_shape=[3, 32, 32], weights="fp32")
        helper.set_model_props(m, {"bottlefit." + k: json.dumps(v) for k, v in facts.items()})
        onnx.save(m, path)

    tmp, x = Path(sys.argv[1]), torch.zeros(1, 3, 32, 32)
    head(tmp / "small.onnx", 1000, True)
    print("small:", OnnxHead(tmp / "small.onnx")(x).scale.tolist())
    for name, from_image in (("fixed", False), ("from_image", True)):
        head(tmp / f"{name}.onnx", 1 << 32, from_image)                 # 2**32 float32 zeros: 16 GiB
        try: OnnxHead(tmp / f"{name}.onnx")(x); print(f"{name}: ran")
        except ConfigError as e: print(f"{name}: ConfigError: {e}")
    print("peak MiB:", resource.getrusage(resource.RUSAGE_SELF).ru_maxrss >> 10)
''')


def test_a_head_asking_for_16_gib(tmp_path):
    r = subprocess.run([sys.executable, "-c", GREEDY, str(tmp_path)], capture_output=True, text=True, cwd=ROOT, timeout=300)
    out = r.stdout.splitlines()
    assert r.returncode == 0 and r.stderr.strip() == "", (r.returncode, r.stdout, r.stderr[-3000:])
    assert out[0] == "small: [1.0]", out                        # the same graph asking for 4 KB runs
    assert out[1].startswith("fixed: ConfigError: ") and "makes a tensor of 16.0 GiB (zeros, shape [4294967296])" in out[1], out
    assert out[2].startswith("from_image: ConfigError: from_image.onnx: ONNX Runtime could not run the head: it asked for 16.0 GiB"), out
    assert "write it again with `bottlefit export-head`" in out[2], out
    assert int(out[3].split(":")[1]) < 2048, out                 # never near 16 GiB: refused before any allocation


# ---------------------------------------------------------------- figures: a private folder per run
@pytest.fixture
def shared_tmp(tmp_path, monkeypatch):
    "A temporary folder as on a shared machine, where someone made the old fixed path a link to their own folder."
    shared, victim = tmp_path / "shared", tmp_path / "victim"
    shared.mkdir(); victim.mkdir()
    (shared / "bottlefit-figures-cpu").symlink_to(victim)
    monkeypatch.setenv("TMPDIR", str(shared))
    monkeypatch.setattr(tempfile, "tempdir", str(shared))
    return shared, victim


@pytest.fixture
def fake_papermill(monkeypatch):
    "papermill's execute_notebook replaced by one that writes the executed copy and notes where (and that folder's mode)."
    import papermill
    seen = []
    def execute(src, dst, **kw):
        seen.append((Path(dst).parent, Path(dst).parent.stat().st_mode & 0o777))
        Path(dst).write_text("{}")
    monkeypatch.setattr(papermill, "execute_notebook", execute)
    return seen


def test_figures_never_use_the_fixed_path(shared_tmp, fake_papermill, tmp_path):
    from bottlefit.figures import render_figures
    shared, victim = shared_tmp
    render_figures("cpu", CPU, tmp_path / "out", only="table1,table2", progress=False)
    render_figures("cpu", CPU, tmp_path / "out", only="table1", progress=False)
    folders = [f for f, _ in fake_papermill]
    assert list(victim.iterdir()) == [], list(victim.iterdir())                  # the link was not followed
    assert all(f.parent == shared and f.name.startswith("bottlefit-figures-cpu-") for f in folders), folders
    assert folders[0] == folders[1] != folders[2], folders                       # one folder per run, a new one each run
    assert {m for _, m in fake_papermill} == {0o700}, fake_papermill
    assert sorted(p.name for p in shared.iterdir()) == ["bottlefit-figures-cpu"]  # both removed at the end


def test_figures_keep_says_where(shared_tmp, fake_papermill, tmp_path, capsys):
    from bottlefit.figures import render_figures
    render_figures("cpu", CPU, tmp_path / "out", only="table1", progress=False, keep=True)
    kept = fake_papermill[0][0]
    assert f"executed notebooks kept in {kept}" in capsys.readouterr().out
    assert [p.name for p in kept.iterdir()] == ["table1.ipynb"]


def test_a_tiny_notebook_runs_without_the_tcp_warning(tmp_path):
    "The project's runner: the kernel talks over Unix sockets; nothing about TCP or encryption on the terminal."
    nb = dict(nbformat=4, nbformat_minor=5, metadata=dict(kernelspec=dict(name="python3", display_name="Python 3", language="python")),
              cells=[dict(cell_type="code", id="a", metadata={}, execution_count=None, outputs=[],
                          source="import json\nfrom ipykernel import get_connection_file\n"
                                 "print(json.load(open(get_connection_file()))['transport'])")])
    (tmp_path / "tiny.ipynb").write_text(json.dumps(nb))
    code = (f"from bottlefit.figures import run_notebook\n"
            f"nb = run_notebook({str(tmp_path / 'tiny.ipynb')!r}, {str(tmp_path / 'out.ipynb')!r}, {{}}, {str(tmp_path)!r})\n"
            f"print(nb.cells[-1].outputs[0]['text'].strip())")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert r.returncode == 0 and r.stdout.strip() == "ipc", (r.stdout, r.stderr[-3000:])
    assert "encryption" not in r.stdout + r.stderr and "TCP" not in r.stderr, r.stderr


def test_figures_command(tmp_path):
    "`bottlefit figures` as a user types it, with the old fixed path made a link: no TCP warning, the link untouched."
    shared, victim = tmp_path / "shared", tmp_path / "victim"
    shared.mkdir(); victim.mkdir()
    (shared / "bottlefit-figures-cpu").symlink_to(victim)
    r = bottlefit("figures", "--preset", "cpu", "--only", "table1", "--out", tmp_path / "out", "--no-progress", env=dict(TMPDIR=str(shared)))
    assert r.returncode == 0, r.stderr[-3000:]
    assert "encryption" not in r.stdout + r.stderr and r.stderr.strip() == "", r.stderr
    assert (tmp_path / "out" / "table1.md").is_file() or any((tmp_path / "out").iterdir())
    ours = sorted(p.name for p in shared.iterdir() if not p.name.startswith("torchinductor_"))   # torch's own cache: importing
    assert list(victim.iterdir()) == [] and ours == ["bottlefit-figures-cpu"]                   # torchvision makes it there
