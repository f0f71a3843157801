"""steps --play: an animation on the terminal, with keys to pause, step and stop.

Part of the command line, like the cli package: it draws with rich and reads keys from the terminal. The
frames come from frames.py and are drawn by render_frames.play_frame; this module only keeps time,
reads keys and leaves the terminal as it found it, however the run ends.
"""

from __future__ import annotations

import contextlib
import os
import select
import signal
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass

from rich.console import Console, RenderableType
from rich.live import Live

from . import render_frames
from .frames import DEFAULT_DELAY, Animation, Frame, Progress

__all__ = ["play", "drawn_frames", "keyboard", "parse_keys"]

QUIT, PAUSE, NEXT, PREVIOUS = "quit", "pause", "next", "previous"
_KEYS = {
    b" ": PAUSE,
    b"q": QUIT,
    b"Q": QUIT,
    b"\x1b[C": NEXT,
    b"\x1bOC": NEXT,
    b"\x1b[D": PREVIOUS,
    b"\x1bOD": PREVIOUS,
}
HELP = "space pause · ← → step · q stop"


def parse_keys(data: bytes) -> list[str]:
    """The keys in what the terminal sent (several may arrive at once); others are ignored."""
    keys = []
    i = 0
    while i < len(data):
        for length in (3, 1):
            key = _KEYS.get(data[i : i + length])
            if key is not None:
                keys.append(key)
                i += length
                break
        else:
            i += 3 if data[i : i + 2] in (b"\x1b[", b"\x1bO") else 1
    return keys


@contextlib.contextmanager
def keyboard() -> Iterator[int | None]:
    """The terminal's keys, one at a time and unechoed, as a file descriptor (None when there is
    no terminal to read). The terminal's settings are restored on every way out."""
    try:
        import termios
        import tty
    except ImportError:  # not a POSIX system: the animation plays without keys
        yield None
        return
    opened = None
    if sys.stdin.isatty():
        fd = sys.stdin.fileno()
    else:  # standard input holds a matrix: the keys come from the terminal itself
        try:
            fd = opened = os.open("/dev/tty", os.O_RDONLY | os.O_NOCTTY)
        except OSError:
            yield None
            return
    try:
        saved = termios.tcgetattr(fd)
    except termios.error:
        if opened is not None:
            os.close(opened)
        yield None
        return
    try:
        tty.setcbreak(fd)  # keys arrive as typed; Ctrl-C still interrupts
        yield fd
    finally:
        termios.tcsetattr(fd, termios.TCSADRAIN, saved)
        if opened is not None:
            os.close(opened)


def _wait(fd: int | None, timeout: float | None, wake: int | None = None) -> list[str]:
    """Keys pressed within ``timeout`` seconds (None: until one is pressed). A byte on ``wake``
    is a Ctrl-C whose KeyboardInterrupt was lost on its way (see _CtrlC): it raises one now."""
    if fd is None and timeout is None:
        return [QUIT]  # paused with no keyboard: nothing could resume it
    watched = [f for f in (fd, wake) if f is not None]
    if not watched:  # no keyboard, no Ctrl-C pipe: the delay passes
        time.sleep(timeout or 0)
        return []
    deadline = None if timeout is None else time.monotonic() + timeout
    while True:
        left = None if deadline is None else max(deadline - time.monotonic(), 0)
        ready, _, _ = select.select(watched, [], [], left)
        if wake is not None and wake in ready:
            raise KeyboardInterrupt
        if not ready or fd is None:
            return []
        data = os.read(fd, 64)
        if not data:  # the terminal has gone away
            return [QUIT]
        keys = parse_keys(data)
        if keys:
            return keys


class _CtrlC:
    """Ctrl-C while playing, made safe to press at any moment.

    Python raises KeyboardInterrupt wherever the program is when the signal comes: in the middle
    of a frame's write to the terminal (the rest of the frame lost, rich's buffer left full, the
    cursor left hidden when it was Live starting or stopping), or inside a finalizer run by the
    garbage collector, which reports the exception and goes on, so that the run went back to
    waiting for a key. Here a press is only recorded; it raises at once only where the run may
    be cut short (waiting for a key, making a frame), and a press recorded anywhere else raises
    at the next such place, or when the terminal has been restored. Each press also writes a
    byte to a pipe that the wait for a key watches (``wake``), so that a raise lost on the way
    into that wait cannot leave it waiting.
    """

    def __init__(self) -> None:
        self.pressed = False
        self.open = False
        self.wake: int | None = None
        self._ring: int | None = None

    def __call__(self, signum: int, frame: object) -> None:
        self.pressed = True  # kept even if the raise below is swallowed
        if self._ring is not None:
            with contextlib.suppress(OSError):  # full: a byte is there already
                os.write(self._ring, b"\0")
        if self.open:
            raise KeyboardInterrupt

    @contextlib.contextmanager
    def allowed(self) -> Iterator[None]:
        """A block that Ctrl-C may cut short; a press held until now raises on entry."""
        self.open = True  # before the check: a press between the two raises from the handler
        try:
            if self.pressed:
                raise KeyboardInterrupt
            yield
        finally:
            self.open = False

    @contextlib.contextmanager
    def installed(self) -> Iterator[None]:
        """Handle SIGINT for the block (when Python's own handler has it, in the main thread), and
        raise KeyboardInterrupt once the block is over if a press was held."""
        own = (
            threading.current_thread() is threading.main_thread()
            and signal.getsignal(signal.SIGINT) is signal.default_int_handler
        )
        if not own:  # ignored (a background job) or someone else's: as it was
            yield
            return
        signal.signal(signal.SIGINT, self)  # from here a press raises only where it may
        try:
            if os.name == "posix":  # select watches pipes only there
                self.wake, self._ring = os.pipe()
                os.set_blocking(self._ring, False)
            yield
        finally:
            pipe, self.wake, self._ring = (self.wake, self._ring), None, None
            for end in pipe:
                if end is not None:
                    os.close(end)
            signal.signal(signal.SIGINT, signal.default_int_handler)
        if self.pressed:
            raise KeyboardInterrupt


@dataclass
class _Player:
    animation: Animation
    width: int
    height: int
    delay: float
    frames: list[Frame]
    progress: Progress
    index: int = 0
    playing: bool = True

    def frame(self, index: int) -> Frame:
        while len(self.frames) <= index:
            frame = next(self.animation.frames)
            self.progress.add(len(self.frames), frame)
            self.frames.append(frame)
        return self.frames[index]

    def view(self, ended: str = "") -> RenderableType:
        """The current frame; ``ended`` says how the run ended, once it has."""
        frame = self.frame(self.index)
        count = self.animation.count
        state = "playing" if self.playing else "paused"
        if self.last():
            state = "the complete result"
        status = f"step {self.index + 1} of {count} · " + (
            f"{state} · {HELP}" if not ended else state if self.last() else ended
        )
        index = self.index
        return render_frames.play_frame(
            self.animation.scene,
            frame,
            lambda cell: self.progress.value(index, cell),
            status=status,
            width=self.width,
            height=self.height,
        )

    def last(self) -> bool:
        return self.index == self.animation.count - 1

    def press(self, key: str) -> bool:
        """Act on one key; False when the run should end."""
        if key == QUIT:
            return False
        if key == PAUSE:
            if self.last() and not self.playing:
                return False
            self.playing = not self.playing
        elif key == NEXT:
            self.playing = False
            self.index = min(self.index + 1, self.animation.count - 1)
        elif key == PREVIOUS:
            self.playing = False
            self.index = max(self.index - 1, 0)
        return True


def play(animation: Animation, console: Console, *, delay: float = DEFAULT_DELAY) -> RenderableType:
    """Show the frames one after another, ``delay`` seconds apart, until the last (the complete
    result) or until q; return the frame the run ended on, which stays on the screen.

    Space pauses and resumes, the arrow keys step (and pause). Ctrl-C raises KeyboardInterrupt
    as anywhere else; the terminal is restored before it leaves.
    """
    player = _Player(animation, console.width, console.height - 1, delay, [], Progress())
    live = Live(console=console, auto_refresh=False, transient=False, vertical_overflow="crop")
    ctrl_c = _CtrlC()
    with ctrl_c.installed(), keyboard() as fd, live:
        try:
            with ctrl_c.allowed():
                view = player.view()
            live.update(view, refresh=True)
            while not (player.last() and player.playing):
                with ctrl_c.allowed():
                    keys = _wait(fd, delay if player.playing else None, ctrl_c.wake)
                    if not keys:
                        player.index += 1  # the delay passed while playing
                    elif not all(player.press(key) for key in keys):
                        break
                    view = player.view()  # making the next frame may take a while
                live.update(view, refresh=True)
            with ctrl_c.allowed():  # a press during the last drawing
                pass
        except KeyboardInterrupt:
            if player.frames:  # the frame being made when Ctrl-C came is not there
                player.index = min(player.index, len(player.frames) - 1)
                live.update(player.view(ended="interrupted"), refresh=True)
            raise
        view = player.view(ended="stopped")
        live.update(view, refresh=True)
    return view


def drawn_frames(animation: Animation, *, width: int = 80, height: int = 50) -> Iterator[RenderableType]:
    """The frames as a run shows them when no key is pressed, each as drawn, the last as it is
    left on the screen (for pictures of a run)."""
    player = _Player(animation, width, height, DEFAULT_DELAY, [], Progress())
    while not player.last():
        yield player.view()
        player.index += 1
    yield player.view(ended="stopped")
