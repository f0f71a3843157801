"""The four operations: hand-worked values, agreement with scipy/numpy, exactness, properties."""

from __future__ import annotations

import itertools
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from scipy import signal

from convcli import ops
from convcli.errors import ShapeError
from convcli.model import BoundaryRule, Kind, Mode, Op, OpOptions

from .conftest import B2, SEED_A, SEED_B, WINDOW


def frac_array(rows):
    out = np.empty((len(rows), len(rows[0])), dtype=object)
    out[:] = [[Fraction(v) for v in row] for row in rows]
    return out


# --- hand-worked values -------------------------------------------------------------------------


def test_seed_example_valid_convolve():
    result = ops.convolve(SEED_A, SEED_B)
    assert result.value.tolist() == [[4, 3, 4], [2, 4, 3], [2, 3, 4]]
    assert result.kind is Kind.INTEGER
    assert result.value.dtype == np.int64


def test_seed_kernel_is_symmetric_so_correlate_agrees():
    assert ops.correlate(SEED_A, SEED_B).value.tolist() == [[4, 3, 4], [2, 4, 3], [2, 3, 4]]


def test_d2l_correlation():
    X = np.arange(9).reshape(3, 3)
    K = np.array([[0, 1], [2, 3]])
    assert ops.correlate(X, K).value.tolist() == [[19, 25], [37, 43]]
    # convolve turns K: [[3, 2], [1, 0]]
    assert ops.convolve(X, K).value.tolist() == [[5, 11], [23, 29]]


def test_window_and_kernel():
    assert ops.convolve(WINDOW, SEED_B).value.tolist() == [[4]]
    assert ops.correlate(WINDOW, SEED_B).value.tolist() == [[4]]
    assert ops.elementwise_sum(WINDOW, SEED_B).value == 4
    assert ops.dot(WINDOW, SEED_B).value.tolist() == [[2, 1, 2], [1, 1, 1], [1, 0, 1]]


def test_asymmetric_b2():
    assert ops.convolve(WINDOW, B2).value.tolist() == [[4]]
    assert ops.correlate(WINDOW, B2).value.tolist() == [[3]]
    assert ops.elementwise_sum(WINDOW, B2).value == 3


def test_elementwise_sum_keeps_products():
    result = ops.elementwise_sum(WINDOW, SEED_B)
    assert result.products.tolist() == [[1, 0, 1], [0, 1, 0], [0, 0, 1]]
    assert result.value.ndim == 0


def test_five_element_same_mode_alignment():
    x, k = np.array([1, 2, 3, 4, 5]), np.array([1, 2])
    same = OpOptions(mode=Mode.SAME)
    assert ops.convolve(x, k, same).value.tolist() == [1, 4, 7, 10, 13]
    assert ops.correlate(x, k, same).value.tolist() == [5, 8, 11, 14, 5]
    full = OpOptions(mode=Mode.FULL)
    assert ops.convolve(x, k, full).value.tolist() == [1, 4, 7, 10, 13, 10]


# --- exact numbers --------------------------------------------------------------------------------


def test_no_int64_overflow():
    result = ops.convolve(np.array([4611686018427387904]), np.array([4]))
    assert result.value.tolist() == [18446744073709551616]
    assert result.kind is Kind.INTEGER
    # scipy wraps silently; convcli does not
    assert signal.convolve2d([[2**62]], [[4]])[0, 0] == 0


def test_overflow_in_the_sum_not_the_product():
    a = np.full((1, 4), 2**61, dtype=np.int64)
    b = np.ones((1, 4), dtype=np.int64)
    assert ops.correlate(a, b).value.tolist() == [[2**63]]


def test_int64_min_is_handled():
    a = np.array([-(2**63)], dtype=np.int64)
    assert ops.convolve(a, np.array([-1])).value.tolist() == [2**63]


def test_fractions_are_exact():
    a = frac_array([["1/9", "1/9"], ["1/9", "1/9"]])
    result = ops.correlate(a, np.array([[1, 2], [3, 4]]))
    assert result.kind is Kind.RATIONAL
    assert result.value.tolist() == [[Fraction(10, 9)]]


def test_fraction_fillvalue_joins_the_number_model():
    result = ops.convolve(
        np.array([[1, 2]]), np.array([[1, 1]]), OpOptions(mode=Mode.FULL, fillvalue=Fraction(1, 2))
    )
    assert result.kind is Kind.RATIONAL
    assert result.value.tolist() == [[Fraction(3, 2), 3, Fraction(5, 2)]]


def test_float_fillvalue_is_not_truncated():
    result = ops.convolve(np.array([[1, 2]]), np.array([[1, 1]]), OpOptions(mode=Mode.FULL, fillvalue=1.5))
    assert result.kind is Kind.FLOAT
    assert result.value.tolist() == [[2.5, 3.0, 3.5]]


def test_big_dot_and_elementwise_sum_exact():
    a = np.array([[2**40, 2**40]], dtype=np.int64)
    b = np.array([[2**30], [2**30]], dtype=np.int64)
    assert ops.dot(a, b).value.tolist() == [[2**71]]
    assert ops.elementwise_sum(a, a).value == 2**81


def test_complex_correlate_conjugates_b():
    a = np.array([[1 + 2j, 3]])
    b = np.array([[1j]])
    assert ops.correlate(a, b).value.tolist() == [[(1 + 2j) * -1j, 3 * -1j]]
    assert ops.convolve(a, b).value.tolist() == [[(1 + 2j) * 1j, 3j]]


# --- shapes -----------------------------------------------------------------------------------------


def test_valid_neither_covers_the_other():
    with pytest.raises(ShapeError) as err:
        ops.convolve(np.ones((5, 3)), np.ones((3, 5)))
    assert err.value.message == (
        "convolve (valid): A is 5x3 and B is 3x5; in valid mode one operand must be at least as "
        "large as the other on every axis (or use --mode same or full)"
    )


def test_dot_shape_error_names_shapes_and_rule():
    with pytest.raises(ShapeError) as err:
        ops.dot(SEED_A, SEED_B)
    assert err.value.message == "dot: A is 5x5 and B is 3x3; the inner dimensions (5 and 3) must match"


def test_elementwise_sum_shape_error():
    with pytest.raises(ShapeError) as err:
        ops.elementwise_sum(SEED_A, SEED_B)
    assert err.value.message == (
        "elementwise-sum: A is 5x5 and B is 3x3; it multiplies entries at the same positions, "
        "so the shapes must be equal"
    )


def test_one_d_inputs_stay_vectors():
    result = ops.convolve(np.array([1, 2, 3]), np.array([1, 1]))
    assert result.value.tolist() == [3, 5]


def test_one_d_with_two_d_reads_as_a_row():
    result = ops.correlate(np.array([[1, 2, 3], [4, 5, 6]]), np.array([1, 1]))
    assert result.value.tolist() == [[3, 5], [9, 11]]
    assert result.notes == ("B (1-D of length 2) is read as 1x2",)


# --- agreement with scipy on random inputs ---------------------------------------------------------

DTYPES = ["int", "float", "complex", "fraction"]
SCIPY_BOUNDARIES = [BoundaryRule.FILL, BoundaryRule.WRAP, BoundaryRule.SYMM]


def _random(rng, shape, dtype):
    if dtype == "int":
        return rng.integers(-9, 10, shape)
    if dtype == "float":
        return rng.standard_normal(shape)
    if dtype == "complex":
        return rng.standard_normal(shape) + 1j * rng.standard_normal(shape)
    ints = rng.integers(-9, 10, shape)
    dens = rng.integers(1, 7, shape)
    out = np.empty(shape, dtype=object)
    out.flat[:] = [Fraction(int(n), int(d)) for n, d in zip(ints.flat, dens.flat, strict=True)]
    return out


def _as_float(x):
    return np.array(x.tolist(), dtype=complex if np.iscomplexobj(x) else float) if x.dtype == object else x


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("mode", list(Mode))
@pytest.mark.parametrize("boundary", SCIPY_BOUNDARIES)
def test_agrees_with_scipy_2d(dtype, mode, boundary):
    rng = np.random.default_rng(
        [DTYPES.index(dtype), list(Mode).index(mode), list(BoundaryRule).index(boundary)]
    )
    for _ in range(25):
        a = _random(rng, tuple(rng.integers(1, 8, 2)), dtype)
        b = _random(rng, tuple(rng.integers(1, 6, 2)), dtype)  # even and odd, sometimes larger than a
        fill = 2 if dtype == "int" else 0.5
        options = OpOptions(mode=mode, boundary=boundary, fillvalue=fill)
        fa, fb = _as_float(a), _as_float(b)
        for op, ref in ((ops.convolve, signal.convolve2d), (ops.correlate, signal.correlate2d)):
            try:
                expected = ref(fa, fb, mode.value, boundary.value, fill)
            except ValueError:
                with pytest.raises(ShapeError):
                    op(a, b, options)
                continue
            swapped = (
                mode is Mode.VALID
                and fa.shape != fb.shape
                and all(k >= m for m, k in zip(fa.shape, fb.shape, strict=True))
            )
            if op is ops.correlate and swapped and dtype == "complex":
                # correlate2d returns the conjugate here; scipy.signal.correlate does not
                expected = signal.correlate(fa, fb, "valid")
            got = op(a, b, options).value
            assert got.shape == expected.shape
            if dtype == "int" and (boundary is BoundaryRule.FILL or mode is Mode.VALID):
                assert got.dtype == np.int64
                assert np.array_equal(got, expected)
            else:
                assert np.allclose(_as_float(got), expected, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("mode", [Mode.VALID, Mode.FULL])
def test_agrees_with_scipy_nd(mode):
    rng = np.random.default_rng(7)
    for _ in range(30):
        a = rng.integers(-5, 6, tuple(rng.integers(2, 6, 3)))
        b = rng.integers(-5, 6, tuple(rng.integers(1, 4, 3)))
        for op, ref in ((ops.convolve, signal.convolve), (ops.correlate, signal.correlate)):
            try:
                expected = ref(a, b, mode.value)
            except ValueError:
                continue
            assert np.array_equal(op(a, b, OpOptions(mode=mode)).value, expected)


def test_same_mode_nd_odd_kernel_matches_scipy():
    rng = np.random.default_rng(3)
    a = rng.integers(-5, 6, (4, 5, 6))
    b = rng.integers(-5, 6, (3, 3, 1))
    same = OpOptions(mode=Mode.SAME)
    assert np.array_equal(ops.convolve(a, b, same).value, signal.convolve(a, b, "same"))
    assert np.array_equal(ops.correlate(a, b, same).value, signal.correlate(a, b, "same"))


def test_elementwise_sum_and_dot_agree_with_numpy():
    rng = np.random.default_rng(11)
    for _ in range(50):
        m, n, p = rng.integers(1, 7, 3)
        a, b = rng.standard_normal((m, n)), rng.standard_normal((n, p))
        assert np.allclose(ops.dot(a, b).value, np.dot(a, b))
        c = rng.integers(-50, 50, (m, n))
        assert ops.elementwise_sum(c, c).value == np.sum(np.multiply(c, c))
        v, w = rng.integers(-9, 9, n), rng.integers(-9, 9, n)
        assert ops.dot(v, w).value == np.dot(v, w)


def test_large_float_path_matches_scipy():
    rng = np.random.default_rng(5)
    a, b = rng.standard_normal((300, 300)), rng.standard_normal((31, 31))
    for mode in Mode:
        got = ops.correlate(a, b, OpOptions(mode=mode)).value
        assert np.allclose(got, signal.correlate2d(a, b, mode.value), atol=1e-9)


# --- properties ----------------------------------------------------------------------------------

small_ints = hnp.arrays(
    np.int64, hnp.array_shapes(min_dims=2, max_dims=2, min_side=1, max_side=5), elements=st.integers(-20, 20)
)


@settings(max_examples=150, deadline=None)
@given(small_ints, small_ints)
def test_full_convolution_commutes(a, b):
    full = OpOptions(mode=Mode.FULL)
    assert np.array_equal(ops.convolve(a, b, full).value, ops.convolve(b, a, full).value)


CENTRED_DELTA = np.array([[0, 0, 0], [0, 1, 0], [0, 0, 0]])


@settings(max_examples=100, deadline=None)
@given(small_ints, st.sampled_from(list(BoundaryRule)))
def test_a_centred_delta_gives_the_input_back(a, boundary):
    # a 3x3 kernel with its 1 in the middle: off by one in the alignment, or a kernel turned the
    # wrong way round, would move the result; 'full' pads a zero border, 'valid' drops one
    same = OpOptions(mode=Mode.SAME, boundary=boundary)
    assert np.array_equal(ops.convolve(a, CENTRED_DELTA, same).value, a)
    assert np.array_equal(ops.correlate(a, CENTRED_DELTA, same).value, a)
    full = OpOptions(mode=Mode.FULL)
    assert np.array_equal(ops.convolve(a, CENTRED_DELTA, full).value, np.pad(a, 1))
    assert np.array_equal(ops.correlate(a, CENTRED_DELTA, full).value, np.pad(a, 1))
    if min(a.shape) >= 3:
        assert np.array_equal(ops.convolve(a, CENTRED_DELTA).value, a[1:-1, 1:-1])
        assert np.array_equal(ops.correlate(a, CENTRED_DELTA).value, a[1:-1, 1:-1])


@settings(max_examples=100, deadline=None)
@given(hnp.arrays(np.int64, (5, 6), elements=st.integers(-20, 20)))
def test_a_corner_delta_shows_which_operation_turns_the_kernel(a):
    corner = np.array([[1, 0, 0], [0, 0, 0], [0, 0, 0]])
    # correlate reads the window's top-left entry; convolve, turning the kernel, its bottom-right
    assert np.array_equal(ops.correlate(a, corner).value, a[:-2, :-2])
    assert np.array_equal(ops.convolve(a, corner).value, a[2:, 2:])


pairs_of_inputs = st.tuples(
    hnp.array_shapes(min_dims=2, max_dims=2, min_side=1, max_side=5),
    hnp.array_shapes(min_dims=2, max_dims=2, min_side=1, max_side=4),
).flatmap(
    lambda shapes: st.tuples(
        hnp.arrays(np.int64, shapes[0], elements=st.integers(-20, 20)),
        hnp.arrays(np.int64, shapes[0], elements=st.integers(-20, 20)),
        hnp.arrays(np.int64, shapes[1], elements=st.integers(-20, 20)),
    )
)


@settings(max_examples=100, deadline=None)
@given(pairs_of_inputs, st.integers(-5, 5), st.sampled_from(list(Op)[:2]), st.sampled_from(list(Mode)))
def test_linearity_in_the_input(inputs, s, op, mode):
    # additivity over two inputs and scaling: f(s*x + y) = s*f(x) + f(y), exactly for integers
    x, y, b = inputs
    options = OpOptions(mode=mode)
    try:
        left = ops.run(op, s * x + y, b, options).value
    except ShapeError:
        return  # a kernel larger than the input in valid mode: nothing to compare
    right = s * ops.run(op, x, b, options).value + ops.run(op, y, b, options).value
    assert np.array_equal(left, right)


@settings(max_examples=100, deadline=None)
@given(pairs_of_inputs, st.integers(-5, 5))
def test_linearity_in_the_kernel(inputs, s):
    kernel_one, kernel_two, a = inputs  # two kernels of one shape, slid over a
    full = OpOptions(mode=Mode.FULL)
    left = ops.convolve(a, s * kernel_one + kernel_two, full).value
    right = s * ops.convolve(a, kernel_one, full).value + ops.convolve(a, kernel_two, full).value
    assert np.array_equal(left, right)


@settings(max_examples=100, deadline=None)
@given(small_ints, small_ints, st.sampled_from(list(Mode)), st.sampled_from(["fill", "wrap", "symm"]))
def test_convolve_and_correlate_with_the_turned_kernel_match_scipy(a, b, mode, boundary):
    # scipy's convolve2d is the reference for both sides of the flip relation: convolve(A, B)
    # and correlate(A, rot180(B)) each equal it ('same' aligns correlate at k//2 and convolve at
    # (k-1)//2, so for an even kernel only convolve is compared)
    options = OpOptions(mode=mode, boundary=boundary)
    try:
        expected = signal.convolve2d(a, b, mode.value, boundary=boundary)
    except ValueError:  # in valid mode, neither operand fits inside the other
        with pytest.raises(ShapeError):
            ops.convolve(a, b, options)
        return
    assert np.array_equal(ops.convolve(a, b, options).value, expected)
    if mode is Mode.SAME and any(k % 2 == 0 for k in b.shape):
        return
    assert np.array_equal(ops.correlate(a, b[::-1, ::-1], options).value, expected)


@pytest.mark.parametrize("boundary", [BoundaryRule.MIRROR, BoundaryRule.EDGE])
def test_mirror_and_edge_boundaries_match_numpy_padding(boundary):
    # numpy.pad's reflect and edge, then scipy's valid convolution: an independent 'full'
    rng = np.random.default_rng(11)
    a, b = rng.integers(-9, 10, (6, 7)), rng.integers(-9, 10, (3, 4))
    padded = np.pad(a, [(2, 2), (3, 3)], mode="reflect" if boundary is BoundaryRule.MIRROR else "edge")
    expected = signal.convolve2d(padded, b, "valid")
    options = OpOptions(mode=Mode.FULL, boundary=boundary)
    assert np.array_equal(ops.convolve(a, b, options).value, expected)
    assert np.array_equal(ops.correlate(a, b[::-1, ::-1], options).value, expected)


@pytest.mark.parametrize("op", [Op.CONVOLVE, Op.CORRELATE, Op.ELEMENTWISE_SUM, Op.DOT])
def test_run_dispatches(op):
    a = np.array([[1, 2], [3, 4]])
    assert ops.run(op, a, a).op is op


def test_all_pairs_of_kinds_promote():
    ints = np.array([[1, 2], [3, 4]])
    kinds = {
        "int": ints,
        "frac": frac_array([[1, 2], [3, 4]]),
        "float": ints.astype(float),
        "complex": ints.astype(complex),
    }
    order = ["int", "frac", "float", "complex"]
    for (na, a), (nb, b) in itertools.product(kinds.items(), repeat=2):
        result = ops.correlate(a, b)
        assert (
            result.kind
            is [Kind.INTEGER, Kind.RATIONAL, Kind.FLOAT, Kind.COMPLEX][max(order.index(na), order.index(nb))]
        )
        assert result.value.tolist() == [[30]]


def test_huge_results_are_refused_before_allocation():
    with pytest.raises(ShapeError) as err:
        ops.correlate(
            np.ones((2, 2), dtype=np.int64), np.ones((1, 1), dtype=np.int64), OpOptions(padding=(10**6,))
        )
    assert err.value.message.startswith(
        "the padded input would be 2000002x2000002 (4,000,008,000,004 entries"
    )
    with pytest.raises(ShapeError, match="the result would be 400000x400000"):
        ops.dot(np.ones((400000, 1)), np.ones((1, 400000)))
