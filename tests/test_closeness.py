"""The closeness rule: exact results exactly, floats relative to each cell's scale, no floor."""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pytest

from convcli.closeness import Expected, equal, exact_problem, right_result, scale_of
from convcli.model import Activation, BoundaryRule, Mode, Op, OpOptions

from .conftest import B2, SEED_A


def fractions(rows, den=1):
    out = np.empty((len(rows), len(rows[0])), dtype=object)
    out[:] = [[Fraction(v, den) for v in row] for row in rows]
    return out


def judged(answer, op, a, b, tolerance=1e-9, **options):
    _, expected = right_result(op, np.asarray(a), np.asarray(b), OpOptions(**options))
    return equal(np.asarray(answer), expected, tolerance=tolerance).tolist()


# --- exact results ------------------------------------------------------------------------------


def test_exact_kinds_compare_exactly():
    assert equal(np.array([4, 5]), fractions([[4, 5]]), tolerance=0).tolist() == [[True, True]]
    assert equal(fractions([[10]], 9), np.array([[Fraction(10, 9)]], dtype=object), tolerance=0).all()
    # exact kinds never use the tolerance
    assert equal(np.array([10**18]), np.array([10**18 + 1]), tolerance=1e-3).tolist() == [False]


def test_an_exact_result_is_matched_by_equal_numbers_however_written():
    y = np.array([4, 2**53 + 1, 100000000001])
    assert equal(np.array([4.0, 2.0**53, 1e11]), y, tolerance=1e-3).tolist() == [True, False, False]
    assert equal(np.array([4 + 0j, 2**53 + 1, 100000000001.0]), y, tolerance=0).tolist() == [
        True,
        False,
        True,
    ]
    halves = fractions([[1, 1, 3]], 2)
    assert equal(np.array([[0.5, 0.5000001, 1.5]]), halves, tolerance=1e-3).tolist() == [[True, False, True]]
    # 0.1 as a float is not 1/10: an answer written 0.1 is read exactly by check
    assert equal(np.array([[0.1]]), fractions([[1]], 10), tolerance=1e-3).tolist() == [[False]]
    assert equal(fractions([[1]], 10), fractions([[1]], 10), tolerance=0).tolist() == [[True]]
    big = np.array([10**30, -(10**30)], dtype=object)
    assert equal(np.array([1e30, -(10**30)], dtype=object), big, tolerance=1e-3).tolist() == [False, True]
    assert equal(np.array([math.nan, math.inf]), np.array([1, 2]), tolerance=1).tolist() == [False, False]


def test_which_problems_are_exact():
    assert exact_problem(SEED_A, B2, OpOptions())
    assert exact_problem(SEED_A, fractions([[1, 2]], 3), OpOptions(bias=(Fraction(1, 2),)))
    assert not exact_problem(SEED_A, B2, OpOptions(fillvalue=0.5))
    assert not exact_problem(SEED_A, B2, OpOptions(activation=Activation.SIGMOID))
    assert exact_problem(SEED_A, B2, OpOptions(activation=Activation.RELU))
    assert not exact_problem(SEED_A.astype(float), B2, OpOptions())
    sympy = pytest.importorskip("sympy")
    a = sympy.Symbol("a")
    letters = np.array([[a, 2 * a]], dtype=object)
    assert exact_problem(letters, B2, OpOptions())
    letters[0, 1] = 0.5 * a
    assert not exact_problem(letters, B2, OpOptions())


# --- floats: relative to each cell's scale, with no floor ---------------------------------------


def test_small_numbers_are_not_all_equal():
    # correlate "1e-12 2e-12" "1": 3e-12 is not 1e-12, and -5e-12 is not 2e-12
    assert judged([[3e-12, -5e-12]], Op.CORRELATE, [[1e-12, 2e-12]], [[1]]) == [[False, False]]
    assert judged([[1e-12 * (1 + 1e-10), 2e-12]], Op.CORRELATE, [[1e-12, 2e-12]], [[1]]) == [[True, True]]


def test_a_cell_whose_products_cancel_accepts_zero():
    # 0.1 + 0.2 - 0.3 is 5.6e-17 in floats: 0 is right, as the products' scale is 0.6
    a = [[0.1, 0.2, -0.3]]
    assert judged([[0.0]], Op.CORRELATE, a, [[1, 1, 1]]) == [[True]]
    assert judged([[1e-9]], Op.CORRELATE, a, [[1, 1, 1]]) == [[False]]


def test_the_scale_is_the_operation_on_magnitudes():
    a = np.array([[1.0, -2.0, 3.0], [-4.0, 5.0, -6.0]])
    b = np.array([[1.0, -1.0]])
    assert scale_of(Op.CORRELATE, a, b).tolist() == [[3.0, 5.0], [9.0, 11.0]]
    options = OpOptions(mode=Mode.SAME, boundary=BoundaryRule.FILL, fillvalue=-7.0, bias=(-0.5,))
    assert scale_of(Op.CORRELATE, a, b, options).tolist() == [[3.5, 5.5, 10.5], [9.5, 11.5, 13.5]]
    assert scale_of(Op.DOT, a.T, a).tolist() == [[17.0, 22.0, 27.0], [22.0, 29.0, 36.0], [27.0, 36.0, 45.0]]
    assert scale_of(Op.ELEMENTWISE_SUM, a, a)[()] == 91.0
    assert scale_of(Op.CORRELATE, np.array([[3 + 4j]]), np.array([[1j]])).tolist() == [[5.0]]


def test_a_scale_beyond_float64_is_the_largest_float():
    # the cell is 1e308 - 1e308 = 0 and its products' scale overflows
    _, expected = right_result(Op.CORRELATE, np.array([[1e308, 1e308]]), np.array([[1.0, -1.0]]))
    assert expected.value.tolist() == [[0.0]]
    assert expected.scale.tolist() == [[np.finfo(np.float64).max]]


def test_nan_and_infinities_match_only_themselves():
    nan, inf = math.nan, math.inf
    y = Expected(np.array([nan, 1.0, inf, 2.0, -inf, 3.0]), np.ones(6))
    mask = equal(np.array([nan, 1.0, inf, nan, inf, inf]), y, tolerance=1e9)
    assert mask.tolist() == [True, True, True, False, False, False]


def test_complex_cells():
    y = Expected(np.array([1.0 + 2.0j]), np.array([3.0]))
    assert equal(np.array([1.0 + 2.000000001j]), y, tolerance=1e-9).tolist() == [True]
    assert equal(np.array([1.0 + 2.00000001j]), y, tolerance=1e-9).tolist() == [False]


def test_without_a_scale_cells_compare_relative_to_their_size():
    assert equal(np.array([1e10]), np.array([1e10 + 1.0]), tolerance=1e-9).tolist() == [True]
    assert equal(np.array([1.0]), np.array([1.0 + 3e-9]), tolerance=1e-9).tolist() == [False]
    assert equal(np.array([0.0]), np.array([1e-300]), tolerance=1e-9).tolist() == [False]
    assert equal(np.array([0.5]), np.array([0.5]), tolerance=0).tolist() == [True]


def test_an_activation_allows_what_its_input_allows():
    # relu of a cell at -1e-17 (scale 0.6): anything from relu(-d) to relu(d) is right
    a = [[0.1, 0.2, -0.3 - 1e-17]]
    kernel = [[1.0, 1.0, 1.0]]
    assert judged([[0.0]], Op.CORRELATE, a, kernel, activation=Activation.RELU) == [[True]]
    assert judged([[4e-10]], Op.CORRELATE, a, kernel, activation=Activation.RELU) == [[True]]
    assert judged([[1e-9]], Op.CORRELATE, a, kernel, activation=Activation.RELU) == [[False]]
    # a cell far below 0: relu gives exactly 0
    assert judged([[1e-300]], Op.CORRELATE, [[-5.0]], [[1.0]], activation=Activation.RELU) == [[False]]
    # tanh of a large cell: 1.0 and its neighbours within the products' reach
    assert judged([[1.0]], Op.CORRELATE, [[40.0]], [[1.0]], activation=Activation.TANH) == [[True]]
    assert judged([[0.99]], Op.CORRELATE, [[40.0]], [[1.0]], activation=Activation.TANH) == [[False]]


def test_sigmoid_far_below_zero_is_not_zero():
    right = 1 / (1 + math.exp(40))  # 4.248354255291589e-18
    options = {"activation": Activation.SIGMOID}
    assert judged([[right]], Op.CORRELATE, [[-40.0]], [[1.0]], **options) == [[True]]
    assert judged([[0.0]], Op.CORRELATE, [[-40.0]], [[1.0]], **options) == [[False]]
    assert judged([[right * 1.5]], Op.CORRELATE, [[-40.0]], [[1.0]], **options) == [[False]]


# --- shapes and symbols -------------------------------------------------------------------------


def test_equal_shapes():
    assert equal(np.array([3]), np.array(3), tolerance=0).shape == ()
    assert equal(np.array([[3]]), np.array(3), tolerance=0).shape == ()
    assert equal(np.array([1, 2]), np.array([[1, 2]]), tolerance=0).tolist() == [[True, True]]
    assert equal(np.array([[1, 2]]), np.array([1, 2]), tolerance=0).tolist() == [True, True]
    # a column is not a row, and 3x3 is not 9
    assert equal(np.array([1, 2]), np.array([[1], [2]]), tolerance=0) is None
    assert equal(np.arange(9), np.arange(9).reshape(3, 3), tolerance=0) is None


def test_equal_symbolic():
    sympy = pytest.importorskip("sympy")
    a, d = sympy.symbols("a d")
    answer = np.empty(3, dtype=object)
    answer[:] = [a + 2 * d, a / 3, 0.5 * a]
    right = np.empty(3, dtype=object)
    # a coefficient computed from floats is matched within the tolerance of its size
    right[:] = [2 * d + a, 0.333333333333333333 * a, a / 2]
    assert equal(answer, right, tolerance=1e-9).tolist() == [True, True, True]
    right[1] = a / 2
    assert equal(answer, right, tolerance=1e-9).tolist() == [True, False, True]
    # an exact coefficient only exactly: 0.333333333333333*a is not a/3, and 1e-12*a is not 3e-12*a
    answer[:] = [0.333333333333333 * a, 1e-12 * a, a]
    right[:] = [a / 3, 3e-12 * a, a + sympy.Float(1e-12)]
    assert equal(answer, right, tolerance=1e-9).tolist() == [False, False, False]


# --- the same rule in im2col and compare --------------------------------------------------------


def test_compare_says_convolve_and_correlate_agree_when_only_rounding_differs():
    from convcli import comparison, ops

    b = np.array([[0.6369616873214543, 0.2697867137638703, 0.04097352393619469]])
    a = np.full((1, 6), 0.016527635528529094)
    # the same three products, added in another order: the sums differ in their last bit
    assert not np.array_equal(ops.convolve(a, b).value, ops.correlate(a, b).value)
    assert comparison.compare(a, b).answer.startswith(
        "convolve and correlate agree for these inputs, although B changes when turned 180°"
    )
    a[0, 0] += 1e-6
    assert comparison.compare(a, b).answer.startswith(
        "convolve and correlate differ because B changes when turned 180°"
    )


def test_im2col_compares_by_the_rule():
    from convcli.im2col import im2col

    a = np.array([[0.1, 0.2, -0.3, 0.4]])
    view = im2col(Op.CORRELATE, a, np.array([[1.0, 1.0, 1.0]]))
    assert view.equal is True
    assert view.product.tolist() == [[0.1 + 0.2 - 0.3, 0.2 - 0.3 + 0.4]]


def test_the_scale_of_a_layer_sums_over_channels_with_each_filters_bias():
    a = np.array([[[1.0, -2.0], [3.0, -4.0]], [[-1.0, 0.5], [2.0, 1.0]]])  # 2 channels, 2x2
    b = np.array([[[[1.0]], [[-2.0]]], [[[0.5]], [[3.0]]]])  # 2 filters of 2 channels, 1x1
    options = OpOptions(channels=True, bias=(-1.0, 0.25))
    # filter 0: |a0|*1 + |a1|*2 + 1; filter 1: |a0|*0.5 + |a1|*3 + 0.25
    want = [
        [[1 + 2 + 1, 2 + 1 + 1], [3 + 4 + 1, 4 + 2 + 1]],
        [[0.5 + 3 + 0.25, 1 + 1.5 + 0.25], [1.5 + 6 + 0.25, 2 + 3 + 0.25]],
    ]
    assert scale_of(Op.CORRELATE, a, b, options).tolist() == want
    result, expected = right_result(Op.CORRELATE, a, b, options)
    off = result.value.copy()
    off[1, 0, 0] += 2e-9 * want[1][0][0]
    assert equal(off, expected, tolerance=1e-9).sum() == 7


# --- the scale computed only where it is needed ---------------------------------------------------


def eager(expected: Expected, op, a, b, options) -> Expected:
    """The same right result with every cell's scale computed whole, as the rule states it."""
    return Expected(expected.value, scale_of(op, a, b, options), kind=expected.kind)


@pytest.mark.parametrize(
    "options",
    [
        OpOptions(),
        OpOptions(mode=Mode.SAME, boundary=BoundaryRule.FILL, fillvalue=-2.5),
        OpOptions(mode=Mode.FULL, bias=(-3.0,), stride=(2,)),
        OpOptions(padding=(1,), dilation=(2,), boundary=BoundaryRule.WRAP),
    ],
)
@pytest.mark.parametrize("complex_", [False, True])
@pytest.mark.parametrize("wrong_cells", [3, 400])  # a few from the windows, many by the whole scale
def test_a_scale_computed_where_needed_judges_as_the_whole_scale(options, complex_, wrong_cells) -> None:
    rng = np.random.default_rng(wrong_cells + complex_)
    a = rng.standard_normal((40, 50))
    b = rng.standard_normal((3, 4))
    if complex_:
        a = a + 1j * rng.standard_normal(a.shape)
    _, expected = right_result(Op.CORRELATE, a, b, options)
    assert expected.lazy is not None  # nothing computed yet beyond the result itself
    whole = eager(expected, Op.CORRELATE, a, b, options)
    y, scale = expected.value, whole.scale
    cells = rng.choice(y.size, wrong_cells, replace=False)
    answer = y.copy().reshape(-1)
    # cells off by half their tolerance (right) and by twice it (wrong): the difference may pass
    # |y|'s bound, so only the cell's scale decides
    factor = np.where(np.arange(wrong_cells) % 2 == 0, 0.5, 2.0)
    answer[cells] += factor * 1e-6 * scale.reshape(-1)[cells]
    answer = answer.reshape(y.shape)
    mask = equal(answer, expected, tolerance=1e-6)
    assert mask.tolist() == equal(answer, whole, tolerance=1e-6).tolist()
    assert mask.reshape(-1)[cells].tolist() == (factor < 1).tolist()
    assert mask.sum() == y.size - (factor > 1).sum()


def test_a_cell_whose_products_cancel_is_judged_by_its_scale_not_its_size() -> None:
    # y = 1 - 1 = 0 at the first cell: |y| accepts nothing there, its scale (2) accepts 1e-10
    a, b = np.array([[1.0, -1.0, 2.0]]), np.array([[1.0, 1.0]])
    _, expected = right_result(Op.CORRELATE, a, b, OpOptions())
    assert equal(np.array([[1e-10, 1.0]]), expected, tolerance=1e-9).tolist() == [[True, True]]
    assert equal(np.array([[3e-9, 1.0]]), expected, tolerance=1e-9).tolist() == [[False, True]]
    assert expected.lazy is not None  # judged from the windows, never computed whole


def test_infinite_cells_never_accept_a_finite_answer_before_the_scale_is_computed() -> None:
    a, b = np.array([[1.0, np.inf, 2.0, np.nan, 1.0]]), np.array([[1.0, 1.0]])
    _, expected = right_result(Op.CORRELATE, a, b, OpOptions())
    assert expected.value.tolist()[0][:2] == [np.inf, np.inf]
    answer = np.array([[1e308, np.inf, np.nan, np.nan]])
    assert equal(answer, expected, tolerance=1e-9).tolist() == [[False, True, True, True]]
    answer = np.array([[np.inf, -np.inf, 3.0, np.nan]])
    assert equal(answer, expected, tolerance=1e-9).tolist() == [[True, False, False, True]]


def test_the_scale_at_a_few_cells_read_again_and_again_is_each_cells_whole_scale() -> None:
    # the windows are laid out once and read for each request: every request still gets its own cells
    rng = np.random.default_rng(11)
    a, b = rng.standard_normal((9, 12)), rng.standard_normal((3, 2))
    options = OpOptions(mode=Mode.FULL, bias=(-0.75,), dilation=(2,), stride=(1, 2))
    _, expected = right_result(Op.CORRELATE, a, b, options)
    whole = scale_of(Op.CORRELATE, a, b, options)
    assert whole.shape == expected.value.shape == (13, 7)
    for cells in ([(0, 0)], [(12, 6), (5, 3), (0, 1)], [(7, 2), (7, 2)]):
        got = expected.scale_where(cells)
        assert got.tolist() == pytest.approx([whole[c] for c in cells], rel=1e-12)
    # the cell at the corner reads one tap of A: its scale is that product and the bias
    assert expected.scale_where([(0, 0)])[0] == pytest.approx(abs(a[0, 0] * b[2, 1]) + 0.75, rel=1e-15)
    assert expected.lazy is not None  # still never computed whole
