"""The split-computing course (nbs/course/): every lesson runs top to bottom with its solutions (papermill, SOLUTIONS=True),
and the exercise checks say right to right answers and not yet to wrong or missing ones. Lessons that need real data
skip, with the reason, when BOTTLEFIT_DATA lacks it."""
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
COURSE = ROOT / "nbs" / "course"
NOTEBOOKS = sorted(COURSE.glob("[0-9]*.ipynb"))

# What each lesson reads besides the committed results: "imagenette" (BOTTLEFIT_DATA/imagenette2-224 or another copy)
# or "traces" (BOTTLEFIT_DATA/traces). A new lesson must say what it needs here.
NEEDS = {"00_start_here": {"imagenette"}, "01_bottlenecks_and_losses": {"imagenette"}, "02_the_wire": {"imagenette"},
         "03_latency_and_energy": {"traces"}, "04_split_run": {"imagenette"}, "05_explorer": {"traces"}}
# Parameters the suite gives on top of SOLUTIONS=True: lesson 01 trains live, so the suite trains less than a student does.
PARAMETERS = {"01_bottlenecks_and_losses": dict(TRAIN_IMAGES=160, VAL_IMAGES=100, TEACHER_EPOCHS=1, EPOCHS=1)}


def _missing(needs: set) -> str | None:
    from bottlefit.core import data_root
    from bottlefit.data import find_imagenette
    if "imagenette" in needs and find_imagenette() is None:
        return f"no Imagenette under {data_root()} (set BOTTLEFIT_DATA to the folder holding imagenette2-224/)"
    if "traces" in needs and not (data_root() / "traces").is_dir():
        return f"no network traces under {data_root()} (set BOTTLEFIT_DATA to the folder holding traces/)"
    return None


def test_every_lesson_is_listed():
    assert len(NOTEBOOKS) >= 6, NOTEBOOKS
    assert sorted(p.stem for p in NOTEBOOKS) == sorted(NEEDS), "declare each course notebook's data needs in NEEDS"


@pytest.mark.parametrize("nb", NOTEBOOKS, ids=lambda p: p.stem)
def test_lesson_shape(nb):
    "Each lesson: a parameters cell with SOLUTIONS, solution cells tagged `solution` and run only under SOLUTIONS, no export."
    import json
    cells = json.loads(nb.read_text(encoding="utf-8"))["cells"]
    src = lambda c: "".join(c["source"])
    params = [c for c in cells if "parameters" in c.get("metadata", {}).get("tags", [])]
    assert len(params) == 1 and "SOLUTIONS = False" in src(params[0]), f"{nb.name}: needs one parameters cell with SOLUTIONS = False"
    sols = [c for c in cells if "solution" in c.get("metadata", {}).get("tags", [])]
    assert sols and all(src(c).startswith("if SOLUTIONS:") for c in sols), f"{nb.name}: solution cells must start with `if SOLUTIONS:`"
    assert not any("default_exp" in src(c) or "#| export" in src(c) for c in cells), f"{nb.name}: course notebooks export nothing"
    text = "\n".join(src(c) for c in cells if c["cell_type"] == "markdown")
    assert "**Time:**" in text, f"{nb.name}: say how long the lesson takes"
    if nb.stem != "00_start_here":
        assert "**Learning goals**" in text and "check_" in "\n".join(src(c) for c in cells), f"{nb.name}: goals and checked exercises"


@pytest.mark.parametrize("nb", NOTEBOOKS, ids=lambda p: p.stem)
def test_lesson_runs_with_solutions(nb, tmp_path):
    why = _missing(NEEDS.get(nb.stem, set()))
    if why: pytest.skip(why)
    import papermill as pm
    from bottlefit.figures import run_notebook       # papermill with the kernel on private IPC sockets
    t0 = time.perf_counter()
    try:
        run_notebook(nb, tmp_path / nb.name, dict(SOLUTIONS=True, **PARAMETERS.get(nb.stem, {})), COURSE)
    except pm.PapermillExecutionError as e:
        pytest.fail(f"{nb.name} failed in cell {e.exec_count}: {e.ename}: {e.evalue}", pytrace=False)
    print(f"{nb.stem}: {time.perf_counter() - t0:.1f} s")


@pytest.fixture(scope="module")
def checks():
    sys.path.insert(0, str(COURSE))
    try:
        import course_checks
        yield course_checks
    finally:
        sys.path.remove(str(COURSE))


def test_checks_say_right_and_not_yet(checks, capsys):
    import pandas as pd
    import torch
    c = checks
    assert c.check_bottleneck_shape((3, 29, 29)) and not c.check_bottleneck_shape((3, 28, 28))
    assert c.check_bottleneck_shape((3, 9, 9), arch="resnet18", input_size=64)
    assert c.check_bq8_frame_bytes(2543) and not c.check_bq8_frame_bytes(2523)
    assert c.check_trainable_parts("hnd", ["decoder", "encoder"]) and not c.check_trainable_parts("hnd", {"encoder", "decoder", "rest"})
    assert c.check_trainable_parts("ce", {"encoder", "decoder", "rest"})
    assert c.check_ghnd_pairs(["stem", "layer3", "layer4"]) and not c.check_ghnd_pairs(["layer3", "layer4"])
    assert c.check_ghnd_pairs(["stem", "transition3", "denseblock4"], arch="densenet169")
    s, t = torch.full((2, 3), 3.0), torch.ones(2, 3)
    assert c.check_hnd_by_hand(24.0, s, t) and not c.check_hnd_by_hand(4.0, s, t)
    assert c.check_frame_bytes("fp32", (3, 29, 29), 15 + 4 * 2523) and not c.check_frame_bytes("bq8", (3, 29, 29), 2523)
    assert c.check_header_size("bq8-rans", 24) and not c.check_header_size("fp32", 20)
    assert c.check_saving_vs_jpeg(0.75, 2500, 10_000) and not c.check_saving_vs_jpeg(75, 2500, 10_000)
    assert c.check_transfer_time(0.02 + 8 * 2563 / 1e6, 2523, 1e6, 0.01) and not c.check_transfer_time(0.01 + 8 * 2563 / 1e6, 2523, 1e6, 0.01)
    assert c.check_energy(4.3 * 0.1 + 1.6 * 0.5, 4.3, 0.1, 1.6, 0.5) and not c.check_energy(4.3 * 0.1, 4.3, 0.1, 1.6, 0.5)
    rows = [dict(link_index=i, arch="r", approach=a, delay_mean=d) for i, a, d in
            ((0, "local", 0.5), (0, "split", 0.9), (0, "offload", 2.0), (1, "local", 0.5), (1, "split", 0.2), (1, "offload", 0.1))]
    assert c.check_fastest("local", rows, link_index=0) and c.check_fastest("offload", rows, link_index=1)
    assert c.check_fastest("split", rows, link_index=0, among=["split", "offload"]) and not c.check_fastest("local", rows, link_index=1)
    assert c.check_fastest("offload", pd.DataFrame(rows)[lambda d: d.link_index == 1])
    assert c.check_request_bytes(8 + 20 + 243, (3, 9, 9)) and not c.check_request_bytes(20 + 243, (3, 9, 9))
    assert c.check_same_predictions(True, [1, 2], [1, 2]) and c.check_same_predictions(False, [1, 2], [2, 1])
    assert not c.check_same_predictions(True, [1, 2], [2, 1])
    assert c.check_shaped_time(8 * 311 / 200e3, 271, 200e3)
    df = pd.DataFrame(dict(method=["ce", "kd", "hnd", "hnd", "bottlefit-ft", "teacher"], split=["sp1"] * 4 + ["sp1", "none"],
                           channels=[3, 3, 3, 12, 3, 0], top1=[0.4, 0.5, 0.45, 0.9, 0.6, 0.99], seed=[0, 0, 0, 0, 0, 0]))
    assert c.check_best_distillation("kd", df, 3) and not c.check_best_distillation("hnd", df, 3)
    assert c.check_best_method("bottlefit-ft", df, "sp1", 3) and not c.check_best_method("teacher", df, "sp1", 3)
    seeded = pd.concat([df, pd.DataFrame(dict(method=["ce"], split=["sp1"], channels=[3], top1=[0.95], seed=[1]))])
    assert c.check_best_method("bottlefit-ft", seeded, "sp1", 3)          # another seed's run is not a main result
    capsys.readouterr()
    assert not c.check_bq8_frame_bytes(None)
    assert "not answered yet" in capsys.readouterr().out
    assert not c.check_bq8_frame_bytes(1)
    out = capsys.readouterr().out
    assert "not yet" in out and "Hint:" in out


def test_time_course_script():
    "scripts/time_course.py (the instructor page's run times): one lesson timed, and a clear error for a name that matches none."
    import subprocess
    script = ROOT / "scripts" / "time_course.py"
    r = subprocess.run([sys.executable, str(script), "--only", "no-such-lesson"], capture_output=True, text=True, timeout=120)
    assert r.returncode == 2 and "no lesson matches 'no-such-lesson'" in r.stderr, r.stderr
    r = subprocess.run([sys.executable, str(script), "--param", "SIZE"], capture_output=True, text=True, timeout=120)
    assert r.returncode == 2 and "expected NAME=VALUE" in r.stderr, r.stderr
    why = _missing(NEEDS["03_latency_and_energy"])
    if why: pytest.skip(why)
    r = subprocess.run([sys.executable, str(script), "--only", "03_"], capture_output=True, text=True, timeout=600, cwd=ROOT)
    assert r.returncode == 0, r.stderr[-3000:]
    assert "| `03_latency_and_energy` |" in r.stdout and " s |" in r.stdout, r.stdout
