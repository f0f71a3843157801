"""The exit statuses of every command, by name; tests assert the names."""

from __future__ import annotations

__all__ = ["ExitCode"]


class ExitCode:
    """Exit statuses: grep's and diff's convention, and sysexits' EX_SOFTWARE for a bug."""

    OK = 0
    WRONG_ANSWER = 1
    USAGE_OR_INPUT = 2
    INTERNAL = 70
    INTERRUPTED = 130
    TERMINATED = 143  # 128 + SIGTERM: what a shell reports for a process ended by SIGTERM
