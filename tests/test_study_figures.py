"""The main job end to end: the smoke study on real Imagenette, then every figure notebook through papermill; and the
accuracy outputs (tables, claims, training curves) on the committed records and on copies with made-up per-image predictions."""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(os.environ.get("BOTTLEFIT_DATA", ROOT / "data"))
EXPECTED = ["table1.csv", "table1.md", "table2.csv", "table2.md", "claims.md", "claims.csv", "manifest.json", "pareto.csv", "pareto.md",
            "curves.csv", "curves.md", "seeds.csv", "seeds.md", "rate.csv", "rate.md"] + \
    [f"{f}.{e}" for f in ("fig5", "fig6", "fig7", "fig9", "fig10", "fig11", "fig12", "fig13", "fig_pareto", "fig_curves", "rate") for e in ("png", "svg")] + \
    ["fig5.html", "fig7.html", "plotly.min.js"] + [f"devices{s}.{e}" for s in ("", "_heads") for e in ("csv", "md")] + ["devices.png", "devices.svg"]
VERDICTS = ("reproduced", "partly", "not reproduced", "same within noise", "input, not testable", "not shown equivalent",
            "holds by construction")

needs_data = pytest.mark.skipif(not (DATA / "imagenette2-224").is_dir() and not os.environ.get("CI"),
                                reason=f"no imagenette2-224 under {DATA}")


def bottlefit(*args):
    print("$ bottlefit", *args, flush=True)
    subprocess.run([sys.executable, "-m", "bottlefit", *args], check=True, cwd=ROOT)


@needs_data
def test_smoke_study_and_figures(tmp_path):
    results, out = tmp_path / "results", tmp_path / "figures"
    bottlefit("study", "--preset", "smoke", "--results", str(results), "--runs", str(tmp_path / "runs"), "--no-progress")
    records = {p.stem: json.loads(p.read_text()) for p in results.glob("*.json")}
    jobs = subprocess.run([sys.executable, "-m", "bottlefit", "study", "--preset", "smoke", "--list"], check=True,
                          capture_output=True, text=True, cwd=ROOT).stdout.split("\n")
    assert sorted(records) == sorted(line.split()[0] for line in jobs if line.strip())
    for name, r in records.items():
        assert r["provenance"]["git_revision"], name
        if name != "system":
            assert 0.0 <= r["accuracy"]["top1"] <= 1.0 and r["accuracy"]["images"] == 200, name
    bottlefit("figures", "--preset", "smoke", "--results", str(results), "--out", str(out), "--no-progress")
    missing = [f for f in EXPECTED if not (out / f).is_file()]
    assert not missing, missing
    manifest = json.loads((out / "manifest.json").read_text())
    assert set(manifest["notebooks"]) == {"table1", "table2", "curves", "seeds", "rate", "fig5", "fig6", "fig7", "fig9", "fig10", "fig11", "fig12",
                                          "fig13", "devices", "pareto", "claims", "explorer"}
    claims = (out / "claims.md").read_text()
    assert "IV-A.1" in claims and "V-C.3" in claims and "| the paper says |" in claims, claims[:500]
    verdicts = sum(claims.count(f"| {v} |") for v in VERDICTS)
    assert verdicts >= 22, claims[:500]
    assert "paired: exact McNemar" in claims, claims[:500]          # the smoke study's records keep per-image predictions
    for html in ("fig5.html", "fig7.html"):                         # offline: plotly from the file next to them, not a CDN
        text = (out / html).read_text()
        assert 'src="plotly.min.js"' in text and "cdn" not in text, html


def test_bad_inputs_are_reported(tmp_path):
    r = subprocess.run([sys.executable, "-m", "bottlefit", "figures", "--preset", "smoke", "--results", str(tmp_path / "none")],
                       capture_output=True, text=True, cwd=ROOT)
    assert r.returncode == 2 and "run the study first" in r.stderr, r.stderr
    r = subprocess.run([sys.executable, "-m", "bottlefit", "study", "--preset", "smoke", "--only", "nothing-like-this"],
                       capture_output=True, text=True, cwd=ROOT)
    assert r.returncode == 2 and "no job" in r.stderr, r.stderr


ACCURACY = "table1,table2,claims,curves"


def figures_on(results, out, only=ACCURACY, data=None):
    subprocess.run([sys.executable, "-m", "bottlefit", "figures", "--preset", "cpu", "--results", str(results), "--out", str(out),
                    "--only", only, "--no-progress", *(["--data", str(data)] if data else [])], check=True, cwd=ROOT)


def traces_root(tmp_path) -> Path:
    "The data root for the claims of Sec. V: the real one where it holds the traces, else one of synthetic traces."
    if (DATA / "traces").is_dir(): return DATA
    from bottlefit.system import write_synthetic_traces
    write_synthetic_traces(tmp_path / "data")
    print(f"no network traces under {DATA}: the claims are checked on synthetic traces")
    return tmp_path / "data"


def test_accuracy_outputs_with_predictions_and_seeds(tmp_path):
    "Committed cpu records with made-up per-image predictions, seed repeats and narrow bottlenecks: every comparison is tested."
    from bottlefit.tables import _synthetic_predictions
    from bottlefit.results import load_records
    results, out = tmp_path / "results", tmp_path / "figures"
    results.mkdir()
    for name, rec in _synthetic_predictions(load_records(ROOT / "data" / "results" / "cpu", "cpu")).items():
        (results / f"{name}.json").write_text(json.dumps(rec))
    figures_on(results, out, ACCURACY, traces_root(tmp_path))      # the claims of Sec. V read network traces
    t1, t2 = (out / "table1.md").read_text(), (out / "table2.md").read_text()
    assert "McNemar p = " in t1 and "Narrow bottlenecks (C < 3)" in t1 and "no per-image predictions" not in t1, t1
    assert "### Seed spread" in t2 and "0, 1, 2" in t2 and "Pretraining→FT (FE) − HND [points]" in t2, t2
    assert "| 1 | " in t2.split("### Paired tests")[1], t2                       # the narrow C = 1 row against the best baseline at C = 1
    curves = (out / "curves.md").read_text()
    assert "-s1 |" in curves and "resnet18-sp1-c1 |" in curves, curves
    assert (out / "fig_curves.png").stat().st_size > 10_000
    claims = (out / "claims.md").read_text()
    for cid in ("IV-B.10", "IV-B.11", "IV-C.3"): assert f"| {cid} |" in claims, cid
    cost = "train_cost" in json.loads((results / "system.json").read_text())      # IV-B.11: side-by-side timing where recorded
    assert "paired: exact McNemar" in claims and ("exact sign test over" if cost else "study's own conditions") in claims, claims[:800]
    assert "payload cut 75.0–75.0%" in claims and "at the same C and at the same bytes" in claims


def test_accuracy_outputs_on_records_without_predictions(tmp_path):
    "Records made before per-image predictions were kept (the first cpu study's shape: no seeds, no C < 3): the tables say so."
    from bottlefit.results import load_records
    results, out = tmp_path / "results", tmp_path / "figures"
    results.mkdir()
    for name, rec in load_records(ROOT / "data" / "results" / "cpu", "cpu").items():
        if rec["job"].get("seed", 0) or 0 < rec["job"]["channels"] < 3: continue
        rec.pop("predictions", None)
        (results / f"{name}.json").write_text(json.dumps(rec))
    figures_on(results, out, "table2,curves")
    t2 = (out / "table2.md").read_text()
    assert t2.count("n/a (no per-image predictions)") == 4 and "### Seed spread" not in t2, t2
    assert "not converged" in (out / "curves.md").read_text()


def test_rate_frontier_figure(tmp_path):
    "The rate figure notebook on the committed cpu records (learned ones aside): with made-up learned records it judges the goal; without, it says so."
    from bottlefit.presets import LEARNED
    from bottlefit.tables import NO_LEARNED, _synthetic_learned
    from bottlefit.results import load_records
    cpu = load_records(ROOT / "data" / "results" / "cpu", "cpu")
    cpu = {n: r for n, r in cpu.items() if r["job"]["method"] not in LEARNED}     # the committed learned records aside
    made_up = _synthetic_learned(cpu, ((0.05, "bottlefit-ft-fe-resnet18-sp1-c3", 60.0), (0.2, "hnd-resnet18-sp1-c12", 2000.0)))
    for name, recs in (("learned", made_up), ("none", cpu)):
        results = tmp_path / name / "results"
        results.mkdir(parents=True)
        for n, rec in recs.items(): (results / f"{n}.json").write_text(json.dumps(rec))
        figures_on(results, tmp_path / name / "figures", "rate")
    md = (tmp_path / "learned" / "figures" / "rate.md").read_text()
    assert "Goal: reached at β=0.05 (60 B = " in md and "not at β=0.2 (2000 B = " in md and "McNemar p = " in md, md[-1500:]
    assert "eb-kd-resnet18-sp1-c12-b0.05" in (tmp_path / "learned" / "figures" / "rate.csv").read_text()
    none = tmp_path / "none" / "figures"
    assert NO_LEARNED in (none / "rate.md").read_text() and "bottlefit-ft-fe-resnet18-sp1-c3" in (none / "rate.csv").read_text()
    assert (none / "rate.png").stat().st_size > 10_000
