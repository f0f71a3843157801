"""Short texts for the reasons the engine gives."""

from __future__ import annotations

import numpy as np

from convcli.text import dims_text

__all__ = ["operands_text", "ms_text"]


def _dtype_text(dtype: np.dtype) -> str:
    if dtype.kind == "O":
        return "object"
    return "int64" if dtype.kind in "iu" else str(dtype)


def operands_text(a_shape: tuple[int, ...], k_shape: tuple[int, ...], dtype: np.dtype) -> str:
    """``3x3 kernel on 2048x2048 float64``, or ``kernel of 5 on 1-D int64 of 1000``."""
    if len(a_shape) == 1:
        return f"kernel of {k_shape[0]} on 1-D {_dtype_text(dtype)} of {a_shape[0]}"
    return f"{dims_text(k_shape)} kernel on {dims_text(a_shape)} {_dtype_text(dtype)}"


def ms_text(seconds: float) -> str:
    return f"{seconds * 1e3:.3g} ms" if seconds < 1 else f"{seconds:.3g} s"
