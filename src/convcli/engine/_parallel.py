"""A small shared thread pool. NumPy's loops and BLAS release the GIL, so row blocks run in parallel."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    import queue

__all__ = ["WORKERS", "run_split", "spans"]


def _cpu_count() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


# At most two workers: the machines convcli targets have two cores, and at command-line sizes
# more threads rarely repay their hand-overs.
WORKERS = max(1, min(2, _cpu_count()))

_tasks: queue.SimpleQueue[_Span] | None = None
_lock = threading.Lock()
_inside = threading.local()  # set while a thread runs a span: nested splits run in place


class _Span:
    """One span handed to a worker thread, and what came of it."""

    def __init__(self, fn: Callable[[int, int], Any], lo: int, hi: int) -> None:
        self.fn, self.lo, self.hi = fn, lo, hi
        self.done = threading.Event()
        self.value: Any = None
        self.error: BaseException | None = None

    def result(self) -> Any:
        self.done.wait()
        if self.error is not None:
            raise self.error
        return self.value


def _work(tasks: queue.SimpleQueue[_Span]) -> None:
    while True:
        span = tasks.get()
        try:
            span.value = _quiet(span.fn, span.lo, span.hi)
        except BaseException as exc:  # the caller's result() raises it (Ctrl-C's cancel included)
            span.error = exc
        finally:
            span.done.set()


def _workers() -> queue.SimpleQueue[_Span]:
    """The queue the worker threads take spans from, the threads started on first use.

    The threads are daemons, and not concurrent.futures' pool: a Ctrl-C that lands while that
    pool starts a thread leaves the thread out of the list the pool's exit handler stops, and
    the interpreter then waits for it at exit forever. A daemon is never waited for; a run that
    is interrupted stops its workers at their next checkpoint (engine.progress).
    """
    global _tasks
    with _lock:
        if _tasks is None:
            # imported on first use: a homework-size run never starts a thread (start-up time)
            import queue

            tasks: queue.SimpleQueue[_Span] = queue.SimpleQueue()
            for i in range(max(1, WORKERS - 1)):
                threading.Thread(target=_work, args=(tasks,), name=f"convcli-engine-{i}", daemon=True).start()
            _tasks = tasks
        return _tasks


def spans(total: int, parts: int) -> list[tuple[int, int]]:
    """Split ``range(total)`` into at most ``parts`` contiguous spans of nearly equal length."""
    parts = max(1, min(parts, total))
    step = -(-total // parts)
    return [(lo, min(lo + step, total)) for lo in range(0, total, step)]


def run_split(fn: Callable[[int, int], Any], total: int, *, parallel: bool = True) -> list[Any]:
    """Call ``fn(lo, hi)`` on contiguous spans covering ``range(total)``, one span per worker.

    The calling thread takes the first span itself, so a single worker costs no thread at all.
    """
    nested = getattr(_inside, "active", False)
    parts: Sequence[tuple[int, int]] = spans(total, WORKERS if parallel and not nested else 1)
    if len(parts) == 1:
        return [_quiet(fn, *parts[0])]
    tasks = _workers()
    handed = [_Span(fn, lo, hi) for lo, hi in parts[1:]]
    for span in handed:
        tasks.put(span)
    first = _quiet(fn, *parts[0])
    return [first] + [span.result() for span in handed]


def _quiet(fn: Callable[[int, int], Any], lo: int, hi: int) -> Any:
    # nan and inf are results here, not accidents (ops reports the cells they reach); numpy's
    # error state is per thread, so each worker sets it for itself
    outer = getattr(_inside, "active", False)
    _inside.active = True
    try:
        with np.errstate(over="ignore", invalid="ignore"):
            return fn(lo, hi)
    finally:
        _inside.active = outer
