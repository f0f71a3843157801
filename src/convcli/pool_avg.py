"""Average pooling: each window's sum over its count, exact for integers and fractions, and the
exact arithmetic the avg gradient shares with it.

Average divides the window's sum by its count: the taps inside the padded input
(count_include_pad, torch's default) or inside A. A window that runs past the padded edge in ceil
mode counts only the taps up to that edge. The columns are summed first, then the rows, so the
work is (kh + kw) passes over the array rather than kh * kw.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np

from .model import Kind
from .numeric import INT64_MAX, abs_max, shrink_int, to_python_ints, to_scaled
from .pool_geometry import Geometry, along, tap_range

__all__ = [
    "avg_pool",
    "sum_pass",
    "divisors",
    "safe_integers",
    "exact_quotient",
    "scaled_integers",
    "symbolic_divisors",
]


def sum_pass(g: Geometry, x: np.ndarray, axis: int, adjoint: bool = False) -> np.ndarray:
    """Sum each window's taps inside A along ``axis`` (the padding adds zero); with ``adjoint``,
    the reverse: each window's value added to every tap of it inside A (x is then output-shaped)."""
    shape = list(x.shape)
    shape[axis + 1] = g.in_shape[axis] if adjoint else g.out_shape[axis]
    out = np.zeros(shape, dtype=x.dtype)
    if x.dtype == object:
        out.fill(0)
    for tap in range(g.size[axis]):
        lo, hi, cells = tap_range(g, axis, tap)
        if hi > lo:
            windows = slice(lo, hi)
            target, source = (cells, windows) if adjoint else (windows, cells)
            out[along(out, axis, target)] += x[along(x, axis, source)]
    return out


def divisors(g: Geometry) -> np.ndarray:
    """avg's divisor of every output cell (rows x columns)."""
    return np.outer(g.counts(0), g.counts(1)).astype(np.int64)


def safe_integers(x: np.ndarray, bound: int) -> np.ndarray:
    """An integer array in int64 when its entries times ``bound`` fit (a sum of ``bound`` of
    them cannot overflow), else as Python ints."""
    if x.dtype == object or abs_max(x) * max(bound, 1) > INT64_MAX:
        return to_python_ints(x)
    return x


def exact_quotient(nums: np.ndarray, den: np.ndarray) -> tuple[np.ndarray, Kind]:
    """nums / den exactly (den broadcasts): integers when every quotient is whole (as int64 when
    they fit), else Fractions."""
    if nums.dtype != object and den.dtype != object:
        if not np.any(nums % den):
            return nums // den, Kind.INTEGER
    pairs = list(zip(nums.ravel().tolist(), np.broadcast_to(den, nums.shape).ravel().tolist(), strict=True))
    out = np.empty(len(pairs), dtype=object)
    if all(n % d == 0 for n, d in pairs):
        out[:] = [n // d for n, d in pairs]
        return shrink_int(out.reshape(nums.shape)), Kind.INTEGER
    out[:] = [Fraction(n, d) for n, d in pairs]
    return out.reshape(nums.shape), Kind.RATIONAL


def scaled_integers(x: np.ndarray, kind: Kind, bound: int) -> tuple[np.ndarray, int]:
    """An exact array as integer numerators over one denominator, numerators safe to sum
    ``bound`` at a time."""
    nums, den, _ = to_scaled(x) if kind is Kind.RATIONAL else (x, 1, [])
    return safe_integers(nums, bound), den


def _times(a: np.ndarray, factor: int) -> np.ndarray:
    """An int64 array times a Python int, in Python ints when the product could overflow."""
    if a.dtype != object and factor * max(abs_max(a), 1) <= INT64_MAX:
        return a * factor
    return to_python_ints(a) * factor


def avg_pool(g: Geometry, x: np.ndarray, kind: Kind) -> tuple[np.ndarray, Kind]:
    """The windows' averages (N x OH x OW) and their kind: exact quotients for integers and fractions."""
    counts = divisors(g)[None]
    if kind in (Kind.INTEGER, Kind.RATIONAL):
        nums, den = scaled_integers(x, kind, g.size[0] * g.size[1])
        sums = sum_pass(g, sum_pass(g, nums, 1), 0)
        return exact_quotient(sums, _times(counts, den))
    sums = sum_pass(g, sum_pass(g, x, 1), 0)
    if kind is Kind.SYMBOLIC:
        return sums / symbolic_divisors(counts), kind
    with np.errstate(over="ignore", invalid="ignore"):
        return sums / counts, kind


def symbolic_divisors(divisors: np.ndarray) -> np.ndarray:
    """Divisors as sympy integers, so that a symbolic sum divided by them stays exact."""
    import sympy

    out = np.empty(divisors.shape, dtype=object)
    out[...] = np.vectorize(sympy.Integer, otypes=[object])(divisors)
    return out
