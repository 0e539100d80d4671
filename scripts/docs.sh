#!/usr/bin/env bash
# The documentation site, offline: every library and course notebook executed (in a copy of nbs/ in _proc/) and
# rendered with its outputs into _docs/ (home page: _docs/index.html). --fast executes only index and 00_core.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$ROOT"
exec python scripts/docs.py "$@"
