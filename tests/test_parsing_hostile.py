"""Any bytes as a matrix file or argument: a correct result, or one ``error:`` line and exit 2;
never a traceback, a hang or a wrong answer.

CLI runs check exit code, stdout and stderr separately.
"""

from __future__ import annotations

import os
import random
import time
from unittest import mock

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from convcli import parsing
from convcli.cli import ExitCode
from convcli.errors import ConvcliError

from . import forkrun
from .clicheck import CONVCLI, assert_error, assert_ok, run, subprocess_env

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
    proc = forkrun.run(
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


def _megabytes(count: int, tail: bytes) -> bytes:
    size = count * 2**20
    return b"1 " * ((size - len(tail)) // 2) + tail


def test_a_100_megabyte_line_with_a_bad_entry_at_its_end(tmp_path):
    path = tmp_path / "line.txt"
    data = _megabytes(100, b"@")
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


def test_a_16_megabyte_line_of_numbers(tmp_path):
    # 8 million entries, far beyond the long-row shortcut's threshold; the size limit is the
    # 100-megabyte line above, which fails without building an array
    path = tmp_path / "line.txt"
    path.write_bytes(_megabytes(16, b"7"))
    a = parsing.read_matrix(str(path))
    assert a.dtype == np.int64 and a.shape == (1, 8 * 2**20)
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
