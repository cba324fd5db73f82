"""Check the project's layers and that its import graph has no cycle.

    python tools/check_layers.py [REPO_ROOT]

Prints one line per violation and exits 1, or exits 0. The rules (docs/architecture.md):

- the contract core (the Backend class, errors, neutral values, the dtype table, the
  op ids, the gradient tape, the registry) imports nothing else of the project;
- backends/semantics (torch's rules the reference backends share) imports only the contract;
- a reference backend imports the contract, semantics and its own helpers, never the harness;
- the harness imports the contract and its own modules; only harness/oracle.py imports a
  reference backend (torch's, the oracle);
- no module imports another module's private (underscore) name;
- no import cycle, counting imports inside functions too (a lazy import does not break one).
"""

from __future__ import annotations

import ast
import sys
from dataclasses import dataclass
from pathlib import Path

# Folder in the repository -> the package it is installed as (pyproject.toml's package-dir).
PACKAGE_DIRS = {"tensorparity": "tensorparity", "backends": "tensorparity.backends", "harness": "tensorparity.harness"}
CONTRACT = frozenset(
    "tensorparity.backends" + suffix
    for suffix in ("", ".base", ".errors", ".neutral", ".dtypes", ".spec_files", ".autodiff", ".registry")
)
SEMANTICS = "tensorparity.backends.semantics"
ORACLE = "tensorparity.harness.oracle"
ORACLE_TARGET = "tensorparity.backends.torch_backend"


@dataclass(frozen=True)
class Import:
    importer: str
    imported: str  # a project module
    name: str | None  # the name taken from it (from X import name), if any
    line: int


def module_files(root: Path) -> dict[str, Path]:
    """Every project module, by its installed dotted name."""
    modules = {}
    for folder, package in PACKAGE_DIRS.items():
        for path in sorted((root / folder).rglob("*.py")):
            parts = list(path.relative_to(root / folder).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            modules[".".join([package, *parts])] = path
    return modules


def imports_of(name: str, path: Path, modules: dict[str, Path]) -> list[Import]:
    """The project imports of one module, at any depth of its code (functions included)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                target = _closest_module(alias.name, modules)
                if target:
                    found.append(Import(name, target, None, node.lineno))
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            for alias in node.names:
                submodule = f"{base}.{alias.name}"
                if submodule in modules:  # from package import module
                    found.append(Import(name, submodule, None, node.lineno))
                elif base in modules:
                    found.append(Import(name, base, alias.name, node.lineno))
    return found


def _closest_module(dotted: str, modules: dict[str, Path]) -> str | None:
    parts = dotted.split(".")
    for end in range(len(parts), 0, -1):
        if ".".join(parts[:end]) in modules:
            return ".".join(parts[:end])
    return None


def layer_of(module: str) -> str:
    if module in CONTRACT:
        return "contract"
    if module == SEMANTICS or module.startswith(SEMANTICS + "."):
        return "semantics"
    if module.startswith("tensorparity.backends."):
        return "reference backend"
    if module.startswith("tensorparity.harness"):
        return "harness"
    return "top"  # tensorparity/__init__ and __main__


ALLOWED = {
    "contract": {"contract"},
    "semantics": {"contract", "semantics"},
    "reference backend": {"contract", "semantics", "reference backend"},
    "harness": {"contract", "harness"},
    "top": {"contract", "semantics", "reference backend", "harness", "top"},
}


def violations(root: Path) -> list[str]:
    """Every broken rule in the tree at ``root``, one line each."""
    modules = module_files(root)
    edges = [edge for name, path in modules.items() for edge in imports_of(name, path, modules)]
    problems = []
    for edge in edges:
        where = f"{modules[edge.importer].relative_to(root)}:{edge.line}"
        source, target = layer_of(edge.importer), layer_of(edge.imported)
        oracle = edge.importer == ORACLE and edge.imported == ORACLE_TARGET
        if target not in ALLOWED[source] and not oracle:
            problems.append(f"{where}: {edge.importer} ({source}) imports {edge.imported} ({target})")
        if edge.name and edge.name.startswith("_") and not edge.name.startswith("__"):
            problems.append(f"{where}: {edge.importer} imports the private name {edge.name} of {edge.imported}")
    problems += [f"import cycle: {' -> '.join(cycle)}" for cycle in cycles({(e.importer, e.imported) for e in edges})]
    return problems


def cycles(edges: set[tuple[str, str]]) -> list[list[str]]:
    """One cycle per strongly connected component of more than one module (or a self-import)."""
    graph: dict[str, set[str]] = {}
    for source, target in edges:
        graph.setdefault(source, set()).add(target)
        graph.setdefault(target, set())
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[list[str]] = []

    def connect(node: str) -> None:  # Tarjan's algorithm
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for successor in sorted(graph[node]):
            if successor not in index:
                connect(successor)
                low[node] = min(low[node], low[successor])
            elif successor in on_stack:
                low[node] = min(low[node], index[successor])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1 or node in graph[node]:
                components.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            connect(node)
    return [component + [component[0]] for component in components]


def main(argv: list[str]) -> int:
    root = Path(argv[0]) if argv else Path(__file__).resolve().parent.parent
    problems = violations(root)
    for problem in problems:
        print(problem)
    print(f"{len(module_files(root))} modules: {len(problems)} layering problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.setrecursionlimit(10_000)
    sys.exit(main(sys.argv[1:]))
