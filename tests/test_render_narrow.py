"""Narrow terminals never drop data silently: every view, at every width from 12 columns up,
keeps every number of a small result, crops no word and no line.

Golden renders of the narrowest layouts live in tests/golden (CONVCLI_UPDATE_GOLDEN=1 rewrites
them after a deliberate change; then read the diff).
"""

from __future__ import annotations

import io
import os
import re
from pathlib import Path

import numpy as np
import pytest
from rich.console import Console

from convcli import (
    comparison,
    diagnose,
    kernels,
    layers,
    ops,
    render,
    render_check,
    render_layers,
    render_steps,
    shapes,
)
from convcli.cli import ExitCode
from convcli.im2col import im2col
from convcli.model import Op, OpOptions, TransposeOptions
from convcli.steps import derive, derive_cells
from convcli.transpose import conv_transpose, scatter_steps

from . import forkrun
from .conftest import B2, SAMPLES, SEED_A, SEED_B, WINDOW

GOLDEN_DIR = Path(__file__).parent / "golden"
WIDTHS = [12, 16, 20, 25, 30, 40, 60, 80]
WRONG = np.array([[4, 3, 3], [2, 4, 2], [2, 2, 4]])


def draw(renderable, width: int) -> str:
    console = Console(width=width, color_system=None, file=io.StringIO(), markup=False, emoji=False)
    console.print(renderable)
    return console.file.getvalue()


def _check(w):
    report = diagnose.check(SEED_A, B2, WRONG, Op.CORRELATE, OpOptions())
    return render_check.check_view(
        report, derive_cells(Op.CORRELATE, SEED_A, B2, OpOptions(), report.wrong[:1]), width=w
    )


def _lenet():
    from convcli import modeltext

    size = layers.input_shape(shapes.parse_size("1x32x32", "--input"))
    return layers.follow(size, modeltext.read_arguments([str(SAMPLES / "lenet.txt")]))


def _shape(w):
    report = shapes.report((32, 32), (5,), (1,), (0,), (1,), transposed=False, output_padding=(0,))
    return render_layers.shape_view(report, width=w)


VIEWS = {
    "compare": lambda w: render.comparison_view(comparison.compare(SEED_A, B2), width=w),
    "conventions": lambda w: render.conventions_view(
        comparison.compare_conventions(np.array([1, 2, 3, 4, 5]), np.array([1, 2]), OpOptions(mode="same")),
        width=w,
    ),
    "check": _check,
    "steps": lambda w: render_steps.steps_view(
        derive(Op.CONVOLVE, SEED_A, B2, OpOptions(padding=(1,)), at=(0, 0)), width=w
    ),
    "im2col": lambda w: render_steps.im2col_view(im2col(Op.CONVOLVE, SEED_A, B2, OpOptions()), width=w),
    "shape": _shape,
    "result": lambda w: render.result_view(ops.correlate(SEED_A, SEED_B), width=w),
    "elementwise-sum": lambda w: render.result_view(ops.elementwise_sum(WINDOW, B2), width=w),
    "transpose": lambda w: render.transpose_view(
        conv_transpose(np.array([[0, 1], [2, 3]]), np.array([[0, 1], [2, 3]]), TransposeOptions(stride=(2,))),
        width=w,
    ),
    "scatter": lambda w: render_steps.scatter_view(
        scatter_steps(np.array([[0, 1], [2, 3]]), np.array([[0, 1], [2, 3]]), TransposeOptions(stride=(2,))),
        width=w,
    ),
    "kernels": lambda w: render.kernels_view(kernels.catalogue()[:3], width=w),
    "layers": lambda w: render_layers.layers_view(_lenet(), width=w),
    "layer-at": lambda w: render_layers.layer_at_view(layers.explain(_lenet(), 1), width=w),
}

# rows that must be found whole in the view, each as its label followed by its numbers
MUST_SHOW = {
    "compare": [ops.convolve(SEED_A, B2).value, ops.correlate(SEED_A, B2).value],
    "check": [WRONG, ops.correlate(SEED_A, B2).value],
    "steps": [B2, np.rot90(B2, 2)],
    "result": [ops.correlate(SEED_A, SEED_B).value],
    "transpose": [np.array([[0, 0, 0, 1], [0, 0, 2, 3], [0, 2, 0, 3], [4, 6, 6, 9]])],
}

CROPPED = re.compile(r"[\w)(,\]\[]…")  # rich's mark of a word cut short ("resu…"); a lone … is a summary


def _numbers(text: str) -> list[str]:
    return re.findall(r"-?\d+(?:/\d+)?", text)


def _contains_row(numbers: list[str], row: list[str]) -> bool:
    return any(numbers[i : i + len(row)] == row for i in range(len(numbers) - len(row) + 1))


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("name", list(VIEWS))
def test_no_view_crops_anything_at_any_width(name, width):
    text = draw(VIEWS[name](width), width)
    too_long = [line for line in text.splitlines() if len(line) > width]
    assert not too_long, too_long
    assert not CROPPED.search(text), CROPPED.findall(text)
    numbers = _numbers(text)
    if "…" in text:  # a summary, as numpy prints a large array: said, not silent
        return
    for matrix in MUST_SHOW.get(name, []):
        for r, row in enumerate(matrix.tolist()):
            assert _contains_row(numbers, [str(r), *map(str, row)]), (r, row, text)


GOLDEN = {"compare_seed_b2_25": ("compare", 25), "check_20": ("check", 20), "steps_padding_20": ("steps", 20)}


@pytest.mark.parametrize("name", list(GOLDEN))
def test_narrow_golden(name):
    view, width = GOLDEN[name]
    text = draw(VIEWS[view](width), width)
    path = GOLDEN_DIR / f"{name}.txt"
    if os.environ.get("CONVCLI_UPDATE_GOLDEN"):
        path.write_text(text, encoding="utf-8")
    assert text == path.read_text(encoding="utf-8")


# --- errors and notes on a narrow terminal: wrapped at spaces, never mid-word ----------------------


def _on_a_terminal(args: list[str], cols: int, cwd: Path = SAMPLES.parent) -> tuple[list[str], int]:
    """The lines a run leaves on a terminal ``cols`` wide (stdout and stderr both on it)."""
    pexpect = pytest.importorskip("pexpect", reason="pexpect drives the pseudo-terminal (the test extra)")
    import sys

    env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES")}
    env.update(NO_COLOR="1", TERM="xterm-256color")
    child = forkrun.spawn(
        sys.executable,
        ["-m", "convcli", *args],
        cwd=str(cwd),
        env=env,
        dimensions=(50, cols),
        encoding="utf-8",
        timeout=60,
    )
    child.expect(pexpect.EOF)
    text = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", child.before).replace("\r", "")
    child.close()
    return [line.rstrip() for line in text.splitlines()], child.exitstatus


def test_an_error_wraps_at_spaces_on_a_narrow_terminal():
    lines, status = _on_a_terminal(["dot", "samples/A.txt", "samples/B.txt"], 40)
    assert status == ExitCode.USAGE_OR_INPUT
    assert lines == ["error: dot: A is 5x5 and B is 3x3; the", "inner dimensions (5 and 3) must match"]


def test_a_quoted_line_keeps_its_caret_under_the_column(tmp_path):
    bad = tmp_path / "bad.txt"
    bad.write_text("1 2 3 4 5\n0 1 1,,2 0 1 1 1 1 1\n", encoding="utf-8")
    lines, status = _on_a_terminal(["correlate", "bad.txt", "1"], 30, cwd=tmp_path)
    assert status == ExitCode.USAGE_OR_INPUT
    # the message wraps at spaces; the quoted line (wider than the terminal) and its caret are
    # left as they are
    assert lines[:2] == ["error: bad.txt:2:5: expected a", 'number, found "1,,2"']
    assert "".join(lines[2:-1]) == "   2 | 0 1 1,,2 0 1 1 1 1 1"
    assert lines[-1] == "     |     ^"


def test_the_quoting_advice_wraps_and_its_command_stays_whole():
    lines, status = _on_a_terminal(["correlate", "1", "2", "3", "1", "0"], 40)
    assert status == ExitCode.USAGE_OR_INPUT
    assert lines == [
        "error: Got unexpected extra argument(s)",
        "(3 1 0)  (see 'convcli correlate",
        "--help')",
        "a matrix with spaces in it is one",
        "argument in quotes, as in:",
        '  convcli correlate "1 2 3; 4 5 6" "1 0"',  # wider than 40, but a command to copy whole
    ]


def test_a_note_wraps_at_spaces_on_a_narrow_terminal():
    lines, status = _on_a_terminal(["convolve", "samples/A.txt", "samples/B2.txt", "-f", "plain"], 60)
    assert status == ExitCode.OK
    assert lines == [
        "4 3 3",
        "2 4 2",
        "2 2 3",
        "note: B changes when turned 180°: convolve turns it first,",
        "so this differs from correlate, what CNN layers (torch,",
        "TensorFlow) compute",
    ]
