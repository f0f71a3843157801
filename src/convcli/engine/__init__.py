"""How a result is computed. ``correlate_valid`` is the one primitive every operation reduces to.

ops.py turns convolve/correlate with any mode and boundary into a plain valid-mode correlation
of a padded input with a (flipped, conjugated) kernel; this package only has to be fast and exact
at that.
"""

from __future__ import annotations

import numpy as np

from .direct import correlate_direct

__all__ = ["correlate_valid", "correlate_direct"]

# Below this many multiply-adds the tap loop is as fast as anything and exact for every kind.
_DIRECT_WORK = 4_000_000


def correlate_valid(a: np.ndarray, k: np.ndarray) -> np.ndarray:
    """out[i] = sum_u a[i + u] * k[u], over the positions where k lies inside a.

    ``a`` and ``k`` have the same ndim and ``a.shape >= k.shape`` on every axis. The dtype of the
    result follows the operands: exact kinds (int64, object) stay exact; the caller guarantees that
    int64 cannot overflow here.
    """
    out_shape = tuple(m - p + 1 for m, p in zip(a.shape, k.shape, strict=True))
    work = int(np.prod(out_shape, dtype=np.float64) * k.size)
    if a.dtype.kind in "fc" and work > _DIRECT_WORK and k.size > 1:
        return _correlate_scipy(a, k)
    return correlate_direct(a, k)


def _correlate_scipy(a: np.ndarray, k: np.ndarray) -> np.ndarray:
    from scipy import signal

    # scipy's correlate conjugates its second operand; ours must not, so undo it up front.
    kernel = np.conj(k) if k.dtype.kind == "c" else k
    return signal.correlate(a, kernel, mode="valid")
