"""Output sizes of convolution layers, with the formula behind each number (``convcli shape``).

The formulas are those of Dumoulin and Visin, "A guide to convolution arithmetic for deep
learning" (2016), extended by dilation as torch documents it. For input size i, kernel size k,
stride s, padding p, dilation d and output padding a:

    convolution            o  = floor((i + 2p - k - (k-1)(d-1)) / s) + 1
    transposed convolution o' = s(i-1) + a + d(k-1) + 1 - 2p
    pooling                o  = the convolution's size (floor mode), or in ceil mode
                                ceil((i + 2p - k - (k-1)(d-1)) / s) + 1, less one when that last
                                window would start in the right padding (torch's rule)

Each rule is written here once; ``shape``, ``layers`` and pooling use these functions.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np

from . import geometry
from .errors import ShapeError, UsageError
from .model import SLIDING, Convention, Op
from .text import dims_text
from .transpose import check_output_padding

__all__ = [
    "output_size",
    "transposed_size",
    "pool_output_size",
    "check_pool_padding",
    "output_size_text",
    "transposed_size_text",
    "pool_size_text",
    "same_padding",
    "report",
    "parse_size",
    "AxisReport",
    "ShapeReport",
]


def _require(name: str, value: int, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < minimum:
        raise UsageError(f"{name} takes a whole number >= {minimum}, got {value}")
    return int(value)


def _check(i: int, k: int, s: int, p: int, d: int) -> tuple[int, int, int, int, int]:
    return (
        _require("the input size", i, 1),
        _require("the kernel size", k, 1),
        _require("--stride", s, 1),
        _require("--padding", p, 0),
        _require("--dilation", d, 1),
    )


def _windows(i: int, k: int, s: int, p: int, d: int, ceil: bool = False) -> int:
    """How many windows of extent d(k-1)+1, s apart, start in the padded input: the one
    arithmetic behind the convolution's and pooling's sizes (before torch's ceil-mode rule)."""
    span = i + 2 * p - k - (k - 1) * (d - 1)
    return (-(-span // s) if ceil else span // s) + 1


def output_size_text(i: int, k: int, s: int, p: int, d: int) -> str:
    """The convolution size formula with the numbers filled in."""
    return f"o = floor(({i} + 2*{p} - {k} - ({k}-1)*({d}-1)) / {s}) + 1 = {_windows(i, k, s, p, d)}"


def transposed_size_text(i: int, k: int, s: int, p: int, d: int, a: int) -> str:
    """The transposed convolution size formula with the numbers filled in."""
    o = s * (i - 1) + a + d * (k - 1) + 1 - 2 * p
    return f"o = {s}*({i}-1) + {a} + {d}*({k}-1) + 1 - 2*{p} = {o}"


def pool_size_text(i: int, k: int, s: int, p: int, d: int, ceil_mode: bool) -> str:
    """The pooling size formula with the numbers filled in, and torch's ceil-mode correction."""
    if not ceil_mode:
        return output_size_text(i, k, s, p, d)
    o = _windows(i, k, s, p, d, ceil=True)
    text = f"o = ceil(({i} + 2*{p} - {k} - ({k}-1)*({d}-1)) / {s}) + 1 = {o}"
    if _starts_in_right_padding(o, i, s, p):
        text += (
            f", less 1 = {o - 1}: the last window would start at {s}*({o}-1) = {s * (o - 1)}, "
            f"in the right padding (from {i} + {p} = {i + p} on)"
        )
    return text


def _starts_in_right_padding(o: int, i: int, s: int, p: int) -> bool:
    return (o - 1) * s >= i + p


def _too_small(formula: str, what: str, extent: int, padded: int) -> ShapeError:
    return ShapeError(
        f"{formula}: the {what} (extent {extent}) is larger than the padded input ({padded}); the output "
        "size must be at least 1",
        short=f"{what} extent {extent} larger than padded input {padded}",
    )


def output_size(i: int, k: int, s: int = 1, p: int = 0, d: int = 1) -> int:
    """The output size of one axis of a convolution (valid after padding by p on each side).

    o = floor((i + 2p - k - (k-1)(d-1)) / s) + 1, where k + (k-1)(d-1) = d(k-1) + 1 is the
    dilated kernel's extent. ShapeError when the dilated kernel does not fit the padded input.

    Examples
    --------
    >>> output_size(7, 3, s=2)
    3
    """
    i, k, s, p, d = _check(i, k, s, p, d)
    o = _windows(i, k, s, p, d)
    if o < 1:
        raise _too_small(output_size_text(i, k, s, p, d), "kernel", d * (k - 1) + 1, i + 2 * p)
    return o


def transposed_size(i: int, k: int, s: int = 1, p: int = 0, d: int = 1, a: int = 0) -> int:
    """The output size of one axis of a transposed convolution.

    o' = s(i-1) + a + d(k-1) + 1 - 2p (Dumoulin & Visin's o' = s(i'-1) + a + k - 2p for d = 1).
    ``a`` (output padding) must be smaller than s or d, as torch requires.

    Examples
    --------
    >>> transposed_size(2, 2, s=2)
    4
    """
    i, k, s, p, d = _check(i, k, s, p, d)
    a = _require("--output-padding", a, 0)
    check_output_padding(a, s, d)
    o = s * (i - 1) + a + d * (k - 1) + 1 - 2 * p
    if o < 1:
        raise ShapeError(
            f"{transposed_size_text(i, k, s, p, d, a)}: the padding crops more than the transposed "
            "convolution produces; the output size must be at least 1",
            short=f"output size {o} is too small",
        )
    return o


def check_pool_padding(k: int, p: int) -> None:
    """torch's rule for pooling: the padding is at most half the window size, k // 2 (so that
    every window holds at least one input cell)."""
    if p > k // 2:
        raise UsageError(
            f"pooling padding {p} is more than half the window size {k}; torch allows at most {k // 2}"
        )


def pool_output_size(
    n: int,
    kernel: int,
    stride: int | None = None,
    padding: int = 0,
    dilation: int = 1,
    ceil_mode: bool = False,
) -> int:
    """The output size of one axis of max or average pooling, by torch's rule.

    Parameters
    ----------
    n : int
        The input size (>= 1).
    kernel : int
        The window size k (>= 1).
    stride : int, optional
        The distance s between windows (>= 1); None means the window size, as in torch.
    padding : int
        Cells p added on each side (0 <= p <= k // 2: torch refuses more than half the window).
    dilation : int
        The distance d between a window's taps (>= 1; average pooling has none).
    ceil_mode : {False, True}
        Round the number of strides up, keeping a last window that runs past the input.

    Returns
    -------
    int
        floor((n + 2p - d(k-1) - 1) / s) + 1, the convolution's size; in ceil mode
        ceil((n + 2p - d(k-1) - 1) / s) + 1, less one when the last window would start at or
        past n + p (inside the right padding): torch drops a window that would hold padding only.

    Raises
    ------
    UsageError
        A value out of range, or padding above half the window.
    ShapeError
        The window does not fit in the padded input (an output size below 1).

    Examples
    --------
    >>> pool_output_size(32, 2)
    16
    >>> pool_output_size(5, 2, ceil_mode=True)
    3
    >>> pool_output_size(5, 2, stride=2, padding=1, ceil_mode=True)
    3
    """
    s = kernel if stride is None else stride
    n, k, s, p, d = _check(n, kernel, s, padding, dilation)
    check_pool_padding(k, p)
    o = _windows(n, k, s, p, d, ceil=ceil_mode)
    if ceil_mode and _starts_in_right_padding(o, n, s, p):
        o -= 1
    if o < 1:
        raise _too_small(pool_size_text(n, k, s, p, d, ceil_mode), "window", d * (k - 1) + 1, n + 2 * p)
    return o


def same_padding(convention: Convention, op: Op, i: int, k: int, s: int, d: int) -> tuple[int, int] | str:
    """The (before, after) padding that ``convention`` uses for 'same' mode on one axis.

    The alignment is ``geometry.same_pads``'s for the dilated kernel extent d(k-1) + 1. Returns
    the refusal text instead when the library refuses (torch with a stride above 1).
    """
    i, k, s, _, d = _check(i, k, s, 0, d)
    try:
        return geometry.same_pads(op, convention, i, d * (k - 1) + 1, s)
    except UsageError as exc:
        return exc.message


@dataclass(frozen=True)
class AxisReport:
    """One axis of a shape report.

    ``full`` and ``same`` are the sizes of the other modes: for a convolution, sampled with the
    stride (full = floor((i + d(k-1) - 1) / s) + 1, same = ceil(i / s)); for a transposed one,
    the uncropped scatter (s(i-1) + d(k-1) + 1, tensorflow's 'VALID' when k >= s) and
    tensorflow's 'SAME' (i*s). ``same_pads`` maps (convention, op) to the forward convolution's
    'same' padding (before, after), or the library's refusal text.
    """

    axis: int
    input: int
    kernel: int
    stride: int
    padding: int
    dilation: int
    output_padding: int
    size: int
    formula: str
    full: int
    same: int
    same_pads: dict[tuple[Convention, Op], tuple[int, int] | str] = field(compare=False)


@dataclass(frozen=True)
class ShapeReport:
    """The output size of a layer, axis by axis, with the formula used.

    The last ``len(axes)`` input axes are spatial; any before them (``leading``) are channels,
    which a layer replaces by its number of filters.
    """

    input_shape: tuple[int, ...]
    kernel_shape: tuple[int, ...]
    transposed: bool
    axes: tuple[AxisReport, ...]
    leading: tuple[int, ...] = ()

    @property
    def output_shape(self) -> tuple[int, ...]:
        """The spatial output size, per axis."""
        return tuple(ax.size for ax in self.axes)

    def summary_lines(self) -> list[str]:
        """A plain-text account: the shapes, then each axis's formula."""
        kind = "transposed convolution" if self.transposed else "convolution"
        lines = [
            f"{kind}: input {dims_text(self.input_shape)}, kernel "
            f"{dims_text(self.kernel_shape)} -> output {dims_text(self.output_shape)}"
        ]
        if self.leading:
            many = len(self.leading) > 1
            lines.append(
                f"  the leading {'axes' if many else 'axis'} ({dims_text(self.leading)}) "
                f"{'are' if many else 'is'} read as channels: a layer with O filters gives "
                f"Ox{dims_text(self.output_shape)}"
            )
        for label, formula, sizes in self.axis_parts():
            lines.append(f"  {label}: {formula}  {sizes}")
        return lines

    def axis_parts(self) -> list[tuple[str, str, str]]:
        """Each axis's label, formula and the sizes of the other modes, for a view to lay out."""
        return [(f"axis {ax.axis}", ax.formula, f"(full {ax.full}, same {ax.same})") for ax in self.axes]


def report(
    input_shape: tuple[int, ...],
    kernel_shape: tuple[int, ...],
    stride: tuple[int, ...] = (1,),
    padding: tuple[int, ...] = (0,),
    dilation: tuple[int, ...] = (1,),
    *,
    transposed: bool = False,
    output_padding: tuple[int, ...] = (0,),
) -> ShapeReport:
    """Sizes, formulas and 'same' paddings for every spatial axis.

    A one-number kernel applies to every spatial axis (as torch's ``kernel_size=5``): then the
    last two input axes are spatial (one for a 1-D input) and a third, leading, one is read as
    channels. A kernel of n numbers makes the last n input axes spatial.
    """
    if not input_shape or not kernel_shape:
        raise UsageError("shape needs an input size and a kernel size, such as --input 32x32 --kernel 5")
    n = len(kernel_shape) if len(kernel_shape) > 1 else min(len(input_shape), 2)
    if n > len(input_shape):
        raise UsageError(
            f"the kernel {dims_text(kernel_shape)} has more axes than the input {dims_text(input_shape)}"
        )
    kernel = geometry.per_axis(tuple(kernel_shape), n, "kernel", axes=f"{n} spatial axes")
    strides = geometry.per_axis(tuple(stride), n, "stride", axes=f"{n} spatial axes")
    pads = geometry.per_axis(tuple(padding), n, "padding", axes=f"{n} spatial axes")
    dilations = geometry.per_axis(tuple(dilation), n, "dilation", axes=f"{n} spatial axes")
    extra = geometry.per_axis(tuple(output_padding), n, "output-padding", axes=f"{n} spatial axes")
    if not transposed and any(extra):
        raise UsageError("--output-padding applies to transposed convolutions only (add --transposed)")
    spatial = tuple(input_shape[-n:])
    axes = []
    for axis, (i, k, s, p, d, a) in enumerate(
        zip(spatial, kernel, strides, pads, dilations, extra, strict=True)
    ):
        if transposed:
            size = transposed_size(i, k, s, p, d, a)
            formula = transposed_size_text(i, k, s, p, d, a)
            full, same = s * (i - 1) + d * (k - 1) + 1, i * s
        else:
            size = output_size(i, k, s, p, d)
            formula = output_size_text(i, k, s, p, d)
            full, same = (i + d * (k - 1) - 1) // s + 1, -(-i // s)
        same_pads = {
            (convention, op): same_padding(convention, op, i, k, s, d)
            for convention in Convention
            for op in SLIDING
        }
        axes.append(AxisReport(axis, i, k, s, p, d, a, size, formula, full, same, same_pads))
    return ShapeReport(
        tuple(input_shape), tuple(kernel_shape), transposed, tuple(axes), tuple(input_shape[:-n])
    )


_SIZE = re.compile(r"\d+(?:\s*[x×X,]\s*\d+)*", re.ASCII)
_SPLIT = re.compile(r"\s*[x×X,]\s*", re.ASCII)


def parse_size(text: str, what: str = "size") -> tuple[int, ...]:
    """``32``, ``32x32``, ``32,32`` or ``3x32x32`` as a tuple of whole numbers >= 1."""
    stripped = text.strip()
    if not _SIZE.fullmatch(stripped):
        raise UsageError(
            f"{what}: expected whole numbers separated by x or commas, such as 32, 32x32 or 3x32x32; "
            f'got "{text}"'
        )
    pieces = _SPLIT.split(stripped)
    if any(len(v) > 18 for v in pieces):
        raise UsageError(f'{what}: a size has more than 18 digits, got "{text}"')
    values = tuple(int(v) for v in pieces)
    if any(v < 1 for v in values):
        raise UsageError(f'{what}: every size must be at least 1, got "{text}"')
    return values
