"""check: is an answer right, and if not, which familiar mistake produces it.

``check`` computes the right result and compares the answer with it cell by cell by the closeness
rule (exactly for exact inputs; for floats within a tolerance relative to each cell's scale). When
the answer is wrong it looks for the neighbouring answer a student is likely to have computed
instead (see slips.py: the other operation, mode or alignment, a changed kernel, a stride,
padding or dilation off by one, pairs of these, np.dot), then for slips in writing the answer
down (transposed, reshaped, rounded, channels not summed) and for arithmetic on the right result
(a constant offset, a scale factor), which answer_slips.py finds for every check. The first one
the answer equals is the diagnosis.

Each neighbour is first compared with the answer at a few cells read directly from the operands;
only one that agrees there is computed whole, so a check costs about one computation.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

import numpy as np

from . import parsing, slips
from .answer_slips import Search, arithmetic_slip, shape_words, worst_text, writing_slip
from .closeness import (
    TOLERANCE,
    Expected,
    all_equal,
    core_shape,
    equal,
    exact_problem,
    inexact,
    number_kind,
    right_result,
)
from .errors import ConvcliError, ShapeError, UsageError
from .explanations import CheckReport, Diagnosis
from .model import SLIDING, Kind, Op, OpOptions
from .steps import in_kind, operand_kind

__all__ = [
    "check",
    "read_answer",
    "read_answer_as",
    "answer_array",
    "judged_report",
]


# ---------------------------------------------------------------------------------------------
# the suspects: other operations, modes, kernels, geometry (slips.py)


def _from_suspects(search: Search, suspects: Iterator[slips.Candidate]) -> Diagnosis | None:
    answer = search.answer
    for c in suspects:
        shape = slips.shape_of(c)
        if shape is None or core_shape(shape) != core_shape(answer.shape):
            continue
        x = answer.reshape(shape)
        try:
            with np.errstate(all="ignore"):
                if search.kind is not Kind.SYMBOLIC:
                    cells = search.cells(shape)
                    values = slips.sample(c, cells, search.kind)
                    if not all(
                        search.agrees(x[cell], v, size) for cell, (v, size) in zip(cells, values, strict=True)
                    ):
                        continue
                _, expected = slips.compute(c)
        except (ShapeError, UsageError):
            continue
        if all_equal(answer, expected, search.tolerance):
            return Diagnosis(c.key, c.text, c.options, c.op, (c.a, c.b) if c.changed else None)
    return None


# ---------------------------------------------------------------------------------------------
# check


def _diagnose(
    search: Search, mask: np.ndarray | None, op: Op, a: np.ndarray, b: np.ndarray, options: OpOptions
) -> Diagnosis | None:
    """The simplest explanation first: one slip, a slip in writing the answer down, arithmetic on
    the right result; then two slips."""
    found = _from_suspects(search, slips.candidates(op, a, b, options)) or writing_slip(search, op, options)
    if found is None and mask is not None:
        found = arithmetic_slip(search, mask, options)
    return found or _from_suspects(search, slips.pairs(op, a, b, options))


def read_answer(
    arg: str, a: np.ndarray, b: np.ndarray, op: Op, options: OpOptions, *, exact: bool = False
) -> tuple[np.ndarray, bool]:
    """Read the answer ``arg`` (any matrix argument) as written: for an exact problem every
    decimal exactly (0.1 is 1/10, 1e11 is 10**11), as --exact reads everything.

    Returns the answer and whether it could only be read as floats: nan and inf have no exact
    value, and no exact result holds them, so such an answer is read as floats (and is wrong).
    """
    sliding = op in SLIDING
    return read_answer_as(arg, exact_problem(a, b, options if sliding else OpOptions()), exact=exact)


def read_answer_as(arg: str, exact_inputs: bool, *, exact: bool = False) -> tuple[np.ndarray, bool]:
    """Read the answer ``arg``, every decimal exactly when the inputs are exact (``exact_inputs``)
    or --exact was given; see :func:`read_answer`."""
    as_written = exact or exact_inputs
    try:
        return parsing.read_matrix(arg, name="answer", exact=as_written), False
    except ConvcliError as exc:
        if exact or not as_written or arg == "-":  # standard input cannot be read twice
            raise
        why = exc.message
    answer = parsing.read_matrix(arg, name="answer")  # its own error, if it is not a matrix at all
    if answer.dtype.kind not in "fc" or np.isfinite(answer).all():
        # what stopped the exact reading was an exponent (1e-2000): say why it was exact
        raise UsageError(f"{why} (the inputs are exact, so the answer is read exactly)")
    return answer, True


def _written_as_floats(mask: np.ndarray, answer: np.ndarray, y: np.ndarray, kind: Kind) -> np.ndarray:
    """The right cells of an answer to an exact problem that could only be read as floats: those
    right exactly, and the finite ones that are the float nearest the right value."""
    if kind not in (Kind.INTEGER, Kind.RATIONAL):
        return mask
    with np.errstate(invalid="ignore"):
        nearest = np.asarray(answer.reshape(y.shape) == inexact(y, np.float64))
    mask = mask | (nearest & np.isfinite(answer.reshape(y.shape)))
    assert not mask.all(), "a nan or inf in the answer is a wrong cell"
    return mask


def answer_array(answer: Any, tolerance: float) -> tuple[np.ndarray, Kind]:
    """The answer as an array, and its kind; refuses an empty one and a bad --tolerance."""
    if not (isinstance(tolerance, int | float) and math.isfinite(tolerance) and tolerance >= 0):
        raise UsageError(f"--tolerance takes a finite number >= 0, got {tolerance}")
    answer = np.asarray(answer)
    answer_kind = number_kind(answer, "the answer")
    if answer.size == 0:
        raise UsageError("the answer is empty")
    return answer, answer_kind


def judged_report(
    answer: np.ndarray,
    answer_kind: Kind,
    expected: Expected,
    kind: Kind,
    tolerance: float,
    written_as_floats: bool,
) -> tuple[np.ndarray | None, list[tuple[int, ...]]]:
    """Which cells of the answer are right (None when the shapes differ), and the wrong ones."""
    mask = equal(answer, expected, tolerance=tolerance, x_kind=answer_kind)
    if mask is None:
        return None, []
    if written_as_floats:
        mask = _written_as_floats(mask, answer, expected.value, kind)
    if mask.ndim == 0:
        return mask, [()]
    # flat indices, then coordinates: argwhere on a 2-D mask costs as much as the comparison itself
    where = np.unravel_index(np.flatnonzero(~mask), mask.shape)
    return mask, list(zip(*(axis.tolist() for axis in where), strict=True))


def check(
    a: np.ndarray,
    b: np.ndarray,
    answer: Any,
    op: Op,
    options: OpOptions,
    *,
    tolerance: float = TOLERANCE,
    written_as_floats: bool = False,
) -> CheckReport:
    """Is ``answer`` the result of ``op`` on A and B with ``options``? If not, why not.

    Parameters
    ----------
    a, b : ndarray
        The operands, of any number kind.
    answer : array_like
        The answer to check; a scalar answer may be a number, a 1-element vector or a 1x1 matrix.
    op : Op
        The operation the answer claims to be.
    options : OpOptions
        Mode, convention, stride, padding, dilation... as for :func:`convcli.ops.run`.
    tolerance : float
        For float and complex results: how far each cell may be off, relative to the cell's scale
        (the sum of the absolute values of its products). Exact results are matched exactly.
    written_as_floats : bool
        The answer to an exact problem could only be read as floats (it holds nan or inf, which
        no exact result does): it is wrong, and its finite cells are taken to be the numbers
        written when each is the float nearest the right value.

    Returns
    -------
    CheckReport
        ``match``, the right result, the wrong cells or the shape mismatch, and the first
        neighbouring answer (the other operation, mode, 'same' convention, transposed or turned
        kernel, stride/padding/dilation off by one or two of these, np.dot, an offset, a scale)
        that the answer equals, or how far off it is.

    Examples
    --------
    >>> import numpy as np
    >>> from convcli.model import Mode, Op, OpOptions
    >>> x, k = np.array([1, 2, 3, 4, 5]), np.array([1, 2])
    >>> check(x, k, np.array([1, 4, 7, 10, 13]), Op.CORRELATE, OpOptions(mode=Mode.SAME)).diagnosis.key
    'flipped'
    """
    options = options or OpOptions()
    answer, answer_kind = answer_array(answer, tolerance)
    result, expected = right_result(op, a, b, options)
    y = result.value
    mask, wrong = judged_report(answer, answer_kind, expected, result.kind, tolerance, written_as_floats)
    if mask is not None and bool(mask.all()):
        return CheckReport(True, result, answer, [], None, None, None)
    mismatch = None
    if mask is None:
        mismatch = (
            f"your answer is {shape_words(answer.shape)} but {slips.describe(op, options)} gives "
            f"{shape_words(y.shape)}"
        )
    kind = operand_kind(a, b, options if op in SLIDING else OpOptions())
    a, b = in_kind(a, kind), in_kind(b, kind)
    exact = result.kind in (Kind.INTEGER, Kind.RATIONAL)
    search = Search(answer, answer_kind, result, expected, exact, kind, tolerance, wrong)
    diagnosis = _diagnose(search, mask, op, a, b, options)
    worst = None
    if diagnosis is None and mask is not None:
        worst = worst_text(answer.reshape(y.shape), y, mask, wrong, answer_kind.exact and result.kind.exact)
    return CheckReport(False, result, answer, wrong, mismatch, diagnosis, worst)
