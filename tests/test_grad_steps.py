"""steps --op grad-input|grad-weight|grad-bias: each gradient cell derived on Python numbers, against
the exact derivative of the forward definition (test_grad.differentiated) and torch autograd;
every format, the frames of --play and html, and the refusals."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from convcli import ops, render_grad
from convcli.cli import ExitCode, app
from convcli.errors import ConvcliError
from convcli.frames_grad import animate_grad
from convcli.gradsteps import derive_grad, grad_step_lines
from convcli.model import GradOf, Op, OpOptions

from .test_grad import (
    channel_cases,
    differentiated,
    needs_torch,
    numbers,
    ops_,
    plain_cases,
    same_numbers,
    torch,
    values,
)
from .test_render import draw

X4 = "0 1 2 3; 4 5 6 7; 8 9 10 11; 12 13 14 15"
W2 = "1 2; 3 4"
G2 = "1 2; 3 4"


def run(*args: str, input: str | None = None):
    return CliRunner().invoke(app, ["steps", *args], input=input)


def assembled(view) -> np.ndarray:
    out = np.empty(view.shape, dtype=object)
    for step in view.steps:
        out[step.cell] = step.value
    return out


# --- by hand: a stride-2 layer -------------------------------------------------------------------


def test_stride_2_weight_gradient_by_hand() -> None:
    x = np.arange(16).reshape(4, 4)
    w = np.array([[1, 2], [3, 4]])
    g = np.array([[1, 2], [3, 4]])
    view = derive_grad(x, w, g, GradOf.WEIGHT, OpOptions(stride=(2,)))
    # dW[u, v] = X[u, v]*G[0, 0] + X[u, v+2]*G[0, 1] + X[u+2, v]*G[1, 0] + X[u+2, v+2]*G[1, 1]
    assert assembled(view).tolist() == [[68, 78], [108, 118]]
    assert grad_step_lines(view, view.steps[0]) == [
        "dW[0, 0]: X[0, 0]*G[0, 0] + X[0, 2]*G[0, 1] + X[2, 0]*G[1, 0] + X[2, 2]*G[1, 1] "
        "= (0*1)+(2*2)+(8*3)+(10*4) = 0+4+24+40 = 68"
    ]


def test_stride_2_input_gradient_scatters_g_times_w() -> None:
    x = np.arange(16).reshape(4, 4)
    w = np.array([[1, 2], [3, 4]])
    g = np.array([[1, 2], [3, 4]])
    view = derive_grad(x, w, g, GradOf.INPUT, OpOptions(stride=(2,)), max_steps=100)
    # each G cell copies G·W into its own 2x2 block: no overlaps with stride 2
    assert assembled(view).tolist() == [[1, 2, 2, 4], [3, 4, 6, 8], [3, 6, 4, 8], [9, 12, 12, 16]]
    assert grad_step_lines(view, view.steps[5]) == ["dX[1, 1]: G[0, 0]*W[1, 1] = 1*4 = 4"]


def test_the_input_gradient_turns_the_weights() -> None:
    """With stride 1 the centre of dX meets every tap, G[i, j] with W[2-i, 2-j]: W turned 180°."""
    x = np.zeros((5, 5), dtype=np.int64)
    w = np.arange(9).reshape(3, 3)
    g = np.arange(1, 10).reshape(3, 3)
    view = derive_grad(x, w, g, GradOf.INPUT, at=(2, 2))
    terms = view.steps[0].terms
    assert [(t.g_cell, t.other) for t in terms] == [
        ((i, j), (2 - i, 2 - j)) for i in range(3) for j in range(3)
    ]
    assert view.steps[0].value == sum((i * 3 + j + 1) * (8 - i * 3 - j) for i in range(3) for j in range(3))


def test_the_bias_gradient_is_one_step_per_filter() -> None:
    x = np.ones((2, 3, 3), dtype=np.int64)
    w = np.ones((3, 2, 2, 2), dtype=np.int64)
    g = np.arange(12).reshape(3, 2, 2)
    view = derive_grad(x, w, g, GradOf.BIAS, OpOptions(channels=True))
    assert [s.value for s in view.steps] == [6, 22, 38]
    assert grad_step_lines(view, view.steps[1]) == [
        "db[1]: G[1, 0, 0] + G[1, 0, 1] + G[1, 1, 0] + G[1, 1, 1] = 4+5+6+7 = 22"
    ]


def test_groups_are_named_in_words() -> None:
    x = np.arange(2 * 3 * 3).reshape(2, 3, 3)
    w = np.ones((4, 1, 2, 2), dtype=np.int64)
    options = OpOptions(channels=True, groups=2)
    dx = derive_grad(x, w, None, GradOf.INPUT, options, at=(1, 0, 0))
    assert dx.steps[0].filters == range(2, 4)
    assert (
        grad_step_lines(dx, dx.steps[0])[1]
        == "  channel 1 of X belongs to group 1 of 2: only filters 2 to 3 read it"
    )
    dw = derive_grad(x, w, None, GradOf.WEIGHT, options, at=(3, 0, 1, 1))
    assert dw.steps[0].channel == 1
    assert grad_step_lines(dw, dw.steps[0])[1] == "  filter 3 (group 1 of 2) reads channel 1 of X at this tap"
    assert dw.steps[0].value == 13 + 14 + 16 + 17


def test_wrapped_padding_is_named_as_the_way_the_gradient_comes_back() -> None:
    x = np.array([1, 2, 3])
    w = np.array([1, 10, 100])
    view = derive_grad(
        x, w, np.array([1, 1, 1]), GradOf.INPUT, OpOptions(mode="same", boundary="wrap"), at=(0,)
    )
    # X[0] is read directly by three taps and, wrapped, as the padding after X[2]... each tap once
    assert view.steps[0].value == 111
    assert any(t.padding for t in view.steps[0].terms)
    assert "through padding cells that copy it" in grad_step_lines(view, view.steps[0])[-1]


# --- the derivation agrees with the exact derivative ------------------------------------------------


def _check_every_cell(x, w, g, op, options) -> None:
    dx, dw, db = differentiated(op, x, w, g, options)
    for of, ref in ((GradOf.INPUT, dx), (GradOf.WEIGHT, dw), (GradOf.BIAS, db)):
        view = derive_grad(x, w, g, of, options, op=op, max_steps=10**6, max_terms=10**6)
        assert len(view.steps) == view.total_cells == max(ref.size, 1) and not view.capped
        same_numbers(assembled(view), ref, view.result.kind)
        for step in view.steps:  # the products add up to the value shown
            same_numbers(
                np.array(sum((t.product for t in step.terms), start=0)),
                np.array(step.value),
                view.result.kind,
            )


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(plain_cases(), ops_, numbers, st.integers(0, 2**32))
def test_every_cell_is_the_exact_derivative(case, op, number, seed) -> None:
    _, m, k, options = case
    rng = np.random.default_rng(seed)
    x, w = values(rng, m, number), values(rng, k, number)
    try:
        y = ops.run(op, x, w, options).value
    except ConvcliError:
        return
    _check_every_cell(x, w, values(rng, y.shape, number), op, options)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(channel_cases(), numbers, st.integers(0, 2**32))
def test_every_cell_of_a_layer_with_groups_is_the_exact_derivative(case, number, seed) -> None:
    x_shape, w_shape, options = case
    rng = np.random.default_rng(seed)
    x, w = values(rng, x_shape, number), values(rng, w_shape, number)
    try:
        y = ops.run(Op.CORRELATE, x, w, options).value
    except ConvcliError:
        return
    _check_every_cell(x, w, values(rng, y.shape, number), Op.CORRELATE, options)


@needs_torch
def test_cells_agree_with_torch_autograd() -> None:
    rng = np.random.default_rng(7)
    x, w = rng.standard_normal((4, 6, 5)), rng.standard_normal((6, 2, 3, 2))
    options = OpOptions(channels=True, groups=2, stride=(2, 1), padding=(1, 1), dilation=(1, 2))
    y = ops.correlate(x, w, options).value
    g = rng.standard_normal(y.shape)
    xt = torch.tensor(x[None], requires_grad=True)
    wt = torch.tensor(w, requires_grad=True)
    bt = torch.zeros(6, dtype=torch.float64, requires_grad=True)
    out = torch.nn.functional.conv2d(xt, wt, bt, stride=(2, 1), padding=(1, 1), dilation=(1, 2), groups=2)
    (out * torch.tensor(g[None])).sum().backward()
    for of, ref in ((GradOf.INPUT, xt.grad[0]), (GradOf.WEIGHT, wt.grad), (GradOf.BIAS, bt.grad)):
        view = derive_grad(x, w, g, of, options, max_steps=10**6)
        np.testing.assert_allclose(assembled(view).astype(float), ref.numpy(), rtol=1e-12, atol=1e-12)


# --- the command line ------------------------------------------------------------------------------


def test_plain_lines() -> None:
    r = run(X4, W2, "--op", "grad-weight", "--upstream", G2, "--stride", "2", "-f", "plain")
    assert r.exit_code == ExitCode.OK and r.stderr == ""
    lines = r.stdout.splitlines()
    assert (
        lines[0]
        == "# grad-weight of correlate(X, W), mode valid · boundary fill · convention scipy · stride 2"
    )
    assert lines[1].startswith("# dW[u, v] = sum over i, j of X[2i+u, 2j+v] * G[i, j]")
    assert lines[2:] == [
        "dW[0, 0]: X[0, 0]*G[0, 0] + X[0, 2]*G[0, 1] + X[2, 0]*G[1, 0] + X[2, 2]*G[1, 1] = (0*1)+(2*2)+(8*3)+(10*4) = 0+4+24+40 = 68",
        "dW[0, 1]: X[0, 1]*G[0, 0] + X[0, 3]*G[0, 1] + X[2, 1]*G[1, 0] + X[2, 3]*G[1, 1] = (1*1)+(3*2)+(9*3)+(11*4) = 1+6+27+44 = 78",
        "dW[1, 0]: X[1, 0]*G[0, 0] + X[1, 2]*G[0, 1] + X[3, 0]*G[1, 0] + X[3, 2]*G[1, 1] = (4*1)+(6*2)+(12*3)+(14*4) = 4+12+36+56 = 108",
        "dW[1, 1]: X[1, 1]*G[0, 0] + X[1, 3]*G[0, 1] + X[3, 1]*G[1, 0] + X[3, 3]*G[1, 1] = (5*1)+(7*2)+(13*3)+(15*4) = 5+14+39+60 = 118",
    ]


def test_json() -> None:
    r = run(X4, W2, "--op", "grad-input", "--upstream", G2, "--stride", "2", "-f", "json", "--at", "3,2")
    assert r.exit_code == ExitCode.OK and r.stderr == ""
    doc = json.loads(r.stdout)
    assert doc["op"] == "grad-input" and doc["stride"] == [2] and doc["shape"] == [4, 4]
    assert doc["total_cells"] == 16 and doc["shown"] == 1
    assert doc["steps"] == [
        {
            "cell": [3, 2],
            "terms": [{"g_cell": [1, 1], "g": 4, "other": [1, 0], "factor": 3, "product": 12}],
            "value": 12,
            "text": "dX[3, 2]: G[1, 1]*W[1, 0] = 4*3 = 12",
        }
    ]
    assert doc["result"] == [[1, 2, 2, 4], [3, 4, 6, 8], [3, 6, 4, 8], [9, 12, 12, 16]]


def test_markdown_and_latex() -> None:
    r = run(X4, W2, "--op", "grad-bias", "--upstream", G2, "--stride", "2", "-f", "markdown")
    assert r.exit_code == ExitCode.OK and r.stderr == ""
    assert r.stdout.splitlines()[-1] == "- `db: G[0, 0] + G[0, 1] + G[1, 0] + G[1, 1] = 1+2+3+4 = 10`"
    r = run(X4, W2, "--op", "grad-input", "--upstream", G2, "--stride", "2", "-f", "latex", "--at", "0,1")
    assert r.exit_code == ExitCode.OK and r.stderr == ""
    assert r.stdout.splitlines()[2] == r"dX_{0, 1} &= G_{0, 0} \cdot W_{0, 1} = 1 \cdot 2 = 2"


def test_without_upstream_g_is_all_ones_and_the_note_says_so() -> None:
    r = run(X4, W2, "--op", "grad-bias", "-f", "plain")
    assert r.exit_code == ExitCode.OK
    assert (
        r.stdout.splitlines()[-1]
        == "db: "
        + " + ".join(f"G[{i}, {j}]" for i in range(3) for j in range(3))
        + " = 1+1+1+1+1+1+1+1+1 = 9"
    )
    assert (
        r.stderr == "note: no --upstream: G is all ones, so L = sum(Y) and each gradient counts every path\n"
    )


def test_max_steps_caps_and_says_how_to_see_the_rest() -> None:
    r = run(
        X4, W2, "--op", "grad-input", "--upstream", G2, "--stride", "2", "-f", "plain", "--max-steps", "3"
    )
    assert r.exit_code == ExitCode.OK
    assert len(r.stdout.splitlines()) == 2 + 3
    assert r.stderr == "note: showing 3 of 16 cells; --max-steps 16 shows them all, --at I,J one cell\n"


def stride_2_weights(**kw):
    """dW of the README's stride-2 layer: X = 0..15 as 4x4, W and G both [[1, 2], [3, 4]]."""
    square = np.array([[1, 2], [3, 4]])
    return derive_grad(
        np.arange(16).reshape(4, 4), square, square, GradOf.WEIGHT, OpOptions(stride=(2,)), **kw
    )


def test_table_view() -> None:
    view = stride_2_weights(at=(0, 1))
    text = draw(render_grad.grad_steps_view(view, width=80), 80)
    assert "dW[0, 1] = 78" in text
    assert "0    0     [1]     2     [3] " in text  # the taps one stride apart, marked on X
    assert text.rstrip().endswith("= 78")


def test_table_on_the_command_line_at_40_columns() -> None:
    r = CliRunner().invoke(
        app,
        [
            "steps",
            X4,
            W2,
            "--op",
            "grad-input",
            "--upstream",
            G2,
            "--stride",
            "2",
            "--at",
            "1,1",
            "-f",
            "table",
        ],
        env={"COLUMNS": "40"},
    )
    assert (r.exit_code, r.stderr) == (ExitCode.OK, "")
    assert max(len(line) for line in r.stdout.splitlines()) <= 40
    assert "dX[1, 1] = 4" in r.stdout


def test_frames_for_play_and_html() -> None:
    view = stride_2_weights()
    animation = animate_grad(view)
    frames = list(animation.frames)
    assert animation.count == len(frames) == 5
    assert frames[1].name == "dW[0, 1]" and frames[1].value == "78"
    assert frames[1].marks[0].rows == range(0, 3, 2) and frames[1].marks[0].cols == range(1, 4, 2)
    assert frames[-1].result.tolist() == [[[68, 78], [108, 118]]]
    r = run(X4, W2, "--op", "grad-input", "--upstream", G2, "--stride", "2", "-f", "html")
    assert (r.exit_code, r.stderr) == (ExitCode.OK, "")
    assert r.stdout.startswith("<!DOCTYPE html>")
    assert "dX[3, 3]" in r.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            (X4, W2, "--op", "grad-weight", "--upstream", "1 2 3"),
            "error: grad: the upstream gradient G is 1x3 but the layer's output Y is 3x3",
        ),
        ((X4, "--op", "grad-input"), "error: --op grad-input needs W, the layer's weights"),
        (
            (X4, W2, "--op", "grad-input", "--size", "2"),
            "error: --size applies to --op max-pool and avg-pool, not to --op grad-input",
        ),
        (
            (X4, W2, "--op", "grad-bias", "--at", "1"),
            "error: --at picks a cell of the gradient, but db is a single number here",
        ),
        (
            (X4, W2, "--op", "grad-input", "--at", "4,0"),
            "error: --at: index 4 on axis 0 is outside the result (0 to 3)",
        ),
        (
            (X4, W2, "--op", "grad-input", "--activation", "relu"),
            "error: grad differentiates the layer before its activation",
        ),
        (
            (
                "[[[1]],[[2]],[[3]]]",
                "[[[[1]]],[[[1]]]]",
                "--op",
                "grad-weight",
                "--channels",
                "--groups",
                "2",
            ),
            "error: --groups 2: A has 3 channels, not divisible by 2",
        ),
    ],
)
def test_refusals_are_one_error_line(args, message) -> None:
    r = run(*args)
    assert r.exit_code == ExitCode.USAGE_OR_INPUT, r.output
    assert r.stdout == ""
    assert r.stderr.startswith(message) and r.stderr.count("\n") == 1
