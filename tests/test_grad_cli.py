"""``convcli grad`` run in-process: exit code, stdout and stderr checked separately, every format,
--of each, with and without --upstream, channels and groups, exact fractions, golden table renders
at 80, 60 and 40 columns, every refusal, and the values against the exact derivative of
tests/test_grad.py and torch's autograd."""

from __future__ import annotations

import json
from fractions import Fraction

import numpy as np
import pytest
from typer.testing import CliRunner

from convcli import ops, render_grad
from convcli.cli import ExitCode, app
from convcli.grad import grad
from convcli.model import GradOf, Op, OpOptions

from .test_grad import differentiated, torch
from .test_render import assert_golden, draw

X = "0 1 2 3; 4 5 6 7; 8 9 10 11; 12 13 14 15"
W = "1 2; 3 4"
G = "1 2; 3 4"
STRIDE_2 = [X, W, "--upstream", G, "--stride", "2"]
ONES = "note: no --upstream: G is all ones, so L = sum(Y) and each gradient counts every path\n"

# two channels, two filters in two groups (depthwise): filter o reads channel o only
CX = "[[[1,2,0],[0,1,3],[2,2,1]],[[0,1,1],[1,0,2],[3,1,0]]]"
CW = "[[[[1,0],[0,1]]],[[[2,1],[1,-1]]]]"
CG = "[[[1,2],[0,1]],[[1,1],[2,0]]]"
GROUPED = [CX, CW, "--channels", "--groups", "2", "--upstream", CG]


def run(*args: str, input: str | None = None):
    return CliRunner().invoke(app, ["grad", *args], input=input)


def ok(result) -> str:
    assert (result.exit_code, result.stderr) == (ExitCode.OK, ""), result.stderr
    return result.stdout


# --- plain -------------------------------------------------------------------------------------


def test_stride_2_by_hand_all_three_labelled():
    # each G cell scatters G·W at its stride offset: the four 2x2 blocks 1·W, 2·W, 3·W, 4·W
    assert ok(run(*STRIDE_2)) == (
        "# dX = grad_input (4x4)\n"
        "1  2  2  4\n"
        "3  4  6  8\n"
        "3  6  4  8\n"
        "9 12 12 16\n"
        "\n"
        "# dW = grad_weight (2x2)\n"
        " 68  78\n"
        "108 118\n"
        "\n"
        "# db = grad_bias\n"
        "10\n"
    )


@pytest.mark.parametrize(
    ("of", "expected"),
    [
        ("input", "1  2  2  4\n3  4  6  8\n3  6  4  8\n9 12 12 16\n"),
        ("weight", " 68  78\n108 118\n"),
        ("bias", "10\n"),
    ],
)
def test_of_one_is_the_plain_matrix_alone(of, expected):
    assert ok(run(*STRIDE_2, "--of", of)) == expected


def test_without_upstream_g_is_all_ones_and_a_note_says_so():
    result = run(X, W, "--stride", "2", "--of", "weight")
    assert (result.exit_code, result.stdout, result.stderr) == (ExitCode.OK, "20 24\n36 40\n", ONES)
    result = run(X, W, "--stride", "2", "--of", "bias")
    assert (result.exit_code, result.stdout, result.stderr) == (ExitCode.OK, "4\n", ONES)


@pytest.mark.parametrize("of", ["input", "weight", "bias"])
@pytest.mark.parametrize("upstream", [[], ["--upstream", G]])
def test_plain_of_one_reads_back_as_check_s_answer(of, upstream):
    first = run(*STRIDE_2[:2], *upstream, "--stride", "2", "--of", of)
    assert (first.exit_code, first.stderr) == (ExitCode.OK, "" if upstream else ONES)
    second = CliRunner().invoke(
        app,
        ["check", X, W, "--op", f"grad-{of}", *upstream, "--stride", "2", "--answer", "-"],
        input=first.stdout,
    )
    assert (second.exit_code, second.stderr) == (ExitCode.OK, "" if upstream else ONES)
    assert second.stdout == f"right: your answer equals grad-{of} of correlate(X, W)\n"


def test_plain_of_input_reads_back_as_a_matrix():
    first = run(*STRIDE_2, "--of", "input")
    assert (first.exit_code, first.stderr) == (ExitCode.OK, "")
    assert first.stdout == "1  2  2  4\n3  4  6  8\n3  6  4  8\n9 12 12 16\n"
    again = CliRunner().invoke(app, ["correlate", "-", "1"], input=first.stdout)
    assert (again.exit_code, again.stdout, again.stderr) == (ExitCode.OK, first.stdout, "")


def test_exact_fractions_stay_exact():
    # Y = X[:, 0] - X[:, 1]: dW = (1/2·1/3 + 2·2, 1·1/3 + 3·2), dX = G·(1, -1), db = 1/3 + 2
    assert ok(run("1/2 1; 2 3", "1 -1", "--upstream", "1/3; 2")) == (
        "# dX = grad_input (2x2)\n1/3 -1/3\n  2   -2\n\n"
        "# dW = grad_weight (1x2)\n25/6 19/3\n\n"
        "# db = grad_bias\n7/3\n"
    )


def test_exact_reads_decimals_as_fractions():
    assert (
        ok(run("0.5 1; 2 3", "1 -1", "--upstream", "0.1; 2", "--exact", "--of", "weight")) == "81/20 61/10\n"
    )  # 0.5·0.1 + 2·2, 1·0.1 + 3·2


def test_channels_and_groups():
    # depthwise: dX[c] is G[c] scattered through W[c], dW[o] = correlate(X[o], G[o]), db[o] = sum G[o]
    assert ok(run(*GROUPED)) == (
        "# dX = grad_input (2x3x3)\n"
        "1 2 0\n0 2 2\n0 0 1\n\n"
        "2  3  1\n5  2 -1\n2 -2  0\n\n"
        "# dW = grad_weight (2x1x2x2)\n"
        "6 5\n4 8\n\n"
        "3 2\n7 4\n\n"
        "# db = grad_bias (one per filter: 2)\n"
        "4 4\n"
    )


def test_convolve_layer():
    # convolve turns W: dX meets W itself, and dW is correlate(X, G) turned 180°
    result = run(X, W, "--upstream", G, "--stride", "2", "--op", "convolve", "--of", "weight")
    assert ok(result) == "118 108\n 78  68\n"


def test_g_from_standard_input():
    assert ok(run(X, W, "--upstream", "-", "--stride", "2", "--of", "bias", input="1 2\n3 4\n")) == "10\n"


# --- json --------------------------------------------------------------------------------------


def test_json_holds_all_three_with_the_options_and_rules():
    doc = json.loads(ok(run(*STRIDE_2, "-f", "json")))
    assert doc == {
        "op": "grad",
        "layer": "correlate",
        "mode": "valid",
        "boundary": "fill",
        "fillvalue": 0,
        "convention": "scipy",
        "stride": [2],
        "kind": "integer",
        "x_shape": [4, 4],
        "w_shape": [2, 2],
        "upstream_given": True,
        "upstream": [[1, 2], [3, 4]],
        "of": "all",
        "grad_input": [[1, 2, 2, 4], [3, 4, 6, 8], [3, 6, 4, 8], [9, 12, 12, 16]],
        "grad_weight": [[68, 78], [108, 118]],
        "grad_bias": 10,
        "rules": {
            "grad_input": "dX = G dilated by the stride (1 zero between its entries), zero-padded by 1, "
            "correlated with W turned 180°: the transposed convolution of G with W",
            "grad_weight": "dW = correlate(X, G dilated by the stride (1 zero between its entries))",
            "grad_bias": "db = sum of G",
        },
    }


def test_json_result_holds_the_one_of_names_and_fractions_are_strings():
    result = run("1/2 1; 2 3", "1 -1", "--of", "weight", "-f", "json")
    assert (result.exit_code, result.stderr) == (ExitCode.OK, ONES)
    doc = json.loads(result.stdout)
    assert (doc["of"], doc["kind"], doc["upstream_given"]) == ("weight", "rational", False)
    assert doc["result"] == doc["grad_weight"] == [["5/2", 4]]
    assert doc["grad_input"] == [[1, -1], [1, -1]] and doc["grad_bias"] == 2
    assert doc["notes"] == [ONES[len("note: ") : -1]]


def test_json_bias_is_one_per_filter_with_groups():
    doc = json.loads(ok(run(*GROUPED, "-f", "json", "--of", "bias")))
    assert (doc["channels"], doc["groups"], doc["result"], doc["grad_bias"]) == (True, 2, [4, 4], [4, 4])


# --- csv, npy, markdown, latex, files ------------------------------------------------------------


def test_csv_with_of():
    assert ok(run(*STRIDE_2, "-f", "csv", "--of", "weight")) == "68,78\n108,118\n"


@pytest.mark.parametrize("fmt", ["csv", "npy"])
def test_csv_and_npy_need_of(fmt, tmp_path):
    target = tmp_path / f"g.{fmt}"
    result = run(*STRIDE_2, "-o", str(target))
    assert (result.exit_code, result.stdout) == (ExitCode.USAGE_OR_INPUT, "")
    assert result.stderr == (
        f"error: {fmt} holds one matrix: pick one gradient with --of input, --of weight or --of bias "
        "(json holds all three)\n"
    )
    assert not target.exists()


def test_npy_file_with_of(tmp_path):
    target = tmp_path / "dx.npy"
    result = run(*STRIDE_2, "--of", "input", "-o", str(target))
    assert (result.exit_code, result.stdout, result.stderr) == (ExitCode.OK, "", f"wrote {target} (npy)\n")
    loaded = np.load(target)
    assert loaded.dtype == np.int64
    assert loaded.tolist() == [[1, 2, 2, 4], [3, 4, 6, 8], [3, 6, 4, 8], [9, 12, 12, 16]]


def test_npy_refuses_fractions_unless_rounded(tmp_path):
    target = tmp_path / "dw.npy"
    result = run("1/2 1; 2 3", "1 -1", "--upstream", "1/3; 2", "--of", "weight", "-o", str(target))
    assert (result.exit_code, result.stdout) == (ExitCode.USAGE_OR_INPUT, "")
    assert result.stderr == (
        "error: npy: a rational result has no .npy form without losing exactness; write it as plain or json, "
        "or add --float64 to round it to float64\n"
    )
    assert not target.exists()
    result = run(
        "1/2 1; 2 3", "1 -1", "--upstream", "1/3; 2", "--of", "weight", "--float64", "-o", str(target)
    )
    assert (result.exit_code, result.stdout, result.stderr) == (ExitCode.OK, "", f"wrote {target} (npy)\n")
    assert np.load(target).tolist() == [[25 / 6, 19 / 3]]


def test_float64_rounds_every_gradient():
    doc = json.loads(ok(run("1/2 1; 2 3", "1 -1", "--upstream", "1/3; 2", "--float64", "-f", "json")))
    assert doc["kind"] == "float"
    assert doc["grad_weight"] == [[25 / 6, 19 / 3]] and doc["grad_bias"] == 7 / 3
    assert doc["upstream"] == [["1/3"], [2]]  # G stays as it was given


def test_json_file(tmp_path):
    target = tmp_path / "g.json"
    result = run(*STRIDE_2, "-o", str(target))
    assert (result.exit_code, result.stdout, result.stderr) == (ExitCode.OK, "", f"wrote {target} (json)\n")
    assert json.loads(target.read_text())["grad_weight"] == [[68, 78], [108, 118]]


def test_markdown_is_labelled():
    assert ok(run(*STRIDE_2, "-f", "markdown", "--of", "weight")) == (
        "### dW = grad_weight (2x2)\n\n|   | 0 | 1 |\n|---|---:|---:|\n| **0** | 68 | 78 |\n| **1** | 108 | 118 |\n"
    )
    text = ok(run(*STRIDE_2, "-f", "markdown"))
    assert [line for line in text.splitlines() if line.startswith("###")] == [
        "### dX = grad_input (4x4)",
        "### dW = grad_weight (2x2)",
        "### db = grad_bias",
    ]
    assert text.endswith("### db = grad_bias\n\n10\n")


def test_latex_is_labelled():
    assert ok(run("1/2 1; 2 3", "1 -1", "--upstream", "1/3; 2", "-f", "latex")) == (
        "% dX = grad_input (2x2)\n"
        "\\frac{\\partial L}{\\partial X} =\n"
        "\\begin{bmatrix}\n  \\frac{1}{3} & -\\frac{1}{3} \\\\\n  2 & -2\n\\end{bmatrix}\n"
        "\n"
        "% dW = grad_weight (1x2)\n"
        "\\frac{\\partial L}{\\partial W} =\n"
        "\\begin{bmatrix}\n  \\frac{25}{6} & \\frac{19}{3}\n\\end{bmatrix}\n"
        "\n"
        "% db = grad_bias\n"
        "\\frac{\\partial L}{\\partial b} =\n"
        "\\frac{7}{3}\n"
    )


def test_the_table_is_drawn_on_request_with_the_notes_inside():
    result = run(X, W, "--stride", "2", "-f", "table")
    assert (result.exit_code, result.stderr) == (ExitCode.OK, "")
    assert "G = dL/dY: all ones (no --upstream)" in result.stdout
    assert "convcli steps X W --op grad-input --stride 2" in result.stdout


# --- refusals: one error line, exit 2 ------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            [X, W, "--upstream", "1 2 3; 4 5 6", "--stride", "2"],
            "grad: the upstream gradient G is 2x3 but the layer's output Y is 2x2; G holds dL/dY, one "
            "number per cell of Y, so it must have Y's shape",
        ),
        (
            [X, W, "--activation", "relu"],
            "grad differentiates the layer before its activation (G is dL/dY for Y = correlate(X, W) + b); "
            "drop --activation relu and give G already multiplied by f'(Y)",
        ),
        (
            [X, W, "--method", "fft"],
            "--method fft chooses how convolve and correlate are computed; grad always computes the "
            "gradients as the layer's matrix products",
        ),
        (
            [X, "1j 2; 3 4"],
            "grad takes real numbers (and symbols): for complex ones L = sum(G * Y) is not real, and "
            "correlate conjugates W, so it has no gradient in the sense autograd gives",
        ),
        (["-", W, "--upstream", "-"], "only one of X, W and --upstream can be '-' (standard input)"),
        (
            [X, W, "-f", "html"],
            "html pages are written by steps, check, compare and conv-transpose --steps; choose another "
            "--format here",
        ),
        (
            [CX, CW, "--channels", "--groups", "3"],
            "--groups 3: A has 2 channels, not divisible by 3; B is O x C/G x kh x kw, and filter o reads "
            "only the C/G channels of its group",
        ),
    ],
)
def test_refusals(args, message):
    result = run(*args)
    assert (result.exit_code, result.stdout, result.stderr) == (
        ExitCode.USAGE_OR_INPUT,
        "",
        f"error: {message}\n",
    )


def test_help_has_examples():
    result = run("--help")
    assert (result.exit_code, result.stderr) == (ExitCode.OK, "")
    assert "Examples:" in result.stdout and "--upstream" in result.stdout and "--groups" in result.stdout


# --- values: the exact derivative and torch ------------------------------------------------------


def _numbers(doc_value):
    """A JSON array of numbers and "p/q" strings as an object array of Fractions."""
    return np.vectorize(lambda v: Fraction(v), otypes=[object])(np.array(doc_value, dtype=object))


CASES = [
    ("correlate", (4, 5), (2, 3), []),
    ("convolve", (5, 5), (3, 2), ["--mode", "same", "--convention", "numpy"]),
    ("correlate", (5, 6), (2, 2), ["--stride", "2", "--padding", "1", "--boundary", "symm"]),
    ("convolve", (6, 5), (2, 3), ["--dilation", "2", "--mode", "full", "--fillvalue", "1/2"]),
    ("correlate", (2, 4, 5), (3, 2, 2, 2), ["--channels", "--stride", "2,1"]),
    ("correlate", (4, 5, 5), (2, 2, 3, 3), ["--channels", "--groups", "2", "--padding", "1"]),
    ("convolve", (3, 5, 4), (3, 1, 2, 2), ["--channels", "--groups", "3", "--dilation", "1,2"]),
]


@pytest.mark.parametrize(("op", "x_shape", "w_shape", "flags"), CASES)
@pytest.mark.parametrize("seed", [0, 1])
def test_values_are_the_exact_derivative(op, x_shape, w_shape, flags, seed):
    rng = np.random.default_rng(seed)
    x = rng.integers(-4, 5, x_shape) + Fraction(1, 2) * rng.integers(0, 2, x_shape)
    w = rng.integers(-3, 4, w_shape)
    options = _options(flags)
    y_shape = ops.run(Op(op), x, w, options).value.shape
    g = rng.integers(-3, 4, y_shape) * Fraction(1, 3)
    doc = json.loads(
        ok(
            run(
                _inline(x),
                json.dumps(w.tolist()),
                "--upstream",
                _inline(g),
                "--op",
                op,
                *flags,
                "-f",
                "json",
            )
        )
    )
    dx, dw, db = differentiated(Op(op), x, w, g, options)
    for key, ref in (("grad_input", dx), ("grad_weight", dw), ("grad_bias", db)):
        ours = _numbers(doc[key])
        assert ours.shape == ref.shape
        assert [Fraction(v) for v in ours.ravel()] == [Fraction(v) for v in np.asarray(ref).ravel()]


def _inline(a) -> str:
    """An array of ints and Fractions as an inline matrix: [[1/2, -3], [2, 0]]."""
    if isinstance(a, np.ndarray):
        return "[" + ", ".join(_inline(v) for v in a) + "]"
    return str(a)


def _options(flags: list[str]) -> OpOptions:
    """The OpOptions these flags give (the reference takes options, not flags)."""
    from convcli.cli.option_values import op_options as from_flags

    given = {
        "mode": "valid",
        "boundary": "fill",
        "fillvalue": "0",
        "convention": "scipy",
        "method": "auto",
        "stride": "1",
        "dilation": "1",
        "padding": None,
        "channels": False,
        "groups": "1",
        "bias": None,
        "activation": "none",
        "exact": False,
    }
    it = iter(flags)
    for flag in it:
        name = flag[2:]
        given[name] = True if name == "channels" else next(it)
    return from_flags(given)


@pytest.mark.skipif(torch is None, reason="torch is not installed (optional cross-check)")
@pytest.mark.parametrize(
    ("x_shape", "w_shape", "stride", "padding", "dilation", "groups"),
    [
        ((2, 7, 6), (4, 2, 3, 3), (2, 2), (1, 1), (1, 1), 1),
        ((4, 6, 7), (2, 2, 2, 3), (1, 2), (0, 2), (2, 1), 2),
        ((3, 5, 5), (3, 1, 3, 3), (2, 2), (1, 1), (1, 1), 3),
    ],
)
def test_values_agree_with_torch_autograd(x_shape, w_shape, stride, padding, dilation, groups):
    rng = np.random.default_rng(7)
    x, w = rng.standard_normal(x_shape), rng.standard_normal(w_shape)
    xt, wt = torch.tensor(x[None], requires_grad=True), torch.tensor(w, requires_grad=True)
    bt = torch.zeros(w_shape[0], dtype=torch.float64, requires_grad=True)
    y = torch.nn.functional.conv2d(
        xt, wt, bt, stride=stride, padding=padding, dilation=dilation, groups=groups
    )
    g = rng.standard_normal(tuple(y.shape[1:]))
    (y * torch.from_numpy(g)[None]).sum().backward()
    flags = ["--channels", "--groups", str(groups), "--stride", "{},{}".format(*stride)]
    flags += ["--padding", "{},{}".format(*padding), "--dilation", "{},{}".format(*dilation)]
    doc = json.loads(
        ok(
            run(
                json.dumps(x.tolist()),
                json.dumps(w.tolist()),
                "--upstream",
                json.dumps(g.tolist()),
                *flags,
                "-f",
                "json",
            )
        )
    )
    for key, theirs in (("grad_input", xt.grad[0]), ("grad_weight", wt.grad), ("grad_bias", bt.grad)):
        theirs = theirs.numpy()
        np.testing.assert_allclose(doc[key], theirs, rtol=1e-12, atol=1e-12 * (np.abs(theirs).max() + 1))


# --- golden table renders ------------------------------------------------------------------------


def _stride_2():
    x, w = np.arange(16).reshape(4, 4), np.array([[1, 2], [3, 4]])
    return grad(x, w, np.array([[1, 2], [3, 4]]), options=OpOptions(stride=(2,)))


def _wrapped_ones():
    x, w = np.arange(16).reshape(4, 4), np.array([[1, 2], [3, 4]])
    return grad(x, w, None, options=OpOptions(stride=(2,), padding=(1,), boundary="wrap"))


def _grouped_convolve():
    x = np.array(json.loads(CX))
    w = np.array(json.loads(CW))
    g = np.array([[[1, 2], [0, 1]], [[1, 1], [2, Fraction(1, 2)]]], dtype=object)
    return grad(x, w, g, Op.CONVOLVE, OpOptions(channels=True, groups=2), GradOf.ALL)


def _of_weight():
    x, w = np.arange(16).reshape(4, 4), np.array([[1, 2], [3, 4]])
    return grad(x, w, np.array([[1, 2], [3, 4]]), options=OpOptions(stride=(2,)), of=GradOf.WEIGHT)


GOLDEN = {
    "grad_stride_2_80": (_stride_2, 80),
    "grad_stride_2_60": (_stride_2, 60),
    "grad_stride_2_40": (_stride_2, 40),
    "grad_wrapped_ones_60": (_wrapped_ones, 60),
    "grad_wrapped_ones_40": (_wrapped_ones, 40),
    "grad_grouped_convolve_80": (_grouped_convolve, 80),
    "grad_of_weight_40": (_of_weight, 40),
}


@pytest.mark.parametrize("name", list(GOLDEN))
def test_golden(name):
    make, width = GOLDEN[name]
    assert_golden(name, draw(render_grad.grad_view(make(), width=width), width), width)
