"""Rich renderables for people. Every function returns; nothing here prints.

Large arrays are summarised the way numpy prints them: the first and last few rows and columns
with an ellipsis between, so only the cells that will be shown are ever formatted.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from rich import box
from rich.console import Console, Group, RenderableType
from rich.measure import Measurement
from rich.table import Table
from rich.text import Text

from .model import Comparison, Op, OpOptions, Result, Undefined
from .numbers import display_number
from .ops import shape_text

__all__ = ["matrix_grid", "result_view", "comparison_view", "header"]

EDGE = 3  # rows/columns kept at each end of a summarised axis
MAX_ROWS = 24
ELLIPSIS = "…"


def _axis_picks(n: int, keep: int) -> list[int | None]:
    """Indices to show along an axis of length n: all of them, or ``keep`` from each end."""
    if n <= 2 * keep + 1:
        return list(range(n))
    return [*range(keep), None, *range(n - keep, n)]


def _fit_columns(a2: np.ndarray, rows: list[int | None], width: int) -> list[int | None]:
    """All columns if they fit in ``width``, else as many from each end as fit (at least one)."""
    n = a2.shape[1]
    label_w = len(str(a2.shape[0] - 1)) + 2
    if n <= 64 and _grid_width(a2, rows, list(range(n)), label_w) <= width:
        return list(range(n))
    for keep in range(min((n - 1) // 2, 16), 0, -1):
        cols = _axis_picks(n, keep)
        if _grid_width(a2, rows, cols, label_w) <= width:
            return cols
    return _axis_picks(n, 1)


def _cell(a2: np.ndarray, r: int | None, c: int | None) -> str:
    if r is None or c is None:
        return ELLIPSIS
    return display_number(a2[r, c])


def _grid_width(a2: np.ndarray, rows: list[int | None], cols: list[int | None], label_w: int) -> int:
    total = label_w
    for c in cols:
        w = max([len(_cell(a2, r, c)) for r in rows] + [len(str(c)) if c is not None else 1])
        total += w + 2
    return total


def matrix_grid(
    a: np.ndarray,
    *,
    width: int = 80,
    style: str = "bold",
    highlight: set[tuple[int, int]] | None = None,
    highlight_style: str = "reverse",
) -> RenderableType:
    """A 0-, 1- or 2-D array as an aligned grid with dim row and column indices.

    3-D arrays are shown as one grid per leading index. Cells in ``highlight`` get
    ``highlight_style``.
    """
    if a.ndim == 0:
        return Text(display_number(a[()]), style=style)
    if a.ndim >= 3:
        picks = _axis_picks(a.shape[0], EDGE)
        parts: list[RenderableType] = []
        for i in picks:
            if i is None:
                parts.append(Text(f"{ELLIPSIS} ({a.shape[0] - 2 * EDGE} more)", style="dim"))
                continue
            parts.append(Text(f"[{i}]", style="dim"))
            parts.append(matrix_grid(a[i], width=width, style=style))
        return Group(*parts)
    a2 = a.reshape(1, -1) if a.ndim == 1 else a
    if a2.size == 1:
        return Text(display_number(a2[0, 0]), style=style)
    rows = _axis_picks(a2.shape[0], EDGE) if a2.shape[0] > MAX_ROWS else list(range(a2.shape[0]))
    cols = _fit_columns(a2, rows, width)
    table = Table(box=None, show_header=True, header_style="dim", padding=(0, 0, 0, 2), pad_edge=False)
    if a.ndim == 2:
        table.add_column("", style="dim", justify="right")
    for c in cols:
        table.add_column(ELLIPSIS if c is None else str(c), justify="right", no_wrap=True)
    for r in rows:
        cells: list[Any] = []
        if a.ndim == 2:
            cells.append(ELLIPSIS if r is None else str(r))
        for c in cols:
            text = _cell(a2, r, c)
            cell_style = style
            if highlight and r is not None and c is not None and (r, c) in highlight:
                cell_style = highlight_style
            cells.append(Text(text, style="dim" if text == ELLIPSIS else cell_style))
        table.add_row(*cells)
    return table


def _options_text(options: OpOptions | None, op: Op | None) -> str:
    if options is None or op not in (Op.CONVOLVE, Op.CORRELATE, None):
        return ""
    parts = [f"mode {options.mode}", f"boundary {options.boundary}"]
    if options.boundary == "fill" and options.fillvalue != 0:
        parts.append(f"fillvalue {display_number(options.fillvalue)}")
    parts.append(f"convention {options.convention}")
    return " · ".join(parts)


def header(title: str, options_text: str, shapes: str) -> Text:
    text = Text()
    text.append(title, style="bold magenta")
    if options_text:
        text.append("  " + options_text)
    text.append("\n" + shapes, style="dim")
    return text


def _shapes(a_shape: tuple[int, ...], b_shape: tuple[int, ...], tail: str) -> str:
    return f"A {shape_text(a_shape)} · B {shape_text(b_shape)}{tail}"


def result_view(result: Result, *, width: int = 80) -> RenderableType:
    """One operation: a header naming it, its mode, the shapes and number kind; then the value."""
    out_shape = "scalar" if result.value.ndim == 0 else shape_text(result.shape)
    head = header(
        result.op.value,
        _options_text(result.options, result.op),
        _shapes(result.a_shape, result.b_shape, f" → {out_shape} · {result.kind.label}"),
    )
    parts: list[RenderableType] = [head, Text("")]
    if result.products is not None:
        parts += [Text("products A*B", style="dim"), matrix_grid(result.products, width=width, style="")]
        parts += [
            Text(""),
            Text.assemble(("sum = ", "dim"), (display_number(result.value[()]), "bold green")),
        ]
    else:
        parts.append(matrix_grid(result.value, width=width, style="bold green"))
    parts += [Text(note, style="dim italic") for note in result.notes]
    return Group(*parts)


def _op_cell(res: Result | Undefined, width: int) -> RenderableType:
    if isinstance(res, Undefined):
        return Text(f"undefined: {res.short}", style="yellow")
    return matrix_grid(res.value, width=width, style="bold green")


def bullets(lines: list[str]) -> RenderableType:
    """Sentences as a bulleted list whose wrapped lines hang under the text, not the bullet."""
    grid = Table.grid(padding=(0, 1))
    grid.add_column(style="dim", no_wrap=True)
    grid.add_column()
    for line in lines:
        grid.add_row("•", line)
    return grid


def comparison_view(cmp: Comparison, *, width: int = 80) -> RenderableType:
    """compare: the four results in one table, side by side when they fit, else one per row."""
    head = header(
        "compare",
        _options_text(cmp.options, None),
        _shapes(cmp.a_shape, cmp.b_shape, f" · {cmp.kind.label}"),
    )
    cell_width = max((width - 4 * 3) // 4, 12)
    side = Table(box=box.SIMPLE_HEAD, header_style="bold", pad_edge=False)
    for op, res in cmp.results.items():
        side.add_column(
            op.value,
            vertical="top",
            max_width=max(cell_width, len(op.value)) if isinstance(res, Undefined) else None,
        )
    side.add_row(*(_op_cell(res, cell_width) for res in cmp.results.values()))
    if Measurement.get(_MEASURE, _MEASURE.options, side).maximum <= width:
        table = side
    else:
        table = Table(box=box.SIMPLE_HEAD, header_style="bold", pad_edge=False)
        table.add_column("operation", style="bold", no_wrap=True, vertical="top")
        table.add_column("result")
        for i, (op, res) in enumerate(cmp.results.items()):
            table.add_row(op.value, _op_cell(res, max(width - 20, 20)), end_section=i < 3)
    return Group(head, table, bullets([fact.text for fact in cmp.facts]))


_MEASURE = Console(width=10_000, color_system=None)
