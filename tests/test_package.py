"""The package's layout, as the README's Development section describes it: every name one module
takes from another is in that module's __all__, and no module grows past 600 lines."""

from __future__ import annotations

import ast
import importlib
import importlib.util
from pathlib import Path
from types import ModuleType

import pytest

SRC = Path(__file__).resolve().parent.parent / "src"
MODULES = sorted((SRC / "convcli").rglob("*.py"))


def _module_name(path: Path) -> str:
    parts = path.relative_to(SRC).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imported_names(path: Path) -> list[tuple[str, str, int]]:
    """(module, name, line) for each ``from convcli... import name`` in the file."""
    package = _module_name(path).split(".")
    if path.name != "__init__.py":
        package = package[:-1]
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not isinstance(node, ast.ImportFrom):
            continue
        if node.level:
            base = package[: len(package) - (node.level - 1)]
            module = ".".join(base + ([node.module] if node.module else []))
        else:
            module = node.module or ""
        if module.split(".")[0] == "convcli":
            found += [(module, alias.name, node.lineno) for alias in node.names]
    return found


def _is_submodule(package: ModuleType, name: str) -> bool:
    return hasattr(package, "__path__") and importlib.util.find_spec(f"{package.__name__}.{name}") is not None


def test_every_name_taken_from_another_module_is_in_its_all():
    missing = []
    for path in MODULES:
        for module, name, line in _imported_names(path):
            source = importlib.import_module(module)
            exported = getattr(source, "__all__", None)
            if exported is None or _is_submodule(source, name):
                continue
            if name not in exported:
                missing.append(f"{path.relative_to(SRC)}:{line} takes {name} from {module}")
    assert missing == []


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(SRC / "convcli")))
def test_no_module_is_past_600_lines(path):
    assert len(path.read_text(encoding="utf-8").splitlines()) <= 600
