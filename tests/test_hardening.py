"""Hardening: a careless or hostile input never gives a traceback, a hang, a silent wrong answer
or a damaged file. The sections follow the promises of the hardening issue, one or more tests
each. CLI runs check exit code, stdout and stderr separately; signals, pipes and terminals need
a real process and use subprocess.
"""

from __future__ import annotations

import io
import json
import math
import os
import pickle
import pty
import random
import signal
import stat
import subprocess
import sys
import threading
import time
from fractions import Fraction
from pathlib import Path
from unittest import mock

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from convcli import numeric, parsing
from convcli.cli import ExitCode, app
from convcli.errors import ConvcliError
from convcli.text import format_number, int_text

INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
CONVCLI = [sys.executable, "-m", "convcli"]


def run(*args: str, input: str | bytes | None = None):
    return CliRunner().invoke(app, list(args), input=input)


def assert_error(result, *needles: str) -> str:
    """Exit 2, nothing on stdout, exactly one ``error:`` line (first), no traceback; returns stderr."""
    assert result.exit_code == ExitCode.USAGE_OR_INPUT, (result.exit_code, result.stdout, result.stderr)
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert lines and lines[0].startswith("error: "), result.stderr
    assert sum(line.startswith("error:") for line in lines) == 1
    assert len(lines) <= 3  # the message, and for a located parse error the line and a caret
    assert "Traceback" not in result.stderr and "internal error" not in result.stderr
    for needle in needles:
        assert needle in result.stderr, (needle, result.stderr)
    return result.stderr


def assert_ok(result, stdout: str | None = None) -> None:
    assert result.exit_code == ExitCode.OK, (result.exit_code, result.stdout, result.stderr)
    assert "Traceback" not in result.stderr and "error:" not in result.stderr
    if stdout is not None:
        assert result.stdout == stdout


def subprocess_env() -> dict[str, str]:
    env = dict(os.environ)
    env.pop("COLUMNS", None)
    env["NO_COLOR"] = "1"
    return env


# ---------------------------------------------------------------------------------------------
# 1. any bytes as a matrix file or argument: a correct result or one error line, exit 2

_RANDOM = random.Random(20261121)
GARBAGE = bytes(_RANDOM.randrange(256) for _ in range(4096))

HOSTILE_FILES = [
    # (name, suffix, content, expected plain output or None for an error, words in the error)
    ("garbage", ".txt", GARBAGE, None, ["A.txt"]),
    ("garbage npy", ".npy", b"\x93NUMPY" + GARBAGE, None, ["A.npy", "expected"]),
    ("garbage json", ".json", b"[" + GARBAGE, None, ["A.json", "expected"]),
    ("nul byte", ".txt", b"1 2\n3\x00 4\n", None, ["A.txt:2:2", "NUL byte"]),
    ("invalid utf-8", ".txt", b"1 2\n3 \xff\xfe4\n", None, ["A.txt:2:3", "UTF-8", "0xff"]),
    ("utf-16", ".txt", "1 2\n".encode("utf-16"), None, ["UTF-16", "save the file as UTF-8"]),
    ("empty", ".txt", b"", None, ["A.txt", "expected rows of numbers", "empty"]),
    ("only blanks", ".txt", b" \n\t\n\n", None, ["expected rows of numbers"]),
    ("only comments", ".txt", b"# nothing\n   # here either\n\n", None, ["only comments"]),
    ("empty json", ".json", b"", None, ["A.json", "empty"]),
    ("1e999", ".txt", b"1 1e999\n", None, ["A.txt:1:3", '"1e999" is too large for a float64']),
    ("-1e999 json", ".json", b"[1, -1e999]", None, ["A.json", "too large for a float64"]),
    ("0/0", ".txt", b"0/0 1\n", None, ["A.txt:1:1", "divides by zero", "q not 0"]),
    ("1/0", ".txt", b"1 1/0\n", None, ["A.txt:1:3", "divides by zero", "q not 0"]),
    ("lone sign", ".txt", b"1 - 2\n", None, ["A.txt:1:3", 'expected a number, found "-"']),
    ("empty entry", ".txt", b"1,,2\n", None, ["A.txt:1:1", '"1,,2"']),
    ("ragged", ".txt", b"1 2 3\n4 5\n", None, ["A.txt:2:4", "line 2 has 2 numbers, expected 3"]),
    ("code", ".txt", b"__import__('os').system('false')\n", None, ["A.txt:1:1", "expected a number"]),
    (
        "40 digits",
        ".txt",
        b"1234567890123456789012345678901234567890 -1\n",
        "1234567890123456789012345678901234567890 -1\n",
        [],
    ),
    (
        "40 digits json",
        ".json",
        b"[[-1234567890123456789012345678901234567890]]",
        "-1234567890123456789012345678901234567890\n",
        [],
    ),
    ("nan and inf", ".txt", b"nan inf -inf\n", "nan inf -inf\n", []),
    ("bom crlf minus", ".txt", "\ufeff1 \u22122\r\n3 4\r\n".encode(), "1 -2\n3  4\n", []),
]


@pytest.mark.parametrize(
    ("suffix", "content", "expected", "needles"),
    [case[1:] for case in HOSTILE_FILES],
    ids=[case[0] for case in HOSTILE_FILES],
)
def test_hostile_files(tmp_path, suffix, content, expected, needles):
    path = tmp_path / f"A{suffix}"
    path.write_bytes(content)
    result = run("correlate", str(path), "1", "-f", "plain")
    if expected is None:
        assert_error(result, *needles)
    else:
        assert_ok(result, expected)


@pytest.mark.parametrize(
    ("literal", "expected", "needles"),
    [
        ("", None, ["A (inline)", "expected a matrix such as"]),
        ("   ", None, ["A (inline)", "expected a matrix such as"]),
        ("1e999", None, ["column 1", "too large for a float64"]),
        ("0/0", None, ["divides by zero"]),
        ("1/0", None, ["divides by zero"]),
        ("1 \x00 2", None, ['expected a number, found "\\x00"']),
        ("[1, 2", None, ['expected "]" to close this "["']),
        ("[[1, 2], [3]]", None, ["expected a list of 2"]),
        ("1 2; 3", None, ["row 2 has 1 number, expected 2 like row 1"]),
        ("exec('1')", None, ["expected"]),
        ("1234567890123456789012345678901234567890", "1234567890123456789012345678901234567890\n", []),
        ("9223372036854775808 -9223372036854775809", "9223372036854775808 -9223372036854775809\n", []),
        ("1/3 -2/6", "1/3 -1/3\n", []),
    ],
)
def test_hostile_inline_arguments(literal, expected, needles):
    result = run("correlate", literal, "1", "-f", "plain")
    if expected is None:
        assert_error(result, *needles)
    else:
        assert_ok(result, expected)


def test_too_many_digits_is_an_error_not_a_crash():
    # Python refuses to convert integers of more than 4300 digits
    result = run("correlate", "9" * 5000, "1", "-f", "plain")
    assert_error(result, "too many digits", "expected at most")


@pytest.mark.parametrize("where", ["file", "inline", "stdin"])
@pytest.mark.parametrize("closed", [True, False], ids=["closed", "unclosed"])
def test_json_nested_100000_deep(tmp_path, where, closed):
    document = "[" * 100_000 + ("1" + "]" * 100_000 if closed else "")
    if where == "file":
        path = tmp_path / "deep.json"
        path.write_text(document)
        result = run("correlate", str(path), "1")
    elif where == "inline":
        result = run("correlate", document, "1")
    else:
        result = run("correlate", "-", "1", input=document)
    assert_error(result)
    if closed:
        assert "expected at most 64 levels of nested lists" in result.stderr


def test_invalid_utf8_argument_in_a_real_process():
    # the shell hands over bytes; Python decodes the invalid ones to surrogates
    proc = subprocess.run(
        [*CONVCLI, "correlate", os.fsdecode(b"1 \xff 2"), "1"],
        capture_output=True,
        timeout=60,
        env=subprocess_env(),
    )
    assert proc.returncode == ExitCode.USAGE_OR_INPUT
    assert proc.stdout == b""
    err = proc.stderr.decode("utf-8", "replace")
    assert err.startswith("error: A (inline), column 3: expected a number")
    assert "Traceback" not in err


def test_stdin_garbage_and_nul_bytes():
    assert_error(run("correlate", "-", "1", input=GARBAGE), "<stdin>")
    assert_error(run("correlate", "-", "1", input=b"1 2\x00"), "<stdin>:1:4", "NUL byte")
    assert_error(run("correlate", "-", "1", input=b""), "<stdin>", "empty")


def _hundred_megabytes(tail: bytes) -> bytes:
    size = 100 * 2**20
    return b"1 " * ((size - len(tail)) // 2) + tail


def test_a_100_megabyte_line_with_a_bad_entry_at_its_end(tmp_path):
    path = tmp_path / "line.txt"
    data = _hundred_megabytes(b"@")
    path.write_bytes(data)
    del data
    started = time.perf_counter()
    result = run("correlate", str(path), "1")
    elapsed = time.perf_counter() - started
    column = path.stat().st_size
    assert_error(result, f'line.txt:1:{column}: expected a number, found "@"')
    # the caret line is cut around the caret: the message stays short
    assert len(result.stderr) < 600
    # a bound far above the few seconds it takes, to catch a return to reading entry by entry
    assert elapsed < 60


def test_a_100_megabyte_line_of_numbers(tmp_path):
    path = tmp_path / "line.txt"
    path.write_bytes(_hundred_megabytes(b"7"))
    a = parsing.read_matrix(str(path))
    assert a.dtype == np.int64 and a.shape == (1, 50 * 2**20)
    assert int(a[0, -1]) == 7 and int(a.sum()) == a.size - 1 + 7


def test_a_long_line_reports_the_first_bad_entry_not_a_later_one(tmp_path):
    # regression for the long-row shortcut: a bad entry in the plain run still comes first
    path = tmp_path / "line.txt"
    path.write_bytes(b"1 " * 40_000 + b"1-2 " + b"1 " * 40_000 + b"@")
    err = assert_error(run("correlate", str(path), "1"))
    assert err.startswith("error: " + str(path) + ':1:80001: expected a number, found "1-2"')


_ROW_PIECES = st.sampled_from(
    ["1", "-2", "+3", "4.5", ".5", "6.", "-.5", "1-2", "1..2", "1.2.3", "+", "-", ".", "-.", "1+", "--1"]
    + ["9" * 301, "1e5", "1e999", "nan", "a", "@", "1,,2", "1,2", ",", ";", "1/0", "2/3", "1+2j", "\u22121"]
)


@settings(max_examples=300, deadline=None)
@given(
    pieces=st.lists(_ROW_PIECES, min_size=1, max_size=12), spaces=st.sampled_from([" ", "\t", "  ", " \t "])
)
def test_the_long_row_shortcut_gives_the_errors_of_the_exact_reader(pieces, spaces):
    text = spaces.join(pieces) + "\n"
    outcomes = []
    for long_row in (0, 10**9):  # the shortcut for every row, and for none
        with mock.patch.object(parsing.grid, "_LONG_ROW", long_row):
            try:
                value = parsing.parse_text(text, source="t")
                outcomes.append(("value", value.dtype, value.tolist()))
            except ConvcliError as exc:
                outcomes.append(("error", exc.message))
            try:
                value = parsing.parse_inline(text.strip(), source="t")
                outcomes.append(("value", value.dtype, value.tolist()))
            except ConvcliError as exc:
                outcomes.append(("error", exc.message))
    assert str(outcomes[:2]) == str(outcomes[2:])  # str(): nan equals nan


# ---------------------------------------------------------------------------------------------
# 2. sizes are checked before memory is allocated; steps and tables render only what they show


def _npy_header_only(path: Path, shape: tuple[int, ...], descr: str = "<f8") -> None:
    with open(path, "wb") as f:
        np.lib.format.write_array_header_1_0(f, {"descr": descr, "fortran_order": False, "shape": shape})
        f.write(b"\x00" * 64)


def test_npy_header_claiming_a_huge_shape(tmp_path):
    path = tmp_path / "huge.npy"
    _npy_header_only(path, (10**6, 10**6))
    assert path.stat().st_size < 300
    err = assert_error(run("correlate", str(path), "1"))
    assert "1000000x1000000" in err
    assert "8,000,000,000,000 bytes of float64" in err
    assert "expected a complete .npy file" in err


def test_npy_header_with_a_dimension_of_zero_among_huge_ones(tmp_path):
    path = tmp_path / "empty.npy"
    _npy_header_only(path, (0, 2**62, 2**62))
    assert_error(run("correlate", str(path), "1"), "empty array")


def test_npy_larger_than_memory_is_refused_with_its_size(tmp_path, monkeypatch):
    path = tmp_path / "a.npy"
    np.save(path, np.ones((100, 100)))
    monkeypatch.setattr(numeric, "memory_limit", lambda: 50_000)
    err = assert_error(run("correlate", str(path), "1"))
    assert "100x100 (10,000 entries" in err
    assert "more than the" in err


def test_a_full_result_too_large_for_memory(tmp_path):
    row, column = tmp_path / "row.npy", tmp_path / "column.npy"
    np.save(row, np.ones((1, 300_000)))
    np.save(column, np.ones((300_000, 1)))
    err = assert_error(run("convolve", str(row), str(column), "--mode", "full"))
    assert "would be 599999x300000" in err or "would be 300000x300000" in err
    assert "GiB" in err and "more than the" in err


def test_padding_too_large_for_memory():
    assert_error(run("correlate", "1", "1", "--padding", "99999999999999"), "the padded input would be")


def test_steps_on_a_large_input_derive_only_the_capped_cells(tmp_path):
    path = tmp_path / "big.npy"
    np.save(path, np.ones((2000, 2000)))
    started = time.perf_counter()
    result = run("steps", str(path), "box:3", "-f", "plain")
    elapsed = time.perf_counter() - started
    assert_ok(result)
    assert result.stdout.count("\nC[") == 25
    assert "note: showing 25 of 3992004 cells" in result.stderr
    assert len(result.stdout) < 20_000
    assert elapsed < 60  # measured well under that; a bound to catch deriving every cell


def test_steps_table_on_a_large_input_is_bounded(tmp_path):
    path = tmp_path / "big.npy"
    np.save(path, np.ones((1000, 1000)))
    result = run("steps", str(path), "box:3", "-f", "table", "--max-steps", "3")
    assert_ok(result)
    assert len(result.stdout) < 20_000


def test_table_of_a_4096_result_is_bounded(tmp_path):
    path = tmp_path / "big.npy"
    np.save(path, np.ones((4098, 4098)))
    started = time.perf_counter()
    result = run("correlate", str(path), "box:3", "-f", "table")
    elapsed = time.perf_counter() - started
    assert_ok(result)
    assert "4096x4096" in result.stdout
    assert len(result.stdout) < 20_000  # a summary, not 16 million cells
    assert elapsed < 60


# ---------------------------------------------------------------------------------------------
# 3. .npy files are read without pickles


class _Trap:
    """Unpickling this creates a file: the proof that a pickle was run."""

    def __init__(self, path: str) -> None:
        self.path = path

    def __reduce__(self):
        return (open, (self.path, "w"))


def test_npy_object_array_is_refused_and_its_pickle_never_run(tmp_path):
    proof = tmp_path / "pickle-was-run"
    path = tmp_path / "obj.npy"
    np.save(path, np.array([_Trap(str(proof)), 1], dtype=object), allow_pickle=True)
    err = assert_error(run("correlate", str(path), "1"))
    assert "holds Python objects (dtype object)" in err
    assert "expected numbers: bool, integer, float or complex" in err
    assert not proof.exists()


def test_npy_is_loaded_with_allow_pickle_false(tmp_path, monkeypatch):
    path = tmp_path / "a.npy"
    np.save(path, np.arange(6).reshape(2, 3))
    calls = []
    real = np.load

    def spy(*args, **kwargs):
        calls.append(kwargs)
        return real(*args, **kwargs)

    monkeypatch.setattr(np, "load", spy)
    assert_ok(run("correlate", str(path), "1", "-f", "plain"), "0 1 2\n3 4 5\n")
    assert calls and all(call.get("allow_pickle") is False for call in calls)


@pytest.mark.parametrize(
    ("array", "words"),
    [
        (np.array(["a", "b"]), "strings"),
        (np.array([b"a"]), "byte strings"),
        (np.zeros(2, dtype=[("x", "<i4")]), "records"),
        (np.array(["2020-01-01"], dtype="datetime64[D]"), "dates"),
    ],
)
def test_npy_non_numbers_are_refused(tmp_path, array, words):
    path = tmp_path / "a.npy"
    np.save(path, array)
    assert_error(run("correlate", str(path), "1"), words, "expected numbers")


def test_npy_pickle_file_in_disguise(tmp_path):
    proof = tmp_path / "pickle-was-run"
    path = tmp_path / "a.npy"
    path.write_bytes(pickle.dumps(_Trap(str(proof))))
    assert_error(run("correlate", str(path), "1"), "expected a NumPy .npy file")
    assert not proof.exists()


@pytest.mark.parametrize(
    "header",
    [
        b"{'descr': '<f8', 'fortran_order': False, 'shape': (1,), }     ]\n",  # Python's tokenizer fails
        b"{'descr': [('a', '<f8', (1, 2, (3,)))], 'fortran_order': False, 'shape': (1,)}\n",
        b"{'descr': '<f8', 'fortran_order': False, 'shape': (-1,)}\n",
        b"{'descr': 5, 'fortran_order': False, 'shape': (1,)}\n",
        b"not a dictionary at all\n",
    ],
)
def test_npy_damaged_headers(tmp_path, header):
    path = tmp_path / "a.npy"
    path.write_bytes(b"\x93NUMPY\x01\x00" + len(header).to_bytes(2, "little") + header + b"\x00" * 16)
    assert_error(run("correlate", str(path), "1"), "a.npy")


def test_npy_long_double_with_invalid_bit_patterns(tmp_path):
    # found by the fuzzer: a cast of such values warned (an error under -W error) instead of giving nan
    path = tmp_path / "a.npy"
    array = np.frombuffer(bytes(range(64)), dtype=np.uint8).view(np.longdouble)
    np.save(path, array)
    result = run("correlate", str(path), "1", "-f", "json")
    assert result.exit_code in (ExitCode.OK, ExitCode.USAGE_OR_INPUT)
    assert "Traceback" not in result.stderr and "internal error" not in result.stderr


# ---------------------------------------------------------------------------------------------
# 4. pipes, signals, terminals and output files


@pytest.fixture(scope="module")
def big_integers(tmp_path_factory) -> Path:
    """An input whose plain output is several megabytes."""
    path = tmp_path_factory.mktemp("pipe") / "big.npy"
    np.save(path, np.arange(800 * 800, dtype=np.int64).reshape(800, 800) * 1_000_003)
    return path


@pytest.mark.parametrize("fmt", ["plain", "json", "csv", "table"])
def test_a_closed_pipe_exits_quietly(big_integers, fmt):
    with subprocess.Popen(
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
    proc = subprocess.run(
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
    proc = subprocess.run(
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
    with subprocess.Popen(
        [*CONVCLI, "correlate", str(a), str(b), "-f", "plain"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=subprocess_env(),
    ) as proc:
        try:
            time.sleep(3)  # well past start-up: in the computation, which takes a minute or more
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
        proc = subprocess.run(
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
    assert result.exit_code == ExitCode.INTERRUPTED
    assert "Traceback" not in result.stderr
    assert out.read_text() == "old\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.txt"]


def test_output_is_replaced_whole(tmp_path):
    out = tmp_path / "r.json"
    out.write_text("old\n")
    result = run("correlate", "1 2; 3 4", "2", "-o", str(out))
    assert result.exit_code == ExitCode.OK
    assert json.loads(out.read_text())["result"] == [[2, 4], [6, 8]]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.json"]


def test_output_keeps_the_usual_permissions(tmp_path):
    # the temporary file is private to the user (mkstemp); the result must not be
    old_umask = os.umask(0o022)
    try:
        fresh = tmp_path / "new.json"
        assert run("correlate", "1", "1", "-o", str(fresh)).exit_code == ExitCode.OK
        assert stat.S_IMODE(fresh.stat().st_mode) == 0o644
        existing = tmp_path / "old.json"
        existing.write_text("old\n")
        existing.chmod(0o640)
        assert run("correlate", "1", "1", "-o", str(existing)).exit_code == ExitCode.OK
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
    assert result.exit_code == ExitCode.OK, result.stderr
    assert received == [b"1 2\n3 4\n"]
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pipe"]


def test_output_to_dev_stdout(tmp_path):
    proc = subprocess.run(
        [*CONVCLI, "correlate", "1 2; 3 4", "1", "-o", "/dev/stdout", "-f", "plain"],
        capture_output=True,
        timeout=60,
        env=subprocess_env(),
    )
    assert proc.returncode == ExitCode.OK, proc.stderr
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


# ---------------------------------------------------------------------------------------------
# 5. numbers: no silent overflow; nan and inf reported; unsupported kinds refused clearly


def _json_result(result):
    assert result.exit_code == ExitCode.OK, (result.stdout, result.stderr)
    return json.loads(result.stdout)["result"]


def test_scipys_wrapping_example_is_exact():
    # scipy.signal.convolve2d([[2**62]], [[4]]) gives [[0]]
    assert _json_result(run("convolve", f"{2**62}", "4", "-f", "json")) == [[2**64]]


def test_forty_digit_integers_are_exact():
    big = 1234567890123456789012345678901234567890
    got = _json_result(run("correlate", f"{big} 1; 2 {-big}", "3 5; 7 11", "-f", "json"))
    assert got == [[big * 3 + 5 + 14 - 11 * big]]


def _reference_correlate(a: np.ndarray, b: np.ndarray) -> list[list[int]]:
    a_ = [[int(x) for x in row] for row in a]
    b_ = [[int(x) for x in row] for row in b]
    p, q = len(b_), len(b_[0])
    return [
        [
            sum(a_[i + u][j + v] * b_[u][v] for u in range(p) for v in range(q))
            for j in range(len(a_[0]) - q + 1)
        ]
        for i in range(len(a_) - p + 1)
    ]


def _extremes(tmp_path) -> tuple[Path, Path, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(3)
    values = [INT64_MIN, INT64_MAX, INT64_MIN + 1, INT64_MAX - 1, -1, 0, 1]
    a = rng.choice(values, size=(6, 7)).astype(np.int64)
    b = rng.choice(values, size=(3, 2)).astype(np.int64)
    pa, pb = tmp_path / "a.npy", tmp_path / "b.npy"
    np.save(pa, a)
    np.save(pb, b)
    return pa, pb, a, b


@pytest.mark.parametrize("method", ["auto", "direct"])
def test_int64_extremes_in_npy_are_exact(tmp_path, method):
    pa, pb, a, b = _extremes(tmp_path)
    got = _json_result(run("correlate", str(pa), str(pb), "--method", method, "-f", "json"))
    assert got == _reference_correlate(a, b)


@pytest.mark.parametrize("method", ["separable", "fft", "overlap-add"])
def test_int64_extremes_with_a_float_method_are_refused_not_wrapped(tmp_path, method):
    pa, pb, _, _ = _extremes(tmp_path)
    assert_error(
        run("correlate", str(pa), str(pb), "--method", method), f"--method {method}", "use --method auto"
    )


def test_int64_extremes_in_dot_and_elementwise_sum(tmp_path):
    a = np.array([[INT64_MIN, INT64_MAX], [INT64_MAX, INT64_MIN]], dtype=np.int64)
    path = tmp_path / "a.npy"
    np.save(path, a)
    exact = [[int(x) for x in row] for row in a]
    dot = [[sum(exact[i][k] * exact[k][j] for k in range(2)) for j in range(2)] for i in range(2)]
    assert _json_result(run("dot", str(path), str(path), "-f", "json")) == dot
    assert _json_result(run("elementwise-sum", str(path), str(path), "-f", "json")) == sum(
        x * x for row in exact for x in row
    )


def test_uint64_beyond_int64_in_npy_is_exact(tmp_path):
    u = np.array([[2**64 - 1, 2**63], [2**63 + 5, 7]], dtype=np.uint64)
    path = tmp_path / "u.npy"
    np.save(path, u)
    exact = [[int(x) for x in row] for row in u]
    assert _json_result(run("correlate", str(path), "3", "-f", "json")) == [
        [3 * x for x in row] for row in exact
    ]
    dot = [[sum(exact[i][k] * exact[k][j] for k in range(2)) for j in range(2)] for i in range(2)]
    assert _json_result(run("dot", str(path), str(path), "-f", "json")) == dot


def test_fractions_with_huge_denominators_are_exact():
    p, q = 10**30 + 7, 10**29 + 3
    got = _json_result(run("correlate", f"1/{p} 1/3; 2 1", f"1/{q} 5; 2/{q} 1", "-f", "json"))
    expected = Fraction(1, p) / q + Fraction(5, 3) + Fraction(4, q) + 1
    assert got == [[str(expected)]]


# Padding an object array of Python ints once put numpy int64 zeros in it; np.int64(0) plus a
# product beyond int64 raised OverflowError (exit 70). The next three tests guard that.


def test_fractions_with_huge_denominators_in_full_mode():
    p, q = 10**30 + 7, 10**29 + 3
    result = run("convolve", f"1/{p} 1", f"1/{q} 5", "--mode", "full", "-f", "json")
    assert _json_result(result) == [
        [
            str(Fraction(1, p * q)),
            str(Fraction(5, p) + Fraction(1, q)),
            5,
        ]
    ]  # a whole number is a JSON number


@pytest.mark.parametrize("options", [["--mode", "full"], ["--mode", "same"], ["--padding", "1"]])
def test_integers_beyond_int64_with_padding(options):
    big = 10**20
    result = run("correlate", f"{big} 1", f"2 {big}", *options, "-f", "json")
    assert result.exit_code == ExitCode.OK, result.stderr


def test_int64_extremes_in_full_mode(tmp_path):
    pa, pb, a, b = _extremes(tmp_path)
    got = _json_result(run("correlate", str(pa), str(pb), "--mode", "full", "-f", "json"))
    padded = np.zeros((a.shape[0] + 4, a.shape[1] + 2), dtype=object)
    padded[2:-2, 1:-1] = a
    assert got == _reference_correlate(padded, b)


NINES = "9" * 4000


@pytest.mark.parametrize("fmt", ["plain", "csv", "json", "markdown", "latex", "table"])
def test_results_longer_than_pythons_digit_limit_are_printed(fmt):
    # a product of two 4000-digit numbers has 8000 digits: str() refuses more than 4300
    result = run("correlate", NINES, NINES, "-f", fmt)
    assert_ok(result)
    if fmt == "json":
        value = json.loads(result.stdout)["result"][0][0]
        assert isinstance(value, str) and len(value) == 8000  # too long for a JSON number
        assert value.startswith("9" * 3999 + "8") and value.endswith("0" * 3999 + "1")
    elif fmt in ("plain", "csv"):
        assert result.stdout.strip() == "9" * 3999 + "8" + "0" * 3999 + "1"
    elif fmt == "table":
        assert "9" * 70 in result.stdout


def test_fractions_longer_than_pythons_digit_limit_are_printed():
    result = run("correlate", f"1/{NINES} 1", f"1/{NINES}", "-f", "plain")
    assert_ok(result)
    numerator, denominator = result.stdout.split()[0].split("/")
    assert numerator == "1" and denominator == "9" * 3999 + "8" + "0" * 3999 + "1"


def test_int_text_matches_str():
    for n in [0, 1, -1, 10**3000, -(10**3000) + 7, 3**20000, -(7**30000), 10**5000, 10**5000 - 1]:
        with_limit_lifted = _str_without_limit(n)
        assert int_text(n) == with_limit_lifted
        assert format_number(n) == with_limit_lifted


def _str_without_limit(n: int) -> str:
    old = sys.get_int_max_str_digits()
    sys.set_int_max_str_digits(0)
    try:
        return str(n)
    finally:
        sys.set_int_max_str_digits(old)


@pytest.mark.parametrize(
    "entry",
    [
        "2^99999999*a",
        "a*4^4444444454444444",
        "a*3^(9^9)",
        "a+10^-99999",
    ],
)
def test_powers_too_large_in_symbolic_entries_are_refused_not_computed(entry):
    # found by the fuzzer: 4^4444444454444444 in an entry ran without end
    started = time.perf_counter()
    assert_error(run("correlate", entry, "1"), "has a power with about", "expected powers of numbers")
    assert time.perf_counter() - started < 10


@pytest.mark.parametrize("entry", ["4.5/-.0*a", "a/0.0", "a/(b-b)", "a/0"])
def test_division_by_zero_in_symbolic_entries(entry):
    # found by the fuzzer: a float zero divisor (sympy's Float(0.0) == 0 is False) raised
    # ZeroDivisionError
    with pytest.raises(ConvcliError, match="divides by zero"):
        parsing.parse_inline(entry, source="A (inline)")


def test_powers_in_symbolic_entries_within_the_limit():
    assert_ok(run("correlate", "2^10*a", "1", "-f", "plain"), "1024*a\n")
    assert_ok(run("correlate", "(a+1)^999", "1", "-f", "plain"), "(a+1)**999\n")


_WARNS = "float overflow warns (RuntimeWarning, an error under pytest) instead of being reported as inf"


@pytest.mark.parametrize(
    "args",
    [
        ["elementwise-sum", "1e308 1e308", "1e308 1e308"],
        ["dot", "[[1,2],[3,4]]", "[1e308,1e308]"],
    ],
)
def test_float_overflow_in_sums_and_products_is_a_note(args):
    # found by tests/test_fuzz.py: the overflow warned (exit 70 under -W error) before the note
    result = run(*args, "-f", "plain")
    assert_ok(result)
    assert "inf" in result.stdout and "note:" in result.stderr and "inf" in result.stderr


def test_float_overflow_in_compare():
    result = run("compare", "1e308 1e308", "1e308 1e308", "--padding", "2,1", "-f", "plain")
    assert_ok(result)
    assert "inf" in result.stdout


def test_float_overflow_in_im2col_is_not_an_internal_error():
    assert_ok(run("im2col", "1 2 3 4 5", "1e308 1e308", "-f", "plain"))


def test_float_overflow_in_conv_transpose_is_a_note():
    result = run("conv-transpose", "1e308 1e308", "1 2 3 4 5", "-f", "plain")
    assert_ok(result, "1e+308 inf inf inf inf inf\n")


@pytest.mark.parametrize(
    "options",
    [["--stride", "99999999999"], ["--dilation", "99999999999"], ["--stride", "99999", "--steps"]],
)
def test_conv_transpose_sizes_are_checked_before_allocating(options):
    assert_error(run("conv-transpose", "1 2; 3 4", "1 1; 1 1", *options), "would be")


def test_nan_is_reported_with_the_cells_it_reached():
    result = run("correlate", "1 nan 3; 4 5 6", "1 1", "-f", "plain")
    assert_ok(result, "nan  nan\n9.0 11.0\n")
    assert "note: nan reached 2 cells: [0, 0], [0, 1]" in result.stderr


def test_inf_from_finite_inputs_is_reported():
    result = run("correlate", "1e308 1e308 3", "10 10", "-f", "plain")
    assert_ok(result, "inf inf\n")
    assert "note: inf reached 2 cells: [0, 0], [0, 1]" in result.stderr


def test_nan_fillvalue_is_fine_and_reported():
    result = run("correlate", "1 2; 3 4", "1 1; 1 1", "--mode", "full", "--fillvalue", "nan", "-f", "json")
    assert result.exit_code == ExitCode.OK
    value = json.loads(result.stdout)["result"]
    assert value[1][1] == 10.0 and value[0][0] == "nan"
    assert "note: nan reached 8 cells" in result.stderr


def test_a_complex_fillvalue_is_fine():
    result = run("correlate", "1 2; 3 4", "1 1; 1 1", "--mode", "full", "--fillvalue", "1+1j", "-f", "json")
    a = np.pad(np.array([[1, 2], [3, 4]], dtype=complex), 1, constant_values=1 + 1j)
    expected = [[complex(a[i : i + 2, j : j + 2].sum()) for j in range(3)] for i in range(3)]
    got = [[complex(x.replace("+-", "-")) for x in row] for row in _json_result(result)]
    assert got == expected


@pytest.mark.parametrize(
    ("args", "needles"),
    [
        (
            ["correlate", "1+2j 3", "1", "--activation", "relu"],
            ["--activation relu", "real numbers", "complex"],
        ),
        (["correlate", "1+2j 3", "1", "--activation", "sigmoid"], ["--activation sigmoid", "complex"]),
        (["correlate", "a b", "1", "--activation", "sigmoid"], ["--activation sigmoid", "symbolic"]),
        (["correlate", "a b", "1", "--activation", "tanh"], ["--activation tanh", "symbolic"]),
        (["correlate", "a b", "1", "--activation", "relu"], ["--activation relu", "symbolic"]),
        (["correlate", "1/2 1", "1", "-f", "npy"], ["npy", "rational", "write it as plain or json"]),
        (["correlate", "a 1", "1", "-f", "npy"], ["npy", "symbolic", "write it as plain or json"]),
        (["correlate", f"{10**20} 1", "1", "-f", "npy"], ["npy", "too large for int64", "plain or json"]),
        (["correlate", "1 1", "1", "--exact", "--fillvalue", "1e999999999", "--mode", "full"], ["exponent"]),
        (["correlate", "1e999999999 1", "1", "--exact"], ["exponent", "at most 1000"]),
        (["correlate", "1 1", "1", "--bias", "1e999"], ["--bias", "too large for a float64"]),
    ],
)
def test_unsupported_kinds_are_refused_clearly(args, needles):
    assert_error(run(*args), *needles)


def test_exact_exponent_limit_in_numbers():
    assert parsing.parse_token("1e1000", exact=True) == 10**1000
    assert parsing.parse_token("1e-3", exact=True) == Fraction(1, 1000)
    with pytest.raises(ValueError, match="too large an exponent"):
        parsing.parse_token("1e1001", exact=True)
    with pytest.raises(ValueError, match="too large an exponent"):
        parsing.parse_token("2.5E-99999999999", exact=True)
    assert math.isinf(parsing.parse_token("inf"))  # not exact: a float as before


def test_huge_max_steps_means_all_cells():
    result = run("steps", "1 2; 3 4", "1", "--max-steps", "99999999999999999999999", "-f", "plain")
    assert_ok(result)
    assert result.stdout.count("\nC[") == 4
    result = run(
        "conv-transpose", "1 2", "1", "--steps", "--max-steps", "99999999999999999999999", "-f", "plain"
    )
    assert_ok(result)


# ---------------------------------------------------------------------------------------------
# 6. every error message names what was wrong and what would be accepted

# (arguments, what was wrong, what would be accepted): both must be in the error line
BAD_INVOCATIONS = [
    (["correlate", "1", "1", "--stride", "-1"], "got -1", "whole numbers >= 1"),
    (["correlate", "1", "1", "--stride", "0"], "got 0", "whole numbers >= 1"),
    (["correlate", "1", "1", "--stride", "a"], 'got "a"', "whole numbers separated by commas"),
    (["correlate", "1", "1", "--stride", ""], 'got ""', "whole numbers separated by commas"),
    (["correlate", "1 2; 3 4", "1", "--padding", "1,2,3"], "got 3", "1, 2 or 4 numbers"),
    (["correlate", "1", "1", "--padding", "-1"], "got -1", "whole numbers >= 0"),
    (["correlate", "1", "1", "--dilation", "0"], "got 0", "whole numbers >= 1"),
    (["correlate", "1", "1", "--mode", "weird"], "'weird'", "'valid', 'same', 'full'"),
    (["correlate", "1", "1", "--boundary", "weird"], 'got "weird"', "fill, wrap, symm, mirror, edge"),
    (["correlate", "1", "1", "--boundary", "reflect"], "two different things", "which is --boundary mirror"),
    (["correlate", "1", "1", "--fillvalue", "1,2"], 'got "1,2"', "one number"),
    (["correlate", "1", "1", "--fillvalue", "1e999"], '"1e999" is too large', "about 1.8e308"),
    (["correlate", "1", "1", "--bias", "1/0"], '"1/0" divides by zero', "expected p/q with q not 0"),
    (["correlate", "1", "1", "--bias", "1,2"], "got 2", "one value, or one per filter"),
    (["correlate", "1", "1", "--convention", "weird"], "'weird'", "'scipy', 'numpy'"),
    (["correlate", "1", "1", "--method", "weird"], "'weird'", "'direct', 'separable', 'fft'"),
    (["correlate", "1", "1", "--activation", "weird"], "'weird'", "'relu', 'sigmoid', 'tanh'"),
    (["correlate", "1", "1", "-f", "weird"], "'weird'", "'plain', 'csv', 'json'"),
    (["correlate", "1", "1", "-o", "out.xyz"], '"out.xyz"', "use one of .txt .csv .json"),
    (["correlate", "1", "1", "--export", "out.pdf"], '"out.pdf"', ".html, .svg or .txt"),
    (
        ["correlate", "1 2; 3 4", "1", "--padding", "1", "--mode", "same"],
        "--mode same",
        "then uses valid mode",
    ),
    (["correlate", "1 2; 3 4", "1 2 3; 4 5 6; 7 8 9", "--padding", "0"], "kernel is 3x3", "must fit inside"),
    (["correlate", "1 2 3", "1 2; 3 4; 5 6"], "B is 3x2", "one operand must be at least as large"),
    (["correlate", "1 2; 3", "1"], "row 2 has 1 number", "expected 2 like row 1"),
    (["correlate", "[[1,2],[3]]", "1"], "found a list of 1", "expected a list of 2"),
    (["correlate", "[[]]", "1"], "found an empty list", "expected at least one number"),
    (["correlate", "{}", "1"], "found an object with keys none", 'an object with a "result" key'),
    (["correlate", "[1,", "1"], 'close this "["', 'expected "]"'),
    (["correlate", '["1",', "1"], "invalid JSON", "expected value"),
    (["correlate", "-", "-"], "only one of A and B", "can be '-'"),
    (["correlate", "box:0", "1"], 'got "0"', "expected box or box:N"),
    (["correlate", "gaussian:5:-1", "1"], 'got "-1"', "gaussian:SIZE:SIGMA"),
    (["correlate", "[1,2]", "1", "--channels"], "A is 1-D of length 2", "A must be C x H x W"),
    (["correlate", "[[[[1]]]]", "1"], "A is 1x1x1x1", "1, 2 or 3 axes"),
    (["dot", "1 2", "1 2 3"], "(2 and 1)", "must match"),
    (["elementwise-sum", "1 2", "1 2 3"], "B is 1x3", "the shapes must be equal"),
    (["steps", "1 2; 3 4", "1", "--at", "9,9"], "index 9 on axis 0", "(0 to 1)"),
    (["steps", "1", "1", "--at", "a"], 'got "a"', "whole numbers separated by commas"),
    (["steps", "1", "1", "--at", "1,2,3"], "got 3", "takes 2 indices"),
    (["steps", "1", "1", "--max-steps", "0"], "got 0", "a whole number >= 1"),
    (
        ["steps", "1", "1", "-f", "npy"],
        "cannot be written as npy",
        "use table, plain, json, markdown, latex or html",
    ),
    (["check", "1", "1"], "Missing option '--answer'", "--help"),
    (["check", "1", "1", "--answer", "1", "--tolerance", "-1"], "got -1.0", "a finite number >= 0"),
    (["conv-transpose", "1", "1", "--stride", "0"], "got 0", "whole numbers >= 1"),
    (["conv-transpose", "1", "1", "--output-padding", "5"], "output padding 5", "must be smaller than"),
    (["conv-transpose", "1", "1", "--padding", "9"], "gives an output of -17", "lower --padding"),
    (["shape", "--input", "0x0", "--kernel", "3"], 'got "0x0"', "at least 1"),
    (["shape", "--input", "abc", "--kernel", "3"], 'got "abc"', "such as 32, 32x32 or 3x32x32"),
    (["shape", "--input", "32", "--kernel", "40"], "larger than the padded input", "must be at least 1"),
    (["kernels", "-f", "csv"], "cannot be written as csv", "use table, plain, json or markdown"),
    (
        ["compare", "1", "1", "-f", "csv"],
        "cannot be written as csv",
        "use table, plain, json, markdown, latex or html",
    ),
    (
        ["check", "1", "1", "--answer", "1", "-f", "csv"],
        "cannot be written as csv",
        "plain, json, markdown or html",
    ),
    (["im2col", "1", "1", "-f", "csv"], "cannot be written as csv", "use table, plain, json"),
    (
        ["correlate", "nonexistent.txt", "1"],
        'no such file "nonexistent.txt"',
        "expected a file, an inline matrix",
    ),
    (["correlate", "1e999999999 1", "1", "--exact"], "too large an exponent", "at most 1000"),
]


@pytest.mark.parametrize(
    ("args", "wrong", "accepted"), BAD_INVOCATIONS, ids=[" ".join(c[0])[:60] for c in BAD_INVOCATIONS]
)
def test_error_messages_say_what_was_wrong_and_what_would_be_accepted(args, wrong, accepted):
    first = assert_error(run(*args)).splitlines()[0]
    assert wrong in first, first
    assert accepted in first, first


def test_core_errors_are_convcli_errors():
    """The parser raises nothing but ConvcliError subclasses (see also tests/test_roundtrip.py)."""
    for text in ["", "\x00", "1,,2", "[" * 70 + "]" * 70, "1e999", "0/0", "- -", "a b; c"]:
        try:
            parsing.parse_text(text, source="t")
            parsing.parse_inline(text, source="t")
        except ConvcliError:
            pass
    with pytest.raises(ConvcliError):
        parsing.parse_json("[" * 100_000, source="t")
    buffer = io.StringIO("")
    with pytest.raises(ConvcliError):
        parsing.read_matrix("-", stdin=buffer)
