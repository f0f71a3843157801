"""What the torch layers of network arithmetic have in common: the Layer base class (binding its
arguments, its short form, the defaults of an elementwise layer), the input a layer is given and
the Mismatch it raises, and the field, jump and start formulas that ``layers --at`` fills in."""

from __future__ import annotations

import difflib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

from .errors import ParseError, ShapeError, UsageError
from .fields import AxisField, Field, rational_text
from .modeltext import Call, Value
from .text import dims_text
from .torch_arguments import REQUIRED, BadArgument, Param, argument_text

if TYPE_CHECKING:
    from .layers import LayerRow

__all__ = [
    "Mismatch",
    "Given",
    "Layer",
    "axis_names",
    "axis_lines",
    "Formula",
    "field_lines",
    "window_formula",
    "axis_size",
]


# arguments that change nothing counted here, left out of a layer's short form
_QUIET = frozenset({"inplace", "eps", "momentum", "track_running_stats", "return_indices", "device", "dtype"})


class Mismatch(Exception):
    """A layer that does not fit its input; the message follows the layer's position and text."""


@dataclass(frozen=True)
class Given:
    """A layer's input as the messages describe it: the shape, what produced it ("the input" or
    "the previous layer"), and the shape before a Flatten that made it flat."""

    shape: tuple[int, ...]
    origin: str
    unflattened: tuple[int, ...]

    def text(self) -> str:
        if self.unflattened != self.shape:
            return f"{self.origin} gives {dims_text(self.unflattened)} = {dims_text(self.shape)}"
        return f"{self.origin} gives {dims_text(self.shape)}"


@dataclass(frozen=True)
class Layer:
    """A layer's class and its arguments, read and checked against torch's constructor."""

    kind: ClassVar[str] = ""
    signature: ClassVar[tuple[Param, ...]] = ()
    positional_in_short: ClassVar[int] = 0
    # the output is the input's shape, value for value (activations, dropout, normalization)
    elementwise: ClassVar[bool] = True
    call: Call
    values: dict[str, Any] = field(compare=False)

    # -- reading

    @classmethod
    def bind(cls, call: Call) -> Layer:
        if cls.kind == "Identity":
            return cls(call, {})  # torch's Identity takes any arguments and ignores them
        names = [p.name for p in cls.signature]
        if len(call.args) > len(names):
            raise call.error(
                f"{call.name} takes at most {len(names)} positional arguments ({', '.join(names)}), "
                f"found {len(call.args)}",
                len(names),
            )
        given: dict[str, tuple[Value, int]] = {}
        for i, value in enumerate(call.args):
            given[names[i]] = (value, i)
        for j, (key, value) in enumerate(call.kwargs):
            position = len(call.args) + j
            if key not in names:
                close = difflib.get_close_matches(key, names, n=1)
                hint = f" (did you mean {close[0]}?)" if close else ""
                raise call.error(
                    f"{call.name} has no argument {key}{hint}; it takes {', '.join(names)}", position
                )
            if key in given:
                raise call.error(f"{call.name}: {key} is given twice (by position and by name)", position)
            given[key] = (value, position)
        values: dict[str, Any] = {}
        for param in cls.signature:
            if param.name not in given:
                if param.default is REQUIRED:
                    raise call.error(f"{call.name} needs {param.name} (it takes {', '.join(names)})")
                values[param.name] = param.default
                continue
            value, position = given[param.name]
            try:
                values[param.name] = param.read(value)
            except BadArgument as exc:
                raise call.error(
                    f"{call.name}: {param.name} {exc}, found {argument_text(value)}", position
                ) from None
        layer = cls(call, values)
        layer.check()
        return layer

    def check(self) -> None:
        """The checks torch's constructor makes, beyond each argument's own range."""

    def refuse(self, message: str, argument: str | None = None) -> ParseError:
        """A ParseError at ``argument`` (its name) or at the call."""
        position = None
        if argument is not None:
            keys = [k for k, _ in self.call.kwargs]
            names = [p.name for p in self.signature]
            if argument in keys:
                position = len(self.call.args) + keys.index(argument)
            elif names.index(argument) < len(self.call.args):
                position = names.index(argument)
        return self.call.error(f"{self.call.name}: {message}", position)

    def short(self) -> str:
        """The layer as torch's constructor would take it, with only what differs from the defaults."""
        parts = []
        for i, param in enumerate(self.signature):
            value = self.values[param.name]
            if i < self.positional_in_short:
                parts.append(argument_text(value))
            elif param.name not in _QUIET and value != param.default and not self.implied(param.name):
                parts.append(f"{param.name}={argument_text(value)}")
        return f"{self.kind}({', '.join(parts)})"

    def implied(self, name: str) -> bool:
        """Whether the short form leaves out argument ``name`` because the others imply it."""
        return False

    # -- arithmetic (defaults: an elementwise layer)

    def output(self, given: Given) -> tuple[int, ...]:
        return given.shape

    def params(self) -> int:
        return 0

    def macs(self, shape: tuple[int, ...], out: tuple[int, ...]) -> int:
        return 0

    def field(self, f: Field, shape: tuple[int, ...]) -> Field:
        return f

    def whole_reason(self) -> str:
        """Why this layer makes the field the whole input."""
        return "as before"

    def explain(self, row: LayerRow) -> list[tuple[str, str]]:
        return [
            ("output", f"the input's shape, {dims_text(row.output)} (elementwise)"),
            ("params", "0"),
            ("MACs", "0 (activations, dropout and the identity are not counted)"),
            *field_lines(row, None),
        ]

    def needs_image(self, given: Given) -> tuple[int, int, int]:
        if len(given.shape) != 3:
            raise Mismatch(f"expects a C x H x W input (channels and two spatial axes); {given.text()}")
        return given.shape  # type: ignore[return-value]

    def needs_channels(self, given: Given, channels: int, what: str) -> tuple[int, int, int]:
        c, h, w = self.needs_image(given)
        if c != channels:
            raise Mismatch(
                f"expects {channels} {what}; {given.origin} gives {dims_text(given.shape)} "
                f"({c} channel{'s' if c != 1 else ''})"
            )
        return c, h, w


def axis_names(n: int) -> list[str]:
    return ["height", "width"] if n == 2 else [f"axis {i}" for i in range(n)]


def axis_lines(label: str, texts: list[str]) -> list[tuple[str, str]]:
    """One line when the axes agree, else one per axis."""
    if len(set(texts)) == 1:
        return [(label, texts[0] + ("" if len(texts) == 1 else " (height and width)"))]
    return [(f"{label} ({name})", text) for name, text in zip(axis_names(len(texts)), texts, strict=True)]


# one axis's field, jump and start formulas filled in, from the field before and after a layer
Formula = Callable[[AxisField, AxisField, int], tuple[str, str, str]]


def field_lines(row: LayerRow, formula: Formula | None) -> list[tuple[str, str]]:
    """The field, jump and start lines: each axis's formulas filled in, or why the field is whole."""
    if not row.field:
        return [("field", "the whole input (a flat vector has no spatial axes)")]
    if all(a is None for a in row.field):
        fresh = any(a is not None for a in row.field_in)
        why = row.layer.whole_reason() if fresh else "as before"
        return [("field", f"the whole input ({why}); jump and start do not apply")]
    rows: list[tuple[str, str, str]] = []
    for i, (before, after) in enumerate(zip(row.field_in, row.field, strict=True)):
        if after is None:
            rows.append(("the whole input", "-", "-"))
        elif before is None or formula is None:
            rows.append((rational_text(after.size), rational_text(after.jump), rational_text(after.start)))
        else:
            rows.append(formula(before, after, i))
    lines: list[tuple[str, str]] = []
    for label, k in (("field", 0), ("jump", 1), ("start", 2)):
        lines += axis_lines(label, [r[k] for r in rows])
    return lines


def window_formula(k: tuple[int, ...], s: tuple[int, ...], p: tuple[int, ...], d: tuple[int, ...]) -> Formula:
    def formula(before: AxisField, after: AxisField, i: int) -> tuple[str, str, str]:
        r, j, st = rational_text(before.size), rational_text(before.jump), rational_text(before.start)
        return (
            f"r = r + d(k−1)·j = {r} + {d[i]}·({k[i]}−1)·{j} = {rational_text(after.size)}",
            f"j = j·s = {j}·{s[i]} = {rational_text(after.jump)}",
            f"start = start + (d(k−1)/2 − p)·j = {st} + ({d[i]}·({k[i]}−1)/2 − {p[i]})·{j} "
            f"= {rational_text(after.start)}",
        )

    return formula


def axis_size(axis: str, rule: Callable[..., int], *args: Any) -> int:
    """One axis's output size by a rule of shapes.py; a size below 1 says which axis."""
    try:
        return rule(*args)
    except ShapeError as exc:
        raise Mismatch(f"leaves no output along the {axis}: {exc.message}") from None
    except UsageError as exc:
        raise Mismatch(f"is refused: {exc.message}") from None
