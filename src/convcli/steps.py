"""Explanations as data: every output cell derived, and the im2col view of a whole convolution.

A Step holds what one output cell reads (the window of the padded input, which of its cells are
padding), the kernel as applied, the products and the sum. Renderers decide how it looks; the
seed's notation ``(1*1)+(1*0)+... = 1+0+... = 4`` is built by ``terms_text``.
"""

from __future__ import annotations

import cmath
import itertools
from dataclasses import dataclass
from typing import Any

import numpy as np

from . import ops
from .errors import UsageError
from .model import Activation, Kind, Op, OpOptions
from .numbers import display_number, kind_of_value, value_of

__all__ = [
    "Step",
    "Steps",
    "Im2col",
    "derive",
    "derive_sliding",
    "im2col",
    "factor_text",
    "terms_text",
]


@dataclass(frozen=True)
class Step:
    """One output cell.

    ``cell`` indexes the result. ``window`` and ``kernel`` have the kernel's shape (with
    --channels: C x kh x kw); ``padding`` marks window entries that lie outside A. For dot,
    ``window`` is a row of A and ``kernel`` a column of B.
    """

    cell: tuple[int, ...]
    window: np.ndarray
    kernel: np.ndarray
    products: np.ndarray
    total: Any
    value: Any
    origin: tuple[int, ...] = ()
    padding: np.ndarray | None = None
    channel_sums: tuple[Any, ...] = ()


@dataclass(frozen=True)
class Steps:
    """The derivation of a result, cell by cell, possibly capped (``shown < total_cells``)."""

    op: Op
    options: OpOptions | None
    a_shape: tuple[int, ...]
    b_shape: tuple[int, ...]
    out_shape: tuple[int, ...]
    steps: tuple[Step, ...]
    total_cells: int
    kernel: np.ndarray | None = None
    turned: np.ndarray | None = None
    padded: np.ndarray | None = None
    pad_mask: np.ndarray | None = None
    stride: tuple[int, ...] = ()
    dilation: tuple[int, ...] = ()
    bias: Any = None
    chosen: bool = False  # one cell picked with --at, not a capped run
    pads: tuple[tuple[int, int], ...] = ()  # (before, after) padding of each spatial axis

    @property
    def capped(self) -> bool:
        return not self.chosen and len(self.steps) < self.total_cells


def _needs_brackets(text: str) -> bool:
    return text.startswith("-") or any(ch in text for ch in "/+*j ") and not text.lstrip("-").isdigit()


def factor_text(x: Any) -> str:
    """One number as a factor: parenthesised when negative, a fraction, complex or an expression."""
    text = display_number(x)
    return f"({text})" if _needs_brackets(text) else text


def terms_text(window: np.ndarray, kernel: np.ndarray, products: np.ndarray, total: Any) -> str:
    """``(1*1)+(1*0)+... = 1+0+... = 4``: the seed's notation for one sum of products."""
    pairs = "+".join(
        f"({factor_text(x)}*{factor_text(w)})" for x, w in zip(window.flat, kernel.flat, strict=True)
    )
    values = "+".join(factor_text(p) for p in products.flat)
    if values == pairs:  # symbolic products print as they were written
        return f"{pairs} = {display_number(total)}"
    return f"{pairs} = {values} = {display_number(total)}"


def _parse_at(at: tuple[int, ...], shape: tuple[int, ...]) -> tuple[int, ...]:
    if len(at) != len(shape):
        raise UsageError(
            f"--at takes {len(shape)} indices for a {ops.shape_text(shape)} result, got {len(at)}"
        )
    for i, (k, n) in enumerate(zip(at, shape, strict=True)):
        if not -n <= k < n:
            raise UsageError(f"--at: index {k} on axis {i} is outside the result (0 to {n - 1})")
    return tuple(k % n for k, n in zip(at, shape, strict=True))


def _cells(
    shape: tuple[int, ...], at: tuple[int, ...] | None, max_steps: int
) -> tuple[list[tuple[int, ...]], int]:
    total = int(np.prod(shape)) if shape else 1
    if at is not None:
        return [_parse_at(at, shape)], total
    if max_steps < 1:
        raise UsageError(f"--max-steps takes a whole number >= 1, got {max_steps}")
    return list(itertools.islice(np.ndindex(*shape), max_steps)), total


def _products(window: np.ndarray, kernel: np.ndarray) -> np.ndarray:
    """Entry-by-entry products as Python numbers (exact: no int64 wrap-around)."""
    out = np.empty(window.shape, dtype=object)
    out.flat[:] = [x * w for x, w in zip(window.ravel().tolist(), kernel.ravel().tolist(), strict=True)]
    return out


def _sum(products: np.ndarray) -> Any:
    values = products.ravel().tolist()
    return sum(values[1:], start=values[0])


def _activate(value: Any, activation: Activation) -> Any:
    """One cell's activation, exactly as ops applies it to a whole result."""
    if activation is Activation.NONE:
        return value
    kind = kind_of_value(value)
    dtype = {Kind.FLOAT: np.float64, Kind.COMPLEX: np.complex128}.get(kind, object)
    one: np.ndarray = np.array([value], dtype=dtype)
    return value_of(ops.activate(one, activation, kind)[0][0])


def derive_sliding(
    op: Op,
    a: np.ndarray,
    b: np.ndarray,
    options: OpOptions | None = None,
    *,
    at: tuple[int, ...] | None = None,
    max_steps: int = 25,
) -> Steps:
    """Every output cell of convolve or correlate: window, kernel as applied, products, sum.

    The arithmetic here is done cell by cell on Python numbers (exact for every kind); the test
    suite checks that it agrees with ops, which computes the same plan in bulk.
    """
    options = options or OpOptions()
    p = ops.plan(op, a, b, options)
    result = ops.run(op, a, b, options)
    padded = p.padded()
    lead = [(0, 0)] * (p.a.ndim - len(p.pads))
    pad_mask = ~np.pad(np.ones(p.a.shape, dtype=bool), lead + list(p.pads), constant_values=False)
    kernel = p.kernel()
    spatial = len(p.pads)
    filters = p.filters
    out_shape = tuple(result.value.shape)
    cells, total_cells = _cells(out_shape, at, max_steps)
    steps = []
    for cell in cells:
        if options.channels and len(cell) == spatial + 1:
            f, where = cell[0], cell[1:]
        else:
            f, where = 0, cell
        origin = p.window_origin(tuple(where))
        k = kernel[f] if options.channels else kernel
        taps = tuple(
            slice(o, o + (n - 1) * d + 1, d)
            for o, n, d in zip(origin, k.shape[-spatial:], p.dilation, strict=True)
        )
        index = (slice(None),) * (padded.ndim - spatial) + taps
        window = padded[index]
        products = _products(window, k)
        channel_sums: tuple[Any, ...] = ()
        if options.channels:
            channel_sums = tuple(_sum(ch) for ch in products)
        total = _sum(products)
        value = total
        if options.bias:
            value = value + options.bias[f if len(options.bias) > 1 else 0]
        value = _activate(value, options.activation)
        steps.append(
            Step(
                cell=tuple(cell),
                window=window,
                kernel=k,
                products=products,
                total=total,
                value=value,
                origin=origin,
                padding=pad_mask[index],
                channel_sums=channel_sums,
            )
        )
    return Steps(
        op=op,
        options=options,
        a_shape=tuple(a.shape),
        b_shape=tuple(b.shape),
        out_shape=out_shape,
        steps=tuple(steps),
        total_cells=total_cells,
        kernel=p.b[0] if options.channels and filters == 1 else p.b,
        turned=kernel if op is Op.CONVOLVE else None,
        padded=padded,
        pad_mask=pad_mask,
        pads=p.pads,
        stride=p.stride,
        dilation=p.dilation,
        bias=options.bias or None,
        chosen=at is not None,
    )


def derive(
    op: Op,
    a: np.ndarray,
    b: np.ndarray,
    options: OpOptions | None = None,
    *,
    at: tuple[int, ...] | None = None,
    max_steps: int = 25,
) -> Steps:
    """The derivation of any operation: sliding ops cell by cell, elementwise-sum as one step,
    dot as row times column for each entry."""
    if op in (Op.CONVOLVE, Op.CORRELATE):
        return derive_sliding(op, a, b, options, at=at, max_steps=max_steps)
    result = ops.run(op, a, b, options)
    if op is Op.ELEMENTWISE_SUM:
        products = _products(a, b)
        step = Step(
            cell=(), window=a, kernel=b, products=products, total=result.value[()], value=result.value[()]
        )
        return Steps(op, None, tuple(a.shape), tuple(b.shape), (), (step,), 1)
    # dot: entry [i, j] is row i of A times column j of B
    out_shape = tuple(result.value.shape)
    a2 = a.reshape(1, -1) if a.ndim == 1 else a
    b2 = b.reshape(-1, 1) if b.ndim == 1 else b
    if a2.ndim != 2 or b2.ndim != 2:
        raise UsageError("steps for dot shows 1-D and 2-D operands; for more axes use `convcli dot`")
    cells, total_cells = _cells(out_shape, at, max_steps)
    steps = []
    for cell in cells:
        i = cell[0] if a.ndim == 2 else 0
        j = cell[-1] if b.ndim == 2 else 0
        row, column = a2[i], b2[:, j]
        products = _products(row, column)
        value = result.value[cell] if cell else result.value[()]
        steps.append(
            Step(cell=tuple(cell), window=row, kernel=column, products=products, total=value, value=value)
        )
    return Steps(
        op, None, tuple(a.shape), tuple(b.shape), out_shape, tuple(steps), total_cells, chosen=at is not None
    )


@dataclass(frozen=True)
class Im2col:
    """A whole convolution as one matrix multiply: ``kernel_rows @ patches``, reshaped."""

    op: Op
    patches: np.ndarray  # (taps, windows): one column per output cell
    labels: tuple[tuple[int, ...], ...]  # the output cell of each column
    kernel_rows: np.ndarray  # (filters, taps): the kernel as applied, flattened
    product: np.ndarray  # kernel_rows @ patches, reshaped to the output
    expected: np.ndarray  # the same operation computed by ops
    equal: bool
    tap_shape: tuple[int, ...] = ()  # the kernel's shape: row r of the patches is tap r of B


def im2col(op: Op, a: np.ndarray, b: np.ndarray, options: OpOptions | None = None) -> Im2col:
    """The patch matrix of A (one column per window), the kernel as a row, and their product.

    For convolve the row holds the kernel turned 180°, which is why convolve equals correlate
    with the turned kernel. Bias and activation, when given, are applied after the product.
    """
    options = options or OpOptions()
    if op not in (Op.CONVOLVE, Op.CORRELATE):
        raise UsageError("im2col applies to convolve and correlate")
    p = ops.plan(op, a, b, options)
    expected = ops.run(op, a, b, options)
    padded = p.padded()
    kernel = p.kernel()
    spatial = len(p.pads)
    k_spatial = kernel.shape[-spatial:]
    columns, labels = [], []
    for where in np.ndindex(*p.out_shape):
        origin = p.window_origin(where)
        taps = tuple(
            slice(o, o + (n - 1) * d + 1, d) for o, n, d in zip(origin, k_spatial, p.dilation, strict=True)
        )
        columns.append(padded[(slice(None),) * (padded.ndim - spatial) + taps].reshape(-1))
        labels.append(tuple(where))
    patches = np.stack(columns, axis=1)
    rows = kernel.reshape(p.filters, -1) if options.channels else kernel.reshape(1, -1)
    if patches.dtype.kind in "iu":  # Python ints: the product cannot wrap around
        patches, rows = patches.astype(object), rows.astype(object)
    with np.errstate(over="ignore", invalid="ignore"):  # overflow is inf, as in the operation
        product = np.dot(rows, patches)
    if options.bias:
        product = product + np.array(options.bias, dtype=object).reshape(-1, 1)
    product = np.array([_activate(v, options.activation) for v in product.flat], dtype=object).reshape(
        product.shape
    )
    shaped = product.reshape(expected.value.shape)
    same = shaped.shape == expected.value.shape and all(
        _close(x, y) for x, y in zip(shaped.flat, expected.value.flat, strict=True)
    )
    return Im2col(
        op,
        patches,
        tuple(labels),
        rows,
        shaped,
        expected.value,
        bool(same),
        tuple(kernel.shape[-spatial - (1 if options.channels else 0) :]),
    )


def _close(x: Any, y: Any) -> bool:
    if isinstance(x, float | complex) or isinstance(y, float | complex):
        cx, cy = complex(x), complex(y)
        if cx == cy or (cmath.isnan(cx) and cmath.isnan(cy)):  # inf equals inf, nan stands for nan
            return True
        return bool(abs(cx - cy) <= 1e-9 * max(1.0, abs(cy)))
    try:
        return bool(x == y) or bool((x - y) == 0)
    except TypeError:
        return False


def cell_label(cell: tuple[int, ...]) -> str:
    """``(0,1)``: a compact label for an output cell."""
    return "(" + ",".join(str(i) for i in cell) + ")"


def cell_name(op: Op, cell: tuple[int, ...]) -> str:
    """``C[0, 1]`` for a result cell; ``sum(A*B)`` for elementwise-sum's single step."""
    if op is Op.ELEMENTWISE_SUM:
        return "sum(A*B)"
    return "C[" + ", ".join(str(i) for i in cell) + "]" if cell else "C"


def _index(axis: str, tap: str, stride: int, dilation: int) -> str:
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
    rows = _index("i", "u", stride[0], dilation[0])
    cols = _index("j", "v", stride[1], dilation[1])
    kernel = "rot180(B)" if op is Op.CONVOLVE else "B"
    if channels:
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
        for c, total in enumerate(step.channel_sums):
            text = terms_text(step.window[c], step.kernel[c], step.products[c], total)
            lines.append(f"  channel {c}: {text}")
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


def derive_cells(
    op: Op, a: np.ndarray, b: np.ndarray, options: OpOptions | None, cells: list[tuple[int, ...]]
) -> list[Steps]:
    """The derivation of a few chosen cells (check uses it for the first wrong ones)."""
    return [derive(op, a, b, options, at=cell if cell else None, max_steps=1) for cell in cells]
