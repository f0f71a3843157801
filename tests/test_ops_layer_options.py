"""CNN-layer options against a definition written here in plain loops: stride, dilation,
padding, boundaries, conventions, channels, bias and activation."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from convcli import geometry, ops
from convcli.errors import ShapeError, UsageError
from convcli.model import Activation, BoundaryRule, Convention, Mode, Op, OpOptions


def _source_index(i: int, n: int, boundary: BoundaryRule) -> int | None:
    """Which entry of a length-n axis the padded position i reads (None: the fill value)."""
    if 0 <= i < n:
        return i
    if boundary is BoundaryRule.FILL:
        return None
    if boundary is BoundaryRule.WRAP:
        return i % n
    if boundary is BoundaryRule.EDGE:
        return min(max(i, 0), n - 1)
    if boundary is BoundaryRule.SYMM:  # c b a | a b c | c b a
        i %= 2 * n
        return i if i < n else 2 * n - 1 - i
    if n == 1:  # MIRROR: c b | a b c | b a
        return 0
    i %= 2 * n - 2
    return i if i < n else 2 * n - 2 - i


def reference(
    a,
    b,
    *,
    op=Op.CORRELATE,
    stride=(1, 1),
    dilation=(1, 1),
    pads=((0, 0), (0, 0)),
    boundary=BoundaryRule.FILL,
    fill=0,
):
    """out[i, j] = sum_u sum_v Apad[i*s + u*d, j*s + v*d] * K[u, v], K = B (turned for convolve)."""
    k = [row[::-1] for row in b[::-1]] if op is Op.CONVOLVE else b
    m, n = len(a), len(a[0])
    p, q = len(k), len(k[0])
    (top, bottom), (left, right) = pads
    ext_h = (p - 1) * dilation[0] + 1
    ext_w = (q - 1) * dilation[1] + 1
    rows = (m + top + bottom - ext_h) // stride[0] + 1
    cols = (n + left + right - ext_w) // stride[1] + 1
    out = []
    for i in range(rows):
        line = []
        for j in range(cols):
            total = 0
            for u in range(p):
                for v in range(q):
                    r = _source_index(i * stride[0] + u * dilation[0] - top, m, boundary)
                    c = _source_index(j * stride[1] + v * dilation[1] - left, n, boundary)
                    x = fill if r is None or c is None else a[r][c]
                    total += x * k[u][v]
            line.append(total)
        out.append(line)
    return out


@pytest.mark.parametrize("boundary", list(BoundaryRule))
def test_stride_dilation_padding_against_loops(boundary):
    rng = np.random.default_rng(list(BoundaryRule).index(boundary))
    checked = 0
    for s, d, p in itertools.product(range(1, 4), range(1, 4), range(0, 3)):
        for _ in range(3):
            a = rng.integers(-9, 10, tuple(rng.integers(4, 9, 2)))
            b = rng.integers(-5, 6, tuple(rng.integers(1, 4, 2)))
            for op in (Op.CORRELATE, Op.CONVOLVE):
                options = OpOptions(stride=(s,), dilation=(d,), padding=(p,), boundary=boundary, fillvalue=3)
                expected = reference(
                    a.tolist(),
                    b.tolist(),
                    op=op,
                    stride=(s, s),
                    dilation=(d, d),
                    pads=((p, p), (p, p)),
                    boundary=boundary,
                    fill=3,
                )
                extent = [(k - 1) * d + 1 for k in b.shape]
                if any(m + 2 * p < e for m, e in zip(a.shape, extent, strict=True)):
                    with pytest.raises(ShapeError, match="must fit inside the padded input"):
                        ops.run(op, a, b, options)
                    continue
                assert ops.run(op, a, b, options).value.tolist() == expected
                checked += 1
    assert checked > 100


def test_asymmetric_padding_and_per_axis_stride():
    a = np.arange(30).reshape(5, 6)
    b = np.array([[1, -1], [2, 0]])
    options = OpOptions(stride=(2, 1), dilation=(1, 2), padding=(1, 0, 2, 1))
    expected = reference(a.tolist(), b.tolist(), stride=(2, 1), dilation=(1, 2), pads=((1, 0), (2, 1)))
    assert ops.correlate(a, b, options).value.tolist() == expected


def test_torch_conv2d_example_values():
    # torch.nn.functional.conv2d(arange(16).view(1,1,4,4), ones(1,1,3,3), stride=2, padding=1)
    a = np.arange(16).reshape(4, 4)
    out = ops.correlate(a, np.ones((3, 3), dtype=np.int64), OpOptions(stride=(2,), padding=(1,)))
    assert out.value.tolist() == [[10, 24], [51, 90]]


FIVE = np.array([1, 2, 3, 4, 5])
K2 = np.array([1, 2])


@pytest.mark.parametrize(
    ("convention", "convolve", "correlate"),
    [
        (Convention.SCIPY, [1, 4, 7, 10, 13], [5, 8, 11, 14, 5]),
        (Convention.NUMPY, [1, 4, 7, 10, 13], [2, 5, 8, 11, 14]),
        (Convention.MATLAB, [4, 7, 10, 13, 10], [5, 8, 11, 14, 5]),
        (Convention.TORCH, [4, 7, 10, 13, 10], [5, 8, 11, 14, 5]),
        (Convention.TENSORFLOW, [4, 7, 10, 13, 10], [5, 8, 11, 14, 5]),
    ],
)
def test_same_alignment_per_convention(convention, convolve, correlate):
    options = OpOptions(mode=Mode.SAME, convention=convention)
    assert ops.convolve(FIVE, K2, options).value.tolist() == convolve
    assert ops.correlate(FIVE, K2, options).value.tolist() == correlate


def test_numpy_convention_matches_numpy():
    rng = np.random.default_rng(1)
    for _ in range(50):
        x = rng.integers(-9, 9, int(rng.integers(3, 12)))
        k = rng.integers(-9, 9, int(rng.integers(1, 6)))
        if len(k) > len(x):
            continue
        got = ops.convolve(x, k, OpOptions(mode=Mode.SAME, convention=Convention.NUMPY)).value
        assert got.tolist() == np.convolve(x, k, "same").tolist()
        got = ops.correlate(x, k, OpOptions(mode=Mode.SAME, convention=Convention.NUMPY)).value
        assert got.tolist() == np.correlate(x, k, "same").tolist()


def test_tensorflow_same_with_stride_pads_by_input_size():
    # tf 'SAME', stride 2: out = ceil(5/2) = 3; pad total = (3-1)*2 + 3 - 5 = 2 -> (1, 1)
    x = np.array([1, 2, 3, 4, 5])
    k = np.array([1, 1, 1])
    options = OpOptions(mode=Mode.SAME, convention=Convention.TENSORFLOW, stride=(2,))
    assert ops.correlate(x, k, options).value.tolist() == [3, 9, 9]
    # input 6: out 3, total = (3-1)*2 + 3 - 6 = 1 -> (0, 1): the extra zero after
    x6 = np.array([1, 2, 3, 4, 5, 6])
    assert ops.correlate(x6, k, options).value.tolist() == [6, 12, 11]
    assert geometry.same_pads(Op.CORRELATE, Convention.TENSORFLOW, 6, 3, 2) == (0, 1)


def test_torch_refuses_same_with_stride():
    with pytest.raises(UsageError, match="torch refuses 'same' with a stride above 1"):
        ops.correlate(FIVE, K2, OpOptions(mode=Mode.SAME, convention=Convention.TORCH, stride=(2,)))


def test_same_with_stride_samples_the_stride_one_result():
    a = np.arange(49).reshape(7, 7)
    b = np.arange(9).reshape(3, 3)
    full = ops.correlate(a, b, OpOptions(mode=Mode.SAME)).value
    strided = ops.correlate(a, b, OpOptions(mode=Mode.SAME, stride=(2,))).value
    assert strided.tolist() == full[::2, ::2].tolist()


def test_padding_with_other_modes_is_a_usage_error():
    with pytest.raises(UsageError, match="cannot be combined with --mode same"):
        ops.correlate(FIVE, K2, OpOptions(mode=Mode.SAME, padding=(1,)))


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (OpOptions(stride=(0,)), "--stride takes whole numbers >= 1, got 0"),
        (OpOptions(dilation=(-1,)), "--dilation takes whole numbers >= 1, got -1"),
        (OpOptions(padding=(-1,)), "--padding takes whole numbers >= 0, got -1"),
        (OpOptions(stride=(1, 2, 3)), "--stride takes 1 or 2 numbers for these 2-axis inputs, got 3: 1,2,3"),
        (OpOptions(padding=(1, 2, 3)), "--padding takes 1, 2 or 4 numbers for these 2-axis inputs"),
    ],
)
def test_bad_geometry_options(options, message):
    with pytest.raises(UsageError) as err:
        ops.correlate(np.ones((4, 4)), np.ones((2, 2)), options)
    assert err.value.message.startswith(message)


def test_a_1d_input_takes_one_number_per_option():
    with pytest.raises(UsageError) as err:
        ops.correlate(np.ones(4), np.ones(2), OpOptions(stride=(1, 2)))
    assert err.value.message == "--stride takes one number for a 1-D input, got 2: 1,2"


def test_kernel_larger_than_padded_input_is_an_error_with_geometry():
    with pytest.raises(ShapeError) as err:
        ops.correlate(np.ones((3, 3)), np.ones((2, 2)), OpOptions(dilation=(3,)))
    assert err.value.message == (
        "correlate: the kernel (dilated) is 4x4 but the padded input is only 3x3; a kernel must fit "
        "inside the padded input (as in torch)"
    )


# --- channels ------------------------------------------------------------------------------------


def test_d2l_multichannel_example():
    # d2l.ai 7.4: two input channels, one output channel
    X = np.array([[[0, 1, 2], [3, 4, 5], [6, 7, 8]], [[1, 2, 3], [4, 5, 6], [7, 8, 9]]])
    K = np.array([[[0, 1], [2, 3]], [[1, 2], [3, 4]]])
    result = ops.correlate(X, K, OpOptions(channels=True))
    assert result.value.tolist() == [[56, 72], [104, 120]]
    # three filters K, K+1, K+2 give three maps
    K3 = np.stack([K, K + 1, K + 2])
    maps = ops.correlate(X, K3, OpOptions(channels=True)).value
    assert maps.tolist() == [[[56, 72], [104, 120]], [[76, 100], [148, 172]], [[96, 128], [192, 224]]]


def test_channels_sum_of_per_channel_2d_ops_and_no_channel_flip():
    rng = np.random.default_rng(4)
    a = rng.integers(-5, 6, (3, 6, 5))
    b = rng.integers(-5, 6, (2, 3, 3, 2))
    for op in (Op.CONVOLVE, Op.CORRELATE):
        got = ops.run(op, a, b, OpOptions(channels=True, stride=(2, 1), padding=(1,))).value
        for o in range(2):
            total = sum(
                np.array(
                    reference(a[c].tolist(), b[o, c].tolist(), op=op, stride=(2, 1), pads=((1, 1), (1, 1)))
                )
                for c in range(3)
            )
            assert got[o].tolist() == total.tolist()


def test_one_by_one_convolution_is_a_dot_product_over_depth():
    rng = np.random.default_rng(5)
    a = rng.integers(-5, 6, (4, 3, 3))
    w = rng.integers(-5, 6, (2, 4, 1, 1))
    got = ops.correlate(a, w, OpOptions(channels=True)).value
    assert got.tolist() == np.einsum("oc,chw->ohw", w[:, :, 0, 0], a).tolist()


def test_channel_count_mismatch():
    with pytest.raises(ShapeError) as err:
        ops.correlate(np.ones((3, 4, 4)), np.ones((2, 2, 2)), OpOptions(channels=True))
    assert err.value.message == (
        "--channels: A has 3 channels and B has 2; channel c of A meets channel c of B, so the counts must match"
    )


def test_bias_and_activation():
    x = np.array([[1, -2], [3, -4]])
    one = np.array([[1]])
    assert ops.correlate(x, one, OpOptions(bias=(1,))).value.tolist() == [[2, -1], [4, -3]]
    relu = OpOptions(bias=(1,), activation=Activation.RELU)
    assert ops.correlate(x, one, relu).value.tolist() == [[2, 0], [4, 0]]
    tanh = ops.correlate(x, one, OpOptions(activation=Activation.TANH)).value
    assert np.allclose(tanh, np.tanh(x))
    sig = ops.correlate(x, one, OpOptions(activation=Activation.SIGMOID)).value
    assert np.allclose(sig, 1 / (1 + np.exp(-x)))
    assert math.isclose(sig[0, 0], 1 / (1 + math.exp(-1)))


def test_bias_per_filter():
    X = np.ones((2, 3, 3), dtype=np.int64)
    K = np.ones((2, 2, 2, 2), dtype=np.int64)
    got = ops.correlate(X, K, OpOptions(channels=True, bias=(1, -10))).value
    assert got.tolist() == [[[9, 9], [9, 9]], [[-2, -2], [-2, -2]]]
    with pytest.raises(UsageError, match=r"--bias takes one value, or one per filter \(2\); got 3"):
        ops.correlate(X, K, OpOptions(channels=True, bias=(1, 2, 3)))
