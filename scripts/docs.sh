#!/usr/bin/env bash
# The documentation site, offline: every library and course notebook executed (in a copy of nbs/ in _proc/) and
# rendered with its outputs into _docs/ (home page: _docs/index.html), with an API reference (_docs/api/), a sidebar,
# a search box and the math rendered by the site's own copy of KaTeX. --fast executes index, 00_core and the course
# (lesson 01 with smaller parameters); --pages TEXT --no-execute makes a small site in seconds. See scripts/docs.py.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$ROOT"
exec python scripts/docs.py "$@"
