"""Machine formats: exact text of each, and what reads back."""

from __future__ import annotations

import io
import json
from fractions import Fraction

import numpy as np
import pytest

from convcli import explain, ops
from convcli.errors import UsageError
from convcli.formats import format_comparison, format_result, matrix_plain
from convcli.model import Format, Mode, OpOptions

from .conftest import SEED_A, SEED_B, WINDOW


def seed_result():
    return ops.convolve(SEED_A, SEED_B)


def test_plain_is_aligned_rows():
    assert format_result(seed_result(), Format.PLAIN) == "4 3 4\n2 4 3\n2 3 4\n"
    assert matrix_plain(np.array([[1, -10], [100, 2]])) == "  1 -10\n100   2\n"


def test_plain_vector_scalar_and_blocks():
    assert matrix_plain(np.array([1, 2, 3])) == "1 2 3\n"
    assert matrix_plain(np.array(7)) == "7\n"
    assert matrix_plain(np.arange(8).reshape(2, 2, 2)) == "0 1\n2 3\n\n4 5\n6 7\n"


def test_plain_numbers_are_exact_text():
    a = np.empty(3, dtype=object)
    a[:] = [Fraction(10, 9), 2**70, Fraction(-1, 3)]
    assert matrix_plain(a, align=False) == "10/9 1180591620717411303424 -1/3\n"
    assert matrix_plain(np.array([0.1, float("nan"), -np.inf]), align=False) == "0.1 nan -inf\n"
    assert matrix_plain(np.array([1 + 2j, -0.5 - 1j]), align=False) == "1.0+2.0j -0.5-1.0j\n"


def test_csv():
    assert format_result(seed_result(), Format.CSV) == "4,3,4\n2,4,3\n2,3,4\n"


def test_json_result_document():
    doc = json.loads(format_result(seed_result(), Format.JSON))
    assert doc == {
        "op": "convolve",
        "mode": "valid",
        "boundary": "fill",
        "fillvalue": 0,
        "convention": "scipy",
        "kind": "integer",
        "a_shape": [5, 5],
        "b_shape": [3, 3],
        "shape": [3, 3],
        "result": [[4, 3, 4], [2, 4, 3], [2, 3, 4]],
    }


def test_json_fractions_big_ints_and_specials():
    a = np.empty((1, 2), dtype=object)
    a[:] = [[Fraction(1, 9), Fraction(1, 9)]]
    doc = json.loads(format_result(ops.correlate(a, np.array([[9, 1]])), Format.JSON))
    assert doc["result"] == [["10/9"]]
    assert doc["kind"] == "rational"
    doc = json.loads(format_result(ops.convolve(np.array([2**62]), np.array([4])), Format.JSON))
    assert doc["result"] == [2**64]
    doc = json.loads(format_result(ops.convolve(np.array([np.nan, 1.0]), np.array([1.0])), Format.JSON))
    assert doc["result"] == ["nan", 1.0]


def test_json_elementwise_sum_has_scalar_and_products():
    doc = json.loads(format_result(ops.elementwise_sum(WINDOW, SEED_B), Format.JSON))
    assert doc["result"] == 4
    assert doc["products"] == [[1, 0, 1], [0, 1, 0], [0, 0, 1]]
    assert doc["shape"] == []
    assert "mode" not in doc


def test_markdown_and_latex():
    assert (
        format_result(ops.correlate(WINDOW, SEED_B), Format.MARKDOWN)
        == "|   | 0 |\n|---|---:|\n| **0** | 4 |\n"
    )
    a = np.empty((1, 2), dtype=object)
    a[:] = [[Fraction(-1, 9), 2]]
    assert format_result(ops.dot(a, np.array([[1], [1]])), Format.LATEX) == (
        "\\begin{bmatrix}\n  \\frac{17}{9}\n\\end{bmatrix}\n"
    )
    assert format_result(ops.convolve(SEED_A[:2, :2], np.array([[1]])), Format.LATEX) == (
        "\\begin{bmatrix}\n  1 & 1 \\\\\n  0 & 1\n\\end{bmatrix}\n"
    )


def test_npy_round_trip_and_refusals():
    data = format_result(seed_result(), Format.NPY).to_bytes()
    assert np.array_equal(np.load(io.BytesIO(data)), [[4, 3, 4], [2, 4, 3], [2, 3, 4]])
    with pytest.raises(UsageError, match="too large for int64"):
        format_result(ops.convolve(np.array([2**62]), np.array([4])), Format.NPY)


def test_compare_json_has_results_and_errors():
    doc = json.loads(format_comparison(explain.compare(SEED_A, SEED_B), Format.JSON))
    assert doc["results"]["convolve"] == {"shape": [3, 3], "result": [[4, 3, 4], [2, 4, 3], [2, 3, 4]]}
    assert doc["results"]["dot"] == {
        "error": "dot: A is 5x5 and B is 3x3; the inner dimensions (5 and 3) must match"
    }
    assert doc["results"]["elementwise-sum"]["error"].startswith("elementwise-sum: A is 5x5 and B is 3x3")
    assert doc["op"] == "compare" and doc["mode"] == "valid"
    assert [fact.split(":")[0] for fact in doc["facts"]][1:3] == [
        "elementwise-sum needs A and B of one shape; it is what correlate computes at every window",
        "np.dot of two matrices is a matrix product",
    ]
    assert len(doc["facts"]) == 5


def test_compare_plain_sections():
    text = format_comparison(explain.compare(WINDOW, SEED_B), Format.PLAIN)
    assert text.startswith(
        "# convolve\n4\n\n# correlate\n4\n\n# elementwise-sum\n4\n\n# dot\n2 1 2\n1 1 1\n1 0 1\n\n# B equals"
    )
    assert text.count("\n# ") == 8  # three more operations, then the five facts


def test_compare_refuses_csv():
    with pytest.raises(UsageError):
        format_comparison(explain.compare(WINDOW, SEED_B, OpOptions(mode=Mode.VALID)), Format.CSV)
