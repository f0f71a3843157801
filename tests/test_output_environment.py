"""Pipes, signals, terminals and output files: a closed pipe, Ctrl-C, a terminal on standard
input and output files that cannot be written all end cleanly. These need a real process and use
subprocess where a CliRunner cannot stand in.

CLI runs check exit code, stdout and stderr separately.
"""

from __future__ import annotations

import json
import os
import pty
import random
import select
import signal
import stat
import subprocess
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from convcli.cli import ExitCode

from . import forkrun
from .clicheck import CONVCLI, assert_error, run, subprocess_env


@pytest.fixture(scope="module")
def big_integers(tmp_path_factory) -> Path:
    """An input whose plain output is several megabytes."""
    path = tmp_path_factory.mktemp("pipe") / "big.npy"
    np.save(path, np.arange(800 * 800, dtype=np.int64).reshape(800, 800) * 1_000_003)
    return path


@pytest.mark.parametrize("fmt", ["plain", "json", "csv", "table"])
def test_a_closed_pipe_exits_quietly(big_integers, fmt):
    with forkrun.popen(
        [*CONVCLI, "correlate", str(big_integers), "1", "-f", fmt],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=subprocess_env(),
    ) as proc:
        assert proc.stdout is not None and proc.stderr is not None
        first = proc.stdout.readline()
        proc.stdout.close()  # as `| head -1` does
        err = proc.stderr.read()
        code = proc.wait(timeout=120)
    assert first
    assert err == b""
    assert code == ExitCode.OK  # the reader took what it wanted; 1 would mean a wrong answer


def test_a_pipe_closed_before_the_first_write(tmp_path):
    # `convcli ... | true`: the reader is gone before convcli writes anything
    read_end, write_end = os.pipe()
    os.close(read_end)
    proc = forkrun.run(
        [*CONVCLI, "correlate", "1 2; 3 4", "1", "-f", "plain"],
        stdout=write_end,
        stderr=subprocess.PIPE,
        timeout=60,
        env=subprocess_env(),
    )
    os.close(write_end)
    assert proc.stderr == b""
    assert proc.returncode == ExitCode.OK


@pytest.mark.parametrize(
    "args", [["--help"], [], ["compare", "--help"]], ids=["help", "bare", "command-help"]
)
def test_help_into_a_closed_pipe_exits_quietly(args):
    # `convcli --help | head -1`: the help was read as far as wanted; 1 would mean a failure
    read_end, write_end = os.pipe()
    os.close(read_end)
    proc = forkrun.run(
        [*CONVCLI, *args], stdout=write_end, stderr=subprocess.PIPE, timeout=60, env=subprocess_env()
    )
    os.close(write_end)
    assert proc.stderr == b""
    assert proc.returncode == ExitCode.OK


@pytest.fixture(scope="module")
def slow_inputs(tmp_path_factory) -> tuple[Path, Path]:
    """Exact rationals: a run of many seconds, spent in Python where a signal is seen at once."""
    folder = tmp_path_factory.mktemp("slow")
    rng = random.Random(7)

    def grid(n: int) -> str:
        return "\n".join(
            " ".join(f"{rng.randint(1, 99)}/{rng.randint(1, 97)}" for _ in range(n)) for _ in range(n)
        )

    a, b = folder / "a.txt", folder / "b.txt"
    a.write_text(grid(400))
    b.write_text(grid(40))
    return a, b


def test_ctrl_c_exits_130_without_a_traceback(slow_inputs):
    a, b = slow_inputs
    with forkrun.popen(
        [*CONVCLI, "correlate", str(a), str(b), "-f", "plain", "--verbose"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=subprocess_env(),
    ) as proc:
        try:
            # --verbose says "method: ..." on stderr just before the computation starts: the
            # signal is sent then, not after a guess at how long start-up takes
            assert proc.stderr is not None
            said = b""
            deadline = time.monotonic() + 60
            while not said.startswith(b"method: "):
                remaining = deadline - time.monotonic()
                assert remaining > 0, f"no sign of the computation starting: {said!r}"
                if select.select([proc.stderr], [], [], remaining)[0]:
                    said = proc.stderr.readline()
                    assert said, "stderr closed before the computation started"
            assert proc.poll() is None, "the computation ended before the signal; make it longer"
            proc.send_signal(signal.SIGINT)
            out, err = proc.communicate(timeout=60)
        finally:
            if proc.poll() is None:
                proc.kill()
    assert proc.returncode == ExitCode.INTERRUPTED
    assert b"Traceback" not in err and b"KeyboardInterrupt" not in err
    assert out == b""


def test_dash_on_a_terminal_says_so_instead_of_waiting():
    controller, terminal = pty.openpty()
    try:
        proc = forkrun.run(
            [*CONVCLI, "correlate", "-", "1"],
            stdin=terminal,
            capture_output=True,
            timeout=30,
            env=subprocess_env(),
        )
    finally:
        os.close(terminal)
        os.close(controller)
    assert proc.returncode == ExitCode.USAGE_OR_INPUT
    assert proc.stdout == b""
    assert proc.stderr.decode().startswith("error: nothing is piped to standard input for operand A;")


def test_output_into_a_missing_folder(tmp_path):
    target = tmp_path / "no" / "r.txt"
    assert_error(run("correlate", "1", "1", "-o", str(target)), "does not exist")
    assert not target.parent.exists()


def test_output_below_a_regular_file(tmp_path):
    blocker = tmp_path / "file.txt"
    blocker.write_text("keep\n")
    err = assert_error(run("correlate", "1", "1", "-o", str(blocker / "r.txt")))
    assert "is not a folder" in err and "expected FILE in an existing folder" in err
    assert blocker.read_text() == "keep\n"


@pytest.mark.parametrize("target", ["/proc/convcli-test.txt", "/proc/version"])
def test_output_into_proc_is_a_clean_error(target):
    assert_error(run("correlate", "1", "1", "-o", target, "-f", "plain"), "--output: cannot write")


def test_output_onto_a_folder(tmp_path):
    assert_error(run("correlate", "1", "1", "-o", str(tmp_path)), "is a directory")


def test_an_existing_output_survives_a_failed_run(tmp_path):
    out = tmp_path / "r.txt"
    out.write_text("old\n")
    assert_error(run("correlate", "1 2; 3 4", "1 1 1", "-o", str(out)), "valid")
    assert_error(run("correlate", "1 2; 3 4", "nonsense/", "-o", str(out)), "no such file")
    assert out.read_text() == "old\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.txt"]


def test_an_existing_output_survives_a_failed_write(tmp_path, monkeypatch):
    out = tmp_path / "r.txt"
    out.write_text("old\n")

    def failing_replace(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", failing_replace)
    assert_error(run("correlate", "1 2; 3 4", "1", "-o", str(out)), "No space left on device")
    assert out.read_text() == "old\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.txt"]  # no .part left behind


def test_ctrl_c_while_writing_leaves_no_part_file(tmp_path, monkeypatch):
    out = tmp_path / "r.txt"
    out.write_text("old\n")

    def interrupted_replace(src, dst):
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "replace", interrupted_replace)
    result = run("correlate", "1 2; 3 4", "1", "-o", str(out))
    assert (result.exit_code, result.stdout) == (ExitCode.INTERRUPTED, "")
    assert "Traceback" not in result.stderr and "wrote" not in result.stderr
    assert out.read_text() == "old\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.txt"]


def test_output_is_replaced_whole(tmp_path):
    out = tmp_path / "r.json"
    out.write_text("old\n")
    result = run("correlate", "1 2; 3 4", "2", "-o", str(out))
    assert (result.exit_code, result.stdout, result.stderr) == (ExitCode.OK, "", f"wrote {out} (json)\n")
    assert json.loads(out.read_text())["result"] == [[2, 4], [6, 8]]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.json"]


def test_output_keeps_the_usual_permissions(tmp_path):
    # the temporary file is private to the user (mkstemp); the result must not be
    old_umask = os.umask(0o022)
    try:
        fresh = tmp_path / "new.json"
        result = run("correlate", "1", "1", "-o", str(fresh))
        assert (result.exit_code, result.stdout, result.stderr) == (
            ExitCode.OK,
            "",
            f"wrote {fresh} (json)\n",
        )
        assert stat.S_IMODE(fresh.stat().st_mode) == 0o644
        existing = tmp_path / "old.json"
        existing.write_text("old\n")
        existing.chmod(0o640)
        result = run("correlate", "1", "1", "-o", str(existing))
        assert (result.exit_code, result.stdout, result.stderr) == (
            ExitCode.OK,
            "",
            f"wrote {existing} (json)\n",
        )
        assert stat.S_IMODE(existing.stat().st_mode) == 0o640
        assert json.loads(existing.read_text())["result"] == [[1]]
    finally:
        os.umask(old_umask)


def test_output_never_overwrites_an_input(tmp_path):
    a = tmp_path / "a.txt"
    a.write_text("1 2\n3 4\n")
    assert_error(run("correlate", str(a), "1", "-o", str(a)), "is one of the inputs")
    assert a.read_text() == "1 2\n3 4\n"


def test_output_to_a_fifo_is_written_in_place(tmp_path):
    # renaming a file over a device or a pipe would replace it with a regular file
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    received: list[bytes] = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_bytes()), daemon=True)
    reader.start()
    result = run("correlate", "1 2; 3 4", "1", "-o", str(fifo), "-f", "plain")
    reader.join(timeout=30)
    assert (result.exit_code, result.stdout, result.stderr) == (ExitCode.OK, "", f"wrote {fifo} (plain)\n")
    assert received == [b"1 2\n3 4\n"]
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pipe"]


def test_output_to_dev_stdout(tmp_path):
    proc = forkrun.run(
        [*CONVCLI, "correlate", "1 2; 3 4", "1", "-o", "/dev/stdout", "-f", "plain"],
        capture_output=True,
        timeout=60,
        env=subprocess_env(),
    )
    assert (proc.returncode, proc.stderr) == (ExitCode.OK, b"wrote /dev/stdout (plain)\n")
    assert proc.stdout == b"1 2\n3 4\n"
    assert os.path.islink("/dev/stdout")


def test_output_to_a_device_that_is_full_is_an_error_and_the_device_stays(tmp_path):
    # a copy of /dev/full in tmp_path: were it renamed over, only the copy would be lost
    device = tmp_path / "full"
    try:
        os.mknod(device, stat.S_IFCHR | 0o666, os.makedev(1, 7))
        with open(device, "wb") as probe:
            probe.write(b"x")
    except PermissionError:
        pytest.skip("cannot make a device node here")
    except OSError as exc:
        if exc.errno != 28:  # ENOSPC is what /dev/full answers
            pytest.skip(f"no /dev/full device here ({exc})")
    else:
        pytest.skip("this device node does not behave as /dev/full")
    assert_error(run("correlate", "1", "1", "-o", str(device), "-f", "plain"), "No space left on device")
    assert stat.S_ISCHR(os.stat(device).st_mode)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["full"]


def test_export_failure_is_clean(tmp_path):
    blocker = tmp_path / "file.txt"
    blocker.write_text("x")
    result = run("correlate", "1", "1", "-f", "plain", "--export", str(blocker / "view.svg"))
    # the result was printed before the export was saved; the failed export is one error line
    assert result.exit_code == ExitCode.USAGE_OR_INPUT
    assert result.stdout == "1\n"
    assert result.stderr.startswith("error: --export:") and "is not a folder" in result.stderr
    assert len(result.stderr.splitlines()) == 1
