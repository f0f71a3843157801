"""Helpers for tests that run the command line: in-process with CliRunner, or as a real process
(tests/forkrun.py starts those)."""

from __future__ import annotations

import os

from typer.testing import CliRunner

from convcli.cli import ExitCode, app

from .forkrun import CONVCLI as CONVCLI  # the tests' real processes: python -m convcli

INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1


def run(*args: str, input: str | bytes | None = None):
    return CliRunner().invoke(app, list(args), input=input)


def assert_error(result, *needles: str) -> str:
    """Exit 2, nothing on stdout, exactly one ``error:`` line (first), no traceback; returns stderr."""
    assert result.exit_code == ExitCode.USAGE_OR_INPUT, (result.exit_code, result.stdout, result.stderr)
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert lines and lines[0].startswith("error: "), result.stderr
    assert sum(line.startswith("error:") for line in lines) == 1
    assert len(lines) <= 3  # the message, and for a located parse error the line and a caret
    assert "Traceback" not in result.stderr and "internal error" not in result.stderr
    for needle in needles:
        assert needle in result.stderr, (needle, result.stderr)
    return result.stderr


def assert_ok(result, stdout: str | None = None) -> None:
    assert result.exit_code == ExitCode.OK, (result.exit_code, result.stdout, result.stderr)
    assert "Traceback" not in result.stderr and "error:" not in result.stderr
    if stdout is not None:
        assert result.stdout == stdout


def subprocess_env() -> dict[str, str]:
    env = dict(os.environ)
    env.pop("COLUMNS", None)
    env["NO_COLOR"] = "1"
    return env
