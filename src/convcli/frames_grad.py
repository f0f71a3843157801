"""A layer's gradient as an animation: each cell of dW, dX or db from the cells that make it, then
the whole gradient."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from .frames import (
    MAX_FRAME_TERMS,
    Animation,
    Board,
    Frame,
    Mark,
    Outline,
    Panel,
    Scene,
    as_layers,
    final_frame,
    layers_shape,
    output_mark,
    place,
)
from .text import display_number, options_text, shape_text

if TYPE_CHECKING:
    from .gradsteps import GradStep, GradSteps

__all__ = ["grad_scene", "grad_frame", "animate_grad"]


def grad_scene(view: GradSteps) -> Scene:
    """dW: X padded, its cells met by each tap marked; dX and db: G, the cells that reach the
    cell marked."""
    from .gradsteps import grad_definition, grad_title

    result = view.result
    layout = view.windows.layout
    name = view.of.symbol
    channels = result.options.channels
    if view.of.value == "weight":
        assert view.padded is not None and view.pad_mask is not None
        befores = [before for before, _ in view.pads]
        start = (0, befores[0]) if len(befores) == 1 else (befores[-2], befores[-1])
        board = Board(
            "X, padded" if view.pad_mask.any() else "X",
            as_layers(view.padded),
            as_layers(view.pad_mask),
            (-start[0], -start[1]),
            "channel {}" if channels else "layer {}" if len(view.pads) == 3 else "",
        )
        panels = (Panel("G", result.upstream),) if result.upstream.ndim <= 2 else ()
    else:
        board = Board("G", as_layers(result.upstream), layer_label="filter {}" if layout.filters > 1 else "")
        panels = ()
        if view.of.value == "input" and result.w_shape and len(result.w_shape) <= 2:
            panels = (Panel("W", layout.b.reshape(result.w_shape)),)
    shape = view.shape
    return Scene(
        f"steps · {grad_title(view.of)}",
        options_text(result.options, result.op),
        f"X {shape_text(result.x_shape)} · W {shape_text(result.w_shape)} → {name} "
        + (shape_text(shape) if shape else "scalar"),
        grad_definition(view),
        (board,),
        Outline(name, layers_shape(shape), "filter {}" if view.of.value != "input" and channels else ""),
        panels,
        result.notes,
    )


def grad_frame(view: GradSteps, step: GradStep) -> Frame:
    """One cell of a gradient: what makes it marked, its products, the cell it fills."""
    from .gradsteps import grad_step_lines

    g_shape = tuple(view.result.upstream.shape)
    marks: list[Mark] = []
    if view.of.value == "weight" and step.terms:
        spatial = len(view.pads)
        out = view.windows.layout.out_shape
        first = [u * d for u, d in zip(step.tap, view.dilation, strict=True)]
        spans = [range(f, f + (n - 1) * s + 1, s) for f, n, s in zip(first, out, view.stride, strict=True)]
        layer = step.channel or 0
        if spatial == 1:
            marks.append(Mark(0, 0, range(1), spans[0]))
        elif spatial == 2:
            marks.append(Mark(0, layer, spans[0], spans[1]))
        else:
            marks += [Mark(0, depth, spans[1], spans[2]) for depth in spans[0]]
    else:
        for term in step.terms:
            layer, r, c = place(term.g_cell, g_shape)
            marks.append(Mark(0, layer, range(r, r + 1), range(c, c + 1)))
    where = place(step.cell, view.shape)
    lines = grad_step_lines(view, step)
    _, _, terms = lines[0].partition(": ")
    if len(step.terms) > MAX_FRAME_TERMS:
        terms = f"the sum of {len(step.terms)} products = {display_number(step.value)}"
    return Frame(
        lines[0].partition(": ")[0],
        display_number(step.value),
        (*marks, output_mark(where)),
        (),
        (terms, *(line.strip() for line in lines[1:])),
        ((where, step.value),),
    )


def animate_grad(view: GradSteps) -> Animation:
    """steps --op grad-input|grad-weight|grad-bias as an animation: one frame per cell derived,
    then the whole gradient."""
    scene = grad_scene(view)
    value = view.result.value(view.of)

    def frames() -> Iterator[Frame]:
        for step in view.steps:
            yield grad_frame(view, step)
        yield final_frame(scene, value, len(view.steps), view.total_cells, view.chosen)

    return Animation(scene, frames(), len(view.steps) + 1)
