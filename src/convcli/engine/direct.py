"""The direct method: the sum of the definition, term by term.

Two ways to run it: the tap loop (``taps.py``: every dtype, exact for integers and objects) and,
for float64 and complex128, the same sum as banded matrix products (``toeplitz.py``).
"""

from __future__ import annotations

import numpy as np

from .taps import correlate_taps
from .toeplitz import correlate_toeplitz

__all__ = ["correlate_direct", "correlate_toeplitz"]


def correlate_direct(a: np.ndarray, k: np.ndarray) -> np.ndarray:
    """out[i] = sum_u a[i + u] * k[u] by the tap loop; exact for integer and object arrays."""
    return correlate_taps(a, k)
