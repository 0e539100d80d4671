#!/usr/bin/env bash
# The test command: sets up .venv if needed, checks that nbdev_export leaves the package unchanged,
# then runs every library notebook (and the export check) under pytest.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$ROOT"

before="$(git status --porcelain -- bottlefit 2>/dev/null || true)"
nbdev_export
after="$(git status --porcelain -- bottlefit 2>/dev/null || true)"
if [ "$before" != "$after" ]; then
  echo "FAIL: nbdev_export changed the package; the notebooks and bottlefit/ were out of sync:" >&2
  git status --porcelain -- bottlefit >&2
  exit 1
fi

if [ ! -d "$BOTTLEFIT_DATA/imagenette2-224" ]; then
  if [ -n "${CI:-}" ]; then
    echo "FAIL: CI expects the shared data at BOTTLEFIT_DATA=$BOTTLEFIT_DATA (imagenette2-224/ is missing)" >&2
    exit 1
  fi
  echo "note: no imagenette2-224 under BOTTLEFIT_DATA=$BOTTLEFIT_DATA; the real-data checks will be skipped"
fi
# Every temporary file of the run (pytest's tmp_path folders, the notebooks' mkdtemp folders, Chromium's profiles) goes
# into one folder that is removed when the run ends, pass or fail: runs repeated on one machine leave nothing behind.
run_tmp="$(mktemp -d "${TMPDIR:-/tmp}/bft.XXXXXX")"   # short: kernels talk over Unix sockets (107 bytes a path)
trap 'rm -rf "$run_tmp"' EXIT
export TMPDIR="$run_tmp"
rc=0
python -m pytest -p no:cacheprovider -q --durations=15 --basetemp "$run_tmp/t" "$@" tests || rc=$?
echo "[test] temporary files of this run: $(du -sh "$run_tmp" 2>/dev/null | cut -f1) in $run_tmp (now removed)"
exit "$rc"
