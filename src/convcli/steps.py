"""Explanations as data: every output cell derived (im2col.py builds the whole-convolution view
from the same windows).

A Step holds what one output cell reads (the window of the padded input, which of its cells are
padding), the kernel as applied, the products and the sum. Renderers decide how it looks; the
notation of a sum worked by hand ``(1*1)+(1*0)+... = 1+0+... = 4`` is built by ``terms_text``.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from . import geometry, numeric, ops
from .errors import UsageError
from .explanations import Step, Steps
from .model import SLIDING, Activation, BoundaryRule, Kind, Op, OpOptions
from .numeric import as_kind, check_allocation, kind_of, kind_of_value, sum_as_written
from .text import cell_text, display_number, shape_text, value_of

__all__ = [
    "cell_at",
    "check_max_steps",
    "derive",
    "derive_sliding",
    "factor_text",
    "terms_text",
    "cells_to_derive",
    "index_text",
    "CellWindows",
    "MAX_TERMS",
    "activate_cell",
    "at_placeholder",
    "cap_note",
    "cap_text",
    "cell_label",
    "cell_name",
    "cell_step",
    "cell_terms",
    "cell_windows",
    "definition",
    "derive_cells",
    "in_kind",
    "number_in_kind",
    "operand_kind",
    "padded_input",
    "step_lines",
    "terms_per_cell",
]


def cap_note(steps: Steps) -> str:
    """What a capped derivation shows, and how to see the rest."""
    terms = steps.steps[0].products.size if steps.steps else 0
    channels = steps.options is not None and steps.options.channels
    at = at_placeholder(len(steps.out_shape), "O" if channels else "")
    return cap_text(len(steps.steps), steps.total_cells, terms, steps.max_terms, at=at)


def at_placeholder(ndim: int, lead: str = "") -> str:
    """How ``--at`` names a cell of an ``ndim``-axis result: ``I,J``; with a leading axis named
    ``lead`` (``O`` for the filters, ``C`` for the channels) ``O,I,J``.

    >>> at_placeholder(2), at_placeholder(3, "O"), at_placeholder(1), at_placeholder(3)
    ('I,J', 'O,I,J', 'I', 'I,J,K')
    """
    if lead and ndim >= 3:
        return ",".join([lead, *at_placeholder(ndim - 1).split(",")])
    return ",".join("IJKLMNPQRSTUVWXYZ"[:ndim]) or "I"


def cap_text(
    shown: int, total: int, terms: int, max_terms: int | None, what: str = "products", at: str = "I,J"
) -> str:
    """The note on a capped derivation: ``shown`` of ``total`` cells, each of ``terms`` terms;
    ``max_terms`` when that cap, not --max-steps, stopped it; ``at`` the form of --at's cell."""
    if max_terms is None:
        return f"showing {shown} of {total} cells; --max-steps {total} shows them all, --at {at} one cell"
    return (
        f"showing {shown} of {total} cells: each is a sum of {terms:,} {what}, and --max-terms "
        f"{max_terms:,} caps the {what} shown; --max-terms {terms * total} --max-steps {total} "
        f"shows them all, --at {at} one cell"
    )


def _needs_brackets(text: str) -> bool:
    return text.startswith("-") or any(ch in text for ch in "/+*j ") and not text.lstrip("-").isdigit()


def factor_text(x: Any) -> str:
    """One number as a factor: parenthesised when negative, a fraction, complex or an expression."""
    text = display_number(x)
    return f"({text})" if _needs_brackets(text) else text


def terms_text(window: np.ndarray, kernel: np.ndarray, products: np.ndarray, total: Any) -> str:
    """``(1*1)+(1*0)+... = 1+0+... = 4``: the notation of a sum worked by hand for one sum of products."""
    pairs = "+".join(
        f"({factor_text(x)}*{factor_text(w)})" for x, w in zip(window.flat, kernel.flat, strict=True)
    )
    values = "+".join(factor_text(p) for p in products.flat)
    if values == pairs:  # symbolic products print as they were written
        return f"{pairs} = {display_number(total)}"
    return f"{pairs} = {values} = {display_number(total)}"


def cell_at(at: tuple[int, ...], shape: tuple[int, ...], *, sized: str, outside: str) -> tuple[int, ...]:
    """``--at I,J``: the cell of an array of ``shape`` it names (negative indices count from the
    end). ``sized`` and ``outside`` name the array in a refusal ("a 3x3 result", "the result")."""
    if len(at) != len(shape):
        raise UsageError(f"--at takes {len(shape)} indices for {sized}, got {len(at)}")
    for i, (k, n) in enumerate(zip(at, shape, strict=True)):
        if not -n <= k < n:
            raise UsageError(f"--at: index {k} on axis {i} is outside {outside} (0 to {n - 1})")
    return tuple(k % n for k, n in zip(at, shape, strict=True))


def check_max_steps(max_steps: int) -> None:
    """--max-steps counts cells: at least one."""
    if max_steps < 1:
        raise UsageError(f"--max-steps takes a whole number >= 1, got {max_steps}")


# The most products a derivation shows in all (--max-terms): a cell of a 1001x1001 kernel has a
# million, and formatting a few such cells takes minutes.
MAX_TERMS = 10_000


def cells_to_derive(
    shape: tuple[int, ...], at: tuple[int, ...] | None, max_steps: int, terms: int, max_terms: int
) -> tuple[list[tuple[int, ...]], int]:
    """The cells to derive: ``at``, or the first ``max_steps`` whose ``terms`` products each add up
    to at most ``max_terms``, and how many cells there are. A single cell with more products than
    that is refused."""
    total = math.prod(shape)
    if max_terms < 1:
        raise UsageError(f"--max-terms takes a whole number >= 1, got {max_terms}")
    if terms > max_terms:
        raise UsageError(
            f"a cell here is a sum of {terms:,} products, more than the {max_terms:,} a derivation "
            f"shows (--max-terms); --max-terms {terms} shows one"
        )
    if at is not None:
        return [cell_at(at, shape, sized=f"a {shape_text(shape)} result", outside="the result")], total
    check_max_steps(max_steps)
    count = min(max_steps, max_terms // terms)
    return list(itertools.islice(np.ndindex(*shape), count)), total


def _products(window: np.ndarray, kernel: np.ndarray) -> np.ndarray:
    """Entry-by-entry products as Python numbers (exact: no int64 wrap-around)."""
    out = np.empty(window.shape, dtype=object)
    out.flat[:] = [x * w for x, w in zip(window.ravel().tolist(), kernel.ravel().tolist(), strict=True)]
    return out


def activate_cell(value: Any, activation: Activation) -> Any:
    """One cell's activation, exactly as ops applies it to a whole result."""
    if activation is Activation.NONE:
        return value
    kind = kind_of_value(value)
    dtype = {Kind.FLOAT: np.float64, Kind.COMPLEX: np.complex128}.get(kind, object)
    one: np.ndarray = np.array([value], dtype=dtype)
    return value_of(ops.activate(one, activation, kind)[0][0])


def in_kind(x: np.ndarray, kind: Kind) -> np.ndarray:
    """``x`` in the result's kind, except that integers stay integers in an exact result: Python
    arithmetic on them is exact already, and converting a large A to fractions or symbols
    costs more than the operation itself."""
    own = kind_of(x)
    if own is kind or (own is Kind.INTEGER and kind in (Kind.RATIONAL, Kind.SYMBOLIC)):
        return x
    return as_kind(x, kind)


def number_in_kind(v: Any, kind: Kind) -> Any:
    """One number in the result's kind, as ``in_kind`` converts an array."""
    one = np.empty(1, dtype=object)
    one[0] = v
    return value_of(in_kind(one, kind)[0])


def _holds(dtype: np.dtype, v: Any) -> bool:
    """Whether an array of ``dtype`` holds ``v`` unchanged."""
    if dtype.kind == "O":
        return True
    if dtype.kind == "i":
        return type(v) is int and -numeric.INT64_MAX - 1 <= v <= numeric.INT64_MAX
    if dtype.kind == "f":
        return isinstance(v, float)
    return dtype.kind == "c" and isinstance(v, complex)


@dataclass(frozen=True)
class CellWindows:
    """Which cells of A each output cell of convolve or correlate reads, and the kernel they meet.

    ``layout`` is geometry.lay_out of the operation made from stand-ins of the operands' shapes, so that its
    padding, stride, dilation and shapes are known without converting (or copying) a large A
    (its fill and bias are stand-ins too: ``options`` holds the real ones); ``a`` and ``kernel``
    are the operands themselves, ``kernel`` as applied (turned 180° for
    convolve, conjugated for correlate). ``maps`` holds, per spatial axis, the index into A of each
    padded position (the boundary rule of ops applied to the indices), -1 where the fill value is.
    """

    layout: geometry.Layout
    options: OpOptions
    a: np.ndarray
    b: np.ndarray
    kernel: np.ndarray
    fill: Any
    kind: Kind
    maps: tuple[np.ndarray, ...]
    shape: tuple[int, ...]

    @property
    def spatial(self) -> int:
        return len(self.layout.pads)

    def filter_and_place(self, cell: tuple[int, ...]) -> tuple[int, tuple[int, ...]]:
        """The filter and the spatial position of a result cell."""
        if self.options.channels and len(cell) == self.spatial + 1:
            return cell[0], cell[1:]
        if len(cell) < self.spatial:  # two vectors give a vector: the row index is 0
            return 0, (0,) * (self.spatial - len(cell)) + cell
        return 0, cell

    def taps(self, where: tuple[int, ...]) -> list[np.ndarray]:
        """Per spatial axis, the padded positions that output position ``where`` reads."""
        return self.layout.window_positions(where, self.kernel.shape[-self.spatial :])

    def read(self, positions: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
        """The padded input at the outer product of per-axis ``positions``, and which of those
        positions lie outside A (padding, whatever the boundary rule puts there)."""
        index = [m[p] for m, p in zip(self.maps, positions, strict=True)]
        grid = np.ix_(*index)
        lead = (slice(None),) * (self.a.ndim - self.spatial)
        values = self.a[lead + tuple(np.maximum(i, 0) for i in grid)]
        filled = np.zeros(values.shape[-self.spatial :], dtype=bool)
        outside = np.zeros_like(filled)
        for axis, (p, i) in enumerate(zip(positions, index, strict=True)):
            shape = [1] * self.spatial
            shape[axis] = -1
            filled = filled | (i < 0).reshape(shape)
            before, _ = self.layout.pads[axis]
            m = self.a.shape[self.a.ndim - self.spatial + axis]
            outside = outside | ((p < before) | (p >= before + m)).reshape(shape)
        if filled.any():
            if not _holds(values.dtype, self.fill):
                values = values.astype(object)
            values[..., filled] = self.fill
        return values, np.broadcast_to(outside, values.shape)

    def padded(self) -> tuple[np.ndarray, np.ndarray]:
        """The whole padded input and its padding cells (the table view draws windows on it)."""
        return self.read([np.arange(len(m)) for m in self.maps])


def operand_kind(a: np.ndarray, b: np.ndarray, options: OpOptions) -> Kind:
    """The kind of the result of convolve or correlate (the fill value counts even where the layout
    puts 0 in its place, as in ops), decided as ops decides it: refusing numbers it would lose."""
    return numeric.result_kind(a, b, options.fillvalue, options.bias, terms=b.size)


def cell_windows(
    op: Op,
    a: np.ndarray,
    b: np.ndarray,
    options: OpOptions | None = None,
    *,
    kind: Kind | None = None,
    layout: geometry.Layout | None = None,
) -> CellWindows:
    """The cell windows of convolve or correlate on A and B: as cheap as laying it out, whatever A holds.

    ``kind``, when the caller knows it, is the result's kind, with A and B already in it (or
    integers, for an exact result): then nothing is scanned or converted. ``layout``, when the
    caller has it, is ``geometry.lay_out_shapes`` of these shapes and options.
    """
    options = options or OpOptions()
    p = layout or geometry.lay_out_shapes(op, a.shape, b.shape, options)
    fill = 0 if p.boundary is BoundaryRule.FILL and p.fill == 0 else options.fillvalue
    if kind is None:
        kind = operand_kind(a, b, options)
        a, b = in_kind(a, kind), in_kind(b, kind)
    spatial = len(p.pads)
    lead = p.a.ndim - spatial
    befores = [before for before, _ in p.pads]
    maps = []
    for axis in range(spatial):
        # pad the indices of one axis as ops pads the values, then read them along that axis
        shape = [1] * spatial
        shape[axis] = -1
        padded = p.padded(np.arange(p.a.shape[lead + axis]).reshape(shape), fill=-1)
        line = tuple(slice(None) if j == axis else before for j, before in enumerate(befores))
        maps.append(np.asarray(padded[line], dtype=np.int64))
    result_shape = p.result_shape(a.shape, b.shape)
    b2 = b.reshape(p.b.shape)
    fill = number_in_kind(fill, kind)
    return CellWindows(
        p, options, a.reshape(p.a.shape), b2, p.kernel(b2), fill, kind, tuple(maps), result_shape
    )


def terms_per_cell(g: CellWindows) -> int:
    """How many products make one cell (with --channels, through all channels)."""
    return math.prod(g.kernel.shape[1:] if g.options.channels else g.kernel.shape)


def cell_step(g: CellWindows, cell: tuple[int, ...]) -> Step:
    """One result cell derived from the operands: its window, products, sum, bias, activation."""
    options = g.options
    f, where = g.filter_and_place(cell)
    positions = g.taps(where)
    window, padding = g.read(positions)
    k = g.kernel[f] if options.channels else g.kernel
    first = 0
    if options.channels and options.groups > 1:
        # filter f reads only the channels of its group
        per_group = k.shape[0]
        first = f // (g.kernel.shape[0] // options.groups) * per_group
        window, padding = window[first : first + per_group], padding[first : first + per_group]
    products = _products(window, k)
    channel_sums: tuple[Any, ...] = ()
    if options.channels:
        channel_sums = tuple(sum_as_written(ch.ravel().tolist()) for ch in products)
    total = sum_as_written(products.ravel().tolist())
    value = total
    if options.bias:
        value = value + number_in_kind(options.bias[f if len(options.bias) > 1 else 0], g.kind)
    value = activate_cell(value, options.activation)
    origin = tuple(int(p[0]) for p in positions)
    return Step(
        tuple(cell), window, k, products, total, value, origin, np.array(padding), channel_sums, first
    )


def _sliding_steps(
    g: CellWindows,
    op: Op,
    shapes: tuple[tuple[int, ...], tuple[int, ...]],
    cells: list[tuple[int, ...]],
    total_cells: int,
    chosen: bool,
    padded: tuple[np.ndarray, np.ndarray] | None = None,
) -> Steps:
    p = g.layout
    if padded is None:
        padded = padded_input(g)
    return Steps(
        op=op,
        options=g.options,
        a_shape=shapes[0],
        b_shape=shapes[1],
        out_shape=g.shape,
        steps=tuple(cell_step(g, cell) for cell in cells),
        total_cells=total_cells,
        kernel=g.b[0] if g.options.channels and p.filters == 1 else g.b,
        turned=g.kernel if op is Op.CONVOLVE else None,
        padded=padded[0],
        pad_mask=padded[1],
        pads=p.pads,
        stride=p.stride,
        dilation=p.dilation,
        bias=g.options.bias or None,
        chosen=chosen,
    )


def padded_input(g: CellWindows) -> tuple[np.ndarray, np.ndarray]:
    """A padded as the windows read it, and which of its cells are padding (refused when too large)."""
    check_allocation(
        g.a.shape[: g.a.ndim - g.spatial] + tuple(len(m) for m in g.maps), g.kind, "the padded input"
    )
    values, outside = g.padded()
    return values, np.array(outside)


def derive_sliding(
    op: Op,
    a: np.ndarray,
    b: np.ndarray,
    options: OpOptions | None = None,
    *,
    at: tuple[int, ...] | None = None,
    max_steps: int = 25,
    max_terms: int = MAX_TERMS,
) -> Steps:
    """Every output cell of convolve or correlate: window, kernel as applied, products, sum.

    Only the cells shown are computed (the result's shape comes from the geometry), on Python
    numbers, exact for every kind; the test suite checks that they agree with ops, which
    computes the same layout in bulk.
    """
    g = cell_windows(op, a, b, options)
    cells, total_cells = cells_to_derive(g.shape, at, max_steps, terms_per_cell(g), max_terms)
    shapes = (tuple(a.shape), tuple(b.shape))
    steps = _sliding_steps(g, op, shapes, cells, total_cells, at is not None)
    return replace(steps, max_terms=_terms_cap(steps, max_steps, max_terms))


def _terms_cap(steps: Steps, max_steps: int, max_terms: int) -> int | None:
    """``max_terms`` when it, not ``max_steps``, cut the derivation short."""
    return max_terms if steps.capped and len(steps.steps) < max_steps else None


def derive(
    op: Op,
    a: np.ndarray,
    b: np.ndarray,
    options: OpOptions | None = None,
    *,
    at: tuple[int, ...] | None = None,
    max_steps: int = 25,
    max_terms: int = MAX_TERMS,
) -> Steps:
    """The derivation of any operation: sliding ops cell by cell, elementwise-sum as one step,
    dot as row times column for each entry. At most ``max_steps`` cells, and at most
    ``max_terms`` products in all."""
    if op in SLIDING:
        return derive_sliding(op, a, b, options, at=at, max_steps=max_steps, max_terms=max_terms)
    if op is Op.ELEMENTWISE_SUM:
        cells_to_derive((), None, 1, a.size, max_terms)
        result = ops.elementwise_sum(a, b)
        products = _products(a, b)
        step = Step(
            cell=(), window=a, kernel=b, products=products, total=result.value[()], value=result.value[()]
        )
        return Steps(op, None, tuple(a.shape), tuple(b.shape), (), (step,), 1)
    # dot: entry [i, j] is row i of A times column j of B
    out_shape = geometry.dot_shape(a.shape, b.shape)
    if out_shape is None or a.size == 0 or b.size == 0:
        ops.dot(a, b)  # raises its shape error before computing anything
    assert out_shape is not None
    a2, b2 = geometry.dot_matrices(a, b)
    if a2.ndim != 2 or b2.ndim != 2:
        raise UsageError("steps for dot shows 1-D and 2-D operands; for more axes use `convcli dot`")
    cells, total_cells = cells_to_derive(out_shape, at, max_steps, a2.shape[1], max_terms)
    steps = []
    for cell in cells:
        i = cell[0] if a.ndim == 2 else 0
        j = cell[-1] if b.ndim == 2 else 0
        row, column = a2[i], b2[:, j]
        products = _products(row, column)
        value = sum_as_written(products.ravel().tolist())
        steps.append(
            Step(cell=tuple(cell), window=row, kernel=column, products=products, total=value, value=value)
        )
    derivation = Steps(
        op, None, tuple(a.shape), tuple(b.shape), out_shape, tuple(steps), total_cells, chosen=at is not None
    )
    return replace(derivation, max_terms=_terms_cap(derivation, max_steps, max_terms))


def cell_label(cell: tuple[int, ...]) -> str:
    """``(0,1)``: a compact label for an output cell."""
    return "(" + ",".join(str(i) for i in cell) + ")"


def cell_name(op: Op, cell: tuple[int, ...]) -> str:
    """``C[0, 1]`` for a result cell; ``sum(A*B)`` for elementwise-sum's single step."""
    if op is Op.ELEMENTWISE_SUM:
        return "sum(A*B)"
    return "C" + cell_text(cell) if cell else "C"


def index_text(axis: str, tap: str, stride: int, dilation: int) -> str:
    left = f"{stride}{axis}" if stride > 1 else axis
    right = f"{dilation}{tap}" if dilation > 1 else tap
    return f"{left}+{right}"


def definition(op: Op, channels: bool = False, steps: Steps | None = None) -> str:
    """The formula every step instantiates, in words a student can check.

    With a derivation at hand, its stride, dilation and padding are written into the indices
    (``Ap[2i+u, 2j+v]`` reads the padded input with stride 2).
    """
    if op is Op.ELEMENTWISE_SUM:
        return "sum over i, j of A[i, j] * B[i, j]  (one number)"
    if op is Op.DOT:
        return "C[i, j] = sum over k of A[i, k] * B[k, j]  (row i of A times column j of B)"
    stride = steps.stride[-2:] if steps is not None and steps.stride else (1, 1)
    dilation = steps.dilation[-2:] if steps is not None and steps.dilation else (1, 1)
    if len(stride) == 1:
        stride, dilation = (1, *stride), (1, *dilation)
    padded = steps is not None and steps.pad_mask is not None and bool(steps.pad_mask.any())
    source = "Ap" if padded else "A"
    rows = index_text("i", "u", stride[0], dilation[0])
    cols = index_text("j", "v", stride[1], dilation[1])
    kernel = "rot180(B)" if op is Op.CONVOLVE else "B"
    groups = steps.options.groups if steps is not None and steps.options is not None else 1
    if channels and groups > 1:
        text = (
            f"C[o, i, j] = sum over c, u, v of {source}[g·C/{groups} + c, {rows}, {cols}] * "
            f"{kernel}[o, c, u, v], g = o // (O/{groups}) the group of filter o"
        )
    elif channels:
        text = f"C[o, i, j] = sum over c, u, v of {source}[c, {rows}, {cols}] * {kernel}[o, c, u, v]"
    else:
        text = f"C[i, j] = sum over u, v of {source}[{rows}, {cols}] * {kernel}[u, v]"
    notes = ["B turned 180° first" if op is Op.CONVOLVE else "B slides as it is"]
    if padded:
        notes.append("Ap is A padded, padding cells marked")
    return f"{text}  ({'; '.join(notes)})"


def step_lines(steps: Steps, step: Step) -> list[str]:
    """The plain-text derivation of one cell: one line, or one per channel then the total."""
    head = cell_name(steps.op, step.cell)
    if steps.op is Op.DOT and step.cell:
        i = step.cell[0] if len(steps.a_shape) == 2 else 0
        j = step.cell[-1] if len(steps.b_shape) == 2 else 0
        head += f" (row {i} of A times column {j} of B)"
    if not step.channel_sums:
        lines = [f"{head}: {terms_text(step.window, step.kernel, step.products, step.total)}"]
    else:
        lines = [f"{head}:"]
        groups = steps.options.groups if steps.options is not None else 1
        if groups > 1:
            per_group = len(step.channel_sums)
            last = step.first_channel + per_group - 1
            read = f"channel {last}" if per_group == 1 else f"channels {step.first_channel} to {last}"
            lines.append(
                f"  group {step.first_channel // per_group} of {groups}: this filter reads {read} of A only"
            )
        for c, total in enumerate(step.channel_sums):
            text = terms_text(step.window[c], step.kernel[c], step.products[c], total)
            lines.append(f"  channel {step.first_channel + c}: {text}")
        sums = "+".join(factor_text(t) for t in step.channel_sums)
        lines.append(f"  sum over channels: {sums} = {display_number(step.total)}")
    options = steps.options
    if options is not None and options.bias:
        f = step.cell[0] if options.channels and len(step.cell) == 3 else 0
        bias = options.bias[f if len(options.bias) > 1 else 0]
        lines.append(f"  plus bias {factor_text(bias)}: {display_number(step.total + bias)}")
    if options is not None and options.activation is not Activation.NONE:
        lines.append(f"  {options.activation}: {display_number(step.value)}")
    return lines


def cell_terms(op: Op, a: np.ndarray, b: np.ndarray, options: OpOptions | None = None) -> int:
    """How many products make one cell of ``op``'s result (as cheap as laying it out)."""
    if op is Op.ELEMENTWISE_SUM:
        return int(a.size)
    if op is Op.DOT:
        return int(a.shape[-1])
    p = geometry.lay_out_shapes(op, a.shape, b.shape, options or OpOptions())
    return math.prod(p.b.shape[1:] if p.options.channels else p.b.shape)


def derive_cells(
    op: Op,
    a: np.ndarray,
    b: np.ndarray,
    options: OpOptions | None,
    cells: list[tuple[int, ...]],
    max_terms: int = MAX_TERMS,
) -> list[Steps]:
    """The derivation of a few chosen cells, one Steps each (check uses it for the first wrong
    ones), as many as ``max_terms`` products allow in all."""
    if not cells:
        return []
    chosen = cells[: max_terms // cell_terms(op, a, b, options)]
    if not chosen:
        return []
    if op not in SLIDING:
        return [derive(op, a, b, options, at=cell or None, max_terms=max_terms) for cell in chosen]
    g = cell_windows(op, a, b, options)
    shapes = (tuple(a.shape), tuple(b.shape))
    padded = padded_input(g)
    total = math.prod(g.shape)
    return [_sliding_steps(g, op, shapes, [cell], total, True, padded) for cell in chosen]
