"""The options every command shares (where the output goes, how numbers are read) and those of the
sliding operations, declared once each; Run, which carries the shared values; and define_command,
which gives a command the shared options."""

from __future__ import annotations

import inspect
import typing
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import typer

from convcli.model import Activation, BoundaryRule, Convention, Format, Method, Mode

from .emit import reading_notes, watching
from .help_panels import ADVANCED, LAYER, NUMBERS, OPERATION, OUTPUT, PanelCommand, choices, panel_rank
from .option_values import op_options
from .options import DilationOpt, StrideOpt


def _param(name: str, default: Any, annotation: Any) -> inspect.Parameter:
    return inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=default, annotation=annotation)


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
                kwargs["options"] = op_options(given)
            with watching(run):
                func(run=run, **kwargs)

        # keyword-only, so that they may be ordered by panel (typer passes them by name)
        params = sorted(
            (p.replace(kind=inspect.Parameter.KEYWORD_ONLY) for p in own + shared), key=panel_rank
        )
        command.__signature__ = inspect.Signature(params)  # type: ignore[attr-defined]
        command.__annotations__ = {p.name: p.annotation for p in params}
        command.__doc__ = help
        command.__name__ = func.__name__
        from . import app  # the package defines it, and imports this module

        app.command(name, epilog=epilog, cls=PanelCommand)(command)

    return register
