from __future__ import annotations

import functools
import importlib.util
import os
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples"

# The suite starts about a hundred real convcli processes (pipes, signals, terminals). Where the
# environment asks Python not to write bytecode, each of them compiled every convcli module again
# (about 0.1 s of CPU each); the processes this suite starts may cache it, as Python does by default.
os.environ.pop("PYTHONDONTWRITEBYTECODE", None)

SEED_A = np.array([[1, 1, 1, 0, 0], [0, 1, 1, 1, 0], [0, 0, 1, 1, 1], [0, 0, 1, 1, 0], [0, 1, 1, 0, 0]])
SEED_B = np.array([[1, 0, 1], [0, 1, 0], [1, 0, 1]])
WINDOW = np.array([[1, 1, 1], [0, 1, 1], [0, 0, 1]])
B2 = np.array([[1, 0, 0], [0, 1, 0], [1, 0, 1]])


@pytest.fixture(autouse=True, scope="session")
def _build_the_command_line_once():
    """typer's CliRunner turns the app into a click command on every invoke: some 20 ms, most of
    the cost of a small in-process run, paid by over a thousand runs. The app is not changed after
    import, so build its command once. (A typer without this hook only makes the runs slower.)"""
    import typer.testing

    build = getattr(typer.testing, "_get_command", None)
    if build is None:
        yield
        return
    typer.testing._get_command = functools.cache(build)
    try:
        yield
    finally:
        typer.testing._get_command = build


@pytest.fixture
def samples() -> Path:
    return SAMPLES


@functools.cache
def make_pictures() -> ModuleType:
    """scripts/make_pictures.py, which the picture and browser tests share (it is not a package)."""
    spec = importlib.util.spec_from_file_location("make_pictures", ROOT / "scripts" / "make_pictures.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def browser():
    """One headless chromium for all the browser tests a worker runs: each start takes a second."""
    with make_pictures().chromium(1024, 900) as driver:
        yield driver


@pytest.fixture(autouse=True, scope="session")
def _fork_server():
    """The worker's fork server (tests/forkrun.py) starts on a test's first real process; it
    ends when the tests do."""
    from . import forkrun

    yield
    forkrun.shutdown()
