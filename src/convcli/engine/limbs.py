"""Exact integers of any size, and exact fractions, through the int64 engines.

Every operation convcli computes is bilinear in its two operands (a correlation, a layer, a dot
product, either gradient of a layer): f(sum_i a_i·2**s_i, sum_j b_j·2**t_j) =
sum_ij f(a_i, b_j)·2**(s_i + t_j). So integers too large for an int64 result are cut into limbs
small enough that every limb product fits int64 (max|a_i|·max|b_j|·terms < 2**62); each limb
product is computed by the fast int64 engine (which itself stays exact through float64 where
its bounds allow), and the pieces are added as multi-word integers, in base-2**30 digits held in
int64 arrays. Python ints appear only at the very end, for the entries that do not fit int64.

Fractions are integers over one common denominator: scaled up, computed as integers, divided
back once (``numeric.to_scaled`` and ``numeric.from_scaled``).

A padding value (``fill``) belongs to the first operand: it is cut into the same limbs, so that
padding a limb gives the limb of the padded input.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from convcli.model import Kind
from convcli.numeric import INT64_MAX, abs_max, from_scaled, shrink_int, to_python_ints, to_scaled

from .exact import split_int

__all__ = ["exact_bilinear", "Bilinear", "limb_plan", "Digits"]

Bilinear = Callable[[np.ndarray, np.ndarray, Any], np.ndarray]

# Work (entries of the first operand times products per result entry) below which Python ints are
# as fast as limbs: homework sizes keep the plain sum of Python ints.
_PLAIN_SUM_WORK = 1 << 16
# A limb product must stay below this bound (int64 with a bit to spare).
_PAIR_BITS = 62
# More limb products than this and Python's own big-int arithmetic is the faster way.
_MAX_PRODUCTS = 64
_D = 30  # bits per digit of the multi-word accumulator
_MASK = (1 << _D) - 1


def exact_bilinear(kind: Kind, a: np.ndarray, b: np.ndarray, fill: Any, terms: int, fn: Bilinear) -> Any:
    """Run the bilinear ``fn(a, b, fill)`` so that integer and rational results are exact.

    Parameters
    ----------
    kind : Kind
        The number kind of the operands (and of ``fill``). Integer and rational operands are
        computed exactly; any other kind runs ``fn`` as it is.
    a, b : ndarray
        The operands: int64 or object arrays of Python ints (integer), object arrays of ints and
        Fractions (rational), or float, complex and symbolic arrays.
    fill : number or None
        A padding value that ``fn`` places around ``a`` (part of the first operand).
    terms : int
        The most products one result entry sums.
    fn : callable
        ``fn(a, b, fill)``, exact for int64 operands whenever max|a|·max|b|·terms < 2**63.

    Returns
    -------
    ndarray
        int64 when every entry fits, else an object array of Python ints; Fractions for
        rational input; ``fn``'s own result otherwise.
    """
    if kind is Kind.INTEGER:
        return _integers(a, b, int(fill or 0), max(terms, 1), fn)
    if kind is Kind.RATIONAL:
        an, da, (fill_n,) = to_scaled(a, [fill or 0])
        bn, db, _ = to_scaled(b)
        nums = _integers(an, bn, fill_n, max(terms, 1), fn)
        return from_scaled(np.asarray(nums), da * db)
    # float overflow and 0*inf are not errors here: they become inf and nan in the result, and
    # numeric.nonfinite_notes says which cells they reached
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        return np.asarray(fn(a, b, fill))


def _as_int64(x: np.ndarray, magnitude: int) -> np.ndarray:
    if x.dtype == np.int64:
        return x
    if magnitude <= INT64_MAX:
        return x.astype(np.int64)
    return x


def _integers(a: np.ndarray, b: np.ndarray, fill: int, terms: int, fn: Bilinear) -> np.ndarray:
    a_max = max(abs_max(a), abs(fill))
    b_max = abs_max(b)
    a, b = _as_int64(a, a_max), _as_int64(b, b_max)
    if a_max * b_max * terms <= INT64_MAX and a.dtype == np.int64 and b.dtype == np.int64:
        return shrink_int(np.asarray(fn(a, b, fill)))
    plan = limb_plan(a_max, b_max, terms)
    if plan is None or a.size * terms <= _PLAIN_SUM_WORK:
        return shrink_int(np.asarray(fn(to_python_ints(a), to_python_ints(b), fill)))
    a_bits, a_count, b_bits, b_count = plan
    a_limbs = split_int(a, a_bits, a_count)
    fill_limbs = [int(f) for f in split_int(np.array(fill, dtype=object), a_bits, a_count)]
    b_limbs = split_int(b, b_bits, b_count)
    total = Digits()
    for i, (al, fl) in enumerate(zip(a_limbs, fill_limbs, strict=True)):
        for j, bl in enumerate(b_limbs):
            total.add(np.asarray(fn(al, bl, fl), dtype=np.int64), i * a_bits + j * b_bits)
    return total.value()


def limb_plan(a_max: int, b_max: int, terms: int) -> tuple[int, int, int, int] | None:
    """(a_bits, a_count, b_bits, b_count): the fewest limb products whose every product fits.

    A limb holds at most ``bits`` bits of magnitude, so a pair fits when
    2**a_bits · 2**b_bits · terms < 2**62. None when more than 64 products would be needed.
    """
    a_len, b_len = max(a_max.bit_length(), 1), max(b_max.bit_length(), 1)
    room = _PAIR_BITS - math.ceil(math.log2(terms)) if terms > 1 else _PAIR_BITS
    if room < 2:
        return None
    best: tuple[int, int, int, int] | None = None
    for b_count in range(1, _MAX_PRODUCTS + 1):
        b_bits = -(-b_len // b_count)
        a_bits = room - b_bits
        if a_bits < 1:
            continue
        a_bits = min(a_bits, a_len)
        a_count = -(-a_len // a_bits)
        if best is None or a_count * b_count < best[1] * best[3]:
            best = (a_bits, a_count, b_bits, b_count)
        if b_bits == 1:
            break
    if best is None or best[1] * best[3] > _MAX_PRODUCTS:
        return None
    return best


class Digits:
    """A multi-word integer array: sum digit_i · 2**(30·i), exactly. int64 pieces are added at any
    bit offset; after ``normalize`` the lower digits lie in [0, 2**30) and the top one is signed."""

    def __init__(self) -> None:
        self.digits: list[np.ndarray] = []
        self._pending = 0

    def add(self, r: np.ndarray, shift: int) -> None:
        q, rem = divmod(shift, _D)
        # r in three pieces: two of 30 bits and the signed rest (|rest| <= 8), each shifted by
        # less than 30 bits, so that a digit takes at least 15 such pieces before it could overflow
        pieces = [r & _MASK, (r >> _D) & _MASK, r >> (2 * _D)]
        for t, piece in enumerate(pieces):
            if rem:
                piece = piece << rem
            while len(self.digits) <= q + t + 1:  # a digit above the top one takes the carries
                self.digits.append(np.zeros(piece.shape, dtype=np.int64))
            self.digits[q + t] += piece
        self._pending += 1
        if self._pending >= 8:
            self.normalize()

    def normalize(self) -> None:
        d = self.digits
        for i in range(len(d) - 1):
            carry = d[i] >> _D
            d[i] &= _MASK
            d[i + 1] += carry
        self._pending = 0

    def value(self) -> np.ndarray:
        """The sums: int64 when every entry fits, else an object array of Python ints."""
        if not self.digits:
            raise ValueError("no pieces were added")
        self.normalize()
        d = self.digits + [np.zeros_like(self.digits[0])] * max(0, 3 - len(self.digits))
        low = (d[1] << _D) | d[0]  # the low 60 bits, in [0, 2**60)
        # the digits from the third up, folded into one signed int64 while that cannot overflow
        high = d[-1]
        for digit in reversed(d[2:-1]):
            if np.any(np.abs(high) >= 1 << 32):
                return self._python_ints(d)
            high = (high << _D) + digit
        if bool(np.all((high >= -8) & (high <= 7))):
            # the true value lies in [-2**63, 2**63): the int64 sum is exact
            return (high << (2 * _D)) + low
        return (high.astype(object) << (2 * _D)) + low.astype(object)

    @staticmethod
    def _python_ints(d: list[np.ndarray]) -> np.ndarray:
        value = d[-1].astype(object)
        for digit in reversed(d[:-1]):
            value = (value << _D) + digit.astype(object)
        return value
