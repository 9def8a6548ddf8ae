"""The layout keeps its promises: no import cycles, no private module imported
from another package, small modules, and every API one module with an entry point."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

SRC = Path(__file__).resolve().parents[1] / "src"
PACKAGE = SRC / "aiobs_otel"
MAX_LINES = 320  # "about 300": a module should read in one sitting


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports(path: Path) -> list[str]:
    """Modules ``path`` imports at module level or in functions (absolute names)."""
    module = _module_name(path)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: list[str] = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            found.append(target)
            found.extend(f"{target}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            found.extend(alias.name for alias in node.names)
    return [name for name in found if name.startswith("aiobs_otel")]


MODULES = {_module_name(p): p for p in PACKAGE.rglob("*.py")}


def _graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {}
    for name, path in MODULES.items():
        graph[name] = {target for target in _imports(path) if target in MODULES and target != name}
    return graph


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph[node]):
            # a package importing its own submodules (its __init__) is not a cycle
            if node.startswith(nxt + ".") and MODULES[nxt].name == "__init__.py":
                continue
            if state.get(nxt) == 1:
                return [*stack[stack.index(nxt) :], nxt]
            if state.get(nxt) is None and (found := visit(nxt)):
                return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if state.get(node) is None and (found := visit(node)):
            return found
    return None


def test_no_import_cycles() -> None:
    assert _cycle(_graph()) is None


def test_no_private_module_is_imported_from_another_package() -> None:
    offenders = []
    for name, path in MODULES.items():
        importer_package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        for target in _imports(path):
            leaf = target.rpartition(".")[2]
            owner = target.rpartition(".")[0]
            private = leaf.startswith("_") and not leaf.startswith("__") and target in MODULES
            if private and owner != importer_package:
                offenders.append(f"{name} imports {target}")
    assert offenders == []


@pytest.mark.parametrize("path", sorted(PACKAGE.rglob("*.py")), ids=lambda p: _module_name(p))
def test_modules_are_small(path: Path) -> None:
    assert len(path.read_text().splitlines()) <= MAX_LINES


def test_every_api_module_has_an_entry_point_and_a_spec() -> None:
    """Adding an API is one module: its instrumentor is registered, and its
    ApiSpec names the export event."""
    from importlib import import_module

    from aiobs_otel.instrumentors.base import ProviderInstrumentor

    project = tomllib.loads((SRC.parent / "pyproject.toml").read_text())["project"]
    points = project["entry-points"]["opentelemetry_instrumentor"]
    seen = set()
    for value in points.values():
        module_name, _, class_name = value.partition(":")
        module = import_module(module_name)
        cls = getattr(module, class_name)
        assert issubclass(cls, ProviderInstrumentor)
        api = module.API
        assert cls().adapter().api is api
        seen.add(api.name)
    assert seen == {
        "chat.completions.create", "embeddings.create", "responses.create",
        "models.generate_content", "models.generate_videos", "models.embed_content",
    }  # fmt: skip
