"""--groups: torch's grouped and depthwise layers through ops, steps, im2col, compare and the
command line, against an exact loop written here and torch where installed."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from convcli import ops
from convcli.cli import ExitCode
from convcli.comparison import CNN_NOTE, compare
from convcli.errors import ShapeError, UsageError
from convcli.im2col import im2col
from convcli.model import Op, OpOptions
from convcli.steps import derive, step_lines

from .clicheck import run
from .test_engine_layer import layers, loop_layer, make_layer

try:
    import torch
except ImportError:  # torch is an optional cross-check, never a dependency
    torch = None

needs_torch = pytest.mark.skipif(torch is None, reason="torch is not installed (optional cross-check)")

X = np.arange(4 * 3 * 3).reshape(4, 3, 3)
W = np.arange(2 * 2 * 2 * 2).reshape(2, 2, 2, 2)
GROUPED = OpOptions(channels=True, groups=2)


def test_a_grouped_layer_by_hand() -> None:
    # filter 0 reads channels 0 and 1, filter 1 channels 2 and 3
    got = ops.correlate(X, W, GROUPED).value
    assert got[0, 0, 0] == (0 * 0 + 1 * 1 + 3 * 2 + 4 * 3) + (9 * 4 + 10 * 5 + 12 * 6 + 13 * 7)
    assert got[1, 0, 0] == (18 * 8 + 19 * 9 + 21 * 10 + 22 * 11) + (27 * 12 + 28 * 13 + 30 * 14 + 31 * 15)
    assert got.tolist() == loop_layer(X, W, groups=2).tolist()


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(layers, st.integers(0, 2**32))
def test_grouped_convolve_turns_each_filter_and_keeps_the_channels(spec, seed) -> None:
    rng = np.random.default_rng(seed)
    x, w, stride, dilation, g = make_layer(rng, spec, "int")
    options = OpOptions(channels=True, groups=g, stride=stride, dilation=dilation)
    ref = loop_layer(x, w[:, :, ::-1, ::-1], stride, dilation, g)
    ref = ref[0] if w.shape[0] == 1 else ref
    assert ops.convolve(x, w, options).value.tolist() == ref.tolist()


@needs_torch
@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(layers, st.integers(0, 2**32))
def test_grouped_convolve_agrees_with_torch(spec, seed) -> None:
    rng = np.random.default_rng(seed)
    x, w, stride, dilation, g = make_layer(rng, spec, "float")
    options = OpOptions(channels=True, groups=g, stride=stride, dilation=dilation, padding=(1, 0))
    ref = torch.nn.functional.conv2d(
        torch.from_numpy(x)[None],
        torch.from_numpy(w[:, :, ::-1, ::-1].copy()),
        stride=stride,
        padding=(1, 0),
        dilation=dilation,
        groups=g,
    )[0].numpy()
    ref = ref[0] if w.shape[0] == 1 else ref
    got = ops.convolve(x, w, options).value
    np.testing.assert_allclose(got, ref, rtol=1e-12, atol=1e-12 * np.abs(ref).max())


def test_a_3d_kernel_with_groups_is_one_single_channel_filter_per_group() -> None:
    b = np.arange(4 * 2 * 2).reshape(4, 2, 2)
    result = ops.correlate(X, b, OpOptions(channels=True, groups=4))
    assert result.value.tolist() == loop_layer(X, b[:, None], groups=4).tolist()
    assert result.notes == (
        "B (4x2x2) is read as 4x1x2x2: with --groups 4, each of its 4 filters reads one channel",
    )


@pytest.mark.parametrize(
    ("x_shape", "w_shape", "groups", "message"),
    [
        (
            (4, 3, 3),
            (2, 2, 2, 2),
            3,
            "--groups 3: A has 4 channels, not divisible by 3; B is O x C/G x kh x kw",
        ),
        ((4, 3, 3), (3, 2, 2, 2), 2, "--groups 2: B (3x2x2x2) has 3 filters, not divisible by 2"),
        (
            (4, 3, 3),
            (2, 4, 2, 2),
            2,
            "--groups 2: A has 4 channels, so each filter reads 4/2 = 2, but B (2x4x2x2) has 4 per filter",
        ),
        ((4, 3, 3), (2, 2, 2), 2, "B (2x2x2) has 1 filter (a 3-D B is one filter; write O x C/G x kh x kw"),
    ],
)
def test_groups_that_do_not_fit_say_the_numbers(x_shape, w_shape, groups, message) -> None:
    options = OpOptions(channels=True, groups=groups)
    with pytest.raises(ShapeError) as error:
        ops.correlate(np.zeros(x_shape, dtype=np.int64), np.zeros(w_shape, dtype=np.int64), options)
    assert message in error.value.message


def test_groups_need_channels_and_a_whole_number_above_zero() -> None:
    with pytest.raises(UsageError, match=r"--groups 2 splits the channels of a layer: add --channels"):
        ops.correlate(X[0], W[0, 0], OpOptions(groups=2))
    with pytest.raises(UsageError, match=r"--groups takes a whole number >= 1, got 0"):
        ops.correlate(X, W, OpOptions(channels=True, groups=0))


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--groups", "3"], "error: --groups 3: A has 4 channels, not divisible by 3; "),
        (["--groups", "0"], "error: --groups takes a whole number >= 1, got 0\n"),
        (["--groups", "two"], 'error: --groups takes one whole number (like 2), got "two"\n'),
        (["--groups", "2,2"], 'error: --groups takes one whole number (like 2), got "2,2"\n'),
    ],
)
def test_cli_group_errors_are_one_line_and_exit_2(args, message) -> None:
    x = '"' + str(X.tolist()) + '"'
    w = str(W.tolist())
    result = run("correlate", x.strip('"'), w, "--channels", *args)
    assert result.exit_code == ExitCode.USAGE_OR_INPUT
    assert result.stdout == ""
    assert result.stderr.startswith(message)
    assert result.stderr.count("\n") == 1


def test_cli_grouped_correlate_and_convolve() -> None:
    result = run("correlate", str(X.tolist()), str(W.tolist()), "--channels", "--groups", "2")
    assert (result.exit_code, result.stderr) == (ExitCode.OK, "")
    assert result.stdout == "268 296\n352 380\n\n2340 2432\n2616 2708\n"
    result = run("convolve", str(X.tolist()), str(W.tolist()), "--channels", "--groups", "2", "-f", "json")
    assert (result.exit_code, result.stderr) == (ExitCode.OK, f"note: {CNN_NOTE}\n")
    doc = json.loads(result.stdout)
    assert doc["groups"] == 2 and doc["channels"] is True
    assert doc["result"] == [
        [[int(v) for v in row] for row in m] for m in loop_layer(X, W[:, :, ::-1, ::-1], groups=2)
    ]


def test_steps_read_only_the_group_channels_and_say_which() -> None:
    derivation = derive(Op.CORRELATE, X, W, GROUPED, max_steps=8)
    right = ops.correlate(X, W, GROUPED).value
    for step in derivation.steps:
        assert step.value == right[step.cell]
        assert step.window.shape == (2, 2, 2)
        assert step.first_channel == 2 * step.cell[0]
    last = derivation.steps[4]
    assert step_lines(derivation, last) == [
        "C[1, 0, 0]:",
        "  group 1 of 2: this filter reads channels 2 to 3 of A only",
        "  channel 2: (18*8)+(19*9)+(21*10)+(22*11) = 144+171+210+242 = 767",
        "  channel 3: (27*12)+(28*13)+(30*14)+(31*15) = 324+364+420+465 = 1573",
        "  sum over channels: 767+1573 = 2340",
    ]


def test_steps_cli_names_the_group_formula() -> None:
    result = run("steps", str(X.tolist()), str(W.tolist()), "--channels", "--groups", "2", "--at", "1,0,0")
    assert (result.exit_code, result.stderr) == (ExitCode.OK, "")
    assert result.stdout.startswith(
        "# correlate, mode valid: C[o, i, j] = sum over c, u, v of A[g·C/2 + c, i+u, j+v] * B[o, c, u, v], "
        "g = o // (O/2) the group of filter o"
    )
    assert "  group 1 of 2: this filter reads channels 2 to 3 of A only\n" in result.stdout


def test_im2col_of_a_grouped_layer_is_one_block_per_group() -> None:
    view = im2col(Op.CORRELATE, X, W, GROUPED)
    assert view.equal and view.groups == 2
    assert view.patches.shape == (16, 4)  # a row per tap of each of A's 4 channels
    assert view.kernel_rows.tolist() == [
        [0, 1, 2, 3, 4, 5, 6, 7, 0, 0, 0, 0, 0, 0, 0, 0],
        [0, 0, 0, 0, 0, 0, 0, 0, 8, 9, 10, 11, 12, 13, 14, 15],
    ]
    assert view.product.tolist() == ops.correlate(X, W, GROUPED).value.tolist()
    depthwise = im2col(Op.CONVOLVE, X, np.arange(16).reshape(4, 2, 2), OpOptions(channels=True, groups=4))
    assert depthwise.equal and depthwise.kernel_rows.shape == (4, 16)
    result = run("im2col", str(X.tolist()), str(W.tolist()), "--channels", "--groups", "2")
    assert (result.exit_code, result.stderr) == (ExitCode.OK, "")
    assert "# kernel rows, one block per group (2): B[:,0,0,0] B[:,0,0,1] " in result.stdout


def test_compare_explains_groups_and_depthwise() -> None:
    facts = {f.topic: f.text for f in compare(X, W, GROUPED).facts}
    assert facts["depth"] == (
        "Over depth a CNN layer takes a dot product, and with --groups 2 only within a group: A's 4 channels "
        "and the 2 filters are split into 2 groups, and filter o reads only the 2 channels of its group "
        "o // 1; at [0, 0] filter 0 gives 19 + 249 = 268."
    )
    depthwise = compare(X, np.arange(16).reshape(4, 2, 2), OpOptions(channels=True, groups=4))
    facts = {f.topic: f.text for f in depthwise.facts}
    assert (
        "filter o reads only one channel, its own (a depthwise layer: no sum over depth at all)"
        in facts["depth"]
    )
    assert "each filter over its own group's channels" in facts["window"]


# --- conv-transpose --------------------------------------------------------------------------------


def loop_transpose(x, w, stride, padding, output_padding, dilation, groups):
    """out[g·Cout/G + co, i·s + u·d - p, j·s + v·d - p] += x[ci, i, j] · w[ci, co, u, v], g = ci's group,
    one term at a time on Python numbers."""
    cin, h, wd = x.shape
    _, cout, kh, kw = w.shape
    size = [
        (n - 1) * s + d * (k - 1) + 1 + a - 2 * p
        for n, k, s, p, a, d in zip((h, wd), (kh, kw), stride, padding, output_padding, dilation, strict=True)
    ]
    out = np.empty((cout * groups, *(max(n, 0) for n in size)), dtype=object)
    out[...] = 0
    for ci in range(cin):
        g = ci // (cin // groups)
        for co in range(cout):
            for i in range(h):
                for j in range(wd):
                    for u in range(kh):
                        for v in range(kw):
                            r = i * stride[0] + u * dilation[0] - padding[0]
                            c = j * stride[1] + v * dilation[1] - padding[1]
                            if 0 <= r < size[0] and 0 <= c < size[1]:
                                out[g * cout + co, r, c] += int(x[ci, i, j]) * int(w[ci, co, u, v])
    return out


transposed = st.tuples(
    st.integers(1, 3),  # groups
    st.integers(1, 2),  # input channels per group
    st.integers(1, 2),  # output channels per group
    st.integers(1, 3),  # kh
    st.integers(1, 3),  # kw
    st.integers(1, 3),  # stride
    st.integers(1, 2),  # dilation
    st.integers(0, 1),  # padding
    st.integers(1, 3),  # input size
)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(transposed, st.integers(0, 2**32))
def test_grouped_conv_transpose_is_exact(spec, seed) -> None:
    from convcli.model import TransposeOptions
    from convcli.transpose import conv_transpose, scatter_steps

    g, cin, cout, kh, kw, s, d, p, n = spec
    rng = np.random.default_rng(seed)
    x = rng.integers(-9, 10, (g * cin, n, n + 1))
    w = rng.integers(-9, 10, (g * cin, cout, kh, kw))
    a = 1 if s > 1 else 0
    options = TransposeOptions((s,), (p,), (a,), (d,), channels=True, groups=g)
    ref = loop_transpose(x, w, (s, s), (p, p), (a, a), (d, d), g)
    if min(ref.shape[1:]) < 1 or (n - 1) * s + d * (max(kh, kw) - 1) + 1 + a - 2 * p < 1:
        with pytest.raises(ShapeError):
            conv_transpose(x, w, options)
        return
    ref = ref[0] if ref.shape[0] == 1 else ref
    assert conv_transpose(x, w, options).value.tolist() == ref.tolist()
    view = scatter_steps(x, w, options, max_steps=x.size)
    assert view.result.tolist() == ref.tolist()
    for step in view.steps if g > 1 else ():  # each input cell scatters only into its group's channels
        group = step.cell[0] // cin
        outside = np.delete(step.contribution, range(group * cout, (group + 1) * cout), axis=0)
        assert all(v == 0 for v in outside.flat)


@needs_torch
def test_grouped_conv_transpose_agrees_with_torch() -> None:
    from convcli.model import TransposeOptions
    from convcli.transpose import conv_transpose

    rng = np.random.default_rng(5)
    for g, s, p, a, d in [(2, 2, 1, 1, 1), (3, 1, 0, 0, 2), (6, 3, 1, 2, 1)]:
        x = rng.standard_normal((6, 4, 5))
        w = rng.standard_normal((6, 2, 3, 2))
        ours = conv_transpose(x, w, TransposeOptions((s,), (p,), (a,), (d,), True, g)).value
        theirs = torch.nn.functional.conv_transpose2d(
            torch.from_numpy(x)[None],
            torch.from_numpy(w),
            stride=s,
            padding=p,
            output_padding=a,
            dilation=d,
            groups=g,
        )[0].numpy()
        np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-12)


def test_conv_transpose_groups_on_the_command_line() -> None:
    x, w = "[[[1,2],[3,4]],[[5,6],[7,8]]]", "[[[[1,1],[1,1]]],[[[1,0],[0,1]]]]"
    result = run("conv-transpose", x, w, "--channels", "--groups", "2")
    assert (result.exit_code, result.stderr) == (ExitCode.OK, "")
    assert result.stdout == "1  3 2\n4 10 6\n3  7 4\n\n5  6 0\n7 13 6\n0  7 8\n"
    result = run("conv-transpose", x, w, "--channels", "--groups", "2", "-f", "json")
    assert (result.exit_code, result.stderr) == (ExitCode.OK, "")
    doc = json.loads(result.stdout)
    assert doc["groups"] == 2
    assert doc["result"] == [[[1, 3, 2], [4, 10, 6], [3, 7, 4]], [[5, 6, 0], [7, 13, 6], [0, 7, 8]]]
    result = run("conv-transpose", x, w, "--channels", "--groups", "3")
    assert (result.exit_code, result.stdout) == (ExitCode.USAGE_OR_INPUT, "")
    assert result.stderr == (
        "error: --groups 3: A has 2 channels, not divisible by 3; B is C_in x C_out/G x kh x kw, and the "
        "input channels of group g scatter only into its C_out/G output channels\n"
    )
    result = run("conv-transpose", "1 2; 3 4", "1 1; 1 1", "--groups", "2")
    assert (result.exit_code, result.stdout) == (ExitCode.USAGE_OR_INPUT, "")
    assert result.stderr.startswith("error: --groups 2 splits the channels of a layer: add --channels")
