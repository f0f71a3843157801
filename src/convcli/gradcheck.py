"""check --op grad-input|grad-weight|grad-bias: is an answer the gradient of the layer, and if not,
which classic slip of the backward pass gives it.

The slips (each named only when its result equals the answer by check's closeness rule):

- dX with the weights not turned 180° (the full correlation of G with W itself);
- the stride not dilated into G (G used as it is, as if the stride were 1);
- dW as a convolution of X with G instead of a correlation (G turned 180°), or dW turned 180°;
- dX without the padding cropped (the gradient of the padded input);
- db summed over every filter instead of one number per filter;
- two of the first ones at once; and, as for every check, the answer transposed, reshaped,
  rounded, offset or scaled.

Each suspect is first compared with the answer at a few cells, derived one by one
(gradsteps.sample_cells); only one that agrees there is computed whole.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from .answer_slips import Search, arithmetic_slip, shape_words, worst_text, writing_slip
from .closeness import TOLERANCE, Expected, all_equal, core_shape, magnitudes
from .diagnose import answer_array, judged_report
from .errors import ConvcliError
from .explanations import Diagnosis, Verdict
from .geometry import lay_out
from .grad import grad
from .gradsteps import sample_cells
from .model import BoundaryRule, GradOf, GradResult, Kind, Mode, Op, OpOptions
from .numeric import is_zero, kind_of, sum_as_written
from .text import values_text

__all__ = ["GradExpected", "GradCheckReport", "check_grad"]


@dataclass(frozen=True)
class GradExpected:
    """The right answer: ``value``, the gradient ``of`` of ``result`` (all three gradients)."""

    value: np.ndarray
    result: GradResult
    of: GradOf


class GradCheckReport(Verdict[GradExpected]):
    """The verdict on an answer to one gradient of a layer."""


@dataclass(frozen=True)
class _Suspect:
    """A neighbouring answer: the gradient ``of`` of the layer on other operands or options, then
    (``after``) changed as a whole."""

    key: str
    text: str
    x: np.ndarray
    w: np.ndarray
    g: np.ndarray | None
    options: OpOptions
    of: GradOf
    after: Callable[[np.ndarray], np.ndarray] | None = None


def _spatial_turn(a: np.ndarray, spatial: int) -> np.ndarray:
    """``a`` turned 180° on its last ``spatial`` axes (the channel and filter axes stay)."""
    key: tuple[Any, ...] = (Ellipsis, *(slice(None, None, -1),) * spatial)
    return a[key]


def _undilated(
    x: np.ndarray, w: np.ndarray, g: np.ndarray, options: OpOptions
) -> tuple[np.ndarray, OpOptions] | None:
    """G in the corner of a stride-1 layer's output, zeros elsewhere: the gradient of that layer
    is what G used without zeros between its entries gives."""
    one = replace(options, stride=(1,))
    try:
        p = lay_out(Op.CORRELATE, x, w, one)
    except ConvcliError:
        return None
    shape = p.result_shape(tuple(x.shape), tuple(w.shape))
    if g.ndim != len(shape) or any(a > b for a, b in zip(g.shape, shape, strict=True)):
        return None
    out = np.zeros(shape, dtype=object)
    out[...] = 0
    out[tuple(slice(0, n) for n in g.shape)] = g
    return out, one


def _suspects(
    x: np.ndarray, w: np.ndarray, g: np.ndarray, result: GradResult, of: GradOf
) -> Iterator[_Suspect]:
    options = result.options
    p = lay_out(result.op, x, w, options)
    spatial = len(p.pads)
    strided = any(s > 1 for s in p.stride)
    turned_w = _spatial_turn(w, spatial)
    if of is GradOf.INPUT and not np.array_equal(turned_w, w):
        yield _Suspect(
            "weights-not-turned",
            "dX computed with W as it is: the input gradient meets each G cell with W turned 180° "
            "(the full correlation of G with rot180(W), which is the transposed convolution)",
            x,
            turned_w,
            g,
            options,
            of,
        )
    if strided and of is not GradOf.BIAS:
        undilated = _undilated(x, w, g, options)
        if undilated is not None:
            stride = values_text(options.stride)
            gaps = {s - 1 for s in p.stride}
            zeros = "s-1 zeros" if len(gaps) > 1 else f"{min(gaps)} zero" + ("s" if min(gaps) > 1 else "")
            meets = "X" if of is GradOf.WEIGHT else "W"
            yield _Suspect(
                "stride-not-dilated",
                f"G used as it is: with stride {stride}, G needs {zeros} between its entries (the stride "
                f"dilated into it) before it meets {meets}",
                x,
                w,
                undilated[0],
                undilated[1],
                of,
            )
    if of is GradOf.WEIGHT:
        turned_g = _spatial_turn(g, spatial)
        if not np.array_equal(turned_g, g):
            yield _Suspect(
                "weight-convolved",
                "dW computed as a convolution of X with G (G turned 180°): it is a correlation, "
                "dW = correlate(X, G), with no turn",
                x,
                w,
                turned_g,
                options,
                of,
            )
        yield _Suspect(
            "weight-turned",
            "dW turned 180°: only the input gradient turns W; dW = correlate(X, G) is in W's own orientation",
            x,
            w,
            g,
            options,
            of,
            lambda a: _spatial_turn(a, spatial),
        )
    padded = any(before or after for before, after in p.pads)
    if of is GradOf.INPUT and padded and p.boundary is BoundaryRule.FILL and is_zero(p.fill):
        big = p.padded()
        if big.ndim > x.ndim and all(n == 1 for n in big.shape[: big.ndim - x.ndim]):
            big = big.reshape(big.shape[big.ndim - x.ndim :])
    if (
        of is GradOf.INPUT
        and padded
        and p.boundary is BoundaryRule.FILL
        and is_zero(p.fill)
        and big.ndim == x.ndim
    ):
        yield _Suspect(
            "padding-not-cropped",
            "dX with the padding's rows and columns still on: the gradient reaches the padded input, "
            "and the padding is then cut off (it is not part of X)",
            big,
            w,
            g,
            replace(options, padding=None, mode=Mode.VALID),
            of,
        )
    if of is GradOf.BIAS and result.grad_bias.ndim == 1 and result.grad_bias.size > 1:
        yield _Suspect(
            "bias-summed-over-filters",
            "db summed over every filter: each filter has its own bias, and db[o] is the sum of G[o]",
            x,
            w,
            g,
            options,
            of,
            lambda a: np.array(sum_as_written(a.ravel().tolist()), dtype=object),
        )


def _pairs(x: np.ndarray, w: np.ndarray, g: np.ndarray, result: GradResult, of: GradOf) -> Iterator[_Suspect]:
    """The weights not turned and the stride not dilated, at once (dX by the usual recipe with
    both steps left out)."""
    if of is not GradOf.INPUT:
        return
    first = next((s for s in _suspects(x, w, g, result, of) if s.key == "weights-not-turned"), None)
    if first is None:
        return
    for second in _suspects(first.x, first.w, g, result, of):
        if second.key == "stride-not-dilated":
            yield replace(second, key=f"{first.key}+{second.key}", text=f"{first.text}; and {second.text}")


def _shape(s: _Suspect) -> tuple[int, ...] | None:
    shapes = {GradOf.INPUT: s.x.shape, GradOf.WEIGHT: s.w.shape}
    if s.of in shapes:
        return tuple(shapes[s.of])
    if s.after is not None:
        return ()
    return None


def _whole(s: _Suspect, op: Op) -> np.ndarray:
    value = grad(s.x, s.w, s.g, op, s.options).value(s.of)
    return value if s.after is None else s.after(value)


def _from_suspects(search: Search, suspects: Iterator[_Suspect], op: Op) -> Diagnosis | None:
    answer = search.answer
    for s in suspects:
        try:
            shape = _shape(s) or tuple(_whole(s, op).shape)
            if core_shape(shape) != core_shape(answer.shape):
                continue
            x = answer.reshape(shape)
            if s.after is None and search.kind is not Kind.SYMBOLIC:
                cells = search.cells(shape)
                values = sample_cells(s.x, s.w, s.g, s.of, cells, s.options, op)
                if not all(search.agrees(x[c], v, size) for c, (v, size) in zip(cells, values, strict=True)):
                    continue
            with np.errstate(all="ignore"):
                value = _whole(s, op)
        except ConvcliError:
            continue
        if value.shape == shape and all_equal(x, value, search.tolerance):
            return Diagnosis(s.key, s.text, None, None)
    return None


def _expected(x: np.ndarray, w: np.ndarray, result: GradResult, of: GradOf) -> Expected:
    """The right gradient, with each float cell's scale: the same gradient of |X|, |W|, |G| (the
    sum of the |products| that make the cell)."""
    y = result.value(of)
    y = y.reshape(1) if y.ndim == 0 else y  # one number (db of one filter) is judged as one cell
    if result.kind.exact:
        return Expected(y, kind=result.kind)
    fill = result.options.fillvalue
    options = replace(result.options, fillvalue=abs(fill) if not isinstance(fill, str) else fill)
    scale = grad(magnitudes(x), magnitudes(w), magnitudes(result.upstream), result.op, options).value(of)
    return Expected(y, magnitudes(scale).reshape(y.shape), kind=result.kind)


def check_grad(
    x: np.ndarray,
    w: np.ndarray,
    answer: Any,
    of: GradOf,
    options: OpOptions | None = None,
    *,
    upstream: np.ndarray | None = None,
    op: Op = Op.CORRELATE,
    tolerance: float = TOLERANCE,
    written_as_floats: bool = False,
) -> GradCheckReport:
    """Is ``answer`` the gradient ``of`` (input, weight or bias) of the layer Y = op(X, W) for
    L = sum(G * Y)? If not, which slip of the backward pass gives it.

    Examples
    --------
    >>> x = np.arange(16).reshape(4, 4)
    >>> w = np.array([[1, 2], [3, 4]])
    >>> g = np.array([[1, 0], [0, 0]])
    >>> wrong = np.zeros((4, 4), dtype=int); wrong[:2, :2] = [[4, 3], [2, 1]]
    >>> check_grad(x, w, wrong, GradOf.INPUT, OpOptions(stride=(2,)), upstream=g).diagnosis.key
    'weights-not-turned'
    """
    options = options or OpOptions()
    answer, answer_kind = answer_array(answer, tolerance)
    result = grad(x, w, upstream, op, options, of)
    expected = _expected(x, w, result, of)
    y = expected.value
    mask, wrong = judged_report(answer, answer_kind, expected, result.kind, tolerance, written_as_floats)
    right = GradExpected(result.value(of), result, of)
    if mask is not None and bool(mask.all()):
        return GradCheckReport(True, right, answer, [], None, None, None)
    mismatch = None
    if mask is None:
        mismatch = f"your answer is {shape_words(answer.shape)} but grad-{of.value} is {shape_words(y.shape)}"
    exact = result.kind in (Kind.INTEGER, Kind.RATIONAL)
    search = Search(answer, answer_kind, right, expected, exact, kind_of(x), tolerance, wrong)  # type: ignore[arg-type]
    g = result.upstream
    diagnosis = _from_suspects(search, _suspects(x, w, g, result, of), op)
    diagnosis = diagnosis or writing_slip(search, Op.CORRELATE, OpOptions())
    if diagnosis is None and mask is not None:
        diagnosis = arithmetic_slip(search, mask, OpOptions())
    diagnosis = diagnosis or _from_suspects(search, _pairs(x, w, g, result, of), op)
    worst = None
    if diagnosis is None and mask is not None:
        worst = worst_text(answer.reshape(y.shape), y, mask, wrong, answer_kind.exact and exact)
    if right.value.ndim == 0 and wrong:
        wrong = [()]
    return GradCheckReport(False, right, answer, wrong, mismatch, diagnosis, worst)
