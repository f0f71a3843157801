"""How a result is computed. ``correlate_valid`` is the one primitive every operation reduces to.

ops.py turns convolve/correlate with any mode and boundary into a plain valid-mode correlation
of a padded input with a (flipped, conjugated) kernel; this package only has to be fast and exact
at that, and to say which method it used and why.

Methods: ``direct`` (the tap loop for every dtype; banded matrix products through BLAS for
floats), ``separable`` (rank-1 kernels as 1-D passes), ``fft`` (one transform of the input) and
``overlap-add`` (transforms of overlapping blocks). ``chooser.py`` picks one; integer inputs take
a floating-point method only when ``exact.py`` proves the result exact.

``correlate_strided`` adds stride and dilation (computing only the sampled outputs, multiplying
only the kernel's own taps); ``correlate_layer`` is a CNN layer (channels, filters, groups) as
matrix products (``layer.py``, which also has the layer's gradients); ``exact_bilinear`` keeps
integers of any size and fractions exact through all of them (``limbs.py``); ``progress.py``
reports how far a long run has got and stops it on Ctrl-C.
"""

from __future__ import annotations

import itertools
import math

import numpy as np

from convcli.errors import ShapeError
from convcli.model import Choice, Method
from convcli.text import dims_text

from . import progress
from ._text import operands_text
from .layer import conv2d, conv2d_grad_input, conv2d_grad_weight
from .limbs import exact_bilinear
from .taps import SMALL_WORK, correlate_taps, correlate_taps_strided

__all__ = [
    "correlate_valid",
    "correlate_strided",
    "correlate_layer",
    "dilate",
    "conv2d",
    "conv2d_grad_input",
    "conv2d_grad_weight",
    "exact_bilinear",
    "progress",
    "SMALL_WORK",
]


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
        reason = f"{what}: {work} multiply-adds, the tap loop"
        progress.started(Method.DIRECT.value, reason, 0.0, 0)
        return correlate_taps(a, k), Choice(Method.DIRECT, reason)
    from .chooser import choose

    chosen, reason = choose(a, k, method)
    progress.started(
        chosen.method.value, reason, chosen.seconds, math.prod(chosen_out_shape(a.shape, k.shape))
    )
    out = chosen.run()
    if not chosen.faithful and out.dtype.kind in "fc" and not np.isfinite(out.sum()):
        # transforms and separable passes spread nan and inf differently from the plain sum
        out = correlate_taps(a, k)
        reason += "; entries not finite: recomputed by the tap loop (nan and inf reach only their own cells)"
    return out, Choice(chosen.method, reason)


def chosen_out_shape(a_shape: tuple[int, ...], k_shape: tuple[int, ...]) -> tuple[int, ...]:
    return tuple(m - p + 1 for m, p in zip(a_shape, k_shape, strict=True))


def _out_shape(
    a_shape: tuple[int, ...], k_shape: tuple[int, ...], stride: tuple[int, ...], dilation: tuple[int, ...]
) -> tuple[int, ...]:
    return tuple(
        (m - (p - 1) * d - 1) // s + 1 for m, p, s, d in zip(a_shape, k_shape, stride, dilation, strict=True)
    )


def correlate_strided(
    a: np.ndarray,
    k: np.ndarray,
    stride: tuple[int, ...],
    dilation: tuple[int, ...],
    method: Method = Method.AUTO,
) -> tuple[np.ndarray, Choice]:
    """out[i] = sum_u a[i·stride + u·dilation] · k[u], over the positions where the dilated k fits.

    Parameters
    ----------
    a, k : ndarray
        As for :func:`correlate_valid`, except that the dilated kernel ((p-1)·d + 1 per axis)
        must fit inside ``a``.
    stride, dilation : tuple of int
        One per axis, each >= 1.
    method : Method
        As for :func:`correlate_valid`.

    Returns
    -------
    (ndarray, Choice)
        The result, of shape ((m - (p-1)·d - 1) // s + 1, ...), and how it was computed.

    Notes
    -----
    Only the sampled outputs are computed and only the kernel's own taps multiplied, so nan and
    inf reach exactly the cells whose taps read them. With stride 1, the outputs i ≡ r (mod d)
    form the plain valid correlation of a[r::d] with k (one per phase r, any method). With
    dilation 1, a stride s sums s plain valid correlations per axis: out[j] = sum over r of
    correlate(a[r::s], k[r::s])[j]. With both, 1-D and 2-D inputs use the layer's matrix
    products, other inputs the tap loop (or, for a forced transform method, the stride's phases
    of the kernel dilated with zeros, recomputed by the tap loop where the result is not finite).

    Examples
    --------
    >>> correlate_strided(np.array([1.0, np.inf, 2.0, 3.0]), np.array([1.0, 1.0]), (1,), (2,))[0]
    array([ 3., inf])
    """
    a, k = np.asarray(a), np.asarray(k)
    stride, dilation = tuple(stride), tuple(dilation)
    if all(s == 1 for s in stride) and all(d == 1 for d in dilation):
        return correlate_valid(a, k, method)
    out_shape = _out_shape(a.shape, k.shape, stride, dilation)
    if min(out_shape) < 1:
        raise ShapeError(f"the dilated kernel must fit inside the input {a.shape}")
    with np.errstate(over="ignore", invalid="ignore"):
        if all(s == 1 for s in stride):
            return _dilation_phases(a, k, dilation, out_shape, method)
        if all(d == 1 for d in dilation):
            return _stride_phases(a, k, stride, dilation, out_shape, method)
        if a.ndim <= 2 and method in (Method.AUTO, Method.DIRECT):
            x = a.reshape((1,) * (3 - a.ndim) + a.shape)
            w = k.reshape((1,) * (4 - k.ndim) + k.shape)
            pad = (1,) * (2 - a.ndim)
            st, dl = pad + stride, pad + dilation
            out, choice = conv2d(x, w, (st[0], st[1]), (dl[0], dl[1]), 1, method)
            return out.reshape(out_shape), choice
        if method in (Method.AUTO, Method.DIRECT):
            what = operands_text(tuple(a.shape), tuple(k.shape), np.result_type(a.dtype, k.dtype))
            geometry = f"stride {dims_text(stride)}, dilation {dims_text(dilation)}"
            reason = f"{what} ({geometry}): the tap loop over the sampled outputs"
            progress.started(Method.DIRECT.value, reason, 0.0, math.prod(out_shape))
            return correlate_taps_strided(a, k, stride, dilation), Choice(Method.DIRECT, reason)
        return _stride_phases(a, k, stride, dilation, out_shape, method)


def _dilation_phases(
    a: np.ndarray, k: np.ndarray, dilation: tuple[int, ...], out_shape: tuple[int, ...], method: Method
) -> tuple[np.ndarray, Choice]:
    out: np.ndarray | None = None
    choice: Choice | None = None
    for phase in itertools.product(*(range(min(d, n)) for d, n in zip(dilation, out_shape, strict=True))):
        part = a[tuple(slice(r, None, d) for r, d in zip(phase, dilation, strict=True))]
        res, choice = correlate_valid(part, k, method)
        if out is None:
            out = np.empty(out_shape, dtype=res.dtype)
        out[tuple(slice(r, None, d) for r, d in zip(phase, dilation, strict=True))] = res
    assert out is not None and choice is not None
    phases = math.prod(min(d, n) for d, n in zip(dilation, out_shape, strict=True))
    return out, Choice(
        choice.method,
        f"dilation {dims_text(dilation)}: {phases} interleaved valid correlations, each {choice.reason}",
    )


def _stride_phases(
    a: np.ndarray,
    k: np.ndarray,
    stride: tuple[int, ...],
    dilation: tuple[int, ...],
    out_shape: tuple[int, ...],
    method: Method,
) -> tuple[np.ndarray, Choice]:
    """out[j] = sum over phases r of correlate(a[r::s], kd[r::s])[j], kd the dilated kernel:
    each phase a plain valid correlation, so that a forced transform method computes only the
    sampled outputs."""
    kd = dilate(k, dilation)
    total: np.ndarray | None = None
    choice: Choice | None = None
    for phase in itertools.product(*(range(min(s, p)) for s, p in zip(stride, kd.shape, strict=True))):
        index = tuple(slice(r, None, s) for r, s in zip(phase, stride, strict=True))
        # each phase's rows are read many times: a compact copy costs less than strided reads
        part = np.ascontiguousarray(a[index]) if a.dtype.kind in "fc" else a[index]
        res, choice = correlate_valid(part, kd[index], method)
        res = res[tuple(slice(0, n) for n in out_shape)]
        if total is None:
            total = res.copy()
        else:
            total += res
    assert total is not None and choice is not None
    if total.dtype.kind in "fc" and any(d > 1 for d in dilation) and not np.isfinite(total.sum()):
        # the dilated kernel's zeros would put nan where 0 · inf is no product of the sum
        return correlate_taps_strided(a, k, stride, dilation), Choice(
            choice.method,
            choice.reason + "; entries not finite: recomputed by the tap loop over the real taps",
        )
    return total, Choice(
        choice.method, f"stride {dims_text(stride)}: the sum of its phases, each {choice.reason}"
    )


def dilate(k: np.ndarray, dilation: tuple[int, ...]) -> np.ndarray:
    """Insert d-1 zeros between the taps of the last len(dilation) axes (for the views that show a
    dilated kernel, and forced transforms; the sums themselves skip the zeros)."""
    if all(d == 1 for d in dilation):
        return k
    lead = k.ndim - len(dilation)
    shape = k.shape[:lead] + tuple((n - 1) * d + 1 for n, d in zip(k.shape[lead:], dilation, strict=True))
    out = np.zeros(shape, dtype=k.dtype)
    out[(slice(None),) * lead + tuple(slice(None, None, d) for d in dilation)] = k
    return out


def correlate_layer(
    x: np.ndarray,
    w: np.ndarray,
    stride: tuple[int, int],
    dilation: tuple[int, int],
    groups: int = 1,
    method: Method = Method.AUTO,
) -> tuple[np.ndarray, Choice]:
    """A CNN layer (torch's conv2d on a padded input): :func:`layer.conv2d` for ``auto`` and
    ``direct``; a forced transform or separable method runs each filter as a 3-D correlation of
    its group's channels (the channel axis summed away), through :func:`correlate_strided`."""
    if method in (Method.AUTO, Method.DIRECT):
        return conv2d(x, w, stride, dilation, groups, method)
    o, cg = w.shape[:2]
    og = o // groups
    maps = []
    choice: Choice | None = None
    for f in range(o):
        g = f // og
        res, choice = correlate_strided(x[g * cg : (g + 1) * cg], w[f], (1, *stride), (1, *dilation), method)
        maps.append(res[0])
    assert choice is not None
    return np.stack(maps), choice
