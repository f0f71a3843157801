"""The command line: option declarations, the one error boundary, and printing. No arithmetic here."""

from __future__ import annotations

import os
import sys
import tempfile
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import numpy as np
import typer
from rich.console import Console, RenderableType
from typer.core import TyperGroup

from . import __version__, explain, formats, ops, parsing, render
from .errors import ConvcliError, UsageError
from .model import Boundary, Format, Method, Mode, Op, OpOptions, Result
from .numbers import parse_token

__all__ = ["app", "main", "ExitCode"]


class ExitCode:
    """Exit statuses: grep's and diff's convention, and sysexits' EX_SOFTWARE for a bug."""

    OK = 0
    WRONG_ANSWER = 1
    USAGE_OR_INPUT = 2
    INTERNAL = 70
    INTERRUPTED = 130


def _examples(*lines: str) -> str:
    """A help epilog: one example per line."""
    return "Examples:\n\n" + "\n\n".join(f"  {line}" for line in lines)


_CLICK_ERROR = next(c for c in typer.BadParameter.__mro__ if c.__name__ == "ClickException")


def _say_error(lines: list[str]) -> None:
    err = _stderr_console()
    err.print("error: " + lines[0], markup=False, highlight=False, soft_wrap=True)
    for line in lines[1:]:
        err.print(line, markup=False, highlight=False, soft_wrap=True)


class _Boundary(TyperGroup):
    """The one error boundary: every run, from the console script or a test runner, ends here.

    ConvcliError is the user's problem (one ``error:`` line, exit 2); any other exception is a
    bug (one line saying so, exit 70; the traceback only with --debug).
    """

    def main(
        self,
        args: Any = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        args = list(sys.argv[1:] if args is None else args)
        try:
            code = super().main(
                args=args,
                prog_name=prog_name or "convcli",
                complete_var=complete_var,
                standalone_mode=False,
                **extra,
            )
        except ConvcliError as exc:
            _say_error(exc.lines())
            code = ExitCode.USAGE_OR_INPUT
        except _CLICK_ERROR as exc:
            ctx = getattr(exc, "ctx", None)
            hint = f"  (see '{ctx.command_path} --help')" if ctx is not None else ""
            _say_error([exc.format_message() + hint])
            code = getattr(exc, "exit_code", ExitCode.USAGE_OR_INPUT)
        except (typer.Abort, KeyboardInterrupt):
            code = ExitCode.INTERRUPTED
        except Exception as exc:
            if "--debug" in args:
                traceback.print_exc()
            _say_error(
                [
                    f"internal error ({type(exc).__name__}: {exc}); this is a bug in convcli. "
                    "Run again with --debug for the traceback and report it."
                ]
            )
            code = ExitCode.INTERNAL
        sys.exit(code if isinstance(code, int) else ExitCode.OK)


app = typer.Typer(
    name="convcli",
    cls=_Boundary,
    help=(
        "Convolution and its look-alikes, with the work shown: convolve, correlate, "
        "elementwise-sum and dot, side by side.\n\n"
        "Try: convcli compare samples/A.txt samples/B.txt"
    ),
    no_args_is_help=True,
    add_completion=True,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)

_EXTENSIONS = {
    ".txt": Format.PLAIN,
    ".csv": Format.CSV,
    ".json": Format.JSON,
    ".md": Format.MARKDOWN,
    ".tex": Format.LATEX,
    ".npy": Format.NPY,
}

# --------------------------------------------------------------------------------------------
# shared arguments and options

MATRIX_HELP = (
    "a text/CSV grid file, .json or .npy file, '-' for standard input, or an inline matrix such "
    'as "1 2; 3 4" or "[[1,2],[3,4]]"'
)
AArg = Annotated[str, typer.Argument(metavar="A", help=f"The input (image): {MATRIX_HELP}.")]
BArg = Annotated[str, typer.Argument(metavar="B", help="The kernel (filter), in the same forms as A.")]
ModeOpt = Annotated[
    Mode,
    typer.Option(
        "--mode",
        "-m",
        case_sensitive=False,
        help="valid: only where B fits inside A (CNN layers); same: A's shape; full: every overlap.",
    ),
]
BoundaryOpt = Annotated[
    Boundary,
    typer.Option(
        "--boundary",
        case_sensitive=False,
        help="What lies outside A in same/full mode: fill (--fillvalue), wrap (periodic), symm (mirrored).",
    ),
]
FillOpt = Annotated[
    str, typer.Option("--fillvalue", metavar="NUMBER", help="The value outside A for --boundary fill.")
]
FormatOpt = Annotated[
    Format | None,
    typer.Option(
        "--format",
        "-f",
        case_sensitive=False,
        help="Output format. Default: table on a terminal, plain when piped, or from --output's extension.",
    ),
]
OutputOpt = Annotated[
    Path | None,
    typer.Option(
        "--output",
        "-o",
        metavar="FILE",
        dir_okay=False,
        help="Write the result to FILE (.txt .csv .json .md .tex .npy), whole or not at all.",
    ),
]
ExactOpt = Annotated[bool, typer.Option("--exact", help="Read decimals as exact fractions (0.1 is 1/10).")]
MethodOpt = Annotated[
    Method,
    typer.Option(
        "--method",
        case_sensitive=False,
        help="How to compute: auto chooses; direct, separable, fft or overlap-add force one.",
    ),
]
VerboseOpt = Annotated[
    bool, typer.Option("--verbose", "-v", help="Say on stderr which method computed the result, and why.")
]
DebugOpt = Annotated[
    bool, typer.Option("--debug", help="Show the traceback of an internal error (for bug reports).")
]


def _version(value: bool) -> None:
    if value:
        print(f"convcli {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit."),
    ] = False,
) -> None:
    """Convolution and its look-alikes, with the work shown."""


# --------------------------------------------------------------------------------------------
# reading and writing


def _read_pair(a: str, b: str, exact: bool) -> tuple[np.ndarray, np.ndarray]:
    if a == "-" and b == "-":
        raise UsageError("only one of A and B can be '-' (standard input)")
    return (
        parsing.read_matrix(a, name="A", exact=exact),
        parsing.read_matrix(b, name="B", exact=exact),
    )


def _fill(text: str, exact: bool) -> Any:
    try:
        return parse_token(text.strip().replace("\u2212", "-"), exact=exact)
    except ValueError as exc:
        raise UsageError(f"--fillvalue: {exc}") from None


def _choose_format(fmt: Format | None, output: Path | None) -> Format:
    if fmt is not None:
        return fmt
    if output is not None:
        found = _EXTENSIONS.get(output.suffix.lower())
        if found is None:
            known = " ".join(_EXTENSIONS)
            raise UsageError(
                f'--output: cannot tell the format from "{output.name}"; use one of {known} or give --format'
            )
        return found
    return Format.TABLE if sys.stdout.isatty() else Format.PLAIN


def _stdout_console() -> Console:
    return Console(highlight=False, soft_wrap=False)


def _stderr_console() -> Console:
    return Console(stderr=True, highlight=False)


def _note(text: str, style: str | None = None) -> None:
    """One line on stderr, never wrapped (it may be read by a program)."""
    _stderr_console().print(text, style=style, markup=False, highlight=False, soft_wrap=True)


def _write_atomically(path: Path, data: bytes, inputs: list[str]) -> None:
    """Write ``data`` to ``path`` through a temporary file in the same folder, then rename.

    An existing file is replaced only once the new one is complete; an input is never overwritten.
    """
    target = path.resolve()
    for given in inputs:
        if given != "-" and os.path.exists(given) and Path(given).resolve() == target:
            raise UsageError(f'--output "{path}" is one of the inputs; convcli never overwrites its inputs')
    folder = target.parent
    if not folder.is_dir():
        raise UsageError(f'--output: the folder "{path.parent}" does not exist')
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=folder)
    except OSError as exc:
        raise UsageError(f'--output: cannot write in "{path.parent}": {exc.strerror}') from None
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, target)
    except OSError as exc:
        os.unlink(tmp)
        raise UsageError(f'--output: cannot write "{path}": {exc.strerror}') from None


def _emit(
    fmt: Format | None,
    output: Path | None,
    inputs: list[str],
    machine: Callable[[Format], str | bytes],
    view: Callable[[int], RenderableType],
    notes: tuple[str, ...] = (),
) -> None:
    """Print or save one run's output in the chosen format; notes go to stderr."""
    chosen = _choose_format(fmt, output)
    if chosen is Format.TABLE:
        if output is not None:
            raise UsageError("--output writes machine formats; the table view is for the terminal")
        console = _stdout_console()
        console.print(view(console.width))
    else:
        data = machine(chosen)
        raw = data if isinstance(data, bytes) else data.encode()
        if output is not None:
            _write_atomically(output, raw, inputs)
            _note(f"wrote {output} ({chosen})", style="dim")
        elif chosen is Format.NPY and sys.stdout.isatty():
            raise UsageError("npy is binary and is not written to a terminal; use --output FILE.npy")
        else:
            sys.stdout.buffer.write(raw)
            sys.stdout.flush()
    for note in notes:
        _note(f"note: {note}")


def _emit_result(result: Result, fmt: Format | None, output: Path | None, inputs: list[str]) -> None:
    _emit(
        fmt,
        output,
        inputs,
        lambda f: formats.format_result(result, f),
        lambda width: render.result_view(result, width=width),
        result.notes,
    )


# --------------------------------------------------------------------------------------------
# commands


def _options(mode: Mode, boundary: Boundary, fillvalue: str, exact: bool, method: Method) -> OpOptions:
    return OpOptions(mode=mode, boundary=boundary, fillvalue=_fill(fillvalue, exact), method=method)


_SLIDING_DOCS = {
    Op.CONVOLVE: (
        "Convolve A with B: B is turned 180° and slid over A (scipy.signal.convolve2d).",
        _examples(
            "convcli convolve samples/A.txt samples/B.txt",
            'convcli convolve "1 2 3 4 5" "1 2" --mode full',
            "convcli convolve samples/A.txt samples/B.txt -o out.json",
        ),
    ),
    Op.CORRELATE: (
        "Cross-correlate A with B: B slides over A unturned; what a CNN layer computes.",
        _examples(
            "convcli correlate samples/A.txt samples/B.txt",
            'convcli correlate "1/9 1/9; 1/9 1/9" "1 2; 3 4"',
            "convcli correlate samples/A.txt samples/B.txt | convcli correlate - samples/B.txt",
        ),
    ),
}


def _sliding_command(op: Op) -> None:
    def command(
        a: AArg,
        b: BArg,
        mode: ModeOpt = Mode.VALID,
        boundary: BoundaryOpt = Boundary.FILL,
        fillvalue: FillOpt = "0",
        fmt: FormatOpt = None,
        output: OutputOpt = None,
        exact: ExactOpt = False,
        method: MethodOpt = Method.AUTO,
        verbose: VerboseOpt = False,
        debug: DebugOpt = False,
    ) -> None:
        A, B = _read_pair(a, b, exact)
        result = ops.run(op, A, B, _options(mode, boundary, fillvalue, exact, method))
        if verbose and result.choice is not None:
            _note(f"method: {result.choice.method} ({result.choice.reason})")
        _emit_result(result, fmt, output, [a, b])

    help_text, epilog = _SLIDING_DOCS[op]
    command.__doc__ = help_text
    app.command(op.value, epilog=epilog)(command)


_sliding_command(Op.CONVOLVE)
_sliding_command(Op.CORRELATE)


@app.command(
    "elementwise-sum",
    epilog=_examples(
        "convcli elementwise-sum samples/window.txt samples/B.txt",
        'convcli elementwise-sum "1 2; 3 4" "1 0; 0 1"',
    ),
)
def elementwise_sum(
    a: AArg,
    b: BArg,
    fmt: FormatOpt = None,
    output: OutputOpt = None,
    exact: ExactOpt = False,
    debug: DebugOpt = False,
) -> None:
    """Multiply A and B entry by entry and add the products (numpy.sum(A * B)); shapes must match."""
    A, B = _read_pair(a, b, exact)
    _emit_result(ops.elementwise_sum(A, B), fmt, output, [a, b])


@app.command(
    epilog=_examples("convcli dot samples/window.txt samples/B.txt", 'convcli dot "1 2 3" "4 5 6"'),
)
def dot(
    a: AArg,
    b: BArg,
    fmt: FormatOpt = None,
    output: OutputOpt = None,
    exact: ExactOpt = False,
    debug: DebugOpt = False,
) -> None:
    """numpy.dot(A, B): the matrix product of 2-D A and B (rows times columns), inner product of vectors."""
    A, B = _read_pair(a, b, exact)
    _emit_result(ops.dot(A, B), fmt, output, [a, b])


@app.command(
    epilog=_examples(
        "convcli compare samples/A.txt samples/B.txt",
        "convcli compare samples/window.txt samples/B2.txt",
        "convcli compare samples/A.txt samples/B.txt -f json | jq .facts",
    ),
)
def compare(
    a: AArg,
    b: BArg,
    mode: ModeOpt = Mode.VALID,
    boundary: BoundaryOpt = Boundary.FILL,
    fillvalue: FillOpt = "0",
    fmt: FormatOpt = None,
    output: OutputOpt = None,
    exact: ExactOpt = False,
    debug: DebugOpt = False,
) -> None:
    """convolve, correlate, elementwise-sum and dot side by side, and why they differ."""
    A, B = _read_pair(a, b, exact)
    cmp = explain.compare(A, B, _options(mode, boundary, fillvalue, exact, Method.AUTO))
    _emit(
        fmt,
        output,
        [a, b],
        lambda f: formats.format_comparison(cmp, f),
        lambda width: render.comparison_view(cmp, width=width),
    )


def main() -> None:
    """The console script and ``python -m convcli``."""
    app()
