"""steps --play on a real pseudo-terminal: keys pause, step and stop; Ctrl-C exits 130; the run
ends on the complete result; the terminal is left as it was; off a terminal the steps print."""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
import termios
import time

import numpy as np
import pytest
import scipy.signal
from rich.console import Console

from convcli import play
from convcli.cli import ExitCode
from convcli.frames import animate_steps
from convcli.model import Op

from . import forkrun
from .clicheck import run
from .conftest import B2, ROOT, SEED_A

pexpect = pytest.importorskip("pexpect", reason="pexpect drives the pseudo-terminal (the test extra)")

SEED = ["steps", "samples/A.txt", "samples/B2.txt", "--op", "convolve", "--play"]
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b[()][A-Z0-9]|\x1b[=>]")


def spawn(args: list[str], *, cols: int = 80, rows: int = 50, command: str | None = None):
    env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES")}
    env.update(NO_COLOR="1", TERM="xterm-256color")
    program, argv = (
        (sys.executable, ["-m", "convcli", *args]) if command is None else ("bash", ["-c", command])
    )
    return forkrun.spawn(
        program, argv, cwd=str(ROOT), env=env, dimensions=(rows, cols), encoding="utf-8", timeout=30
    )


def finish(child) -> tuple[str, int]:
    """Everything the run wrote, and its exit status, once it has ended."""
    child.expect(pexpect.EOF)
    raw = child.before
    child.close()
    return raw, child.exitstatus


def last_frame(raw: str) -> str:
    """The frame left on the screen: the last one drawn (every frame starts with its title)."""
    text = ANSI.sub("", raw)
    tail = text[text.rindex("steps · ") :]
    return "\n".join(line.rstrip() for line in tail.replace("\r", "").splitlines())


def rightmost_grid(frame: str, title: str) -> list[list[str]]:
    """The grid drawn under ``title``, the last grid of its row (the output, right of A)."""
    lines = frame.splitlines()
    top = next(i for i, line in enumerate(lines) if line.rstrip().endswith("  " + title))
    column = lines[top].rindex(title)
    rows = []
    for line in lines[top + 2 :]:
        words = line[column:].split()
        if not words or not words[0].isdigit():
            break
        rows.append(words[1:])
    return rows


def seed_steps() -> list[dict]:
    out = run(*SEED[:-1], "-f", "json")
    assert (out.exit_code, out.stderr) == (ExitCode.OK, "")
    return json.loads(out.stdout)["steps"]


def test_the_seed_example_plays_to_the_complete_result():
    raw, status = finish(spawn([*SEED, "--delay", "0"]))
    assert status == ExitCode.OK
    for k in range(1, 11):  # every frame was shown, in order
        assert f"step {k} of 10" in ANSI.sub("", raw)
    frame = last_frame(raw)
    assert "step 10 of 10 · the complete result" in frame
    assert "the complete result, every cell derived above" in frame
    assert rightmost_grid(frame, "C") == [["4", "3", "3"], ["2", "4", "2"], ["2", "2", "3"]]
    assert "space pause" not in frame  # the keys are no use once it has ended


def test_arrows_step_space_pauses_and_q_stops_on_the_current_frame():
    steps = seed_steps()
    child = spawn([*SEED, "--delay", "60"])
    child.expect("step 1 of 10 · playing")
    for k in (2, 3, 4):
        child.send("\x1b[C")  # right arrow
        child.expect(f"step {k} of 10 · paused")
    child.send("\x1b[D")  # left arrow
    child.expect("step 3 of 10 · paused")
    child.send("q")
    raw, status = finish(child)
    assert status == ExitCode.OK
    frame = last_frame(raw)
    assert "step 3 of 10 · stopped" in frame
    # the frame it stopped on derives C[0, 2], as convcli's own JSON does
    third = steps[2]
    assert third["cell"] == [0, 2]
    assert f"C[0, 2] = {third['sum']}" in frame
    assert third["terms"] in frame.replace("\n", "")
    # its window is rows 0-2, columns 2-4 of A
    rows = [line for line in frame.splitlines() if re.match(r"[0-4] ", line)][:5]
    assert [line.count("[") for line in rows] == [3, 3, 3, 0, 0]
    assert rows[0].split()[3:6] == ["[1]", "[0]", "[0]"]


def test_space_pauses_and_resumes():
    child = spawn([*SEED, "--delay", "0.15"])
    child.expect("step 2 of 10 · playing")
    child.send(" ")
    child.expect(r"step (\d+) of 10 · paused")
    paused_at = int(child.match.group(1))
    time.sleep(0.6)  # four delays: a playing animation would have moved on
    assert f"step {paused_at + 1} of 10" not in ANSI.sub("", child.read_nonblocking(100_000, timeout=0.5))
    child.send(" ")
    child.expect(f"step {paused_at + 1} of 10 · playing")
    raw, status = finish(child)
    assert status == ExitCode.OK
    assert "step 10 of 10 · the complete result" in last_frame(raw)


def test_ctrl_c_exits_130():
    child = spawn([*SEED, "--delay", "60"])
    child.expect("step 1 of 10 · playing")
    child.sendintr()
    raw, status = finish(child)
    assert status == ExitCode.INTERRUPTED
    assert "Traceback" not in raw
    assert "step 1 of 10 · interrupted" in last_frame(raw)


@pytest.mark.parametrize(("key", "expected"), [("q", ExitCode.OK), ("\x03", ExitCode.INTERRUPTED)])
def test_the_terminal_is_restored(key, expected):
    command = (
        f"{sys.executable} -m convcli {' '.join(SEED)} --delay 60; echo status=$?; stty -a | tr ' ' '\\n'"
    )
    child = spawn([], command=command)
    child.expect("step 1 of 10 · playing")
    child.send(key)
    raw, _ = finish(child)
    after = ANSI.sub("", raw).replace("\r", "").split(f"status={int(expected)}\n", 1)
    assert len(after) == 2, raw[-500:]
    settings = after[1].split()
    assert "icanon" in settings and "echo" in settings  # not -icanon, -echo
    assert "\x1b[?25h" in raw  # the cursor is shown again


def test_keys_come_from_the_terminal_when_a_matrix_is_piped_in():
    command = f"cat samples/A.txt | {sys.executable} -m convcli steps - samples/B2.txt --play --delay 60"
    child = spawn([], command=command)
    child.expect("step 1 of 10 · playing")
    child.send("\x1b[C")
    child.expect("step 2 of 10 · paused")
    child.send("q")
    raw, status = finish(child)
    assert status == ExitCode.OK
    assert "C[0, 1] = 3" in last_frame(raw)


CHANNELS_A = np.array([[[1, 2, 3], [4, 5, 6], [7, 8, 9]], [[1, 0, 1], [0, 1, 0], [1, 0, 1]]])
CHANNELS_B = np.array([[[1, 0], [0, 1]], [[1, 1], [1, 1]]])


@pytest.mark.parametrize(
    ("args", "title", "expected"),
    [
        (
            ["steps", "samples/window.txt", "samples/B.txt", "--op", "dot"],
            "C",
            np.dot(np.loadtxt(ROOT / "samples/window.txt"), np.loadtxt(ROOT / "samples/B.txt")).astype(int),
        ),
        (
            ["steps", "samples/window.txt", "samples/B.txt", "--op", "elementwise-sum"],
            "sum(A*B)",
            np.array([[4]]),
        ),
        (
            ["steps", json.dumps(CHANNELS_A.tolist()), json.dumps(CHANNELS_B.tolist()), "--channels"],
            "C",
            sum(scipy.signal.correlate2d(CHANNELS_A[c], CHANNELS_B[c], mode="valid") for c in range(2)),
        ),
        (
            ["conv-transpose", "0 1; 2 3", "0 1; 2 3", "--stride", "2", "--steps"],
            "sum before cropping",
            np.array([[0, 0, 0, 1], [0, 0, 2, 3], [0, 2, 0, 3], [4, 6, 6, 9]]),
        ),
    ],
    ids=["dot", "elementwise-sum", "channels", "conv-transpose"],
)
def test_every_op_plays_to_its_result(args, title, expected):
    raw, status = finish(spawn([*args, "--play", "--delay", "0"]))
    assert status == ExitCode.OK
    frame = last_frame(raw)
    assert "the complete result" in frame
    shown = [[word.strip("[]") for word in row] for row in rightmost_grid(frame, title)]
    assert shown == expected.astype(str).tolist(), frame


def test_a_narrow_terminal_gets_a_frame_that_fits():
    # the widest frame, with A padded for --mode same; one cell and the result, not all 25
    raw, status = finish(spawn([*SEED, "--delay", "0", "--mode", "same", "--at", "0,0"], cols=40, rows=30))
    assert status == ExitCode.OK
    frame = last_frame(raw)
    assert max(len(line) for line in frame.splitlines()) <= 40
    assert "step 2 of 2" in frame


def test_a_large_input_starts_at_once(tmp_path):
    np.save(tmp_path / "big.npy", np.random.default_rng(1).integers(-9, 10, (2000, 2000)))
    child = spawn(
        ["steps", str(tmp_path / "big.npy"), "sobel-x", "--play", "--delay", "60", "--max-steps", "10000000"]
    )
    child.expect("step 1 of 3992005 · playing", timeout=20)
    child.send("q")
    raw, status = finish(child)
    assert status == ExitCode.OK
    assert "(rows 0–" in last_frame(raw)


def test_off_a_terminal_the_static_steps_are_printed():
    out = subprocess.run(
        [sys.executable, "-m", "convcli", *SEED],
        cwd=ROOT,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
    )
    assert out.returncode == ExitCode.OK
    plain = run(*SEED[:-1])  # the steps without --play, in-process
    assert (plain.exit_code, plain.stderr) == (ExitCode.OK, "")
    assert out.stdout == plain.stdout
    assert out.stderr == "note: --play animates only on a terminal; the steps are printed instead\n"


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (
            ["--play", "-o", "x.json"],
            "error: --play animates the steps on the terminal, and --format and --output",
        ),
        (
            ["--play", "-f", "json"],
            "error: --play animates the steps on the terminal, and --format and --output",
        ),
        (["--delay", "1"], "error: --delay sets the pace of --play (and of an html page); add --play"),
        (
            ["--play", "--delay", "-1"],
            "error: --delay takes a number of seconds >= 0 (such as 0.6), got -1.0",
        ),
        (
            ["--play", "--delay", "nan"],
            "error: --delay takes a number of seconds >= 0 (such as 0.6), got nan",
        ),
        (["--play", "--export", "x.png"], 'error: --export saves .html, .svg or .txt, not "x.png"'),
    ],
)
def test_play_refuses_what_it_cannot_do(extra, message, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    out = run("steps", str(ROOT / "samples/A.txt"), str(ROOT / "samples/B.txt"), *extra)
    assert out.exit_code == ExitCode.USAGE_OR_INPUT
    assert out.stdout == ""
    assert out.stderr.startswith(message) and out.stderr.count("\n") == 1
    assert list(tmp_path.iterdir()) == []


def test_export_saves_the_frame_the_run_ended_on(tmp_path):
    raw, status = finish(spawn([*SEED, "--delay", "0", "--export", str(tmp_path / "end.txt")]))
    assert status == ExitCode.OK
    saved = (tmp_path / "end.txt").read_text(encoding="utf-8")
    assert "step 10 of 10 · the complete result" in saved
    assert "the complete result, every cell derived above" in saved


def test_parse_keys():
    assert play.parse_keys(b" q\x1b[C\x1b[D\x1bOC\x1bODx\x1b[A") == [
        play.PAUSE,
        play.QUIT,
        play.NEXT,
        play.PREVIOUS,
        play.NEXT,
        play.PREVIOUS,
    ]


def _pty_stdin(monkeypatch):
    """A pseudo-terminal standing in for the user's terminal, as standard input."""
    master, slave = os.openpty()
    stdin = os.fdopen(slave, "r")
    monkeypatch.setattr(sys, "stdin", stdin)
    return master, stdin


def test_an_error_while_playing_restores_the_terminal(monkeypatch):
    master, stdin = _pty_stdin(monkeypatch)
    before = termios.tcgetattr(stdin.fileno())
    working = animate_steps(Op.CONVOLVE, SEED_A, B2)

    def broken():
        yield next(working.frames)
        raise RuntimeError("a frame that cannot be drawn")

    animation = type(working)(working.scene, broken(), working.count)
    console = Console(file=io.StringIO(), force_terminal=True, width=80, height=50)
    with pytest.raises(RuntimeError, match="cannot be drawn"):
        play.play(animation, console, delay=0)
    assert termios.tcgetattr(stdin.fileno()) == before
    os.close(master)
    stdin.close()


def test_keys_are_read_unechoed_while_playing(monkeypatch):
    master, stdin = _pty_stdin(monkeypatch)
    before = termios.tcgetattr(stdin.fileno())
    with play.keyboard() as fd:
        assert fd == stdin.fileno()
        during = termios.tcgetattr(fd)
        assert not during[3] & termios.ICANON and not during[3] & termios.ECHO
        os.write(master, b"\x1b[C")
        assert play._wait(fd, 5) == [play.NEXT]
    assert termios.tcgetattr(stdin.fileno()) == before
    os.close(master)
    stdin.close()
