"""Animation frames: each marks the cells its step reads and fills in what it computes, and the
frames together build the complete result, checked against scipy and loops written here."""

from __future__ import annotations

import time
from fractions import Fraction

import numpy as np
import pytest
import scipy.signal
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from convcli import frames
from convcli.frames import OUTPUT_BOARD, Animation, Progress, animate_steps, lazily
from convcli.frames_transpose import animate_scatter
from convcli.model import Mode, Op, OpOptions, TransposeOptions

from .conftest import B2, SEED_A, SEED_B


def play_all(animation: Animation) -> tuple[list[frames.Frame], Progress]:
    shown = list(animation.frames)
    progress = Progress()
    for index, frame in enumerate(shown):
        progress.add(index, frame)
    assert len(shown) == animation.count
    return shown, progress


def output_at(animation: Animation, progress: Progress, index: int) -> list[list[object]]:
    layers, rows, cols = animation.scene.output.shape
    assert layers == 1
    return [[progress.value(index, (0, r, c)) for c in range(cols)] for r in range(rows)]


def marked_cells(frame: frames.Frame, board: int) -> list[tuple[int, int, int]]:
    return sorted((m.layer, r, c) for m in frame.marks if m.board == board for r in m.rows for c in m.cols)


def test_the_seed_example_slides_cell_by_cell_and_ends_on_the_result():
    animation = animate_steps(Op.CONVOLVE, SEED_A, B2)
    shown, progress = play_all(animation)
    assert animation.count == 10  # nine cells, then the complete result
    assert [f.name for f in shown] == [f"C[{i}, {j}]" for i in range(3) for j in range(3)] + ["C"]
    # the window of C[0, 1] covers rows 0-2 and columns 1-3 of A; the output marks that one cell
    second = shown[1]
    assert marked_cells(second, 0) == [(0, r, c) for r in range(3) for c in range(1, 4)]
    assert marked_cells(second, OUTPUT_BOARD) == [(0, 0, 1)]
    assert second.value == "3"
    assert second.lines == ("(1*1)+(1*0)+(0*1)+(1*0)+(1*1)+(1*0)+(0*0)+(1*0)+(1*1) = 1+0+0+0+1+0+0+0+1 = 3",)
    turned, products = second.panels
    assert turned.label == "B turned 180° (as applied)"
    assert turned.values.tolist() == [[1, 0, 1], [0, 1, 0], [0, 0, 1]]
    assert products.values.tolist() == [[1, 0, 0], [0, 1, 0], [0, 0, 1]]
    assert animation.scene.panels[0].values.tolist() == B2.tolist()  # B as given, beside it
    # the output fills in one cell per frame, in reading order
    assert output_at(animation, progress, 0) == [[4, None, None], [None] * 3, [None] * 3]
    assert output_at(animation, progress, 4) == [[4, 3, 3], [2, 4, None], [None] * 3]
    expected = scipy.signal.convolve2d(SEED_A, B2, mode="valid").tolist()
    assert output_at(animation, progress, 8) == expected
    assert shown[-1].result is not None and shown[-1].result[0].tolist() == expected
    assert output_at(animation, progress, 9) == expected


def test_the_deeplearning_ai_kernel_gives_the_seed_result():
    animation = animate_steps(Op.CORRELATE, SEED_A, SEED_B)
    shown, progress = play_all(animation)
    assert output_at(animation, progress, 8) == [[4, 3, 4], [2, 4, 3], [2, 3, 4]]


def test_padding_is_faint_and_labelled_below_zero():
    animation = animate_steps(Op.CORRELATE, SEED_A, SEED_B, OpOptions(mode=Mode.SAME), max_steps=2)
    board = animation.scene.boards[0]
    assert board.label == "A, padded"
    assert board.start == (-1, -1)
    assert board.values.shape == (1, 7, 7)
    assert board.faint is not None and board.faint[0, 0].all() and not board.faint[0, 1, 1]
    first = next(animation.frames)
    assert marked_cells(first, 0) == [(0, r, c) for r in range(3) for c in range(3)]
    assert first.lines[0].endswith("= 2")


def test_stride_and_dilation_move_and_spread_the_window():
    a = np.arange(49).reshape(7, 7)
    animation = animate_steps(Op.CORRELATE, a, SEED_B, OpOptions(stride=(2,), dilation=(2,)))
    shown, _ = play_all(animation)
    second = shown[1]  # C[0, 1]: origin at column 2, taps 2 apart
    assert marked_cells(second, 0) == [(0, r, c) for r in (0, 2, 4) for c in (2, 4, 6)]


@pytest.mark.parametrize("op", [Op.CONVOLVE, Op.CORRELATE])
@given(
    a=arrays(np.int64, st.tuples(st.integers(1, 6), st.integers(1, 6)), elements=st.integers(-9, 9)),
    b=arrays(np.int64, st.tuples(st.integers(1, 3), st.integers(1, 3)), elements=st.integers(-9, 9)),
    mode=st.sampled_from(["valid", "same", "full"]),
)
@settings(max_examples=40, deadline=None)
def test_frames_build_scipys_result_and_read_the_cells_they_mark(op, a, b, mode):
    if mode == "valid" and (a.shape[0] < b.shape[0] or a.shape[1] < b.shape[1]):
        return  # neither covers the other: refused, as by scipy
    animation = animate_steps(op, a, b, OpOptions(mode=Mode(mode)), max_steps=10_000)
    shown, progress = play_all(animation)
    reference = (scipy.signal.convolve2d if op is Op.CONVOLVE else scipy.signal.correlate2d)(a, b, mode=mode)
    assert output_at(animation, progress, len(shown) - 2) == reference.tolist()
    assert shown[-1].result is not None and shown[-1].result[0].tolist() == reference.tolist()
    board = animation.scene.boards[0]
    applied = b[::-1, ::-1] if op is Op.CONVOLVE else b
    for frame in shown[:-1]:
        # the marked cells of A, times the kernel as applied, are the products shown
        window = np.array([[board.values[0, r, c] for c in m.cols] for m in frame.marks[:1] for r in m.rows])
        assert frame.panels[0].values.tolist() == applied.tolist()
        assert frame.panels[1].values.tolist() == (window * applied).tolist()
        ((_, r, c),) = marked_cells(frame, OUTPUT_BOARD)
        assert frame.value == str(reference[r, c])


def test_channels_give_one_frame_per_output_cell_of_every_filter():
    rng = np.random.default_rng(3)
    a = rng.integers(-3, 4, (2, 4, 4))
    w = rng.integers(-3, 4, (3, 2, 2, 2))
    animation = animate_steps(Op.CORRELATE, a, w, OpOptions(channels=True), max_steps=1000)
    shown, progress = play_all(animation)
    assert animation.scene.output.shape == (3, 3, 3)
    assert len(shown) == 3 * 3 * 3 + 1
    expected = np.zeros((3, 3, 3), dtype=int)
    for o in range(3):
        for i in range(3):
            for j in range(3):
                expected[o, i, j] = sum(
                    a[c, i + u, j + v] * w[o, c, u, v] for c in range(2) for u in range(2) for v in range(2)
                )
    filled = [[[progress.value(27, (o, i, j)) for j in range(3)] for i in range(3)] for o in range(3)]
    assert filled == expected.tolist()
    assert [m.layer for m in shown[9].marks if m.board == OUTPUT_BOARD] == [1]  # filter 1 starts at frame 9
    assert shown[0].panels[0].label == "B (as applied), channel 0 of 2"
    assert shown[0].lines[-1].strip().startswith("sum over channels:")


def test_dot_marks_a_row_of_a_and_a_column_of_b():
    a = np.arange(6).reshape(2, 3)
    b = np.arange(12).reshape(3, 4)
    animation = animate_steps(Op.DOT, a, b)
    shown, progress = play_all(animation)
    frame = shown[6]  # C[1, 2]
    assert frame.name == "C[1, 2]"
    assert marked_cells(frame, 0) == [(0, 1, c) for c in range(3)]
    assert marked_cells(frame, 1) == [(0, r, 2) for r in range(3)]
    assert frame.value == str(int(np.dot(a, b)[1, 2]))
    assert output_at(animation, progress, 8) == np.dot(a, b).tolist()


def test_dot_of_vectors_reads_b_as_a_column():
    animation = animate_steps(Op.DOT, np.array([1, 2, 3]), np.array([4, 5, 6]))
    shown, _ = play_all(animation)
    assert [b.values.shape for b in animation.scene.boards] == [(1, 1, 3), (1, 3, 1)]
    assert shown[0].value == "32" and shown[0].lines == ("(1*4)+(2*5)+(3*6) = 4+10+18 = 32",)


def test_elementwise_sum_is_one_frame_over_every_cell():
    animation = animate_steps(Op.ELEMENTWISE_SUM, SEED_A[:3, :3], SEED_B)
    shown, progress = play_all(animation)
    assert len(shown) == 2
    assert (
        marked_cells(shown[0], 0)
        == marked_cells(shown[0], 1)
        == [(0, r, c) for r in range(3) for c in range(3)]
    )
    assert shown[0].value == "4" == str(int(np.sum(SEED_A[:3, :3] * SEED_B)))
    assert progress.value(0, (0, 0, 0)) == 4


def test_fractions_and_negatives_read_as_on_the_terminal():
    a = np.empty((1, 2), dtype=object)
    a[:] = [[Fraction(1, 2), -3]]
    shown, _ = play_all(animate_steps(Op.CORRELATE, a, np.array([[2, -1]])))
    assert shown[0].lines == ("((1/2)*2)+((-3)*(-1)) = 1+3 = 4",)


def test_a_long_sum_is_summarised():
    a = np.ones((30, 30), dtype=int)
    frame = next(animate_steps(Op.CORRELATE, a, a).frames)
    assert frame.lines == ("the sum of 900 products = 900",)


def test_max_steps_and_at_bound_the_run():
    animation = animate_steps(Op.CORRELATE, SEED_A, SEED_B, max_steps=4)
    shown, progress = play_all(animation)
    assert animation.count == 5
    assert "the first 4 of its 9 cells were derived above" in shown[-1].lines[0]
    assert output_at(animation, progress, 4) == [[4, 3, 4], [2, 4, 3], [2, 3, 4]]
    one = animate_steps(Op.CORRELATE, SEED_A, SEED_B, at=(2, 1))
    shown, _ = play_all(one)
    assert [f.name for f in shown] == ["C[2, 1]", "C"]


def test_frames_are_made_lazily(monkeypatch):
    made: list[int] = []
    derive = frames.derive

    def counting(*args, **kwargs):
        made.append(kwargs["max_steps"])
        return derive(*args, **kwargs)

    monkeypatch.setattr(frames, "derive", counting)
    big = np.random.default_rng(0).integers(0, 9, (1000, 1000))
    started = time.perf_counter()
    animation = animate_steps(Op.CORRELATE, big, SEED_B, max_steps=10**9)
    next(animation.frames)
    assert made == [1]  # one cell derived before the first frame
    assert animation.count == 998 * 998 + 1
    for _ in range(20):
        next(animation.frames)
    assert made == [1, 4, 16, 64]
    assert time.perf_counter() - started < 30  # a generous bound: all of it would take hours


def test_lazily_grows_four_times_and_stops_at_the_limit():
    asked: list[int] = []

    def more(n: int) -> list[int]:
        asked.append(n)
        return list(range(min(n, 50)))

    assert list(lazily([0], more, 100)) == list(range(50))
    assert asked == [4, 16, 64]  # 64 asked, 50 there: no more to come
    asked.clear()
    assert list(lazily([0], more, 20)) == list(range(20))
    assert asked == [4, 16, 20]


def scatter_reference(a: np.ndarray, b: np.ndarray, stride: int) -> np.ndarray:
    """The scatter-add written out: every input cell adds value * B at (i*s, j*s)."""
    out = np.zeros(
        ((a.shape[0] - 1) * stride + b.shape[0], (a.shape[1] - 1) * stride + b.shape[1]), dtype=int
    )
    for i in range(a.shape[0]):
        for j in range(a.shape[1]):
            out[i * stride : i * stride + b.shape[0], j * stride : j * stride + b.shape[1]] += a[i, j] * b
    return out


@pytest.mark.parametrize(("stride", "padding"), [(1, 0), (2, 0), (2, 1), (3, 1)])
def test_scatter_frames_sum_to_the_transposed_convolution(stride, padding):
    rng = np.random.default_rng(stride * 10 + padding)
    a = rng.integers(-4, 5, (3, 3))
    b = rng.integers(-4, 5, (3, 3))
    animation = animate_scatter(a, b, TransposeOptions(stride=(stride,), padding=(padding,)), max_steps=100)
    shown, progress = play_all(animation)
    reference = scatter_reference(a, b, stride)
    layers, rows, cols = animation.scene.output.shape
    assert (layers, rows, cols) == (1, *reference.shape)
    summed = [[progress.value(8, (0, r, c)) or 0 for c in range(cols)] for r in range(rows)]
    assert summed == reference.tolist()
    frame = shown[5]  # A[1, 2] adds A[1, 2]·B at (s, 2s)
    assert frame.name == "A[1, 2]" and frame.value == str(a[1, 2])
    assert marked_cells(frame, 0) == [(0, 1, 2)]
    assert marked_cells(frame, OUTPUT_BOARD) == [
        (0, r, c) for r in range(stride, stride + 3) for c in range(2 * stride, 2 * stride + 3)
    ]
    last = shown[-1]
    kept = reference[padding : rows - padding, padding : cols - padding]
    assert last.panels[0].values.tolist() == kept.tolist()
    assert marked_cells(last, OUTPUT_BOARD) == [
        (0, r, c) for r in range(padding, rows - padding) for c in range(padding, cols - padding)
    ]


def test_scatter_with_channels_adds_into_every_output_channel():
    a = np.arange(8).reshape(2, 2, 2)
    w = np.arange(2 * 3 * 2 * 2).reshape(2, 3, 2, 2)
    animation = animate_scatter(a, w, TransposeOptions(channels=True), max_steps=100)
    shown, progress = play_all(animation)
    assert animation.scene.output.shape == (3, 3, 3)
    expected = np.zeros((3, 3, 3), dtype=int)
    for c in range(2):
        for i in range(2):
            for j in range(2):
                expected[:, i : i + 2, j : j + 2] += a[c, i, j] * w[c]
    filled = [[[progress.value(7, (o, r, q)) for q in range(3)] for r in range(3)] for o in range(3)]
    assert filled == expected.tolist()
    assert sorted({m.layer for m in shown[0].marks if m.board == OUTPUT_BOARD}) == [0, 1, 2]


def test_the_crop_is_said_in_words():
    one = animate_scatter(
        np.ones((2, 2), dtype=int), np.ones((2, 2), dtype=int), TransposeOptions(padding=(1, 0))
    )
    assert (
        list(one.frames)[-1]
        .lines[0]
        .endswith("cropping 1 row from the top and the bottom and 0 columns from each side leaves the result")
    )
