"""Transposed convolution, as ``torch.nn.functional.conv_transpose2d`` computes it.

A transposed convolution scatters instead of gathering: every input cell multiplies the whole
kernel, and that scaled copy is added into the output at the cell's position times the stride.
The sum is then cropped by the padding on each side. The same numbers come out of an ordinary
convolution of the zero-stuffed input (s-1 zeros between entries), padded by d*(k-1)-p, with
the kernel turned 180°: ``scatter_steps`` returns both views for an explanation.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from . import engine, geometry, numeric
from .errors import ShapeError, UsageError
from .explanations import ScatterStep, TransposeSteps
from .model import TRANSPOSE_NAME, Kind, TransposeOptions, TransposeResult
from .numeric import check_allocation, shrink_int
from .steps import cell_at, check_max_steps
from .text import dims_text, shape_text, values_text

__all__ = [
    "conv_transpose",
    "scatter_steps",
    "check_output_padding",
    "NAME",
]

NAME = TRANSPOSE_NAME


@dataclass(frozen=True)
class _ScatterLayout:
    """The operands in the result's kind and every per-axis size, before any arithmetic."""

    a: np.ndarray  # spatial (1-D or 2-D), or C_in x H x W with channels
    b: np.ndarray  # spatial, or C_in x C_out/G x kh x kw with channels
    kind: Kind
    channels: bool
    groups: int
    stride: tuple[int, ...]
    padding: tuple[int, ...]
    output_padding: tuple[int, ...]
    dilation: tuple[int, ...]
    extent: tuple[int, ...]  # the dilated kernel, per spatial axis
    uncropped: tuple[int, ...]  # (i-1)*s + d*(k-1) + 1 + a per spatial axis
    out_shape: tuple[int, ...]  # uncropped - 2p
    notes: tuple[str, ...]

    @property
    def spatial(self) -> int:
        return len(self.stride)

    @property
    def out_channels(self) -> int:
        return self.b.shape[1] * self.groups if self.channels else 1

    @property
    def squeeze(self) -> bool:
        """One output channel gives one map, as ops does for one filter."""
        return self.channels and self.out_channels == 1

    @property
    def terms(self) -> int:
        """The most products one output entry sums: one per kernel tap (and input channel of its
        group)."""
        if self.channels:
            return self.b.shape[0] // self.groups * int(np.prod(self.b.shape[2:]))
        return self.b.size


def check_output_padding(a: int, s: int, d: int, axis: int | None = None) -> None:
    """torch's rule: the output padding of an axis is smaller than its stride or its dilation.

    The extra cells lie past the last position any kernel copy reaches with the stride alone,
    so they only choose between the several input sizes a strided convolution maps to one size.
    """
    if a < 0:
        raise UsageError(f"--output-padding takes whole numbers >= 0, got {a}")
    if not (a < s or a < d):
        where = f" on axis {axis}" if axis is not None else ""
        raise UsageError(
            "--output-padding must be smaller than either the stride or the dilation (torch's rule), "
            f"but got output padding {a} with stride {s} and dilation {d}{where}"
        )


def _widen(x: np.ndarray) -> np.ndarray:
    """bool and narrow integers as int64 (or Python ints), narrow floats as float64: numpy would
    otherwise add uint8 in uint8 and wrap around."""
    if x.dtype.kind in "biu":
        return shrink_int(x)
    if x.dtype.kind == "f" and x.dtype != np.float64:
        return x.astype(np.float64)
    if x.dtype.kind == "c" and x.dtype != np.complex128:
        return x.astype(np.complex128)
    return x


def _operands(
    a: np.ndarray, b: np.ndarray, channels: bool, groups: int = 1
) -> tuple[np.ndarray, np.ndarray, list[str]]:
    for name, x in (("A", a), ("B", b)):
        if x.size == 0:
            raise ShapeError(
                f"{NAME}: {name} is empty ({shape_text(tuple(x.shape))})", short=f"{name} is empty"
            )
    a, b = _widen(a), _widen(b)
    if not channels:
        if a.ndim not in (1, 2) or b.ndim not in (1, 2):
            raise ShapeError(
                f"{NAME}: A is {shape_text(a.shape)} and B is {shape_text(b.shape)}; transposed "
                "convolution takes 1-D or 2-D operands (for C x H x W inputs use --channels, with B as "
                "C_in x C_out x kh x kw)",
                short="operands must be 1-D or 2-D",
            )
        a2, b2, notes = geometry.match_ndim(a, b)
        return a2, b2, notes
    a_text, b_text = shape_text(a.shape), shape_text(b.shape)
    if a.ndim == 2:
        a = a[None]
    if b.ndim == 2:
        b = b[None, None]
    elif b.ndim == 3:
        b = b[:, None]
    if a.ndim != 3 or b.ndim != 4:
        raise ShapeError(
            f"--channels: A is {a_text} and B is {b_text}; A must be "
            "C_in x H x W and B C_in x kh x kw (one output channel) or C_in x C_out x kh x kw "
            "(torch's weight layout for conv_transpose2d)",
            short="channel shapes do not fit",
        )
    if a.shape[0] != b.shape[0]:
        raise ShapeError(
            f"--channels: A has {a.shape[0]} channels and B has {b.shape[0]} input channels; B is "
            "C_in x C_out x kh x kw (torch's layout for conv_transpose2d), so its first axis must "
            "match A's channels",
            short=f"{a.shape[0]} and {b.shape[0]} input channels differ",
        )
    if a.shape[0] % groups:
        raise ShapeError(
            f"--groups {groups}: A has {a.shape[0]} channels, not divisible by {groups}; B is "
            "C_in x C_out/G x kh x kw, and the input channels of group g scatter only into its "
            "C_out/G output channels",
            short=f"{a.shape[0]} channels not divisible by {groups} groups",
        )
    return a, b, []


def _lay_out(a: np.ndarray, b: np.ndarray, options: TransposeOptions) -> _ScatterLayout:
    if options.groups < 1:
        raise UsageError(f"--groups takes a whole number >= 1, got {options.groups}")
    if options.groups > 1 and not options.channels:
        raise UsageError(
            f"--groups {options.groups} splits the channels of a layer: add --channels "
            "(A is C_in x H x W and B is C_in x C_out/G x kh x kw)"
        )
    a2, b2, notes = _operands(a, b, options.channels, options.groups)
    a2, b2, kind = numeric.unify(a2, b2)
    n = 2 if options.channels else a2.ndim
    stride = geometry.per_axis(options.stride, n, "stride", 1)
    dilation = geometry.per_axis(options.dilation, n, "dilation", 1)
    padding = geometry.per_axis(options.padding, n, "padding", 0)
    output_padding = geometry.per_axis(options.output_padding, n, "output-padding", 0)
    for axis, (x, s, d) in enumerate(zip(output_padding, stride, dilation, strict=True)):
        check_output_padding(x, s, d, axis if n > 1 else None)
    in_shape, k_shape = a2.shape[-n:], b2.shape[-n:]
    extent = tuple((k - 1) * d + 1 for k, d in zip(k_shape, dilation, strict=True))
    uncropped = tuple(
        (i - 1) * s + e + x for i, s, e, x in zip(in_shape, stride, extent, output_padding, strict=True)
    )
    out_shape = tuple(u - 2 * p for u, p in zip(uncropped, padding, strict=True))
    if any(o < 1 for o in out_shape):
        raise ShapeError(
            f"{NAME}: input {shape_text(in_shape)} with kernel {shape_text(k_shape)}, "
            f"stride {values_text(stride)}, padding {values_text(padding)}, "
            f"output padding {values_text(output_padding)} "
            f"and dilation {values_text(dilation)} gives an output of {dims_text(out_shape)}; "
            "(i-1)*s - 2p + d*(k-1) + a + 1 must be at least 1 on every axis (as in torch): lower --padding",
            short=f"output size {dims_text(out_shape)} is too small",
        )
    out_channels = (b2.shape[1] * options.groups,) if options.channels else ()
    check_allocation(out_channels + uncropped, kind, "the result before cropping")
    return _ScatterLayout(
        a2,
        b2,
        kind,
        options.channels,
        options.groups,
        stride,
        padding,
        output_padding,
        dilation,
        extent,
        uncropped,
        out_shape,
        tuple(notes),
    )


def _placement(p: _ScatterLayout, tap: tuple[int, ...], in_shape: tuple[int, ...]) -> tuple[slice, ...]:
    """Where the input lands for one kernel tap: every s-th cell from u*d (uncropped coordinates)."""
    return tuple(
        slice(u * d, u * d + (i - 1) * s + 1, s)
        for u, d, s, i in zip(tap, p.dilation, p.stride, in_shape, strict=True)
    )


def _scatter(p: _ScatterLayout, x: np.ndarray, k: np.ndarray, crop: bool = True) -> np.ndarray:
    """The scatter-add, one vectorised step per kernel tap: out[i*s + u*d] += x[i] * k[u]."""
    dtype = np.result_type(x.dtype, k.dtype)
    exact = dtype.kind in "iuO"
    in_shape = x.shape[-p.spatial :]
    if p.channels:
        out = np.zeros((p.out_channels, *p.uncropped), dtype=dtype)
        cin, cout = k.shape[0] // p.groups, k.shape[1]
        for tap in np.ndindex(*k.shape[2:]):
            for g in range(p.groups):
                w = k[(slice(g * cin, (g + 1) * cin), slice(None), *tap)]  # C_in/G x C_out/G
                # C_out/G x H x W, summed over the group's input channels
                contribution = np.tensordot(w, x[g * cin : (g + 1) * cin], axes=([0], [0]))
                out[(slice(g * cout, (g + 1) * cout), *_placement(p, tap, in_shape))] += contribution
    else:
        out = np.zeros(p.uncropped, dtype=dtype)
        for tap in np.ndindex(*k.shape):
            w = k[tap]
            # zero taps of exact kernels add nothing; float ones are kept so nan and inf spread
            # exactly where a product would carry them
            if exact and w == 0:
                continue
            out[_placement(p, tap, in_shape)] += x * w
    if not crop:
        return out
    window: tuple[Any, ...] = (
        Ellipsis,
        *(slice(pad, pad + o) for pad, o in zip(p.padding, p.out_shape, strict=True)),
    )
    return out[window]


def _finish(p: _ScatterLayout, value: np.ndarray) -> np.ndarray:
    return value[0] if p.squeeze else value


def conv_transpose(a: np.ndarray, b: np.ndarray, options: TransposeOptions | None = None) -> TransposeResult:
    """Transposed convolution of A with kernel B (``torch.nn.functional.conv_transpose2d``).

    Parameters
    ----------
    a, b : ndarray
        The input and the kernel, 1-D or 2-D, of any number kind (see ``convcli.numeric``). With
        ``options.channels``: A is C_in x H x W, B is C_in x C_out x kh x kw.
    options : TransposeOptions
        ``stride`` s, ``padding`` p, ``output_padding`` a and ``dilation`` d per axis.

    Returns
    -------
    TransposeResult
        Of size (i-1)*s - 2p + d*(k-1) + a + 1 per axis; exact for integer and rational inputs.

    Notes
    -----
    Each input cell A[i, j] times B, its taps d apart, is added into an array of size
    (i-1)*s + d*(k-1) + 1 + a per axis with its corner at (i*s, j*s); p cells are then cropped
    from each side (the a extra cells lie at the end). This equals a valid-mode correlation of
    A zero-stuffed (s-1 zeros between entries) and padded by d*(k-1)-p before and
    d*(k-1)-p+a after, with B dilated and turned 180°. B is never conjugated.

    Examples
    --------
    >>> import numpy as np
    >>> k = np.array([[0, 1], [2, 3]])
    >>> conv_transpose(k, k).value
    array([[ 0,  0,  1],
           [ 0,  4,  6],
           [ 4, 12,  9]])
    """
    options = options or TransposeOptions()
    p = _lay_out(a, b, options)
    value = engine.exact_bilinear(p.kind, p.a, p.b, None, p.terms, lambda x, k, _f: _scatter(p, x, k))
    value = _finish(p, np.asarray(value))
    notes = p.notes + numeric.nonfinite_notes(value)
    return TransposeResult(value, p.kind, tuple(a.shape), tuple(b.shape), options, notes)


# ---------------------------------------------------------------------------------------------
# explanation as data


def _objects(x: np.ndarray) -> np.ndarray:
    """The entries as plain Python numbers, whose products cannot wrap around."""
    out = np.empty(x.shape, dtype=object)
    out.flat[:] = x.ravel().tolist()
    return out


def _input_cells(
    shape: tuple[int, ...], at: tuple[int, ...] | None, max_steps: int
) -> tuple[list[tuple[int, ...]], int]:
    total = int(np.prod(shape))
    if at is None:
        check_max_steps(max_steps)
        cells = [tuple(int(i) for i in c) for _, c in zip(range(max_steps), np.ndindex(*shape), strict=False)]
        return cells, total
    return [cell_at(at, shape, sized=f"the {shape_text(shape)} input A", outside="A")], total


def _pad_or_crop(x: np.ndarray, pairs: list[tuple[int, int]]) -> np.ndarray:
    """Zero-pad the last len(pairs) axes; a negative amount cuts that many cells instead."""
    lead = x.ndim - len(pairs)
    cut = (slice(None),) * lead + tuple(
        slice(max(-before, 0), n - max(-after, 0))
        for (before, after), n in zip(pairs, x.shape[lead:], strict=True)
    )
    x = x[cut]
    grow = [(0, 0)] * lead + [(max(before, 0), max(after, 0)) for before, after in pairs]
    return np.pad(x, grow, mode="constant", constant_values=0)


def scatter_steps(
    a: np.ndarray,
    b: np.ndarray,
    options: TransposeOptions | None = None,
    *,
    at: tuple[int, ...] | None = None,
    max_steps: int = 25,
) -> TransposeSteps:
    """The data to explain ``conv_transpose(a, b, options)``: each input cell times the kernel,
    placed at its stride offset, and the equivalent convolution of the zero-stuffed input.

    ``at`` picks one cell of A; otherwise the first ``max_steps`` cells (row by row) are shown.
    """
    options = options or TransposeOptions()
    p = _lay_out(a, b, options)
    result = conv_transpose(a, b, options).value
    uncropped = conv_transpose(a, b, replace(options, padding=(0,))).value
    n = p.spatial
    cells, total = _input_cells(tuple(a.shape), at, max_steps)
    lead = p.a.ndim - a.ndim  # axes _operands added in front of A (1-D as a row, one channel)
    values = _objects(p.a)
    kernel = geometry.dilate(_objects(p.b), p.dilation)
    steps = []
    for cell in cells:
        where = (0,) * lead + cell
        value = values[where]
        block = kernel[where[0]] if p.channels else kernel
        if p.groups > 1:
            # the cell's group fills its own output channels; the other groups' stay 0
            full = np.zeros((p.out_channels, *block.shape[1:]), dtype=object)
            full[...] = 0
            g, cout = where[0] // (p.a.shape[0] // p.groups), block.shape[0]
            full[g * cout : (g + 1) * cout] = block
            block = full
        if p.squeeze:
            block = block[0]
        with np.errstate(over="ignore", invalid="ignore"):
            contribution = _objects(block) * value
        origin = tuple(i * s for i, s in zip(where[-n:], p.stride, strict=True))
        steps.append(ScatterStep(cell, value, origin, contribution))
    spatial_stuffed = tuple((i - 1) * s + 1 for i, s in zip(p.a.shape[-n:], p.stride, strict=True))
    stuffed = np.zeros(p.a.shape[:-n] + spatial_stuffed, dtype=p.a.dtype)
    every: tuple[Any, ...] = (Ellipsis, *(slice(None, None, s) for s in p.stride))
    stuffed[every] = p.a
    pads = tuple(
        (e - 1 - pad, e - 1 - pad + x)
        for e, pad, x in zip(p.extent, p.padding, p.output_padding, strict=True)
    )
    padded = _pad_or_crop(stuffed, list(pads))
    turn: tuple[Any, ...] = (Ellipsis, *(slice(None, None, -1),) * n)
    turned = geometry.dilate(p.b, p.dilation)[turn]
    return TransposeSteps(
        a_shape=tuple(a.shape),
        b_shape=tuple(b.shape),
        options=options,
        kind=p.kind,
        stride=p.stride,
        padding=p.padding,
        output_padding=p.output_padding,
        dilation=p.dilation,
        steps=tuple(steps),
        total_cells=total,
        kernel=p.b,
        uncropped=uncropped,
        crop=tuple((pad, pad) for pad in p.padding),
        stuffed=stuffed,
        pads=pads,
        padded=padded,
        turned=turned,
        result=result,
    )
