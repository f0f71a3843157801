"""Pooling explained: each window's maximum or mean, and where each cell of the gradient comes
from, as data (explanations.PoolSteps) and as lines of text; the sliding operations' steps are
steps.py's."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np

from .explanations import GradSource, PoolGradStep, PoolStep, PoolSteps
from .model import Kind, Op
from .numeric import as_kind, kind_of, sum_as_written
from .text import cell_text, display_number, value_of

if TYPE_CHECKING:  # pooling loads only with the commands that pool
    from .model import PoolOf
    from .pool import PoolResult
    from .pool_geometry import PoolOptions

from .steps import MAX_TERMS, cell_name, cells_to_derive, factor_text, index_text

__all__ = [
    "derive_pool",
    "derive_pool_cells",
    "pool_definition",
    "pool_step_lines",
    "pool_grad_lines",
]

# ---------------------------------------------------------------------------------------------
# pooling: each window's maximum or mean, and where each cell of the gradient comes from


def _pool_step(result: PoolResult, batch: np.ndarray, cell: tuple[int, ...]) -> PoolStep:
    from .model import PoolKind
    from .pool_geometry import batch_index
    from .pool_max import first_maximum

    g = result.geometry
    n, i, j = batch_index(cell, result.output.shape)
    (h, w), (ph, pw) = g.in_shape, g.padding
    is_max = result.options.kind is PoolKind.MAX
    window = g.window(batch[n], (i, j))
    entries = [v for _, _, v in window]
    shown: list[Any] = []
    for r, c, v in window:
        padded = r < h + ph and c < w + pw  # inside the padded input
        if v is None and is_max:
            v = float("-inf") if padded else None
        elif v is None:
            v = 0 if padded and g.count_pad else None
        shown.append(v)
    taps = tuple((r, c) for r, c, _ in window)
    padding = tuple(v is None for v in entries)
    value = value_of(result.output[cell])
    if not is_max:
        read = [v for v in entries if v is not None]
        total = sum_as_written(read)
        return PoolStep(cell, taps, tuple(shown), padding, value, total=total, count=g.divisor((i, j)))
    best, ties = first_maximum(entries)
    return PoolStep(cell, taps, tuple(shown), padding, value, best=best, ties=ties)


def _pool_grad_step(result: PoolResult, cell: tuple[int, ...]) -> PoolGradStep:
    from fractions import Fraction

    from .model import PoolKind
    from .pool_geometry import batch_index

    g = result.geometry
    assert result.upstream is not None and result.grad_input is not None and result.grad_kind is not None
    n, r, c = batch_index(cell, result.a_shape)
    out_shape = result.output.shape
    lead = tuple(int(k) for k in np.unravel_index(n, out_shape[:-2])) if len(out_shape) > 2 else ()
    is_max = result.options.kind is PoolKind.MAX
    sources = []
    for i in g.holding(0, r):
        for j in g.holding(1, c):
            out_cell = (j,) if len(out_shape) == 1 else (*lead, i, j)
            gv = value_of(result.upstream[out_cell])
            if is_max:
                assert result.argmax is not None
                if int(result.argmax[out_cell]) == r * g.in_shape[1] + c:
                    sources.append(GradSource(out_cell, gv, None, gv))
                continue
            count = g.divisor((i, j))
            if result.grad_kind in (Kind.INTEGER, Kind.RATIONAL):
                share: Any = Fraction(gv) / count
            elif result.grad_kind is Kind.SYMBOLIC:
                import sympy

                share = gv / sympy.Integer(count)
            else:
                share = gv / count
            sources.append(GradSource(out_cell, gv, count, share))
    return PoolGradStep(cell, tuple(sources), value_of(result.grad_input[cell]))


def derive_pool(
    a: np.ndarray,
    options: PoolOptions,
    *,
    upstream: np.ndarray | None = None,
    of: PoolOf | str = "output",
    at: tuple[int, ...] | None = None,
    max_steps: int = 25,
    max_terms: int = MAX_TERMS,
) -> PoolSteps:
    """A pooling derived: each window with its maximum or its sum / count, or, for ``of``
    grad-input, each cell of the gradient from the output cells whose gradient reaches it.

    The values come from ``pool`` (one computation); the derivation reads the windows again cell
    by cell, on Python numbers, and the tests check the two agree."""
    from .model import PoolOf
    from .pool import pool

    result = pool(a, options, upstream=upstream, of=PoolOf(of))
    terms = _pool_terms(result)
    shape = result.a_shape if result.of is PoolOf.GRAD_INPUT else tuple(result.output.shape)
    cells, total = cells_to_derive(shape, at, max_steps, terms, max_terms)
    stopped = max_terms if at is None and len(cells) < min(max_steps, total) else None
    return derive_pool_cells(a, result, cells, chosen=at is not None, max_terms=stopped)


def _pool_terms(result: PoolResult) -> int:
    """The most terms one step adds up: a window's kh*kw taps (a cell of A takes the gradient of
    at most as many windows)."""
    return result.geometry.size[0] * result.geometry.size[1]


def derive_pool_cells(
    a: np.ndarray,
    result: PoolResult,
    cells: list[tuple[int, ...]],
    *,
    chosen: bool = True,
    max_terms: int | None = None,
) -> PoolSteps:
    """The derivation of some cells of a pooling already computed (``result`` of A): of its
    output, or of its gradient when ``result.of`` is grad-input (check derives its wrong cells
    this way)."""
    from .model import PoolOf

    x = as_kind(a, kind_of(a))
    batch = x.reshape(1, 1, -1) if x.ndim == 1 else x.reshape(-1, *x.shape[-2:])
    terms = _pool_terms(result)
    if result.of is PoolOf.GRAD_INPUT:
        grad_steps = tuple(_pool_grad_step(result, cell) for cell in cells)
        return PoolSteps(result, (), grad_steps, math.prod(result.a_shape), chosen, batch, terms, max_terms)
    steps = tuple(_pool_step(result, batch, cell) for cell in cells)
    return PoolSteps(result, steps, (), result.output.size, chosen, batch, terms, max_terms)


def pool_definition(steps: PoolSteps) -> str:
    """The formula each step of a pooling instantiates, its stride and dilation in the indices."""
    from .model import PoolKind

    result = steps.result
    g = result.geometry
    per_channel = "for each channel: " if len(result.a_shape) > 2 else ""
    is_max = result.options.kind is PoolKind.MAX
    if steps.gradient:
        if is_max:
            return (
                f"{per_channel}dA[r, c] = the sum of G[i, j] over the windows whose maximum is A[r, c] "
                "(the first of equal maxima, as torch)"
            )
        return f"{per_channel}dA[r, c] = the sum of G[i, j] / count[i, j] over the windows that hold A[r, c]"
    padded = any(g.padding) or g.ceil_mode
    source = "Ap" if padded else "A"
    rows = index_text("i", "u", g.stride[0], g.dilation[0])
    cols = index_text("j", "v", g.stride[1], g.dilation[1])
    if is_max:
        text = f"C[i, j] = max over u, v of {source}[{rows}, {cols}]"
        note = "Ap is A padded with -inf, padding cells marked" if padded else "the maximum marked *"
    else:
        text = f"C[i, j] = (sum over u, v of {source}[{rows}, {cols}]) / count"
        counted = "the taps inside the padded input" if g.count_pad else "the taps inside A"
        note = f"count: {counted}" + ("; Ap is A padded with 0" if padded else "")
    return f"{per_channel}{text}  ({note})"


def _a_name(cell: tuple[int, ...]) -> str:
    return "A" + cell_text(cell)


def _a_cell(result: PoolResult, step: PoolStep, tap: int) -> tuple[int, ...]:
    """The cell of A (channel included) that tap ``tap`` of ``step`` reads."""
    r, c = step.taps[tap]
    if len(result.a_shape) == 1:
        return (c,)
    return (*step.cell[:-2], r, c)


def pool_step_lines(steps: PoolSteps, step: PoolStep) -> list[str]:
    """``C[0, 0]: max(0, 1, 3, 4) = 4 at A[1, 1]`` or ``C[0, 0]: (0+1+3+4) / 4 = 8/4 = 2``."""
    from .model import PoolKind

    name = cell_name(Op.CORRELATE, step.cell)
    read = [v for v in step.window if v is not None]
    if steps.result.options.kind is PoolKind.AVG:
        terms = "+".join(factor_text(v) for v in read)
        quotient, value = f"{factor_text(step.total)}/{step.count}", display_number(step.value)
        tail = "" if quotient == value else f" = {value}"
        return [f"{name}: ({terms}) / {step.count} = {quotient}{tail}"]
    assert step.best is not None
    where = _a_name(_a_cell(steps.result, step, step.best))
    line = (
        f"{name}: max({', '.join(display_number(v) for v in read)}) = {display_number(step.value)} at {where}"
    )
    if isinstance(step.value, float) and math.isnan(step.value):
        line += ", the last nan (torch's rule)"
    elif step.ties > 1:
        line += f", the first of {step.ties} equal maxima (torch's rule)"
    return [line]


def pool_grad_lines(steps: PoolSteps, step: PoolGradStep) -> list[str]:
    """``dA[1, 1]: G[0, 0] + G[0, 1] = 1+2 = 3`` (max) or ``dA[1, 1]: G[0, 0]/4 + ... = ...``."""
    name = "d" + _a_name(step.cell)
    if not step.sources:
        from .model import PoolKind

        why = "no window's maximum" if steps.result.options.kind is PoolKind.MAX else "in no window"
        return [f"{name}: 0 ({why})"]

    def g_name(source: GradSource) -> str:
        return "G" + cell_text(source.cell) + ("" if source.count is None else f"/{source.count}")

    names = " + ".join(g_name(s) for s in step.sources)
    if step.sources[0].count is None:
        values = "+".join(factor_text(s.g) for s in step.sources)
    else:
        values = "+".join(f"{factor_text(s.g)}/{s.count}" for s in step.sources)
    value = display_number(step.value)
    if values in (value, factor_text(step.value)):  # one G cell, nothing to add up
        return [f"{name}: {names} = {value}"]
    return [f"{name}: {names} = {values} = {value}"]
