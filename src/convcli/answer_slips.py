"""The slips an answer shows whatever operation it answers, and the search that finds them.

A Search holds the answer and the right result, and compares a suspect with the answer at a few
cells before it is computed whole. The slips: the right numbers written down wrong (transposed,
reshaped, channels not summed), rounded, or off by arithmetic on the right result (a constant
offset, a scale factor); and, for an answer nothing explains, how far off it is. The sliding
check (diagnose.py), pooling's (diagnose_pool.py) and the gradients' (gradcheck.py) share them.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from typing import TYPE_CHECKING, Any

import numpy as np

from .closeness import Expected, all_equal, core_shape
from .explanations import Diagnosis
from .model import SLIDING, Activation, Kind, Op, OpOptions, Result
from .text import cell_text, display_number, format_number, shape_text, value_of

if TYPE_CHECKING:  # pooling loads only with the commands that pool
    from .pool import PoolResult

__all__ = [
    "Search",
    "shape_words",
    "writing_slip",
    "arithmetic_slip",
    "worst_text",
]


# A float answer within this of 1 times the right one is inaccurate, not scaled by a factor.
_NOT_A_FACTOR = 1e-6
# An answer this close (relative to each cell's scale) is called rounded rather than wrong.
_ROUNDED = 1e-3
# The cells compared before a neighbour is computed whole.
_SAMPLES = 6


# ---------------------------------------------------------------------------------------------
# words


def shape_words(shape: tuple[int, ...]) -> str:
    return "a single number" if not core_shape(shape) and len(shape) <= 1 else shape_text(shape)


def _nice(v: Any, exact: bool, digits: int = 6) -> str:
    """A number for a sentence: exact ones in full, floats as a short decimal, or as a small
    fraction when it is that fraction to 1e-9 of its size (0.1111111111 reads as 1/9)."""
    v = value_of(v)
    if exact or not isinstance(v, float) or not math.isfinite(v) or v == 0:
        return display_number(v, digits=digits)
    fraction = Fraction(v).limit_denominator(1000)
    if fraction == 0 or abs(float(fraction) - v) > 1e-9 * abs(v):
        return display_number(v, digits=digits)
    if fraction.denominator == 1:
        return str(fraction.numerator)
    short = repr(float(fraction))
    return short if len(short) <= 6 else str(fraction)


def _signed(v: Any, exact: bool) -> str:
    return ("+" if v > 0 else "-") + _nice(abs(v), exact)


def _up(x: float) -> str:
    """``x`` rounded up to two significant digits (a bound stays a bound when shown)."""
    if x == 0:
        return "0"
    exponent = math.floor(math.log10(x)) - 1
    return f"{math.ceil(x / 10**exponent) * 10**exponent:.2g}"


# ---------------------------------------------------------------------------------------------
# comparing at a few cells first


@dataclass(frozen=True)
class Search:
    """What every suspect is compared with: the answer, the right result and how to compare."""

    answer: np.ndarray
    answer_kind: Kind
    result: Result | PoolResult
    expected: Expected
    exact: bool  # the right result is exact: answers must equal it exactly
    kind: Kind  # the operands' kind, for reading cells from them
    tolerance: float
    wrong: list[tuple[int, ...]]  # the wrong cells (none when the shapes differ)

    @property
    def hints(self) -> list[tuple[int, ...]]:
        """The first wrong cells."""
        return self.wrong[:3]

    def cells(self, shape: tuple[int, ...]) -> list[tuple[int, ...]]:
        """Where to compare a suspect of ``shape`` first: the wrong cells when it has the right
        result's shape (a suspect equal to the right result differs from the answer there), and
        cells spread over it."""
        size = math.prod(shape)
        chosen = [h for h in self.hints if shape == self.result.value.shape][:3]
        for flat in (0, size - 1, size // 2, size // 3, (2 * size) // 3, (7 * size) // 11):
            cell = tuple(int(i) for i in np.unravel_index(flat, shape)) if shape else ()
            if cell not in chosen:
                chosen.append(cell)
        return chosen[:_SAMPLES]

    def agrees(self, x: Any, v: Any, size: Any) -> bool:
        """Whether answer cell ``x`` may equal ``v`` (a cell of scale ``size``): exactly for exact
        results; for floats loosely (the whole comparison decides)."""
        x, v = value_of(x), value_of(v)
        if self.exact:
            return bool(x == v)
        try:
            xc, vc = complex(x), complex(v)
        except (TypeError, ValueError, OverflowError):
            return True  # symbols, integers beyond float64: compared whole
        if xc == vc or (math.isnan(abs(xc)) and math.isnan(abs(vc))):
            return True
        return bool(abs(xc - vc) <= max(self.tolerance, 1e-6) * (abs(complex(size)) + abs(vc)))

    def matches(
        self,
        x: np.ndarray,
        at: Callable[[tuple[int, ...]], tuple[Any, Any]],
        whole: Callable[[], Expected],
    ) -> bool:
        """Whether ``x`` equals a neighbour of the right result: first at a few cells (``at``
        gives the neighbour's value and scale at one), then whole (built only then)."""
        for cell in self.cells(x.shape):
            if not self.agrees(x[cell], *at(cell)):
                return False
        return all_equal(x, whole(), self.tolerance)

    def cell(self, cell: tuple[int, ...]) -> tuple[Any, Any]:
        """The right result's value and scale at one cell."""
        return self.expected.value[cell], _scale_at(self.expected, cell)


# ---------------------------------------------------------------------------------------------
# slips in writing the answer down


def writing_slip(search: Search, op: Op, options: OpOptions) -> Diagnosis | None:
    """The right numbers transposed or in another shape, or (with channels) not summed over depth."""
    x, expected = search.answer, search.expected
    y = expected.value
    if x.ndim == 2 and y.ndim == 2 and x.shape == y.shape[::-1] and y.size > 1:
        # a square answer whose transpose is right differs from the right result, so that result
        # is not symmetric: the transpose is news
        if search.matches(x.T, search.cell, lambda: expected):
            text = "your answer is the right result transposed: rows and columns swapped"
            return Diagnosis("answer-transposed", text, None, None)
    if x.size == y.size and core_shape(x.shape) != core_shape(y.shape) and y.size > 1:
        if search.matches(x.reshape(y.shape), search.cell, lambda: expected):
            return Diagnosis(
                "reshaped",
                f"your answer has the right numbers in the wrong shape: {shape_words(x.shape)} "
                f"instead of {shape_words(y.shape)}",
                None,
                None,
            )
    if options.channels and op in SLIDING and x.ndim == 3 and y.ndim == 2:
        c = x.shape[0]
        if x.shape[1:] == y.shape and c > 1 and search.matches(x.sum(axis=0), search.cell, lambda: expected):
            return Diagnosis(
                "channels-not-summed",
                f"your answer holds the {c} per-channel maps, and they are right, but a layer adds them: "
                "the sum over channels is the answer",
                None,
                None,
            )
    return None


def _nice_tolerances(start: float) -> list[float]:
    """1, 2 and 5 times powers of ten, from the first at or above ``start`` up to _ROUNDED."""
    exponent = math.floor(math.log10(start)) if start > 0 else -12
    out = [m * 10.0**e for e in range(exponent, 0) for m in (1, 2, 5)]
    return [t for t in out if start <= t <= _ROUNDED]


def _rounded(search: Search, mask: np.ndarray) -> Diagnosis | None:
    """An answer a little off in every wrong cell: rounded. The claim states the numbers found."""
    x, expected = search.answer.reshape(search.expected.value.shape), search.expected
    y = expected.value
    wrong = search.wrong
    if search.exact:
        worst, where = 0.0, wrong[0]
        for cell in wrong:
            right, given = _exact_value(y[cell]), _exact_value(x[cell])
            if given is None or right is None or given.denominator == 1 or right == 0:
                return None  # nan, a whole number or a wrong 0: not rounded, only wrong
            relative = abs(given - right) / abs(right)
            if relative > _ROUNDED:
                return None
            if relative > worst:
                worst, where = float(relative), cell
        return Diagnosis(
            "rounded",
            f"your answer is the right one rounded (to a relative {_up(worst)}), but these inputs are "
            f"exact, so the answer must be exact too: at {cell_text(where)} it is "
            f"{format_number(y[where])}, not {format_number(x[where])}",
            None,
            None,
        )
    if not expected.scaled:
        return None
    dtype = np.complex128 if "c" in (x.dtype.kind, y.dtype.kind) else np.float64
    with np.errstate(all="ignore"):
        xf, yf = np.asarray(x, dtype=dtype), np.asarray(y, dtype=dtype)
        # the wrong cells are known: no pass over the whole result
        at = tuple(np.array(wrong, dtype=np.intp).reshape(len(wrong), mask.ndim).T)
        off = np.abs(xf[at] - yf[at]) / expected.scale_where(wrong)
    if not np.all(np.isfinite(off)) or off.max() > _ROUNDED:
        return None
    worst = float(off.max())
    for tolerance in _nice_tolerances(worst):
        if tolerance > search.tolerance and all_equal(search.answer, expected, tolerance):
            return Diagnosis(
                "rounded",
                f"your answer is within a relative {_up(worst)} of the right one (of each cell's scale, "
                f"the sum of its |products|): rounded? --tolerance {tolerance:g} accepts it",
                None,
                None,
            )
    return None


# ---------------------------------------------------------------------------------------------
# offset and scale: arithmetic on the right result


def _scale_at(expected: Expected, cell: tuple[int, ...]) -> Any:
    """A cell's scale (0 without one), computed for that cell alone when not yet whole."""
    return expected.scale_where([cell])[0] if expected.scaled else 0


def _exact_value(v: Any) -> Fraction | None:
    try:
        return Fraction(value_of(v))
    except (TypeError, ValueError, OverflowError):
        return None  # nan, inf, complex


def _whole(v: Fraction) -> Any:
    return v.numerator if v.denominator == 1 else v


def _pivot(search: Search) -> tuple[int, ...]:
    """The wrong cell whose right value is largest (the most precise ratio or difference)."""
    y = search.expected.value
    best = search.hints[0]
    for cell in search.hints[1:]:
        try:
            if abs(complex(value_of(y[cell]))) > abs(complex(value_of(y[best]))):
                best = cell
        except (TypeError, OverflowError):
            pass
    return best


def _real(v: Any) -> Any:
    """A complex number with no imaginary part as the real number it is."""
    return v.real if isinstance(v, complex) and v.imag == 0 else v


def _measured(search: Search, how: Callable[[Any, Any], Any]) -> Any:
    """``how(answer, right)`` at the most telling wrong cell, exactly for an exact problem; None
    when it cannot be measured (nan, a division by 0)."""
    x, y = search.answer.reshape(search.expected.value.shape), search.expected.value
    w = _pivot(search)
    if search.exact:
        given, right = _exact_value(x[w]), _exact_value(y[w])
        if given is None or right is None or (how is operator.truediv and right == 0):
            return None
        return _whole(how(given, right))
    with np.errstate(all="ignore"):
        measured = value_of(how(x[w], y[w]))
    return measured if np.isfinite(measured) else None


def _everywhere(search: Search, how: Callable[[Any, Any], Any], c: Any) -> bool:
    """Whether the answer is ``how(right, c)`` in every cell (a cell's scale grows by |c| for an
    offset, |c| times for a factor): at a few cells first, the whole result only then."""
    x, y = search.answer.reshape(search.expected.value.shape), search.expected.value
    expected = search.expected
    grow = (lambda s: s + abs(c)) if how is operator.add else (lambda s: s * abs(c))

    def at(cell: tuple[int, ...]) -> tuple[Any, Any]:
        return how(value_of(y[cell]), c), grow(_scale_at(expected, cell)) if expected.scaled else 0

    def whole() -> Expected:
        if expected.scale is None:
            return Expected(how(y.astype(object), c))
        return Expected(how(y, c), grow(expected.scale))

    return search.matches(x, at, whole)


def _offset(search: Search, options: OpOptions) -> Diagnosis | None:
    """The answer is the right result plus one constant c != 0 in every cell."""
    expected = search.expected
    x = search.answer.reshape(expected.value.shape)
    w = _pivot(search)
    c = _measured(search, operator.sub)
    if c is None or c == 0 or not _everywhere(search, operator.add, c):
        return None
    c = _real(c)
    if isinstance(c, complex):
        text = f"every cell is off by {display_number(c)}: a missing or extra constant?"
        return Diagnosis("offset", text, None, None, offset=c)
    # the constant in the answer's own notation: +0.5 for decimals, +1/2 for fractions
    decimals = search.exact and isinstance(value_of(x[w]), float) and float(c) == c
    off = _signed(float(c), False) if decimals else _signed(c, search.exact)
    why = "an extra bias, or one added twice?" if c > 0 else "a missing bias?"
    bias = options.bias[0] if len(options.bias) == 1 else None
    if bias is not None and bias != 0:
        size = float(_scale_at(expected, w))

        def near(u: Any, v: Any) -> bool:
            return bool(u == v) if search.exact else abs(u - v) <= search.tolerance * (size + abs(v))

        if near(c, -bias):
            why = f"the bias {display_number(bias)} was left out"
        elif near(c, bias):
            why = f"the bias {display_number(bias)} was added twice"
        elif near(c, -2 * bias):
            why = f"the bias {display_number(bias)} was subtracted instead of added"
    return Diagnosis("offset", f"every cell is off by {off}: {why}", None, None, offset=c)


def _factor(search: Search) -> Diagnosis | None:
    """The answer is one factor s (not 0 or 1) times the right result."""
    x = search.answer.reshape(search.expected.value.shape)
    w = _pivot(search)
    s = _measured(search, operator.truediv)
    near_one = _NOT_A_FACTOR if search.exact else max(search.tolerance, _NOT_A_FACTOR)
    if s is None or s == 0 or abs(s - 1) <= near_one or not _everywhere(search, operator.mul, s):
        return None
    s = _real(s)
    if isinstance(s, complex):
        text = f"your answer is {display_number(s)} times the right one: a stray complex factor"
        return Diagnosis("scale", text, None, None, factor=s)
    inverse = _whole(1 / Fraction(s)) if search.exact else 1 / s
    # in the answer's own notation (0.5 for decimals, 1/2 for fractions), with enough digits that
    # a factor near 1 does not read as 1
    exact = search.exact and not (isinstance(value_of(x[w]), float) and float(s) == s)
    shown = _nice(s if exact else float(s), exact, 10)
    shown_inverse = _nice(inverse if exact else float(inverse), exact, 10)
    if s == -1:
        text = "your answer is -1 times the right one: every sign is flipped"
    elif s < 0:
        text = f"your answer is {shown} times the right one: a wrong sign and a stray factor"
    elif s > 1:
        text = (
            f"your answer is {shown} times the right one: a forgotten normalisation such as {shown_inverse}"
        )
    else:
        text = (
            f"your answer is {shown} of the right one, which is {shown_inverse} times larger: an extra "
            f"normalisation such as {shown}"
        )
    return Diagnosis("scale", text, None, None, factor=s)


def arithmetic_slip(search: Search, mask: np.ndarray, options: OpOptions) -> Diagnosis | None:
    """Arithmetic on the right result: rounded, else a constant offset or a scale factor in
    every cell (never for symbols, nor for an answer of another shape)."""
    y = search.expected.value
    if core_shape(search.answer.shape) != core_shape(y.shape):
        return None
    if Kind.SYMBOLIC in (search.kind, search.answer_kind):
        return None
    found = _rounded(search, mask)
    if found is not None or y.size < 2 or options.activation is not Activation.NONE:
        # for a single number, every wrong answer is an offset and a multiple of the right one
        return found
    return _offset(search, options) or _factor(search)


# ---------------------------------------------------------------------------------------------
# how far off


def _difference(u: Any, v: Any) -> Any:
    """|u - v| as a comparable real number, or None (nan, inf, symbols)."""
    u, v = value_of(u), value_of(v)
    real = all(isinstance(w, int | float | Fraction) for w in (u, v))
    if real and isinstance(u, float) != isinstance(v, float):
        # a float against an exact number: their exact difference (float arithmetic would
        # round 2/3 - 0.6666666666666666 to 0)
        if not (math.isfinite(u) and math.isfinite(v)):
            return None
        return float(abs(Fraction(u) - Fraction(v)))
    try:
        d = u - v
    except TypeError:
        return None
    if isinstance(d, int | Fraction):
        return abs(d)
    if isinstance(d, float | complex):
        m = abs(d)
        return m if math.isfinite(m) else None
    try:
        import sympy

        expr = sympy.sympify(d)
        if expr.is_number:
            m = abs(complex(expr))
            return m if math.isfinite(m) else None
    except (TypeError, ValueError):
        return None
    return None


def _largest_difference(
    x: np.ndarray, y: np.ndarray, mask: np.ndarray, wrong: list[tuple[int, ...]]
) -> tuple[Any, tuple[int, ...]] | None:
    """The largest finite |x - y| among the ``wrong`` cells (where ``mask`` is False), and its
    cell; the difference reported is exact where an exact number meets a float."""
    if x.dtype != object and y.dtype != object:
        # numeric arrays: vectorised, over the wrong cells when they are few
        dtype = np.result_type(x.dtype, y.dtype, np.float64)
        few = len(wrong) * 8 < y.size
        where: Any = tuple(np.array(wrong, dtype=np.intp).reshape(len(wrong), y.ndim).T) if few else ~mask
        with np.errstate(all="ignore"):
            d = np.abs(x[where].astype(dtype) - y[where].astype(dtype))
        usable = np.isfinite(d)
        if not usable.any():
            return None
        k = int(np.argmax(np.where(usable, d, -1.0)))
        index = wrong[k]
        exact = _difference(x[index], y[index])
        return (value_of(d[k]) if exact is None else exact), index
    best: tuple[Any, tuple[int, ...]] | None = None
    for cell in wrong:
        diff = _difference(x[cell], y[cell])
        if diff is not None and (best is None or diff > best[0]):
            best = (diff, cell)
    return best


def worst_text(
    x: np.ndarray, y: np.ndarray, mask: np.ndarray, wrong: list[tuple[int, ...]], exact: bool
) -> str:
    """How far off an unexplained answer is: how many cells (``wrong``), the largest difference
    and where. ``exact``: both sides are exact numbers."""
    if y.ndim == 0:
        x, y, mask, wrong = x.reshape(1), y.reshape(1), mask.reshape(1), [(0,)]
    best = _largest_difference(x, y, mask, wrong)
    first = wrong[0]
    if y.size == 1:
        if best is None:
            return (
                f"your answer is {display_number(value_of(x[first]))} but the right value is "
                f"{display_number(value_of(y[first]))}"
            )
        return f"your answer is off by {_nice(best[0], exact)}"
    n = len(wrong)
    head = f"{n} of {y.size} cells {'is' if n == 1 else 'are'} wrong; "
    if best is None:
        return head + (
            f"at {cell_text(first)} your answer is {display_number(value_of(x[first]))} but the right "
            f"value is {display_number(value_of(y[first]))}"
        )
    largest = "largest " if n > 1 else ""
    return head + f"the {largest}difference is {_nice(best[0], exact)} at {cell_text(best[1])}"
