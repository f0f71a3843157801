"""Rich renderables for --play: one frame of an animation (frames.py's data) drawn for the
terminal, its grids cut to the terminal's size and centred on what moves. Every function
returns; nothing here prints; play.py keeps time."""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

from rich.console import Console, Group, RenderableType
from rich.measure import Measurement
from rich.table import Table
from rich.text import Text

from .frames import OUTPUT_BOARD, Frame, Mark, Scene
from .render_grid import MEASURE, marked_grid, matrix_grid
from .render_prose import header, wrapped_terms
from .text import display_number

__all__ = [
    "play_frame",
]


_GAP = 4  # columns between grids drawn side by side


def _span(n: int, lo: int, hi: int, size: int) -> range:
    """At most ``size`` of n indices, centred on [lo, hi) (the marked cells) as far as they go."""
    if n <= size:
        return range(n)
    start = min(max((lo + hi) // 2 - size // 2, 0), n - size)
    return range(start, start + size)


def _marked(marks: list[Mark], r: int, c: int) -> bool:
    return any((r, c) in mark for mark in marks)


def _layer_title(label: str, layer_label: str, layer: int, layers: int) -> str:
    if layers == 1 or not layer_label:
        return label
    return f"{label}, {layer_label.format(layer)} of {layers}"


def _board_view(
    title: str,
    shape: tuple[int, int],
    text: Callable[[int, int], tuple[str, str]],
    marks: list[Mark],
    start: tuple[int, int],
    rows: int,
    width: int,
) -> RenderableType:
    """Part of a large grid, centred on its marked cells, at most ``rows`` rows and ``width``
    columns; only the cells drawn are formatted."""
    n_rows, n_cols = shape
    lo_r = min((m.rows.start for m in marks if m.rows), default=0)
    hi_r = max((m.rows[-1] + 1 for m in marks if m.rows), default=n_rows)
    lo_c = min((m.cols.start for m in marks if m.cols), default=0)
    hi_c = max((m.cols[-1] + 1 for m in marks if m.cols), default=n_cols)
    row_span = _span(n_rows, lo_r, hi_r, max(rows, hi_r - lo_r))
    near = _span(n_cols, lo_c, hi_c, 64)
    cell_w = max(len(text(r, c)[0]) for r in row_span for c in near) + 5
    label_w = max(len(str(row_span.start + start[0])), len(str(row_span[-1] + start[0])))
    col_span = _span(n_cols, lo_c, hi_c, max((width - label_w) // cell_w, 1))
    grid = marked_grid(row_span, col_span, text, lambda r: str(r + start[0]), lambda c: str(c + start[1]))
    note = ""
    if len(row_span) < n_rows or len(col_span) < n_cols:
        note = f" (rows {row_span.start + start[0]}–{row_span[-1] + start[0]} of {n_rows}, " + (
            f"columns {col_span.start + start[1]}–{col_span[-1] + start[1]} of {n_cols})"
        )
    return Group(Text(title + note, style="dim"), grid)


def _tiles(tiles: list[RenderableType], width: int) -> list[RenderableType]:
    """Grids side by side in as many rows as the width needs."""
    rows: list[RenderableType] = []
    line: list[RenderableType] = []
    used = 0
    for tile in tiles:
        w = Measurement.get(MEASURE, MEASURE.options, tile).maximum
        if line and used + _GAP + w > width:
            rows.append(_side_by_side(line))
            line, used = [], 0
        line.append(tile)
        used += w + (_GAP if used else 0)
    if line:
        rows.append(_side_by_side(line))
    return rows


def _side_by_side(tiles: list[RenderableType]) -> RenderableType:
    grid = Table.grid(padding=(0, _GAP, 0, 0))
    grid.add_row(*tiles)
    return grid


def _frame_parts(
    scene: Scene,
    frame: Frame,
    value_at: Callable[[tuple[int, int, int]], Any],
    width: int,
    rows: int,
    lines: int,
    full: bool,
) -> list[RenderableType]:
    """The derivation, then the grids side by side: A with the window, the kernel, the
    products, the output. ``full`` keeps what a short terminal can do without (the definition,
    B as given)."""
    parts: list[RenderableType] = [Text(scene.definition, style="italic"), Text("")] if full else []
    if frame.value:
        parts.append(Text.assemble((frame.name, "bold magenta"), " = ", (frame.value, "bold green")))
    derivation = Text("\n").join(wrapped_terms(line, width) for line in frame.lines)
    wrapped = list(derivation.wrap(MEASURE, width))
    if len(wrapped) > lines:
        derivation = Text("\n").join(wrapped[: max(lines - 1, 0)])
        derivation.append("\n…", style="dim")
    parts += [derivation, Text("")]
    tiles: list[RenderableType] = []
    for index, board in enumerate(scene.boards):
        marks = [m for m in frame.marks if m.board == index]
        layer = marks[0].layer if marks else 0
        on_layer = [m for m in marks if m.layer == layer]
        values, faint = board.values[layer], None if board.faint is None else board.faint[layer]

        def cell(
            r: int, c: int, values: Any = values, faint: Any = faint, marks: Any = on_layer
        ) -> tuple[str, str]:
            kind = ("mark" if _marked(marks, r, c) else "") + (
                "pad" if faint is not None and faint[r, c] else ""
            )
            return display_number(values[r, c]), kind

        title = _layer_title(board.label, board.layer_label, layer, board.values.shape[0])
        title += f" {board.note}" if board.note else ""
        tiles.append(_board_view(title, values.shape, cell, on_layer, board.start, rows, width))
    for panel in (*(scene.panels if full else ()), *frame.panels):
        tiles.append(Group(Text(panel.label, style="dim"), matrix_grid(panel.values, width=width, style="")))
    out = scene.output
    focus = [m for m in frame.marks if m.board == OUTPUT_BOARD]
    layer = focus[0].layer if focus else 0
    focus = [m for m in focus if m.layer == layer]

    def out_cell(r: int, c: int) -> tuple[str, str]:
        value = value_at((layer, r, c))
        if value is None:
            return "·", "dim"
        return display_number(value), "mark" if _marked(focus, r, c) else ""

    title = _layer_title(out.label, out.layer_label, layer, out.shape[0])
    title += "" if frame.result is not None else " (filling in)"
    tiles.append(_board_view(title, out.shape[1:], out_cell, focus, (0, 0), rows, width))
    return parts + _tiles(tiles, width)


def play_frame(
    scene: Scene,
    frame: Frame,
    value_at: Callable[[tuple[int, int, int]], Any],
    *,
    status: str,
    width: int = 80,
    height: int = 50,
) -> RenderableType:
    """One frame of an animation: the header, the derivation of the step, A with the window
    marked, the kernel as applied, the products, and the output as it stands (``value_at`` gives
    each cell, or None while it is empty). Large grids are cut to fit ``height`` lines, centred
    on what moves; a short terminal loses the definition and B as given first.
    """
    head: list[RenderableType] = [
        header(scene.title, scene.options, scene.shapes, width=width),
        Text(status, style="yellow"),
    ]
    console = Console(width=width, color_system=None, file=io.StringIO())
    parts: list[RenderableType] = []
    for rows, lines, full in ((16, 8, True), (10, 6, True), (8, 4, False), (5, 3, False), (1, 2, False)):
        parts = head + _frame_parts(scene, frame, value_at, width, rows, lines, full)
        if len(console.render_lines(Group(*parts), console.options, pad=False)) <= height:
            break
    return Group(*parts)
