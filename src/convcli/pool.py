"""Max and average pooling, as torch's max_pool2d and avg_pool2d compute them, and their gradient.

Each part keeps its own rule: the windows (where each starts, the output size, torch's floor and
ceil modes) in pool_geometry.py; max, its -inf padding and which tap a tie sends the gradient to
in pool_max.py; avg and which taps it counts in pool_avg.py; G spread back in pool_grad.py. Both
reductions are separable over a rectangular window: (kh + kw) passes over the array rather than
kh * kw. Here is the run that puts them together, and one cell worked out alone.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import numpy as np

from .model import Kind, PoolKind, PoolOf
from .numeric import as_kind, check_allocation, kind_of, nonfinite_notes, sum_as_written
from .pool_avg import avg_pool
from .pool_geometry import Geometry, PoolOptions, as_batch, geometry, pooled_shape
from .pool_grad import avg_grad, gradient_kind, max_grad, upstream_or_ones
from .pool_max import Tie, check_max_kind, first_maximum, max_pool, tie_notes, tied_windows

__all__ = [
    "PoolResult",
    "pool",
    "cell_value",
    "rules",
]


@dataclass(frozen=True)
class PoolResult:
    """One pooling run: the output, and with ``of`` grad-input the gradient with respect to A.

    ``upstream`` is the G used (all ones when none was given: ``upstream_given`` is then False).
    ``argmax`` holds, for max pooling, the flat index within its channel of the A cell that
    each output cell's gradient goes to. ``ties`` lists the first TIE_LIMIT tied windows of
    ``tie_count``.
    """

    options: PoolOptions
    geometry: Geometry
    a_shape: tuple[int, ...]
    kind: Kind
    output: np.ndarray
    of: PoolOf = PoolOf.OUTPUT
    grad_input: np.ndarray | None = None
    grad_kind: Kind | None = None
    upstream: np.ndarray | None = None
    upstream_given: bool = False
    argmax: np.ndarray | None = None
    ties: tuple[Tie, ...] = ()
    tie_count: int = 0
    notes: tuple[str, ...] = field(default=())

    @property
    def name(self) -> str:
        return self.options.name

    @property
    def value(self) -> np.ndarray:
        """The value ``of`` names."""
        if self.of is PoolOf.GRAD_INPUT:
            assert self.grad_input is not None
            return self.grad_input
        return self.output

    @property
    def value_kind(self) -> Kind:
        if self.of is PoolOf.GRAD_INPUT:
            assert self.grad_kind is not None
            return self.grad_kind
        return self.kind

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(self.value.shape)


def cell_value(g: Geometry, x: np.ndarray, cell: tuple[int, int]) -> Any:
    """One output cell computed from its window on the 2-D ``x`` (one channel), on Python
    numbers: the first maximum, or the exact sum over the count (check samples a few cells of a
    suspect this way before computing it whole)."""
    entries = [v for _, _, v in g.window(x, cell)]
    if g.kind is PoolKind.MAX:
        return entries[first_maximum(entries)[0]]
    inside = [v for v in entries if v is not None]
    total = sum_as_written(inside)
    count = g.divisor(cell)
    if isinstance(total, float | complex):
        return total / count
    if isinstance(total, int | Fraction):
        return Fraction(total, count) if isinstance(total, int) else total / count
    return total / count  # a symbolic sum: sympy keeps it exact


def rules(kind: PoolKind, count_pad: bool, gradient: bool) -> list[str]:
    """The rules a pooling run follows, in words: the output's, and the gradient's."""
    if kind is PoolKind.MAX:
        out = ["output: the maximum of each window (the padding is -inf, never a maximum)"]
        grad = (
            "grad-input: each G cell goes to its window's first maximum in row-major order (torch's rule); "
            "overlapping windows add up"
        )
    else:
        counted = "its taps inside the padded input" if count_pad else "its cells inside A (--no-count-pad)"
        out = [f"output: each window's sum / count, the count being {counted}"]
        grad = (
            "grad-input: each G cell divided by its window's count goes to every cell of the window "
            "inside A; overlapping windows add up"
        )
    return out + [grad] if gradient else out


def _widened(a: np.ndarray) -> tuple[np.ndarray, Kind]:
    kind = kind_of(a)
    return as_kind(a, kind), kind


def pool(
    a: np.ndarray,
    options: PoolOptions | None = None,
    *,
    upstream: np.ndarray | None = None,
    of: PoolOf = PoolOf.OUTPUT,
) -> PoolResult:
    """Max or average pooling of A, and the gradient with respect to A.

    Parameters
    ----------
    a : ndarray
        1-D, H x W, C x H x W or N x C x H x W (pooled per channel), of any number kind; max
        pooling needs ordered numbers (integers, fractions, floats).
    options : PoolOptions
        ``kind`` {'max', 'avg'}, ``size`` (kh, kw), ``stride`` (default: the size), ``padding``
        (at most half the size), ``dilation`` (max only), ``ceil_mode``, ``count_pad``.
    upstream : ndarray, optional
        G, the gradient of the loss with respect to the output (the output's shape); all ones
        when not given.
    of : {'output', 'grad-input'}
        Which value ``PoolResult.value`` holds. The gradient is computed only when asked for
        (``of`` grad-input) or when G is given.

    Returns
    -------
    PoolResult
        ``output`` equals ``torch.nn.functional.max_pool2d`` / ``avg_pool2d`` with the same
        arguments (exact for integers and fractions: avg of 2 and 3 is 5/2); ``grad_input``
        equals torch's autograd of sum(G * output) with respect to A.

    Notes
    -----
    Output size per axis: floor((n + 2p - d(k-1) - 1) / s) + 1, or ceil in ceil mode less one
    window that would start in the right padding. Max: out[i, j] = max of A over the window's
    taps inside A (padding is -inf); its gradient goes to the first maximum in row-major order.
    Avg: out[i, j] = (sum over the window) / count; its gradient G[i, j] / count goes to every
    tap of the window inside A. Overlapping windows add up.

    Examples
    --------
    >>> import numpy as np
    >>> pool(np.arange(9).reshape(3, 3), PoolOptions(size=(2,), stride=(1,))).output
    array([[4, 5],
           [7, 8]])
    """
    options = options or PoolOptions()
    of = PoolOf(of)
    g = geometry(tuple(a.shape), options)
    x, kind = _widened(a)
    if options.kind is PoolKind.MAX:
        check_max_kind(kind)
    batch = as_batch(x)
    n, h, w = batch.shape
    out_shape = pooled_shape(tuple(a.shape), g)
    check_allocation((n, h, g.out_shape[1]), kind, "the pooled columns")
    check_allocation(out_shape, kind, "the result")
    wants_grad = of is PoolOf.GRAD_INPUT or upstream is not None
    index = counts = None
    if options.kind is PoolKind.MAX:
        values, index, counts = max_pool(g, batch, wants_grad)
        out_kind = kind
    else:
        values, out_kind = avg_pool(g, batch, kind)
    output = values.reshape(out_shape)
    notes = list(nonfinite_notes(output))
    if not wants_grad:
        return PoolResult(options, g, tuple(a.shape), out_kind, output, of, notes=tuple(notes))
    G, given = upstream_or_ones(upstream, out_shape, options.name)
    grad_kind = gradient_kind(kind, kind_of(G))
    check_allocation(tuple(a.shape), grad_kind, "the gradient")
    ties: tuple[Tie, ...] = ()
    tie_count = 0
    if options.kind is PoolKind.MAX:
        assert index is not None and counts is not None
        grad = max_grad(g, index, G, n, grad_kind)
        ties, tie_count = tied_windows(tuple(a.shape), g, values, index, counts)
        argmax = index.reshape(out_shape)
    else:
        grad, grad_kind = avg_grad(g, G, n, grad_kind)
        argmax = None
    grad = grad.reshape(a.shape)
    if of is PoolOf.GRAD_INPUT:
        notes = list(nonfinite_notes(grad))
    if not given:
        notes.append("no --upstream: G is all ones, so grad-input is the gradient of the output's sum")
    notes += tie_notes(ties, tie_count)
    return PoolResult(
        options,
        g,
        tuple(a.shape),
        out_kind,
        output,
        of,
        grad_input=grad,
        grad_kind=grad_kind,
        upstream=G,
        upstream_given=given,
        argmax=argmax,
        ties=ties,
        tie_count=tie_count,
        notes=tuple(notes),
    )
