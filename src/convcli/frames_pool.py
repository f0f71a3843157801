"""Pooling as an animation: each window's maximum or mean, or each cell of the gradient from G,
then the complete result."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import numpy as np

from .frames import (
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
from .text import cell_text, display_number, shape_text

if TYPE_CHECKING:
    from .explanations import PoolGradStep, PoolStep, PoolSteps

__all__ = ["pool_scene", "pool_frame", "pool_grad_frame", "animate_pool"]


def pool_scene(view: PoolSteps) -> Scene:
    """A pooling: A with its padding (-inf for max, 0 for avg) and the output; for the gradient,
    G and the gradient with respect to A."""
    from .steps_pool import pool_definition
    from .text import pool_options_text

    result = view.result
    g = result.geometry
    options = pool_options_text(g, len(result.a_shape) == 1, result.options.kind)
    layer_label = "channel {}" if len(result.a_shape) > 2 else ""
    if view.gradient:
        assert result.upstream is not None
        return Scene(
            f"steps · {result.name} · grad-input",
            options,
            f"A {shape_text(result.a_shape)} → grad-input {shape_text(result.a_shape)}",
            pool_definition(view),
            (Board("G", as_layers(result.upstream), layer_label=layer_label),),
            Outline("dA", layers_shape(result.a_shape), layer_label),
        )
    assert view.batch is not None
    board, faint = _pool_board(view)
    return Scene(
        f"steps · {result.name}",
        options,
        f"A {shape_text(result.a_shape)} → {shape_text(tuple(result.output.shape))}",
        pool_definition(view),
        (
            Board(
                "A, padded" if faint.any() else "A", board, faint, (-g.padding[0], -g.padding[1]), layer_label
            ),
        ),
        Outline("C", layers_shape(tuple(result.output.shape)), layer_label),
    )


def _pool_board(view: PoolSteps) -> tuple[np.ndarray, np.ndarray]:
    """A as the pooling reads it: padded with -inf (max) or 0 (avg), and, in ceil mode, as far as
    a last window reaches past the padded edge (those cells blank); and which cells are not A's."""
    from .model import PoolKind

    g = view.result.geometry
    assert view.batch is not None
    (h, w), (ph, pw) = g.in_shape, g.padding
    reach = [g.taps(axis, g.out_shape[axis] - 1)[-1] + 1 for axis in range(2)]
    rows, cols = max(h + ph, reach[0]) + ph, max(w + pw, reach[1]) + pw
    board = np.empty((view.batch.shape[0], rows, cols), dtype=object)
    board.fill("")
    padded = float("-inf") if g.kind is PoolKind.MAX else 0
    board[:, : h + 2 * ph, : w + 2 * pw] = padded
    board[:, ph : ph + h, pw : pw + w] = view.batch
    faint = np.ones(board.shape, dtype=bool)
    faint[:, ph : ph + h, pw : pw + w] = False
    return board, faint


def pool_frame(view: PoolSteps, step: PoolStep) -> Frame:
    """One window: its taps on A, the window as read, the cell it fills."""
    from .steps_pool import pool_step_lines

    g = view.result.geometry
    shape = tuple(view.result.output.shape)
    where = place(step.cell, shape)
    (r0, c0), (r1, c1) = step.taps[0], step.taps[-1]
    ph, pw = g.padding
    rows = range(r0 + ph, r1 + ph + 1, g.dilation[0])
    cols = range(c0 + pw, c1 + pw + 1, g.dilation[1])
    window = np.empty(g.size, dtype=object)
    window.ravel()[:] = ["" if v is None else v for v in step.window]
    _, _, terms = pool_step_lines(view, step)[0].partition(": ")
    return Frame(
        "C" + cell_text(step.cell),
        display_number(step.value),
        (Mark(0, where[0], rows, cols), output_mark(where)),
        (Panel("the window as read", window),),
        (terms,),
        ((where, step.value),),
    )


def pool_grad_frame(view: PoolSteps, step: PoolGradStep) -> Frame:
    """One cell of the gradient: the cells of G that reach it, and the cell it fills."""
    from .steps_pool import pool_grad_lines

    result = view.result
    where = place(step.cell, result.a_shape)
    out_shape = tuple(result.output.shape)
    marks = []
    for source in step.sources:
        layer, r, c = place(source.cell, out_shape)
        marks.append(Mark(0, layer, range(r, r + 1), range(c, c + 1)))
    _, _, terms = pool_grad_lines(view, step)[0].partition(": ")
    return Frame(
        "dA" + cell_text(step.cell),
        display_number(step.value),
        (*marks, output_mark(where)),
        (),
        (terms,),
        ((where, step.value),),
    )


def animate_pool(view: PoolSteps) -> Animation:
    """steps --op max-pool|avg-pool as an animation: one frame per window (or per cell of the
    gradient) derived, then the complete result."""
    scene = pool_scene(view)
    result = view.result

    def frames() -> Iterator[Frame]:
        if view.gradient:
            assert result.grad_input is not None
            for grad in view.grad_steps:
                yield pool_grad_frame(view, grad)
            yield final_frame(scene, result.grad_input, view.shown, view.total_cells, view.chosen)
            return
        for step in view.steps:
            yield pool_frame(view, step)
        yield final_frame(scene, result.output, view.shown, view.total_cells, view.chosen)

    return Animation(scene, frames(), view.shown + 1)
