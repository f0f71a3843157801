"""steps --op max-pool|avg-pool: each window derived on Python numbers agrees with pool, each
gradient cell adds up its sources, every format, the table view, and the refusals."""

from __future__ import annotations

import json
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from convcli import render_pool
from convcli.cli import ExitCode, app
from convcli.errors import ConvcliError
from convcli.model import PoolKind
from convcli.pool import pool
from convcli.pool_geometry import PoolOptions
from convcli.steps_pool import derive_pool, pool_grad_lines, pool_step_lines

from .test_pool import _array, _same, cases
from .test_render import assert_golden, draw

D2L = "0 1 2; 3 4 5; 6 7 8"


def run(*args: str, input: str | None = None):
    return CliRunner().invoke(app, ["steps", *args], input=input)


# --- the derivation agrees with the computation ---------------------------------------------------


def _pooled(case, **kw):
    """The case's A (nested lists), options and pooling, or None where pooling refuses it."""
    kind, a, size, stride, padding, dilation, ceil, count_pad = case
    options = PoolOptions(PoolKind(kind), size, stride, padding, dilation, ceil, count_pad)
    try:
        return a, options, pool(_array(a), options, **kw)
    except ConvcliError:
        return None


@settings(max_examples=150, deadline=None)
@given(cases(), st.data())
def test_each_window_agrees_with_pool(case, data):
    if (pooled := _pooled(case, of="grad-input")) is None:
        return
    a, options, result = pooled
    kind = options.kind.value
    steps = derive_pool(_array(a), options, max_steps=10**6)
    assert len(steps.steps) == steps.total_cells == result.output.size and not steps.capped
    for step in steps.steps:
        _same([step.value], [result.output[step.cell]])
        if kind == "max":
            r, c = step.taps[step.best]
            assert r * len(a[0]) + c == result.argmax[step.cell]
            _same([step.window[step.best]], [step.value])
        else:
            read = [v for v in step.window if v is not None]
            assert len(read) == step.count
            if isinstance(step.total, float):
                _same([step.total / step.count], [step.value])
            else:
                assert Fraction(step.total) / step.count == step.value


@settings(max_examples=150, deadline=None)
@given(cases(), st.data())
def test_each_gradient_cell_adds_up_its_sources(case, data):
    if (pooled := _pooled(case)) is None:
        return
    a, options, result = pooled
    shape = result.output.shape
    G = np.array([[data.draw(st.integers(-5, 5)) for _ in range(shape[1])] for _ in range(shape[0])])
    steps = derive_pool(_array(a), options, upstream=G, of="grad-input", max_steps=10**6)
    assert len(steps.grad_steps) == steps.total_cells == len(a) * len(a[0])
    for step in steps.grad_steps:
        total = sum((s.share for s in step.sources), start=0)
        _same([total], [step.value])


# --- hand-worked lines -------------------------------------------------------------------------------


def test_d2l_plain():
    result = run(D2L, "--op", "max-pool", "--size", "2", "--stride", "1")
    assert (result.exit_code, result.stderr) == (ExitCode.OK, "")
    assert result.stdout == (
        "# max-pool, size 2,2 · stride 1,1 · padding 0,0\n"
        "# C[i, j] = max over u, v of A[i+u, j+v]  (the maximum marked *)\n"
        "C[0, 0]: max(0, 1, 3, 4) = 4 at A[1, 1]\n"
        "C[0, 1]: max(1, 2, 4, 5) = 5 at A[1, 2]\n"
        "C[1, 0]: max(3, 4, 6, 7) = 7 at A[2, 1]\n"
        "C[1, 1]: max(4, 5, 7, 8) = 8 at A[2, 2]\n"
    )


def test_avg_with_padding_shows_the_count():
    result = run(D2L, "--op", "avg-pool", "--size", "3", "--stride", "2", "--padding", "1", "--at", "0,0")
    assert (result.exit_code, result.stderr) == (ExitCode.OK, "")
    assert result.stdout.splitlines()[1:] == [
        "# C[i, j] = (sum over u, v of Ap[2i+u, 2j+v]) / count  (count: the taps inside the padded input; "
        "Ap is A padded with 0)",
        "C[0, 0]: (0+0+0+0+0+1+0+3+4) / 9 = 8/9",
    ]
    result = run(
        D2L,
        "--op",
        "avg-pool",
        "--size",
        "3",
        "--stride",
        "2",
        "--padding",
        "1",
        "--no-count-pad",
        "--at",
        "0,0",
    )
    assert (result.exit_code, result.stderr) == (ExitCode.OK, "")
    assert result.stdout.splitlines() == [
        "# avg-pool, size 3,3 · stride 2,2 · padding 1,1 · padding not counted",
        "# C[i, j] = (sum over u, v of Ap[2i+u, 2j+v]) / count  (count: the taps inside A; Ap is A padded with 0)",
        "C[0, 0]: (0+1+3+4) / 4 = 8/4 = 2",
    ]


def test_max_pads_with_minus_infinity_and_names_ties():
    result = run(
        "5 5 1; 1 2 3", "--op", "max-pool", "--size", "2", "--stride", "1", "--padding", "1", "--at", "0,1"
    )
    assert (result.exit_code, result.stderr) == (ExitCode.OK, "")
    assert result.stdout.splitlines()[-1] == (
        "C[0, 1]: max(-inf, -inf, 5, 5) = 5 at A[0, 0], the first of 2 equal maxima (torch's rule)"
    )


def test_nan_is_named_as_torch_takes_it():
    result = run("1 nan; nan 0", "--op", "max-pool", "--size", "2")
    assert (result.exit_code, result.stderr) == (ExitCode.OK, "note: nan reached 1 cell: [0, 0]\n")
    assert (
        result.stdout.splitlines()[-1]
        == "C[0, 0]: max(1.0, nan, nan, 0.0) = nan at A[1, 0], the last nan (torch's rule)"
    )


def test_gradient_cells_from_their_sources():
    result = run(
        D2L,
        "--op",
        "avg-pool",
        "--size",
        "2",
        "--stride",
        "1",
        "--upstream",
        "4 8; 12 16",
        "--of",
        "grad-input",
    )
    assert (result.exit_code, result.stderr) == (ExitCode.OK, "")
    assert result.stdout.splitlines() == [
        "# avg-pool, size 2,2 · stride 1,1 · padding 0,0",
        "# dA[r, c] = the sum of G[i, j] / count[i, j] over the windows that hold A[r, c]",
        "dA[0, 0]: G[0, 0]/4 = 4/4 = 1",
        "dA[0, 1]: G[0, 0]/4 + G[0, 1]/4 = 4/4+8/4 = 3",
        "dA[0, 2]: G[0, 1]/4 = 8/4 = 2",
        "dA[1, 0]: G[0, 0]/4 + G[1, 0]/4 = 4/4+12/4 = 4",
        "dA[1, 1]: G[0, 0]/4 + G[0, 1]/4 + G[1, 0]/4 + G[1, 1]/4 = 4/4+8/4+12/4+16/4 = 10",
        "dA[1, 2]: G[0, 1]/4 + G[1, 1]/4 = 8/4+16/4 = 6",
        "dA[2, 0]: G[1, 0]/4 = 12/4 = 3",
        "dA[2, 1]: G[1, 0]/4 + G[1, 1]/4 = 12/4+16/4 = 7",
        "dA[2, 2]: G[1, 1]/4 = 16/4 = 4",
    ]


def test_max_gradient_with_overlapping_windows():
    no_upstream = "note: no --upstream: G is all ones, so grad-input is the gradient of the output's sum\n"
    result = run(D2L, "--op", "max-pool", "--size", "2", "--stride", "1", "--of", "grad-input", "--at", "2,2")
    assert (result.exit_code, result.stderr) == (ExitCode.OK, no_upstream)
    assert result.stdout.splitlines()[-1] == "dA[2, 2]: G[1, 1] = 1"
    result = run(
        "9 1 1; 1 1 1; 1 1 1", "--op", "max-pool", "--stride", "1", "--of", "grad-input", "--at", "0,0"
    )
    assert result.exit_code == ExitCode.OK
    assert result.stderr.splitlines() == [
        no_upstream.rstrip("\n"),
        *(
            f"note: window [{i}, {j}] has its maximum 1 in 4 cells: its gradient goes to the first, A[{i}, {j}] "
            "(torch's rule)"
            for i, j in ((0, 1), (1, 0), (1, 1))
        ),
    ]
    assert result.stdout.splitlines()[-1] == "dA[0, 0]: G[0, 0] = 1"
    result = run(
        "1 1 1; 1 9 1; 1 1 1", "--op", "max-pool", "--stride", "1", "--of", "grad-input", "--at", "1,1"
    )
    assert (result.exit_code, result.stderr) == (ExitCode.OK, no_upstream)
    assert result.stdout.splitlines()[-1] == "dA[1, 1]: G[0, 0] + G[0, 1] + G[1, 0] + G[1, 1] = 1+1+1+1 = 4"
    result = run(
        "1 1 1; 1 9 1; 1 1 1", "--op", "max-pool", "--stride", "1", "--of", "grad-input", "--at", "0,2"
    )
    assert (result.exit_code, result.stderr) == (ExitCode.OK, no_upstream)
    assert result.stdout.splitlines()[-1] == "dA[0, 2]: 0 (no window's maximum)"


def test_channels_name_their_cells():
    result = run("[[[0,1],[2,3]],[[7,6],[5,4]]]", "--op", "max-pool")
    assert (result.exit_code, result.stderr) == (ExitCode.OK, "")
    assert result.stdout.splitlines()[2:] == [
        "C[0, 0, 0]: max(0, 1, 2, 3) = 3 at A[0, 1, 1]",
        "C[1, 0, 0]: max(7, 6, 5, 4) = 7 at A[1, 0, 0]",
    ]


def test_capped_with_a_note():
    result = run(D2L, "--op", "max-pool", "--stride", "1", "--max-steps", "1")
    assert result.exit_code == ExitCode.OK
    assert result.stdout.splitlines() == [
        "# max-pool, size 2,2 · stride 1,1 · padding 0,0",
        "# C[i, j] = max over u, v of A[i+u, j+v]  (the maximum marked *)",
        "C[0, 0]: max(0, 1, 3, 4) = 4 at A[1, 1]",
    ]
    assert result.stderr == "note: showing 1 of 4 cells; --max-steps 4 shows them all, --at I,J one cell\n"


# --- formats --------------------------------------------------------------------------------------------


def test_json():
    result = run("5 5 1; 1 2 3", "--op", "max-pool", "--stride", "1", "-f", "json")
    assert (result.exit_code, result.stderr) == (ExitCode.OK, "")
    doc = json.loads(result.stdout)
    assert (doc["op"], doc["of"], doc["total_cells"], doc["shown"], doc["result"]) == (
        "max-pool",
        "output",
        2,
        2,
        [[5, 5]],
    )
    assert doc["steps"][0] == {
        "cell": [0, 0],
        "taps": [[0, 0], [0, 1], [1, 0], [1, 1]],
        "window": [5, 5, 1, 2],
        "padding": [False, False, False, False],
        "value": 5,
        "at": [0, 0],
        "ties": 2,
        "terms": "C[0, 0]: max(5, 5, 1, 2) = 5 at A[0, 0], the first of 2 equal maxima (torch's rule)",
    }


def test_json_gradient():
    result = run(
        D2L,
        "--op",
        "avg-pool",
        "--size",
        "3",
        "--padding",
        "1",
        "--of",
        "grad-input",
        "--at",
        "0,0",
        "-f",
        "json",
    )
    assert (result.exit_code, result.stderr) == (
        ExitCode.OK,
        "note: no --upstream: G is all ones, so grad-input is the gradient of the output's sum\n",
    )
    doc = json.loads(result.stdout)
    assert doc["steps"] == [
        {
            "cell": [0, 0],
            "sources": [{"cell": [0, 0], "g": 1, "count": 9, "share": "1/9"}],
            "value": "1/9",
            "terms": "dA[0, 0]: G[0, 0]/9 = 1/9",
        }
    ]
    assert doc["result"][0][0] == "1/9"


def test_markdown_and_latex():
    result = run(D2L, "--op", "max-pool", "--at", "0,0", "-f", "markdown")
    assert (result.exit_code, result.stderr) == (ExitCode.OK, "")
    assert result.stdout == (
        "### max-pool, size 2,2 · stride 2,2 · padding 0,0\n\n"
        "`C[i, j] = max over u, v of A[2i+u, 2j+v]  (the maximum marked *)`\n\n"
        "- `C[0, 0]: max(0, 1, 3, 4) = 4 at A[1, 1]`\n"
    )
    result = run(
        "5 5 1; 1 2 3", "--op", "max-pool", "--stride", "1", "--padding", "1", "--at", "0,0", "-f", "latex"
    )
    assert (result.exit_code, result.stderr) == (ExitCode.OK, "")
    assert result.stdout == (
        "% max-pool, size 2,2 · stride 1,1 · padding 1,1\n"
        "\\begin{align*}\n"
        "C_{0, 0} &= \\max(-\\infty, -\\infty, -\\infty, 5) = 5 \\quad \\text{at A[0, 0]}\n"
        "\\end{align*}\n"
    )


@pytest.mark.parametrize("fmt", ["csv", "npy"])
def test_formats_without_a_derivation_are_refused(fmt, tmp_path):
    result = run(D2L, "--op", "max-pool", "-f", fmt, "-o", str(tmp_path / f"x.{fmt}"))
    assert (result.exit_code, result.stdout) == (ExitCode.USAGE_OR_INPUT, "")
    assert (
        result.stderr
        == f"error: steps cannot be written as {fmt}; use table, plain, json, markdown, latex or html\n"
    )


# --- refusals --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            [D2L, "1 0; 0 1", "--op", "max-pool"],
            '--op max-pool pools A alone and takes no B (its window is --size), got B "1 0; 0 1"',
        ),
        (
            [D2L, "--op", "avg-pool", "--mode", "same", "--bias", "1"],
            "--mode, --bias apply to convolve and correlate, not to --op avg-pool",
        ),
        (
            [D2L, "--op", "max-pool", "--channels"],
            "--channels applies to convolve and correlate, not to --op max-pool",
        ),
        ([D2L], "--op correlate needs B, the kernel: give A and B"),
        ([D2L, D2L, "--size", "3"], "--size applies to --op max-pool and avg-pool, not to --op correlate"),
        (
            [D2L, D2L, "--op", "convolve", "--of", "grad-input", "--no-count-pad"],
            "--count-pad/--no-count-pad, --of apply to --op max-pool and avg-pool, not to --op convolve",
        ),
        ([D2L, "--op", "max-pool", "--at", "2,0"], "--at: index 2 on axis 0 is outside the result (0 to 0)"),
        (
            [D2L, "--op", "max-pool", "--of", "grad-input", "--at", "3,0"],
            "--at: index 3 on axis 0 is outside the result (0 to 2)",
        ),
        (
            [D2L, "--op", "max-pool", "--upstream", "1 2; 3 4"],
            "max-pool --upstream: G is 2x2 but the max-pool output is 1x1; G holds one gradient per output cell, so it must have the output's shape",
        ),
        (
            [D2L, "--op", "avg-pool", "--dilation", "2"],
            "avg pooling has no --dilation (torch's avg_pool2d takes none), got --dilation 2; use --kind max, or leave --dilation out",
        ),
    ],
)
def test_refusals(args, message):
    result = run(*args)
    assert (result.exit_code, result.stdout) == (ExitCode.USAGE_OR_INPUT, "")
    assert result.stderr == f"error: {message}\n"


# --- the table view -------------------------------------------------------------------------------------

GOLDEN = {
    "pool_steps_max_80": (
        lambda: derive_pool(
            np.array([[5, 5, 1], [1, 2, 3]]), PoolOptions(size=(2,), stride=(1,), padding=(1,)), max_steps=2
        ),
        80,
    ),
    "pool_steps_avg_80": (
        lambda: derive_pool(
            np.arange(9).reshape(3, 3),
            PoolOptions("avg", size=(3,), stride=(2,), padding=(1,), ceil_mode=True),
            at=(1, 1),
        ),
        80,
    ),
    "pool_steps_grad_80": (
        lambda: derive_pool(
            np.arange(9).reshape(3, 3),
            PoolOptions("avg", size=(2,), stride=(1,)),
            upstream=np.array([[4, 8], [12, 16]]),
            of="grad-input",
            at=(1, 1),
        ),
        80,
    ),
}


@pytest.mark.parametrize("name", list(GOLDEN))
def test_golden(name):
    make, width = GOLDEN[name]
    assert_golden(name, draw(render_pool.pool_steps_view(make(), width=width), width), width)


def test_lines_of_one_step_are_one_line_each():
    steps = derive_pool(np.arange(9).reshape(3, 3), PoolOptions(size=(2,), stride=(1,)), max_steps=1)
    assert pool_step_lines(steps, steps.steps[0]) == ["C[0, 0]: max(0, 1, 3, 4) = 4 at A[1, 1]"]
    grads = derive_pool(
        np.arange(9).reshape(3, 3), PoolOptions(size=(2,), stride=(1,)), of="grad-input", at=(1, 1)
    )
    assert pool_grad_lines(grads, grads.grad_steps[0]) == ["dA[1, 1]: G[0, 0] = 1"]


# --- the animation: on a terminal (--play) and as a page (-f html) -------------------------------------


def test_the_page_carries_each_window_and_the_result():
    from .test_page import data_of, page_of

    data = data_of(page_of("steps", D2L, "--op", "max-pool", "--stride", "1", "--padding", "1"))
    assert [b["label"] for b in data["boards"]] == ["A, padded"]
    names = [f["name"] for f in data["frames"]]
    assert names[:3] == ["C[0, 0]", "C[0, 1]", "C[0, 2]"] and names[-1] == "C" and len(names) == 17
    assert data["frames"][5]["lines"] == ["max(0, 1, 3, 4) = 4 at A[1, 1]"]
    assert data["frames"][5]["value"] == "4"


def test_the_gradient_page_marks_the_cells_of_g():
    from .test_page import data_of, page_of

    data = data_of(
        page_of("steps", "5 5 1; 1 2 3", "--op", "avg-pool", "--stride", "1", "--of", "grad-input")
    )
    assert [b["label"] for b in data["boards"]] == ["G"] and data["output"]["label"] == "dA"
    assert data["frames"][4]["name"] == "dA[1, 1]"
    assert data["frames"][4]["lines"] == ["G[0, 0]/4 + G[0, 1]/4 = 1/4+1/4 = 1/2"]


@pytest.mark.parametrize(
    ("args", "title", "expected"),
    [
        (["--op", "max-pool", "--stride", "1"], "C", [["4", "5"], ["7", "8"]]),
        (["--op", "avg-pool", "--stride", "1"], "C", [["2", "3"], ["5", "6"]]),
        (
            ["--op", "max-pool", "--stride", "1", "--of", "grad-input"],
            "dA",
            [["0", "0", "0"], ["0", "1", "1"], ["0", "1", "1"]],
        ),
    ],
    ids=["max", "avg", "gradient"],
)
def test_pooling_plays_to_its_result(args, title, expected):
    from .test_play import finish, last_frame, rightmost_grid, spawn

    raw, status = finish(spawn(["steps", D2L, *args, "--play", "--delay", "0"]))
    assert status == ExitCode.OK
    frame = last_frame(raw)
    assert "the complete result" in frame
    shown = [[word.strip("[]") for word in row] for row in rightmost_grid(frame, title)]
    assert shown == expected, frame


def test_off_a_terminal_play_prints_the_steps_with_a_note():
    result = run(D2L, "--op", "max-pool", "--play")
    assert result.exit_code == ExitCode.OK
    assert result.stdout.splitlines()[-1] == "C[0, 0]: max(0, 1, 3, 4) = 4 at A[1, 1]"
    assert result.stderr == "note: --play animates only on a terminal; the steps are printed instead\n"
