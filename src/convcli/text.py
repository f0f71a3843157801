"""How the options in force are written: one copy, shared by every human-readable view."""

from __future__ import annotations

from .model import Op, OpOptions
from .numbers import display_number

__all__ = ["options_text"]


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
