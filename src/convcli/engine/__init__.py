"""How a result is computed. ``correlate_valid`` is the one primitive every operation reduces to.

ops.py turns convolve/correlate with any mode and boundary into a plain valid-mode correlation
of a padded input with a (flipped, conjugated) kernel; this package only has to be fast and exact
at that, and to say which method it used and why.

Methods: ``direct`` (the tap loop for every dtype; banded matrix products through BLAS for
floats), ``separable`` (rank-1 kernels as 1-D passes), ``fft`` (one transform of the input) and
``overlap-add`` (transforms of overlapping blocks). ``chooser.py`` picks one; integer inputs take
a floating-point method only when ``exact.py`` proves the result exact.
"""

from __future__ import annotations

import math

import numpy as np

from convcli.errors import ShapeError
from convcli.model import Choice, Method

from ._text import operands_text
from .limbs import exact_bilinear
from .taps import correlate_taps

__all__ = ["correlate_valid", "exact_bilinear", "SMALL_WORK"]

# Multiply-adds below which the tap loop is as fast as any method.
SMALL_WORK = 1 << 15


def correlate_valid(a: np.ndarray, k: np.ndarray, method: Method = Method.AUTO) -> tuple[np.ndarray, Choice]:
    """out[i] = sum_u a[i + u] * k[u], over the positions where k lies inside a.

    Parameters
    ----------
    a, k : ndarray
        The same number of axes (1, 2 or 3) and ``a.shape >= k.shape`` on every axis. dtypes:
        int64 (the caller guarantees max|a|·max|k|·k.size fits int64), float64, complex128, or
        object (Python ints, Fractions, sympy expressions). No flip or conjugation happens here.
    method : Method
        ``auto`` lets the chooser decide; any other value forces that method, and a method that
        cannot apply (separable for a kernel of rank 2, an FFT of symbols) raises UsageError.

    Returns
    -------
    (ndarray, Choice)
        The result, of shape ``a.shape - k.shape + 1``: int64 for int64 operands, exactly;
        object for object operands, exactly; float64 or complex128 otherwise. The Choice names
        the method used and why.

    Notes
    -----
    Floating results agree with the plain sum to rounding (relative 1e-12 or so of the
    largest entry for the transform methods). nan and inf reach exactly the cells they reach in
    the plain sum: a floating result that is not finite is recomputed by the tap loop.

    Examples
    --------
    >>> out, choice = correlate_valid(np.arange(5), np.array([1, 1]))
    >>> out.tolist(), choice.method.value
    ([1, 3, 5, 7], 'direct')
    """
    a = np.asarray(a)
    k = np.asarray(k)
    if a.ndim != k.ndim or a.ndim not in (1, 2, 3):
        raise ShapeError(
            f"correlate_valid takes two arrays of 1, 2 or 3 axes, alike; got {a.shape} and {k.shape}"
        )
    if k.size == 0 or any(m < p for m, p in zip(a.shape, k.shape, strict=True)):
        raise ShapeError(f"the kernel {k.shape} must be non-empty and fit inside the input {a.shape}")
    # nan and inf are results here, not accidents: ops reports which cells they reached
    with np.errstate(over="ignore", invalid="ignore"):
        return _correlate(a, k, method)


def _correlate(a: np.ndarray, k: np.ndarray, method: Method) -> tuple[np.ndarray, Choice]:
    work = math.prod(m - p + 1 for m, p in zip(a.shape, k.shape, strict=True)) * k.size
    if method is Method.AUTO and work <= SMALL_WORK:
        # homework sizes: nothing beats the tap loop, and the chooser is not even imported
        what = operands_text(tuple(a.shape), tuple(k.shape), np.result_type(a.dtype, k.dtype))
        return correlate_taps(a, k), Choice(Method.DIRECT, f"{what}: {work} multiply-adds, the tap loop")
    from .chooser import plan

    chosen, reason = plan(a, k, method)
    out = chosen.run()
    if not chosen.faithful and out.dtype.kind in "fc" and not np.isfinite(out.sum()):
        # transforms and separable passes spread nan and inf differently from the plain sum
        out = correlate_taps(a, k)
        reason += "; entries not finite: recomputed by the tap loop (nan and inf reach only their own cells)"
    return out, Choice(chosen.method, reason)
