"""How numbers, shapes, matrices and the options in force are written: one copy, shared by the
table views, the machine formats, the pages and the error messages."""

from __future__ import annotations

import math
from collections.abc import Iterable
from fractions import Fraction
from typing import TYPE_CHECKING, Any

import numpy as np

from .model import BoundaryRule, Convention, Mode, Op, OpOptions, PoolKind, TransposeOptions

if TYPE_CHECKING:
    from .pool_geometry import Geometry

__all__ = [
    "int_text",
    "format_number",
    "display_number",
    "shape_text",
    "shapes_line",
    "dims_text",
    "values_text",
    "cell_text",
    "matrix_text",
    "options_text",
    "transpose_options_text",
    "pool_options_text",
    "pool_values_text",
    "json_value",
    "value_of",
    "SCATTER_RULE",
    "options_flags",
]

SCATTER_RULE = (
    "each input cell times the kernel, placed at (cell × stride), all summed; then the padding "
    "is cropped from each side"
)


def value_of(v: Any) -> Any:
    """A numpy scalar as the plain Python number it stands for."""
    return v.item() if isinstance(v, np.generic) else v


def _real_repr(x: float) -> str:
    if math.isnan(x):
        return "nan"
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    return repr(x)


# ints up to this many bits convert with str(); Python refuses more than 4300 digits by default
_STR_BITS = 10_000


def int_text(n: int) -> str:
    """The decimal digits of an int of any size.

    str() refuses ints of more than ``sys.get_int_max_str_digits()`` digits, and an exact result
    can have more than its inputs (a product of two 4000-digit numbers has 8000); those are
    converted in halves, each within the limit.
    """
    if n.bit_length() <= _STR_BITS:
        return str(n)
    if n < 0:
        return "-" + int_text(-n)
    half = int(n.bit_length() * 0.30102999566398120) // 2  # about half of the digits
    high, low = divmod(n, 10**half)
    return int_text(high) + int_text(low).rjust(half, "0")


def format_number(x: Any) -> str:
    """The exact, re-readable text of one entry: ``4``, ``10/9``, ``0.1``, ``1+2j``, ``a*w + b*x``."""
    x = value_of(x)
    if isinstance(x, bool):
        return str(int(x))
    if isinstance(x, int):
        return int_text(x)
    if isinstance(x, Fraction):
        return int_text(x.numerator) + ("" if x.denominator == 1 else "/" + int_text(x.denominator))
    if isinstance(x, float):
        return _real_repr(x)
    if isinstance(x, complex):
        re_part, im_part = _real_repr(x.real), _real_repr(x.imag)
        if im_part[0] != "-":
            im_part = "+" + im_part
        return f"{re_part}{im_part}j"
    # a symbolic expression: without spaces, so that it stays one column of plain output
    return str(x).replace(" ", "")


def display_number(x: Any, *, digits: int = 6) -> str:
    """A short text for people: floats to ``digits`` significant digits, exact values in full."""
    x = value_of(x)
    if isinstance(x, float):
        text = repr(x)
        if len(text) <= digits + 3 or math.isnan(x) or math.isinf(x):
            return _real_repr(x)
        return f"{x:.{digits}g}"
    if isinstance(x, complex):
        re_part = display_number(x.real, digits=digits)
        im_part = display_number(x.imag, digits=digits)
        if im_part[0] != "-":
            im_part = "+" + im_part
        return f"{re_part}{im_part}j"
    if not isinstance(x, int | Fraction | bool):
        return str(x)
    return format_number(x)


def dims_text(shape: tuple[int, ...]) -> str:
    """The sizes joined by x: ``5x5``, ``3``, ``2x3x3``."""
    return "x".join(str(n) for n in shape)


def values_text(values: Iterable[Any]) -> str:
    """An option's values as the command line takes them: ``2,1``."""
    return ",".join(map(str, values))


def shape_text(shape: tuple[int, ...]) -> str:
    """``5x5`` for a matrix, ``1-D of length 5`` for a vector."""
    if len(shape) == 1:
        return f"1-D of length {shape[0]}"
    return dims_text(shape)


def cell_text(index: Iterable[Any]) -> str:
    """A cell's index as messages and views write it: ``[0, 1]``."""
    return "[" + ", ".join(str(int(i)) for i in index) + "]"


def shapes_line(a_shape: tuple[int, ...], b_shape: tuple[int, ...], tail: str = "") -> str:
    """The operands' shapes as a view's header gives them: ``A 5x5 · B 3x3`` and ``tail``."""
    return f"A {shape_text(a_shape)} · B {shape_text(b_shape)}{tail}"


def matrix_text(a: np.ndarray) -> str:
    """A small array inline, numpy style: ``[[1, 0], [0, 1]]``."""
    if a.ndim == 0:
        return format_number(a[()])
    if a.ndim == 1:
        return "[" + ", ".join(format_number(v) for v in a) + "]"
    return "[" + ", ".join(matrix_text(row) for row in a) + "]"


def options_text(options: OpOptions | None, op: Op | None) -> str:
    """The options in force, one phrase each: ``mode valid · boundary fill · convention scipy``."""
    if options is None or op not in (Op.CONVOLVE, Op.CORRELATE, None):
        return ""
    parts = [f"mode {options.mode}", f"boundary {options.boundary}"]
    if options.boundary == "fill" and options.fillvalue != 0:
        parts.append(f"fillvalue {display_number(options.fillvalue)}")
    parts.append(f"convention {options.convention}")
    parts += [f"{name} {value}".rstrip() for name, value in _layer_options(options)]
    if options.bias:
        parts.append("bias " + ",".join(display_number(b) for b in options.bias))
    if options.activation != "none":
        parts.append(str(options.activation))
    return " · ".join(parts)


def options_flags(options: OpOptions) -> str:
    """The layer options that differ from their defaults, as the command line gives them (each
    with a leading space): `` --stride 2 --channels``; options_text says the same in words."""
    flags = []
    if options.mode is not Mode.VALID:
        flags.append(f"--mode {options.mode}")
    if options.boundary is not BoundaryRule.FILL:
        flags.append(f"--boundary {options.boundary}")
    elif options.fillvalue != 0:
        flags.append(f"--fillvalue {display_number(options.fillvalue)}")
    if options.convention is not Convention.SCIPY:
        flags.append(f"--convention {options.convention}")
    flags += [f"--{name} {value}".rstrip() for name, value in _layer_options(options)]
    return "".join(f" {flag}" for flag in flags)


def _layer_options(options: OpOptions) -> list[tuple[str, str]]:
    """stride, dilation, padding, channels and groups where they differ from their defaults, as
    (name, value), the value empty for a switch: what options_text and options_flags both list."""
    named = [
        (name, values_text(values))
        for name, values in (("stride", options.stride), ("dilation", options.dilation))
        if any(v != 1 for v in values)
    ]
    if options.padding is not None:
        named.append(("padding", values_text(options.padding)))
    if options.channels:
        named.append(("channels", ""))
    if options.groups != 1:
        named.append(("groups", str(options.groups)))
    return named


def transpose_options_text(options: TransposeOptions) -> str:
    """conv-transpose's geometry: ``stride 2 · padding 0 · output padding 0 · dilation 1``."""
    text = " · ".join(
        f"{name} {values_text(value)}"
        for name, value in (
            ("stride", options.stride),
            ("padding", options.padding),
            ("output padding", options.output_padding),
            ("dilation", options.dilation),
        )
    )
    return text + (f" · groups {options.groups}" if options.groups != 1 else "")


def pool_values_text(values: tuple[int, int], one_row: bool) -> str:
    """A pooling option's values: one number for a 1-D input (``one_row``), else both."""
    return str(values[1]) if one_row else values_text(values)


def pool_options_text(g: Geometry, one_row: bool, kind: PoolKind) -> str:
    """A pooling's windows: ``size 2,2 · stride 1,1 · padding 0,0 · ceil mode``; one number per
    option for a 1-D input (``one_row``)."""

    def axes(values: tuple[int, int]) -> str:
        return pool_values_text(values, one_row)

    parts = [f"size {axes(g.size)}", f"stride {axes(g.stride)}", f"padding {axes(g.padding)}"]
    if any(d != 1 for d in g.dilation):
        parts.append(f"dilation {axes(g.dilation)}")
    if g.ceil_mode:
        parts.append("ceil mode")
    if kind is PoolKind.AVG and not g.count_pad:
        parts.append("padding not counted")
    return " · ".join(parts)


# json.dumps writes ints with str(), which refuses more than 4300 digits: longer ones are strings
_JSON_BITS = 10_000


def json_value(x: Any) -> Any:
    """One entry as JSON: numbers as numbers, fractions as "p/q", nan/inf/complex as strings."""
    x = value_of(x)
    if isinstance(x, bool):
        return int(x)
    if isinstance(x, Fraction) and x.denominator == 1:
        x = x.numerator
    if isinstance(x, int):
        # a string when too long for a JSON number (json.dumps refuses more than 4300 digits)
        return x if x.bit_length() <= _JSON_BITS else int_text(x)
    if isinstance(x, Fraction):
        return format_number(x)
    if isinstance(x, float):
        return x if math.isfinite(x) else format_number(x)
    if isinstance(x, complex):
        return format_number(x)
    return str(x)  # a symbolic expression, as sympy writes it
