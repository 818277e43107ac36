"""The library's structure, measured from the code: what the issue "One home per
behaviour" fixed stays fixed.

- no import cycle between modules of ``core`` and ``ui`` (imports inside
  functions count as edges);
- no private name (``_x``) imported from another module;
- at most 12 modules at ``core/``'s top level;
- at most 40 imports inside functions, each with a comment saying why (an
  optional dependency, or start-up cost);
- nothing platform-only (``fcntl``, ``resource``, ``/proc``) at module level.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("core", "ui")
MAX_TOP_LEVEL_MODULES = 12
MAX_INNER_IMPORTS = 40
PLATFORM_ONLY = {"fcntl", "resource", "msvcrt"}


def _module_name(path: Path) -> str:
    dotted = ".".join(path.relative_to(ROOT).with_suffix("").parts)
    return dotted.removesuffix(".__init__")


SOURCES = {
    _module_name(path): path
    for package in PACKAGES
    for path in sorted((ROOT / package).rglob("*.py"))
}
TREES = {
    name: ast.parse(path.read_text(encoding="utf-8")) for name, path in SOURCES.items()
}


def _owner(target: str) -> str | None:
    """The longest known module that ``target`` names (or lies inside)."""
    while target and target not in SOURCES:
        target = target.rpartition(".")[0]
    return target or None


def _imports(name: str) -> list[tuple[ast.AST, str, str | None, bool]]:
    """(node, imported module, imported name, inside a function) of a module."""
    tree = TREES[name]
    inside: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            inside.update(id(child) for child in ast.walk(node) if child is not node)
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                found.append((node, alias.name, None, id(node) in inside))
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            for alias in node.names:
                full = f"{node.module}.{alias.name}"
                module = full if full in SOURCES else node.module
                found.append((node, module, alias.name, id(node) in inside))
    return found


def _graph() -> dict[str, set[str]]:
    edges: dict[str, set[str]] = defaultdict(set)
    for name in SOURCES:
        for _, module, _, _ in _imports(name):
            owner = _owner(module)
            if owner and owner != name:
                edges[name].add(owner)
    return edges


def _cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for successor in edges.get(node, ()):
            if successor not in index:
                visit(successor)
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
            if len(component) > 1:
                found.append(sorted(component))

    nodes = set(edges) | {target for targets in edges.values() for target in targets}
    for node in sorted(nodes):
        if node not in index:
            visit(node)
    return found


def test_no_import_cycles():
    assert _cycles(_graph()) == []


def test_cycle_detection_sees_a_cycle():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == [["a", "b", "c"]]


def test_no_private_names_imported_across_modules():
    private = [
        f"{SOURCES[name].relative_to(ROOT)}:{node.lineno} imports {imported}"
        for name in SOURCES
        for node, module, imported, _ in _imports(name)
        if imported
        and imported.startswith("_")
        and not imported.startswith("__")
        and _owner(module) not in (None, name)
    ]
    assert private == []


def test_core_top_level_stays_small():
    top_level = sorted(path.name for path in (ROOT / "core").glob("*.py"))
    assert len(top_level) <= MAX_TOP_LEVEL_MODULES, top_level


def _inner_imports() -> list[tuple[str, int]]:
    return sorted(
        {
            (name, node.lineno)
            for name in SOURCES
            for node, _, _, inner in _imports(name)
            if inner
        }
    )


def test_few_imports_inside_functions():
    inner = _inner_imports()
    assert len(inner) <= MAX_INNER_IMPORTS, "\n".join(
        f"{SOURCES[name].relative_to(ROOT)}:{line}" for name, line in inner
    )


def test_each_import_inside_a_function_says_why():
    """A comment on the import's line or in the lines just above it."""
    silent = []
    for name, line in _inner_imports():
        lines = SOURCES[name].read_text(encoding="utf-8").splitlines()
        above = lines[max(0, line - 4) : line]
        if not any("#" in text for text in above):
            silent.append(f"{SOURCES[name].relative_to(ROOT)}:{line}")
    assert silent == []


@pytest.mark.parametrize("name", sorted(SOURCES))
def test_nothing_platform_only_at_module_level(name):
    module_level = [
        module
        for _, module, _, inner in _imports(name)
        if not inner and module.split(".")[0] in PLATFORM_ONLY
    ]
    assert module_level == []
    assert "/proc/" not in SOURCES[name].read_text(encoding="utf-8")
