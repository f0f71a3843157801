"""Golden renders of the table view at fixed widths, without colour.

The expected text lives in tests/golden/NAME.txt; set CONVCLI_UPDATE_GOLDEN=1 to rewrite it after
a deliberate change, then read the diff.
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
    render_grid,
    render_layers,
    render_steps,
    shapes,
)
from convcli.im2col import im2col
from convcli.model import Mode, Op, OpOptions, TransposeOptions
from convcli.steps import derive, derive_cells
from convcli.transpose import conv_transpose, scatter_steps

from .conftest import B2, SEED_A, SEED_B, WINDOW

GOLDEN_DIR = Path(__file__).parent / "golden"


def draw(renderable, width):
    console = Console(width=width, color_system=None, file=io.StringIO())
    console.print(renderable)
    return console.file.getvalue()


def _ramp():
    return np.arange(4_000_000, dtype=np.int64).reshape(2000, 2000)


def _steps(w):
    return render_steps.steps_view(
        derive(Op.CONVOLVE, SEED_A, B2, OpOptions(mode=Mode.SAME), at=(0, 1)), width=w
    )


def _check(w):
    report = diagnose.check(
        SEED_A, B2, np.array([[4, 3, 3], [2, 4, 2], [2, 2, 3]]), Op.CORRELATE, OpOptions()
    )
    return render_check.check_view(
        report, derive_cells(Op.CORRELATE, SEED_A, B2, OpOptions(), report.wrong[:2]), width=w
    )


def _check_right(w):
    report = diagnose.check(
        SEED_A, SEED_B, np.array([[4, 3, 4], [2, 4, 3], [2, 3, 4]]), Op.CONVOLVE, OpOptions()
    )
    return render_check.check_view(report, [], width=w)


# conv-transpose with channels: A is C_in x H x W, B is C_in x C_out x kh x kw
CHANNELS_A = np.array([[[1, 2], [3, 4]]])
CHANNELS_B = np.array([[[[1, 0], [0, 1]], [[2, 0], [0, 2]]]])
TWO = np.array([[0, 1], [2, 3]])


def _layer_at(w):
    network = layers.follow_calls((1, 32, 32), ["Conv2d(1, 6, 5)", "MaxPool2d(2)", "Conv2d(6, 16, 5)"])
    return render_layers.layer_at_view(layers.explain(network, 1), width=w)


CASES = {
    "steps_60": (_steps, 60),
    "steps_80": (_steps, 80),
    "check_60": (_check, 60),
    "check_80": (_check, 80),
    "convolve_seed_60": (lambda w: render.result_view(ops.convolve(SEED_A, SEED_B), width=w), 60),
    "compare_seed_60": (lambda w: render.comparison_view(comparison.compare(SEED_A, SEED_B), width=w), 60),
    "compare_window_b2_80": (lambda w: render.comparison_view(comparison.compare(WINDOW, B2), width=w), 80),
    "elementwise_sum_80": (lambda w: render.result_view(ops.elementwise_sum(WINDOW, B2), width=w), 80),
    "dot_80": (lambda w: render.result_view(ops.dot(WINDOW, B2), width=w), 80),
    "correlate_channels_80": (
        lambda w: render.result_view(
            ops.correlate(np.stack([SEED_A, SEED_A]), np.stack([SEED_B, B2]), OpOptions(channels=True)),
            width=w,
        ),
        80,
    ),
    "steps_dot_80": (lambda w: render_steps.steps_view(derive(Op.DOT, WINDOW, B2, at=(0, 0)), width=w), 80),
    "steps_elementwise_sum_80": (
        lambda w: render_steps.steps_view(derive(Op.ELEMENTWISE_SUM, WINDOW, B2), width=w),
        80,
    ),
    "conventions_80": (
        lambda w: render.conventions_view(
            comparison.compare_conventions(
                np.array([1, 2, 3, 4, 5]), np.array([1, 2]), OpOptions(mode="same")
            ),
            width=w,
        ),
        80,
    ),
    "check_right_80": (_check_right, 80),
    "conv_transpose_80": (
        lambda w: render.transpose_view(conv_transpose(TWO, TWO, TransposeOptions(stride=(2,))), width=w),
        80,
    ),
    "conv_transpose_steps_80": (
        lambda w: render_steps.scatter_view(
            scatter_steps(TWO, TWO, TransposeOptions(stride=(2,)), max_steps=2), width=w
        ),
        80,
    ),
    "conv_transpose_channels_steps_60": (
        lambda w: render_steps.scatter_view(
            scatter_steps(CHANNELS_A, CHANNELS_B, TransposeOptions(channels=True), max_steps=2), width=w
        ),
        60,
    ),
    "shape_transposed_80": (
        lambda w: render_layers.shape_view(
            shapes.report((4, 4), (3,), (2,), (0,), (1,), transposed=True, output_padding=(1,)), width=w
        ),
        80,
    ),
    "kernels_80": (lambda w: render.kernels_view(kernels.catalogue(), width=w), 80),
    "layer_at_80": (_layer_at, 80),
    "big_summary_60": (
        lambda w: render.result_view(ops.correlate(_ramp(), np.ones((1, 1), dtype=np.int64)), width=w),
        60,
    ),
}


def _compare(w):
    return render.comparison_view(comparison.compare(SEED_A, SEED_B), width=w)


def _every_step(w):
    # d2l's example, every cell derived, then the output assembled
    return render_steps.steps_view(
        derive(Op.CORRELATE, np.arange(9).reshape(3, 3), np.array([[0, 1], [2, 3]])), width=w
    )


def _im2col(w):

    return render_steps.im2col_view(im2col(Op.CONVOLVE, SEED_A, B2, OpOptions()), width=w)


def _shape(w):
    from convcli import shapes

    return render_layers.shape_view(shapes.report((32, 32), (5,), (2,), (1,), (1,)), width=w)


# the views a student meets first, at 80, 60 and 40 columns
for _name, _make in {
    "compare_seed": _compare,
    "steps_every_cell": _every_step,
    "check": _check,
    "im2col_convolve": _im2col,
    "shape": _shape,
}.items():
    for _width in (80, 60, 40):
        CASES.setdefault(f"{_name}_{_width}", (_make, _width))


def assert_golden(name: str, text: str, width: int) -> None:
    """``text`` is tests/golden/NAME.txt (rewritten with CONVCLI_UPDATE_GOLDEN=1), within ``width``."""
    path = GOLDEN_DIR / f"{name}.txt"
    if os.environ.get("CONVCLI_UPDATE_GOLDEN"):
        path.write_text(text, encoding="utf-8")
    assert text == path.read_text(encoding="utf-8")
    assert max(len(line) for line in text.splitlines()) <= width


@pytest.mark.parametrize("name", list(CASES))
def test_golden(name):
    make, width = CASES[name]
    text = draw(make(width), width)
    path = GOLDEN_DIR / f"{name}.txt"
    if os.environ.get("CONVCLI_UPDATE_GOLDEN"):
        path.write_text(text, encoding="utf-8")
    assert text == path.read_text(encoding="utf-8")
    assert max(len(line) for line in text.splitlines()) <= width


def test_brackets_in_explanations_are_not_markup():
    from convcli.parsing import parse_inline

    a = parse_inline("a b; c d", source="A")
    b = parse_inline("w x; y z", source="B")
    text = draw(render.comparison_view(comparison.compare(a, b), width=100), 100)
    assert "B turned 180° is [[z, y], [x, w]]: convolve(A, B) = correlate(A, B turned 180°)." in text


def _red_texts(renderable, width=80):
    """The texts drawn in red, in order."""
    console = Console(width=width, color_system="standard", force_terminal=True, file=io.StringIO())
    return [
        seg.text
        for seg in console.render(renderable)
        if seg.style is not None and seg.style.color is not None and seg.style.color.name == "red"
    ]


def test_check_colours_only_the_wrong_cells():
    # one wrong cell among nine: only its number is red, not the eight right ones around it
    answer = np.array([[4, 3, 4], [2, 5, 3], [2, 3, 4]])
    report = diagnose.check(SEED_A, SEED_B, answer, Op.CORRELATE, OpOptions())
    assert report.wrong == [(1, 1)]
    view = render_check.check_view(report, [], width=80)
    assert _red_texts(view) == ["✗ wrong", "5"]


def test_steps_end_with_the_output_assembled():
    text = draw(render_steps.steps_view(derive(Op.CONVOLVE, SEED_A, B2, OpOptions()), width=80), 80)
    assert text.rstrip().endswith(
        "C, assembled from the steps\n   0  1  2\n0  4  3  3\n1  2  4  2\n2  2  2  3"
    )
    # only some cells derived (--max-steps): those, and · for the rest (never computed)
    text = draw(render_steps.steps_view(derive(Op.DOT, WINDOW, B2, None, max_steps=2), width=80), 80)
    assert text.rstrip().endswith(
        "C with the 2 of its 9 cells derived above (· for the others)\n"
        "   0  1  2\n0  2  1  ·\n1  ·  ·  ·\n2  ·  ·  ·"
    )
    # the one cell asked for with --at is the whole answer
    text = draw(render_steps.steps_view(derive(Op.DOT, WINDOW, B2, None, at=(0, 1)), width=80), 80)
    assert "C, " not in text and "C with" not in text
    # elementwise-sum is one number, shown with its step; its product matrix is labelled
    text = draw(render_steps.steps_view(derive(Op.ELEMENTWISE_SUM, WINDOW, B2, None), width=80), 80)
    assert "sum(A*B) = 3\nthe products A*B, entry by entry\n   0  1  2\n0  1  0  0\n" in text
    assert "assembled" not in text


def test_channels_and_filters_are_named_in_words():
    a = np.arange(18).reshape(2, 3, 3)
    b = np.array([[[[1, 0], [0, 1]], [[1, 1], [0, 0]]], [[[0, 1], [1, 0]], [[2, 0], [0, 2]]]])
    options = OpOptions(channels=True)
    text = draw(render_steps.steps_view(derive(Op.CORRELATE, a, b, options, max_steps=1), width=80), 80)
    labels = [line for line in text.splitlines() if line.startswith("channel ") and " · filter " in line]
    assert labels[:4] == [
        "channel 0 · filter 0",
        "channel 1 · filter 0",
        "channel 0 · filter 1",
        "channel 1 · filter 1",
    ]
    assert not {"[0]", "[1]"} & set(text.splitlines())  # no bare index as a label
    # the result: one map per filter, named so
    text = draw(render.result_view(ops.correlate(a, b, options), width=80), 80)
    assert [line for line in text.splitlines() if line.startswith("filter")] == ["filter 0", "filter 1"]
    # 0*1+1*0+3*0+4*1 + 9*1+10*1+12*0+13*0 = 4 + 19
    assert ops.correlate(a, b, options).value[0, 0, 0] == 23


def test_im2col_shows_the_shapes_and_names_rows_and_kernel_by_b():

    text = draw(render_steps.im2col_view(im2col(Op.CONVOLVE, SEED_A, B2, OpOptions()), width=80), 80)
    lines = text.splitlines()
    assert lines[1].rstrip() == "A 5x5 · B 3x3 → 3x3 · integer, exact"
    turned = [f"B[{u},{v}]" for u in (2, 1, 0) for v in (2, 1, 0)]  # convolve meets B turned
    assert [line.split()[0] for line in lines if line.startswith("B[")] == turned
    kernel = lines.index("kernel row (B turned 180°): each entry of B once")
    assert lines[kernel + 1].split() == turned
    assert lines[kernel + 2].split() == ["1", "0", "1", "0", "1", "0", "0", "0", "1"]


@pytest.mark.parametrize("width", [80, 60, 40])
def test_shape_fits_and_never_splits_a_pair(width):
    from convcli import shapes

    report = shapes.report((32, 32), (5,), (2,), (1,), (1,))
    text = draw(render_layers.shape_view(report, width=width), width)
    assert max(len(line) for line in text.splitlines()) <= width
    # a (before, after) pair and the other modes' sizes are each on one line
    assert not re.search(r"\(\d+,\s*\n", text) and not re.search(r"\(full \d+,\s*\n", text)
    assert text.count("(full 18, same 16)") == 2
    formula = "o = floor((32 + 2*1 - 5 - (5-1)*(1-1)) / 2) + 1 = 15"
    if width == 80:  # the formula on the axis's line, the sizes under it
        assert f"  axis 0: {formula}\n          (full 18, same 16)\n" in text
    elif width == 60:  # the formula under the axis, whole
        assert f"  axis 0:\n    {formula}\n    (full 18, same 16)\n" in text


def test_floats_align_on_the_decimal_point():
    a = np.array([[0.5, 1e20], [10.25, np.nan], [6.0, 2.0], [13.0625, 1.5]])
    lines = draw(render_grid.matrix_grid(a, width=80), 80).splitlines()
    assert [line.rstrip() for line in lines] == [
        "         0      1",
        "0   0.5     1e+20",
        "1  10.25      nan",
        "2   6.0       2.0",
        "3  13.0625    1.5",
    ]
    # marked cells keep their brackets around the number, the points in line
    marked = draw(render_grid.matrix_grid(a[:2, :1], width=80, highlight={(0, 0)}), 80).splitlines()
    assert [line.rstrip() for line in marked] == ["       0", "0  [0.5]", "1  10.25"]


def test_stacked_grids_share_one_cell_width():
    # filter 1 holds a wider number than filter 0: both grids give their columns its width
    result = np.array([[[8, 10], [14, 16]], [[-2, 2], [2, -20]]])

    def lines(width: int) -> list[str]:
        drawn = draw(render_grid.matrix_grid(result, width=width, lead=render_grid.FILTERS), width)
        return [line.rstrip() for line in drawn.splitlines()]

    assert lines(80) == [
        "filter 0",
        "     0    1",
        "0    8   10",
        "1   14   16",
        "filter 1",
        "     0    1",
        "0   -2    2",
        "1    2  -20",
    ]
    # where the common width would not fit, each grid keeps its own
    assert lines(12) == [
        "filter 0",
        "    0   1",
        "0   8  10",
        "1  14  16",
        "filter 1",
        "    0    1",
        "0  -2    2",
        "1   2  -20",
    ]
