"""The command line's options: declared once each, read into Run and OpOptions by the ASCII-digit
rule of every number convcli reads, and the decorator that gives every command the shared ones."""

from __future__ import annotations

import inspect
import re
import shutil
import typing
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import typer
from typer.core import TyperArgument, TyperCommand

from convcli.errors import UsageError
from convcli.model import (
    Activation,
    BoundaryRule,
    CodeLibrary,
    Convention,
    ExplainedOp,
    Format,
    GradOf,
    Kind,
    Method,
    Mode,
    Op,
    OpOptions,
    PoolKind,
    PoolOf,
    SlidingOp,
)
from convcli.numeric import kind_of_value
from convcli.parsing import parse_token
from convcli.parsing.tokens import decimal_number, whole_number

if typing.TYPE_CHECKING:
    # rich is loaded only to draw: a piped plain run never imports it (start-up time)

    pass

from .emit import reading_notes, watching

# The panels of a command's --help, in this order; an option names its panel where it is declared.
OPERATION = "Operation"
LAYER = "Layer"
NUMBERS = "Numbers"
OUTPUT = "Output"
ADVANCED = "Advanced"
PANELS = (OPERATION, LAYER, NUMBERS, OUTPUT, ADVANCED)


def _panel_rank(param: inspect.Parameter) -> int:
    """Where an option's panel comes in PANELS (arguments and unpanelled options first)."""
    info = getattr(param.annotation, "__metadata__", (None,))[0]
    panel = getattr(info, "rich_help_panel", None)
    return PANELS.index(panel) + 1 if panel in PANELS else 0


_PANELS_FROM = 70  # columns from which --help draws panels; below, rich crops long option names


class _Command(TyperCommand):
    """A command whose usage reads ``convcli compare [OPTIONS] A B``: typer would write the
    arguments as {A} {B}, and their type as <str> in the help."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for param in self.params:
            if isinstance(param, TyperArgument):
                kind = type(param.type)
                param.type.__class__ = type(kind.__name__, (kind,), {"get_metavar": _no_metavar})

    def format_help(self, ctx: Any, formatter: Any) -> None:
        """Panels of options on a terminal of 70 columns or more; on a narrower one, each option
        on its own line with its help below it, as rich's columns would crop the names (at 60,
        --no-count-pad and count_include_pad)."""
        columns = shutil.get_terminal_size().columns
        if columns >= _PANELS_FROM:
            return super().format_help(ctx, formatter)
        formatter.width = columns - 2  # click's own formatter never goes below 50
        formatter.write_dl = lambda rows, *args, **kwargs: _stacked(formatter, rows)
        markup, self.rich_markup_mode = self.rich_markup_mode, None
        try:
            return super().format_help(ctx, formatter)
        finally:
            self.rich_markup_mode = markup

    def format_options(self, ctx: Any, formatter: Any) -> None:
        """On a narrow terminal: the arguments, then the options under their panels' names, in
        the panels' order, as the panels show them on a wide one."""
        sections: dict[str, list[Any]] = {"Arguments": [], "Options": [], **{p: [] for p in PANELS}}
        for param in self.get_params(ctx):
            record = param.get_help_record(ctx)
            if record is None:
                continue
            if param.param_type_name == "argument":
                sections["Arguments"].append(record)
            else:
                sections[getattr(param, "rich_help_panel", None) or "Options"].append(record)
        for title, rows in sections.items():
            if rows:
                with formatter.section(title):
                    formatter.write_dl(rows)

    def collect_usage_pieces(self, ctx: Any) -> list[str]:
        pieces = super().collect_usage_pieces(ctx)
        return [p[1:-1] if p.startswith("{") and p.endswith("}") else p for p in pieces]


def _stacked(formatter: Any, rows: Any) -> None:
    """Each option (or argument) on a line of its own, its help indented below it."""
    for term, text in rows:
        formatter.write(f"{'':>{formatter.current_indent}}{term}\n")
        if text:
            with formatter.indentation():
                formatter.write_text(text)


def _no_metavar(self: Any, param: Any, ctx: Any = None) -> str:
    return ""


def choices(kind: type[Any]) -> str:
    """An option's choices for its help, in words: ``valid, same or full``. The option shows a
    metavar such as MODE instead of listing them, which a narrow terminal would break mid-word."""
    words = [member.value for member in kind]
    return ", ".join(words[:-1]) + " or " + words[-1]


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


def _param(name: str, default: Any, annotation: Any) -> inspect.Parameter:
    return inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=default, annotation=annotation)


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


# Options every command has: where the output goes and how input numbers are read.
_IO_PARAMS = [
    _param(
        "fmt",
        None,
        Annotated[
            Format | None,
            typer.Option(
                "--format",
                "-f",
                metavar="FORMAT",
                case_sensitive=False,
                help=f"{choices(Format)}. Default: table on a terminal, plain when piped, "
                "or from --output's extension.",
                rich_help_panel=OUTPUT,
            ),
        ],
    ),
    _param(
        "output",
        None,
        Annotated[
            Path | None,
            typer.Option(
                "--output",
                "-o",
                metavar="FILE",
                dir_okay=False,
                help="Write the result to FILE (.txt .csv .json .md .tex .npy .html), whole or not at all.",
                rich_help_panel=OUTPUT,
            ),
        ],
    ),
    _param(
        "export",
        None,
        Annotated[
            Path | None,
            typer.Option(
                "--export",
                metavar="FILE",
                dir_okay=False,
                help="Also save what the terminal shows as FILE.html, FILE.svg or FILE.txt.",
                rich_help_panel=OUTPUT,
            ),
        ],
    ),
    _param(
        "exact",
        False,
        Annotated[
            bool,
            typer.Option(
                "--exact", help="Read decimals as exact fractions (0.1 is 1/10).", rich_help_panel=NUMBERS
            ),
        ],
    ),
    _param(
        "debug",
        False,
        Annotated[
            bool,
            typer.Option(
                "--debug",
                help="Show the traceback of an internal error (for bug reports).",
                rich_help_panel=ADVANCED,
            ),
        ],
    ),
]


# Options of the sliding operations (convolve, correlate and the commands that explain them).
_OP_PARAMS = [
    _param(
        "mode",
        Mode.VALID,
        Annotated[
            Mode,
            typer.Option(
                "--mode",
                "-m",
                metavar="MODE",
                case_sensitive=False,
                help="valid: only where B fits inside A (CNN layers); same: A's shape; full: every overlap.",
                rich_help_panel=OPERATION,
            ),
        ],
    ),
    _param(
        "boundary",
        "fill",
        Annotated[
            str,
            typer.Option(
                "--boundary",
                metavar="RULE",
                autocompletion=lambda: [b.value for b in BoundaryRule],
                help="What lies outside A when it is padded: fill (--fillvalue), wrap (periodic), symm "
                "(mirror with the edge repeated), mirror (without), edge (the edge repeated).",
                rich_help_panel=OPERATION,
            ),
        ],
    ),
    _param(
        "fillvalue",
        "0",
        Annotated[
            str,
            typer.Option(
                "--fillvalue",
                metavar="NUMBER",
                help="The value outside A for --boundary fill.",
                rich_help_panel=OPERATION,
            ),
        ],
    ),
    _param(
        "convention",
        Convention.SCIPY,
        Annotated[
            Convention,
            typer.Option(
                "--convention",
                metavar="LIBRARY",
                case_sensitive=False,
                help=f"{choices(Convention)}: whose 'same' alignment to use for even kernels (and "
                "tensorflow's SAME with a stride).",
                rich_help_panel=OPERATION,
            ),
        ],
    ),
    _param("stride", "1", StrideOpt),
    _param("dilation", "1", DilationOpt),
    _param(
        "padding",
        None,
        Annotated[
            str | None,
            typer.Option(
                "--padding",
                metavar="P|PH,PW|T,B,L,R",
                help="Pad A by P on each side (per --boundary), then use valid mode, as torch's conv2d.",
                rich_help_panel=LAYER,
            ),
        ],
    ),
    _param(
        "channels",
        False,
        Annotated[
            bool,
            typer.Option(
                "--channels",
                help="A is C x H x W and B is C x kh x kw (or O x C x kh x kw): "
                "sum the 2-D op over channels.",
                rich_help_panel=LAYER,
            ),
        ],
    ),
    _param(
        "groups",
        "1",
        Annotated[
            str,
            typer.Option(
                "--groups",
                metavar="G",
                help="With --channels, torch's groups: filter o reads only the C/G channels of its group "
                "(B is O x C/G x kh x kw; G = C is depthwise).",
                rich_help_panel=LAYER,
            ),
        ],
    ),
    _param(
        "bias",
        None,
        Annotated[
            str | None,
            typer.Option(
                "--bias",
                metavar="B|B1,B2,...",
                help="Add a bias (one, or one per filter) to every cell.",
                rich_help_panel=LAYER,
            ),
        ],
    ),
    _param(
        "activation",
        Activation.NONE,
        Annotated[
            Activation,
            typer.Option(
                "--activation",
                metavar="FUNCTION",
                case_sensitive=False,
                help=f"{choices(Activation)}: the f in y = f(x·w + b).",
                rich_help_panel=LAYER,
            ),
        ],
    ),
    _param(
        "method",
        Method.AUTO,
        Annotated[
            Method,
            typer.Option(
                "--method",
                metavar="METHOD",
                case_sensitive=False,
                help="How to compute: auto chooses; direct, separable, fft or overlap-add force one.",
                rich_help_panel=ADVANCED,
            ),
        ],
    ),
    _param(
        "verbose",
        False,
        Annotated[
            bool,
            typer.Option(
                "--verbose",
                "-v",
                help="Say on stderr which method computed the result, and why.",
                rich_help_panel=OUTPUT,
            ),
        ],
    ),
]


@dataclass(frozen=True)
class Run:
    """What every command needs besides its own arguments: output choices and number reading."""

    fmt: Format | None
    output: Path | None
    export: Path | None
    exact: bool
    verbose: bool = False


def define_command(
    name: str, help: str, epilog: str, *, sliding: bool
) -> Callable[[Callable[..., None]], None]:
    """Register ``func`` as the command ``name``, with the options every command shares.

    Typer builds a command's options from its function's signature. So the registered function
    is a wrapper whose signature is ``func``'s own parameters plus _IO_PARAMS (and _OP_PARAMS when
    ``sliding``); it folds those shared values into ``run: Run`` (and ``options: OpOptions``) and
    calls ``func(..., run=run, options=options)``: a command declares only what is its own.
    """

    def register(func: Callable[..., None]) -> None:
        hints = typing.get_type_hints(func, include_extras=True)
        own = [
            p.replace(annotation=hints[p.name])
            for p in inspect.signature(func).parameters.values()
            if p.name not in ("run", "options")
        ]
        shared = _IO_PARAMS + (_OP_PARAMS if sliding else [])
        names = {p.name for p in shared}

        def command(**kwargs: Any) -> None:
            reading_notes.clear()
            given = {n: kwargs.pop(n) for n in names}
            run = Run(
                given["fmt"], given["output"], given["export"], given["exact"], given.get("verbose", False)
            )
            if sliding:
                kwargs["options"] = _options(given)
            with watching(run):
                func(run=run, **kwargs)

        # keyword-only, so that they may be ordered by panel (typer passes them by name)
        params = sorted(
            (p.replace(kind=inspect.Parameter.KEYWORD_ONLY) for p in own + shared), key=_panel_rank
        )
        command.__signature__ = inspect.Signature(params)  # type: ignore[attr-defined]
        command.__annotations__ = {p.name: p.annotation for p in params}
        command.__doc__ = help
        command.__name__ = func.__name__
        from . import app  # the package defines it, and imports this module

        app.command(name, epilog=epilog, cls=_Command)(command)

    return register


_LIST_SEPARATOR = re.compile(r"\s*,\s*|\s+")


def int_list(text: str, name: str) -> tuple[int, ...]:
    try:
        return tuple(whole_number(part) for part in _LIST_SEPARATOR.split(text.strip()))
    except ValueError:
        raise UsageError(
            f'--{name} takes whole numbers separated by commas (like 2 or 2,1), got "{text}"'
        ) from None


def whole_option(text: Any) -> int:
    """A whole-number option's value, by the ASCII-digit rule of every number convcli reads."""
    if isinstance(text, int):  # the default
        return text
    try:
        return whole_number(text)
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None


def _decimal_option(text: Any) -> float:
    """A decimal option's value, by the same rule."""
    if isinstance(text, float | int):  # the default
        return float(text)
    try:
        return decimal_number(text)
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None


def whole_count(text: str, name: str) -> int:
    """One whole number, such as --groups 2."""
    try:
        return whole_number(text.strip())
    except ValueError:
        raise UsageError(f'--{name} takes one whole number (like 2), got "{text}"') from None


def _number_list(text: str, name: str, exact: bool) -> tuple[Any, ...]:
    values = []
    for part in text.split(","):
        try:
            values.append(parse_token(part.strip().replace("\u2212", "-"), exact=exact))
        except ValueError as exc:
            raise UsageError(f"--{name}: {exc}") from None
    return tuple(values)


def _boundary_rule(text: str) -> BoundaryRule:
    word = text.strip().lower()
    if word == "reflect":
        raise UsageError(
            "--boundary reflect means two different things: numpy's and torch's 'reflect' mirror about the "
            "edge cell (d c b | a b c d | c b a), which is --boundary mirror; scipy.ndimage's 'reflect' and "
            "MATLAB's 'symmetric' repeat the edge cell (c b a | a b c d | d c b), which is --boundary symm"
        )
    try:
        return BoundaryRule(word)
    except ValueError:
        choices = ", ".join(b.value for b in BoundaryRule)
        raise UsageError(f'--boundary takes one of {choices}, got "{text}"') from None


def _options(given: dict[str, Any]) -> OpOptions:
    exact = given["exact"]
    fill = _number_list(given["fillvalue"], "fillvalue", exact)
    if len(fill) != 1 or kind_of_value(fill[0]) is Kind.SYMBOLIC:
        raise UsageError(
            f'--fillvalue takes one number (such as 0, -1, 1/2 or 0.5), got "{given["fillvalue"]}"'
        )
    return OpOptions(
        mode=given["mode"],
        boundary=_boundary_rule(given["boundary"]),
        fillvalue=fill[0],
        convention=given["convention"],
        method=given["method"],
        stride=int_list(given["stride"], "stride"),
        dilation=int_list(given["dilation"], "dilation"),
        padding=None if given["padding"] is None else int_list(given["padding"], "padding"),
        channels=given["channels"],
        groups=whole_count(given["groups"], "groups"),
        bias=() if given["bias"] is None else _number_list(given["bias"], "bias", exact),
        activation=given["activation"],
    )


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
        parser=_decimal_option,
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
        parser=_decimal_option,
        help="How far a float cell may be off, relative to its scale (the sum of its |products|); "
        "exact inputs need exact answers.",
        rich_help_panel=NUMBERS,
    ),
]


def pool_options(
    kind: PoolKind,
    size: str,
    stride: tuple[int, ...] | None,
    padding: tuple[int, ...],
    dilation: tuple[int, ...],
    ceil_mode: bool,
    count_pad: bool | None,
) -> Any:
    from convcli.pool import PoolOptions

    if count_pad is not None and kind is PoolKind.MAX:
        flag = "--count-pad" if count_pad else "--no-count-pad"
        raise UsageError(
            f"{flag} applies to avg pooling (torch's count_include_pad); max pooling pads with -inf, "
            "which is never counted"
        )
    return PoolOptions(
        kind=kind,
        size=int_list(size, "size"),
        stride=stride,
        padding=padding,
        dilation=dilation,
        ceil_mode=ceil_mode,
        count_pad=True if count_pad is None else count_pad,
    )
