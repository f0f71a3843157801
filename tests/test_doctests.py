"""The examples in the docstrings of src/convcli run, and give what they show."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import convcli

# __main__ runs the command line when imported
MODULES = sorted(
    info.name
    for info in pkgutil.walk_packages(convcli.__path__, "convcli.")
    if not info.name.endswith("__main__")
)


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0


def test_the_public_functions_have_examples() -> None:
    # the count guards against a change that silently stops collecting them
    finder = doctest.DocTestFinder()
    examples = {
        name: sum(len(t.examples) for t in finder.find(importlib.import_module(name))) for name in MODULES
    }
    assert sum(examples.values()) >= 30
    for name in ("convcli.ops", "convcli.transpose", "convcli.shapes", "convcli.diagnose"):
        assert examples[name] > 0, name
