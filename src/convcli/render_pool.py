"""Rich renderables for pooling: pool's result, steps --op max-pool|avg-pool and check of a
pooling. Every function returns; nothing here prints. Grids are render_grid.py's, headers
render_prose.py's, the verdict's parts render_check.py's."""

from __future__ import annotations

from typing import Any

from rich.console import Group, RenderableType
from rich.styled import Styled
from rich.table import Table
from rich.text import Text

from .explanations import PoolCheckReport, PoolGradStep, PoolStep, PoolSteps
from .pool import PoolResult, rules
from .render_check import verdict_parts
from .render_grid import MARGIN, marked_cells, marked_grid, matrix_grid
from .render_prose import bullets, header, wrapped_terms
from .steps_pool import pool_definition, pool_grad_lines, pool_step_lines
from .text import display_number, pool_options_text, shape_text

__all__ = ["pool_view", "pool_steps_view", "pool_check_view"]


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


def _pool_window(steps: PoolSteps, step: PoolStep) -> Text:
    """One window drawn on A (its channel): the taps read in [brackets], padding cells dim and
    marked · (-inf for max, 0 for avg when counted), the maximum marked *."""
    g = steps.result.geometry
    assert steps.batch is not None
    a = steps.batch[steps.channel(step.cell)]
    (h, w), (ph, pw) = g.in_shape, g.padding
    is_max = step.best is not None
    rows = [r for r, _ in step.taps]
    cols = [c for _, c in step.taps]
    row_range = range(max(min(rows) - MARGIN, -ph), min(max(rows) + MARGIN, max(h + ph - 1, max(rows))) + 1)
    col_range = range(max(min(cols) - MARGIN, -pw), min(max(cols) + MARGIN, max(w + pw - 1, max(cols))) + 1)
    read = {tap: t for t, tap in enumerate(step.taps) if step.window[t] is not None}

    def cell(r: int, c: int) -> tuple[str, str]:
        inside = 0 <= r < h and 0 <= c < w
        if inside:
            text = display_number(a[r, c])
        elif r < h + ph and c < w + pw:
            text = "-inf" if is_max else ("0" if g.count_pad else "")
        else:
            text = ""  # past the padded edge: read by no window
        t = read.get((r, c))
        if t is not None and t == step.best:
            text += "*"
        return text, ("mark" if t is not None else "") + ("" if inside else "pad")

    out = marked_grid(row_range, col_range, cell, str, str)
    if row_range.start > -ph or col_range.start > -pw or row_range.stop < h + ph or col_range.stop < w + pw:
        out.append("\n(A continues beyond the rows and columns drawn)", style="dim")
    return out


def _pool_sources(steps: PoolSteps, step: PoolGradStep) -> Text:
    """G (its channel), the cells whose gradient reaches this cell of A in [brackets]."""
    result = steps.result
    assert result.upstream is not None
    upstream = result.upstream.reshape(-1, *result.geometry.out_shape)[
        steps.channel(step.cell, of_input=True)
    ]
    marked = {(s.cell[-2], s.cell[-1]) if len(s.cell) > 1 else (0, s.cell[0]) for s in step.sources}
    return marked_cells(upstream, marked)


def pool_steps_view(steps: PoolSteps, *, width: int = 80) -> RenderableType:
    """steps --op max-pool|avg-pool: each window drawn on A with its maximum or its sum / count;
    for the gradient, each cell of A with the cells of G that reach it."""
    result = steps.result
    one_row = len(result.a_shape) == 1
    what = "grad-input" if steps.gradient else "output"
    parts: list[RenderableType] = [
        header(
            f"steps · {result.name}",
            pool_options_text(result.geometry, one_row, result.options.kind),
            f"A {shape_text(result.a_shape)} → {what} {shape_text(result.shape)}",
            width=width,
        ),
        Text(pool_definition(steps), style="italic"),
        Text(""),
    ]
    for grad in steps.grad_steps:
        name, _, rest = pool_grad_lines(steps, grad)[0].partition(": ")
        parts.append(Text.assemble((name, "bold magenta"), " = ", (display_number(grad.value), "bold green")))
        if grad.sources:
            parts += [Text("from G at", style="dim"), _pool_sources(steps, grad)]
        parts += [wrapped_terms(rest, width), Text("")]
    for step in steps.steps:
        name, _, rest = pool_step_lines(steps, step)[0].partition(": ")
        parts.append(Text.assemble((name, "bold magenta"), " = ", (display_number(step.value), "bold green")))
        parts += [_pool_window(steps, step), wrapped_terms(rest, width), Text("")]
    if steps.capped:
        parts.append(Text(steps.cap_note(), style="yellow"))
    notes = [n for n in result.notes if steps.gradient or not n.startswith("no --upstream")]
    if notes:
        parts.append(bullets(notes))
    return Group(*parts)


def pool_check_view(
    report: PoolCheckReport, derivation: PoolSteps | None, *, width: int = 80
) -> RenderableType:
    """check --op max-pool|avg-pool: the verdict, and the first wrong windows (or cells of the
    gradient) derived."""
    result = report.expected
    gradient = result.of.value == "grad-input"
    what = f"the gradient of {result.name} with respect to A" if gradient else f"{result.name} of A"
    head = header(
        f"check · {result.name}" + (" · grad-input" if gradient else ""),
        pool_options_text(result.geometry, len(result.a_shape) == 1, result.options.kind),
        f"A {shape_text(result.a_shape)} → {shape_text(result.shape)} · {result.value_kind.label}",
        width=width,
    )
    derived: list[tuple[list[str], Any]] = []
    if derivation is not None:
        derived += [(pool_grad_lines(derivation, g), g.value) for g in derivation.grad_steps]
        derived += [(pool_step_lines(derivation, s), s.value) for s in derivation.steps]
    name = f"{result.name}, grad-input" if gradient else result.name
    return Group(head, Text(""), *verdict_parts(report, name, what, derived, width))
