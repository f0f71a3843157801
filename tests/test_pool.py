"""Max and average pooling and their gradient against loops written here from torch's definition,
hand-worked values, torch itself where installed, exactness and every refusal."""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from convcli.errors import ShapeError, UsageError
from convcli.model import Kind, PoolKind, PoolOf
from convcli.pool import pool
from convcli.pool_geometry import WORK_LIMIT, PoolOptions, geometry

# --- the reference: torch's definition as plain loops over nested lists --------------------------


def _size(n, k, s, p, d, ceil):
    """torch's pooling_output_shape: windows of extent d(k-1)+1 every s cells of the padded input,
    the count of strides rounded down (or up in ceil mode, less a last window that would start in
    the right padding)."""
    span = Fraction(n + 2 * p - (d * (k - 1) + 1), s)
    o = (math.ceil(span) if ceil else math.floor(span)) + 1
    if ceil and (o - 1) * s >= n + p:
        o -= 1
    return o


def reference(
    a,
    kind="max",
    size=(2, 2),
    stride=None,
    padding=(0, 0),
    dilation=(1, 1),
    ceil=False,
    count_pad=True,
    G=None,
):
    """Pool a 2-D nested list; return (output, grad_input) as nested lists of Python numbers.

    max: the window's taps inside A, scanned row by row; a tap replaces the running maximum when
    it is larger or a nan (torch's CPU kernel). avg: the sum of the taps inside A over the number
    of taps inside the padded input (count_pad) or inside A."""
    stride = stride or size
    (H, W), (kh, kw), (sh, sw), (ph, pw), (dh, dw) = (len(a), len(a[0])), size, stride, padding, dilation
    oh, ow = _size(H, kh, sh, ph, dh, ceil), _size(W, kw, sw, pw, dw, ceil)
    out = [[None] * ow for _ in range(oh)]
    grad = [[0] * W for _ in range(H)]
    for i in range(oh):
        for j in range(ow):
            rows = [i * sh - ph + u * dh for u in range(kh)]
            cols = [j * sw - pw + v * dw for v in range(kw)]
            inside = [(r, c) for r in rows for c in cols if 0 <= r < H and 0 <= c < W]
            g = 1 if G is None else G[i][j]
            if kind == "max":
                best = None
                for r, c in inside:
                    x = a[r][c]
                    if best is None or x > a[best[0]][best[1]] or (isinstance(x, float) and math.isnan(x)):
                        best = (r, c)
                out[i][j] = a[best[0]][best[1]]
                grad[best[0]][best[1]] += g
            else:
                if count_pad:
                    count = sum(1 for r in rows if r < H + ph) * sum(1 for c in cols if c < W + pw)
                else:
                    count = len(inside)
                total = sum(a[r][c] for r, c in inside)
                exact = not isinstance(total, float)
                out[i][j] = Fraction(total, 1) / count if exact else total / count
                share = Fraction(g) / count if not isinstance(g, float) else g / count
                for r, c in inside:
                    grad[r][c] += share
    return out, grad


def _same(ours, theirs):
    """Equal as exact values, or (floats) within rounding; nan stands for nan."""
    for x, y in zip(
        np.asarray(ours, dtype=object).ravel(), np.asarray(theirs, dtype=object).ravel(), strict=True
    ):
        if isinstance(x, float) or isinstance(y, float):
            if math.isnan(float(x)) or math.isnan(float(y)):
                assert math.isnan(float(x)) and math.isnan(float(y))
            else:
                assert float(x) == pytest.approx(float(y), rel=1e-12, abs=1e-12)
        else:
            assert x == y and type(x) is not float


D2L = np.arange(9).reshape(3, 3)


def opts(kind="max", size=2, stride=None, padding=0, dilation=1, ceil=False, count_pad=True):
    def tup(v):
        return None if v is None else (v,) if isinstance(v, int) else tuple(v)

    return PoolOptions(PoolKind(kind), tup(size), tup(stride), tup(padding), tup(dilation), ceil, count_pad)


# --- hand-worked values -------------------------------------------------------------------------


def test_d2l_max_pool_with_stride_1():
    result = pool(D2L, opts(size=2, stride=1))
    assert result.output.tolist() == [[4, 5], [7, 8]]
    assert result.output.dtype == np.int64
    assert result.kind is Kind.INTEGER
    assert result.name == "max-pool"
    assert result.value is result.output


def test_torch_default_stride_is_the_window():
    assert pool(D2L, opts(size=2)).output.tolist() == [[4]]
    assert geometry((3, 3), opts(size=2)).stride == (2, 2)


def test_d2l_avg_pool_is_exact():
    result = pool(D2L, opts("avg", size=2, stride=1))
    assert result.output.tolist() == [[2, 3], [5, 6]]
    assert result.kind is Kind.INTEGER  # every mean is whole: integers stay integers


def test_avg_of_two_and_three_is_five_halves():
    result = pool(np.array([[2, 3]]), opts("avg", size=(1, 2)))
    assert result.output.tolist() == [[Fraction(5, 2)]]
    assert result.kind is Kind.RATIONAL


def test_avg_counts_padding_unless_told_not_to():
    a = np.array([[4, 8], [12, 16]])
    # one window of 3x3 centred on each corner: 4 cells of A, 9 taps of the padded input
    assert pool(a, opts("avg", size=3, stride=1, padding=1)).output.tolist() == [[Fraction(40, 9)] * 2] * 2
    assert pool(a, opts("avg", size=3, stride=1, padding=1, count_pad=False)).output.tolist() == [
        [10, 10],
        [10, 10],
    ]


def test_ceil_mode_keeps_a_last_partial_window():
    a = np.arange(25).reshape(5, 5)
    assert pool(a, opts(size=2)).output.tolist() == [[6, 8], [16, 18]]
    assert pool(a, opts(size=2, ceil=True)).output.tolist() == [[6, 8, 9], [16, 18, 19], [21, 23, 24]]


def test_ceil_mode_avg_divides_by_the_taps_up_to_the_padded_edge():
    # torch: avg_pool2d(arange(25).view(5,5), 3, stride=2, padding=1, ceil_mode=True)[0, 2] = 8/3:
    # the window at columns 3..5 has column 5 in the padding (counted) and no column past it
    a = np.arange(25).reshape(5, 5)
    out = pool(a, opts("avg", size=3, stride=2, padding=1, ceil=True)).output
    assert out.tolist() == [
        [Fraction(4, 3), 3, Fraction(8, 3)],
        [7, 12, 9],
        [8, 13, Fraction(28, 3)],
    ]
    # 2x2 windows of a 5x5 input in ceil mode: the last one holds one cell, which is its mean
    assert pool(a, opts("avg", size=2, ceil=True)).output[2, 2] == 24


def test_ceil_mode_drops_a_window_that_would_start_in_the_right_padding():
    g = geometry((5, 5), opts(size=2, stride=2, padding=1, ceil=True))
    assert g.out_shape == (3, 3)  # ceil((5+2-2)/2)+1 = 4, but window 4 would start at 6 = 5+1
    assert "less 1 = 3" in g.formulas[0]


def test_max_pads_with_minus_infinity():
    a = np.array([[-5, -6], [-7, -8]])
    assert pool(a, opts(size=3, stride=1, padding=1)).output.tolist() == [[-5, -5], [-5, -5]]


def test_dilation_spreads_the_window():
    a = np.arange(16).reshape(4, 4)
    # taps at rows and columns 0 and 2, then 1 and 3
    assert pool(a, opts(size=2, stride=1, dilation=2)).output.tolist() == [[10, 11], [14, 15]]


def test_three_d_input_is_pooled_per_channel():
    a = np.stack([D2L, -D2L])
    result = pool(a, opts(size=2, stride=1))
    assert result.output.tolist() == [[[4, 5], [7, 8]], [[0, -1], [-3, -4]]]


def test_four_d_input_is_a_batch_as_in_torch():
    a = np.arange(2 * 3 * 4 * 4).reshape(2, 3, 4, 4)
    result = pool(a, opts(size=2))
    assert result.output.shape == (2, 3, 2, 2)
    assert result.output[1, 2].tolist() == [[a[1, 2, 1, 1], a[1, 2, 1, 3]], [a[1, 2, 3, 1], a[1, 2, 3, 3]]]


def test_one_d_input_pools_its_one_axis():
    result = pool(np.array([1, 5, 2, 4, 3]), opts(size=2, stride=1))
    assert result.output.tolist() == [5, 5, 4, 4]
    assert result.output.ndim == 1
    with pytest.raises(UsageError, match="--size takes one number for a 1-D input, got 2: 1,2"):
        pool(np.array([1, 5, 2]), opts(size=(1, 2)))


def test_per_axis_options():
    a = np.arange(20).reshape(4, 5)
    out = pool(a, opts(size=(2, 3), stride=(2, 1))).output
    assert out.tolist() == reference(a.tolist(), size=(2, 3), stride=(2, 1))[0]
    assert out.shape == (2, 3)


def test_fractions_max_and_avg():
    a = np.array([[Fraction(1, 2), Fraction(1, 3)], [Fraction(-1, 6), Fraction(2, 3)]], dtype=object)
    assert pool(a, opts(size=2)).output.tolist() == [[Fraction(2, 3)]]
    assert pool(a, opts("avg", size=2)).output.tolist() == [[Fraction(1, 3)]]


def test_huge_integers_stay_exact():
    big = 2**62
    a = np.array([[big, big], [big, big + 1]])
    result = pool(a, opts("avg", size=2))
    assert result.output.tolist() == [[Fraction(4 * big + 1, 4)]]
    assert pool(a, opts(size=2)).output.tolist() == [[big + 1]]
    assert pool(np.array([[big, big]]), opts("avg", size=(1, 2))).output.tolist() == [[big]]


def test_symbolic_average():
    from convcli.parsing import parse_inline

    a = parse_inline("a b; c d", source="A")
    result = pool(a, opts("avg", size=2))
    assert result.kind is Kind.SYMBOLIC
    assert str(result.output[0, 0]) == "a/4 + b/4 + c/4 + d/4"


def test_nan_is_the_maximum_of_its_window():
    a = np.array([[1.0, np.nan, 3.0, np.nan, 9.0]])
    result = pool(a, opts(size=(1, 5)), of=PoolOf.GRAD_INPUT)
    assert math.isnan(result.output[0, 0])
    # torch's CPU kernel takes every nan it meets: the gradient goes to the last one
    assert result.grad_input.tolist() == [[0.0, 0.0, 0.0, 1.0, 0.0]]
    assert result.ties[0].nan and result.ties[0].to == (0, 3)
    assert result.notes == (  # the gradient is finite: no note that nan reached it
        "no --upstream: G is all ones, so grad-input is the gradient of the output's sum",
        "window [0, 0] holds nan, its maximum: its gradient goes to the last nan, A[0, 3] (torch's rule)",
    )
    assert pool(a, opts(size=(1, 5))).notes == ("nan reached 1 cell: [0, 0]",)


# --- the gradient ------------------------------------------------------------------------------


def test_max_gradient_goes_to_the_first_maximum_and_ties_are_noted():
    a = np.array([[5, 5, 1], [1, 2, 3]])
    result = pool(a, opts(size=(2, 2), stride=1), upstream=np.array([[10, 20]]), of=PoolOf.GRAD_INPUT)
    assert result.output.tolist() == [[5, 5]]
    # window (0,0) holds 5 twice: the first, A[0,0]; window (0,1) holds 5 once, at A[0,1]
    assert result.grad_input.tolist() == [[10, 20, 0], [0, 0, 0]]
    assert result.value is result.grad_input
    assert result.tie_count == 1
    (tie,) = result.ties
    assert (tie.cell, tie.count, tie.value, tie.to, tie.nan) == ((0, 0), 2, 5, (0, 0), False)
    assert result.upstream_given


def test_overlapping_windows_add_up():
    result = pool(D2L, opts(size=2, stride=1), of=PoolOf.GRAD_INPUT)
    assert result.grad_input.tolist() == [[0, 0, 0], [0, 1, 1], [0, 1, 1]]
    result = pool(D2L, opts("avg", size=2, stride=1), of=PoolOf.GRAD_INPUT)
    q = Fraction(1, 4)
    assert result.grad_input.tolist() == [[q, 2 * q, q], [2 * q, 4 * q, 2 * q], [q, 2 * q, q]]
    assert result.grad_kind is Kind.RATIONAL


def test_without_upstream_g_is_all_ones():
    result = pool(D2L, opts(size=2), of=PoolOf.GRAD_INPUT)
    assert not result.upstream_given
    assert result.upstream.tolist() == [[1]]
    assert result.grad_input.tolist() == [[0, 0, 0], [0, 1, 0], [0, 0, 0]]


def test_upstream_with_of_output_computes_both():
    result = pool(D2L, opts(size=2), upstream=np.array([[7]]))
    assert result.value is result.output
    assert result.grad_input.tolist() == [[0, 0, 0], [0, 7, 0], [0, 0, 0]]


def test_gradient_kind_widens_with_a_float_input_or_g():
    result = pool(D2L.astype(float), opts(size=2), upstream=np.array([[3]]), of=PoolOf.GRAD_INPUT)
    assert result.grad_kind is Kind.FLOAT and result.grad_input.dtype == np.float64
    result = pool(
        D2L, opts("avg", size=3), upstream=np.array([[Fraction(9, 2)]], dtype=object), of="grad-input"
    )
    assert result.grad_input.tolist() == [[Fraction(1, 2)] * 3] * 3


def test_padding_cells_take_no_gradient():
    # count_pad: each corner window has 9 taps, 4 of them in A: A receives 4/9 of each G
    a = np.ones((2, 2), dtype=np.int64)
    result = pool(a, opts("avg", size=3, stride=1, padding=1), of=PoolOf.GRAD_INPUT)
    assert result.grad_input.tolist() == [[Fraction(4, 9)] * 2] * 2


def test_stride_2_gradient_hand_worked():
    a = np.array([[1, 3, 2, 1], [4, 2, 1, 5], [3, 1, 1, 0], [1, 2, 2, 4]])
    G = np.array([[1, 2], [3, 4]])
    result = pool(a, opts(size=2, stride=2), upstream=G, of=PoolOf.GRAD_INPUT)
    assert result.output.tolist() == [[4, 5], [3, 4]]
    assert result.grad_input.tolist() == [[0, 0, 0, 0], [1, 0, 0, 2], [3, 0, 0, 0], [0, 0, 0, 4]]


# --- random inputs against the loops ----------------------------------------------------------


def _numbers(kind):
    ints = st.integers(-6, 6)
    if kind == "int":
        return ints
    if kind == "fraction":
        return st.builds(Fraction, ints, st.integers(1, 4))
    return st.one_of(
        st.floats(-10, 10, allow_nan=False, width=32).map(float), st.just(float("nan")), ints.map(float)
    )


@st.composite
def cases(draw):
    kind = draw(st.sampled_from(["max", "avg"]))
    number = draw(st.sampled_from(["int", "fraction", "float"]))
    H, W = draw(st.integers(1, 6)), draw(st.integers(1, 6))
    entry = _numbers(number)  # built once: a strategy built per entry is validated per entry
    a = [[draw(entry) for _ in range(W)] for _ in range(H)]
    size = (draw(st.integers(1, 4)), draw(st.integers(1, 4)))
    stride = draw(st.one_of(st.none(), st.tuples(st.integers(1, 3), st.integers(1, 3))))
    padding = (draw(st.integers(0, size[0] // 2)), draw(st.integers(0, size[1] // 2)))
    dilation = (1, 1) if kind == "avg" else (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    ceil, count_pad = draw(st.booleans()), draw(st.booleans())
    return kind, a, size, stride, padding, dilation, ceil, count_pad


def _array(rows):
    flat = [x for row in rows for x in row]
    if all(type(x) is int for x in flat):
        return np.array(rows, dtype=np.int64)
    if any(isinstance(x, float) for x in flat):
        return np.array(rows, dtype=np.float64)
    out = np.empty((len(rows), len(rows[0])), dtype=object)
    out[...] = [list(row) for row in rows]
    return out


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cases(), st.data())
def test_matches_the_loops(case, data):
    kind, a, size, stride, padding, dilation, ceil, count_pad = case
    options = PoolOptions(PoolKind(kind), size, stride, padding, dilation, ceil, count_pad)
    stride_ = stride or size
    sizes = [
        _size(n, k, s, p, d, ceil)
        for n, k, s, p, d in zip((len(a), len(a[0])), size, stride_, padding, dilation, strict=True)
    ]
    if min(sizes) < 1:
        with pytest.raises(ShapeError, match="larger than the padded input"):
            pool(_array(a), options)
        return
    rows = [[i * stride_[0] - padding[0] + u * dilation[0] for u in range(size[0])] for i in range(sizes[0])]
    cols = [[j * stride_[1] - padding[1] + v * dilation[1] for v in range(size[1])] for j in range(sizes[1])]
    if any(all(not 0 <= r < len(a) for r in taps) for taps in rows) or any(
        all(not 0 <= c < len(a[0]) for c in taps) for taps in cols
    ):
        with pytest.raises(ShapeError, match="reads padding only"):
            pool(_array(a), options)
        return
    G = [[data.draw(st.integers(-5, 5)) for _ in range(sizes[1])] for _ in range(sizes[0])]
    out, grad = reference(a, kind, size, stride, padding, dilation, ceil, count_pad, G)
    result = pool(_array(a), options, upstream=np.array(G), of=PoolOf.GRAD_INPUT)
    _same(result.output, out)
    _same(result.grad_input, grad)
    assert result.output.shape == tuple(sizes)
    assert result.grad_input.shape == (len(a), len(a[0]))


@settings(max_examples=60, deadline=None)
@given(cases())
def test_channels_are_pooled_independently(case):
    kind, a, size, stride, padding, dilation, ceil, count_pad = case
    options = PoolOptions(PoolKind(kind), size, stride, padding, dilation, ceil, count_pad)
    x = _array(a)
    stacked = np.stack([x, x[::-1, ::-1]])
    try:
        one = [pool(x, options).output, pool(x[::-1, ::-1].copy(), options).output]
    except (ShapeError, UsageError):
        return
    both = pool(stacked, options).output
    for c in range(2):
        _same(both[c], one[c])


# --- torch ---------------------------------------------------------------------------------------


def _torch():
    return pytest.importorskip(
        "torch", reason="torch is not installed; the cross-checks with torch are skipped"
    )


@pytest.mark.parametrize("kind", ["max", "avg"])
def test_agrees_with_torch_and_its_autograd(kind):
    torch = _torch()
    F = torch.nn.functional
    rng = np.random.default_rng(13 if kind == "max" else 14)
    checked = 0
    for _ in range(150):
        H, W = rng.integers(1, 9, size=2)
        kh, kw = rng.integers(1, 5, size=2)
        sh, sw = rng.integers(1, 4, size=2)
        ph, pw = rng.integers(0, kh // 2 + 1), rng.integers(0, kw // 2 + 1)
        dh, dw = rng.integers(1, 3, size=2) if kind == "max" else (1, 1)
        ceil, count_pad = bool(rng.integers(2)), bool(rng.integers(2))
        # small integers as floats: many ties, so the first-maximum rule is put to the test
        x = rng.integers(-3, 4, size=(2, H, W)).astype(np.float64)
        if rng.random() < 0.2:
            x[rng.random(x.shape) < 0.2] = np.nan
        t = torch.tensor(x[None], requires_grad=True)
        args = {"kernel_size": (kh, kw), "stride": (sh, sw), "padding": (ph, pw), "ceil_mode": ceil}
        try:
            if kind == "max":
                y = F.max_pool2d(t, dilation=(dh, dw), **args)
            else:
                y = F.avg_pool2d(t, count_include_pad=count_pad, **args)
        except RuntimeError:
            with pytest.raises(ShapeError):
                pool(x, PoolOptions(kind, (kh, kw), (sh, sw), (ph, pw), (dh, dw), ceil, count_pad))
            continue
        if torch.isneginf(y).any():  # a dilated window in the padding only: refused here
            continue
        G = rng.integers(-3, 4, size=tuple(y.shape[1:]))
        (y * torch.tensor(G[None], dtype=torch.float64)).sum().backward()
        result = pool(
            x,
            PoolOptions(kind, (kh, kw), (sh, sw), (ph, pw), (dh, dw), ceil, count_pad),
            upstream=G,
            of="grad-input",
        )
        np.testing.assert_allclose(result.output, y[0].detach().numpy(), rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(result.grad_input, t.grad[0].numpy(), rtol=1e-12, atol=1e-12)
        checked += 1
    assert checked > 80


def test_torch_gives_minus_infinity_where_this_refuses():
    torch = _torch()
    y = torch.nn.functional.max_pool2d(
        torch.ones(1, 1, 1, 2), (1, 2), stride=1, padding=(0, 1), dilation=(1, 3)
    )
    assert torch.isneginf(y).all()
    with pytest.raises(
        ShapeError, match=r"output cell \[0, 0\] reads padding only \(rows \[0\], columns \[-1, 2\]"
    ):
        pool(np.ones((1, 2)), opts(size=(1, 2), stride=1, padding=(0, 1), dilation=(1, 3)))


# --- refusals --------------------------------------------------------------------------------------


def test_avg_has_no_dilation():
    with pytest.raises(
        UsageError, match=r"avg pooling has no --dilation \(torch's avg_pool2d takes none\), got --dilation 2"
    ):
        pool(D2L, opts("avg", dilation=2))


def test_padding_more_than_half_the_window():
    with pytest.raises(
        UsageError,
        match="max-pool, rows: pooling padding 2 is more than half the window size 3; torch allows at most 1",
    ):
        pool(D2L, opts(size=3, padding=2))
    with pytest.raises(
        UsageError, match="max-pool, columns: pooling padding 2 is more than half the window size 2"
    ):
        pool(D2L, opts(size=(3, 2), padding=(1, 2)))


def test_window_larger_than_the_padded_input():
    with pytest.raises(ShapeError) as err:
        pool(D2L, opts(size=5))
    assert err.value.message == (
        "max-pool, rows: o = floor((3 + 2*0 - 5 - (5-1)*(1-1)) / 5) + 1 = 0: the window (extent 5) is larger "
        "than the padded input (3); the output size must be at least 1"
    )


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("size", (0,), "--size takes whole numbers >= 1, got 0"),
        ("stride", (0,), "--stride takes whole numbers >= 1, got 0"),
        ("padding", (-1,), "--padding takes whole numbers >= 0, got -1"),
        ("dilation", (0,), "--dilation takes whole numbers >= 1, got 0"),
        ("size", (2, 2, 2), "--size takes 1 or 2 numbers for a window's rows and columns, got 3: 2,2,2"),
    ],
)
def test_bad_sizes(field, value, message):
    with pytest.raises(UsageError, match=message):
        pool(D2L, PoolOptions(**{field: value}))


def test_upstream_of_the_wrong_shape_names_both():
    with pytest.raises(ShapeError) as err:
        pool(D2L, opts(size=2, stride=1), upstream=np.ones((3, 3)), of="grad-input")
    assert err.value.message.startswith("max-pool --upstream: G is 3x3 but the max-pool output is 2x2")


def test_max_refuses_unordered_entries():
    with pytest.raises(UsageError, match="complex numbers have no order; avg pooling"):
        pool(np.array([[1 + 2j]]), opts(size=1))
    assert pool(np.array([[1 + 2j, 3 + 0j]]), opts("avg", size=(1, 2))).output.tolist() == [[2 + 1j]]


def test_bad_shapes():
    with pytest.raises(ShapeError, match="A is a scalar; pooling takes"):
        pool(np.array(5), opts())
    with pytest.raises(ShapeError, match="A is 1x1x1x1x1"):
        pool(np.ones((1, 1, 1, 1, 1)), opts(size=1))
    with pytest.raises(ShapeError, match="with no empty axis"):
        pool(np.ones((0, 3)), opts(size=1))


def test_hostile_window_is_refused_before_the_work():
    g = geometry((1, 2000), opts(size=(1, 1000), stride=1))
    assert g.out_shape == (1, 1001)
    with pytest.raises(
        UsageError,
        match=f"more than the {WORK_LIMIT:,} convcli takes on; use a larger --stride or a smaller --size",
    ):
        geometry((1, 10**6), opts(size=(1, 10**5), stride=1))
    with pytest.raises(UsageError, match="convcli takes on"):
        geometry((1, 10**7), opts(size=(1, 10**6)))


def test_inputs_are_not_modified():
    a = np.array([[3.0, np.nan], [1.0, 2.0]])
    before = a.copy()
    pool(a, opts(size=2, stride=1, padding=1), of="grad-input")
    pool(a, opts("avg", size=2, stride=1, padding=1), of="grad-input")
    np.testing.assert_array_equal(a, before)


def test_docstring_example():
    import doctest

    from convcli import pool as module

    result = doctest.testmod(module)
    assert result.failed == 0 and result.attempted >= 2


def test_strides_and_dilations_beyond_int64_change_nothing_they_should_not():
    huge = 10**20
    a = np.array([[1, 2], [3, 4]])
    assert pool(a, opts(size=1, stride=huge, ceil=True)).output.tolist() == [[1]]
    assert pool(a, opts(size=(1, 2), stride=1, dilation=(huge, 1))).output.tolist() == [[2], [4]]
    result = pool(a, opts("avg", size=2, stride=huge, padding=1, ceil=True), of="grad-input")
    assert result.output.tolist() == [[Fraction(1, 4)]]
    assert result.grad_input.tolist() == [[Fraction(1, 4), 0], [0, 0]]
