"""The pooling layers: MaxPool2d and AvgPool2d (a window, as a convolution's), and the adaptive
pools, whose windows follow from the output size asked for."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

from . import shapes
from .errors import UsageError
from .fields import AxisField, Field, rational_text
from .torch_arguments import Param, adaptive_size, flag, optional, pair, whole
from .torch_layer_base import Given, Layer, axis_lines, axis_names, axis_size, field_lines, window_formula

if TYPE_CHECKING:
    from .layers import LayerRow

__all__ = ["MaxPool2d", "AvgPool2d", "AdaptiveAvgPool2d", "AdaptiveMaxPool2d"]


@dataclass(frozen=True)
class MaxPool2d(Layer):
    kind: ClassVar[str] = "MaxPool2d"
    elementwise: ClassVar[bool] = False
    signature: ClassVar[tuple[Param, ...]] = (
        Param("kernel_size", read=pair(1)),
        Param("stride", None, optional(pair(1))),
        Param("padding", (0, 0), pair(0)),
        Param("dilation", (1, 1), pair(1)),
        Param("return_indices", False, flag),
        Param("ceil_mode", False, flag),
    )
    positional_in_short: ClassVar[int] = 1

    def implied(self, name: str) -> bool:
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
            axis_size(axis_names(2)[i], shapes.pool_output_size, n, k[i], s[i], p[i], d[i], ceil)
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
        lines += axis_lines(
            "size", [shapes.pool_size_text(row.input[1 + i], k[i], s[i], p[i], d[i], ceil) for i in range(2)]
        )
        lines += [("params", "0"), ("MACs", "0 (pooling is not counted)")]
        return lines + field_lines(row, window_formula(k, s, p, d))


@dataclass(frozen=True)
class AvgPool2d(MaxPool2d):
    kind: ClassVar[str] = "AvgPool2d"
    signature: ClassVar[tuple[Param, ...]] = (
        Param("kernel_size", read=pair(1)),
        Param("stride", None, optional(pair(1))),
        Param("padding", (0, 0), pair(0)),
        Param("ceil_mode", False, flag),
        Param("count_include_pad", True, flag),
        Param("divisor_override", None, optional(whole(1))),
    )


@dataclass(frozen=True)
class AdaptiveAvgPool2d(Layer):
    kind: ClassVar[str] = "AdaptiveAvgPool2d"
    elementwise: ClassVar[bool] = False
    signature: ClassVar[tuple[Param, ...]] = (Param("output_size", read=adaptive_size),)
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
        lines = [("channels", f"unchanged, {row.output[0]}")] + axis_lines("size", texts)
        lines += [("params", "0"), ("MACs", "0 (pooling is not counted)")]

        def formula(before: AxisField, after: AxisField, i: int) -> tuple[str, str, str]:
            n, o = row.input[1 + i], row.output[1 + i]
            if n == o:
                return (
                    "unchanged: " + rational_text(after.size),
                    rational_text(after.jump),
                    rational_text(after.start),
                )
            return window_formula((n // o,) * 2, (n // o,) * 2, (0, 0), (1, 1))(before, after, i)

        return lines + field_lines(row, formula)


@dataclass(frozen=True)
class AdaptiveMaxPool2d(AdaptiveAvgPool2d):
    kind: ClassVar[str] = "AdaptiveMaxPool2d"
    signature: ClassVar[tuple[Param, ...]] = (
        Param("output_size", read=adaptive_size),
        Param("return_indices", False, flag),
    )
