"""Shapes are kept as written (README's "Reading matrices").

A text grid, a CSV file and a MATLAB-style inline literal are always 2-D: one row is a 1 x N
matrix and one number a 1 x 1 matrix. Bracketed literals and JSON keep their nesting, .npy keeps
its shape. True 1-D inputs slide as 1 x N rows and print as vectors, and --convention numpy
follows numpy.convolve / numpy.correlate in full.
"""

from __future__ import annotations

import io
import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from convcli import comparison, parsing
from convcli.cli import ExitCode
from convcli.model import Convention, Mode, OpOptions
from convcli.ops import convolve, correlate, dot, elementwise_sum

from .clicheck import run


def json_run(*args: str) -> dict:
    result = run(*args, "-f", "json")
    assert result.exit_code == ExitCode.OK, result.stderr
    assert result.stderr == ""
    return json.loads(result.stdout)


# ---------------------------------------------------------------------------------------------
# reading


@pytest.mark.parametrize(
    ("written", "shape"),
    [
        ("1 2 3", (1, 3)),
        ("1,2,3", (1, 3)),
        ("[1 2 3]", (1, 3)),
        ("7", (1, 1)),
        ("1; 2; 3", (3, 1)),
        ("[1,2,3]", (3,)),
        ("[[1,2,3]]", (1, 3)),
        ("[[[1,2,3]]]", (1, 1, 3)),
        ("[7]", (1,)),
    ],
)
def test_inline_shapes(written, shape):
    assert parsing.read_matrix(written).shape == shape


@pytest.mark.parametrize(
    ("name", "content", "shape"),
    [
        ("row.txt", "1 2 3 4\n", (1, 4)),
        ("row.csv", "1,2,3,4\n", (1, 4)),
        ("one.txt", "7\n", (1, 1)),
        ("column.txt", "1\n2\n3\n4\n", (4, 1)),
        ("rows.txt", "1.5 2\n\n3 4\n", (2, 1, 2)),
        ("row.json", "[1, 2, 3]", (3,)),
        ("matrix.json", "[[1, 2, 3]]", (1, 3)),
    ],
)
def test_file_shapes(tmp_path, name, content, shape):
    path = tmp_path / name
    path.write_text(content)
    assert parsing.read_matrix(str(path)).shape == shape


@pytest.mark.parametrize("shape", [(4,), (1, 4), (4, 1), (2, 1, 3)])
def test_npy_keeps_its_shape(tmp_path, shape):
    path = tmp_path / "a.npy"
    np.save(path, np.arange(int(np.prod(shape))).reshape(shape))
    assert parsing.read_matrix(str(path)).shape == shape


# ---------------------------------------------------------------------------------------------
# the examples


def test_dot_of_a_column_file_and_a_row_file_is_their_outer_product(tmp_path):
    column, row = tmp_path / "col.txt", tmp_path / "row.txt"
    column.write_text("1\n2\n3\n4\n")
    row.write_text("1 2 3 4\n")
    result = run("dot", str(column), str(row))
    assert result.exit_code == ExitCode.OK
    assert result.stdout == "1 2  3  4\n2 4  6  8\n3 6  9 12\n4 8 12 16\n"
    assert result.stderr == ""
    expected = np.outer([1, 2, 3, 4], [1, 2, 3, 4])
    assert json_run("dot", str(column), str(row))["result"] == expected.tolist()


def test_one_by_one_dot_one_by_one_is_a_one_by_one_matrix(tmp_path):
    a, b = tmp_path / "a.txt", tmp_path / "b.txt"
    a.write_text("2\n")
    b.write_text("3\n")
    doc = json_run("dot", str(a), str(b))
    assert doc["result"] == [[6]]
    assert doc["shape"] == [1, 1]


def test_padding_a_one_row_file_pads_both_axes(tmp_path):
    row = tmp_path / "row.txt"
    row.write_text(" ".join(str(i) for i in range(1, 11)) + "\n")  # 1 x 10
    doc = json_run("correlate", str(row), "1 2 1", "--padding", "2")
    assert doc["shape"] == [5, 12]  # 1 + 2 + 2 rows; 10 + 4 - 3 + 1 columns
    padded = np.pad(np.arange(1, 11).reshape(1, 10), 2)
    kernel = np.array([1, 2, 1])
    expected = [[int(padded[i, j : j + 3] @ kernel) for j in range(12)] for i in range(5)]
    assert doc["result"] == expected


def test_padding_given_per_axis_on_an_inline_row():
    doc = json_run("correlate", "1 2 3 4", "1", "--padding", "0,2")
    assert doc["result"] == [[0, 0, 1, 2, 3, 4, 0, 0]]  # no rows added, two columns each side


def test_dot_of_two_rows_is_refused_with_their_dot_product_as_vectors():
    result = run("dot", "1 2 3", "4 5 6")
    assert result.exit_code == ExitCode.USAGE_OR_INPUT
    assert result.stdout == ""
    as_vectors = int(np.dot([1, 2, 3], [4, 5, 6]))
    assert result.stderr == (
        "error: dot: A is 1x3 and B is 1x3; the inner dimensions (3 and 1) must match; as vectors "
        f'("[1,2,3]" and "[4,5,6]") their dot product, and their elementwise-sum, is {as_vectors}\n'
    )
    # the hint is true: both spellings it names give that number
    for op, a, b in [("dot", "[1,2,3]", "[4,5,6]"), ("elementwise-sum", "1 2 3", "4 5 6")]:
        assert json_run(op, a, b)["result"] == as_vectors


def test_the_vector_hint_is_computed_for_these_numbers():
    result = run("dot", "1/2; x; 3", "4; 5; 6")  # two columns
    assert (result.exit_code, result.stdout) == (ExitCode.USAGE_OR_INPUT, "")
    assert result.stderr.startswith("error: dot: A is 3x1 and B is 3x1; ")
    assert result.stderr.endswith(
        'as vectors ("[1/2,x,3]" and "[4,5,6]") their dot product, and their elementwise-sum, is 5*x+20\n'
    )
    long = " ".join(str(i) for i in range(1, 9))
    result = run("dot", long, long)
    assert (result.exit_code, result.stdout) == (ExitCode.USAGE_OR_INPUT, "")
    expected = sum(i * i for i in range(1, 9))
    assert result.stderr.endswith(
        f'as vectors ("[1,2,3,4,5,6,...]" and "[1,2,3,4,5,6,...]") their dot product, and their '
        f"elementwise-sum, is {expected}\n"
    )


def test_shapes_that_are_not_vectors_get_no_hint():
    result = run("dot", "1 2; 3 4", "1 2 3; 4 5 6; 7 8 9")
    assert (result.exit_code, result.stdout) == (ExitCode.USAGE_OR_INPUT, "")
    assert result.stderr == "error: dot: A is 2x2 and B is 3x3; the inner dimensions (2 and 3) must match\n"
    result = run("dot", "1 2", "1 2 3")
    assert (result.exit_code, result.stdout) == (ExitCode.USAGE_OR_INPUT, "")
    assert result.stderr == "error: dot: A is 1x2 and B is 1x3; the inner dimensions (2 and 1) must match\n"


def test_elementwise_sum_of_a_row_and_a_vector_names_their_sum_as_vectors():
    result = run("elementwise-sum", "1 2 3", "[4,5,6]")
    assert result.exit_code == ExitCode.USAGE_OR_INPUT
    assert result.stdout == ""
    assert result.stderr == (
        "error: elementwise-sum: A is 1x3 and B is 1-D of length 3; it multiplies entries at the same "
        'positions, so the shapes must be equal; as vectors ("[1,2,3]" and "[4,5,6]") their '
        "elementwise-sum is 32\n"
    )


def test_a_row_times_a_column_is_a_one_by_one_matrix():
    assert json_run("dot", "1 2 3", "4; 5; 6")["result"] == [[32]]


# ---------------------------------------------------------------------------------------------
# true vectors


def test_true_vectors_slide_as_rows_and_print_as_vectors():
    doc = json_run("correlate", "[1,2,3,4]", "[1,1]")
    assert doc["result"] == [3, 5, 7]
    assert doc["shape"] == [3]
    # one value of a per-axis option applies to the one axis
    assert json_run("correlate", "[1,2,3,4]", "[1,1]", "--padding", "1")["result"] == [1, 3, 5, 7, 4]
    # the same numbers written as a row give a 1 x N matrix
    assert json_run("correlate", "1 2 3 4", "1 1")["result"] == [[3, 5, 7]]


def test_plain_output_of_a_vector_reads_back_as_a_row():
    result = run("correlate", "[1,2,3,4]", "[1,1]")
    assert (result.exit_code, result.stdout, result.stderr) == (ExitCode.OK, "3 5 7\n", "")
    assert parsing.read_matrix("-", stdin=io.StringIO(result.stdout)).shape == (1, 3)


def test_numpy_convention_gives_numpys_max_length_same_mode():
    result = run("convolve", "[1,2,3]", "[1,2,3,4,5,6]", "--mode", "same", "--convention", "numpy")
    expected = np.convolve([1, 2, 3], [1, 2, 3, 4, 5, 6], "same")
    assert result.exit_code == ExitCode.OK
    assert result.stdout == " ".join(str(v) for v in expected.tolist()) + "\n"
    assert result.stdout == "4 10 16 22 28 27\n"
    assert result.stderr == f"note: {comparison.CNN_NOTE}\n"  # and no note on the vectors' shapes


@settings(max_examples=150, deadline=None)
@given(
    a=st.lists(st.integers(-9, 9), min_size=1, max_size=8),
    v=st.lists(st.integers(-9, 9), min_size=1, max_size=8),
    imag=st.booleans(),
    mode=st.sampled_from(["valid", "same", "full"]),
)
def test_numpy_convention_agrees_with_numpy_on_vectors(a, v, imag, mode):
    x, k = np.array(a), np.array(v)
    if imag:  # correlate conjugates the kernel, and numpy's swap for a longer kernel reverses
        x, k = x + 1j * x[::-1], k - 2j * k[::-1]
    options = OpOptions(mode=Mode(mode), convention=Convention.NUMPY)
    for ours, theirs in ((convolve, np.convolve), (correlate, np.correlate)):
        got = ours(x, k, options).value
        expected = theirs(x, k, mode)
        assert got.shape == expected.shape
        np.testing.assert_array_equal(got, expected)


def test_numpy_convention_keeps_the_input_shape_for_matrices():
    # numpy has no 2-D convolve: a 1 x N row keeps scipy's rule of A's shape
    result = run("convolve", "1 2 3", "1 2 3 4 5 6", "--mode", "same", "--convention", "numpy", "-f", "json")
    assert (result.exit_code, result.stderr) == (ExitCode.OK, f"note: {comparison.CNN_NOTE}\n")
    assert json.loads(result.stdout)["shape"] == [1, 3]


def test_the_core_keeps_what_it_is_given():
    a, b = np.array([[1], [2]]), np.array([[3, 4]])
    assert dot(a, b).value.tolist() == [[3, 4], [6, 8]]
    assert elementwise_sum(np.array([[1, 2]]), np.array([[3, 4]])).value.tolist() == 11
