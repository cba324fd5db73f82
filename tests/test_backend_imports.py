"""How the modules under backends/ import each other: an acyclic graph, public names only.

Read from the source (ast), so a cycle hidden behind an import inside a function, or a
reach into another module's private names, fails here rather than in review.
"""

from __future__ import annotations

import ast
from pathlib import Path

import tensorparity.backends

BACKENDS = Path(tensorparity.backends.__file__).resolve().parent  # the backends/ folder, wherever this test lives
# The contract and the oracle; every other module under backends/ belongs to a reference backend.
CONTRACT = {"__init__", "base", "neutral", "autodiff", "registry", "torch_backend"}


def _module(path: Path) -> str:
    relative = path.relative_to(BACKENDS).with_suffix("")
    parts = [part for part in relative.parts if part != "__init__"]
    return ".".join(["tensorparity", "backends", *parts])


MODULES = {_module(path): path for path in sorted(BACKENDS.rglob("*.py"))}
REFERENCE = {name: path for name, path in MODULES.items() if (name.split(".") + ["__init__"])[2] not in CONTRACT}


def _imports(path: Path) -> list[tuple[bool, str, list[str]]]:
    """(at the top level, module imported, names taken from it) for each import in the file."""
    tree = ast.parse(path.read_text())
    top = {id(node) for node in tree.body}
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(id(node) in top, alias.name, []) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.append((id(node) in top, node.module, [alias.name for alias in node.names]))
    return found


def _targets(module: str, names: list[str]) -> list[str]:
    """The project modules an import loads: the module, or its submodules where names are modules."""
    targets = [f"{module}.{name}" for name in names if f"{module}.{name}" in MODULES]
    return targets or ([module] if module in MODULES else [])


def test_the_module_level_import_graph_is_acyclic():
    graph = {
        name: {target for top, module, names in _imports(path) if top for target in _targets(module, names)}
        for name, path in MODULES.items()
    }
    done: set[str] = set()

    def visit(name: str, path: list[str]) -> None:
        if name in path:
            raise AssertionError("import cycle: " + " -> ".join([*path[path.index(name) :], name]))
        if name in done:
            return
        for target in sorted(graph[name]):
            visit(target, [*path, name])
        done.add(name)

    for name in sorted(graph):
        visit(name, [])


def test_reference_backends_import_project_modules_at_the_top_only():
    """An import inside a function is how a cycle hides; only optional libraries may load late."""
    for name, path in REFERENCE.items():
        late = [module for top, module, _ in _imports(path) if not top]
        assert not [m for m in late if m.startswith("tensorparity")], f"{name} imports {late} inside a function"


def test_no_module_takes_another_modules_private_names():
    for name, path in MODULES.items():
        for _, module, names in _imports(path):
            private = [n for n in names if n.startswith("_") and n != "__future__" and module != "__future__"]
            assert not private, f"{name} imports private {private} from {module}"


def test_reference_backends_import_the_contract_and_semantics_never_the_harness():
    for name, path in REFERENCE.items():
        for _, module, _ in _imports(path):
            assert not module.startswith("tensorparity.harness"), f"{name} imports {module}"
