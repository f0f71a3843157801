"""The windows of a pooling: torch's pooling arguments (PoolOptions), checked against A's shape
and worked out per spatial axis (Geometry), and the index helpers the max and avg passes share.

A pooling window of kh x kw taps (d-1 cells apart with dilation, max only) starts every s cells
of the input padded by p on each side; the output size is shapes.pool_output_size (floor or ceil
mode, torch's rule that a window starting in the right padding is dropped).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from . import shapes
from .errors import ConvcliError, ShapeError, UsageError
from .geometry import per_axis
from .model import PoolKind
from .text import shape_text, value_of, values_text

__all__ = [
    "PoolOptions",
    "Geometry",
    "geometry",
    "WORK_LIMIT",
    "tap_range",
    "along",
    "as_batch",
    "batch_index",
    "tap_slices",
    "pooled_shape",
]


@dataclass(frozen=True)
class PoolOptions:
    """torch's pooling arguments; a 1-tuple applies to both spatial axes, ``stride`` None means
    the window size (torch's default), ``count_pad`` is avg_pool2d's count_include_pad."""

    kind: PoolKind = PoolKind.MAX
    size: tuple[int, ...] = (2,)
    stride: tuple[int, ...] | None = None
    padding: tuple[int, ...] = (0,)
    dilation: tuple[int, ...] = (1,)
    ceil_mode: bool = False
    count_pad: bool = True

    def __post_init__(self) -> None:
        object.__setattr__(self, "kind", PoolKind(self.kind))
        for name in ("size", "stride", "padding", "dilation"):
            value = getattr(self, name)
            if isinstance(value, int):
                object.__setattr__(self, name, (value,))
            elif value is not None:
                object.__setattr__(self, name, tuple(value))

    @property
    def name(self) -> str:
        return self.kind.op_name


@dataclass(frozen=True)
class Geometry:
    """The windows of one pooling, per spatial axis (rows, columns), resolved and checked.

    ``in_shape`` and ``out_shape`` are the spatial sizes; a 1-D input is one row (its row axis
    has size 1, a window of 1 and no padding).
    """

    kind: PoolKind
    size: tuple[int, int]
    stride: tuple[int, int]
    padding: tuple[int, int]
    dilation: tuple[int, int]
    ceil_mode: bool
    count_pad: bool
    in_shape: tuple[int, int]
    out_shape: tuple[int, int]
    formulas: tuple[str, str]

    def starts(self, axis: int) -> np.ndarray:
        """Where each window starts on ``axis``, in input coordinates (negative in the padding).

        Worked out on Python ints: a stride beyond int64 (for one window) would overflow numpy's
        product, while every start itself lies inside the padded input."""
        s, p = self.stride[axis], self.padding[axis]
        return np.array([o * s - p for o in range(self.out_shape[axis])], dtype=np.int64)

    def spacing(self, axis: int) -> int:
        """The distance between taps as arithmetic needs it: the dilation, or 1 for a window of
        one tap (where any dilation, however large, changes nothing)."""
        return self.dilation[axis] if self.size[axis] > 1 else 1

    def taps(self, axis: int, o: int) -> list[int]:
        """The input indices window ``o`` reads on ``axis`` (outside 0..n-1: padding)."""
        start = o * self.stride[axis] - self.padding[axis]
        return [start + u * self.dilation[axis] for u in range(self.size[axis])]

    def counts(self, axis: int) -> np.ndarray:
        """avg's divisor factor of each window on ``axis``: its taps inside the padded input
        (count_include_pad) or inside A; a window running past the padded edge in ceil mode
        counts only the taps up to that edge, as torch does."""
        n, k, p = self.in_shape[axis], self.size[axis], self.padding[axis]
        start = self.starts(axis)
        if self.count_pad:
            return np.minimum(start + k, n + p) - start
        return np.minimum(start + k, n) - np.maximum(start, 0)

    def holding(self, axis: int, index: int) -> list[int]:
        """The output positions on ``axis`` whose window has a tap at input ``index``."""
        found = set()
        for u in range(self.size[axis]):
            o, rest = divmod(index + self.padding[axis] - u * self.dilation[axis], self.stride[axis])
            if rest == 0 and 0 <= o < self.out_shape[axis]:
                found.add(o)
        return sorted(found)

    def window(self, x: np.ndarray, cell: tuple[int, int]) -> list[tuple[int, int, Any]]:
        """The taps of output ``cell``'s window on the 2-D ``x`` (one channel), row by row, as
        (row, column, entry), the entry None outside A."""
        (h, w), out = self.in_shape, []
        for r in self.taps(0, cell[0]):
            for c in self.taps(1, cell[1]):
                out.append((r, c, value_of(x[r, c]) if 0 <= r < h and 0 <= c < w else None))
        return out

    def divisor(self, cell: tuple[int, int]) -> int:
        """avg's divisor for one output cell (rows times columns)."""
        return int(self.counts(0)[cell[0]]) * int(self.counts(1)[cell[1]])

    def describe(self) -> dict[str, Any]:
        """The arguments as torch would be given them, for JSON."""
        out: dict[str, Any] = {
            "size": list(self.size),
            "stride": list(self.stride),
            "padding": list(self.padding),
        }
        if self.kind is PoolKind.MAX:
            out["dilation"] = list(self.dilation)
        out["ceil_mode"] = self.ceil_mode
        if self.kind is PoolKind.AVG:
            out["count_include_pad"] = self.count_pad
        return out


# The most elementary steps a pooling may take (one tap of one window on one channel, and a
# thousand for each pass over a tap): some seconds of numpy on a small machine. Hostile sizes (a
# window of 50,000 taps moved one cell at a time) are refused before the work starts.
WORK_LIMIT = 10**9
_STEPS_PER_TAP = 1000

_AXES = ("rows", "columns")


def _spatial(values: tuple[int, ...], n: int, option: str, minimum: int) -> tuple[int, ...]:
    """``--option`` for each of the n pooled axes; whole numbers only (PoolOptions is public)."""
    if any(isinstance(v, bool) or not isinstance(v, int | np.integer) for v in values):
        raise UsageError(f"--{option} takes whole numbers >= {minimum}, got {values_text(values)}")
    axes = None if n == 1 else "a window's rows and columns"
    return per_axis(tuple(values), n, option, minimum, axes=axes)


def geometry(a_shape: tuple[int, ...], options: PoolOptions) -> Geometry:
    """Check the options against A's shape and work out every window.

    A is 1-D (one row), 2-D (H x W), 3-D (C x H x W, pooled per channel) or 4-D (N x C x H x W,
    as torch takes a batch). Sizes follow ``shapes.pool_output_size``; its errors are prefixed
    with the axis they concern.
    """
    name = options.name
    if len(a_shape) not in (1, 2, 3, 4) or 0 in a_shape:
        raise ShapeError(
            f"{name}: A is {shape_text(a_shape) if a_shape else 'a scalar'}; pooling takes a 1-D, "
            "2-D (H x W), 3-D (C x H x W, pooled per channel) or 4-D (N x C x H x W) input with no "
            "empty axis",
            short="A must be 1-D to 4-D",
        )
    n = 1 if len(a_shape) == 1 else 2
    size = _spatial(options.size, n, "size", 1)
    stride = size if options.stride is None else _spatial(options.stride, n, "stride", 1)
    padding = _spatial(options.padding, n, "padding", 0)
    dilation = _spatial(options.dilation, n, "dilation", 1)
    if options.kind is PoolKind.AVG and any(d != 1 for d in dilation):
        raise UsageError(
            f"avg pooling has no --dilation (torch's avg_pool2d takes none), got --dilation "
            f"{values_text(options.dilation)}; use --kind max, or leave --dilation out"
        )
    if n == 1:  # one row: the row axis pools nothing
        size, stride, padding, dilation = (1, *size), (1, *stride), (0, *padding), (1, *dilation)
    in_shape = (1, a_shape[0]) if n == 1 else (a_shape[-2], a_shape[-1])
    out = []
    for axis in range(2):
        try:
            out.append(
                shapes.pool_output_size(
                    in_shape[axis], size[axis], stride[axis], padding[axis], dilation[axis], options.ceil_mode
                )
            )
        except ShapeError as exc:
            raise ShapeError(f"{name}, {_AXES[axis]}: {exc.message}", short=exc.short) from None
        except ConvcliError as exc:
            raise type(exc)(f"{name}, {_AXES[axis]}: {exc.message}") from None
    formulas = tuple(
        shapes.pool_size_text(in_shape[i], size[i], stride[i], padding[i], dilation[i], options.ceil_mode)
        for i in range(2)
    )
    g = Geometry(
        options.kind,
        (size[0], size[1]),
        (stride[0], stride[1]),
        (padding[0], padding[1]),
        (dilation[0], dilation[1]),
        options.ceil_mode,
        options.count_pad,
        in_shape,
        (out[0], out[1]),
        (formulas[0], formulas[1]),
    )
    _check_work(g, math.prod(a_shape[:-2]) if len(a_shape) > 2 else 1, name)
    return g


def _check_work(g: Geometry, channels: int, name: str) -> None:
    (h, w), (oh, ow), (kh, kw) = g.in_shape, g.out_shape, g.size
    work = channels * (h * ow * kw + oh * ow * kh) + _STEPS_PER_TAP * (kh + kw)
    if work > WORK_LIMIT:
        raise UsageError(
            f"{name}: {channels} channel(s) of {h}x{w} with a {kh}x{kw} window every "
            f"{g.stride[0]},{g.stride[1]} cells is about {work:,} steps, more than the {WORK_LIMIT:,} "
            "convcli takes on; use a larger --stride or a smaller --size"
        )


def tap_range(g: Geometry, axis: int, tap: int, lowest: int = 0) -> tuple[int, int, slice]:
    """The output indices [lo, hi) on ``axis`` (from ``lowest`` on) whose tap ``tap`` falls inside
    A, and the slice of A those taps read (every stride-th cell)."""
    n, s, p, d = g.in_shape[axis], g.stride[axis], g.padding[axis], g.dilation[axis]
    offset = tap * d - p  # the input index this tap reads for output 0
    lo = max(lowest, -(offset // s))  # the first o with o*s + offset >= 0
    hi = min(g.out_shape[axis], (n - 1 - offset) // s + 1) if n - 1 - offset >= 0 else 0
    if hi <= lo:
        return lo, lo, slice(0, 0)
    start = lo * s + offset
    return lo, hi, slice(start, start + (hi - lo - 1) * s + 1, s)


def along(x: np.ndarray, axis: int, index: Any) -> Any:
    """``index`` on spatial ``axis`` (0 rows, 1 columns) of a N x H x W array."""
    return (slice(None), index, slice(None)) if axis == 0 else (slice(None), slice(None), index)


def as_batch(a: np.ndarray) -> np.ndarray:
    """A as N x H x W: 1-D is one row, 2-D one channel, more axes flattened into N."""
    if a.ndim == 1:
        return a.reshape(1, 1, -1)
    return a.reshape(-1, a.shape[-2], a.shape[-1])


def batch_index(cell: tuple[int, ...], shape: tuple[int, ...]) -> tuple[int, int, int]:
    """A cell of A, or of a pooling's output, of ``shape`` as (channel, row, column) of the
    N x H x W batch that pooling works on."""
    if len(shape) == 1:
        return 0, 0, cell[0]
    lead = shape[:-2]
    n = int(np.ravel_multi_index(cell[:-2], lead)) if lead else 0
    return n, cell[-2], cell[-1]


def tap_slices(g: Geometry, u: int, v: int) -> tuple[slice, slice, slice, slice] | None:
    """For tap (u, v): the output rows and columns whose tap lies inside A, and the rows and
    columns of A they read (None when no window reads A through this tap)."""
    lo0, hi0, rows = tap_range(g, 0, u)
    lo1, hi1, cols = tap_range(g, 1, v)
    if hi0 <= lo0 or hi1 <= lo1:
        return None
    return slice(lo0, hi0), slice(lo1, hi1), rows, cols


def pooled_shape(a_shape: tuple[int, ...], g: Geometry) -> tuple[int, ...]:
    """The output's shape for A of ``a_shape``: its leading axes, then the pooled rows and columns."""
    if len(a_shape) == 1:
        return (g.out_shape[1],)
    return (*a_shape[:-2], *g.out_shape)
