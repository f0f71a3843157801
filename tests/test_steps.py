"""steps and im2col: derivations that agree with the operations, cell for cell."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest

from convcli import ops
from convcli.errors import UsageError
from convcli.model import Boundary, Mode, Op, OpOptions
from convcli.steps import derive, im2col, step_lines, terms_text

from .conftest import B2, SEED_A, SEED_B, WINDOW

SEED_TERMS = "(1*1)+(1*0)+(1*1)+(0*0)+(1*1)+(1*0)+(0*1)+(0*0)+(1*1) = 1+0+1+0+1+0+0+0+1 = 4"


@pytest.mark.parametrize("op", [Op.CORRELATE, Op.CONVOLVE])
def test_seed_cell_in_the_seed_notation(op):
    steps = derive(op, SEED_A, SEED_B, at=(0, 0))
    step = steps.steps[0]
    assert terms_text(step.window, step.kernel, step.products, step.total) == SEED_TERMS
    assert step_lines(steps, step) == [f"C[0, 0]: {SEED_TERMS}"]


def test_convolve_applies_the_turned_kernel():
    steps = derive(Op.CONVOLVE, WINDOW, B2)
    assert steps.turned.tolist() == [[1, 0, 1], [0, 1, 0], [0, 0, 1]]
    assert step_lines(steps, steps.steps[0]) == [
        "C[0, 0]: (1*1)+(1*0)+(1*1)+(0*0)+(1*1)+(1*0)+(0*0)+(0*0)+(1*1) = 1+0+1+0+1+0+0+0+1 = 4"
    ]


def test_negative_numbers_and_fractions_are_parenthesised():
    a = np.array([[-1, 2]])
    b = np.empty((1, 2), dtype=object)
    b[:] = [[Fraction(1, 2), -3]]
    step = derive(Op.CORRELATE, a, b).steps[0]
    assert terms_text(step.window, step.kernel, step.products, step.total) == (
        "((-1)*(1/2))+(2*(-3)) = (-1/2)+(-6) = -13/2"
    )


def test_padding_cells_are_marked():
    steps = derive(Op.CORRELATE, SEED_A, SEED_B, OpOptions(mode=Mode.SAME), at=(0, 0))
    step = steps.steps[0]
    assert step.padding.tolist() == [[True, True, True], [True, False, False], [True, False, False]]
    assert step.window.tolist() == [[0, 0, 0], [0, 1, 1], [0, 0, 1]]


def test_max_steps_caps_and_at_picks():
    steps = derive(Op.CORRELATE, SEED_A, SEED_B, max_steps=4)
    assert (len(steps.steps), steps.total_cells, steps.capped) == (4, 9, True)
    one = derive(Op.CORRELATE, SEED_A, SEED_B, at=(-1, -1))
    assert (one.steps[0].cell, one.capped) == ((2, 2), False)
    with pytest.raises(UsageError, match="--max-steps takes a whole number >= 1"):
        derive(Op.CORRELATE, SEED_A, SEED_B, max_steps=0)


def test_elementwise_sum_is_one_step_and_dot_is_row_times_column():
    steps = derive(Op.ELEMENTWISE_SUM, WINDOW, B2)
    assert len(steps.steps) == 1 and steps.steps[0].total == 3
    dot = derive(Op.DOT, WINDOW, SEED_B, at=(1, 2))
    assert step_lines(dot, dot.steps[0]) == ["C[1, 2] (row 1 of A times column 2 of B): (0*1)+(1*0)+(1*1) = 0+0+1 = 1"]


def _random_case(rng):
    a = rng.integers(-5, 6, tuple(rng.integers(3, 8, 2)))
    b = rng.integers(-3, 4, tuple(rng.integers(1, 4, 2)))
    options = OpOptions(
        mode=Mode.VALID,
        stride=(int(rng.integers(1, 3)),),
        dilation=(int(rng.integers(1, 3)),),
        padding=(int(rng.integers(0, 3)),),
        boundary=list(Boundary)[int(rng.integers(0, 5))],
        fillvalue=int(rng.integers(-2, 3)),
    )
    return a, b, options


@pytest.mark.parametrize("op", [Op.CORRELATE, Op.CONVOLVE])
def test_every_step_equals_the_result_cell(op):
    rng = np.random.default_rng(3 if op is Op.CORRELATE else 4)
    checked = 0
    for _ in range(60):
        a, b, options = _random_case(rng)
        try:
            result = ops.run(op, a, b, options).value
        except Exception:
            continue
        steps = derive(op, a, b, options, max_steps=10_000)
        assert [s.value for s in steps.steps] == result.ravel().tolist()
        checked += 1
    assert checked > 30


@pytest.mark.parametrize("op", [Op.CORRELATE, Op.CONVOLVE])
def test_im2col_equals_the_operation_on_random_inputs(op):
    rng = np.random.default_rng(5)
    checked = 0
    for _ in range(60):
        a, b, options = _random_case(rng)
        if rng.random() < 0.3:
            a = a.astype(float) / 3
        try:
            expected = ops.run(op, a, b, options).value
        except Exception:
            continue
        view = im2col(op, a, b, options)
        assert view.equal
        assert np.allclose(np.array(view.product.tolist(), dtype=float), expected)
        assert view.patches.shape == (b.size, expected.size)
        checked += 1
    assert checked > 30


def test_im2col_with_channels_has_one_row_per_filter():
    x = np.arange(18).reshape(2, 3, 3)
    w = np.arange(16).reshape(2, 2, 2, 2)
    view = im2col(Op.CORRELATE, x, w, OpOptions(channels=True))
    assert view.kernel_rows.shape == (2, 8)
    assert view.patches.shape == (8, 4)
    assert view.equal
