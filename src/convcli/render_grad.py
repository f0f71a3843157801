"""grad's table view: the layer's gradients, the rules that formed them, and the command that
derives each cell. A renderer: it returns, never prints."""

from __future__ import annotations

from rich.console import Group, RenderableType
from rich.padding import Padding
from rich.text import Text

from .formats_grad import grad_label
from .grad import ONES_NOTE
from .model import GradOf, GradResult, Op
from .render_grid import CHANNELS, FILTERS_AND_CHANNELS, matrix_grid, result_lead
from .render_prose import bullets, header, shell_lines, wrap_prose
from .text import options_flags, options_text, shape_text

__all__ = ["grad_view"]


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
