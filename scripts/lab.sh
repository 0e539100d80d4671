#!/usr/bin/env bash
# JupyterLab for this project: sets up .venv if needed and loads .jupyter/jupyter_server_config.py, whose pre-save hook
# writes every notebook under nbs/ without outputs (scripts/nbclean.py), so saving never dirties git.
#   bash scripts/lab.sh                                  # JupyterLab in the project folder
#   bash scripts/lab.sh nbs/figures/explorer.ipynb       # open the explorer
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$ROOT"
export JUPYTER_CONFIG_PATH="$ROOT/.jupyter${JUPYTER_CONFIG_PATH:+:$JUPYTER_CONFIG_PATH}"
exec jupyter lab "$@"
