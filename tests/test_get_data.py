"""scripts/get_traces.py against a local HTTP server: a missing file is fetched and checked, a file whose checksum differs
is refused and not kept, a file already there is not fetched again (no internet needed)."""
import functools
import hashlib
import http.server
import json
import threading
from pathlib import Path
from script_kit import load_script

ROOT = Path(__file__).resolve().parents[1]
get_traces = load_script("get_traces")


def test_manifest_covers_the_traces_the_code_reads():
    files = json.loads(get_traces.MANIFEST.read_text())["files"]
    kinds = {f["path"].split("/")[0] for f in files}
    assert kinds == {"wifi", "lte", "5g"} and len({f["path"] for f in files}) == len(files)
    assert all(len(f["sha256"]) == 64 and f["url"].startswith("https://raw.githubusercontent.com/") for f in files)


def test_fetch_checks_every_file(tmp_path, monkeypatch):
    served = tmp_path / "server"
    served.mkdir()
    (served / "a.csv").write_text("0,100\n1,200\n")
    (served / "b.csv").write_text("changed upstream\n")
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(served))
    handler.log_message = lambda *a: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    manifest = tmp_path / "traces.json"
    digest = lambda text: hashlib.sha256(text.encode()).hexdigest()
    manifest.write_text(json.dumps({"files": [
        {"path": "wifi/a.csv", "url": f"{base}/a.csv", "sha256": digest("0,100\n1,200\n"), "bytes": 12},
        {"path": "wifi/b.csv", "url": f"{base}/b.csv", "sha256": digest("the original\n"), "bytes": 13}]}))
    monkeypatch.setattr(get_traces, "MANIFEST", manifest)
    root = tmp_path / "data"
    try:
        failed = get_traces.fetch(root)
        assert (root / "traces" / "wifi" / "a.csv").read_text() == "0,100\n1,200\n"
        assert len(failed) == 1 and "wifi/b.csv" in failed[0] and "not used" in failed[0]
        assert not (root / "traces" / "wifi" / "b.csv").exists() and not list(root.rglob("*.part"))
        assert [f["path"] for f in get_traces.missing(root)] == ["wifi/b.csv"]      # a.csv is not fetched again
    finally:
        server.shutdown()
