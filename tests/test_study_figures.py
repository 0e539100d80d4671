"""The main job end to end: the smoke study on real Imagenette, then every figure notebook through papermill."""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(os.environ.get("BOTTLEFIT_DATA", ROOT / "data"))
EXPECTED = ["table1.csv", "table1.md", "table2.csv", "table2.md", "claims.md", "claims.csv", "manifest.json", "pareto.csv", "pareto.md"] + \
    [f"{f}.{e}" for f in ("fig5", "fig6", "fig7", "fig9", "fig10", "fig11", "fig12", "fig13", "fig_pareto") for e in ("png", "svg")] + \
    ["fig5.html", "fig7.html"]

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
    assert set(manifest["notebooks"]) == {"table1", "table2", "fig5", "fig6", "fig7", "fig9", "fig10", "fig11", "fig12", "fig13",
                                          "pareto", "claims", "explorer"}
    claims = (out / "claims.md").read_text()
    assert "IV-A.1" in claims and "V-C.3" in claims and "| the paper says |" in claims, claims[:500]
    verdicts = sum(claims.count(f"| {v} |") for v in ("reproduced", "partly", "not reproduced", "input, not testable"))
    assert verdicts >= 22, claims[:500]


def test_bad_inputs_are_reported(tmp_path):
    r = subprocess.run([sys.executable, "-m", "bottlefit", "figures", "--preset", "smoke", "--results", str(tmp_path / "none")],
                       capture_output=True, text=True, cwd=ROOT)
    assert r.returncode == 2 and "run the study first" in r.stderr, r.stderr
    r = subprocess.run([sys.executable, "-m", "bottlefit", "study", "--preset", "smoke", "--only", "nothing-like-this"],
                       capture_output=True, text=True, cwd=ROOT)
    assert r.returncode == 2 and "no job" in r.stderr, r.stderr
