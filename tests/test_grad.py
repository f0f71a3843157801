"""grad: the gradients of L = sum(G * Y), against references written here.

- ``differentiated``: the exact derivative of the forward definition, cell by cell. The loss is
  linear in X (but for the fill value) and in W, so on exact numbers each G[o] times what a tap
  multiplies goes to the cell or the tap it multiplies; the forward itself (ops) confirms it
  along a random direction of X, W and b.
- ``loop_grads`` (from the engine's tests): the chain rule term by term, in torch's terms.
- torch.autograd on conv2d, where torch is installed.
"""

from __future__ import annotations

import math
import operator
from dataclasses import replace
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from convcli import ops
from convcli.errors import ConvcliError, ShapeError, UsageError
from convcli.geometry import lay_out
from convcli.grad import grad
from convcli.model import (
    Activation,
    BoundaryRule,
    Convention,
    GradOf,
    GradResult,
    Kind,
    Method,
    Mode,
    Op,
    OpOptions,
    TransposeOptions,
)
from convcli.transpose import conv_transpose

from .test_engine_layer import layers, loop_grads, make_layer

try:
    import torch
except ImportError:  # torch is an optional cross-check, never a dependency
    torch = None

needs_torch = pytest.mark.skipif(torch is None, reason="torch is not installed (optional cross-check)")


def objects(a) -> np.ndarray:
    """Exact Python numbers: ints stay ints, floats become the fractions they are."""
    a = np.asarray(a)
    out = np.empty(a.shape, dtype=object)
    out.flat[:] = [v if isinstance(v, int | Fraction) else Fraction(v) for v in a.ravel().tolist()]
    return out


def exact(options: OpOptions) -> OpOptions:
    fill = options.fillvalue
    return replace(options, fillvalue=fill if isinstance(fill, int | Fraction) else Fraction(fill))


def loss(op, x, w, g, options) -> int | Fraction:
    y = ops.run(op, x, w, options).value
    return dotted(g, y)


def dotted(u, v):
    """sum(U * V), exactly on exact numbers."""
    return sum(map(operator.mul, np.asarray(u).ravel().tolist(), np.asarray(v).ravel().tolist()), start=0)


# what lies beyond A on each axis, as numpy.pad makes it
PAD_MODES = {
    BoundaryRule.FILL: "constant",
    BoundaryRule.WRAP: "wrap",
    BoundaryRule.SYMM: "symmetric",
    BoundaryRule.MIRROR: "reflect",
    BoundaryRule.EDGE: "edge",
}


def differentiated(op, x, w, g, options):
    """dL/dX, dL/dW, dL/db of L = sum(G * (OP(X, W) + b)), exactly, from the definition of a window.

    Output cell o of filter f is sum over the channels c of f's group and the taps t of
    Xpad[c, o·stride + t·dilation] · K[f, c, t] (+ b[f]), K being W turned 180° for convolve and
    Xpad the input padded (by the widths the forward's layout gives) with the fill value or with
    the cell of X that numpy.pad's mode for the boundary copies. L is linear in each of X, W and b,
    so each G[f, o] · K[f, c, t] goes to the cell of X read there (none for the fill), each
    G[f, o] · Xpad[...] to the tap, and each G[f, o] to b[f]: one pass over the taps, each
    reading its cells as one strided slice.

    The forward itself confirms the result along a random direction of each operand:
    L(X + V) - L(X) = sum(dL/dX · V), and likewise for W and b.
    """
    options = exact(options)
    xo, wo, go = objects(x), objects(w), objects(g)
    p = lay_out(op, xo, wo, options)
    n = len(p.out_shape)
    a, k = (p.a, p.b) if options.channels else (p.a[None], p.b[None, None])
    a, k = objects(a), objects(k)
    if op is Op.CONVOLVE:
        k = k[(slice(None), slice(None)) + (slice(None, None, -1),) * n]
    # each padded cell: the index of the cell of X it copies, or -1 for the fill value
    cells = np.arange(a.size).reshape(a.shape)
    fill_marker = {"constant_values": -1} if p.boundary is BoundaryRule.FILL else {}
    padded = np.pad(cells, [(0, 0), *p.pads], mode=PAD_MODES[p.boundary], **fill_marker)
    a_flat = a.ravel()
    gf = go.reshape(k.shape[0], *p.out_shape)
    per_group = k.shape[0] // options.groups
    dx = np.zeros(a.size, dtype=object)
    dk = np.zeros(k.shape, dtype=object)
    for f, c, *t in np.ndindex(*k.shape):
        channel = f // per_group * k.shape[1] + c
        window = tuple(
            slice(ti * d, ti * d + (o - 1) * s + 1, s)
            for ti, d, o, s in zip(t, p.dilation, p.out_shape, p.stride, strict=True)
        )
        read = padded[(channel, *window)]
        inside = read >= 0
        dk[(f, c, *t)] = dotted(gf[f][inside], a_flat[read[inside]]) + p.fill * sum(
            gf[f][~inside].tolist(), start=0
        )
        np.add.at(dx, read[inside], gf[f][inside] * k[(f, c, *t)])
    if op is Op.CONVOLVE:
        dk = dk[(slice(None), slice(None)) + (slice(None, None, -1),) * n]
    per_filter = [sum(gf[f].ravel().tolist(), start=0) for f in range(k.shape[0])]
    dx, dw = dx.reshape(x.shape), dk.reshape(w.shape)
    db = np.array(per_filter if options.channels and w.ndim == 4 else per_filter[0], dtype=object)
    along_a_random_direction(op, xo, wo, go, options, (dx, dw, db))
    return dx, dw, db


def along_a_random_direction(op, x, w, g, options, gradients) -> None:
    """The forward's own change along a random direction of X, of W and of b is what the
    gradients say (L is linear in each)."""
    rng = np.random.default_rng(x.size * 1000 + w.size)
    dx, dw, db = gradients
    base = loss(op, x, w, g, options)
    v, u = objects(rng.integers(-3, 4, x.shape)), objects(rng.integers(-3, 4, w.shape))
    assert loss(op, x + v, w, g, options) - base == dotted(dx, v)
    assert loss(op, x, w + u, g, options) - base == dotted(dw, u)
    bias = rng.integers(-3, 4, db.size).tolist()
    assert loss(op, x, w, g, replace(options, bias=tuple(bias))) - base == dotted(db, bias)


def same_numbers(got, ref, kind) -> None:
    """Exactly equal for exact kinds; for floats within 1e-12 of the sum of |terms| (here |ref| + 1)."""
    got, ref = np.asarray(got), np.asarray(ref)
    assert got.shape == ref.shape
    if kind is Kind.FLOAT:
        r = np.array([float(v) for v in ref.ravel()]).reshape(ref.shape)
        np.testing.assert_allclose(got.astype(float), r, rtol=1e-11, atol=1e-11 * (np.abs(r).max() + 1))
    else:
        assert [Fraction(v) for v in got.ravel().tolist()] == [Fraction(v) for v in ref.ravel().tolist()]


# --- the seed example, by hand ------------------------------------------------------------------

SEED_A = np.array([[1, 1, 1, 0, 0], [0, 1, 1, 1, 0], [0, 0, 1, 1, 1], [0, 0, 1, 1, 0], [0, 1, 1, 0, 0]])
SEED_B = np.array([[1, 0, 1], [0, 1, 0], [1, 0, 1]])


def test_stride_2_by_hand() -> None:
    # X 5x5, W 3x3, stride 2: Y is 2x2, so G is 2x2. dW[u, v] = sum_ij G[i, j] X[2i+u, 2j+v]
    g = np.array([[1, 2], [3, 4]])
    r = grad(SEED_A, SEED_B, g, options=OpOptions(stride=(2,)))
    assert r.grad_weight.tolist() == [
        [1 * 1 + 2 * 1 + 3 * 0 + 4 * 1, 1 * 1 + 2 * 0 + 3 * 0 + 4 * 1, 1 * 1 + 2 * 0 + 3 * 1 + 4 * 1],
        [1 * 0 + 2 * 1 + 3 * 0 + 4 * 1, 1 * 1 + 2 * 1 + 3 * 0 + 4 * 1, 1 * 1 + 2 * 0 + 3 * 1 + 4 * 0],
        [1 * 0 + 2 * 1 + 3 * 0 + 4 * 1, 1 * 0 + 2 * 1 + 3 * 1 + 4 * 0, 1 * 1 + 2 * 1 + 3 * 1 + 4 * 0],
    ]
    # dX scatters G[i, j]·W at (2i, 2j): the middle row and column get two (or four) shares
    assert r.grad_input.tolist() == [
        [1, 0, 3, 0, 2],
        [0, 1, 0, 2, 0],
        [4, 0, 10, 0, 6],
        [0, 3, 0, 4, 0],
        [3, 0, 7, 0, 4],
    ]
    assert r.grad_bias.item() == 10 and r.grad_bias.shape == ()
    assert r.kind is Kind.INTEGER and r.grad_input.dtype == np.int64
    dx, dw, db = differentiated(Op.CORRELATE, SEED_A, SEED_B, g, OpOptions(stride=(2,)))
    assert (r.grad_input.tolist(), r.grad_weight.tolist(), r.grad_bias.item()) == (
        dx.tolist(),
        dw.tolist(),
        db.item(),
    )


def test_without_upstream_g_is_all_ones() -> None:
    r = grad(SEED_A, SEED_B)
    assert not r.upstream_given and r.upstream.tolist() == [[1, 1, 1]] * 3
    assert r.grad_bias.item() == 9
    assert r.grad_weight.tolist() == ops.correlate(SEED_A, np.ones((3, 3), dtype=int)).value.tolist()
    assert "no --upstream: G is all ones, so L = sum(Y) and each gradient counts every path" in r.notes


# --- every option, against the derivative of the forward definition ----------------------------

ops_ = st.sampled_from([Op.CORRELATE, Op.CONVOLVE])
numbers = st.sampled_from(["int", "fraction", "float"])


def values(rng, shape, number):
    a = rng.integers(-4, 5, shape)
    if number == "int":
        return a
    if number == "fraction":
        return objects(a) * Fraction(1, 3)
    return a + rng.random(shape)


@st.composite
def plain_cases(draw):
    """Without --channels: 1, 2 or 3 axes, every mode, boundary, convention, fill and geometry."""
    ndim = draw(st.integers(1, 3))
    m = tuple(draw(st.integers(1, 5 if ndim < 3 else 3)) for _ in range(ndim))
    k = tuple(draw(st.integers(1, 3)) for _ in range(ndim))
    layer = draw(st.booleans())
    options = OpOptions(
        mode=Mode.VALID if layer else draw(st.sampled_from(list(Mode))),
        boundary=draw(st.sampled_from(list(BoundaryRule))),
        fillvalue=draw(st.sampled_from([0, 2, Fraction(-1, 2), 0.5])),
        convention=draw(st.sampled_from(list(Convention))),
        stride=(draw(st.integers(1, 3)),),
        dilation=(draw(st.integers(1, 2)),),
        padding=(draw(st.integers(0, 2)),) if layer and draw(st.booleans()) else None,
    )
    return ndim, m, k, options


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(plain_cases(), ops_, numbers, st.integers(0, 2**32))
def test_every_mode_boundary_and_convention_is_the_exact_adjoint(case, op, number, seed) -> None:
    _, m, k, options = case
    rng = np.random.default_rng(seed)
    x, w = values(rng, m, number), values(rng, k, number)
    r = adjoint_checked(op, x, w, options, rng, number)
    if r is None:
        return
    kind = Kind.FLOAT if number == "float" or isinstance(options.fillvalue, float) else None
    assert kind is None or r.kind is Kind.FLOAT
    if number == "int" and not isinstance(options.fillvalue, float | Fraction):
        assert r.kind is Kind.INTEGER


def adjoint_checked(op, x, w, options, rng, number) -> GradResult | None:
    """grad on random G equals the derivative of the forward definition, each of its three
    gradients; None when the forward operation refuses these operands, as grad must too."""
    try:
        y = ops.run(op, x, w, options).value
    except ConvcliError as exc:
        with pytest.raises(type(exc)):
            grad(x, w, None, op, options)
        return None
    g = values(rng, y.shape, number)
    r = grad(x, w, g, op, options)
    dx, dw, db = differentiated(op, x, w, g, options)
    for got, ref in ((r.grad_input, dx), (r.grad_weight, dw), (r.grad_bias, db)):
        same_numbers(got, ref, r.kind)
    return r


@st.composite
def channel_cases(draw):
    groups = draw(st.integers(1, 3))
    c, o = groups * draw(st.integers(1, 2)), groups * draw(st.integers(1, 2))
    k = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    m = (draw(st.integers(1, 5)), draw(st.integers(1, 5)))
    torch_like = draw(st.booleans())
    options = OpOptions(
        mode=Mode.VALID if torch_like else draw(st.sampled_from(list(Mode))),
        boundary=BoundaryRule.FILL if torch_like else draw(st.sampled_from(list(BoundaryRule))),
        fillvalue=0 if torch_like else draw(st.sampled_from([0, 3])),
        convention=draw(st.sampled_from(list(Convention))),
        stride=(draw(st.integers(1, 3)), draw(st.integers(1, 2))),
        dilation=(draw(st.integers(1, 2)), draw(st.integers(1, 2))),
        padding=(draw(st.integers(0, 2)), draw(st.integers(0, 1))) if torch_like else None,
        channels=True,
        groups=groups,
    )
    w_shape = draw(st.sampled_from([(o, c // groups, *k)] + ([(c, *k), k] if groups == 1 and o == 1 else [])))
    return (c, *m), w_shape, options


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(channel_cases(), ops_, numbers, st.integers(0, 2**32))
def test_layers_with_channels_and_groups_are_the_exact_adjoint(case, op, number, seed) -> None:
    x_shape, w_shape, options = case
    rng = np.random.default_rng(seed)
    x, w = values(rng, x_shape, number), values(rng, w_shape, number)
    r = adjoint_checked(op, x, w, options, rng, number)
    if r is None:
        return
    assert r.grad_bias.shape == ((w_shape[0],) if len(w_shape) == 4 else ())


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(layers, st.integers(0, 2**32))
def test_torch_options_equal_the_chain_rule_term_by_term(spec, seed) -> None:
    rng = np.random.default_rng(seed)
    x, w, stride, dilation, groups = make_layer(rng, spec, "int")
    padding = (int(rng.integers(0, 3)), int(rng.integers(0, 3)))
    options = OpOptions(channels=True, groups=groups, stride=stride, dilation=dilation, padding=padding)
    y = ops.correlate(x, w, options).value
    g = rng.integers(-5, 6, y.shape)
    r = grad(x, w, g, Op.CORRELATE, options)
    dx, dw = loop_grads(x, w, g.reshape(w.shape[0], *y.shape[-2:]), stride, padding, dilation, groups)
    assert r.grad_input.tolist() == dx.tolist() and r.grad_weight.tolist() == dw.tolist()
    assert r.grad_bias.tolist() == g.reshape(w.shape[0], -1).sum(axis=1).tolist()


@needs_torch
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(layers, st.integers(0, 2**32), ops_)
def test_agrees_with_torch_autograd(spec, seed, op) -> None:
    rng = np.random.default_rng(seed)
    x, w, stride, dilation, groups = make_layer(rng, spec, "float")
    padding = (int(rng.integers(0, 3)), int(rng.integers(0, 3)))
    options = OpOptions(channels=True, groups=groups, stride=stride, dilation=dilation, padding=padding)
    xt = torch.tensor(x[None], requires_grad=True)
    wt = torch.tensor(w if op is Op.CORRELATE else w[:, :, ::-1, ::-1].copy(), requires_grad=True)
    bt = torch.zeros(w.shape[0], dtype=torch.float64, requires_grad=True)
    y = torch.nn.functional.conv2d(
        xt, wt, bt, stride=stride, padding=padding, dilation=dilation, groups=groups
    )
    g = rng.standard_normal(tuple(y.shape[1:]))
    (y * torch.from_numpy(g)[None]).sum().backward()
    r = grad(x, w, g[0] if w.shape[0] == 1 else g, op, options)
    dw_torch = wt.grad.numpy() if op is Op.CORRELATE else wt.grad.numpy()[:, :, ::-1, ::-1]
    for ours, theirs in ((r.grad_input, xt.grad[0]), (r.grad_weight, dw_torch), (r.grad_bias, bt.grad)):
        theirs = np.asarray(theirs)
        np.testing.assert_allclose(ours, theirs, rtol=1e-10, atol=1e-10 * (np.abs(theirs).max() + 1))


@needs_torch
def test_a_2d_layer_without_channels_agrees_with_torch() -> None:
    rng = np.random.default_rng(3)
    x, w = rng.standard_normal((7, 6)), rng.standard_normal((3, 2))
    xt, wt = torch.tensor(x[None, None], requires_grad=True), torch.tensor(w[None, None], requires_grad=True)
    y = torch.nn.functional.conv2d(xt, wt, stride=2, padding=1, dilation=(1, 2))
    g = rng.standard_normal(tuple(y.shape[2:]))
    (y[0, 0] * torch.from_numpy(g)).sum().backward()
    r = grad(x, w, g, options=OpOptions(stride=(2,), padding=(1,), dilation=(1, 2)))
    np.testing.assert_allclose(r.grad_input, xt.grad[0, 0].numpy(), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(r.grad_weight, wt.grad[0, 0].numpy(), rtol=1e-12, atol=1e-12)
    assert r.grad_bias.shape == () and math.isclose(r.grad_bias.item(), g.sum())


def test_the_input_gradient_is_the_transposed_convolution_of_g() -> None:
    rng = np.random.default_rng(4)
    for stride, padding, dilation in [(2, 1, 1), (3, 0, 2), (2, 2, 1), (1, 1, 2)]:
        x, w = rng.integers(-5, 6, (2, 9, 8)), rng.integers(-3, 4, (4, 2, 3, 3))
        options = OpOptions(channels=True, stride=(stride,), padding=(padding,), dilation=(dilation,))
        g = rng.integers(-5, 6, ops.correlate(x, w, options).value.shape)
        # the cells a stride leaves unread after the last window are torch's output padding
        extra = tuple((n + 2 * padding - (3 - 1) * dilation - 1) % stride for n in x.shape[1:])
        transposed = conv_transpose(
            g, w, TransposeOptions((stride,), (padding,), extra, (dilation,), channels=True)
        ).value
        assert grad(x, w, g, options=options).grad_input.tolist() == transposed.tolist()


# --- numbers -----------------------------------------------------------------------------------


def test_large_integers_and_fractions_stay_exact() -> None:
    rng = np.random.default_rng(6)
    x = rng.integers(-(2**40), 2**40, (3, 6, 6))
    w = rng.integers(-(2**40), 2**40, (2, 3, 2, 2))
    options = OpOptions(channels=True, stride=(2,), padding=(1,))
    g = rng.integers(-(2**40), 2**40, (2, 4, 4))
    r = grad(x, w, g, options=options)
    dx, dw = loop_grads(objects(x), objects(w), objects(g), (2, 2), (1, 1), (1, 1), 1)
    assert r.grad_input.dtype == object  # sums of about 83 bits
    assert r.grad_input.tolist() == dx.tolist() and r.grad_weight.tolist() == dw.tolist()
    assert r.grad_bias.tolist() == [sum(int(v) for v in g[f].ravel()) for f in range(2)]
    half = grad(objects(x) * Fraction(1, 2), w, g, options=options)
    assert half.kind is Kind.RATIONAL and half.grad_weight.tolist() == (dw * Fraction(1, 2)).tolist()


def test_symbols_give_the_textbook_derivatives() -> None:
    sympy = pytest.importorskip("sympy")
    a, b, c, d = sympy.symbols("a b c d")
    x = np.array([[a, b], [c, d]], dtype=object)
    r = grad(x, np.array([[2, 3]]), np.array([[1], [1]]))
    assert r.kind is Kind.SYMBOLIC
    assert r.grad_weight.tolist() == [[a + c, b + d]]
    assert r.grad_input.tolist() == [[2, 3], [2, 3]]


def test_wrapped_padding_sends_the_gradient_back_to_the_cell_it_copies() -> None:
    # same mode, wrap: y[0] = x[2]*w[0] + x[0]*w[1] + x[1]*w[2], ... so every x meets every w once
    r = grad(
        np.array([[1, 2, 3]]), np.array([[1, 10, 100]]), options=OpOptions(mode=Mode.SAME, boundary="wrap")
    )
    assert r.grad_input.tolist() == [[111, 111, 111]]
    fill = grad(
        np.array([[1, 2, 3]]), np.array([[1, 10, 100]]), options=OpOptions(mode=Mode.SAME, fillvalue=7)
    )
    assert fill.grad_input.tolist() == [[11, 111, 110]]  # the fill value is not an input
    assert fill.grad_weight.tolist() == [[7 + 1 + 2, 1 + 2 + 3, 2 + 3 + 7]]  # but it multiplies W


def test_a_stride_that_skips_whole_windows_never_builds_the_padding() -> None:
    x = np.arange(12).reshape(3, 4)
    huge = 10**9
    r = grad(x, np.array([[1]]), options=OpOptions(padding=(huge,), stride=(huge,)))
    # 3 windows per axis... of which only the middle one (row 0, column 0 of X) reads X
    assert r.upstream.shape == (3, 3)
    assert r.grad_input.tolist() == [[1, 0, 0, 0], [0, 0, 0, 0], [0, 0, 0, 0]]


# --- shapes and refusals -----------------------------------------------------------------------


def test_the_bias_gradient_is_a_number_or_one_per_filter() -> None:
    x = np.arange(2 * 4 * 4).reshape(2, 4, 4)
    channels = OpOptions(channels=True)
    assert grad(x[0], SEED_B[:2, :2]).grad_bias.shape == ()
    assert grad(x, np.ones((2, 2, 2), dtype=int), options=channels).grad_bias.shape == ()
    one = grad(x, np.ones((1, 2, 2, 2), dtype=int), options=channels)
    assert one.grad_bias.tolist() == [9] and one.grad_weight.shape == (1, 2, 2, 2)
    many = grad(x, np.ones((3, 2, 2, 2), dtype=int), options=channels)
    assert many.grad_bias.tolist() == [9, 9, 9]
    depthwise = grad(x, np.ones((2, 2, 2), dtype=int), options=replace(channels, groups=2))
    assert depthwise.grad_bias.tolist() == [9, 9] and depthwise.grad_weight.shape == (2, 2, 2)


def test_an_upstream_gradient_of_the_wrong_shape_names_both() -> None:
    with pytest.raises(ShapeError) as error:
        grad(SEED_A, SEED_B, np.ones((2, 2), dtype=int))
    assert error.value.message == (
        "grad: the upstream gradient G is 2x2 but the layer's output Y is 3x3; G holds dL/dY, one number "
        "per cell of Y, so it must have Y's shape"
    )
    # a row written in a file fits a vector Y
    r = grad(np.array([1, 2, 3]), np.array([1, 1]), np.array([[1, 2]]))
    assert r.grad_input.tolist() == [1, 3, 2]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (
            {"options": OpOptions(activation=Activation.RELU)},
            "grad differentiates the layer before its activation",
        ),
        (
            {"options": OpOptions(method=Method.FFT)},
            "--method fft chooses how convolve and correlate are computed",
        ),
        ({"op": Op.DOT}, "grad differentiates a layer of convolve or correlate, not dot"),
    ],
)
def test_refusals(kwargs, message) -> None:
    with pytest.raises(UsageError, match=message):
        grad(SEED_A, SEED_B, **kwargs)


def test_complex_numbers_are_refused() -> None:
    with pytest.raises(UsageError, match="grad takes real numbers"):
        grad(SEED_A * 1j, SEED_B)


def test_of_names_one_gradient() -> None:
    r = grad(SEED_A, SEED_B, of=GradOf.WEIGHT)
    assert r.parts == (GradOf.WEIGHT,) and r.value(GradOf.WEIGHT) is r.grad_weight
    assert GradOf.BIAS.key == "grad_bias"


def test_nan_and_inf_are_noted_per_gradient() -> None:
    r = grad(np.array([[1.0, np.inf, 2.0]]), np.array([[1.0, 1.0]]))
    assert r.grad_weight.tolist()[0][0] == np.inf
    assert any(note.startswith("grad_weight: inf reached") for note in r.notes)
