"""check: is an answer right, and if not, which familiar mistake produces it.

``check`` computes the right result with ``ops.run``, compares the answer with it cell by cell
(exactly for integers and fractions, within a relative tolerance for floats), and when the answer
is wrong it tries the neighbouring answers a student is likely to have computed instead: the
other operation (the 180° turn), the other modes and libraries' 'same' alignments, a transposed
or quarter-turned kernel, stride/padding/dilation off by one, np.dot, a constant offset, a scale
factor. The first neighbour the answer equals is the diagnosis.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from fractions import Fraction
from typing import Any

import numpy as np

from . import ops
from .closeness import all_equal, core_shape, equal, inexact, number_kind
from .errors import ShapeError, UsageError
from .model import Convention, Kind, Mode, Op, OpOptions, Result
from .numbers import abs_max, display_number, value_of

__all__ = ["Diagnosis", "CheckReport", "check"]

# Above this many cells (in A, B, the answer or the result) or this much sliding work (A.size x
# B.size), only the candidates that cost no more than the check itself are tried.
_LARGE_CELLS = 10**6
_LARGE_WORK = 10**8

# A float answer within this of 1 times the right one is inaccurate, not scaled by a factor.
_NOT_A_FACTOR = 1e-6

_SLIDING = (Op.CONVOLVE, Op.CORRELATE)

_MODE_MEANS = {
    Mode.VALID: "valid keeps only the positions where the kernel lies inside A",
    Mode.SAME: "same keeps the output the size of A",
    Mode.FULL: "full keeps every position where the kernel overlaps A",
}


@dataclass(frozen=True)
class Diagnosis:
    """The neighbouring answer that the user's answer equals, and the slip it points to.

    ``op`` and ``options`` are set when running that operation with those options on the same A
    and B reproduces the answer (a wrong mode, stride, convention, the other operation); they are
    None when the neighbour needs a changed kernel (B.T, a 90° turn) or arithmetic on the result
    (offset, scale). np.dot has no options: ``op`` is DOT and ``options`` None.
    """

    key: str
    text: str
    options: OpOptions | None
    op: Op | None


@dataclass(frozen=True)
class CheckReport:
    """The verdict on one answer.

    ``wrong`` lists the cells (indices into ``expected.value``; ``()`` for a scalar) where the
    answer differs; it is empty when the shapes differ, and ``shape_mismatch`` says how. ``worst``
    says how far off the answer is when no diagnosis explains it and the shapes agree.
    """

    match: bool
    expected: Result
    answer: np.ndarray
    wrong: list[tuple[int, ...]]
    shape_mismatch: str | None
    diagnosis: Diagnosis | None
    worst: str | None


# ---------------------------------------------------------------------------------------------
# words


def _shape_words(shape: tuple[int, ...]) -> str:
    return "a single number" if not core_shape(shape) and len(shape) <= 1 else ops.shape_text(shape)


def _ints(values: tuple[int, ...]) -> str:
    return ",".join(str(v) for v in values)


def _cell(index: tuple[int, ...]) -> str:
    return "[" + ", ".join(str(i) for i in index) + "]"


def _nice(v: Any, exact: bool, digits: int = 6) -> str:
    """A number for a sentence: exact ones in full, floats as a short decimal or a small fraction
    (0.1111111111 reads as 1/9)."""
    v = value_of(v)
    if exact or not isinstance(v, float) or not math.isfinite(v):
        return display_number(v, digits=digits)
    fraction = Fraction(v).limit_denominator(1000)
    if abs(float(fraction) - v) > 1e-9 * max(abs(v), 1.0):
        return display_number(v, digits=digits)
    if fraction.denominator == 1:
        return str(fraction.numerator)
    short = repr(float(fraction))
    return short if len(short) <= 6 else str(fraction)


def _describe(op: Op, options: OpOptions) -> str:
    """``correlate (valid)`` or ``correlate (same, numpy's alignment, stride 2)``."""
    if op not in _SLIDING:
        return str(op)
    parts = [str(options.mode)]
    if options.mode is Mode.SAME and options.convention is not Convention.SCIPY:
        parts.append(f"{options.convention}'s alignment")
    if any(s != 1 for s in options.stride):
        parts.append(f"stride {_ints(options.stride)}")
    if options.padding is not None:
        parts.append(f"padding {_ints(options.padding)}")
    if any(d != 1 for d in options.dilation):
        parts.append(f"dilation {_ints(options.dilation)}")
    return f"{op} ({', '.join(parts)})"


def _libraries(conventions: list[Convention]) -> str:
    names = [f"{c}'s" for c in conventions]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


Pads = tuple[tuple[int, int], ...]


def _sides(pads: Pads, given: Pads) -> tuple[str, str]:
    """Where the extra zero of 'same' goes, for a candidate's padding and for the given one, on
    the first axis where they differ (they differ only for even kernels, or tensorflow's strides)."""
    for (before, after), (g_before, g_after) in zip(pads, given, strict=True):
        if (before, after) == (g_before, g_after):
            continue
        if before > after:
            mine = "extra zero before"
        elif after > before:
            mine = "extra zero after"
        else:
            mine = "even padding"
        it = "it" if before != after else "the extra zero"
        if g_before > g_after:
            theirs = f"puts {it} before"
        elif g_after > g_before:
            theirs = f"puts {it} after"
        else:
            theirs = "pads evenly"
        return mine, theirs
    return "the same padding", "pads the same"


# ---------------------------------------------------------------------------------------------
# the candidates


@dataclass(frozen=True)
class _Candidate:
    key: str
    text: str
    compute: Callable[[], np.ndarray]
    op: Op | None = None
    options: OpOptions | None = None
    # the number of cells the candidate would have, found without computing it (None: unknown)
    cells: Callable[[], int] | None = None


def _sliding(
    key: str,
    text: str,
    op: Op,
    a: np.ndarray,
    b: np.ndarray,
    options: OpOptions,
    *,
    reproduces: bool = True,
) -> _Candidate:
    def compute() -> np.ndarray:
        return ops.run(op, a, b, options).value

    def cells() -> int:
        p = ops.plan(op, a, b, options)
        return p.filters * math.prod(p.out_shape)

    return _Candidate(key, text, compute, op if reproduces else None, options if reproduces else None, cells)


def _value(key: str, text: str, fn: Callable[[], np.ndarray], op: Op | None = None) -> _Candidate:
    return _Candidate(key, text, fn, op)


def _alignments(
    op: Op, a: np.ndarray, b: np.ndarray, options: OpOptions
) -> tuple[Pads | None, list[tuple[list[Convention], Pads]]]:
    """The 'same' padding under ``options.convention`` and, grouped by padding, the conventions
    that pad differently (libraries that agree for this kernel are named together)."""
    base = replace(options, mode=Mode.SAME)
    try:
        given: Pads = ops.plan(op, a, b, base).pads
    except (ShapeError, UsageError):
        return None, []
    groups: dict[Pads, list[Convention]] = {}
    for convention in Convention:
        try:
            pads: Pads = ops.plan(op, a, b, replace(base, convention=convention)).pads
        except (ShapeError, UsageError):
            continue
        if pads != given:
            groups.setdefault(pads, []).append(convention)
    return given, [(conventions, pads) for pads, conventions in groups.items()]


def _variants(values: tuple[int, ...], minimum: int) -> list[tuple[int, ...]]:
    """``values`` one less and one more: all axes at once first, then one axis at a time."""
    out: list[tuple[int, ...]] = []
    tries = [tuple(v + d for v in values) for d in (-1, 1)]
    if len(values) > 1:
        for i in range(len(values)):
            for d in (-1, 1):
                tries.append(values[:i] + (values[i] + d,) + values[i + 1 :])
    for t in tries:
        if all(v >= minimum for v in t) and t != values and t not in out:
            out.append(t)
    return out


def _swap_last(b: np.ndarray) -> np.ndarray:
    return np.swapaxes(b, -1, -2)


def _turn(b: np.ndarray, k: int) -> np.ndarray:
    return np.rot90(b, k, axes=(b.ndim - 2, b.ndim - 1))


_DIRECTION = {1: "counterclockwise", -1: "clockwise"}


def _sliding_candidates(
    op: Op, a: np.ndarray, b: np.ndarray, options: OpOptions, large: bool
) -> Iterator[_Candidate]:
    other = Op.CORRELATE if op is Op.CONVOLVE else Op.CONVOLVE
    if op is Op.CONVOLVE:
        flip_key, flip_slip = "not-flipped", "the kernel was not turned 180°"
    else:
        flip_key, flip_slip = "flipped", "the kernel was turned 180° but correlate does not turn it"
    mode = options.mode

    yield _sliding(flip_key, f"your answer is {other}, not {op}: {flip_slip}", other, a, b, options)
    if large:
        return

    other_modes = [m for m in Mode if m is not mode]
    for m in other_modes:
        text = f"your answer is {op} in {m} mode, not {mode} mode: {_MODE_MEANS[m]}"
        yield _sliding("mode", text, op, a, b, replace(options, mode=m))

    if mode is Mode.SAME:
        given, groups = _alignments(op, a, b, options)
        for conventions, pads in groups:
            assert given is not None
            mine, theirs = _sides(pads, given)
            text = (
                f"your answer uses {_libraries(conventions)} 'same' alignment ({mine}); "
                f"{options.convention}'s {op} {theirs}"
            )
            yield _sliding("convention", text, op, a, b, replace(options, convention=conventions[0]))

    for m in other_modes:
        text = (
            f"your answer is {other} in {m} mode, not {op} in {mode} mode: {flip_slip}, and the mode differs"
        )
        yield _sliding(flip_key, text, other, a, b, replace(options, mode=m))
    if mode is Mode.SAME:
        given, groups = _alignments(other, a, b, options)
        for conventions, pads in groups:
            assert given is not None
            mine, _ = _sides(pads, given)
            text = (
                f"your answer is {other} with {_libraries(conventions)} 'same' alignment ({mine}), "
                f"not {op}: {flip_slip}"
            )
            yield _sliding(flip_key, text, other, a, b, replace(options, convention=conventions[0]))
    else:
        given, groups = _alignments(op, a, b, options)
        for conventions, pads in groups:
            assert given is not None
            mine, _ = _sides(pads, given)
            text = (
                f"your answer is {op} in same mode with {_libraries(conventions)} alignment ({mine}), "
                f"not {mode} mode: {_MODE_MEANS[Mode.SAME]}"
            )
            same = replace(options, mode=Mode.SAME, convention=conventions[0])
            yield _sliding("mode", text, op, a, b, same)

    if b.ndim >= 2:
        bt = _swap_last(b)
        if op is Op.CONVOLVE:
            text = (
                "your answer slides the transposed kernel (B.T) over A: convolve turns the kernel "
                "180°, which is not a transpose"
            )
            yield _sliding("transposed", text, Op.CORRELATE, a, bt, options, reproduces=False)
            text = (
                "your answer is convolve with the transposed kernel (B.T): its rows and columns were swapped"
            )
            yield _sliding("transposed", text, Op.CONVOLVE, a, bt, options, reproduces=False)
        else:
            text = (
                "your answer slides the transposed kernel (B.T) over A: correlate neither transposes "
                "nor turns the kernel"
            )
            yield _sliding("transposed", text, Op.CORRELATE, a, bt, options, reproduces=False)
        for k in (1, -1):
            # convolve turns the kernel once more by 180°: what slides over A is turned by k+2
            # quarter turns, so k=1 on B means the user slid B turned clockwise
            if op is Op.CONVOLVE:
                slid = _DIRECTION[-k]
                text = (
                    f"your answer slides the kernel turned 90° {slid} over A: convolve turns it 180°, not 90°"
                )
            else:
                slid = _DIRECTION[k]
                text = (
                    f"your answer slides the kernel turned 90° {slid} over A: correlate does not turn "
                    "the kernel"
                )
            yield _sliding("rot90", text, op, a, _turn(b, k), options, reproduces=False)

    for stride in _variants(options.stride, 1):
        text = (
            f"your answer is {op} with stride {_ints(stride)}, not {_ints(options.stride)}: the window "
            f"moved by {_ints(stride)} instead of {_ints(options.stride)}"
        )
        yield _sliding("stride", text, op, a, b, replace(options, stride=stride))

    if mode is Mode.VALID:
        if options.padding is None:
            text = (
                f"your answer is {op} with padding 1, but no padding was asked for: A was padded by 1 "
                "on each side"
            )
            yield _sliding("padding", text, op, a, b, replace(options, padding=(1,)))
        else:
            given_padding = options.padding
            paddings = _variants(given_padding, 0)
            zero = (0,) * len(given_padding)
            if zero != given_padding and zero not in paddings:
                paddings.append(zero)
            for padding in paddings:
                if not any(padding):
                    text = (
                        f"your answer is {op} without padding, but padding {_ints(given_padding)} was "
                        "asked for: A was not padded"
                    )
                else:
                    text = (
                        f"your answer is {op} with padding {_ints(padding)}, not {_ints(given_padding)}: "
                        f"A was padded by {_ints(padding)} on each side instead of {_ints(given_padding)}"
                    )
                yield _sliding("padding", text, op, a, b, replace(options, padding=padding))

    for dilation in _variants(options.dilation, 1):
        text = (
            f"your answer is {op} with dilation {_ints(dilation)}, not {_ints(options.dilation)}: the "
            f"kernel's taps were {_ints(dilation)} apart instead of {_ints(options.dilation)}"
        )
        yield _sliding("dilation", text, op, a, b, replace(options, dilation=dilation))


def _dot_text(op: Op) -> str:
    return (
        f"your answer is np.dot(A, B), a matrix product (rows of A times columns of B), but {op} "
        "adds up the products of entries that line up"
    )


_PRODUCTS_TEXT = "your answer is the element-wise products A*B: they still have to be added up"


def _candidates(
    op: Op, a: np.ndarray, b: np.ndarray, options: OpOptions, large: bool
) -> Iterator[_Candidate]:
    if op in _SLIDING:
        yield from _sliding_candidates(op, a, b, options, large)
        if large:
            return
        yield _value("dot", _dot_text(op), lambda: ops.dot(a, b).value, Op.DOT)
        if a.shape == b.shape:
            yield _value("products", _PRODUCTS_TEXT, lambda: _products(a, b))
        return
    if op is Op.ELEMENTWISE_SUM:
        text = (
            "your answer is convolve's value: the kernel was turned 180°, but elementwise-sum "
            "multiplies entries at the same positions"
        )
        yield _Candidate(
            "flipped", text, lambda: ops.convolve(a, b, OpOptions()).value, Op.CONVOLVE, OpOptions()
        )
        if large:
            return
        if b.ndim >= 2:
            text = (
                "your answer multiplies A by the transposed kernel (B.T): elementwise-sum pairs "
                "entries at the same positions"
            )
            yield _value("transposed", text, lambda: ops.elementwise_sum(a, _swap_last(b)).value)
            for k in (1, -1):
                text = (
                    f"your answer multiplies A by the kernel turned 90° {_DIRECTION[k]}: elementwise-sum "
                    "does not turn the kernel"
                )
                yield _value("rot90", text, lambda k=k: ops.elementwise_sum(a, _turn(b, k)).value)
        yield _value("products", _PRODUCTS_TEXT, lambda: _products(a, b))
        yield _value("dot", _dot_text(op), lambda: ops.dot(a, b).value, Op.DOT)
        return
    if large:
        return
    text = (
        "your answer is the sum of the element-wise products (elementwise-sum), but np.dot "
        "multiplies rows of A by columns of B"
    )
    yield _value("elementwise-sum", text, lambda: ops.elementwise_sum(a, b).value, Op.ELEMENTWISE_SUM)
    text = "your answer is the element-wise product A*B, but np.dot multiplies rows of A by columns of B"
    yield _value("products", text, lambda: _products(a, b))
    text = (
        "your answer is np.dot(B, A): the operands were swapped, and a matrix product depends on their order"
    )
    yield _value("order", text, lambda: ops.dot(b, a).value)
    if b.ndim >= 2:
        text = "your answer is np.dot(A, B.T): B was transposed before the product"
        yield _value("transposed", text, lambda: ops.dot(a, _swap_last(b)).value)


def _products(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    products = ops.elementwise_sum(a, b).products
    assert products is not None
    return np.asarray(products)


# ---------------------------------------------------------------------------------------------
# offset and scale: arithmetic on the right result


def _exact_numbers(x: np.ndarray) -> list[Any]:
    return [value_of(v) for v in x.flat]


def _offset(x: np.ndarray, y: np.ndarray, exact: bool, options: OpOptions, tolerance: float) -> str | None:
    """The sentence for ``x == y + c`` with one constant c != 0 in every cell, else None."""
    if exact:
        if x.dtype.kind in "iu" and y.dtype.kind in "iu" and max(abs_max(x), abs_max(y)) < 2**62:
            d = x.astype(np.int64) - y.astype(np.int64)
            c: Any = int(d.flat[0])
            if not bool((d == c).all()):
                return None
        else:
            diffs = [u - v for u, v in zip(_exact_numbers(x), _exact_numbers(y), strict=True)]
            c = diffs[0]
            if any(d != c for d in diffs):
                return None
        if c == 0:
            return None
    else:
        with np.errstate(all="ignore"):
            c = value_of((x - y).flat[0])
            if not np.isfinite(c) or all_equal(x, y, tolerance) or not all_equal(x, y + c, tolerance):
                return None
    if isinstance(c, complex):
        if c.imag == 0:
            c = c.real
        else:
            return f"every cell is off by {display_number(c)}: a missing or extra constant?"
    size = _nice(abs(c), exact)
    bias = options.bias[0] if len(options.bias) == 1 else None
    if bias is not None and not all_equal(np.asarray(bias), np.asarray(0), tolerance):
        if all_equal(np.asarray(-c), np.asarray(bias), tolerance):
            return f"every cell is off by -{size}: the bias {display_number(bias)} was left out"
        if all_equal(np.asarray(c), np.asarray(bias), tolerance):
            return f"every cell is off by +{size}: the bias {display_number(bias)} was added twice"
    if c > 0:
        return f"every cell is off by +{size}: an extra bias, or one added twice?"
    return f"every cell is off by -{size}: a missing bias?"


def _scale(x: np.ndarray, y: np.ndarray, exact: bool, tolerance: float) -> str | None:
    """The sentence for ``x == s * y`` with one factor s != 1 (and != 0), else None."""
    if exact:
        nonzero = [i for i, v in enumerate(y.flat) if v != 0][:1] if y.dtype == object else np.flatnonzero(y)
        if len(nonzero) == 0:
            return None
        pivot = int(nonzero[0])
        s: Any = Fraction(value_of(x.flat[pivot])) / Fraction(value_of(y.flat[pivot]))
        if s in (0, 1):
            return None
        num, den = s.numerator, s.denominator
        if (
            x.dtype.kind in "iu"
            and y.dtype.kind in "iu"
            and max(abs_max(x) * den, abs_max(y) * abs(num)) < 2**62
        ):
            if not np.array_equal(x.astype(np.int64) * den, y.astype(np.int64) * num):
                return None
        elif any(u * den != v * num for u, v in zip(_exact_numbers(x), _exact_numbers(y), strict=True)):
            return None
        factor = s.numerator if s.denominator == 1 else s
        inverse: Any = 1 / s
        inverse = inverse.numerator if inverse.denominator == 1 else inverse
    else:
        with np.errstate(all="ignore"):
            magnitude = np.where(np.isfinite(y), np.abs(y), 0)
            pivot = int(np.argmax(magnitude))
            if magnitude.flat[pivot] == 0:
                return None
            s = value_of(x.flat[pivot] / y.flat[pivot])
            if (
                not np.isfinite(s)
                or s == 0
                or abs(s - 1) <= max(tolerance, _NOT_A_FACTOR)
                or not all_equal(x, y * s, tolerance)
            ):
                return None
            if isinstance(s, complex) and s.imag == 0:
                s = s.real
            if isinstance(s, complex):
                return f"your answer is {display_number(s)} times the right one: a stray complex factor"
            factor, inverse = s, 1 / s
    # enough digits that a factor near 1 does not read as 1
    shown, shown_inverse = _nice(factor, exact, 10), _nice(inverse, exact, 10)
    if s == -1:
        return "your answer is -1 times the right one: every sign is flipped"
    if s < 0:
        return f"your answer is {shown} times the right one: a wrong sign and a stray factor"
    if s > 1:
        return (
            f"your answer is {shown} times the right one: a forgotten normalisation such as {shown_inverse}"
        )
    return (
        f"your answer is {shown} of the right one, which is {shown_inverse} times larger: an extra "
        f"normalisation such as {shown}"
    )


# ---------------------------------------------------------------------------------------------
# how far off


def _difference(u: Any, v: Any) -> Any:
    """|u - v| as a comparable real number, or None (nan, inf, symbols)."""
    u, v = value_of(u), value_of(v)
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


def _largest_difference(x: np.ndarray, y: np.ndarray, mask: np.ndarray) -> tuple[Any, tuple[int, ...]] | None:
    """The largest finite |x - y| among the cells where ``mask`` is False, and its cell."""
    wrong = ~mask
    if x.dtype != object and y.dtype != object:
        # numeric arrays: one vectorised pass (a large answer may have a million wrong cells)
        dtype = np.result_type(x.dtype, y.dtype, np.float64)
        with np.errstate(all="ignore"):
            d = np.abs(x.astype(dtype) - y.astype(dtype))
        usable = wrong & np.isfinite(d)
        if not usable.any():
            return None
        flat = int(np.argmax(np.where(usable, d, -1.0)))
        index = tuple(int(i) for i in np.unravel_index(flat, y.shape))
        u, v = value_of(x[index]), value_of(y[index])
        if isinstance(u, int) and isinstance(v, int):
            return abs(u - v), index
        return value_of(d[index]), index
    best: tuple[Any, tuple[int, ...]] | None = None
    for index in zip(*np.nonzero(wrong), strict=True):
        cell = tuple(int(i) for i in index)
        diff = _difference(x[cell], y[cell])
        if diff is not None and (best is None or diff > best[0]):
            best = (diff, cell)
    return best


def _worst(x: np.ndarray, y: np.ndarray, mask: np.ndarray) -> str:
    """How far off an unexplained answer is: how many cells, the largest difference and where."""
    exact = number_kind(x, "the answer").exact and number_kind(y, "the result").exact
    if y.ndim == 0:
        x, y, mask = x.reshape(1), y.reshape(1), mask.reshape(1)
    best = _largest_difference(x, y, mask)
    first = tuple(int(i) for i in np.argwhere(~mask)[0])
    if y.size == 1:
        if best is None:
            return (
                f"your answer is {display_number(value_of(x[first]))} but the right value is "
                f"{display_number(value_of(y[first]))}"
            )
        return f"your answer is off by {_nice(best[0], exact)}"
    n = int(np.count_nonzero(~mask))
    head = f"{n} of {y.size} cells {'is' if n == 1 else 'are'} wrong; "
    if best is None:
        return head + (
            f"at {_cell(first)} your answer is {display_number(value_of(x[first]))} but the right "
            f"value is {display_number(value_of(y[first]))}"
        )
    largest = "largest " if n > 1 else ""
    return head + f"the {largest}difference is {_nice(best[0], exact)} at {_cell(best[1])}"


# ---------------------------------------------------------------------------------------------
# check


def _diagnose(
    a: np.ndarray,
    b: np.ndarray,
    answer: np.ndarray,
    expected: Result,
    op: Op,
    options: OpOptions,
    tolerance: float,
) -> Diagnosis | None:
    large = (
        max(a.size, b.size, answer.size, expected.value.size) > _LARGE_CELLS or a.size * b.size > _LARGE_WORK
    )
    for candidate in _candidates(op, a, b, options, large):
        try:
            with np.errstate(all="ignore"):
                if candidate.cells is not None and candidate.cells() != answer.size:
                    continue
                value = candidate.compute()
        except (ShapeError, UsageError):
            continue
        if all_equal(answer, value, tolerance):
            return Diagnosis(candidate.key, candidate.text, candidate.options, candidate.op)
    found = _answer_slips(a, b, answer, expected, op, options, tolerance)
    if found is not None:
        return found
    y = expected.value
    if y.size < 2 or core_shape(answer.shape) != core_shape(y.shape):
        # every wrong number is an offset and a multiple of the right one: no news
        return None
    x = answer.reshape(y.shape)
    kinds = (number_kind(x, "the answer"), number_kind(y, "the result"))
    if Kind.SYMBOLIC in kinds:
        return None
    exact = all(k.exact for k in kinds)
    if not exact:
        dtype = np.complex128 if Kind.COMPLEX in kinds else np.float64
        x, y = inexact(x, dtype), inexact(y, dtype)
    text = _offset(x, y, exact, options, tolerance)
    if text is not None:
        return Diagnosis("offset", text, None, None)
    text = _scale(x, y, exact, tolerance)
    if text is not None:
        return Diagnosis("scale", text, None, None)
    return None


def _answer_slips(
    a: np.ndarray,
    b: np.ndarray,
    answer: np.ndarray,
    expected: Result,
    op: Op,
    options: OpOptions,
    tolerance: float,
) -> Diagnosis | None:
    """Slips in writing the answer down rather than in computing it: the right numbers
    transposed or in another shape, rounded, or (with channels) not summed over depth."""
    y = expected.value
    if answer.ndim == 2 and y.ndim == 2 and answer.shape == y.shape[::-1] and answer.shape != y.shape:
        if all_equal(answer.T, y, tolerance):
            return Diagnosis(
                "answer-transposed",
                "your answer is the right result transposed: rows and columns swapped",
                None,
                None,
            )
    if answer.ndim == 2 and y.ndim == 2 and answer.shape == y.shape and answer.shape[0] == answer.shape[1]:
        if y.size > 1 and not all_equal(y.T, y, tolerance) and all_equal(answer.T, y, tolerance):
            return Diagnosis(
                "answer-transposed",
                "your answer is the right result transposed: rows and columns swapped",
                None,
                None,
            )
    if answer.size == y.size and core_shape(answer.shape) != core_shape(y.shape) and y.size > 1:
        if all_equal(answer.reshape(y.shape), y, tolerance):
            return Diagnosis(
                "reshaped",
                f"your answer has the right numbers in the wrong shape: {_shape_words(answer.shape)} "
                f"instead of {_shape_words(y.shape)}",
                None,
                None,
            )
    if options.channels and op in _SLIDING and answer.ndim == 3 and y.ndim == 2:
        c = answer.shape[0]
        if answer.shape[1:] == y.shape and c > 1 and all_equal(answer.sum(axis=0), y, tolerance):
            return Diagnosis(
                "channels-not-summed",
                f"your answer holds the {c} per-channel maps, and they are right, but a layer adds them: "
                "the sum over channels is the answer",
                None,
                None,
            )
    if options.channels and op in _SLIDING and answer.shape == y.shape and a.ndim == 3 and b.ndim == 3:
        for channel in range(a.shape[0]):
            try:
                alone = ops.run(op, a[channel], b[channel], replace(options, channels=False)).value
            except (ShapeError, UsageError):
                break
            if all_equal(answer, alone, tolerance):
                return Diagnosis(
                    "one-channel",
                    f"your answer uses channel {channel} only; a layer sums the products over all "
                    f"{a.shape[0]} channels",
                    None,
                    None,
                )
    if core_shape(answer.shape) == core_shape(y.shape) and tolerance < 1e-3:
        kinds = {number_kind(answer, "the answer"), number_kind(y, "the result")}
        if Kind.SYMBOLIC not in kinds and kinds & {Kind.FLOAT, Kind.COMPLEX, Kind.RATIONAL}:
            for loose in (1e-8, 1e-6, 1e-4, 1e-3):
                if loose > tolerance and all_equal(answer.reshape(y.shape), y, loose):
                    return Diagnosis(
                        "rounded",
                        f"your answer is right to a relative {loose:g}: rounded? --tolerance {loose:g} "
                        "accepts it",
                        None,
                        None,
                    )
    return None


def check(
    a: np.ndarray,
    b: np.ndarray,
    answer: Any,
    op: Op,
    options: OpOptions,
    *,
    tolerance: float = 1e-9,
) -> CheckReport:
    """Is ``answer`` the result of ``op`` on A and B with ``options``? If not, why not.

    Parameters
    ----------
    a, b : ndarray
        The operands, of any number kind.
    answer : array_like
        The answer to check; a scalar answer may be a number, a 1-element vector or a 1x1 matrix.
    op : Op
        The operation the answer claims to be.
    options : OpOptions
        Mode, convention, stride, padding, dilation... as for :func:`convcli.ops.run`.
    tolerance : float
        Relative tolerance for float and complex cells (exact kinds compare exactly).

    Returns
    -------
    CheckReport
        ``match``, the right result, the wrong cells or the shape mismatch, and the first
        neighbouring answer (the other operation, mode, 'same' convention, transposed or turned
        kernel, stride/padding/dilation off by one, np.dot, an offset, a scale) that the answer
        equals, or how far off it is.

    Examples
    --------
    >>> import numpy as np
    >>> x, k = np.array([1, 2, 3, 4, 5]), np.array([1, 2])
    >>> check(x, k, np.array([1, 4, 7, 10, 13]), Op.CORRELATE, OpOptions(mode=Mode.SAME)).diagnosis.key
    'flipped'
    """
    if not (isinstance(tolerance, int | float) and math.isfinite(tolerance) and tolerance >= 0):
        raise UsageError(f"--tolerance takes a finite number >= 0, got {tolerance}")
    options = options or OpOptions()
    answer = np.asarray(answer)
    number_kind(answer, "the answer")
    if answer.size == 0:
        raise UsageError("the answer is empty")
    expected = ops.run(op, a, b, options)
    y = expected.value
    mask = equal(answer, y, tolerance=tolerance)
    if mask is not None and bool(mask.all()):
        return CheckReport(True, expected, answer, [], None, None, None)
    if mask is None:
        wrong: list[tuple[int, ...]] = []
        mismatch: str | None = (
            f"your answer is {_shape_words(answer.shape)} but {_describe(op, options)} gives "
            f"{_shape_words(y.shape)}"
        )
    else:
        wrong = [()] if mask.ndim == 0 else [tuple(idx) for idx in np.argwhere(~mask).tolist()]
        mismatch = None
    diagnosis = _diagnose(a, b, answer, expected, op, options, tolerance)
    worst = None
    if diagnosis is None and mask is not None:
        worst = _worst(answer.reshape(y.shape), y, mask)
    return CheckReport(False, expected, answer, wrong, mismatch, diagnosis, worst)
