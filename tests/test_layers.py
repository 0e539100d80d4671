"""The import picture of the package: the vocabulary (presets), the cost model and the results layer stand on their own,
the presentation modules (tables, plots, claims, claims_system, figures) stand on them without torch, and only the command
line reaches for the figures. Checked on the source (every import, also those inside functions) and in a fresh process."""
import ast
import subprocess
import sys
from pathlib import Path

import pytest

PKG = Path(__file__).resolve().parents[1] / "bottlefit"


def imports_in(source: str) -> set[str]:
    "The bottlefit modules a module's `source` imports anywhere (inside functions too), in every form Python allows."
    out = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom):
            if node.level == 1 or node.module == "bottlefit":          # from .x import y / from . import x / from bottlefit import x
                out |= {node.module} if node.level == 1 and node.module else {a.name for a in node.names}
            elif (node.module or "").startswith("bottlefit."): out.add(node.module.split(".")[1])
        elif isinstance(node, ast.Import):
            out |= {a.name.split(".")[1] for a in node.names if a.name.startswith("bottlefit.")}
    return out


def bottlefit_imports(module: str) -> set[str]:
    "Every bottlefit module that `module` imports anywhere in its source."
    return imports_in((PKG / f"{module}.py").read_text())


def test_every_import_form_is_seen():
    src = ("from .core import a\nfrom . import system, results as r\nimport bottlefit.stats\nfrom bottlefit import plots\n"
           "from bottlefit.tables import t\ndef f():\n    from .claims import c\n    import numpy, bottlefit.codec.x\n")
    assert imports_in(src) == {"core", "system", "results", "stats", "plots", "tables", "claims", "codec"}


MODULES = sorted(p.stem for p in PKG.glob("*.py") if not p.stem.startswith("_"))


PRESENTATION = ("tables", "plots", "claims", "claims_system", "figures")      # in this order: each imports only the ones before it


# Every module on one floor; an import may only go down. New modules must be given a floor here.
LAYERS = {
    "core": 0,
    "presets": 1, "devices": 1, "data": 1, "models": 1, "losses": 1,          # vocabulary, device models, data, networks
    "entropy": 1,                                                             # the learned density, its tables and coder
    "system": 2, "codec": 2, "train": 2,                                      # the cost model; the wire; the trainer
    "results": 3, "options": 3, "measure": 3, "methods": 3,                   # records; argument types; timing; methods
    "stats": 4, "runtime": 4, "study": 4, "explore": 4,
    "tables": 5, "deploy": 5, "bench": 5,                                     # bench: the benchmark records and their README text
    "exercises": 5,                                                           # the course's exercise checks, over the library
    "plots": 6, "claims": 7, "claims_system": 8, "figures": 9,                # presentation, each on the one before
    "cli_system": 10, "cli": 11,                                              # the command line on top
}


def test_every_module_has_a_floor():
    assert set(MODULES) == set(LAYERS), f"place these in LAYERS: {sorted(set(MODULES) ^ set(LAYERS))}"


@pytest.mark.parametrize("module", MODULES)
def test_imports_only_go_down(module):
    "No import circle and no arrow back up: every module imports only modules on lower floors."
    up = sorted(m for m in bottlefit_imports(module) if LAYERS.get(m, 99) >= LAYERS[module])
    assert not up, f"bottlefit.{module} (floor {LAYERS[module]}) imports {up} on its own floor or above"


@pytest.mark.parametrize("module", sorted(set(MODULES) - {"cli", "figures"}))
def test_only_the_cli_imports_figures(module):
    assert "figures" not in bottlefit_imports(module), f"bottlefit.{module} imports bottlefit.figures"


@pytest.mark.parametrize("module", sorted(set(MODULES) - {"cli"}))
def test_only_presentation_imports_presentation(module):
    "The torch side and the records layer never reach for the tables, plots or claims; the presentation modules only downwards."
    got = bottlefit_imports(module) & set(PRESENTATION)
    if module in PRESENTATION: assert got <= set(PRESENTATION[:PRESENTATION.index(module)]), (module, got)
    else: assert not got, f"bottlefit.{module} imports {sorted(got)}"


def test_presentation_modules_stand_on_records():
    for module in PRESENTATION:
        below = bottlefit_imports(module) - set(PRESENTATION)
        assert below <= {"core", "presets", "results", "stats", "system"}, (module, below)


def test_system_model_imports_no_model_code():
    assert bottlefit_imports("presets") <= {"core"}, bottlefit_imports("presets")
    assert bottlefit_imports("system") <= {"core", "devices"}, bottlefit_imports("system")
    assert bottlefit_imports("devices") <= {"core"}, bottlefit_imports("devices")
    assert bottlefit_imports("results") <= {"core", "presets", "system"}, bottlefit_imports("results")


@pytest.mark.parametrize("module", ["core", "presets", "system", "results", "explore", "stats", "tables", "plots", "claims", "claims_system",
                                    "figures"])
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


def test_tables_and_claims_render_from_records_without_torch():
    "Rendering from JSON records (the committed cpu study) in a fresh process: Tables I and II and the Sec. IV claims, no torch."
    code = ("import sys; from bottlefit.results import load_records, records_frame; from bottlefit import tables, claims\n"
            "recs = load_records('data/results/cpu'); df = records_frame(recs)\n"
            "t1, t2 = tables.table1(df, recs)[0], tables.table2(df, 3, recs)[0]\n"
            "cl = claims.accuracy_claims(df, recs); md = claims.claims_markdown(cl)\n"
            "assert len(t1) and len(t2) and len(cl) > 5 and 'IV-B' in md, (len(t1), len(t2), len(cl))\n"
            "assert 'torch' not in sys.modules, sorted(m for m in sys.modules if m.startswith('torch'))[:5]")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=PKG.parent)
    assert r.returncode == 0, r.stderr[-2000:]
