"""compare: the four operations side by side, and how they relate for these particular inputs.

Explanations are data (``Fact``); render.py and formats.py decide how they look.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

import numpy as np

from . import geometry, ops
from .closeness import TOLERANCE, Expected, all_equal, scale_of
from .errors import ShapeError, UsageError
from .model import SLIDING, Comparison, Convention, Fact, Kind, Mode, Op, OpOptions, Result, Undefined
from .numeric import common_kind, kind_of, sum_as_written
from .text import dims_text, format_number, matrix_text, options_flags, shape_text

if TYPE_CHECKING:  # built by compare --conventions only: convolve's note loads this module
    from .explanations import ConventionComparison

__all__ = [
    "compare",
    "compare_conventions",
    "convolve_note",
]


# What a symmetric kernel hides, and the command that shows it: the lecture slide's window with
# one corner of its kernel moved (the files are in convcli's samples/).
ASYMMETRIC_EXAMPLE = (
    "An asymmetric kernel (as a trained CNN layer's are) would make them differ:",
    "convcli compare samples/window.txt samples/B2.txt",
)


def compare(a: np.ndarray, b: np.ndarray, options: OpOptions | None = None) -> Comparison:
    """Run convolve, correlate, elementwise-sum and dot on A and B; explain how they relate.

    An operation that is undefined for these shapes is kept as the sentence saying why. The
    explanation opens with an answer for these inputs (why results agree, differ or are
    undefined), then short facts with the numbers behind it.
    """
    options = options or OpOptions()
    results: dict[Op, Result | Undefined] = {}
    for op in Op:
        try:
            results[op] = ops.run(op, a, b, options)
        except ShapeError as exc:
            results[op] = Undefined(exc.message, exc.short)
    kind = common_kind([kind_of(a), kind_of(b)])
    turned, applied = _kernels(a, b, options)
    symmetric = _same_kernel(turned, applied)
    conv, corr = results[Op.CONVOLVE], results[Op.CORRELATE]
    sliding = isinstance(conv, Result) and isinstance(corr, Result)
    answer = " ".join(
        (_flip_answer(a, b, results, options, symmetric), _other_answer(a, b, results, options))
    )
    facts = (
        _layer_fact(a, b, options),
        _flip_fact(b, turned, symmetric, options),
        _window_fact(a, b, results, options),
        _dot_fact(a, b, results),
        _flatten_fact(a, b, options),
        _depth_fact(a, b, options),
        _one_by_one_fact(a, b, options),
        _backward_fact(options),
    )
    return Comparison(
        tuple(a.shape),
        tuple(b.shape),
        kind,
        options,
        results,
        tuple(fact for fact in facts if fact is not None),
        answer=answer,
        # the example is a 2-D image and kernel: no answer to a question about channels
        try_next=ASYMMETRIC_EXAMPLE
        if symmetric and sliding and not options.channels and a.ndim == 2
        else None,
    )


CNN_NOTE = (
    "B changes when turned 180°: convolve turns it first, so this differs from correlate, what CNN layers "
    "(torch, TensorFlow) compute"
)


def convolve_note(b: np.ndarray, options: OpOptions) -> str | None:
    """What convolve with an asymmetric kernel should say once: it is not what a CNN layer computes.

    The trap behind "is it a dot product?": a library's "convolution" layer slides the kernel unturned."""
    spatial = 2 if options.channels and b.ndim >= 2 else b.ndim
    turned = b[(slice(None),) * (b.ndim - spatial) + (slice(None, None, -1),) * spatial]
    return None if _same_kernel(turned, b) else CNN_NOTE


def _kernels(a: np.ndarray, b: np.ndarray, options: OpOptions) -> tuple[np.ndarray, np.ndarray]:
    """The kernels exactly as convolve and correlate slide them (with --channels only the
    spatial axes turn; correlate conjugates a complex B)."""
    try:
        return (
            geometry.lay_out(Op.CONVOLVE, a, b, options).kernel(),
            geometry.lay_out(Op.CORRELATE, a, b, options).kernel(),
        )
    except (ShapeError, UsageError):
        spatial = 2 if options.channels and b.ndim >= 2 else b.ndim
        turned = b[(slice(None),) * (b.ndim - spatial) + (slice(None, None, -1),) * spatial]
        return turned, geometry.kernel_as_applied(Op.CORRELATE, b)


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


def _window_shape(b: np.ndarray, options: OpOptions) -> str:
    """The windows correlate takes, in words: ``3x3``, or ``length-2`` for a vector kernel."""
    spatial = b.shape[-2:] if options.channels and b.ndim >= 2 else b.shape
    return f"length-{spatial[0]}" if len(spatial) == 1 else dims_text(spatial)


def _flip_answer(
    a: np.ndarray, b: np.ndarray, results: dict[Op, Result | Undefined], options: OpOptions, symmetric: bool
) -> str:
    """Why convolve and correlate agree or differ here: the first thing compare says."""
    conv, corr = results[Op.CONVOLVE], results[Op.CORRELATE]
    if not isinstance(conv, Result) or not isinstance(corr, Result):
        reason = (
            conv.short if isinstance(conv, Undefined) else corr.short if isinstance(corr, Undefined) else ""
        )
        return f"convolve and correlate are undefined for these shapes ({reason})."
    conj = " and conjugated" if b.dtype.kind == "c" else ""
    if symmetric:
        return (
            f"convolve and correlate agree because B is symmetric: turned 180°{conj}, it is the same kernel."
        )
    if _same_results(conv, corr, a, b, options):
        return (
            "convolve and correlate agree for these inputs, although B changes when turned 180°: "
            "convolve turns it before sliding it, correlate does not."
        )
    return (
        "convolve and correlate differ because B changes when turned 180°: convolve turns it before "
        "sliding it, correlate (what CNN layers compute) slides it as it is."
    )


def _other_answer(
    a: np.ndarray, b: np.ndarray, results: dict[Op, Result | Undefined], options: OpOptions
) -> str:
    """What elementwise-sum and dot are for these inputs, or why they are undefined."""
    esum, d = results[Op.ELEMENTWISE_SUM], results[Op.DOT]
    n, m = geometry.dot_inner(a.shape, b.shape)
    vectors = a.ndim == 1 and b.ndim == 1
    if isinstance(d, Result):
        if vectors:
            dot_text = "dot of two vectors is their inner product, that same sum"
        else:
            what = "a number" if d.value.ndim == 0 else f"a {shape_text(d.shape)} matrix"
            dot_text = (
                f"dot is a matrix product (rows times columns), {what} here, not a sum over matching entries"
            )
    elif vectors:
        dot_text = f"dot needs vectors of one length ({n} and {m})"
    else:
        dot_text = f"dot needs rows of A as long as columns of B ({n} and {m})"
    if isinstance(esum, Result):
        total = format_number(esum.value[()])
        return f"elementwise-sum gives {total}, the sum of the products of matching entries; {dot_text}."
    if isinstance(d, Result):
        return (
            "elementwise-sum is undefined: it needs A and B of one shape (correlate takes that sum at "
            f"each {_window_shape(b, options)} window); {dot_text}."
        )
    return (
        "elementwise-sum and dot are undefined here: elementwise-sum needs A and B of one shape "
        f"(correlate takes that sum at each {_window_shape(b, options)} window), and {dot_text}."
    )


def _layer_fact(a: np.ndarray, b: np.ndarray, options: OpOptions) -> Fact | None:
    """What a CNN layer computes: the answer to "is it a dot product?", in one line."""
    if options.channels or a.ndim == 3:
        return None  # the depth fact says it with the numbers
    return Fact(
        "layer",
        "A CNN layer computes correlate: a sum of element-wise products at each window, and over "
        "channels a dot product along depth (--channels shows it).",
    )


def _flip_fact(b: np.ndarray, turned: np.ndarray, symmetric: bool, options: OpOptions) -> Fact:
    conj = "conj(B)" if b.dtype.kind == "c" else "B"
    if symmetric:
        return Fact("flip", f"B turned 180° is {conj} itself, so convolve(A, B) = correlate(A, B).")
    spatial = 2 if options.channels and b.ndim >= 2 else b.ndim
    if turned.ndim > 2 or turned.size > 25:
        axes = "each channel's kernel on its last two axes" if spatial < turned.ndim else "B"
        return Fact(
            "flip",
            f"convolve turns {axes} 180° and then slides it as correlate does: "
            "convolve(A, B) = correlate(A, B turned 180°).",
        )
    return Fact(
        "flip",
        f"B turned 180° is {matrix_text(turned)}: convolve(A, B) = correlate(A, B turned 180°).",
    )


def _window_fact(
    a: np.ndarray, b: np.ndarray, results: dict[Op, Result | Undefined], options: OpOptions
) -> Fact | None:
    esum, corr = results[Op.ELEMENTWISE_SUM], results[Op.CORRELATE]
    if isinstance(esum, Result):
        total = format_number(esum.value[()])
        if options.mode is Mode.VALID and not options.layer_geometry:
            return Fact(
                "window", f"sum(A * B) = {total} = correlate[{_zeros(b.ndim)}]: one shape, one window."
            )
        return Fact("window", f"sum(A * B) = {total}: what correlate in valid mode gives for the one window.")
    if (
        options.channels
        and options.groups == 1
        and isinstance(corr, Result)
        and a.ndim == 3
        and b.ndim == 3
        and a.shape[0] == b.shape[0]
    ):
        kh, kw = b.shape[-2:]
        through = format_number(ops.elementwise_sum(a[:, :kh, :kw], b).value[()])
        return Fact(
            "window",
            f"correlate[0, 0] = sum(A[:, 0:{kh}, 0:{kw}] * B) = {through}: the "
            "elementwise-sum of the first window through all channels, and so on at each position.",
        )
    if options.channels and options.groups > 1:
        return Fact(
            "window",
            "elementwise-sum needs A and B of one shape; with --groups, correlate applies that sum of "
            "products at every window, each filter over its own group's channels.",
        )
    if a.ndim == b.ndim and all(m >= k for m, k in zip(a.shape, b.shape, strict=True)):
        window = tuple(slice(0, k) for k in b.shape)
        first = format_number(ops.elementwise_sum(a[window], b).value[()])
        where = ", ".join(f"0:{k}" for k in b.shape)
        plain = isinstance(corr, Result) and options.mode is Mode.VALID and not options.layer_geometry
        at = f"correlate[{_zeros(b.ndim)}] = " if plain else ""
        return Fact(
            "window",
            f"{at}sum(A[{where}] * B) = {first}: the elementwise-sum of the first window, and so on "
            "at each position.",
        )
    return None


def _zeros(n: int) -> str:
    return ", ".join("0" for _ in range(n))


def _depth_fact(a: np.ndarray, b: np.ndarray, options: OpOptions) -> Fact | None:
    """With channels: a dot product over depth (within a group), with the numbers at [0, 0]."""
    if not (options.channels or a.ndim == 3):
        return None
    layout = _channel_layout(a, b, options)
    if layout is None:
        return Fact(
            "depth", "With --channels, A is C x H x W and B is C x kh x kw: the channel counts must match."
        )
    x, k, filters = layout
    c = k.shape[0]  # the channels filter 0 reads: all of A's, or with --groups its group's
    kh, kw = k.shape[-2:]
    per_channel = [ops.elementwise_sum(x[i, :kh, :kw], k[i]).value[()] for i in range(c)]
    sums = " + ".join(format_number(v) for v in per_channel)
    total = format_number(sum_as_written(per_channel))
    groups = options.groups if options.channels else 1
    if groups == 1:
        return Fact(
            "depth",
            f"Over depth a CNN layer takes a dot product: channel c of A meets channel c of B and the "
            f"{c} per-channel sums are added; at [0, 0]: {sums} = {total}.",
        )
    if c == 1:
        reads, value = "one channel, its own (a depthwise layer: no sum over depth at all)", total
    else:
        reads, value = f"the {c} channels of its group o // {filters // groups}", f"{sums} = {total}"
    return Fact(
        "depth",
        f"Over depth a CNN layer takes a dot product, and with --groups {groups} only within a group: "
        f"A's {x.shape[0]} channels and the {filters} filters are split into {groups} groups, and "
        f"filter o reads only {reads}; at [0, 0] filter 0 gives {value}.",
    )


def _channel_layout(
    a: np.ndarray, b: np.ndarray, options: OpOptions
) -> tuple[np.ndarray, np.ndarray, int] | None:
    """A as C x H x W, the first filter as C/G x kh x kw and the number of filters; None on a mismatch."""
    try:
        p = geometry.lay_out(Op.CORRELATE, a, b, replace(options, channels=True))
    except (ShapeError, UsageError):
        return None
    return p.a, p.b[0], p.b.shape[0]


def _one_by_one_fact(a: np.ndarray, b: np.ndarray, options: OpOptions) -> Fact | None:
    """A 1x1 kernel over channels: the whole layer is a dot product over depth (within a group)."""
    if not (options.channels or a.ndim == 3):
        return None
    layout = _channel_layout(a, b, options)
    if layout is None or layout[1].shape[-2:] != (1, 1) or layout[1].shape[0] == 1:
        return None
    x, k, _ = layout
    c = k.shape[0]
    value = format_number(ops.dot(x[:c, 0, 0], k[:, 0, 0]).value[()])
    within = " within a group" if options.channels and options.groups > 1 else ""
    return Fact(
        "1x1",
        f"B is 1x1, so the whole layer is a dot product over depth{within} at every pixel: "
        f"C[0, 0] = {matrix_text(x[:c, 0, 0])} · {matrix_text(k[:, 0, 0])} = {value}.",
    )


def _dot_fact(a: np.ndarray, b: np.ndarray, results: dict[Op, Result | Undefined]) -> Fact | None:
    d = results[Op.DOT]
    if not isinstance(d, Result):
        return None  # the answer says why it is undefined
    if a.ndim == 1 and b.ndim == 1:
        return Fact(
            "dot",
            f"dot(A, B) = {format_number(d.value[()])}: the inner product of two vectors, as a fully "
            "connected neuron takes it of its input and weights (y = f(x·w + b)).",
        )
    if d.value.ndim == 0:
        return Fact("dot", f"dot(A, B) = {format_number(d.value[()])}.")
    at = _zeros(d.value.ndim)
    return Fact(
        "dot",
        f"dot[{at}] = row 0 of A · column 0 of B = {format_number(d.value.flat[0])}: the result is "
        f"{shape_text(d.shape)}, a matrix product.",
    )


def _backward_fact(options: OpOptions) -> Fact | None:
    """A layer (--channels): how its backward pass relates to the operations compared."""
    if not options.channels:
        return None
    return Fact(
        "backward",
        "Backward (upstream G): dA is a transposed convolution of G with B, dB a correlation of A "
        f"with G: convcli grad A B{options_flags(options)} --upstream G.",
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
        f'The textbooks\' "dot product" flattens the window and B: np.dot(A[{where}].ravel(), '
        f"B.ravel()) = {value}, the same sum (convcli im2col: every window at once).",
    )


_CONVENTION_RULES = {
    Convention.SCIPY: "convolve2d centres at (k-1)//2, correlate2d at k//2",
    Convention.NUMPY: "np.convolve, np.correlate and scipy.signal.convolve/correlate: both at (k-1)//2",
    Convention.MATLAB: "conv2, filter2, imfilter (and scipy.ndimage): both at k//2",
    Convention.TORCH: "padding='same': the extra padding goes after; refused with a stride",
    Convention.TENSORFLOW: "'SAME': the extra padding goes after; with a stride it pads by the input size",
}


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
    from .explanations import ConventionComparison, ConventionRow

    rows: list[ConventionRow] = []
    first: dict[Op, Result | Undefined] = {}
    for convention in Convention:
        opts = replace(base, convention=convention)
        results: dict[Op, Result | Undefined] = {}
        pads: dict[Op, tuple[tuple[int, int], ...]] = {}
        for op in SLIDING:
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
