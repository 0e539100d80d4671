#!/usr/bin/env bash
# The main job: sets up .venv if needed, then builds every supported bottleneck model and prints its card.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$ROOT"
exec python -m bottlefit cards "$@"
