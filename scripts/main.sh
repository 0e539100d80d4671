#!/usr/bin/env bash
# The main job: sets up .venv if needed, runs (or resumes) the study of a preset, then regenerates every table
# and figure from its records.  PRESET=smoke (default, minutes), cpu (many hours on 2 cores) or paper (GPUs).
# Without Imagenette under BOTTLEFIT_DATA or data/ (a fresh clone), it first downloads the official archive when the
# internet is reachable (scripts/get_imagenette.py); offline, it regenerates the committed cpu study's figures from
# its records instead, says how to get the data, and exits 0.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$ROOT"
preset="${PRESET:-smoke}"

has_imagenette() { BOTTLEFIT_DATA="$1" python -c 'import sys; from bottlefit.data import find_imagenette; sys.exit(find_imagenette() is None)'; }

if [ "$preset" != "paper" ] && [ "$preset" != "synthetic" ] && ! has_imagenette "$BOTTLEFIT_DATA"; then
  if [ "$BOTTLEFIT_DATA" != "$ROOT/data" ] && has_imagenette "$ROOT/data"; then
    echo "[main] no Imagenette under BOTTLEFIT_DATA=$BOTTLEFIT_DATA; using the one under $ROOT/data"
    export BOTTLEFIT_DATA="$ROOT/data"
  elif python scripts/get_imagenette.py --probe; then
    echo "[main] no Imagenette under $BOTTLEFIT_DATA: downloading the official archive (1.5 GB)"
    python scripts/get_imagenette.py
  else
    echo "[main] no Imagenette under $BOTTLEFIT_DATA and no internet: regenerating the tables and figures of the"
    echo "[main] committed cpu study from its records (data/results/cpu -> figures/cpu)"
    python scripts/regen_figures.py
    cat <<MSG

To run a new study you need Imagenette. On a machine with internet, \`bash scripts/main.sh\` downloads the official
full-size archive itself (https://s3.amazonaws.com/fast-ai-imageclas/imagenette2.tgz, 1.5 GB, into imagenette2/ under
the data root, data/ by default; \`python scripts/get_imagenette.py --size 320\` fetches the 0.3 GB 320 px variant
instead). Without internet, copy an Imagenette folder (imagenette2-224/, imagenette2-320/, imagenette2-160/ or
imagenette2/, each with train/ and val/ holding one folder per wnid) from elsewhere into data/ or into a folder named
by BOTTLEFIT_DATA (\`export BOTTLEFIT_DATA=/path/to/data\`), with the network traces in its traces/ (wifi/, lte/, 5g/:
the public repositories named in README.md, "Data"; \`python scripts/get_traces.py\` fetches and checks them where the
internet is reachable; the delay and energy figures need them), then run
\`bash scripts/main.sh\` (smoke study, minutes) or \`PRESET=cpu bash scripts/main.sh\` (the full cpu study; README.md,
"The study").
MSG
    exit 0
  fi
fi
if [ -n "$(BOTTLEFIT_DATA="$BOTTLEFIT_DATA" python -c 'import sys; sys.path.insert(0, "scripts"); from get_traces import missing, data_root; print(len(missing(data_root())) or "")')" ]; then
  if python scripts/get_traces.py --probe; then
    echo "[main] network traces missing under $BOTTLEFIT_DATA/traces: downloading them (5.6 MB, checksums in scripts/traces.json)"
    python scripts/get_traces.py || echo "[main] some traces could not be fetched; the delay and energy figures need them"
  else
    echo "[main] network traces missing under $BOTTLEFIT_DATA/traces and no internet: the delay and energy figures will fail"
  fi
fi
python -m bottlefit study --preset "$preset" "$@"
python -m bottlefit figures --preset "$preset"
