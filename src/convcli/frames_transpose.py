"""conv-transpose's scatter as an animation: each input cell adds its scaled kernel into the output,
which sums up frame by frame; a last frame crops it to the result."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import numpy as np

from .frames import (
    OUTPUT_BOARD,
    Animation,
    Board,
    Frame,
    Mark,
    Outline,
    Panel,
    Scene,
    as_layers,
    layers_shape,
    lazily,
    place,
    shapes_and_output,
    small_panel,
)
from .steps import factor_text
from .text import SCATTER_RULE, cell_text, display_number, transpose_options_text

if TYPE_CHECKING:
    from .explanations import ScatterStep, TransposeSteps
    from .model import TransposeOptions

__all__ = ["scatter_scene", "scatter_frame", "animate_scatter"]


def scatter_scene(view: TransposeSteps, a: np.ndarray) -> Scene:
    """conv-transpose: A, and the output before cropping, which the steps add into."""
    panels = (Panel("B", view.kernel),) if view.kernel.ndim <= 2 else ()
    return Scene(
        "steps · conv-transpose",
        transpose_options_text(view.options),
        shapes_and_output(view.a_shape, view.b_shape, tuple(view.result.shape)),
        SCATTER_RULE,
        (Board("A", as_layers(a), layer_label="channel {}" if a.ndim == 3 else ""),),
        Outline("sum before cropping", layers_shape(tuple(view.uncropped.shape)), "output channel {}"),
        panels,
    )


def scatter_frame(step: ScatterStep, a_shape: tuple[int, ...], canvas: np.ndarray) -> Frame:
    """One input cell: its scaled kernel added into ``canvas`` (the running sum, layers x rows x
    columns, updated here) at the cell's stride offset."""
    where = place(step.cell, a_shape)
    block = as_layers(step.contribution)
    r0, c0 = (0, step.origin[0]) if len(step.origin) == 1 else step.origin[-2:]
    rows, cols = range(r0, r0 + block.shape[1]), range(c0, c0 + block.shape[2])
    region = canvas[:, rows.start : rows.stop, cols.start : cols.stop]
    region += block
    fills = tuple(((layer, r0 + r, c0 + c), region[layer, r, c]) for layer, r, c in np.ndindex(*region.shape))
    factor = factor_text(step.value)
    at = ", ".join(map(str, step.origin))
    return Frame(
        "A" + cell_text(step.cell),
        display_number(step.value),
        (
            Mark(0, where[0], range(where[1], where[1] + 1), range(where[2], where[2] + 1)),
            *(Mark(OUTPUT_BOARD, layer, rows, cols) for layer in range(block.shape[0])),
        ),
        (small_panel(f"{factor}·B", step.contribution, "output channel"),),
        (f"adds {factor}·B at ({at})",),
        fills,
    )


def animate_scatter(
    a: np.ndarray,
    b: np.ndarray,
    options: TransposeOptions,
    *,
    at: tuple[int, ...] | None = None,
    max_steps: int = 25,
) -> Animation:
    """conv-transpose's scatter steps as an animation: one frame per input cell (at most
    ``max_steps``), the output summing up, then the crop that gives the result."""
    from .transpose import scatter_steps

    first = scatter_steps(a, b, options, at=at, max_steps=1)
    count = 1 if at is not None else min(max_steps, first.total_cells)
    steps = lazily(first.steps, lambda n: scatter_steps(a, b, options, max_steps=n).steps, count)
    scene = scatter_scene(first, a)

    def frames() -> Iterator[Frame]:
        canvas = np.zeros(scene.output.shape, dtype=object)
        for step in steps:
            yield scatter_frame(step, tuple(a.shape), canvas)
        uncropped = as_layers(first.uncropped)
        crop = [(0, 0)] * (2 - len(first.crop)) + list(first.crop)
        kept = tuple(
            range(before, n - after) for (before, after), n in zip(crop, uncropped.shape[1:], strict=True)
        )
        derived = "" if count == first.total_cells else f" ({count} of {first.total_cells} shown above)"
        yield Frame(
            "result",
            "",
            tuple(Mark(OUTPUT_BOARD, layer, *kept) for layer in range(uncropped.shape[0])),
            (small_panel("result", first.result, "output channel"),),
            (f"every input cell's share summed{derived}; {_crop_text(first.padding)}",),
            result=uncropped,
        )

    return Animation(scene, frames(), count + 1)


def _crop_text(padding: tuple[int, ...]) -> str:
    def count(n: int, what: str) -> str:
        return f"{n} {what}" + ("" if n == 1 else "s")

    if not any(padding):
        return "with padding 0 nothing is cropped: this is the result"
    if len(padding) == 1:
        return f"cropping {count(padding[0], 'cell')} from each end leaves the result"
    return (
        f"cropping {count(padding[0], 'row')} from the top and the bottom and "
        f"{count(padding[1], 'column')} from each side leaves the result"
    )
