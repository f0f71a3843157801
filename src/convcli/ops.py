"""The four operations: convolve and correlate on their geometry (geometry.py), elementwise-sum
and dot, each computed by the engine, exactly for integers and rationals.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import numpy as np

from . import engine
from .errors import ShapeError, UsageError
from .geometry import Layout, dot_inner, dot_shape, lay_out, require_nonempty, window_input
from .model import Activation, Choice, Kind, Op, OpOptions, Result
from .numeric import (
    as_kind,
    check_allocation,
    kind_of,
    nonfinite_notes,
    scalar_as_kind,
    shrink_int,
    to_python_ints,
    unify,
)
from .text import format_number, shape_text

__all__ = [
    "convolve",
    "correlate",
    "elementwise_sum",
    "dot",
    "run",
    "activate",
]

# ---------------------------------------------------------------------------------------------
# convolve and correlate


def _compute(p: Layout, choices: list[Choice]) -> Any:
    """The arithmetic of a layout: exact for integers and rationals (``engine.exact_bilinear``)."""
    per_output = p.b[0].size if p.options.channels else p.b.size

    def compute(x: np.ndarray, k: np.ndarray, f: Any) -> np.ndarray:
        source, stride = window_input(p, x, f)
        kernel = p.kernel(k)  # dilation is the engine's: no zeros between the taps
        if p.options.channels:
            out, choice = engine.correlate_layer(
                source,
                kernel,
                (stride[0], stride[1]),
                (p.dilation[0], p.dilation[1]),
                p.options.groups,
                p.options.method,
            )
        else:
            out, choice = engine.correlate_strided(source, kernel, stride, p.dilation, p.options.method)
        choices.append(choice)
        return out

    return engine.exact_bilinear(p.kind, p.a, p.b, p.fill, per_output, compute)


def _finish(p: Layout, value: np.ndarray) -> tuple[np.ndarray, Kind]:
    """Bias and activation: y = f(x·w + b)."""
    kind = p.kind
    if p.options.bias:
        bias = np.array(p.options.bias, dtype=object)
        if p.options.channels:
            bias = bias.reshape((-1,) + (1,) * (value.ndim - 1))
        value = _add_exact(value, bias, kind)
    return activate(value, p.options.activation, kind)


def activate(value: np.ndarray, activation: Activation, kind: Kind) -> tuple[np.ndarray, Kind]:
    """f in y = f(x·w + b), entry by entry, and the kind of the result: relu keeps the kind,
    sigmoid and tanh give floats."""
    if activation is Activation.RELU:
        kept = _positive(value)
        if value.dtype.kind == "f":
            kept = kept | np.isnan(value)  # nan stays nan, as in numpy.maximum and torch.relu
        value = np.where(kept, value, scalar_as_kind(kind, 0)).astype(value.dtype)
    elif activation in (Activation.SIGMOID, Activation.TANH):
        if kind in (Kind.COMPLEX, Kind.SYMBOLIC):
            raise UsageError(f"--activation {activation} takes real numbers, not {kind} ones")
        x = as_kind(value, Kind.FLOAT)
        with np.errstate(over="ignore", invalid="ignore"):
            if activation is Activation.TANH:
                value = np.tanh(x)
            else:
                # 1/(1+e^-x) above 0 and e^x/(1+e^x) below: each keeps its digits in its own tail,
                # where 0.5*(1+tanh(x/2)) gives 0 for x = -40 instead of 4.2e-18
                e = np.exp(-np.abs(x))
                value = np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e))
        kind = Kind.FLOAT
    return value, kind


def _positive(value: np.ndarray) -> np.ndarray:
    if value.dtype.kind == "c":
        raise UsageError("--activation relu takes real numbers, not complex ones")
    if value.dtype == object and kind_of(value) is Kind.SYMBOLIC:
        raise UsageError("--activation relu needs numbers: the sign of a symbolic entry is unknown")
    return (
        np.array([bool(v > 0) for v in value.flat]).reshape(value.shape)
        if value.dtype == object
        else value > 0
    )


def _add_exact(value: np.ndarray, bias: np.ndarray, kind: Kind) -> np.ndarray:
    if kind is Kind.INTEGER:
        return shrink_int(to_python_ints(value) + bias)
    if kind in (Kind.FLOAT, Kind.COMPLEX):
        with np.errstate(over="ignore", invalid="ignore"):
            return value + bias.astype(np.float64 if kind is Kind.FLOAT else np.complex128)
    if kind is Kind.RATIONAL:
        return value + np.array([Fraction(v) for v in bias.flat], dtype=object).reshape(bias.shape)
    return value + as_kind(bias, Kind.SYMBOLIC)


def _sliding(op: Op, a: np.ndarray, b: np.ndarray, options: OpOptions) -> Result:
    p = lay_out(op, a, b, options)
    choices: list[Choice] = []
    value, kind = _finish(p, np.asarray(_compute(p, choices)))
    value = value.reshape(p.result_shape(a.shape, b.shape))
    notes = p.notes + nonfinite_notes(value)
    return Result(op, value, kind, tuple(a.shape), tuple(b.shape), options, notes=notes, choice=choices[-1])


def convolve(a: np.ndarray, b: np.ndarray, options: OpOptions | None = None) -> Result:
    """Convolve A with B: the kernel is turned 180° before it slides over A.

    Parameters
    ----------
    a, b : ndarray
        The input and the kernel, of any number kind (see ``convcli.numeric``).
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
    >>> from convcli.model import Mode
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
    require_nonempty(Op.ELEMENTWISE_SUM, a, b)
    if a.shape != b.shape:
        vectors = _as_vectors(a, b)
        hint = (
            f"; as vectors ({vectors[0]} and {vectors[1]}) their elementwise-sum is {vectors[2]}"
            if vectors
            else ""
        )
        raise ShapeError(
            f"elementwise-sum: A is {shape_text(a.shape)} and B is {shape_text(b.shape)}; "
            "it multiplies entries at the same positions, so the shapes must be equal" + hint,
            short=f"shapes {shape_text(a.shape)} and {shape_text(b.shape)} differ",
        )
    a2, b2, kind = unify(a, b, terms=a.size)
    products = engine.exact_bilinear(kind, a2, b2, None, 1, lambda x, y, _f: x * y)
    total = engine.exact_bilinear(kind, a2, b2, None, a2.size, lambda x, y, _f: np.sum(x * y))
    total = np.asarray(total)
    return Result(
        Op.ELEMENTWISE_SUM, total, kind, a.shape, b.shape, products=products, notes=nonfinite_notes(total)
    )


def _vector_like(x: np.ndarray) -> bool:
    """A vector, or a matrix of one row or one column."""
    return x.ndim == 1 or (x.ndim == 2 and 1 in x.shape)


def _vector_text(x: np.ndarray) -> str:
    """How to write ``x`` as a 1-D literal, shortened when long: ``"[1,2,3]"``."""
    flat = x.reshape(-1)
    shown = [format_number(v) for v in flat[:6].tolist()]
    return '"[' + ",".join(shown) + (",...]" if flat.size > 6 else "]") + '"'


def _as_vectors(a: np.ndarray, b: np.ndarray) -> tuple[str, str, str] | None:
    """For a row or column A and B of equal length that do not fit as written: how to write them
    as vectors, and their dot product as vectors (which is also their elementwise-sum)."""
    if not (_vector_like(a) and _vector_like(b)) or a.size != b.size or a.size < 2:
        return None
    value = dot(a.reshape(-1), b.reshape(-1)).value
    return _vector_text(a), _vector_text(b), format_number(value[()])


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
    require_nonempty(Op.DOT, a, b)
    n, m = dot_inner(a.shape, b.shape)
    out_shape = dot_shape(a.shape, b.shape)
    if out_shape is None:
        # "1 2 3" is a 1x3 matrix, as written; the dot product of a fully connected layer is of vectors
        vectors = _as_vectors(a, b)
        hint = ""
        if vectors:
            hint = (
                f"; as vectors ({vectors[0]} and {vectors[1]}) their dot product, and their "
                f"elementwise-sum, is {vectors[2]}"
            )
        raise ShapeError(
            f"dot: A is {shape_text(a.shape)} and B is {shape_text(b.shape)}; "
            f"the inner dimensions ({n} and {m}) must match" + hint,
            short=f"inner dimensions {n} and {m} differ",
        )
    a2, b2, kind = unify(a, b, terms=n)
    check_allocation(out_shape, kind, "the result")
    value = engine.exact_bilinear(kind, a2, b2, None, n, lambda x, y, _f: np.dot(x, y))
    value = np.asarray(value)
    return Result(Op.DOT, value, kind, a.shape, b.shape, notes=nonfinite_notes(value))


def run(op: Op, a: np.ndarray, b: np.ndarray, options: OpOptions | None = None) -> Result:
    """Dispatch one operation by name."""
    if op is Op.CONVOLVE:
        return convolve(a, b, options)
    if op is Op.CORRELATE:
        return correlate(a, b, options)
    if op is Op.ELEMENTWISE_SUM:
        return elementwise_sum(a, b)
    return dot(a, b)
