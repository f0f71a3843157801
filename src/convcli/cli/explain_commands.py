"""The commands that explain an operation or judge an answer: steps (each output cell derived),
im2col and check, and the pooling and gradient forms of steps and check (--op max-pool,
grad-input, ...). Each reads its operands, calls the core, and hands the result to emit."""

from __future__ import annotations

from typing import Any

import typer

from convcli import formats_check, formats_grad, formats_steps
from convcli.closeness import TOLERANCE
from convcli.errors import UsageError
from convcli.model import ExplainedOp, Format, GradOf, Kind, Op, OpOptions, PoolOf, SlidingOp

from .emit import (
    NOT_PLAYED,
    emit,
    note_symbols,
    page_or,
    play_animation,
    read_layer,
    read_pair,
    read_pooled,
    step_cap,
    views,
    wants_play,
)
from .help_panels import examples
from .option_values import int_list, pool_options
from .options import (
    AArg,
    AnswerOpt,
    AtOpt,
    BArg,
    CeilModeOpt,
    CountPadOpt,
    DelayOpt,
    ExplainedOpArg,
    MaxStepsOpt,
    MaxTermsOpt,
    OptionalBArg,
    PlayOpt,
    PoolOfOpt,
    PoolSizeOpt,
    SlidingOpArg,
    ToleranceOpt,
    UpstreamOpt,
)
from .shared_options import Run, define_command
from .status import ExitCode

# the options that only the sliding operations take, and those that only pooling takes
_SLIDING_ONLY = ("mode", "boundary", "fillvalue", "convention", "channels", "bias", "activation", "method")


_POOLING_ONLY = ("size", "ceil_mode", "count_pad", "upstream", "of")


def _given(ctx: typer.Context, name: str) -> bool:
    """Whether option ``name`` was given on the command line rather than left at its default."""
    source = ctx.get_parameter_source(name)
    return source is not None and source.name != "DEFAULT"


def _flags(names: list[str]) -> str:
    """``--size applies`` or ``--mode, --bias apply``: the options named, and the verb."""
    flags = ["--count-pad/--no-count-pad" if n == "count_pad" else "--" + n.replace("_", "-") for n in names]
    return ", ".join(flags) + (" applies" if len(flags) == 1 else " apply")


def _explained(
    ctx: typer.Context,
    op: ExplainedOp,
    b: str | None,
    options: OpOptions,
    size: str,
    ceil_mode: bool,
    count_pad: bool | None,
) -> Any:
    """Check that the operands and options fit ``op``: for a pooling, its options (A alone, no
    sliding options); for the four operations None (B given, no pooling options)."""
    kind = op.pool_kind
    if kind is None:
        if b is None:
            raise UsageError(f"--op {op} needs B, the kernel: give A and B")
        extra = [n for n in _POOLING_ONLY if _given(ctx, n)]
        if extra:
            raise UsageError(f"{_flags(extra)} to --op max-pool and avg-pool, not to --op {op}")
        return None
    if b is not None:
        raise UsageError(f'--op {op} pools A alone and takes no B (its window is --size), got B "{b}"')
    extra = [n for n in _SLIDING_ONLY if _given(ctx, n)]
    if extra:
        raise UsageError(f"{_flags(extra)} to convolve and correlate, not to --op {op}")
    return pool_options(
        kind,
        size,
        options.stride if _given(ctx, "stride") else None,
        options.padding or (0,),
        options.dilation,
        ceil_mode,
        count_pad,
    )


def _pool_steps(
    a: str,
    options: Any,
    upstream: str | None,
    of: PoolOf,
    at: str | None,
    caps: tuple[int, int],
    play: bool,
    delay: float | None,
    run: Run,
) -> None:
    """steps --op max-pool|avg-pool: each window, or each cell of the gradient, derived;
    ``caps`` are --max-steps and --max-terms."""
    from convcli.formats_pool import format_pool_steps
    from convcli.frames_pool import animate_pool
    from convcli.steps_pool import derive_pool

    animate = wants_play(play, delay, run)
    A, G = read_pooled(a, upstream, run.exact)
    cell = None if at is None else int_list(at, "at")
    max_steps, max_terms = caps
    derivation = derive_pool(
        A, options, upstream=G, of=of, at=cell, max_steps=step_cap(max_steps), max_terms=max_terms
    )
    sources = {"A": a} if upstream is None else {"A": a, "G": upstream}
    inputs = list(sources.values())
    if animate:
        play_animation(animate_pool(derivation), run, delay, inputs)
        return
    capped = (derivation.cap_note(),) if derivation.capped else ()
    emit(
        run,
        inputs,
        page_or(lambda f: format_pool_steps(derivation, f), lambda: animate_pool(derivation), delay, sources),
        lambda width: views("render_pool").pool_steps_view(derivation, width=width),
        (NOT_PLAYED,) if play else (),
        machine_notes=capped + derivation.result.notes,
        pages=True,
    )


def _grad_explained(ctx: typer.Context, op: ExplainedOp, b: str | None) -> str:
    """--op grad-input|grad-weight|grad-bias: the layer's X and W (returned), and G (--upstream);
    no pooling options."""
    if b is None:
        raise UsageError(f"--op {op} needs W, the layer's weights: give X and W (and G with --upstream)")
    extra = [n for n in _POOLING_ONLY if n != "upstream" and _given(ctx, n)]
    if extra:
        raise UsageError(f"{_flags(extra)} to --op max-pool and avg-pool, not to --op {op}")
    return b


def _grad_steps(
    x: str,
    w: str,
    of: GradOf,
    upstream: str | None,
    at: str | None,
    caps: tuple[int, int],
    play: bool,
    delay: float | None,
    run: Run,
    options: OpOptions,
) -> None:
    """steps --op grad-input|grad-weight|grad-bias: each cell of one gradient of the layer
    correlate(X, W) derived; ``caps`` are --max-steps and --max-terms."""
    from convcli.frames_grad import animate_grad
    from convcli.gradsteps import derive_grad

    animate = wants_play(play, delay, run)
    X, W, G = read_layer(x, w, upstream, run.exact)
    cell = None if at is None else int_list(at, "at")
    max_steps, max_terms = caps
    derivation = derive_grad(
        X, W, G, of, options, at=cell, max_steps=step_cap(max_steps), max_terms=max_terms
    )
    sources = {"X": x, "W": w} if upstream is None else {"X": x, "W": w, "G": upstream}
    inputs = list(sources.values())
    if animate:
        play_animation(animate_grad(derivation), run, delay, inputs)
        return
    capped = (derivation.cap_note(),) if derivation.capped else ()
    emit(
        run,
        inputs,
        page_or(
            lambda f: formats_grad.format_grad_steps(derivation, f),
            lambda: animate_grad(derivation),
            delay,
            sources,
        ),
        lambda width: views("render_grad").grad_steps_view(derivation, width=width),
        (NOT_PLAYED,) if play else (),
        machine_notes=capped + derivation.result.notes,
        pages=True,
    )


@define_command(
    "steps",
    "Every output cell derived: the window of A, the kernel as applied, the products and the sum.",
    examples(
        "convcli steps samples/A.txt samples/B.txt",
        "convcli steps samples/A.txt samples/B2.txt --op convolve --at 0,0",
        "convcli steps samples/A.txt samples/B2.txt --op convolve --play",
        "convcli steps samples/window.txt samples/B.txt --op dot",
        "convcli steps samples/A.txt samples/B.txt -f markdown > steps.md",
        'convcli steps "0 1 2; 3 4 5; 6 7 8" --op max-pool --size 2 --stride 1',
        'convcli steps "5 5 1; 1 2 3" --op max-pool --stride 1 --of grad-input',
        'convcli steps samples/A.txt samples/B.txt --op grad-weight --upstream "1 0 0; 0 1 0; 0 0 1"',
    ),
    sliding=True,
)
def steps(
    ctx: typer.Context,
    a: AArg,
    b: OptionalBArg = None,
    explained: ExplainedOpArg = ExplainedOp.CORRELATE,
    at: AtOpt = None,
    max_steps: MaxStepsOpt = 25,
    max_terms: MaxTermsOpt = 10_000,
    play: PlayOpt = False,
    delay: DelayOpt = None,
    size: PoolSizeOpt = "2",
    ceil_mode: CeilModeOpt = False,
    count_pad: CountPadOpt = None,
    upstream: UpstreamOpt = None,
    of: PoolOfOpt = PoolOf.OUTPUT,
    *,
    run: Run,
    options: OpOptions,
) -> None:
    from convcli.steps import cap_note, derive

    if explained.grad_of is not None:
        w = _grad_explained(ctx, explained, b)
        _grad_steps(a, w, explained.grad_of, upstream, at, (max_steps, max_terms), play, delay, run, options)
        return
    pooling = _explained(ctx, explained, b, options, size, ceil_mode, count_pad)
    if pooling is not None:
        _pool_steps(a, pooling, upstream, of, at, (max_steps, max_terms), play, delay, run)
        return
    assert b is not None
    op = Op(explained.value)
    animate = wants_play(play, delay, run)
    A, B = read_pair(a, b, run.exact)
    cell = None if at is None else int_list(at, "at")

    def animation() -> Any:
        from convcli.frames import animate_steps

        return animate_steps(op, A, B, options, at=cell, max_steps=step_cap(max_steps), max_terms=max_terms)

    if animate:
        play_animation(animation(), run, delay, [a, b])
        return
    derivation = derive(op, A, B, options, at=cell, max_steps=step_cap(max_steps), max_terms=max_terms)
    capped = cap_note(derivation) if derivation.capped else ""
    emit(
        run,
        [a, b],
        page_or(lambda f: formats_steps.format_steps(derivation, f), animation, delay, {"A": a, "B": b}),
        lambda width: views("render_steps").steps_view(derivation, width=width),
        (NOT_PLAYED,) if play else (),
        machine_notes=(capped,) if derivation.capped else (),
        pages=True,
    )


@define_command(
    "im2col",
    "A whole convolution as one matrix multiply: the patch matrix of A times the kernel as a row.",
    examples(
        "convcli im2col samples/A.txt samples/B.txt",
        "convcli im2col samples/A.txt samples/B2.txt --op convolve",
    ),
    sliding=True,
)
def im2col_command(
    a: AArg, b: BArg, op: SlidingOpArg = SlidingOp.CORRELATE, *, run: Run, options: OpOptions
) -> None:
    from convcli.im2col import im2col

    A, B = read_pair(a, b, run.exact)
    view = im2col(Op(op.value), A, B, options)
    emit(
        run,
        [a, b],
        lambda f: formats_steps.format_im2col(view, f),
        lambda width: views("render_steps").im2col_view(view, width=width),
    )


@define_command(
    "check",
    "Is X the right result? Exit 0 if so, 1 if not, with the wrong cells derived and the likely "
    "mistake named.",
    examples(
        'convcli check samples/A.txt samples/B2.txt --answer "4 3 3; 2 4 2; 2 2 3"',
        'convcli check samples/X.txt samples/K.txt --answer "19 25; 37 43"',
        "convcli check samples/A.txt samples/B.txt --answer mine.txt --op convolve -f json",
        'convcli check "0 1 2; 3 4 5; 6 7 8" --op max-pool --size 2 --answer "4 5; 7 8"',
        'convcli check "5 5 1; 1 2 3" --op max-pool --stride 1 --of grad-input --answer "1 1 0; 0 0 0"',
        'convcli check "0 1; 2 3" "1 2; 3 4" --op grad-input --upstream 1 --answer "4 3; 2 1"',
    ),
    sliding=True,
)
def check_command(
    ctx: typer.Context,
    a: AArg,
    answer: AnswerOpt,
    b: OptionalBArg = None,
    explained: ExplainedOpArg = ExplainedOp.CORRELATE,
    tolerance: ToleranceOpt = TOLERANCE,
    size: PoolSizeOpt = "2",
    ceil_mode: CeilModeOpt = False,
    count_pad: CountPadOpt = None,
    upstream: UpstreamOpt = None,
    of: PoolOfOpt = PoolOf.OUTPUT,
    *,
    run: Run,
    options: OpOptions,
) -> None:
    from convcli import diagnose
    from convcli.steps import MAX_TERMS, cell_terms, derive_cells

    if explained.grad_of is not None:
        w = _grad_explained(ctx, explained, b)
        _grad_check(a, w, answer, explained.grad_of, upstream, tolerance, run, options)
        return
    pooling = _explained(ctx, explained, b, options, size, ceil_mode, count_pad)
    if pooling is not None:
        _pool_check(a, answer, pooling, upstream, of, tolerance, run)
        return
    assert b is not None
    op = Op(explained.value)
    if [a, b, answer].count("-") > 1:
        raise UsageError("only one of A, B and --answer can be '-' (standard input)")
    A, B = read_pair(a, b, run.exact)
    X, written_as_floats = diagnose.read_answer(answer, A, B, op, options, exact=run.exact)
    note_symbols(X, "answer")
    report = diagnose.check(A, B, X, op, options, tolerance=tolerance, written_as_floats=written_as_floats)
    wanted = report.wrong[:3]
    derivations = derive_cells(op, A, B, options, wanted) if not report.match else []
    notes: tuple[str, ...] = ()
    if len(derivations) < len(wanted):
        terms = cell_terms(op, A, B, options)
        notes = (
            f"the wrong cells are not derived: each is a sum of {terms:,} products, more than "
            f"{MAX_TERMS:,}; convcli steps --at I,J --max-terms {terms} derives one",
        )

    def page() -> Any:
        from convcli.frames import animate_cells
        from convcli.page import CheckView

        return CheckView(report, animate_cells(derivations, (A, B), report.expected.value))

    emit(
        run,
        [a, b, answer],
        page_or(
            lambda f: formats_check.format_check(report, derivations, f),
            page,
            None,
            {"A": a, "B": b, "answer": answer},
        ),
        lambda width: views("render_check").check_view(report, derivations, width=width),
        notes,
        pages=True,
    )
    if not report.match:
        raise typer.Exit(ExitCode.WRONG_ANSWER)


def _pool_check(
    a: str, answer: str, options: Any, upstream: str | None, of: PoolOf, tolerance: float, run: Run
) -> None:
    """check --op max-pool|avg-pool: the verdict on a pooling (or its gradient), exit 0 or 1."""
    from convcli import diagnose
    from convcli.diagnose_pool import check_pool
    from convcli.numeric import kind_of
    from convcli.steps_pool import derive_pool_cells

    if [a, answer, upstream].count("-") > 1:
        raise UsageError("only one of A, --upstream and --answer can be '-' (standard input)")
    A, G = read_pooled(a, upstream, run.exact)
    inputs = [a, answer] + ([] if upstream is None else [upstream])
    exact_inputs = all(kind_of(x).exact and kind_of(x) is not Kind.SYMBOLIC for x in (A, G) if x is not None)
    X, written_as_floats = diagnose.read_answer_as(answer, exact_inputs, exact=run.exact)
    report = check_pool(
        A, X, options, upstream=G, of=of, tolerance=tolerance, written_as_floats=written_as_floats
    )
    derivation = None if report.match else derive_pool_cells(A, report.expected, report.wrong[:3])

    def machine(f: Format) -> str:
        from convcli.formats_pool import format_pool_check

        return format_pool_check(report, derivation, f)

    emit(
        run,
        inputs,
        machine,
        lambda width: views("render_pool").pool_check_view(report, derivation, width=width),
        no_page=(
            "check --op max-pool or avg-pool cannot be written as html; use table, plain, json or markdown"
        ),
    )
    if not report.match:
        raise typer.Exit(ExitCode.WRONG_ANSWER)


def _grad_check(
    x: str,
    w: str,
    answer: str,
    of: GradOf,
    upstream: str | None,
    tolerance: float,
    run: Run,
    options: OpOptions,
) -> None:
    """check --op grad-input|grad-weight|grad-bias: the verdict on one gradient of the layer
    correlate(X, W), exit 0 or 1."""
    from convcli import diagnose
    from convcli.gradcheck import check_grad
    from convcli.gradsteps import derive_grad_cells
    from convcli.numeric import kind_of

    if [x, w, answer, upstream].count("-") > 1:
        raise UsageError("only one of X, W, --upstream and --answer can be '-' (standard input)")
    X, W, G = read_layer(x, w, upstream, run.exact)
    exact_inputs = all(
        kind_of(v).exact and kind_of(v) is not Kind.SYMBOLIC for v in (X, W, G) if v is not None
    )
    A, written_as_floats = diagnose.read_answer_as(answer, exact_inputs, exact=run.exact)
    note_symbols(A, "answer")
    report = check_grad(
        X, W, A, of, options, upstream=G, tolerance=tolerance, written_as_floats=written_as_floats
    )
    derivation = None
    if not report.match and report.wrong:
        derivation = derive_grad_cells(X, W, report.expected.result, of, report.wrong[:3])
    inputs = [x, w, answer] + ([] if upstream is None else [upstream])

    emit(
        run,
        inputs,
        lambda f: formats_grad.format_grad_check(report, derivation, f),
        lambda width: views("render_grad").grad_check_view(report, derivation, width=width),
        machine_notes=report.expected.result.notes,
        no_page=f"check --op grad-{of.value} cannot be written as html; use table, plain, json or markdown",
    )
    if not report.match:
        raise typer.Exit(ExitCode.WRONG_ANSWER)
