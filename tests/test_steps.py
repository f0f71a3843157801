"""steps and im2col: derivations that agree with the operations, cell for cell."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest

from convcli import numeric, ops
from convcli.cli import ExitCode
from convcli.errors import ShapeError, UsageError
from convcli.im2col import im2col
from convcli.model import Activation, BoundaryRule, Convention, Kind, Mode, Op, OpOptions
from convcli.steps import cap_note, derive, step_lines, terms_text

from .clicheck import run
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
    assert step_lines(dot, dot.steps[0]) == [
        "C[1, 2] (row 1 of A times column 2 of B): (0*1)+(1*0)+(1*1) = 0+0+1 = 1"
    ]


def _random_case(rng):
    """A random sliding problem with exact numbers, and options of every kind that it allows."""
    channels = bool(rng.random() < 0.25)
    if channels:
        c = int(rng.integers(1, 3))
        a = rng.integers(-5, 6, (c, *rng.integers(2, 7, 2)))
        filters = () if rng.random() < 0.5 else (int(rng.integers(1, 3)),)
        b = rng.integers(-3, 4, (*filters, c, *rng.integers(1, 4, 2)))
    else:
        ndim = int(rng.choice([1, 2, 2, 3]))
        a = rng.integers(-5, 6, tuple(rng.integers(1, 7, ndim)))
        b = rng.integers(-3, 4, tuple(rng.integers(1, 4, int(rng.choice([1, ndim])))))
    kind = rng.choice(["int", "fraction", "complex"])
    if kind == "fraction":
        b = np.array([Fraction(int(v), 3) for v in b.flat], dtype=object).reshape(b.shape)
    elif kind == "complex":
        a = a + 1j * rng.integers(-2, 3, a.shape)
    layer = rng.random() < 0.4
    options = OpOptions(
        mode=Mode.VALID if layer else list(Mode)[int(rng.integers(0, 3))],
        convention=list(Convention)[int(rng.integers(0, 5))],
        stride=(int(rng.integers(1, 3)),) if layer else (1,),
        dilation=(int(rng.integers(1, 3)),) if layer else (1,),
        padding=(int(rng.integers(0, 3)),) if layer and rng.random() < 0.5 else None,
        boundary=list(BoundaryRule)[int(rng.integers(0, 5))],
        fillvalue=[0, 2, Fraction(1, 2)][int(rng.integers(0, 3))],
        channels=channels,
        bias=(int(rng.integers(-2, 3)),) if rng.random() < 0.3 else (),
        activation=Activation.RELU if kind != "complex" and rng.random() < 0.2 else Activation.NONE,
    )
    return a, b, options


def _cases(seed, count):
    """``count`` random problems that the operation accepts (and how many it refused)."""
    rng = np.random.default_rng(seed)
    found, refused = [], 0
    while len(found) < count:
        a, b, options = _random_case(rng)
        op = [Op.CORRELATE, Op.CONVOLVE][int(rng.integers(0, 2))]
        try:
            found.append((op, a, b, options, ops.run(op, a, b, options).value))
        except (ShapeError, UsageError):
            refused += 1  # a kernel larger than the padded input, torch's 'same' with a stride...
    return found, refused


def test_every_step_equals_the_result_cell():
    cases, refused = _cases(3, 150)
    assert refused < 150  # the generator mostly makes problems the operation accepts
    for op, a, b, options, result in cases:
        steps = derive(op, a, b, options, max_steps=10_000, max_terms=10**6)
        assert steps.out_shape == result.shape
        assert [s.value for s in steps.steps] == result.ravel().tolist(), (op, a, b, options)


def test_a_derivation_does_not_compute_the_result(monkeypatch):
    # steps --at reads one window: the shape of the result comes from the geometry
    a = np.arange(10_000).reshape(100, 100)

    def refuse(*args, **kwargs):
        raise AssertionError("the whole operation was computed")

    monkeypatch.setattr(ops, "run", refuse)
    monkeypatch.setattr(ops.engine, "correlate_valid", refuse)
    steps = derive(Op.CORRELATE, a, SEED_B, OpOptions(mode=Mode.SAME), at=(99, 0))
    assert steps.out_shape == (100, 100)
    assert steps.steps[0].window.tolist() == [[0, 9800, 9801], [0, 9900, 9901], [0, 0, 0]]
    assert steps.steps[0].value == 9801 + 9900  # the corners of SEED_B that lie inside A
    assert steps.steps[0].padding.tolist() == [[True, False, False], [True, False, False], [True, True, True]]


def test_the_products_shown_are_capped():
    a = np.ones((6, 6), dtype=int)
    steps = derive(Op.CORRELATE, a, np.ones((3, 3), dtype=int), max_terms=40)
    assert (len(steps.steps), steps.total_cells, steps.capped) == (4, 16, True)
    with pytest.raises(UsageError) as caught:
        derive(Op.CORRELATE, a, np.ones((3, 3), dtype=int), max_terms=8)
    assert str(caught.value) == (
        "a cell here is a sum of 9 products, more than the 8 a derivation shows (--max-terms); "
        "--max-terms 9 shows one"
    )
    with pytest.raises(UsageError, match="^a cell here is a sum of 36 products"):
        derive(Op.ELEMENTWISE_SUM, a, a, max_terms=35)
    assert len(derive(Op.DOT, a, a, max_terms=12).steps) == 2


def test_im2col_equals_the_operation_on_random_inputs():
    cases, _ = _cases(5, 120)
    for op, a, b, options, expected in cases:
        view = im2col(op, a, b, options)
        assert view.equal
        assert view.product.tolist() == expected.tolist()
        taps = b.size // (b.shape[0] if options.channels and b.ndim == 4 else 1)
        assert view.patches.shape == (taps, expected.size // view.kernel_rows.shape[0])


def test_im2col_refuses_a_patch_matrix_beyond_memory(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("the operation was computed before the size was checked")

    monkeypatch.setattr(ops, "run", refuse)
    with pytest.raises(ShapeError) as caught:
        im2col(Op.CORRELATE, np.array([[1]]), np.ones((1001, 1001), dtype=int), OpOptions(mode=Mode.FULL))
    assert str(caught.value).startswith(
        "im2col's patch matrix (a row per tap, a column per window) would be 1002001x1002001 "
        "(1,004,006,004,001 entries, about 7480.4 GiB as integer), more than the "
    )


def test_im2col_with_channels_has_one_row_per_filter():
    x = np.arange(18).reshape(2, 3, 3)
    w = np.arange(16).reshape(2, 2, 2, 2)
    view = im2col(Op.CORRELATE, x, w, OpOptions(channels=True))
    assert view.kernel_rows.shape == (2, 8)
    assert view.patches.shape == (8, 4)
    assert view.equal


def _entry(b: np.ndarray, name: str, f: int) -> int:
    """The entry of B that a name such as B[2,1] or B[:,0,1,1] (filter f) stands for."""
    return b[tuple(f if part == ":" else int(part) for part in name[2:-1].split(","))]


@pytest.mark.parametrize("op", [Op.CONVOLVE, Op.CORRELATE])
@pytest.mark.parametrize(
    ("a_shape", "b_shape", "channels"),
    [
        ((5, 5), (3, 3), False),
        ((4, 6), (2, 3), False),
        ((7,), (3,), False),
        ((2, 4, 4), (2, 2, 3), True),
        ((2, 4, 4), (3, 2, 2, 2), True),
        ((4, 4), (2, 2), True),
        ((3, 4, 4), (2, 2, 3), False),
    ],
)
def test_im2col_names_each_patch_row_by_the_entry_of_b_it_meets(op, a_shape, b_shape, channels):
    rng = np.random.default_rng(7)
    a, b = rng.integers(-9, 10, a_shape), rng.integers(-9, 10, b_shape)
    view = im2col(op, a, b, OpOptions(channels=channels))
    expected = ops.run(op, a, b, OpOptions(channels=channels)).value.reshape(view.kernel_rows.shape[0], -1)
    names = [view.tap_name(r) for r in range(view.patches.shape[0])]
    assert len(set(names)) == len(names)
    for f in range(view.kernel_rows.shape[0]):
        weights = [_entry(b, name, f) for name in names]
        # the kernel row holds those entries, and they make every output cell from its window
        assert view.kernel_rows[f].tolist() == weights
        assert (np.array(weights) @ view.patches.astype(np.int64)).tolist() == expected[f].tolist()


def test_im2col_under_convolve_meets_the_turned_kernel_first():
    view = im2col(Op.CONVOLVE, SEED_A, B2)
    assert [view.tap_name(r) for r in range(9)] == [f"B[{u},{v}]" for u in (2, 1, 0) for v in (2, 1, 0)]
    assert [im2col(Op.CORRELATE, SEED_A, B2).tap_name(r) for r in (0, 8)] == ["B[0,0]", "B[2,2]"]
    assert (view.a_shape, view.b_shape, view.kind) == ((5, 5), (3, 3), Kind.INTEGER)


# --- the limits, through the command line ----------------------------------------------------------


def refused(result, message: str) -> None:
    """An ``error:`` line and exit status 2, and nothing on stdout."""
    assert (result.exit_code, result.stdout, result.stderr) == (
        ExitCode.USAGE_OR_INPUT,
        "",
        f"error: {message}\n",
    )


def test_steps_refuses_a_cell_of_a_million_products():
    refused(
        run("steps", "1", "box:1001", "--mode", "full"),
        "a cell here is a sum of 1,002,001 products, more than the 10,000 a derivation shows "
        "(--max-terms); --max-terms 1002001 shows one",
    )


def test_steps_shows_the_cells_whose_products_fit():
    result = run("steps", "[1,2,3,4,5,6]", "[1,1]", "--max-terms", "4", "-f", "plain")
    assert result.exit_code == ExitCode.OK
    assert result.stdout.splitlines()[1:] == ["C[0]: (1*1)+(2*1) = 1+2 = 3", "C[1]: (2*1)+(3*1) = 2+3 = 5"]
    assert result.stderr == (
        "note: showing 2 of 5 cells: each is a sum of 2 products, and --max-terms 4 caps the products "
        "shown; --max-terms 10 --max-steps 5 shows them all, --at I one cell\n"
    )


def test_im2col_refuses_before_allocating(monkeypatch):
    monkeypatch.setattr(numeric, "memory_limit", lambda: 8 << 30)
    refused(
        run("im2col", "1", "box:1001", "--mode", "full"),
        "im2col's patch matrix (a row per tap, a column per window) would be 1002001x1002001 "
        "(1,004,006,004,001 entries, about 93505.3 GiB as rational), more than the 8.0 GiB convcli "
        "allows itself on this machine",
    )


def test_the_note_of_a_capped_derivation_names_the_cap_that_stopped_it():
    a = np.ones((6, 6), dtype=int)
    by_steps = derive(Op.CORRELATE, a, np.ones((3, 3), dtype=int), max_steps=2)
    assert cap_note(by_steps) == "showing 2 of 16 cells; --max-steps 16 shows them all, --at I,J one cell"
    by_terms = derive(Op.CORRELATE, a, np.ones((3, 3), dtype=int), max_terms=40)
    assert cap_note(by_terms) == (
        "showing 4 of 16 cells: each is a sum of 9 products, and --max-terms 40 caps the products shown; "
        "--max-terms 144 --max-steps 16 shows them all, --at I,J one cell"
    )
    result = run("steps", "1 1 1; 1 1 1; 1 1 1", "1 1; 1 1", "--max-terms", "8", "-f", "table")
    assert result.exit_code == ExitCode.OK
    # the note, then the output as far as derived
    assert " ".join(result.stdout.split()).endswith(
        "--max-terms 8 caps the products shown; --max-terms 16 --max-steps 4 shows them all, --at I,J one cell "
        "C with the 2 of its 4 cells derived above (· for the others) 0 1 0 4 4 1 · ·"
    )
    assert result.stderr == ""  # the table view shows the note itself
    piped = run("steps", "1 1 1; 1 1 1; 1 1 1", "1 1; 1 1", "--max-terms", "8", "-f", "plain")
    assert piped.exit_code == ExitCode.OK
    assert piped.stderr == (
        "note: showing 2 of 4 cells: each is a sum of 4 products, and --max-terms 8 caps the products "
        "shown; --max-terms 16 --max-steps 4 shows them all, --at I,J one cell\n"
    )
    assert piped.stdout.splitlines()[1:] == [
        "C[0, 0]: (1*1)+(1*1)+(1*1)+(1*1) = 1+1+1+1 = 4",
        "C[0, 1]: (1*1)+(1*1)+(1*1)+(1*1) = 1+1+1+1 = 4",
    ]


def test_a_capped_note_names_the_cell_as_at_takes_it():
    layer = "[[[1,2,3],[4,5,6],[7,8,9]],[[1,0,1],[0,1,0],[1,0,1]]]"
    filters = "[[[[1,0],[0,1]],[[1,1],[1,1]]],[[[0,1],[1,0]],[[2,0],[0,2]]]]"
    capped = run("steps", layer, filters, "--channels", "--max-steps", "1", "-f", "plain")
    assert capped.exit_code == ExitCode.OK
    assert capped.stderr == "note: showing 1 of 8 cells; --max-steps 8 shows them all, --at O,I,J one cell\n"
    assert capped.stdout.splitlines()[1:] == [
        "C[0, 0, 0]:",
        "  channel 0: (1*1)+(2*0)+(4*0)+(5*1) = 1+0+0+5 = 6",
        "  channel 1: (1*1)+(0*1)+(0*1)+(1*1) = 1+0+0+1 = 2",
        "  sum over channels: 6+2 = 8",
    ]
    # and that form is the one --at accepts: filter 1, row 0, column 1 of the 2x2x2 result
    one = run("steps", layer, filters, "--channels", "--at", "1,0,1", "-f", "plain")
    assert one.exit_code == ExitCode.OK and one.stderr == ""
    assert one.stdout.splitlines()[1:] == [
        "C[1, 0, 1]:",
        "  channel 0: (2*0)+(3*1)+(5*1)+(6*0) = 0+3+5+0 = 8",
        "  channel 1: (0*2)+(1*0)+(1*0)+(0*2) = 0+0+0+0 = 0",
        "  sum over channels: 8+0 = 8",
    ]
    pooled = run(
        "steps", layer, "--op", "max-pool", "--size", "2", "--stride", "1", "--max-steps", "1", "-f", "plain"
    )
    assert pooled.exit_code == ExitCode.OK
    assert pooled.stderr == "note: showing 1 of 8 cells; --max-steps 8 shows them all, --at C,I,J one cell\n"
    assert pooled.stdout.splitlines()[1:] == [
        "# for each channel: C[i, j] = max over u, v of A[i+u, j+v]  (the maximum marked *)",
        "C[0, 0, 0]: max(1, 2, 4, 5) = 5 at A[0, 1, 1]",
    ]
