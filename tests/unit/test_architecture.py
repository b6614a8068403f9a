"""Layering: dependencies point inward, packages form no cycle, private names stay private.

domain/       aggregates, events, the command table, the service: no SQL, no JSON, no HTTP
adapters/     storage speed-ups the bootstrap plugs into the service
projections/  read models fed by events
api/          HTTP entrypoint: declares what it needs (api/ports.py), imports no planner/
planner/      the CLI entrypoint, scenario use cases, simulation and the one bootstrap (wiring)
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Mapping
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("domain", "adapters", "projections", "api", "planner")
STORAGE_AND_WIRE = {
    "sqlite3",
    "psycopg",
    "psycopg_pool",
    "eventsourcing.sqlite",
    "eventsourcing.postgres",
    "json",
    "orjson",
}
WEB = {"fastapi", "starlette", "uvicorn", "pydantic"}
FORBIDDEN: dict[str, set[str]] = {
    "domain": {"adapters", "projections", "api", "planner"} | STORAGE_AND_WIRE | WEB,
    "adapters": {"projections", "api", "planner"} | WEB,
    "projections": {"adapters", "api", "planner"} | WEB,
    "api": {"adapters", "planner"},
}
# planner/'s entrypoints are the modules that read a command line (argparse) or serve the HTTP
# API; the rest of planner/ (the use cases and the bootstrap) imports none of them nor api/.
ENTRYPOINT_MARKS = {"argparse", "api"}


def imports_of(source: str, package: tuple[str, ...]) -> set[str]:
    """Dotted names of every module a source imports (absolute, relative, import_module).

    `from a import b` counts as importing `a` and `a.b` (b may be a module).
    """
    names: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            module = _absolute(node, package)
            if module:
                names.add(module)
                names.update(f"{module}.{alias.name}" for alias in node.names)
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute | ast.Name)
            and getattr(node.func, "attr", getattr(node.func, "id", "")) == "import_module"
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            names.add(node.args[0].value)
    return names


def _absolute(node: ast.ImportFrom, package: tuple[str, ...]) -> str:
    """The module an ImportFrom names, relative imports resolved against the file's package."""
    if not node.level:
        return node.module or ""
    base = package[: len(package) - node.level + 1]
    return ".".join([*base, *(node.module.split(".") if node.module else [])])


def matches(module: str, names: Iterable[str]) -> set[str]:
    """The names that are `module` or one of its parents."""
    return {name for name in names if module == name or module.startswith(name + ".")}


def module_name(path: Path) -> str:
    """`planner/serve.py` -> `planner.serve`."""
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_modules(path: Path) -> set[str]:
    """Dotted names of every module a file imports."""
    package = path.parent.relative_to(ROOT).parts
    return imports_of(path.read_text(encoding="utf-8"), package)


def python_files(package: str) -> list[Path]:
    """The package's Python files, sorted."""
    files = sorted((ROOT / package).rglob("*.py"))
    return [f for f in files if "__pycache__" not in f.parts]


@pytest.mark.parametrize(("package", "forbidden"), sorted(FORBIDDEN.items()))
def test_layers_import_only_inwards(package: str, forbidden: set[str]) -> None:
    files = python_files(package)
    assert len(files) >= 2, f"the {package} package was not found"
    offenders = {
        str(path.relative_to(ROOT)): sorted(
            {name for module in imported_modules(path) for name in matches(module, forbidden)}
        )
        for path in files
    }
    offenders = {path: names for path, names in offenders.items() if names}
    assert offenders == {}, f"{package}/ must not import {sorted(forbidden)}: {offenders}"


def planner_entrypoints() -> set[str]:
    """planner/'s modules that read a command line or serve the HTTP API."""
    return {
        module_name(path)
        for path in python_files("planner")
        if any(matches(module, ENTRYPOINT_MARKS) for module in imported_modules(path))
    }


def test_use_cases_and_the_bootstrap_import_no_entrypoint() -> None:
    entrypoints = planner_entrypoints()
    assert {"planner.cli", "planner.serve"} <= entrypoints
    assert not entrypoints & {"planner.wiring", "planner.replay", "planner.scenario"}
    offenders = {}
    for path in python_files("planner"):
        if module_name(path) in entrypoints:
            continue
        found = {
            name
            for module in imported_modules(path)
            for name in matches(module, {"api", *entrypoints})
        }
        if found:
            offenders[str(path.relative_to(ROOT))] = sorted(found)
    assert offenders == {}, f"the service layer must not import an entrypoint: {offenders}"


def package_graph() -> dict[str, set[str]]:
    """Which of our top-level packages each of them imports."""
    return {
        package: {
            module.split(".")[0]
            for path in python_files(package)
            for module in imported_modules(path)
            if module.split(".")[0] in PACKAGES and module.split(".")[0] != package
        }
        for package in PACKAGES
    }


def find_cycle(graph: Mapping[str, Iterable[str]]) -> list[str] | None:
    """A cycle of the directed graph as [a, b, ..., a], or None if it has none."""
    done: set[str] = set()
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        if node in path:
            return [*path[path.index(node) :], node]
        if node in done:
            return None
        path.append(node)
        for target in sorted(graph.get(node, ())):
            cycle = visit(target)
            if cycle:
                return cycle
        path.pop()
        done.add(node)
        return None

    for node in sorted(graph):
        cycle = visit(node)
        if cycle:
            return cycle
    return None


def test_packages_form_no_cycle() -> None:
    graph = package_graph()
    assert find_cycle(graph) is None, f"package cycle: {find_cycle(graph)} in {graph}"
    assert graph["api"] <= {"domain", "projections"}
    assert "api" in graph["planner"] and "adapters" in graph["planner"]


def test_the_cycle_finder_finds_cycles() -> None:
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": set()}) is None
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"x": {"y"}, "y": {"y"}}) == ["y", "y"]


def private_imports(path: Path) -> list[str]:
    """`module:_name` for each private name the file imports from another module of ours."""
    package = path.parent.relative_to(ROOT).parts
    ours = {*PACKAGES, "tests", "bench"}
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            module = _absolute(node, package)
            if module.split(".")[0] not in ours or module == module_name(path):
                continue
            found += [
                f"{module}:{alias.name}"
                for alias in node.names
                if alias.name.startswith("_") and not alias.name.startswith("__")
            ]
    return found


def test_nothing_imports_a_private_name_from_another_module() -> None:
    offenders = {
        str(path.relative_to(ROOT)): private_imports(path)
        for package in (*PACKAGES, "tests", "bench")
        for path in python_files(package)
    }
    offenders = {path: names for path, names in offenders.items() if names}
    assert offenders == {}, f"private names imported across modules: {offenders}"


def test_the_checker_sees_every_kind_of_import() -> None:
    source = (
        "import api.app\n"
        "from planner import config\n"
        "from ..projections import readiness\n"
        "from . import catalog\n"
        "from eventsourcing import sqlite\n"
        "def later():\n"
        "    import importlib\n"
        "    importlib.import_module('api.routes')\n"
    )
    found = imports_of(source, ("domain",))
    assert found == {
        "api.app",
        "planner",
        "planner.config",
        "projections",
        "projections.readiness",
        "domain",
        "domain.catalog",
        "eventsourcing",
        "eventsourcing.sqlite",
        "importlib",
        "api.routes",
    }
    assert {name for module in found for name in matches(module, FORBIDDEN["domain"])} == {
        "api",
        "planner",
        "projections",
        "eventsourcing.sqlite",
    }
