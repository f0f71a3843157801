"""check --op max-pool|avg-pool: the verdict on a pooling or its gradient, and the slips of pooling
by hand (torch's rules broken, an option changed); the sliding operations' check is
diagnose.py's, and lends its verdict and its reading of the answer."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace
from fractions import Fraction
from typing import TYPE_CHECKING, Any

import numpy as np

from .closeness import (
    TOLERANCE,
    Expected,
    all_equal,
    core_shape,
    magnitudes,
)
from .errors import ConvcliError
from .explanations import Diagnosis, PoolCheckReport
from .model import Kind, Op, OpOptions, PoolKind, PoolOf
from .numeric import array_of, as_kind, kind_of
from .text import pool_values_text

if TYPE_CHECKING:  # pooling loads only with the commands that pool
    from .pool import PoolResult
    from .pool_geometry import Geometry as PoolGeometry
    from .pool_geometry import PoolOptions

from .answer_slips import Search, arithmetic_slip, shape_words, worst_text, writing_slip
from .diagnose import answer_array, judged_report

__all__ = ["check_pool"]

# ---------------------------------------------------------------------------------------------
# pooling: check --op max-pool|avg-pool, and the slips of pooling by hand


@dataclass(frozen=True)
class _PoolSuspect:
    """A neighbouring answer: the pooling with other ``options`` (by torch's rules), or with one
    of torch's rules broken by hand (``variant``)."""

    key: str
    text: str
    options: PoolOptions
    variant: str = ""  # "ties-all", "undivided", "zero-pad" or "full-count"


_POOL_FIELDS = ("kind", "stride", "ceil_mode", "count_pad")


def _pool_changes(options: PoolOptions, g: PoolGeometry, one_row: bool) -> list[_PoolSuspect]:
    """The pooling with one of its options changed, as students change them."""

    def axes(values: tuple[int, int]) -> str:
        return pool_values_text(values, one_row)

    size, stride = axes(g.size), axes(g.stride)
    out = []
    if g.stride != g.size:
        text = f"the windows moved by their own size ({size}), torch's default stride, instead of by {stride}"
        out.append(_PoolSuspect("stride-size", text, replace(options, stride=None)))
    if any(s != 1 for s in g.stride):
        default = " (torch's default, the window size)" if g.stride == g.size else ""
        text = f"the windows moved one cell at a time (stride 1) instead of by {stride}{default}"
        out.append(_PoolSuspect("stride-1", text, replace(options, stride=(1,))))
    if g.ceil_mode:
        text = (
            "the output size rounded down (floor mode), dropping a last window that runs past the input: "
            "with --ceil-mode torch keeps it"
        )
        out.append(_PoolSuspect("floor-mode", text, replace(options, ceil_mode=False)))
    else:
        text = (
            "the output size rounded up (ceil mode), keeping a last window that runs past the input: "
            "torch rounds down unless ceil_mode=True"
        )
        out.append(_PoolSuspect("ceil-mode", text, replace(options, ceil_mode=True)))
    if g.kind is PoolKind.AVG and (any(g.padding) or g.ceil_mode):
        if g.count_pad:
            text = (
                "the mean over the cells of A only, the padding not counted: torch's avg_pool2d counts "
                "the padding cells too (count_include_pad)"
            )
        else:
            text = (
                "the mean over every tap of the window, the padding counted: --no-count-pad counts "
                "A's cells only"
            )
        out.append(_PoolSuspect("count-pad", text, replace(options, count_pad=not g.count_pad)))
    if g.kind is PoolKind.MAX and all(d == 1 for d in g.dilation):
        text = "each window's mean instead of its maximum: average pooling, not max pooling"
        out.append(_PoolSuspect("avg-for-max", text, replace(options, kind=PoolKind.AVG)))
    elif g.kind is PoolKind.AVG:
        text = "each window's maximum instead of its mean: max pooling, not average pooling"
        out.append(_PoolSuspect("max-for-avg", text, replace(options, kind=PoolKind.MAX)))
    return out


def _pool_rules_broken(result: PoolResult) -> list[_PoolSuspect]:
    """The pooling with one of torch's rules broken by hand."""
    g, options = result.geometry, result.options
    gradient = result.of is PoolOf.GRAD_INPUT
    out = []
    if gradient and g.kind is PoolKind.MAX and result.tie_count:
        text = (
            "the gradient sent to every tied maximum: torch sends each window's gradient to its first "
            "maximum only, in row-major order"
        )
        out.append(_PoolSuspect("ties-all", text, options, "ties-all"))
    if gradient and g.kind is PoolKind.AVG:
        text = "G passed whole to every cell of its window, not divided by the window's count"
        out.append(_PoolSuspect("undivided", text, options, "undivided"))
    if not gradient and g.kind is PoolKind.MAX and any(g.padding):
        text = (
            "the padding read as 0 instead of -inf: max pooling pads with -inf, so a padding cell is "
            "never a window's maximum"
        )
        out.append(_PoolSuspect("zero-pad", text, options, "zero-pad"))
    if not gradient and g.kind is PoolKind.AVG and g.ceil_mode and g.count_pad:
        text = (
            f"each window divided by its full size {g.size[0] * g.size[1]}, also one that runs past the "
            "padded edge: torch counts only the taps up to that edge"
        )
        out.append(_PoolSuspect("full-count", text, options, "full-count"))
    return out


def _pool_pairs(base: PoolOptions, changes: list[_PoolSuspect]) -> Iterator[_PoolSuspect]:
    """Two option changes at once, each of another option."""

    def changed(s: _PoolSuspect) -> dict[str, Any]:
        return {f: getattr(s.options, f) for f in _POOL_FIELDS if getattr(s.options, f) != getattr(base, f)}

    for i, first in enumerate(changes):
        for second in changes[i + 1 :]:
            one, two = changed(first), changed(second)
            if set(one) & set(two):
                continue
            options = replace(base, **one, **two)
            yield _PoolSuspect(f"{first.key}+{second.key}", f"{first.text}; and {second.text}", options)


def _counts_like(result: PoolResult, shape: tuple[int, ...]) -> np.ndarray:
    """avg's divisors, shaped to broadcast against the output (``shape``)."""
    from .pool_avg import divisors

    counts = divisors(result.geometry)
    return counts.reshape(-1) if len(shape) == 1 else counts.reshape((1,) * (len(shape) - 2) + counts.shape)


def _ties_all(a: np.ndarray, result: PoolResult) -> np.ndarray:
    """The max gradient with each window's G sent to every cell that equals its maximum."""
    from .pool_geometry import as_batch, tap_slices

    g = result.geometry
    assert result.upstream is not None and result.grad_kind is not None
    x = as_batch(as_kind(a, kind_of(a)))
    G = as_kind(result.upstream, result.grad_kind).reshape(x.shape[0], *g.out_shape).astype(object)
    top = result.output.reshape(G.shape)
    out = np.zeros(x.shape, dtype=object)
    out.fill(0)
    for u, v in np.ndindex(*g.size):
        where = tap_slices(g, u, v)
        if where is None:
            continue
        rows_out, cols_out, rows, cols = where
        with np.errstate(invalid="ignore"):
            hit = np.asarray(x[:, rows, cols] == top[:, rows_out, cols_out], dtype=bool)
        out[:, rows, cols] += np.where(hit, G[:, rows_out, cols_out], 0)
    return as_kind(array_of(out.ravel().tolist(), out.shape), result.grad_kind).reshape(a.shape)


def _zero_padded(a: np.ndarray, result: PoolResult) -> np.ndarray:
    """The max output with the padding read as 0: windows that hold padding are at least 0."""
    g = result.geometry
    (h, w), (ph, pw) = g.in_shape, g.padding
    rows = np.array(
        [any(-ph <= r < 0 or h <= r < h + ph for r in g.taps(0, i)) for i in range(g.out_shape[0])]
    )
    cols = np.array(
        [any(-pw <= c < 0 or w <= c < w + pw for c in g.taps(1, j)) for j in range(g.out_shape[1])]
    )
    padded = np.logical_or.outer(rows, cols)
    y = result.output
    mask = padded.reshape(-1) if y.ndim == 1 else padded
    zero = 0.0 if y.dtype.kind == "f" else 0
    with np.errstate(invalid="ignore"):
        negative = np.asarray(y < zero, dtype=bool)
    return np.where(mask & negative, zero, y).astype(y.dtype)


def _pool_suspect_value(s: _PoolSuspect, a: np.ndarray, result: PoolResult) -> np.ndarray:
    """A suspect computed whole."""
    from .pool import pool

    given = result.upstream if result.upstream_given else None
    if s.variant == "ties-all":
        return _ties_all(a, result)
    if s.variant == "undivided":
        assert result.upstream is not None
        scaled = result.upstream * _counts_like(result, tuple(result.upstream.shape)).astype(object)
        return pool(
            a, s.options, upstream=array_of(scaled.ravel().tolist(), scaled.shape), of=result.of
        ).value
    if s.variant == "zero-pad":
        return _zero_padded(a, result)
    if s.variant == "full-count":
        full = result.geometry.size[0] * result.geometry.size[1]
        sums = result.output * _counts_like(result, tuple(result.output.shape))
        if sums.dtype.kind in "fc":
            return sums / full
        return array_of([Fraction(v) / full for v in sums.ravel().tolist()], sums.shape)
    return pool(a, s.options, upstream=given, of=result.of).value


def _pool_sample(
    s: _PoolSuspect, a: np.ndarray, result: PoolResult
) -> Callable[[tuple[int, ...]], Any] | None:
    """A suspect's value at one output cell, read from its window, when it can be (an output by
    torch's rules with other options); None otherwise."""
    from .pool import cell_value
    from .pool_geometry import as_batch, batch_index, geometry

    if s.variant or result.of is PoolOf.GRAD_INPUT:
        return None
    g = geometry(tuple(a.shape), s.options)
    x = as_batch(as_kind(a, kind_of(a)))
    shape = (g.out_shape[1],) if a.ndim == 1 else (*a.shape[:-2], *g.out_shape)

    def at(cell: tuple[int, ...]) -> Any:
        n, i, j = batch_index(cell, shape)
        return cell_value(g, x[n], (i, j))

    return at


def _pool_suspect_shape(s: _PoolSuspect, a: np.ndarray, result: PoolResult) -> tuple[int, ...] | None:
    """The shape a suspect has (None when its options do not fit A, or G does not fit it)."""
    from .pool_geometry import geometry

    if result.of is PoolOf.GRAD_INPUT:
        if s.variant or not result.upstream_given:
            return tuple(a.shape)
    try:
        g = geometry(tuple(a.shape), s.options)
    except ConvcliError:
        return None
    out = (g.out_shape[1],) if a.ndim == 1 else (*a.shape[:-2], *g.out_shape)
    if result.of is PoolOf.GRAD_INPUT:
        assert result.upstream is not None
        return tuple(a.shape) if out == tuple(result.upstream.shape) else None
    return out


def _from_pool_suspects(
    search: Search, suspects: Iterable[_PoolSuspect], a: np.ndarray, result: PoolResult
) -> Diagnosis | None:
    """The first suspect the answer equals: compared at a few cells first where a cell can be
    read on its own, then whole."""
    answer = search.answer
    for s in suspects:
        shape = _pool_suspect_shape(s, a, result)
        if shape is None or core_shape(shape) != core_shape(answer.shape):
            continue
        x = answer.reshape(shape)
        try:
            with np.errstate(all="ignore"):
                at = None if search.kind is Kind.SYMBOLIC else _pool_sample(s, a, result)
                if at is not None and not all(search.agrees(x[c], at(c), 0) for c in search.cells(shape)):
                    continue
                value = _pool_suspect_value(s, a, result)
        except ConvcliError:
            continue
        if value.shape == shape and all_equal(x, value, search.tolerance):
            return Diagnosis(s.key, s.text, None, None)
    return None


def _pool_expected(a: np.ndarray, result: PoolResult) -> Expected:
    """The right result, with each float cell's scale: the maximum itself; the mean of |A| over
    the window; for the gradient, |G| sent where G goes."""
    from .pool import pool

    y, kind = result.value, result.value_kind
    if kind not in (Kind.FLOAT, Kind.COMPLEX):
        return Expected(y, kind=kind)
    if result.of is PoolOf.GRAD_INPUT:
        assert result.upstream is not None
        scale = magnitudes(pool(a, result.options, upstream=magnitudes(result.upstream), of=result.of).value)
    elif result.options.kind is PoolKind.MAX:
        scale = magnitudes(y)
    else:
        scale = magnitudes(pool(magnitudes(a), result.options).output)
    return Expected(y, scale, kind=kind)


def check_pool(
    a: np.ndarray,
    answer: Any,
    options: PoolOptions,
    *,
    upstream: np.ndarray | None = None,
    of: PoolOf = PoolOf.OUTPUT,
    tolerance: float = TOLERANCE,
    written_as_floats: bool = False,
) -> PoolCheckReport:
    """Is ``answer`` the pooling of A (``of`` output) or its gradient with respect to A for the
    upstream gradient G (``of`` grad-input)? If not, which slip gives it.

    The slips looked for: the stride left at the window size or at 1, floor and ceil mode
    swapped, the padding counted in a mean or not, max for avg and the reverse; by hand, the
    padding of max read as 0, a ceil-mode window divided by its full size, the gradient sent to
    every tied maximum, an avg gradient not divided by the count; two option changes at once;
    and, as for every check, the answer transposed, reshaped, rounded, offset or scaled. A slip is
    named only when its result equals the answer by the closeness rule.

    Examples
    --------
    >>> import numpy as np
    >>> from convcli.pool_geometry import PoolOptions
    >>> a = np.arange(9).reshape(3, 3)
    >>> check_pool(a, np.array([[4, 5], [7, 8]]), PoolOptions(size=(2,))).diagnosis.key
    'stride-1'
    """
    from .pool import pool

    answer, answer_kind = answer_array(answer, tolerance)
    result = pool(a, options, upstream=upstream, of=PoolOf(of))
    expected = _pool_expected(a, result)
    y = result.value
    mask, wrong = judged_report(
        answer, answer_kind, expected, result.value_kind, tolerance, written_as_floats
    )
    if mask is not None and bool(mask.all()):
        return PoolCheckReport(True, result, answer, [], None, None, None)
    mismatch = None
    if mask is None:
        what = (
            f"{result.name}'s gradient with respect to A" if result.of is PoolOf.GRAD_INPUT else result.name
        )
        mismatch = f"your answer is {shape_words(answer.shape)} but {what} is {shape_words(y.shape)}"
    exact = result.value_kind in (Kind.INTEGER, Kind.RATIONAL)
    search = Search(answer, answer_kind, result, expected, exact, kind_of(a), tolerance, wrong)
    changes = _pool_changes(options, result.geometry, a.ndim == 1)
    diagnosis = _from_pool_suspects(search, [*changes, *_pool_rules_broken(result)], a, result)
    diagnosis = diagnosis or writing_slip(search, Op.CORRELATE, OpOptions())
    if diagnosis is None and mask is not None:
        diagnosis = arithmetic_slip(search, mask, OpOptions())
    diagnosis = diagnosis or _from_pool_suspects(search, _pool_pairs(options, changes), a, result)
    worst = None
    if diagnosis is None and mask is not None:
        worst = worst_text(answer.reshape(y.shape), y, mask, wrong, answer_kind.exact and exact)
    return PoolCheckReport(False, result, answer, wrong, mismatch, diagnosis, worst)
