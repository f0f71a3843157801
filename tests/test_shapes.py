"""Output-size formulas against shapes actually computed, the textbook examples, the formula
text, 'same' padding per library, and size parsing."""

from __future__ import annotations

import numpy as np
import pytest

from convcli import ops, shapes
from convcli.errors import ShapeError, UsageError
from convcli.model import Convention, Mode, Op, OpOptions, TransposeOptions
from convcli.transpose import conv_transpose

# --- the formulas against computed shapes -----------------------------------------------------------


def _random_geometry(rng):
    return (
        int(rng.integers(1, 16)),  # i
        int(rng.integers(1, 6)),  # k
        int(rng.integers(1, 4)),  # s
        int(rng.integers(0, 4)),  # p
        int(rng.integers(1, 4)),  # d
    )


def test_output_size_matches_correlate():
    rng = np.random.default_rng(2024)
    fitted = refused = 0
    for _ in range(300):
        (i0, k0, s0, p0, d0), (i1, k1, s1, p1, d1) = _random_geometry(rng), _random_geometry(rng)
        options = OpOptions(stride=(s0, s1), padding=(p0, p1), dilation=(d0, d1))
        a, b = np.zeros((i0, i1), dtype=np.int64), np.zeros((k0, k1), dtype=np.int64)
        try:
            expected = (shapes.output_size(i0, k0, s0, p0, d0), shapes.output_size(i1, k1, s1, p1, d1))
        except ShapeError:
            with pytest.raises(ShapeError):
                ops.correlate(a, b, options)
            refused += 1
            continue
        assert ops.correlate(a, b, options).shape == expected
        fitted += 1
    assert fitted > 100 and refused > 10  # both branches were exercised


def test_transposed_size_matches_conv_transpose():
    rng = np.random.default_rng(77)
    fitted = refused = 0
    for _ in range(300):
        i, k, s, p, d = _random_geometry(rng)
        a = int(rng.integers(0, max(s, d)))
        options = TransposeOptions(stride=(s,), padding=(p,), output_padding=(a,), dilation=(d,))
        x, w = np.zeros(i, dtype=np.int64), np.zeros(k, dtype=np.int64)
        try:
            expected = shapes.transposed_size(i, k, s, p, d, a)
        except ShapeError:
            with pytest.raises(ShapeError):
                conv_transpose(x, w, options)
            refused += 1
            continue
        assert conv_transpose(x, w, options).shape == (expected,)
        fitted += 1
    assert fitted > 100 and refused > 10


def test_transposed_undoes_the_size_change():
    """Dumoulin & Visin: the transposed convolution maps o back to i when a = (i + 2p - k') mod s."""
    rng = np.random.default_rng(5)
    for _ in range(300):
        i, k, s, p, d = _random_geometry(rng)
        try:
            o = shapes.output_size(i, k, s, p, d)
        except ShapeError:
            continue
        a = (i + 2 * p - d * (k - 1) - 1) % s
        assert shapes.transposed_size(o, k, s, p, d, a) == i


# --- textbook examples ------------------------------------------------------------------------------


def test_cs231n_examples():
    assert shapes.output_size(7, 3, 1) == 5
    assert shapes.output_size(7, 3, 2) == 3
    assert shapes.output_size(227, 11, 4, 0) == 55
    assert shapes.output_size(32, 5, 1, 2) == 32  # padding (k-1)/2 keeps the size


def test_dumoulin_visin_examples():
    assert shapes.output_size(5, 3, 2, 1) == 3  # i=5, k=3, s=2, p=1
    assert shapes.output_size(7, 3, 1, 0, 2) == 3  # dilated: i=7, k=3, d=2
    assert shapes.transposed_size(2, 3, 1, 0) == 4  # the transpose of 4 -> 2 with k=3
    assert shapes.transposed_size(3, 3, 2, 1, 1, 1) == 6  # back to i=6 from i'=3 with a=1
    assert shapes.output_size(6, 3, 2, 1) == 3


def test_formula_text():
    r = shapes.report((32, 32), (5,), (2,), (1,), (1,))
    assert r.axes[0].formula == "o = floor((32 + 2*1 - 5 - (5-1)*(1-1)) / 2) + 1 = 15"
    assert r.output_shape == (15, 15)
    t = shapes.report((32,), (5,), (2,), (1,), (1,), transposed=True, output_padding=(1,))
    assert t.axes[0].formula == "o = 2*(32-1) + 1 + 1*(5-1) + 1 - 2*1 = 66"
    assert t.output_shape == (66,)


def test_summary_lines():
    r = shapes.report((3, 32, 32), (5,), (2,), (1,), (1,))
    assert r.leading == (3,)
    assert r.summary_lines() == [
        "convolution: input 3x32x32, kernel 5 -> output 15x15",
        "  the leading axis (3) is read as channels: a layer with O filters gives Ox15x15",
        "  axis 0: o = floor((32 + 2*1 - 5 - (5-1)*(1-1)) / 2) + 1 = 15  (full 18, same 16)",
        "  axis 1: o = floor((32 + 2*1 - 5 - (5-1)*(1-1)) / 2) + 1 = 15  (full 18, same 16)",
    ]


# --- report ----------------------------------------------------------------------------------------


def test_report_per_axis():
    r = shapes.report((20, 11), (3, 4), (2, 1), (1, 0), (1, 2))
    first, second = r.axes
    assert (first.input, first.kernel, first.stride, first.padding, first.dilation) == (20, 3, 2, 1, 1)
    assert (second.input, second.kernel, second.stride, second.padding, second.dilation) == (11, 4, 1, 0, 2)
    assert r.output_shape == (10, 5)
    assert (
        r.output_shape
        == ops.correlate(
            np.zeros((20, 11)), np.zeros((3, 4)), OpOptions(stride=(2, 1), padding=(1, 0), dilation=(1, 2))
        ).shape
    )
    assert second.formula == "o = floor((11 + 2*0 - 4 - (4-1)*(2-1)) / 1) + 1 = 5"
    assert (first.full, first.same, second.full, second.same) == (11, 10, 17, 11)


@pytest.mark.parametrize(("i", "k", "s", "d"), [(7, 3, 2, 1), (8, 2, 3, 2), (5, 4, 1, 1), (9, 3, 2, 3)])
def test_full_and_same_sizes_match_ops(i, k, s, d):
    axis = shapes.report((i,), (k,), (s,), (0,), (d,)).axes[0]
    a, b = np.zeros(i), np.zeros(k)
    for mode, size in ((Mode.FULL, axis.full), (Mode.SAME, axis.same)):
        assert ops.correlate(a, b, OpOptions(mode=mode, stride=(s,), dilation=(d,))).shape == (size,)


@pytest.mark.parametrize(("i", "k", "s", "d"), [(7, 3, 2, 1), (4, 2, 3, 2), (5, 4, 1, 1)])
def test_transposed_full_and_same_sizes(i, k, s, d):
    axis = shapes.report((i,), (k,), (s,), (0,), (d,), transposed=True).axes[0]
    uncropped = conv_transpose(np.zeros(i), np.zeros(k), TransposeOptions(stride=(s,), dilation=(d,)))
    assert axis.full == uncropped.shape[0]
    assert axis.same == i * s


def test_report_same_pads_per_convention():
    pads = shapes.report((5,), (2,), (1,), (0,), (1,)).axes[0].same_pads
    assert pads == {
        (Convention.SCIPY, Op.CONVOLVE): (1, 0),
        (Convention.SCIPY, Op.CORRELATE): (0, 1),
        (Convention.NUMPY, Op.CONVOLVE): (1, 0),
        (Convention.NUMPY, Op.CORRELATE): (1, 0),
        (Convention.MATLAB, Op.CONVOLVE): (0, 1),
        (Convention.MATLAB, Op.CORRELATE): (0, 1),
        (Convention.TORCH, Op.CONVOLVE): (0, 1),
        (Convention.TORCH, Op.CORRELATE): (0, 1),
        (Convention.TENSORFLOW, Op.CONVOLVE): (0, 1),
        (Convention.TENSORFLOW, Op.CORRELATE): (0, 1),
    }


def test_report_errors():
    with pytest.raises(UsageError, match=r"^--stride takes 1 or 2 numbers for 2 spatial axes, got 3: 1,2,3$"):
        shapes.report((8, 8), (3,), (1, 2, 3))
    with pytest.raises(UsageError, match=r"^the kernel 3x3x3 has more axes than the input 8x8$"):
        shapes.report((8, 8), (3, 3, 3))
    with pytest.raises(UsageError, match=r"^--output-padding applies to transposed convolutions only"):
        shapes.report((8, 8), (3,), output_padding=(1,))
    with pytest.raises(
        ShapeError, match=r"^o = floor\(\(3 \+ 2\*0 - 5 - \(5-1\)\*\(1-1\)\) / 1\) \+ 1 = -1: "
    ):
        shapes.report((3,), (5,))


# --- 'same' padding per library --------------------------------------------------------------------

SIGNAL = np.array([1, 2, 3, 4, 5])
EVEN = np.array([1, 2])


def _padded(op, convention):
    pads = shapes.same_padding(convention, op, 5, 2, 1, 1)
    fn = ops.convolve if op is Op.CONVOLVE else ops.correlate
    return pads, fn(SIGNAL, EVEN, OpOptions(padding=pads)).value.tolist()


@pytest.mark.parametrize(
    ("convention", "op", "pads", "values"),
    [
        (Convention.SCIPY, Op.CONVOLVE, (1, 0), [1, 4, 7, 10, 13]),
        (Convention.NUMPY, Op.CONVOLVE, (1, 0), [1, 4, 7, 10, 13]),
        (Convention.MATLAB, Op.CONVOLVE, (0, 1), [4, 7, 10, 13, 10]),
        (Convention.SCIPY, Op.CORRELATE, (0, 1), [5, 8, 11, 14, 5]),
        (Convention.MATLAB, Op.CORRELATE, (0, 1), [5, 8, 11, 14, 5]),
        (Convention.TORCH, Op.CORRELATE, (0, 1), [5, 8, 11, 14, 5]),
        (Convention.TENSORFLOW, Op.CORRELATE, (0, 1), [5, 8, 11, 14, 5]),
        (Convention.NUMPY, Op.CORRELATE, (1, 0), [2, 5, 8, 11, 14]),
    ],
)
def test_same_padding_even_kernel(convention, op, pads, values):
    assert _padded(op, convention) == (pads, values)
    # and ops' own 'same' mode under that convention agrees
    fn = ops.convolve if op is Op.CONVOLVE else ops.correlate
    assert fn(SIGNAL, EVEN, OpOptions(mode=Mode.SAME, convention=convention)).value.tolist() == values


def test_numpy_convention_is_numpy():
    assert np.convolve(SIGNAL, EVEN, "same").tolist() == _padded(Op.CONVOLVE, Convention.NUMPY)[1]
    assert np.correlate(SIGNAL, EVEN, "same").tolist() == _padded(Op.CORRELATE, Convention.NUMPY)[1]


def test_same_padding_uses_the_dilated_extent():
    # k = 2 dilated by 3 spans 4 cells: scipy correlate starts at 4//2 = 2
    assert shapes.same_padding(Convention.SCIPY, Op.CORRELATE, 9, 2, 1, 3) == (1, 2)
    assert shapes.same_padding(Convention.TORCH, Op.CORRELATE, 9, 3, 1, 2) == (2, 2)


def test_tensorflow_stride_rule():
    assert shapes.same_padding(Convention.TENSORFLOW, Op.CORRELATE, 5, 3, 2, 1) == (1, 1)
    assert shapes.same_padding(Convention.TENSORFLOW, Op.CORRELATE, 6, 3, 2, 1) == (0, 1)
    assert shapes.same_padding(Convention.TENSORFLOW, Op.CORRELATE, 2, 1, 3, 1) == (0, 0)


def test_torch_refuses_strided_same():
    text = shapes.same_padding(Convention.TORCH, Op.CORRELATE, 5, 3, 2, 1)
    assert text == (
        "torch refuses 'same' with a stride above 1 (\"padding='same' is not supported for strided "
        'convolutions"); use --convention tensorflow, another convention, or an explicit --padding'
    )


# --- bad numbers -----------------------------------------------------------------------------------


def test_output_size_errors():
    with pytest.raises(ShapeError) as info:
        shapes.output_size(4, 3, 1, 0, 2)
    assert info.value.message == (
        "o = floor((4 + 2*0 - 3 - (3-1)*(2-1)) / 1) + 1 = 0: the kernel (extent 5) is larger than the "
        "padded input (4); the output size must be at least 1"
    )
    with pytest.raises(UsageError, match=r"^--stride takes a whole number >= 1, got 0$"):
        shapes.output_size(4, 3, 0)
    with pytest.raises(UsageError, match=r"^--padding takes a whole number >= 0, got -1$"):
        shapes.output_size(4, 3, 1, -1)
    with pytest.raises(UsageError, match=r"^the kernel size takes a whole number >= 1, got 0$"):
        shapes.output_size(4, 0)


def test_transposed_size_errors():
    with pytest.raises(UsageError, match=r"output padding 1 with stride 1 and dilation 1$"):
        shapes.transposed_size(4, 3, 1, 0, 1, 1)
    with pytest.raises(ShapeError, match=r"^o = 1\*\(2-1\) \+ 0 \+ 1\*\(2-1\) \+ 1 - 2\*2 = -1: "):
        shapes.transposed_size(2, 2, 1, 2)


def test_numpy_integers_are_accepted():
    assert shapes.output_size(np.int64(7), np.int64(3)) == 5
    assert type(shapes.output_size(np.int64(7), np.int64(3))) is int


# --- parse_size -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "size"),
    [("32", (32,)), ("32x32", (32, 32)), ("32,32", (32, 32)), ("3x32x32", (3, 32, 32)), (" 3 X 4 ", (3, 4))],
)
def test_parse_size(text, size):
    assert shapes.parse_size(text) == size


@pytest.mark.parametrize("text", ["", "x", "32x", "3.5", "32x-1", "a", "3x3x", "٣", "1e3"])
def test_parse_size_junk(text):
    with pytest.raises(UsageError) as info:
        shapes.parse_size(text, "--input")
    assert info.value.message == (
        "--input: expected whole numbers separated by x or commas, such as 32, 32x32 or 3x32x32; "
        f'got "{text}"'
    )


def test_parse_size_zero_and_huge():
    with pytest.raises(UsageError, match=r'^--kernel: every size must be at least 1, got "0x3"$'):
        shapes.parse_size("0x3", "--kernel")
    with pytest.raises(UsageError, match=r"more than 18 digits"):
        shapes.parse_size("9" * 5000)


# --- pooling sizes ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("n", "k", "s", "p", "d", "ceil", "size"),
    [
        (32, 2, None, 0, 1, False, 16),  # LeNet: stride defaults to the window
        (28, 2, None, 0, 1, False, 14),
        (5, 2, None, 0, 1, False, 2),  # floor drops the last, partial window
        (5, 2, None, 0, 1, True, 3),  # ceil keeps it: [4, 5] runs one past the input
        (112, 3, 2, 1, 1, False, 56),  # ResNet's stem pool
        (55, 3, 2, 0, 1, True, 27),  # GoogLeNet-style ceil pool: 26.0 rounds to 26, + 1
        (56, 3, 2, 0, 1, True, 28),  # 53/2 = 26.5 rounds up to 27, + 1
        (5, 2, 2, 1, 1, True, 3),  # ceil gives 4, but that window would start at 6 = n + p
        (6, 3, 3, 1, 1, True, 3),  # ceil gives 3: the window starting at 6 covers input cell 5
        (9, 3, 1, 0, 2, False, 5),  # dilated window spans 5 cells
        (1, 1, 1, 0, 1, False, 1),
    ],
)
def test_pool_output_size_hand_worked(n, k, s, p, d, ceil, size):
    assert shapes.pool_output_size(n, k, s, p, d, ceil) == size


def test_pool_floor_mode_is_the_convolution_size():
    for n in range(1, 14):
        for k in range(1, 5):
            for s in range(1, 4):
                for p in range(k // 2 + 1):
                    for d in range(1, 3):
                        try:
                            expected = shapes.output_size(n, k, s, p, d)
                        except ShapeError:
                            with pytest.raises(ShapeError):
                                shapes.pool_output_size(n, k, s, p, d)
                            continue
                        assert shapes.pool_output_size(n, k, s, p, d) == expected


def test_pool_output_size_against_torch():
    torch = pytest.importorskip("torch", reason="torch is not installed")
    functional = torch.nn.functional
    checked = refused = 0
    for n in range(1, 12):
        for k in range(1, 5):
            for s in range(1, 4):
                for p in range(k // 2 + 1):
                    for d in range(1, 3):
                        for ceil in (False, True):
                            x = torch.zeros(1, 1, n, n)
                            try:
                                got = functional.max_pool2d(x, k, s, p, d, ceil_mode=ceil).shape[-1]
                            except RuntimeError:
                                with pytest.raises(ShapeError):
                                    shapes.pool_output_size(n, k, s, p, d, ceil)
                                refused += 1
                                continue
                            assert shapes.pool_output_size(n, k, s, p, d, ceil) == got, (n, k, s, p, d, ceil)
                            if d == 1:
                                avg = functional.avg_pool2d(x, k, s, p, ceil_mode=ceil).shape[-1]
                                assert shapes.pool_output_size(n, k, s, p, 1, ceil) == avg
                            checked += 1
    assert checked > 800 and refused > 20


def test_pool_output_size_refusals():
    with pytest.raises(UsageError) as info:
        shapes.pool_output_size(8, 2, 2, 2)
    assert (
        info.value.message == "pooling padding 2 is more than half the window size 2; torch allows at most 1"
    )
    with pytest.raises(ShapeError) as shape_info:
        shapes.pool_output_size(2, 3)
    assert shape_info.value.message == (
        "o = floor((2 + 2*0 - 3 - (3-1)*(1-1)) / 3) + 1 = 0: the window (extent 3) is larger than the "
        "padded input (2); the output size must be at least 1"
    )
    with pytest.raises(UsageError, match=r"^--stride takes a whole number >= 1, got 0$"):
        shapes.pool_output_size(8, 2, 0)


def test_pool_size_text():
    assert shapes.pool_size_text(5, 2, 2, 0, 1, False) == "o = floor((5 + 2*0 - 2 - (2-1)*(1-1)) / 2) + 1 = 2"
    assert shapes.pool_size_text(5, 2, 2, 0, 1, True) == "o = ceil((5 + 2*0 - 2 - (2-1)*(1-1)) / 2) + 1 = 3"
    assert shapes.pool_size_text(5, 2, 2, 1, 1, True) == (
        "o = ceil((5 + 2*1 - 2 - (2-1)*(1-1)) / 2) + 1 = 4, less 1 = 3: the last window would start "
        "at 2*(4-1) = 6, in the right padding (from 5 + 1 = 6 on)"
    )
