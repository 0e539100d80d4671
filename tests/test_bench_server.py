"""The plumbing of scripts/bench_server.py on a tiny run (5 clients, 2 requests, a flood of 20, 20 idle connections,
the reference server at one load): the table, the record and its provenance. No timing is asserted."""
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "scripts" / "bench_server.py"


def test_tiny_run(tmp_path):
    out = tmp_path / "server.json"
    args = ["--loads", "5", "--requests", "2", "--flood", "20", "--flood-requests", "2", "--idle", "20", "--reference-loads", "5",
            "--control-loads", "", "--rounds", "1", "--out", str(out)]
    r = subprocess.run([sys.executable, str(SCRIPT), *args], capture_output=True, text=True, timeout=600, cwd=ROOT)
    assert r.returncode == 0, r.stderr[-3000:]
    rows = [ln for ln in r.stdout.splitlines() if ln.startswith("| ")]
    assert rows[0].startswith("| server | clients | mode | answered |"), r.stdout
    assert sum("| this server | 5 | " in ln and "| 10 / 10 | 0 | 0 |" in ln and "| 100 % |" in ln for ln in rows) == 2, r.stdout
    assert any("| 1 + flood of 20 from 127.0.0.2 | both | 4 / 4 | 0 | 0 |" in ln for ln in rows), r.stdout
    rec = json.loads(out.read_text())
    prov = rec["provenance"]
    assert prov["command"].startswith("python scripts/bench_server.py --loads 5") and prov["git_revision"] and prov["date"]
    assert {"python", "torch"} <= set(prov["versions"]) and prov["machine"]["cpus"] >= 1
    assert [(x["clients"], x["mode"], x["answered"]) for x in rec["loads"]] == [(5, "kept", 10), (5, "reconnecting", 10)]
    assert rec["memory"]["connections"] == 20 and rec["memory"]["kb_per_idle"] is not None
    assert rec["flood"]["answered"] == rec["flood"]["sent"] == 4 and rec["flood"]["flood"]["connects"] >= 20
    if rec["reference"]:                 # the reference revision is in this clone's history
        assert [(x["clients"], x["mode"]) for x in rec["reference"]] == [(5, "kept"), (5, "reconnecting")]
