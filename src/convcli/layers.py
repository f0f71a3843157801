"""Network arithmetic: follow a chain of torch layers from an input shape, and count as SPEC §8 says.

For each layer: its output shape, parameters, multiply-accumulates (MACs), and the receptive
field of one output unit on the input (its size r, the jump j between neighbouring units, and the
start, the centre of the first unit's field as a pixel index of the input).

Counting rules, the ones a course uses:

- parameters are weights plus biases; BatchNorm2d has 2 x C (its running mean and variance are
  buffers, not parameters);
- MACs are output elements x (C_in/groups x kh x kw) for a convolution, input elements x
  (C_out/groups x kh x kw) for a transposed one, in x out for Linear, and 0 for bias adds,
  pooling, normalization and activations; FLOPs = 2 x MACs;
- the field grows as r = r + d(k-1)j, j = js, start = start + (d(k-1)/2 - p)j, with r = 1, j = 1,
  start = 0 at the input. After Flatten, Linear, or an adaptive pool with uneven or global
  windows, every unit sees the whole input. An adaptive pool whose input size is a multiple of
  its output size is an ordinary pool (kernel = stride = n/o), and one that keeps the size is the
  identity.
- A transposed convolution of stride s is a stride-1 convolution over its input with s-1 zeros
  between neighbouring units: its units are s times denser, so the jump becomes fractional,
  j/s, the field grows by d(k-1)j/s and the start moves by (p - d(k-1)/2)j/s. The field is then
  the span the kernel covers, in input pixels; the pixels a unit actually reads may be fewer.

A chain cannot model a branch (ResNet's downsample, a shortcut): a module whose name suggests one
reads the input of the block around it, and the chain continues from the block's main path; a
note says so.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any, ClassVar

from . import shapes
from .errors import ParseError, ShapeError, UsageError
from .modeltext import Branch, Call, Entry, Value, Word, parse_call
from .text import dims_text
from .transpose import check_output_padding

__all__ = [
    "AxisField",
    "LayerRow",
    "Network",
    "Explanation",
    "follow",
    "follow_calls",
    "explain",
    "input_shape",
    "known_layers",
    "rational_text",
    "dims_text",
    "field_texts",
    "RULES",
    "HEADERS",
]

HEADERS = ("#", "layer", "output", "params", "MACs", "field", "jump", "start")
RULES = (
    "params = weights + biases (BatchNorm2d: 2·C; running statistics are buffers, not parameters)",
    "MACs = output elements · C_in/groups·kh·kw (Conv2d), input elements · C_out/groups·kh·kw "
    "(ConvTranspose2d), in · out (Linear); 0 for bias adds, pooling, normalization and activations; "
    "FLOPs = 2 · MACs",
    "field r = r + d(k−1)·j, jump j = j·s, start = start + (d(k−1)/2 − p)·j, in input pixels "
    "from r = 1, j = 1, start = 0; 'all' after Flatten, Linear or a global pool; a transposed "
    "convolution divides the jump by its stride",
)


# ---------------------------------------------------------------------------------------------
# receptive fields


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


# ---------------------------------------------------------------------------------------------
# reading arguments


class _Required:
    def __repr__(self) -> str:
        return "required"


REQUIRED: Any = _Required()
# arguments that change nothing counted here, left out of a layer's short form
_QUIET = frozenset({"inplace", "eps", "momentum", "track_running_stats", "return_indices", "device", "dtype"})


@dataclass(frozen=True)
class Param:
    """One argument of a layer's constructor: its name, default, and how a value is read."""

    name: str
    default: Any = REQUIRED
    read: Callable[[Value], Any] = lambda v: v


class _Bad(Exception):
    """A value an argument does not take; the message says what it takes."""


def _is_int(v: Value) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _whole(minimum: int) -> Callable[[Value], int]:
    def read(v: Value) -> int:
        if not _is_int(v) or v < minimum:  # type: ignore[operator]
            raise _Bad(f"takes a whole number >= {minimum}")
        return v  # type: ignore[return-value]

    return read


def _pair(minimum: int) -> Callable[[Value], tuple[int, int]]:
    def read(v: Value) -> tuple[int, int]:
        values = v if isinstance(v, tuple) else (v, v)
        if len(values) != 2 or not all(_is_int(x) and x >= minimum for x in values):  # type: ignore[operator]
            raise _Bad(
                f"takes a whole number >= {minimum} or a pair of them, such as ({minimum + 2}, {minimum + 2})"
            )
        return values  # type: ignore[return-value]

    return read


def _flag(v: Value) -> bool:
    if not isinstance(v, bool):
        raise _Bad("takes True or False")
    return v


def _integer(v: Value) -> int:
    if not _is_int(v):
        raise _Bad("takes a whole number")
    return v  # type: ignore[return-value]


def _optional(read: Callable[[Value], Any]) -> Callable[[Value], Any]:
    return lambda v: None if v is None else read(v)


def _probability(v: Value) -> float:
    if isinstance(v, bool) or not isinstance(v, int | float) or not 0 <= v <= 1:
        raise _Bad("takes a probability between 0 and 1")
    return float(v)


def _real(v: Value) -> float:
    if isinstance(v, bool) or not isinstance(v, int | float):
        raise _Bad("takes a number")
    return float(v)


def _choice(*words: str) -> Callable[[Value], str]:
    def read(v: Value) -> str:
        if not isinstance(v, str) or v not in words:
            raise _Bad("takes " + " or ".join(f"'{w}'" for w in words))
        return str(v)

    return read


def _conv_padding(v: Value) -> tuple[int, int] | str:
    if isinstance(v, str):
        return _choice("same", "valid")(v)
    try:
        return _pair(0)(v)
    except _Bad:
        raise _Bad("takes a whole number >= 0, a pair such as (1, 1), 'same' or 'valid'") from None


def _output_size(v: Value) -> tuple[int | None, int | None]:
    values = v if isinstance(v, tuple) else (v, v)
    if len(values) != 2 or not all(x is None or (_is_int(x) and x >= 1) for x in values):  # type: ignore[operator]
        raise _Bad("takes a whole number >= 1 or a pair of them, where None keeps the input's size")
    return values  # type: ignore[return-value]


def _shown(value: Any) -> str:
    if isinstance(value, tuple):
        if len(value) == 2 and value[0] == value[1]:
            return _shown(value[0])
        return "(" + ", ".join(_shown(v) for v in value) + ")"
    if isinstance(value, Word):
        return str(value)
    if isinstance(value, str):
        return f"'{value}'"
    return str(value)


# ---------------------------------------------------------------------------------------------
# layers


class _Mismatch(Exception):
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
            except _Bad as exc:
                raise call.error(
                    f"{call.name}: {param.name} {exc}, found {_shown(value)}", position
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
                parts.append(_shown(value))
            elif param.name not in _QUIET and value != param.default and not self._implied(param.name):
                parts.append(f"{param.name}={_shown(value)}")
        return f"{self.kind}({', '.join(parts)})"

    def _implied(self, name: str) -> bool:
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
            *_field_lines(row, None),
        ]

    def needs_image(self, given: Given) -> tuple[int, int, int]:
        if len(given.shape) != 3:
            raise _Mismatch(f"expects a C x H x W input (channels and two spatial axes); {given.text()}")
        return given.shape  # type: ignore[return-value]

    def needs_channels(self, given: Given, channels: int, what: str) -> tuple[int, int, int]:
        c, h, w = self.needs_image(given)
        if c != channels:
            raise _Mismatch(
                f"expects {channels} {what}; {given.origin} gives {dims_text(given.shape)} "
                f"({c} channel{'s' if c != 1 else ''})"
            )
        return c, h, w


def _axis_names(n: int) -> list[str]:
    return ["height", "width"] if n == 2 else [f"axis {i}" for i in range(n)]


def _per_axis(label: str, texts: list[str]) -> list[tuple[str, str]]:
    """One line when the axes agree, else one per axis."""
    if len(set(texts)) == 1:
        return [(label, texts[0] + ("" if len(texts) == 1 else " (height and width)"))]
    return [(f"{label} ({name})", text) for name, text in zip(_axis_names(len(texts)), texts, strict=True)]


# one axis's field, jump and start formulas filled in, from the field before and after a layer
_Formula = Callable[[AxisField, AxisField, int], tuple[str, str, str]]


def _field_lines(row: LayerRow, formula: _Formula | None) -> list[tuple[str, str]]:
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
        lines += _per_axis(label, [r[k] for r in rows])
    return lines


def _window_formula(
    k: tuple[int, ...], s: tuple[int, ...], p: tuple[int, ...], d: tuple[int, ...]
) -> _Formula:
    def formula(before: AxisField, after: AxisField, i: int) -> tuple[str, str, str]:
        r, j, st = rational_text(before.size), rational_text(before.jump), rational_text(before.start)
        return (
            f"r = r + d(k−1)·j = {r} + {d[i]}·({k[i]}−1)·{j} = {rational_text(after.size)}",
            f"j = j·s = {j}·{s[i]} = {rational_text(after.jump)}",
            f"start = start + (d(k−1)/2 − p)·j = {st} + ({d[i]}·({k[i]}−1)/2 − {p[i]})·{j} "
            f"= {rational_text(after.start)}",
        )

    return formula


def _grouped(n: int, groups: int) -> str:
    return f"{n}/{groups}"


@dataclass(frozen=True)
class _Convolution(Layer):
    """What Conv2d and ConvTranspose2d share: groups, and C_in · C_out/groups · kh · kw weights."""

    elementwise: ClassVar[bool] = False
    positional_in_short: ClassVar[int] = 3

    def check(self) -> None:
        v = self.values
        for name in ("in_channels", "out_channels"):
            if v[name] % v["groups"]:
                raise self.refuse(f"{name} ({v[name]}) must be divisible by groups ({v['groups']})", "groups")

    def params(self) -> int:
        v = self.values
        kh, kw = v["kernel_size"]
        weights = v["in_channels"] * v["out_channels"] // v["groups"] * kh * kw
        return weights + (v["out_channels"] if v["bias"] else 0)

    def taps(self, channels: str) -> int:
        """What one element costs: C/groups · kh · kw, C being in_channels or out_channels."""
        v = self.values
        kh, kw = v["kernel_size"]
        return v[channels] // v["groups"] * kh * kw


@dataclass(frozen=True)
class Conv2d(_Convolution):
    kind: ClassVar[str] = "Conv2d"
    signature: ClassVar[tuple[Param, ...]] = (
        Param("in_channels", read=_whole(1)),
        Param("out_channels", read=_whole(1)),
        Param("kernel_size", read=_pair(1)),
        Param("stride", (1, 1), _pair(1)),
        Param("padding", (0, 0), _conv_padding),
        Param("dilation", (1, 1), _pair(1)),
        Param("groups", 1, _whole(1)),
        Param("bias", True, _flag),
        Param("padding_mode", "zeros", _choice("zeros", "reflect", "replicate", "circular")),
        Param("device", None),
        Param("dtype", None),
    )

    def check(self) -> None:
        super().check()
        v = self.values
        if v["padding"] == "same" and v["stride"] != (1, 1):
            raise self.refuse(
                "padding='same' is not supported with a stride above 1 (as in torch)", "padding"
            )

    def _implied(self, name: str) -> bool:
        return name == "padding" and self.values["padding"] == "valid"

    def pads(self) -> tuple[tuple[int, int], ...]:
        """(before, after) padding per axis; 'same' pads d(k-1) in all, the odd cell after (torch)."""
        pad = self.values["padding"]
        k, d = self.values["kernel_size"], self.values["dilation"]
        if pad == "same":
            return tuple((t // 2, t - t // 2) for t in (d[i] * (k[i] - 1) for i in range(2)))
        if pad == "valid":
            return ((0, 0), (0, 0))
        return ((pad[0], pad[0]), (pad[1], pad[1]))

    def output(self, given: Given) -> tuple[int, ...]:
        v = self.values
        _, h, w = self.needs_channels(given, v["in_channels"], "input channels")
        sizes = []
        for i, n in enumerate((h, w)):
            before, after = self.pads()[i]
            mode = v["padding_mode"]
            if (mode == "reflect" and max(before, after) >= n) or (
                mode == "circular" and max(before, after) > n
            ):
                limit = "less than" if mode == "reflect" else "at most"
                raise _Mismatch(
                    f"pads {max(before, after)} by {mode}, which must be {limit} the input size; "
                    f"{given.text()}"
                )
            sizes.append(
                _size(
                    _axis_names(2)[i],
                    shapes.output_size,
                    n + before + after,
                    v["kernel_size"][i],
                    v["stride"][i],
                    0,
                    v["dilation"][i],
                )
            )
        return (v["out_channels"], *sizes)

    def macs(self, shape: tuple[int, ...], out: tuple[int, ...]) -> int:
        return math.prod(out) * self.taps("in_channels")

    def field(self, f: Field, shape: tuple[int, ...]) -> Field:
        v = self.values
        return tuple(
            None
            if a is None
            else a.window(v["kernel_size"][i], v["stride"][i], self.pads()[i][0], v["dilation"][i])
            for i, a in enumerate(f)
        )

    def explain(self, row: LayerRow) -> list[tuple[str, str]]:
        v = self.values
        k, s, d, g = v["kernel_size"], v["stride"], v["dilation"], v["groups"]
        c_in, c_out = v["in_channels"], v["out_channels"]
        sizes = []
        for i in range(2):
            n = row.input[1 + i]
            before, after = self.pads()[i]
            if v["padding"] == "same":
                sizes.append(
                    f"padding='same' pads d(k−1) = {d[i]}·({k[i]}−1) = {before + after} ({before} before, "
                    f"{after} after): o = i = {n}"
                )
            else:
                sizes.append(shapes.output_size_text(n, k[i], s[i], before, d[i]))
        bias = " + 1" if v["bias"] else ""
        per = c_in // g
        lines = [("channels", f"C_out = out_channels = {c_out}")]
        lines += _per_axis("size", sizes)
        lines += [
            (
                "params",
                f"(C_in/groups · kh · kw{bias}) · C_out = "
                f"({_grouped(c_in, g)} · {k[0]} · {k[1]}{bias}) · {c_out} = {row.params:,}",
            ),
            (
                "MACs",
                f"output elements · C_in/groups · kh · kw = {'·'.join(map(str, row.output))} · "
                f"{_grouped(c_in, g)}·{k[0]}·{k[1]} = {math.prod(row.output):,} · {per * k[0] * k[1]:,} "
                f"= {row.macs:,}",
            ),
        ]
        pads = tuple(p[0] for p in self.pads())
        return lines + _field_lines(row, _window_formula(k, s, pads, d))


@dataclass(frozen=True)
class ConvTranspose2d(_Convolution):
    kind: ClassVar[str] = "ConvTranspose2d"
    signature: ClassVar[tuple[Param, ...]] = (
        Param("in_channels", read=_whole(1)),
        Param("out_channels", read=_whole(1)),
        Param("kernel_size", read=_pair(1)),
        Param("stride", (1, 1), _pair(1)),
        Param("padding", (0, 0), _pair(0)),
        Param("output_padding", (0, 0), _pair(0)),
        Param("groups", 1, _whole(1)),
        Param("bias", True, _flag),
        Param("dilation", (1, 1), _pair(1)),
        Param("padding_mode", "zeros", _choice("zeros")),
        Param("device", None),
        Param("dtype", None),
    )

    def check(self) -> None:
        super().check()
        v = self.values
        for i in range(2):
            a, s, d = v["output_padding"][i], v["stride"][i], v["dilation"][i]
            try:
                check_output_padding(a, s, d)
            except UsageError:
                raise self.refuse(
                    f"output_padding ({a}) must be smaller than the stride ({s}) or the dilation ({d}), "
                    "as torch requires",
                    "output_padding",
                ) from None

    def output(self, given: Given) -> tuple[int, ...]:
        v = self.values
        _, h, w = self.needs_channels(given, v["in_channels"], "input channels")
        sizes = [
            _size(
                _axis_names(2)[i],
                shapes.transposed_size,
                n,
                v["kernel_size"][i],
                v["stride"][i],
                v["padding"][i],
                v["dilation"][i],
                v["output_padding"][i],
            )
            for i, n in enumerate((h, w))
        ]
        return (v["out_channels"], *sizes)

    def macs(self, shape: tuple[int, ...], out: tuple[int, ...]) -> int:
        return math.prod(shape) * self.taps("out_channels")

    def field(self, f: Field, shape: tuple[int, ...]) -> Field:
        v = self.values
        return tuple(
            None
            if a is None
            else a.stuffed(v["kernel_size"][i], v["stride"][i], v["padding"][i], v["dilation"][i])
            for i, a in enumerate(f)
        )

    def explain(self, row: LayerRow) -> list[tuple[str, str]]:
        v = self.values
        k, s, p, d, g = v["kernel_size"], v["stride"], v["padding"], v["dilation"], v["groups"]
        a = v["output_padding"]
        c_in, c_out = v["in_channels"], v["out_channels"]
        bias = f" + {c_out}" if v["bias"] else ""
        lines = [("channels", f"C_out = out_channels = {c_out}")]
        lines += _per_axis(
            "size",
            [shapes.transposed_size_text(row.input[1 + i], k[i], s[i], p[i], d[i], a[i]) for i in range(2)],
        )
        lines += [
            (
                "params",
                f"C_in · C_out/groups · kh · kw{' + C_out' if bias else ''} = "
                f"{c_in} · {_grouped(c_out, g)} · {k[0]} · {k[1]}{bias} = {row.params:,}",
            ),
            (
                "MACs",
                f"input elements · C_out/groups · kh · kw = {'·'.join(map(str, row.input))} · "
                f"{_grouped(c_out, g)}·{k[0]}·{k[1]} = {row.macs:,}",
            ),
        ]

        def formula(before: AxisField, after: AxisField, i: int) -> tuple[str, str, str]:
            r, j, st = rational_text(before.size), rational_text(before.jump), rational_text(before.start)
            return (
                f"r = r + d(k−1)·j/s = {r} + {d[i]}·({k[i]}−1)·{j}/{s[i]} = {rational_text(after.size)}",
                f"j = j/s = {j}/{s[i]} = {rational_text(after.jump)}",
                f"start = start + (p − d(k−1)/2)·j/s = {st} + ({p[i]} − {d[i]}·({k[i]}−1)/2)·{j}/{s[i]} "
                f"= {rational_text(after.start)}",
            )

        return lines + _field_lines(row, formula)


@dataclass(frozen=True)
class MaxPool2d(Layer):
    kind: ClassVar[str] = "MaxPool2d"
    elementwise: ClassVar[bool] = False
    signature: ClassVar[tuple[Param, ...]] = (
        Param("kernel_size", read=_pair(1)),
        Param("stride", None, _optional(_pair(1))),
        Param("padding", (0, 0), _pair(0)),
        Param("dilation", (1, 1), _pair(1)),
        Param("return_indices", False, _flag),
        Param("ceil_mode", False, _flag),
    )
    positional_in_short: ClassVar[int] = 1

    def _implied(self, name: str) -> bool:
        return name == "stride" and self.values["stride"] == self.values["kernel_size"]

    def geometry(self) -> tuple[tuple[int, int], tuple[int, int], tuple[int, int], tuple[int, int]]:
        v = self.values
        k = v["kernel_size"]
        stride = k if v["stride"] is None else v["stride"]
        return k, stride, v["padding"], v.get("dilation", (1, 1))

    def check(self) -> None:
        k, _, p, _ = self.geometry()
        for i in range(2):
            try:
                shapes.check_pool_padding(k[i], p[i])
            except UsageError as exc:
                raise self.refuse(exc.message, "padding") from None

    def output(self, given: Given) -> tuple[int, ...]:
        c, h, w = self.needs_image(given)
        k, s, p, d = self.geometry()
        ceil = self.values["ceil_mode"]
        sizes = [
            _size(_axis_names(2)[i], shapes.pool_output_size, n, k[i], s[i], p[i], d[i], ceil)
            for i, n in enumerate((h, w))
        ]
        return (c, *sizes)

    def field(self, f: Field, shape: tuple[int, ...]) -> Field:
        k, s, p, d = self.geometry()
        return tuple(None if a is None else a.window(k[i], s[i], p[i], d[i]) for i, a in enumerate(f))

    def explain(self, row: LayerRow) -> list[tuple[str, str]]:
        k, s, p, d = self.geometry()
        ceil = self.values["ceil_mode"]
        lines = [("channels", f"unchanged, {row.output[0]}")]
        lines += _per_axis(
            "size", [shapes.pool_size_text(row.input[1 + i], k[i], s[i], p[i], d[i], ceil) for i in range(2)]
        )
        lines += [("params", "0"), ("MACs", "0 (pooling is not counted)")]
        return lines + _field_lines(row, _window_formula(k, s, p, d))


@dataclass(frozen=True)
class AvgPool2d(MaxPool2d):
    kind: ClassVar[str] = "AvgPool2d"
    signature: ClassVar[tuple[Param, ...]] = (
        Param("kernel_size", read=_pair(1)),
        Param("stride", None, _optional(_pair(1))),
        Param("padding", (0, 0), _pair(0)),
        Param("ceil_mode", False, _flag),
        Param("count_include_pad", True, _flag),
        Param("divisor_override", None, _optional(_whole(1))),
    )


@dataclass(frozen=True)
class AdaptiveAvgPool2d(Layer):
    kind: ClassVar[str] = "AdaptiveAvgPool2d"
    elementwise: ClassVar[bool] = False
    signature: ClassVar[tuple[Param, ...]] = (Param("output_size", read=_output_size),)
    positional_in_short: ClassVar[int] = 1

    def sizes(self, h: int, w: int) -> tuple[int, int]:
        target = self.values["output_size"]
        return (h if target[0] is None else target[0], w if target[1] is None else target[1])

    def output(self, given: Given) -> tuple[int, ...]:
        c, h, w = self.needs_image(given)
        return (c, *self.sizes(h, w))

    def field(self, f: Field, shape: tuple[int, ...]) -> Field:
        out = self.sizes(shape[1], shape[2])
        new: list[AxisField | None] = []
        for a, n, o in zip(f, shape[1:], out, strict=True):
            if a is None or n == o:
                new.append(a)
            elif n % o == 0 and o > 1:
                new.append(a.window(n // o, n // o, 0, 1))
            else:
                new.append(None)
        return tuple(new)

    def whole_reason(self) -> str:
        return "a global pool, or windows of unequal sizes"

    def explain(self, row: LayerRow) -> list[tuple[str, str]]:
        texts = []
        for i in range(2):
            n, o = row.input[1 + i], row.output[1 + i]
            if n == o:
                texts.append(f"o = {o}, the input's size: the identity")
            elif n % o == 0 and o > 1:
                texts.append(f"o = {o}: {n}/{o} = {n // o}, a pool with kernel = stride = {n // o}")
            elif o == 1:
                texts.append("o = 1: one window over the whole axis (global pooling)")
            else:
                texts.append(
                    f"o = {o}: windows from floor(i·{n}/{o}) to ceil((i+1)·{n}/{o}), of unequal sizes"
                )
        lines = [("channels", f"unchanged, {row.output[0]}")] + _per_axis("size", texts)
        lines += [("params", "0"), ("MACs", "0 (pooling is not counted)")]

        def formula(before: AxisField, after: AxisField, i: int) -> tuple[str, str, str]:
            n, o = row.input[1 + i], row.output[1 + i]
            if n == o:
                return (
                    "unchanged: " + rational_text(after.size),
                    rational_text(after.jump),
                    rational_text(after.start),
                )
            return _window_formula((n // o,) * 2, (n // o,) * 2, (0, 0), (1, 1))(before, after, i)

        return lines + _field_lines(row, formula)


@dataclass(frozen=True)
class AdaptiveMaxPool2d(AdaptiveAvgPool2d):
    kind: ClassVar[str] = "AdaptiveMaxPool2d"
    signature: ClassVar[tuple[Param, ...]] = (
        Param("output_size", read=_output_size),
        Param("return_indices", False, _flag),
    )


@dataclass(frozen=True)
class BatchNorm2d(Layer):
    kind: ClassVar[str] = "BatchNorm2d"
    signature: ClassVar[tuple[Param, ...]] = (
        Param("num_features", read=_whole(1)),
        Param("eps", 1e-05, _real),
        Param("momentum", 0.1, _optional(_real)),
        Param("affine", True, _flag),
        Param("track_running_stats", True, _flag),
        Param("device", None),
        Param("dtype", None),
        Param("bias", True, _flag),
    )
    positional_in_short: ClassVar[int] = 1

    def _implied(self, name: str) -> bool:
        return name == "bias" and not self.values["affine"]

    def output(self, given: Given) -> tuple[int, ...]:
        self.needs_channels(given, self.values["num_features"], "channels (num_features)")
        return given.shape

    def params(self) -> int:
        v = self.values
        return v["num_features"] * (int(v["affine"]) + int(v["affine"] and v["bias"]))

    def explain(self, row: LayerRow) -> list[tuple[str, str]]:
        v = self.values
        c = v["num_features"]
        if not v["affine"]:
            params = "0: affine=False has no weight or bias"
        elif not v["bias"]:
            params = f"C = {c} (a weight per channel; bias=False)"
        else:
            params = f"2 · C = 2 · {c} = {row.params:,} (a weight and a bias per channel)"
        return [
            ("output", f"the input's shape, {dims_text(row.output)}"),
            ("params", params + "; the running mean and variance are buffers, not parameters"),
            ("MACs", "0 (normalization is not counted)"),
        ]


@dataclass(frozen=True)
class Flatten(Layer):
    kind: ClassVar[str] = "Flatten"
    elementwise: ClassVar[bool] = False
    signature: ClassVar[tuple[Param, ...]] = (
        Param("start_dim", 1, _integer),
        Param("end_dim", -1, _integer),
    )
    positional_in_short: ClassVar[int] = 0

    def dims(self, shape: tuple[int, ...]) -> tuple[int, int]:
        """start_dim and end_dim as axes of ``shape`` (torch counts the batch axis as dim 0)."""
        rank = len(shape) + 1
        first, last = self.values["start_dim"], self.values["end_dim"]
        for name, dim in (("start_dim", first), ("end_dim", last)):
            if not -rank <= dim < rank:
                raise _Mismatch(
                    f"{name}={dim} is out of range: with the batch axis the input has {rank} dims "
                    f"(-{rank} to {rank - 1}); it is {dims_text(shape)}"
                )
        first, last = first % rank, last % rank
        if first == 0:
            raise _Mismatch(
                "also flattens the batch axis (start_dim=0); the chain follows one sample, so "
                "start_dim must be at least 1"
            )
        if first > last:
            raise _Mismatch(f"start_dim ({first}) comes after end_dim ({last})")
        return first - 1, last - 1

    def output(self, given: Given) -> tuple[int, ...]:
        a, b = self.dims(given.shape)
        s = given.shape
        return (*s[:a], math.prod(s[a : b + 1]), *s[b + 1 :])

    def field(self, f: Field, shape: tuple[int, ...]) -> Field:
        a, b = self.dims(shape)
        return f if a == b else tuple(None for _ in f)

    def whole_reason(self) -> str:
        return "Flatten: what follows reads all positions as one vector"

    def explain(self, row: LayerRow) -> list[tuple[str, str]]:
        a, b = self.dims(row.input)
        merged = row.input[a : b + 1]
        return [
            (
                "output",
                f"{'·'.join(map(str, merged))} = {math.prod(merged):,} values in one axis: "
                f"{dims_text(row.input)} -> {dims_text(row.output)}",
            ),
            ("params", "0"),
            ("MACs", "0"),
            *_field_lines(row, None),
        ]


@dataclass(frozen=True)
class Linear(Layer):
    kind: ClassVar[str] = "Linear"
    elementwise: ClassVar[bool] = False
    signature: ClassVar[tuple[Param, ...]] = (
        Param("in_features", read=_whole(1)),
        Param("out_features", read=_whole(1)),
        Param("bias", True, _flag),
        Param("device", None),
        Param("dtype", None),
    )
    positional_in_short: ClassVar[int] = 2

    def reads_flattened(self, shape: tuple[int, ...]) -> bool:
        """Whether the input must be flattened first: several axes whose product, not the last
        axis, is in_features (forward() calls torch.flatten, which print(model) does not show)."""
        n = self.values["in_features"]
        return len(shape) > 1 and shape[-1] != n and math.prod(shape) == n

    def output(self, given: Given) -> tuple[int, ...]:
        n = self.values["in_features"]
        if self.reads_flattened(given.shape):
            return (self.values["out_features"],)
        if given.shape[-1] != n:
            raise _Mismatch(f"expects {n} inputs; {given.text()}")
        return (*given.shape[:-1], self.values["out_features"])

    def params(self) -> int:
        v = self.values
        return v["in_features"] * v["out_features"] + (v["out_features"] if v["bias"] else 0)

    def macs(self, shape: tuple[int, ...], out: tuple[int, ...]) -> int:
        v = self.values
        rows = 1 if self.reads_flattened(shape) else math.prod(shape[:-1])
        return rows * v["in_features"] * v["out_features"]

    def field(self, f: Field, shape: tuple[int, ...]) -> Field:
        return tuple(None for _ in f)

    def whole_reason(self) -> str:
        return "Linear: every output reads every input"

    def explain(self, row: LayerRow) -> list[tuple[str, str]]:
        v = self.values
        n, m = v["in_features"], v["out_features"]
        rows = 1 if self.reads_flattened(row.input) else math.prod(row.input[:-1])
        bias = " + 1" if v["bias"] else ""
        lines = [("output", f"out_features = {m}" + (f", for each of {rows:,} rows" if rows > 1 else ""))]
        if self.reads_flattened(row.input):
            lines.append(("input", f"{dims_text(row.input)} read flattened, {n:,} values"))
        lines += [
            ("params", f"(in{bias}) · out = ({n}{bias}) · {m} = {row.params:,}"),
            ("MACs", f"in · out = {n} · {m}" + (f" · {rows} rows" if rows > 1 else "") + f" = {row.macs:,}"),
            *_field_lines(row, None),
        ]
        return lines


@dataclass(frozen=True)
class Softmax(Layer):
    kind: ClassVar[str] = "Softmax"
    signature: ClassVar[tuple[Param, ...]] = (Param("dim", None, _optional(_integer)),)

    def axis(self, shape: tuple[int, ...]) -> int:
        """The axis of ``shape`` softmax normalises over (torch counts the batch axis as dim 0;
        dim=None is torch's legacy choice: 0 for 0-, 1- and 3-D tensors, else 1)."""
        rank = len(shape) + 1
        dim = self.values["dim"]
        if dim is None:
            dim = 0 if rank in (0, 1, 3) else 1
        if not -rank <= dim < rank:
            raise _Mismatch(f"dim={dim} is out of range for {rank} dims (with the batch axis)")
        return dim % rank - 1

    def output(self, given: Given) -> tuple[int, ...]:
        self.axis(given.shape)
        return given.shape

    def field(self, f: Field, shape: tuple[int, ...]) -> Field:
        axis = self.axis(shape)
        if len(shape) == 3 and axis in (1, 2) and len(f) == 2:
            return tuple(None if i == axis - 1 else a for i, a in enumerate(f))
        return f

    def whole_reason(self) -> str:
        return "a softmax over a spatial axis reads all of it"


def _elementwise(name: str, *signature: Param) -> type[Layer]:
    return type(name, (Layer,), {"kind": name, "signature": signature, "__annotations__": {}})


_INPLACE = Param("inplace", False, _flag)
_LAYERS: dict[str, type[Layer]] = {
    cls.kind: cls
    for cls in (
        Conv2d,
        ConvTranspose2d,
        MaxPool2d,
        AvgPool2d,
        AdaptiveAvgPool2d,
        AdaptiveMaxPool2d,
        BatchNorm2d,
        Flatten,
        Linear,
        Softmax,
        _elementwise("Dropout", Param("p", 0.5, _probability), _INPLACE),
        _elementwise("Dropout2d", Param("p", 0.5, _probability), _INPLACE),
        _elementwise("Identity"),
        _elementwise("ReLU", _INPLACE),
        _elementwise("ReLU6", _INPLACE),
        _elementwise("LeakyReLU", Param("negative_slope", 0.01, _real), _INPLACE),
        _elementwise("ELU", Param("alpha", 1.0, _real), _INPLACE),
        _elementwise("Sigmoid"),
        _elementwise("Tanh"),
        _elementwise("GELU", Param("approximate", "none", _choice("none", "tanh"))),
        _elementwise("SiLU", _INPLACE),
        _elementwise("Hardswish", _INPLACE),
        _elementwise("Hardsigmoid", _INPLACE),
        _elementwise("Mish", _INPLACE),
    )
}


def known_layers() -> list[str]:
    """The layer classes convcli follows, in alphabetical order."""
    return sorted(_LAYERS)


def _layer(call: Call) -> Layer:
    cls = _LAYERS.get(call.name)
    if cls is None:
        close = difflib.get_close_matches(call.name, list(_LAYERS), n=1, cutoff=0.6)
        close += [k for k in _LAYERS if k.lower() == call.name.lower()]
        hint = f"did you mean {close[-1]}? " if close else ""
        raise call.error(f"unknown layer {call.name}; {hint}known layers: {', '.join(known_layers())}")
    return cls.bind(call)


def _size(axis: str, rule: Callable[..., int], *args: Any) -> int:
    """One axis's output size by a rule of shapes.py; a size below 1 says which axis."""
    try:
        return rule(*args)
    except ShapeError as exc:
        raise _Mismatch(f"leaves no output along the {axis}: {exc.message}") from None
    except UsageError as exc:
        raise _Mismatch(f"is refused: {exc.message}") from None


# ---------------------------------------------------------------------------------------------
# following a chain


@dataclass(frozen=True)
class LayerRow:
    """One layer's numbers. ``field_in`` and ``field`` are the receptive field before and after
    it; ``path`` is the module's dotted name in print(model) ('' for a layer given on its own);
    ``branch`` names the branch it belongs to, if any."""

    index: int
    layer: Layer
    input: tuple[int, ...]
    output: tuple[int, ...]
    params: int
    macs: int
    field_in: Field
    field: Field
    path: str = ""
    branch: str | None = None

    @property
    def text(self) -> str:
        """The layer as written."""
        return self.layer.call.text

    @property
    def short(self) -> str:
        """The layer with only what differs from torch's defaults: Conv2d(3, 6, 5)."""
        return self.layer.short()

    def describe(self, spatial: tuple[int, ...]) -> dict[str, Any]:
        """The row as SPEC §8's JSON has it."""
        return {
            "index": self.index,
            "layer": self.text,
            "output": list(self.output),
            "params": self.params,
            "macs": self.macs,
            **field_json(self.field, spatial),
        }


@dataclass(frozen=True)
class Network:
    """A chain followed from ``input``: a row per layer, the notes to show with them, and the
    totals."""

    input: tuple[int, ...]
    rows: tuple[LayerRow, ...]
    notes: tuple[str, ...] = ()

    @property
    def spatial(self) -> tuple[int, ...]:
        """The input's spatial sizes (H, W), or () for a flat input."""
        return self.input[1:] if len(self.input) == 3 else ()

    @property
    def output(self) -> tuple[int, ...]:
        main = [row for row in self.rows if row.branch is None]
        return main[-1].output if main else self.input

    @property
    def params(self) -> int:
        return sum(row.params for row in self.rows)

    @property
    def macs(self) -> int:
        return sum(row.macs for row in self.rows)

    @property
    def flops(self) -> int:
        return 2 * self.macs

    def cells(self, *, grouped: bool = False) -> list[list[str]]:
        """A row of cells per layer, as HEADERS names them; ``grouped`` writes counts with
        thousands separators (for people)."""

        def count(n: int) -> str:
            return f"{n:,}" if grouped else str(n)

        return [
            [
                str(row.index),
                row.short,
                dims_text(row.output),
                count(row.params),
                count(row.macs),
                *field_texts(row.field),
            ]
            for row in self.rows
        ]

    def describe(self) -> dict[str, Any]:
        """The network as SPEC §8's JSON has it."""
        return {
            "input": list(self.input),
            "layers": [row.describe(self.spatial) for row in self.rows],
            "params": self.params,
            "macs": self.macs,
            "flops": self.flops,
        }


@dataclass
class _State:
    shape: tuple[int, ...]
    field: Field
    unflattened: tuple[int, ...]


def input_shape(values: tuple[int, ...]) -> tuple[int, ...]:
    """--input as a network input: C x H x W, or N for a flat vector of N features."""
    if len(values) in (1, 3):
        return values
    if len(values) == 4:
        raise UsageError(
            f"--input takes one sample, without the batch axis: C x H x W such as 3x32x32; got "
            f"{dims_text(values)}"
        )
    raise UsageError(
        f"--input takes C x H x W (such as 3x32x32, or 1x{values[-1]}x{values[-1]} for one channel), "
        f"or N for a flat vector of N features; got {dims_text(values)}"
    )


def follow_calls(shape: tuple[int, ...], texts: Sequence[str]) -> Network:
    """Follow layers given one by one as text, such as ``["Conv2d(3, 6, 5)", "MaxPool2d(2)"]``."""
    return follow(shape, [Entry(parse_call(text, f"layer {i}")) for i, text in enumerate(texts, start=1)])


def follow(shape: tuple[int, ...], entries: Sequence[Entry]) -> Network:
    """Follow a chain of layers from an input of ``shape``, counting as SPEC §8 says.

    Parameters
    ----------
    shape : tuple of int
        One sample without the batch axis: (C, H, W), or (N,) for a flat vector.
    entries : sequence of Entry
        The layers in order, from ``modeltext.parse_model`` (print(model)) or ``parse_call``.

    Returns
    -------
    Network
        A row per layer (output shape, parameters, MACs, receptive field before and after),
        the totals, and notes (branches, an implied flatten, what print(model) hides).

    Raises
    ------
    ShapeError
        A layer that does not fit its input (channels, in_features, a size below 1), naming its
        position, its text and both numbers.
    ParseError
        An argument a layer does not take, located where it is written.

    Notes
    -----
    The field follows r = r + d(k-1)j, j = js, start = start + (d(k-1)/2 - p)j from r = 1,
    j = 1, start = 0; see the module docstring for transposed convolutions, adaptive pools and
    branches. A layer in a branch reads the input of the block around it; the chain continues
    from the main path.

    Examples
    --------
    >>> net = follow_calls((3, 32, 32), ["Conv2d(3, 6, 5)", "MaxPool2d(2)"])
    >>> [(row.output, row.params, row.macs) for row in net.rows]
    [((6, 28, 28), 456, 352800), ((6, 14, 14), 0, 0)]
    >>> field_texts(net.rows[-1].field)
    ('6', '2', '2.5')
    """
    shape = input_shape(tuple(shape))
    spatial = shape[1:] if len(shape) == 3 else ()
    start = _State(shape, tuple(AxisField(Fraction(1), Fraction(1), Fraction(0)) for _ in spatial), shape)
    main = start
    entered: dict[int, _State] = {}
    branch_state: _State | None = None
    branch: Branch | None = None
    branch_rows: list[LayerRow] = []
    pending: list[tuple[Branch, list[LayerRow]]] = []
    rows: list[LayerRow] = []
    notes: list[str] = []
    for index, entry in enumerate(entries, start=1):
        for block in list(pending):
            if block[0].block not in entry.containers:
                notes.append(_branch_note(block[0], block[1], main.shape))
                pending.remove(block)
        for container in entry.containers:
            entered.setdefault(container, main)
        if entry.branch is not None:
            if branch is None or entry.branch.instance != branch.instance:
                branch, branch_rows = entry.branch, []
                pending.append((branch, branch_rows))
                branch_state = entered.get(branch.block, start)
            assert branch_state is not None
            row, branch_state = _step(index, entry, branch_state, "the block's input", spatial)
            branch_rows.append(row)
        else:
            branch = None
            origin = "the input" if main is start else "the previous layer"
            row, main = _step(index, entry, main, origin, spatial)
            hidden = _hidden_ceil_mode(row, entry)
            if hidden:
                notes.append(hidden)
            if isinstance(row.layer, Linear) and row.layer.reads_flattened(row.input):
                notes.append(
                    f"layer {index}: {row.short} reads its {dims_text(row.input)} input flattened "
                    f"({math.prod(row.input):,} values), as forward() does with torch.flatten; "
                    "print(model) does not show that step"
                )
        rows.append(row)
    for block in pending:
        notes.append(_branch_note(block[0], block[1], main.shape))
    return Network(shape, tuple(rows), tuple(notes))


def _step(
    index: int, entry: Entry, state: _State, origin: str, spatial: tuple[int, ...]
) -> tuple[LayerRow, _State]:
    layer = _layer(entry.call)
    given = Given(state.shape, origin, state.unflattened)
    try:
        out = layer.output(given)
        f = layer.field(state.field, state.shape)
    except _Mismatch as exc:
        where = f"{entry.call.source}:{entry.call.line}: " if entry.call.line is not None else ""
        raise ShapeError(f"{where}layer {index}: {entry.call.text} {exc}", short=str(exc)) from None
    row = LayerRow(
        index,
        layer,
        state.shape,
        out,
        layer.params(),
        layer.macs(state.shape, out),
        state.field,
        f,
        entry.path,
        entry.branch.path if entry.branch else None,
    )
    # messages about a flat vector name the shape a Flatten made it from (16x4x4 = 256)
    keep = layer.elementwise or isinstance(layer, Flatten)
    return row, _State(out, f, state.unflattened if keep else out)


def _hidden_ceil_mode(row: LayerRow, entry: Entry) -> str | None:
    """print(model) shows AvgPool2d without its ceil_mode: say so where ceil mode would change
    the size (the chain assumes torch's default, False)."""
    if not isinstance(row.layer, AvgPool2d) or entry.call.line is None:
        return None
    if any(key == "ceil_mode" for key, _ in entry.call.kwargs) or len(entry.call.args) > 3:
        return None
    k, s, p, d = row.layer.geometry()
    ceil = tuple(
        shapes.pool_output_size(n, k[i], s[i], p[i], d[i], True) for i, n in enumerate(row.input[1:])
    )
    if ceil == row.output[1:]:
        return None
    return (
        f"layer {row.index}: print(model) does not show AvgPool2d's ceil_mode; with the default, False, "
        f"it gives {dims_text(row.output)}, with ceil_mode=True {dims_text((row.output[0], *ceil))}"
    )


def _branch_note(branch: Branch, rows: list[LayerRow], main: tuple[int, ...]) -> str:
    first, last = rows[0].index, rows[-1].index
    one = first == last
    which = f"layer {first}" if one else f"layers {first}-{last}"
    out = dims_text(rows[-1].output)
    its, it = ("its", "it") if one else ("their", "they")
    added = (
        f"{its} output {out} is added to the main path's"
        if rows[-1].output == main
        else f"{its} output {out} cannot be added to the main path's"
    )
    return (
        f"{which} ({branch.path}) {'is a branch' if one else 'are a branch'}: {it} "
        f"{'reads' if one else 'read'} the block's input ({dims_text(rows[0].input)}) and {added} "
        f"{dims_text(main)}; a chain cannot model the addition, so the rows after "
        f"{'it' if one else 'them'} continue from the main path"
    )


# ---------------------------------------------------------------------------------------------
# one layer explained


@dataclass(frozen=True)
class Explanation:
    """One layer's numbers with the formulas filled in: (label, text) lines."""

    row: LayerRow
    lines: tuple[tuple[str, str], ...]

    @property
    def title(self) -> str:
        return (
            f"layer {self.row.index}: {self.row.short} · input {dims_text(self.row.input)} "
            f"-> output {dims_text(self.row.output)}"
        )


def explain(network: Network, at: int) -> Explanation:
    """Layer ``at`` (1-based, as the table numbers them) with its formulas filled in."""
    if not 1 <= at <= len(network.rows):
        raise UsageError(f"--at takes a layer number from 1 to {len(network.rows)}, got {at}")
    row = network.rows[at - 1]
    return Explanation(row, tuple(row.layer.explain(row)))
