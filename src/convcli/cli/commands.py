"""The commands of the operations: convolve, correlate, elementwise-sum, dot and compare. Each
reads its operands, calls the core, and hands the result to emit."""

from __future__ import annotations

import dataclasses

import numpy as np

from convcli import formats, ops, output
from convcli.errors import UsageError
from convcli.model import (
    CodeLibrary,
    Op,
    OpOptions,
)

from .emit import (
    emit,
    emit_result,
    page_or,
    read_pair,
    views,
)
from .help_panels import examples
from .options import (
    AArg,
    BArg,
    CodeOpt,
    ConventionsOpt,
    Float64Opt,
)
from .shared_options import Run, define_command


def _print_code(
    op: Op, A: np.ndarray, B: np.ndarray, options: OpOptions, library: CodeLibrary, float64: bool, run: Run
) -> None:
    """--code: the script goes to stdout in place of the result."""
    from convcli import codegen

    if run.fmt is not None or run.output is not None or run.export is not None:
        raise UsageError(
            "--code prints a Python script instead of the result; drop --format, --output and "
            "--export (> script.py saves it)"
        )
    output.to_stdout(codegen.script(op, A, B, options, library, float64=float64))


def _sliding_command(op: Op, help: str, epilog: str) -> None:
    @define_command(op.value, help, epilog, sliding=True)
    def command(
        a: AArg, b: BArg, float64: Float64Opt = False, code: CodeOpt = None, *, run: Run, options: OpOptions
    ) -> None:
        A, B = read_pair(a, b, run.exact)
        if code is not None:
            _print_code(op, A, B, options, code, float64, run)
            return
        result = ops.run(op, A, B, options)
        if op is Op.CONVOLVE:
            from convcli.comparison import convolve_note

            note = convolve_note(B, options)
            result = result if note is None else dataclasses.replace(result, notes=(*result.notes, note))
        emit_result(result, run, [a, b], float64)


_sliding_command(
    Op.CONVOLVE,
    "Convolve A with B: B is turned 180° and slid over A (scipy.signal.convolve2d).",
    examples(
        "convcli convolve samples/A.txt samples/B.txt",
        'convcli convolve "1 2 3 4 5" "1 2" --mode full',
        "convcli convolve samples/A.txt samples/B.txt -o out.json",
    ),
)


_sliding_command(
    Op.CORRELATE,
    "Cross-correlate A with B: B slides over A unturned; what a CNN layer computes.",
    examples(
        "convcli correlate samples/A.txt samples/B.txt",
        'convcli correlate "1/9 1/9; 1/9 1/9" "1 2; 3 4"',
        "convcli correlate samples/A.txt samples/B.txt --stride 2 --padding 1",
        "convcli correlate samples/A.txt samples/B.txt | convcli correlate - samples/B.txt",
    ),
)


@define_command(
    "elementwise-sum",
    "Multiply A and B entry by entry and add the products (numpy.sum(A * B)); shapes must match.",
    examples(
        "convcli elementwise-sum samples/window.txt samples/B.txt",
        'convcli elementwise-sum "1 2; 3 4" "1 0; 0 1"',
    ),
    sliding=False,
)
def elementwise_sum(a: AArg, b: BArg, float64: Float64Opt = False, code: CodeOpt = None, *, run: Run) -> None:
    _without_options(Op.ELEMENTWISE_SUM, a, b, float64, code, run)


@define_command(
    "dot",
    "numpy.dot(A, B): the matrix product of 2-D A and B (rows times columns), inner product of vectors.",
    examples("convcli dot samples/window.txt samples/B.txt", 'convcli dot "[1,2,3]" "[4,5,6]"'),
    sliding=False,
)
def dot(a: AArg, b: BArg, float64: Float64Opt = False, code: CodeOpt = None, *, run: Run) -> None:
    _without_options(Op.DOT, a, b, float64, code, run)


def _without_options(op: Op, a: str, b: str, float64: bool, code: CodeLibrary | None, run: Run) -> None:
    """elementwise-sum and dot: two operands, no layer options."""
    A, B = read_pair(a, b, run.exact)
    if code is not None:
        _print_code(op, A, B, OpOptions(), code, float64, run)
        return
    emit_result(ops.run(op, A, B), run, [a, b], float64)


@define_command(
    "compare",
    "convolve, correlate, elementwise-sum and dot side by side, and why they differ.",
    examples(
        "convcli compare samples/A.txt samples/B.txt",
        "convcli compare samples/window.txt samples/B2.txt",
        "convcli compare samples/A.txt samples/B.txt -f json | jq .facts",
        'convcli compare "1 2 3 4 5" "1 2" --conventions',
    ),
    sliding=True,
)
def compare(a: AArg, b: BArg, conventions: ConventionsOpt = False, *, run: Run, options: OpOptions) -> None:
    from convcli import comparison

    A, B = read_pair(a, b, run.exact)
    if conventions:
        by_library = comparison.compare_conventions(A, B, options)
        emit(
            run,
            [a, b],
            lambda f: formats.format_conventions(by_library, f),
            lambda width: views().conventions_view(by_library, width=width),
            no_page="compare --conventions cannot be written as html; use table, plain or json",
        )
        return
    cmp = comparison.compare(A, B, options)
    emit(
        run,
        [a, b],
        page_or(lambda f: formats.format_comparison(cmp, f), lambda: cmp, None, {"A": a, "B": b}),
        lambda width: views().comparison_view(cmp, width=width),
        pages=True,
    )
