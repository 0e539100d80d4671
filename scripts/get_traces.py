"""Downloads the network traces (WiFi, LTE, 5G) that the delay and energy figures need into <data root>/traces/, when
the internet is reachable; every file is checked against the SHA-256 in scripts/traces.json.

    python scripts/get_traces.py --probe    # exit 0 if the traces' server answers, 2 if not (no download)
    python scripts/get_traces.py            # fetch the missing files into $BOTTLEFIT_DATA/traces/ (5.6 MB)

Files already there with the right checksum are kept; a file whose checksum differs is never used: it is removed and the
script says which one, so a moved or changed upstream file cannot silently change the figures."""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MANIFEST = ROOT / "scripts" / "traces.json"


def data_root() -> Path: return Path(os.environ.get("BOTTLEFIT_DATA") or ROOT / "data")


def sha256(path: Path) -> str: return hashlib.sha256(path.read_bytes()).hexdigest()


def missing(root: Path) -> list[dict]:
    "The manifest's files that are not under `root`/traces with their checksum."
    files = json.loads(MANIFEST.read_text())["files"]
    return [f for f in files if not ((root / "traces" / f["path"]).is_file() and sha256(root / "traces" / f["path"]) == f["sha256"])]


def reachable(timeout: float = 10) -> bool:
    url = json.loads(MANIFEST.read_text())["files"][0]["url"]
    try:
        with urllib.request.urlopen(urllib.request.Request(url, method="HEAD"), timeout=timeout) as r: return r.status < 400
    except (urllib.error.URLError, OSError, ValueError): return False


def fetch(root: Path) -> list[str]:
    "Download every missing file; returns the paths that failed (with why)."
    from tqdm import tqdm
    failed = []
    for f in tqdm(missing(root), desc="traces", unit="file"):
        dest = root / "traces" / f["path"]
        dest.parent.mkdir(parents=True, exist_ok=True)
        part = dest.with_name(dest.name + ".part")
        try:
            with urllib.request.urlopen(f["url"], timeout=60) as r: part.write_bytes(r.read())
        except (urllib.error.URLError, OSError) as e:
            failed.append(f"{f['path']}: {e} ({f['url']})"); continue
        if (got := sha256(part)) != f["sha256"]:
            part.unlink()
            failed.append(f"{f['path']}: SHA-256 {got[:16]}... is not the expected {f['sha256'][:16]}... ({f['url']}): not used")
            continue
        part.replace(dest)
    return failed


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--probe", action="store_true", help="only check that the server answers (exit 0) or not (exit 2)")
    a = ap.parse_args(argv)
    if a.probe: return 0 if reachable() else 2
    root = data_root()
    if not missing(root): print(f"traces: all {len(json.loads(MANIFEST.read_text())['files'])} files present under {root / 'traces'}"); return 0
    failed = fetch(root)
    for line in failed: print(f"traces: {line}", file=sys.stderr)
    if failed:
        print(f"traces: {len(failed)} file(s) could not be fetched; get them from the repositories named in README.md ('Data') "
              f"into {root / 'traces'}", file=sys.stderr)
        return 1
    print(f"traces: complete under {root / 'traces'}")
    return 0


if __name__ == "__main__": sys.exit(main())
