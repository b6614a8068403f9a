"""Layering: the domain depends on nothing of ours above it; projections never on api/planner."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def imports_of(source: str, package: tuple[str, ...]) -> set[str]:
    """Top-level names of every module a source imports (absolute, relative, import_module)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: resolve against the file's package
                base = package[: len(package) - node.level + 1]
                module = [*base, *(node.module.split(".") if node.module else [])]
                if module:
                    names.add(module[0])
            elif node.module:
                names.add(node.module.split(".")[0])
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute | ast.Name)
            and getattr(node.func, "attr", getattr(node.func, "id", "")) == "import_module"
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            names.add(node.args[0].value.split(".")[0])
    return names


def imported_packages(path: Path) -> set[str]:
    """Top-level names of every module a file imports."""
    package = path.parent.relative_to(ROOT).parts
    return imports_of(path.read_text(encoding="utf-8"), package)


def python_files(package: str) -> list[Path]:
    files = sorted((ROOT / package).rglob("*.py"))
    return [f for f in files if "__pycache__" not in f.parts]


@pytest.mark.parametrize(
    ("package", "forbidden"),
    [
        ("domain", {"projections", "api", "planner"}),
        ("projections", {"api", "planner"}),
    ],
)
def test_layers_import_only_downwards(package: str, forbidden: set[str]) -> None:
    files = python_files(package)
    if package == "domain":
        assert len(files) >= 10, "the domain package was not found"
    offenders = {
        str(path.relative_to(ROOT)): sorted(imported_packages(path) & forbidden)
        for path in files
        if imported_packages(path) & forbidden
    }
    assert offenders == {}, f"{package}/ must not import {sorted(forbidden)}: {offenders}"


def test_the_checker_sees_every_kind_of_import() -> None:
    source = (
        "import api.app\n"
        "from planner import config\n"
        "from ..projections import readiness\n"
        "from . import catalog\n"
        "def later():\n"
        "    import importlib\n"
        "    importlib.import_module('api.routes')\n"
    )
    assert imports_of(source, ("domain",)) == {
        "api",
        "planner",
        "projections",
        "domain",
        "importlib",
    }
