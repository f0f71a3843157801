"""The direct method: one pass over the output per kernel tap."""

from __future__ import annotations

import numpy as np


def correlate_direct(a: np.ndarray, k: np.ndarray) -> np.ndarray:
    """out[i] = sum_u a[i + u] * k[u] as a loop over the taps u, each a vectorised slice.

    Works for every dtype, object arrays of Python ints, Fractions and sympy expressions
    included. Zero taps of exact kernels are skipped (so symbolic sums stay readable); float
    zero taps are kept so that nan and inf in ``a`` propagate exactly as a product would.
    """
    out_shape = tuple(m - p + 1 for m, p in zip(a.shape, k.shape, strict=True))
    dtype = np.result_type(a.dtype, k.dtype)
    exact = dtype == object or dtype.kind in "iu"
    out = np.zeros(out_shape, dtype=dtype)
    for tap in np.ndindex(*k.shape):
        w = k[tap]
        if exact and w == 0:
            continue
        window = tuple(slice(u, u + n) for u, n in zip(tap, out_shape, strict=True))
        out += a[window] * w
    return out
