"""The convolution layers: Conv2d and ConvTranspose2d, and what they share (groups, and
C_in · C_out/groups · kh · kw weights)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

from . import shapes
from .errors import UsageError
from .fields import AxisField, Field, rational_text
from .torch_arguments import Param, choice, conv_padding, flag, pair, whole
from .torch_layer_base import (
    Given,
    Layer,
    Mismatch,
    axis_lines,
    axis_names,
    axis_size,
    field_lines,
    window_formula,
)
from .transpose import check_output_padding

if TYPE_CHECKING:
    from .layers import LayerRow

__all__ = ["Conv2d", "ConvTranspose2d"]


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
        Param("in_channels", read=whole(1)),
        Param("out_channels", read=whole(1)),
        Param("kernel_size", read=pair(1)),
        Param("stride", (1, 1), pair(1)),
        Param("padding", (0, 0), conv_padding),
        Param("dilation", (1, 1), pair(1)),
        Param("groups", 1, whole(1)),
        Param("bias", True, flag),
        Param("padding_mode", "zeros", choice("zeros", "reflect", "replicate", "circular")),
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

    def implied(self, name: str) -> bool:
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
                axis_size(
                    axis_names(2)[i],
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
        lines += axis_lines("size", sizes)
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
        return lines + field_lines(row, window_formula(k, s, pads, d))


@dataclass(frozen=True)
class ConvTranspose2d(_Convolution):
    kind: ClassVar[str] = "ConvTranspose2d"
    signature: ClassVar[tuple[Param, ...]] = (
        Param("in_channels", read=whole(1)),
        Param("out_channels", read=whole(1)),
        Param("kernel_size", read=pair(1)),
        Param("stride", (1, 1), pair(1)),
        Param("padding", (0, 0), pair(0)),
        Param("output_padding", (0, 0), pair(0)),
        Param("groups", 1, whole(1)),
        Param("bias", True, flag),
        Param("dilation", (1, 1), pair(1)),
        Param("padding_mode", "zeros", choice("zeros")),
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
            axis_size(
                axis_names(2)[i],
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
        lines += axis_lines(
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

        return lines + field_lines(row, formula)
