"""Rich renderables for people. Every function returns; nothing here prints.

Large arrays are summarised the way numpy prints them: the first and last few rows and columns
with an ellipsis between, so only the cells that will be shown are ever formatted.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np
from rich import box
from rich.console import Console, Group, RenderableType
from rich.measure import Measurement
from rich.padding import Padding
from rich.styled import Styled
from rich.table import Table
from rich.text import Text

from .explanations import (
    ConventionComparison,
    ConventionRow,
)
from .kernels import KernelInfo
from .layers import HEADERS, RULES, Explanation, Network
from .model import Comparison, Convention, Op, OpOptions, Result, TransposeResult, Undefined
from .pool import PoolResult, rules
from .shapes import ShapeReport
from .text import (
    dims_text,
    display_number,
    pool_options_text,
    shape_text,
    transpose_options_text,
)
from .text import options_text as _options_text

__all__ = [
    "matrix_grid",
    "result_view",
    "comparison_view",
    "header",
    "conventions_view",
    "MEASURE",
    "axis_picks",
    "shapes_line",
    "result_lead",
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
        return "[" + ", ".join(map(str, index)) + "]"
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


def wrapped_terms(text: str, width: int) -> Text:
    """A long sum of products broken before each '=' and then after a '+', never inside a term."""
    if len(text) <= width:
        return Text(text)
    lines: list[str] = []
    for n, part in enumerate(text.split(" = ")):
        line = "" if n == 0 else "  = "
        for piece in re.split(r"(?<=\+)", part):
            if len(line) + len(piece) > width and line.strip(" ="):
                lines.append(line)
                line = "    "
            line += piece
        lines.append(line)
    return Text("\n".join(lines))


def header(title: str, options_text: str, shapes: str, width: int = 80) -> Text:
    """The title, the options in force and the shapes; the options on their own line when the
    terminal is too narrow to hold them beside the title."""
    text = Text()
    text.append(title, style="bold magenta")
    if options_text:
        text.append(("  " if len(title) + 2 + len(options_text) <= width else "\n") + options_text)
    text.append("\n" + shapes, style="dim")
    return text


def shapes_line(a_shape: tuple[int, ...], b_shape: tuple[int, ...], tail: str) -> str:
    return f"A {shape_text(a_shape)} · B {shape_text(b_shape)}{tail}"


def result_view(result: Result, *, width: int = 80) -> RenderableType:
    """One operation: a header naming it, its mode, the shapes and number kind; then the value."""
    out_shape = "scalar" if result.value.ndim == 0 else shape_text(result.shape)
    head = header(
        result.op.value,
        _options_text(result.options, result.op),
        shapes_line(result.a_shape, result.b_shape, f" → {out_shape} · {result.kind.label}"),
        width=width,
    )
    parts: list[RenderableType] = [head, Text("")]
    if result.products is not None:
        parts += [Text("products A*B", style="dim"), matrix_grid(result.products, width=width, style="")]
        parts += [
            Text(""),
            Text.assemble(("sum = ", "dim"), (display_number(result.value[()]), "bold green")),
        ]
    else:
        lead = result_lead(result.options, result.value)
        parts.append(matrix_grid(result.value, width=width, style="bold green", lead=lead))
    parts += [Text(note, style="dim italic") for note in result.notes]
    return Group(*parts)


def _op_cell(res: Result | Undefined, width: int) -> RenderableType:
    if isinstance(res, Undefined):
        return Text(f"undefined: {res.short}", style="yellow")
    return matrix_grid(res.value, width=width, style="bold green", lead=result_lead(res.options, res.value))


# A short group in brackets or parentheses, such as A[0:3, 0:3], (A, B) or [1, 0, 1]: kept on one
# line when a sentence is wrapped, as a reader takes it in at one glance
_TOGETHER = re.compile(r"[\[(][^\[\]()]{0,20}[\])]")


def wrap_prose(text: str, width: int) -> str:
    """``text`` broken into lines of at most ``width`` at spaces, never inside a short bracketed
    group (a word or group wider than ``width`` is left for rich to fold); an indented text keeps
    its indent on every line."""
    body = text.lstrip(" ")
    indent = " " * (len(text) - len(body))
    if indent:
        return indent + wrap_prose(body, max(width - len(indent), 1)).replace("\n", "\n" + indent)
    kept = [m.span() for m in _TOGETHER.finditer(text)]
    words: list[str] = []
    start = 0
    for i, ch in enumerate(text):
        if ch == " " and not any(lo < i < hi for lo, hi in kept):
            words.append(text[start:i])
            start = i + 1
    words.append(text[start:])
    lines: list[str] = []
    line = ""
    for word in words:
        if line and len(line) + 1 + len(word) > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}" if line else word
    lines.append(line)
    return "\n".join(lines)


def bullets(lines: list[str], width: int | None = None) -> RenderableType:
    """Sentences as a bulleted list whose wrapped lines hang under the text, not the bullet;
    with the terminal's ``width``, short bracketed groups are never split."""
    grid = Table.grid(padding=(0, 1))
    grid.add_column(style="dim", no_wrap=True)
    grid.add_column(overflow="fold")  # a word wider than a narrow terminal is folded, never cropped
    for line in lines:
        # Text: never read as markup (facts quote matrices in [ ])
        grid.add_row("•", Text(line if width is None else wrap_prose(line, width - 2)))
    return grid


def comparison_view(cmp: Comparison, *, width: int = 80) -> RenderableType:
    """compare: the four results in one table, side by side when they fit, else one per row."""
    head = header(
        "compare",
        _options_text(cmp.options, None),
        shapes_line(cmp.a_shape, cmp.b_shape, f" · {cmp.kind.label}"),
        width=width,
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
    table: RenderableType
    if Measurement.get(MEASURE, MEASURE.options, side).maximum <= width:
        table = side
    else:
        table = Table(box=box.SIMPLE_HEAD, header_style="bold", pad_edge=False)
        table.add_column("operation", style="bold", no_wrap=True, vertical="top")
        table.add_column("result")
        for i, (op, res) in enumerate(cmp.results.items()):
            table.add_row(op.value, _op_cell(res, width - 20), end_section=i < 3)
        if width - 20 < _NARROWEST or not fits(table, width):
            listed = one_after_another([(op.value, _op_cell(res, width)) for op, res in cmp.results.items()])
            table = Group(Text(""), listed, Text(""))
    return Group(head, *answer_lines(cmp, width), table, bullets([fact.text for fact in cmp.facts], width))


def answer_lines(cmp: Comparison, width: int) -> list[RenderableType]:
    """compare's answer for these inputs, and the command that shows what they do not."""
    lines: list[RenderableType] = []
    if cmp.answer:
        lines += [Text(""), Text(wrap_prose(cmp.answer, width), style="bold")]
    if cmp.try_next:
        why, command = cmp.try_next
        runnable = Text(shell_lines(command, width - 2), style="cyan")
        lines += [Text(wrap_prose(why, width)), Padding(runnable, (0, 0, 0, 2))]
    return lines


def shell_lines(command: str, width: int) -> str:
    """``command`` as a shell reads it, in lines of at most ``width`` where its words allow:
    broken only between words, each break escaped with a backslash, so it still copies and runs.

    >>> print(shell_lines("convcli compare samples/window.txt samples/B2.txt", 38))
    convcli compare samples/window.txt \\
      samples/B2.txt
    """
    lines: list[str] = []
    for word in command.split(" "):
        if lines and len(lines[-1]) + 1 + len(word) + 2 <= width:
            lines[-1] += " " + word
        else:
            lines.append(word if not lines else "  " + word)
    return " \\\n".join(lines)


_NARROWEST = 20  # columns a result is given at least before a table gives way to a list


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


def conventions_view(cmp: ConventionComparison, *, width: int = 80) -> RenderableType:
    """'same' mode under every library's alignment; cells that differ from scipy's bracketed."""
    head = header(
        "compare --conventions",
        "mode same",
        shapes_line(cmp.a_shape, cmp.b_shape, " · cells that differ from the first row are [bracketed]"),
        width=width,
    )

    def cell(row: ConventionRow, op: Op, cell_width: int) -> RenderableType:
        res = row.results[op]
        if isinstance(res, Undefined):
            return Text(f"undefined: {res.short}", style="yellow")
        marks = {(0, c[0]) if len(c) == 1 else (c[-2], c[-1]) for c in row.differs[op]}
        return matrix_grid(res.value, width=cell_width, style="bold green", highlight=marks or None)

    table = Table(box=box.SIMPLE_HEAD, header_style="bold", pad_edge=False)
    table.add_column("convention", style="bold", no_wrap=True, vertical="top")
    for op in (Op.CONVOLVE, Op.CORRELATE):
        table.add_column(op.value, vertical="top")
    for i, row in enumerate(cmp.rows):
        table.add_row(
            row.convention.value,
            *(cell(row, op, width) for op in (Op.CONVOLVE, Op.CORRELATE)),
            end_section=i < len(cmp.rows) - 1,
        )
    shown: RenderableType = table
    if Measurement.get(MEASURE, MEASURE.options, table).maximum > width:
        table = Table(box=box.SIMPLE_HEAD, header_style="bold", pad_edge=False)
        table.add_column("convention", style="bold", no_wrap=True, vertical="top")
        table.add_column("operation", no_wrap=True, vertical="top")
        table.add_column("result (same mode)")
        for i, row in enumerate(cmp.rows):
            for op in (Op.CONVOLVE, Op.CORRELATE):
                first = op is Op.CONVOLVE
                table.add_row(
                    row.convention.value if first else "",
                    op.value,
                    cell(row, op, width - 26),
                    end_section=not first and i < len(cmp.rows) - 1,
                )
        shown = table
        if width - 26 < _NARROWEST or not fits(table, width):
            listed = one_after_another(
                [
                    (f"{row.convention} · {op}", cell(row, op, width))
                    for row in cmp.rows
                    for op in (Op.CONVOLVE, Op.CORRELATE)
                ]
            )
            shown = Group(listed, Text(""))
    return Group(head, shown, bullets([row.rule for row in cmp.rows]))


# ---------------------------------------------------------------------------------------------
# conv-transpose, shape, kernels


def transpose_view(result: TransposeResult, *, width: int = 80) -> RenderableType:
    head = header(
        result.name,
        transpose_options_text(result.options),
        shapes_line(result.a_shape, result.b_shape, f" → {shape_text(result.shape)} · {result.kind.label}"),
        width=width,
    )
    return Group(head, Text(""), matrix_grid(result.value, width=width, style="bold green"))


def shape_view(
    report: ShapeReport, *, width: int = 80, conventions: tuple[Convention, ...] = tuple(Convention)
) -> RenderableType:
    lines = report.summary_lines()
    parts: list[RenderableType] = [Text(wrap_prose(lines[0], width), style="bold")]
    parts += [Text(wrap_prose(line, width)) for line in lines[1 : len(lines) - len(report.axes)]]
    parts += [_axis_text(label, formula, sizes, width) for label, formula, sizes in report.axis_parts()]
    if not report.transposed:
        table = Table(
            box=box.SIMPLE_HEAD,
            header_style="bold",
            pad_edge=False,
            title_justify="left",
            title="'same' padding (before, after) per axis",
            title_style="dim",
        )
        table.add_column("convention", style="bold")
        table.add_column("convolve", no_wrap=True)  # a (before, after) pair is never split
        table.add_column("correlate", no_wrap=True)
        for convention in conventions:
            cells = []
            for op in (Op.CONVOLVE, Op.CORRELATE):
                pads = [axis.same_pads[(convention, op)] for axis in report.axes]
                if any(isinstance(p, str) for p in pads):
                    cells.append(Text("refused with a stride", style="yellow"))
                else:
                    cells.append(Text(" ".join(f"({p[0]}, {p[1]})" for p in pads)))
            table.add_row(convention.value, *cells)
        shown: RenderableType = table
        if not fits(table, width, squeezed=False):
            title = Text("'same' padding (before, after) per axis", style="dim")
            shown = Group(title, plain_rows(*_shape_rows(report, conventions), width))
        parts += [Text(""), shown]
    return Group(*parts)


def _axis_text(label: str, formula: str, sizes: str, width: int) -> Text:
    """One axis of shape: its formula and the other modes' sizes on one line when they fit, the
    sizes under the formula when not, and the formula under its label, wrapped, at the last."""
    head = f"  {label}: "
    if len(head) + len(formula) + 2 + len(sizes) <= width:
        return Text(f"{head}{formula}  {sizes}")
    if len(head) + len(formula) <= width:
        return Text(f"{head}{formula}\n{' ' * len(head)}{sizes}")
    body = wrap_prose(f"{formula} {sizes}", width - 4).replace("\n", "\n    ")
    return Text(f"{head.rstrip()}\n    {body}")


def _shape_rows(
    report: ShapeReport, conventions: tuple[Convention, ...]
) -> tuple[list[str], list[list[Text]]]:
    """Each convention's 'same' padding for each op as a row of plain text: one (before, after)
    pair per axis, each pair one unbreakable cell."""
    labels, rows = [], []
    for convention in conventions:
        for op in (Op.CONVOLVE, Op.CORRELATE):
            pads = [axis.same_pads[(convention, op)] for axis in report.axes]
            labels.append(f"{convention} {op}")
            if any(isinstance(p, str) for p in pads):
                rows.append([Text("refused with a stride", style="yellow")])
            else:
                rows.append([Text(f"({p[0]},\u00a0{p[1]})") for p in pads])
    return labels, rows


def kernels_view(kernels: list[KernelInfo], *, width: int = 80) -> RenderableType:
    """Each named kernel: how to write it, what it does, its (default) matrix."""
    parts: list[RenderableType] = []
    for k in kernels:
        symmetric = " · symmetric: convolve = correlate" if k.symmetric else ""
        parts.append(Text.assemble((k.usage, "bold magenta"), (symmetric, "dim")))
        parts.append(Text(k.description))
        parts.append(matrix_grid(k.matrix, width=width, style=""))
        parts.append(Text(""))
    return Group(*parts)


# ---------------------------------------------------------------------------------------------
# layers

# columns dropped first when the terminal is narrow: start, jump, field, MACs, then the index
_LAYER_DROP_ORDER = (7, 6, 5, 4, 0)
_LAYER_MIN = 16  # the layer column's narrowest width before columns are dropped (it may fold)


def _layer_columns(cells: list[list[str]], width: int) -> tuple[list[int], int]:
    """Which columns fit ``width``, and the layer column's width; numbers are never wrapped, so
    columns are dropped rather than squeezed."""
    natural = [max([len(h)] + [len(row[i]) for row in cells]) for i, h in enumerate(HEADERS)]
    keep = list(range(len(HEADERS)))

    def needed(columns: list[int], layer: int) -> int:
        # SIMPLE_HEAD without edges: a padding cell, a blank divider and a padding cell between columns
        return sum(layer if i == 1 else natural[i] for i in columns) + 3 * (len(columns) - 1)

    for drop in _LAYER_DROP_ORDER:
        if needed(keep, min(natural[1], _LAYER_MIN)) <= width:
            break
        keep.remove(drop)
    # what is left, however narrow: the layer's text folds, the numbers stay whole
    layer = max(min(natural[1], width - needed(keep, 0)), 4)
    return keep, layer


def layers_view(network: Network, *, width: int = 80) -> RenderableType:
    """layers: one row per layer, the totals, the notes, and the counting rules."""
    cells = network.cells(grouped=True)
    keep, layer_width = _layer_columns(cells, width)
    head = header(
        "layers",
        f"input {dims_text(network.input)}",
        f"{len(network.rows)} layers → output {dims_text(network.output)}",
        width=width,
    )
    table = Table(box=box.SIMPLE_HEAD, header_style="bold", pad_edge=False, show_edge=False)
    for i in keep:
        if i == 1:
            table.add_column(HEADERS[i], width=layer_width, overflow="fold")
        else:
            table.add_column(HEADERS[i], justify="left" if i == 2 else "right", no_wrap=True)
    for row, line in zip(network.rows, cells, strict=True):
        if row.branch is None:
            table.add_row(*(Text(line[i]) for i in keep))
        else:  # a branch's rows, marked also without colour
            table.add_row(*(Text(("↳ " if i == 1 else "") + line[i]) for i in keep), style="dim")
    dropped = [HEADERS[i] for i in range(len(HEADERS)) if i not in keep and i != 0]
    shown: RenderableType = table
    if not fits(table, width, squeezed=False):  # too narrow even for the fewest columns
        keep = [i for i in range(len(HEADERS)) if i != 0]
        dropped = []
        shown = plain_rows(
            ["#", *(line[0] for line in cells)],
            [
                [Text(HEADERS[i], style="bold") for i in keep],
                *([Text(line[i]) for i in keep] for line in cells),
            ],
            width,
        )
    totals = Text.assemble(
        ("total ", "dim"),
        (f"{network.params:,}", "bold green"),
        " params · ",
        (f"{network.macs:,}", "bold green"),
        " MACs · ",
        (f"{network.flops:,}", "bold green"),
        " FLOPs",
    )
    parts: list[RenderableType] = [head, shown, totals]
    if dropped:
        parts.append(
            Text(
                f"({', '.join(dropped)} left out to fit {width} columns; -f plain has them all)", style="dim"
            )
        )
    if network.notes:
        parts += [Text(""), bullets(list(network.notes))]
    rules = bullets(list(RULES))
    return Group(*parts, Text(""), Styled(rules, "dim"))


def layer_at_view(explanation: Explanation, *, width: int = 80) -> RenderableType:
    """layers --at K: one layer's numbers with the formulas filled in."""
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="dim", no_wrap=True)
    grid.add_column()
    for label, text in explanation.lines:
        grid.add_row(label, Text(text))
    shown: RenderableType = grid
    if not fits(grid, width):
        shown = plain_rows(
            [label for label, _ in explanation.lines], [[Text(t)] for _, t in explanation.lines], width
        )
    return Group(Text(explanation.title, style="bold magenta"), shown)


# ---------------------------------------------------------------------------------------------
# pooling


def pool_view(result: PoolResult, *, width: int = 80) -> RenderableType:
    """pool: the output, its size formula per axis; with a gradient, G, grad-input and the rules."""
    g = result.geometry
    gradient = result.grad_input is not None
    head = header(
        result.name,
        pool_options_text(result.geometry, len(result.a_shape) == 1, result.options.kind),
        f"A {shape_text(result.a_shape)} → {shape_text(result.output.shape)} · {result.kind.label}",
        width=width,
    )
    main = "bold green"
    parts: list[RenderableType] = [head, Text("")]
    if gradient:
        parts.append(Text("output", style="dim"))
    parts.append(matrix_grid(result.output, width=width, style=main if not gradient else "bold"))
    axes = ["columns"] if len(result.a_shape) == 1 else ["rows", "columns"]
    sizes = Table.grid(padding=(0, 1))
    sizes.add_column(no_wrap=True)
    sizes.add_column()
    for axis, formula in zip(axes, g.formulas[-len(axes) :], strict=True):
        sizes.add_row(f"{axis}:", Text(formula))
    parts.append(Styled(sizes, "dim"))
    if gradient and result.grad_input is not None and result.upstream is not None:
        given = "upstream G" if result.upstream_given else "G: all ones (no --upstream)"
        assert result.grad_kind is not None
        parts += [
            Text(""),
            Text(given, style="dim"),
            matrix_grid(result.upstream, width=width, style=""),
            Text(""),
            Text(f"grad-input (the gradient with respect to A) · {result.grad_kind.label}", style="dim"),
            matrix_grid(result.grad_input, width=width, style=main),
        ]
    parts += [Text(""), bullets(rules(result.options.kind, g.count_pad, gradient))]
    if result.notes:
        parts.append(bullets(list(result.notes)))
    return Group(*parts)
