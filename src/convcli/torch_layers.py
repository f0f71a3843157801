"""The torch layers network arithmetic knows, one class each: how it reads its arguments as torch
does, its output shape, parameters and MACs, how it moves the receptive field, and its formulas
filled in for ``layers --at``. A reader opens the class of the layer at hand; layers.py follows a
chain of them."""

from __future__ import annotations

import difflib
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

from . import shapes
from .errors import ParseError, ShapeError, UsageError
from .fields import AxisField, Field, rational_text
from .modeltext import Call, Value, Word
from .text import dims_text
from .transpose import check_output_padding

if TYPE_CHECKING:
    from .layers import LayerRow

__all__ = [
    "REQUIRED",
    "Param",
    "Mismatch",
    "Given",
    "Layer",
    "Conv2d",
    "ConvTranspose2d",
    "MaxPool2d",
    "AvgPool2d",
    "AdaptiveAvgPool2d",
    "AdaptiveMaxPool2d",
    "BatchNorm2d",
    "Flatten",
    "Linear",
    "Softmax",
    "known_layers",
    "layer_of",
]


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
                raise Mismatch(
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
                raise Mismatch(
                    f"{name}={dim} is out of range: with the batch axis the input has {rank} dims "
                    f"(-{rank} to {rank - 1}); it is {dims_text(shape)}"
                )
        first, last = first % rank, last % rank
        if first == 0:
            raise Mismatch(
                "also flattens the batch axis (start_dim=0); the chain follows one sample, so "
                "start_dim must be at least 1"
            )
        if first > last:
            raise Mismatch(f"start_dim ({first}) comes after end_dim ({last})")
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
            raise Mismatch(f"expects {n} inputs; {given.text()}")
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
            raise Mismatch(f"dim={dim} is out of range for {rank} dims (with the batch axis)")
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


def layer_of(call: Call) -> Layer:
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
        raise Mismatch(f"leaves no output along the {axis}: {exc.message}") from None
    except UsageError as exc:
        raise Mismatch(f"is refused: {exc.message}") from None
