"""The tap loop: one multiply-add pass over the output per kernel entry, every dtype."""

from __future__ import annotations

import math

import numpy as np

from . import progress
from ._parallel import run_split

__all__ = [
    "correlate_taps",
    "SMALL_WORK",
    "correlate_taps_strided",
]

# Multiply-adds below which the tap loop is as fast as any method.
SMALL_WORK = 1 << 15

# Entries of output per block: the block, its temporary and the input rows it reads stay in L2.
_BLOCK_ITEMS = 1 << 15


def correlate_taps(a: np.ndarray, k: np.ndarray, parallel: bool = True) -> np.ndarray:
    """out[i] = sum_u a[i + u] * k[u] as a loop over the taps u, each a vectorised slice.

    Works for every dtype, object arrays of Python ints, Fractions and sympy expressions
    included. Zero taps of exact kernels are skipped (so symbolic sums stay readable); float
    zero taps are kept so that nan and inf in ``a`` propagate exactly as a product would.
    Numeric arrays are processed in blocks of rows along the first axis, on the worker threads.
    """
    out_shape = tuple(m - p + 1 for m, p in zip(a.shape, k.shape, strict=True))
    dtype = np.result_type(a.dtype, k.dtype)
    if dtype.kind == "O":
        return _object_taps(a, k, out_shape)
    exact = dtype.kind in "iub"
    taps = [(tap, k[tap]) for tap in np.ndindex(*k.shape) if not (exact and k[tap] == 0)]
    out = np.zeros(out_shape, dtype=dtype)
    if not taps or out.size == 0:
        return out
    row_items = math.prod(out_shape[1:]) if len(out_shape) > 1 else 1
    step = max(1, _BLOCK_ITEMS // max(row_items, 1))
    if len(out_shape) == 1:
        step = _BLOCK_ITEMS

    def work(lo: int, hi: int) -> None:
        tmp = np.empty((min(step, hi - lo),) + out_shape[1:], dtype=dtype)
        for r0 in range(lo, hi, step):
            r1 = min(r0 + step, hi)
            dest = out[r0:r1]
            scratch = tmp[: r1 - r0]
            for t, (tap, w) in enumerate(taps):
                window = (slice(r0 + tap[0], r1 + tap[0]),) + tuple(
                    slice(u, u + n) for u, n in zip(tap[1:], out_shape[1:], strict=True)
                )
                np.multiply(a[window], w, out=scratch)
                dest += scratch
                if t % 64 == 63:
                    progress.checkpoint()
            progress.checkpoint((r1 - r0) * row_items)

    run_split(work, out_shape[0], parallel=parallel and out.size * len(taps) > 1 << 18)
    return out


def _object_taps(a: np.ndarray, k: np.ndarray, out_shape: tuple[int, ...]) -> np.ndarray:
    out = np.zeros(out_shape, dtype=object)
    first = True
    for tap in np.ndindex(*k.shape):
        w = k[tap]
        if w == 0:
            continue
        window = tuple(slice(u, u + n) for u, n in zip(tap, out_shape, strict=True))
        if first:
            out = a[window] * w
            first = False
        else:
            out += a[window] * w
    return out


def correlate_taps_strided(
    a: np.ndarray, k: np.ndarray, stride: tuple[int, ...], dilation: tuple[int, ...]
) -> np.ndarray:
    """out[i] = sum_u a[i·stride + u·dilation] · k[u]: only the sampled outputs, only the real taps.

    Every dtype; exact zero taps are skipped, float ones kept (0 · inf is nan, as in the sum).
    """
    out_shape = tuple(
        (m - (p - 1) * d - 1) // s + 1 for m, p, s, d in zip(a.shape, k.shape, stride, dilation, strict=True)
    )
    dtype = np.result_type(a.dtype, k.dtype)
    out = np.zeros(out_shape, dtype=dtype)
    if dtype.kind == "O":
        out[...] = 0
    for tap in np.ndindex(*k.shape):
        w = k[tap]
        if dtype.kind in "iubO" and w == 0:
            continue
        window = tuple(
            slice(u * d, u * d + (n - 1) * s + 1, s)
            for u, d, n, s in zip(tap, dilation, out_shape, stride, strict=True)
        )
        out += a[window] * w
        progress.checkpoint()
    return out
