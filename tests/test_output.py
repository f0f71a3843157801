"""Where output goes, and what the environment does to it: full disks, closed pipes, closed
stdout. Real processes where a real file descriptor matters; exit status, stdout and stderr
are checked separately."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from convcli.cli import ExitCode

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
    return subprocess.run([*CONVCLI, *args], timeout=120, env=kwargs.pop("env", env()), **kwargs)


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


def _close_stdout() -> None:
    os.close(1)


def test_a_closed_stdout_is_one_error_line():
    proc = convcli(
        "kernels", stdout=None, stderr=subprocess.PIPE, capture_output=False, preexec_fn=_close_stdout
    )
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
        stdout=None,
        stderr=subprocess.PIPE,
        capture_output=False,
        preexec_fn=_close_stdout,
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
    with subprocess.Popen(
        [*CONVCLI, "correlate", str(big), "1", "-f", "npy"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env(),
    ) as proc:
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
    from convcli.numbers import memory_limit

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
    assert result.exit_code == ExitCode.USAGE_OR_INPUT
    assert result.stderr.endswith("ask for less: derive fewer cells (--max-steps N, or --at I,J for one)\n")


def test_out_of_memory_in_a_real_process():
    import resource

    from convcli.numbers import memory_limit

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
