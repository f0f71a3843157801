"""CNN layers as matrix products, strides and dilations that compute only what they must, and the
layer's gradients: every path against an exact loop written here, and torch where installed."""

from __future__ import annotations

import itertools
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from convcli import engine, geometry, ops
from convcli.engine import layer
from convcli.engine.chooser import choose_layer
from convcli.errors import ShapeError, UsageError
from convcli.model import BoundaryRule, Method, OpOptions

try:
    import torch
except ImportError:  # torch is an optional cross-check, never a dependency
    torch = None

needs_torch = pytest.mark.skipif(torch is None, reason="torch is not installed (optional cross-check)")


# --- references ---------------------------------------------------------------------------------


def loop_layer(x, w, stride=(1, 1), dilation=(1, 1), groups=1) -> np.ndarray:
    """y[o, i, j] = sum x[g·Cg + c, i·sh + u·dh, j·sw + v·dw] · w[o, c, u, v], one term at a time
    (Python numbers for object arrays, so nothing rounds or wraps)."""
    c_in, h, wd = x.shape
    o, cg, kh, kw = w.shape
    og = o // groups
    oh = (h - (kh - 1) * dilation[0] - 1) // stride[0] + 1
    ow = (wd - (kw - 1) * dilation[1] - 1) // stride[1] + 1
    out = np.empty((o, oh, ow), dtype=object)
    for f, i, j in itertools.product(range(o), range(oh), range(ow)):
        g = f // og
        terms = [
            x[g * cg + c, i * stride[0] + u * dilation[0], j * stride[1] + v * dilation[1]] * w[f, c, u, v]
            for c in range(cg)
            for u in range(kh)
            for v in range(kw)
        ]
        total = terms[0]
        for t in terms[1:]:
            total = total + t
        out[f, i, j] = total
    return out


def as_objects(x: np.ndarray) -> np.ndarray:
    out = np.empty(x.shape, dtype=object)
    out[...] = x.tolist() if x.ndim else x.item()
    return out


def loop_layer_abs(x, w, stride=(1, 1), dilation=(1, 1), groups=1) -> np.ndarray:
    return np.abs(loop_layer(np.abs(x), np.abs(w), stride, dilation, groups).astype(float))


layers = st.tuples(
    st.integers(1, 3),  # groups
    st.integers(1, 2),  # channels per group
    st.integers(1, 2),  # filters per group
    st.integers(1, 3),
    st.integers(1, 3),  # kh, kw
    st.integers(1, 3),
    st.integers(1, 2),  # strides
    st.integers(1, 2),
    st.integers(1, 2),  # dilations
    st.integers(0, 4),
    st.integers(0, 4),  # extra rows and columns beyond the dilated kernel
)


def make_layer(rng, spec, dtype):
    g, cg, og, kh, kw, sh, sw, dh, dw, eh, ew = spec
    h, wd = (kh - 1) * dh + 1 + eh, (kw - 1) * dw + 1 + ew
    shape_x, shape_w = (g * cg, h, wd), (g * og, cg, kh, kw)
    if dtype == "int":
        return rng.integers(-9, 10, shape_x), rng.integers(-9, 10, shape_w), (sh, sw), (dh, dw), g
    return rng.standard_normal(shape_x), rng.standard_normal(shape_w), (sh, sw), (dh, dw), g


# --- the forward layer --------------------------------------------------------------------------


def test_layer_docstring_example_and_shape() -> None:
    x = np.arange(16).reshape(1, 4, 4)
    out, choice = layer.conv2d(x, np.ones((1, 1, 2, 2), dtype=np.int64), stride=(2, 2))
    assert out.tolist() == [[[10, 18], [42, 50]]]
    assert out.dtype == np.int64
    assert choice.method is Method.DIRECT


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(layers, st.integers(0, 2**32))
def test_every_layer_method_agrees_with_the_exact_loop(spec, seed) -> None:
    rng = np.random.default_rng(seed)
    x, w, stride, dilation, g = make_layer(rng, spec, "float")
    ref = loop_layer(x, w, stride, dilation, g)
    scale = loop_layer_abs(x, w, stride, dilation, g)
    bound = 4 * w[0].size * 2.0**-52 * scale
    runs = {
        "auto": layer.conv2d(x, w, stride, dilation, g)[0],
        "im2col": layer.im2col_gemm(x, w, stride, dilation, g),
        "im2col transposed": layer.im2col_gemm(x, w, stride, dilation, g, transposed=True),
        "taps": layer.exact_taps(x, w, stride, dilation, g),
    }
    if stride == (1, 1):
        runs["tap GEMMs"] = layer.tap_gemms(x, w, dilation, g)
    for name, got in runs.items():
        assert got.shape == ref.shape, name
        assert np.all(np.abs(got - ref.astype(float)) <= bound), name
    xi, wi, *_ = make_layer(rng, spec, "int")
    got, _ = layer.conv2d(xi, wi, stride, dilation, g)
    assert got.dtype == np.int64
    assert got.tolist() == loop_layer(xi, wi, stride, dilation, g).tolist()


def test_blocks_of_rows_cover_the_output(monkeypatch) -> None:
    # small blocks: every path then runs many blocks, including a short last one
    monkeypatch.setattr(layer, "COLS_BYTES", 2000)
    rng = np.random.default_rng(5)
    x, w = rng.standard_normal((4, 23, 19)), rng.standard_normal((6, 2, 3, 2))
    ref = loop_layer(x, w, (2, 1), (1, 2), 2).astype(float)
    for got in (
        layer.im2col_gemm(x, w, (2, 1), (1, 2), 2),
        layer.im2col_gemm(x, w, (2, 1), (1, 2), 2, transposed=True),
    ):
        np.testing.assert_allclose(got, ref, rtol=1e-12, atol=1e-12)
    ref1 = loop_layer(x, w, (1, 1), (2, 1), 2).astype(float)
    np.testing.assert_allclose(layer.tap_gemms(x, w, (2, 1), 2), ref1, rtol=1e-12, atol=1e-12)
    xi, wi = rng.integers(-9, 10, x.shape), rng.integers(-9, 10, w.shape)
    g = rng.integers(
        -9, 10, (6, *layer.layer_shape((4, 25, 19), w.shape, (2, 1), (1, 2), 2))
    )  # padding (1, 0)
    dx_ref, dw_ref = loop_grads(xi, wi, g, (2, 1), (1, 0), (1, 2), 2)
    assert engine.conv2d_grad_input(g, wi, xi.shape, (2, 1), (1, 0), (1, 2), 2).tolist() == dx_ref.tolist()
    assert engine.conv2d_grad_weight(xi, g, wi.shape, (2, 1), (1, 0), (1, 2), 2).tolist() == dw_ref.tolist()


def test_the_chooser_picks_products_for_layers_and_says_so() -> None:
    rng = np.random.default_rng(6)
    x, w = np.zeros((64, 56, 56)), rng.standard_normal((64, 64, 3, 3))
    best, reason = choose_layer(x, w, (1, 1), (1, 1), 1)
    assert reason.startswith("layer of 64 64x3x3 filters on 64x56x56 float64: im2col")
    assert "est." in reason
    # many channels, few filters and a big image: the window matrix would cost more than the products
    best, reason = choose_layer(
        np.zeros((64, 256, 256)), rng.standard_normal((1, 64, 3, 3)), (1, 1), (1, 1), 1
    )
    assert "per tap" in best.how
    _, reason = choose_layer(np.zeros((8, 20, 20)), rng.standard_normal((8, 1, 3, 3)), (2, 2), (1, 1), 8)
    assert "(groups 8, stride 2x2)" in reason
    with pytest.raises(UsageError, match="--method fft cannot be used here"):
        choose_layer(x, w, (1, 1), (1, 1), 1, Method.FFT)


def test_groups_must_divide_channels_and_filters() -> None:
    with pytest.raises(ShapeError, match="divisible by the groups"):
        layer.conv2d(np.zeros((6, 5, 5)), np.zeros((4, 2, 3, 3)), groups=4)
    with pytest.raises(ShapeError, match="must fit inside"):
        layer.conv2d(np.zeros((1, 5, 5)), np.zeros((1, 1, 3, 3)), dilation=(3, 1))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(layers, st.integers(0, 2**32), st.sampled_from(["correlate", "convolve"]))
def test_ops_layers_with_padding_are_exact_for_ints_and_fractions(spec, seed, op) -> None:
    rng = np.random.default_rng(seed)
    x, w, stride, dilation, g = make_layer(rng, spec, "int")
    pad = (int(rng.integers(0, 3)), int(rng.integers(0, 3)))
    options = OpOptions(channels=True, groups=g, stride=stride, dilation=dilation, padding=pad)
    xp = np.pad(x, [(0, 0), (pad[0], pad[0]), (pad[1], pad[1])])
    kernel = w[:, :, ::-1, ::-1] if op == "convolve" else w
    ref = loop_layer(xp, kernel, stride, dilation, g)
    ref = ref[0] if w.shape[0] == 1 else ref
    assert ops.run(ops.Op(op), x, w, options).value.tolist() == ref.tolist()
    # fractions: the same layer over 7, exactly
    xf = as_objects(x) * Fraction(1, 7)
    got = ops.run(ops.Op(op), xf, w, options).value
    assert got.tolist() == (ref * Fraction(1, 7)).tolist()


def test_big_integer_layers_go_through_limbs_exactly() -> None:
    rng = np.random.default_rng(8)
    x = rng.integers(-(2**45), 2**45, (4, 30, 30))
    w = rng.integers(-(2**25), 2**25, (6, 2, 3, 3))
    options = OpOptions(channels=True, groups=2, stride=(2, 1))
    got = ops.correlate(x, w, options).value
    assert got.dtype == object  # the sums need about 74 bits
    assert got.tolist() == loop_layer(as_objects(x), as_objects(w), (2, 1), (1, 1), 2).tolist()


@needs_torch
@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(layers, st.integers(0, 2**32))
def test_layers_agree_with_torch(spec, seed) -> None:
    rng = np.random.default_rng(seed)
    x, w, stride, dilation, g = make_layer(rng, spec, "float")
    pad = (int(rng.integers(0, 3)), int(rng.integers(0, 3)))
    options = OpOptions(channels=True, groups=g, stride=stride, dilation=dilation, padding=pad)
    got = ops.correlate(x, w, options).value
    ref = torch.nn.functional.conv2d(
        torch.from_numpy(x)[None],
        torch.from_numpy(w),
        stride=stride,
        padding=pad,
        dilation=dilation,
        groups=g,
    )[0].numpy()
    ref = ref[0] if w.shape[0] == 1 else ref
    np.testing.assert_allclose(got, ref, rtol=1e-12, atol=1e-12 * np.abs(ref).max())


@pytest.mark.parametrize("method", [Method.FFT, Method.OVERLAP_ADD])
def test_forced_transforms_on_layers_with_stride_and_dilation(method) -> None:
    rng = np.random.default_rng(9)
    x, w = rng.integers(-50, 50, (4, 20, 21)), rng.integers(-5, 5, (6, 2, 3, 4))
    options = OpOptions(channels=True, groups=2, stride=(2, 3), dilation=(2, 1), method=method)
    result = ops.correlate(x, w, options)
    assert result.choice.method is method
    assert result.value.tolist() == loop_layer(x, w, (2, 3), (2, 1), 2).tolist()


# --- stride and dilation on one channel ---------------------------------------------------------


def test_dilation_multiplies_no_zero_taps() -> None:
    # torch gives [3, inf]: the inf is read by the second output's taps only
    out, _ = engine.correlate_strided(np.array([1.0, np.inf, 2.0, 3.0]), np.array([1.0, 1.0]), (1,), (2,))
    assert out.tolist() == [3.0, np.inf]
    result = ops.correlate(
        np.array([[1.0, np.inf, 2.0, 3.0]]), np.array([[1.0, 1.0]]), OpOptions(dilation=(2,))
    )
    assert result.value.tolist() == [[3.0, np.inf]]
    assert result.notes == ("inf reached 1 cell: [0, 1]",)


def loop_strided(a, k, stride, dilation):
    out_shape = tuple(
        (m - (p - 1) * d - 1) // s + 1 for m, p, s, d in zip(a.shape, k.shape, stride, dilation, strict=True)
    )
    out = np.empty(out_shape)
    for i in np.ndindex(*out_shape):
        total = 0.0
        for u in np.ndindex(*k.shape):
            total += (
                a[tuple(ii * s + uu * d for ii, uu, s, d in zip(i, u, stride, dilation, strict=True))] * k[u]
            )
        out[i] = total
    return out


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.integers(1, 3),
    st.integers(1, 3),
    st.integers(1, 3),
    st.integers(1, 3),
    st.integers(1, 3),
    st.integers(1, 3),
    st.integers(0, 2**32),
    st.sampled_from([Method.AUTO, Method.DIRECT, Method.FFT, Method.OVERLAP_ADD]),
)
def test_nan_and_inf_reach_only_the_cells_their_taps_read(kh, kw, sh, sw, dh, dw, seed, method) -> None:
    rng = np.random.default_rng(seed)
    a = rng.standard_normal(
        ((kh - 1) * dh + 1 + int(rng.integers(0, 9)), (kw - 1) * dw + 1 + int(rng.integers(0, 9)))
    )
    k = rng.standard_normal((kh, kw))
    k[rng.random(k.shape) < 0.3] = 0.0  # zero taps of the kernel itself are real products
    a[rng.random(a.shape) < 0.1] = np.inf
    a[rng.random(a.shape) < 0.1] = np.nan
    with np.errstate(invalid="ignore", over="ignore"):
        ref = loop_strided(a, k, (sh, sw), (dh, dw))
        got, _ = engine.correlate_strided(a, k, (sh, sw), (dh, dw), method)
    np.testing.assert_array_equal(np.isnan(got), np.isnan(ref))
    np.testing.assert_array_equal(np.isinf(got), np.isinf(ref))
    finite = np.isfinite(ref)
    np.testing.assert_allclose(got[finite], ref[finite], rtol=1e-9, atol=1e-9)
    if torch is not None:
        with np.errstate(invalid="ignore"):
            tref = torch.nn.functional.conv2d(
                torch.from_numpy(a)[None, None],
                torch.from_numpy(k)[None, None],
                stride=(sh, sw),
                dilation=(dh, dw),
            )[0, 0].numpy()
        np.testing.assert_array_equal(np.isnan(got), np.isnan(tref))


def test_a_stride_over_a_huge_padding_builds_only_the_windows() -> None:
    plan = geometry.lay_out(
        ops.Op.CORRELATE,
        np.array([[1, 2], [3, 4]]),
        np.array([[1]]),
        OpOptions(padding=(10000,), stride=(100000,)),
    )
    assert plan.out_shape == (1, 1)
    source, stride = geometry.window_input(plan, plan.a, plan.fill)
    assert source.shape == (1, 1) and stride == (1, 1)
    assert ops.correlate(
        np.array([[1, 2], [3, 4]]), np.array([[1]]), OpOptions(padding=(10000,), stride=(100000,))
    ).value.tolist() == [[0]]
    # a stride that lands on A's cells
    got = ops.correlate(
        np.array([[1, 2], [3, 4]]), np.array([[1]]), OpOptions(padding=(3,), stride=(4,))
    ).value
    assert got.tolist() == [[0, 0], [0, 4]]


@pytest.mark.parametrize("boundary", list(BoundaryRule))
def test_gathered_windows_equal_the_padded_input_for_every_boundary(boundary) -> None:
    rng = np.random.default_rng(11)
    a = rng.integers(-9, 10, (3, 4))
    k = rng.integers(-3, 4, (2, 3))
    for pad, stride, dilation in [
        ((7,), (5,), (1,)),
        ((2, 9), (4, 6), (1, 2)),
        ((1, 0, 5, 3), (3, 7), (2, 1)),
    ]:
        options = OpOptions(padding=pad, stride=stride, dilation=dilation, boundary=boundary, fillvalue=-2)
        plan = geometry.lay_out(ops.Op.CORRELATE, a, k, options)
        padded = plan.padded()
        ref = loop_strided(padded.astype(float), k.astype(float), plan.stride, plan.dilation)
        assert ops.correlate(a, k, options).value.tolist() == ref.astype(int).tolist()


# --- the gradients ------------------------------------------------------------------------------


def loop_grads(x, w, g, stride, padding, dilation, groups):
    """dX and dW of sum(g · conv2d(x, w)) by the chain rule, term by term."""
    c_in, h, wd = x.shape
    o, cg, kh, kw = w.shape
    og = o // groups
    dx = np.zeros(x.shape, dtype=object)
    dw = np.zeros(w.shape, dtype=object)
    dx[...] = 0
    dw[...] = 0
    for f, i, j in np.ndindex(*g.shape):
        grp = f // og
        for c, u, v in itertools.product(range(cg), range(kh), range(kw)):
            r = i * stride[0] + u * dilation[0] - padding[0]
            s = j * stride[1] + v * dilation[1] - padding[1]
            if 0 <= r < h and 0 <= s < wd:
                dx[grp * cg + c, r, s] += w[f, c, u, v] * g[f, i, j]
                dw[f, c, u, v] += x[grp * cg + c, r, s] * g[f, i, j]
    return dx, dw


def grad_case(rng, spec, dtype):
    x, w, stride, dilation, groups = make_layer(rng, spec, dtype)
    padding = (int(rng.integers(0, 2)), int(rng.integers(0, 2)))
    xp_shape = (x.shape[0], x.shape[1] + 2 * padding[0], x.shape[2] + 2 * padding[1])
    oh, ow = layer.layer_shape(xp_shape, w.shape, stride, dilation, groups)
    g = (
        rng.integers(-5, 6, (w.shape[0], oh, ow))
        if dtype == "int"
        else rng.standard_normal((w.shape[0], oh, ow))
    )
    return x, w, g, stride, padding, dilation, groups


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(layers, st.integers(0, 2**32))
def test_gradients_equal_the_chain_rule_exactly(spec, seed) -> None:
    rng = np.random.default_rng(seed)
    x, w, g, stride, padding, dilation, groups = grad_case(rng, spec, "int")
    dx_ref, dw_ref = loop_grads(x, w, g, stride, padding, dilation, groups)
    dx = engine.conv2d_grad_input(g, w, x.shape, stride, padding, dilation, groups)
    dw = engine.conv2d_grad_weight(x, g, w.shape, stride, padding, dilation, groups)
    assert dx.dtype == np.int64 and dw.dtype == np.int64
    assert dx.tolist() == dx_ref.tolist() and dw.tolist() == dw_ref.tolist()
    # fractions and floats through the same primitives
    gf = as_objects(g) * Fraction(1, 3)
    assert (
        engine.conv2d_grad_input(gf, w, x.shape, stride, padding, dilation, groups).tolist()
        == (dx_ref * Fraction(1, 3)).tolist()
    )
    assert (
        engine.conv2d_grad_weight(x, gf, w.shape, stride, padding, dilation, groups).tolist()
        == (dw_ref * Fraction(1, 3)).tolist()
    )
    dxf = engine.conv2d_grad_input(
        g.astype(float), w.astype(float), x.shape, stride, padding, dilation, groups
    )
    assert dxf.dtype == np.float64 and dxf.tolist() == dx_ref.astype(float).tolist()


def test_gradients_of_big_integers_are_exact() -> None:
    rng = np.random.default_rng(12)
    x = rng.integers(-(2**50), 2**50, (2, 12, 12))
    w = rng.integers(-(2**40), 2**40, (2, 2, 3, 3))
    g = rng.integers(-(2**40), 2**40, (2, 10, 10))
    dx_ref, dw_ref = loop_grads(as_objects(x), as_objects(w), as_objects(g), (1, 1), (0, 0), (1, 1), 1)
    assert engine.conv2d_grad_input(g, w, x.shape).tolist() == dx_ref.tolist()
    assert engine.conv2d_grad_weight(x, g, w.shape).tolist() == dw_ref.tolist()


def test_gradient_shapes_are_checked() -> None:
    with pytest.raises(ShapeError, match="upstream gradient is 1x2x2 but the layer's output is 1x3x3"):
        engine.conv2d_grad_input(np.ones((1, 2, 2)), np.ones((1, 1, 2, 2)), (1, 4, 4))


@needs_torch
@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(layers, st.integers(0, 2**32))
def test_gradients_agree_with_torch_autograd(spec, seed) -> None:
    rng = np.random.default_rng(seed)
    x, w, g, stride, padding, dilation, groups = grad_case(rng, spec, "float")
    xt = torch.from_numpy(x.copy())[None].requires_grad_()
    wt = torch.from_numpy(w.copy()).requires_grad_()
    y = torch.nn.functional.conv2d(xt, wt, stride=stride, padding=padding, dilation=dilation, groups=groups)
    y.backward(torch.from_numpy(g)[None])
    dx = engine.conv2d_grad_input(g, w, x.shape, stride, padding, dilation, groups)
    dw = engine.conv2d_grad_weight(x, g, w.shape, stride, padding, dilation, groups)
    np.testing.assert_allclose(dx, xt.grad[0].numpy(), rtol=1e-11, atol=1e-11)
    np.testing.assert_allclose(dw, wt.grad.numpy(), rtol=1e-11, atol=1e-11)


@pytest.mark.parametrize(
    "groups, cg, og, k, dilation, padding",
    [
        (1, 8, 3, 3, (1, 1), (0, 0)),  # dX on wide rows, dW by window matrix
        (2, 8, 2, 2, (2, 1), (1, 2)),
        (5, 1, 1, 3, (1, 1), (1, 1)),  # depthwise: dX and dW tap by tap
        (4, 1, 1, 2, (1, 2), (0, 1)),
        (3, 1, 2, 3, (1, 1), (2, 0)),  # one channel per group, two filters
    ],
)
def test_gradients_on_wide_rows_equal_the_chain_rule(groups, cg, og, k, dilation, padding) -> None:
    rng = np.random.default_rng(groups * 100 + cg * 10 + og)
    x = rng.integers(-9, 10, (groups * cg, 7, 8))
    w = rng.integers(-9, 10, (groups * og, cg, k, k))
    xp_shape = (x.shape[0], x.shape[1] + 2 * padding[0], x.shape[2] + 2 * padding[1])
    oh, ow = layer.layer_shape(xp_shape, w.shape, (1, 1), dilation, groups)
    g = rng.integers(-5, 6, (w.shape[0], oh, ow))
    args = ((1, 1), padding, dilation, groups)
    dx_ref, dw_ref = loop_grads(x, w, g, *args)
    dx = engine.conv2d_grad_input(g, w, x.shape, *args)
    dw = engine.conv2d_grad_weight(x, g, w.shape, *args)
    assert dx.dtype == np.int64 and dx.tolist() == dx_ref.tolist()
    assert dw.dtype == np.int64 and dw.tolist() == dw_ref.tolist()
    dxf = engine.conv2d_grad_input(g.astype(float), w.astype(float), x.shape, *args)
    dwf = engine.conv2d_grad_weight(x.astype(float), g.astype(float), w.shape, *args)
    assert dxf.tolist() == dx_ref.astype(float).tolist()
    assert dwf.tolist() == dw_ref.astype(float).tolist()
    gc = g * (1 + 2j)
    np.testing.assert_allclose(
        engine.conv2d_grad_input(gc, w, x.shape, *args), dx_ref.astype(float) * (1 + 2j)
    )
    np.testing.assert_allclose(
        engine.conv2d_grad_weight(x, gc, w.shape, *args), dw_ref.astype(float) * (1 + 2j)
    )


@pytest.mark.parametrize("where", ["x", "w", "g"])
@pytest.mark.parametrize("groups, cg, og", [(1, 8, 2), (4, 1, 1), (2, 2, 3)])
def test_gradients_carry_nan_and_inf_only_through_real_products(where, groups, cg, og) -> None:
    rng = np.random.default_rng(len(where) * 7 + groups + cg)
    x = rng.standard_normal((groups * cg, 6, 7))
    w = rng.standard_normal((groups * og, cg, 3, 3))
    padding, dilation = (1, 0), (1, 2)
    oh, ow = layer.layer_shape((x.shape[0], 8, 7), w.shape, (1, 1), dilation, groups)
    g = rng.standard_normal((w.shape[0], oh, ow))
    target = {"x": x, "w": w, "g": g}[where]
    flat = target.reshape(-1)
    flat[rng.choice(flat.size, 2, replace=False)] = [np.inf, np.nan]
    args = ((1, 1), padding, dilation, groups)
    dx_ref, dw_ref = loop_grads(as_objects(x), as_objects(w), as_objects(g), *args)
    dx_ref, dw_ref = dx_ref.astype(float), dw_ref.astype(float)
    dx = engine.conv2d_grad_input(g, w, x.shape, *args)
    dw = engine.conv2d_grad_weight(x, g, w.shape, *args)
    for got, ref in ((dx, dx_ref), (dw, dw_ref)):
        np.testing.assert_array_equal(np.isnan(got), np.isnan(ref))
        np.testing.assert_array_equal(np.isposinf(got), np.isposinf(ref))
        np.testing.assert_array_equal(np.isneginf(got), np.isneginf(ref))
        finite = np.isfinite(ref)
        np.testing.assert_allclose(got[finite], ref[finite], rtol=1e-12, atol=1e-12)
