"""The package's layout, as the README's Development section describes it: every name one module
takes from another is in that module's __all__, and no module grows past 600 lines."""

from __future__ import annotations

import ast
import functools
import importlib
import importlib.util
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

SRC = Path(__file__).resolve().parent.parent / "src"
MODULES = sorted((SRC / "convcli").rglob("*.py"))


def _module_name(path: Path) -> str:
    parts = path.relative_to(SRC).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imported_names_of(node: ast.ImportFrom, path: Path) -> list[tuple[str, str, int]]:
    """(module, name, line) for each name of a ``from convcli... import name`` in ``path``."""
    package = _module_name(path).split(".")
    if path.name != "__init__.py":
        package = package[:-1]
    if node.level:
        base = package[: len(package) - (node.level - 1)]
        module = ".".join(base + ([node.module] if node.module else []))
    else:
        module = node.module or ""
    if module.split(".")[0] != "convcli":
        return []
    return [(module, alias.name, node.lineno) for alias in node.names]


@functools.cache
def _tree(path: Path) -> ast.Module:
    """The module's syntax tree, parsed once for every test that reads it (none changes it)."""
    return ast.parse(path.read_text(encoding="utf-8"))


def _statements(node: ast.AST) -> Iterator[ast.AST]:
    """Every statement in ``node``, at any depth: an import is a statement, so only the lists of
    statements (bodies, else and finally blocks, except handlers and match cases) can hold one."""
    for field in ("body", "orelse", "finalbody", "handlers", "cases"):
        for child in getattr(node, field, None) or ():
            if isinstance(child, ast.AST):
                yield child
                yield from _statements(child)


def _imported_names(path: Path) -> list[tuple[str, str, int]]:
    """(module, name, line) for each ``from convcli... import name`` anywhere in the file."""
    return [
        found
        for node in _statements(_tree(path))
        if isinstance(node, ast.ImportFrom)
        for found in _imported_names_of(node, path)
    ]


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


def _layers() -> list[list[str]]:
    """The rows of the README's module table, bottom layer first: each row's module names
    (``torch_*`` names a family, ``parsing/`` a package)."""
    text = (SRC.parent / "README.md").read_text(encoding="utf-8")
    table = text.split("\nmodule                        holds\n", 1)[1].split("\n```", 1)[0]
    rows: list[list[str]] = []
    for line in table.splitlines():
        names = line[:30].strip()
        if not names:
            continue
        words = [w.strip().rstrip("/") for w in names.split(",") if w.strip()]
        if line.startswith(" "):
            rows[-1] += words
        else:
            rows.append(words)
    return rows


def _layer_of(module: str, layers: list[list[str]]) -> int | None:
    top = module.split(".")[1] if "." in module else None
    for i, names in enumerate(layers):
        for name in names:
            if top == name or (name.endswith("*") and top is not None and top.startswith(name[:-1])):
                return i
    return None


def test_modules_import_at_load_time_only_from_the_readme_layers_above_them():
    layers = _layers()
    assert ["errors", "model"] == layers[0] and ["cli"] == layers[-1]
    wrong = []
    for path in MODULES:
        module = _module_name(path)
        mine = _layer_of(module, layers)
        if module in ("convcli", "convcli.__main__"):
            continue
        assert mine is not None, f"{module} is in no row of the README's module table"
        for node in _tree(path).body:  # load time only: imports inside functions may reach further
            if not isinstance(node, ast.ImportFrom):
                continue
            for target, name, line in _imported_names_of(node, path):
                where = _layer_of(f"{target}.{name}" if target == "convcli" else target, layers)
                if where is not None and where > mine:
                    wrong.append(f"{module}:{line} imports {target} {name} from a layer below it")
    assert wrong == []
