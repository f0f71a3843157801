"""Helpers for tests that run the command line: in-process with CliRunner, or as a real process."""

from __future__ import annotations

import os
import signal
import sys

from typer.testing import CliRunner

from convcli.cli import ExitCode, app

INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
CONVCLI = [sys.executable, "-m", "convcli"]


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


def default_sigint() -> None:
    """In a child process: Ctrl-C as on a terminal, even when this runner was started with SIGINT
    ignored (as background jobs are), which Python would otherwise honour by never raising."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def subprocess_env() -> dict[str, str]:
    env = dict(os.environ)
    env.pop("COLUMNS", None)
    env["NO_COLOR"] = "1"
    return env
