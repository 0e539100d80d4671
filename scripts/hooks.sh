#!/usr/bin/env bash
# One-time setup of a clone for working on the notebooks:
#  - nbdev's hooks (`nbdev_install_hooks`): the notebook merge driver `nbdev_merge` (.gitattributes and .gitconfig, both
#    committed, included into .git/config), a post-merge `nbdev_trust`, and nbdev's Jupyter pre-save hook in
#    ~/.jupyter (which leaves this project's notebooks alone: settings.ini has jupyter_hooks = False);
#  - a pre-commit hook that refuses notebooks with outputs or editor metadata (scripts/nbclean.py --check-staged).
# JupyterLab itself saves notebooks clean when started with `bash scripts/lab.sh`.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$ROOT"
nbdev_install_hooks
python scripts/nbclean.py --install-hooks
