"""check --op max-pool|avg-pool: right answers in any notation, each classic slip named when (and
only when) it gives the answer, the command line's exit codes and formats, and the refusals."""

from __future__ import annotations

import json
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from convcli import render_pool
from convcli.cli import ExitCode, app
from convcli.diagnose_pool import check_pool
from convcli.errors import ConvcliError
from convcli.model import PoolKind, PoolOf
from convcli.pool import pool
from convcli.pool_geometry import PoolOptions
from convcli.steps_pool import derive_pool_cells

from .test_pool import _array, cases, reference
from .test_render import assert_golden, draw

D2L = np.arange(9).reshape(3, 3)
TIED = np.array([[5, 5, 1], [1, 2, 3]])


def run(*args: str, input: str | None = None):
    return CliRunner().invoke(app, ["check", *args], input=input)


def key(a, answer, options, **kw):
    report = check_pool(a, np.asarray(answer), options, **kw)
    assert not report.match
    return None if report.diagnosis is None else report.diagnosis.key


# --- right answers ----------------------------------------------------------------------------------


def test_right_answers_in_any_notation():
    assert check_pool(D2L, np.array([[4, 5], [7, 8]]), PoolOptions(size=(2,), stride=(1,))).match
    assert check_pool(D2L, np.array([[4.0, 5.0], [7.0, 8.0]]), PoolOptions(size=(2,), stride=(1,))).match
    assert check_pool(np.array([[2, 3]]), np.array([[2.5]]), PoolOptions("avg", size=(1, 2))).match
    assert check_pool(np.array([[2, 3]]), np.array(Fraction(5, 2)), PoolOptions("avg", size=(1, 2))).match
    assert check_pool(D2L, np.array(4), PoolOptions(size=(2,))).match  # a number for a 1x1 result


def test_exact_inputs_need_exact_answers():
    a = np.array([[1, 1, 1], [1, 1, 1], [1, 1, 0]])
    report = check_pool(a, np.array([[8 / 9]]), PoolOptions("avg", size=(3,)))
    assert report.match is False  # 0.888... is not 8/9
    assert report.diagnosis is not None and report.diagnosis.key == "rounded"


def test_floats_within_the_tolerance_of_their_scale():
    a = np.array([[0.1, 0.2], [0.3, 0.4]])
    right = pool(a, PoolOptions("avg", size=(2,))).output
    assert check_pool(a, right * (1 + 1e-12), PoolOptions("avg", size=(2,))).match
    assert not check_pool(a, right * (1 + 1e-6), PoolOptions("avg", size=(2,))).match


def test_the_gradient_is_checked_with_its_upstream():
    G = np.array([[10, 20]])
    options = PoolOptions(size=(2,), stride=(1,))
    assert check_pool(
        TIED, np.array([[10, 20, 0], [0, 0, 0]]), options, upstream=G, of=PoolOf.GRAD_INPUT
    ).match
    report = check_pool(TIED, np.array([[10, 20, 0], [0, 0, 1]]), options, upstream=G, of=PoolOf.GRAD_INPUT)
    assert (report.match, report.wrong) == (False, [(1, 2)])


# --- each slip, from a worked example ------------------------------------------------------------------


def test_stride_left_at_one_instead_of_the_size():
    assert key(D2L, [[4, 5], [7, 8]], PoolOptions(size=(2,))) == "stride-1"


def test_stride_at_the_size_instead_of_one():
    assert key(D2L, [[4]], PoolOptions(size=(2,), stride=(1,))) == "stride-size"


def test_floor_for_ceil_and_ceil_for_floor():
    a = np.arange(25).reshape(5, 5)
    floor, ceil = (pool(a, PoolOptions(size=(2,), ceil_mode=c)).output for c in (False, True))
    assert key(a, ceil, PoolOptions(size=(2,))) == "ceil-mode"
    assert key(a, floor, PoolOptions(size=(2,), ceil_mode=True)) == "floor-mode"


def test_average_over_the_wrong_count():
    a = np.array([[4, 8], [12, 16]])
    counted = PoolOptions("avg", size=(3,), stride=(1,), padding=(1,))
    assert key(a, [[10, 10], [10, 10]], counted) == "count-pad"
    not_counted = PoolOptions("avg", size=(3,), stride=(1,), padding=(1,), count_pad=False)
    assert key(a, [[Fraction(40, 9)] * 2] * 2, not_counted) == "count-pad"


def test_a_ceil_window_divided_by_its_full_size():
    a = np.arange(25).reshape(5, 5)
    options = PoolOptions("avg", size=(2,), ceil_mode=True)
    full = pool(a, options).output.astype(object) * np.outer([2, 2, 1], [2, 2, 1]) / Fraction(4)
    assert key(a, full, options) == "full-count"


def test_max_for_avg_and_avg_for_max():
    assert key(D2L, [[2, 3], [5, 6]], PoolOptions(size=(2,), stride=(1,))) == "avg-for-max"
    assert key(D2L, [[4, 5], [7, 8]], PoolOptions("avg", size=(2,), stride=(1,))) == "max-for-avg"


def test_max_padding_read_as_zero():
    a = -np.arange(1, 10).reshape(3, 3)
    answer = [[0, 0, 0, 0], [0, -1, -2, 0], [0, -4, -5, 0], [0, 0, 0, 0]]
    assert key(a, answer, PoolOptions(size=(2,), stride=(1,), padding=(1,))) == "zero-pad"


def test_gradient_to_every_tied_maximum():
    options = PoolOptions(size=(2,), stride=(1,))
    report = check_pool(TIED, np.array([[1, 2, 0], [0, 0, 0]]), options, of=PoolOf.GRAD_INPUT)
    assert report.diagnosis.key == "ties-all"
    assert report.diagnosis.text == (
        "the gradient sent to every tied maximum: torch sends each window's gradient to its first maximum "
        "only, in row-major order"
    )


def test_avg_gradient_not_divided_by_the_count():
    options = PoolOptions("avg", size=(2,), stride=(1,))
    assert key(D2L, [[1, 2, 1], [2, 4, 2], [1, 2, 1]], options, of=PoolOf.GRAD_INPUT) == "undivided"


def test_two_slips_at_once():
    a = np.arange(16).reshape(4, 4)
    # torch's default stride with ceil mode, answered with stride 1 and the mean
    answer = pool(a, PoolOptions("avg", size=(2,), stride=(1,))).output
    assert key(a, answer, PoolOptions(size=(2,))) == "stride-1+avg-for-max"


def test_a_wrong_answer_without_a_slip_says_how_far_off():
    report = check_pool(D2L, np.array([[4, 5], [7, 9]]), PoolOptions(size=(2,), stride=(1,)))
    assert report.diagnosis is None
    assert report.worst == "1 of 4 cells is wrong; the difference is 1 at [1, 1]"


def test_shape_mismatch_is_named():
    report = check_pool(D2L, np.array([[1, 2, 3]]), PoolOptions(size=(2,), stride=(1,)))
    assert report.shape_mismatch == "your answer is 1x3 but max-pool is 2x2"
    report = check_pool(D2L, np.array([[1]]), PoolOptions(size=(2,)), of=PoolOf.GRAD_INPUT)
    assert report.shape_mismatch == "your answer is 1x1 but max-pool's gradient with respect to A is 3x3"


# --- a slip is named only when it gives the answer ------------------------------------------------------

_CHANGES = {
    "stride-1": {"stride": (1, 1)},
    "stride-size": {"stride": None},
    "ceil-mode": {"ceil": True},
    "floor-mode": {"ceil": False},
    "avg-for-max": {"kind": "avg"},
    "max-for-avg": {"kind": "max"},
}


def _by_hand(a, kind, size, stride, padding, dilation, ceil, count_pad, G, of, diagnosis):
    """What the named slip gives, computed here by the loops of test_pool (option slips; the count
    flipped); None for the slips computed another way (checked by their own examples)."""
    args = {"kind": kind, "stride": stride, "ceil": ceil, "count_pad": count_pad}
    for part in diagnosis.split("+"):
        if part == "count-pad":
            args["count_pad"] = not count_pad
        elif part in _CHANGES:
            args.update(_CHANGES[part])
        else:
            return None
    if args["kind"] == "avg" and dilation != (1, 1):
        return None
    try:
        out, grad = reference(
            a, args["kind"], size, args["stride"], padding, dilation, args["ceil"], args["count_pad"], G
        )
    except TypeError:  # a dilated window that reads padding only (refused by pool)
        return None
    return grad if of == "grad-input" else out


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cases(), st.data())
def test_a_named_slip_always_gives_the_answer(case, data):
    kind, a, size, stride, padding, dilation, ceil, count_pad = case
    options = PoolOptions(PoolKind(kind), size, stride, padding, dilation, ceil, count_pad)
    of = data.draw(st.sampled_from(["output", "grad-input"]))
    try:
        right = pool(_array(a), options, of=of)
    except ConvcliError:
        return
    # a wrong answer: a slip's answer (another stride, ceil mode, kind, count), or the right one
    # with one cell changed
    change = data.draw(st.sampled_from([*_CHANGES, "count-pad", "one-cell"]))
    if change == "one-cell":
        answer = right.value.astype(object)
        cell = tuple(data.draw(st.integers(0, n - 1)) for n in answer.shape)
        answer[cell] = answer[cell] + 1
    else:
        answer = _by_hand(a, kind, size, stride, padding, dilation, ceil, count_pad, None, of, change)
        if answer is None or np.array(answer, dtype=object).size == 0:
            return
        answer = np.array(answer, dtype=object)
    report = check_pool(_array(a), answer, options, of=of)
    if report.match or report.diagnosis is None:
        return
    by_hand = _by_hand(
        a, kind, size, stride, padding, dilation, ceil, count_pad, None, of, report.diagnosis.key
    )
    if by_hand is not None:
        mine, theirs = np.array(by_hand, dtype=object), np.asarray(answer, dtype=object)
        assert mine.shape == theirs.reshape(mine.shape).shape
        for x, y in zip(mine.ravel(), theirs.reshape(mine.shape).ravel(), strict=True):
            if isinstance(x, float) or isinstance(y, float):
                assert float(x) == pytest.approx(float(y), rel=1e-9, abs=1e-12) or (x != x and y != y)
            else:
                assert x == y


# --- the command line ----------------------------------------------------------------------------------


def test_right_exits_0():
    result = run("0 1 2; 3 4 5; 6 7 8", "--op", "max-pool", "--stride", "1", "--answer", "4 5; 7 8")
    assert (result.exit_code, result.stdout, result.stderr) == (
        ExitCode.OK,
        "right: your answer equals max-pool\n",
        "",
    )


def test_wrong_exits_1_with_the_slip_and_the_cell_derived():
    result = run("0 1 2; 3 4 5; 6 7 8", "--op", "avg-pool", "--stride", "1", "--answer", "4 5; 7 8")
    assert result.exit_code == ExitCode.WRONG_ANSWER
    assert result.stderr == ""
    assert result.stdout == (
        "wrong\n"
        "diagnosis: each window's maximum instead of its mean: max pooling, not average pooling\n"
        "wrong cells: [0, 0], [0, 1], [1, 0], [1, 1]\n"
        "C[0, 0] should be: (0+1+3+4) / 4 = 8/4 = 2\n"
        "C[0, 1] should be: (1+2+4+5) / 4 = 12/4 = 3\n"
        "C[1, 0] should be: (3+4+6+7) / 4 = 20/4 = 5\n"
        "expected:\n"
        "2 3\n"
        "5 6\n"
    )


def test_gradient_json():
    result = run(
        "5 5 1; 1 2 3",
        "--op",
        "max-pool",
        "--stride",
        "1",
        "--of",
        "grad-input",
        "--answer",
        "1 2 0; 0 0 0",
        "-f",
        "json",
    )
    assert (result.exit_code, result.stderr) == (ExitCode.WRONG_ANSWER, "")
    doc = json.loads(result.stdout)
    assert (doc["op"], doc["of"], doc["match"], doc["wrong"]) == ("max-pool", "grad-input", False, [[0, 1]])
    assert doc["diagnosis"]["key"] == "ties-all"
    assert doc["expected"] == [[1, 1, 0], [0, 0, 0]]
    assert doc["derivations"] == [
        {
            "cell": [0, 1],
            "sources": [{"cell": [0, 1], "g": 1, "count": None, "share": 1}],
            "value": 1,
            "terms": "dA[0, 1]: G[0, 1] = 1",
        }
    ]
    assert (doc["size"], doc["stride"], doc["kind"]) == ([2, 2], [1, 1], "integer")


def test_upstream_from_a_file(tmp_path):
    g = tmp_path / "G.txt"
    g.write_text("4 8\n12 16\n", encoding="utf-8")
    result = run(
        "0 1 2; 3 4 5; 6 7 8",
        "--op",
        "avg-pool",
        "--stride",
        "1",
        "--upstream",
        str(g),
        "--of",
        "grad-input",
        "--answer",
        "1 3 2; 4 10 6; 3 7 4",
    )
    assert (result.exit_code, result.stderr) == (ExitCode.OK, "")
    assert result.stdout == "right: your answer equals avg-pool's gradient with respect to A\n"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["0 1; 2 3", "1 0; 0 1", "--op", "max-pool", "--answer", "3"],
            '--op max-pool pools A alone and takes no B (its window is --size), got B "1 0; 0 1"',
        ),
        (["0 1; 2 3", "--answer", "3"], "--op correlate needs B, the kernel: give A and B"),
        (
            ["0 1; 2 3", "--op", "max-pool", "--answer", "3", "--mode", "full"],
            "--mode applies to convolve and correlate, not to --op max-pool",
        ),
        (
            ["0 1; 2 3", "1 0; 0 1", "--answer", "3", "--ceil-mode"],
            "--ceil-mode applies to --op max-pool and avg-pool, not to --op correlate",
        ),
        (
            ["-", "--op", "max-pool", "--answer", "-"],
            "only one of A, --upstream and --answer can be '-' (standard input)",
        ),
        (
            ["0 1; 2 3", "--op", "max-pool", "--answer", "3", "-f", "csv"],
            "check cannot be written as csv; use table, plain, json or markdown",
        ),
        (
            ["0 1; 2 3", "--op", "max-pool", "--answer", "3", "--tolerance", "-1"],
            "--tolerance takes a finite number >= 0, got -1.0",
        ),
        (
            ["0 1; 2 3", "--op", "max-pool", "--answer", "3", "--upstream", "1 2"],
            "max-pool --upstream: G is 1x2 but the max-pool output is 1x1; G holds one gradient per output cell, so it must have the output's shape",
        ),
    ],
)
def test_refusals(args, message):
    result = run(*args)
    assert (result.exit_code, result.stdout) == (ExitCode.USAGE_OR_INPUT, "")
    assert result.stderr == f"error: {message}\n"


# --- the table view ---------------------------------------------------------------------------------------


def _ties_view(width):
    report = check_pool(
        TIED, np.array([[1, 2, 0], [0, 0, 0]]), PoolOptions(size=(2,), stride=(1,)), of=PoolOf.GRAD_INPUT
    )
    return render_pool.pool_check_view(
        report, derive_pool_cells(TIED, report.expected, report.wrong[:3]), width=width
    )


def _avg_view(width):
    report = check_pool(D2L, np.array([[4, 5], [7, 8]]), PoolOptions("avg", size=(2,), stride=(1,)))
    return render_pool.pool_check_view(
        report, derive_pool_cells(D2L, report.expected, report.wrong[:3]), width=width
    )


@pytest.mark.parametrize(
    ("name", "make", "width"), [("pool_check_ties_80", _ties_view, 80), ("pool_check_avg_80", _avg_view, 80)]
)
def test_golden(name, make, width):
    assert_golden(name, draw(make(width), width), width)


def test_docstring_example():
    import doctest

    from convcli import diagnose_pool

    finder = doctest.DocTestFinder()
    runner = doctest.DocTestRunner()
    for test in finder.find(
        diagnose_pool.check_pool, "check_pool", module=diagnose_pool, globs=vars(diagnose_pool).copy()
    ):
        runner.run(test)
    assert runner.failures == 0 and runner.tries >= 3
