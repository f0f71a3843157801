"""Start-up: a homework-size run loads only what it needs (README's "Speed"). Timing lives in benchmarks/."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from convcli.cli import ExitCode

_ROOT = str(Path(__file__).resolve().parent.parent)

# Runs the command in a fresh interpreter and prints, on stderr, the modules it loaded; the
# interpreter ends with the command's exit status.
_PROBE = """
import sys
from convcli.cli import main
sys.argv = ["convcli", *sys.argv[1:]]
status = 0
try:
    main()
except SystemExit as end:
    status = end.code
print(" ".join(sorted(sys.modules)), file=sys.stderr)
sys.exit(status)
"""


def loaded(*args: str) -> tuple[str, set[str]]:
    """The stdout of a run that succeeded with nothing on stderr, and the modules it loaded."""
    proc = subprocess.run(
        [sys.executable, "-c", _PROBE, *args], capture_output=True, text=True, timeout=60, cwd=_ROOT
    )
    *said, modules = proc.stderr.strip().splitlines()
    assert (proc.returncode, said) == (ExitCode.OK, []), proc.stderr[-2000:]
    return proc.stdout, set(modules.split())


@pytest.mark.parametrize("fmt", [[], ["-f", "json"]])
def test_a_piped_run_loads_neither_rich_nor_scipy_nor_sympy(fmt: list[str]) -> None:
    out, modules = loaded("convolve", "samples/A.txt", "samples/B.txt", *fmt)
    if fmt:
        assert json.loads(out)["result"] == [[4, 3, 4], [2, 4, 3], [2, 3, 4]]
    else:
        assert out == "4 3 4\n2 4 3\n2 3 4\n"
    heavy = sorted(m for m in modules if m.split(".")[0] in ("rich", "scipy", "sympy"))
    assert heavy == []
    assert "convcli.render" not in modules
    # the explaining commands' types and modules cost every run their import time
    assert not modules & {"convcli.explanations", "convcli.steps", "convcli.diagnose", "convcli.transpose"}


def test_a_run_does_not_import_pydantic() -> None:
    # the reason for typer's <0.29 pin in pyproject.toml: typer 0.29 validates options through
    # pydantic, whose import is most of a homework-size run's start-up time
    out, modules = loaded("convolve", "samples/A.txt", "samples/B.txt")
    assert out == "4 3 4\n2 4 3\n2 3 4\n"
    assert sorted(m for m in modules if m.split(".")[0] in ("pydantic", "pydantic_core")) == []


def test_notes_and_errors_reach_a_piped_stderr_without_rich() -> None:
    proc = subprocess.run(
        [sys.executable, "-c", _PROBE, "correlate", "1 nan", "1", "-v"],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=_ROOT,
    )
    lines = proc.stderr.strip().splitlines()
    assert (proc.returncode, proc.stdout) == (ExitCode.OK, "1.0 nan\n")
    assert len(lines) == 3  # the method, the note, then the modules
    assert lines[0].startswith("method: direct (") and "the tap loop" in lines[0]
    assert lines[1].startswith("note: nan reached 1 cell: [")
    assert not any(m.startswith("rich") for m in lines[-1].split())
    proc = subprocess.run(
        [sys.executable, "-c", _PROBE, "dot", "samples/A.txt", "samples/B.txt"],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=_ROOT,
    )
    assert (proc.returncode, proc.stdout) == (ExitCode.USAGE_OR_INPUT, "")
    assert proc.stderr.splitlines()[:-1] == [
        "error: dot: A is 5x5 and B is 3x3; the inner dimensions (5 and 3) must match"
    ]
    assert not any(m.startswith("rich") for m in proc.stderr.splitlines()[-1].split())
