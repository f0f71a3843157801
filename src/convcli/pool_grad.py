"""The gradient of pooling with respect to A: the upstream gradient G checked against the
output, the gradient's number kind, and G sent back through max's winners or avg's windows.
Overlapping windows add up."""

from __future__ import annotations

import math

import numpy as np

from .errors import ShapeError
from .model import Kind
from .numeric import INT64_MAX, as_kind, common_kind, shrink_int
from .pool_avg import divisors, exact_quotient, safe_integers, scaled_integers, sum_pass, symbolic_divisors
from .pool_geometry import Geometry
from .text import shape_text

__all__ = ["upstream_or_ones", "gradient_kind", "max_grad", "avg_grad"]


def upstream_or_ones(
    upstream: np.ndarray | None, out_shape: tuple[int, ...], name: str
) -> tuple[np.ndarray, bool]:
    """G as given, checked to have the output's shape, or all ones; and whether it was given."""
    if upstream is None:
        return np.ones(out_shape, dtype=np.int64), False
    if tuple(upstream.shape) != out_shape:
        raise ShapeError(
            f"{name} --upstream: G is {shape_text(tuple(upstream.shape))} but the {name} output is "
            f"{shape_text(out_shape)}; G holds one gradient per output cell, so it must have the "
            "output's shape",
            short=f"G {shape_text(tuple(upstream.shape))} is not the output's {shape_text(out_shape)}",
        )
    return upstream, True


def gradient_kind(a_kind: Kind, g_kind: Kind) -> Kind:
    """The gradient's number kind: G's, widened by A's (as torch gives A's dtype); a symbolic A
    adds nothing, since the gradient of pooling holds no entry of A."""
    return common_kind([g_kind, Kind.INTEGER if a_kind is Kind.SYMBOLIC else a_kind])


def max_grad(g: Geometry, index: np.ndarray, upstream: np.ndarray, n: int, kind: Kind) -> np.ndarray:
    """Each G cell added to the A cell its window's maximum came from."""
    h, w = g.in_shape
    G = as_kind(upstream, kind).reshape(-1)
    if kind is Kind.INTEGER:
        # a cell of A is the maximum of at most kh*kw windows
        G = safe_integers(G, g.size[0] * g.size[1])
    out = np.zeros(n * h * w, dtype=G.dtype)
    if out.dtype == object:
        out.fill(0)
    flat = (index + (np.arange(n) * (h * w)).reshape(-1, 1, 1)).reshape(-1)
    with np.errstate(over="ignore", invalid="ignore"):
        np.add.at(out, flat, G)
    return shrink_int(out) if kind is Kind.INTEGER else out


def avg_grad(g: Geometry, upstream: np.ndarray, n: int, kind: Kind) -> tuple[np.ndarray, Kind]:
    """Each G cell divided by its window's count and added to every tap of the window in A."""
    counts = divisors(g)[None]
    G = as_kind(upstream, kind).reshape(n, *g.out_shape)
    if kind in (Kind.INTEGER, Kind.RATIONAL):
        # G/count over one common denominator: spread as integers, divided once at the end
        common = math.lcm(*np.unique(counts).tolist())
        factors = common // counts
        nums, den = scaled_integers(G, kind, 1)
        shares = safe_integers(nums, int(factors.max()) * g.size[0] * g.size[1])
        spread = sum_pass(g, sum_pass(g, shares * factors, 0, True), 1, True)
        total = common * den
        return exact_quotient(spread, np.array(total, dtype=np.int64 if total <= INT64_MAX else object))
    share = G / symbolic_divisors(counts) if kind is Kind.SYMBOLIC else G / counts
    with np.errstate(over="ignore", invalid="ignore"):
        return sum_pass(g, sum_pass(g, share, 0, True), 1, True), kind
