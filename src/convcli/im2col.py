"""im2col: a whole convolution as one matrix product, the patch matrix of A (one column per
window) times the kernel as a row, built from the same windows as each cell's derivation."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .closeness import TOLERANCE, all_equal, right_result
from .errors import UsageError
from .explanations import Im2col
from .model import SLIDING, Op, OpOptions
from .numeric import check_allocation
from .steps import activate_cell, cell_windows, number_in_kind, padded_input, terms_per_cell

__all__ = ["im2col"]


def im2col(op: Op, a: np.ndarray, b: np.ndarray, options: OpOptions | None = None) -> Im2col:
    """The patch matrix of A (one column per window), the kernel as a row, and their product.

    For convolve the row holds the kernel turned 180°, which is why convolve equals correlate
    with the turned kernel. Bias and activation, when given, are applied after the product. The
    patch matrix is refused, before anything is computed, when it would not fit in memory.
    """
    options = options or OpOptions()
    if op not in SLIDING:
        raise UsageError("im2col applies to convolve and correlate")
    g = cell_windows(op, a, b, options)
    p = g.layout
    kernel = g.kernel
    spatial = g.spatial
    k_spatial = kernel.shape[-spatial:]
    # a row per tap of each channel of A (with --groups, more than one filter reads)
    taps = p.a.shape[0] * math.prod(k_spatial) if options.channels else terms_per_cell(g)
    windows = math.prod(p.out_shape)
    check_allocation((taps, windows), g.kind, "im2col's patch matrix (a row per tap, a column per window)")
    padded, _ = padded_input(g)
    slabs = []
    for tap in np.ndindex(*k_spatial):
        where: tuple[Any, ...] = (Ellipsis, *p.tap_slices(tap))
        slabs.append(padded[where])
    # rows in the kernel's own order: channel first, then the spatial taps
    patches = np.stack(slabs, axis=padded.ndim - spatial).reshape(taps, windows)
    labels = tuple(np.ndindex(*p.out_shape))
    rows = kernel.reshape(p.filters, -1) if options.channels else kernel.reshape(1, -1)
    result, expected = right_result(op, a, b, options)
    if patches.dtype.kind in "iu" or rows.dtype.kind in "iu":  # Python ints: the product cannot wrap around
        patches, rows = patches.astype(object), rows.astype(object)
    groups = options.groups if options.channels else 1
    with np.errstate(over="ignore", invalid="ignore"):  # overflow is inf, as in the operation
        if groups == 1:
            product = np.dot(rows, patches)
        else:
            # one product per group (a zero weight times an inf of another group is no product)
            rows, product = _group_blocks(rows, patches, groups)
    if options.bias:
        bias = [number_in_kind(v, g.kind) for v in options.bias]
        product = product + np.array(bias, dtype=object).reshape(-1, 1)
    product = np.array([activate_cell(v, options.activation) for v in product.flat], dtype=object).reshape(
        product.shape
    )
    shaped = product.reshape(result.value.shape)
    same = all_equal(shaped, expected, TOLERANCE)
    return Im2col(
        op,
        patches,
        labels,
        rows,
        shaped,
        result.value,
        same,
        (p.a.shape[0], *k_spatial) if options.channels else tuple(k_spatial),
        groups,
        tuple(a.shape),
        tuple(b.shape),
        result.kind,
        options,
    )


def _group_blocks(rows: np.ndarray, patches: np.ndarray, groups: int) -> tuple[np.ndarray, np.ndarray]:
    """The block-diagonal kernel matrix of a grouped layer (filters of group g on the patch rows of
    its channels, zeros elsewhere) and its product with the patches, one block at a time."""
    filters, per_group = rows.shape[0] // groups, rows.shape[1]
    blocks = np.zeros((rows.shape[0], patches.shape[0]), dtype=rows.dtype)
    if blocks.dtype == object:
        blocks[...] = 0
    product = np.empty((rows.shape[0], patches.shape[1]), dtype=np.result_type(rows.dtype, patches.dtype))
    for g in range(groups):
        f, t = slice(g * filters, (g + 1) * filters), slice(g * per_group, (g + 1) * per_group)
        blocks[f, t] = rows[f]
        product[f] = np.dot(rows[f], patches[t])
    return blocks, product
