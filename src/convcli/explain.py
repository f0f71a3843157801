"""compare: the four operations side by side, and how they relate for these particular inputs.

Explanations are data (``Fact``); render.py and formats.py decide how they look.
"""

from __future__ import annotations

import numpy as np

from . import ops
from .errors import ShapeError
from .model import Comparison, Fact, Mode, Op, OpOptions, Result, Undefined
from .numbers import common_kind, format_number, kind_of

__all__ = ["compare", "matrix_text"]


def matrix_text(a: np.ndarray) -> str:
    """A small array inline, numpy style: ``[[1, 0], [0, 1]]``."""
    if a.ndim == 0:
        return format_number(a[()])
    if a.ndim == 1:
        return "[" + ", ".join(format_number(v) for v in a) + "]"
    return "[" + ", ".join(matrix_text(row) for row in a) + "]"


def compare(a: np.ndarray, b: np.ndarray, options: OpOptions | None = None) -> Comparison:
    """Run convolve, correlate, elementwise-sum and dot on A and B; explain how they relate.

    An operation that is undefined for these shapes is kept as the sentence saying why.
    """
    options = options or OpOptions()
    results: dict[Op, Result | Undefined] = {}
    for op in Op:
        try:
            results[op] = ops.run(op, a, b, options)
        except ShapeError as exc:
            results[op] = Undefined(exc.message, exc.short)
    kind = common_kind([kind_of(a), kind_of(b)])
    facts = (_flip_fact(b, results), _window_fact(a, b, results, options), _dot_fact(a, b, results))
    return Comparison(tuple(a.shape), tuple(b.shape), kind, options, results, facts)


def _equal(x: np.ndarray, y: np.ndarray) -> bool:
    return x.shape == y.shape and bool(np.all(x == y))


def _flip_fact(b: np.ndarray, results: dict[Op, Result | Undefined]) -> Fact:
    turned = ops.rot180(b)
    conj = b.dtype.kind == "c"
    applied = ops.kernel_as_applied(Op.CORRELATE, b)
    if _equal(turned, applied):
        why = "B equals B turned 180°" + (" and conjugated" if conj else "")
        return Fact(
            "flip",
            f"{why}, so convolve and correlate give the same result: the flip makes no difference "
            "for a symmetric kernel.",
        )
    conv, corr = results[Op.CONVOLVE], results[Op.CORRELATE]
    same = isinstance(conv, Result) and isinstance(corr, Result) and _equal(conv.value, corr.value)
    slides = "conj(B)" if conj else "B as it is"
    text = (
        f"B is not symmetric under a 180° turn: convolve slides B turned 180° "
        f"({matrix_text(turned)}) over A, correlate slides {slides}"
    )
    text += ", yet for these inputs the results agree." if same else ", so their results differ."
    return Fact("flip", text)


def _window_fact(
    a: np.ndarray, b: np.ndarray, results: dict[Op, Result | Undefined], options: OpOptions
) -> Fact:
    esum, corr = results[Op.ELEMENTWISE_SUM], results[Op.CORRELATE]
    if isinstance(esum, Result):
        total = format_number(esum.value[()])
        if options.mode is Mode.VALID:
            tail = f"correlate (valid) has exactly one window, the whole of A, and gives [{total}] too."
        else:
            tail = f"correlate in valid mode would give exactly that one window, [{total}]."
        return Fact(
            "window",
            f"elementwise-sum multiplies A and B entry by entry and adds the products: {total}. "
            f"A and B have the same shape, so {tail}",
        )
    if a.ndim == b.ndim and all(m >= k for m, k in zip(a.shape, b.shape, strict=True)):
        window = tuple(slice(0, k) for k in b.shape)
        first = ops.elementwise_sum(a[window], b).value[()]
        where = ", ".join(f"0:{k}" for k in b.shape)
        at = ", ".join("0" for _ in b.shape)
        also = ""
        if isinstance(corr, Result) and options.mode is Mode.VALID:
            also = f" = correlate[{at}]"
        return Fact(
            "window",
            "elementwise-sum needs A and B of one shape; it is what correlate computes at every "
            f"window: sum(A[{where}] * B) = {format_number(first)}{also}, and so on for each position.",
        )
    return Fact(
        "window",
        "elementwise-sum needs A and B of one shape; correlate applies that same sum of products "
        "at every position where B fits over A.",
    )


def _dot_fact(a: np.ndarray, b: np.ndarray, results: dict[Op, Result | Undefined]) -> Fact:
    d = results[Op.DOT]
    if isinstance(d, Result):
        if a.ndim == 1 and b.ndim == 1:
            return Fact(
                "dot",
                f"dot of two vectors is their inner product, the sum of element-wise products: "
                f"{format_number(d.value[()])}.",
            )
        first = format_number(d.value.flat[0])
        return Fact(
            "dot",
            "dot is a matrix product: entry [0, 0] is row 0 of A times column 0 of B "
            f"({first}), so the result is {ops.shape_text(d.shape)}, not one sum over matching "
            "entries. A convolutional layer does not compute this.",
        )
    n, m = a.shape[-1], (b.shape[-2] if b.ndim >= 2 else b.shape[0])
    return Fact(
        "dot",
        f"dot is a matrix product: rows of A (length {n}) meet columns of B (length {m}), so it "
        "is undefined here; it is not what a convolutional layer computes over height and width.",
    )
