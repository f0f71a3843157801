"""Animations as data: a derivation as a scene (what stays put) and frames (what moves).

A Scene holds the grids drawn once (A with its padding; B for dot) and the shape of the output.
Each Frame marks cells on them, carries the small grids of its own step (the kernel as applied,
the products), the lines of its derivation and the output cells it fills in; the last frame holds
the complete result. The terminal (render.py and play.py) and the page (page.py) draw the same
frames, so they show the same numbers in the same words.

Frames are made one at a time, when they are first shown: a large input starts at once. A new
kind of derivation (pooling, gradients) joins with one function that turns its steps into frames,
registered in ``FRAMES``, as ``sliding_frame``, ``dot_frame`` and ``sum_frame`` are for the four
operations (and ``scatter_frame`` for conv-transpose).
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

import numpy as np

from . import ops
from .explanations import Step, Steps
from .model import Op, OpOptions
from .steps import MAX_TERMS as DERIVED_TERMS
from .steps import cell_name, definition, derive, factor_text, step_lines
from .text import SCATTER_RULE, display_number, options_text, shape_text, transpose_options_text

if TYPE_CHECKING:
    from .explanations import PoolGradStep, PoolStep, PoolSteps, ScatterStep, TransposeSteps
    from .gradsteps import GradStep, GradSteps
    from .model import TransposeOptions

__all__ = [
    "Board",
    "Outline",
    "Mark",
    "Panel",
    "Frame",
    "Scene",
    "Animation",
    "Progress",
    "OUTPUT",
    "FRAMES",
    "animate_steps",
    "animate_derivations",
    "animate_cells",
    "DEFAULT_DELAY",
    "animate_scatter",
    "animate_pool",
    "animate_grad",
]

DEFAULT_DELAY = 0.6  # seconds per frame, on the terminal and on a page
OUTPUT = -1  # the board index of the output in a Mark
# A derivation longer than this many products is summarised in one line: written out it would
# fill more than a screen, and the page would carry it once per frame.
MAX_TERMS = 400

Cell = tuple[int, int, int]  # (layer, row, column) of a board


@dataclass(frozen=True)
class Board:
    """A grid drawn once and marked frame by frame (A, with its padding).

    ``values`` is layers x rows x columns; ``faint`` marks padding cells; ``start`` is the label
    of the first row and column (negative inside the padding, so A's own cells keep their
    indices); ``layer_label`` names a layer when there are several ("channel {}").
    """

    label: str
    values: np.ndarray
    faint: np.ndarray | None = None
    start: tuple[int, int] = (0, 0)
    layer_label: str = ""
    note: str = ""  # said after the label and the layer


@dataclass(frozen=True)
class Outline:
    """The output: only its shape (layers x rows x columns); frames fill in the values."""

    label: str
    shape: tuple[int, int, int]
    layer_label: str = ""


@dataclass(frozen=True)
class Mark:
    """Cells picked out on one layer of a board (``OUTPUT`` for the output): every (r, c) with
    r in ``rows`` and c in ``cols``. Ranges keep a window of any size cheap; a step larger than
    one is a dilated kernel's taps."""

    board: int
    layer: int
    rows: range
    cols: range

    def __contains__(self, cell: tuple[int, int]) -> bool:
        return cell[0] in self.rows and cell[1] in self.cols


@dataclass(frozen=True)
class Panel:
    """A small grid that belongs to one frame or to the scene (the kernel, the products)."""

    label: str
    values: np.ndarray


@dataclass(frozen=True)
class Frame:
    """One step: the cells it reads, its small grids, its derivation, and what it fills in.

    ``fills`` sets output cells to new values (a sliding step fills one; a scatter step adds
    into many). The last frame of an animation has ``result``: the whole output, layers x rows
    x columns.
    """

    name: str
    value: str
    marks: tuple[Mark, ...]
    panels: tuple[Panel, ...]
    lines: tuple[str, ...]
    fills: tuple[tuple[Cell, Any], ...] = ()
    result: np.ndarray | None = None


@dataclass(frozen=True)
class Scene:
    """What an animation shows throughout: its header, the large grids, the output's shape."""

    title: str
    options: str
    shapes: str
    definition: str
    boards: tuple[Board, ...]
    output: Outline
    panels: tuple[Panel, ...] = ()
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Animation:
    """A scene and its frames, made lazily; ``count`` frames in all, the last the result."""

    scene: Scene
    frames: Iterator[Frame]
    count: int


@dataclass
class Progress:
    """The output as it stands at any frame, so that stepping back shows it as it was."""

    history: dict[Cell, tuple[list[int], list[Any]]] = field(default_factory=dict)
    results: dict[int, np.ndarray] = field(default_factory=dict)

    def add(self, index: int, frame: Frame) -> None:
        """Record frame ``index``'s fills; frames are added in order, each once."""
        for cell, value in frame.fills:
            times, values = self.history.setdefault(cell, ([], []))
            times.append(index)
            values.append(value)
        if frame.result is not None:
            self.results[index] = frame.result

    def value(self, index: int, cell: Cell) -> Any | None:
        """The value of an output cell once frames 0 to ``index`` are shown; None while empty."""
        done = [i for i in self.results if i <= index]
        if done:
            return self.results[max(done)][cell]
        times, values = self.history.get(cell, ((), ()))
        n = bisect.bisect_right(times, index)  # type: ignore[arg-type]
        return values[n - 1] if n else None


# ---------------------------------------------------------------------------------------------
# shapes as layers of rows and columns


def as_layers(a: np.ndarray) -> np.ndarray:
    """Any array as layers x rows x columns: a scalar is 1x1x1, a vector one row."""
    if a.ndim == 0:
        return a.reshape(1, 1, 1)
    if a.ndim == 1:
        return a.reshape(1, 1, -1)
    return a.reshape(-1, *a.shape[-2:])


def place(index: tuple[int, ...], shape: tuple[int, ...]) -> Cell:
    """Where an index of an array of ``shape`` lands once the array is seen ``as_layers``."""
    if not index:
        return (0, 0, 0)
    if len(index) == 1:
        return (0, 0, index[0])
    layer = int(np.ravel_multi_index(index[:-2], shape[:-2])) if len(index) > 2 else 0
    return (layer, index[-2], index[-1])


def _shape3(shape: tuple[int, ...]) -> tuple[int, int, int]:
    rows, cols = (1, 1) if not shape else (1, shape[0]) if len(shape) == 1 else shape[-2:]
    return (int(np.prod(shape[:-2])) if len(shape) > 2 else 1, rows, cols)


def _small(label: str, values: np.ndarray, what: str) -> Panel:
    """A step's kernel or products as one grid: with channels, the first channel stands for all."""
    if values.ndim <= 2:
        return Panel(label, values)
    return Panel(f"{label}, {what} 0 of {values.shape[0]}", values.reshape(-1, *values.shape[-2:])[0])


def _derivation(steps: Steps, step: Step) -> tuple[str, str, tuple[str, ...]]:
    """The name of a step's cell, its value and the lines that derive it."""
    name = cell_name(steps.op, step.cell)
    value = display_number(step.value)
    if step.products.size > MAX_TERMS:
        return name, value, (f"the sum of {step.products.size} products = {display_number(step.total)}",)
    first, *rest = step_lines(steps, step)
    _, _, terms = first.rstrip(":").partition(": ")
    return name, value, tuple(line for line in (terms, *rest) if line)


def _shapes(a_shape: tuple[int, ...], b_shape: tuple[int, ...], out: tuple[int, ...]) -> str:
    return f"A {shape_text(a_shape)} · B {shape_text(b_shape)} → " + (shape_text(out) if out else "scalar")


# ---------------------------------------------------------------------------------------------
# the four operations


def _channels(steps: Steps) -> bool:
    return bool(steps.options and steps.options.channels)


def _channel_note(steps: Steps) -> str:
    if not _channels(steps):
        return ""
    assert steps.options is not None
    if steps.options.groups > 1:
        return "(each filter reads only its group's channels, all at the same place)"
    return "(every channel is read at the same place)"


def sliding_scene(steps: Steps) -> Scene:
    """convolve and correlate: A padded, with the window moving over it."""
    assert steps.padded is not None and steps.pad_mask is not None
    spatial = len(steps.pads)
    befores = [before for before, _ in steps.pads]
    start = (0, befores[0]) if spatial == 1 else (befores[-2], befores[-1])
    layer_label = "channel {}" if _channels(steps) else "layer {}" if spatial == 3 else ""
    board = Board(
        "A, padded" if steps.pad_mask.any() else "A",
        as_layers(steps.padded),
        as_layers(steps.pad_mask),
        (-start[0], -start[1]),
        layer_label,
        _channel_note(steps),
    )
    panels: tuple[Panel, ...] = ()
    if steps.turned is not None and steps.kernel is not None and steps.kernel.ndim <= 2:
        panels = (Panel("B", steps.kernel),)
    out_layers = "filter {}" if _channels(steps) else "layer {}"
    return Scene(
        f"steps · {steps.op}",
        options_text(steps.options, steps.op),
        _shapes(steps.a_shape, steps.b_shape, steps.out_shape),
        definition(steps.op, _channels(steps), steps),
        (board,),
        Outline("C", _shape3(steps.out_shape), out_layers),
        panels,
    )


def sliding_frame(steps: Steps, step: Step) -> Frame:
    """One window: its cells on A, the kernel as applied, the products, the cell it fills."""
    spatial = len(steps.pads)
    k_shape = step.kernel.shape[-spatial:]
    taps = [
        range(o, o + (k - 1) * d + 1, d)
        for o, k, d in zip(step.origin, k_shape, steps.dilation[-spatial:], strict=True)
    ]
    marks: tuple[Mark, ...]
    if spatial == 1:
        marks = (Mark(0, 0, range(1), taps[0]),)
    elif spatial == 2:
        marks = (Mark(0, step.first_channel, taps[0], taps[1]),)  # with --groups, its group's first
    else:  # a 3-D window covers several layers of A
        marks = tuple(Mark(0, layer, taps[1], taps[2]) for layer in taps[0])
    where = place(step.cell, steps.out_shape)
    name, value, lines = _derivation(steps, step)
    what = "channel" if _channels(steps) else "layer"
    turned = "B turned 180° (as applied)" if steps.op is Op.CONVOLVE else "B (as applied)"
    return Frame(
        name,
        value,
        (*marks, _one(where)),
        (_small(turned, step.kernel, what), _small("products", step.products, what)),
        lines,
        ((where, step.value),),
    )


def _operands(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A and B as dot reads them: a vector A is one row, a vector B one column."""
    return (a.reshape(1, -1) if a.ndim == 1 else a, b.reshape(-1, 1) if b.ndim == 1 else b)


def operand_scene(steps: Steps, a: np.ndarray, b: np.ndarray) -> Scene:
    """dot and elementwise-sum: A and B side by side, as dot reads them."""
    op = steps.op
    if op is Op.DOT:
        a, b = _operands(a, b)
    return Scene(
        f"steps · {op}",
        "",
        _shapes(steps.a_shape, steps.b_shape, steps.out_shape),
        definition(op),
        (Board("A", as_layers(a)), Board("B", as_layers(b))),
        Outline("sum(A*B)" if op is Op.ELEMENTWISE_SUM else "C", _shape3(steps.out_shape)),
    )


def _one(cell: Cell) -> Mark:
    return Mark(OUTPUT, cell[0], range(cell[1], cell[1] + 1), range(cell[2], cell[2] + 1))


def dot_frame(steps: Steps, step: Step) -> Frame:
    """Row i of A times column j of B."""
    i = step.cell[0] if len(steps.a_shape) == 2 else 0
    j = step.cell[-1] if len(steps.b_shape) == 2 else 0
    n = range(step.window.size)
    where = place(step.cell, steps.out_shape)
    name, value, lines = _derivation(steps, step)
    return Frame(
        name,
        value,
        (Mark(0, 0, range(i, i + 1), n), Mark(1, 0, n, range(j, j + 1)), _one(where)),
        (Panel("products", step.products),),
        lines,
        ((where, step.value),),
    )


def sum_frame(steps: Steps, step: Step) -> Frame:
    """elementwise-sum's one step: every cell of A times the same cell of B."""
    layers, rows, cols = _shape3(tuple(step.window.shape))
    name, value, lines = _derivation(steps, step)
    marks = tuple(Mark(board, layer, range(rows), range(cols)) for board in (0, 1) for layer in range(layers))
    return Frame(
        name,
        value,
        (*marks, _one((0, 0, 0))),
        (_small("products A*B", step.products, "layer"),),
        lines,
        (((0, 0, 0), step.value),),
    )


# How each operation's steps become frames; a new kind of step (pooling, a gradient) adds one.
FRAMES: dict[Op, Callable[[Steps, Step], Frame]] = {
    Op.CONVOLVE: sliding_frame,
    Op.CORRELATE: sliding_frame,
    Op.DOT: dot_frame,
    Op.ELEMENTWISE_SUM: sum_frame,
}


def _scene(steps: Steps, a: np.ndarray, b: np.ndarray) -> Scene:
    return sliding_scene(steps) if steps.op in (Op.CONVOLVE, Op.CORRELATE) else operand_scene(steps, a, b)


T = TypeVar("T")


def lazily(first: Sequence[T], more: Callable[[int], Sequence[T]], limit: int) -> Iterator[T]:
    """The items of ``more(limit)``, made in batches four times larger each time, so that the
    first are ready at once and all ``limit`` of them cost at most about 4/3 of making them once.

    ``first`` is ``more(len(first))``, already made.
    """
    yield from first
    done = len(first)
    size = done
    while done < limit and len(first) == size:
        size = min(size * 4, limit)
        first = more(size)
        yield from first[done:]
        done = len(first)


def _final(scene: Scene, result: np.ndarray, shown: int, total: int, chosen: bool) -> Frame:
    if chosen:
        some = "the cell derived above is one" if shown == 1 else f"the {shown} cells derived above are some"
        line = f"the complete result; {some} of its cells"
    elif shown < total:
        line = f"the complete result; the first {shown} of its {total} cells were derived above"
    else:
        line = "the complete result, every cell derived above"
    return Frame(scene.output.label, "", (), (), (line,), result=as_layers(result))


def animate_derivations(
    header: Steps,
    steps: Iterable[Step],
    count: int,
    operands: tuple[np.ndarray, np.ndarray],
    result: Callable[[], np.ndarray],
) -> Animation:
    """Frames for the steps of a derivation of A and B (``header`` gives the scene), then the
    complete output, which ``result`` computes when the last frame is reached. ``count`` is the
    number of steps."""
    scene = _scene(header, *operands)
    frame = FRAMES[header.op]

    def frames() -> Iterator[Frame]:
        for step in steps:
            yield frame(header, step)
        yield _final(scene, result(), count, header.total_cells, header.chosen)

    return Animation(scene, frames(), count + 1)


def animate_cells(
    derivations: list[Steps], operands: tuple[np.ndarray, np.ndarray], result: np.ndarray
) -> Animation | None:
    """A few cells, each derived on its own (check's wrong cells), then the complete result."""
    if not derivations:
        return None
    steps = [d.steps[0] for d in derivations]
    return animate_derivations(derivations[0], steps, len(steps), operands, lambda: result)


def animate_steps(
    op: Op,
    a: np.ndarray,
    b: np.ndarray,
    options: OpOptions | None = None,
    *,
    at: tuple[int, ...] | None = None,
    max_steps: int = 25,
    max_terms: int = DERIVED_TERMS,
) -> Animation:
    """``steps`` as an animation: one frame per output cell (at most ``max_steps``, and at most
    ``max_terms`` products in all), then the complete result. Only the first cell is derived
    before this returns."""
    first = derive(op, a, b, options, at=at, max_steps=1, max_terms=max_terms)
    count = 1 if at is not None else min(max_steps, first.total_cells)
    more = lambda n: derive(op, a, b, options, max_steps=n, max_terms=max_terms).steps  # noqa: E731
    steps = lazily(first.steps, more, count)
    return animate_derivations(first, steps, count, (a, b), lambda: ops.run(op, a, b, options).value)


# ---------------------------------------------------------------------------------------------
# conv-transpose: each input cell scatters a scaled kernel into the output


def scatter_scene(view: TransposeSteps, a: np.ndarray) -> Scene:
    """conv-transpose: A, and the output before cropping, which the steps add into."""
    panels = (Panel("B", view.kernel),) if view.kernel.ndim <= 2 else ()
    return Scene(
        "steps · conv-transpose",
        transpose_options_text(view.options),
        _shapes(view.a_shape, view.b_shape, tuple(view.result.shape)),
        SCATTER_RULE,
        (Board("A", as_layers(a), layer_label="channel {}" if a.ndim == 3 else ""),),
        Outline("sum before cropping", _shape3(tuple(view.uncropped.shape)), "output channel {}"),
        panels,
    )


def scatter_frame(step: ScatterStep, a_shape: tuple[int, ...], canvas: np.ndarray) -> Frame:
    """One input cell: its scaled kernel added into ``canvas`` (the running sum, layers x rows x
    columns, updated here) at the cell's stride offset."""
    where = place(step.cell, a_shape)
    block = as_layers(step.contribution)
    r0, c0 = (0, step.origin[0]) if len(step.origin) == 1 else step.origin[-2:]
    rows, cols = range(r0, r0 + block.shape[1]), range(c0, c0 + block.shape[2])
    region = canvas[:, rows.start : rows.stop, cols.start : cols.stop]
    region += block
    fills = tuple(((layer, r0 + r, c0 + c), region[layer, r, c]) for layer, r, c in np.ndindex(*region.shape))
    factor = factor_text(step.value)
    at = ", ".join(map(str, step.origin))
    return Frame(
        "A[" + ", ".join(map(str, step.cell)) + "]",
        display_number(step.value),
        (
            Mark(0, where[0], range(where[1], where[1] + 1), range(where[2], where[2] + 1)),
            *(Mark(OUTPUT, layer, rows, cols) for layer in range(block.shape[0])),
        ),
        (_small(f"{factor}·B", step.contribution, "output channel"),),
        (f"adds {factor}·B at ({at})",),
        fills,
    )


def animate_scatter(
    a: np.ndarray,
    b: np.ndarray,
    options: TransposeOptions,
    *,
    at: tuple[int, ...] | None = None,
    max_steps: int = 25,
) -> Animation:
    """conv-transpose's scatter steps as an animation: one frame per input cell (at most
    ``max_steps``), the output summing up, then the crop that gives the result."""
    from .transpose import scatter_steps

    first = scatter_steps(a, b, options, at=at, max_steps=1)
    count = 1 if at is not None else min(max_steps, first.total_cells)
    steps = lazily(first.steps, lambda n: scatter_steps(a, b, options, max_steps=n).steps, count)
    scene = scatter_scene(first, a)

    def frames() -> Iterator[Frame]:
        canvas = np.zeros(scene.output.shape, dtype=object)
        for step in steps:
            yield scatter_frame(step, tuple(a.shape), canvas)
        uncropped = as_layers(first.uncropped)
        crop = [(0, 0)] * (2 - len(first.crop)) + list(first.crop)
        kept = tuple(
            range(before, n - after) for (before, after), n in zip(crop, uncropped.shape[1:], strict=True)
        )
        derived = "" if count == first.total_cells else f" ({count} of {first.total_cells} shown above)"
        yield Frame(
            "result",
            "",
            tuple(Mark(OUTPUT, layer, *kept) for layer in range(uncropped.shape[0])),
            (_small("result", first.result, "output channel"),),
            (f"every input cell's share summed{derived}; {_crop_text(first.padding)}",),
            result=uncropped,
        )

    return Animation(scene, frames(), count + 1)


def _crop_text(padding: tuple[int, ...]) -> str:
    def count(n: int, what: str) -> str:
        return f"{n} {what}" + ("" if n == 1 else "s")

    if not any(padding):
        return "with padding 0 nothing is cropped: this is the result"
    if len(padding) == 1:
        return f"cropping {count(padding[0], 'cell')} from each end leaves the result"
    return (
        f"cropping {count(padding[0], 'row')} from the top and the bottom and "
        f"{count(padding[1], 'column')} from each side leaves the result"
    )


# ---------------------------------------------------------------------------------------------
# pooling: each window's maximum or mean, or each cell of the gradient from G


def pool_scene(view: PoolSteps) -> Scene:
    """A pooling: A with its padding (-inf for max, 0 for avg) and the output; for the gradient,
    G and the gradient with respect to A."""
    from .steps_pool import pool_definition
    from .text import pool_options_text

    result = view.result
    g = result.geometry
    options = pool_options_text(g, len(result.a_shape) == 1, result.options.kind)
    layer_label = "channel {}" if len(result.a_shape) > 2 else ""
    if view.gradient:
        assert result.upstream is not None
        return Scene(
            f"steps · {result.name} · grad-input",
            options,
            f"A {ops.shape_text(result.a_shape)} → grad-input {ops.shape_text(result.a_shape)}",
            pool_definition(view),
            (Board("G", as_layers(result.upstream), layer_label=layer_label),),
            Outline("dA", _shape3(result.a_shape), layer_label),
        )
    assert view.batch is not None
    board, faint = _pool_board(view)
    return Scene(
        f"steps · {result.name}",
        options,
        f"A {ops.shape_text(result.a_shape)} → {ops.shape_text(tuple(result.output.shape))}",
        pool_definition(view),
        (
            Board(
                "A, padded" if faint.any() else "A", board, faint, (-g.padding[0], -g.padding[1]), layer_label
            ),
        ),
        Outline("C", _shape3(tuple(result.output.shape)), layer_label),
    )


def _pool_board(view: PoolSteps) -> tuple[np.ndarray, np.ndarray]:
    """A as the pooling reads it: padded with -inf (max) or 0 (avg), and, in ceil mode, as far as
    a last window reaches past the padded edge (those cells blank); and which cells are not A's."""
    from .model import PoolKind

    g = view.result.geometry
    assert view.batch is not None
    (h, w), (ph, pw) = g.in_shape, g.padding
    reach = [g.taps(axis, g.out_shape[axis] - 1)[-1] + 1 for axis in range(2)]
    rows, cols = max(h + ph, reach[0]) + ph, max(w + pw, reach[1]) + pw
    board = np.empty((view.batch.shape[0], rows, cols), dtype=object)
    board.fill("")
    padded = float("-inf") if g.kind is PoolKind.MAX else 0
    board[:, : h + 2 * ph, : w + 2 * pw] = padded
    board[:, ph : ph + h, pw : pw + w] = view.batch
    faint = np.ones(board.shape, dtype=bool)
    faint[:, ph : ph + h, pw : pw + w] = False
    return board, faint


def pool_frame(view: PoolSteps, step: PoolStep) -> Frame:
    """One window: its taps on A, the window as read, the cell it fills."""
    from .steps_pool import pool_step_lines

    g = view.result.geometry
    shape = tuple(view.result.output.shape)
    where = place(step.cell, shape)
    (r0, c0), (r1, c1) = step.taps[0], step.taps[-1]
    ph, pw = g.padding
    rows = range(r0 + ph, r1 + ph + 1, g.dilation[0])
    cols = range(c0 + pw, c1 + pw + 1, g.dilation[1])
    window = np.empty(g.size, dtype=object)
    window.ravel()[:] = ["" if v is None else v for v in step.window]
    _, _, terms = pool_step_lines(view, step)[0].partition(": ")
    return Frame(
        "C[" + ", ".join(map(str, step.cell)) + "]",
        display_number(step.value),
        (Mark(0, where[0], rows, cols), _one(where)),
        (Panel("the window as read", window),),
        (terms,),
        ((where, step.value),),
    )


def pool_grad_frame(view: PoolSteps, step: PoolGradStep) -> Frame:
    """One cell of the gradient: the cells of G that reach it, and the cell it fills."""
    from .steps_pool import pool_grad_lines

    result = view.result
    where = place(step.cell, result.a_shape)
    out_shape = tuple(result.output.shape)
    marks = []
    for source in step.sources:
        layer, r, c = place(source.cell, out_shape)
        marks.append(Mark(0, layer, range(r, r + 1), range(c, c + 1)))
    _, _, terms = pool_grad_lines(view, step)[0].partition(": ")
    return Frame(
        "dA[" + ", ".join(map(str, step.cell)) + "]",
        display_number(step.value),
        (*marks, _one(where)),
        (),
        (terms,),
        ((where, step.value),),
    )


def animate_pool(view: PoolSteps) -> Animation:
    """steps --op max-pool|avg-pool as an animation: one frame per window (or per cell of the
    gradient) derived, then the complete result."""
    scene = pool_scene(view)
    result = view.result

    def frames() -> Iterator[Frame]:
        if view.gradient:
            assert result.grad_input is not None
            for grad in view.grad_steps:
                yield pool_grad_frame(view, grad)
            yield _final(scene, result.grad_input, view.shown, view.total_cells, view.chosen)
            return
        for step in view.steps:
            yield pool_frame(view, step)
        yield _final(scene, result.output, view.shown, view.total_cells, view.chosen)

    return Animation(scene, frames(), view.shown + 1)


# ---------------------------------------------------------------------------------------------
# gradients of a layer: each cell of dW, dX or db from the cells that make it


def grad_scene(view: GradSteps) -> Scene:
    """dW: X padded, its cells met by each tap marked; dX and db: G, the cells that reach the
    cell marked."""
    from .gradsteps import grad_definition, grad_title

    result = view.result
    layout = view.windows.layout
    name = view.of.symbol
    channels = result.options.channels
    if view.of.value == "weight":
        assert view.padded is not None and view.pad_mask is not None
        befores = [before for before, _ in view.pads]
        start = (0, befores[0]) if len(befores) == 1 else (befores[-2], befores[-1])
        board = Board(
            "X, padded" if view.pad_mask.any() else "X",
            as_layers(view.padded),
            as_layers(view.pad_mask),
            (-start[0], -start[1]),
            "channel {}" if channels else "layer {}" if len(view.pads) == 3 else "",
        )
        panels = (Panel("G", result.upstream),) if result.upstream.ndim <= 2 else ()
    else:
        board = Board("G", as_layers(result.upstream), layer_label="filter {}" if layout.filters > 1 else "")
        panels = ()
        if view.of.value == "input" and result.w_shape and len(result.w_shape) <= 2:
            panels = (Panel("W", layout.b.reshape(result.w_shape)),)
    shape = view.shape
    return Scene(
        f"steps · {grad_title(view.of)}",
        options_text(result.options, result.op),
        f"X {shape_text(result.x_shape)} · W {shape_text(result.w_shape)} → {name} "
        + (shape_text(shape) if shape else "scalar"),
        grad_definition(view),
        (board,),
        Outline(name, _shape3(shape), "filter {}" if view.of.value != "input" and channels else ""),
        panels,
        result.notes,
    )


def grad_frame(view: GradSteps, step: GradStep) -> Frame:
    """One cell of a gradient: what makes it marked, its products, the cell it fills."""
    from .gradsteps import grad_step_lines

    g_shape = tuple(view.result.upstream.shape)
    marks: list[Mark] = []
    if view.of.value == "weight" and step.terms:
        spatial = len(view.pads)
        out = view.windows.layout.out_shape
        first = [u * d for u, d in zip(step.tap, view.dilation, strict=True)]
        spans = [range(f, f + (n - 1) * s + 1, s) for f, n, s in zip(first, out, view.stride, strict=True)]
        layer = step.channel or 0
        if spatial == 1:
            marks.append(Mark(0, 0, range(1), spans[0]))
        elif spatial == 2:
            marks.append(Mark(0, layer, spans[0], spans[1]))
        else:
            marks += [Mark(0, depth, spans[1], spans[2]) for depth in spans[0]]
    else:
        for term in step.terms:
            layer, r, c = place(term.g_cell, g_shape)
            marks.append(Mark(0, layer, range(r, r + 1), range(c, c + 1)))
    where = place(step.cell, view.shape)
    lines = grad_step_lines(view, step)
    _, _, terms = lines[0].partition(": ")
    if len(step.terms) > MAX_TERMS:
        terms = f"the sum of {len(step.terms)} products = {display_number(step.value)}"
    return Frame(
        lines[0].partition(": ")[0],
        display_number(step.value),
        (*marks, _one(where)),
        (),
        (terms, *(line.strip() for line in lines[1:])),
        ((where, step.value),),
    )


def animate_grad(view: GradSteps) -> Animation:
    """steps --op grad-input|grad-weight|grad-bias as an animation: one frame per cell derived,
    then the whole gradient."""
    scene = grad_scene(view)
    value = view.result.value(view.of)

    def frames() -> Iterator[Frame]:
        for step in view.steps:
            yield grad_frame(view, step)
        yield _final(scene, value, len(view.steps), view.total_cells, view.chosen)

    return Animation(scene, frames(), len(view.steps) + 1)
