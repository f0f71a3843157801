"""The options and arguments of the commands, declared once each with their help: the operands, the
layer sizes, and each command's own options. The options every command shares are in
shared_options.py, and how their values are read in option_values.py."""

from __future__ import annotations

from typing import Annotated

import typer

from convcli.model import (
    CodeLibrary,
    ExplainedOp,
    GradOf,
    Op,
    PoolKind,
    PoolOf,
    SlidingOp,
)

from .help_panels import LAYER, NUMBERS, OPERATION, OUTPUT, choices
from .option_values import decimal_option, whole_option

MATRIX_HELP = (
    "a text/CSV grid file, .json or .npy file, '-' for standard input, or an inline matrix such "
    'as "1 2; 3 4" or "[[1,2],[3,4]]"'
)


AArg = Annotated[
    str, typer.Argument(metavar="A", help=f"The input (image): {MATRIX_HELP}.", show_default=False)
]


BArg = Annotated[
    str, typer.Argument(metavar="B", help="The kernel (filter), in the same forms as A.", show_default=False)
]


OptionalBArg = Annotated[
    str | None,
    typer.Argument(
        metavar="[B]",
        help="The kernel (filter), in the same forms as A; none for --op max-pool and avg-pool.",
        show_default=False,
    ),
]

# --stride, --dilation and the layer-size --padding and --output-padding, declared once: the
# sliding commands, conv-transpose and shape all take them
StrideOpt = Annotated[
    str,
    typer.Option(
        "--stride",
        metavar="S|SH,SW",
        help="The kernel moves S cells at a time, per axis (conv-transpose: the forward one's stride).",
        rich_help_panel=LAYER,
    ),
]


DilationOpt = Annotated[
    str,
    typer.Option(
        "--dilation",
        metavar="D|DH,DW",
        help="Spread the kernel's taps D apart (D-1 gaps).",
        rich_help_panel=LAYER,
    ),
]


LayerPaddingOpt = Annotated[
    str,
    typer.Option(
        "--padding",
        metavar="P|PH,PW",
        help="Zeros around the input, per axis (transposed: cells cropped from each side of the result).",
        rich_help_panel=LAYER,
    ),
]


OutputPaddingOpt = Annotated[
    str,
    typer.Option(
        "--output-padding",
        metavar="A|AH,AW",
        help="Of a transposed convolution: extra cells at the end of each axis (less than the stride).",
        rich_help_panel=LAYER,
    ),
]


Float64Opt = Annotated[
    bool,
    typer.Option(
        "--float64",
        help="Round an exact result (fractions, integers) to float64: how .npy takes fractions and "
        "integers beyond int64.",
        rich_help_panel=NUMBERS,
    ),
]


CodeOpt = Annotated[
    CodeLibrary | None,
    typer.Option(
        "--code",
        metavar="LIBRARY",
        case_sensitive=False,
        help="Print instead a short Python script that computes this result with numpy, scipy or torch "
        "(the inputs inline) and prints it as convcli does.",
        rich_help_panel=OUTPUT,
    ),
]


ConventionsOpt = Annotated[
    bool,
    typer.Option(
        "--conventions",
        help="Instead: convolve and correlate in 'same' mode under every library's alignment, side by side.",
        rich_help_panel=OPERATION,
    ),
]


OpArg = Annotated[
    Op,
    typer.Option(
        "--op",
        metavar="OP",
        case_sensitive=False,
        help=f"{choices(Op)}: the operation to explain (correlate is what CNN layers compute).",
        rich_help_panel=OPERATION,
    ),
]


SlidingOpArg = Annotated[
    SlidingOp,
    typer.Option(
        "--op",
        metavar="OP",
        case_sensitive=False,
        help="convolve (kernel turned 180°) or correlate (as CNN layers).",
        rich_help_panel=OPERATION,
    ),
]


AtOpt = Annotated[
    str | None,
    typer.Option(
        "--at",
        metavar="I,J",
        help="Derive only this output cell (0-based, as the table labels).",
        rich_help_panel=OUTPUT,
    ),
]


MaxStepsOpt = Annotated[
    int,
    typer.Option(
        "--max-steps",
        metavar="N",
        parser=whole_option,
        help="Derive at most N cells.",
        rich_help_panel=OUTPUT,
    ),
]


MaxTermsOpt = Annotated[
    int,
    typer.Option(
        "--max-terms",
        metavar="N",
        parser=whole_option,
        help="Show at most N products in all (a cell is shown whole).",
        rich_help_panel=OUTPUT,
    ),
]


PlayOpt = Annotated[
    bool,
    typer.Option(
        "--play",
        help="On a terminal, animate the steps: space pauses, the arrow keys step, q stops.",
        rich_help_panel=OUTPUT,
    ),
]


DelayOpt = Annotated[
    float | None,
    typer.Option(
        "--delay",
        metavar="SECONDS",
        parser=decimal_option,
        help="Seconds per step of --play (default 0.6).",
        show_default=False,
        rich_help_panel=OUTPUT,
    ),
]


PoolKindOpt = Annotated[
    PoolKind,
    typer.Option(
        "--kind",
        metavar="KIND",
        case_sensitive=False,
        help="max (max_pool2d) or avg (avg_pool2d).",
        rich_help_panel=OPERATION,
    ),
]


PoolSizeOpt = Annotated[
    str,
    typer.Option(
        "--size",
        metavar="K|KH,KW",
        help="The window: K x K, or KH rows by KW columns.",
        rich_help_panel=LAYER,
    ),
]


PoolStrideOpt = Annotated[
    str | None,
    typer.Option(
        "--stride",
        metavar="S|SH,SW",
        help="The distance between windows (default: the size).",
        rich_help_panel=LAYER,
    ),
]


PoolPaddingOpt = Annotated[
    str,
    typer.Option(
        "--padding",
        metavar="P|PH,PW",
        help="Cells added on each side (-inf for max), at most half the size.",
        rich_help_panel=LAYER,
    ),
]


PoolDilationOpt = Annotated[
    str,
    typer.Option(
        "--dilation",
        metavar="D|DH,DW",
        help="The distance between a window's taps (max only).",
        rich_help_panel=LAYER,
    ),
]


CeilModeOpt = Annotated[
    bool,
    typer.Option(
        "--ceil-mode",
        help="Round the output size up, keeping a last window that runs past the input.",
        rich_help_panel=LAYER,
    ),
]


CountPadOpt = Annotated[
    bool | None,
    typer.Option(
        "--count-pad/--no-count-pad",
        help="avg: divide by the taps inside the padded input (torch's count_include_pad, the default) "
        "or only those inside A.",
        show_default=False,
        rich_help_panel=LAYER,
    ),
]


UpstreamOpt = Annotated[
    str | None,
    typer.Option(
        "--upstream",
        metavar="G",
        help="The gradient of the loss with respect to the output (its shape), in any form a matrix "
        "takes; without it G is all ones.",
        rich_help_panel=OPERATION,
    ),
]


XArg = Annotated[
    str, typer.Argument(metavar="X", help=f"The layer's input: {MATRIX_HELP}.", show_default=False)
]
WArg = Annotated[
    str, typer.Argument(metavar="W", help="The layer's weights, in the same forms as X.", show_default=False)
]
GradOfOpt = Annotated[
    GradOf,
    typer.Option(
        "--of",
        metavar="GRADIENT",
        case_sensitive=False,
        help=f"The gradient to give ({choices(GradOf)}): all three, or dX (input), dW (weight) or "
        "db (bias) alone.",
        rich_help_panel=OPERATION,
    ),
]


PoolOfOpt = Annotated[
    PoolOf,
    typer.Option(
        "--of",
        metavar="VALUE",
        case_sensitive=False,
        help="output (the pooled output) or grad-input (the gradient wrt A): the value to give.",
        rich_help_panel=OPERATION,
    ),
]


ExplainedOpArg = Annotated[
    ExplainedOp,
    typer.Option(
        "--op",
        metavar="OP",
        case_sensitive=False,
        help=f"{choices(ExplainedOp)}: the operation to explain (correlate is what CNN layers "
        "compute; max-pool and avg-pool pool A alone).",
        rich_help_panel=OPERATION,
    ),
]


AnswerOpt = Annotated[
    str,
    typer.Option(
        "--answer",
        metavar="X",
        show_default=False,
        help="Your answer, in any form a matrix takes (a file, '-', or inline like \"4 3 4; 2 4 3; 2 3 4\").",
        rich_help_panel=OPERATION,
    ),
]


ToleranceOpt = Annotated[
    float,
    typer.Option(
        "--tolerance",
        metavar="REL",
        parser=decimal_option,
        help="How far a float cell may be off, relative to its scale (the sum of its |products|); "
        "exact inputs need exact answers.",
        rich_help_panel=NUMBERS,
    ),
]
