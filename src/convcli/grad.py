"""The backward pass of a layer: the gradients of L = sum(G * Y) for Y = OP(X, W) (+ bias).

Every convolve and correlate is, by its geometry (geometry.py), a valid-mode correlation of the
input as window_input holds it (padded by the mode and the boundary rule, only as much as the
windows read) with the kernel as applied (turned 180° for convolve). Its two gradients are the
engine's layer gradients on that form (``engine.conv2d_grad_weight`` and
``engine.conv2d_grad_input``, one matrix product per block, exact for integers and fractions):

- dK = the correlation of the padded input with G dilated by the stride, and dW is dK, turned
  back 180° for convolve;
- d(padded input) = G dilated by the stride and zero-padded, fully correlated with K turned 180°
  (a transposed convolution); the padding is then undone by its adjoint
  (``geometry.window_adjoint``): what reaches a padding cell that wraps or mirrors goes back to
  the cell it copies, and what reaches the fill value is dropped (it is not an input);
- db = the sum of G, one per filter.

With torch's options (zero padding, stride, dilation, channels, groups) this is exactly what
torch.autograd gives for torch.nn.functional.conv2d.
"""

from __future__ import annotations

import numpy as np

from . import engine
from .errors import ShapeError, UsageError
from .geometry import Layout, lay_out, window_adjoint, window_input
from .model import SLIDING, Activation, BoundaryRule, GradOf, GradResult, Kind, Method, Mode, Op, OpOptions
from .numeric import (
    INT64_MAX,
    abs_max,
    array_of,
    as_kind,
    check_float_range,
    check_symbolic_digits,
    common_kind,
    kind_of,
    kind_of_value,
    nonfinite_notes,
    scalar_as_kind,
    shrink_int,
    sum_as_written,
    to_python_ints,
)
from .text import shape_text, values_text

__all__ = ["grad", "upstream_for", "gradient_rules", "ONES_NOTE"]

ONES_NOTE = "no --upstream: G is all ones, so L = sum(Y) and each gradient counts every path"

Pair = tuple[int, int]


def grad(
    x: np.ndarray,
    w: np.ndarray,
    upstream: np.ndarray | None = None,
    op: Op = Op.CORRELATE,
    options: OpOptions | None = None,
    of: GradOf = GradOf.ALL,
) -> GradResult:
    """The gradients of a layer with respect to its input, its weights and its bias.

    Parameters
    ----------
    x, w : ndarray
        The layer's input and weights, as for :func:`convcli.ops.correlate` (with
        ``options.channels``: X is C x H x W and W is O x C/G x kh x kw, or C x kh x kw).
        Integers, fractions, floats or symbols; complex numbers are refused.
    upstream : ndarray, optional
        G = dL/dY, of the shape of Y = OP(X, W); all ones when omitted (L = sum(Y)).
    op : Op
        ``correlate`` (what CNN layers compute) or ``convolve``.
    options : OpOptions
        Every option of the forward operation: mode {'valid', 'same', 'full'}, boundary, fill
        value, convention, stride, dilation, padding, channels, groups. The bias does not change
        any gradient; an activation is refused (G is the gradient before it).
    of : GradOf
        Which gradient the caller wants first (all three are computed; they cost about one
        forward pass each).

    Returns
    -------
    GradResult
        ``grad_input`` (X's shape), ``grad_weight`` (W's shape) and ``grad_bias`` (a number, or
        one per filter when W is O x C x kh x kw), exact for integer and rational inputs.

    Notes
    -----
    L = sum over the cells of Y of G * Y. Y is linear in X (but for the fill value) and in W,
    so dL/dX[c] is the sum, over every product X[c]·W[k] in every cell of Y, of G at that cell
    times W[k]; dL/dW[k] likewise with X[c] (or the fill value) in place of W[k].

    Examples
    --------
    >>> x = np.arange(16).reshape(4, 4)
    >>> r = grad(x, np.ones((2, 2), dtype=np.int64), options=OpOptions(stride=(2,)))
    >>> r.grad_weight.tolist(), r.grad_bias.item()
    ([[20, 24], [36, 40]], 4)
    """
    options = options or OpOptions()
    _refuse(op, options)
    p = lay_out(op, x, w, options)
    y_shape = p.result_shape(tuple(x.shape), tuple(w.shape))
    g = upstream_for(upstream, y_shape)
    kind = _kind(p, x, w, g)
    fill = scalar_as_kind(kind, p.fill)
    xs, ws = _in_kind(p.a, kind), _in_kind(p.b, kind)
    gs = _in_kind(g, kind).reshape((p.filters, *p.out_shape) if options.channels else p.out_shape)
    source, strides = window_input(p, xs, fill)
    d_source, d_kernel = _layer_gradients(p, source, p.kernel(ws), gs, strides)
    grad_input = window_adjoint(p, d_source)
    grad_weight = p.kernel(d_kernel)  # turned back for convolve (the turn is its own inverse)
    grad_bias = _bias_gradient(p, gs, w.ndim == 4 or p.filters > 1)
    values = [
        _as_result(np.asarray(v), kind).reshape(shape)
        for v, shape in ((grad_input, x.shape), (grad_weight, w.shape), (grad_bias, grad_bias.shape))
    ]
    notes = tuple(
        f"{name}: {note}" for name, v in zip(_NAMES, values, strict=True) for note in nonfinite_notes(v)
    )
    return GradResult(
        op,
        options,
        kind,
        tuple(x.shape),
        tuple(w.shape),
        g,
        upstream is not None,
        values[0],
        values[1],
        values[2],
        gradient_rules(p, upstream is not None),
        p.notes + notes + (() if upstream is not None else (ONES_NOTE,)),
        of,
    )


_NAMES = ("grad_input", "grad_weight", "grad_bias")


def _refuse(op: Op, options: OpOptions) -> None:
    if op not in SLIDING:
        raise UsageError(f"grad differentiates a layer of convolve or correlate, not {op}")
    if options.activation is not Activation.NONE:
        raise UsageError(
            f"grad differentiates the layer before its activation (G is dL/dY for Y = {op}(X, W) + b); "
            f"drop --activation {options.activation} and give G already multiplied by f'(Y)"
        )
    if options.method is not Method.AUTO:
        raise UsageError(
            f"--method {options.method} chooses how convolve and correlate are computed; grad always "
            "computes the gradients as the layer's matrix products"
        )


def upstream_for(upstream: np.ndarray | None, y_shape: tuple[int, ...]) -> np.ndarray:
    """G in Y's shape: the one given (leading axes of length 1 aside, so that a row written in a
    text file fits a vector Y), or all ones."""
    if upstream is None:
        return np.ones(y_shape, dtype=np.int64)
    if upstream.size == 0 or _core(upstream.shape) != _core(y_shape):
        raise ShapeError(
            f"grad: the upstream gradient G is {shape_text(tuple(upstream.shape))} but the layer's output "
            f"Y is {shape_text(y_shape)}; G holds dL/dY, one number per cell of Y, so it must have Y's shape"
        )
    return upstream.reshape(y_shape)


def _core(shape: tuple[int, ...]) -> tuple[int, ...]:
    i = 0
    while i < len(shape) and shape[i] == 1:
        i += 1
    return shape[i:]


def _kind(p: Layout, x: np.ndarray, w: np.ndarray, g: np.ndarray) -> Kind:
    """The kind of all three gradients: the widest of X, W, the fill value (it multiplies W) and G."""
    kind = common_kind([p.kind, kind_of(g)])
    if kind is Kind.COMPLEX:
        raise UsageError(
            "grad takes real numbers (and symbols): for complex ones L = sum(G * Y) is not real, and "
            "correlate conjugates W, so it has no gradient in the sense autograd gives"
        )
    operands = [("X", x), ("W", w), ("G", g), ("--fillvalue", p.options.fillvalue)]
    check_float_range(kind, operands)
    if kind is Kind.SYMBOLIC:
        check_symbolic_digits(operands, max(g.size, w.size))
    return kind


def _in_kind(a: np.ndarray, kind: Kind) -> np.ndarray:
    """``a`` in the gradients' kind; integers stay integers among fractions and symbols (their
    arithmetic is exact already, and the engine scales fractions to integers anyway)."""
    own = kind_of(a)
    if kind is Kind.FLOAT:
        return np.asarray(as_kind(a, kind), dtype=np.float64)  # floats held as objects too
    if own is kind or (own is Kind.INTEGER and kind in (Kind.RATIONAL, Kind.SYMBOLIC)):
        return as_kind(a, own)
    return as_kind(a, kind)


def _layer_gradients(
    p: Layout, source: np.ndarray, kernel: np.ndarray, g: np.ndarray, strides: tuple[int, ...]
) -> tuple[np.ndarray, np.ndarray]:
    """d(source) and d(kernel) of sum(g · correlate(source, kernel)) with these strides and the
    layout's dilation, by the engine's layer gradients."""
    dilation = p.dilation
    if p.options.channels:
        return _pair(
            source, kernel, g, (strides[0], strides[1]), (dilation[0], dilation[1]), p.options.groups
        )
    if source.ndim <= 2:
        # one channel, one filter: a 1-D or 2-D operation is a layer of one row or one map
        lead = (1,) * (2 - source.ndim)
        st, dl = lead + strides, lead + dilation
        ds, dk = _pair(
            source.reshape(1, *lead, *source.shape),
            kernel.reshape(1, 1, *lead, *kernel.shape),
            g.reshape(1, *lead, *g.shape),
            (st[0], st[1]),
            (dl[0], dl[1]),
            1,
        )
        return ds.reshape(source.shape), dk.reshape(kernel.shape)
    return _depth_gradients(source, kernel, g, strides, dilation)


def _pair(
    source: np.ndarray, kernel: np.ndarray, g: np.ndarray, stride: Pair, dilation: Pair, groups: int
) -> tuple[np.ndarray, np.ndarray]:
    shape = (source.shape[0], source.shape[1], source.shape[2])
    k_shape = (kernel.shape[0], kernel.shape[1], kernel.shape[2], kernel.shape[3])
    ds = engine.conv2d_grad_input(g, kernel, shape, stride, (0, 0), dilation, groups)
    dk = engine.conv2d_grad_weight(source, g, k_shape, stride, (0, 0), dilation, groups)
    return ds, dk


def _depth_gradients(
    source: np.ndarray, kernel: np.ndarray, g: np.ndarray, strides: tuple[int, ...], dilation: tuple[int, ...]
) -> tuple[np.ndarray, np.ndarray]:
    """A true 3-D correlation (no --channels): output layer i reads the input layers
    i·s + t·d (t over the kernel's layers) as the channels of a 2-D layer with one filter."""
    kd = kernel.shape[0]
    exact = source.dtype.kind in "iuO"
    ds = np.zeros(
        source.shape, dtype=object if exact else np.result_type(source.dtype, kernel.dtype, g.dtype)
    )
    dk = np.zeros(kernel.shape, dtype=ds.dtype)
    if exact:
        ds[...], dk[...] = 0, 0  # Python numbers: a sum over the layers cannot wrap around
    step, dilate = (strides[1], strides[2]), (dilation[1], dilation[2])
    for i in range(g.shape[0]):
        layers = [i * strides[0] + t * dilation[0] for t in range(kd)]
        part, weights = _pair(source[layers], kernel[None], g[i][None], step, dilate, 1)
        if exact:
            part, weights = _objects(part), _objects(weights)
        ds[layers] += part
        dk += weights[0]
    return _narrowest(ds), _narrowest(dk)


def _narrowest(a: np.ndarray) -> np.ndarray:
    """Python ints back in int64 where they fit."""
    return shrink_int(a) if a.dtype == object and kind_of(a) is Kind.INTEGER else a


def _as_result(a: np.ndarray, kind: Kind) -> np.ndarray:
    """A gradient in the result's kind: int64 where every entry fits, as every exact result."""
    if kind is Kind.FLOAT:
        return np.asarray(as_kind(a, kind), dtype=np.float64)
    a = as_kind(a, kind)
    return shrink_int(a) if kind is Kind.INTEGER else a


def _objects(a: np.ndarray) -> np.ndarray:
    return to_python_ints(a) if a.dtype.kind in "iu" else a


def _bias_gradient(p: Layout, g: np.ndarray, per_filter: bool) -> np.ndarray:
    """db = the sum of G over every cell of the filter's output: one number, or one per filter."""
    rows = g.reshape(g.shape[0] if per_filter else 1, -1)
    if rows.dtype == np.int64 and abs_max(rows) * rows.shape[1] > INT64_MAX:
        rows = to_python_ints(rows)  # a sum beyond int64, on Python ints
    if rows.dtype != object:
        with np.errstate(over="ignore", invalid="ignore"):
            sums = rows.sum(axis=1)
        return sums if per_filter else sums[0]
    totals = [sum_as_written(row) for row in rows.tolist()]
    return array_of(totals, (len(totals),) if per_filter else ())


# ---------------------------------------------------------------------------------------------
# the rules in words


def _axes(values: tuple[int, ...]) -> str:
    return str(values[0]) if len(set(values)) == 1 else values_text(values)


def _zeros(stride: tuple[int, ...]) -> str:
    gaps = tuple(s - 1 for s in stride)
    n = _axes(gaps)
    return f"{n} zero{'s' if n != '1' else ''} between its entries"


def gradient_rules(p: Layout, upstream_given: bool) -> tuple[tuple[GradOf, str], ...]:
    """How each gradient is formed, in words, for this layout: the rules of the table view."""
    options = p.options
    n = len(p.pads)
    strided = any(s > 1 for s in p.stride)
    dilated = any(d > 1 for d in p.dilation)
    padded = any(before or after for before, after in p.pads)
    xp = "Xp" if padded else "X"
    g_dilated = f"G dilated by the stride ({_zeros(p.stride)})" if strided else "G"
    channel = "[c]" if options.channels else ""
    filt = "[o]" if options.channels else ""
    weight = f"dW = correlate({xp}, {g_dilated})"
    if options.channels:
        weight = f"dW[o, c] = correlate({xp}[c], {g_dilated.replace('G', 'G[o]', 1)})"
    if dilated:
        weight += f", every {_axes(p.dilation)} cells (the dilation)"
    if p.op is Op.CONVOLVE:
        weight += ", turned 180° (convolve turned W before sliding it)"
    if options.channels and options.groups > 1:
        weight += "; c runs over the channels of filter o's group"
    if padded:
        weight += f"; {xp} is X padded as the forward pass pads it"
        if p.boundary is BoundaryRule.FILL and kind_of_value(p.fill) is not Kind.SYMBOLIC and p.fill != 0:
            weight += " (its fill value multiplies W too)"
    k_shape = p.b.shape[-n:]
    reach = tuple((k - 1) * d for k, d in zip(k_shape, p.dilation, strict=True))
    turned = "W" if p.op is Op.CONVOLVE else "W turned 180°"
    why = " (convolve's own turn undoes it)" if p.op is Op.CONVOLVE else ""
    dilated_w = f" (its taps {_axes(p.dilation)} apart)" if dilated else ""
    source = f"d{xp}{channel}"
    inputs = (
        f"{source} = {g_dilated.replace('G', 'G' + filt, 1)}, zero-padded by {_axes(reach)}, "
        f"correlated with {turned}{dilated_w}{why}: the transposed convolution of G with W"
    )
    if options.channels:
        inputs += ", summed over the filters o that read channel c"
    if padded:
        inputs += "; " + _unpadding(p, xp)
    bias = "db[o] = sum of G[o], one per filter" if options.channels and p.filters > 1 else "db = sum of G"
    if not upstream_given:
        bias += " (G all ones: the number of output cells)"
    return ((GradOf.INPUT, inputs), (GradOf.WEIGHT, weight), (GradOf.BIAS, bias))


def _unpadding(p: Layout, xp: str) -> str:
    crop = "the padding's cells are cut off"
    if p.boundary is BoundaryRule.FILL:
        if p.options.padding is None and p.options.mode is not Mode.VALID:
            crop = f"{p.options.mode} mode's padding is cut off"
        return f"then dX is d{xp} with {crop} (a fill value is not an input: what reaches it is dropped)"
    how = {
        BoundaryRule.WRAP: "wraps around",
        BoundaryRule.SYMM: "mirrors (edge repeated)",
        BoundaryRule.MIRROR: "mirrors (edge not repeated)",
        BoundaryRule.EDGE: "repeats the edge",
    }[p.boundary]
    return (
        f"then dX is d{xp} with the padding cut off, each padding cell's share added to the cell of X "
        f"it copies (--boundary {p.boundary}: the padding {how})"
    )
