"""A small shared thread pool. NumPy's loops and BLAS release the GIL, so row blocks run in parallel."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from concurrent.futures import ThreadPoolExecutor

__all__ = ["WORKERS", "run_split", "spans"]


def _cpu_count() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


# At most two workers: the machines convcli targets have two cores, and at command-line sizes
# more threads rarely repay their hand-overs.
WORKERS = max(1, min(2, _cpu_count()))

_pool: ThreadPoolExecutor | None = None
_lock = threading.Lock()
_inside = threading.local()  # set while a thread runs a span: nested splits run in place


def _executor() -> ThreadPoolExecutor:
    global _pool
    with _lock:
        if _pool is None:
            # imported on first use: a homework-size run never starts a thread (start-up time)
            from concurrent.futures import ThreadPoolExecutor

            _pool = ThreadPoolExecutor(max_workers=WORKERS, thread_name_prefix="convcli-engine")
        return _pool


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
    pool = _executor()
    futures = [pool.submit(_quiet, fn, lo, hi) for lo, hi in parts[1:]]
    first = _quiet(fn, *parts[0])
    return [first] + [f.result() for f in futures]


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
