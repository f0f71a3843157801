"""Receptive fields of network arithmetic: per spatial axis, the size r of the field of one output
unit on the input, the jump j between neighbouring units and the start (the centre of the first
unit's field), as exact fractions; and how they are written in tables and JSON."""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Any

__all__ = ["AxisField", "Field", "rational_text", "field_texts", "field_json"]


@dataclass(frozen=True)
class AxisField:
    """The receptive field along one spatial axis of the input: size r, jump j and start (the
    centre of the first output unit's field, as a pixel index of the input)."""

    size: Fraction
    jump: Fraction
    start: Fraction

    def window(self, k: int, s: int | Fraction, p: int, d: int) -> AxisField:
        """After a window of k taps, d apart, stride s, padding p before."""
        reach = d * (k - 1)
        return AxisField(
            self.size + reach * self.jump,
            self.jump * s,
            self.start + (Fraction(reach, 2) - p) * self.jump,
        )

    def stuffed(self, k: int, s: int, p: int, d: int) -> AxisField:
        """After a transposed convolution: a stride-1 window over units s times denser."""
        jump = self.jump / s
        reach = d * (k - 1)
        return AxisField(self.size + reach * jump, jump, self.start + (p - Fraction(reach, 2)) * jump)


# one entry per spatial axis of the network's input; None: the whole input along that axis
Field = tuple[AxisField | None, ...]


def rational_text(x: Fraction | int) -> str:
    """A whole number as itself; a fraction with a terminating decimal of at most ten places as
    that decimal, exactly (2.5, 0.25); any other as p/q (1/3)."""
    x = Fraction(x)
    d = x.denominator
    if d == 1:
        return str(x.numerator)
    if d & (d - 1) == 0 and d <= 2**10:
        places = d.bit_length() - 1
        digits = str(abs(x.numerator) * 5**places).rjust(places + 1, "0")
        sign = "-" if x < 0 else ""
        return f"{sign}{digits[:-places]}.{digits[-places:].rstrip('0')}"
    return f"{x.numerator}/{d}"


def _rational_json(x: Fraction) -> Any:
    """A whole number as a JSON number, a fraction as one when a float holds it exactly, else
    as a "p/q" string (as convcli writes exact fractions everywhere)."""
    if x.denominator == 1:
        return x.numerator
    text = rational_text(x)
    return float(text) if "/" not in text and Fraction(float(text)) == x else f"{x.numerator}/{x.denominator}"


def field_texts(f: Field) -> tuple[str, str, str]:
    """The field, jump and start as table cells: one value when the axes agree, else one per
    axis (HxW for the field, H,W for jump and start); 'all' and '-' where the field is the whole
    input."""
    if not f or all(a is None for a in f):
        return "all", "-", "-"
    size = [("all" if a is None else rational_text(a.size)) for a in f]
    jump = [("-" if a is None else rational_text(a.jump)) for a in f]
    start = [("-" if a is None else rational_text(a.start)) for a in f]

    def one(values: list[str], sep: str) -> str:
        return values[0] if len(set(values)) == 1 else sep.join(values)

    return one(size, "x"), one(jump, ","), one(start, ",")


def field_json(f: Field, spatial: tuple[int, ...]) -> dict[str, Any]:
    """receptive_field, jump and start per spatial axis; the whole input is its size, with
    null jump and start."""
    if not spatial:
        return {"receptive_field": None, "jump": None, "start": None}
    return {
        "receptive_field": [
            n if a is None else _rational_json(a.size) for a, n in zip(f, spatial, strict=True)
        ],
        "jump": [None if a is None else _rational_json(a.jump) for a in f],
        "start": [None if a is None else _rational_json(a.start) for a in f],
    }
