"""What the browser tests share: where Debian's Chromium is, and screenshots small enough to keep."""
from __future__ import annotations

import io
import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = os.environ.get("BOTTLEFIT_CHROMIUM", "/usr/bin/chromium")


def shot(page, folder: Path, name: str, **kw) -> Path:
    "A screenshot of `page` as folder/name, reduced to a 128-colour PNG so that it is small enough to commit."
    from PIL import Image
    img = Image.open(io.BytesIO(page.screenshot(**kw))).convert("RGB").quantize(colors=128, method=Image.Quantize.MEDIANCUT)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    img.save(path, optimize=True)
    print(f"screenshot {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path} ({path.stat().st_size / 1e3:.0f} KB)")
    return path
