"""The layout holds: no import cycle among scsim's modules, no private name imported across
modules, no function with 20 or more positional parameters."""

from __future__ import annotations

import ast
from pathlib import Path

import scsim

ROOT = Path(scsim.__file__).resolve().parent
PKG = ROOT.name


def modules() -> dict[str, Path]:
    out = {}
    for p in ROOT.rglob("*.py"):
        parts = list(p.relative_to(ROOT.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = p
    return out


MODULES = modules()


def imports(mod: str):
    """(imported module, imported names) of every import in ``mod``, at any depth."""
    path = MODULES[mod]
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            for a in node.names:
                yield a.name, ()
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = mod.split(".") if path.name == "__init__.py" else mod.split(".")[:-1]
                base = ".".join(base[: len(base) - node.level + 1] + ([node.module] if node.module else []))
            else:
                base = node.module or ""
            for a in node.names:
                sub = f"{base}.{a.name}"
                yield (sub, ()) if sub in MODULES else (base, (a.name,))


def graph() -> dict[str, set[str]]:
    edges = {m: set() for m in MODULES}
    for m in MODULES:
        for target, _ in imports(m):
            while target not in MODULES and "." in target:
                target = target.rsplit(".", 1)[0]
            if target in MODULES and target != m:
                edges[m].add(target)
    return edges


def test_no_import_cycle():
    edges, state, cycles = graph(), {}, []

    def visit(m, path):
        state[m] = "open"
        for t in sorted(edges[m]):
            if state.get(t) == "open":
                cycles.append(path[path.index(t):] + [t])
            elif t not in state:
                visit(t, path + [t])
        state[m] = "done"

    for m in sorted(MODULES):
        if m not in state:
            visit(m, [m])
    assert len(MODULES) > 50 and not cycles, f"import cycles: {cycles}"


def test_no_private_name_is_imported_across_modules():
    private = [f"{m} imports {target}.{name}" for m in MODULES for target, names in imports(m)
               for name in names if target.startswith(PKG) and name.startswith("_") and not name.startswith("__")]
    assert not private, private


def test_no_function_takes_twenty_positional_arguments():
    long = [f"{m}.{n.name} ({len(n.args.args)})" for m, p in MODULES.items() for n in ast.walk(ast.parse(p.read_text()))
            if isinstance(n, ast.FunctionDef) and len(n.args.args) >= 20]
    assert not long, f"bundle the inputs (a NamedTuple): {long}"
