"""The backward pass explained cell by cell: each cell of dW, dX or db as a sum of products.

For the layer Y = correlate(X, W) (the geometry of geometry.py: stride, dilation, padding, mode,
boundary, channels, groups) and the loss L = sum(G * Y):

- dW[o, c, u, v] is the sum over the output cells (i, j) of G[o, i, j] times the cell of the
  padded X that tap (u, v) meets there: Xp[c, s·i + d·u, s·j + d·v], the window of X that G,
  dilated by the stride, covers when it sits at d·(u, v);
- dX[c, r, q] is the sum, over every output cell and tap that read X[c, r, q] (directly or
  through a padding cell that copies it), of G there times W at that tap: the scatter of
  conv-transpose, each G cell spreading G·W over the cells it read;
- db[o] is the sum of G[o].

The cells are derived on Python numbers (exact for every kind), only those shown; the values of
the whole gradients come from grad.py, and the tests check that the two agree.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from .errors import UsageError
from .geometry import lay_out_shapes
from .grad import grad, upstream_for
from .model import GradOf, GradResult, Kind, Op, OpOptions
from .numeric import check_allocation, common_kind, kind_of, sum_as_written
from .steps import MAX_TERMS, CellWindows, cell_windows, cells_to_derive, factor_text, in_kind, operand_kind
from .text import cell_text, display_number, value_of

__all__ = [
    "GradTerm",
    "GradStep",
    "GradSteps",
    "derive_grad",
    "derive_grad_cells",
    "grad_definition",
    "grad_step_lines",
    "grad_title",
    "sample_cells",
]

Cell = tuple[int, ...]


@dataclass(frozen=True)
class GradTerm:
    """One product of a gradient cell: G at ``g_cell`` times ``factor``.

    For dW the factor is the cell ``other`` of X (None where the padding holds the fill value);
    for dX it is the tap ``other`` of W; for db there is no factor (``other`` is None and
    ``factor`` is 1). ``padding`` marks an X read through the padding (dW) or reached through a
    padding cell that copies it (dX, with --boundary wrap, symm, mirror or edge). Cells index the
    arrays as given.
    """

    g_cell: Cell
    other: Cell | None
    g: Any
    factor: Any
    product: Any
    padding: bool = False


@dataclass(frozen=True)
class GradStep:
    """One cell of a gradient (indexing dX, dW or db as given), its products and their sum.

    With --channels, ``channel`` is the channel of X involved (dW: the one tap (u, v) of channel
    c of filter o reads; dX: the cell's own) and ``filters`` the filters that take part (dW: its
    own; dX: those that read the channel, its group's with --groups).
    """

    cell: Cell
    terms: tuple[GradTerm, ...]
    value: Any
    channel: int | None = None
    filters: range | None = None
    tap: Cell = ()  # dW: the tap (u, v) of the kernel as applied, in the layout's spatial axes


@dataclass(frozen=True)
class GradSteps:
    """Some cells of one gradient derived (``of`` input, weight or bias), possibly capped.

    ``result`` holds all three gradients (grad.py); ``windows`` the layer's geometry, operands in
    the gradients' kind; ``padded`` and ``pad_mask`` the padded X (for dW's windows drawn on it).
    """

    of: GradOf
    result: GradResult
    steps: tuple[GradStep, ...]
    total_cells: int
    windows: CellWindows
    chosen: bool = False
    terms: int = 0  # the most products one cell adds up
    max_terms: int | None = None  # the cap on products shown, when it, not --max-steps, stopped
    padded: np.ndarray | None = None
    pad_mask: np.ndarray | None = None

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(self.result.value(self.of).shape)

    @property
    def capped(self) -> bool:
        return not self.chosen and len(self.steps) < self.total_cells

    def cap_note(self) -> str:
        from .steps import cap_text

        return cap_text(len(self.steps), self.total_cells, self.terms, self.max_terms)

    @property
    def stride(self) -> tuple[int, ...]:
        return self.windows.layout.stride

    @property
    def dilation(self) -> tuple[int, ...]:
        return self.windows.layout.dilation

    @property
    def pads(self) -> tuple[tuple[int, int], ...]:
        return self.windows.layout.pads


_EXPLAINED = (GradOf.INPUT, GradOf.WEIGHT, GradOf.BIAS)


def _moved(cell: Cell, source: tuple[int, ...], target: tuple[int, ...]) -> Cell:
    """The same entry of an array reshaped from ``source`` to ``target`` (the order is kept)."""
    if not target:
        return ()
    flat = int(np.ravel_multi_index(cell, source)) if source else 0
    return tuple(int(i) for i in np.unravel_index(flat, target))


class _Layer:
    """The operands in the layout's shapes, as Python numbers of the gradients' kind."""

    def __init__(
        self,
        g: CellWindows,
        upstream: np.ndarray,
        kind: Kind,
        x_shape: tuple[int, ...],
        w_shape: tuple[int, ...],
    ) -> None:
        p = g.layout
        self.g = g
        self.x_shape, self.w_shape = x_shape, w_shape
        self.spatial = len(p.pads)
        self.channels = p.options.channels
        self.filters = p.filters
        self.groups = p.options.groups if self.channels else 1
        self.k_shape = tuple(g.kernel.shape[-self.spatial :])
        self.out = p.out_shape
        self.y_shape = tuple(upstream.shape)
        self.g_layout = (self.filters, *self.out) if self.channels else self.out
        self.upstream = in_kind(upstream, kind).reshape(self.g_layout)
        self.zero: Any = 0 if kind.exact else 0.0

    def g_cell(self, o: int, where: Cell) -> Cell:
        """G's cell as given for filter ``o`` at spatial output position ``where``."""
        layout = (o, *where) if self.channels else where
        return _moved(layout, self.g_layout, self.y_shape)

    def g_value(self, o: int, where: Cell) -> Any:
        return value_of(self.upstream[(o, *where) if self.channels else where])

    def group_of_filter(self, o: int) -> int:
        return o // (self.filters // self.groups)

    def per_group(self) -> int:
        return self.g.a.shape[0] // self.groups if self.channels else 1


def _of_result(windows: CellWindows, result: GradResult) -> _Layer:
    return _Layer(windows, result.upstream, result.kind, result.x_shape, result.w_shape)


def sample_cells(
    x: np.ndarray,
    w: np.ndarray,
    upstream: np.ndarray | None,
    of: GradOf,
    cells: list[Cell],
    options: OpOptions,
    op: Op = Op.CORRELATE,
) -> list[tuple[Any, Any]]:
    """One gradient at a few cells, each with its scale (the sum of its |products|), without
    computing the gradient whole: check compares a suspect with the answer there first."""
    p = lay_out_shapes(op, tuple(x.shape), tuple(w.shape), options)
    g = upstream_for(upstream, p.result_shape(tuple(x.shape), tuple(w.shape)))
    kind = common_kind([operand_kind(x, w, options), kind_of(g)])
    windows = cell_windows(op, in_kind(x, kind), in_kind(w, kind), options, kind=kind)
    layer = _Layer(windows, g, kind, tuple(x.shape), tuple(w.shape))
    out = []
    for cell in cells:
        step = _STEP[of](layer, cell)
        scale = sum((abs(t.product) for t in step.terms), start=0) if not kind.exact else 0
        out.append((step.value, scale))
    return out


def _weight_step(layer: _Layer, cell: Cell) -> GradStep:
    """dW at ``cell`` (as given): the window of X that tap (u, v) meets, times G."""
    g = layer.g
    p = g.layout
    w_cell = _moved(cell, layer.w_shape, tuple(g.b.shape))
    o = w_cell[0] if layer.channels else 0
    tap = w_cell[-layer.spatial :]
    if p.op is Op.CONVOLVE:  # the kernel as applied is W turned: tap u of W is tap k-1-u of it
        tap = tuple(k - 1 - u for u, k in zip(tap, layer.k_shape, strict=True))
    positions = p.tap_positions(tap)
    values, outside = g.read(positions)
    channel = 0
    if layer.channels:
        channel = layer.group_of_filter(o) * layer.per_group() + w_cell[1]
        values, outside = values[channel], outside[channel]
    index = [m[q] for m, q in zip(g.maps, positions, strict=True)]
    terms = []
    for where in np.ndindex(*layer.out):
        source = tuple(int(i[w]) for i, w in zip(index, where, strict=True))
        other = None
        if min(source) >= 0:
            x_layout = (channel, *source) if layer.channels else source
            other = _moved(x_layout, tuple(g.a.shape), layer.x_shape)
        gv, xv = value_of(layer.g_value(o, where)), value_of(values[where])
        terms.append(GradTerm(layer.g_cell(o, where), other, gv, xv, xv * gv, bool(outside[where])))
    value = sum_as_written([t.product for t in terms], layer.zero)
    if not layer.channels:
        return GradStep(cell, tuple(terms), value, None, None, tap)
    return GradStep(cell, tuple(terms), value, channel, range(o, o + 1), tap)


def _axis_sources(g: CellWindows, axis: int, r: int, n_out: int, k: int) -> list[tuple[int, int, bool]]:
    """On one spatial axis, every (output position i, tap u) whose read lands on cell r of X,
    and whether it lands there through the padding (a cell that copies r)."""
    p = g.layout
    s, d = p.stride[axis], p.dilation[axis]
    before = p.pads[axis][0]
    m = g.a.shape[g.a.ndim - g.spatial + axis]
    out = []
    for q in np.flatnonzero(g.maps[axis] == r).tolist():
        for u in range(k):
            i, rest = divmod(q - u * d, s)
            if rest == 0 and 0 <= i < n_out:
                out.append((i, u, not before <= q < before + m))
    return sorted(out)


def _input_step(layer: _Layer, cell: Cell) -> GradStep:
    """dX at ``cell`` (as given): G times W over every output cell and tap that read it."""
    g = layer.g
    x_cell = _moved(cell, layer.x_shape, tuple(g.a.shape))
    where = x_cell[-layer.spatial :]
    per_axis = [
        _axis_sources(g, axis, r, n, k)
        for axis, (r, n, k) in enumerate(zip(where, layer.out, layer.k_shape, strict=True))
    ]
    channel, filters = None, None
    if layer.channels:
        channel = x_cell[0]
        group, per = divmod(channel, layer.per_group())
        size = layer.filters // layer.groups
        filters = range(group * size, (group + 1) * size)
    terms = []
    w_layout = tuple(g.b.shape)
    for o in filters if filters is not None else (0,):
        for combo in itertools.product(*per_axis):
            out_at = tuple(i for i, _, _ in combo)
            tap = tuple(u for _, u, _ in combo)
            k_index = (o, per, *tap) if layer.channels else tap
            w_tap = tap
            if g.layout.op is Op.CONVOLVE:
                w_tap = tuple(k - 1 - u for u, k in zip(tap, layer.k_shape, strict=True))
            w_cell = _moved((o, per, *w_tap) if layer.channels else w_tap, w_layout, layer.w_shape)
            gv, wv = value_of(layer.g_value(o, out_at)), value_of(g.kernel[k_index])
            copied = any(c for _, _, c in combo)
            terms.append(GradTerm(layer.g_cell(o, out_at), w_cell, gv, wv, gv * wv, copied))
    value = sum_as_written([t.product for t in terms], layer.zero)
    return GradStep(cell, tuple(terms), value, channel, filters)


def _bias_step(layer: _Layer, cell: Cell) -> GradStep:
    """db at ``cell``: the sum of G over the filter's output."""
    o = cell[0] if cell else 0
    terms = []
    for where in np.ndindex(*layer.out):
        gv = value_of(layer.g_value(o, where))
        terms.append(GradTerm(layer.g_cell(o, where), None, gv, 1, gv))
    value = sum_as_written([t.g for t in terms], layer.zero)
    return GradStep(cell, tuple(terms), value, None, range(o, o + 1) if layer.channels else None)


_STEP = {GradOf.INPUT: _input_step, GradOf.WEIGHT: _weight_step, GradOf.BIAS: _bias_step}


def _terms(layer: _Layer, of: GradOf) -> int:
    """The most products one cell adds up: every output cell of a filter for dW and db; for dX
    every tap of every filter that reads the channel (a padding that wraps or mirrors can reach a
    cell more often: the count is then checked as the cells are derived)."""
    if of is not GradOf.INPUT:
        return math.prod(layer.out)
    return (layer.filters // layer.groups) * math.prod(layer.k_shape)


def _layer(
    x: np.ndarray, w: np.ndarray, upstream: np.ndarray | None, op: Op, options: OpOptions
) -> tuple[GradResult, CellWindows]:
    result = grad(x, w, upstream, op, options)
    kind = result.kind
    windows = cell_windows(op, in_kind(x, kind), in_kind(w, kind), options, kind=kind)
    return result, windows


def _check_of(of: GradOf) -> GradOf:
    of = GradOf(of)
    if of not in _EXPLAINED:
        raise UsageError("steps derives one gradient at a time: grad-input, grad-weight or grad-bias")
    return of


def _steps(
    result: GradResult,
    windows: CellWindows,
    of: GradOf,
    cells: list[Cell],
    total: int,
    chosen: bool,
    max_terms: int | None,
) -> GradSteps:
    layer = _of_result(windows, result)
    derived = tuple(_STEP[of](layer, cell) for cell in cells)
    padded = mask = None
    if of is GradOf.WEIGHT:
        check_allocation(
            windows.a.shape[: windows.a.ndim - windows.spatial] + tuple(len(m) for m in windows.maps),
            result.kind,
            "the padded input",
        )
        padded, outside = windows.padded()
        mask = np.array(outside)
    return GradSteps(of, result, derived, total, windows, chosen, _terms(layer, of), max_terms, padded, mask)


def derive_grad(
    x: np.ndarray,
    w: np.ndarray,
    upstream: np.ndarray | None,
    of: GradOf,
    options: OpOptions | None = None,
    *,
    op: Op = Op.CORRELATE,
    at: Cell | None = None,
    max_steps: int = 25,
    max_terms: int = MAX_TERMS,
) -> GradSteps:
    """The cells of one gradient of the layer Y = op(X, W) for L = sum(G * Y), derived: at most
    ``max_steps`` cells (or the one ``at``), at most ``max_terms`` products in all.

    Examples
    --------
    >>> x = np.arange(16).reshape(4, 4)
    >>> view = derive_grad(x, np.ones((2, 2), dtype=np.int64), None, GradOf.WEIGHT,
    ...                    OpOptions(stride=(2,)), at=(0, 1))
    >>> grad_step_lines(view, view.steps[0])[0].split(" = ")[-2:]
    ['1+3+9+11', '24']
    """
    of = _check_of(of)
    options = options or OpOptions()
    result, windows = _layer(x, w, upstream, op, options)
    layer = _of_result(windows, result)
    shape = tuple(result.value(of).shape)
    if not shape and at:
        raise UsageError(
            f"--at picks a cell of the gradient, but {of.symbol} is a single number here (one "
            "filter); leave --at out"
        )
    cells, total = cells_to_derive(shape, at, max_steps, max(_terms(layer, of), 1), max_terms)
    stopped = max_terms if at is None and len(cells) < min(max_steps, total) else None
    return _steps(result, windows, of, cells, total, at is not None, stopped)


def derive_grad_cells(
    x: np.ndarray,
    w: np.ndarray,
    result: GradResult,
    of: GradOf,
    cells: list[Cell],
    max_terms: int = MAX_TERMS,
) -> GradSteps | None:
    """Some cells of a gradient already computed (check derives its first wrong cells), as many
    as ``max_terms`` products allow; None when not even one fits."""
    kind = result.kind
    windows = cell_windows(result.op, in_kind(x, kind), in_kind(w, kind), result.options, kind=kind)
    per_cell = max(_terms(_of_result(windows, result), of), 1)
    chosen = cells[: max_terms // per_cell]
    if not chosen:
        return None
    return _steps(result, windows, of, chosen, math.prod(result.value(of).shape), True, None)


# ---------------------------------------------------------------------------------------------
# words


def _name(letter: str, cell: Cell | None) -> str:
    return letter + cell_text(cell) if cell else letter


def grad_title(of: GradOf) -> str:
    """``grad-weight``: the name steps and check give the gradient."""
    return f"grad-{of.value}"


def _position(axis: str, tap: str, stride: int, dilation: int) -> str:
    left = f"{stride}{axis}" if stride > 1 else axis
    right = f"{dilation}{tap}" if dilation > 1 else tap
    return f"{left}+{right}"


def grad_definition(view: GradSteps) -> str:
    """The formula each step instantiates, with the stride and dilation written into the indices."""
    p = view.windows.layout
    channels = p.options.channels
    spatial = len(p.pads)
    letters, taps = {1: (("j",), ("v",)), 2: (("i", "j"), ("u", "v"))}.get(
        spatial, (("h", "i", "j"), ("t", "u", "v"))
    )
    padded = bool(view.pad_mask is not None and view.pad_mask.any()) or any(a or b for a, b in p.pads)
    xp = "Xp" if padded else "X"
    reads = ", ".join(
        _position(a, t, s, d) for a, t, s, d in zip(letters, taps, p.stride, p.dilation, strict=True)
    )
    ij, uv = ", ".join(letters), ", ".join(taps)
    turned = p.op is Op.CONVOLVE
    if view.of is GradOf.BIAS:
        return (
            "db[o] = sum over i, j of G[o, i, j]  (one per filter)"
            if channels and p.filters > 1
            else (f"db = sum over {ij} of G[{ij}]  (every output cell adds the bias once)")
        )
    strided = any(s > 1 for s in p.stride)
    if view.of is GradOf.WEIGHT:
        if channels:
            text = f"dW[o, c, {uv}] = sum over {ij} of {xp}[c', {reads}] * G[o, {ij}]"
            where = "c' the channel of X that channel c of filter o reads"
        else:
            text = f"dW[{uv}] = sum over {ij} of {xp}[{reads}] * G[{ij}]"
            where = ""
        notes = [
            "the window of X that G meets at each tap" + (", G dilated by the stride" if strided else "")
        ]
        if where:
            notes.append(where)
        if turned:
            notes.append("(u, v) the tap of W turned 180°, as convolve applies it")
        if padded:
            notes.append("Xp is X padded as the forward pass pads it")
        return f"{text}  ({'; '.join(notes)})"
    if channels:
        text = (
            f"dX[c, r, q] = sum of G[o, {ij}] * W[o, c', {uv}] over every o, {ij}, {uv} "
            f"with ({reads}) = (r, q)"
        )
        notes = ["o the filters that read channel c, c' its place among their channels"]
    else:
        cell = ", ".join(("r", "q") if spatial == 2 else ("q",) if spatial == 1 else ("p", "r", "q"))
        text = f"dX[{cell}] = sum of G[{ij}] * W[{uv}] over every {ij}, {uv} with ({reads}) = ({cell})"
        notes = []
    notes.insert(0, "each G cell scatters G·W over the cells it read: the transposed convolution of G with W")
    if padded:
        notes.append(
            "positions counted in Xp, X padded: a padding cell that copies a cell of X counts for it"
        )
    return f"{text}  ({'; '.join(notes)})"


def _terms_text(step: GradStep, of: GradOf) -> str:
    """``X[0, 0]*G[0, 0] + ... = (1*1)+... = 1+... = 4``, or ``G[0, 0] + ... = 1+2 = 3``."""
    if not step.terms:
        return "0 (no output cell reads it)"
    if of is GradOf.BIAS:
        names = " + ".join(_name("G", t.g_cell) for t in step.terms)
        values = "+".join(factor_text(t.g) for t in step.terms)
        value = display_number(step.value)
        return (
            f"{names} = {value}"
            if values in (value, factor_text(step.value))
            else f"{names} = {values} = {value}"
        )
    if of is GradOf.WEIGHT:
        names = " + ".join(
            f"{_name('X', t.other) if t.other is not None else 'fill'}*{_name('G', t.g_cell)}"
            for t in step.terms
        )
        pairs = "+".join(f"({factor_text(t.factor)}*{factor_text(t.g)})" for t in step.terms)
    else:
        names = " + ".join(f"{_name('G', t.g_cell)}*{_name('W', t.other)}" for t in step.terms)
        pairs = "+".join(f"({factor_text(t.g)}*{factor_text(t.factor)})" for t in step.terms)
    values = "+".join(factor_text(t.product) for t in step.terms)
    total = display_number(step.value)
    if len(step.terms) == 1:
        return f"{names} = {pairs[1:-1]} = {total}"
    if values == pairs:  # symbolic products print as they were written
        return f"{names} = {pairs} = {total}"
    return f"{names} = {pairs} = {values} = {total}"


def grad_step_lines(view: GradSteps, step: GradStep) -> list[str]:
    """One cell of a gradient in words: the products and their sum, then (with channels) which
    channel and filters take part, and terms that go through the padding."""
    head = _name(view.of.symbol, step.cell)
    lines = [f"{head}: {_terms_text(step, view.of)}"]
    groups = view.windows.layout.options.groups
    if view.of is GradOf.WEIGHT and step.channel is not None and step.filters is not None:
        o = step.filters.start
        group = f" (group {o // (view.windows.layout.filters // groups)} of {groups})" if groups > 1 else ""
        lines.append(f"  filter {o}{group} reads channel {step.channel} of X at this tap")
    if view.of is GradOf.INPUT and step.channel is not None and step.filters is not None:
        first, last = step.filters.start, step.filters.stop - 1
        who = f"filter {first}" if first == last else f"filters {first} to {last}"
        if groups > 1:
            index = first // (last - first + 1)
            verb = "reads" if first == last else "read"
            lines.append(
                f"  channel {step.channel} of X belongs to group {index} of {groups}: only {who} {verb} it"
            )
        else:
            lines.append(f"  channel {step.channel} of X is read by {who}")
    through = [t for t in step.terms if t.padding]
    if through and view.of is GradOf.INPUT:
        lines.append(f"  {len(through)} of the products reach it through padding cells that copy it")
    elif through and view.of is GradOf.WEIGHT:
        fill = sum(1 for t in through if t.other is None)
        if fill:
            lines.append(f"  {fill} of the taps read the padding's fill value, which is not an input")
    return lines
