"""grad's table views: the layer's gradients, the rules that formed them, and the command that
derives each cell; steps --op grad-input|grad-weight|grad-bias (each cell with the cells that
make it marked) and check of a gradient. A renderer: it returns, never prints."""

from __future__ import annotations

import math

import numpy as np
from rich.console import Group, RenderableType
from rich.padding import Padding
from rich.text import Text

from .formats_grad import grad_label
from .grad import ONES_NOTE
from .gradcheck import GradCheckReport
from .gradsteps import GradStep, GradSteps, grad_definition, grad_step_lines, grad_title
from .model import GradOf, GradResult, Op
from .render_check import verdict_parts
from .render_grid import CHANNELS, FILTERS_AND_CHANNELS, marked_cells, matrix_grid, result_lead, taps_drawn
from .render_prose import bullets, header, shell_lines, wrap_prose, wrapped_terms
from .render_steps import ASSEMBLED_CELLS
from .text import display_number, options_flags, options_text, shape_text

__all__ = ["grad_view", "grad_steps_view", "grad_check_view"]


def grad_view(result: GradResult, *, width: int = 80) -> RenderableType:
    """grad: a header (the layer, its options, the shapes and the number kind), G, the gradients
    --of names under their labels, the rule that formed each for these options, and the steps
    command that derives their cells."""
    given = result.upstream_given
    g_shape = shape_text(tuple(result.upstream.shape)) or "scalar"
    shapes = (
        f"X {shape_text(result.x_shape)} · W {shape_text(result.w_shape)} · G {g_shape}"
        f"{'' if given else ' (all ones)'} · {result.kind.label}"
    )
    parts: list[RenderableType] = [
        header(f"grad of {result.op}(X, W)", options_text(result.options, result.op), shapes, width=width),
        Text(""),
        Text("upstream G = dL/dY" if given else "G = dL/dY: all ones (no --upstream)", style="dim"),
        matrix_grid(
            result.upstream, width=width, style="", lead=result_lead(result.options, result.upstream)
        ),
    ]
    for of in result.parts:
        parts += [
            Text(""),
            Text(grad_label(result, of), style="dim"),
            matrix_grid(result.value(of), width=width, style="bold green", lead=_lead(result, of)),
        ]
    rules = [f"{text}." for of, text in result.rules if of in result.parts]
    parts += [Text(""), Text("the rules, for these options", style="dim"), bullets(rules, width)]
    parts += [Text(""), *_derived(result, width)]
    notes = [f"note: {note}" for note in result.notes if note != ONES_NOTE]  # G's heading says it
    if notes:
        parts.append(bullets(notes, width))
    return Group(*parts)


def _lead(result: GradResult, of: GradOf) -> tuple[str, ...]:
    """The names of a gradient's leading axes with --channels: X's channels, W's filters and
    channels (a bias vector is one row, its columns the filters)."""
    if not result.options.channels or of is GradOf.BIAS:
        return ()
    value = result.value(of)
    return FILTERS_AND_CHANNELS if value.ndim == 4 else CHANNELS if value.ndim == 3 else ()


def _derived(result: GradResult, width: int) -> list[RenderableType]:
    """The steps command that derives each cell of these gradients (steps explains a correlate
    layer: a convolve layer is one with W turned 180°)."""
    of = GradOf.INPUT if result.of is GradOf.ALL else result.of
    upstream = " --upstream G" if result.upstream_given else ""
    flags = options_flags(result.options)
    command = f"convcli steps X W --op grad-{of.value}{upstream}{flags}"
    others = " (grad-weight, grad-bias likewise)" if result.of is GradOf.ALL else ""
    lead = f"each cell derived as a sum of products{others}:"
    if result.op is Op.CONVOLVE:
        lead = (
            f"each cell derived{others}, for correlate: give steps W turned 180° (convolve(X, W) is "
            "correlate(X, W turned 180°), and its dW comes out turned too):"
        )
    return [
        Text(wrap_prose(lead, width), style="dim"),
        Padding(Text(shell_lines(command, width - 2), style="cyan"), (0, 0, 0, 2)),
    ]


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
    return taps_drawn(padded, mask, taps, before, width, "X")


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
            f"steps · {grad_title(view.of)}", options_text(result.options, result.op), shapes, width=width
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
    if view.steps and not view.chosen and total <= ASSEMBLED_CELLS:
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
        options_text(result.options, result.op),
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
