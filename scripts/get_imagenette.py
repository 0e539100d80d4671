"""Downloads the official Imagenette (fast.ai) into the data root, with a progress bar, when the internet is reachable.

    python scripts/get_imagenette.py --probe      # exit 0 if the archive's server answers, 2 if not (no download)
    python scripts/get_imagenette.py              # full size (1.5 GB) into $BOTTLEFIT_DATA/imagenette2/
    python scripts/get_imagenette.py --size 320   # the 320 px variant (0.3 GB) into $BOTTLEFIT_DATA/imagenette2-320/

The archive is fetched to <data root>/<name>.tgz.part (an interrupted download resumes), checked against its MD5 (the
sums torchvision's `Imagenette` uses), unpacked safely (no absolute paths or links out of the folder) and removed.
Images are kept as they are: the loader resizes and crops each one (Resize + CenterCrop), so no 224 px copy is made."""
from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import sys
import tarfile
import urllib.error
import urllib.request
from pathlib import Path

BASE = "https://s3.amazonaws.com/fast-ai-imageclas/"
ARCHIVES = {"full": ("imagenette2.tgz", "fe2fc210e6bb7c5664d602c3cd71e612", "imagenette2"),
            "320": ("imagenette2-320.tgz", "3df6f0d01a2c9592104656642f5e78a3", "imagenette2-320"),
            "160": ("imagenette2-160.tgz", "e793b78cc4c9e9a4ccc0c1155377a412", "imagenette2-160")}
ROOT = Path(__file__).resolve().parents[1]


def data_root() -> Path: return Path(os.environ.get("BOTTLEFIT_DATA") or ROOT / "data")


def reachable(url: str, timeout: float = 10) -> bool:
    "Whether `url` answers a HEAD request."
    try:
        with urllib.request.urlopen(urllib.request.Request(url, method="HEAD"), timeout=timeout) as r: return r.status < 400
    except (urllib.error.URLError, OSError, ValueError): return False


def download(url: str, dest: Path, md5: str) -> Path:
    "`url` to `dest` with a progress bar, resuming a .part file; raises if the MD5 differs."
    from tqdm import tqdm
    part = dest.with_name(dest.name + ".part")
    have = part.stat().st_size if part.exists() else 0
    req = urllib.request.Request(url, headers={"Range": f"bytes={have}-"} if have else {})
    with urllib.request.urlopen(req, timeout=60) as r:
        if have and r.status != 206: have = 0                         # the server ignored the range: start over
        total = have + int(r.headers.get("Content-Length") or 0)
        with part.open("ab" if have else "wb") as f, tqdm(total=total or None, initial=have, unit="B", unit_scale=True,
                                                           unit_divisor=1024, desc=dest.name) as bar:
            while chunk := r.read(1 << 20):
                f.write(chunk)
                bar.update(len(chunk))
    h = hashlib.md5()
    with part.open("rb") as f:
        while chunk := f.read(1 << 24): h.update(chunk)
    if h.hexdigest() != md5:
        part.unlink()
        raise SystemExit(f"{dest.name}: MD5 {h.hexdigest()} is not {md5}; the download was damaged and is removed: run again")
    part.replace(dest)
    return dest


def unpack(archive: Path, into: Path) -> None:
    with tarfile.open(archive) as t:
        if sys.version_info >= (3, 12) or hasattr(tarfile, "data_filter"): t.extractall(into, filter="data")
        else:
            for m in t.getmembers():
                target = (into / m.name).resolve()
                if not str(target).startswith(str(into.resolve()) + os.sep) or m.issym() or m.islnk():
                    raise SystemExit(f"{archive.name}: refusing the member {m.name!r}")
            t.extractall(into)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--size", choices=list(ARCHIVES), default="full", help="full (1.5 GB, default), 320 or 160 (px, shorter side)")
    ap.add_argument("--probe", action="store_true", help="only check that the server answers (exit 2 if not)")
    a = ap.parse_args(argv)
    name, md5, folder = ARCHIVES[a.size]
    url, root = BASE + name, data_root()
    if a.probe: return 0 if reachable(url) else 2
    if (root / folder / "train").is_dir():
        print(f"{root / folder} is there already")
        return 0
    if not reachable(url):
        print(f"{url} cannot be reached (no internet?)", file=sys.stderr)
        return 2
    root.mkdir(parents=True, exist_ok=True)
    free = shutil.disk_usage(root).free
    print(f"downloading {url} into {root} ({free / 2**30:.1f} GiB free)")
    archive = download(url, root / name, md5)
    print(f"unpacking {archive} ...")
    unpack(archive, root)
    archive.unlink()
    print(f"Imagenette is in {root / folder}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
