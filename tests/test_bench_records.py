"""The README's benchmark figures are the committed records' (data/results/bench, `bottlefit.bench`): every record
loads and renders, and README.md holds each rendered text (table, figures, provenance sentence) as it is, so a hand
edit of a figure in README.md, or a record remade without regenerating README.md, fails here in a second, without
executing the notebook. tests/test_docs.py regenerates the whole README from nbs/index.ipynb and compares
(`scripts/readme.py --check`)."""
from pathlib import Path

import pytest

from bottlefit import bench

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
FIX = "regenerate README.md (`python scripts/readme.py`), or remake the record with its command and then regenerate"


def missing(readme: str, blocks: dict[str, list[str]]) -> list[str]:
    "The first paragraph of each rendered block that `readme` does not hold as rendered (empty when all are there)."
    out = []
    for name, texts in blocks.items():
        for text in texts:
            if text in readme: continue
            para = next((p for p in text.split("\n\n") if p not in readme), text)
            out.append(f"{name}: {para[:300]}")
    return out


@pytest.mark.parametrize("name", sorted(bench.COMMANDS))
def test_record_loads(name):
    rec = bench.load_record(name)
    prov = rec["provenance"]
    assert prov["command"] and prov["git_revision"] and prov["date"] and prov["machine"]["cpu"], prov
    assert rec["kind"] == bench.kind_of(name)


def test_readme_holds_every_rendered_record():
    blocks = bench.readme_blocks()
    assert sorted(blocks) == sorted({bench.kind_of(n) for n in bench.COMMANDS})
    gone = missing(README.read_text(encoding="utf-8"), blocks)
    assert not gone, f"README.md differs from the benchmark records ({FIX}):\n" + "\n".join(gone)


def test_a_hand_edited_figure_is_caught():
    "Change one figure of a rendered table in a copy of the README: the check names the record."
    text, blocks = README.read_text(encoding="utf-8"), bench.readme_blocks()
    row = next(ln for ln in blocks["data"][0].splitlines() if ln.startswith("| decoded-image cache"))
    cells = row.split(" | ")
    edited = row.replace(f" | {cells[1]} | ", f" | {int(cells[1].replace(',', '')) + 1} | ")
    assert row in text and edited != row
    assert [m.split(":")[0] for m in missing(text.replace(row, edited), blocks)] == ["data"]
