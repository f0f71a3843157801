"""Rich renderables for the explanations: steps (each output cell derived, its window drawn on
A), im2col and conv-transpose's scatter-add. Every function returns; nothing here prints. The
grids they are drawn with are render_grid.py's, the headers and wrapped text render_prose.py's;
check's view is render_check.py's, --play's frames render_frames.py's, pooling's steps
render_pool.py's and a gradient's render_grad.py's.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from .explanations import Im2col, Step, Steps, TransposeSteps
from .model import Op
from .render_grid import (
    CHANNELS,
    ELLIPSIS,
    FILTERS_AND_CHANNELS,
    aligned_column,
    axis_picks,
    fits,
    grid_fits,
    matrix_grid,
    one_after_another,
    plain_rows,
    result_lead,
    taps_drawn,
)
from .render_prose import header, wrapped_terms
from .steps import cap_note, cell_label, definition, factor_text, step_lines
from .text import SCATTER_RULE, display_number, shape_text, shapes_line, values_text
from .text import options_text as _options_text

__all__ = [
    "steps_view",
    "im2col_view",
    "scatter_view",
    "ASSEMBLED_CELLS",
]


# ---------------------------------------------------------------------------------------------
# steps and im2col


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
    return taps_drawn(spatial, pmask, taps, _pad_before(steps), width, "A")


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
ASSEMBLED_CELLS = 10_000


def _assembled(steps: Steps, width: int) -> list[RenderableType]:
    """The output the steps make, put together: every cell, or (when only some were derived)
    those cells with · for the rest."""
    if steps.op is Op.ELEMENTWISE_SUM or not steps.out_shape or not steps.steps or steps.chosen:
        return []  # one number, or the one cell asked for (--at), already shown
    total = math.prod(steps.out_shape)
    if total > ASSEMBLED_CELLS:
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
# conv-transpose's scatter-add


def scatter_view(view: TransposeSteps, *, width: int = 80) -> RenderableType:
    """Each input cell's scaled kernel placed at its stride offset; then the zero-stuffed view."""
    parts: list[RenderableType] = [
        header(
            "steps · conv-transpose",
            f"stride {values_text(view.stride)} · padding {values_text(view.padding)}",
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
