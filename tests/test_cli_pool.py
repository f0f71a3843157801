"""``convcli pool`` run in-process: exit code, stdout and stderr checked separately, every format,
golden table renders, and every refusal with its message."""

from __future__ import annotations

import json

import numpy as np
import pytest
from typer.testing import CliRunner

from convcli import render_pool
from convcli.cli import ExitCode, app
from convcli.pool import pool
from convcli.pool_geometry import PoolOptions

from .test_render import assert_golden, draw

D2L = "0 1 2; 3 4 5; 6 7 8"
TIED = "5 5 1; 1 2 3"
SHEET = "1 3 2 1; 4 2 1 5; 3 1 1 0; 1 2 2 4"  # a 4x4 sheet, 2x2 windows, stride 2


def run(*args: str, input: str | None = None):
    return CliRunner().invoke(app, ["pool", *args], input=input)


def test_d2l_stride_1_plain():
    result = run(D2L, "--size", "2", "--stride", "1")
    assert (result.exit_code, result.stdout, result.stderr) == (ExitCode.OK, "4 5\n7 8\n", "")


def test_default_stride_is_the_size():
    result = run(D2L, "--size", "2")
    assert (result.exit_code, result.stdout, result.stderr) == (ExitCode.OK, "4\n", "")


def test_default_size_is_2():
    result = run(SHEET)
    assert (result.exit_code, result.stdout, result.stderr) == (ExitCode.OK, "4 5\n3 4\n", "")


def test_avg_is_exact():
    result = run("[[2, 3], [4, 6]]", "--kind", "avg", "--size", "1,2")
    assert (result.exit_code, result.stdout, result.stderr) == (ExitCode.OK, "5/2\n  5\n", "")


def test_plain_reads_back_as_input():
    first = run(SHEET, "--size", "2", "--stride", "1")
    assert (first.exit_code, first.stdout, first.stderr) == (ExitCode.OK, "4 3 5\n4 2 5\n3 2 4\n", "")
    second = run("-", "--size", "2", "--stride", "1", input=first.stdout)
    assert (second.exit_code, second.stdout, second.stderr) == (ExitCode.OK, "4 5\n4 5\n", "")


def test_grad_input_with_upstream():
    result = run(SHEET, "--upstream", "1 2; 3 4", "--of", "grad-input")
    assert result.exit_code == ExitCode.OK
    assert result.stdout == "0 0 0 0\n1 0 0 2\n3 0 0 0\n0 0 0 4\n"
    assert result.stderr == ""


def test_grad_input_notes_ties_and_missing_upstream_on_stderr():
    result = run(TIED, "--size", "2", "--stride", "1", "--of", "grad-input")
    assert result.exit_code == ExitCode.OK
    assert result.stdout == "1 1 0\n0 0 0\n"
    assert result.stderr == (
        "note: no --upstream: G is all ones, so grad-input is the gradient of the output's sum\n"
        "note: window [0, 0] has its maximum 5 in 2 cells: its gradient goes to the first, A[0, 0] "
        "(torch's rule)\n"
    )


def test_avg_gradient_spreads_g_over_the_count():
    result = run(
        D2L, "--kind", "avg", "--size", "2", "--stride", "1", "--upstream", "4 8; 12 16", "--of", "grad-input"
    )
    assert result.exit_code == ExitCode.OK
    assert result.stdout == "1  3 2\n4 10 6\n3  7 4\n"
    assert result.stderr == ""


def test_channels_are_pooled_one_by_one():
    result = run("[[[0,1],[2,3]],[[7,6],[5,4]]]", "--size", "2")
    assert (result.exit_code, result.stdout, result.stderr) == (ExitCode.OK, "3\n\n7\n", "")


def test_json_document():
    result = run(
        TIED, "--size", "2", "--stride", "1", "--upstream", "[[10, 20]]", "--of", "grad-input", "-f", "json"
    )
    assert result.exit_code == ExitCode.OK
    tie = "window [0, 0] has its maximum 5 in 2 cells: its gradient goes to the first, A[0, 0] (torch's rule)"
    assert result.stderr == f"note: {tie}\n"
    assert json.loads(result.stdout) == {
        "op": "max-pool",
        "size": [2, 2],
        "stride": [1, 1],
        "padding": [0, 0],
        "dilation": [1, 1],
        "ceil_mode": False,
        "kind": "integer",
        "a_shape": [2, 3],
        "shape": [2, 3],
        "of": "grad-input",
        "output": [[5, 5]],
        "output_kind": "integer",
        "upstream": [[10, 20]],
        "upstream_given": True,
        "grad_input": [[10, 20, 0], [0, 0, 0]],
        "ties": [{"cell": [0, 0], "count": 2, "value": 5, "to": [0, 0], "nan": False}],
        "tie_count": 1,
        "result": [[10, 20, 0], [0, 0, 0]],
        "notes": [tie],
    }


def test_json_avg_output_with_fractions_and_options():
    result = run(
        D2L, "--kind", "avg", "--size", "2", "--padding", "1", "--no-count-pad", "--ceil-mode", "-f", "json"
    )
    assert (result.exit_code, result.stderr) == (ExitCode.OK, "")
    doc = json.loads(result.stdout)
    assert doc["op"] == "avg-pool"
    assert (doc["count_include_pad"], doc["ceil_mode"], "dilation" in doc) == (False, True, False)
    assert doc["result"] == doc["output"] == [[0, "3/2"], ["9/2", 6]]
    assert doc["kind"] == "rational"
    assert "grad_input" not in doc and "ties" not in doc


@pytest.mark.parametrize(
    ("fmt", "expected"),
    [
        ("csv", "4,5\n7,8\n"),
        ("markdown", "|   | 0 | 1 |\n|---|---:|---:|\n| **0** | 4 | 5 |\n| **1** | 7 | 8 |\n"),
        ("latex", "\\begin{bmatrix}\n  4 & 5 \\\\\n  7 & 8\n\\end{bmatrix}\n"),
    ],
)
def test_every_text_format(fmt, expected):
    result = run(D2L, "--stride", "1", "-f", fmt)
    assert (result.exit_code, result.stdout, result.stderr) == (ExitCode.OK, expected, "")


def test_latex_writes_fractions():
    result = run("[[2, 3]]", "--kind", "avg", "--size", "1,2", "-f", "latex")
    assert (result.exit_code, result.stdout, result.stderr) == (
        ExitCode.OK,
        "\\begin{bmatrix}\n  \\frac{5}{2}\n\\end{bmatrix}\n",
        "",
    )


def test_npy_file(tmp_path):
    target = tmp_path / "g.npy"
    result = run(SHEET, "--upstream", "1 2; 3 4", "--of", "grad-input", "-o", str(target))
    assert (result.exit_code, result.stdout) == (ExitCode.OK, "")
    assert result.stderr == f"wrote {target} (npy)\n"
    loaded = np.load(target)
    assert loaded.dtype == np.int64
    assert loaded.tolist() == [[0, 0, 0, 0], [1, 0, 0, 2], [3, 0, 0, 0], [0, 0, 0, 4]]


def test_npy_refuses_fractions_unless_rounded(tmp_path):
    result = run("[[2, 3]]", "--kind", "avg", "--size", "1,2", "-f", "npy", "-o", str(tmp_path / "x.npy"))
    assert (result.exit_code, result.stdout) == (ExitCode.USAGE_OR_INPUT, "")
    assert result.stderr == (
        "error: npy: a rational result has no .npy form without losing exactness; write it as plain or json, "
        "or add --float64 to round it to float64\n"
    )
    assert not (tmp_path / "x.npy").exists()
    result = run("[[2, 3]]", "--kind", "avg", "--size", "1,2", "--float64", "-o", str(tmp_path / "x.npy"))
    assert (result.exit_code, result.stdout) == (ExitCode.OK, "")
    assert result.stderr == f"wrote {tmp_path / 'x.npy'} (npy)\n"
    assert np.load(tmp_path / "x.npy").tolist() == [[2.5]]


def test_float64_rounds_the_gradient_too():
    result = run(D2L, "--kind", "avg", "--size", "3", "--of", "grad-input", "--float64", "-f", "json")
    assert (result.exit_code, result.stderr) == (
        ExitCode.OK,
        "note: no --upstream: G is all ones, so grad-input is the gradient of the output's sum\n",
    )
    doc = json.loads(result.stdout)
    assert (doc["kind"], doc["output_kind"]) == ("float", "float")
    assert doc["output"] == [[4.0]] and doc["result"][0][0] == 1 / 9


def test_nan_reaches_the_output_and_is_noted():
    result = run("1 nan; 3 4", "--size", "2")
    assert (result.exit_code, result.stdout) == (ExitCode.OK, "nan\n")
    assert result.stderr == "note: nan reached 1 cell: [0, 0]\n"


def test_the_table_is_drawn_on_request():
    result = run(TIED, "--size", "2", "--stride", "1", "--of", "grad-input", "-f", "table")
    assert result.exit_code == ExitCode.OK
    assert "grad-input (the gradient with respect to A)" in result.stdout
    assert "window [0, 0] has its maximum 5 in 2 cells" in result.stdout
    assert result.stderr == ""  # the notes are in the table, not repeated on stderr


def test_help_has_examples():
    result = run("--help")
    assert (result.exit_code, result.stderr) == (ExitCode.OK, "")
    assert "Examples:" in result.stdout and "--upstream" in result.stdout and "--ceil-mode" in result.stdout


# --- refusals: one error line, exit 2 -------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            [D2L, "--upstream", "1 2; 3 4"],
            "max-pool --upstream: G is 2x2 but the max-pool output is 1x1; G holds one gradient per output "
            "cell, so it must have the output's shape",
        ),
        (
            [D2L, "--size", "4"],
            "max-pool, rows: o = floor((3 + 2*0 - 4 - (4-1)*(1-1)) / 4) + 1 = 0: the window (extent 4) is "
            "larger than the padded input (3); the output size must be at least 1",
        ),
        (
            [D2L, "--size", "3", "--padding", "2"],
            "max-pool, rows: pooling padding 2 is more than half the window size 3; torch allows at most 1",
        ),
        ([D2L, "--size", "0"], "--size takes whole numbers >= 1, got 0"),
        ([D2L, "--size", "2x2"], '--size takes whole numbers separated by commas (like 2 or 2,1), got "2x2"'),
        (
            [D2L, "--size", "2,2,2"],
            "--size takes 1 or 2 numbers for a window's rows and columns, got 3: 2,2,2",
        ),
        ([D2L, "--stride", "0"], "--stride takes whole numbers >= 1, got 0"),
        ([D2L, "--padding", "-1"], "--padding takes whole numbers >= 0, got -1"),
        (
            [D2L, "--kind", "avg", "--dilation", "2"],
            "avg pooling has no --dilation (torch's avg_pool2d takes none), got --dilation 2; use --kind max, "
            "or leave --dilation out",
        ),
        (
            [D2L, "--no-count-pad"],
            "--no-count-pad applies to avg pooling (torch's count_include_pad); max pooling pads with -inf, "
            "which is never counted",
        ),
        (
            ["1+2j 3; 4 5", "--size", "1"],
            "max pooling compares entries, and complex numbers have no order; avg pooling (--kind avg) takes them",
        ),
        (["-", "--upstream", "-"], "only one of A and --upstream can be '-' (standard input)"),
    ],
)
def test_refusals(args, message):
    result = run(*args)
    assert result.exit_code == ExitCode.USAGE_OR_INPUT
    assert result.stdout == ""
    assert result.stderr == f"error: {message}\n"


def test_bad_upstream_entry_is_located(tmp_path):
    path = tmp_path / "G.txt"
    path.write_text("1 2\n3 y\n", encoding="utf-8")
    result = run(SHEET, "--upstream", str(path), "--of", "grad-input")
    assert (result.exit_code, result.stdout) == (ExitCode.USAGE_OR_INPUT, "")
    assert result.stderr.startswith(f'error: {path}:2:3: expected a number, found "y"\n')


def test_unknown_kind():
    result = run(D2L, "--kind", "min")
    assert (result.exit_code, result.stdout) == (ExitCode.USAGE_OR_INPUT, "")
    assert result.stderr.startswith("error: Invalid value for '--kind'")
    assert "'min' is not one of 'max', 'avg'" in result.stderr


def test_junk_options_end_cleanly():
    """Random option values: exit 0 or 2, one error line for 2, never a bug."""
    import random

    rng = random.Random(21)
    values = ["0", "1", "2", "3", "-1", "2,1", "1,2,3", "x", "", "99999999999999999999", "1.5", " 2 "]
    matrices = [D2L, SHEET, "[[1.0, nan]]", "[1, 2, 3]", "[[[1, 2], [3, 4]]]", "a b; c d", "[[1+2j, 2]]"]
    runner = CliRunner()
    for _ in range(150):
        args = ["pool", rng.choice(matrices)]
        for option in rng.sample(["--size", "--stride", "--padding", "--dilation", "--upstream"], 3):
            args += [option, rng.choice(values + ["1 2; 3 4"])]
        args += rng.sample(["--ceil-mode", "--no-count-pad", "--kind=avg", "--of=grad-input", "-fjson"], 2)
        result = runner.invoke(app, args)
        assert result.exit_code in (ExitCode.OK, ExitCode.USAGE_OR_INPUT), (args, result.stderr)
        assert "Traceback" not in result.stderr and "internal error" not in result.stderr
        if result.exit_code == ExitCode.USAGE_OR_INPUT:
            assert result.stderr.startswith("error: ") and result.stdout == ""


# --- the table view ---------------------------------------------------------------------------------


def _sheet_gradient():
    a = np.array([[1, 3, 2, 1], [4, 2, 1, 5], [3, 1, 1, 0], [1, 2, 2, 4]])
    return pool(a, PoolOptions(size=(2,)), upstream=np.array([[1, 2], [3, 4]]), of="grad-input")


def _tied():
    return pool(np.array([[5, 5, 1], [1, 2, 3]]), PoolOptions(size=(2,), stride=(1,)), of="grad-input")


def _avg_ceil():
    a = np.arange(25).reshape(5, 5)
    return pool(a, PoolOptions("avg", size=(3,), stride=(2,), padding=(1,), ceil_mode=True))


GOLDEN = {
    "pool_sheet_gradient_80": (_sheet_gradient, 80),
    "pool_tied_80": (_tied, 80),
    "pool_avg_ceil_80": (_avg_ceil, 80),
    "pool_tied_40": (_tied, 40),
}


@pytest.mark.parametrize("name", list(GOLDEN))
def test_golden(name):
    make, width = GOLDEN[name]
    assert_golden(name, draw(render_pool.pool_view(make(), width=width), width), width)
