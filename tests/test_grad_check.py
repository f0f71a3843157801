"""check --op grad-input|grad-weight|grad-bias: right answers pass (exit 0), the classic slips of
the backward pass are named when they truly give the answer (exit 1), in every format."""

from __future__ import annotations

import json

import numpy as np
import pytest
from typer.testing import CliRunner

from convcli import render_grad
from convcli.cli import ExitCode, app
from convcli.gradcheck import check_grad
from convcli.model import GradOf, OpOptions

from .test_render import draw

X4 = "0 1 2 3; 4 5 6 7; 8 9 10 11; 12 13 14 15"
W2 = "1 2; 3 4"
G2 = "1 2; 3 4"
STRIDE_2 = ("--stride", "2")


def run(*args: str):
    return CliRunner().invoke(app, ["check", *args])


def test_right_answers_exit_0() -> None:
    for op, answer in (
        ("grad-input", "1 2 2 4; 3 4 6 8; 3 6 4 8; 9 12 12 16"),
        ("grad-weight", "68 78; 108 118"),
        ("grad-bias", "10"),
    ):
        r = run(X4, W2, "--op", op, "--upstream", G2, *STRIDE_2, "--answer", answer, "-f", "plain")
        assert r.exit_code == ExitCode.OK, r.output
        assert r.stdout == f"right: your answer equals {op} of correlate(X, W)\n" and r.stderr == ""


@pytest.mark.parametrize(
    ("op", "answer", "key", "text"),
    [
        # each G cell met W itself instead of W turned: the scatter of rot180(W)
        (
            "grad-input",
            "4 3 8 6; 2 1 4 2; 12 9 16 12; 6 3 8 4",
            "weights-not-turned",
            "dX computed with W as it is",
        ),
        # G turned 180°: dW = convolve(X, G)
        ("grad-weight", "4*0+3*2+2*8+1*10", "weight-convolved", "dW computed as a convolution of X with G"),
        ("grad-weight", "118 108; 78 68", "weight-turned", "dW turned 180°"),
        # G used as it is: dW[u, v] = sum G[i, j] X[u+i, v+j]
        (
            "grad-weight",
            "34 44; 74 84",
            "stride-not-dilated",
            "G used as it is: with stride 2, G needs 1 zero",
        ),
    ],
)
def test_slips_are_named(op, answer, key, text) -> None:
    if "*" in answer:  # worked out here, cell by cell: dW[u, v] = sum of X[2i+u, 2j+v] * G[1-i, 1-j]
        x = np.arange(16).reshape(4, 4)
        g = np.array([[1, 2], [3, 4]])[::-1, ::-1]
        cells = [
            [sum(x[2 * i + u, 2 * j + v] * g[i, j] for i in range(2) for j in range(2)) for v in range(2)]
            for u in range(2)
        ]
        answer = "; ".join(" ".join(map(str, row)) for row in cells)
    r = run(X4, W2, "--op", op, "--upstream", G2, *STRIDE_2, "--answer", answer, "-f", "json")
    assert (r.exit_code, r.stderr) == (ExitCode.WRONG_ANSWER, ""), r.output
    doc = json.loads(r.stdout)
    assert doc["match"] is False and doc["op"] == op
    assert doc["diagnosis"]["key"] == key and doc["diagnosis"]["text"].startswith(text)
    assert r.stderr == ""


def test_the_padding_left_on_is_named() -> None:
    x = np.arange(9).reshape(3, 3)
    w = np.array([[1, 0], [0, 2]])
    g = np.arange(16).reshape(4, 4)
    options = OpOptions(padding=(1,))
    # the gradient of the padded input (5x5), by the scatter: each G cell adds G·W at its place
    padded = np.zeros((5, 5), dtype=np.int64)
    for i in range(4):
        for j in range(4):
            padded[i : i + 2, j : j + 2] += g[i, j] * w
    report = check_grad(x, w, padded, GradOf.INPUT, options, upstream=g)
    assert not report.match and report.diagnosis is not None
    assert report.diagnosis.key == "padding-not-cropped"
    assert check_grad(x, w, padded[1:4, 1:4], GradOf.INPUT, options, upstream=g).match


def test_bias_summed_over_filters_is_named() -> None:
    x = np.ones((1, 3, 3), dtype=np.int64)
    w = np.ones((2, 1, 2, 2), dtype=np.int64)
    g = np.arange(8).reshape(2, 2, 2)
    options = OpOptions(channels=True)
    assert check_grad(x, w, np.array([6, 22]), GradOf.BIAS, options, upstream=g).match
    report = check_grad(x, w, np.array([28]), GradOf.BIAS, options, upstream=g)
    assert report.shape_mismatch == "your answer is a single number but grad-bias is 1-D of length 2"
    assert report.diagnosis is not None and report.diagnosis.key == "bias-summed-over-filters"


def test_no_diagnosis_for_an_answer_no_slip_gives() -> None:
    r = run(
        X4,
        W2,
        "--op",
        "grad-weight",
        "--upstream",
        G2,
        *STRIDE_2,
        "--answer",
        "68 78; 108 119",
        "-f",
        "plain",
    )
    assert (r.exit_code, r.stderr) == (ExitCode.WRONG_ANSWER, "")
    assert r.stdout.splitlines()[:3] == [
        "wrong",
        "off by: 1 of 4 cells is wrong; the difference is 1 at [1, 1]",
        "wrong cells: [1, 1]",
    ]
    assert r.stdout.splitlines()[3].startswith("dW[1, 1] should be: X[1, 1]*G[0, 0] + ")


def test_float_answers_within_the_tolerance_are_right() -> None:
    r = run(
        "0.1 0.2; 0.3 0.4",
        "1",
        "--op",
        "grad-input",
        "--upstream",
        "0.5 0.5; 0.5 0.5",
        "--answer",
        "0.5 0.5; 0.5 0.5",
        "-f",
        "plain",
    )
    assert (r.exit_code, r.stdout, r.stderr) == (
        ExitCode.OK,
        "right: your answer equals grad-input of correlate(X, W)\n",
        "",
    )


def test_markdown_and_table() -> None:
    r = run(X4, W2, "--op", "grad-bias", "--upstream", G2, *STRIDE_2, "--answer", "11", "-f", "markdown")
    assert (r.exit_code, r.stderr) == (ExitCode.WRONG_ANSWER, "")
    assert r.stdout.startswith("- wrong\n")
    assert "- db should be: G[0, 0] + G[0, 1] + G[1, 0] + G[1, 1] = 1+2+3+4 = 10\n" in r.stdout
    report = check_grad(
        np.arange(4).reshape(2, 2),
        np.array([[1, 2], [3, 4]]),
        np.array([[4, 3], [2, 1]]),
        GradOf.INPUT,
        upstream=np.array([[1]]),
    )
    text = draw(render_grad.grad_check_view(report, None, width=80), 80)
    assert "✗ wrong" in text and "diagnosis: dX computed with W as it is" in text


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((X4, "--op", "grad-input", "--answer", "1"), "error: --op grad-input needs W, the layer's weights"),
        (
            (X4, W2, "--op", "grad-input", "--upstream", "1 2", "--answer", "1"),
            "error: grad: the upstream gradient G is 1x2 but the layer's output Y is 3x3",
        ),
        (
            (X4, W2, "--op", "grad-input", "--answer", "1", "--of", "grad-input"),
            "error: --of applies to --op max-pool and avg-pool",
        ),
        (
            (X4, W2, "--op", "grad-input", "--answer", "1", "-f", "html"),
            "error: check --op grad-input cannot be written as html",
        ),
    ],
)
def test_refusals(args, message) -> None:
    r = run(*args)
    assert r.exit_code == ExitCode.USAGE_OR_INPUT, r.output
    assert r.stdout == "" and r.stderr.startswith(message) and r.stderr.count("\n") == 1
