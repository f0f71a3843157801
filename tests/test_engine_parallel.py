"""engine._parallel: spans handed to worker threads, their results in order, their errors raised
in the caller, and threads that never keep an interrupted run from ending."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import threading

import pytest

from convcli.engine import _parallel
from convcli.engine._parallel import WORKERS, run_split, spans


def test_spans_cover_the_range_in_order_and_nearly_equal():
    assert spans(10, 2) == [(0, 5), (5, 10)]
    assert spans(7, 3) == [(0, 3), (3, 6), (6, 7)]
    assert spans(1, 2) == [(0, 1)]
    assert spans(5, 0) == [(0, 5)]


def test_each_span_is_computed_once_and_the_results_keep_their_order():
    calls: list[tuple[int, int, str]] = []

    def part(lo: int, hi: int) -> list[int]:
        calls.append((lo, hi, threading.current_thread().name))
        return [i * i for i in range(lo, hi)]

    results = run_split(part, 9)
    assert sum(results, []) == [i * i for i in range(9)]
    assert sorted((lo, hi) for lo, hi, _ in calls) == spans(9, WORKERS)
    if WORKERS > 1:  # the caller takes the first span, a worker thread the other
        assert {name for lo, _, name in calls if lo > 0} <= {f"convcli-engine-{i}" for i in range(WORKERS)}


@pytest.mark.skipif(WORKERS < 2, reason="one core: every span runs in the calling thread")
def test_an_error_in_a_worker_is_raised_in_the_caller():
    def part(lo: int, hi: int) -> int:
        if lo > 0:
            raise ArithmeticError(f"span {lo}-{hi}")
        return hi - lo

    with pytest.raises(ArithmeticError, match="span 5-10"):
        run_split(part, 10)
    assert run_split(lambda lo, hi: hi - lo, 10) == [5, 5]  # the worker is still there


@pytest.mark.skipif(WORKERS < 2, reason="one core: no thread is started")
def test_a_ctrl_c_while_a_worker_starts_does_not_keep_the_process_alive():
    # Ctrl-C lands inside Thread.start: the thread runs, but the caller never records it. A
    # thread the interpreter waits for at exit (concurrent.futures' pool threads) would then
    # keep the interrupted run alive for ever; the process must end at once.
    script = textwrap.dedent(
        """
        import threading
        from convcli.engine._parallel import run_split

        start = threading.Thread.start

        def interrupted(self):
            start(self)
            threading.Thread.start = start
            raise KeyboardInterrupt

        threading.Thread.start = interrupted
        try:
            run_split(lambda lo, hi: hi - lo, 10)
        except KeyboardInterrupt:
            print("interrupted")
        """
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert (done.returncode, done.stdout, done.stderr) == (0, "interrupted\n", "")


def test_worker_threads_are_started_once():
    run_split(lambda lo, hi: hi - lo, 10)
    first = _parallel._tasks
    run_split(lambda lo, hi: hi - lo, 10)
    assert _parallel._tasks is first
    engine = [t for t in threading.enumerate() if t.name.startswith("convcli-engine-")]
    assert len(engine) == (max(1, WORKERS - 1) if WORKERS > 1 else 0)
