"""A convolutional layer as matrix products, and its two gradients.

The layer (torch's ``conv2d`` without padding: the caller pads) is

    y[o, i, j] = sum_{c, u, v} x[g·C/G + c, i·sh + u·dh, j·sw + v·dw] · w[o, c, u, v],

g = o // (O/G) the group of filter o. Two ways to run it for floats (and a tap loop for exact
numbers), all multiplying exactly the products of that sum (no zero taps from dilation, no
positions a stride skips):

``im2col``
    Copy each group's windows into a matrix (one column per output cell, one row per
    (channel, tap)) a block of output rows at a time, and multiply it by the filters, one BLAS
    product per block; the products of all groups go in one batched ``matmul``.
``tap GEMMs`` (stride 1)
    One product per tap, with no copy at all: flattened, the input rows that tap (u, v) reads
    for a block of output rows are one strided matrix (rows = channels, leading dimension
    H·W) starting at (i0 + u·dh)·W + v·dw, if each output row is computed over the whole input
    width W and the kw - 1 columns past its end are dropped.

Exact operands (int64 through float64 limbs, Python numbers by tensor products per tap) and the
choice among these are in ``chooser.choose_layer``. The gradients reuse the same window geometry:
the weight gradient is a product of the upstream gradient with the same window matrix, the input
gradient a product of the filters with the upstream gradient, added back window by window
(col2im).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from numpy.lib.stride_tricks import as_strided

from convcli.errors import ShapeError
from convcli.model import Choice, Kind, Method
from convcli.text import dims_text

from . import progress
from .limbs import exact_bilinear
from .toeplitz import all_finite, matmul_into

__all__ = [
    "conv2d",
    "conv2d_grad_input",
    "conv2d_grad_weight",
    "layer_shape",
    "im2col_gemm",
    "tap_gemms",
    "exact_taps",
    "COLS_BYTES",
]

Pair = tuple[int, int]

# Bytes of window matrix per block: big enough for BLAS to run at full speed, small enough to
# stay in cache and to keep the copy a fraction of the input.
COLS_BYTES = 32 << 20


def layer_shape(
    x_shape: tuple[int, ...], w_shape: tuple[int, ...], stride: Pair, dilation: Pair, groups: int
) -> Pair:
    """(oh, ow) of the layer, after checking the operands' shapes and the group rule."""
    if len(x_shape) != 3 or len(w_shape) != 4:
        raise ShapeError(
            f"a layer takes x as C x H x W and w as O x C/G x kh x kw; got {x_shape} and {w_shape}"
        )
    c, h, wd = x_shape
    o, cg, kh, kw = w_shape
    if groups < 1 or c % groups or o % groups or cg * groups != c:
        raise ShapeError(
            f"groups={groups}: x has {c} channels and w is {dims_text(w_shape)}; C and O must be "
            "divisible by the groups, and w's second axis must be C/groups"
        )
    ext_h, ext_w = (kh - 1) * dilation[0] + 1, (kw - 1) * dilation[1] + 1
    if min(kh, kw, c, o) < 1 or ext_h > h or ext_w > wd:
        raise ShapeError(f"the (dilated) kernel {ext_h}x{ext_w} must fit inside the input {h}x{wd}")
    return (h - ext_h) // stride[0] + 1, (wd - ext_w) // stride[1] + 1


def _windows(
    x: np.ndarray, groups: int, cg: int, kh: int, kw: int, rows: Pair, ow: int, stride: Pair, dilation: Pair
) -> np.ndarray:
    """A view (G, Cg, kh, kw, rows, ow) of the windows of output rows ``rows[0]:rows[1]``."""
    s0, s1, s2 = x.strides
    r0, r1 = rows
    origin = x[:, r0 * stride[0] :]
    shape = (groups, cg, kh, kw, r1 - r0, ow)
    strides = (cg * s0, s0, s1 * dilation[0], s2 * dilation[1], s1 * stride[0], s2 * stride[1])
    return as_strided(origin, shape, strides, writeable=False)


def _row_blocks(oh: int, per_row: int, budget: int | None = None) -> list[Pair]:
    """Blocks of output rows whose window matrices take about ``budget`` bytes (COLS_BYTES)."""
    rows = max(1, min(oh, (COLS_BYTES if budget is None else budget) // max(per_row, 1)))
    return [(r0, min(oh, r0 + rows)) for r0 in range(0, oh, rows)]


def im2col_gemm(
    x: np.ndarray, w: np.ndarray, stride: Pair, dilation: Pair, groups: int, transposed: bool = False
) -> np.ndarray:
    """The layer as window matrices times the filters, a block of output rows at a time.

    ``transposed`` computes each block as (windows^T · filters^T)^T, the orientation OpenBLAS
    runs faster when the inner dimension is long and the filters many.
    """
    o, cg, kh, kw = w.shape
    oh, ow = layer_shape(x.shape, w.shape, stride, dilation, groups)
    dtype = np.result_type(x.dtype, w.dtype)
    og, k = o // groups, cg * kh * kw
    w3 = np.ascontiguousarray(w.reshape(groups, og, k), dtype=dtype)
    w3t = np.ascontiguousarray(w3.transpose(0, 2, 1))
    out = np.empty((groups, og, oh * ow), dtype=dtype)
    blocks = _row_blocks(oh, groups * k * ow * dtype.itemsize)
    buf = np.empty(groups * k * (blocks[0][1] - blocks[0][0]) * ow, dtype=dtype)
    for r0, r1 in blocks:
        n = (r1 - r0) * ow
        cols = buf[: groups * k * n].reshape(groups, cg, kh, kw, r1 - r0, ow)
        np.copyto(cols, _windows(x, groups, cg, kh, kw, (r0, r1), ow, stride, dilation))
        cols = cols.reshape(groups, k, n)
        dest = out[:, :, r0 * ow : r1 * ow]
        if transposed:
            dest[...] = np.matmul(cols.transpose(0, 2, 1), w3t).transpose(0, 2, 1)
        else:
            matmul_into(w3, cols, dest)
        progress.checkpoint(o * n)
    return out.reshape(o, oh, ow)


def tap_gemms(x: np.ndarray, w: np.ndarray, dilation: Pair, groups: int) -> np.ndarray:
    """The layer at stride 1 as one product per tap on views of the input (see the module doc)."""
    o, cg, kh, kw = w.shape
    c, h, wd = x.shape
    oh, ow = layer_shape(x.shape, w.shape, (1, 1), dilation, groups)
    dtype = np.result_type(x.dtype, w.dtype)
    og = o // groups
    xf = np.ascontiguousarray(x, dtype=dtype).reshape(groups, cg, h * wd)
    taps = np.ascontiguousarray(w.transpose(2, 3, 0, 1), dtype=dtype).reshape(kh, kw, groups, og, cg)
    out = np.empty((o, oh, ow), dtype=dtype)
    blocks = _row_blocks(oh, o * wd * dtype.itemsize * 4)
    rows = blocks[0][1] - blocks[0][0]
    acc = np.empty((groups, og, rows * wd), dtype=dtype)
    tmp = np.empty_like(acc)
    for r0, r1 in blocks:
        # the last block stops at the last valid output: reading on would pass the input's end
        length = (r1 - r0) * wd - (kw - 1) * dilation[1] if r1 == oh else (r1 - r0) * wd
        first = True
        for u in range(kh):
            for v in range(kw):
                start = (r0 + u * dilation[0]) * wd + v * dilation[1]
                view = xf[:, :, start : start + length]
                if first:
                    matmul_into(taps[u, v], view, acc[:, :, :length])
                    first = False
                else:
                    matmul_into(taps[u, v], view, tmp[:, :, :length])
                    acc[:, :, :length] += tmp[:, :, :length]
            progress.checkpoint()
        block = acc[:, :, : (r1 - r0) * wd].reshape(o, r1 - r0, wd)
        out[:, r0:r1] = block[:, :, :ow]
        progress.checkpoint(o * (r1 - r0) * ow)
    return out


def exact_taps(x: np.ndarray, w: np.ndarray, stride: Pair, dilation: Pair, groups: int) -> np.ndarray:
    """The layer as a loop over taps, each a tensor product over channels: exact for int64 (the
    caller keeps the sums inside int64) and for Python numbers (ints, Fractions, symbols)."""
    o, cg, kh, kw = w.shape
    oh, ow = layer_shape(x.shape, w.shape, stride, dilation, groups)
    og = o // groups
    dtype = np.result_type(x.dtype, w.dtype)
    out = np.zeros((o, oh, ow), dtype=dtype)
    if dtype.kind == "O":
        out[...] = 0  # Python ints, not numpy zeros, so that sums beyond int64 cannot wrap
    for u in range(kh):
        for v in range(kw):
            i0, j0 = u * dilation[0], v * dilation[1]
            src = x[
                :,
                i0 : i0 + (oh - 1) * stride[0] + 1 : stride[0],
                j0 : j0 + (ow - 1) * stride[1] + 1 : stride[1],
            ]
            for g in range(groups):
                weights = w[g * og : (g + 1) * og, :, u, v]
                if dtype.kind in "iuO" and not np.any(weights != 0):
                    continue  # exact zero taps add nothing (and keep symbolic sums short)
                out[g * og : (g + 1) * og] += np.tensordot(weights, src[g * cg : (g + 1) * cg], axes=1)
            progress.checkpoint()
    progress.checkpoint(out.size)
    return out


def conv2d(
    x: np.ndarray,
    w: np.ndarray,
    stride: Pair = (1, 1),
    dilation: Pair = (1, 1),
    groups: int = 1,
    method: Method = Method.AUTO,
) -> tuple[np.ndarray, Choice]:
    """The convolutional layer y = conv2d(x, w) of torch, on an input already padded.

    Parameters
    ----------
    x : ndarray, shape (C, H, W)
        The (padded) input.
    w : ndarray, shape (O, C/groups, kh, kw)
        The filters as they slide: not turned, not conjugated.
    stride, dilation : (int, int)
        Per axis, both >= 1. Only the sampled positions are computed, and only the kernel's own
        taps are multiplied (no zeros between dilated taps).
    groups : int
        torch's groups: C and O divisible by it; groups = C is a depthwise layer.
    method : Method
        ``auto`` or ``direct`` (every layer method is a direct sum).

    Returns
    -------
    (ndarray, Choice)
        y of shape (O, (H - (kh-1)·dh - 1)//sh + 1, (W - (kw-1)·dw - 1)//sw + 1), and the method
        used with the reason. int64 operands give exact int64 (the caller guarantees that
        max|x|·max|w|·C/G·kh·kw fits int64), object operands exact Python numbers, floats
        float64 or complex128.

    Notes
    -----
    y[o, i, j] = sum over c, u, v of x[g·C/G + c, i·sh + u·dh, j·sw + v·dw] · w[o, c, u, v], with
    g = o // (O/G). Equal to ``torch.nn.functional.conv2d(x[None], w, stride=stride,
    dilation=dilation, groups=groups)[0]``.

    Examples
    --------
    >>> x = np.arange(16).reshape(1, 4, 4)
    >>> conv2d(x, np.ones((1, 1, 2, 2), dtype=np.int64), stride=(2, 2))[0].tolist()
    [[[10, 18], [42, 50]]]
    """
    from .chooser import choose_layer

    layer_shape(x.shape, w.shape, stride, dilation, groups)
    chosen, reason = choose_layer(x, w, stride, dilation, groups, method)
    oh, ow = layer_shape(x.shape, w.shape, stride, dilation, groups)
    progress.started(chosen.method.value, reason, chosen.seconds, w.shape[0] * oh * ow)
    with np.errstate(over="ignore", invalid="ignore"):
        out = chosen.run()
    return out, Choice(chosen.method, reason)


# --- the gradients ------------------------------------------------------------------------------


def _check_grad(
    kind: str,
    grad: np.ndarray,
    x_shape: tuple[int, ...],
    w_shape: tuple[int, ...],
    stride: Pair,
    padding: Pair,
    dilation: Pair,
    groups: int,
) -> Pair:
    padded = (x_shape[0], x_shape[1] + 2 * padding[0], x_shape[2] + 2 * padding[1])
    oh, ow = layer_shape(padded, w_shape, stride, dilation, groups)
    if grad.shape != (w_shape[0], oh, ow):
        raise ShapeError(
            f"{kind}: the upstream gradient is {dims_text(grad.shape)} but the layer's output is "
            f"{w_shape[0]}x{oh}x{ow}"
        )
    return oh, ow


def _kind_of(*arrays: np.ndarray) -> Kind:
    from convcli.numeric import common_kind, kind_of

    return common_kind(kind_of(a) for a in arrays)


def conv2d_grad_input(
    grad: np.ndarray,
    w: np.ndarray,
    input_shape: tuple[int, int, int],
    stride: Pair = (1, 1),
    padding: Pair = (0, 0),
    dilation: Pair = (1, 1),
    groups: int = 1,
) -> np.ndarray:
    """The gradient of sum(grad · conv2d(x, w)) with respect to x (torch's zero padding).

    Parameters
    ----------
    grad : ndarray, shape (O, oh, ow)
        The upstream gradient, the shape of the layer's output.
    w : ndarray, shape (O, C/groups, kh, kw)
        The filters.
    input_shape : (C, H, W)
        The shape of x, before padding.
    stride, padding, dilation : (int, int)
        As in ``torch.nn.functional.conv2d``; padding is by zeros on both sides.
    groups : int
        torch's groups.

    Returns
    -------
    ndarray, shape (C, H, W)
        Exact for int64, Python-int and Fraction operands (the same limbs and scaling as the
        forward layer); float64 or complex128 for floats.

    Notes
    -----
    dx[g·C/G + c, i·sh + u·dh - ph, j·sw + v·dw - pw] += sum over o in group g of
    w[o, c, u, v] · grad[o, i, j]: the filters times the upstream gradient (one matrix product
    per block of output rows) added back window by window, which is the transposed convolution.

    Examples
    --------
    >>> g = np.ones((1, 2, 2), dtype=np.int64)
    >>> conv2d_grad_input(g, np.ones((1, 1, 2, 2), dtype=np.int64), (1, 3, 3)).tolist()
    [[[1, 2, 1], [2, 4, 2], [1, 2, 1]]]
    """
    oh, ow = _check_grad("grad_input", grad, input_shape, w.shape, stride, padding, dilation, groups)
    kind = _kind_of(grad, w)
    terms = (w.shape[0] // groups) * w.shape[2] * w.shape[3]

    def fn(g: np.ndarray, k: np.ndarray, _fill: Any) -> np.ndarray:
        return _grad_input(g, k, input_shape, stride, padding, dilation, groups, oh, ow)

    return np.asarray(exact_bilinear(kind, grad, w, None, terms, fn))


def _grad_input(
    grad: np.ndarray,
    w: np.ndarray,
    input_shape: tuple[int, int, int],
    stride: Pair,
    padding: Pair,
    dilation: Pair,
    groups: int,
    oh: int,
    ow: int,
) -> np.ndarray:
    dtype = np.result_type(grad.dtype, w.dtype)
    if stride == (1, 1) and dtype.kind in "fciu" and (dtype.kind in "iu" or all_finite(w)):
        # the zeros that widen grad's rows meet finite weights only: they add nothing, not a nan
        return _grad_input_wide(grad, w, input_shape, padding, dilation, groups, oh, ow)
    return _grad_input_col2im(grad, w, input_shape, stride, padding, dilation, groups, oh, ow)


def _wide_rows(grad: np.ndarray, wp: int, groups: int) -> np.ndarray:
    """grad (O, oh, ow) with its rows widened to the padded input's width ``wp`` by zeros,
    flattened to (G, O/G, (oh - 1)·wp + ow): entry t = i·wp + j meets input entry s + t for the
    tap whose window starts at s, so that every tap is one run of consecutive entries."""
    o, oh, ow = grad.shape
    wide = np.zeros((o, oh, wp), dtype=grad.dtype)
    wide[:, :, :ow] = grad
    return wide.reshape(groups, o // groups, oh * wp)[:, :, : (oh - 1) * wp + ow]


def _grad_input_wide(
    grad: np.ndarray,
    w: np.ndarray,
    input_shape: tuple[int, int, int],
    padding: Pair,
    dilation: Pair,
    groups: int,
    oh: int,
    ow: int,
) -> np.ndarray:
    """dx at stride 1 on rows as wide as the padded input: the filters times the widened upstream
    gradient, each tap's row of the product added to one run of consecutive entries of dx (where
    col2im adds 2-D windows of short rows). Measured on one thread, against col2im: 1.3 ms against
    2.0 for the depthwise 64, 56², 3x3 layer, 6.7 against 8.0 for C=O=64, 56², equal elsewhere."""
    o, cg, kh, kw = w.shape
    c, h, wd = input_shape
    og, k = o // groups, cg * kh * kw
    hp, wp = h + 2 * padding[0], wd + 2 * padding[1]
    dtype = np.result_type(grad.dtype, w.dtype)
    gw = _wide_rows(grad, wp, groups)
    length = gw.shape[2]
    dx = np.zeros((groups, cg, hp * wp), dtype=dtype)
    starts = [(u, v, u * dilation[0] * wp + v * dilation[1]) for u in range(kh) for v in range(kw)]
    if cg == og == 1:
        # depthwise: each tap is one weight per channel times that channel's gradient
        w1 = w.reshape(groups, kh, kw)
        g1 = gw[:, 0]
        tmp = np.empty((groups, length), dtype=dtype)
        for u, v, s in starts:
            np.multiply(g1, w1[:, u, v, None], out=tmp)
            dx[:, 0, s : s + length] += tmp
            progress.checkpoint()
    else:
        w3t = np.ascontiguousarray(w.reshape(groups, og, k).transpose(0, 2, 1))
        for r0, r1 in _row_blocks(oh, groups * k * wp * max(dtype.itemsize, 8)):
            t0, t1 = r0 * wp, min(r1 * wp, length)
            cols = np.matmul(w3t, gw[:, :, t0:t1]).reshape(groups, cg, kh, kw, t1 - t0)
            for u, v, s in starts:
                dx[:, :, s + t0 : s + t1] += cols[:, :, u, v]
            progress.checkpoint(c * (r1 - r0) * ow)
    dx3 = dx.reshape(c, hp, wp)
    return dx3[:, padding[0] : padding[0] + h, padding[1] : padding[1] + wd]


def _grad_input_col2im(
    grad: np.ndarray,
    w: np.ndarray,
    input_shape: tuple[int, int, int],
    stride: Pair,
    padding: Pair,
    dilation: Pair,
    groups: int,
    oh: int,
    ow: int,
) -> np.ndarray:
    """dx as the filters times the upstream gradient, added back window by window (col2im)."""
    o, cg, kh, kw = w.shape
    c, h, wd = input_shape
    og, k = o // groups, cg * kh * kw
    dtype = np.result_type(grad.dtype, w.dtype)
    hp, wp = h + 2 * padding[0], wd + 2 * padding[1]
    dx = np.zeros((c, hp, wp), dtype=dtype)
    if dtype.kind == "O":
        dx[...] = 0
    w3t = np.ascontiguousarray(w.reshape(groups, og, k).transpose(0, 2, 1))
    g3 = grad.reshape(groups, og, oh * ow)
    for r0, r1 in _row_blocks(oh, groups * k * ow * max(dtype.itemsize, 8)):
        n = (r1 - r0) * ow
        part = g3[:, :, r0 * ow : r1 * ow]
        # BLAS for floats, numpy's own exact loops for int64 and Python numbers. (The transposed
        # orientation multiplies faster but leaves the columns strided, and adding them back from
        # there costs several times more: 52 ms against 7 for C=16, O=32, 128x128, 5x5.)
        cols = np.matmul(w3t, part)
        cols6 = cols.reshape(groups, cg, kh, kw, r1 - r0, ow)
        for u in range(kh):
            for v in range(kw):
                i0 = r0 * stride[0] + u * dilation[0]
                j0 = v * dilation[1]
                dest = dx[
                    :,
                    i0 : i0 + (r1 - r0 - 1) * stride[0] + 1 : stride[0],
                    j0 : j0 + (ow - 1) * stride[1] + 1 : stride[1],
                ]
                dest += cols6[:, :, u, v].reshape(c, r1 - r0, ow)
        progress.checkpoint(c * n)
    return dx[:, padding[0] : padding[0] + h, padding[1] : padding[1] + wd]


def conv2d_grad_weight(
    x: np.ndarray,
    grad: np.ndarray,
    weight_shape: tuple[int, int, int, int],
    stride: Pair = (1, 1),
    padding: Pair = (0, 0),
    dilation: Pair = (1, 1),
    groups: int = 1,
) -> np.ndarray:
    """The gradient of sum(grad · conv2d(x, w)) with respect to w (torch's zero padding).

    Parameters
    ----------
    x : ndarray, shape (C, H, W)
        The layer's input, before padding.
    grad : ndarray, shape (O, oh, ow)
        The upstream gradient.
    weight_shape : (O, C/groups, kh, kw)
        The shape of w.
    stride, padding, dilation, groups
        As in :func:`conv2d_grad_input`.

    Returns
    -------
    ndarray, shape (O, C/groups, kh, kw)
        Exact for integer and Fraction operands; float64 or complex128 for floats.

    Notes
    -----
    dw[o, c, u, v] = sum over i, j of grad[o, i, j] · xp[g·C/G + c, i·sh + u·dh, j·sw + v·dw], xp
    the padded input: the correlation of x with grad dilated by the stride, as one matrix product
    of grad with the layer's window matrix per block of output rows.

    Examples
    --------
    >>> x = np.arange(9).reshape(1, 3, 3)
    >>> conv2d_grad_weight(x, np.ones((1, 2, 2), dtype=np.int64), (1, 1, 2, 2)).tolist()
    [[[[8, 12], [20, 24]]]]
    """
    oh, ow = _check_grad("grad_weight", grad, x.shape, weight_shape, stride, padding, dilation, groups)
    kind = _kind_of(x, grad)

    def fn(xx: np.ndarray, g: np.ndarray, _fill: Any) -> np.ndarray:
        return _grad_weight(xx, g, weight_shape, stride, padding, dilation, groups, oh, ow)

    return np.asarray(exact_bilinear(kind, x, grad, None, oh * ow, fn))


def _grad_weight(
    x: np.ndarray,
    grad: np.ndarray,
    weight_shape: tuple[int, int, int, int],
    stride: Pair,
    padding: Pair,
    dilation: Pair,
    groups: int,
    oh: int,
    ow: int,
) -> np.ndarray:
    o, cg, kh, kw = weight_shape
    og, k = o // groups, cg * kh * kw
    dtype = np.result_type(x.dtype, grad.dtype)
    xp = x
    if padding != (0, 0):
        xp = np.zeros((x.shape[0], x.shape[1] + 2 * padding[0], x.shape[2] + 2 * padding[1]), dtype=x.dtype)
        if x.dtype == object:
            xp[...] = 0
        xp[:, padding[0] : padding[0] + x.shape[1], padding[1] : padding[1] + x.shape[2]] = x
    if stride == (1, 1) and cg == og == 1 and dtype.kind in "fciu" and (dtype.kind in "iu" or all_finite(x)):
        # the zeros that widen grad's rows meet finite inputs only: they add nothing, not a nan
        return _grad_weight_taps(xp, grad, weight_shape, dilation, groups)
    dw = np.zeros((groups, og, k), dtype=dtype)
    if dtype.kind == "O":
        dw[...] = 0
    g3 = grad.reshape(groups, og, oh * ow)
    blocks = _row_blocks(oh, groups * k * ow * max(dtype.itemsize, 8))
    for r0, r1 in blocks:
        n = (r1 - r0) * ow
        cols = np.ascontiguousarray(_windows(xp, groups, cg, kh, kw, (r0, r1), ow, stride, dilation)).reshape(
            groups, k, n
        )
        part = g3[:, :, r0 * ow : r1 * ow]
        # (cols · part^T)^T: the orientation OpenBLAS runs many times faster for a long inner axis
        dw += np.matmul(cols, part.transpose(0, 2, 1)).transpose(0, 2, 1)
        progress.checkpoint(o * n)
    return dw.reshape(o, cg, kh, kw)


def _grad_weight_taps(
    xp: np.ndarray, grad: np.ndarray, weight_shape: tuple[int, int, int, int], dilation: Pair, groups: int
) -> np.ndarray:
    """dw at stride 1 as one product per tap, with no window matrix: the upstream gradient on rows
    as wide as the padded input (``_wide_rows``) times the run of input entries the tap reads, a
    strided view of the flattened input.

    Used for depthwise layers, where each product is a dot product per channel: 1.0 ms against
    1.6 for the window matrix (64, 56², 3x3). Products of O/G x C/G with an inner dimension of a
    whole image are a poor shape for a threaded BLAS: on two threads C=O=64, 56², 3x3 took a
    median 124 ms against 15 for the window matrix, so other layers keep the window matrix."""
    o, cg, kh, kw = weight_shape
    c, hp, wp = xp.shape
    og = o // groups
    gw = _wide_rows(grad, wp, groups)
    length = gw.shape[2]
    xf = xp.reshape(groups, cg, hp * wp)
    dw = np.empty((kh, kw, groups, og, cg), dtype=np.result_type(xp.dtype, grad.dtype))
    for u in range(kh):
        for v in range(kw):
            s = u * dilation[0] * wp + v * dilation[1]
            matmul_into(gw, xf[:, :, s : s + length].transpose(0, 2, 1), dw[u, v])
        progress.checkpoint()
    return np.ascontiguousarray(dw.transpose(2, 3, 4, 0, 1)).reshape(o, cg, kh, kw)


def layer_macs(w_shape: tuple[int, ...], out_hw: Pair) -> int:
    """Multiply-adds of the layer: output entries times C/G·kh·kw."""
    return math.prod(w_shape) * out_hw[0] * out_hw[1]
