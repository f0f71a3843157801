"""Ctrl-C at any moment of steps --play: delivered at many points of a run, it always ends the run
with KeyboardInterrupt (the error boundary's 130), the cursor shown again, the terminal's settings
and stdout as they were, and never a second wait for a key."""

from __future__ import annotations

import fcntl
import io
import os
import signal
import struct
import sys
import termios
import threading

import pytest
from rich.console import Console

from convcli import play
from convcli.cli.emit import Terminal
from convcli.frames import animate_steps
from convcli.model import Op

from .conftest import B2, SEED_A


class _StillWaiting(BaseException):
    """The run went on after Ctrl-C (it would have waited 60 s for a key)."""


def _fill(fd: int) -> None:
    """Fill the terminal's output, as a terminal that has not yet read what came before: the
    run's next writes block until the reader catches up, so Ctrl-C lands in them."""
    os.set_blocking(fd, False)
    try:
        while True:
            os.write(fd, b"x" * 1024)
    except BlockingIOError:
        pass
    finally:
        os.set_blocking(fd, True)


main_thread_only = pytest.mark.skipif(
    threading.current_thread() is not threading.main_thread(), reason="signals need the main thread"
)


# The alarm may land inside a garbage-collector callback of the test runner's own (hypothesis
# keeps one), where Python reports the KeyboardInterrupt as "Exception ignored" and goes on: the
# run must end all the same, which is what this test checks, so that report is not a failure.
@main_thread_only
@pytest.mark.filterwarnings("ignore:(?s).*KeyboardInterrupt:pytest.PytestUnraisableExceptionWarning")
def test_ctrl_c_at_any_moment_ends_the_run(monkeypatch):
    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 50, 80, 0, 0))
    stdin = os.fdopen(slave, "r")
    stdout = io.TextIOWrapper(io.BufferedWriter(io.FileIO(os.dup(slave), "w")), encoding="utf-8")
    monkeypatch.setattr(sys, "stdin", stdin)
    before = termios.tcgetattr(slave)
    previous = {s: signal.signal(s, h) for s, h in ((signal.SIGINT, signal.default_int_handler),)}
    previous[signal.SIGALRM] = signal.getsignal(signal.SIGALRM)
    alarms = []

    def on_alarm(signum, frame):
        alarms.append(signum)
        if len(alarms) == 1:  # Ctrl-C now, and a watchdog in case the run goes on
            signal.setitimer(signal.ITIMER_REAL, 5)
            signal.raise_signal(signal.SIGINT)
        else:
            raise _StillWaiting

    signal.signal(signal.SIGALRM, on_alarm)
    received: list[bytes] = []
    try:
        for i in range(8):  # Ctrl-C from 2 to 30 ms into the run: setting up, drawing, waiting
            alarms.clear()
            _fill(slave)
            monkeypatch.setattr(sys, "stdout", stdout)
            console = Console(file=Terminal(), highlight=False, markup=False, emoji=False)  # type: ignore[arg-type]
            finished = threading.Event()
            reader = threading.Timer(0.04, lambda done: received.append(_drain(master, done)), [finished])
            reader.start()
            signal.setitimer(signal.ITIMER_REAL, 0.002 + i * 0.004)
            with pytest.raises(KeyboardInterrupt):
                play.play(animate_steps(Op.CONVOLVE, SEED_A, B2), console, delay=60)
            signal.setitimer(signal.ITIMER_REAL, 0)
            finished.set()
            reader.join()
            stdout.flush()
            shown = received.pop().decode("utf-8", "replace").lstrip("x")
            assert alarms == [signal.SIGALRM]
            assert sys.stdout is stdout  # rich's redirection of stdout is undone
            assert termios.tcgetattr(slave) == before
            if "\x1b[?25l" in shown:  # the cursor was hidden: it is shown again, last
                assert shown.rstrip("\r\n").endswith("\x1b[?25h"), (i, shown[-200:])
            if "steps · " in shown:  # a frame was drawn: the last one says how the run ended
                assert "step 1 of 10 · interrupted" in shown[shown.rindex("steps · ") :], (i, shown[-300:])
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        for s, h in previous.items():
            signal.signal(s, h)
        stdout.close()
        stdin.close()
        os.close(master)


def _drain(fd: int, finished: threading.Event) -> bytes:
    """What the terminal received: read until the run has returned and the terminal is quiet, so
    that however slow the machine, the run's writes never wait for a reader that has stopped."""
    import select

    data = b""
    while select.select([fd], [], [], 0.05)[0] or not finished.is_set():
        if select.select([fd], [], [], 0)[0]:
            data += os.read(fd, 65536)
    return data


@main_thread_only
@pytest.mark.parametrize("keyboard", [False, True])
def test_a_ctrl_c_lost_on_the_way_still_ends_the_wait_for_a_key(keyboard):
    # the KeyboardInterrupt of a press is swallowed (as in a finalizer) just before the wait for
    # a key: the wait (5 s here; a frame's delay, or for ever when paused) must end at once
    master, slave = os.openpty() if keyboard else (None, None)
    ctrl_c = play._CtrlC()
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        with pytest.raises(KeyboardInterrupt), ctrl_c.installed():
            with ctrl_c.allowed():
                try:
                    signal.raise_signal(signal.SIGINT)
                except KeyboardInterrupt:
                    pass  # lost
                with pytest.raises(KeyboardInterrupt):
                    play._wait(slave, 5, ctrl_c.wake)
        assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
        assert ctrl_c.wake is None
    finally:
        signal.signal(signal.SIGINT, previous)
        for fd in (master, slave):
            if fd is not None:
                os.close(fd)
