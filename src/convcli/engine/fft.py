"""FFT methods: one transform of the whole input, or blocks of it (the overlap family).

A valid correlation needs no padding to avoid wrap-around. With circular correlation over a
length L >= m (m the input's extent), output i sums a[(i + u) mod L] * k[u]; for the valid
outputs i <= m - p, every i + u <= m - 1 < L, so nothing wraps. Transform lengths therefore only
cover the input, not input + kernel - 1 as a full convolution would.

The block method cuts the output into tiles; each tile's input (tile + kernel - 1 per axis)
is transformed on its own (the overlap-save arrangement of the overlap-add family: input
blocks overlap, so the valid outputs need no additions). Tiles are transformed in batches.

Transforms use scipy.fft with several workers when it is loaded or worth loading, else
numpy.fft (README's "Speed": scipy is imported only when it pays for itself).
"""

from __future__ import annotations

import itertools
import math
from types import ModuleType
from typing import Any

import numpy as np

from . import progress
from ._parallel import WORKERS

__all__ = [
    "correlate_fft",
    "correlate_blocks",
    "fast_length",
    "block_lengths",
    "fft_error_factor",
]

# Bytes of transformed tiles per batch in the block method.
_BATCH_BYTES = 32 << 20


def fast_length(n: int, *, power_of_two: bool = False) -> int:
    """The smallest length >= n whose only prime factors are 2, 3 and 5 (or a power of two)."""
    if n <= 1:
        return 1
    if power_of_two:
        return 1 << (n - 1).bit_length()
    best = 1 << (n - 1).bit_length()
    p5 = 1
    while p5 < best:
        p35 = p5
        while p35 < best:
            # the smallest power of two that lifts p35 to n or beyond
            candidate = p35 << max(0, (-(-n // p35) - 1).bit_length())
            best = min(best, candidate)
            p35 *= 3
        p5 *= 5
    return best


# Entries per transform below which scipy.fft's extra workers cost more than they save.
_WORKERS_FROM = 1 << 20


def _backend(scipy_fft: bool, size: int) -> tuple[ModuleType, dict[str, Any]]:
    if scipy_fft:
        import scipy.fft

        return scipy.fft, {"workers": WORKERS if size >= _WORKERS_FROM else 1}
    return np.fft, {}


def _kernel_spectrum(
    k: np.ndarray, lengths: tuple[int, ...], real: bool, fft: ModuleType, opts: dict[str, Any]
) -> np.ndarray:
    """conj(F(conj k)) padded to ``lengths``: multiplying by it correlates without conjugating k.

    Only the kernel's own rows are transformed along the last axis; the zero padding of the
    other axes is transformed as part of their (full) transforms.
    """
    axes = tuple(range(k.ndim))
    if real:
        spec = fft.rfft(k, n=lengths[-1], axis=-1, **opts)
    else:
        spec = fft.fft(np.conj(k), n=lengths[-1], axis=-1, **opts)
    for ax in axes[:-1]:
        spec = fft.fft(spec, n=lengths[ax], axis=ax, **opts)
    return np.conj(spec, out=spec)


def correlate_fft(
    a: np.ndarray, k: np.ndarray, *, power_of_two: bool = False, scipy_fft: bool = False
) -> np.ndarray:
    """Valid correlation through one transform of the whole input (float64 or complex128)."""
    lengths = tuple(fast_length(m, power_of_two=power_of_two) for m in a.shape)
    out_shape = tuple(m - p + 1 for m, p in zip(a.shape, k.shape, strict=True))
    real = a.dtype.kind != "c" and k.dtype.kind != "c"
    fft, opts = _backend(scipy_fft, math.prod(lengths))
    axes = tuple(range(a.ndim))
    spec_k = _kernel_spectrum(k, lengths, real, fft, opts)
    if real:
        spec = fft.rfftn(a, s=lengths, axes=axes, **opts)
        spec *= spec_k
        del spec_k
        full = fft.irfftn(spec, s=lengths, axes=axes, **opts)
    else:
        spec = fft.fftn(a, s=lengths, axes=axes, **opts)
        spec *= spec_k
        del spec_k
        full = fft.ifftn(spec, s=lengths, axes=axes, **opts)
    del spec
    return np.ascontiguousarray(full[tuple(slice(0, n) for n in out_shape)])


def _block_cost(length: int, p: int) -> float:
    return length * math.log2(max(length, 2)) / (length - p + 1)


def block_lengths(
    a_shape: tuple[int, ...], k_shape: tuple[int, ...], *, power_of_two: bool = False
) -> tuple[int, ...]:
    """Transform length per axis for the block method: a few kernel extents, at most the input.

    Per axis the cost of a tile is about L·log L for L - p + 1 outputs; the length that
    minimises that ratio, among fast lengths from max(2p, 64) to max(8p, 64) (capped at 512
    and at the input's own fast length), wins.
    """
    lengths = []
    for m, p in zip(a_shape, k_shape, strict=True):
        whole = fast_length(m, power_of_two=power_of_two)
        best, best_cost = whole, _block_cost(whole, p) * 1.25
        # tiles below 64 per axis cost more in per-tile overhead than they save
        low = max(2 * p, 64)
        for want in range(low, max(8 * p, 64) + 1, max(1, p // 2)):
            length = fast_length(want, power_of_two=power_of_two)
            if length >= whole or length > 512:
                break
            cost = _block_cost(length, p)
            if cost < best_cost:
                best, best_cost = length, cost
        lengths.append(best)
    return tuple(lengths)


def correlate_blocks(
    a: np.ndarray,
    k: np.ndarray,
    lengths: tuple[int, ...] | None = None,
    *,
    power_of_two: bool = False,
    scipy_fft: bool = False,
) -> np.ndarray:
    """Valid correlation through transforms of overlapping input blocks (float64 or complex128)."""
    if lengths is None:
        lengths = block_lengths(a.shape, k.shape, power_of_two=power_of_two)
    out_shape = tuple(m - p + 1 for m, p in zip(a.shape, k.shape, strict=True))
    step = tuple(length - p + 1 for length, p in zip(lengths, k.shape, strict=True))
    real = a.dtype.kind != "c" and k.dtype.kind != "c"
    dtype = np.result_type(a.dtype, k.dtype, np.float64)
    starts = list(itertools.product(*(range(0, n, s) for n, s in zip(out_shape, step, strict=True))))
    per_tile = math.prod(lengths) * 16
    batch = max(1, min(len(starts), _BATCH_BYTES // per_tile))
    # the workers of scipy.fft share out the tiles of a batch
    fft, opts = _backend(scipy_fft, math.prod(lengths) * batch)
    axes = tuple(range(1, a.ndim + 1))
    spec_k = _kernel_spectrum(k, lengths, real, fft, opts)[np.newaxis]
    out = np.empty(out_shape, dtype=dtype)
    stack = np.empty((batch, *lengths), dtype=dtype)
    for b0 in range(0, len(starts), batch):
        group = starts[b0 : b0 + batch]
        tiles = stack[: len(group)]
        for t, start in enumerate(group):
            src = tuple(
                slice(s, min(s + length, m)) for s, length, m in zip(start, lengths, a.shape, strict=True)
            )
            piece = a[src]
            if piece.shape != lengths:
                tiles[t] = 0
            tiles[t][tuple(slice(0, n) for n in piece.shape)] = piece
        if real:
            spec = fft.rfftn(tiles, axes=axes, **opts)
            spec *= spec_k
            res = fft.irfftn(spec, s=lengths, axes=axes, **opts)
        else:
            spec = fft.fftn(tiles, axes=axes, **opts)
            spec *= spec_k
            res = fft.ifftn(spec, axes=axes, **opts)
        del spec
        done = 0
        for t, start in enumerate(group):
            dst = tuple(slice(s, min(s + st, n)) for s, st, n in zip(start, step, out_shape, strict=True))
            out[dst] = res[(t, *(slice(0, d.stop - d.start) for d in dst))]
            done += math.prod(d.stop - d.start for d in dst)
        progress.checkpoint(done)
    return out


def fft_error_factor(length: int) -> float:
    """F such that every entry of an FFT correlation of length ``length`` errs by at most
    F · ||a||_2 · ||k||_1 (see ``exact.py`` for the derivation and its assumptions)."""
    u = 2.0**-53
    levels = 2 * max(1, math.ceil(math.log2(max(length, 2))))  # twice the radix-2 stages
    eta = 8 * u
    delta = levels * eta / (1 - levels * eta)
    gamma = 3 * u  # one complex product
    root = math.sqrt(length)
    return (
        3 * delta
        + delta * delta
        + gamma * (1 + delta) ** 2
        + delta * root * (2 * delta + gamma) * (1 + delta) ** 2
    ) * 1.01
