"""The API reference of the documentation site: every exported name of every generated module (`bottlefit/*.py`), read
from the module's source with `ast` (nothing is imported, so torch is never loaded and nothing runs), rendered as nbdev's
`show_doc` renders it: the signature with its type hints and defaults, the docstring, the public methods of a class, a
link to the source line, and an anchor.

Each exported cell of a notebook becomes `# %% ../nbs/NN_name.ipynb #CELLID` in its module; that cell id ties an entry to
the cell of the notebook that defines it, so that a notebook page can show the entries right below their code."""
from __future__ import annotations

import ast
import html
import re
from dataclasses import dataclass, field
from pathlib import Path

_CELL = re.compile(r"^# %% (?P<nb>\S+\.ipynb) #(?P<id>[\w-]+)\s*$")
WRAP = 88                                   # signatures longer than this break after a parameter


@dataclass
class Entry:
    "One documented name: a function, a class (with its methods), a method added with `@patch`, or a constant."
    module: str                             # 'losses'
    name: str                               # 'kd_loss', 'Processor.time_band'
    kind: str                               # 'function', 'class', 'method', 'property', 'constant'
    signature: str                          # '(x: int, y: float = 1.0) -> str', ': float' (property), ' = 3' (constant)
    doc: str
    line: int                               # 1-based line in the module
    notebook: str | None = None             # '03_losses.ipynb'
    cell: str | None = None                 # the notebook cell's id
    bases: list[str] = field(default_factory=list)
    members: list["Entry"] = field(default_factory=list)

    @property
    def anchor(self) -> str: return self.name

    @property
    def first_line(self) -> str: return first_paragraph(self.doc)


@dataclass
class Module:
    name: str                               # 'losses'
    path: Path                              # bottlefit/losses.py
    doc: str
    notebook: str | None                    # '03_losses.ipynb'
    entries: list[Entry]


def _text(node) -> str: return ast.unparse(node) if node is not None else ""


def _param(a: ast.arg, default=None) -> str:
    s = a.arg + (f": {_text(a.annotation)}" if a.annotation is not None else "")
    if default is not None: s += f" = {_text(default)}" if a.annotation is not None else f"={_text(default)}"
    return s


def _params(args: ast.arguments, drop_first: bool = False) -> list[str]:
    "The parameters as written, with `/` and `*` where the definition has them; `drop_first` leaves out self/cls."
    pos = [*args.posonlyargs, *args.args]
    defaults = [None] * (len(pos) - len(args.defaults)) + list(args.defaults)
    out = [_param(a, d) for a, d in zip(pos, defaults)]
    if args.posonlyargs: out.insert(len(args.posonlyargs), "/")
    if args.vararg: out.append("*" + _param(args.vararg))
    elif args.kwonlyargs: out.append("*")
    out += [_param(a, d) for a, d in zip(args.kwonlyargs, args.kw_defaults)]
    if args.kwarg: out.append("**" + _param(args.kwarg))
    if drop_first and pos: out.pop(0)
    if out and out[0] == "/": out.pop(0)
    return out


def _signature(params: list[str], returns: str = "") -> str:
    return "(" + ", ".join(params) + ")" + (f" -> {returns}" if returns else "")


def _decorator_names(node) -> list[str]:
    names = []
    for d in node.decorator_list:
        f = d.func if isinstance(d, ast.Call) else d
        names.append(f.attr if isinstance(f, ast.Attribute) else f.id if isinstance(f, ast.Name) else _text(f))
    return names


def _patch_target(node: ast.FunctionDef) -> tuple[str, bool] | None:
    "For a function decorated with fastcore's `@patch`: the class it is added to and whether it becomes a property."
    for d in node.decorator_list:
        f = d.func if isinstance(d, ast.Call) else d
        if isinstance(f, ast.Name) and f.id in ("patch", "patch_to"):
            first = [*node.args.posonlyargs, *node.args.args][:1]
            if not first or first[0].annotation is None: return None
            prop = isinstance(d, ast.Call) and any(k.arg == "as_prop" and _text(k.value) == "True" for k in d.keywords)
            return _text(first[0].annotation), prop
    return None


def _field_default(value) -> str | None:
    "The default a dataclass field shows: `x = 1` -> '1'; `field(default_factory=list)` -> 'list()'; None: no default;\n    '' : not an __init__ parameter (`field(init=False)`)."
    if value is None: return None
    if isinstance(value, ast.Call) and _text(value.func).split(".")[-1] == "field":
        kw = {k.arg: k.value for k in value.keywords}
        if "init" in kw and _text(kw["init"]) == "False": return ""
        if "default" in kw: return _text(kw["default"])
        if "default_factory" in kw: return _text(kw["default_factory"]) + "()"
        return None
    return _text(value)


def _class_signature(node: ast.ClassDef) -> str | None:
    "The constructor's parameters: `__init__`'s, or a dataclass's (or NamedTuple's) fields; None when inherited."
    init = next((n for n in node.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)) and n.name == "__init__"), None)
    if init is not None: return _signature(_params(init.args, drop_first=True))
    fielded = "dataclass" in _decorator_names(node) or any(_text(b).split(".")[-1] == "NamedTuple" for b in node.bases)
    if not fielded: return None
    params = []
    for n in node.body:
        if isinstance(n, ast.AnnAssign) and isinstance(n.target, ast.Name) and "ClassVar" not in _text(n.annotation):
            d = _field_default(n.value)
            if d == "": continue
            params.append(f"{n.target.id}: {_text(n.annotation)}" + (f" = {d}" if d is not None else ""))
    return _signature(params)


def _function(module: str, node, name: str, kind: str, drop_first: bool = False) -> Entry:
    if kind == "property":
        sig = f": {_text(node.returns)}" if node.returns is not None else ""
    else:
        sig = _signature(_params(node.args, drop_first), _text(node.returns))
    if isinstance(node, ast.AsyncFunctionDef): kind = "async " + kind
    return Entry(module, name, kind, sig, ast.get_docstring(node) or "", node.lineno)


def _members(module: str, node: ast.ClassDef) -> list[Entry]:
    "The public methods and properties a class defines itself (inherited ones are documented where they are defined)."
    out = []
    for n in node.body:
        if not isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)) or n.name.startswith("_"): continue
        decos = _decorator_names(n)
        kind = "property" if "property" in decos or "cached_property" in decos else \
            "staticmethod" if "staticmethod" in decos else "classmethod" if "classmethod" in decos else "method"
        out.append(_function(module, n, f"{node.name}.{n.name}", kind, drop_first=kind != "staticmethod"))
    return out


def _exported(tree: ast.Module) -> list[str]:
    for n in tree.body:
        if isinstance(n, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "__all__" for t in n.targets):
            try: return [str(x) for x in ast.literal_eval(n.value)]
            except ValueError: return []
    return []


def exported_names(path: Path) -> list[str]:
    "The module's `__all__`, as written."
    return _exported(ast.parse(path.read_text(encoding="utf-8")))


def _cells(lines: list[str]) -> list[tuple[int, str, str]]:
    "(line, notebook, cell id) of each `# %%` marker nbdev writes above an exported cell's code."
    out = []
    for i, line in enumerate(lines, 1):
        m = _CELL.match(line)
        if m: out.append((i, Path(m["nb"]).name, m["id"]))
    return out


def _assigned(node) -> list[tuple[str, ast.AST]]:
    "(name, value) of each name an assignment binds: `A = 1`, `A = B = 1`, `A, B = 1, 2` (else each gets the whole value)."
    out = []
    for t in (node.targets if isinstance(node, ast.Assign) else [node.target]):
        if isinstance(t, ast.Name): out.append((t.id, node.value))
        elif isinstance(t, (ast.Tuple, ast.List)):
            paired = isinstance(node.value, (ast.Tuple, ast.List)) and len(node.value.elts) == len(t.elts)
            out += [(e.id, node.value.elts[i] if paired else node.value) for i, e in enumerate(t.elts) if isinstance(e, ast.Name)]
    return out


def read_module(path: Path) -> Module | None:
    "The documented names of a generated module, in source order; None for a file nbdev did not generate."
    source = path.read_text(encoding="utf-8")
    lines = source.splitlines()
    cells = _cells(lines)
    if not cells: return None
    tree = ast.parse(source)
    names, name = set(_exported(tree)), path.stem
    classes = {n.name for n in tree.body if isinstance(n, ast.ClassDef)}
    entries = []
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            target = _patch_target(node)
            if target is not None:
                cls, prop = target
                if not node.name.startswith("_") and (cls in names or cls not in classes):
                    entries.append(_function(name, node, f"{cls}.{node.name}", "property" if prop else "method", drop_first=True))
            elif node.name in names:
                entries.append(_function(name, node, node.name, "function"))
        elif isinstance(node, ast.ClassDef) and node.name in names:
            sig = _class_signature(node)
            e = Entry(name, node.name, "class", sig or "", ast.get_docstring(node) or "", node.lineno,
                      bases=[_text(b) for b in node.bases])
            e.members = _members(name, node)
            entries.append(e)
        elif isinstance(node, (ast.Assign, ast.AnnAssign)) and node.value is not None:
            for target, value in _assigned(node):
                if target in names and target != "__all__":
                    value = _text(value)
                    value = value if len(value) <= 70 else value[:67] + "..."
                    entries.append(Entry(name, target, "constant", f" = {value}", "", node.lineno))
    for e in entries:                           # the notebook cell whose code holds the entry: the last marker above it
        above = [c for c in cells if c[0] < e.line]
        if above: e.notebook, e.cell = above[-1][1], above[-1][2]
        for m in e.members: m.notebook, m.cell = e.notebook, e.cell
    notebooks = [c[1] for c in cells]
    return Module(name, path, ast.get_docstring(tree) or "", max(set(notebooks), key=notebooks.count), entries)


def read_package(lib: Path) -> list[Module]:
    "Every generated module of the package folder `lib`, by name."
    mods = [read_module(p) for p in sorted(lib.glob("*.py")) if not p.name.startswith("_")]
    return [m for m in mods if m is not None]


# ---- rendering -----------------------------------------------------------------------------------------------------

def _markdown():
    import mistune
    return mistune.create_markdown(escape=True, plugins=["strikethrough", "table"])


_md = None


def first_paragraph(text: str) -> str: return text.strip().split("\n\n")[0].replace("\n", " ")


def doc_html(text: str) -> str:
    "A docstring as nbdev renders it: markdown (backticks become code)."
    global _md
    if _md is None: _md = _markdown()
    return _md(text) if text.strip() else ""


def wrap_signature(name: str, sig: str, width: int = WRAP) -> str:
    "`name(sig)` on lines of at most `width` characters, broken after a parameter, continuation lines aligned."
    if len(name) + len(sig) <= width or not sig.startswith("("): return name + sig
    parts, depth, cur = [], 0, ""
    close = _matching(sig)
    inner, rest = sig[1:close], sig[close:]
    for ch in inner:                            # split at top-level commas only (not inside brackets or strings)
        if ch in "([{": depth += 1
        elif ch in ")]}": depth -= 1
        if ch == "," and depth == 0: parts.append(cur.strip()); cur = ""
        else: cur += ch
    if cur.strip(): parts.append(cur.strip())
    indent, lines, line = " " * (len(name) + 1), [], name + "("
    for i, p in enumerate(parts):
        piece = p + ("," if i < len(parts) - 1 else "")
        if len(line) + len(piece) + 1 > width and line.strip() not in ("", name + "("):
            lines.append(line.rstrip()); line = indent
        line += piece + " "
    return "\n".join([*lines, line.rstrip()]) + rest


def _matching(sig: str) -> int:
    depth, quote = 0, None
    for i, ch in enumerate(sig):
        if quote:
            if ch == quote: quote = None
        elif ch in "'\"": quote = ch
        elif ch in "([{": depth += 1
        elif ch in ")]}":
            depth -= 1
            if depth == 0: return i
    return len(sig) - 1


def source_href(e: Entry, root: str) -> str: return f"{root}api/source/{e.module}.html#L-{e.line}"


def entry_html(e: Entry, root: str, notebook_href: str | None = None, level: int = 0) -> str:
    "One entry as HTML: kind, signature, source link and anchor, docstring, and (for a class) its methods."
    short = e.name.split(".")[-1] if level else e.name
    sig = wrap_signature(short, e.signature)
    head = html.escape(sig).replace(html.escape(short), f'<span class="bf-api-name">{html.escape(short)}</span>', 1)
    bases = f' <span class="bf-api-bases">({html.escape(", ".join(e.bases))})</span>' if e.bases and e.kind == "class" and not e.signature else ""
    links = [f'<a class="bf-api-src" href="{source_href(e, root)}" title="bottlefit/{e.module}.py, line {e.line}">source</a>']
    if notebook_href: links.append(f'<a class="bf-api-nb" href="{notebook_href}">notebook</a>')
    links.append(f'<a class="bf-api-anchor" href="#{html.escape(e.anchor)}" title="link to this entry">#</a>')
    parts = [f'<div class="bf-api bf-api-{e.kind.split()[-1]}" id="{html.escape(e.anchor)}" data-name="{html.escape(e.name)}">',
             f'<div class="bf-api-head"><span class="bf-api-kind">{html.escape(e.kind)}</span>'
             f'<span class="bf-api-links">{" ".join(links)}</span></div>',
             f'<pre class="bf-api-sig">{head}{bases}</pre>']
    if e.doc: parts.append(f'<div class="bf-api-doc">{doc_html(e.doc)}</div>')
    elif e.kind != "constant": parts.append('<div class="bf-api-doc bf-api-nodoc">(no docstring)</div>')
    if e.members:
        parts.append('<div class="bf-api-members">')
        parts += [entry_html(m, root, level=1) for m in e.members]
        parts.append("</div>")
    parts.append("</div>")
    return "\n".join(parts)


def source_page_body(m: Module) -> tuple[str, str]:
    "The module's source, highlighted, each line an anchor `L-<n>`: (HTML, its CSS)."
    from pygments import highlight
    from pygments.formatters import HtmlFormatter
    from pygments.lexers import PythonLexer
    fmt = HtmlFormatter(linenos="inline", lineanchors="L", anchorlinenos=True, cssclass="bf-source")
    return highlight(m.path.read_text(encoding="utf-8"), PythonLexer(), fmt), fmt.get_style_defs(".bf-source")
