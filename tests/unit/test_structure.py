"""The import rules of docs/architecture.md ("Layers"), checked on the source: no cycle
between chalicelib modules, a domain that imports no adapter, AWS SDK, web framework or
HTTP client, and one module that reads the environment."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "chalicelib"


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(path): path for path in PACKAGE.rglob("*.py")}


def imported(name: str, path: Path) -> Iterator[tuple[str, int]]:
    """Every module `name` imports (top level, lazily inside functions, and for type
    checking alike), as absolute names, with the line."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, node.lineno
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, *([base] if base else [])])
            yield base, node.lineno
            for alias in node.names:
                candidate = f"{base}.{alias.name}"
                if candidate in MODULES:
                    yield candidate, node.lineno


def project_imports(name: str) -> set[str]:
    return {target for target, _ in imported(name, MODULES[name]) if target in MODULES}


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle as a path of modules, or None (depth-first, three colours)."""
    visiting: list[str] = []
    state: dict[str, str] = {}

    def visit(node: str) -> list[str] | None:
        state[node] = "visiting"
        visiting.append(node)
        for target in sorted(graph.get(node, ())):
            if state.get(target) == "visiting":
                return [*visiting[visiting.index(target) :], target]
            if target not in state and (cycle := visit(target)):
                return cycle
        visiting.pop()
        state[node] = "done"
        return None

    for node in sorted(graph):
        if node not in state and (cycle := visit(node)):
            return cycle
    return None


def test_no_import_cycle_between_chalicelib_modules():
    # A package's __init__ is left out of the edges into it: importing a.b runs a/__init__,
    # but a/__init__ importing nothing of a.b's is what matters, and it is checked as a node.
    graph = {name: project_imports(name) for name in MODULES}
    assert find_cycle(graph) is None, " -> ".join(find_cycle(graph) or [])


def test_the_cycle_finder_finds_a_cycle():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": set()}) is None


FORBIDDEN_IN_DOMAIN = ("boto3", "botocore", "chalice", "requests", "chalicelib.adapters")


@pytest.mark.parametrize("name", sorted(n for n in MODULES if n.startswith("chalicelib.domain")))
def test_the_domain_imports_no_adapter_sdk_framework_or_http_client(name):
    offending = [
        f"line {line}: {target}"
        for target, line in imported(name, MODULES[name])
        if any(target == f or target.startswith(f + ".") for f in FORBIDDEN_IN_DOMAIN)
        or (target.startswith("chalicelib.") and not target.startswith("chalicelib.domain"))
    ]
    assert offending == []


def reads_environment(path: Path) -> list[int]:
    lines = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Attribute) and node.attr in {"environ", "getenv", "environb"}:
            if isinstance(node.value, ast.Name) and node.value.id == "os":
                lines.append(node.lineno)
        elif (
            isinstance(node, ast.ImportFrom)
            and node.module == "os"
            and any(alias.name in {"environ", "getenv"} for alias in node.names)
        ):
            lines.append(node.lineno)
    return lines


def test_only_the_settings_module_reads_the_environment():
    readers = {
        name: lines
        for name, path in MODULES.items()
        if (lines := reads_environment(path)) and name != "chalicelib.settings"
    }
    assert readers == {}
    assert reads_environment(MODULES["chalicelib.settings"]), "settings reads it itself"


def test_the_composition_root_imports_no_entry_point():
    entry_points = ("chalicelib.web", "chalicelib.api", "chalicelib.workers", "app")
    root = [name for name in MODULES if name.startswith("chalicelib.composition")]
    assert len(root) > 1
    assert not [
        f"{name} imports {target}"
        for name in root
        for target in project_imports(name)
        if target.startswith(entry_points)
    ]
