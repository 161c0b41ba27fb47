"""The layout's promises that import-linter does not check: no module reaches into another
module's ``_private`` names (by ``from x import _name`` or ``module._name``)."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("tasks_app", "deadline_emulator", "dashboard", "bench", "tests")


def _python_files() -> Iterator[Path]:
    for package in PACKAGES:
        yield from sorted((ROOT / package).rglob("*.py"))


def _private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def private_imports(source: str) -> list[str]:
    """``from m import _x`` and ``m._x`` where ``m`` is a module this source imported."""
    tree = ast.parse(source)
    modules: set[str] = set()
    found: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            modules.update((alias.asname or alias.name).split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            for alias in node.names:
                if _private(alias.name):
                    found.append(f"line {node.lineno}: from {node.module} import {alias.name}")
                else:
                    # ``from package import module``: the name may be a module.
                    modules.add(alias.asname or alias.name)
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id in modules
            and _private(node.attr)
        ):
            found.append(f"line {node.lineno}: {node.value.id}.{node.attr}")
    return found


def test_the_check_finds_both_forms() -> None:
    source = "from a import _b\nimport c\nfrom d import e\nc._f()\ne._g\n"
    assert len(private_imports(source)) == 3


def test_no_module_imports_another_modules_private_names() -> None:
    offenders = {
        str(path.relative_to(ROOT)): found
        for path in _python_files()
        if (found := private_imports(path.read_text()))
    }
    assert offenders == {}
