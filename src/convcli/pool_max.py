"""Max pooling by torch's rule, and the windows whose maximum is tied.

Max pads with -inf, so padding is never a window's maximum; the gradient of each output cell goes
to its window's first maximum in row-major order (torch's rule; a nan is the maximum of any window
that holds one, and torch's CPU kernel sends the gradient to the last nan). The columns are
reduced first, then the rows, so the work is (kh + kw) passes over the array rather than kh * kw.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from .errors import ShapeError, UsageError
from .model import Kind
from .pool_geometry import Geometry, along, tap_range
from .text import cell_text, format_number, value_of

__all__ = ["max_pool", "first_maximum", "check_max_kind", "Tie", "TIE_LIMIT", "tied_windows", "tie_notes"]


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
        lo, hi, source = tap_range(g, axis, t, int(np.count_nonzero(first >= t)))
        if hi <= lo:
            continue
        where = along(value, axis, slice(lo, hi))
        src = along(x, axis, source)
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


def max_pool(g: Geometry, x: np.ndarray, track: bool) -> tuple[np.ndarray, Any, Any]:
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


def check_max_kind(kind: Kind) -> None:
    """Refuse entries max pooling cannot order: complex numbers and symbols."""
    if kind in (Kind.COMPLEX, Kind.SYMBOLIC):
        what = "complex numbers have no order" if kind is Kind.COMPLEX else "symbols have no known order"
        raise UsageError(f"max pooling compares entries, and {what}; avg pooling (--kind avg) takes them")


@dataclass(frozen=True)
class Tie:
    """A max window whose maximum occurs more than once (or that holds a nan): where its
    gradient went. ``cell`` and ``to`` index the output and A (channel first for 3-D A)."""

    cell: tuple[int, ...]
    count: int
    value: Any
    to: tuple[int, ...]
    nan: bool = False


# at most this many tied windows are listed (an image of zeros ties every window)
TIE_LIMIT = 100


def tied_windows(
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
        cell, to = cell_text(tie.cell), cell_text(tie.to)
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
