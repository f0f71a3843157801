"""Exact integers of any size through the int64 engine in limbs, and fractions as scaled integers."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from convcli import ops
from convcli.engine import exact as exact_mod
from convcli.engine import limbs
from convcli.engine.taps import correlate_taps
from convcli.model import Kind, OpOptions


def objects(values: list, shape: tuple[int, ...]) -> np.ndarray:
    out = np.empty(len(values), dtype=object)
    out[:] = values
    return out.reshape(shape)


def blur() -> np.ndarray:
    """The 3x3 binomial blur in exact sixteenths."""
    return objects([Fraction(v, 16) for v in (1, 2, 1, 2, 4, 2, 1, 2, 1)], (3, 3))


def loop_correlate(a: np.ndarray, k: np.ndarray) -> list:
    """The valid correlation in Python numbers, one output entry at a time."""
    m, n = a.shape
    p, q = k.shape
    return [
        [sum(a[i + u, j + v] * k[u, v] for u in range(p) for v in range(q)) for j in range(n - q + 1)]
        for i in range(m - p + 1)
    ]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(-(2**63), 2**63 - 1), st.integers(0, 200)), min_size=1, max_size=12))
def test_digits_add_int64_pieces_at_any_offset_exactly(pieces: list[tuple[int, int]]) -> None:
    total = limbs.Digits()
    expected = 0
    for value, shift in pieces:
        total.add(np.array([value, -value if value > -(2**63) else 0], dtype=np.int64), shift)
        expected += value << shift
    got = total.value()
    assert int(got[0]) == expected
    assert all(isinstance(v, int | np.integer) for v in got.tolist())
    if -(2**63) <= expected < 2**63 and got.dtype != object:
        assert got.dtype == np.int64


def test_digits_give_int64_when_every_sum_fits() -> None:
    total = limbs.Digits()
    total.add(np.array([2**62, -5], dtype=np.int64), 0)
    total.add(np.array([2**61, 3], dtype=np.int64), 0)  # 2**62 + 2**61 still fits
    assert total.value().dtype == np.int64
    assert total.value().tolist() == [2**62 + 2**61, -2]
    total.add(np.array([1, 0], dtype=np.int64), 62)  # now past 2**63
    got = total.value()
    assert got.dtype == object and got.tolist() == [2**63 + 2**61, -2]


@pytest.mark.parametrize("bits", [5, 20, 31])
def test_split_int_round_trips_python_ints(bits: int) -> None:
    values = [0, 1, -1, 2**100 + 12345, -(2**100) - 7, 3**60, -(3**61), 2**63, -(2**63) - 1]
    x = objects(values, (len(values),))
    count = -(-max(abs(v) for v in values).bit_length() // bits) + 1
    parts = exact_mod.split_int(x, bits, count)
    assert all(p.dtype == np.int64 for p in parts)
    assert all(np.all((p >= 0) & (p < 2**bits)) for p in parts[:-1])
    rebuilt = [sum(int(p[i]) << (bits * j) for j, p in enumerate(parts)) for i in range(len(values))]
    assert rebuilt == values


def test_limb_plan_keeps_every_product_inside_int64() -> None:
    for a_max, b_max, terms in [(2**40, 2**20, 81), (2**200, 3, 9), (2**62, 2**62, 1), (5, 2**90, 10**6)]:
        plan = limbs.limb_plan(a_max, b_max, terms)
        assert plan is not None
        a_bits, a_count, b_bits, b_count = plan
        assert a_bits * a_count >= a_max.bit_length() and b_bits * b_count >= b_max.bit_length()
        assert 2**a_bits * 2**b_bits * terms < 2**63
    assert limbs.limb_plan(2**5000, 2**5000, 9) is None  # Python's big ints are faster there


def test_integers_beyond_int64_results_go_through_limbs_exactly() -> None:
    # 2**40-sized values with a kernel near 2**20: the results need 67 bits
    rng = np.random.default_rng(1)
    a = rng.integers(-(2**40), 2**40, (40, 50))
    k = rng.integers(-(2**20), 2**20, (9, 9))
    assert limbs.limb_plan(2**40, 2**20, 81) is not None
    out = limbs.exact_bilinear(Kind.INTEGER, a, k, 0, k.size, lambda x, y, _f: correlate_taps(x, y))
    assert out.dtype == object
    assert out.tolist() == loop_correlate(a.astype(object), k.astype(object))


def test_huge_python_ints_and_padding_value_stay_exact() -> None:
    rng = np.random.default_rng(2)
    a = objects(
        [
            int(v) * 10**30 + int(w)
            for v, w in zip(rng.integers(-99, 99, 10000), rng.integers(0, 99, 10000), strict=True)
        ],
        (100, 100),
    )
    k = objects([int(v) << 70 for v in rng.integers(-9, 9, 9)], (3, 3))
    fill = -(10**25) - 3
    padded = np.full((102, 102), fill, dtype=object)
    padded[1:-1, 1:-1] = a
    got = ops.correlate(a, k, OpOptions(mode="same", fillvalue=fill)).value
    assert got.tolist() == loop_correlate(padded, k)


def test_results_that_fit_int64_come_back_as_int64() -> None:
    rng = np.random.default_rng(3)
    a = objects([int(v) for v in rng.integers(-(2**62), 2**62, 64 * 64)], (64, 64))
    k = np.zeros((3, 3), dtype=np.int64)
    k[1, 1] = 1  # values near 2**62 times a product bound above int64, yet each result fits
    out = limbs.exact_bilinear(Kind.INTEGER, a, k, 0, k.size, lambda x, y, _f: correlate_taps(x, y))
    assert out.dtype == np.int64
    assert out.tolist() == a[1:-1, 1:-1].tolist()


def test_fractions_are_scaled_exactly_also_mixed_with_ints() -> None:
    rng = np.random.default_rng(4)
    values = [
        Fraction(int(p), int(q))
        for p, q in zip(rng.integers(-50, 50, 60 * 60), rng.integers(1, 12, 60 * 60), strict=True)
    ]
    values[::7] = [int(v) for v in rng.integers(-5, 5, len(values[::7]))]  # ints among them
    a = objects(values, (60, 60))
    k = blur()
    k[2, 0], k[2, 1], k[2, 2] = Fraction(-1, 3), 0, 2
    got = ops.correlate(a, k).value
    assert got.tolist() == loop_correlate(a, k)
    assert all(isinstance(v, Fraction) for v in got.flat)


def test_large_fraction_run_equals_the_python_loop_on_a_corner() -> None:
    n = 300
    a = objects(
        [Fraction((i * 7 + j) % 13 - 6, (i + 2 * j) % 5 + 1) for i in range(n) for j in range(n)], (n, n)
    )
    k = blur()
    got = ops.correlate(a, k).value
    assert got.shape == (n - 2, n - 2)
    assert got[:6, :6].tolist() == loop_correlate(a[:8, :8], k)
    assert got[-4:, -4:].tolist() == loop_correlate(a[-6:, -6:], k)
