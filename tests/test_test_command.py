"""The test command leaves nothing behind in the temporary folder, pass or fail.

Every temporary file of a run (pytest's `tmp_path` folders, the notebooks' `tempfile.mkdtemp` folders, Chromium's
profiles) goes into one folder that `scripts/test.sh` removes when the run ends. Without it, runs repeated on one
machine filled its disk with trained checkpoints until a run failed with "No space left on device"."""
import os
import subprocess
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

def test_leak_probe(tmp_path):
    "Writes where a careless test would; run on its own by the test below, through the test command."
    (tmp_path / "checkpoint.pt").write_bytes(b"x" * 1000)
    (Path(tempfile.mkdtemp()) / "executed.ipynb").write_bytes(b"y" * 1000)
    assert not os.environ.get("BOTTLEFIT_PROBE_FAIL"), "failing on purpose: the cleanup must happen after a failure too"

@pytest.mark.parametrize("fail", [False, True])
def test_test_command_cleans_up(tmp_path, fail):
    env = {**os.environ, "TMPDIR": str(tmp_path), **({"BOTTLEFIT_PROBE_FAIL": "1"} if fail else {})}
    r = subprocess.run(["bash", "scripts/test.sh", "-k", "test_leak_probe"], cwd=ROOT, env=env,
                       capture_output=True, text=True, timeout=900)
    assert r.returncode == (1 if fail else 0), r.stdout[-3000:] + r.stderr[-3000:]
    assert ("1 failed" if fail else "1 passed") in r.stdout, r.stdout[-3000:]
    assert "temporary files of this run" in r.stdout and "(now removed)" in r.stdout, r.stdout[-3000:]
    assert not list(tmp_path.iterdir()), f"left behind: {sorted(p.name for p in tmp_path.iterdir())}"
