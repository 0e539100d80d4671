"""Adds layer counts to a system record's timings, for records made before `measure` recorded them.

A device's per-layer cost model (`bottlefit.devices`, candidate `layers+macs`) needs how many convolution and linear
layers each timed network has. That is a fact of the architecture, not a measurement: this script builds each network
the record timed (the paper's whole models and every design's head and tail) and counts them, exactly as
`bottlefit measure` now does when it times them. The times in the record are untouched; the record notes what was added,
by which revision, when. Written atomically; running it again changes nothing.

    python scripts/add_layer_counts.py data/results/cpu/system.json
"""
from __future__ import annotations

import argparse
import datetime
import json
import sys

from bottlefit.core import _code_state, atomic_write_json
from bottlefit.models import bottleneck_model, count_layers, teacher


def add_layer_counts(t: dict) -> dict:
    "The timings object `t` with `paper_teacher_layers`, `teacher_layers` and each design's `head_layers`/`tail_layers`."
    for times, layers in (("paper_teachers", "paper_teacher_layers"), ("teachers", "teacher_layers")):
        if times in t: t[layers] = {a: count_layers(teacher(a)) for a in t[times]}      # the class count changes no layer count
    for d in t.get("paper_designs", []) + t.get("designs", []):
        m = bottleneck_model(d["arch"], d["split"], int(d["channels"]), input_size=int(d.get("input_size", 224)),
                             teacher_model=teacher(d["arch"]))
        d["head_layers"], d["tail_layers"] = count_layers(m.encoder), count_layers(m.tail)
    return t


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("record", help="a system record (data/results/<preset>/system.json)")
    args = ap.parse_args(argv)
    rec = json.loads(open(args.record).read())
    if "timings" not in rec: sys.exit(f"{args.record} has no timings object; is it a system record?")
    before = json.dumps(rec["timings"], sort_keys=True)
    add_layer_counts(rec["timings"])
    if json.dumps(rec["timings"], sort_keys=True) == before: print("layer counts already there"); return 0
    rev, dirty = _code_state()
    rec.setdefault("amended", []).append(dict(what="layer counts of every timed network (scripts/add_layer_counts.py)",
                                              git_revision=rev, git_dirty=dirty,
                                              date=datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")))
    atomic_write_json(args.record, rec)
    print(f"added layer counts to {args.record}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
