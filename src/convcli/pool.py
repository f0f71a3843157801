"""Max and average pooling, as torch's max_pool2d and avg_pool2d compute them, and their gradient.

A pooling window of kh x kw taps (d-1 cells apart with dilation, max only) starts every s cells
of the input padded by p on each side; the output size is shapes.pool_output_size (floor or ceil
mode, torch's rule that a window starting in the right padding is dropped). Max pads with -inf,
so padding is never a window's maximum; the gradient of each output cell goes to its window's
first maximum in row-major order (torch's rule; a nan is the maximum of any window that holds
one, and torch's CPU kernel sends the gradient to the last nan). Average divides the window's sum
by its count: the taps inside the padded input (count_include_pad, torch's default) or inside A.
A window that runs past the padded edge in ceil mode counts only the taps up to that edge.

Both reductions are separable over a rectangular window: the columns are reduced first, then
the rows, so the work is (kh + kw) passes over the array rather than kh * kw.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import numpy as np

from . import shapes
from .errors import ConvcliError, ShapeError, UsageError
from .model import Kind, PoolKind, PoolOf
from .numeric import (
    INT64_MAX,
    abs_max,
    as_kind,
    check_allocation,
    common_kind,
    format_number,
    kind_of,
    nonfinite_notes,
    shrink_int,
    to_python_ints,
    to_scaled,
    value_of,
)
from .text import shape_text

__all__ = [
    "PoolKind",
    "PoolOf",
    "PoolOptions",
    "Geometry",
    "Tie",
    "PoolResult",
    "geometry",
    "first_maximum",
    "cell_value",
    "batch_index",
    "tap_slices",
    "as_batch",
    "divisors",
    "pool",
    "rules",
    "tie_notes",
    "WORK_LIMIT",
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


@dataclass(frozen=True)
class Tie:
    """A max window whose maximum occurs more than once (or that holds a nan): where its
    gradient went. ``cell`` and ``to`` index the output and A (channel first for 3-D A)."""

    cell: tuple[int, ...]
    count: int
    value: Any
    to: tuple[int, ...]
    nan: bool = False


@dataclass(frozen=True)
class PoolResult:
    """One pooling run: the output, and with ``of`` grad-input the gradient with respect to A.

    ``upstream`` is the G used (all ones when none was given: ``upstream_given`` is then False).
    ``argmax`` holds, for max pooling, the flat index within its channel of the A cell that
    each output cell's gradient goes to. ``ties`` lists the first TIE_LIMIT tied windows of
    ``tie_count``.
    """

    options: PoolOptions
    geometry: Geometry
    a_shape: tuple[int, ...]
    kind: Kind
    output: np.ndarray
    of: PoolOf = PoolOf.OUTPUT
    grad_input: np.ndarray | None = None
    grad_kind: Kind | None = None
    upstream: np.ndarray | None = None
    upstream_given: bool = False
    argmax: np.ndarray | None = None
    ties: tuple[Tie, ...] = ()
    tie_count: int = 0
    notes: tuple[str, ...] = field(default=())

    @property
    def name(self) -> str:
        return self.options.name

    @property
    def value(self) -> np.ndarray:
        """The value ``of`` names."""
        if self.of is PoolOf.GRAD_INPUT:
            assert self.grad_input is not None
            return self.grad_input
        return self.output

    @property
    def value_kind(self) -> Kind:
        if self.of is PoolOf.GRAD_INPUT:
            assert self.grad_kind is not None
            return self.grad_kind
        return self.kind

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(self.value.shape)


# The most elementary steps a pooling may take (one tap of one window on one channel, and a
# thousand for each pass over a tap): some seconds of numpy on a small machine. Hostile sizes (a
# window of 50,000 taps moved one cell at a time) are refused before the work starts.
WORK_LIMIT = 10**9
_STEPS_PER_TAP = 1000

_AXES = ("rows", "columns")


def _spatial(values: tuple[int, ...], n: int, option: str, minimum: int) -> tuple[int, ...]:
    if any(isinstance(v, bool) or not isinstance(v, int | np.integer) or v < minimum for v in values):
        raise UsageError(f"--{option} takes whole numbers >= {minimum}, got {','.join(map(str, values))}")
    if len(values) == 1:
        return tuple(values) * n
    if len(values) == n:
        return tuple(values)
    axes = "one value for a 1-D input" if n == 1 else "1 or 2 values (rows,columns)"
    raise UsageError(f"--{option} takes {axes}, got {len(values)}: {','.join(map(str, values))}")


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
            f"{','.join(map(str, options.dilation))}; use --kind max, or leave --dilation out"
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


def _tap_range(g: Geometry, axis: int, tap: int, lowest: int = 0) -> tuple[int, int, slice]:
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


def _along(x: np.ndarray, axis: int, index: Any) -> Any:
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
    lo0, hi0, rows = _tap_range(g, 0, u)
    lo1, hi1, cols = _tap_range(g, 1, v)
    if hi0 <= lo0 or hi1 <= lo1:
        return None
    return slice(lo0, hi0), slice(lo1, hi1), rows, cols


def _out_shape(a_shape: tuple[int, ...], g: Geometry) -> tuple[int, ...]:
    if len(a_shape) == 1:
        return (g.out_shape[1],)
    return (*a_shape[:-2], *g.out_shape)


# ---------------------------------------------------------------------------------------------
# max


def _first_taps(g: Geometry, axis: int) -> np.ndarray:
    """Per output position on ``axis``, the first tap of its window inside A (-1: none is)."""
    n, k, d = g.in_shape[axis], g.size[axis], g.spacing(axis)
    start = g.starts(axis)
    first = np.where(start >= 0, 0, -(start // d))
    return np.where((first < k) & (start + first * d < n), first, -1)


def _max_pass(
    g: Geometry,
    x: np.ndarray,
    axis: int,
    track: bool,
    taps_of: np.ndarray | None = None,
    counts_of: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray | None, np.ndarray | None, np.ndarray | None]:
    """Reduce ``axis`` of ``x`` (N x H x W) to its windows' maxima by torch's rule: a tap
    replaces the running maximum when it is larger or a nan, so the first of equal maxima stays
    and the last nan wins. Each window starts from its first tap inside A.

    With ``track``, also which tap won and how many taps equal the maximum; ``taps_of`` and
    ``counts_of`` are the previous pass's, carried along with the winning entries. Returns the
    maxima, the winning taps, the tie counts and the carried taps of the winners."""
    first = _first_taps(g, axis)
    shape = (1, -1, 1) if axis == 0 else (1, 1, -1)
    at = g.starts(axis) + first * g.spacing(axis)
    value = np.take(x, at, axis=axis + 1)  # C-ordered, unlike x[..., at]: the passes below run faster
    tap = count = inner = None
    if track:
        tap = np.broadcast_to(first.reshape(shape), value.shape).copy()
        count = (
            np.ones(value.shape, dtype=np.int64)
            if counts_of is None
            else np.take(counts_of, at, axis=axis + 1)
        )
        inner = None if taps_of is None else np.take(taps_of, at, axis=axis + 1)
    nans = x.dtype.kind == "f" and track and bool(np.isnan(x).any())
    for t in range(1, g.size[axis]):
        # the windows whose first tap inside A comes before t: a suffix, as first never increases
        lo, hi, source = _tap_range(g, axis, t, int(np.count_nonzero(first >= t)))
        if hi <= lo:
            continue
        where = _along(value, axis, slice(lo, hi))
        src = _along(x, axis, source)
        cur, vals = value[where], x[src]
        if tap is None or count is None:
            np.maximum(cur, vals, out=cur)  # nan wins, as in torch
            continue
        with np.errstate(invalid="ignore"):
            take = np.asarray(vals > cur, dtype=bool)
            equal = np.asarray(vals == cur, dtype=bool)
        if nans:
            take |= np.isnan(vals)
        cnt = count[where]
        if counts_of is None:
            cnt += equal
            np.copyto(cnt, 1, where=take)
        else:
            tie = counts_of[src]
            cnt += np.where(equal, tie, 0)
            np.copyto(cnt, tie, where=take)
        np.copyto(cur, vals, where=take)
        np.copyto(tap[where], t, where=take)
        if inner is not None and taps_of is not None:
            np.copyto(inner[where], taps_of[src], where=take)
    return value, tap, count, inner


def _padding_only(g: Geometry) -> None:
    """With dilation a max window's taps can all fall in the padding; torch then gives -inf
    (and drops the gradient), which no exact kind can hold: refused, naming the first such cell."""
    firsts = [_first_taps(g, axis) for axis in range(2)]
    if all((f >= 0).all() for f in firsts):
        return
    r, c = (int(np.argmin(f >= 0)) if not (f >= 0).all() else 0 for f in firsts)
    raise ShapeError(
        f"{g.kind.op_name}: the window of output cell [{r}, {c}] reads padding only (rows "
        f"{g.taps(0, r)}, columns {g.taps(1, c)} of a {g.in_shape[0]}x{g.in_shape[1]} input); torch "
        "gives -inf there and drops its gradient; use a smaller --dilation or --padding",
        short="a window reads padding only",
    )


def _max_pool(g: Geometry, x: np.ndarray, track: bool) -> tuple[np.ndarray, Any, Any]:
    """The maxima (N x OH x OW); with ``track``, also the flat index within its channel of the A
    cell each one came from, and how many of each window's taps equal its maximum."""
    _padding_only(g)
    cols, col_tap, col_count, _ = _max_pass(g, x, 1, track)
    values, row_tap, counts, col_of_row = _max_pass(g, cols, 0, track, col_tap, col_count)
    if row_tap is None or col_of_row is None:
        return values, None, None
    row_at = g.starts(0).reshape(1, -1, 1) + row_tap * g.spacing(0)
    col_at = g.starts(1).reshape(1, 1, -1) + col_of_row * g.spacing(1)
    return values, row_at * g.in_shape[1] + col_at, counts


def first_maximum(entries: list[Any]) -> tuple[int, int]:
    """torch's rule on one window's entries (None: a tap outside A, never the maximum): the index
    of the first maximum (a later entry replaces it when larger, or when it is a nan, so the last
    nan wins), and how many entries equal it."""
    best, ties = -1, 0
    for t, v in enumerate(entries):
        if v is None:
            continue
        if best < 0 or v > entries[best] or (isinstance(v, float) and math.isnan(v)):
            best, ties = t, 1
        elif v == entries[best]:
            ties += 1
    return best, ties


def cell_value(g: Geometry, x: np.ndarray, cell: tuple[int, int]) -> Any:
    """One output cell computed from its window on the 2-D ``x`` (one channel), on Python
    numbers: the first maximum, or the exact sum over the count (check samples a few cells of a
    suspect this way before computing it whole)."""
    entries = [v for _, _, v in g.window(x, cell)]
    if g.kind is PoolKind.MAX:
        return entries[first_maximum(entries)[0]]
    inside = [v for v in entries if v is not None]
    total = sum(inside[1:], start=inside[0])
    count = g.divisor(cell)
    if isinstance(total, float | complex):
        return total / count
    if isinstance(total, int | Fraction):
        return Fraction(total, count) if isinstance(total, int) else total / count
    return total / count  # a symbolic sum: sympy keeps it exact


def _max_kind(kind: Kind) -> None:
    if kind in (Kind.COMPLEX, Kind.SYMBOLIC):
        what = "complex numbers have no order" if kind is Kind.COMPLEX else "symbols have no known order"
        raise UsageError(f"max pooling compares entries, and {what}; avg pooling (--kind avg) takes them")


# ---------------------------------------------------------------------------------------------
# avg


def _sum_pass(g: Geometry, x: np.ndarray, axis: int, adjoint: bool = False) -> np.ndarray:
    """Sum each window's taps inside A along ``axis`` (the padding adds zero); with ``adjoint``,
    the reverse: each window's value added to every tap of it inside A (x is then output-shaped)."""
    shape = list(x.shape)
    shape[axis + 1] = g.in_shape[axis] if adjoint else g.out_shape[axis]
    out = np.zeros(shape, dtype=x.dtype)
    if x.dtype == object:
        out.fill(0)
    for tap in range(g.size[axis]):
        lo, hi, cells = _tap_range(g, axis, tap)
        if hi > lo:
            windows = slice(lo, hi)
            target, source = (cells, windows) if adjoint else (windows, cells)
            out[_along(out, axis, target)] += x[_along(x, axis, source)]
    return out


def divisors(g: Geometry) -> np.ndarray:
    """avg's divisor of every output cell (rows x columns)."""
    return np.outer(g.counts(0), g.counts(1)).astype(np.int64)


def _integers(x: np.ndarray, bound: int) -> np.ndarray:
    """An integer array in int64 when its entries times ``bound`` fit (a sum of ``bound`` of
    them cannot overflow), else as Python ints."""
    if x.dtype == object or abs_max(x) * max(bound, 1) > INT64_MAX:
        return to_python_ints(x)
    return x


def _exact_quotient(nums: np.ndarray, den: np.ndarray) -> tuple[np.ndarray, Kind]:
    """nums / den exactly (den broadcasts): integers when every quotient is whole (as int64 when
    they fit), else Fractions."""
    if nums.dtype != object and den.dtype != object:
        if not np.any(nums % den):
            return nums // den, Kind.INTEGER
    pairs = list(zip(nums.ravel().tolist(), np.broadcast_to(den, nums.shape).ravel().tolist(), strict=True))
    out = np.empty(len(pairs), dtype=object)
    if all(n % d == 0 for n, d in pairs):
        out[:] = [n // d for n, d in pairs]
        return shrink_int(out.reshape(nums.shape)), Kind.INTEGER
    out[:] = [Fraction(n, d) for n, d in pairs]
    return out.reshape(nums.shape), Kind.RATIONAL


def _scaled(x: np.ndarray, kind: Kind, bound: int) -> tuple[np.ndarray, int]:
    """An exact array as integer numerators over one denominator, numerators safe to sum
    ``bound`` at a time."""
    nums, den, _ = to_scaled(x) if kind is Kind.RATIONAL else (x, 1, [])
    return _integers(nums, bound), den


def _times(a: np.ndarray, factor: int) -> np.ndarray:
    """An int64 array times a Python int, in Python ints when the product could overflow."""
    if a.dtype != object and factor * max(abs_max(a), 1) <= INT64_MAX:
        return a * factor
    return to_python_ints(a) * factor


def _avg_pool(g: Geometry, x: np.ndarray, kind: Kind) -> tuple[np.ndarray, Kind]:
    counts = divisors(g)[None]
    if kind in (Kind.INTEGER, Kind.RATIONAL):
        nums, den = _scaled(x, kind, g.size[0] * g.size[1])
        sums = _sum_pass(g, _sum_pass(g, nums, 1), 0)
        return _exact_quotient(sums, _times(counts, den))
    sums = _sum_pass(g, _sum_pass(g, x, 1), 0)
    if kind is Kind.SYMBOLIC:
        return sums / _symbolic(counts), kind
    with np.errstate(over="ignore", invalid="ignore"):
        return sums / counts, kind


def _symbolic(divisors: np.ndarray) -> np.ndarray:
    """Divisors as sympy integers, so that a symbolic sum divided by them stays exact."""
    import sympy

    out = np.empty(divisors.shape, dtype=object)
    out[...] = np.vectorize(sympy.Integer, otypes=[object])(divisors)
    return out


# ---------------------------------------------------------------------------------------------
# the gradient


def _upstream(upstream: np.ndarray | None, out_shape: tuple[int, ...], name: str) -> tuple[np.ndarray, bool]:
    if upstream is None:
        return np.ones(out_shape, dtype=np.int64), False
    if tuple(upstream.shape) != out_shape:
        raise ShapeError(
            f"{name} --upstream: G is {shape_text(tuple(upstream.shape))} but the {name} output is "
            f"{shape_text(out_shape)}; G holds one gradient per output cell, so it must have the "
            "output's shape",
            short=f"G {shape_text(tuple(upstream.shape))} is not the output's {shape_text(out_shape)}",
        )
    return upstream, True


def _grad_kind(a_kind: Kind, g_kind: Kind) -> Kind:
    """The gradient's number kind: G's, widened by A's (as torch gives A's dtype); a symbolic A
    adds nothing, since the gradient of pooling holds no entry of A."""
    return common_kind([g_kind, Kind.INTEGER if a_kind is Kind.SYMBOLIC else a_kind])


def _max_grad(g: Geometry, index: np.ndarray, upstream: np.ndarray, n: int, kind: Kind) -> np.ndarray:
    """Each G cell added to the A cell its window's maximum came from."""
    h, w = g.in_shape
    G = as_kind(upstream, kind).reshape(-1)
    if kind is Kind.INTEGER:
        # a cell of A is the maximum of at most kh*kw windows
        G = _integers(G, g.size[0] * g.size[1])
    out = np.zeros(n * h * w, dtype=G.dtype)
    if out.dtype == object:
        out.fill(0)
    flat = (index + (np.arange(n) * (h * w)).reshape(-1, 1, 1)).reshape(-1)
    with np.errstate(over="ignore", invalid="ignore"):
        np.add.at(out, flat, G)
    return shrink_int(out) if kind is Kind.INTEGER else out


def _avg_grad(g: Geometry, upstream: np.ndarray, n: int, kind: Kind) -> tuple[np.ndarray, Kind]:
    """Each G cell divided by its window's count and added to every tap of the window in A."""
    counts = divisors(g)[None]
    G = as_kind(upstream, kind).reshape(n, *g.out_shape)
    if kind in (Kind.INTEGER, Kind.RATIONAL):
        # G/count over one common denominator: spread as integers, divided once at the end
        common = math.lcm(*np.unique(counts).tolist())
        factors = common // counts
        nums, den = _scaled(G, kind, 1)
        shares = _integers(nums, int(factors.max()) * g.size[0] * g.size[1])
        spread = _sum_pass(g, _sum_pass(g, shares * factors, 0, True), 1, True)
        total = common * den
        return _exact_quotient(spread, np.array(total, dtype=np.int64 if total <= INT64_MAX else object))
    share = G / _symbolic(counts) if kind is Kind.SYMBOLIC else G / counts
    with np.errstate(over="ignore", invalid="ignore"):
        return _sum_pass(g, _sum_pass(g, share, 0, True), 1, True), kind


# at most this many tied windows are listed (an image of zeros ties every window)
TIE_LIMIT = 100


def _ties(
    a_shape: tuple[int, ...], g: Geometry, values: np.ndarray, index: np.ndarray, counts: np.ndarray
) -> tuple[tuple[Tie, ...], int]:
    """The windows whose maximum occurs more than once, or that hold a nan (at most TIE_LIMIT
    of them), and how many there are in all."""
    nan = np.isnan(values) if values.dtype.kind == "f" else np.zeros(values.shape, bool)
    marked = (counts > 1) | nan
    total = int(np.count_nonzero(marked))
    lead = a_shape[:-2] if len(a_shape) > 2 else ()
    w = g.in_shape[1]
    out = []
    for c, i, j in np.argwhere(marked)[:TIE_LIMIT].tolist():
        flat = int(index[c, i, j])
        where = tuple(int(k) for k in np.unravel_index(c, lead)) if lead else ()
        cell: tuple[int, ...] = (j,) if len(a_shape) == 1 else (*where, i, j)
        to: tuple[int, ...] = (flat % w,) if len(a_shape) == 1 else (*where, flat // w, flat % w)
        out.append(Tie(cell, int(counts[c, i, j]), value_of(values[c, i, j]), to, bool(nan[c, i, j])))
    return tuple(out), total


# tied windows named one by one in the notes; JSON lists up to TIE_LIMIT
_TIES_NOTED = 5


def tie_notes(ties: tuple[Tie, ...], total: int) -> list[str]:
    """Where the gradient of each tied window went, in words (the first few, then a count)."""
    lines = []
    for tie in ties[:_TIES_NOTED]:
        cell, to = _index_text(tie.cell), _index_text(tie.to)
        if tie.nan:
            lines.append(
                f"window {cell} holds nan, its maximum: its gradient goes to the last nan, A{to} "
                "(torch's rule)"
            )
        else:
            lines.append(
                f"window {cell} has its maximum {format_number(tie.value)} in {tie.count} cells: its "
                f"gradient goes to the first, A{to} (torch's rule)"
            )
    if total > _TIES_NOTED:
        lines.append(f"and {total - _TIES_NOTED} more tied windows (-f json lists up to {TIE_LIMIT})")
    return lines


def _index_text(index: tuple[int, ...]) -> str:
    return "[" + ", ".join(map(str, index)) + "]"


def rules(kind: PoolKind, count_pad: bool, gradient: bool) -> list[str]:
    """The rules a pooling run follows, in words: the output's, and the gradient's."""
    if kind is PoolKind.MAX:
        out = ["output: the maximum of each window (the padding is -inf, never a maximum)"]
        grad = (
            "grad-input: each G cell goes to its window's first maximum in row-major order (torch's rule); "
            "overlapping windows add up"
        )
    else:
        counted = "its taps inside the padded input" if count_pad else "its cells inside A (--no-count-pad)"
        out = [f"output: each window's sum / count, the count being {counted}"]
        grad = (
            "grad-input: each G cell divided by its window's count goes to every cell of the window "
            "inside A; overlapping windows add up"
        )
    return out + [grad] if gradient else out


def _widened(a: np.ndarray) -> tuple[np.ndarray, Kind]:
    kind = kind_of(a)
    return as_kind(a, kind), kind


def pool(
    a: np.ndarray,
    options: PoolOptions | None = None,
    *,
    upstream: np.ndarray | None = None,
    of: PoolOf = PoolOf.OUTPUT,
) -> PoolResult:
    """Max or average pooling of A, and the gradient with respect to A.

    Parameters
    ----------
    a : ndarray
        1-D, H x W, C x H x W or N x C x H x W (pooled per channel), of any number kind; max
        pooling needs ordered numbers (integers, fractions, floats).
    options : PoolOptions
        ``kind`` {'max', 'avg'}, ``size`` (kh, kw), ``stride`` (default: the size), ``padding``
        (at most half the size), ``dilation`` (max only), ``ceil_mode``, ``count_pad``.
    upstream : ndarray, optional
        G, the gradient of the loss with respect to the output (the output's shape); all ones
        when not given.
    of : {'output', 'grad-input'}
        Which value ``PoolResult.value`` holds. The gradient is computed only when asked for
        (``of`` grad-input) or when G is given.

    Returns
    -------
    PoolResult
        ``output`` equals ``torch.nn.functional.max_pool2d`` / ``avg_pool2d`` with the same
        arguments (exact for integers and fractions: avg of 2 and 3 is 5/2); ``grad_input``
        equals torch's autograd of sum(G * output) with respect to A.

    Notes
    -----
    Output size per axis: floor((n + 2p - d(k-1) - 1) / s) + 1, or ceil in ceil mode less one
    window that would start in the right padding. Max: out[i, j] = max of A over the window's
    taps inside A (padding is -inf); its gradient goes to the first maximum in row-major order.
    Avg: out[i, j] = (sum over the window) / count; its gradient G[i, j] / count goes to every
    tap of the window inside A. Overlapping windows add up.

    Examples
    --------
    >>> import numpy as np
    >>> pool(np.arange(9).reshape(3, 3), PoolOptions(size=(2,), stride=(1,))).output
    array([[4, 5],
           [7, 8]])
    """
    options = options or PoolOptions()
    of = PoolOf(of)
    g = geometry(tuple(a.shape), options)
    x, kind = _widened(a)
    if options.kind is PoolKind.MAX:
        _max_kind(kind)
    batch = as_batch(x)
    n, h, w = batch.shape
    out_shape = _out_shape(tuple(a.shape), g)
    check_allocation((n, h, g.out_shape[1]), kind, "the pooled columns")
    check_allocation(out_shape, kind, "the result")
    wants_grad = of is PoolOf.GRAD_INPUT or upstream is not None
    index = counts = None
    if options.kind is PoolKind.MAX:
        values, index, counts = _max_pool(g, batch, wants_grad)
        out_kind = kind
    else:
        values, out_kind = _avg_pool(g, batch, kind)
    output = values.reshape(out_shape)
    notes = list(nonfinite_notes(output))
    if not wants_grad:
        return PoolResult(options, g, tuple(a.shape), out_kind, output, of, notes=tuple(notes))
    G, given = _upstream(upstream, out_shape, options.name)
    grad_kind = _grad_kind(kind, kind_of(G))
    check_allocation(tuple(a.shape), grad_kind, "the gradient")
    ties: tuple[Tie, ...] = ()
    tie_count = 0
    if options.kind is PoolKind.MAX:
        assert index is not None and counts is not None
        grad = _max_grad(g, index, G, n, grad_kind)
        ties, tie_count = _ties(tuple(a.shape), g, values, index, counts)
        argmax = index.reshape(out_shape)
    else:
        grad, grad_kind = _avg_grad(g, G, n, grad_kind)
        argmax = None
    grad = grad.reshape(a.shape)
    if of is PoolOf.GRAD_INPUT:
        notes = list(nonfinite_notes(grad))
    if not given:
        notes.append("no --upstream: G is all ones, so grad-input is the gradient of the output's sum")
    notes += tie_notes(ties, tie_count)
    return PoolResult(
        options,
        g,
        tuple(a.shape),
        out_kind,
        output,
        of,
        grad_input=grad,
        grad_kind=grad_kind,
        upstream=G,
        upstream_given=given,
        argmax=argmax,
        ties=ties,
        tie_count=tie_count,
        notes=tuple(notes),
    )
