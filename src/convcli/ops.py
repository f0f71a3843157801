"""The four operations. The ONE place that knows modes, 'same' alignment and boundaries.

Every convolve/correlate is reduced to a valid-mode correlation (``engine.correlate_valid``) of
the input, padded per axis by the mode and the boundary rule, with the kernel as applied: turned
180° for convolve, conjugated for correlate (as scipy does for complex kernels).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from . import engine
from .errors import ShapeError
from .model import Boundary, Kind, Mode, Op, OpOptions, Result
from .numbers import (
    abs_max,
    as_kind,
    common_kind,
    from_scaled,
    kind_of,
    kind_of_value,
    shrink_int,
    to_python_ints,
    to_scaled,
)

__all__ = [
    "convolve",
    "correlate",
    "elementwise_sum",
    "dot",
    "run",
    "rot180",
    "shape_text",
    "same_start",
]

_INT64_MAX = 2**63 - 1


def shape_text(shape: tuple[int, ...]) -> str:
    """``5x5`` for a matrix, ``1-D of length 5`` for a vector."""
    if len(shape) == 1:
        return f"1-D of length {shape[0]}"
    return "x".join(str(n) for n in shape)


def rot180(b: np.ndarray) -> np.ndarray:
    """B turned 180° (every axis reversed): the kernel as convolve applies it."""
    return b[(slice(None, None, -1),) * b.ndim]


def same_start(op: Op, k: int) -> int:
    """Where 'same' mode starts slicing the full result, for a kernel extent ``k``.

    scipy's convolve2d centres the kernel at (k-1)//2 and correlate2d at k//2; they differ only
    for even k, where the extra row or column falls on opposite sides.
    """
    return (k - 1) // 2 if op is Op.CONVOLVE else k // 2


# ---------------------------------------------------------------------------------------------
# exact arithmetic shared by all operations


def _unify(a: np.ndarray, b: np.ndarray, fill: Any = None) -> tuple[np.ndarray, np.ndarray, Kind]:
    kinds = [kind_of(a), kind_of(b)]
    if fill is not None:
        kinds.append(kind_of_value(fill))
    kind = common_kind(kinds)
    return as_kind(a, kind), as_kind(b, kind), kind


Compute = Callable[[np.ndarray, np.ndarray, Any], np.ndarray]


def _exact(kind: Kind, a: np.ndarray, b: np.ndarray, fill: Any, terms: int, fn: Compute) -> Any:
    """Run ``fn(a, b, fill)`` so that integer and rational results are exact.

    ``terms`` is the most products one output entry sums. Integers use int64 only when
    max|a|·max|b|·terms proves no entry can overflow, and Python ints otherwise; rationals are
    scaled to integers over a common denominator, computed as integers, then divided back.
    """
    if kind is Kind.INTEGER:
        amax = max(abs_max(a), abs(int(fill or 0)))
        if a.dtype == object or b.dtype == object or amax * abs_max(b) * max(terms, 1) > _INT64_MAX:
            a, b = to_python_ints(a), to_python_ints(b)
            fill = int(fill or 0)
        return shrink_int(np.asarray(fn(a, b, fill)))
    if kind is Kind.RATIONAL:
        an, da, (fill_n,) = to_scaled(a, [fill or 0])
        bn, db, _ = to_scaled(b)
        nums = _exact(Kind.INTEGER, an, bn, fill_n, terms, fn)
        return from_scaled(np.asarray(nums), da * db)
    return np.asarray(fn(a, b, fill))


def _as_fill(kind: Kind, fill: Any) -> Any:
    if kind is Kind.FLOAT:
        return float(fill)
    if kind is Kind.COMPLEX:
        return complex(fill)
    return fill


# ---------------------------------------------------------------------------------------------
# convolve and correlate


def _match_ndim(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Give both operands the same number of axes, a 1-D vector becoming a 1 x N row."""
    notes = []
    if a.ndim < b.ndim:
        notes.append(f"A ({shape_text(a.shape)}) is read as {shape_text((1,) * (b.ndim - a.ndim) + a.shape)}")
        a = a.reshape((1,) * (b.ndim - a.ndim) + a.shape)
    elif b.ndim < a.ndim:
        notes.append(f"B ({shape_text(b.shape)}) is read as {shape_text((1,) * (a.ndim - b.ndim) + b.shape)}")
        b = b.reshape((1,) * (a.ndim - b.ndim) + b.shape)
    return a, b, notes


def _pads(op: Op, a_shape: tuple[int, ...], k_shape: tuple[int, ...], mode: Mode) -> tuple[list[tuple[int, int]], bool]:
    """Padding (before, after) per axis that turns ``mode`` into a valid correlation.

    Returns the pads and whether they must be zeros whatever the boundary (valid mode with B
    larger than A, where scipy swaps the operands and no boundary value is ever read).
    """
    if mode is Mode.VALID:
        if all(m >= k for m, k in zip(a_shape, k_shape, strict=True)):
            return [(0, 0)] * len(a_shape), False
        if all(k >= m for m, k in zip(a_shape, k_shape, strict=True)):
            # B covers A: the part of the full result where A lies inside B.
            return [(k - m, k - m) for m, k in zip(a_shape, k_shape, strict=True)], True
        raise ShapeError(
            f"{op} (valid): A is {shape_text(a_shape)} and B is {shape_text(k_shape)}; in valid mode one "
            "operand must be at least as large as the other on every axis (or use --mode same or full)",
            short=f"valid mode: neither {shape_text(a_shape)} nor {shape_text(k_shape)} covers the other",
        )
    if mode is Mode.FULL:
        return [(k - 1, k - 1) for k in k_shape], False
    pads = []
    for k in k_shape:
        start = same_start(op, k)
        pads.append((k - 1 - start, start))
    return pads, False


def _pad(a: np.ndarray, pads: list[tuple[int, int]], boundary: Boundary, fill: Any) -> np.ndarray:
    if not any(before or after for before, after in pads):
        return a
    if boundary is Boundary.FILL:
        return np.pad(a, pads, mode="constant", constant_values=fill)
    return np.pad(a, pads, mode="wrap" if boundary is Boundary.WRAP else "symmetric")


def kernel_as_applied(op: Op, b: np.ndarray) -> np.ndarray:
    """The kernel that slides over A unturned: B turned 180° for convolve, conj(B) for correlate."""
    if op is Op.CONVOLVE:
        return rot180(b)
    return np.conj(b) if b.dtype.kind == "c" else b


def _sliding(op: Op, a: np.ndarray, b: np.ndarray, options: OpOptions) -> Result:
    a_shape, b_shape = tuple(a.shape), tuple(b.shape)
    _require_nonempty(op, a, b)
    a2, b2, notes = _match_ndim(a, b)
    a2, b2, kind = _unify(a2, b2, options.fillvalue)
    fill = _as_fill(kind, options.fillvalue)
    pads, zeros_only = _pads(op, tuple(a2.shape), tuple(b2.shape), options.mode)
    boundary = Boundary.FILL if zeros_only else options.boundary

    # The kernel passes through _exact (widened or scaled to integers together with A) and is
    # only then turned or conjugated.
    def compute(x: np.ndarray, k: np.ndarray, f: Any) -> np.ndarray:
        padded = _pad(x, pads, boundary, 0 if zeros_only else f)
        return engine.correlate_valid(padded, kernel_as_applied(op, k))

    value = _exact(kind, a2, b2, fill, b2.size, compute)
    if a.ndim == 1 and b.ndim == 1:
        value = value.reshape(-1)
    return Result(op, value, kind, a_shape, b_shape, options, notes=tuple(notes))


def convolve(a: np.ndarray, b: np.ndarray, options: OpOptions | None = None) -> Result:
    """Convolve A with B: the kernel is turned 180° before it slides over A.

    Parameters
    ----------
    a, b : ndarray
        The input and the kernel, of any number kind (see ``convcli.numbers``).
    options : OpOptions
        ``mode`` {'valid', 'same', 'full'} (default 'valid'): valid gives only the positions
        where one operand covers the other (m-p+1 per axis), same gives A's shape, full every
        overlap (m+p-1). ``boundary`` {'fill', 'wrap', 'symm'} and ``fillvalue`` say what lies
        outside A in 'same' and 'full'.

    Returns
    -------
    Result
        Its ``value`` equals ``scipy.signal.convolve2d(a, b, mode, boundary, fillvalue)`` (and
        ``scipy.signal.convolve`` for n-D), exactly for integer and rational inputs.

    Notes
    -----
    C[i,j] = sum_u sum_v A[i+p-1-u, j+q-1-v] * B[u,v] in valid mode, which is
    ``correlate(A, rot180(B))``.

    Examples
    --------
    >>> import numpy as np
    >>> convolve(np.array([1, 2, 3, 4, 5]), np.array([1, 2]), OpOptions(mode=Mode.FULL)).value
    array([ 1,  4,  7, 10, 13, 10])
    """
    return _sliding(Op.CONVOLVE, a, b, options or OpOptions())


def correlate(a: np.ndarray, b: np.ndarray, options: OpOptions | None = None) -> Result:
    """Cross-correlate A with B: the kernel slides over A unturned (what a CNN layer computes).

    Parameters and modes are those of :func:`convolve`. For complex B the kernel is
    conjugated, as in ``scipy.signal.correlate2d``.

    Notes
    -----
    C[i,j] = sum_u sum_v A[i+u, j+v] * B[u,v] in valid mode. In 'same' mode the full result is
    sliced from k//2 (convolve starts at (k-1)//2), as scipy does.

    Examples
    --------
    >>> import numpy as np
    >>> correlate(np.array([[0, 1, 2], [3, 4, 5], [6, 7, 8]]), np.array([[0, 1], [2, 3]])).value
    array([[19, 25],
           [37, 43]])
    """
    return _sliding(Op.CORRELATE, a, b, options or OpOptions())


# ---------------------------------------------------------------------------------------------
# elementwise-sum and dot


def _require_nonempty(op: Op, a: np.ndarray, b: np.ndarray) -> None:
    for name, x in (("A", a), ("B", b)):
        if x.size == 0:
            raise ShapeError(f"{op}: {name} is empty ({shape_text(tuple(x.shape))})", short=f"{name} is empty")


def elementwise_sum(a: np.ndarray, b: np.ndarray) -> Result:
    """The sum of the element-wise products of two equally shaped arrays (a scalar).

    Equals ``numpy.sum(numpy.multiply(a, b))``; the products themselves are kept in
    ``Result.products``. It is the Frobenius inner product, and correlate's value for one window.

    Examples
    --------
    >>> import numpy as np
    >>> int(elementwise_sum(np.array([[1, 2], [3, 4]]), np.array([[1, 0], [0, 1]])).value)
    5
    """
    _require_nonempty(Op.ELEMENTWISE_SUM, a, b)
    if a.shape != b.shape:
        raise ShapeError(
            f"elementwise-sum: A is {shape_text(a.shape)} and B is {shape_text(b.shape)}; "
            "it multiplies entries at the same positions, so the shapes must be equal",
            short=f"shapes {shape_text(a.shape)} and {shape_text(b.shape)} differ",
        )
    a2, b2, kind = _unify(a, b)
    products = _exact(kind, a2, b2, None, 1, lambda x, y, _f: x * y)
    total = _exact(kind, a2, b2, None, a2.size, lambda x, y, _f: np.sum(x * y))
    return Result(Op.ELEMENTWISE_SUM, np.asarray(total), kind, a.shape, b.shape, products=products)


def _inner(a_shape: tuple[int, ...], b_shape: tuple[int, ...]) -> tuple[int, int]:
    return a_shape[-1], (b_shape[-2] if len(b_shape) >= 2 else b_shape[0])


def dot(a: np.ndarray, b: np.ndarray) -> Result:
    """``numpy.dot(a, b)``: the matrix product for 2-D operands, the inner product for 1-D.

    Rows of A meet columns of B, so for two 3x3 matrices the result is a 3x3 matrix, not the
    single sum of element-wise products.

    Examples
    --------
    >>> import numpy as np
    >>> dot(np.array([[1, 2], [3, 4]]), np.array([[1, 0], [0, 1]])).value
    array([[1, 2],
           [3, 4]])
    """
    _require_nonempty(Op.DOT, a, b)
    n, m = _inner(a.shape, b.shape)
    if n != m:
        raise ShapeError(
            f"dot: A is {shape_text(a.shape)} and B is {shape_text(b.shape)}; "
            f"the inner dimensions ({n} and {m}) must match",
            short=f"inner dimensions {n} and {m} differ",
        )
    a2, b2, kind = _unify(a, b)
    value = _exact(kind, a2, b2, None, n, lambda x, y, _f: np.dot(x, y))
    return Result(Op.DOT, np.asarray(value), kind, a.shape, b.shape)


def run(op: Op, a: np.ndarray, b: np.ndarray, options: OpOptions | None = None) -> Result:
    """Dispatch one operation by name."""
    if op is Op.CONVOLVE:
        return convolve(a, b, options)
    if op is Op.CORRELATE:
        return correlate(a, b, options)
    if op is Op.ELEMENTWISE_SUM:
        return elementwise_sum(a, b)
    return dot(a, b)
