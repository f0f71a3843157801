"""Rich renderables for people: an operation's result, compare (and compare --conventions),
conv-transpose's result and the named kernels. Every function returns; nothing here prints.

The grids these are drawn with are render_grid.py's, their headers and wrapped text
render_prose.py's; the explanations' views are render_steps.py's, check's render_check.py's,
--play's frames render_frames.py's, the network arithmetic's render_layers.py's, pooling's
render_pool.py's and grad's render_grad.py's.
"""

from __future__ import annotations

from rich import box
from rich.console import Group, RenderableType
from rich.measure import Measurement
from rich.padding import Padding
from rich.table import Table
from rich.text import Text

from .explanations import ConventionComparison, ConventionRow
from .kernels import KernelInfo
from .model import SLIDING, Comparison, Op, Result, TransposeResult, Undefined
from .render_grid import MEASURE, fits, matrix_grid, one_after_another, result_lead
from .render_prose import bullets, header, shell_lines, wrap_prose
from .text import display_number, shape_text, shapes_line, transpose_options_text
from .text import options_text as _options_text

__all__ = [
    "result_view",
    "comparison_view",
    "answer_lines",
    "conventions_view",
    "transpose_view",
    "kernels_view",
]


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


_NARROWEST = 20  # columns a result is given at least before a table gives way to a list


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
    for op in SLIDING:
        table.add_column(op.value, vertical="top")
    for i, row in enumerate(cmp.rows):
        table.add_row(
            row.convention.value,
            *(cell(row, op, width) for op in SLIDING),
            end_section=i < len(cmp.rows) - 1,
        )
    shown: RenderableType = table
    if Measurement.get(MEASURE, MEASURE.options, table).maximum > width:
        table = Table(box=box.SIMPLE_HEAD, header_style="bold", pad_edge=False)
        table.add_column("convention", style="bold", no_wrap=True, vertical="top")
        table.add_column("operation", no_wrap=True, vertical="top")
        table.add_column("result (same mode)")
        for i, row in enumerate(cmp.rows):
            for op in SLIDING:
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
                [(f"{row.convention} · {op}", cell(row, op, width)) for row in cmp.rows for op in SLIDING]
            )
            shown = Group(listed, Text(""))
    return Group(head, shown, bullets([row.rule for row in cmp.rows]))


# ---------------------------------------------------------------------------------------------
# conv-transpose's result and the named kernels


def transpose_view(result: TransposeResult, *, width: int = 80) -> RenderableType:
    head = header(
        result.name,
        transpose_options_text(result.options),
        shapes_line(result.a_shape, result.b_shape, f" → {shape_text(result.shape)} · {result.kind.label}"),
        width=width,
    )
    return Group(head, Text(""), matrix_grid(result.value, width=width, style="bold green"))


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
