"""Transposed convolution against a scatter-add written here in plain loops, hand-worked values,
the zero-stuffed-convolution view, exactness and the error messages."""

from __future__ import annotations

import itertools
from fractions import Fraction

import numpy as np
import pytest

from convcli import ops
from convcli.errors import ShapeError, UsageError
from convcli.model import Kind, OpOptions, TransposeOptions
from convcli.transpose import conv_transpose, scatter_steps


def reference(a, b, stride=(1, 1), padding=(0, 0), output_padding=(0, 0), dilation=(1, 1)):
    """torch's definition on nested lists: A[i][j] * B[u][v] lands on output
    (i*s0 + u*d0 - p0, j*s1 + v*d1 - p1) when that lies inside the output."""
    (m, n), (kh, kw) = (len(a), len(a[0])), (len(b), len(b[0]))
    (s0, s1), (p0, p1), (a0, a1), (d0, d1) = stride, padding, output_padding, dilation
    rows = (m - 1) * s0 - 2 * p0 + d0 * (kh - 1) + a0 + 1
    cols = (n - 1) * s1 - 2 * p1 + d1 * (kw - 1) + a1 + 1
    out = [[0] * cols for _ in range(rows)]
    for i, j, u, v in itertools.product(range(m), range(n), range(kh), range(kw)):
        y, x = i * s0 + u * d0 - p0, j * s1 + v * d1 - p1
        if 0 <= y < rows and 0 <= x < cols:
            out[y][x] = out[y][x] + a[i][j] * b[u][v]
    return out


def reference_channels(a, b, **geometry):
    """C_in x H x W with C_in x C_out x kh x kw: output channel o sums its input channels."""
    c_in, c_out = len(b), len(b[0])
    maps = []
    for o in range(c_out):
        total = None
        for c in range(c_in):
            one = np.array(reference(a[c], b[c][o], **geometry), dtype=object)
            total = one if total is None else total + one
        maps.append(total.tolist())
    return maps


D2L = np.array([[0, 1], [2, 3]])


def opts(s=1, p=0, a=0, d=1, channels=False):
    return TransposeOptions(stride=(s,), padding=(p,), output_padding=(a,), dilation=(d,), channels=channels)


# --- hand-worked values -------------------------------------------------------------------------


def test_d2l_stride_1():
    result = conv_transpose(D2L, D2L)
    assert result.value.tolist() == [[0, 0, 1], [0, 4, 6], [4, 12, 9]]
    assert result.value.dtype == np.int64
    assert result.kind is Kind.INTEGER
    assert result.shape == (3, 3)
    assert result.name == "conv-transpose"


def test_d2l_stride_2():
    result = conv_transpose(D2L, D2L, opts(s=2))
    assert result.value.tolist() == [[0, 0, 0, 1], [0, 0, 2, 3], [0, 2, 0, 3], [4, 6, 6, 9]]


def test_padding_crops_both_sides():
    # the stride-2 result above without its outer ring
    assert conv_transpose(D2L, D2L, opts(s=2, p=1)).value.tolist() == [[0, 2], [2, 0]]


def test_output_padding_adds_cells_at_the_end():
    value = conv_transpose(D2L, D2L, opts(s=2, a=1)).value
    assert value.tolist() == [
        [0, 0, 0, 1, 0],
        [0, 0, 2, 3, 0],
        [0, 2, 0, 3, 0],
        [4, 6, 6, 9, 0],
        [0, 0, 0, 0, 0],
    ]


def test_dilation_spreads_the_kernel():
    value = conv_transpose(np.array([[1]]), D2L, opts(d=2)).value
    assert value.tolist() == [[0, 0, 1], [0, 0, 0], [2, 0, 3]]


def test_one_dimensional():
    value = conv_transpose(np.array([1, 2, 3]), np.array([1, 10]), opts(s=2)).value
    assert value.tolist() == [1, 10, 2, 20, 3, 30]
    assert value.ndim == 1


def test_vector_with_matrix_is_a_row():
    value = conv_transpose(np.array([1, 2]), np.array([[1], [1]])).value
    assert value.tolist() == [[1, 2], [1, 2]]


def test_per_axis_options():
    a = np.array([[1, 2], [3, 4]])
    b = np.array([[1, 1], [1, 1]])
    geometry = {"stride": (1, 2), "padding": (0, 1), "output_padding": (0, 1), "dilation": (2, 1)}
    value = conv_transpose(a, b, TransposeOptions(**geometry)).value
    assert value.tolist() == reference(a.tolist(), b.tolist(), **geometry)
    assert value.shape == (4, 3)


# --- random inputs against the loop definition ----------------------------------------------------


CASES = [
    (s, p, d, a)
    for s, p, d in itertools.product(range(1, 4), range(3), range(1, 4))
    for a in range(max(s, d))
]


@pytest.mark.parametrize(("s", "p", "d", "a"), CASES)
def test_matches_scatter_reference(s, p, d, a):
    rng = np.random.default_rng(1000 * s + 100 * p + 10 * d + a)
    for _ in range(3):
        x = rng.integers(-9, 10, size=tuple(rng.integers(1, 5, size=2)))
        k = rng.integers(-9, 10, size=tuple(rng.integers(1, 4, size=2)))
        geometry = {"stride": (s, s), "padding": (p, p), "output_padding": (a, a), "dilation": (d, d)}
        rows = (x.shape[0] - 1) * s - 2 * p + d * (k.shape[0] - 1) + a + 1
        cols = (x.shape[1] - 1) * s - 2 * p + d * (k.shape[1] - 1) + a + 1
        if rows < 1 or cols < 1:
            with pytest.raises(ShapeError, match="must be at least 1 on every axis"):
                conv_transpose(x, k, opts(s, p, a, d))
            continue
        value = conv_transpose(x, k, opts(s, p, a, d)).value
        assert value.tolist() == reference(x.tolist(), k.tolist(), **geometry)


def test_floats_match_reference():
    rng = np.random.default_rng(7)
    x, k = rng.standard_normal((4, 5)), rng.standard_normal((3, 2))
    value = conv_transpose(x, k, opts(s=2, p=1, a=1, d=2)).value
    expected = np.array(reference(x.tolist(), k.tolist(), (2, 2), (1, 1), (1, 1), (2, 2)))
    assert value.dtype == np.float64
    np.testing.assert_allclose(value, expected, rtol=1e-12, atol=1e-12)


def test_complex_kernel_is_not_conjugated():
    x = np.array([[1 + 1j, 2]])
    k = np.array([[1j, 1]])
    value = conv_transpose(x, k).value
    assert value.dtype == np.complex128
    assert value.tolist() == [[-1 + 1j, 1 + 1j + 2j, 2]]


def test_nan_reaches_only_its_scattered_cells():
    x = np.array([[np.nan, 0.0, 0.0]])
    result = conv_transpose(x, np.array([[1.0, 1.0]]), opts(s=2))
    nans = np.isnan(result.value).tolist()
    assert nans == [[True, True, False, False, False, False]]
    assert result.notes == ("nan reached 2 cells: [0, 0], [0, 1]",)


# --- the equivalent zero-stuffed convolution ------------------------------------------------------


@pytest.mark.parametrize(("s", "p", "d", "a"), [c for c in CASES if c[1] <= c[2]])
def test_zero_stuffed_convolution(s, p, d, a):
    """Stuff s-1 zeros between entries, pad by d*(k-1)-p (+a after), convolve with B dilated."""
    rng = np.random.default_rng(s * 31 + p * 7 + d * 3 + a)
    x = rng.integers(-9, 10, size=(3, 4))
    k = rng.integers(-9, 10, size=(2, 3))
    stuffed = np.zeros(((3 - 1) * s + 1, (4 - 1) * s + 1), dtype=np.int64)
    stuffed[::s, ::s] = x
    pads = [(d * (n - 1) - p, d * (n - 1) - p + a) for n in k.shape]
    padded = np.pad(stuffed, pads)
    expected = ops.convolve(padded, k, OpOptions(dilation=(d,))).value
    assert conv_transpose(x, k, opts(s, p, a, d)).value.tolist() == expected.tolist()


def test_steps_gather_view():
    steps = scatter_steps(D2L, D2L, opts(s=2))
    assert steps.stuffed.tolist() == [[0, 0, 1], [0, 0, 0], [2, 0, 3]]
    assert steps.pads == ((1, 1), (1, 1))
    assert steps.padded.tolist() == [
        [0, 0, 0, 0, 0],
        [0, 0, 0, 1, 0],
        [0, 0, 0, 0, 0],
        [0, 2, 0, 3, 0],
        [0, 0, 0, 0, 0],
    ]
    assert steps.turned.tolist() == [[3, 2], [1, 0]]
    assert ops.correlate(steps.padded, steps.turned).value.tolist() == steps.result.tolist()
    assert steps.result.tolist() == [[0, 0, 0, 1], [0, 0, 2, 3], [0, 2, 0, 3], [4, 6, 6, 9]]


def test_steps_gather_view_crops_when_padding_exceeds_the_kernel():
    x = np.arange(1, 17).reshape(4, 4)
    k = np.array([[1, 2], [3, 4]])
    steps = scatter_steps(x, k, opts(s=1, p=2))
    # d*(k-1) - p = -1: the stuffed input loses a cell on each side instead of gaining one
    assert steps.pads == ((-1, -1), (-1, -1))
    assert steps.padded.tolist() == [[6, 7], [10, 11]]
    assert steps.turned.tolist() == [[4, 3], [2, 1]]
    assert steps.result.tolist() == [[6 * 4 + 7 * 3 + 10 * 2 + 11 * 1]]
    assert conv_transpose(x, k, opts(s=1, p=2)).value.tolist() == [[76]]


@pytest.mark.parametrize(("s", "p", "d", "a"), [(1, 0, 1, 0), (2, 1, 1, 1), (3, 2, 2, 0), (2, 3, 3, 2)])
def test_steps_views_agree(s, p, d, a):
    rng = np.random.default_rng(s + p + d + a)
    x = rng.integers(-5, 6, size=(3, 3))
    k = rng.integers(-5, 6, size=(3, 2))
    steps = scatter_steps(x, k, opts(s, p, a, d), max_steps=100)
    assert not steps.capped
    # scatter view: the contributions, placed at their origins, sum to the uncropped array
    total = np.zeros(steps.uncropped.shape, dtype=object)
    for step in steps.steps:
        assert step.value == x[step.cell]
        assert step.origin == (step.cell[0] * s, step.cell[1] * s)
        h, w = step.contribution.shape
        total[step.origin[0] : step.origin[0] + h, step.origin[1] : step.origin[1] + w] += step.contribution
    assert total.tolist() == steps.uncropped.tolist()
    (top, bottom), (left, right) = steps.crop
    assert (top, bottom, left, right) == (p, p, p, p)
    cropped = steps.uncropped[
        top : steps.uncropped.shape[0] - bottom, left : steps.uncropped.shape[1] - right
    ]
    assert cropped.tolist() == steps.result.tolist()
    # gather view: the padded zero-stuffed input correlated with the turned, dilated kernel
    assert ops.correlate(steps.padded, steps.turned).value.tolist() == steps.result.tolist()
    assert steps.result.tolist() == conv_transpose(x, k, opts(s, p, a, d)).value.tolist()


def test_steps_one_cell_and_cap():
    steps = scatter_steps(D2L, D2L, opts(s=2), at=(1, 0))
    assert len(steps.steps) == 1 and steps.total_cells == 4 and steps.capped
    step = steps.steps[0]
    assert step.cell == (1, 0) and step.value == 2 and step.origin == (2, 0)
    assert step.contribution.tolist() == [[0, 2], [4, 6]]
    capped = scatter_steps(D2L, D2L, max_steps=3)
    assert [s.cell for s in capped.steps] == [(0, 0), (0, 1), (1, 0)]
    assert scatter_steps(D2L, D2L, at=(-1, -1)).steps[0].cell == (1, 1)


def test_steps_contribution_is_dilated():
    step = scatter_steps(D2L, D2L, opts(d=2), at=(1, 1)).steps[0]
    assert step.contribution.tolist() == [[0, 0, 3], [0, 0, 0], [6, 0, 9]]


def test_steps_bad_at_and_max_steps():
    with pytest.raises(UsageError, match=r"^--at takes 2 indices for the 2x2 input A, got 1$"):
        scatter_steps(D2L, D2L, at=(0,))
    with pytest.raises(UsageError, match=r"^--at: index 2 on axis 1 is outside A \(0 to 1\)$"):
        scatter_steps(D2L, D2L, at=(0, 2))
    with pytest.raises(UsageError, match=r"^--max-steps takes a whole number >= 1, got 0$"):
        scatter_steps(D2L, D2L, max_steps=0)


# --- exactness ------------------------------------------------------------------------------------


def test_fractions_are_exact():
    x = np.array([[Fraction(1, 3), Fraction(1, 2)], [Fraction(-2, 7), 1]], dtype=object)
    k = np.array([[Fraction(1, 5), 2], [3, Fraction(1, 9)]], dtype=object)
    result = conv_transpose(x, k, opts(s=2, p=1, a=1))
    assert result.kind is Kind.RATIONAL
    expected = reference(x.tolist(), k.tolist(), (2, 2), (1, 1), (1, 1), (1, 1))
    assert result.value.tolist() == [[Fraction(v) for v in row] for row in expected]
    assert all(isinstance(v, Fraction) for v in result.value.flat)


def test_int64_overflow_goes_to_python_ints():
    x = np.array([[2**62, 2**62]], dtype=np.int64)
    k = np.array([[4, 4]], dtype=np.int64)
    value = conv_transpose(x, k).value
    assert value.tolist() == [[2**64, 2**65, 2**64]]
    assert value.dtype == object


def test_big_python_ints():
    x = np.empty((1, 2), dtype=object)
    x[0] = [10**30, -(10**30)]
    value = conv_transpose(x, np.array([[1, 1]]), opts(s=1)).value
    assert value.tolist() == [[10**30, 0, -(10**30)]]
    # small enough results come back as int64
    middle = conv_transpose(x, np.array([[1, 1]]), TransposeOptions(padding=(0, 1))).value
    assert middle.tolist() == [[0]]
    assert middle.dtype == np.int64


def test_narrow_dtypes_do_not_wrap():
    x = np.array([[200, 200]], dtype=np.uint8)
    value = conv_transpose(x, np.array([[2, 2]], dtype=np.uint8)).value
    assert value.tolist() == [[400, 800, 400]]
    assert value.dtype == np.int64
    flags = np.ones((2, 2), dtype=bool)
    assert conv_transpose(flags, flags).value.tolist() == [[1, 2, 1], [2, 4, 2], [1, 2, 1]]
    assert conv_transpose(np.ones((1, 1), np.float32), np.ones((1, 1), np.float32)).value.dtype == np.float64


# --- channels (torch weight layout C_in x C_out x kh x kw) -----------------------------------------


def test_channels_sum_over_input_channels():
    rng = np.random.default_rng(3)
    x = rng.integers(-5, 6, size=(2, 3, 3))
    w = rng.integers(-5, 6, size=(2, 3, 2, 2))
    geometry = {"stride": (2, 2), "padding": (1, 1), "output_padding": (1, 1), "dilation": (1, 1)}
    value = conv_transpose(x, w, opts(s=2, p=1, a=1, channels=True)).value
    assert value.shape == (3, 5, 5)
    assert value.tolist() == reference_channels(x.tolist(), w.tolist(), **geometry)


def test_channels_one_output_gives_one_map():
    x = np.stack([D2L, D2L])
    w = np.stack([D2L, 2 * D2L])  # C_in x kh x kw: one output channel
    value = conv_transpose(x, w, opts(channels=True)).value
    assert value.tolist() == [[0, 0, 3], [0, 12, 18], [12, 36, 27]]
    four_d = conv_transpose(x, w[:, None], opts(channels=True)).value
    assert four_d.tolist() == value.tolist()


def test_channels_steps():
    x = np.stack([D2L, D2L])
    w = np.stack([np.stack([D2L, -D2L]), np.stack([D2L, D2L])])  # 2 x 2 x 2 x 2
    steps = scatter_steps(x, w, opts(channels=True), at=(1, 0, 1))
    step = steps.steps[0]
    assert step.cell == (1, 0, 1) and step.value == 1 and step.origin == (0, 1)
    assert step.contribution.tolist() == [D2L.tolist(), D2L.tolist()]
    assert steps.total_cells == 8
    assert steps.result.tolist() == conv_transpose(x, w, opts(channels=True)).value.tolist()
    turned = steps.turned.transpose(1, 0, 2, 3)  # ops wants O x C x kh x kw
    gathered = ops.correlate(steps.padded, turned, OpOptions(channels=True)).value
    assert gathered.tolist() == steps.result.tolist()


def test_channels_shape_errors():
    with pytest.raises(ShapeError, match=r"^--channels: A has 2 channels and B has 3 input channels; "):
        conv_transpose(np.zeros((2, 3, 3)), np.zeros((3, 1, 2, 2)), opts(channels=True))
    with pytest.raises(ShapeError, match=r"^--channels: A is 1-D of length 3 and B is 2x2; A must be C_in"):
        conv_transpose(np.zeros(3), np.zeros((2, 2)), opts(channels=True))


# --- errors -----------------------------------------------------------------------------------------


def test_output_padding_must_be_below_stride_or_dilation():
    with pytest.raises(UsageError) as info:
        conv_transpose(D2L, D2L, opts(s=1, a=1))
    assert info.value.message == (
        "--output-padding must be smaller than either the stride or the dilation (torch's rule), "
        "but got output padding 1 with stride 1 and dilation 1 on axis 0"
    )
    # allowed because it is smaller than the dilation (torch's rule is "either")
    assert conv_transpose(D2L, D2L, opts(s=1, d=2, a=1)).shape == (5, 5)
    with pytest.raises(UsageError, match=r"output padding 2 with stride 2 and dilation 1$"):
        conv_transpose(np.array([1, 2]), np.array([1]), opts(s=2, a=2))


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (opts(s=0), "--stride takes whole numbers >= 1, got 0"),
        (opts(d=0), "--dilation takes whole numbers >= 1, got 0"),
        (opts(p=-1), "--padding takes whole numbers >= 0, got -1"),
        (opts(a=-1), "--output-padding takes whole numbers >= 0, got -1"),
        (
            TransposeOptions(stride=(1, 2, 3)),
            "--stride takes 1 or 2 numbers for these 2-axis inputs, got 3: 1,2,3",
        ),
    ],
)
def test_bad_options(options, message):
    with pytest.raises(UsageError) as info:
        conv_transpose(D2L, D2L, options)
    assert info.value.message == message


def test_output_too_small():
    with pytest.raises(ShapeError) as info:
        conv_transpose(D2L, D2L, opts(p=2))
    assert info.value.message == (
        "conv-transpose: input 2x2 with kernel 2x2, stride 1,1, padding 2,2, output padding 0,0 and "
        "dilation 1,1 gives an output of -1x-1; (i-1)*s - 2p + d*(k-1) + a + 1 must be at least 1 on "
        "every axis (as in torch): lower --padding"
    )
    assert info.value.short == "output size -1x-1 is too small"


def test_operand_shapes():
    with pytest.raises(ShapeError, match=r"^conv-transpose: A is 2x2x2 and B is 2x2; transposed convolution"):
        conv_transpose(np.zeros((2, 2, 2)), np.zeros((2, 2)))
    with pytest.raises(ShapeError, match=r"^conv-transpose: B is empty \(2x0\)$"):
        conv_transpose(D2L, np.zeros((2, 0)))


# --- torch itself, when it happens to be installed ----------------------------------------------------


def test_against_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(11)
    for s, p, d, a in CASES:
        x = rng.standard_normal((2, 4, 3))
        w = rng.standard_normal((2, 3, 3, 2))
        expected_shape = [
            (n - 1) * s - 2 * p + d * (k - 1) + a + 1 for n, k in zip((4, 3), (3, 2), strict=True)
        ]
        if min(expected_shape) < 1:
            continue
        ours = conv_transpose(x, w, opts(s, p, a, d, channels=True)).value
        theirs = torch.nn.functional.conv_transpose2d(
            torch.from_numpy(x)[None], torch.from_numpy(w), stride=s, padding=p, output_padding=a, dilation=d
        )[0].numpy()
        np.testing.assert_allclose(ours, theirs, rtol=1e-10, atol=1e-10)
