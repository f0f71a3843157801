"""Named kernels: ``identity``, ``box:3``, ``gaussian:5:1.0``, ``sobel-x`` and friends.

Integer kernels are int64 arrays and ``box`` is exact (Fractions 1/N²), so results stay exact;
only ``gaussian`` is float64. Every name may be written in any case.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from .errors import UsageError

__all__ = ["KernelInfo", "named_kernel", "catalogue", "MAX_SIZE"]

# Larger sizes are refused rather than allocated: no one means a 100000 x 100000 box.
MAX_SIZE = 1001

_FIXED: dict[str, list[list[int]]] = {
    "identity": [[0, 0, 0], [0, 1, 0], [0, 0, 0]],
    "sobel-x": [[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]],
    "sobel-y": [[-1, -2, -1], [0, 0, 0], [1, 2, 1]],
    "prewitt-x": [[-1, 0, 1], [-1, 0, 1], [-1, 0, 1]],
    "prewitt-y": [[-1, -1, -1], [0, 0, 0], [1, 1, 1]],
    "scharr-x": [[-3, 0, 3], [-10, 0, 10], [-3, 0, 3]],
    "scharr-y": [[-3, -10, -3], [0, 0, 0], [3, 10, 3]],
    "laplace": [[0, 1, 0], [1, -4, 1], [0, 1, 0]],
    "sharpen": [[0, -1, 0], [-1, 5, -1], [0, -1, 0]],
    "emboss": [[-2, -1, 0], [-1, 1, 1], [0, 1, 2]],
}

_DESCRIPTIONS = {
    "identity": "leaves the image unchanged: 1 at the centre, 0 elsewhere (valid mode trims a 1-cell border)",
    "box": "blurs: each output is the plain average of an N x N neighbourhood (a mean filter, exact "
    "1/N² weights)",
    "gaussian": "blurs smoothly: a weighted average in which nearer cells count more, weights from a bell "
    "curve of width SIGMA, summing to 1",
    "sobel-x": "responds to left-to-right increases in brightness (vertical edges) under correlate, as a "
    "CNN applies it; convolve flips it, so the sign reverses",
    "sobel-y": "responds to top-to-bottom increases in brightness (horizontal edges) under correlate; "
    "convolve flips it, so the sign reverses",
    "prewitt-x": "like sobel-x (vertical edges, left-to-right increases) but with equal weights on the "
    "three rows",
    "prewitt-y": "like sobel-y (horizontal edges, top-to-bottom increases) but with equal weights on the "
    "three columns",
    "scharr-x": "like sobel-x (vertical edges) with weights 3, 10, 3 that treat edges at every angle more "
    "evenly",
    "scharr-y": "like sobel-y (horizontal edges) with weights 3, 10, 3 that treat edges at every angle more "
    "evenly",
    "laplace": "a second derivative: responds to spots, lines and edges in every direction, and is 0 on "
    "flat or evenly sloping areas",
    "sharpen": "the image minus its laplace response: boosts edges and fine detail; its weights sum to 1, "
    "so flat areas stay unchanged",
    "emboss": "a relief effect: under correlate, lights brightness rising towards the lower right and "
    "darkens the opposite way; its weights sum to 1",
}

_SIZE = re.compile(r"\d+", re.ASCII)
_SIGMA = re.compile(r"\+?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?", re.ASCII)


def _size(text: str, full: str, usage: str) -> int:
    if len(text) <= 4 and _SIZE.fullmatch(text) and 1 <= int(text) <= MAX_SIZE:
        return int(text)
    raise UsageError(
        f'named kernel "{full}": the size must be a whole number from 1 to {MAX_SIZE}, got "{text}"; '
        f"expected {usage}"
    )


def _sigma(text: str, full: str, usage: str) -> float:
    if _SIGMA.fullmatch(text):
        sigma = float(text)
        if 0 < sigma < math.inf:
            return sigma
    raise UsageError(
        f'named kernel "{full}": SIGMA must be a number greater than 0, got "{text}"; expected {usage}'
    )


def _fixed(name: str) -> Callable[[], np.ndarray]:
    return lambda: np.array(_FIXED[name], dtype=np.int64)


def box(n: int = 3) -> np.ndarray:
    """The N x N mean filter: every entry the exact Fraction 1/N²."""
    out = np.empty((n, n), dtype=object)
    out.fill(Fraction(1, n * n))
    return out


def gaussian(n: int = 5, sigma: float = 1.0) -> np.ndarray:
    """exp(-(x² + y²) / 2σ²) on an N x N grid centred on the middle (between cells for even N),
    normalised to sum to 1."""
    x = np.arange(n, dtype=np.float64) - (n - 1) / 2
    # the exponent is shifted so the largest weight is exp(0) = 1: a tiny sigma cannot make
    # every weight underflow to 0 (and the sum with it)
    r2 = x[:, None] ** 2 + x[None, :] ** 2
    with np.errstate(over="ignore", under="ignore"):
        # for a tiny sigma the exponent overflows to inf: exp(-inf) is the 0 it should be
        w = np.exp(-((r2 - r2.min()) / (2.0 * sigma) / sigma))
    return w / w.sum()


def named_kernel(text: str) -> np.ndarray | None:
    """The kernel named by ``text``, or None when ``text`` names no kernel.

    ``identity``, ``box`` / ``box:N``, ``gaussian`` / ``gaussian:N`` / ``gaussian:N:SIGMA``,
    ``sobel-x``, ``sobel-y``, ``prewitt-x``, ``prewitt-y``, ``scharr-x``, ``scharr-y``,
    ``laplace``, ``sharpen``, ``emboss``, in any case. A known name with bad parameters raises
    UsageError naming the accepted form.

    Examples
    --------
    >>> named_kernel("sobel-x")
    array([[-1,  0,  1],
           [-2,  0,  2],
           [-1,  0,  1]])
    >>> named_kernel("1 2; 3 4") is None
    True
    """
    full = text.strip()
    name, *params = full.lower().split(":")
    if name in _FIXED:
        if params:
            raise UsageError(f'named kernel "{full}": {name} takes no parameters; expected {name}')
        return np.array(_FIXED[name], dtype=np.int64)
    if name == "box":
        usage = "box or box:N (e.g. box:3)"
        if len(params) > 1:
            raise UsageError(f'named kernel "{full}": too many parameters; expected {usage}')
        return box(_size(params[0], full, usage) if params else 3)
    if name == "gaussian":
        usage = "gaussian, gaussian:SIZE or gaussian:SIZE:SIGMA (e.g. gaussian:5:1.0)"
        if len(params) > 2:
            raise UsageError(f'named kernel "{full}": too many parameters; expected {usage}')
        n = _size(params[0], full, usage) if params else 5
        sigma = _sigma(params[1], full, usage) if len(params) > 1 else 1.0
        return gaussian(n, sigma)
    return None


@dataclass(frozen=True)
class KernelInfo:
    """One entry of ``convcli kernels``: the name, how to write it, its (default) matrix, and
    what it does."""

    name: str
    usage: str
    matrix: np.ndarray
    description: str

    @property
    def symmetric(self) -> bool:
        """Whether the kernel equals itself turned 180°, so convolve and correlate agree with it."""
        return bool(np.array_equal(self.matrix, self.matrix[::-1, ::-1]))


_ORDER: list[tuple[str, str, Callable[[], np.ndarray]]] = [
    ("identity", "identity", _fixed("identity")),
    ("box", "box:N", box),
    ("gaussian", "gaussian:SIZE:SIGMA", gaussian),
] + [(name, name, _fixed(name)) for name in _FIXED if name != "identity"]


def catalogue() -> list[KernelInfo]:
    """Every named kernel, with its default matrix (box:3, gaussian:5:1.0)."""
    return [KernelInfo(name, usage, make(), _DESCRIPTIONS[name]) for name, usage, make in _ORDER]
