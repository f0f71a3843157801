"""Input a student actually types: MATLAB brackets in a file, convcli's own Markdown and LaTeX,
--at "1 2", a matrix without quotes, a kernel family's name, a letter among numbers."""

from __future__ import annotations

import io

import numpy as np
import pytest

from convcli import parsing
from convcli.cli import ExitCode
from convcli.errors import ParseError

from .clicheck import run
from .conftest import SAMPLES

A = str(SAMPLES / "A.txt")
B = str(SAMPLES / "B.txt")


def read(tmp_path, content: str, name: str = "m.txt") -> np.ndarray:
    path = tmp_path / name
    path.write_text(content)
    return parsing.read_matrix(str(path))


# ---------------------------------------------------------------------------------------------
# MATLAB brackets in a file read as the same text inline does


@pytest.mark.parametrize(
    "content",
    [
        "[1 2 3; 4 5 6]\n",
        "[1 2 3\n 4 5 6]\n",
        "[1, 2, 3; 4, 5, 6];\n",
        "[1 2 3]\n[4 5 6]\n",
        "# my kernel\n[1 2 3;\n 4 5 6]\n",
        "[[1 2 3]\n [4 5 6]]\n",  # as numpy prints it
        "[[1, 2, 3], [4, 5, 6]]\n",  # JSON
    ],
)
def test_brackets_in_a_file(tmp_path, content):
    got = read(tmp_path, content)
    assert got.dtype == np.int64
    assert got.tolist() == [[1, 2, 3], [4, 5, 6]]
    if not content.startswith("#"):  # the same text inline
        assert parsing.read_matrix(content.strip()).tolist() == got.tolist()


def test_a_one_row_bracketed_file_is_a_row(tmp_path):
    assert read(tmp_path, "[1 0 1]\n").shape == (1, 3)
    assert read(tmp_path, "[1, 0, 1]\n").shape == (3,)  # a list keeps its nesting


def test_brackets_on_standard_input():
    result = run("correlate", "-", "1", input="[1 0 1; 0 1 0]\n")
    assert (result.exit_code, result.stdout, result.stderr) == (ExitCode.OK, "1 0 1\n0 1 0\n", "")


def test_an_error_in_a_bracketed_file_points_at_the_entry(tmp_path):
    path = tmp_path / "m.txt"
    path.write_text("[1 2 3;\n 4 5 x]\n")
    result = run("correlate", str(path), "1")
    assert result.exit_code == ExitCode.USAGE_OR_INPUT
    assert result.stdout == ""
    # a file reads numbers only; the message no longer claims the text is invalid JSON
    assert (
        result.stderr == f'error: {path}:2:6: expected a number, found "x"\n   2 |  4 5 x]\n     |      ^\n'
    )


def test_a_json_file_is_json(tmp_path):
    with pytest.raises(ParseError, match="invalid JSON"):
        read(tmp_path, "[1 2 3]\n", name="m.json")


# ---------------------------------------------------------------------------------------------
# convcli's Markdown and LaTeX, and tables typed by hand


MARKDOWN = "|   | 0 | 1 |\n|---|---:|---:|\n| **0** | 1/2 | 3 |\n| **1** | nan | -4 |\n"
LATEX = "\\begin{bmatrix}\n  \\frac{1}{2} & 3 \\\\\n  \\mathrm{NaN} & -4\n\\end{bmatrix}\n"


@pytest.mark.parametrize("content", [MARKDOWN, LATEX])
def test_write_ups_read_as_matrices(tmp_path, content):
    for got in (read(tmp_path, content), parsing.read_matrix("-", stdin=io.StringIO(content))):
        assert got.dtype == np.float64
        np.testing.assert_array_equal(got, [[0.5, 3], [np.nan, -4]])


def test_markdown_typed_by_hand(tmp_path):
    table = "| a | b |\n|:-:|---|\n| 1 | 2 |\n| 3 | 4 |\n"
    assert read(tmp_path, table).tolist() == [[1, 2], [3, 4]]
    three = "channel 0\n\n" + MARKDOWN.replace("nan", "0") + "\nchannel 1\n\n" + MARKDOWN.replace("nan", "1")
    assert read(tmp_path, three).shape == (2, 2, 2)


@pytest.mark.parametrize("fmt", ["markdown", "latex"])
def test_a_table_pasted_as_an_argument_reads_as_from_a_file(fmt):
    # check ... --answer "$(cat r.tex)": the table convcli wrote, given back inline
    written = run("correlate", A, str(SAMPLES / "B.txt"), "-f", fmt)
    assert (written.exit_code, written.stderr) == (ExitCode.OK, "")
    right = run("check", A, str(SAMPLES / "B.txt"), "--answer", written.stdout, "-f", "plain")
    assert (right.exit_code, right.stdout, right.stderr) == (
        ExitCode.OK,
        "right: your answer equals correlate\n",
        "",
    )
    wrong = run(
        "check", A, str(SAMPLES / "B.txt"), "--answer", written.stdout.replace("3", "7"), "-f", "plain"
    )
    assert (wrong.exit_code, wrong.stderr) == (ExitCode.WRONG_ANSWER, "")
    assert wrong.stdout.splitlines()[0] == "wrong"
    # a one-line argument that merely starts with | is not a table: a plain inline error
    bar = run("correlate", "| 1 | 2 |", "1")
    assert (bar.exit_code, bar.stdout) == (ExitCode.USAGE_OR_INPUT, "")
    assert bar.stderr.startswith('error: A (inline), column 1: expected a number, found "|"')


def test_latex_as_sympy_writes_it():
    latex = "\\begin{bmatrix}\n  a w + b x & - \\frac{3 a}{4} \\\\\n  \\left(a + 1\\right)^{2} b & 2 w_{1}\n\\end{bmatrix}"
    got = parsing.read_matrix("-", stdin=io.StringIO(latex))
    assert [str(v) for v in got.flat] == ["a*w + b*x", "-3*a/4", "b*(a + 1)**2", "2*w1"]
    assert parsing.read_matrix(
        "-", stdin=io.StringIO("\\begin{bmatrix} 1.0+2.0i & -\\infty \\end{bmatrix}")
    ).tolist() == [[1 + 2j, complex("-inf")]]


@pytest.mark.parametrize(
    ("content", "lines"),
    [
        (
            "| 0 | 1 |\n|---|---|\n| 1 | 2 |\n| 3 |\n",
            ["m.txt:4:6: this row has 1 entry, expected 2 like line 3", "   4 | | 3 |", "     |      ^"],
        ),
        (
            "| 0 | 1 |\n| 1 | 2 |\n",
            ["m.txt:2:3: expected the |---| line under the table's header", "   2 | | 1 | 2 |", "     |   ^"],
        ),
        (
            "|   | 0 |\n|---|---|\n| x | 2 |\n",
            [
                "m.txt:3:3: expected the row's index (such as **0**) in the first column",
                "   3 | | x | 2 |",
                "     |   ^",
            ],
        ),
        (
            "| 0 | 1 |\n|---|---|\n| 1 | 2,5 |\n",
            ['m.txt:3:7: expected a number, found "2,5"', "   3 | | 1 | 2,5 |", "     |       ^"],
        ),
        (
            "\\begin{bmatrix}\n 1 & 2 \\\\\n 3\n\\end{bmatrix}\n",
            ["m.txt:3:3: this row has 1 entry, expected 2 like line 2", "   3 |  3", "     |   ^"],
        ),
        (
            "\\begin{bmatrix}\n 1 & 2\n",
            ["m.txt:3:1: expected \\end{bmatrix} to close the matrix", "   3 | ", "     | ^"],
        ),
        (
            "\\begin{bmatrix}\n 1 & \\sqrt{2}\n\\end{bmatrix}\n",
            ['m.txt:2:6: expected a number, found "\\sqrt{2}"', "   2 |  1 & \\sqrt{2}", "     |      ^"],
        ),
    ],
)
def test_table_errors_point_at_the_cell(tmp_path, monkeypatch, content, lines):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "m.txt").write_text(content)
    with pytest.raises(ParseError) as info:
        parsing.read_matrix("m.txt")
    assert info.value.lines() == lines


# ---------------------------------------------------------------------------------------------
# options and arguments


def test_at_takes_its_indices_with_a_space():
    with_comma = run("steps", A, B, "--at", "1,2")
    assert (with_comma.exit_code, with_comma.stderr) == (ExitCode.OK, "")
    with_space = run("steps", A, B, "--at", "1 2")
    assert with_space.exit_code == ExitCode.OK
    assert with_space.stdout == with_comma.stdout
    assert with_space.stdout.splitlines()[1].startswith("C[1, 2]: ")
    assert with_space.stderr == ""


def test_a_matrix_without_quotes_gets_the_advice_to_quote_it():
    result = run("correlate", "1", "2", "3", "1", "0")
    assert result.exit_code == ExitCode.USAGE_OR_INPUT
    assert result.stdout == ""
    assert result.stderr == (
        "error: Got unexpected extra argument(s) (3 1 0)  (see 'convcli correlate --help')\n"
        "a matrix with spaces in it is one argument in quotes, as in:\n"
        '  convcli correlate "1 2 3; 4 5 6" "1 0"\n'
    )
    # an extra file name is another slip: no advice about quotes
    result = run("correlate", A, B, "C.txt")
    assert (result.exit_code, result.stdout) == (ExitCode.USAGE_OR_INPUT, "")
    assert (
        result.stderr == "error: Got unexpected extra argument(s) (C.txt)  (see 'convcli correlate --help')\n"
    )


@pytest.mark.parametrize(
    ("word", "offer"),
    [
        ("sobel", "sobel-x or sobel-y"),
        ("prewitt", "prewitt-x or prewitt-y"),
        ("sobelx", "sobel-x"),
        ("prewit-x", "prewitt-x"),  # a hyphen does not make a misspelt name the expression prewit - x
        ("sobel-z", "sobel-y"),
    ],
)
def test_a_kernel_family_offers_every_member(word, offer):
    result = run("correlate", A, word)
    assert result.exit_code == ExitCode.USAGE_OR_INPUT
    assert result.stdout == ""
    assert result.stderr == (
        f'error: B: "{word}" is not a file or a named kernel (did you mean {offer}?); to use it as a symbol, '
        f'write it as a matrix: "[{word}]"\n'
    )


def test_a_letter_among_numbers_is_named_on_stderr():
    result = run("correlate", "1 2 3; 4 5 x", "1")
    assert result.exit_code == ExitCode.OK
    assert result.stdout == "1 2 3\n4 5 x\n"
    assert result.stderr == (
        "note: A holds the symbol x among numbers: a letter is read as a symbol (is it a typo?)\n"
    )
    result = run("check", "1 2", "1", "--answer", "1 z")
    assert result.exit_code == ExitCode.WRONG_ANSWER
    assert result.stdout.splitlines()[:2] == [
        "wrong",
        "off by: 1 of 2 cells is wrong; at [0, 1] your answer is z but the right value is 2",
    ]
    assert result.stderr == (
        "note: answer holds the symbol z among numbers: a letter is read as a symbol (is it a typo?)\n"
    )


def test_a_difference_of_symbols_far_from_any_kernel_name_stays_an_expression():
    result = run("correlate", "1 2", "a-b")
    assert result.exit_code == ExitCode.OK
    assert result.stdout == "a-b 2*a-2*b\n"
    assert result.stderr == ""


def test_symbols_on_purpose_get_no_note():
    result = run("correlate", "a b; c d", "w x; y z")
    assert (result.exit_code, result.stdout, result.stderr) == (ExitCode.OK, "a*w+b*x+c*y+d*z\n", "")
