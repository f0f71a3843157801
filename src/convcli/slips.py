"""The answers a student is likely to have computed instead of the right one (check's suspects).

A slip is one familiar mistake: the other operation (the 180° turn), another mode or library's
'same' alignment, a transposed or quarter-turned kernel, a stride, padding or dilation off by
one, a forgotten or doubled bias; np.dot or the element-wise products instead of the sum. A
candidate is the result of one slip, or of two slips of different kinds (stride and padding both
forgotten, the flip and another mode).

Every candidate's shape is known from the geometry alone, and its value at a few cells is read
from the operands directly (``sample``), so check computes a whole candidate only when it could
match the answer.
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from . import ops
from .closeness import Expected, right_result
from .errors import ShapeError, UsageError
from .geometry import Layout, dot_matrices, dot_shape, lay_out_shapes
from .model import SLIDING, Convention, Kind, Mode, Op, OpOptions
from .numeric import is_zero
from .steps import CellWindows, cell_step, cell_windows
from .text import value_of, values_text

__all__ = ["Candidate", "candidates", "pairs", "shape_of", "sample", "sample_windows", "compute", "describe"]


_MODE_MEANS = {
    Mode.VALID: "valid keeps only the positions where the kernel lies inside A",
    Mode.SAME: "same keeps the output the size of A",
    Mode.FULL: "full keeps every position where the kernel overlaps A",
}

_DIRECTION = {1: "counterclockwise", -1: "clockwise"}

Pads = tuple[tuple[int, int], ...]


@dataclass(frozen=True)
class Candidate:
    """One neighbouring answer: ``op`` on ``a`` and ``b`` with ``options`` (the operands may be
    changed: B transposed, one channel...). ``op`` None is the element-wise products A*B."""

    key: str
    text: str
    op: Op | None
    a: np.ndarray
    b: np.ndarray
    options: OpOptions | None = None
    changed: bool = False  # whether a or b differ from the operands the user gave

    @functools.cached_property
    def layout(self) -> Layout:
        """The geometry of a sliding candidate (``lay_out_shapes``), laid out once: its shape and
        its sampled cells both read it."""
        assert self.op is not None and self.options is not None
        return lay_out_shapes(self.op, self.a.shape, self.b.shape, self.options)


# ---------------------------------------------------------------------------------------------
# words


def describe(op: Op, options: OpOptions) -> str:
    """``correlate (valid)`` or ``correlate (same, numpy's alignment, stride 2)``."""
    if op not in SLIDING:
        return str(op)
    parts = [str(options.mode)]
    if options.mode is Mode.SAME and options.convention is not Convention.SCIPY:
        parts.append(f"{options.convention}'s alignment")
    if any(s != 1 for s in options.stride):
        parts.append(f"stride {values_text(options.stride)}")
    if options.padding is not None:
        parts.append(f"padding {values_text(options.padding)}")
    if any(d != 1 for d in options.dilation):
        parts.append(f"dilation {values_text(options.dilation)}")
    return f"{op} ({', '.join(parts)})"


def _libraries(conventions: list[Convention]) -> str:
    names = [f"{c}'s" for c in conventions]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


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
# slips of the sliding operations


@dataclass(frozen=True)
class _Slip:
    """One mistake: what it changes (the operation, options, the kernel) and how to say it, alone
    (``text``) and as one of two (``clause``). Slips of one ``group`` do not combine."""

    group: str
    key: str
    text: str
    clause: str
    op: Op | None = None
    changes: dict[str, Any] = field(default_factory=dict)
    kernel: Callable[[np.ndarray], np.ndarray] | None = None
    alone: bool = True


def _alignments(
    op: Op, a: np.ndarray, b: np.ndarray, options: OpOptions
) -> tuple[Pads | None, list[tuple[list[Convention], Pads]]]:
    """The 'same' padding under ``options.convention`` and, grouped by padding, the conventions
    that pad differently (libraries that agree for this kernel are named together)."""
    base = replace(options, mode=Mode.SAME)
    try:
        given: Pads = lay_out_shapes(op, a.shape, b.shape, base).pads
    except (ShapeError, UsageError):
        return None, []
    groups: dict[Pads, list[Convention]] = {}
    for convention in Convention:
        try:
            pads: Pads = lay_out_shapes(op, a.shape, b.shape, replace(base, convention=convention)).pads
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


def _flip_words(op: Op) -> tuple[Op, str, str]:
    if op is Op.CONVOLVE:
        return Op.CORRELATE, "not-flipped", "the kernel was not turned 180°"
    return Op.CONVOLVE, "flipped", "the kernel was turned 180° but correlate does not turn it"


def _slips(op: Op, a: np.ndarray, b: np.ndarray, options: OpOptions) -> list[_Slip]:
    """Every single slip, in the order check tries them."""
    other, flip_key, flip_slip = _flip_words(op)
    mode = options.mode
    flip_clause = (
        "the kernel was not turned 180° (that is correlate)"
        if op is Op.CONVOLVE
        else "the kernel was turned 180° (that is convolve)"
    )
    slips = [_Slip("op", flip_key, f"your answer is {other}, not {op}: {flip_slip}", flip_clause, op=other)]
    for m in (m for m in Mode if m is not mode):
        slips.append(
            _Slip(
                "mode",
                "mode",
                f"your answer is {op} in {m} mode, not {mode} mode: {_MODE_MEANS[m]}",
                f"{m} mode instead of {mode}",
                changes={"mode": m},
            )
        )
    given, groups = _alignments(op, a, b, options)
    for conventions, pads in groups:
        assert given is not None
        mine, theirs = _sides(pads, given)
        if mode is Mode.SAME:
            slips.append(
                _Slip(
                    "convention",
                    "convention",
                    f"your answer uses {_libraries(conventions)} 'same' alignment ({mine}); "
                    f"{options.convention}'s {op} {theirs}",
                    f"{_libraries(conventions)} 'same' alignment instead of {options.convention}'s",
                    changes={"convention": conventions[0]},
                )
            )
        else:
            slips.append(
                _Slip(
                    "mode",
                    "mode",
                    f"your answer is {op} in same mode with {_libraries(conventions)} alignment ({mine}), "
                    f"not {mode} mode: {_MODE_MEANS[Mode.SAME]}",
                    f"same mode with {_libraries(conventions)} alignment instead of {mode} mode",
                    changes={"mode": Mode.SAME, "convention": conventions[0]},
                )
            )
    if b.ndim >= 2:
        slips += _kernel_slips(op)
    for stride in _variants(options.stride, 1):
        slips.append(
            _Slip(
                "stride",
                "stride",
                f"your answer is {op} with stride {values_text(stride)}, "
                f"not {values_text(options.stride)}: the window "
                f"moved by {values_text(stride)} instead of {values_text(options.stride)}",
                f"stride {values_text(stride)} instead of {values_text(options.stride)}",
                changes={"stride": stride},
            )
        )
    if mode is Mode.VALID:
        slips += _padding_slips(op, options)
    for dilation in _variants(options.dilation, 1):
        slips.append(
            _Slip(
                "dilation",
                "dilation",
                f"your answer is {op} with dilation {values_text(dilation)}, "
                f"not {values_text(options.dilation)}: the kernel's taps were {values_text(dilation)} "
                f"apart instead of {values_text(options.dilation)}",
                f"dilation {values_text(dilation)} instead of {values_text(options.dilation)}",
                changes={"dilation": dilation},
            )
        )
    slips += _bias_slips(options)
    return slips


def _kernel_slips(op: Op) -> list[_Slip]:
    slips = []
    if op is Op.CONVOLVE:
        slips.append(
            _Slip(
                "kernel",
                "transposed",
                "your answer slides the transposed kernel (B.T) over A: convolve turns the kernel "
                "180°, which is not a transpose",
                "the kernel was transposed (B.T) instead of turned 180°",
                op=Op.CORRELATE,
                kernel=_swap_last,
            )
        )
        slips.append(
            _Slip(
                "kernel",
                "transposed",
                "your answer is convolve with the transposed kernel (B.T): its rows and columns were swapped",
                "the kernel was transposed (B.T) before convolve turned it",
                kernel=_swap_last,
            )
        )
    else:
        slips.append(
            _Slip(
                "kernel",
                "transposed",
                "your answer slides the transposed kernel (B.T) over A: correlate neither transposes "
                "nor turns the kernel",
                "the kernel was transposed (B.T)",
                kernel=_swap_last,
            )
        )
    for k in (1, -1):
        # convolve turns the kernel once more by 180°: what slides over A is turned by k+2
        # quarter turns, so k=1 on B means the user slid B turned clockwise
        if op is Op.CONVOLVE:
            slid = _DIRECTION[-k]
            text = f"your answer slides the kernel turned 90° {slid} over A: convolve turns it 180°, not 90°"
            clause = f"the kernel was turned 90° {slid} instead of 180°"
        else:
            slid = _DIRECTION[k]
            text = (
                f"your answer slides the kernel turned 90° {slid} over A: correlate does not turn the kernel"
            )
            clause = f"the kernel was turned 90° {slid}"
        slips.append(_Slip("kernel", "rot90", text, clause, kernel=functools.partial(_turn, k=k)))
    return slips


def _padding_slips(op: Op, options: OpOptions) -> list[_Slip]:
    if options.padding is None:
        return [
            _Slip(
                "padding",
                "padding",
                f"your answer is {op} with padding 1, but no padding was asked for: A was padded by 1 "
                "on each side",
                "padding 1 where none was asked for",
                changes={"padding": (1,)},
            )
        ]
    given = options.padding
    paddings = _variants(given, 0)
    zero = (0,) * len(given)
    if zero != given and zero not in paddings:
        paddings.append(zero)
    slips = []
    for padding in paddings:
        if not any(padding):
            text = (
                f"your answer is {op} without padding, but padding {values_text(given)} was asked for: A was "
                "not padded"
            )
            clause = f"no padding instead of {values_text(given)}"
        else:
            text = (
                f"your answer is {op} with padding {values_text(padding)}, not {values_text(given)}: "
                f"A was padded by {values_text(padding)} on each side instead of {values_text(given)}"
            )
            clause = f"padding {values_text(padding)} instead of {values_text(given)}"
        slips.append(_Slip("padding", "padding", text, clause, changes={"padding": padding}))
    return slips


def _bias_slips(options: OpOptions) -> list[_Slip]:
    """A bias left out or added twice; alone, check finds these as constant offsets."""
    if not options.bias or all(is_zero(v) for v in options.bias):
        return []
    shown = values_text(options.bias)
    return [
        _Slip("bias", "bias", "", f"the bias {shown} left out", changes={"bias": ()}, alone=False),
        _Slip(
            "bias",
            "bias",
            "",
            f"the bias {shown} added twice",
            changes={"bias": tuple(v + v for v in options.bias)},
            alone=False,
        ),
    ]


# groups whose pairs are tried as single slips above (flip with a mode, flip with an alignment, a
# mode with an alignment)
_COVERED = {frozenset({"op", "mode"}), frozenset({"op", "convention"}), frozenset({"mode", "convention"})}


def _apply(op: Op, a: np.ndarray, b: np.ndarray, options: OpOptions, slips: tuple[_Slip, ...]) -> Candidate:
    changes: dict[str, Any] = {}
    kernel = b
    for slip in slips:
        if slip.op is not None:
            op = slip.op
        if slip.kernel is not None:
            kernel = slip.kernel(kernel)
        changes.update(slip.changes)
    if len(slips) == 1:
        key, text = slips[0].key, slips[0].text
    else:
        key = "+".join(s.key for s in slips)
        text = f"your answer has two slips: {slips[0].clause}, and {slips[1].clause}"
    return Candidate(key, text, op, a, kernel, replace(options, **changes), kernel is not b)


def _sliding_candidates(op: Op, a: np.ndarray, b: np.ndarray, options: OpOptions) -> Iterator[Candidate]:
    slips = _slips(op, a, b, options)
    alone = [s for s in slips if s.alone]
    first = [s for s in alone if s.group in ("op", "convention") or set(s.changes) == {"mode"}]
    later = [s for s in alone if s not in first]
    for slip in first:
        yield _apply(op, a, b, options, (slip,))
    # the flip with another mode or alignment, in words of their own
    other, flip_key, flip_slip = _flip_words(op)
    for m in (m for m in Mode if m is not options.mode):
        text = (
            f"your answer is {other} in {m} mode, not {op} in {options.mode} mode: {flip_slip}, and the "
            "mode differs"
        )
        yield Candidate(flip_key, text, other, a, b, replace(options, mode=m))
    if options.mode is Mode.SAME:
        given, groups = _alignments(other, a, b, options)
        for conventions, pads in groups:
            assert given is not None
            mine, _ = _sides(pads, given)
            text = (
                f"your answer is {other} with {_libraries(conventions)} 'same' alignment ({mine}), not "
                f"{op}: {flip_slip}"
            )
            yield Candidate(flip_key, text, other, a, b, replace(options, convention=conventions[0]))
    for slip in later:
        yield _apply(op, a, b, options, (slip,))


def pairs(op: Op, a: np.ndarray, b: np.ndarray, options: OpOptions) -> Iterator[Candidate]:
    """Two slips of different kinds at once (check tries them after every single explanation, so
    a slip that changes nothing for these inputs never appears in a pair)."""
    if op not in SLIDING:
        return
    slips = _slips(op, a, b, options)
    for one, two in itertools.combinations(slips, 2):
        if one.group != two.group and frozenset({one.group, two.group}) not in _COVERED:
            if not set(one.changes) & set(two.changes):
                yield _apply(op, a, b, options, (one, two))


# ---------------------------------------------------------------------------------------------
# all candidates


def _dot_text(op: Op) -> str:
    return (
        f"your answer is np.dot(A, B), a matrix product (rows of A times columns of B), but {op} "
        "adds up the products of entries that line up"
    )


_PRODUCTS_TEXT = "your answer is the element-wise products A*B: they still have to be added up"


def candidates(op: Op, a: np.ndarray, b: np.ndarray, options: OpOptions) -> Iterator[Candidate]:
    """The neighbours of the right answer to ``op`` on A and B that one slip makes, most likely
    first."""
    if op in SLIDING:
        yield from _sliding_candidates(op, a, b, options)
        yield Candidate("dot", _dot_text(op), Op.DOT, a, b)
        if a.shape == b.shape:
            yield Candidate("products", _PRODUCTS_TEXT, None, a, b)
        if options.channels and a.ndim == 3 and b.ndim == 3:
            alone = replace(options, channels=False)
            for channel in range(a.shape[0]):
                text = (
                    f"your answer uses channel {channel} only; a layer sums the products over all "
                    f"{a.shape[0]} channels"
                )
                yield Candidate("one-channel", text, op, a[channel], b[channel], alone, True)
        return
    if op is Op.ELEMENTWISE_SUM:
        text = (
            "your answer is convolve's value: the kernel was turned 180°, but elementwise-sum "
            "multiplies entries at the same positions"
        )
        yield Candidate("flipped", text, Op.CONVOLVE, a, b, OpOptions())
        if b.ndim >= 2:
            text = (
                "your answer multiplies A by the transposed kernel (B.T): elementwise-sum pairs "
                "entries at the same positions"
            )
            yield Candidate("transposed", text, Op.ELEMENTWISE_SUM, a, _swap_last(b), changed=True)
            for k in (1, -1):
                text = (
                    f"your answer multiplies A by the kernel turned 90° {_DIRECTION[k]}: elementwise-sum "
                    "does not turn the kernel"
                )
                yield Candidate("rot90", text, Op.ELEMENTWISE_SUM, a, _turn(b, k), changed=True)
        yield Candidate("products", _PRODUCTS_TEXT, None, a, b)
        yield Candidate("dot", _dot_text(op), Op.DOT, a, b)
        return
    text = (
        "your answer is the sum of the element-wise products (elementwise-sum), but np.dot "
        "multiplies rows of A by columns of B"
    )
    yield Candidate("elementwise-sum", text, Op.ELEMENTWISE_SUM, a, b)
    text = "your answer is the element-wise product A*B, but np.dot multiplies rows of A by columns of B"
    yield Candidate("products", text, None, a, b)
    text = (
        "your answer is np.dot(B, A): the operands were swapped, and a matrix product depends on their order"
    )
    yield Candidate("order", text, Op.DOT, b, a, changed=True)
    if b.ndim >= 2:
        text = "your answer is np.dot(A, B.T): B was transposed before the product"
        yield Candidate("transposed", text, Op.DOT, a, _swap_last(b), changed=True)


# ---------------------------------------------------------------------------------------------
# a candidate's shape, a few of its cells, the whole of it


def shape_of(c: Candidate) -> tuple[int, ...] | None:
    """The candidate's shape from the geometry alone, or None when its operation refuses."""
    if c.a.size == 0 or c.b.size == 0:
        return None
    if c.op in SLIDING:
        assert c.op is not None and c.options is not None
        try:
            return c.layout.result_shape(c.a.shape, c.b.shape)
        except (ShapeError, UsageError):
            return None
    if c.op is Op.DOT:
        return dot_shape(c.a.shape, c.b.shape)
    if c.a.shape != c.b.shape:
        return None
    return () if c.op is Op.ELEMENTWISE_SUM else tuple(c.a.shape)


def _size(values: list[Any], kind: Kind) -> float:
    """The sum of |values|: a cell's scale (only floats need one, and exact integers may be too
    large for a float)."""
    return sum(abs(complex(v)) for v in values) if kind in (Kind.FLOAT, Kind.COMPLEX) else 0.0


def _sum_and_size(products: list[Any], kind: Kind) -> tuple[Any, float]:
    total = products[0]
    for p in products[1:]:
        total = total + p
    return total, _size(products, kind)


def sample(c: Candidate, cells: list[tuple[int, ...]], kind: Kind) -> Iterator[tuple[Any, float]]:
    """The candidate's value at each of ``cells`` and its scale (the sum of |products|), computed
    from the operands directly, one cell at a time (a caller may stop at the first that
    disagrees). ``kind`` is the result's kind, the operands already in it."""
    if c.op in SLIDING:
        assert c.op is not None
        yield from sample_windows(cell_windows(c.op, c.a, c.b, c.options, kind=kind, layout=c.layout), cells)
    elif c.op is Op.DOT:
        a2, b2 = dot_matrices(c.a, c.b)
        for cell in cells:
            i = cell[0] if c.a.ndim == 2 and cell else 0
            j = cell[-1] if c.b.ndim == 2 and cell else 0
            row, column = a2[i].tolist(), b2[:, j].tolist()
            yield _sum_and_size([x * w for x, w in zip(row, column, strict=True)], kind)
    elif c.op is Op.ELEMENTWISE_SUM:
        _, expected = compute(c)
        yield expected.value[()], 0.0 if expected.scale is None else float(expected.scale)
    else:
        for cell in cells:
            yield _sum_and_size([value_of(c.a[cell]) * value_of(c.b[cell])], kind)


def sample_windows(g: CellWindows, cells: list[tuple[int, ...]]) -> Iterator[tuple[Any, float]]:
    """The value and scale of convolve or correlate at each of ``cells``, from its cell windows
    (laid out once for any number of cells), one cell at a time."""
    bias = g.options.bias
    for cell in cells:
        step = cell_step(g, cell)
        terms = step.products.ravel().tolist()
        if bias:
            f, _ = g.filter_and_place(cell)
            terms.append(bias[f if len(bias) > 1 else 0])
        yield step.value, _size(terms, g.kind)


def compute(c: Candidate) -> tuple[np.ndarray, Expected]:
    """The whole candidate, and what judging an answer against it takes."""
    if c.op is None:
        products = ops.elementwise_sum(c.a, c.b).products
        assert products is not None
        value = np.asarray(products)
        if value.dtype.kind in "fc":
            return value, Expected(value, np.abs(value))
        return value, Expected(value)
    result, expected = right_result(c.op, c.a, c.b, c.options)
    return result.value, expected
