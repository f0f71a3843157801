"""How the options in force are written: one copy, shared by every human-readable view."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .model import Op, OpOptions
from .numeric import display_number

if TYPE_CHECKING:
    from .transpose import TransposeOptions

__all__ = ["options_text", "transpose_options_text", "SCATTER_RULE"]

SCATTER_RULE = (
    "each input cell times the kernel, placed at (cell × stride), all summed; then the padding "
    "is cropped from each side"
)


def options_text(options: OpOptions | None, op: Op | None) -> str:
    """The options in force, one phrase each: ``mode valid · boundary fill · convention scipy``."""
    if options is None or op not in (Op.CONVOLVE, Op.CORRELATE, None):
        return ""
    parts = [f"mode {options.mode}", f"boundary {options.boundary}"]
    if options.boundary == "fill" and options.fillvalue != 0:
        parts.append(f"fillvalue {display_number(options.fillvalue)}")
    parts.append(f"convention {options.convention}")
    for name, values, plain in (("stride", options.stride, 1), ("dilation", options.dilation, 1)):
        if any(v != plain for v in values):
            parts.append(f"{name} {','.join(map(str, values))}")
    if options.padding is not None:
        parts.append(f"padding {','.join(map(str, options.padding))}")
    if options.channels:
        parts.append("channels")
    if options.bias:
        parts.append("bias " + ",".join(display_number(b) for b in options.bias))
    if options.activation != "none":
        parts.append(str(options.activation))
    return " · ".join(parts)


def transpose_options_text(options: TransposeOptions) -> str:
    """conv-transpose's geometry: ``stride 2 · padding 0 · output padding 0 · dilation 1``."""
    return " · ".join(
        f"{name} {','.join(map(str, value))}"
        for name, value in (
            ("stride", options.stride),
            ("padding", options.padding),
            ("output padding", options.output_padding),
            ("dilation", options.dilation),
        )
    )
