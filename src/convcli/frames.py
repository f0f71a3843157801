"""Animations as data: a derivation as a scene (what stays put) and frames (what moves).

A Scene holds the grids drawn once (A with its padding; B for dot) and the shape of the output.
Each Frame marks cells on them, carries the small grids of its own step (the kernel as applied,
the products), the lines of its derivation and the output cells it fills in; the last frame holds
the complete result. The terminal (render_frames.py and play.py) and the page (page.py) draw the same
frames, so they show the same numbers in the same words.

Frames are made one at a time, when they are first shown: a large input starts at once. This
module holds the frames' types and the four operations' frames (``sliding_frame``, ``dot_frame``
and ``sum_frame``, registered in ``FRAMES``); conv-transpose's scatter, pooling and a layer's
gradients make theirs with the same types in frames_transpose.py, frames_pool.py and
frames_grad.py.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

import numpy as np

from . import ops
from .explanations import Step, Steps
from .geometry import dot_matrices
from .model import SLIDING, Op, OpOptions
from .steps import MAX_TERMS, cell_name, definition, derive, step_lines
from .text import display_number, options_text, shape_text, shapes_line

__all__ = [
    "Board",
    "Outline",
    "Mark",
    "Panel",
    "Frame",
    "Scene",
    "Animation",
    "Progress",
    "OUTPUT_BOARD",
    "FRAMES",
    "animate_steps",
    "animate_derivations",
    "animate_cells",
    "DEFAULT_DELAY",
    "MAX_FRAME_TERMS",
    "as_layers",
    "final_frame",
    "layers_shape",
    "lazily",
    "output_mark",
    "place",
    "shapes_and_output",
    "small_panel",
]

DEFAULT_DELAY = 0.6  # seconds per frame, on the terminal and on a page
OUTPUT_BOARD = -1  # the board index of the output in a Mark
# A derivation longer than this many products is summarised in one line: written out it would
# fill more than a screen, and the page would carry it once per frame.
MAX_FRAME_TERMS = 400

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
    """Cells picked out on one layer of a board (``OUTPUT_BOARD`` for the output): every (r, c) with
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


def layers_shape(shape: tuple[int, ...]) -> tuple[int, int, int]:
    rows, cols = (1, 1) if not shape else (1, shape[0]) if len(shape) == 1 else shape[-2:]
    return (int(np.prod(shape[:-2])) if len(shape) > 2 else 1, rows, cols)


def small_panel(label: str, values: np.ndarray, what: str) -> Panel:
    """A step's kernel or products as one grid: with channels, the first channel stands for all."""
    if values.ndim <= 2:
        return Panel(label, values)
    return Panel(f"{label}, {what} 0 of {values.shape[0]}", values.reshape(-1, *values.shape[-2:])[0])


def _derivation(steps: Steps, step: Step) -> tuple[str, str, tuple[str, ...]]:
    """The name of a step's cell, its value and the lines that derive it."""
    name = cell_name(steps.op, step.cell)
    value = display_number(step.value)
    if step.products.size > MAX_FRAME_TERMS:
        return name, value, (f"the sum of {step.products.size} products = {display_number(step.total)}",)
    first, *rest = step_lines(steps, step)
    _, _, terms = first.rstrip(":").partition(": ")
    return name, value, tuple(line for line in (terms, *rest) if line)


def shapes_and_output(a_shape: tuple[int, ...], b_shape: tuple[int, ...], out: tuple[int, ...]) -> str:
    """``A 5x5 · B 3x3 → 3x3``: the operands' shapes and the output's (``scalar`` for none)."""
    return shapes_line(a_shape, b_shape, " → " + (shape_text(out) if out else "scalar"))


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
        shapes_and_output(steps.a_shape, steps.b_shape, steps.out_shape),
        definition(steps.op, _channels(steps), steps),
        (board,),
        Outline("C", layers_shape(steps.out_shape), out_layers),
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
        (*marks, output_mark(where)),
        (small_panel(turned, step.kernel, what), small_panel("products", step.products, what)),
        lines,
        ((where, step.value),),
    )


def operand_scene(steps: Steps, a: np.ndarray, b: np.ndarray) -> Scene:
    """dot and elementwise-sum: A and B side by side, as dot reads them."""
    op = steps.op
    if op is Op.DOT:
        a, b = dot_matrices(a, b)
    return Scene(
        f"steps · {op}",
        "",
        shapes_and_output(steps.a_shape, steps.b_shape, steps.out_shape),
        definition(op),
        (Board("A", as_layers(a)), Board("B", as_layers(b))),
        Outline("sum(A*B)" if op is Op.ELEMENTWISE_SUM else "C", layers_shape(steps.out_shape)),
    )


def output_mark(cell: Cell) -> Mark:
    return Mark(OUTPUT_BOARD, cell[0], range(cell[1], cell[1] + 1), range(cell[2], cell[2] + 1))


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
        (Mark(0, 0, range(i, i + 1), n), Mark(1, 0, n, range(j, j + 1)), output_mark(where)),
        (Panel("products", step.products),),
        lines,
        ((where, step.value),),
    )


def sum_frame(steps: Steps, step: Step) -> Frame:
    """elementwise-sum's one step: every cell of A times the same cell of B."""
    layers, rows, cols = layers_shape(tuple(step.window.shape))
    name, value, lines = _derivation(steps, step)
    marks = tuple(Mark(board, layer, range(rows), range(cols)) for board in (0, 1) for layer in range(layers))
    return Frame(
        name,
        value,
        (*marks, output_mark((0, 0, 0))),
        (small_panel("products A*B", step.products, "layer"),),
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
    return sliding_scene(steps) if steps.op in SLIDING else operand_scene(steps, a, b)


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


def final_frame(scene: Scene, result: np.ndarray, shown: int, total: int, chosen: bool) -> Frame:
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
        yield final_frame(scene, result(), count, header.total_cells, header.chosen)

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
    max_terms: int = MAX_TERMS,
) -> Animation:
    """``steps`` as an animation: one frame per output cell (at most ``max_steps``, and at most
    ``max_terms`` products in all), then the complete result. Only the first cell is derived
    before this returns."""
    first = derive(op, a, b, options, at=at, max_steps=1, max_terms=max_terms)
    count = 1 if at is not None else min(max_steps, first.total_cells)
    more = lambda n: derive(op, a, b, options, max_steps=n, max_terms=max_terms).steps  # noqa: E731
    steps = lazily(first.steps, more, count)
    return animate_derivations(first, steps, count, (a, b), lambda: ops.run(op, a, b, options).value)
