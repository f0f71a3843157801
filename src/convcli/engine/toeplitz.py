"""The direct sum for float64 and complex128, as matrix products that BLAS computes.

A valid correlation is linear in the input, and a block of R output rows depends on R + kh - 1
input rows. Written as a matrix, the kernel is a banded (Toeplitz) matrix T of shape
R x (kw·(R + kh - 1)) and the input rows, shifted by each kernel column v, are stacked into X, so
that ``out[block] = T @ X`` is one dense matrix product per block. T has kh·kw non-zeros per row
and R + kh - 1 entries per stacked row, so the product does (R + kh - 1) / kh times the work of
the plain sum; BLAS runs it an order of magnitude faster than a loop over the taps. A column
kernel (kw = 1) needs no stacking: X is a view of the input.

Kernels along the last axis only (1 x kw) use the transposed form ``out = A @ T`` on column
blocks, where A is a view of the input.

Blocks go to BLAS in batches, one ``matmul`` call per batch (numpy loops over the batch with the
GIL released), so the worker threads spend their time in BLAS rather than in Python.

Arrays here are 3-D (planes, rows, columns); 1-D and 2-D operands get leading unit axes.

Every entry of T outside the kernel's band is zero, so a product ``0 * inf`` could put a nan
where the plain sum has none. A block whose result is not finite is therefore recomputed by the
tap loop, which multiplies exactly the products of the definition.
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import as_strided

from . import progress
from ._parallel import run_split
from .taps import correlate_taps

__all__ = [
    "all_finite",
    "matmul_into",
    "PRODUCT_LIMIT",
    "correlate_toeplitz",
    "toeplitz_rows",
    "toeplitz_cols",
    "band_tile_cols",
    "band_batch",
]

# Multiply-adds per matrix product. OpenBLAS runs a product of m·n·k above 2 * 65536 * 4 on
# several threads, and for products of this size the hand-over costs more than it gains; below
# the limit BLAS stays on the calling thread, and the batches are spread over our own workers.
PRODUCT_LIMIT = 500_000

# Bytes of stacked input per batch: a quarter of a core's L2 cache, so BLAS reads it from there.
_BATCH_BYTES = 1 << 19


def toeplitz_rows(kh: int, kw: int, kd: int = 1) -> int:
    """Output rows per block: more rows amortise the copies, fewer waste less work on zeros."""
    if kd * kw == 1:
        return 16  # a column kernel needs no stacked copy
    return 8


def toeplitz_cols(kw: int) -> int:
    """Output columns per block for a row kernel (``out = A @ T``): (B + kw - 1) / kw times the work."""
    return max(32, min(256, 2 * kw))


def band_tile_cols(rows: int, stacked: int, n: int) -> int:
    """Output columns per block of the banded product, within the product limit."""
    return max(8, min(n, PRODUCT_LIMIT // (rows * stacked)))


def band_batch(stacked: int, cols: int, itemsize: int, copy_free: bool) -> int:
    """Blocks per ``matmul`` call of the banded product."""
    per_block = stacked * cols * itemsize
    return max(1, (_BATCH_BYTES * (8 if copy_free else 1)) // per_block)


def matmul_into(x: np.ndarray, y: np.ndarray, dest: np.ndarray) -> None:
    """dest = x @ y. numpy hands a strided ``out`` to BLAS for real dtypes only; complex results
    go through a contiguous temporary."""
    if dest.dtype.kind == "c":
        dest[...] = np.matmul(x, y)
    else:
        np.matmul(x, y, out=dest)


def all_finite(x: np.ndarray) -> bool:
    # a sum is finite only if every term is (an overflow makes it inf too: a safe false alarm)
    return bool(np.isfinite(x.sum()))


# ---------------------------------------------------------------------------------------------
# kernels along the last axis: out = A @ T on column blocks


def _row_matrix(kv: np.ndarray, cols: int) -> np.ndarray:
    """T of shape (cols + kw - 1, cols) with T[j + v, j] = kv[v]."""
    kw = kv.shape[0]
    t = np.zeros((cols + kw - 1, cols), dtype=kv.dtype)
    for j in range(cols):
        t[j : j + kw, j] = kv
    return t


def _correlate_row_kernel(a2: np.ndarray, kv: np.ndarray, out2: np.ndarray, parallel: bool) -> None:
    rows, n = out2.shape
    kw = kv.shape[0]
    cols = min(toeplitz_cols(kw), n)
    t = _row_matrix(kv, cols)
    width = cols + kw - 1
    if rows < 64:
        # few rows: fold each row into a matrix of overlapping windows (window f of row r is
        # a2[r, f·cols : f·cols + width]), so that the products are tall
        folds = n // cols
        s0, s1 = a2.strides
        chunk = max(1, PRODUCT_LIMIT // (width * cols))

        def fold(lo: int, hi: int) -> None:
            for r in range(rows):
                for f0 in range(lo, hi, chunk):
                    f1 = min(f0 + chunk, hi)
                    x = as_strided(a2[r, f0 * cols :], (f1 - f0, width), (cols * s1, s1), writeable=False)
                    dest = out2[r, f0 * cols : f1 * cols].reshape(f1 - f0, cols)
                    # the windows overlap, so BLAS needs them copied into rows of their own
                    matmul_into(np.ascontiguousarray(x), t, dest)
                    progress.checkpoint((f1 - f0) * cols)

        if folds:
            run_split(fold, folds, parallel=parallel)
        rest = n - folds * cols
        if rest:
            j0 = folds * cols
            matmul_into(a2[:, j0 : j0 + rest + kw - 1], t[: rest + kw - 1, :rest], out2[:, j0:])
        if not all_finite(out2):
            out2[...] = correlate_taps(a2, kv.reshape(1, -1))
        return
    whole = n // cols  # complete column blocks; the rest is one narrower block
    block_rows = max(1, PRODUCT_LIMIT // (width * cols))
    s0, s1 = a2.strides

    def work(lo: int, hi: int) -> None:
        for r0 in range(lo, hi, block_rows):
            r1 = min(r0 + block_rows, hi)
            count = r1 - r0
            if whole:
                # column block b reads a2[r0:r1, b·cols : b·cols + width], a view
                src = as_strided(a2[r0:], (whole, count, width), (cols * s1, s0, s1), writeable=False)
                dest = out2[r0:r1, : whole * cols].reshape(count, whole, cols).transpose(1, 0, 2)
                matmul_into(src, t, dest)
            rest = n - whole * cols
            if rest:
                j0 = whole * cols
                matmul_into(a2[r0:r1, j0 : j0 + rest + kw - 1], t[: rest + kw - 1, :rest], out2[r0:r1, j0:])
            if not all_finite(out2[r0:r1]):
                out2[r0:r1] = correlate_taps(a2[r0:r1], kv.reshape(1, -1))
            progress.checkpoint(count * n)

    run_split(work, rows, parallel=parallel)


# ---------------------------------------------------------------------------------------------
# everything else: out[block] = T @ X, X the input rows stacked per kernel plane and column


def _band_matrix(k3: np.ndarray, rows: int) -> np.ndarray:
    """T of shape (rows, kd·kw·H), H = rows + kh - 1, with T[r, (w, v, r + u)] = k[w, u, v]."""
    kd, kh, kw = k3.shape
    h = rows + kh - 1
    t = np.zeros((rows, kd, kw, h), dtype=k3.dtype)
    taps = k3.transpose(0, 2, 1)  # (kd, kw, kh)
    for r in range(rows):
        t[r, :, :, r : r + kh] = taps
    return t.reshape(rows, kd * kw * h)


def _correlate_band(a3: np.ndarray, k3: np.ndarray, out3: np.ndarray, parallel: bool) -> None:
    planes, m, n = out3.shape
    kd, kh, kw = k3.shape
    rows = min(toeplitz_rows(kh, kw, kd), m)
    h = rows + kh - 1
    t = _band_matrix(k3, rows)
    stacked = kd * kw * h
    dtype = np.result_type(a3.dtype, k3.dtype)
    copy_free = kd * kw == 1
    cols = band_tile_cols(rows, stacked, n)
    batch = band_batch(stacked, cols, dtype.itemsize, copy_free)
    s0, s1, s2 = a3.strides

    # jobs: (plane, first row, blocks, first column, columns); blocks of a job are consecutive
    jobs = []
    full = m // rows
    for z in range(planes):
        for j0 in range(0, n, cols):
            c = min(cols, n - j0)
            for b0 in range(0, full, batch):
                jobs.append((z, b0 * rows, min(batch, full - b0), j0, c))
            if m % rows:
                # the last rows: one block ending at the last row, overlapping the one before it;
                # it is computed aside and only its own rows are written, because another worker
                # may be writing the overlap at the same time (a product accumulates in place)
                jobs.append((z, m - rows, 1, j0, c))

    def job(buf: np.ndarray | None, z: int, i0: int, count: int, j0: int, c: int) -> None:
        overlap = rows - m % rows if i0 + count * rows == m and m % rows else 0
        own = out3[z, i0 : i0 + count * rows, j0 : j0 + c].reshape(count, rows, c)
        dest = np.empty_like(own) if overlap else own
        origin = a3[z, i0:, j0:]
        if copy_free:
            x = as_strided(origin, (count, h, c), (rows * s1, s1, s2), writeable=False)
        else:
            assert buf is not None
            x6 = buf[: count * stacked * c].reshape(count, kd, kw, h, c)
            # x6[b, w, v, s, j] = a[z + w, i0 + b·rows + s, j0 + v + j]
            src = as_strided(origin, (count, kd, kw, h, c), (rows * s1, s0, s2, s1, s2), writeable=False)
            np.copyto(x6, src)
            x = x6.reshape(count, stacked, c)
        matmul_into(t, x, dest)
        if not all_finite(dest):
            for b in range(count):
                r0 = i0 + b * rows
                window = a3[z : z + kd, r0 : r0 + h, j0 : j0 + c + kw - 1]
                dest[b] = correlate_taps(window, k3)[0]
        if overlap:
            own[:, overlap:] = dest[:, overlap:]

    def work(lo: int, hi: int) -> None:
        buf = None if copy_free else np.empty(batch * stacked * cols, dtype=dtype)
        for spec in jobs[lo:hi]:
            job(buf, *spec)
            progress.checkpoint(spec[2] * rows * spec[4])

    run_split(work, len(jobs), parallel=parallel)


def correlate_toeplitz(a3: np.ndarray, k3: np.ndarray, parallel: bool = True) -> np.ndarray:
    """Valid correlation of 3-D float64/complex128 arrays through matrix products (see module doc)."""
    out_shape = tuple(x - p + 1 for x, p in zip(a3.shape, k3.shape, strict=True))
    dtype = np.result_type(a3.dtype, k3.dtype)
    out = np.empty(out_shape, dtype=dtype)
    kd, kh, kw = k3.shape
    if kd == 1 and kh == 1:
        a2 = np.ascontiguousarray(a3).reshape(-1, a3.shape[2])
        _correlate_row_kernel(a2, k3.reshape(kw).astype(dtype), out.reshape(-1, out_shape[2]), parallel)
        return out
    if kh == 1 and kw == 1:
        # a kernel along the planes only: each plane is one long row of a column kernel
        flat = np.ascontiguousarray(a3).reshape(1, a3.shape[0], -1)
        res = out.reshape(1, out_shape[0], -1)
        _correlate_band(flat, k3.reshape(1, kd, 1).astype(dtype), res, parallel)
        return out
    _correlate_band(a3, k3.astype(dtype), out, parallel)
    return out
