"""The geometry of convolve and correlate: the ONE place that knows modes, 'same' alignment,
stride, dilation, padding, boundaries and channels, and so which input cells each output cell
reads. ops computes on it; steps, im2col, check, transpose and shape read it.

Every convolve/correlate is reduced to a valid-mode correlation (``engine.correlate_valid``) of
the input, padded per axis by the mode and the boundary rule, with the kernel as applied: turned
180° for convolve, conjugated for correlate (as scipy does for complex kernels).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from . import engine
from .errors import ShapeError, UsageError
from .model import BoundaryRule, Convention, Kind, Mode, Op, OpOptions
from .numeric import (
    INT64_MAX,
    abs_max,
    as_kind,
    check_allocation,
    is_zero,
    kind_of,
    result_kind,
    scalar_as_kind,
    shrink_int,
    to_python_ints,
)
from .text import shape_text, values_text

__all__ = [
    "Layout",
    "lay_out",
    "lay_out_shapes",
    "rot180",
    "same_start",
    "same_pads",
    "match_ndim",
    "channel_operands",
    "per_axis",
    "padding_pairs",
    "pad",
    "kernel_as_applied",
    "dilate",
    "window_input",
    "AxisReads",
    "window_reads",
    "window_adjoint",
    "require_nonempty",
    "dot_inner",
    "dot_shape",
    "dot_matrices",
]


def rot180(b: np.ndarray) -> np.ndarray:
    """B turned 180° (every axis reversed): the kernel as convolve applies it."""
    return b[(slice(None, None, -1),) * b.ndim]


def same_start(op: Op, k: int) -> int:
    """Where 'same' mode starts slicing the full result, for a kernel extent ``k``.

    scipy's convolve2d centres the kernel at (k-1)//2 and correlate2d at k//2; they differ only
    for even k, where the extra row or column falls on opposite sides.
    """
    return (k - 1) // 2 if op is Op.CONVOLVE else k // 2


def match_ndim(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Give both operands the same number of axes, a 1-D vector becoming a 1 x N row."""
    notes = []
    if a.ndim < b.ndim:
        shape = (1,) * (b.ndim - a.ndim) + a.shape
        if a.size > 1:
            notes.append(f"A ({shape_text(a.shape)}) is read as {shape_text(shape)}")
        a = a.reshape(shape)
    elif b.ndim < a.ndim:
        shape = (1,) * (a.ndim - b.ndim) + b.shape
        if b.size > 1:  # a single number needs no note
            notes.append(f"B ({shape_text(b.shape)}) is read as {shape_text(shape)}")
        b = b.reshape(shape)
    return a, b, notes


def channel_operands(a: np.ndarray, b: np.ndarray, groups: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """--channels: A as C x H x W and B as O x C/G x kh x kw (2-D operands are one channel).

    With ``groups`` G (torch's groups), C and O are divisible by G and filter o reads only the
    C/G channels of its group o // (O/G). A 3-D B is one filter (C x kh x kw) when G is 1; with
    G > 1 it can only be O filters of one channel each (C/G = 1, as a depthwise layer's)."""
    if groups < 1:
        raise UsageError(f"--groups takes a whole number >= 1, got {groups}")
    b_text = shape_text(b.shape)
    three_d = b.ndim == 3
    if a.ndim == 2:
        a = a[None]
    if b.ndim == 2:
        b = b[None]
    if b.ndim == 3:
        depthwise = groups > 1 and a.ndim == 3 and a.shape[0] == groups
        b = b[:, None] if depthwise else b[None]
    if a.ndim != 3 or b.ndim != 4:
        raise ShapeError(
            f"--channels: A is {shape_text(a.shape)} and B is {b_text}; A must be C x H x W "
            "and B C x kh x kw (one filter) or O x C x kh x kw (O filters)"
        )
    c, o, cg = a.shape[0], b.shape[0], b.shape[1]
    if groups == 1 and c != cg:
        raise ShapeError(
            f"--channels: A has {c} channels and B has {cg}; channel c of A meets "
            "channel c of B, so the counts must match"
        )
    if groups > 1:
        rule = "B is O x C/G x kh x kw, and filter o reads only the C/G channels of its group"
        if c % groups:
            raise ShapeError(f"--groups {groups}: A has {c} channels, not divisible by {groups}; {rule}")
        if o % groups:
            one = " (a 3-D B is one filter; write O x C/G x kh x kw as JSON or .npy)" if three_d else ""
            filters = f"{o} filter{'s' if o > 1 else ''}{one}"
            raise ShapeError(
                f"--groups {groups}: B ({b_text}) has {filters}, not divisible by {groups}; {rule}"
            )
        if cg * groups != c:
            raise ShapeError(
                f"--groups {groups}: A has {c} channels, so each filter reads {c}/{groups} = {c // groups}, "
                f"but B ({b_text}) has {cg} per filter; {rule}"
            )
    return a, b


def per_axis(
    values: tuple[int, ...], n: int, name: str, minimum: int | None = None, *, axes: str | None = None
) -> tuple[int, ...]:
    """``--name`` given once for every axis, or once per axis: one value per axis of ``n``.

    ``minimum`` is the smallest value allowed; ``axes`` names the axes in the refusal (by default
    "these n-axis inputs", or "a 1-D input").
    """
    if minimum is not None and any(v < minimum for v in values):
        raise UsageError(f"--{name} takes whole numbers >= {minimum}, got {values_text(values)}")
    if len(values) == 1:
        return values * n
    if len(values) == n:
        return values
    if n == 1:
        wanted = f"one number for {axes or 'a 1-D input'}"
    else:
        wanted = f"1 or {n} numbers for {axes or f'these {n}-axis inputs'}"
    raise UsageError(f"--{name} takes {wanted}, got {len(values)}: {values_text(values)}")


def padding_pairs(padding: tuple[int, ...], n: int) -> list[tuple[int, int]]:
    """--padding P, P1,P2 (one per axis) or top,bottom,left,right as (before, after) per axis."""
    if any(p < 0 for p in padding):
        raise UsageError(f"--padding takes whole numbers >= 0, got {values_text(padding)}")
    if len(padding) == 1:
        return [(padding[0], padding[0])] * n
    if len(padding) == n:
        return [(p, p) for p in padding]
    if len(padding) == 2 * n:
        return [(padding[2 * i], padding[2 * i + 1]) for i in range(n)]
    raise UsageError(
        f"--padding takes 1, {n} or {2 * n} numbers for these {n}-axis inputs "
        f"(P, one per axis, or before,after per axis), got {len(padding)}"
    )


def same_pads(
    op: Op, convention: Convention, m: int, k: int, stride: int, vectors: bool = False
) -> tuple[int, int]:
    """(before, after) padding of one axis for 'same' mode under each library's convention.

    ``k`` is the (dilated) kernel extent. The full result is sliced from ``start``; the input is
    padded by k-1-start before and start after. scipy starts convolve at (k-1)//2 and correlate at
    k//2; numpy both at (k-1)//2; matlab, torch and tensorflow both at k//2 (the extra zero after).
    tensorflow's 'SAME' with a stride pads by its input-size rule; torch refuses strides.

    numpy.convolve and numpy.correlate (``vectors``: both operands 1-D) give max(m, k) values:
    a kernel longer than the input swaps the two, so the slice starts at (m-1)//2 of the full
    result for convolve, and at m//2 for correlate, which also reverses the swapped result.
    """
    if convention is Convention.NUMPY and vectors and k > m:
        start = (m - 1) // 2 if op is Op.CONVOLVE else m // 2
        before = k - 1 - start
        return before, k + k - 1 - m - before
    if convention is Convention.TENSORFLOW and stride > 1:
        out = -(-m // stride)
        total = max((out - 1) * stride + k - m, 0)
        return total // 2, total - total // 2
    if convention is Convention.TORCH and stride > 1:
        raise UsageError(
            "torch refuses 'same' with a stride above 1 (\"padding='same' is not supported for strided "
            'convolutions"); use --convention tensorflow, another convention, or an explicit --padding'
        )
    if convention is Convention.SCIPY:
        start = same_start(op, k)
    elif convention is Convention.NUMPY:
        start = (k - 1) // 2
    else:
        start = k // 2
    return k - 1 - start, start


@dataclass(frozen=True)
class Layout:
    """Everything about one convolve/correlate except the arithmetic; steps and im2col read it.

    ``a`` and ``b`` are in the result's kind with matched axes (with --channels, A is C x H x W and
    B is O x C x kh x kw). The last ``len(pads)`` axes are spatial: they are padded, strided,
    dilated and (for convolve) turned; a leading channel axis is only summed over.
    """

    op: Op
    options: OpOptions
    kind: Kind
    a: np.ndarray
    b: np.ndarray
    fill: Any
    boundary: BoundaryRule
    pads: tuple[tuple[int, int], ...]
    stride: tuple[int, ...]
    dilation: tuple[int, ...]
    out_shape: tuple[int, ...]
    notes: tuple[str, ...]

    @property
    def filters(self) -> int:
        return self.b.shape[0] if self.options.channels else 1

    def padded(self, a: np.ndarray | None = None, fill: Any = None) -> np.ndarray:
        """A (or a same-shaped stand-in) padded per axis by the boundary rule."""
        x = self.a if a is None else a
        pads = [(0, 0)] * (x.ndim - len(self.pads)) + list(self.pads)
        return pad(x, pads, self.boundary, self.fill if fill is None else fill)

    def kernel(self, b: np.ndarray | None = None) -> np.ndarray:
        """The kernel as it slides (not yet dilated): turned 180° on the spatial axes for convolve,
        conjugated for correlate. With --channels: O x C x kh x kw."""
        k = self.b if b is None else b
        if self.op is Op.CONVOLVE:
            spatial = len(self.pads)
            return k[(slice(None),) * (k.ndim - spatial) + (slice(None, None, -1),) * spatial]
        return np.conj(k) if k.dtype.kind == "c" else k

    def result_shape(self, a_shape: tuple[int, ...], b_shape: tuple[int, ...]) -> tuple[int, ...]:
        """The shape of the result for operands of these shapes: one map per filter (a single map
        for one filter), and a vector when A and B are both vectors."""
        if self.options.channels:
            return self.out_shape if self.filters == 1 else (self.filters, *self.out_shape)
        if len(a_shape) == 1 and len(b_shape) == 1:
            return (math.prod(self.out_shape),)
        return self.out_shape

    def window_origin(self, cell: tuple[int, ...]) -> tuple[int, ...]:
        """Where output ``cell`` (spatial index) starts in padded coordinates."""
        return tuple(c * s for c, s in zip(cell, self.stride, strict=True))

    # The rule of every window: output cell c reads, at kernel tap t, padded position
    # c·stride + t·dilation on each spatial axis. Seen from one cell (window_positions) or from
    # one tap (tap_slices, tap_positions).

    def window_positions(self, cell: tuple[int, ...], k_shape: tuple[int, ...]) -> list[np.ndarray]:
        """Per spatial axis, the padded positions output ``cell`` reads, one per tap."""
        origin = self.window_origin(cell)
        return [o + np.arange(k) * d for o, k, d in zip(origin, k_shape, self.dilation, strict=True)]

    def tap_slices(self, tap: tuple[int, ...]) -> tuple[slice, ...]:
        """Per spatial axis, the padded positions kernel tap ``tap`` meets, one per output cell,
        as a strided slice."""
        return tuple(
            slice(t * d, t * d + (o - 1) * s + 1, s)
            for t, d, o, s in zip(tap, self.dilation, self.out_shape, self.stride, strict=True)
        )

    def tap_positions(self, tap: tuple[int, ...]) -> list[np.ndarray]:
        """tap_slices as arrays of positions."""
        return [np.arange(sl.start, sl.stop, sl.step) for sl in self.tap_slices(tap)]


def pad(a: np.ndarray, pads: list[tuple[int, int]], boundary: BoundaryRule, fill: Any) -> np.ndarray:
    if not any(before or after for before, after in pads):
        return a
    if boundary is BoundaryRule.FILL:
        if a.dtype == object:
            # np.pad would put numpy int64 zeros among Python ints, and np.int64(0) plus a
            # product beyond int64 overflows: build the padded array from the fill itself
            shape = tuple(n + before + after for n, (before, after) in zip(a.shape, pads, strict=True))
            out = np.empty(shape, dtype=object)
            out.fill(fill)
            out[tuple(slice(before, before + n) for n, (before, _) in zip(a.shape, pads, strict=True))] = a
            return out
        return np.pad(a, pads, mode="constant", constant_values=fill)
    return np.pad(a, pads, mode=_NUMPY_PAD[boundary])


_NUMPY_PAD: dict[BoundaryRule, Literal["wrap", "symmetric", "reflect", "edge"]] = {
    BoundaryRule.WRAP: "wrap",
    BoundaryRule.SYMM: "symmetric",
    BoundaryRule.MIRROR: "reflect",
    BoundaryRule.EDGE: "edge",
}


def kernel_as_applied(op: Op, b: np.ndarray) -> np.ndarray:
    """The kernel that slides over A unturned: B turned 180° for convolve, conj(B) for correlate."""
    if op is Op.CONVOLVE:
        return rot180(b)
    return np.conj(b) if b.dtype.kind == "c" else b


dilate = engine.dilate


def lay_out(op: Op, a: np.ndarray, b: np.ndarray, options: OpOptions | None = None) -> Layout:
    """Check shapes and options and work out padding, stride and dilation per axis."""
    options = options or OpOptions()
    require_nonempty(op, a, b)
    # the kind is decided on the operands as written, so that a refusal names their entries
    kind = result_kind(a, b, options.fillvalue, options.bias, terms=b.size)
    return _laid_out(op, a, b, options, kind, options.fillvalue)


def _laid_out(op: Op, a: np.ndarray, b: np.ndarray, options: OpOptions, kind: Kind, fillvalue: Any) -> Layout:
    """lay_out once the result's kind is known (``fillvalue`` is the fill to lay out in it)."""
    notes: list[str] = []
    if options.groups != 1 and (options.groups < 1 or not options.channels):
        raise UsageError(
            f"--groups takes a whole number >= 1, got {options.groups}"
            if options.groups < 1
            else f"--groups {options.groups} splits the channels of a layer: add --channels "
            "(A is C x H x W and B is O x C/G x kh x kw)"
        )
    if options.channels:
        a2, b2 = channel_operands(a, b, options.groups)
        if options.groups > 1 and b.ndim == 3:
            notes.append(
                f"B ({shape_text(b.shape)}) is read as {shape_text(b2.shape)}: with --groups "
                f"{options.groups}, each of its {b2.shape[0]} filters reads one channel"
            )
    else:
        if max(a.ndim, b.ndim) > 3:
            raise ShapeError(
                f"{op}: A is {shape_text(tuple(a.shape))} and B is {shape_text(tuple(b.shape))}; without "
                "--channels, A and B have 1, 2 or 3 axes; with --channels, A is C x H x W and B is "
                "C x kh x kw or O x C x kh x kw",
                short="more than 3 axes (use --channels?)",
            )
        a2, b2, notes = match_ndim(a, b)
    a2, b2 = as_kind(a2, kind), as_kind(b2, kind)
    fill = scalar_as_kind(kind, fillvalue)
    n = 2 if options.channels else a2.ndim
    m_shape, k_shape = a2.shape[-n:], b2.shape[-n:]
    stride = per_axis(options.stride, n, "stride", 1)
    dilation = per_axis(options.dilation, n, "dilation", 1)
    extent = tuple((k - 1) * d + 1 for k, d in zip(k_shape, dilation, strict=True))
    boundary = options.boundary
    if options.padding is not None:
        if options.mode is not Mode.VALID:
            raise UsageError(
                f"--padding pads A and then uses valid mode; it cannot be combined with --mode {options.mode}"
            )
        pads = padding_pairs(options.padding, n)
    elif options.mode is Mode.FULL:
        pads = [(k - 1, k - 1) for k in extent]
    elif options.mode is Mode.SAME:
        vectors = a2.ndim == 1 and not options.channels
        pads = [
            same_pads(op, options.convention, m, k, s, vectors)
            for m, k, s in zip(m_shape, extent, stride, strict=True)
        ]
    else:
        pads = [(0, 0)] * n
        torch_rules = options.layer_geometry or options.channels
        fits = all(m >= k for m, k in zip(m_shape, extent, strict=True))
        covers = all(k >= m for m, k in zip(m_shape, extent, strict=True))
        if not fits and covers and not torch_rules:
            # B covers A (scipy swaps the operands): the part of the full result where A lies
            # inside B. No value outside A is read, so the padding is zeros whatever the boundary.
            pads = [(k - m, k - m) for m, k in zip(m_shape, extent, strict=True)]
            boundary = BoundaryRule.FILL
            fill = scalar_as_kind(kind, 0)
        elif not fits and not torch_rules:
            a_text, b_text = shape_text(tuple(a2.shape)), shape_text(tuple(b2.shape))
            raise ShapeError(
                f"{op} (valid): A is {a_text} and B is {b_text}; in valid mode one operand must be at "
                "least as large as the other on every axis (or use --mode same or full)",
                short=f"valid mode: neither {a_text} nor {b_text} covers the other",
            )
    padded = tuple(m + before + after for m, (before, after) in zip(m_shape, pads, strict=True))
    if any(p < k for p, k in zip(padded, extent, strict=True)):
        dilated = " (dilated)" if any(d > 1 for d in dilation) else ""
        raise ShapeError(
            f"{op}: the kernel{dilated} is {shape_text(extent)} but the padded input is only "
            f"{shape_text(padded)}; a kernel must fit inside the padded input (as in torch)",
            short=f"kernel {shape_text(extent)} larger than padded input {shape_text(padded)}",
        )
    out_shape = tuple((p - k) // s + 1 for p, k, s in zip(padded, extent, stride, strict=True))
    used = tuple(
        _materialised(m, bp, k, s, o)
        for m, bp, k, s, o in zip(m_shape, pads, extent, stride, out_shape, strict=True)
    )
    check_allocation(tuple(a2.shape[:-n]) + used, kind, "the padded input")
    check_allocation((b2.shape[0] if options.channels else 1,) + out_shape, kind, "the result")
    if options.bias and len(options.bias) not in (1, b2.shape[0] if options.channels else 1):
        count = b2.shape[0] if options.channels else 1
        raise UsageError(f"--bias takes one value, or one per filter ({count}); got {len(options.bias)}")
    return Layout(
        op, options, kind, a2, b2, fill, boundary, tuple(pads), stride, dilation, out_shape, tuple(notes)
    )


def lay_out_shapes(op: Op, a_shape: tuple[int, ...], b_shape: tuple[int, ...], options: OpOptions) -> Layout:
    """lay_out of ``op`` on stand-ins of operands of these shapes: its padding, stride, dilation
    and shapes, at no cost whatever the operands hold. Its operands are float stand-ins, and so
    is its fill (a fill that is not 0 stays so, to show when the layout puts 0 in its place); its
    options are the ones given. Nothing is scanned for its kind: the stand-ins are floats."""
    a, b = _zeros_stand_in(a_shape), _zeros_stand_in(b_shape)
    require_nonempty(op, a, b)
    return _laid_out(op, a, b, options, Kind.FLOAT, 0.0 if is_zero(options.fillvalue) else 1.0)


_ZERO = bytes(8)


def _zeros_stand_in(shape: tuple[int, ...]) -> np.ndarray:
    """A read-only float64 array of zeros of ``shape`` holding one number, as ``broadcast_to``
    makes it at a tenth of its cost (check lays out dozens of suspects)."""
    return np.ndarray(shape, dtype=np.float64, buffer=_ZERO, strides=(0,) * len(shape))


def _materialised(m: int, pads: tuple[int, int], extent: int, stride: int, out: int) -> int:
    """How much of one padded axis the computation holds: the span the sampled windows read, or,
    when a stride leaves gaps between windows, only the windows themselves."""
    if stride > extent:
        return out * extent
    return min(m + pads[0] + pads[1], (out - 1) * stride + extent)


def window_input(p: Layout, x: np.ndarray, fill: Any) -> tuple[np.ndarray, tuple[int, ...]]:
    """The padded input, only as much of it as the sampled windows read, and the stride to use.

    Where a stride leaves gaps between the windows (stride > dilated kernel), only the windows
    are gathered, side by side (the stride becomes the window's extent): a padding that would
    fit in memory only when strided is never built whole.
    """
    n = len(p.pads)
    lead = x.ndim - n
    axes, strides = window_reads(p)
    if strides == p.stride:
        padded = p.padded(x, fill)
        used = tuple(slice(0, len(axis.where)) for axis in axes)
        return padded[(slice(None),) * lead + used], p.stride
    index = []
    inside = []
    for i, axis in enumerate(axes):
        shape = [1] * n
        shape[i] = len(axis.where)
        index.append(axis.source.reshape(shape))
        inside.append(axis.reads.reshape(shape))
    key: tuple[Any, ...] = (Ellipsis, *index)
    out = x[key]
    mask = np.logical_and.reduce(np.broadcast_arrays(*inside))
    if not mask.all():
        out[..., ~mask] = fill
    return out, strides


@dataclass(frozen=True)
class AxisReads:
    """One spatial axis of what window_input holds: for each of its positions, where it lies
    relative to A's first cell (padding before A is negative), the cell of A it reads under the
    boundary rule, and whether it reads A at all (else it holds the fill value)."""

    where: np.ndarray
    source: np.ndarray
    reads: np.ndarray


def window_reads(p: Layout) -> tuple[tuple[AxisReads, ...], tuple[int, ...]]:
    """Per spatial axis, the positions of the padded input that the sampled windows read (all of
    the span they cover, or only the windows where a stride leaves gaps between them), and the
    stride to slide over them."""
    n = len(p.pads)
    k_shape = p.b.shape[-n:]
    extents = [(k - 1) * d + 1 for k, d in zip(k_shape, p.dilation, strict=True)]
    axes = []
    strides = []
    for m, (before, _after), e, s, o in zip(
        p.a.shape[-n:], p.pads, extents, p.stride, p.out_shape, strict=True
    ):
        if s > e:
            where = (np.arange(o)[:, None] * s + np.arange(e)[None, :]).reshape(-1)
            strides.append(e)
        else:
            where = np.arange((o - 1) * s + e)
            strides.append(s)
        source, reads = _source_index(where - before, m, p.boundary)
        axes.append(AxisReads(where - before, source, reads))
    return tuple(axes), tuple(strides)


def window_adjoint(p: Layout, d: np.ndarray) -> np.ndarray:
    """The adjoint of window_input: ``d`` holds one number per entry of window_input's array;
    each is added to the cell of A that entry reads. Padding that wraps or mirrors sends its
    number back to the cell it copies; the fill value is not an input, so what reaches it is
    dropped. The result has A's shape (leading axes as in ``d``).

    Exact for integers of any size (an int64 sum that could overflow is done on Python ints).
    """
    axes, _ = window_reads(p)
    n = len(axes)
    lead = d.ndim - n
    for i, axis in enumerate(axes):
        at = lead + i
        m = p.a.shape[p.a.ndim - n + i]
        own = axis.reads & (axis.source == axis.where)  # A's cells themselves, each once
        copies = np.flatnonzero(axis.reads & ~own)  # padding copying a cell of A
        if copies.size and d.dtype == np.int64:
            most = int(np.bincount(axis.source[axis.reads]).max())
            if most > 1 and abs_max(d) * most > INT64_MAX:
                d = to_python_ints(d)
        shape = list(d.shape)
        shape[at] = m
        out = np.zeros(shape, dtype=d.dtype)
        if d.dtype == object:
            out[...] = 0  # Python ints, whose sums cannot wrap
        before: tuple[Any, ...] = (slice(None),) * at
        kept = np.flatnonzero(own)
        first, count = (int(kept[0]), int(kept.size)) if kept.size else (0, 0)
        start = int(axis.source[first]) if count else 0
        if count and kept[-1] - first + 1 == count and axis.source[kept[-1]] - start + 1 == count:
            # one run of A's cells, side by side: a slice
            out[(*before, slice(start, start + count))] = d[(*before, slice(first, first + count))]
        else:
            out[(*before, axis.source[kept])] = np.take(d, kept, axis=at)
        if copies.size:
            np.add.at(out, (*before, axis.source[copies]), np.take(d, copies, axis=at))  # type: ignore[arg-type]
        d = out
    return shrink_int(d) if d.dtype == object and kind_of(d) is Kind.INTEGER else d


def _source_index(i: np.ndarray, m: int, boundary: BoundaryRule) -> tuple[np.ndarray, np.ndarray]:
    """For positions ``i`` relative to A's first cell on an axis of length m: which cell of A each
    reads under the boundary rule (as numpy.pad), and whether it is inside A (else the fill)."""
    inside = (i >= 0) & (i < m)
    if boundary is BoundaryRule.FILL:
        return np.clip(i, 0, m - 1), inside
    if boundary is BoundaryRule.WRAP:
        return i % m, np.ones_like(inside)
    if boundary is BoundaryRule.EDGE:
        return np.clip(i, 0, m - 1), np.ones_like(inside)
    if boundary is BoundaryRule.SYMM:
        r = i % (2 * m)
        return np.where(r < m, r, 2 * m - 1 - r), np.ones_like(inside)
    if m == 1:  # mirror of one cell
        return np.zeros_like(i), np.ones_like(inside)
    r = i % (2 * m - 2)
    return np.where(r < m, r, 2 * m - 2 - r), np.ones_like(inside)


def require_nonempty(op: Op, a: np.ndarray, b: np.ndarray) -> None:
    for name, x in (("A", a), ("B", b)):
        if x.size == 0:
            raise ShapeError(
                f"{op}: {name} is empty ({shape_text(tuple(x.shape))})", short=f"{name} is empty"
            )


def dot_inner(a_shape: tuple[int, ...], b_shape: tuple[int, ...]) -> tuple[int, int]:
    """The two lengths dot multiplies along: A's last axis and B's second-to-last (a vector's
    only one); they must be equal."""
    return a_shape[-1], (b_shape[-2] if len(b_shape) >= 2 else b_shape[0])


def dot_shape(a_shape: tuple[int, ...], b_shape: tuple[int, ...]) -> tuple[int, ...] | None:
    """numpy.dot's result shape, or None when the inner lengths differ."""
    n, m = dot_inner(a_shape, b_shape)
    if n != m:
        return None
    return a_shape[:-1] + b_shape[:-2] + b_shape[-1:]


def dot_matrices(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A and B as dot reads them: a vector A is one row, a vector B one column."""
    return (a.reshape(1, -1) if a.ndim == 1 else a, b.reshape(-1, 1) if b.ndim == 1 else b)
