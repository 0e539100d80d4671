#!/usr/bin/env bash
# The main job: sets up .venv if needed, runs (or resumes) the study of a preset, then regenerates every table
# and figure from its records.  PRESET=smoke (default, minutes), cpu (about 3 hours on 2 cores) or paper (GPUs).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$ROOT"
preset="${PRESET:-smoke}"
python -m bottlefit study --preset "$preset" "$@"
python -m bottlefit figures --preset "$preset"
