"""Where output goes, and what the environment does to it: full disks, closed pipes, closed
stdout. Real processes where a real file descriptor matters; exit status, stdout and stderr
are checked separately."""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from convcli.cli import ExitCode

from . import forkrun
from .conftest import SAMPLES

CONVCLI = [sys.executable, "-m", "convcli"]
A = str(SAMPLES / "A.txt")
B = str(SAMPLES / "B.txt")
B2 = str(SAMPLES / "B2.txt")


def env(**extra: str) -> dict[str, str]:
    out = dict(os.environ)
    out.pop("COLUMNS", None)
    out["NO_COLOR"] = "1"
    out.update(extra)
    return out


def convcli(*args: str, **kwargs) -> subprocess.CompletedProcess:
    kwargs.setdefault("capture_output", True)
    return forkrun.run([*CONVCLI, *args], timeout=120, env=kwargs.pop("env", env()), **kwargs)


def popen(*args: str) -> forkrun.Process | subprocess.Popen:
    """convcli running, its stdout and stderr pipes to read."""
    return forkrun.popen([*CONVCLI, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env())


@pytest.fixture(scope="module")
def big(tmp_path_factory) -> Path:
    """A 1000x1000 float64 input: 8 MB as npy, far more than a pipe holds."""
    path = tmp_path_factory.mktemp("big") / "big.npy"
    np.save(path, np.arange(1_000_000, dtype=np.float64).reshape(1000, 1000))
    return path


# ---------------------------------------------------------------------------------------------
# a full disk


@pytest.mark.parametrize("fmt", ["plain", "json", "npy", "table"])
def test_a_full_disk_on_stdout_is_one_error_line(fmt):
    with open("/dev/full", "wb") as full:
        proc = convcli(
            "kernels" if fmt != "npy" else "correlate",
            *(["1 2; 3 4", "1"] if fmt == "npy" else []),
            "-f",
            fmt,
            stdout=full,
            stderr=subprocess.PIPE,
            capture_output=False,
        )
    assert proc.returncode == ExitCode.USAGE_OR_INPUT
    assert proc.stderr == b"error: cannot write to standard output: No space left on device\n"


def test_a_full_disk_on_a_large_npy(big):
    with open("/dev/full", "wb") as full:
        proc = convcli(
            "correlate", str(big), "1", "-f", "npy", stdout=full, stderr=subprocess.PIPE, capture_output=False
        )
    assert proc.returncode == ExitCode.USAGE_OR_INPUT
    assert proc.stderr == b"error: cannot write to standard output: No space left on device\n"


# ---------------------------------------------------------------------------------------------
# a closed stdout (`>&-`)


def test_a_closed_stdout_is_one_error_line():
    proc = convcli("kernels", stdout=forkrun.CLOSED, stderr=subprocess.PIPE, capture_output=False)
    assert proc.returncode == ExitCode.USAGE_OR_INPUT
    assert proc.stderr == (
        b"error: standard output is closed, so the result has nowhere to go; give --output FILE, "
        b"or run with standard output open\n"
    )


def test_a_closed_stdout_does_not_matter_with_output(tmp_path):
    out = tmp_path / "r.txt"
    proc = convcli(
        "correlate",
        A,
        B,
        "-o",
        str(out),
        stdout=forkrun.CLOSED,
        stderr=subprocess.PIPE,
        capture_output=False,
    )
    assert proc.returncode == ExitCode.OK
    assert proc.stderr == f"wrote {out} (plain)\n".encode()
    assert out.read_text() == "4 3 4\n2 4 3\n2 3 4\n"


# ---------------------------------------------------------------------------------------------
# a reader that goes away


def _with_reader_gone(*args: str) -> subprocess.CompletedProcess:
    """Run with stdout a pipe whose reader has already gone (`convcli ... | true`)."""
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        return convcli(*args, stdout=write_end, stderr=subprocess.PIPE, capture_output=False)
    finally:
        os.close(write_end)


@pytest.mark.parametrize("fmt", ["table", "plain", "json", "markdown"])
def test_check_keeps_its_verdict_when_the_reader_is_gone(fmt):
    right = _with_reader_gone("check", A, B, "--answer", "4 3 4; 2 4 3; 2 3 4", "-f", fmt)
    assert (right.returncode, right.stderr) == (ExitCode.OK, b"")
    wrong = _with_reader_gone("check", A, B, "--answer", "4 3 4; 2 4 3; 2 3 5", "-f", fmt)
    assert (wrong.returncode, wrong.stderr) == (ExitCode.WRONG_ANSWER, b"")


@pytest.mark.parametrize("fmt", ["table", "plain", "json"])
def test_other_commands_end_with_status_0_when_the_reader_is_gone(fmt):
    proc = _with_reader_gone("compare", A, B, "-f", fmt)
    assert (proc.returncode, proc.stderr) == (ExitCode.OK, b"")


def test_notes_still_reach_stderr_when_the_reader_is_gone():
    proc = _with_reader_gone("correlate", "[1, nan]", "[1]", "-f", "plain")
    assert (proc.returncode, proc.stderr) == (ExitCode.OK, b"note: nan reached 1 cell: [1]\n")


def test_npy_cut_short_by_its_reader_is_an_error(big):
    # `convcli ... -f npy | head -c1`: a partial npy document is no use to anyone
    with popen("correlate", str(big), "1", "-f", "npy") as proc:
        assert proc.stdout is not None and proc.stderr is not None
        assert proc.stdout.read(1) == b"\x93"
        proc.stdout.close()
        err = proc.stderr.read().decode()
        code = proc.wait(timeout=120)
    assert code == ExitCode.USAGE_OR_INPUT
    assert err.startswith("error: standard output was closed after ")
    assert err.endswith(
        " bytes of the npy document: its reader stopped early, and npy is only useful whole\n"
    )
    assert len(err.splitlines()) == 1


def test_npy_to_a_pipe_is_whole(big):
    proc = convcli("correlate", str(big), "1", "-f", "npy")
    assert (proc.returncode, proc.stderr) == (ExitCode.OK, b"")
    assert np.array_equal(np.load(io.BytesIO(proc.stdout)), np.load(big))


# ---------------------------------------------------------------------------------------------
# a terminal that cannot show every character


def test_the_table_view_in_an_ascii_only_locale():
    proc = convcli("correlate", A, B, "-f", "table", env=env(PYTHONIOENCODING="ascii", COLUMNS="80"))
    assert (proc.returncode, proc.stderr) == (ExitCode.OK, b"")
    assert proc.stdout.decode("ascii") == (
        "correlate  mode valid | boundary fill | convention scipy\n"
        "A 5x5 | B 3x3 -> 3x3 | integer, exact\n"
        "\n"
        "   0  1  2\n"
        "0  4  3  4\n"
        "1  2  4  3\n"
        "2  2  3  4\n"
    )


def test_check_in_an_ascii_only_locale():
    ascii_env = env(PYTHONIOENCODING="ascii", COLUMNS="80")
    right = convcli("check", A, B, "--answer", "4 3 4; 2 4 3; 2 3 4", "-f", "table", env=ascii_env)
    assert (right.returncode, right.stderr) == (ExitCode.OK, b"")
    assert right.stdout.decode("ascii").splitlines()[-1] == "right: your answer equals correlate of A and B"
    wrong = convcli("check", A, B, "--answer", "4 3 4; 2 4 3; 2 3 5", "-f", "table", env=ascii_env)
    assert (wrong.returncode, wrong.stderr) == (ExitCode.WRONG_ANSWER, b"")
    assert "\nwrong\n" in wrong.stdout.decode("ascii")


def test_padding_cells_and_summaries_keep_their_columns_in_ascii(tmp_path):
    ascii_env = env(PYTHONIOENCODING="ascii", COLUMNS="80")
    proc = convcli("steps", A, B2, "--padding", "1", "--at", "0,0", "-f", "table", env=ascii_env)
    assert (proc.returncode, proc.stderr) == (ExitCode.OK, b"")
    lines = proc.stdout.decode("ascii").splitlines()
    grid = lines[lines.index("C[0, 0] = 2") + 1 :][:3]
    assert grid == [
        "    -1     0     1     2     3  ",
        "-1  [0]*  [0]*  [0]*   0*    0* ",
        " 0  [0]*  [1]   [1]    1     0  ",
    ]
    big = tmp_path / "big.npy"
    np.save(big, np.arange(100 * 100).reshape(100, 100))
    proc = convcli("correlate", str(big), "[[1]]", "-f", "table", env=ascii_env)
    assert (proc.returncode, proc.stderr) == (ExitCode.OK, b"")
    lines = proc.stdout.decode("ascii").splitlines()
    assert lines[3] == "       0     1     2     3     4     5  ~    94    95    96    97    98    99"
    assert lines[7] == " ~     ~     ~     ~     ~     ~     ~  ~     ~     ~     ~     ~     ~     ~"


def test_for_terminal_replaces_only_what_the_encoding_lacks():
    from convcli.output import for_terminal

    text = "A 5x5 · B 3x3 → 3x3 · 1…9 · x·w · B turned 180° · ✓ right · ✗ wrong · N² · ✗"
    assert for_terminal(text, "utf-8") == text.encode()
    assert (
        for_terminal(text, "ascii")
        == b"A 5x5 | B 3x3 -> 3x3 | 1~9 | x*w | B turned 180 | right | wrong | N^2 | x"
    )
    assert for_terminal(text, "latin-1") == (
        "A 5x5 · B 3x3 -> 3x3 · 1~9 · x·w · B turned 180° · right · wrong · N² · x".encode("latin-1")
    )
    assert for_terminal("a ❌ b", "ascii") == b"a ? b"


# ---------------------------------------------------------------------------------------------
# memory running out


def test_out_of_memory_anywhere_is_the_environment(monkeypatch):
    from typer.testing import CliRunner

    from convcli import ops
    from convcli.cli import app
    from convcli.numeric import memory_limit

    def no_memory(*args, **kwargs):
        raise MemoryError("Unable to allocate 4.29 GiB for an array")

    monkeypatch.setattr(ops, "run", no_memory)
    result = CliRunner().invoke(app, ["correlate", A, B])
    assert result.exit_code == ExitCode.USAGE_OR_INPUT
    assert result.stdout == ""
    assert result.stderr == (
        "error: out of memory: the system refused this run the memory it needed (convcli plans for at "
        f"most {memory_limit() / 2**30:.1f} GiB, half of this machine's memory; a ulimit or a container "
        "may allow less); ask for less: a smaller input, --mode valid rather than full, less --padding or "
        "a larger --stride\n"
    )
    monkeypatch.setattr("convcli.steps.derive", no_memory)
    result = CliRunner().invoke(app, ["steps", A, B])
    assert (result.exit_code, result.stdout) == (ExitCode.USAGE_OR_INPUT, "")
    assert result.stderr.startswith("error: out of memory: ")
    assert result.stderr.endswith("ask for less: derive fewer cells (--max-steps N, or --at I,J for one)\n")


def test_out_of_memory_in_a_real_process():
    import resource

    from convcli.numeric import memory_limit

    side = 18_000  # a 2.4 GiB int64 array: within convcli's own limit, beyond the ulimit below
    if memory_limit() < 8 * side * side:
        pytest.skip("this machine is too small for convcli to plan a 2.4 GiB array")

    def limit_memory() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (1536 << 20, 1536 << 20))

    proc = convcli(
        "correlate",
        "[[1]]",
        "[[1]]",
        "--padding",
        str((side - 1) // 2),
        "-f",
        "json",
        preexec_fn=limit_memory,
    )
    assert proc.returncode == ExitCode.USAGE_OR_INPUT
    assert proc.stdout == b""
    err = proc.stderr.decode()
    assert err.startswith("error: out of memory: the system refused this run the memory it needed")
    assert len(err.splitlines()) == 1 and "Traceback" not in err


# ---------------------------------------------------------------------------------------------
# nothing the user gave is lost or overwritten


def cli(*args: str, input: str | None = None):
    from typer.testing import CliRunner

    from convcli.cli import app

    return CliRunner().invoke(app, list(args), input=input)


def assert_refused_as_an_input(result, target: Path) -> None:
    assert result.exit_code == ExitCode.USAGE_OR_INPUT
    assert result.stdout == ""
    assert (
        result.stderr
        == f'error: --output "{target}" is one of the inputs; convcli never overwrites its inputs\n'
    )


def test_shape_never_replaces_its_input_or_kernel_file(tmp_path):
    v = tmp_path / "v.txt"
    v.write_text("1 2 3\n4 5 6\n")
    for args in (["--input", str(v), "--kernel", "1"], ["--input", "5x5", "--kernel", str(v)]):
        assert_refused_as_an_input(cli("shape", *args, "-o", str(v)), v)
        assert v.read_text() == "1 2 3\n4 5 6\n"


def test_another_name_for_an_input_is_an_input(tmp_path):
    a = tmp_path / "a.txt"
    a.write_text("1 2\n3 4\n")
    (tmp_path / "hard.txt").hardlink_to(a)
    (tmp_path / "soft.txt").symlink_to(a)
    for name in ("hard.txt", "soft.txt"):
        assert_refused_as_an_input(cli("correlate", str(tmp_path / name), "[[1]]", "-o", str(a)), a)
    assert a.read_text() == "1 2\n3 4\n"


def test_the_file_on_standard_input_is_never_replaced(tmp_path):
    a = tmp_path / "A.txt"
    a.write_text("1 2\n3 4\n")
    with open(a, "rb") as stdin:
        proc = convcli("correlate", "-", B, "-o", str(a), stdin=stdin)
    assert proc.returncode == ExitCode.USAGE_OR_INPUT
    assert proc.stdout == b""
    assert (
        proc.stderr
        == (
            f'error: --output "{a}" is the file on standard input ("-"); convcli never overwrites its inputs\n'
        ).encode()
    )
    assert a.read_text() == "1 2\n3 4\n"
    # the same file on standard input is no input when no operand is "-"
    out = tmp_path / "r.txt"
    with open(out, "w") as target:
        target.write("old\n")
    with open(out, "rb") as stdin:
        proc = convcli("correlate", A, B, "-o", str(out), stdin=stdin)
    assert (proc.returncode, proc.stdout, proc.stderr) == (
        ExitCode.OK,
        b"",
        f"wrote {out} (plain)\n".encode(),
    )
    assert out.read_text() == "4 3 4\n2 4 3\n2 3 4\n"


def test_a_read_only_target_is_refused(tmp_path):
    target = tmp_path / "r.txt"
    target.write_text("keep\n")
    target.chmod(0o444)
    result = cli("correlate", A, B, "-o", str(target))
    assert result.exit_code == ExitCode.USAGE_OR_INPUT
    assert result.stdout == ""
    assert result.stderr == (
        f'error: --output: "{target}" is read-only (permission denied); convcli replaces only a file it may '
        "write to: make it writable, or choose another FILE\n"
    )
    assert target.read_text() == "keep\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.txt"]


def test_setuid_and_setgid_bits_are_never_copied(tmp_path):
    import stat

    target = tmp_path / "r.txt"
    target.write_text("old\n")
    target.chmod(0o6754)
    if stat.S_IMODE(target.stat().st_mode) != 0o6754:
        pytest.skip("this file system does not keep setuid and setgid bits")
    result = cli("correlate", A, B, "-o", str(target))
    assert (result.exit_code, result.stdout, result.stderr) == (ExitCode.OK, "", f"wrote {target} (plain)\n")
    assert stat.S_IMODE(target.stat().st_mode) == 0o754
    assert target.read_text() == "4 3 4\n2 4 3\n2 3 4\n"


def test_export_and_output_to_one_file_is_refused(tmp_path):
    target = tmp_path / "r.txt"
    result = cli("correlate", A, B, "-o", str(target), "--export", str(target))
    assert (result.exit_code, result.stdout) == (ExitCode.USAGE_OR_INPUT, "")
    assert result.stderr == "error: --export and --output name the same file; give each its own\n"
    assert not target.exists()


@pytest.fixture
def unprivileged(tmp_path):
    """A command prefix that runs convcli as a user without root's right to write anywhere, and a
    folder that user can reach."""
    import shutil
    import tempfile

    prefix: list[str] = []
    if os.geteuid() == 0:
        setpriv = shutil.which("setpriv")
        if setpriv is None:
            pytest.skip("running as root, and setpriv is not here to drop the privilege")
        prefix = [setpriv, "--reuid=65534", "--regid=65534", "--clear-groups"]
        probe = forkrun.run([*prefix, *CONVCLI, "--version"], capture_output=True, timeout=60, env=env())
        if probe.returncode != 0:
            pytest.skip(f"convcli cannot run as an unprivileged user here: {probe.stderr.decode()[-200:]}")
    folder = Path(tempfile.mkdtemp(prefix="convcli-perm-"))
    folder.chmod(0o755)
    try:
        yield prefix, folder
    finally:
        for path in folder.rglob("*"):
            path.chmod(0o700)
        shutil.rmtree(folder)


def test_permission_denied_says_so(unprivileged):
    prefix, folder = unprivileged
    closed = folder / "closed"
    (closed / "sub").mkdir(parents=True)
    closed.chmod(0o000)
    locked = folder / "locked"
    locked.mkdir()
    locked.chmod(0o555)

    def run_as_user(target: Path) -> subprocess.CompletedProcess:
        return forkrun.run(
            [*prefix, *CONVCLI, "correlate", "1 2; 3 4", "[[1]]", "-o", str(target)],
            capture_output=True,
            timeout=60,
            env=env(),
        )

    proc = run_as_user(closed / "sub" / "r.txt")
    assert (proc.returncode, proc.stdout) == (ExitCode.USAGE_OR_INPUT, b"")
    assert (
        proc.stderr
        == f'error: --output: cannot reach the folder "{closed / "sub"}": permission denied\n'.encode()
    )
    proc = run_as_user(closed / "r.txt")
    assert (proc.returncode, proc.stdout) == (ExitCode.USAGE_OR_INPUT, b"")
    assert proc.stderr == f'error: --output: cannot write "{closed / "r.txt"}": permission denied\n'.encode()
    proc = run_as_user(locked / "r.txt")
    assert (proc.returncode, proc.stdout) == (ExitCode.USAGE_OR_INPUT, b"")
    assert proc.stderr == (
        f'error: --output: cannot create a file in the folder "{locked}": permission denied\n'.encode()
    )
    assert list(locked.iterdir()) == []


def test_someone_elses_file_in_an_open_folder_is_not_replaced(unprivileged):
    prefix, folder = unprivileged
    if not prefix:
        pytest.skip("needs root to make a file that belongs to someone else")
    folder.chmod(0o777)  # renaming over the file would succeed, although it may not be written
    theirs = folder / "theirs.txt"
    theirs.write_text("keep\n")
    theirs.chmod(0o644)
    proc = forkrun.run(
        [*prefix, *CONVCLI, "correlate", "1 2; 3 4", "[[1]]", "-o", str(theirs)],
        capture_output=True,
        timeout=60,
        env=env(),
    )
    assert (proc.returncode, proc.stdout) == (ExitCode.USAGE_OR_INPUT, b"")
    assert (
        proc.stderr
        == (
            f'error: --output: "{theirs}" is not writable by you (permission denied); convcli replaces only a '
            "file it may write to: make it writable, or choose another FILE\n"
        ).encode()
    )
    assert theirs.read_text() == "keep\n" and theirs.stat().st_uid == 0


# ---------------------------------------------------------------------------------------------
# special files: written in place, npy streamed, never to a terminal


def test_npy_to_a_fifo_is_streamed_whole(tmp_path, big):
    import threading

    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    received: list[bytes] = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_bytes()), daemon=True)
    reader.start()
    result = cli("correlate", str(big), "[[2]]", "-o", str(fifo), "-f", "npy")
    reader.join(timeout=60)
    assert (result.exit_code, result.stdout, result.stderr) == (ExitCode.OK, "", f"wrote {fifo} (npy)\n")
    assert np.array_equal(np.load(io.BytesIO(received[0])), 2 * np.load(big))


def test_npy_never_reaches_a_terminal_through_dev_stdout():
    import pty

    controller, terminal = pty.openpty()
    try:
        proc = forkrun.run(
            [*CONVCLI, "correlate", A, B, "-o", "/dev/stdout", "-f", "npy"],
            stdout=terminal,
            stderr=subprocess.PIPE,
            timeout=60,
            env=env(),
        )
        os.set_blocking(controller, False)
        try:
            shown = os.read(controller, 4096)
        except BlockingIOError:
            shown = b""
    finally:
        os.close(terminal)
        os.close(controller)
    assert proc.returncode == ExitCode.USAGE_OR_INPUT
    assert proc.stderr == (
        b'error: --output: "/dev/stdout" is a terminal, and npy is binary, never written to a terminal; '
        b"give a FILE.npy, or a pipe\n"
    )
    assert shown == b""


# ---------------------------------------------------------------------------------------------
# SIGTERM: a clean end, status 143, nothing half-written left behind


@pytest.fixture(scope="module")
def slow_to_write(tmp_path_factory) -> Path:
    """An input whose plain text takes seconds to format: 4 million random floats."""
    path = tmp_path_factory.mktemp("slow") / "floats.npy"
    np.save(path, np.random.default_rng(5).random((2000, 2000)))
    return path


def _wait_for(condition, what: str, seconds: float = 60.0) -> None:
    import time

    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"gave up waiting for {what}"
        time.sleep(0.005)


def test_sigterm_while_writing_removes_the_part_file(tmp_path, slow_to_write):
    import signal

    out = tmp_path / "r.txt"
    out.write_text("old\n")
    with popen("correlate", str(slow_to_write), "[[1]]", "-o", str(out)) as proc:
        try:
            _wait_for(lambda: any(p.name.endswith(".part") for p in tmp_path.iterdir()), "the .part file")
            assert proc.poll() is None, "the write ended before the signal; make the output larger"
            proc.send_signal(signal.SIGTERM)
            stdout, stderr = proc.communicate(timeout=60)
        finally:
            if proc.poll() is None:
                proc.kill()
    assert (proc.returncode, stdout, stderr) == (ExitCode.TERMINATED, b"", b"")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.txt"]
    assert out.read_text() == "old\n"


def test_sigterm_while_writing_to_stdout_ends_the_run_cleanly(slow_to_write):
    import signal

    with popen("correlate", str(slow_to_write), "[[1]]", "-f", "plain") as proc:
        assert proc.stdout is not None
        try:
            assert proc.stdout.read(1)  # writing has begun: it goes on for seconds
            proc.send_signal(signal.SIGTERM)
            _, stderr = proc.communicate(timeout=60)
        finally:
            if proc.poll() is None:
                proc.kill()
    assert (proc.returncode, stderr) == (ExitCode.TERMINATED, b"")


# ---------------------------------------------------------------------------------------------
# the user's text is printed as written: never rich markup, never emoji


def test_an_emoji_code_in_an_error_is_quoted_as_written():
    result = cli("correlate", "1 2 :x: 4", "1")
    assert result.exit_code == ExitCode.USAGE_OR_INPUT
    assert result.stdout == ""
    assert result.stderr == (
        'error: A (inline), column 5: expected a number, found ":x:"\n     | 1 2 :x: 4\n     |     ^\n'
    )


def test_markup_in_an_error_is_quoted_as_written():
    result = cli("correlate", "[[1, 2]]", "[[1]]", "--boundary", "[bold]wrap[/bold] :thumbs_up:")
    assert (result.exit_code, result.stdout) == (ExitCode.USAGE_OR_INPUT, "")
    assert result.stderr == (
        'error: --boundary takes one of fill, wrap, symm, mirror, edge, got "[bold]wrap[/bold] :thumbs_up:"\n'
    )


def test_a_file_name_in_a_note_is_quoted_as_written(tmp_path):
    target = tmp_path / ":smile:[bold]r.txt"
    result = cli("correlate", A, B, "-o", str(target))
    assert (result.exit_code, result.stdout) == (ExitCode.OK, "")
    assert result.stderr == f"wrote {target} (plain)\n"
    assert target.read_text() == "4 3 4\n2 4 3\n2 3 4\n"


# ---------------------------------------------------------------------------------------------
# the format decided once: its notes follow it


def _on_a_terminal(*args: str, cwd: Path | None = None) -> tuple[int, bytes, bytes]:
    """Run with stdout a terminal; (status, what the terminal showed, stderr)."""
    import pty

    controller, terminal = pty.openpty()
    try:
        proc = forkrun.run(
            [*CONVCLI, *args],
            stdout=terminal,
            stderr=subprocess.PIPE,
            timeout=60,
            env=env(COLUMNS="80"),
            cwd=cwd,
        )
        os.set_blocking(controller, False)
        shown = b""
        try:
            while chunk := os.read(controller, 65536):
                shown += chunk
        except (BlockingIOError, OSError):
            pass
    finally:
        os.close(terminal)
        os.close(controller)
    return proc.returncode, shown, proc.stderr


def test_steps_written_to_a_file_from_a_terminal_keeps_its_note(tmp_path):
    code, shown, err = _on_a_terminal("steps", A, B, "--max-steps", "2", "-o", "steps.md", cwd=tmp_path)
    assert (code, shown) == (ExitCode.OK, b"")
    assert (
        err
        == b"wrote steps.md (markdown)\nnote: showing 2 of 9 cells; --max-steps 9 shows them all, --at I,J one cell\n"
    )
    cells = [line for line in (tmp_path / "steps.md").read_text().splitlines() if line.startswith("- `C[")]
    assert [line[:11] for line in cells] == ["- `C[0, 0]:", "- `C[0, 1]:"]


def test_the_table_view_shows_the_note_itself():
    code, shown, err = _on_a_terminal("steps", A, B, "--max-steps", "2")
    assert (code, err) == (ExitCode.OK, b"")
    assert b"showing 2 of 9 cells; --max-steps 9 shows them all, --at I,J one cell" in shown


def test_play_in_an_ascii_only_locale():
    pexpect = pytest.importorskip("pexpect", reason="pexpect drives the pseudo-terminal (the test extra)")
    child = forkrun.spawn(
        sys.executable,
        ["-m", "convcli", "steps", A, B2, "--op", "convolve", "--play", "--delay", "0", "--at", "1,1"],
        env=env(PYTHONIOENCODING="ascii", TERM="xterm-256color"),
        dimensions=(50, 80),
        timeout=60,
    )
    child.expect(pexpect.EOF)
    raw = child.before
    child.close()
    assert child.exitstatus == ExitCode.OK, raw.decode(errors="replace")
    assert raw.isascii()
    text = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", raw.decode("ascii"))
    assert "steps | convolve  mode valid | boundary fill | convention scipy" in text
    assert "step 2 of 2 | the complete result" in text
    assert "Traceback" not in text and "error:" not in text


def test_version_with_stdout_closed_or_full():
    proc = convcli("--version", stdout=forkrun.CLOSED, stderr=subprocess.PIPE, capture_output=False)
    assert proc.returncode == ExitCode.USAGE_OR_INPUT
    assert proc.stderr.startswith(b"error: standard output is closed")
    with open("/dev/full", "wb") as full:
        proc = convcli("--version", stdout=full, stderr=subprocess.PIPE, capture_output=False)
    assert (proc.returncode, proc.stderr) == (
        ExitCode.USAGE_OR_INPUT,
        b"error: cannot write to standard output: No space left on device\n",
    )


def test_npy_through_dev_stdout_to_a_pipe_is_whole(big):
    proc = convcli("correlate", str(big), "[[1]]", "-o", "/dev/stdout", "-f", "npy")
    assert (proc.returncode, proc.stderr) == (ExitCode.OK, b"wrote /dev/stdout (npy)\n")
    assert np.array_equal(np.load(io.BytesIO(proc.stdout)), np.load(big))


@pytest.mark.parametrize("signum", ["SIGINT", "SIGTERM"])
def test_a_signal_just_after_the_part_file_is_made_still_removes_it(tmp_path, monkeypatch, signum):
    # the signal lands at the first moment it can once the temporary file exists, before its
    # descriptor is returned. The file being replaced stays as it was, no .part is left, and no
    # descriptor stays open.
    import signal

    from convcli import output
    from convcli.cli import _sigterm_ends_the_run

    made = output._create
    opened: list[int] = []

    def interrupted(name):
        opened.append(made(name))
        signal.raise_signal(getattr(signal, signum))
        return opened[-1]

    monkeypatch.setattr(output, "_create", interrupted)
    out = tmp_path / "r.txt"
    out.write_text("old\n")
    with _sigterm_ends_the_run(), pytest.raises(BaseException) as raised:
        output.write_file(out, "new\n", [])
    assert type(raised.value).__name__ == ("KeyboardInterrupt" if signum == "SIGINT" else "_Terminated")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.txt"]
    assert out.read_text() == "old\n"
    os.close(opened[0])  # the run lost it with the signal, as a process ending would


def test_the_part_file_is_closed_and_removed_when_its_mode_cannot_be_set(tmp_path, monkeypatch):
    from convcli import output
    from convcli.errors import OutputError

    def refused(fd, mode):
        raise PermissionError(1, "Operation not permitted")

    before = len(os.listdir("/proc/self/fd"))
    monkeypatch.setattr(output.os, "fchmod", refused)
    with pytest.raises(OutputError, match=r'--output: cannot write ".*r.txt": permission denied'):
        output.write_file(tmp_path / "r.txt", "new\n", [])
    assert list(tmp_path.iterdir()) == []
    assert len(os.listdir("/proc/self/fd")) == before
