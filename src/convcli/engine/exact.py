"""Exact int64 results from float64 arithmetic, and the bounds that make it exact.

Two facts carry everything here.

1. Float64 sums of products of integers are exact while every partial sum stays below 2**53 in
   magnitude: each such integer is representable, so no operation rounds, whatever the order
   and whether or not BLAS fuses multiply and add. Every partial sum of one output entry is a
   sum of a subset of its products, so max|a| · sum|k| < 2**53 suffices (direct, Toeplitz and
   separable methods: for k = outer(c, r) with integers, sum|k| = sum|c| · sum|r| bounds the
   intermediate pass too).

2. An FFT correlation errs, in every entry, by at most F(L) · ||a||_2 · ||k||_1, F from
   ``fft.fft_error_factor``, L the transform size. Derivation: with the computed transforms
   A' = A + dA and K' = K + dK obeying the normwise bound ||dX||_2 <= d · ||X||_2 = d · sqrt(L) ·
   ||x||_2 (Higham, Accuracy and Stability of Numerical Algorithms, 2nd ed., Thm 24.2:
   d = log2(L)·eta / (1 - log2(L)·eta), eta = mu + gamma_4 (sqrt(2) + mu) for radix 2, about
   6.7u with accurately computed twiddles), the inverse transform of the product error obeys
   |F^-1(E)_i| <= ||E||_1 / L, and ||dA * K||_1 <= ||dA||_2 ||K||_2 = d·L·||a||_2 ||k||_2 (Cauchy-
   Schwarz, Parseval), likewise for A * dK and the rounding of the product; the inverse
   transform's own error is at most d·||c||_2 <= d·||a||_2·||k||_1 (Young's inequality). Summed:
   (3d + u-terms + second-order terms) · ||a||_2 · ||k||_1, using ||k||_2 <= ||k||_1. We take
   eta = 8u and count twice log2(L) stages (pocketfft's radix-4 and real-input passes are not
   the radix-2 algorithm of the theorem), transform integer inputs only at powers of two (so
   the 1/L scaling is exact), and ask for an error below 1/4, not 1/2, before rounding to
   integers.

When a bound fails for the whole input, the input (and if need be the kernel) is split into
limbs: x = sum_j x_j · 2**(s·j) with 0 <= x_j < 2**s below the top limb. Each limb pair is
computed in float64 within its bound, rounded to int64, shifted and added. The additions are
done in int64 two's-complement arithmetic; they may wrap in between, but the true result fits
int64 (ops.py guarantees it), and wrapping arithmetic is exact modulo 2**64, so the sum is right.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from convcli.numeric import abs_max

__all__ = ["Limbs", "plan_limbs", "split", "split_int", "combine", "l1_int"]

FLOAT_EXACT = 2**53


def l1_int(x: np.ndarray) -> int:
    """sum |x| as a Python int, without overflow."""
    if x.size == 0:
        return 0
    # |int64 min| does not fit int64; sum in Python ints row by row when values are large
    if abs_max(x) * x.size < 2**62:
        return int(np.abs(x).sum())
    return sum(abs(int(v)) for v in x.flat)


@dataclass(frozen=True)
class Limbs:
    """How to split the input (``a_bits`` per limb) and the kernel (``k_bits``); 0 = no split."""

    a_bits: int
    a_count: int
    k_bits: int
    k_count: int

    @property
    def products(self) -> int:
        return self.a_count * self.k_count

    def describe(self) -> str:
        if self.products == 1:
            return ""
        parts = []
        if self.a_count > 1:
            parts.append(f"the input in {self.a_count} limbs of {self.a_bits} bits")
        if self.k_count > 1:
            parts.append(f"the kernel in {self.k_count} limbs of {self.k_bits} bits")
        return " and ".join(parts)


def plan_limbs(
    a_max: int, k_max: int, fits: Callable[[int, int], bool], max_products: int = 64
) -> Limbs | None:
    """The fewest limb products for which ``fits(max|a limb|, max|k limb|)`` holds.

    ``fits`` is the method's exactness bound given the limbs' largest magnitudes. Returns None
    when even 1-bit limbs fail (the method cannot be exact for this kernel size).
    """
    a_bits0, k_bits0 = max(a_max.bit_length(), 1), max(k_max.bit_length(), 1)
    if fits(a_max, k_max):
        return Limbs(a_bits0, 1, k_bits0, 1)
    best: Limbs | None = None
    for k_count in range(1, 9):
        k_bits = -(-k_bits0 // k_count)
        k_lim = k_max if k_count == 1 else 2**k_bits
        # the widest a limb that still fits, by bisection on its bit count
        lo, hi = 0, a_bits0
        while lo < hi:
            mid = (lo + hi + 1) // 2
            if fits(2**mid, k_lim):
                lo = mid
            else:
                hi = mid - 1
        if lo == 0:
            continue
        a_count = -(-a_bits0 // lo)
        cand = Limbs(lo, a_count, k_bits, k_count)
        if best is None or cand.products < best.products:
            best = cand
        if k_count * 2 > (best.products if best else max_products):
            break
    if best is None or best.products > max_products:
        return None
    return best


def split(x: np.ndarray, bits: int, count: int) -> list[tuple[int, np.ndarray]]:
    """``[(shift, float64 limb), ...]`` with x = sum limb · 2**shift exactly.

    Limbs below the top one hold x's bits in [0, 2**bits); the top one is x >> shift (signed).
    """
    if count == 1:
        return [(0, x.astype(np.float64))]
    return [(bits * j, limb.astype(np.float64)) for j, limb in enumerate(split_int(x, bits, count))]


def split_int(x: np.ndarray, bits: int, count: int) -> list[np.ndarray]:
    """x as ``count`` int64 limbs, x = sum limb_j · 2**(bits·j): the lower limbs hold bits in
    [0, 2**bits), the top one is the signed rest (x >> shift). Works for int64 and for object
    arrays of Python ints (whose shifts and masks are exact two's complement too)."""
    if count == 1:
        return [x if x.dtype == np.int64 else x.astype(np.int64)]
    mask = (1 << bits) - 1
    out = []
    for j in range(count):
        shift = bits * j
        part = x >> shift if shift else x
        if j < count - 1:
            part = part & mask
        out.append(np.asarray(part).astype(np.int64))
    return out


def combine(pieces: list[tuple[int, np.ndarray]], rounded: bool) -> np.ndarray:
    """sum piece · 2**shift in int64 (wrapping in between; see the module docstring)."""
    total: np.ndarray | None = None
    for shift, values in pieces:
        if rounded:
            values = np.rint(values, out=values) if values.flags.writeable else np.rint(values)
        as_int = values.astype(np.int64)
        if shift:
            np.left_shift(as_int, shift, out=as_int)
        if total is None:
            total = as_int
        else:
            total += as_int
    assert total is not None
    return total


def direct_fits(k_l1_of: Callable[[int], int]) -> Callable[[int, int], bool]:
    """The bound of fact 1 for a kernel whose sum|k| for limb magnitude m is ``k_l1_of(m)``."""

    def fits(a_lim: int, k_lim: int) -> bool:
        return a_lim * k_l1_of(k_lim) < FLOAT_EXACT

    return fits


def fft_fits(factor: float, a_count: int, k_l1_of: Callable[[int], int]) -> Callable[[int, int], bool]:
    """The bound of fact 2: factor · (max|a| · sqrt(count)) · sum|k| <= 1/4."""
    root = math.sqrt(a_count)

    def fits(a_lim: int, k_lim: int) -> bool:
        return factor * (a_lim * root) * k_l1_of(k_lim) <= 0.25

    return fits
