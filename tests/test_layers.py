"""The import picture of the package: the vocabulary (presets), the cost model and the results layer stand on their own,
the presentation modules (tables, plots, claims, figures) stand on them without torch, and only the command line reaches for
the figures. Checked on the source (every import, also those inside functions) and in a fresh process."""
import ast
import subprocess
import sys
from pathlib import Path

import pytest

PKG = Path(__file__).resolve().parents[1] / "bottlefit"


def bottlefit_imports(module: str) -> set[str]:
    "Every bottlefit module that `module` imports anywhere in its source."
    tree = ast.parse((PKG / f"{module}.py").read_text())
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            if node.level == 1: out.add(node.module or "")
            elif (node.module or "").startswith("bottlefit."): out.add(node.module.split(".", 1)[1])
        elif isinstance(node, ast.Import):
            out |= {a.name.split(".", 1)[1] for a in node.names if a.name.startswith("bottlefit.")}
    return out - {""}


MODULES = sorted(p.stem for p in PKG.glob("*.py") if not p.stem.startswith("_"))


PRESENTATION = ("tables", "plots", "claims", "figures")      # in this order: each imports only the ones before it


@pytest.mark.parametrize("module", MODULES)
def test_only_the_cli_imports_figures(module):
    if module in ("cli", "figures"): return
    assert "figures" not in bottlefit_imports(module), f"bottlefit.{module} imports bottlefit.figures"


@pytest.mark.parametrize("module", MODULES)
def test_only_presentation_imports_presentation(module):
    "The torch side and the records layer never reach for the tables, plots or claims; the presentation modules only downwards."
    got = bottlefit_imports(module) & set(PRESENTATION)
    if module in PRESENTATION: assert got <= set(PRESENTATION[:PRESENTATION.index(module)]), (module, got)
    elif module != "cli": assert not got, f"bottlefit.{module} imports {sorted(got)}"


def test_presentation_modules_stand_on_records():
    for module in PRESENTATION:
        below = bottlefit_imports(module) - set(PRESENTATION)
        assert below <= {"core", "presets", "results", "stats", "system"}, (module, below)


def test_system_model_imports_no_model_code():
    assert bottlefit_imports("presets") <= {"core"}, bottlefit_imports("presets")
    assert bottlefit_imports("system") <= {"core"}, bottlefit_imports("system")
    assert bottlefit_imports("results") <= {"core", "presets", "system"}, bottlefit_imports("results")


@pytest.mark.parametrize("module", ["core", "presets", "system", "results", "explore", "stats", "tables", "plots", "claims", "figures"])
def test_light_modules_do_not_load_torch(module):
    code = f"import sys, bottlefit.{module}; assert 'torch' not in sys.modules, sorted(m for m in sys.modules if m.startswith('torch'))[:5]"
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr[-2000:]


SHELL = ("options", "cli_system", "cli")      # the command line, in this order: each imports only the ones before it


def test_shell_stands_on_the_rest():
    "Nothing below the command line imports it; options (the argument types) needs only the vocabulary and the cost model."
    for module in MODULES:
        got = bottlefit_imports(module) & set(SHELL)
        if module in SHELL: assert got <= set(SHELL[:SHELL.index(module)]), (module, got)
        else: assert not got, f"bottlefit.{module} imports {sorted(got)}"
    assert bottlefit_imports("options") <= {"core", "presets", "system"}, bottlefit_imports("options")


@pytest.mark.parametrize("module", SHELL)
def test_shell_modules_do_not_load_torch(module):
    code = f"import sys, bottlefit.{module}; assert 'torch' not in sys.modules, sorted(m for m in sys.modules if m.startswith('torch'))[:5]"
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr[-2000:]
