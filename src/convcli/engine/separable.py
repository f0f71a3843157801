"""Separable kernels: a rank-1 kernel is an outer product of 1-D kernels, one per axis.

Correlating with outer(c, r) is correlating the rows with r and then the columns with c:
kh + kw taps per output instead of kh·kw.

Integer kernels are tested exactly (Python integers, no rounding), and their factors are
integers too. Floating kernels are accepted when the outer product of the factors reproduces
every entry to within a few units in the last place of the largest one; the result then differs
from the plain sum by no more than the rounding the sum itself makes.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

__all__ = ["rank_one_factors"]

# Allowed |outer(factors) - k| relative to max|k| for floating kernels.
_FLOAT_TOLERANCE = 16 * 2.0**-52


def _axes_of(k: np.ndarray) -> list[int]:
    return [ax for ax, n in enumerate(k.shape) if n > 1]


def rank_one_factors(k: np.ndarray) -> list[tuple[int, np.ndarray]] | None:
    """The kernel as 1-D factors ``[(axis, vector), ...]`` whose outer product is ``k``, or None.

    Axes of extent 1 have no factor. A kernel with one non-unit axis is its own single factor.
    Integer kernels get integer factors (exact); float and complex kernels get float factors.
    Returns None for a kernel of rank 2 or more, and for object arrays.
    """
    if k.dtype.kind == "O":
        return None
    axes = _axes_of(k)
    if not axes:
        return [(k.ndim - 1, k.reshape(-1))]
    if len(axes) == 1:
        return [(axes[0], k.reshape(-1))]
    core = k.reshape([k.shape[ax] for ax in axes])
    if not np.any(core):
        return None
    if k.dtype.kind in "iu":
        vectors = _integer_factors(core)
    else:
        vectors = _float_factors(core)
    if vectors is None:
        return None
    return list(zip(axes, vectors, strict=True))


def _integer_factors(core: np.ndarray) -> list[np.ndarray] | None:
    """Integer vectors whose outer product is exactly ``core`` (any number of axes)."""
    values = core.astype(object)
    if core.ndim == 1:
        return [core.astype(np.int64)]
    # the slice through the largest entry along axis 0 carries every other axis' structure
    pivot = np.unravel_index(int(np.argmax(np.abs(core))), core.shape)
    rest = values[pivot[0]]
    g = math.gcd(*(int(v) for v in rest.flat))
    primitive = rest // g
    # each slice along axis 0 must be an integer multiple of the primitive slice; because the
    # primitive slice has gcd 1, a rational multiple that gives integers is an integer
    at = pivot[1:]
    scale = []
    for i in range(core.shape[0]):
        row = values[i]
        num, den = int(row[at]), int(primitive[at])
        if num % den:
            return None
        lam = num // den
        if not np.all(row == primitive * lam):
            return None
        scale.append(lam)
    inner = (
        _integer_factors(primitive.astype(np.int64)) if primitive.ndim > 1 else [primitive.astype(np.int64)]
    )
    if inner is None:
        return None
    return [np.array(scale, dtype=np.int64), *inner]


def _float_factors(core: np.ndarray) -> list[np.ndarray] | None:
    """Float vectors whose outer product reproduces ``core`` to within a few ulps, or None."""
    if not np.all(np.isfinite(core)):
        return None
    pivot = np.unravel_index(int(np.argmax(np.abs(core))), core.shape)
    p = core[pivot]
    vectors = []
    for ax in range(core.ndim):
        index: list[Any] = list(pivot)
        index[ax] = slice(None)
        vec = core[tuple(index)].astype(np.result_type(core.dtype, np.float64))
        vectors.append(vec)
    # k = v0 (x) v1 (x) ... / p^(d-1): the pivot's own fibres, rescaled once
    vectors[0] = vectors[0] / p ** (core.ndim - 1)
    rebuilt = vectors[0]
    for vec in vectors[1:]:
        rebuilt = np.multiply.outer(rebuilt, vec)
    if np.max(np.abs(rebuilt - core)) > _FLOAT_TOLERANCE * abs(p):
        return None
    return vectors
