#!/usr/bin/env bash
# Creates (or reuses) the project-local virtual environment .venv and installs the pinned dependencies
# and the bottlefit package (editable). Sourced by scripts/main.sh and scripts/test.sh; needs only Python >= 3.10.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${BOTTLEFIT_VENV:-$ROOT/.venv}"
PYTHON="${PYTHON:-python3}"

if ! "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 10))' 2>/dev/null; then
  echo "bottlefit needs Python >= 3.10; set PYTHON=/path/to/python3.11 (found: $("$PYTHON" --version 2>&1))" >&2
  exit 1
fi
if [ ! -x "$VENV/bin/python" ]; then
  echo "[setup] creating the virtual environment $VENV"
  "$PYTHON" -m venv "$VENV"
fi
stamp="$VENV/.bottlefit-installed"
# The explorer's web app (`bottlefit explore`: Voila) and the browser tests (tests/test_browser.py: Playwright, which
# drives the system's Chromium; its own browser download is never used). Verified with the pins of constraints.txt.
APP_PINS="voila==0.5.13 playwright==1.65.2 greenlet==3.5.6 websockets==17.4"
want="$( (cat "$ROOT/requirements.txt" "$ROOT/constraints.txt" "$ROOT/setup.py" "$ROOT/settings.ini" "$ROOT/pyproject.toml"; echo "$APP_PINS") | sha256sum | cut -d' ' -f1)"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  echo "[setup] installing pinned dependencies into $VENV (first run: a few minutes)"
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -r "$ROOT/requirements.txt" -c "$ROOT/constraints.txt"
  # shellcheck disable=SC2086
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check $APP_PINS -c "$ROOT/constraints.txt"
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e "$ROOT"
  echo "$want" > "$stamp"
fi
export PATH="$VENV/bin:$PATH"
# Data root: an explicit BOTTLEFIT_DATA wins; otherwise the project's data/ folder (see README).
export BOTTLEFIT_DATA="${BOTTLEFIT_DATA:-$ROOT/data}"
