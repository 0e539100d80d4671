# JupyterLab settings of this project, loaded when JupyterLab is started by `bash scripts/lab.sh` (which puts this
# folder first on JUPYTER_CONFIG_PATH, so it wins over a user's ~/.jupyter, nbdev's hook there included).
# Every notebook under nbs/ is saved without outputs, execution counts or editor metadata (scripts/nbclean.py):
# outputs stay on screen, and running the explorer or any other notebook leaves `git status` clean.
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))
from nbclean import pre_save_hook  # noqa: E402

c.ContentsManager.pre_save_hook = pre_save_hook  # noqa: F821 (`c` is the config object Jupyter provides)
