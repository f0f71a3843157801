"""When an answer is the right result: the one closeness rule that check, im2col and compare use.

- An exact result (integers, fractions) is matched only by an answer that equals it exactly,
  however it is written: 4.0 is 4 and 0.5 is 1/2, but 1e11 is not 100000000001.
- A float or complex cell is matched within ``tolerance`` times the cell's own scale: the sum of
  the absolute values of the products that make it (and of its bias). There is no absolute floor,
  so 3e-12 is not 1e-12, yet 0 is right for a cell whose products cancel to 1e-17. With an
  activation f the answer may lie anywhere between f(x - d) and f(x + d), where x is the cell
  before f and d the tolerance times its scale (or within the tolerance of the value itself, for
  the rounding of f).
- nan is right only where nan is expected, an infinity only where the same infinity is.
- Symbolic cells are equal expressions; a coefficient computed from floats is matched within the
  tolerance of its own size.

The scale of every cell is one extra computation: the same operation on |A| and |B|. For convolve
and correlate it is computed only where needed: |y| is never above a cell's scale, so a cell it
accepts is right, and only the cells it does not accept are judged by their scales, computed from
their windows when they are few.
"""

from __future__ import annotations

import functools
import math
import operator
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from . import ops
from .errors import UsageError
from .model import SLIDING, Activation, Kind, Method, Op, OpOptions, Result
from .numeric import as_kind, common_kind, kind_of, kind_of_value
from .text import value_of

__all__ = [
    "TOLERANCE",
    "Expected",
    "LazyScale",
    "core_shape",
    "number_kind",
    "exact_problem",
    "right_result",
    "scale_of",
    "magnitudes",
    "equal",
    "all_equal",
    "inexact",
]

# check's default --tolerance, and the one im2col and compare use
TOLERANCE = 1e-9

_LARGEST = float(np.finfo(np.float64).max)


# A computed cell of convolve or correlate by the direct sum is within a relative 1e-6 of its
# scale's computed value at most (n·2**-53 for n terms: n would have to pass 10**9), so |y|·(1 - 1e-6)
# is never above the scale: a cell that |y| already accepts is accepted by its scale too.
_ROUNDING = 1e-6


@dataclass(frozen=True)
class LazyScale:
    """How to get the scale of a result only where it is needed: at a few cells (``at``, from
    their windows), or whole (``whole``, one more computation) when more than ``limit`` cells
    need it. Until then |y|·(1 - _ROUNDING), a lower bound of every cell's scale, judges first."""

    at: Callable[[list[tuple[int, ...]]], np.ndarray]
    whole: Callable[[], np.ndarray]
    limit: int


class Expected:
    """A right result, with what it takes to judge an answer against it.

    ``scale`` holds each float or complex cell's scale (None for exact and symbolic results, and
    where no products are known: cells are then compared relative to their own size); with an
    activation, ``before`` holds the cells before it. A scale given as a :class:`LazyScale`
    (``lazy``) is computed on the first use of ``scale``; ``scaled`` and ``scale_where`` read it
    without computing it whole.
    """

    __slots__ = ("value", "_scale", "_lazy", "before", "activation", "kind")

    def __init__(
        self,
        value: np.ndarray,
        scale: np.ndarray | None = None,
        before: np.ndarray | None = None,
        activation: Activation = Activation.NONE,
        kind: Kind | None = None,  # the value's kind, when known (saves a scan of an object array)
        *,
        lazy: LazyScale | None = None,
    ) -> None:
        self.value = value
        self._scale = scale
        self._lazy = None if scale is not None else lazy
        self.before = before
        self.activation = activation
        self.kind = kind

    def __repr__(self) -> str:
        return f"Expected(value={self.value!r}, scale={self._scale!r}, kind={self.kind!r})"

    @property
    def scale(self) -> np.ndarray | None:
        if self._scale is None and self._lazy is not None:
            self._scale, self._lazy = self._lazy.whole(), None
        return self._scale

    @property
    def scaled(self) -> bool:
        """Whether cells have a scale (computed or not yet)."""
        return self._scale is not None or self._lazy is not None

    @property
    def lazy(self) -> LazyScale | None:
        """The scale still to compute, or None (computed, or none)."""
        return self._lazy

    def scale_where(self, where: np.ndarray | list[tuple[int, ...]]) -> np.ndarray:
        """The scale at the cells of a boolean mask (in row-major order, as ``scale[mask]``) or
        at a list of cells; computed whole only when there are many."""
        lazy = self._lazy
        if lazy is not None:
            if isinstance(where, np.ndarray):
                cells = [tuple(c) for c in np.argwhere(where).tolist()]
            else:
                cells = where
            if len(cells) <= lazy.limit:
                return np.asarray(lazy.at(cells), dtype=np.float64).reshape(len(cells))
        scale = self.scale
        assert scale is not None
        if isinstance(where, np.ndarray):
            return np.asarray(scale[where])
        return np.array([scale[c] for c in where], dtype=scale.dtype)


def core_shape(shape: tuple[int, ...]) -> tuple[int, ...]:
    """The shape without its leading length-1 axes: (1,) and (1, 1) are a scalar, (1, n) is (n,)."""
    i = 0
    while i < len(shape) and shape[i] == 1:
        i += 1
    return shape[i:]


def number_kind(x: np.ndarray, what: str) -> Kind:
    try:
        return kind_of(x)
    except TypeError as exc:
        raise UsageError(f"{what} must hold numbers, not {x.dtype} values") from exc


def exact_problem(a: np.ndarray, b: np.ndarray, options: OpOptions) -> bool:
    """Whether the right result is exact: every number given is an integer or a fraction (also
    inside symbolic entries), and no sigmoid or tanh turns it into a float."""
    if options.activation in (Activation.SIGMOID, Activation.TANH):
        return False
    kinds = [number_kind(a, "A"), number_kind(b, "B"), kind_of_value(options.fillvalue)]
    kinds += [kind_of_value(v) for v in options.bias]
    kind = common_kind(kinds)
    if kind in (Kind.INTEGER, Kind.RATIONAL):
        return True
    if kind is not Kind.SYMBOLIC:
        return False
    import sympy

    values = [*a.flat, *b.flat, options.fillvalue, *options.bias]
    return all(not sympy.sympify(value_of(v)).atoms(sympy.Float, sympy.I) for v in values)


# ---------------------------------------------------------------------------------------------
# the right result and its scale


def magnitudes(x: np.ndarray) -> np.ndarray:
    """|x| as float64 (the moduli of complex entries)."""
    if x.dtype.kind == "c":
        return np.abs(x)
    if x.dtype.kind == "f":
        return np.abs(x.astype(np.float64, copy=False))
    return np.abs(as_kind(x, Kind.FLOAT))


def _magnitude(v: Any) -> float:
    return float(abs(complex(value_of(v))))


def scale_of(op: Op, a: np.ndarray, b: np.ndarray, options: OpOptions | None = None) -> np.ndarray:
    """Each cell's scale: the sum of the absolute values of the products that make it, and of its
    bias. That is the same operation on |A| and |B| (a fill value and a bias by their size), with
    no activation: one computation, by the direct sum, whose error is relative to each cell.

    A scale beyond float64's range is taken as the largest float64 (it can only make the
    tolerance stricter)."""
    options = options or OpOptions()
    if op in SLIDING:
        size = replace(
            options,
            fillvalue=_magnitude(options.fillvalue),
            bias=tuple(_magnitude(v) for v in options.bias),
            activation=Activation.NONE,
            method=Method.DIRECT,
        )
        value = ops.run(op, magnitudes(a), magnitudes(b), size).value
    else:
        value = ops.run(op, magnitudes(a), magnitudes(b)).value
    return np.minimum(value, _LARGEST)


def _faithful(op: Op, options: OpOptions, kind: Kind) -> OpOptions:
    """Float results by the direct sum, whose rounding is relative to each cell's scale (a
    transform's is relative to the largest cell), unless a method was asked for."""
    if kind in (Kind.FLOAT, Kind.COMPLEX) and op in SLIDING:
        if options.method is Method.AUTO:
            return replace(options, method=Method.DIRECT)
    return options


def right_result(
    op: Op, a: np.ndarray, b: np.ndarray, options: OpOptions | None = None
) -> tuple[Result, Expected]:
    """The right result of ``op`` and, for float and complex results, each cell's scale (and,
    with an activation, the cells before it)."""
    options = options or OpOptions()
    kind = _result_kind(op, a, b, options)
    computing = _faithful(op, options, kind)
    result = ops.run(op, a, b, computing)
    result = replace(result, options=options) if op in SLIDING else result
    if result.kind not in (Kind.FLOAT, Kind.COMPLEX):
        return result, Expected(result.value, kind=result.kind)
    if op in SLIDING and options.activation is Activation.NONE:
        lazy = _lazy_scale(op, a, b, options, result.kind, result.value.size)
        return result, Expected(result.value, kind=result.kind, lazy=lazy)
    scale = scale_of(op, a, b, options)
    before = None
    if op in SLIDING and options.activation is not Activation.NONE:
        before = ops.run(op, a, b, replace(computing, activation=Activation.NONE)).value
    return result, Expected(result.value, scale, before, options.activation, result.kind)


def _lazy_scale(op: Op, a: np.ndarray, b: np.ndarray, options: OpOptions, kind: Kind, size: int) -> LazyScale:
    """The scale of convolve or correlate, cell by cell from the windows (the sum of |products| and
    |bias|, as check's suspects are sampled) or whole by ``scale_of``. A cell from its window costs
    about as much as 10**4 cells of the whole, hence the limit."""

    @functools.cache
    def windows() -> Any:
        from .steps import cell_windows, in_kind

        return cell_windows(op, in_kind(a, kind), in_kind(b, kind), options, kind=kind)

    def at(cells: list[tuple[int, ...]]) -> np.ndarray:
        from .slips import sample_windows

        sizes = [size for _, size in sample_windows(windows(), cells)] if cells else []
        return np.minimum(np.array(sizes, dtype=np.float64), _LARGEST)

    return LazyScale(at, lambda: scale_of(op, a, b, options), max(16, size >> 14))


def _result_kind(op: Op, a: np.ndarray, b: np.ndarray, options: OpOptions) -> Kind:
    kinds = [number_kind(a, "A"), number_kind(b, "B")]
    if op in SLIDING:
        kinds += [kind_of_value(options.fillvalue), *(kind_of_value(v) for v in options.bias)]
    return common_kind(kinds)


# ---------------------------------------------------------------------------------------------
# equality


def _to_float(v: Any) -> Any:
    v = value_of(v)
    if isinstance(v, complex):
        return v
    try:
        return float(v)
    except OverflowError:
        # an exact integer or fraction beyond float64's range
        return math.copysign(math.inf, v)


def inexact(x: np.ndarray, dtype: type) -> np.ndarray:
    """``x`` as float64 or complex128 (exact numbers beyond float64's range become infinities)."""
    if x.dtype != object:
        return x.astype(dtype, copy=False)
    out: np.ndarray = np.empty(x.shape, dtype=dtype)
    for i, v in enumerate(x.flat):
        out.flat[i] = _to_float(v)
    return out


def _activated(values: np.ndarray, activation: Activation) -> np.ndarray:
    return ops.activate(values, activation, Kind.FLOAT)[0]


def _close(x: np.ndarray, y: Expected, tolerance: float) -> np.ndarray:
    """The float rule, cell by cell (see the module's docstring)."""
    kinds = (x.dtype.kind, y.value.dtype.kind)
    dtype = np.complex128 if "c" in kinds else np.float64
    xf, yf = inexact(x, dtype), inexact(y.value, dtype)
    with np.errstate(all="ignore"):
        if y.lazy is not None and y.before is None:
            return _close_lazily(xf, yf, y, tolerance)
        # in place where it can be: a large result's temporaries cost more than the arithmetic
        distance = np.subtract(xf, yf)
        np.abs(distance, out=distance)
        size = np.maximum(np.abs(xf), np.abs(yf)) if y.scale is None else y.scale
        bound = np.multiply(size, tolerance)
        # a bound beyond float64 would let an infinity through: no cell's bound is infinite
        np.minimum(bound, _LARGEST, out=bound)
        # nan (an infinity or nan on either side) is never within a bound: decided below
        near = np.asarray(distance <= bound)
        if y.before is not None and y.activation is not Activation.NONE:
            # the answer may be f of anything the products allow, or f(x) up to f's own rounding
            low = _activated(y.before - bound, y.activation)
            high = _activated(y.before + bound, y.activation)
            own = np.minimum(tolerance * np.abs(yf), _LARGEST)
            near = np.asarray((distance <= own) | ((low <= xf) & (xf <= high) & np.isfinite(xf)))
        rest = ~near
        if rest.any():
            near[rest] = _same_specials(xf[rest], yf[rest])
        return near


def _same_specials(u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """nan is right only against nan, an infinity only against the same infinity."""
    return np.asarray((u == v) | (np.isnan(u) & np.isnan(v)))


# Cells judged per pass of _close_lazily: its temporaries stay in the processor's cache.
_CHUNK = 1 << 15


def _close_lazily(xf: np.ndarray, yf: np.ndarray, y: Expected, tolerance: float) -> np.ndarray:
    """The float rule with the scale computed only where |y| (below every cell's scale) does not
    already accept the cell: from the windows of those cells when they are few, else whole."""
    xs, ys = xf.reshape(-1), yf.reshape(-1)
    near = np.empty(ys.size, dtype=bool)
    diff = np.empty(min(ys.size, _CHUNK), dtype=ys.dtype)
    distance, bound = np.empty(diff.size), np.empty(diff.size)
    unsure = []
    for lo in range(0, ys.size, _CHUNK):
        hi = min(ys.size, lo + _CHUNK)
        d, b = distance[: hi - lo], bound[: hi - lo]
        np.subtract(xs[lo:hi], ys[lo:hi], out=diff[: hi - lo])
        np.abs(diff[: hi - lo], out=d)
        np.abs(ys[lo:hi], out=b)
        np.multiply(b, tolerance * (1 - _ROUNDING), out=b)
        np.minimum(b, _LARGEST, out=b)  # an infinite y must not accept an infinite distance
        np.less_equal(d, b, out=near[lo:hi])
        if not near[lo:hi].all():
            unsure.append(lo + np.flatnonzero(~near[lo:hi]))
    if unsure:
        flat = np.concatenate(unsure)
        u, v = xs[flat], ys[flat]
        gap = np.abs(u - v)
        if flat.size <= y.lazy.limit if y.lazy is not None else False:
            cells = list(zip(*(i.tolist() for i in np.unravel_index(flat, yf.shape)), strict=True))
            scale = y.scale_where(cells)
        else:
            whole = y.scale
            assert whole is not None
            scale = whole.reshape(-1)[flat]
        near[flat] = (gap <= np.minimum(scale * tolerance, _LARGEST)) | _same_specials(u, v)
    return near.reshape(yf.shape)


def _symbolic_equal(x: Any, y: Any, tolerance: float) -> bool:
    """Equal expressions; coefficients computed from floats within ``tolerance`` of their size,
    exact ones exactly."""
    import sympy

    sx, sy = sympy.sympify(value_of(x)), sympy.sympify(value_of(y))
    if sx == sy or (sx is sympy.nan and sy is sympy.nan):
        return True
    if sympy.expand(sx - sy) == 0:
        return True
    cx = sympy.expand(sx).as_coefficients_dict()
    cy = sympy.expand(sy).as_coefficients_dict()
    for term in set(cx) | set(cy):
        u, v = cx.get(term, sympy.S.Zero), cy.get(term, sympy.S.Zero)
        if u == v:
            continue
        if not (u.is_number and v.is_number):
            return False
        if not v.atoms(sympy.Float):
            # an exact coefficient is matched exactly: a float in the answer by its exact value
            exact = u.xreplace({f: sympy.Rational(f) for f in u.atoms(sympy.Float)})
            if sympy.expand(exact - v) != 0:
                return False
            continue
        try:
            d, size = abs(complex(u - v)), max(abs(complex(u)), abs(complex(v)))
        except TypeError:
            return False
        if not d <= tolerance * size:
            return False
    return True


def _integral(x: np.ndarray) -> np.ndarray:
    """Which float cells hold a whole number within int64's range."""
    with np.errstate(invalid="ignore"):
        return np.isfinite(x) & (x == np.floor(x)) & (np.abs(x) < 2.0**63)


def _exact_equal(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Cells of ``x`` (any numbers) exactly equal to the exact ``y``: Python compares ints,
    fractions and floats by their exact values (4.0 == 4, 0.1 != 1/10)."""
    if y.dtype.kind == "i":
        if x.dtype.kind == "i":
            return np.asarray(x == y)
        if x.dtype.kind in "fc":
            real = x.real if x.dtype.kind == "c" else x
            whole = _integral(real) & ((x.imag == 0) if x.dtype.kind == "c" else True)
            return whole & (np.where(whole, real, 0).astype(np.int64) == y)
    xs, ys = x.ravel().tolist(), y.ravel().tolist()
    try:
        # integers and fractions are equal when their reduced (numerator, denominator) are: a
        # comparison of tuples, cheaper than Fraction's own
        ratio = operator.attrgetter("numerator", "denominator")
        flags = np.fromiter(map(operator.eq, map(ratio, xs), map(ratio, ys)), dtype=bool, count=y.size)
    except AttributeError:  # floats or complex numbers among them
        flags = np.fromiter(map(operator.eq, xs, ys), dtype=bool, count=y.size)
    return flags.reshape(y.shape)


def equal(
    x: np.ndarray, y: Expected | np.ndarray, *, tolerance: float, x_kind: Kind | None = None
) -> np.ndarray | None:
    """Which cells of the answer ``x`` are right: a boolean mask shaped like the result.

    ``y`` is the right result, an :class:`Expected` or an array (then float cells are compared
    relative to their own size). The rule is the module's. Shapes that differ only by leading
    length-1 axes are the same cells (a number and a 1x1 matrix, a vector of n and a 1 x n
    matrix); any other difference of shapes gives None. ``x_kind`` is the answer's kind, when
    known.
    """
    if not isinstance(y, Expected):
        y = Expected(np.asarray(y))
    x, value = np.asarray(x), y.value
    if x.shape != value.shape:
        if core_shape(x.shape) != core_shape(value.shape):
            return None
        x = x.reshape(value.shape)
    kx = x_kind or number_kind(x, "the answer")
    ky = y.kind or number_kind(value, "the result")
    if Kind.SYMBOLIC in (kx, ky):
        flags = [_symbolic_equal(u, v, tolerance) for u, v in zip(x.flat, value.flat, strict=True)]
        return np.array(flags, dtype=bool).reshape(value.shape)
    if ky in (Kind.INTEGER, Kind.RATIONAL):
        return _exact_equal(x, value)
    return _close(x, y, tolerance)


def all_equal(x: np.ndarray, y: Expected | np.ndarray, tolerance: float) -> bool:
    mask = equal(x, y, tolerance=tolerance)
    return mask is not None and bool(mask.all())
