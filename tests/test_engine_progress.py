"""Long runs tell how far they have got, on a terminal only, and stop at once on Ctrl-C."""

from __future__ import annotations

import os
import pty
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from convcli.cli import ExitCode
from convcli.engine import conv2d, correlate_valid, progress
from convcli.model import Method

from . import forkrun

CONVCLI = [sys.executable, "-m", "convcli"]


class Recorder:
    def __init__(self) -> None:
        self.plans: list[tuple[str, str, float, int]] = []
        self.done = 0

    def started(self, method: str, reason: str, seconds: float, total: int) -> None:
        self.plans.append((method, reason, seconds, total))

    def advance(self, done: int) -> None:
        self.done += done


@pytest.mark.parametrize("method", [Method.DIRECT, Method.FFT, Method.OVERLAP_ADD])
def test_the_engine_announces_its_plan_and_reports_every_entry(method) -> None:
    rng = np.random.default_rng(1)
    a, k = rng.standard_normal((300, 310)), rng.standard_normal((9, 9))
    recorder = Recorder()
    with progress.listening(recorder):
        out, choice = correlate_valid(a, k, method)
    assert [p[0] for p in recorder.plans] == [method.value]
    _, reason, seconds, total = recorder.plans[0]
    assert reason == choice.reason and seconds > 0 and total == out.size
    if method is not Method.FFT:  # one transform reports nothing until it is done
        assert recorder.done >= out.size


def test_layers_report_their_blocks() -> None:
    rng = np.random.default_rng(2)
    recorder = Recorder()
    with progress.listening(recorder):
        out, _ = conv2d(rng.standard_normal((8, 60, 60)), rng.standard_normal((16, 8, 3, 3)))
    assert recorder.plans[0][3] == out.size == recorder.done


def test_cancel_stops_every_later_checkpoint_until_resumed() -> None:
    progress.cancel()
    try:
        with pytest.raises(KeyboardInterrupt):
            correlate_valid(np.ones((400, 400)), np.ones((9, 9)), Method.DIRECT)
    finally:
        progress.resume()
    assert correlate_valid(np.ones((4, 4)), np.ones((2, 2)))[0].tolist() == [[4.0] * 3] * 3


@pytest.fixture(scope="module")
def long_inputs(tmp_path_factory) -> Path:
    """Inputs for a run of many seconds with --method direct (the chooser estimates it too)."""
    folder = tmp_path_factory.mktemp("long")
    rng = np.random.default_rng(3)
    np.save(folder / "A.npy", rng.standard_normal((1500, 1500)))
    np.save(folder / "K.npy", rng.standard_normal((101, 101)))
    return folder


def read_until(fd: int, marker: bytes, deadline: float) -> bytes:
    """Read from ``fd`` until ``marker`` shows up (no fixed sleeps), failing after ``deadline`` s."""
    seen = b""
    end = time.monotonic() + deadline
    while marker not in seen:
        left = end - time.monotonic()
        assert left > 0, f"no {marker!r} within {deadline} s; got {seen[-500:]!r}"
        ready, _, _ = select.select([fd], [], [], left)
        if ready:
            try:
                chunk = os.read(fd, 65536)
            except OSError:  # the terminal closed
                chunk = b""
            assert chunk, f"the output ended before {marker!r}: {seen[-500:]!r}"
            seen += chunk
    return seen


def interrupt(proc: forkrun.Process | subprocess.Popen, drain: int | None = None) -> float:
    """Send SIGINT; return the seconds until the process has ended. ``drain`` is a terminal to
    keep reading meanwhile (a terminal nobody reads blocks the writer)."""
    sent = time.monotonic()
    proc.send_signal(signal.SIGINT)
    try:
        while proc.poll() is None and time.monotonic() - sent < 30:
            if drain is not None and select.select([drain], [], [], 0.01)[0]:
                try:
                    os.read(drain, 65536)
                except OSError:
                    pass
            else:
                time.sleep(0.01)
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait()
    return time.monotonic() - sent


def test_ctrl_c_ends_a_long_run_at_once_and_leaves_no_output(long_inputs) -> None:
    # --verbose says which method runs and its estimate before the work starts: the sign to wait for
    out = long_inputs / "out.npy"
    with forkrun.popen(
        [*CONVCLI, "correlate", "A.npy", "K.npy", "--method", "direct", "-o", str(out), "--verbose"],
        cwd=long_inputs,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    ) as proc:
        assert proc.stderr is not None and proc.stdout is not None
        announced = read_until(proc.stderr.fileno(), b"\n", 60)
        assert announced.startswith(b"method: direct (101x101 kernel on 1500x1500 float64: direct as asked")
        assert b"(est. " in announced
        took = interrupt(proc)
        rest, printed = proc.stderr.read(), proc.stdout.read()
    assert proc.returncode == ExitCode.INTERRUPTED
    assert took < 2.0, f"Ctrl-C took {took:.2f} s to end the run"
    assert b"Traceback" not in rest and printed == b""
    assert sorted(p.name for p in long_inputs.iterdir()) == ["A.npy", "K.npy"]  # no out.npy, no .part


def test_progress_bar_on_a_terminal_only(long_inputs) -> None:
    controller, terminal = pty.openpty()
    env = dict(os.environ, NO_COLOR="1", COLUMNS="80")
    try:
        proc = forkrun.popen(
            [*CONVCLI, "correlate", "A.npy", "K.npy", "--method", "direct"],
            cwd=long_inputs,
            stdin=subprocess.DEVNULL,
            stdout=terminal,
            stderr=terminal,
            env=env,
        )
        shown = read_until(controller, b"direct, est. ", 60)
        shown += read_until(controller, b"%", 10)
        took = interrupt(proc, drain=controller)
    finally:
        os.close(terminal)
        os.close(controller)
    assert proc.returncode == ExitCode.INTERRUPTED and took < 2.0
    assert b"Traceback" not in shown
    # piped, the same run shows no bar: only the result (none here) and notes reach the pipes
    with forkrun.popen(
        [*CONVCLI, "correlate", "A.npy", "K.npy", "--method", "direct", "--verbose"],
        cwd=long_inputs,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
    ) as proc:
        assert proc.stderr is not None and proc.stdout is not None
        fd = proc.stderr.fileno()
        announced = read_until(fd, b"\n", 60)
        ready, _, _ = select.select([fd], [], [], 0.5)  # a bar would refresh ten times a second
        later = os.read(fd, 65536) if ready else b""
        interrupt(proc)
        printed = proc.stdout.read()
    assert proc.returncode == ExitCode.INTERRUPTED
    assert announced.startswith(b"method: direct (101x101 kernel on 1500x1500 float64: direct as asked")
    assert b"%" not in later and b"est." not in later
    assert printed == b""
