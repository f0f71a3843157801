"""The engine: every method agrees with scipy, the chooser's choices, exact integers at speed."""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pytest
from scipy import signal

from convcli.engine import correlate_valid, toeplitz
from convcli.engine import exact as exact_mod
from convcli.engine.chooser import choose
from convcli.engine.fft import correlate_fft, fast_length, fft_error_factor
from convcli.engine.separable import rank_one_factors
from convcli.engine.taps import correlate_taps
from convcli.engine.toeplitz import correlate_toeplitz
from convcli.errors import ShapeError, UsageError
from convcli.model import Method
from convcli.numeric import abs_max

ALL = [Method.DIRECT, Method.SEPARABLE, Method.FFT, Method.OVERLAP_ADD]
SHAPES = {
    1: [((257,), (9,)), ((1000,), (64,))],
    2: [((37, 53), (5, 4)), ((130, 70), (1, 9)), ((70, 130), (11, 1)), ((90, 100), (31, 31))],
    3: [((9, 17, 20), (3, 4, 5)), ((6, 30, 31), (6, 3, 3))],
}


def reference(a: np.ndarray, k: np.ndarray) -> np.ndarray:
    """scipy's correlate conjugates its second operand; the engine does not. Integers by scipy's
    direct sum (exact in int64 for these small values)."""
    kernel = np.conj(k) if k.dtype.kind == "c" else k
    return signal.correlate(a, kernel, mode="valid", method="direct" if a.dtype.kind == "i" else "auto")


def random(rng: np.random.Generator, shape: tuple[int, ...], dtype: str) -> np.ndarray:
    if dtype == "int64":
        return rng.integers(-100, 101, shape)
    if dtype == "complex128":
        return rng.standard_normal(shape) + 1j * rng.standard_normal(shape)
    return rng.standard_normal(shape)


def close(out: np.ndarray, ref: np.ndarray, rtol: float = 1e-10) -> None:
    # entries near zero are sums that cancel: measure error against the largest entry
    assert out.shape == ref.shape
    assert np.max(np.abs(out - ref)) <= rtol * np.max(np.abs(ref))


def rank_one(rng: np.random.Generator, shape: tuple[int, ...], dtype: str) -> np.ndarray:
    vectors = [random(rng, (n,), dtype) for n in shape]
    out = vectors[0]
    for v in vectors[1:]:
        out = np.multiply.outer(out, v)
    return out


# --- agreement with scipy -----------------------------------------------------------------------


@pytest.mark.parametrize("dtype", ["float64", "complex128", "int64"])
@pytest.mark.parametrize("method", [Method.AUTO, Method.DIRECT, Method.FFT, Method.OVERLAP_ADD])
@pytest.mark.parametrize("ndim", [1, 2, 3])
def test_methods_agree_with_scipy(ndim: int, method: Method, dtype: str) -> None:
    rng = np.random.default_rng(ndim * 100 + len(dtype))
    for a_shape, k_shape in SHAPES[ndim]:
        a, k = random(rng, a_shape, dtype), random(rng, k_shape, dtype)
        out, choice = correlate_valid(a, k, method)
        ref = reference(a, k)
        if method is not Method.AUTO:
            assert choice.method is method
        if dtype == "int64":
            assert out.dtype == np.int64
            np.testing.assert_array_equal(out, ref)
        else:
            assert out.dtype == np.dtype(dtype)
            close(out, ref)


@pytest.mark.parametrize("dtype", ["float64", "complex128", "int64"])
@pytest.mark.parametrize(
    "a_shape, k_shape",
    [((300,), (7,)), ((60, 70), (5, 7)), ((200, 150), (13, 1)), ((30, 31, 32), (3, 4, 5))],
)
def test_separable_agrees_with_scipy(a_shape: tuple[int, ...], k_shape: tuple[int, ...], dtype: str) -> None:
    rng = np.random.default_rng(7)
    a, k = random(rng, a_shape, dtype), rank_one(rng, k_shape, dtype)
    out, choice = correlate_valid(a, k, Method.SEPARABLE)
    assert choice.method is Method.SEPARABLE
    ref = reference(a, k)
    if dtype == "int64":
        assert out.dtype == np.int64
        np.testing.assert_array_equal(out, ref)
    else:
        close(out, ref)


def test_direct_matrix_products_cover_partial_tiles() -> None:
    # sizes that are not multiples of any block, on the banded-product path itself
    rng = np.random.default_rng(3)
    cases = [((203, 517), (3, 3)), ((67, 1031), (2, 5)), ((9, 300), (9, 1)), ((3, 5000), (1, 3))]
    cases += [((70, 90), (1, 7)), ((700, 90), (1, 70))]
    for a_shape, k_shape in cases:
        a, k = rng.standard_normal(a_shape), rng.standard_normal(k_shape)
        for parallel in (True, False):
            out = correlate_toeplitz(a[np.newaxis], k[np.newaxis], parallel=parallel)[0]
            close(out, reference(a, k), 1e-12)
    a3, k3 = rng.standard_normal((5, 40, 50)), rng.standard_normal((3, 1, 1))
    close(correlate_toeplitz(a3, k3), reference(a3, k3), 1e-12)


def test_tiny_inputs_and_kernel_as_large_as_input() -> None:
    rng = np.random.default_rng(4)
    for method in [Method.AUTO, *ALL]:
        a = rng.standard_normal((6, 6))
        k = np.outer([1.0, 2.0], [3.0, -1.0, 0.5])
        close(correlate_valid(a, k, method)[0], reference(a, k), 1e-12)
        whole = rng.standard_normal((6, 6))
        if method is not Method.SEPARABLE:
            close(correlate_valid(a, whole, method)[0], reference(a, whole), 1e-12)


def test_nan_and_inf_reach_only_their_cells_whatever_the_method() -> None:
    rng = np.random.default_rng(5)
    a = rng.standard_normal((120, 140))
    a[10, 20] = np.nan
    a[70, 90] = np.inf
    k = rng.standard_normal((5, 5))
    k[2, 2] = 0.0
    direct = correlate_taps(a, k)
    for method in [Method.AUTO, Method.DIRECT, Method.FFT, Method.OVERLAP_ADD]:
        out, _ = correlate_valid(a, k, method)
        np.testing.assert_array_equal(np.isnan(out), np.isnan(direct))
        np.testing.assert_array_equal(np.isinf(out), np.isinf(direct))
        finite = np.isfinite(direct)
        close(out[finite], direct[finite], 1e-10)
    sep = np.outer(np.arange(1.0, 6.0), np.ones(5))
    out, _ = correlate_valid(a, sep, Method.SEPARABLE)
    np.testing.assert_array_equal(np.isnan(out), np.isnan(correlate_taps(a, sep)))


# --- the chooser --------------------------------------------------------------------------------


def chosen(a_shape: tuple[int, ...], k: np.ndarray) -> Method:
    # choose() only looks at float inputs' shapes: zeros cost nothing to allocate
    return choose(np.zeros(a_shape), k)[0].method


def test_chooser_small_is_direct() -> None:
    rng = np.random.default_rng(6)
    out, choice = correlate_valid(rng.standard_normal((8, 8)), rng.standard_normal((5, 5)))
    assert choice.method is Method.DIRECT
    assert "5x5 kernel on 8x8 float64" in choice.reason


def test_chooser_representative_sizes() -> None:
    rng = np.random.default_rng(8)
    assert chosen((2048, 2048), rng.standard_normal((3, 3))) is Method.DIRECT
    assert chosen((2048, 2048), rng.standard_normal((5, 5))) is Method.DIRECT
    assert chosen((2048, 2048), rng.standard_normal((31, 31))) in (Method.FFT, Method.OVERLAP_ADD)
    assert chosen((2048, 2048), rng.standard_normal((64, 64))) in (Method.FFT, Method.OVERLAP_ADD)
    g = np.exp(-(np.linspace(-2, 2, 11) ** 2))
    assert chosen((1024, 1024), np.outer(g, g)) is Method.SEPARABLE
    assert chosen((1024, 1024), np.outer(np.arange(1, 8), np.arange(2, 9)).astype(float)) is Method.SEPARABLE


def test_chooser_explains_itself() -> None:
    rng = np.random.default_rng(9)
    best, reason = choose(np.zeros((2048, 2048)), rng.standard_normal((3, 3)))
    assert reason.startswith("3x3 kernel on 2048x2048 float64: direct")
    assert "est." in reason
    g = np.exp(-(np.linspace(-1, 1, 9) ** 2))
    _, reason = choose(np.zeros((1024, 1024)), np.outer(g, g))
    assert "separable rank-1 kernel, two 1-D passes (9 + 9 taps instead of 81)" in reason
    _, reason = choose(np.zeros((500,)), np.ones(5), Method.FFT)
    assert reason.startswith("kernel of 5 on 1-D float64 of 500: fft as asked")


def test_forcing_separable_on_rank_two_kernel_is_a_usage_error() -> None:
    a = np.arange(100.0).reshape(10, 10)
    with pytest.raises(UsageError, match="not separable"):
        correlate_valid(a, np.array([[1.0, 2.0], [3.0, 4.0]]), Method.SEPARABLE)
    with pytest.raises(UsageError, match="not separable"):
        correlate_valid(a.astype(np.int64), np.array([[1, 2], [3, 4]]), Method.SEPARABLE)


def test_exact_objects_only_go_direct() -> None:
    a = np.array([[Fraction(1, 3), Fraction(1, 2)], [Fraction(2), Fraction(5, 7)]], dtype=object)
    k = np.array([[Fraction(1, 9)]], dtype=object)
    for method in (Method.FFT, Method.OVERLAP_ADD, Method.SEPARABLE):
        with pytest.raises(UsageError, match="--method"):
            correlate_valid(a, k, method)


def test_shapes_are_checked() -> None:
    with pytest.raises(ShapeError):
        correlate_valid(np.zeros((3, 3)), np.zeros(3))
    with pytest.raises(ShapeError):
        correlate_valid(np.zeros((3, 3)), np.zeros((4, 1)))


# --- exact integers -----------------------------------------------------------------------------


def exact_reference(a: np.ndarray, k: np.ndarray) -> np.ndarray:
    """The sum in Python integers: no overflow, no rounding."""
    return correlate_taps(a.astype(object), k.astype(object))


def test_fft_allowed_by_the_bound_is_exact() -> None:
    rng = np.random.default_rng(10)
    a = rng.integers(0, 256, (300, 300))  # an 8-bit image
    k = rng.integers(-8, 9, (31, 31))
    for method in (Method.FFT, Method.OVERLAP_ADD):
        out, choice = correlate_valid(a, k, method)
        assert "FFT error bound" in choice.reason and "limbs" not in choice.reason
        assert out.dtype == np.int64
        np.testing.assert_array_equal(out, correlate_taps(a, k))


def test_values_near_2_40_force_the_exact_path() -> None:
    rng = np.random.default_rng(11)
    a = rng.integers(2**40 - 1000, 2**40, (64, 64)) * rng.choice([-1, 1], (64, 64))
    k = rng.integers(-1000, 1001, (5, 5))
    one_fft = exact_mod.fft_fits(fft_error_factor(64 * 64), a.size, lambda _: exact_mod.l1_int(k))
    assert not one_fft(abs_max(a), abs_max(k))
    ref = exact_reference(a, k)
    for method in (Method.AUTO, Method.DIRECT, Method.FFT, Method.OVERLAP_ADD):
        out, choice = correlate_valid(a, k, method)
        assert out.dtype == np.int64
        assert out.tolist() == ref.tolist(), method
        if method in (Method.FFT, Method.OVERLAP_ADD):
            assert "limbs" in choice.reason  # the input was split until each part met the bound
        if method is Method.AUTO:
            assert "2**53" in choice.reason or "limbs" in choice.reason or "tap loop" in choice.reason


def test_int64_extremes_stay_exact() -> None:
    # max|a|·max|k|·size just fits int64, as ops.py guarantees
    a = np.array([[2**61, -(2**61), 3], [5, -7, 2**61 - 1]], dtype=np.int64)
    k = np.array([[1, -1]], dtype=np.int64)
    ref = exact_reference(a, k)
    for method in (Method.AUTO, Method.DIRECT, Method.FFT, Method.OVERLAP_ADD, Method.SEPARABLE):
        out, _ = correlate_valid(a, k, method)
        assert out.tolist() == ref.tolist(), method


def test_fft_error_bound_holds_on_large_values() -> None:
    # the bound must cover the error actually made by a float64 FFT correlation
    rng = np.random.default_rng(12)
    a = rng.integers(-(2**30), 2**30, (128, 128))
    k = rng.integers(-(2**12), 2**12, (9, 9))
    approx = correlate_fft(a.astype(float), k.astype(float), power_of_two=True)
    err = np.max(np.abs(approx - exact_reference(a, k).astype(float)))
    a2 = math.sqrt(float(np.sum(a.astype(float) ** 2)))
    bound = fft_error_factor(fast_length(128, power_of_two=True) ** 2) * a2 * exact_mod.l1_int(k)
    assert 0 < err <= bound


def test_limbs_round_trip() -> None:
    x = np.array([-(2**63), 2**63 - 1, -1, 0, 1, 12345678901234, -98765432109876], dtype=np.int64)
    for bits in (7, 20, 31, 53):
        count = -(-64 // bits)
        parts = exact_mod.split(x, bits, count)
        assert all(np.all(np.abs(p) <= 2**bits) for _, p in parts)
        assert exact_mod.combine(parts, rounded=False).tolist() == x.tolist()


def test_python_ints_beyond_int64_and_fractions_stay_exact() -> None:
    big = np.empty((4, 5), dtype=object)
    big[:] = [[(i * 7 + j) * 10**25 - j for j in range(5)] for i in range(4)]
    k = np.empty((2, 2), dtype=object)
    k[:] = [[3, -(10**20)], [0, 1]]
    out, choice = correlate_valid(big, k)
    expected = [
        [sum(big[i + u, j + v] * k[u, v] for u in range(2) for v in range(2)) for j in range(4)]
        for i in range(3)
    ]
    assert out.tolist() == expected
    assert choice.method is Method.DIRECT
    frac = np.empty((3, 3), dtype=object)
    frac[:] = [[Fraction(i + 1, j + 2) for j in range(3)] for i in range(3)]
    kf = np.empty((2, 2), dtype=object)
    kf[:] = [[Fraction(1, 9)] * 2] * 2
    got, _ = correlate_valid(frac, kf)
    assert got[0, 0] == (Fraction(1, 2) + Fraction(1, 3) + Fraction(2, 2) + Fraction(2, 3)) / 9
    assert all(isinstance(v, Fraction) for v in got.flat)


def test_integer_rank_one_factors_are_exact_integers() -> None:
    k = np.outer([2, -3, 4], [5, 0, -10, 15])
    factors = rank_one_factors(k)
    assert factors is not None
    (ax0, c), (ax1, r) = factors
    assert (ax0, ax1) == (0, 1) and c.dtype == np.int64 and r.dtype == np.int64
    assert np.array_equal(np.outer(c, r), k)
    assert rank_one_factors(np.array([[1, 2], [3, 4]])) is None
    assert rank_one_factors(np.array([[1, 2], [2, 4 + 2**40]])) is None
    cube = np.multiply.outer(np.multiply.outer([1, -2], [3, 1, 2]), [7, 7])
    assert rank_one_factors(cube) is not None
    cube[1, 2, 1] += 1
    assert rank_one_factors(cube) is None


def test_fast_lengths() -> None:
    for n in [1, 2, 7, 97, 513, 1000, 2047, 2049, 4097]:
        length = fast_length(n)
        assert length >= n
        assert _smooth(length)
        assert not any(_smooth(m) for m in range(n, length))  # nothing smaller qualifies
        assert fast_length(n, power_of_two=True) == 1 << (n - 1).bit_length()


def _smooth(m: int) -> bool:
    for p in (2, 3, 5):
        while m % p == 0:
            m //= p
    return m == 1


def test_banded_product_workers_never_write_the_same_cells(monkeypatch) -> None:
    # 188 output rows in blocks of 16 leave a last block that overlaps the one before it. Two
    # workers writing those rows at once gave wrong sums (a product accumulates in its output), so
    # every product must write cells no other product writes; the overlap is computed aside.
    written: list[np.ndarray] = []
    real = toeplitz.matmul_into

    def recording(x: np.ndarray, y: np.ndarray, dest: np.ndarray) -> None:
        written.append(dest)
        real(x, y, dest)

    monkeypatch.setattr(toeplitz, "matmul_into", recording)
    rng = np.random.default_rng(5)
    a, k = rng.standard_normal((1, 200, 150)), rng.standard_normal((1, 13, 1))
    out = toeplitz.correlate_toeplitz(a, k)
    close(out, reference(a, k))
    assert len(written) >= 2
    for i, first in enumerate(written):
        for second in written[i + 1 :]:
            assert not np.shares_memory(first, second)
