"""Grids for people (rich): arrays drawn as aligned grids, how many rows and columns fit a width,
the narrow-terminal fallbacks (plain rows, parts one under another), and parts of a grid with
some cells marked (a window, the cells a step reads). Every function returns; nothing here
prints.

Large arrays are summarised the way numpy prints them: the first and last few rows and columns
with an ellipsis between, so only the cells that will be shown are ever formatted.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from rich.console import Console, Group, RenderableType
from rich.measure import Measurement
from rich.table import Table
from rich.text import Text

from .model import OpOptions
from .text import cell_text, display_number

__all__ = [
    "matrix_grid",
    "grid_fits",
    "axis_picks",
    "aligned_column",
    "on_the_point",
    "plain_rows",
    "fits",
    "one_after_another",
    "block_label",
    "result_lead",
    "MEASURE",
    "ELLIPSIS",
    "EDGE",
    "MAX_ROWS",
    "NARROW_NOTE",
    "CHANNELS",
    "FILTERS",
    "FILTERS_AND_CHANNELS",
    "marked_grid",
    "marked_cells",
    "taps_drawn",
    "MARGIN",
]


EDGE = 3  # rows/columns kept at each end of a summarised axis
MAX_ROWS = 24
ELLIPSIS = "…"


def axis_picks(n: int, keep: int) -> list[int | None]:
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
        cols = axis_picks(n, keep)
        if _grid_width(a2, rows, cols, label_w) <= width:
            return cols
    return axis_picks(n, 1)


def _cell(a2: np.ndarray, r: int | None, c: int | None) -> str:
    if r is None or c is None:
        return ELLIPSIS
    return display_number(a2[r, c])


def on_the_point(texts: list[str]) -> list[str]:
    """One column of numbers as it is right-justified with its decimal points in one line: each
    number with a point is padded after it to the longest fraction; others (4, nan, …) are left
    to the right edge."""
    points = [t.find(".") for t in texts]
    fraction = max((len(t) - p for t, p in zip(texts, points, strict=True) if p >= 0), default=0)
    if not fraction:
        return texts
    return [t if p < 0 else t.ljust(p + fraction) for t, p in zip(texts, points, strict=True)]


def aligned_column(texts: list[str], at_least: int = 0, style: str = "") -> list[Text]:
    """A column of numbers as cells of one width, right-justified, decimal points in one line
    (padded here: rich would strip the spaces after a number that put its point in line)."""
    shown = on_the_point(texts)
    w = max(at_least, *(len(t) for t in shown))
    return [Text(t.rjust(w), style="dim" if t == ELLIPSIS else style) for t in shown]


def _column(a2: np.ndarray, rows: list[int | None], c: int | None) -> list[str]:
    """The texts of one column of a grid, aligned on the decimal point."""
    return on_the_point([_cell(a2, r, c) for r in rows])


def _grid_width(a2: np.ndarray, rows: list[int | None], cols: list[int | None], label_w: int) -> int:
    total = label_w
    for c in cols:
        w = max([len(text) for text in _column(a2, rows, c)] + [len(str(c)) if c is not None else 1])
        total += w + 2
    return total


# What a view becomes where the terminal is too narrow for its grids or tables: rows of plain text
# wrapped under a hanging indent, so that no number is ever cropped away.
NARROW_NOTE = "(too narrow for a grid: row by row)"


def plain_rows(labels: list[str], rows: list[list[Text]], width: int) -> Text:
    """Labelled rows of cells, each row wrapped at spaces with its continuation indented."""
    label_w = max((len(label) for label in labels), default=0) + 1
    indent = label_w if label_w <= width // 2 else 1  # long labels: on a line of their own
    out = Text(NARROW_NOTE, style="dim")
    for label, cells in zip(labels, rows, strict=True):
        out.append("\n" + (label + ":").rjust(indent), style="dim")
        used = indent if indent == label_w else width
        for cell in cells:
            if used + 1 + cell.cell_len > width and used > indent:
                out.append("\n" + " " * indent)
                used = indent
            out.append(" ")
            out.append_text(cell)
            used += 1 + cell.cell_len
    return out


def fits(renderable: RenderableType, width: int, squeezed: bool = True) -> bool:
    """Whether rich can draw ``renderable`` within ``width`` columns without cropping anything:
    with its text wrapped as far as it goes (``squeezed``), or as it is (for tables of grids,
    which rich would crop rather than squeeze)."""
    measured = Measurement.get(MEASURE, MEASURE.options, renderable)
    return (measured.minimum if squeezed else measured.maximum) <= width


def _grid_rows(
    a2: np.ndarray, rows: list[int | None], cols: list[int | None], style: str, marks: set[tuple[int, int]]
) -> tuple[list[str], list[list[Text]]]:
    """The cells of a grid as plain rows (picked rows and columns; ellipses stay ellipses)."""
    labels = [ELLIPSIS if r is None else str(r) for r in rows]
    body = []
    for r in rows:
        cells = []
        for c in cols:
            text = _cell(a2, r, c)
            marked = r is not None and c is not None and (r, c) in marks
            cells.append(Text(f"[{text}]" if marked else text, style=style if text != ELLIPSIS else "dim"))
        body.append(cells)
    return labels, body


def _layout(a2: np.ndarray, width: int, highlight: bool) -> tuple[list[int | None], list[int | None], bool]:
    """The rows and columns a grid of 2-D ``a2`` shows in ``width``, and whether they fit there."""
    rows: list[int | None] = (
        axis_picks(a2.shape[0], EDGE) if a2.shape[0] > MAX_ROWS else list(range(a2.shape[0]))
    )
    cols = _fit_columns(a2, rows, width - (2 * a2.shape[1] if highlight else 0))
    label_w = len(str(a2.shape[0] - 1)) + 2
    return rows, cols, _grid_width(a2, rows, cols, label_w) + (2 * len(cols) if highlight else 0) <= width


def grid_fits(a: np.ndarray, width: int, highlight: bool = False) -> bool:
    """Whether matrix_grid draws ``a`` in ``width`` columns as a grid, not as plain rows."""
    if a.ndim == 0 or (a.size == 1 and not highlight):
        return True
    if a.ndim >= 3:
        return all(grid_fits(a[i], width) for i in axis_picks(a.shape[0], EDGE) if i is not None)
    return _layout(a.reshape(1, -1) if a.ndim == 1 else a, width, highlight)[2]


def block_label(names: tuple[str, ...], index: tuple[int, ...]) -> str:
    """The label of one 2-D block of a larger array: ``channel 0 · filter 1`` when its leading
    axes have names (innermost first, as one says it), else ``[1, 0]``."""
    if len(names) != len(index):
        return cell_text(index)
    return " · ".join(f"{name} {i}" for name, i in reversed(list(zip(names, index, strict=True))))


# the leading axes of arrays with --channels: A and the kernel's channels, B's filters and channels,
# and a result's filters
CHANNELS = ("channel",)
FILTERS = ("filter",)
FILTERS_AND_CHANNELS = ("filter", "channel")


def matrix_grid(
    a: np.ndarray,
    *,
    width: int = 80,
    style: str = "bold",
    highlight: set[tuple[int, int]] | None = None,
    highlight_style: str = "reverse",
    lead: tuple[str, ...] = (),
    _index: tuple[int, ...] = (),
    _cell_width: int = 0,
) -> RenderableType:
    """A 0-, 1- or 2-D array as an aligned grid with dim row and column indices.

    Larger arrays are shown as one grid per index of their leading axes, labelled by ``lead``
    (the names of those axes, such as FILTERS_AND_CHANNELS) or by the bare index. Cells in
    ``highlight`` (row, column) are bracketed and get ``highlight_style``, so they stand out
    without colour too.
    """
    if a.ndim == 0:
        return Text(display_number(a[()]), style=style)
    if a.ndim >= 3:
        picks = axis_picks(a.shape[0], EDGE)
        # one cell width for every block where it fits, so that stacked grids line up
        cell_width = max(len(display_number(v)) for v in a.flat[:4096]) if a.size else 0
        parts: list[RenderableType] = []
        for i in picks:
            if i is None:
                parts.append(Text(f"{ELLIPSIS} ({a.shape[0] - 2 * EDGE} more)", style="dim"))
                continue
            if a.ndim == 3:
                parts.append(Text(block_label(lead, (*_index, i)), style="dim"))
            parts.append(
                matrix_grid(
                    a[i], width=width, style=style, lead=lead, _index=(*_index, i), _cell_width=cell_width
                )
            )
        return Group(*parts)
    a2 = a.reshape(1, -1) if a.ndim == 1 else a
    if a2.size == 1 and not highlight:
        return Text(display_number(a2[0, 0]), style=style)
    rows, cols, fit = _layout(a2, width, bool(highlight))
    if not fit:
        return plain_rows(*_grid_rows(a2, rows, cols, style, highlight or set()), width)
    label_w = len(str(a2.shape[0] - 1)) + 2
    if _cell_width:
        own = [max([len(text) for text in _column(a2, rows, c)] + [len(str(c))]) for c in cols]
        if label_w + sum(max(w, _cell_width) + 2 for w in own) > width:
            _cell_width = 0  # the common width would not fit: this block keeps its own
    table = Table(box=None, show_header=True, header_style="dim", padding=(0, 0, 0, 2), pad_edge=False)
    if a.ndim == 2:
        table.add_column("", style="dim", justify="right")
    # Each column's cells are padded here, not justified by rich, which would strip the spaces
    # that put the decimal points in one line.
    body: dict[int | None, list[Text]] = {}
    for c in cols:
        cells_of_column = []
        for r, text in zip(rows, _column(a2, rows, c), strict=True):
            if highlight and r is not None and c is not None and (r, c) in highlight:
                number = text.rstrip()  # the brackets hug the number; the alignment pads after them
                pad = " " * (len(text) - len(number))
                cells_of_column.append(Text.assemble("[", (number, highlight_style), "]", pad))
            else:
                cells_of_column.append(
                    Text(text + (" " if highlight else ""), style="dim" if text == ELLIPSIS else style)
                )
        # with brackets, the label leaves the closing bracket's column free: it stands over the digits
        label = (ELLIPSIS if c is None else str(c)) + (" " if highlight else "")
        w = max(len(label), _cell_width, *(cell.cell_len for cell in cells_of_column))
        for cell in cells_of_column:
            cell.pad_left(w - cell.cell_len)
        table.add_column(label.rjust(w), justify="left", no_wrap=True)
        body[c] = cells_of_column
    for n, r in enumerate(rows):
        cells: list[Any] = [ELLIPSIS if r is None else str(r)] if a.ndim == 2 else []
        table.add_row(*cells, *(body[c][n] for c in cols))
    return table


def one_after_another(parts: list[tuple[str, RenderableType]]) -> RenderableType:
    """Titled parts one under the other: a table's cells when the terminal is too narrow for it."""
    out: list[RenderableType] = []
    for n, (title, part) in enumerate(parts):
        out += [Text("")] if n else []
        out += [Text(title, style="bold"), part]
    return Group(*out)


MEASURE = Console(width=10_000, color_system=None, markup=False, emoji=False)  # as the command line draws


def result_lead(options: OpOptions | None, value: np.ndarray) -> tuple[str, ...]:
    """The names of a result's leading axis: one map per filter with --channels."""
    return FILTERS if options is not None and options.channels and value.ndim == 3 else ()


MARGIN = 2  # cells of context drawn around a window


def taps_drawn(
    grid: np.ndarray, pad_mask: np.ndarray, taps: set[tuple[int, int]], before: Any, width: int, name: str
) -> Text:
    """A padded input around some of its cells (``taps``, in [brackets]), padding cells dim and
    marked ·, rows and columns numbered from A's (or X's) first cell (``before`` padding first)."""
    r0 = max(min(r for r, _ in taps) - MARGIN, 0)
    c0 = max(min(c for _, c in taps) - MARGIN, 0)
    r1 = min(max(r for r, _ in taps) + 1 + MARGIN, grid.shape[0])
    c1 = min(max(c for _, c in taps) + 1 + MARGIN, grid.shape[1])
    cropped = r0 > 0 or c0 > 0 or r1 < grid.shape[0] or c1 < grid.shape[1]

    def cell(r: int, c: int) -> tuple[str, str]:
        return display_number(grid[r, c]), ("mark" if (r, c) in taps else "") + (
            "pad" if pad_mask[r, c] else ""
        )

    out = marked_grid(
        range(r0, r1),
        range(c0, c1),
        cell,
        lambda r: str(r - before[0]),
        lambda c: str(c - before[1]),
        width=width,
    )
    if cropped:
        out.append(f"\n({name} continues beyond the rows and columns drawn)", style="dim")
    return out


def marked_grid(
    rows: range,
    cols: range,
    cell: Callable[[int, int], tuple[str, str]],
    row_label: Callable[[int], str],
    col_label: Callable[[int], str],
    mark_style: str = "reverse bold",
    width: int | None = None,
) -> Text:
    """Part of a grid with dim row and column labels, some cells marked.

    ``cell(r, c)`` gives the text of an entry and how it is drawn: "mark" in [brackets] (and
    ``mark_style``), "pad" dim with a · after it (a padding cell), "markpad" both, "dim" dim.
    The brackets and the · make the picture read the same without colour; wider than ``width``,
    the rows become plain text (plain_rows). Drawn as one Text,
    not a rich Table: steps may draw a thousand of these, and a Table per grid costs tens of
    milliseconds to lay out.
    """
    cells: dict[tuple[int, int], tuple[str, str]] = {}
    for r in rows:
        for c in cols:
            number, kind = cell(r, c)
            pad = "pad" in kind
            if "mark" in kind:
                cells[r, c] = (f"[{number}]" + ("·" if pad else " "), "mark")
            else:
                cells[r, c] = (f" {number}" + ("· " if pad else "  "), "dim" if pad or kind == "dim" else "")
    labels = [row_label(r) for r in rows]
    label_w = max((len(label) for label in labels), default=0)
    widths = {c: max([len(col_label(c)) + 2] + [len(cells[r, c][0]) for r in rows]) for c in cols}
    if width is not None and label_w + sum(widths[c] + 2 for c in cols) > width:
        styles = {"mark": mark_style, "dim": "dim", "": ""}
        return plain_rows(
            ["column", *labels],
            [
                [Text(col_label(c), style="dim") for c in cols],
                *([Text(cells[r, c][0].strip(), style=styles[cells[r, c][1]]) for c in cols] for r in rows),
            ],
            width,
        )
    out = Text(" " * label_w, style="dim")
    for c in cols:
        out.append(("  " + col_label(c) + "  ").rjust(widths[c] + 2), style="dim")
    for r, label in zip(rows, labels, strict=True):
        out.append("\n" + label.rjust(label_w), style="dim")
        for c in cols:
            text, kind = cells[r, c]
            out.append(" " * (widths[c] + 2 - len(text)))
            if kind == "mark":
                out.append("[")
                out.append(text[1 : text.index("]")], style=mark_style)
                out.append(text[text.index("]") :])
            else:
                out.append(text, style=kind)
    return out


def marked_cells(grid: np.ndarray, marked: set[tuple[int, int]]) -> Text:
    """A 2-D grid with some cells in [brackets]: all of a small one (up to 12x12), else the marked
    cells and a margin around them."""
    n_rows, n_cols = grid.shape
    if marked and grid.size > 144:
        rows = range(
            max(min(r for r, _ in marked) - MARGIN, 0), min(max(r for r, _ in marked) + MARGIN + 1, n_rows)
        )
        cols = range(
            max(min(c for _, c in marked) - MARGIN, 0), min(max(c for _, c in marked) + MARGIN + 1, n_cols)
        )
    else:
        rows, cols = range(min(n_rows, 12)), range(min(n_cols, 12))

    def cell(r: int, c: int) -> tuple[str, str]:
        return display_number(grid[r, c]), "mark" if (r, c) in marked else ""

    return marked_grid(rows, cols, cell, str, str)
