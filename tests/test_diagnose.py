"""check and its diagnoses: every slip built on purpose from the seed example and small kernels."""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pytest
from typer.testing import CliRunner

from convcli import ops, slips
from convcli.cli import ExitCode, app
from convcli.closeness import scale_of
from convcli.diagnose import check
from convcli.errors import ShapeError, UsageError
from convcli.explanations import CheckReport, Diagnosis
from convcli.model import Convention, Kind, Mode, Op, OpOptions

from .conftest import B2, SAMPLES, SEED_A, SEED_B, WINDOW

# correlate(SEED_A, B2) and convolve(SEED_A, B2) in valid mode, worked by hand
CORRELATE_B2 = [[3, 3, 4], [1, 3, 3], [1, 2, 3]]
CONVOLVE_B2 = [[4, 3, 3], [2, 4, 2], [2, 2, 3]]

# an asymmetric kernel whose transpose is not its 180° turn (for B2 they coincide)
K3 = np.array([[1, 2, 0], [0, 1, 0], [0, 0, 1]])

X = np.array([1, 2, 3, 4, 5])
K = np.array([1, 2])
CONVOLVE_SAME_BEFORE = [1, 4, 7, 10, 13]  # scipy and numpy
CONVOLVE_SAME_AFTER = [4, 7, 10, 13, 10]  # matlab, torch, tensorflow
CORRELATE_SAME_AFTER = [5, 8, 11, 14, 5]  # scipy, matlab, torch, tensorflow
CORRELATE_SAME_BEFORE = [2, 5, 8, 11, 14]  # numpy


def run_check(a, b, answer, op=Op.CORRELATE, tolerance=1e-9, **options) -> CheckReport:
    return check(a, b, np.asarray(answer), op, OpOptions(**options), tolerance=tolerance)


def diagnosis_of(a, b, answer, op=Op.CORRELATE, **options) -> tuple[str, str]:
    report = run_check(a, b, answer, op, **options)
    assert not report.match
    assert report.diagnosis is not None, report.worst
    return report.diagnosis.key, report.diagnosis.text


def fractions(rows, den=1):
    out = np.empty((len(rows), len(rows[0])), dtype=object)
    out[:] = [[Fraction(v, den) for v in row] for row in rows]
    return out


# --- right answers --------------------------------------------------------------------------------


def test_seed_answer_is_right():
    report = run_check(SEED_A, SEED_B, [[4, 3, 4], [2, 4, 3], [2, 3, 4]])
    assert report.match is True
    assert report.wrong == []
    assert report.shape_mismatch is None
    assert report.diagnosis is None
    assert report.worst is None
    assert report.expected.value.tolist() == [[4, 3, 4], [2, 4, 3], [2, 3, 4]]


def test_answer_is_kept_as_given():
    answer = np.array([[4, 3, 4], [2, 4, 3], [2, 3, 4]])
    assert run_check(SEED_A, SEED_B, answer).answer is answer


def test_exact_fractions_match_exactly():
    box = fractions([[1, 1, 1], [1, 1, 1], [1, 1, 1]], 9)
    # window sums of the seed divided by 9
    right = fractions([[6, 7, 6], [4, 7, 7], [4, 6, 6]], 9)
    assert run_check(SEED_A, box, right).match is True
    off = right.copy()
    off[0, 0] = Fraction(6, 9) + Fraction(1, 10**12)
    report = run_check(SEED_A, box, off)
    assert report.match is False
    assert report.wrong == [(0, 0)]


def test_int_answer_equals_rational_result():
    report = run_check(fractions(WINDOW.tolist()), SEED_B, 4, Op.ELEMENTWISE_SUM)
    assert report.expected.value == Fraction(4)
    assert report.match is True


def test_an_exact_problem_needs_an_exact_answer():
    # 4.0 is 4 and 0.5 is 1/2 exactly, so they are right however they are written
    assert run_check(SEED_A, B2, np.array(CORRELATE_B2, dtype=float)).match is True
    half = fractions([[1, 1], [1, 1]], 2)
    assert run_check(np.array([[1, 0], [0, 0]]), half, [[0.5]]).match is True
    # but a float a relative 1e-12 off is not an exact answer, whatever the tolerance
    answer = np.array(CORRELATE_B2, dtype=float) * (1 + 1e-12)
    report = run_check(SEED_A, B2, answer, tolerance=1e-3)
    assert report.match is False
    assert report.wrong == [(0, 0), (0, 1), (0, 2), (1, 0), (1, 1), (1, 2), (2, 0), (2, 1), (2, 2)]
    assert (report.diagnosis.key, report.diagnosis.text) == (
        "rounded",
        "your answer is the right one rounded (to a relative 1.1e-12), but these inputs are exact, so "
        "the answer must be exact too: at [0, 0] it is 3, not 3.0000000000030003",
    )
    big = run_check(np.array([[100000000001, 2]]), np.array([[1]]), np.array([[1e11, 2.0]]))
    assert (big.match, big.wrong) == (False, [(0, 0)])


def test_float_answer_outside_tolerance():
    a = SEED_A.astype(float)
    answer = np.array(CORRELATE_B2, dtype=float)
    answer[2, 1] += 1e-6
    report = run_check(a, B2, answer)
    assert report.match is False
    assert report.wrong == [(2, 1)]
    # the cell is 2, a sum of products 1+0+...+1 whose absolute values add up to 2
    assert (report.diagnosis.key, report.diagnosis.text) == (
        "rounded",
        "your answer is within a relative 5.1e-07 of the right one (of each cell's scale, the sum of "
        "its |products|): rounded? --tolerance 1e-06 accepts it",
    )
    assert run_check(a, B2, answer, tolerance=1e-6).match is True
    assert run_check(a, B2, answer, tolerance=5e-7).match is False
    answer[2, 1] += 0.1
    report = run_check(a, B2, answer)
    assert report.diagnosis is None
    assert report.worst == "1 of 9 cells is wrong; the difference is 0.100001 at [2, 1]"


def test_scalar_answer_shapes():
    # a scalar result (0-d) accepts a number, a 1-element vector and a 1x1 matrix
    for answer in (3, [3], [[3]]):
        assert run_check(WINDOW, B2, answer, Op.ELEMENTWISE_SUM).match is True
    # a 1x1 result accepts a number too
    assert run_check(WINDOW, B2, 3).match is True


def test_vector_answer_for_a_row_result():
    a = SEED_A[:1]
    row = ops.correlate(a, np.array([[1, 2]])).value
    assert row.shape == (1, 4)
    assert run_check(a, np.array([[1, 2]]), [3, 3, 1, 0]).match is True


# --- the other operation --------------------------------------------------------------------------


def test_flipped_when_correlate_was_asked():
    key, text = diagnosis_of(SEED_A, B2, CONVOLVE_B2, Op.CORRELATE)
    assert key == "flipped"
    assert (
        text
        == "your answer is convolve, not correlate: the kernel was turned 180° but correlate does not turn it"
    )


def test_not_flipped_when_convolve_was_asked():
    report = run_check(SEED_A, B2, CORRELATE_B2, Op.CONVOLVE)
    assert report.wrong == [(0, 0), (0, 2), (1, 0), (1, 1), (1, 2), (2, 0)]
    assert report.diagnosis == Diagnosis(
        "not-flipped",
        "your answer is correlate, not convolve: the kernel was not turned 180°",
        OpOptions(),
        Op.CORRELATE,
    )
    assert report.worst is None


def test_elementwise_sum_with_the_kernel_turned():
    # convolve turns B2 and finds 4 in the window; the element-wise sum is 3
    report = run_check(WINDOW, B2, 4, Op.ELEMENTWISE_SUM)
    assert report.wrong == [()]
    assert report.diagnosis.key == "flipped"
    assert report.diagnosis.text == (
        "your answer is convolve's value: the kernel was turned 180°, but elementwise-sum multiplies "
        "entries at the same positions"
    )
    assert report.diagnosis.op is Op.CONVOLVE


# --- modes and conventions ------------------------------------------------------------------------


def test_full_mode_instead_of_valid():
    answer = ops.correlate(SEED_A, B2, OpOptions(mode=Mode.FULL)).value
    report = run_check(SEED_A, B2, answer)
    assert report.shape_mismatch == "your answer is 7x7 but correlate (valid) gives 3x3"
    assert report.wrong == []
    assert report.worst is None
    assert report.diagnosis.key == "mode"
    assert report.diagnosis.text == (
        "your answer is correlate in full mode, not valid mode: full keeps every position where the "
        "kernel overlaps A"
    )
    assert report.diagnosis.options == OpOptions(mode=Mode.FULL)


def test_same_mode_instead_of_valid():
    answer = [[2, 2, 3, 1, 1], [0, 3, 3, 4, 1], [0, 1, 3, 3, 3], [1, 1, 2, 3, 1], [0, 1, 1, 1, 1]]
    key, text = diagnosis_of(SEED_A, B2, answer)
    assert key == "mode"
    assert (
        text == "your answer is correlate in same mode, not valid mode: same keeps the output the size of A"
    )


def test_valid_mode_instead_of_same():
    key, text = diagnosis_of(SEED_A, B2, CORRELATE_B2, mode=Mode.SAME)
    assert key == "mode"
    assert text == (
        "your answer is correlate in valid mode, not same mode: valid keeps only the positions where "
        "the kernel lies inside A"
    )


def test_the_five_element_example_under_every_convention():
    # the 'same' results of the spec's example, to be sure the tests below build on the right values
    for convention, conv, corr in [
        (Convention.SCIPY, CONVOLVE_SAME_BEFORE, CORRELATE_SAME_AFTER),
        (Convention.NUMPY, CONVOLVE_SAME_BEFORE, CORRELATE_SAME_BEFORE),
        (Convention.MATLAB, CONVOLVE_SAME_AFTER, CORRELATE_SAME_AFTER),
    ]:
        assert run_check(X, K, conv, Op.CONVOLVE, mode=Mode.SAME, convention=convention).match
        assert run_check(X, K, corr, Op.CORRELATE, mode=Mode.SAME, convention=convention).match


def test_numpy_alignment_for_scipy_correlate():
    report = run_check(X, K, CORRELATE_SAME_BEFORE, mode=Mode.SAME)
    assert report.wrong == [(0,), (1,), (2,), (3,), (4,)]
    assert report.diagnosis.key == "convention"
    assert report.diagnosis.text == (
        "your answer uses numpy's 'same' alignment (extra zero before); scipy's correlate puts it after"
    )
    assert report.diagnosis.options == OpOptions(mode=Mode.SAME, convention=Convention.NUMPY)
    assert report.diagnosis.op is Op.CORRELATE


def test_libraries_that_agree_are_named_together():
    key, text = diagnosis_of(X, K, CONVOLVE_SAME_AFTER, Op.CONVOLVE, mode=Mode.SAME)
    assert key == "convention"
    assert text == (
        "your answer uses matlab's, torch's and tensorflow's 'same' alignment (extra zero after); "
        "scipy's convolve puts it before"
    )
    key, text = diagnosis_of(
        X, K, CORRELATE_SAME_AFTER, Op.CORRELATE, mode=Mode.SAME, convention=Convention.NUMPY
    )
    assert key == "convention"
    assert text == (
        "your answer uses scipy's, matlab's, torch's and tensorflow's 'same' alignment (extra zero "
        "after); numpy's correlate puts it before"
    )


def test_flip_with_another_convention():
    report = run_check(X, K, CORRELATE_SAME_BEFORE, Op.CONVOLVE, mode=Mode.SAME)
    assert report.diagnosis.key == "not-flipped"
    assert report.diagnosis.text == (
        "your answer is correlate with numpy's 'same' alignment (extra zero before), not convolve: the "
        "kernel was not turned 180°"
    )
    assert report.diagnosis.op is Op.CORRELATE
    assert report.diagnosis.options == OpOptions(mode=Mode.SAME, convention=Convention.NUMPY)


def test_flip_with_another_mode():
    answer = [[2, 2, 3, 1, 1], [0, 3, 3, 4, 1], [0, 1, 3, 3, 3], [1, 1, 2, 3, 1], [0, 1, 1, 1, 1]]
    report = run_check(SEED_A, B2, answer, Op.CONVOLVE)
    assert report.shape_mismatch == "your answer is 5x5 but convolve (valid) gives 3x3"
    assert report.diagnosis.key == "not-flipped"
    assert report.diagnosis.text == (
        "your answer is correlate in same mode, not convolve in valid mode: the kernel was not turned "
        "180°, and the mode differs"
    )


def test_same_mode_of_another_library_instead_of_valid():
    report = run_check(X, K, CORRELATE_SAME_BEFORE)
    assert (
        report.shape_mismatch == "your answer is 1-D of length 5 but correlate (valid) gives 1-D of length 4"
    )
    assert report.diagnosis.key == "mode"
    assert report.diagnosis.text == (
        "your answer is correlate in same mode with numpy's alignment (extra zero before), not valid "
        "mode: same keeps the output the size of A"
    )


# --- the kernel transposed or turned a quarter ----------------------------------------------------


def test_transposed_kernel_for_correlate():
    report = run_check(SEED_A, K3, [[3, 5, 5], [1, 3, 4], [1, 1, 4]])
    assert report.diagnosis == Diagnosis(
        "transposed",
        "your answer slides the transposed kernel (B.T) over A: correlate neither transposes nor turns "
        "the kernel",
        OpOptions(),
        Op.CORRELATE,
    )
    a, kernel = report.diagnosis.operands
    assert (a is SEED_A, kernel.tolist()) == (True, K3.T.tolist())


def test_transposed_instead_of_turned_for_convolve():
    key, text = diagnosis_of(SEED_A, K3, [[3, 5, 5], [1, 3, 4], [1, 1, 4]], Op.CONVOLVE)
    assert key == "transposed"
    assert text == (
        "your answer slides the transposed kernel (B.T) over A: convolve turns the kernel 180°, which is "
        "not a transpose"
    )


def test_convolve_with_the_transposed_kernel():
    answer = ops.convolve(SEED_A, K3.T).value
    key, text = diagnosis_of(SEED_A, K3, answer, Op.CONVOLVE)
    assert key == "transposed"
    assert (
        text == "your answer is convolve with the transposed kernel (B.T): its rows and columns were swapped"
    )


def test_quarter_turns_for_correlate():
    # np.rot90(K3) turns counterclockwise: [[0, 0, 1], [2, 1, 0], [1, 0, 0]]
    key, text = diagnosis_of(SEED_A, K3, [[2, 3, 4], [1, 2, 4], [1, 3, 5]])
    assert key == "rot90"
    assert text == (
        "your answer slides the kernel turned 90° counterclockwise over A: correlate does not turn the kernel"
    )
    key, text = diagnosis_of(SEED_A, K3, [[4, 3, 2], [3, 4, 4], [3, 5, 3]])
    assert key == "rot90"
    assert (
        text
        == "your answer slides the kernel turned 90° clockwise over A: correlate does not turn the kernel"
    )


def test_quarter_turn_instead_of_half_for_convolve():
    key, text = diagnosis_of(SEED_A, K3, [[4, 3, 2], [3, 4, 4], [3, 5, 3]], Op.CONVOLVE)
    assert key == "rot90"
    assert (
        text == "your answer slides the kernel turned 90° clockwise over A: convolve turns it 180°, not 90°"
    )


# --- stride, padding, dilation --------------------------------------------------------------------


def test_stride_forgotten():
    report = run_check(SEED_A, B2, CORRELATE_B2, stride=(2,))
    assert report.shape_mismatch == "your answer is 3x3 but correlate (valid, stride 2) gives 2x2"
    assert report.diagnosis.key == "stride"
    assert report.diagnosis.text == (
        "your answer is correlate with stride 1, not 2: the window moved by 1 instead of 2"
    )
    assert report.diagnosis.options == OpOptions(stride=(1,))


def test_stride_where_none_was_asked():
    key, text = diagnosis_of(SEED_A, B2, [[3, 4], [1, 3]])
    assert key == "stride"
    assert text == "your answer is correlate with stride 2, not 1: the window moved by 2 instead of 1"


def test_padding_forgotten():
    key, text = diagnosis_of(SEED_A, B2, CORRELATE_B2, padding=(1,))
    assert key == "padding"
    assert text == "your answer is correlate without padding, but padding 1 was asked for: A was not padded"


def test_padding_off_by_one():
    answer = ops.correlate(SEED_A, B2, OpOptions(padding=(2,), stride=(2,))).value
    report = run_check(SEED_A, B2, answer, padding=(1,), stride=(2,))
    assert report.diagnosis.key == "padding"
    assert report.diagnosis.text == (
        "your answer is correlate with padding 2, not 1: A was padded by 2 on each side instead of 1"
    )
    assert report.diagnosis.options == OpOptions(padding=(2,), stride=(2,))


def test_padding_where_none_was_asked():
    # a 1x3 kernel: padding 1 is neither 'same' nor 'full' for it
    row = np.array([[1, 2, 3]])
    answer = ops.correlate(SEED_A, row, OpOptions(padding=(1,))).value
    key, text = diagnosis_of(SEED_A, row, answer)
    assert key == "padding"
    assert text == (
        "your answer is correlate with padding 1, but no padding was asked for: A was padded by 1 "
        "on each side"
    )


def test_dilation_slips():
    key, text = diagnosis_of(SEED_A, B2, [[2]])
    assert key == "dilation"
    assert (
        text == "your answer is correlate with dilation 2, not 1: the kernel's taps were 2 apart instead of 1"
    )
    key, text = diagnosis_of(SEED_A, B2, CORRELATE_B2, dilation=(2,))
    assert key == "dilation"
    assert (
        text == "your answer is correlate with dilation 1, not 2: the kernel's taps were 1 apart instead of 2"
    )


# --- dot and element-wise products ---------------------------------------------------------------------


def test_dot_instead_of_elementwise_sum():
    report = run_check(WINDOW, B2, [[2, 1, 1], [1, 1, 1], [1, 0, 1]], Op.ELEMENTWISE_SUM)
    assert report.shape_mismatch == "your answer is 3x3 but elementwise-sum gives a single number"
    assert report.diagnosis == Diagnosis(
        "dot",
        "your answer is np.dot(A, B), a matrix product (rows of A times columns of B), but "
        "elementwise-sum adds up the products of entries that line up",
        None,
        Op.DOT,
    )


def test_dot_instead_of_one_window_of_correlate():
    report = run_check(WINDOW, B2, [[2, 1, 1], [1, 1, 1], [1, 0, 1]])
    assert report.shape_mismatch == "your answer is 3x3 but correlate (valid) gives 1x1"
    assert report.diagnosis.key == "dot"
    assert report.diagnosis.text == (
        "your answer is np.dot(A, B), a matrix product (rows of A times columns of B), but correlate "
        "adds up the products of entries that line up"
    )


def test_products_not_added_up():
    key, text = diagnosis_of(WINDOW, B2, [[1, 0, 0], [0, 1, 0], [0, 0, 1]], Op.ELEMENTWISE_SUM)
    assert key == "products"
    assert text == "your answer is the element-wise products A*B: they still have to be added up"


def test_dot_slips():
    key, text = diagnosis_of(WINDOW, B2, 3, Op.DOT)
    assert key == "elementwise-sum"
    assert text == (
        "your answer is the sum of the element-wise products (elementwise-sum), but np.dot multiplies "
        "rows of A by columns of B"
    )
    key, text = diagnosis_of(WINDOW, B2, [[1, 1, 1], [0, 1, 1], [1, 1, 2]], Op.DOT)
    assert key == "order"
    assert text == (
        "your answer is np.dot(B, A): the operands were swapped, and a matrix product depends on their order"
    )
    key, text = diagnosis_of(WINDOW, B2, [[1, 1, 2], [0, 1, 1], [0, 0, 1]], Op.DOT)
    assert key == "transposed"
    assert text == "your answer is np.dot(A, B.T): B was transposed before the product"
    key, text = diagnosis_of(WINDOW, B2, [[1, 0, 0], [0, 1, 0], [0, 0, 1]], Op.DOT)
    assert key == "products"
    assert (
        text == "your answer is the element-wise product A*B, but np.dot multiplies rows of A by columns of B"
    )


# --- offset and scale -----------------------------------------------------------------------------


def test_constant_offsets():
    right = np.array(CORRELATE_B2)
    key, text = diagnosis_of(SEED_A, B2, right + 2)
    assert (key, text) == ("offset", "every cell is off by +2: an extra bias, or one added twice?")
    key, text = diagnosis_of(SEED_A, B2, right - 2)
    assert (key, text) == ("offset", "every cell is off by -2: a missing bias?")
    key, text = diagnosis_of(SEED_A, B2, right + 0.5)
    assert (key, text) == ("offset", "every cell is off by +0.5: an extra bias, or one added twice?")


def test_bias_left_out_or_added_twice():
    right = np.array(CORRELATE_B2)
    key, text = diagnosis_of(SEED_A, B2, right, bias=(1,))
    assert (key, text) == ("offset", "every cell is off by -1: the bias 1 was left out")
    key, text = diagnosis_of(SEED_A, B2, right + 2, bias=(1,))
    assert (key, text) == ("offset", "every cell is off by +1: the bias 1 was added twice")


def test_forgotten_normalisation():
    box = fractions([[1, 1, 1], [1, 1, 1], [1, 1, 1]], 9)
    sums = [[6, 7, 6], [4, 7, 7], [4, 6, 6]]
    report = run_check(SEED_A, box, sums)
    assert report.diagnosis == Diagnosis(
        "scale",
        "your answer is 9 times the right one: a forgotten normalisation such as 1/9",
        None,
        None,
        factor=9,
    )


def test_normalisation_applied_where_none_belongs():
    key, text = diagnosis_of(SEED_A, B2, fractions(CORRELATE_B2, 9))
    assert key == "scale"
    assert text == (
        "your answer is 1/9 of the right one, which is 9 times larger: an extra normalisation such as 1/9"
    )
    key, text = diagnosis_of(SEED_A, B2, np.array(CORRELATE_B2) * 0.5)
    assert key == "scale"
    assert text == (
        "your answer is 0.5 of the right one, which is 2 times larger: an extra normalisation such as 0.5"
    )


def test_every_sign_flipped():
    key, text = diagnosis_of(SEED_A, B2, -np.array(CORRELATE_B2))
    assert (key, text) == ("scale", "your answer is -1 times the right one: every sign is flipped")


def test_a_tiny_relative_error_is_not_a_factor():
    report = run_check(SEED_A, B2, np.array(CORRELATE_B2) * (1 + 1e-8))
    assert report.diagnosis.key == "rounded"  # inaccurate, not scaled by a factor


def test_a_scalar_is_not_called_an_offset():
    report = run_check(WINDOW, B2, 5, Op.ELEMENTWISE_SUM)
    assert report.diagnosis is None
    assert report.wrong == [()]
    assert report.worst == "your answer is off by 2"


# --- nothing explains it --------------------------------------------------------------------------


def test_worst_names_count_largest_difference_and_cell():
    answer = np.array(CORRELATE_B2)
    answer[0, 0] += 1
    answer[1, 2] -= 2
    answer[2, 2] += 1
    report = run_check(SEED_A, B2, answer)
    assert report.match is False
    assert report.wrong == [(0, 0), (1, 2), (2, 2)]
    assert report.shape_mismatch is None
    assert report.diagnosis is None
    assert report.worst == "3 of 9 cells are wrong; the largest difference is 2 at [1, 2]"


def test_wrong_cells_of_a_layer_are_listed_filter_by_filter_in_row_major_order():
    rng = np.random.default_rng(3)
    a, b = rng.standard_normal((2, 6, 7)), rng.standard_normal((3, 2, 2, 2))
    right = ops.correlate(a, b, OpOptions(channels=True)).value
    assert right.shape == (3, 5, 6)
    answer = right.copy()
    off = [(2, 0, 5), (0, 4, 1), (1, 1, 1), (0, 0, 3), (2, 4, 0)]
    for cell in off:
        answer[cell] += 1.0
    report = run_check(a, b, answer, channels=True)
    want = [(f, i, j) for f in range(3) for i in range(5) for j in range(6) if (f, i, j) in off]
    assert report.wrong == want
    assert all(type(i) is int for cell in report.wrong for i in cell)


@pytest.mark.parametrize(
    "options",
    [
        OpOptions(),
        OpOptions(mode=Mode.SAME, convention=Convention.NUMPY),
        OpOptions(padding=(1,), stride=(2,), bias=(0.5,)),
    ],
)
@pytest.mark.parametrize("op", [Op.CORRELATE, Op.CONVOLVE])
def test_every_suspects_shape_and_sampled_cells_are_those_of_the_suspect_computed_whole(op, options):
    # a suspect's geometry is laid out once, for its shape and its sampled cells alike
    rng = np.random.default_rng(5)
    a, b = rng.standard_normal((7, 8)), rng.standard_normal((3, 2))
    suspects = [*slips.candidates(op, a, b, options), *slips.pairs(op, a, b, options)]
    sliding = [c for c in suspects if c.op in (Op.CORRELATE, Op.CONVOLVE)]
    assert len(sliding) >= 10
    for c in sliding:
        shape = slips.shape_of(c)
        try:
            value, _ = slips.compute(c)
        except (ShapeError, UsageError):
            assert shape is None, c.key
            continue
        assert shape == value.shape, c.key
        scale = scale_of(c.op, c.a, c.b, c.options)
        cells = list(
            dict.fromkeys(
                tuple(int(i) for i in np.unravel_index(f, shape))
                for f in (0, value.size // 2, value.size - 1)
            )
        )
        for cell, (v, size) in zip(cells, slips.sample(c, cells, Kind.FLOAT), strict=True):
            assert v == pytest.approx(value[cell], rel=1e-12, abs=1e-12), (c.key, cell)
            assert size == pytest.approx(scale[cell], rel=1e-12), (c.key, cell)


def test_worst_with_fractions():
    box = fractions([[1, 1, 1], [1, 1, 1], [1, 1, 1]], 9)
    answer = fractions([[6, 7, 6], [4, 7, 7], [4, 6, 6]], 9)
    answer[2, 0] = Fraction(1, 2)
    report = run_check(SEED_A, box, answer)
    assert report.worst == "1 of 9 cells is wrong; the difference is 1/18 at [2, 0]"


def test_shape_mismatch_without_explanation():
    report = run_check(SEED_A, B2, [[1, 2], [3, 4], [5, 6]])
    assert report.match is False
    assert report.wrong == []
    assert report.shape_mismatch == "your answer is 3x2 but correlate (valid) gives 3x3"
    assert report.diagnosis is None
    assert report.worst is None


def test_nan_cells():
    a = SEED_A.astype(float)
    a[0, 0] = math.nan
    right = np.array(CORRELATE_B2, dtype=float)
    right[0, 0] = math.nan
    assert run_check(a, B2, right).match is True
    missing = right.copy()
    missing[0, 0] = 3.0
    report = run_check(a, B2, missing)
    assert report.wrong == [(0, 0)]
    assert report.worst == "1 of 9 cells is wrong; at [0, 0] your answer is 3.0 but the right value is nan"
    stray = right.copy()
    stray[2, 2] = math.nan
    report = run_check(a, B2, stray)
    assert report.wrong == [(2, 2)]
    assert report.worst == "1 of 9 cells is wrong; at [2, 2] your answer is nan but the right value is 3.0"


def test_symbolic_answers():
    sympy = pytest.importorskip("sympy")
    a, b, c, d = sympy.symbols("a b c d")
    letters = np.empty((2, 2), dtype=object)
    letters[:] = [[a, b], [c, d]]
    kernel = np.array([[1, 0], [0, 2]])
    right = np.empty((1, 1), dtype=object)
    right[0, 0] = 2 * d + a
    assert run_check(letters, kernel, right).match is True
    turned = np.empty(1, dtype=object)
    turned[0] = 2 * a + d
    key, _ = diagnosis_of(letters, kernel, turned)
    assert key == "flipped"
    wrong = np.empty(1, dtype=object)
    wrong[0] = a + 2 * c
    assert run_check(letters, kernel, wrong).worst == "your answer is a + 2*c but the right value is a + 2*d"


def test_complex_answers():
    a = np.array([[1 + 1j, 2, 0], [0, 1j, 1], [1, 0, 2]])
    right = ops.correlate(a, B2).value
    assert run_check(a, B2, right * (1 + 1e-12)).match is True
    key, _ = diagnosis_of(a, B2, ops.convolve(a, B2).value)
    assert key == "flipped"


# --- large inputs and bad input -------------------------------------------------------------------


def test_large_inputs_get_every_diagnosis(monkeypatch):
    big = np.zeros((1001, 1000), dtype=np.int64)
    big[:5, :5] = SEED_A
    same = ops.correlate(big, B2, OpOptions(mode=Mode.SAME)).value
    computed = []
    run = ops.run
    monkeypatch.setattr(ops, "run", lambda *args: computed.append(args[0]) or run(*args))
    report = run_check(big, B2, same)
    assert report.shape_mismatch == "your answer is 1001x1000 but correlate (valid) gives 999x998"
    assert (
        report.diagnosis.text
        == "your answer is correlate in same mode, not valid mode: same keeps the output the size of A"
    )
    # the right result, then the one suspect that agreed at the cells compared first
    assert computed == [Op.CORRELATE, Op.CORRELATE]
    flipped = ops.convolve(big, B2).value
    report = run_check(big, B2, flipped)
    assert report.diagnosis.key == "flipped"
    # and so are offsets
    report = run_check(big, B2, ops.correlate(big, B2).value + 1)
    assert report.diagnosis.key == "offset"


def test_bad_input():
    with pytest.raises(UsageError):
        run_check(SEED_A, B2, CORRELATE_B2, tolerance=-1)
    with pytest.raises(UsageError):
        run_check(SEED_A, B2, np.array(["x", "y"]))
    with pytest.raises(ShapeError):
        run_check(SEED_A, B2, 4, Op.ELEMENTWISE_SUM)


# --- slips in writing the answer down ------------------------------------------------------------


def _key_and_text(answer, a=None, b=None, op=Op.CORRELATE, options=None, tolerance=1e-9):
    a = SEED_A if a is None else a
    b = B2 if b is None else b
    report = check(a, b, np.array(answer), op, options or OpOptions(), tolerance=tolerance)
    assert not report.match
    return report.diagnosis.key, report.diagnosis.text


def test_transposed_answer():
    assert _key_and_text([[3, 1, 1], [3, 3, 2], [4, 3, 3]]) == (
        "answer-transposed",
        "your answer is the right result transposed: rows and columns swapped",
    )


def test_right_numbers_in_the_wrong_shape():
    assert _key_and_text([3, 3, 4, 1, 3, 3, 1, 2, 3]) == (
        "reshaped",
        "your answer has the right numbers in the wrong shape: 1-D of length 9 instead of 3x3",
    )


def test_rounded_float_answer_suggests_a_tolerance():
    box = np.full((3, 3), 1 / 9)
    right = ops.correlate(SEED_A, box).value
    assert _key_and_text(np.round(right, 4), b=box) == (
        "rounded",
        "your answer is within a relative 0.0001 of the right one (of each cell's scale, the sum of its "
        "|products|): rounded? --tolerance 0.0001 accepts it",
    )


D2L_X = np.array([[[0, 1, 2], [3, 4, 5], [6, 7, 8]], [[1, 2, 3], [4, 5, 6], [7, 8, 9]]])
D2L_K = np.array([[[0, 1], [2, 3]], [[1, 2], [3, 4]]])


def test_channel_maps_not_summed():
    maps = [[[19, 25], [37, 43]], [[37, 47], [67, 77]]]
    assert _key_and_text(maps, D2L_X, D2L_K, options=OpOptions(channels=True)) == (
        "channels-not-summed",
        "your answer holds the 2 per-channel maps, and they are right, but a layer adds them: "
        "the sum over channels is the answer",
    )


def test_one_channel_only():
    assert _key_and_text([[19, 25], [37, 43]], D2L_X, D2L_K, options=OpOptions(channels=True)) == (
        "one-channel",
        "your answer uses channel 0 only; a layer sums the products over all 2 channels",
    )


# --- diagnoses that are true ---------------------------------------------------------------------

NINE = np.arange(1, 10).reshape(3, 3)
EYE = np.array([[1, 0], [0, 1]])
NINE_EYE = [[6, 8], [12, 14]]  # correlate(NINE, EYE)


@pytest.mark.parametrize(
    ("answer", "text"),
    [
        ([[2, 4], [8, 10]], None),
        ([[-2, 0], [4, 6]], "every cell is off by -4: the bias -4 was added twice"),
        (NINE_EYE, "every cell is off by +4: the bias -4 was left out"),
        ([[10, 12], [16, 18]], "every cell is off by +8: the bias -4 was subtracted instead of added"),
        ([[3, 5], [9, 11]], "every cell is off by +1: an extra bias, or one added twice?"),
    ],
)
def test_a_negative_bias_is_named_with_the_right_sign(answer, text):
    report = run_check(NINE, EYE, answer, bias=(-4,))
    assert report.match is (text is None)
    if text is not None:
        assert (report.diagnosis.key, report.diagnosis.text) == ("offset", text)
        assert np.array_equal(np.array(answer), np.array(NINE_EYE) - 4 + report.diagnosis.offset)


def test_a_rounding_claim_states_the_numbers_found():
    # an answer off by 100% is never "right to a relative 1e-08": its numbers say what it is
    a = np.array([[1e-12, 2e-12]])
    report = run_check(a, np.array([[1]]), [[2e-12, 4e-12]], tolerance=1e-10)
    assert (
        report.diagnosis.text == "your answer is 2 times the right one: a forgotten normalisation such as 0.5"
    )
    assert report.diagnosis.factor == 2.0
    report = run_check(a, np.array([[1]]), [[2e-12, 5e-12]], tolerance=1e-10)
    assert report.diagnosis is None
    assert report.worst == "2 of 2 cells are wrong; the largest difference is 3e-12 at [0, 1]"


def test_both_stride_and_padding_forgotten():
    answer = ops.correlate(SEED_A, SEED_B).value
    report = run_check(SEED_A, SEED_B, answer, stride=(2,), padding=(1,))
    assert report.diagnosis.key == "stride+padding"
    assert (
        report.diagnosis.text
        == "your answer has two slips: stride 1 instead of 2, and no padding instead of 1"
    )
    assert report.diagnosis.options == OpOptions(stride=(1,), padding=(0,))


@pytest.mark.parametrize(
    ("given", "slipped", "key", "text"),
    [
        (
            OpOptions(stride=(2,), padding=(1,)),
            OpOptions(stride=(2,), padding=(0,)),
            "flipped+padding",
            "your answer has two slips: the kernel was turned 180° (that is convolve), and no padding "
            "instead of 1",
        ),
        (
            OpOptions(dilation=(2,), padding=(2,)),
            OpOptions(dilation=(1,), padding=(2,)),
            "flipped+dilation",
            "your answer has two slips: the kernel was turned 180° (that is convolve), and dilation 1 instead of 2",
        ),
        (
            OpOptions(stride=(2,), bias=(3,)),
            OpOptions(stride=(1,)),
            "stride+bias",
            "your answer has two slips: stride 1 instead of 2, and the bias 3 left out",
        ),
    ],
)
def test_two_slips_at_once(given, slipped, key, text):
    a = np.arange(49).reshape(7, 7) % 5
    answer = (
        ops.convolve(a, K3, slipped).value
        if key.startswith("flipped")
        else ops.correlate(a, K3, slipped).value
    )
    report = run_check(a, K3, answer, **given.__dict__)
    assert (report.diagnosis.key, report.diagnosis.text) == (key, text)
    diagnosis = report.diagnosis
    assert ops.run(diagnosis.op, a, K3, diagnosis.options).value.tolist() == answer.tolist()


def test_a_slip_that_changes_nothing_is_not_named():
    # SEED_B is symmetric, so turning it is no slip: a forgotten stride alone explains this
    answer = ops.correlate(SEED_A, SEED_B).value
    report = run_check(SEED_A, SEED_B, answer, stride=(2,))
    assert report.shape_mismatch == "your answer is 3x3 but correlate (valid, stride 2) gives 2x2"
    assert report.diagnosis.key == "stride"


# --- the examples, through the command line -------------------------------------------------------


def cli(*args: str, input: str | None = None):
    return CliRunner().invoke(app, ["check", *args], input=input)


# exit status, stdout and stderr of a right answer
RIGHT = (ExitCode.OK, "right: your answer equals correlate\n", "")


def test_small_floats_are_not_all_equal_on_the_command_line():
    result = cli("1e-12 2e-12", "1", "--answer", "3e-12 -5e-12", "-f", "plain")
    assert result.exit_code == ExitCode.WRONG_ANSWER
    assert result.stderr == ""
    lines = result.stdout.splitlines()
    assert (lines[0], lines[-2:]) == ("wrong", ["expected:", "1e-12 2e-12"])
    result = cli("[[1e-12, 2e-12]]", "1", "--answer", "[[3e-12, -5e-12]]", "-f", "plain")
    assert result.exit_code == ExitCode.WRONG_ANSWER
    assert result.stdout == (
        "wrong\n"
        "off by: 2 of 2 cells are wrong; the largest difference is 7e-12 at [0, 1]\n"
        "wrong cells: [0, 0], [0, 1]\n"
        "C[0, 0] should be: (1e-12*1.0) = 1e-12 = 1e-12\n"
        "C[0, 1] should be: (2e-12*1.0) = 2e-12 = 2e-12\n"
        "expected:\n"
        "1e-12 2e-12\n"
    )
    assert result.stderr == ""


def test_a_cancelling_cell_accepts_zero_on_the_command_line():
    result = cli("0.1 0.2 -0.3", "1 1 1", "--answer", "0", "-f", "plain")
    assert (result.exit_code, result.stdout, result.stderr) == RIGHT


def test_an_exact_problem_on_the_command_line():
    result = cli("100000000001 2", "1", "--answer", "1e11 2", "-f", "plain")
    assert result.exit_code == ExitCode.WRONG_ANSWER
    assert result.stderr == ""
    assert result.stdout.splitlines()[0] == "wrong"
    assert "off by: 1 of 2 cells is wrong; the difference is 1 at [0" in result.stdout
    for answer in ("0.5 1.0; 1.5 2", "1/2 1; 3/2 2", "[[0.5, 1], [1.5, 2.0]]", "5e-1 1; 15e-1 2"):
        result = cli("1 2; 3 4", "1/2", "--answer", answer, "-f", "plain")
        assert (result.exit_code, result.stdout, result.stderr) == RIGHT
    # 0.1 written as a decimal is 1/10 exactly, from any source
    result = cli("1 2; 3 4", "1/10", "--answer", "-", "-f", "plain", input="0.1 0.2\n0.3 0.4\n")
    assert (result.exit_code, result.stdout, result.stderr) == RIGHT


def test_an_exact_problem_with_a_rounded_answer():
    result = cli("1 2; 3 4", "1/3", "--answer", "0.333 0.667; 1 1.333", "-f", "plain")
    assert result.exit_code == ExitCode.WRONG_ANSWER
    assert result.stdout.splitlines()[1] == (
        "diagnosis: your answer is the right one rounded (to a relative 0.001), but these inputs are exact, "
        "so the answer must be exact too: at [0, 0] it is 1/3, not 333/1000"
    )
    assert result.stderr == ""
    result = cli("1 2; 3 4", "1/3", "--answer", "nan 2/3; 1 4/3", "-f", "plain")
    assert result.exit_code == ExitCode.WRONG_ANSWER
    assert result.stdout.splitlines()[1:3] == [
        "off by: 1 of 4 cells is wrong; at [0, 0] your answer is nan but the right value is 1/3",
        "wrong cells: [0, 0]",
    ]
    assert result.stderr == ""


def test_a_negative_bias_on_the_command_line():
    result = cli("1 2 3; 4 5 6; 7 8 9", "1 0; 0 1", "--bias", "-4", "--answer", "-2 0; 4 6", "-f", "plain")
    assert result.exit_code == ExitCode.WRONG_ANSWER
    assert result.stdout.splitlines()[:2] == [
        "wrong",
        "diagnosis: every cell is off by -4: the bias -4 was added twice",
    ]
    assert result.stderr == ""


def test_stride_and_padding_forgotten_on_the_command_line():
    result = cli(
        str(SAMPLES / "A.txt"),
        str(SAMPLES / "B.txt"),
        "--stride",
        "2",
        "--padding",
        "1",
        "--answer",
        "4 3 4; 2 4 3; 2 3 4",
        "-f",
        "plain",
    )
    assert result.exit_code == ExitCode.WRONG_ANSWER
    assert result.stdout.splitlines()[:3] == [
        "wrong",
        "diagnosis: your answer has two slips: stride 1 instead of 2, and no padding instead of 1",
        "wrong cells: [0, 0], [0, 2], [1, 0], [2, 0], [2, 1], [2, 2]",
    ]
    assert result.stderr == ""


def test_wrong_cells_of_a_million_products_are_not_derived():
    result = cli("box:101", "box:101", "--answer", "[[0]]", "-f", "plain")
    assert result.exit_code == ExitCode.WRONG_ANSWER
    assert "should be" not in result.stdout
    assert result.stderr == (
        "note: the wrong cells are not derived: each is a sum of 10,201 products, more than 10,000; "
        "convcli steps --at I,J --max-terms 10201 derives one\n"
    )


def test_differences_are_exact_where_an_exact_number_meets_a_float():
    # float arithmetic would call 2**53 + 1 and 2.0**53 equal, and 2/3 - 0.6666666666666666 zero
    report = run_check(np.array([[2**53 + 1]]), np.array([[1]]), np.array([[2.0**53]]))
    assert (report.match, report.worst) == (False, "your answer is off by 1")
    third = fractions([[1, 2]], 3)
    answer = np.array([[np.nan, 0.6666666666666666]])
    report = check(third, np.array([[1]]), answer, Op.CORRELATE, OpOptions(), written_as_floats=True)
    assert report.wrong == [(0, 0)]  # the float nearest 2/3 stands for the 2/3 written
    report = run_check(np.array([[1, 2]]), np.array([[1]]), np.array([[0.5, 2.0]]))
    assert report.diagnosis is None  # 0.5 for 1 is not a rounding of 1
    report = run_check(np.array([[0, 2]]), np.array([[1]]), fractions([[1, 4]], 2))
    assert (report.wrong, report.diagnosis) == ([(0, 0)], None)  # nor 1/2 for 0


def test_an_answer_to_exact_inputs_is_read_exactly():
    x, k = str(SAMPLES / "X.txt"), str(SAMPLES / "K.txt")
    result = cli(x, k, "--answer", "1e-2000 0; 0 0", "-f", "plain")
    assert (result.exit_code, result.stdout) == (ExitCode.USAGE_OR_INPUT, "")
    assert result.stderr == (
        'error: answer (inline), column 1: "1e-2000" has too large an exponent for an exact value; expected '
        "an exponent of at most 1000 with --exact (the inputs are exact, so the answer is read exactly)\n"
    )
    # a matrix that is not one is refused as it always is
    result = cli(x, k, "--answer", "1 2; 3", "-f", "plain")
    assert (result.exit_code, result.stdout) == (ExitCode.USAGE_OR_INPUT, "")
    assert result.stderr.startswith(
        "error: answer (inline), column 7: row 2 has 1 number, expected 2 like row 1\n"
    )
    # nan has no exact value: the answer is read as written, and is wrong
    result = cli(x, k, "--answer", "nan 25; 37 43", "-f", "plain")
    assert result.exit_code == ExitCode.WRONG_ANSWER
    assert result.stdout.splitlines()[1:3] == [
        "off by: 1 of 4 cells is wrong; at [0, 0] your answer is nan but the right value is 19",
        "wrong cells: [0, 0]",
    ]
    assert result.stderr == ""
