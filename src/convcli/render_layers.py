"""The network arithmetic's views for people (rich): layers (one row per layer, the totals and the
counting rules), layers --at K (one layer's formulas) and shape (one layer's sizes and each
library's 'same' padding). Every function returns; nothing here prints."""

from __future__ import annotations

from rich import box
from rich.console import Group, RenderableType
from rich.styled import Styled
from rich.table import Table
from rich.text import Text

from .layers import HEADERS, RULES, Explanation, Network
from .model import SLIDING, Convention
from .render_grid import fits, plain_rows
from .render_prose import bullets, header, wrap_prose
from .shapes import ShapeReport
from .text import dims_text

__all__ = [
    "layers_view",
    "layer_at_view",
    "shape_view",
]


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
            for op in SLIDING:
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
        for op in SLIDING:
            pads = [axis.same_pads[(convention, op)] for axis in report.axes]
            labels.append(f"{convention} {op}")
            if any(isinstance(p, str) for p in pads):
                rows.append([Text("refused with a stride", style="yellow")])
            else:
                rows.append([Text(f"({p[0]},\u00a0{p[1]})") for p in pads])
    return labels, rows


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
