"""Rich renderables for the explanations: steps and im2col, check, conv-transpose's scatter-add,
the frames of --play, pooling's steps and check, and a layer's gradients. Every function returns;
nothing here prints. The grids and the narrow-terminal fallbacks they are drawn with are
render_grid.py's, the headers and wrapped text render_prose.py's.
"""

from __future__ import annotations

import io
import math
from collections.abc import Callable
from typing import Any

import numpy as np
from rich.console import Console, Group, RenderableType
from rich.measure import Measurement
from rich.table import Table
from rich.text import Text

from .explanations import (
    CheckReport,
    Im2col,
    PoolCheckReport,
    Step,
    Steps,
    TransposeSteps,
)
from .frames import OUTPUT, Frame, Mark, Scene
from .gradcheck import GradCheckReport
from .gradsteps import GradStep, GradSteps, grad_definition, grad_step_lines, grad_title
from .model import Op
from .render_grid import (
    CHANNELS,
    ELLIPSIS,
    FILTERS_AND_CHANNELS,
    MEASURE,
    aligned_column,
    axis_picks,
    fits,
    grid_fits,
    matrix_grid,
    one_after_another,
    plain_rows,
    result_lead,
)
from .render_prose import bullets, header, shapes_line, wrapped_terms
from .steps import (
    cap_note,
    cell_label,
    definition,
    factor_text,
    step_lines,
)
from .text import (
    SCATTER_RULE,
    display_number,
    shape_text,
)
from .text import options_text as _options_text

__all__ = [
    "steps_view",
    "im2col_view",
    "check_view",
    "verdict_parts",
    "scatter_view",
    "play_frame",
    "grad_steps_view",
    "grad_check_view",
    "marked_grid",
    "marked_cells",
    "MARGIN",
]


# ---------------------------------------------------------------------------------------------
# steps and im2col


MARGIN = 2  # cells of context drawn around a window


def _window_grid(steps: Steps, step: Step, width: int = 80) -> RenderableType:
    """The padded input around one window: window cells in [brackets] (and reversed), padding
    cells dim and marked ·, so the picture reads the same without colour."""
    padded, mask = steps.padded, steps.pad_mask
    assert padded is not None and mask is not None
    # with --channels: the window's first channel stands for all
    spatial = padded[step.first_channel] if padded.ndim == 3 else padded
    pmask = mask[step.first_channel] if mask.ndim == 3 else mask
    if spatial.ndim == 1:
        spatial, pmask = spatial.reshape(1, -1), pmask.reshape(1, -1)
    origin = step.origin[-2:] if len(step.origin) >= 2 else (0, *step.origin)
    k_shape = step.kernel.shape[-2:] if step.kernel.ndim >= 2 else (1, step.kernel.shape[-1])
    dil = steps.dilation[-2:] if len(steps.dilation) >= 2 else (1, *steps.dilation)
    taps = {
        (origin[0] + u * dil[0], origin[1] + v * dil[1]) for u in range(k_shape[0]) for v in range(k_shape[1])
    }
    return _taps_drawn(spatial, pmask, taps, _pad_before(steps), width, "A")


def _taps_drawn(
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


def _window_channel_note(steps: Steps, step: Step) -> str:
    if steps.options is not None and steps.options.groups > 1:
        return (
            f"the window on channel {step.first_channel}, the first of its group (each of the group's "
            "channels is read at the same place)"
        )
    return "the window on channel 0 (every channel is read at the same place)"


def _pad_before(steps: Steps) -> tuple[int, int]:
    """How many padding rows and columns precede A (row and column labels start below 0)."""
    befores = [before for before, _ in steps.pads]
    return (0, befores[0]) if len(befores) == 1 else (befores[-2], befores[-1]) if befores else (0, 0)


def steps_view(steps: Steps, *, width: int = 80) -> RenderableType:
    """Each cell's derivation: the window drawn on A, then the products and the sum."""
    options = steps.options
    title = f"steps · {steps.op}"
    out_shape = shape_text(steps.out_shape) if steps.out_shape else "scalar"
    parts: list[RenderableType] = [
        header(
            title,
            _options_text(options, steps.op),
            shapes_line(steps.a_shape, steps.b_shape, f" → {out_shape}"),
            width=width,
        ),
        Text(definition(steps.op, bool(options and options.channels), steps), style="italic"),
        Text(""),
    ]
    channels = bool(options and options.channels)
    lead = _kernel_lead(steps.kernel, channels)
    if steps.turned is not None and steps.kernel is not None:
        pair: RenderableType = Table.grid(padding=(0, 4))
        assert isinstance(pair, Table)
        pair.add_row(Text("B", style="dim"), Text("B turned 180° (as applied)", style="dim"))
        pair.add_row(
            matrix_grid(steps.kernel, width=width // 2, lead=lead),
            matrix_grid(steps.turned, width=width // 2, lead=lead),
        )
        half = width // 2
        if not (grid_fits(steps.kernel, half) and grid_fits(steps.turned, half) and fits(pair, width, False)):
            pair = one_after_another(
                [
                    ("B", matrix_grid(steps.kernel, width=width, lead=lead)),
                    ("B turned 180° (as applied)", matrix_grid(steps.turned, width=width, lead=lead)),
                ]
            )
        parts += [
            pair,
            Text(
                "convolve turns the kernel 180° before sliding it over A; correlate slides it as it is.",
                style="dim",
            ),
            Text(""),
        ]
    elif steps.kernel is not None and steps.op is Op.CORRELATE:
        parts += [
            Text("B, slid over A as it is (convolve would turn it 180° first)", style="dim"),
            matrix_grid(steps.kernel, width=width, lead=lead),
            Text(""),
        ]
    for step in steps.steps:
        lines = step_lines(steps, step)
        name, _, rest = lines[0].rstrip(":").partition(": ")
        parts.append(Text.assemble((name, "bold magenta"), " = ", (display_number(step.value), "bold green")))
        if steps.padded is not None:
            if steps.padded.ndim == 3:
                parts.append(Text(_window_channel_note(steps, step), style="dim"))
            parts.append(_window_grid(steps, step, width))
        elif steps.op is Op.ELEMENTWISE_SUM:
            parts.append(Text("the products A*B, entry by entry", style="dim"))
            parts.append(matrix_grid(step.products, width=width, style=""))
        if rest:
            parts.append(wrapped_terms(rest, width))
        parts += [wrapped_terms(line, width) for line in lines[1:]]
        parts.append(Text(""))
    if steps.capped:
        parts += [Text(cap_note(steps), style="yellow"), Text("")]
    return Group(*parts, *_assembled(steps, width))


def _kernel_lead(kernel: np.ndarray | None, channels: bool) -> tuple[str, ...]:
    """The names of a kernel's leading axes with --channels: B's filters and channels."""
    if not channels or kernel is None:
        return ()
    return FILTERS_AND_CHANNELS if kernel.ndim == 4 else CHANNELS


# the output of steps is drawn assembled only up to this many cells (the rest of a larger one is
# never computed: steps derives the cells it shows)
_ASSEMBLED_CELLS = 10_000


def _assembled(steps: Steps, width: int) -> list[RenderableType]:
    """The output the steps make, put together: every cell, or (when only some were derived)
    those cells with · for the rest."""
    if steps.op is Op.ELEMENTWISE_SUM or not steps.out_shape or not steps.steps or steps.chosen:
        return []  # one number, or the one cell asked for (--at), already shown
    total = math.prod(steps.out_shape)
    if total > _ASSEMBLED_CELLS:
        return []
    out = np.full(steps.out_shape, "·", dtype=object)
    for step in steps.steps:
        out[step.cell] = step.value
    shown = len(steps.steps)
    title = "C, assembled from the steps"
    if shown < total:
        title = f"C with the {shown} of its {total} cells derived above (· for the others)"
    grid = matrix_grid(out, width=width, style="bold green", lead=result_lead(steps.options, out))
    return [Text(title, style="dim"), grid]


def _im2col_blocks(view: Im2col) -> str:
    if view.groups == 1:
        return ""
    return (
        f"s, one block per group ({view.groups}): a filter has zeros on the rows of the other "
        "groups' channels"
    )


def _labelled_table(
    values: np.ndarray,
    corner: str,
    row_label: Callable[[int], str],
    col_label: Callable[[int], str],
    width: int,
    style: str = "",
) -> RenderableType:
    """A 2-D array with a label on every row and column, summarised as numpy prints it when
    large: the first and last rows, and as many columns from each end as ``width`` holds."""
    n_rows, n_cols = values.shape
    cell_w = max(len(col_label(n_cols - 1)), *(len(display_number(v)) for v in values.flat[:200])) + 2
    label_w = max(len(corner), *(len(row_label(r)) for r in (0, n_rows - 1)))
    fit = max((width - label_w - 2) // cell_w, 3)
    cols = list(range(n_cols)) if n_cols <= fit else axis_picks(n_cols, max((fit - 1) // 2, 1))
    rows = axis_picks(n_rows, 6) if n_rows > 13 else list(range(n_rows))
    table = Table(box=None, show_header=True, header_style="dim", padding=(0, 0, 0, 2), pad_edge=False)
    table.add_column(corner, style="dim", justify="right", no_wrap=True)
    by_column = []
    for c in cols:
        texts = [ELLIPSIS if r is None or c is None else display_number(values[r, c]) for r in rows]
        head = ELLIPSIS if c is None else col_label(c)
        cells = aligned_column(texts, len(head), style)
        table.add_column(head.rjust(cells[0].cell_len), justify="left", no_wrap=True)
        by_column.append(cells)
    labels = [ELLIPSIS if r is None else row_label(r) for r in rows]
    body = [[cells[n] for cells in by_column] for n in range(len(rows))]
    for label, cells in zip(labels, body, strict=True):
        table.add_row(label, *cells)
    if fits(table, width):
        return table
    columns = [Text(ELLIPSIS if c is None else col_label(c), style="dim") for c in cols]
    return plain_rows([corner, *labels], [columns, *body], width)


def im2col_view(view: Im2col, *, width: int = 80) -> RenderableType:
    """The patch matrix with its rows labelled by the entry of B they meet and its columns by the
    output cell they make; the kernel row, indexed the same way; the product, reshaped."""
    check = (
        Text(f"✓ equals {view.op} computed directly", style="bold green")
        if view.equal
        else Text(f"✗ differs from {view.op} computed directly", style="bold red")
    )
    turned = view.op is Op.CONVOLVE
    out_shape = "scalar" if view.product.ndim == 0 else shape_text(tuple(view.product.shape))
    kind = f" · {view.kind.label}" if view.kind is not None else ""
    filters = view.kernel_rows.shape[0]
    patches = _labelled_table(view.patches, "", view.tap_name, lambda c: cell_label(view.labels[c]), width)
    kernel_row = _labelled_table(
        view.kernel_rows,
        "",
        lambda r: f"filter {r}" if filters > 1 else "",
        view.tap_name,
        width,
    )
    return Group(
        header(
            f"im2col · {view.op}",
            _options_text(view.options, view.op),
            shapes_line(view.a_shape, view.b_shape, f" → {out_shape}{kind}"),
            width=width,
        ),
        Text("one large matrix multiply: kernel row @ patches", style="italic"),
        Text(""),
        Text(
            "patches: one column per window of A (the output cell it makes), one row per entry of B"
            + (f" (B turned 180°: {view.tap_name(0)} meets each window's first cell)" if turned else ""),
            style="dim",
        ),
        patches,
        Text(""),
        Text(
            "kernel row"
            + (" (B turned 180°)" if turned else "")
            + (_im2col_blocks(view) or ": each entry of B once"),
            style="dim",
        ),
        kernel_row,
        Text(""),
        Text("kernel row @ patches, reshaped to the output", style="dim"),
        matrix_grid(
            view.product, width=width, style="bold green", lead=result_lead(view.options, view.product)
        ),
        check,
    )


# ---------------------------------------------------------------------------------------------
# check


def _as_cells(cells: list[tuple[int, ...]]) -> set[tuple[int, int]]:
    return {(0, c[0]) if len(c) == 1 else (c[-2], c[-1]) for c in cells if c}


def check_view(report: CheckReport, derivations: list[Steps], *, width: int = 80) -> RenderableType:
    """check: the verdict, the answer beside the right result with wrong cells bracketed, the
    diagnosis, and the derivation of the first wrong cells."""
    expected = report.expected
    head = header(
        f"check · {expected.op}",
        _options_text(expected.options, expected.op),
        shapes_line(expected.a_shape, expected.b_shape, f" · {expected.kind.label}"),
        width=width,
    )
    derived = [(step_lines(d, s), s.value) for d in derivations for s in d.steps]
    return Group(
        head, Text(""), *verdict_parts(report, str(expected.op), f"{expected.op} of A and B", derived, width)
    )


def verdict_parts(
    report: CheckReport | PoolCheckReport | GradCheckReport,
    name: str,
    equals: str,
    derived: list[tuple[list[str], Any]],
    width: int,
) -> list[RenderableType]:
    """A check's verdict: right (it equals ``equals``), or the answer beside the right result
    (``name``) with the wrong cells bracketed, the diagnosis, and the wrong cells ``derived``
    (each its plain lines and its value)."""
    if report.match:
        return [Text(f"✓ right: your answer equals {equals}", style="bold green")]
    parts: list[RenderableType] = [Text("✗ wrong", style="bold red")]
    marks = _as_cells(report.wrong)
    right = report.expected.value

    # with --channels, one block per filter, named so
    options = report.expected.options if isinstance(report, CheckReport) else None

    def answer(w: int) -> RenderableType:
        # only the wrong cells are red: a right cell drawn red would say it is wrong too
        return matrix_grid(
            report.answer,
            width=w,
            style="",
            highlight=marks or None,
            highlight_style="bold red",
            lead=result_lead(options, report.answer),
        )

    def right_grid(w: int) -> RenderableType:
        return matrix_grid(right, width=w, style="bold green", lead=result_lead(options, right))

    pair: RenderableType = Table.grid(padding=(0, 4))
    assert isinstance(pair, Table)
    pair.add_row(Text("your answer", style="dim"), Text(f"right ({name})", style="dim"))
    pair.add_row(answer(width // 2 - 2), right_grid(width // 2 - 2))
    half = width // 2 - 2
    if not (
        grid_fits(report.answer, half, bool(marks)) and grid_fits(right, half) and fits(pair, width, False)
    ):
        pair = one_after_another(
            [
                ("your answer", answer(width)),
                (f"right ({name})", right_grid(width)),
            ]
        )
    parts += [pair, Text("")]
    if report.shape_mismatch:
        parts.append(Text(report.shape_mismatch, style="yellow"))
    if report.diagnosis is not None:
        parts.append(Text.assemble(("diagnosis: ", "bold"), report.diagnosis.text))
    elif report.worst:
        parts.append(Text.assemble(("off by: ", "bold"), report.worst))
    if len(report.wrong) > len(derived) > 0:
        parts.append(
            Text(
                f"the first {len(derived)} of {len(report.wrong)} wrong cells, derived "
                "(convcli steps --at I,J derives any other):",
                style="dim",
            )
        )
    for lines, value in derived:
        head, _, rest = lines[0].partition(": ")
        parts.append(Text(""))
        parts.append(Text.assemble((f"{head} should be ", "bold"), (display_number(value), "bold green")))
        if rest:
            parts.append(wrapped_terms(rest, width))
        parts += [wrapped_terms(line, width) for line in lines[1:]]
    return parts


# ---------------------------------------------------------------------------------------------
# conv-transpose's scatter-add


def scatter_view(view: TransposeSteps, *, width: int = 80) -> RenderableType:
    """Each input cell's scaled kernel placed at its stride offset; then the zero-stuffed view."""
    parts: list[RenderableType] = [
        header(
            "steps · conv-transpose",
            f"stride {','.join(map(str, view.stride))} · padding {','.join(map(str, view.padding))}",
            shapes_line(view.a_shape, view.b_shape, f" → {shape_text(tuple(view.result.shape))}"),
            width=width,
        ),
        Text(SCATTER_RULE, style="italic"),
        Text(""),
    ]
    for step in view.steps:
        where = ", ".join(map(str, step.cell))
        at = ", ".join(map(str, step.origin))
        parts.append(
            Text.assemble(
                (f"A[{where}] = {display_number(step.value)}", "bold magenta"),
                f"  adds {factor_text(step.value)}·B at ({at})",
            )
        )
        contribution = step.contribution
        origin = step.origin[-2:] if contribution.ndim >= 2 else (0, step.origin[-1])
        rows = contribution.shape[-2] if contribution.ndim >= 2 else 1
        cols = contribution.shape[-1]
        marks = {(origin[0] + r, origin[1] + c) for r in range(rows) for c in range(cols)}
        if contribution.ndim == 3:
            # with channels: the scaled kernel of every output channel, each on its own canvas
            canvas = np.zeros(view.uncropped.shape, dtype=object)
            canvas[...] = 0
            canvas[:, origin[0] : origin[0] + rows, origin[1] : origin[1] + cols] = contribution
            for channel, plane in enumerate(canvas):
                parts.append(Text(f"[{channel}]", style="dim"))
                parts.append(matrix_grid(plane, width=width, style="", highlight=marks))
        else:
            canvas = np.zeros(
                view.uncropped.shape[-2:] if view.uncropped.ndim >= 2 else (1, view.uncropped.shape[-1]),
                dtype=object,
            )
            canvas[...] = 0
            block = contribution if contribution.ndim == 2 else contribution.reshape(1, -1)
            canvas[origin[0] : origin[0] + rows, origin[1] : origin[1] + cols] = block
            parts.append(matrix_grid(canvas, width=width, style="", highlight=marks))
        parts.append(Text(""))
    if view.capped:
        parts.append(Text(f"showing {len(view.steps)} of {view.total_cells} input cells", style="yellow"))
    crop = " and ".join(f"{b} before, {a} after" for b, a in view.crop)
    pads = " and ".join(f"{b} before, {a} after" for b, a in view.pads)
    parts += [
        Text(f"summed, before cropping ({crop} on each axis)", style="dim"),
        matrix_grid(view.uncropped, width=width, style=""),
        Text(""),
        Text("the same as a convolution: A with (stride - 1) zeros between its entries ...", style="dim"),
        matrix_grid(view.stuffed, width=width, style=""),
        Text(
            f"... padded by {pads} (a negative amount crops) and correlated with B turned 180°", style="dim"
        ),
        matrix_grid(view.turned, width=width, style=""),
        Text(""),
        Text("result", style="dim"),
        matrix_grid(view.result, width=width, style="bold green"),
    ]
    return Group(*parts)


# ---------------------------------------------------------------------------------------------
# frames of an animation (steps --play)


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
    focus = [m for m in frame.marks if m.board == OUTPUT]
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


# ---------------------------------------------------------------------------------------------
# gradients of a layer, cell by cell


def _grad_window(view: GradSteps, step: GradStep, width: int) -> Text:
    """dW: the padded X (the channel read) with the cells this tap meets in [brackets]: every
    stride-th cell from the tap's offset, one per cell of G."""
    padded, mask = view.padded, view.pad_mask
    assert padded is not None and mask is not None
    spatial = len(view.pads)
    if step.channel is not None:
        padded, mask = padded[step.channel], mask[step.channel]
    if spatial == 1:
        padded, mask = padded.reshape(1, -1), mask.reshape(1, -1)
    elif spatial == 3:  # a 3-D layer without channels: the first layer the tap reads stands for all
        layer = step.tap[0] * view.dilation[0]
        padded, mask = padded[layer], mask[layer]
    tap = step.tap[-2:] if spatial > 1 else (0, *step.tap)
    stride = view.stride[-2:] if spatial > 1 else (1, *view.stride)
    dilation = view.dilation[-2:] if spatial > 1 else (1, *view.dilation)
    out = view.windows.layout.out_shape[-2:] if spatial > 1 else (1, *view.windows.layout.out_shape)
    first = (tap[0] * dilation[0], tap[1] * dilation[1])
    taps = {
        (first[0] + stride[0] * i, first[1] + stride[1] * j) for i in range(out[0]) for j in range(out[1])
    }
    before = [b for b, _ in view.pads[-2:]] if spatial > 1 else [0, view.pads[0][0]]
    return _taps_drawn(padded, mask, taps, before, width, "X")


def _grad_sources(view: GradSteps, step: GradStep) -> Text:
    """dX: G of the first filter that takes part, the cells whose scatter reaches this cell of X
    in [brackets]."""
    layout = view.windows.layout
    g = view.result.upstream.reshape(
        (layout.filters, *layout.out_shape) if layout.options.channels else layout.out_shape
    )
    o = step.filters.start if step.filters is not None else 0
    first = g[o] if layout.options.channels else g
    first = first.reshape(-1, first.shape[-1]) if first.ndim != 2 else first
    marked: set[tuple[int, int]] = set()
    for t in step.terms:
        if not layout.options.channels or layout.filters == 1 or t.g_cell[0] == o:
            marked.add((t.g_cell[-2], t.g_cell[-1]) if len(t.g_cell) >= 2 else (0, t.g_cell[0]))
    return marked_cells(first, marked)


def grad_steps_view(view: GradSteps, *, width: int = 80) -> RenderableType:
    """steps --op grad-input|grad-weight|grad-bias: each cell of the gradient with the cells that
    make it marked (the window of X for dW, the cells of G for dX), the products and the sum."""
    result = view.result
    name = view.of.symbol
    out_shape = shape_text(view.shape) if view.shape else "scalar"
    shapes = (
        f"X {shape_text(result.x_shape)} · W {shape_text(result.w_shape)} · G "
        f"{shape_text(tuple(result.upstream.shape))} → {name} {out_shape}"
    )
    parts: list[RenderableType] = [
        header(
            f"steps · {grad_title(view.of)}", _options_text(result.options, result.op), shapes, width=width
        ),
        Text(grad_definition(view), style="italic"),
        Text(""),
    ]
    channels = result.options.channels
    for step in view.steps:
        lines = grad_step_lines(view, step)
        cell_name, _, rest = lines[0].partition(": ")
        parts.append(
            Text.assemble((cell_name, "bold magenta"), " = ", (display_number(step.value), "bold green"))
        )
        if view.of.value == "weight" and step.terms:
            where = f"channel {step.channel} of X" if channels else "X"
            parts += [Text(f"the cells of {where} this tap meets, one per cell of G", style="dim")]
            parts.append(_grad_window(view, step, width))
        elif view.of.value == "input" and step.terms:
            which = f" (filter {step.filters.start})" if channels and step.filters is not None else ""
            parts += [
                Text(f"the cells of G{which} whose windows read it", style="dim"),
                _grad_sources(view, step),
            ]
        parts.append(wrapped_terms(rest, width))
        parts += [wrapped_terms(line, width) for line in lines[1:]]
        parts.append(Text(""))
    if view.capped:
        parts += [Text(view.cap_note(), style="yellow"), Text("")]
    total = math.prod(view.shape)
    if view.steps and not view.chosen and total <= _ASSEMBLED_CELLS:
        out = np.full(view.shape, "·", dtype=object)
        for step in view.steps:
            out[step.cell] = step.value
        title = f"{name}, assembled from the steps"
        if len(view.steps) < total:
            title = f"{name} with the {len(view.steps)} of its {total} cells derived above (· for the others)"
        parts += [
            Text(title, style="dim"),
            matrix_grid(out if out.ndim else out.reshape(1), width=width, style="bold green"),
        ]
    if result.notes:
        parts.append(bullets(list(result.notes)))
    return Group(*parts)


def grad_check_view(
    report: GradCheckReport, derivation: GradSteps | None, *, width: int = 80
) -> RenderableType:
    """check --op grad-input|grad-weight|grad-bias: the verdict, and the first wrong cells derived."""
    result, of = report.expected.result, report.expected.of
    name = grad_title(of)
    head = header(
        f"check · {name}",
        _options_text(result.options, result.op),
        f"X {shape_text(result.x_shape)} · W {shape_text(result.w_shape)} → {name} "
        f"{shape_text(report.expected.value.shape) or 'scalar'} · {result.kind.label}",
        width=width,
    )
    derived = (
        [] if derivation is None else [(grad_step_lines(derivation, s), s.value) for s in derivation.steps]
    )
    what = f"the gradient of {result.op.value}(X, W) with respect to {of.value}"
    parts = [head, Text(""), *verdict_parts(report, name, what, derived, width)]
    notes = list(result.notes)
    if notes:
        parts.append(bullets(notes))
    return Group(*parts)
