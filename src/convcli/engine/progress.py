"""How far a long computation has got, told to whoever listens; and how to stop it.

The engine never prints: before it runs a method it calls ``started`` (the method, why, the
estimated time and how many output entries it will make), and its chunked loops call
``checkpoint`` with the entries each chunk finished. The command line listens (``listening``)
and draws a progress bar. ``cancel`` makes every later checkpoint raise KeyboardInterrupt, in
whichever thread it runs, so that worker threads stop within one chunk after Ctrl-C.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Protocol

__all__ = ["Listener", "listening", "started", "checkpoint", "cancel", "cancelled", "resume"]


class Listener(Protocol):
    def started(self, method: str, reason: str, seconds: float, total: int) -> None:
        """A method is about to run: ``total`` output entries, about ``seconds`` seconds."""

    def advance(self, done: int) -> None:
        """``done`` more output entries are finished (called from any thread)."""


_listener: Listener | None = None
_stop = threading.Event()


@contextmanager
def listening(listener: Listener) -> Iterator[None]:
    """Report to ``listener`` while the block runs."""
    global _listener
    previous, _listener = _listener, listener
    try:
        yield
    finally:
        _listener = previous


def started(method: str, reason: str, seconds: float, total: int) -> None:
    if _stop.is_set():
        raise KeyboardInterrupt
    if _listener is not None:
        _listener.started(method, reason, seconds, total)


def checkpoint(done: int = 0) -> None:
    """Between two chunks of work: stop if cancelled, else report ``done`` entries finished."""
    if _stop.is_set():
        raise KeyboardInterrupt
    if done and _listener is not None:
        _listener.advance(done)


def cancel() -> None:
    """Make every running and later computation stop at its next checkpoint."""
    _stop.set()


def cancelled() -> bool:
    return _stop.is_set()


def resume() -> None:
    """Let computations run again (a new run in the same process, after ``cancel``)."""
    _stop.clear()
