"""The project's scripts (scripts/*.py) as modules, for the tests: `load_script("docs")`."""
import importlib.util
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def load_script(name: str):
    "scripts/`name`.py as the module `name` (registered in sys.modules, as dataclasses and pickling need)."
    spec = importlib.util.spec_from_file_location(name, ROOT / "scripts" / f"{name}.py")
    mod = importlib.util.module_from_spec(spec)
    sys.modules[name] = mod
    spec.loader.exec_module(mod)
    return mod
