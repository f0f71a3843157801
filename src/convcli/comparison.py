"""compare: the four operations side by side, and how they relate for these particular inputs.

Explanations are data (``Fact``); render.py and formats.py decide how they look.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from . import geometry, ops
from .closeness import TOLERANCE, Expected, all_equal, scale_of
from .errors import ShapeError, UsageError
from .model import Comparison, Convention, Fact, Kind, Mode, Op, OpOptions, Result, Undefined
from .numeric import common_kind, kind_of
from .text import format_number, matrix_text, shape_text

__all__ = ["compare", "compare_conventions", "ConventionComparison", "ConventionRow"]


def compare(a: np.ndarray, b: np.ndarray, options: OpOptions | None = None) -> Comparison:
    """Run convolve, correlate, elementwise-sum and dot on A and B; explain how they relate.

    An operation that is undefined for these shapes is kept as the sentence saying why.
    """
    options = options or OpOptions()
    results: dict[Op, Result | Undefined] = {}
    for op in Op:
        try:
            results[op] = ops.run(op, a, b, options)
        except ShapeError as exc:
            results[op] = Undefined(exc.message, exc.short)
    kind = common_kind([kind_of(a), kind_of(b)])
    facts = (
        _flip_fact(a, b, results, options),
        _window_fact(a, b, results, options),
        _dot_fact(a, b, results),
        _flatten_fact(a, b, options),
        _depth_fact(a, b, options),
    )
    facts = tuple(fact for fact in facts if fact is not None)
    return Comparison(tuple(a.shape), tuple(b.shape), kind, options, results, facts)


def _same_kernel(x: np.ndarray, y: np.ndarray) -> bool:
    """Whether two kernels are the same, entry for entry (no tolerance: B is symmetric or not)."""
    return x.shape == y.shape and all_equal(x, y, 0.0)


def _same_results(conv: Result, corr: Result, a: np.ndarray, b: np.ndarray, options: OpOptions) -> bool:
    """Whether convolve and correlate agree for these inputs, by check's rule: exactly for exact
    numbers, and for floats within its tolerance of the scale of both sums."""
    x, y = conv.value, corr.value
    if x.shape != y.shape:
        return False
    if corr.kind not in (Kind.FLOAT, Kind.COMPLEX) or np.array_equal(x, y, equal_nan=True):
        return all_equal(x, y, TOLERANCE)
    scale = scale_of(Op.CONVOLVE, a, b, options) + scale_of(Op.CORRELATE, a, b, options)
    return all_equal(x, Expected(y, scale), TOLERANCE)


def _flip_fact(
    a: np.ndarray, b: np.ndarray, results: dict[Op, Result | Undefined], options: OpOptions
) -> Fact:
    conj = b.dtype.kind == "c"
    try:
        # the kernels exactly as the two operations slide them (with --channels only the
        # spatial axes turn)
        turned = geometry.lay_out(Op.CONVOLVE, a, b, options).kernel()
        applied = geometry.lay_out(Op.CORRELATE, a, b, options).kernel()
    except (ShapeError, UsageError):
        spatial = 2 if options.channels and b.ndim >= 2 else b.ndim
        turned = b[(slice(None),) * (b.ndim - spatial) + (slice(None, None, -1),) * spatial]
        applied = geometry.kernel_as_applied(Op.CORRELATE, b)
    if _same_kernel(turned, applied):
        why = "B equals B turned 180°" + (" and conjugated" if conj else "")
        return Fact(
            "flip",
            f"{why}, so convolve and correlate give the same result: the flip makes no difference "
            "for a symmetric kernel.",
        )
    conv, corr = results[Op.CONVOLVE], results[Op.CORRELATE]
    same = isinstance(conv, Result) and isinstance(corr, Result) and _same_results(conv, corr, a, b, options)
    slides = "conj(B)" if conj else "B as it is"
    text = (
        f"B is not symmetric under a 180° turn: convolve slides B turned 180° "
        f"({matrix_text(turned)}) over A, correlate slides {slides}"
    )
    if same:
        text += ", yet for these inputs the results agree."
    elif isinstance(conv, Result) and isinstance(corr, Result) and conv.value.size <= 4:
        text += (
            f", so their results differ: convolve gives {matrix_text(conv.value)}, correlate (the "
            f"lecture slide's sum of products) gives {matrix_text(corr.value)}. They agree only for a "
            "symmetric kernel."
        )
    else:
        text += ", so their results differ (they agree only for a symmetric kernel)."
    return Fact("flip", text)


def _window_fact(
    a: np.ndarray, b: np.ndarray, results: dict[Op, Result | Undefined], options: OpOptions
) -> Fact:
    esum, corr = results[Op.ELEMENTWISE_SUM], results[Op.CORRELATE]
    if isinstance(esum, Result):
        total = format_number(esum.value[()])
        if options.mode is Mode.VALID:
            tail = f"correlate (valid) has exactly one window, the whole of A, and gives [{total}] too."
        else:
            tail = f"correlate in valid mode would give exactly that one window, [{total}]."
        return Fact(
            "window",
            f"elementwise-sum multiplies A and B entry by entry and adds the products: {total}. "
            f"A and B have the same shape, so {tail}",
        )
    if (
        options.channels
        and options.groups == 1
        and isinstance(corr, Result)
        and a.ndim == 3
        and b.ndim == 3
        and a.shape[0] == b.shape[0]
    ):
        kh, kw = b.shape[-2:]
        first = ops.elementwise_sum(a[:, :kh, :kw], b).value[()]
        return Fact(
            "window",
            "elementwise-sum needs A and B of one shape; with --channels, correlate computes it at every "
            f"window through all channels: sum(A[:, 0:{kh}, 0:{kw}] * B) = {format_number(first)} = "
            "correlate[0, 0], and so on for each position.",
        )
    if options.channels and options.groups > 1:
        return Fact(
            "window",
            "elementwise-sum needs A and B of one shape; with --groups, correlate applies that sum of "
            "products at every window, each filter over its own group's channels.",
        )
    if a.ndim == b.ndim and all(m >= k for m, k in zip(a.shape, b.shape, strict=True)):
        window = tuple(slice(0, k) for k in b.shape)
        first = ops.elementwise_sum(a[window], b).value[()]
        where = ", ".join(f"0:{k}" for k in b.shape)
        at = ", ".join("0" for _ in b.shape)
        also = ""
        if isinstance(corr, Result) and options.mode is Mode.VALID:
            also = f" = correlate[{at}]"
        return Fact(
            "window",
            "elementwise-sum needs A and B of one shape; it is what correlate computes at every "
            f"window: sum(A[{where}] * B) = {format_number(first)}{also}, and so on for each position.",
        )
    return Fact(
        "window",
        "elementwise-sum needs A and B of one shape; correlate applies that same sum of products "
        "at every position where B fits over A.",
    )


def _depth_fact(a: np.ndarray, b: np.ndarray, options: OpOptions) -> Fact:
    """What a CNN layer computes: correlate over height and width, a dot product over depth."""
    if not (options.channels or a.ndim == 3):
        return Fact(
            "layer",
            "A CNN layer computes correlate (no flip, though it is called convolution): over height "
            "and width, this sum of element-wise products at each window; over depth (channels) the "
            "per-channel sums are added, a dot product along the depth axis (exactly so for a 1x1 "
            "kernel), which --channels shows.",
        )
    try:
        p = geometry.lay_out(Op.CORRELATE, a, b, replace(options, channels=True))
    except (ShapeError, UsageError):
        return Fact(
            "depth", "With channels, A is C x H x W and B is C x kh x kw: the channel counts must match."
        )
    x, k = p.a, p.b[0]
    c = k.shape[0]  # the channels filter 0 reads: all of A's, or with --groups its group's
    kh, kw = k.shape[-2:]
    per_channel = [ops.elementwise_sum(x[i, :kh, :kw], k[i]).value[()] for i in range(c)]
    sums = " + ".join(format_number(v) for v in per_channel)
    total = format_number(sum(per_channel[1:], start=per_channel[0]))
    groups = options.groups if options.channels else 1
    if groups > 1:
        filters = p.b.shape[0]
        if c == 1:
            reads = "one channel, its own (a depthwise layer: no sum over depth at all)"
            value = total
        else:
            reads = f"the {c} channels of its group o // {filters // groups}"
            value = f"{sums} = {total}"
        text = (
            f"Over depth a CNN layer takes a dot product, and with --groups {groups} only within a group: "
            f"A's {x.shape[0]} channels and the {filters} filters are split into {groups} groups, and "
            f"filter o reads only {reads}; at [0, 0] filter 0 gives {value}."
        )
    else:
        text = (
            f"Over depth a CNN layer takes a dot product: with --channels, channel c of A meets channel c "
            f"of B and the {c} per-channel sums are added; at [0, 0] that is {sums} = {total}."
        )
    if (kh, kw) == (1, 1) and c > 1:
        weights = matrix_text(k[:, 0, 0])
        column = matrix_text(x[:c, 0, 0])
        dot_value = format_number(ops.dot(x[:c, 0, 0], k[:, 0, 0]).value[()])
        within = " within a group" if groups > 1 else ""
        text += (
            f" B is 1x1, so the whole layer is a dot product over depth{within} at every pixel: "
            f"C[0, 0] = {column} · {weights} = {dot_value}."
        )
    return Fact("depth", text)


def _dot_fact(a: np.ndarray, b: np.ndarray, results: dict[Op, Result | Undefined]) -> Fact:
    d = results[Op.DOT]
    if a.ndim == 1 and b.ndim == 1:
        if isinstance(d, Result):
            return Fact(
                "dot",
                "dot of two vectors is their inner product, the sum of element-wise products: "
                f"{format_number(d.value[()])}.",
            )
        return Fact(
            "dot",
            f"dot of two vectors is their inner product, which needs equal lengths: A has {a.shape[0]} "
            f"entries and B has {b.shape[0]}.",
        )
    if isinstance(d, Result):
        first = format_number(d.value.flat[0])
        return Fact(
            "dot",
            "np.dot of two matrices is a matrix product: entry [0, 0] is row 0 of A times column 0 of B "
            f"({first}), so the result is {shape_text(d.shape)}, not one sum over matching entries.",
        )
    n, m = a.shape[-1], (b.shape[-2] if b.ndim >= 2 else b.shape[0])
    return Fact(
        "dot",
        f"np.dot of two matrices is a matrix product: rows of A (length {n}) meet columns of B "
        f"(length {m}), so it is undefined here.",
    )


def _flatten_fact(a: np.ndarray, b: np.ndarray, options: OpOptions) -> Fact | None:
    """The textbooks' "dot product": the inner product of the flattened window and kernel."""
    if options.channels or a.ndim != b.ndim or a.ndim > 2:
        return None
    if not all(m >= k for m, k in zip(a.shape, b.shape, strict=True)):
        return None
    window = a[tuple(slice(0, k) for k in b.shape)]
    value = format_number(ops.dot(window.reshape(-1), b.reshape(-1)).value[()])
    where = ", ".join(f"0:{k}" for k in b.shape)
    return Fact(
        "flatten",
        'The "dot product" of the textbooks (cs231n, Buduma) is the inner product of the window and '
        f"the kernel flattened into vectors: np.dot(A[{where}].ravel(), B.ravel()) = {value}, the "
        "element-wise sum again. cs231n's np.dot(W_row, X_col) does it for every window at once "
        "(convcli im2col shows it). A fully connected layer, y = f(x·w + b), takes that dot product "
        "with the whole flattened input.",
    )


_CONVENTION_RULES = {
    Convention.SCIPY: "convolve2d centres at (k-1)//2, correlate2d at k//2",
    Convention.NUMPY: "np.convolve, np.correlate and scipy.signal.convolve/correlate: both at (k-1)//2",
    Convention.MATLAB: "conv2, filter2, imfilter (and scipy.ndimage): both at k//2",
    Convention.TORCH: "padding='same': the extra padding goes after; refused with a stride",
    Convention.TENSORFLOW: "'SAME': the extra padding goes after; with a stride it pads by the input size",
}


@dataclass(frozen=True)
class ConventionRow:
    """One library's 'same' results for convolve and correlate, the padding it used, its rule."""

    convention: Convention
    results: dict[Op, Result | Undefined]
    pads: dict[Op, tuple[tuple[int, int], ...]]
    rule: str
    differs: dict[Op, tuple[tuple[int, ...], ...]]  # cells that differ from the first row


@dataclass(frozen=True)
class ConventionComparison:
    a_shape: tuple[int, ...]
    b_shape: tuple[int, ...]
    options: OpOptions
    rows: tuple[ConventionRow, ...]


def _pads_text(pads: tuple[tuple[int, int], ...]) -> str:
    names = ["rows", "columns"] if len(pads) == 2 else [f"axis {i}" for i in range(len(pads))]
    if len(pads) == 1:
        return f"{pads[0]}"
    return ", ".join(f"{name} {pad}" for name, pad in zip(names, pads, strict=True))


def compare_conventions(
    a: np.ndarray, b: np.ndarray, options: OpOptions | None = None
) -> ConventionComparison:
    """convolve and correlate in 'same' mode under every library's alignment, side by side.

    They differ only where a kernel extent is even (or, for tensorflow, with a stride): the
    extra row or column of padding goes before or after.
    """
    base = replace(options or OpOptions(), mode=Mode.SAME, padding=None)
    rows: list[ConventionRow] = []
    first: dict[Op, Result | Undefined] = {}
    for convention in Convention:
        opts = replace(base, convention=convention)
        results: dict[Op, Result | Undefined] = {}
        pads: dict[Op, tuple[tuple[int, int], ...]] = {}
        for op in (Op.CONVOLVE, Op.CORRELATE):
            try:
                results[op] = ops.run(op, a, b, opts)
                pads[op] = geometry.lay_out(op, a, b, opts).pads
            except (ShapeError, UsageError) as exc:
                results[op] = Undefined(exc.message, exc.message.split("(", 1)[0].strip())
        if not first:
            first = results
        differs = {op: _differing(first[op], res) for op, res in results.items()}
        parts = [f"{op} pads {_pads_text(pad)}" for op, pad in pads.items()]
        rule = f"{convention}: " + ("; ".join(parts) + " — " if parts else "") + _CONVENTION_RULES[convention]
        rows.append(ConventionRow(convention, results, pads, rule, differs))
    return ConventionComparison(tuple(a.shape), tuple(b.shape), base, tuple(rows))


def _differing(reference: Result | Undefined, other: Result | Undefined) -> tuple[tuple[int, ...], ...]:
    if not isinstance(reference, Result) or not isinstance(other, Result):
        return ()
    if reference.value.shape != other.value.shape:
        return tuple(np.ndindex(*other.value.shape))
    return tuple(tuple(int(i) for i in idx) for idx in np.argwhere(reference.value != other.value))
