"""Reading MATRIX arguments: text grids, JSON, .npy, standard input, inline literals.

Values are checked exactly (dtype included) and errors by their full message and caret lines.
"""

from __future__ import annotations

import io
import json
import mmap
import os
import string
import threading
from fractions import Fraction
from unittest import mock

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from convcli import parsing
from convcli.errors import ConvcliError, ParseError
from convcli.parsing import (
    fastgrid,
    grid,
    load_npy,
    npy,
    parse_inline,
    parse_json,
    parse_text,
    read_matrix,
    resolve,
)
from convcli.parsing.source import Source
from convcli.text import format_number


def text(s: str, **kwargs) -> np.ndarray:
    return parse_text(s, source="A.txt", **kwargs)


def error_of(call, *args, **kwargs) -> ParseError:
    with pytest.raises(ParseError) as info:
        call(*args, **kwargs)
    return info.value


def reason_of(token: str, symbols: bool = False) -> str:
    """Why parsing.parse_token refuses ``token``: the number model words it, the readers locate it.
    Text grids read numbers only; inline matrices also read symbols."""
    with pytest.raises(ValueError) as info:
        parsing.parse_token(token, symbols=symbols)
    return str(info.value)


BAD = reason_of("4x")  # an entry no text grid accepts
BAD_INLINE = reason_of("4x", symbols=True)  # nor an inline matrix or JSON, which also read symbols


def same(actual: np.ndarray, expected, dtype) -> None:
    """Equal values, shape and dtype (nan equal to nan)."""
    expected = np.asarray(expected, dtype=dtype)
    assert actual.dtype == expected.dtype
    assert actual.shape == expected.shape
    if dtype is object:
        assert actual.tolist() == expected.tolist()
        assert [type(v) for v in actual.flat] == [type(v) for v in expected.flat]
    else:
        np.testing.assert_array_equal(actual, expected)


# ---------------------------------------------------------------------------------------------
# text grids


@pytest.mark.parametrize(
    "source",
    [
        "1 2 3\n4 5 6\n",
        "1\t2\t3\n4\t5\t6",
        "1,2,3\n4,5,6\n",
        "1;2;3\n4;5;6\n",
        "1, 2, 3\n4, 5, 6\n",
        "1,2,3,\n4,5,6,\n",
        ",1 ,2; 3\n  4\t5,6  \n",
        "1 2 3 # the first row\n# a comment alone\n4 5 6\n",
        "1 2 3\r\n4 5 6\r\n",
        "1 2 3\r4 5 6\r",
        "\ufeff1 2 3\n4 5 6\n",
        "\n\n1 2 3\n4 5 6\n\n\n",
        "1 2 3\n4 5 6\n   \t\n",
    ],
)
def test_separators_comments_and_line_ends(source):
    same(text(source), [[1, 2, 3], [4, 5, 6]], np.int64)


def test_unicode_minus_sign():
    same(text("\u22121 2\n3 \u22124.5"), [[-1, 2], [3, -4.5]], np.float64)
    same(text("\u22121 \u22122/3"), [[Fraction(-1), Fraction(-2, 3)]], object)


def test_a_grid_is_2d_as_written():
    # one row is a 1 x N matrix and one number a 1 x 1 matrix, as in MATLAB
    same(text("1 2 3\n"), [[1, 2, 3]], np.int64)
    same(text("7"), [[7]], np.int64)
    same(text("1.5 2"), [[1.5, 2.0]], np.float64)
    same(text("1\n2\n3\n"), [[1], [2], [3]], np.int64)


def test_blank_lines_make_blocks():
    source = "1 2\n3 4\n\n\n5 6\n7 8\n\n9 10\n11 12\n"
    same(text(source), [[[1, 2], [3, 4]], [[5, 6], [7, 8]], [[9, 10], [11, 12]]], np.int64)
    # blocks of one row are 1 x n matrices, so the array stays 3-D
    same(text("1.5 2\n\n3 4\n"), [[[1.5, 2]], [[3, 4]]], np.float64)


def test_a_comment_alone_does_not_separate_blocks():
    same(text("1 2\n# note\n3 4\n"), [[1, 2], [3, 4]], np.int64)
    same(text("1.5 2\n\x1c # note\n3 4\n"), [[1.5, 2], [3, 4]], np.float64)
    same(text("1 2\n\n# channel 2\n3 4\n"), [[[1, 2]], [[3, 4]]], np.int64)
    same(text("# header\n\n1 2\n"), [[1, 2]], np.int64)


def test_blocks_of_different_shapes():
    err = error_of(text, "1 2\n3 4\n\n5 6 7\n8 9 10\n")
    assert err.lines() == [
        "A.txt:4:1: block 2 (lines 4-5) is 2x3, expected 2x2 like block 1 (lines 1-2); "
        "blank lines separate the blocks (channels) of a 3-D array",
        "   4 | 5 6 7",
        "     | ^",
    ]
    err = error_of(text, "1 2\n\n3 4\n5 6\n")
    assert err.message == (
        "A.txt:3:1: block 2 (lines 3-4) is 2x2, expected 1x2 like block 1 (line 1); "
        "blank lines separate the blocks (channels) of a 3-D array"
    )


def test_ragged_rows():
    err = error_of(text, "1 2 3\n4 5 6\n7 8\n")
    assert err.lines() == [
        "A.txt:3:4: line 3 has 2 numbers, expected 3 like line 1",
        "   3 | 7 8",
        "     |    ^",
    ]
    err = error_of(text, "# m\n1 2\n3 4 5\n")
    assert err.lines() == [
        "A.txt:3:5: line 3 has 3 numbers, expected 2 like line 2",
        "   3 | 3 4 5",
        "     |     ^",
    ]
    assert (err.source, err.line, err.column, err.line_text) == ("A.txt", 3, 5, "3 4 5")


def test_empty_entry_between_separators_is_the_spec_example(tmp_path):
    path = tmp_path / "A.txt"
    path.write_text("1 2 3\n4 5 6\n10 20 1,,2\n")
    err = error_of(read_matrix, str(path))
    assert err.message == f'{path}:3:7: expected a number, found "1,,2"'
    assert err.lines()[1:] == ["   3 | 10 20 1,,2", "     |       ^"]
    assert error_of(text, "1;;2").message == 'A.txt:1:1: expected a number, found "1;;2"'
    assert error_of(text, "1 ,;2").message == 'A.txt:1:3: expected a number, found ",;2"'


def test_a_line_of_separators_alone():
    err = error_of(text, "1 2\n ,\n3 4\n")
    assert err.lines() == ['A.txt:2:2: expected a number, found ","', "   2 |  ,", "     |  ^"]


@pytest.mark.parametrize(
    ("source", "message", "caret"),
    [
        ("", "A.txt: expected rows of numbers, found none (the input is empty)", None),
        (" \n\t\n", "A.txt: expected rows of numbers, found none (the input is empty)", None),
        (
            "# nothing\n\n# here\n",
            "A.txt: expected rows of numbers, found none (only comments and blank lines)",
            None,
        ),
        ("1 $\n", 'A.txt:1:3: expected a number, found "$"', ("   1 | 1 $", "     |   ^")),
        (
            "1 2\n3 1e999\n",
            'A.txt:2:3: "1e999" is too large for a float64 (the largest is about 1.8e308)',
            ("   2 | 3 1e999", "     |   ^"),
        ),
        (
            "0/0",
            'A.txt:1:1: "0/0" divides by zero; expected p/q with q not 0',
            ("   1 | 0/0", "     | ^"),
        ),
        (
            "2 1/0",
            'A.txt:1:3: "1/0" divides by zero; expected p/q with q not 0',
            ("   1 | 2 1/0", "     |   ^"),
        ),
        (
            "1 2\n3 4x\n",
            f"A.txt:2:3: {BAD}",
            ("   2 | 3 4x", "     |   ^"),
        ),
        (
            "1 \u2212\n",
            'A.txt:1:3: expected a number, found "\u2212"',
            ("   1 | 1 \u2212", "     |   ^"),
        ),
        (
            "1 - 2\n",
            'A.txt:1:3: expected a number, found "-"',
            ("   1 | 1 - 2", "     |   ^"),
        ),
        (
            "1\t\x1b[31m\n",
            'A.txt:1:3: expected a number, found "\\x1b[31m"',
            ("   1 | 1 \ufffd[31m", "     |   ^"),
        ),
    ],
)
def test_text_errors(source, message, caret):
    err = error_of(text, source)
    assert err.message == message
    assert err.lines() == [message, *(caret or ())]


def test_numbers_of_every_kind():
    same(text("1 2\n3 4"), [[1, 2], [3, 4]], np.int64)
    same(text("1 2.5\n3 4"), [[1, 2.5], [3, 4]], np.float64)
    same(text("1/9 2\n3 1/2"), [[Fraction(1, 9), Fraction(2)], [Fraction(3), Fraction(1, 2)]], object)
    same(text("1+2j 3\n-1j 4"), [[1 + 2j, 3], [-1j, 4]], np.complex128)
    same(text("nan inf\n-inf 1.5"), [[np.nan, np.inf], [-np.inf, 1.5]], np.float64)
    same(text("NaN +Infinity 1e-999"), [[np.nan, np.inf, 0.0]], np.float64)
    same(text("1e3 2E-2 .5 5."), [[1000.0, 0.02, 0.5, 5.0]], np.float64)


def test_integers_stay_exact():
    big = 10**39 + 7  # 40 digits
    same(text(f"{big} 1\n2 -{big}"), [[big, 1], [2, -big]], object)
    same(text("9223372036854775807 -9223372036854775808"), [[2**63 - 1, -(2**63)]], np.int64)
    same(text("9223372036854775808 0"), [[2**63, 0]], object)
    same(text("+5 -0 007"), [[5, 0, 7]], np.int64)


def test_an_integer_too_large_for_a_float_among_decimals():
    err = error_of(text, "0.5 1\n2 1" + "0" * 400)
    assert err.message == (
        'A.txt:2:3: "1000000000000000000000000000000000000..." is too large for a float64 '
        "(the largest is about 1.8e308), the type of every entry once any entry is a decimal or "
        "complex (--exact reads decimals exactly)"
    )
    err = error_of(parse_json, '["1j", ' + "9" * 400 + "]", source="A.json")
    assert err.message.startswith('A.json:1:8: "9999999999999999999999999999999999999..." is too large')
    assert err.message.endswith("(--exact reads decimals exactly) (at [1])")
    err = error_of(parse_inline, "0.5 1" + "0" * 400, source="B (inline)")
    assert err.message.startswith('B (inline), column 5: "1000000000000000000000000000000000000..."')


def test_too_many_digits():
    err = error_of(text, "1" * 5000)
    assert err.message == (
        'A.txt:1:1: "1111111111111111111111111111111111111..." has too many digits; '
        "expected at most 4300 digits"
    )


def test_exact_reads_decimals_as_fractions():
    same(
        text("0.1 1e-2\n2 1/3", exact=True),
        [[Fraction(1, 10), Fraction(1, 100)], [Fraction(2), Fraction(1, 3)]],
        object,
    )
    same(text("1 2\n3 4", exact=True), [[1, 2], [3, 4]], np.int64)
    assert error_of(text, "1 nan", exact=True).message == (
        'A.txt:1:3: "nan" has no exact value (--exact reads only finite numbers)'
    )
    assert error_of(text, "1e99999", exact=True).message == (
        'A.txt:1:1: "1e99999" has too large an exponent for an exact value; '
        "expected an exponent of at most 1000 with --exact"
    )
    same(text("1e-1000", exact=True), [[Fraction(1, 10**1000)]], object)


# ---------------------------------------------------------------------------------------------
# files: encodings and bytes


def test_invalid_utf8(tmp_path):
    path = tmp_path / "A.txt"
    path.write_bytes(b"1 2\n3 \xc3\xa9 \xff4\n")
    err = error_of(read_matrix, str(path))
    assert err.lines() == [
        f"{path}:2:5: expected UTF-8 text, found the byte 0xff",
        "   2 | 3 \u00e9 \ufffd4",
        "     |     ^",
    ]


def test_nul_byte(tmp_path):
    path = tmp_path / "A.txt"
    path.write_bytes(b"1 2\r\n3\x00 4\r\n")
    err = error_of(read_matrix, str(path))
    assert err.lines() == [
        f"{path}:2:2: expected text, found a NUL byte (is this a binary file?)",
        "   2 | 3\ufffd 4",
        "     |  ^",
    ]
    err = error_of(text, "1\x00")
    assert err.message == "A.txt:1:2: expected text, found a NUL byte (is this a binary file?)"


def test_utf16(tmp_path):
    path = tmp_path / "A.txt"
    path.write_text("1 2\n", encoding="utf-16")
    assert error_of(read_matrix, str(path)).message == (
        f"{path}:1: expected UTF-8 text, found UTF-16 (it starts with a UTF-16 byte order mark); "
        "save the file as UTF-8"
    )


def test_files_with_bom_crlf_and_unicode_minus(tmp_path):
    path = tmp_path / "A.dat"
    path.write_bytes("\ufeff1 \u22122\r\n3 4\r\n".encode())
    same(read_matrix(str(path)), [[1, -2], [3, 4]], np.int64)
    path.write_bytes("\ufeff1 4x\r\n".encode())
    assert error_of(read_matrix, str(path)).lines() == [
        f"{path}:1:3: {BAD}",
        "   1 | 1 4x",
        "     |   ^",
    ]


def test_columns_count_characters_not_bytes(tmp_path):
    path = tmp_path / "A.txt"
    path.write_text("1 \u22122 \u00e9!\n", encoding="utf-8")
    assert error_of(read_matrix, str(path)).message == (f'{path}:1:6: expected a number, found "\u00e9!"')


# ---------------------------------------------------------------------------------------------
# the fast path agrees with the exact reader


@pytest.fixture(params=["by line", "whole text"])
def strategy(request, monkeypatch):
    monkeypatch.setattr(fastgrid, "_WIDE_LINE", 0 if request.param == "by line" else 10**9)
    return request.param


@pytest.mark.parametrize(
    "source",
    [
        "1 2 3\n4 5 6\n",
        "-1 +2 3\n4 -5 6",
        "1.5 -2e3\n.5 5.\n",
        "nan inf -inf\n1 2 3\n",
        "1 2\n3 4\n\n5 6\n7 8\n",
        "\n\n1 2\n3 4\n  \n\t\n5 6\n7 8\n\n",
        "1.5 2\n\n3 4\n",
        "1,2;3\n4 , 5 ,6,\n",
        "1 2 # note\n# alone\n3 4\n",
        "1\n2\n3\n",
        "9223372036854775807 1\n-9223372036854775808 2",
        "5",
        "1e308 -1e308",
    ],
)
def test_fast_path_matches_the_exact_reader(source, strategy):
    fast = fastgrid.fast_grid(source.encode(), False)
    assert fast is not None or "922" in source  # saturation values are left to the exact reader
    exact = grid.exact_grid(source, Source("A.txt"), False)
    result = text(source)
    assert result.dtype == exact.dtype
    np.testing.assert_array_equal(result, exact)


@pytest.mark.parametrize(
    "source",
    [
        "1 -",
        "1 - 2",
        "- 1",
        "1 +\n2 3",
        "1 2\n3 4 5\n",
        "1 2 3\n4 5\n",
        "1 2\n\n3 4\n5 6\n",
        "1,,2",
        "1 2\n,\n3 4",
        "1 2\n3 1e999\n",
        "99999999999999999999 1",
        "-99999999999999999999 1",
        "nan(1) 2",
        "1_000 2",
        "0x10 1",
        "1.5.5 2",
        "1-2 3",
        "1e 2",
        "   ",
        "",
        "1\x1c2\n3 4",
    ],
)
def test_fast_path_steps_aside(source, strategy):
    assert fastgrid.fast_grid(source.encode(), False) is None


def test_fast_path_leaves_decimals_to_exact_mode():
    assert fastgrid.fast_grid(b"0.5 1", True) is None
    same(fastgrid.fast_grid(b"5 1", True), [[5, 1]], np.int64)


@pytest.fixture
def direct(monkeypatch):
    """Files of any size go to numpy.loadtxt by path when they can; the calls are recorded."""
    monkeypatch.setattr(fastgrid, "_DIRECT_BYTES", 0)
    calls = []
    real = np.loadtxt

    def spy(source, *args, **kwargs):
        calls.append(source)
        return real(source, *args, **kwargs)

    monkeypatch.setattr(np, "loadtxt", spy)
    return calls


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("1.5 2\n3 4\n", [[1.5, 2], [3, 4]]),
        ("# header\n1.5 2 # note\n3 4\n\n\n", [[1.5, 2], [3, 4]]),
        ("  \n 0.5\t-2e3 \n", [[0.5, -2000.0]]),
        ("0.5\n2\n", [[0.5], [2]]),
        ("1.5 nan\n2 3\n", [[1.5, np.nan], [2, 3]]),
    ],
)
def test_large_decimal_files_go_to_loadtxt_by_path(tmp_path, direct, content, expected):
    path = tmp_path / "A.txt"
    path.write_text(content)
    same(read_matrix(str(path)), expected, np.float64)
    assert direct == [str(path)]


@pytest.mark.parametrize(
    ("content", "expected", "dtype"),
    [
        ("1 2 # 0.5\n3 4\n", [[1, 2], [3, 4]], np.int64),
        ("1.5 2\r\n3 4\r\n", [[1.5, 2], [3, 4]], np.float64),
        ("1.5 2 # note\n\n3 4\n", [[[1.5, 2]], [[3, 4]]], np.float64),
    ],
)
def test_files_loadtxt_would_misread_are_read_as_usual(tmp_path, direct, content, expected, dtype):
    path = tmp_path / "A.txt"
    path.write_bytes(content.encode())
    same(read_matrix(str(path)), expected, dtype)
    assert str(path) not in direct


@pytest.mark.parametrize(
    ("content", "expected", "dtype"),
    [
        ("1.5 inf\n", [[1.5, np.inf]], np.float64),
        # short lines: the rows loadtxt returns are counted, and a blank line is one too few
        ("1.5 2\n\n3 4\n", [[[1.5, 2]], [[3, 4]]], np.float64),
        ("1.5 2\n \t\n3 4\n", [[[1.5, 2]], [[3, 4]]], np.float64),
        ("1.5, 2\n", [[1.5, 2]], np.float64),
        ("\ufeff1.5 2\n", [[1.5, 2]], np.float64),
        ("1.5 \u22122\n", [[1.5, -2]], np.float64),
        ("1.5 1/2\n", [[1.5, 0.5]], np.float64),
        ("1.5 2+1j\n", [[1.5, 2 + 1j]], np.complex128),
    ],
)
def test_files_loadtxt_refuses_are_read_as_usual(tmp_path, direct, content, expected, dtype):
    path = tmp_path / "A.txt"
    path.write_bytes(content.encode())
    same(read_matrix(str(path)), expected, dtype)
    assert direct[0] == str(path)


def test_long_lines_are_searched_for_blank_lines(tmp_path, direct, monkeypatch):
    monkeypatch.setattr(fastgrid, "_WIDE_LINE", 0)
    path = tmp_path / "A.txt"
    path.write_text("\n1.5 2\n3 4\n\t\n5 6\n7 8\n\n")
    same(read_matrix(str(path)), [[[1.5, 2], [3, 4]], [[5, 6], [7, 8]]], np.float64)
    assert str(path) not in direct
    path.write_text("\n1.5 2\n3 4\n\n")
    same(read_matrix(str(path)), [[1.5, 2], [3, 4]], np.float64)
    assert direct[-1] == str(path)


def test_errors_in_large_decimal_files_are_exact(tmp_path, direct):
    path = tmp_path / "A.txt"
    path.write_text("1.5 2\n3 4 5\n")
    assert (
        error_of(read_matrix, str(path)).message
        == f"{path}:2:5: line 2 has 3 numbers, expected 2 like line 1"
    )
    path.write_text("1.5 2\n3 1e999\n")
    assert error_of(read_matrix, str(path)).message == (
        f'{path}:2:3: "1e999" is too large for a float64 (the largest is about 1.8e308)'
    )


def test_exact_files_skip_loadtxt(tmp_path, direct):
    path = tmp_path / "A.txt"
    path.write_text("0.5 2\n")
    same(read_matrix(str(path), exact=True), [[Fraction(1, 2), Fraction(2)]], object)
    assert direct == []


@pytest.fixture
def in_place(monkeypatch):
    """Files of any size, with lines of any length, are first read in place."""
    monkeypatch.setattr(fastgrid, "_DIRECT_BYTES", 0)
    monkeypatch.setattr(fastgrid, "_WIDE_LINE", 0)
    results = []
    real = fastgrid.large_file

    def spy(*args):
        results.append(real(*args))
        return results[-1]

    monkeypatch.setattr(resolve.fastgrid, "large_file", spy)
    return results


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("1 2\n3 4\n", [[1, 2], [3, 4]]),
        ("\n 1 -2\t+3\n\n", [[1, -2, 3]]),
        ("1 2\n\n3 4\n \n5 6\n", [[[1, 2]], [[3, 4]], [[5, 6]]]),
    ],
)
def test_large_integer_files_read_in_place(tmp_path, in_place, content, expected):
    path = tmp_path / "A.txt"
    path.write_text(content)
    same(read_matrix(str(path)), expected, np.int64)
    assert len(in_place) == 1
    same(in_place[0], expected, np.int64)


@pytest.mark.parametrize(
    ("content", "expected", "dtype"),
    [
        ("1 2 # note\n3 4\n", [[1, 2], [3, 4]], np.int64),
        ("1, 2\n3, 4\n", [[1, 2], [3, 4]], np.int64),
        ("99999999999999999999 1\n2 3\n", [[99999999999999999999, 1], [2, 3]], object),
        ("1 2\n3 1/2\n", [[Fraction(1), Fraction(2)], [Fraction(3), Fraction(1, 2)]], object),
    ],
)
def test_integer_files_it_cannot_read_are_read_as_usual(tmp_path, in_place, content, expected, dtype):
    path = tmp_path / "A.txt"
    path.write_text(content)
    same(read_matrix(str(path)), expected, dtype)
    assert in_place == [None]


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("1 2\n3 4\n", [[1, 2], [3, 4]]),
        ("# header\n1 -2 # note\n+3 4\n\n", [[1, -2], [3, 4]]),
        ("7\n", [[7]]),
        ("9223372036854775807 -9223372036854775808\n", [[2**63 - 1, -(2**63)]]),
    ],
)
def test_large_integer_files_of_short_lines_go_to_loadtxt_by_path(
    tmp_path, direct, monkeypatch, content, expected
):
    monkeypatch.setattr(fastgrid, "_WIDE_LINE", 10**9)
    path = tmp_path / "A.txt"
    path.write_text(content)
    same(read_matrix(str(path)), expected, np.int64)
    assert direct == [str(path)]


@pytest.mark.parametrize(
    ("content", "expected", "dtype"),
    [
        ("1 2\n\n3 4\n", [[[1, 2]], [[3, 4]]], np.int64),
        ("1 -\n3 4\n", None, None),
        ("99999999999999999999 1\n2 3\n", [[99999999999999999999, 1], [2, 3]], object),
        ("1e3 2\n", [[1000.0, 2.0]], np.float64),
    ],
)
def test_integer_files_of_short_lines_loadtxt_refuses(
    tmp_path, direct, monkeypatch, content, expected, dtype
):
    monkeypatch.setattr(fastgrid, "_WIDE_LINE", 10**9)
    path = tmp_path / "A.txt"
    path.write_text(content)
    if expected is None:
        assert error_of(read_matrix, str(path)).message == f'{path}:1:3: expected a number, found "-"'
    else:
        same(read_matrix(str(path)), expected, dtype)


def test_errors_in_large_integer_files_are_exact(tmp_path, in_place):
    path = tmp_path / "A.txt"
    path.write_text("1 2\n3 -\n")
    assert error_of(read_matrix, str(path)).message == f'{path}:2:3: expected a number, found "-"'
    path.write_text("1 2\n3 4 5\n")
    assert (
        error_of(read_matrix, str(path)).message
        == f"{path}:2:5: line 2 has 3 numbers, expected 2 like line 1"
    )
    assert in_place == [None, None]


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes")
def test_a_named_pipe(tmp_path, direct):
    path = tmp_path / "pipe"
    os.mkfifo(path)

    def write():
        with open(path, "w") as f:
            f.write("0.5 1\n2 3\n")

    writer = threading.Thread(target=write)
    writer.start()
    try:
        same(read_matrix(str(path)), [[0.5, 1], [2, 3]], np.float64)
    finally:
        writer.join()
    assert str(path) not in direct


grid_alphabet = st.sampled_from(
    list("0123456789")
    + [" ", " ", "\n", "\n", "-", "+", ".", "e", ",", ";", "\t", "#", "nan", "inf", "/", "j", "$"]
    + ["\x0b", "\x1c", "(", "_", "E", "99999999999999999999"]
)


def _agrees(fast: np.ndarray | None, exact: np.ndarray | None) -> None:
    """A fast reading refuses what the exact reader refuses, and what it reads is the same grid
    (it may leave text to the exact reader: None)."""
    if exact is None:
        assert fast is None
    elif fast is not None:
        assert fast.dtype == exact.dtype
        assert fast.shape == exact.shape
        np.testing.assert_array_equal(fast, exact)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(grid_alphabet, max_size=40).map("".join))
def test_fast_path_agrees_on_grid_like_text(source):
    try:
        exact = grid.exact_grid(source, Source("A.txt"), False)
    except ConvcliError:
        exact = None
    for wide_line in (0, 10**9):  # one NumPy call per line, and one for the whole text
        with mock.patch.object(fastgrid, "_WIDE_LINE", wide_line):
            fast = fastgrid.fast_grid(source.encode(), False)
        _agrees(fast, exact)


@pytest.fixture(scope="module")
def grid_file(tmp_path_factory) -> str:
    """One file that each example of a property test rewrites whole (a folder per example cost
    more than the reading it tests)."""
    return str(tmp_path_factory.mktemp("grid") / "A.txt")


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(source=st.lists(grid_alphabet, max_size=40).map("".join))
def test_large_files_read_in_place_agree_on_grid_like_text(grid_file, source):
    try:
        exact = grid.exact_grid(source, Source("A.txt"), False)
    except ConvcliError:
        exact = None
    path = grid_file
    with open(path, "w", encoding="utf-8", newline="") as f:
        f.write(source)
    for wide_line in (0, 10**9):
        with (
            open(path, "rb") as f,
            mock.patch.object(fastgrid, "_DIRECT_BYTES", 0),
            mock.patch.object(fastgrid, "_WIDE_LINE", wide_line),
        ):
            found = fastgrid.large_file(f, path, False)
        _agrees(found, exact)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(codec="utf-8") | st.sampled_from(list(string.printable)), max_size=60))
def test_parse_text_raises_only_convcli_errors(source):
    try:
        result = parse_text(source, source="A.txt")
    except ConvcliError as exc:
        assert exc.lines()[0] == exc.message
        return
    assert isinstance(result, np.ndarray)
    assert result.ndim >= 1


# ---------------------------------------------------------------------------------------------
# JSON


def test_json_nested_lists():
    same(parse_json("[[1, 2], [3, 4]]", source="A.json"), [[1, 2], [3, 4]], np.int64)
    same(parse_json("[1, 2.5]", source="A.json"), [1, 2.5], np.float64)
    same(
        parse_json("[[[1, 2]], [[3, 4]], [[5, 6]]]", source="A.json"),
        [[[1, 2]], [[3, 4]], [[5, 6]]],
        np.int64,
    )
    same(parse_json("7", source="A.json"), [[7]], np.int64)  # one number, as everywhere
    same(parse_json("\ufeff[1]", source="A.json"), [1], np.int64)


def test_json_strings_as_convcli_writes_them():
    same(
        parse_json('[["1/9", 1], [2, "1/3"]]', source="A.json"),
        [[Fraction(1, 9), Fraction(1)], [Fraction(2), Fraction(1, 3)]],
        object,
    )
    same(parse_json('["nan", "-inf", 1.5]', source="A.json"), [np.nan, -np.inf, 1.5], np.float64)
    same(parse_json('["1+2j", 3]', source="A.json"), [1 + 2j, 3], np.complex128)
    same(parse_json("[NaN, Infinity, -Infinity]", source="A.json"), [np.nan, np.inf, -np.inf], np.float64)
    big = 10**39 + 7
    same(parse_json(f"[{big}, 1]", source="A.json"), [big, 1], object)


def test_json_exact():
    same(parse_json("[0.1, 1]", source="A.json", exact=True), [Fraction(1, 10), Fraction(1)], object)


def test_json_result_object():
    output = {"op": "correlate", "mode": "valid", "shape": [2, 2], "result": [[4, 3], ["1/2", 4]]}
    same(
        parse_json(json.dumps(output), source="<stdin>"),
        [[Fraction(4), Fraction(3)], [Fraction(1, 2), Fraction(4)]],
        object,
    )
    same(parse_json('{"result": 4}', source="<stdin>"), [[4]], np.int64)
    err = error_of(parse_json, '{"a": 1, "b": [2]}', source="A.json")
    assert err.lines() == [
        'A.json:1:1: expected nested lists of numbers or an object with a "result" key, '
        'found an object with keys "a", "b"',
        '   1 | {"a": 1, "b": [2]}',
        "     | ^",
    ]
    err = error_of(parse_json, '{"result": [[1, 2], [3, null]]}', source="A.json")
    assert err.message == 'A.json:1:25: expected a number at ["result"][1][1], found null'


@pytest.mark.parametrize(
    ("document", "message", "caret"),
    [
        (
            "[[1, 2],\n [3, true]]",
            "A.json:2:6: expected a number at [1][1], found true",
            ("   2 |  [3, true]]", "     |      ^"),
        ),
        (
            "[[1, 2], [3]]",
            "A.json:1:10: expected a list of 2 at [1] (like [0]), found a list of 1",
            ("   1 | [[1, 2], [3]]", "     |          ^"),
        ),
        (
            "[[1, 2], 3]",
            "A.json:1:10: expected a list of 2 at [1] (like [0]), found the number 3",
            None,
        ),
        (
            '[[[1], [2]], [[3], [4, "x"]]]',
            "A.json:1:20: expected a list of 1 at [1][1] (like [0][0]), found a list of 2",
            None,
        ),
        ('[1, "1/2/3"]', 'A.json:1:5: expected a number at [1], found "1/2/3"', None),
        ('[1, "1/0"]', 'A.json:1:5: "1/0" divides by zero; expected p/q with q not 0 (at [1])', None),
        (
            "[1, 1e999]",
            'A.json:1:5: "1e999" is too large for a float64 (the largest is about 1.8e308) (at [1])',
            None,
        ),
        ("[1, {}]", "A.json:1:5: expected a number at [1], found an object", None),
        ("[1, [2]]", "A.json:1:5: expected a number at [1], found a list of 1", None),
        ("[]", "A.json:1:1: expected at least one number, found an empty list", None),
        ("[[], []]", "A.json:1:2: expected at least one number, found an empty list at [0]", None),
        ("false", "A.json:1:1: expected a number, found false", None),
        ('"4x"', f"A.json:1:1: {BAD_INLINE}", None),
        ("", "A.json: expected rows of numbers, found none (the input is empty)", None),
        (
            "[[1, 2],\n [3 4]]",
            "A.json:2:5: invalid JSON, expected ',' delimiter",
            ("   2 |  [3 4]]", "     |     ^"),
        ),
        ("[1, 2", "A.json:1:6: invalid JSON, expected ',' delimiter", None),
        ("[1, 2]]", "A.json:1:7: invalid JSON, expected the end of the input after the value", None),
        (
            '["1/2]',
            "A.json:1:2: invalid JSON, expected a closing quote for the string that starts here",
            None,
        ),
        ("[1, 2,]", "A.json:1:7: invalid JSON, expected value", None),
    ],
)
def test_json_errors(document, message, caret):
    err = error_of(parse_json, document, source="A.json")
    assert err.message == message
    if caret is not None:
        assert err.lines() == [message, *caret]


def test_json_deep_nesting_is_an_error_not_a_crash():
    err = error_of(parse_json, "[" * 100_000 + "]" * 100_000, source="A.json")
    assert err.message == "A.json:1:65: expected at most 64 levels of nested lists, found deeper nesting"
    assert err.lines()[2] == "     | " + " " * 62 + "^"
    # deep enough for numpy's limit, not for Python's recursion limit
    err = error_of(parse_json, "[" * 70 + "1" + "]" * 70, source="A.json")
    assert err.message == "A.json:1:65: expected at most 64 levels of nested lists, found deeper nesting"
    same(parse_json("[" * 64 + "1" + "]" * 64, source="A.json"), np.ones((1,) * 64), np.int64)


# ---------------------------------------------------------------------------------------------
# .npy


def save(tmp_path, array, name="a.npy", **kwargs):
    path = tmp_path / name
    np.save(path, array, **kwargs)
    return path


@pytest.mark.parametrize(
    ("array", "dtype"),
    [
        (np.array([[1, 2], [3, 4]], dtype=np.int32), np.int64),
        (np.array([True, False]), np.int64),
        (np.array([1, 2], dtype=np.uint8), np.int64),
        (np.array([1, 2], dtype=np.uint64), np.int64),
        (np.array([0.5, 2], dtype=np.float16), np.float64),
        (np.array([0.5, 2], dtype=np.float32), np.float64),
        (np.array([0.1, 2]), np.float64),
        (np.array([0.1, 2], dtype=">f8"), np.float64),
        (np.array([1 + 2j], dtype=np.complex64), np.complex128),
        (np.asfortranarray(np.arange(6.0).reshape(2, 3)), np.float64),
    ],
)
def test_npy_dtypes(tmp_path, array, dtype):
    result = load_npy(save(tmp_path, array), source="a.npy")
    assert result.dtype == np.dtype(dtype)
    assert result.dtype.isnative
    np.testing.assert_array_equal(result, array)


def test_npy_uint64_beyond_int64_stays_exact(tmp_path):
    result = load_npy(save(tmp_path, np.array([2**64 - 1, 1], dtype=np.uint64)), source="a.npy")
    same(result, [2**64 - 1, 1], object)


def test_npy_zero_dimensional(tmp_path):
    same(load_npy(save(tmp_path, np.array(5)), source="a.npy"), [[5]], np.int64)


def test_npy_float64_is_not_copied(tmp_path, monkeypatch):
    path = save(tmp_path, np.arange(12.0).reshape(3, 4))
    loads = []
    real_load = np.load

    def spy(*args, **kwargs):
        loads.append(real_load(*args, **kwargs))
        return loads[-1]

    monkeypatch.setattr(np, "load", spy)
    result = load_npy(path, source="a.npy")
    assert result is loads[0]


def test_large_npy_is_memory_mapped(tmp_path, monkeypatch):
    monkeypatch.setattr(npy, "_MMAP_BYTES", 100)
    path = save(tmp_path, np.arange(1000.0))
    result = read_matrix(str(path))
    assert type(result) is np.ndarray
    assert not result.flags.owndata
    assert not result.flags.writeable
    base = result
    while not isinstance(base, mmap.mmap):
        base = base.base
    np.testing.assert_array_equal(result, np.arange(1000.0))


@pytest.mark.parametrize(
    ("array", "words"),
    [
        (np.array([1, "a"], dtype=object), "holds Python objects (dtype object)"),
        (np.array(["a", "b"]), "holds strings (dtype <U1)"),
        (np.zeros(2, dtype=[("x", "i4"), ("y", "f8")]), "holds records (dtype [('x', '<i4'), ('y', '<f8')])"),
        (np.array(["2024-01-01"], dtype="datetime64[D]"), "holds dates (dtype datetime64[D])"),
    ],
)
def test_npy_refuses_non_numbers(tmp_path, array, words):
    path = save(tmp_path, array, allow_pickle=True)
    err = error_of(load_npy, path, source="a.npy")
    assert err.message == f"a.npy: {words}; expected numbers: bool, integer, float or complex"


def test_npy_empty_truncated_and_not_npy(tmp_path):
    err = error_of(load_npy, save(tmp_path, np.zeros((0, 3))), source="a.npy")
    assert err.message == "a.npy: expected at least one number, found an empty array of shape (0, 3)"

    path = save(tmp_path, np.arange(100.0))
    path.write_bytes(path.read_bytes()[:-8])
    err = error_of(load_npy, path, source="a.npy")
    assert err.message.startswith("a.npy: cannot read the array of shape 100 (")
    assert err.message.endswith("); expected a complete .npy file (is it truncated?)")

    path.write_text("1 2 3\n")
    assert error_of(load_npy, path, source="a.npy").message == (
        "a.npy: expected a NumPy .npy file, found no .npy header"
    )
    np.savez(tmp_path / "b.npz", a=np.arange(3))
    assert error_of(load_npy, tmp_path / "b.npz", source="b.npz").message == (
        "b.npz: expected a NumPy .npy file, found no .npy header "
        "(a .npz archive; save one array with numpy.save)"
    )


def test_npy_found_by_magic_bytes(tmp_path):
    path = save(tmp_path, np.array([1, 2], dtype=np.int16))
    renamed = tmp_path / "matrix.bin"
    path.rename(renamed)
    same(read_matrix(str(renamed)), [1, 2], np.int64)


# ---------------------------------------------------------------------------------------------
# standard input


class FakeTerminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_stdin_text_and_json():
    same(read_matrix("-", stdin=io.StringIO("1 2\n3 4\n")), [[1, 2], [3, 4]], np.int64)
    same(read_matrix("-", stdin=io.StringIO("  [[1, 2], [3, 4]]")), [[1, 2], [3, 4]], np.int64)
    same(
        read_matrix("-", stdin=io.StringIO('{"result": [1, "1/2"]}')),
        [Fraction(1), Fraction(1, 2)],
        object,
    )


def test_stdin_bytes_are_decoded_as_utf8():
    stream = io.TextIOWrapper(io.BytesIO("\ufeff\u22121 2\r\n".encode()), encoding="latin-1")
    same(read_matrix("-", stdin=stream), [[-1, 2]], np.int64)
    stream = io.TextIOWrapper(io.BytesIO(b"1 \xff\n"), encoding="utf-8")
    err = error_of(read_matrix, "-", stdin=stream)
    assert err.message == "<stdin>:1:3: expected UTF-8 text, found the byte 0xff"


def test_stdin_errors_name_stdin():
    err = error_of(read_matrix, "-", stdin=io.StringIO("1 2\n3 4x\n"))
    assert err.lines() == [f"<stdin>:2:3: {BAD}", "   2 | 3 4x", "     |   ^"]
    err = error_of(read_matrix, "-", stdin=io.StringIO(""))
    assert err.message == "<stdin>: expected rows of numbers, found none (the input is empty)"


def test_stdin_on_a_terminal_does_not_wait():
    with pytest.raises(ConvcliError) as info:
        read_matrix("-", name="B", stdin=FakeTerminal("1 2"))
    assert not isinstance(info.value, ParseError)
    assert info.value.message == (
        'nothing is piped to standard input for operand B; "-" reads a matrix from a pipe, '
        'e.g. echo "1 2; 3 4" | convcli ...'
    )


def test_stdin_default_is_sys_stdin(monkeypatch):
    monkeypatch.setattr("sys.stdin", io.StringIO("5 6"))
    same(read_matrix("-"), [[5, 6]], np.int64)


# ---------------------------------------------------------------------------------------------
# inline literals


@pytest.mark.parametrize(
    ("literal", "expected", "dtype"),
    [
        ("1 2; 3 4", [[1, 2], [3, 4]], np.int64),
        ("1,2;3,4", [[1, 2], [3, 4]], np.int64),
        ("1 2\n3 4", [[1, 2], [3, 4]], np.int64),
        (" 1 2; 3 4; ", [[1, 2], [3, 4]], np.int64),
        ("[[1,2],[3,4]]", [[1, 2], [3, 4]], np.int64),
        ("[1 2; 3 4]", [[1, 2], [3, 4]], np.int64),
        ("[1, 2; 3, 4]", [[1, 2], [3, 4]], np.int64),
        # MATLAB style is always 2-D; JSON brackets keep their nesting
        ("[1 2 3]", [[1, 2, 3]], np.int64),
        ("[1; 2; 3]", [[1], [2], [3]], np.int64),
        ("[1, 2, 3]", [1, 2, 3], np.int64),
        ("[[1, 2, 3]]", [[1, 2, 3]], np.int64),
        ("1,2,3", [[1, 2, 3]], np.int64),
        ("1 2 3", [[1, 2, 3]], np.int64),
        ("4", [[4]], np.int64),
        ("-0.5", [[-0.5]], np.float64),
        ("\u22124 1e3", [[-4.0, 1000.0]], np.float64),
        ("1/9 1/9; 1/9 1/9", [[Fraction(1, 9)] * 2] * 2, object),
        ("4611686018427387904", [[4611686018427387904]], np.int64),
        ("12345678901234567890123", [[12345678901234567890123]], object),
        ("1+2j, 3", [[1 + 2j, 3]], np.complex128),
    ],
)
def test_inline_literals(literal, expected, dtype):
    same(parse_inline(literal, source="B (inline)"), expected, dtype)


@pytest.mark.parametrize(
    ("literal", "lines"),
    [
        (
            "1 2; 3 4x",
            [f"B (inline), column 8: {BAD_INLINE}", "     | 1 2; 3 4x", "     |        ^"],
        ),
        (
            "1 2; 3",
            [
                "B (inline), column 7: row 2 has 1 number, expected 2 like row 1",
                "     | 1 2; 3",
                "     |       ^",
            ],
        ),
        (
            "1 2; 3 4 5",
            [
                "B (inline), column 10: row 2 has 3 numbers, expected 2 like row 1",
                "     | 1 2; 3 4 5",
                "     |          ^",
            ],
        ),
        (
            "1,,2",
            ['B (inline), column 1: expected a number, found "1,,2"', "     | 1,,2", "     | ^"],
        ),
        (
            "[1 2; 3 $]",
            ['B (inline), column 9: expected a number, found "$"', "     | [1 2; 3 $]", "     |         ^"],
        ),
        (
            "[[1,2],[3,true]]",
            [
                "B (inline), column 11: expected a number at [1][1], found true",
                "     | [[1,2],[3,true]]",
                "     |           ^",
            ],
        ),
        (
            "[[1,2],[3,4]",
            [
                'B (inline), column 1: expected "]" to close this "["',
                "     | [[1,2],[3,4]",
                "     | ^",
            ],
        ),
        (
            "1 2\n3 4x",
            [f"B (inline):2:3: {BAD_INLINE}", "   2 | 3 4x", "     |   ^"],
        ),
        ("", ['B (inline): expected a matrix such as "1 2; 3 4", found an empty argument']),
        (";", ['B (inline): expected a matrix such as "1 2; 3 4", found no numbers']),
    ],
)
def test_inline_errors(literal, lines):
    assert error_of(parse_inline, literal, source="B (inline)").lines() == lines


# ---------------------------------------------------------------------------------------------
# read_matrix: what is tried, in order


def test_files_by_extension(tmp_path):
    (tmp_path / "a.json").write_text("[[1, 2], [3, 4]]")
    same(read_matrix(str(tmp_path / "a.json")), [[1, 2], [3, 4]], np.int64)
    (tmp_path / "b.json").write_text("1 2")
    assert error_of(read_matrix, str(tmp_path / "b.json")).message == (
        f"{tmp_path / 'b.json'}:1:3: invalid JSON, expected the end of the input after the value"
    )
    (tmp_path / "c.csv").write_text("1/9,1/9\n1/9,1/9\n")
    same(read_matrix(str(tmp_path / "c.csv")), [[Fraction(1, 9)] * 2] * 2, object)
    # a text file holding JSON is read as JSON
    (tmp_path / "d.txt").write_text("[[1, 2], [3, 4]]\n")
    same(read_matrix(str(tmp_path / "d.txt")), [[1, 2], [3, 4]], np.int64)


def test_a_file_wins_over_an_inline_literal(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "7").write_text("1 2\n")
    same(read_matrix("7"), [[1, 2]], np.int64)
    same(read_matrix("8"), [[8]], np.int64)


def test_no_such_file(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert error_of(read_matrix, "A.txt", name="B").message == (
        'B: no such file "A.txt", and it is not a matrix literal or a named kernel (expected a file, an inline matrix such as "1 2; 3 4", or a name from "convcli kernels")'
    )
    (tmp_path / "data").mkdir()  # with the folder there, data/A is a file, not an expression
    assert error_of(read_matrix, "data/A", name="A").message == (
        'A: no such file "data/A", and it is not a matrix literal or a named kernel (expected a file, an inline matrix such as "1 2; 3 4", or a name from "convcli kernels")'
    )
    assert error_of(read_matrix, "kernel.NPY", name="A").message == (
        'A: no such file "kernel.NPY", and it is not a matrix literal or a named kernel (expected a file, an inline matrix such as "1 2; 3 4", or a name from "convcli kernels")'
    )
    deep = "/".join(["folder"] * 12) + "/A.txt"
    assert error_of(read_matrix, deep, name="A").message == (
        f'A: no such file "{deep}", and it is not a matrix literal or a named kernel (expected a file, an inline matrix such as "1 2; 3 4", or a name from "convcli kernels")'
    )


def test_unknown_names_and_bad_literals():
    assert error_of(read_matrix, "blur:3", name="B").message == (
        'B: "blur:3" is not a file, a matrix literal or a named kernel; expected a matrix such as '
        '"1 2; 3 4", a file, or a kernel from "convcli kernels"'
    )
    err = error_of(read_matrix, "1 2; 3 4x", name="B")
    assert err.lines() == [
        f"B (inline), column 8: {BAD_INLINE}",
        "     | 1 2; 3 4x",
        "     |        ^",
    ]
    # a fraction is no path even though it holds a slash
    assert error_of(read_matrix, "1/0", name="B").message == (
        'B (inline), column 1: "1/0" divides by zero; expected p/q with q not 0'
    )


def test_directory(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "data").mkdir()
    assert error_of(read_matrix, "data", name="A").message == (
        'A: "data" is a directory; expected a file holding a matrix'
    )


def test_unreadable_file(tmp_path):
    path = tmp_path / "A.txt"
    path.write_text("1 2")
    path.chmod(0)
    if os.access(path, os.R_OK):
        pytest.skip("running with permissions that read anything")
    assert error_of(read_matrix, str(path), name="A").message.endswith(": permission denied")


def test_named_kernel_hook(monkeypatch):
    assert resolve._named_kernel("box:3").tolist() == [[Fraction(1, 9)] * 3] * 3
    assert resolve._named_kernel("no-such-kernel") is None
    assert read_matrix("laplace").tolist() == [[0, 1, 0], [1, -4, 1], [0, 1, 0]]
    kernels = {"box:3": np.ones((3, 3), dtype=np.int64), "laplace": np.array([[0, 1, 0]])}
    monkeypatch.setattr(resolve, "_named_kernel", kernels.get)
    same(read_matrix("box:3"), np.ones((3, 3)), np.int64)
    # a kernel name wins over reading the word as a symbolic entry
    same(read_matrix("laplace"), [[0, 1, 0]], np.int64)
    same(read_matrix("5"), [[5]], np.int64)


def test_exact_passes_through(tmp_path):
    same(read_matrix("0.5 0.25", exact=True), [[Fraction(1, 2), Fraction(1, 4)]], object)
    (tmp_path / "a.txt").write_text("0.5 1\n")
    same(read_matrix(str(tmp_path / "a.txt"), exact=True), [[Fraction(1, 2), Fraction(1)]], object)
    same(read_matrix("-", stdin=io.StringIO("[0.5]"), exact=True), [Fraction(1, 2)], object)


# ---------------------------------------------------------------------------------------------
# how errors look


def test_long_lines_are_cut_around_the_caret():
    line = "1 " * 100 + "$ " + "1 " * 100
    err = error_of(text, line)
    assert err.column == 201
    shown, caret = err.lines()[1:]
    assert shown == "   1 | ..." + line[141:258]
    assert caret.index("^") == shown.index("$")


def test_messages_quote_long_tokens_shortened():
    token = "4" + "y" * 99
    err = error_of(text, "1 " + token)
    assert err.message == "A.txt:1:3: " + reason_of(token).replace(f'"{token}"', f'"{token[:37]}..."')
    assert len(err.message) < 150


json_alphabet = st.sampled_from(
    list('[]{},:"0123456789.-+eE ') + ["true", "null", "NaN", '"1/2"', '"result"', "\n", "\\"]
)


@settings(max_examples=200, deadline=None)
@given(st.lists(json_alphabet, max_size=40).map("".join))
def test_parse_json_raises_only_convcli_errors(document):
    try:
        result = parse_json(document, source="A.json")
    except ConvcliError as exc:
        assert exc.lines()[0] == exc.message
        return
    assert result.ndim >= 1


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=40) | st.lists(json_alphabet, max_size=30).map("".join))
def test_parse_inline_raises_only_convcli_errors(literal):
    try:
        result = parse_inline(literal, source="B (inline)")
    except ConvcliError as exc:
        assert exc.lines()[0] == exc.message
        return
    assert result.ndim >= 1


def test_a_lone_word_is_a_misspelt_name_not_a_symbol(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "A.txt").write_text("1 2\n")
    assert error_of(read_matrix, "sobelx", name="B").message == (
        'B: "sobelx" is not a file or a named kernel (did you mean sobel-x?); to use it as a symbol, '
        'write it as a matrix: "[sobelx]"'
    )
    assert error_of(read_matrix, "A", name="A").message == (
        'A: "A" is not a file or a named kernel (did you mean A.txt?); to use it as a symbol, '
        'write it as a matrix: "[A]"'
    )
    w = read_matrix("w")  # one letter, no file of that name: a symbol
    assert w.shape == (1, 1) and str(w[0, 0]) == "w"
    written = read_matrix("[sobelx]")  # a bracketed list keeps its nesting: a vector of one
    assert written.shape == (1,) and str(written[0]) == "sobelx"


# ---------------------------------------------------------------------------------------------
# bracketed lists that are not JSON: as students write answers, and as numpy prints arrays


@pytest.mark.parametrize(
    ("literal", "expected", "dtype"),
    [
        ("[[1/2, 3]]", [[Fraction(1, 2), Fraction(3)]], object),
        ("[1/2, 3]", [Fraction(1, 2), Fraction(3)], object),
        ('"1/2"', [[Fraction(1, 2)]], object),
        ('["1/2", 3]', [Fraction(1, 2), Fraction(3)], object),
        ("[[1/3]]", [[Fraction(1, 3)]], object),
        ("[[-1/2, 3e2], [1, inf]]", [[-0.5, 300.0], [1.0, np.inf]], np.float64),
        ("[[nan, 1]]", [[np.nan, 1.0]], np.float64),
        ("[nan, -inf]", [np.nan, -np.inf], np.float64),
        ("[[1 2] [3 4]]", [[1, 2], [3, 4]], np.int64),
        ("[[1 2]\n [3 4]]", [[1, 2], [3, 4]], np.int64),
        ("[[[1 2]\n  [3 4]]\n\n [[5 6]\n  [7 8]]]", [[[1, 2], [3, 4]], [[5, 6], [7, 8]]], np.int64),
        ("[[1, 2,], [3, 4,],]", [[1, 2], [3, 4]], np.int64),  # trailing commas, as Python allows
        ("[[1/2, 3]] # my answer", [[Fraction(1, 2), Fraction(3)]], object),
        ("[[1+2j, 3]]", [[1 + 2j, 3]], np.complex128),
    ],
)
def test_bracketed_lists_keep_their_nesting(literal, expected, dtype):
    same(parse_inline(literal, source="B (inline)"), expected, dtype)


def test_bracketed_lists_read_symbols_inline():
    got = parse_inline("[[1/2, x], [a*w+b*x, 2]]", source="B (inline)")
    assert got.shape == (2, 2)
    assert [str(v) for v in got.flat] == ["1/2", "x", "a*w + b*x", "2"]


@pytest.mark.parametrize(
    ("literal", "lines"),
    [
        (
            "[[1/2, 3], [4]]",
            [
                "B (inline), column 12: expected a list of 2 at [1] (like [0]), found a list of 1",
                "     | [[1/2, 3], [4]]",
                "     |            ^",
            ],
        ),
        (
            "[[1/2, 3], [4, 1/0]]",
            [
                'B (inline), column 16: "1/0" divides by zero; expected p/q with q not 0 (at [1][1])',
                "     | [[1/2, 3], [4, 1/0]]",
                "     |                ^",
            ],
        ),
        (
            "[[1 2][3 4]]",
            [
                'B (inline), column 7: expected "," or a space between two entries',
                "     | [[1 2][3 4]]",
                "     |       ^",
            ],
        ),
        (
            "[[1, , 2]]",
            [
                'B (inline), column 6: expected an entry before ","',
                "     | [[1, , 2]]",
                "     |      ^",
            ],
        ),
        (
            "[[1/2, 3]",
            [
                'B (inline), column 1: expected "]" to close this "["',
                "     | [[1/2, 3]",
                "     | ^",
            ],
        ),
        (
            "[[1/2, 2], 3]",
            [
                'B (inline), column 12: expected a list of 2 at [1] (like [0]), found "3"',
                "     | [[1/2, 2], 3]",
                "     |            ^",
            ],
        ),
    ],
)
def test_bracketed_list_errors(literal, lines):
    assert error_of(parse_inline, literal, source="B (inline)").lines() == lines


def test_bracketed_list_errors_on_later_lines():
    err = error_of(parse_inline, "[[1 2]\n [3 x!]]", source="B (inline)")
    assert err.lines() == [
        'B (inline):2:5: expected a number at [1][1], found "x!"',
        "   2 |  [3 x!]]",
        "     |     ^",
    ]


def test_a_lone_nan_or_inf_is_a_one_by_one_matrix():
    for word, value in [("nan", np.nan), ("NaN", np.nan), ("inf", np.inf), ("Infinity", np.inf)]:
        same(read_matrix(word), [[value]], np.float64)
    assert "not a file or a named kernel" in error_of(read_matrix, "infx").message


_cells = st.one_of(
    st.integers(-(10**30), 10**30),
    st.builds(Fraction, st.integers(-999, 999), st.integers(1, 999)),
)


@settings(max_examples=80, deadline=None)
@given(
    rows=st.integers(1, 4),
    cols=st.integers(1, 4),
    data=st.data(),
    numpy_style=st.booleans(),
)
def test_bracketed_lists_read_back_what_they_write(rows, cols, data, numpy_style):
    values = data.draw(st.lists(_cells, min_size=rows * cols, max_size=rows * cols))
    written = [values[r * cols : (r + 1) * cols] for r in range(rows)]
    sep = " " if numpy_style else ", "
    text = (
        "["
        + (sep if not numpy_style else "\n ").join(
            "[" + sep.join(format_number(v) for v in row) + "]" for row in written
        )
        + "]"
    )
    got = parse_inline(text, source="B (inline)")
    assert got.shape == (rows, cols)
    assert got.tolist() == written


# ---------------------------------------------------------------------------------------------
# ASCII digits only, and long doubles as the text reads 1e999

ARABIC_TWO = "\u0662"


@pytest.mark.parametrize(
    "token", [ARABIC_TWO, f"1{ARABIC_TWO}", f"1/{ARABIC_TWO}", f"{ARABIC_TWO}.5", f"{ARABIC_TWO}j"]
)
def test_only_ascii_digits_are_digits(token):
    # int() and float() would read an Arabic-Indic two as 2
    assert reason_of(token) == f'expected a number, found "{token}"'
    assert reason_of(token, symbols=True) == f'expected a number, found "{token}"'
    err = error_of(text, f"1 {token}")
    assert err.message == f'A.txt:1:3: expected a number, found "{token}"'
    err = error_of(parse_inline, f"[[1, {token}]]", source="B (inline)")
    assert err.message == f'B (inline), column 6: expected a number at [0][1], found "{token}"'


def test_only_ascii_digits_in_symbolic_entries():
    assert reason_of(f"a+{ARABIC_TWO}", symbols=True) == f'expected a number, found "a+{ARABIC_TWO}"'


@pytest.mark.skipif(np.finfo(np.longdouble).max <= np.finfo(np.float64).max, reason="no wider long double")
def test_a_long_double_beyond_float64_is_refused_as_the_text_1e999_is(tmp_path):
    huge = np.longdouble("1e4000")
    path = tmp_path / "ld.npy"
    np.save(path, np.array([[1, 2], [3, huge]], dtype=np.longdouble))
    assert error_of(read_matrix, str(path)).message == (
        f"{path}: the entry at [1, 1] (1e+4000) is too large for a float64 (the largest is about 1.8e308)"
    )
    assert error_of(read_matrix, "1e999").message.endswith(
        '"1e999" is too large for a float64 (the largest is about 1.8e308)'
    )
    complex_ = np.zeros(2, dtype=np.clongdouble)
    complex_[1] = huge + 1j  # the cast alone would give inf+nanj
    np.save(path, complex_)
    assert error_of(read_matrix, str(path)).message == (
        f"{path}: the entry at [1] (1e+4000+1j) is too large for a complex128 (the largest is about 1.8e308)"
    )
    np.save(path, np.longdouble("-1e4000"))
    assert error_of(read_matrix, str(path)).message == (
        f"{path}: the entry (-1e+4000) is too large for a float64 (the largest is about 1.8e308)"
    )


@pytest.mark.skipif(np.finfo(np.longdouble).max <= np.finfo(np.float64).max, reason="no wider long double")
def test_long_doubles_that_fit_are_read(tmp_path):
    path = tmp_path / "ld.npy"
    values = np.array([1.5, np.inf, -np.inf, np.nan, 1e300, np.longdouble("1e-4000")], dtype=np.longdouble)
    np.save(path, values)
    same(read_matrix(str(path)), [1.5, np.inf, -np.inf, np.nan, 1e300, 0.0], np.float64)


_FORM_PIECES = list("|-:* 0123456789\n\\{}&[],;#.ea/xj+ifn\t%") + [
    "\\begin{bmatrix}",
    "\\end{bmatrix}",
    "\\frac{",
    "\\\\",
    "**",
    "channel 1",
    "\\infty",
    "\\mathrm{NaN}",
    "\\left(",
    "\\right)",
    "^{",
]


@settings(max_examples=300, deadline=None)
@given(
    start=st.sampled_from(["|", "\\begin{bmatrix}", "[", "channel 0\n\n|", "# c\n[", "[[", '"']),
    rest=st.lists(st.sampled_from(_FORM_PIECES), max_size=30).map("".join),
)
def test_tables_and_brackets_raise_only_convcli_errors(start, rest):
    for read in (
        lambda t: read_matrix("-", stdin=io.StringIO(t)),
        lambda t: parse_inline(t, source="A (inline)"),
    ):
        try:
            result = read(start + rest)
        except ConvcliError as exc:
            assert exc.lines()[0] == exc.message
            continue
        assert result.ndim >= 1
