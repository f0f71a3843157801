"""When an answer is the right result: the one closeness rule that check, im2col and compare use.

Integers and fractions compare exactly; floats and complex numbers within a relative tolerance;
symbolic entries by sympy.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .errors import UsageError
from .model import Kind
from .numbers import kind_of, value_of

__all__ = ["core_shape", "number_kind", "inexact", "equal", "all_equal"]


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
    if x.dtype != object:
        return x.astype(dtype)
    out = np.empty(x.shape, dtype=dtype)
    for i, v in enumerate(x.flat):
        out.flat[i] = _to_float(v)
    return out


def _close(x: np.ndarray, y: np.ndarray, tolerance: float) -> np.ndarray:
    """|x-y| <= tol·max(|x|, |y|, 1) elementwise (so tol is also an absolute floor near 0);
    equal infinities and nan against nan count as equal."""
    dtype = np.complex128 if x.dtype.kind == "c" or y.dtype.kind == "c" else np.float64
    xf, yf = inexact(x, dtype), inexact(y, dtype)
    with np.errstate(all="ignore"):
        scale = np.maximum(np.maximum(np.abs(xf), np.abs(yf)), 1.0)
        near = np.isfinite(xf) & np.isfinite(yf) & (np.abs(xf - yf) <= tolerance * scale)
        return np.asarray(near | (xf == yf) | (np.isnan(xf) & np.isnan(yf)))


def _symbolic_equal(x: Any, y: Any, tolerance: float) -> bool:
    import sympy

    sx, sy = sympy.sympify(value_of(x)), sympy.sympify(value_of(y))
    if sx == sy or (sx is sympy.nan and sy is sympy.nan):
        return True
    diff = sympy.expand(sx - sy)
    if diff == 0:
        return True
    # float coefficients (0.333333333333333*a against a/3) leave tiny leftovers
    tiny = {f: 0 for f in diff.atoms(sympy.Float) if abs(f) <= tolerance}
    if tiny and sympy.expand(diff.xreplace(tiny)) == 0:
        return True
    if diff.is_number:
        try:
            d, u, v = abs(complex(diff)), abs(complex(sx)), abs(complex(sy))
        except TypeError:
            return False
        return bool(d <= tolerance * max(u, v, 1.0))
    return False


def _exact_equal(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    if x.dtype != object and y.dtype != object:
        return np.asarray(x == y)
    flags = [bool(value_of(u) == value_of(v)) for u, v in zip(x.flat, y.flat, strict=True)]
    return np.array(flags, dtype=bool).reshape(y.shape)


def equal(x: np.ndarray, y: np.ndarray, *, tolerance: float) -> np.ndarray | None:
    """Which cells of ``x`` equal those of ``y``: a boolean mask shaped like ``y``.

    Integers and fractions compare exactly (4 equals Fraction(4, 1)); when either side is float or
    complex, within the relative ``tolerance`` (with ``tolerance`` as an absolute floor near 0),
    nan equal to nan; symbolic entries by sympy. Shapes that differ only by leading length-1 axes
    are the same cells (a number and a 1x1 matrix, a vector of n and a 1 x n matrix). Returns None
    when the shapes differ otherwise.
    """
    x, y = np.asarray(x), np.asarray(y)
    if x.shape != y.shape:
        if core_shape(x.shape) != core_shape(y.shape):
            return None
        x = x.reshape(y.shape)
    kx, ky = number_kind(x, "the answer"), number_kind(y, "the result")
    if Kind.SYMBOLIC in (kx, ky):
        flags = [_symbolic_equal(u, v, tolerance) for u, v in zip(x.flat, y.flat, strict=True)]
        return np.array(flags, dtype=bool).reshape(y.shape)
    if kx.exact and ky.exact:
        return _exact_equal(x, y)
    return _close(x, y, tolerance)


def all_equal(x: np.ndarray, y: np.ndarray, tolerance: float) -> bool:
    mask = equal(x, y, tolerance=tolerance)
    return mask is not None and bool(mask.all())
