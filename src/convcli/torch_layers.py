"""The torch layers network arithmetic knows, one class each: how it reads its arguments as torch
does, its output shape, parameters and MACs, how it moves the receptive field, and its formulas
filled in for ``layers --at``. A reader opens the class of the layer at hand; layers.py follows a
chain of them. The convolutions are in torch_layers_conv.py, the pools in torch_layers_pool.py, what
every layer shares in torch_layer_base.py; here are the rest (normalization, Flatten, Linear,
Softmax, the elementwise layers) and the table that finds a layer by its class name."""

from __future__ import annotations

import difflib
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

from .fields import Field
from .modeltext import Call
from .text import dims_text
from .torch_arguments import Param, choice, flag, integer, optional, probability, real, whole
from .torch_layer_base import Given, Layer, Mismatch, field_lines
from .torch_layers_conv import Conv2d, ConvTranspose2d
from .torch_layers_pool import AdaptiveAvgPool2d, AdaptiveMaxPool2d, AvgPool2d, MaxPool2d

if TYPE_CHECKING:
    from .layers import LayerRow

__all__ = [
    "BatchNorm2d",
    "Flatten",
    "Linear",
    "Softmax",
    "known_layers",
    "layer_of",
]


@dataclass(frozen=True)
class BatchNorm2d(Layer):
    kind: ClassVar[str] = "BatchNorm2d"
    signature: ClassVar[tuple[Param, ...]] = (
        Param("num_features", read=whole(1)),
        Param("eps", 1e-05, real),
        Param("momentum", 0.1, optional(real)),
        Param("affine", True, flag),
        Param("track_running_stats", True, flag),
        Param("device", None),
        Param("dtype", None),
        Param("bias", True, flag),
    )
    positional_in_short: ClassVar[int] = 1

    def implied(self, name: str) -> bool:
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
        Param("start_dim", 1, integer),
        Param("end_dim", -1, integer),
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
            *field_lines(row, None),
        ]


@dataclass(frozen=True)
class Linear(Layer):
    kind: ClassVar[str] = "Linear"
    elementwise: ClassVar[bool] = False
    signature: ClassVar[tuple[Param, ...]] = (
        Param("in_features", read=whole(1)),
        Param("out_features", read=whole(1)),
        Param("bias", True, flag),
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
            *field_lines(row, None),
        ]
        return lines


@dataclass(frozen=True)
class Softmax(Layer):
    kind: ClassVar[str] = "Softmax"
    signature: ClassVar[tuple[Param, ...]] = (Param("dim", None, optional(integer)),)

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


_INPLACE = Param("inplace", False, flag)
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
        _elementwise("Dropout", Param("p", 0.5, probability), _INPLACE),
        _elementwise("Dropout2d", Param("p", 0.5, probability), _INPLACE),
        _elementwise("Identity"),
        _elementwise("ReLU", _INPLACE),
        _elementwise("ReLU6", _INPLACE),
        _elementwise("LeakyReLU", Param("negative_slope", 0.01, real), _INPLACE),
        _elementwise("ELU", Param("alpha", 1.0, real), _INPLACE),
        _elementwise("Sigmoid"),
        _elementwise("Tanh"),
        _elementwise("GELU", Param("approximate", "none", choice("none", "tanh"))),
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
