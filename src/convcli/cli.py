"""The command line: option declarations, the one error boundary, and printing. No arithmetic here."""

from __future__ import annotations

import contextlib
import dataclasses
import inspect
import io
import math
import os
import re
import signal
import sys
import threading
import traceback
import typing
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import numpy as np
import typer
from typer.core import TyperGroup

from . import __version__, arraytext, formats, ops, output, parsing
from .closeness import TOLERANCE
from .engine import progress
from .errors import ConvcliError, UsageError
from .model import (
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
    Result,
    SlidingOp,
)
from .numeric import kind_of_value
from .parsing import parse_token
from .parsing.tokens import decimal_number, whole_number

if typing.TYPE_CHECKING:
    # rich is loaded only to draw: a piped plain run never imports it (start-up time)
    from rich.console import Console, RenderableType

    from .frames import Animation

__all__ = ["app", "main", "ExitCode"]


class ExitCode:
    """Exit statuses: grep's and diff's convention, and sysexits' EX_SOFTWARE for a bug."""

    OK = 0
    WRONG_ANSWER = 1
    USAGE_OR_INPUT = 2
    INTERNAL = 70
    INTERRUPTED = 130
    TERMINATED = 143  # 128 + SIGTERM: what a shell reports for a process ended by SIGTERM


def _examples(*lines: str) -> str:
    """A help epilog: one example per line."""
    return "Examples:\n\n" + "\n\n".join(f"  {line}" for line in lines)


# typer's own copy of click's base exception (a usage error, a bad option value)
_CLICK_ERROR: Any = next(c for c in typer.BadParameter.__mro__ if c.__name__ == "ClickException")


def _say_error(lines: list[str], *, sentences: int = 1) -> None:
    """The ``error:`` line and what follows it: the first ``sentences`` lines wrapped at spaces
    on a terminal, the rest (a quoted line and its caret, a command to copy) kept whole."""
    _note("error: " + lines[0])
    for i, line in enumerate(lines[1:], start=1):
        _note(line, wrap=i < sentences)


_MEMORY_HINTS = {
    "steps": "derive fewer cells (--max-steps N, or --at I,J for one)",
    "im2col": "im2col holds one column of A's cells per output cell: a smaller input or a larger --stride",
    "compare": "compare computes all four operations: try convolve or correlate alone, or a smaller input",
}


def _out_of_memory(args: list[str]) -> str:
    from .numeric import memory_limit

    command = next((arg for arg in args if not arg.startswith("-")), "")
    hint = _MEMORY_HINTS.get(
        command, "a smaller input, --mode valid rather than full, less --padding or a larger --stride"
    )
    return (
        "out of memory: the system refused this run the memory it needed (convcli plans for at most "
        f"{memory_limit() / 2**30:.1f} GiB, half of this machine's memory; a ulimit or a container may "
        f"allow less); ask for less: {hint}"
    )


class _Terminated(BaseException):
    """SIGTERM, raised where the run is, so that it ends as Ctrl-C does: cleaning up on the way."""


def _terminate(signum: int, frame: Any) -> None:
    signal.signal(signal.SIGTERM, signal.SIG_IGN)  # a second one must not cut the cleanup short
    raise _Terminated


@contextlib.contextmanager
def _sigterm_ends_the_run() -> Iterator[None]:
    """Turn SIGTERM into _Terminated for the length of a run, so that the error boundary ends it
    (exit 143) and a file being written is removed on the way, as on Ctrl-C."""
    if threading.current_thread() is not threading.main_thread():  # only it receives signals
        yield
        return
    previous = signal.signal(signal.SIGTERM, _terminate)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_DFL if previous is None else previous)


_EXTRA_ARGUMENTS = re.compile(r"unexpected extra arguments?(?:\(s\))? \((.*)\)")
_ENTRY_LIKE = re.compile(r"[-+\u22120-9.,;/\[\]eEjJ]+|nan|inf")


def _quoting_hint(exc: Exception, ctx: Any) -> list[str]:
    """For extra arguments that look like matrix entries (``correlate 1 2 3 1 0``), the likely
    cause: a matrix written with spaces and no quotes is several arguments."""
    found = _EXTRA_ARGUMENTS.search(exc.format_message()) if hasattr(exc, "format_message") else None
    if found is None or not all(_ENTRY_LIKE.fullmatch(word) for word in found.group(1).split()):
        return []
    command = ctx.command_path if ctx is not None else "convcli"
    return [
        "a matrix with spaces in it is one argument in quotes, as in:",
        f'  {command} "1 2 3; 4 5 6" "1 0"',
    ]


class _ErrorCatchingGroup(TyperGroup):
    """The one error boundary: every run, from the console script or a test runner, ends here.

    ConvcliError is the user's problem (one ``error:`` line, exit 2), and so is running out of
    memory; any other exception is a bug (one line saying so, exit 70; the traceback only with
    --debug).
    """

    def main(
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        windows_expand_args: bool = True,
        **extra: Any,
    ) -> Any:
        args = list(sys.argv[1:] if args is None else args)
        try:
            code = super().main(
                args=args,
                prog_name=prog_name or "convcli",
                complete_var=complete_var,
                standalone_mode=False,
                windows_expand_args=windows_expand_args,
                **extra,
            )
        except ConvcliError as exc:
            _say_error(exc.lines())
            code = ExitCode.USAGE_OR_INPUT
        except _CLICK_ERROR as exc:
            ctx = getattr(exc, "ctx", None)
            if type(exc).__name__ == "NoArgsIsHelpError":
                # bare `convcli`: the help is printed (as it was drawn), which is all that was asked
                code = ExitCode.OK
            else:
                hint = f"  (see '{ctx.command_path} --help')" if ctx is not None else ""
                quoting = _quoting_hint(exc, ctx)
                _say_error([exc.format_message() + hint, *quoting], sentences=2 if quoting else 1)
                code = getattr(exc, "exit_code", ExitCode.USAGE_OR_INPUT)
        except SystemExit as exc:
            # rich ends a help whose reader closed the pipe (`convcli --help | head -1`) with
            # status 1; a reader that stopped early is no failure here (SPEC §4)
            closed = exc.code == 1 and isinstance(exc.__context__, BrokenPipeError)
            code = ExitCode.OK if closed else exc.code
        except (typer.Abort, KeyboardInterrupt):
            code = ExitCode.INTERRUPTED
        except _Terminated:
            code = ExitCode.TERMINATED
        except MemoryError:
            # the machine's limit, not a bug: convcli checks sizes before the work, but a ulimit
            # or a container may allow less than it plans for
            _say_error([_out_of_memory(args)])
            code = ExitCode.USAGE_OR_INPUT
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
        if code in (ExitCode.INTERRUPTED, ExitCode.TERMINATED):
            # Ctrl-C (which the parser may also turn into a status of 130) or SIGTERM: worker
            # threads still computing stop at their next chunk, so the process ends at once
            progress.cancel()
            _stop_watching()
        sys.exit(code if isinstance(code, int) else ExitCode.OK)


app = typer.Typer(
    name="convcli",
    cls=_ErrorCatchingGroup,
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
    ".html": Format.HTML,
}

# --------------------------------------------------------------------------------------------
# shared arguments and options

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
    ),
]
DilationOpt = Annotated[
    str,
    typer.Option("--dilation", metavar="D|DH,DW", help="Spread the kernel's taps D apart (D-1 gaps)."),
]
LayerPaddingOpt = Annotated[
    str,
    typer.Option(
        "--padding",
        metavar="P|PH,PW",
        help="Zeros around the input, per axis (transposed: cells cropped from each side of the result).",
    ),
]
OutputPaddingOpt = Annotated[
    str,
    typer.Option(
        "--output-padding",
        metavar="A|AH,AW",
        help="Of a transposed convolution: extra cells at the end of each axis (less than the stride).",
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
                case_sensitive=False,
                help="Output format. Default: table on a terminal, plain when piped, "
                "or from --output's extension.",
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
            ),
        ],
    ),
    _param(
        "exact",
        False,
        Annotated[bool, typer.Option("--exact", help="Read decimals as exact fractions (0.1 is 1/10).")],
    ),
    _param(
        "debug",
        False,
        Annotated[
            bool, typer.Option("--debug", help="Show the traceback of an internal error (for bug reports).")
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
                case_sensitive=False,
                help="valid: only where B fits inside A (CNN layers); same: A's shape; full: every overlap.",
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
                metavar="fill|wrap|symm|mirror|edge",
                autocompletion=lambda: [b.value for b in BoundaryRule],
                help="What lies outside A when it is padded: fill (--fillvalue), wrap (periodic), symm "
                "(mirror with the edge repeated), mirror (without), edge (the edge repeated).",
            ),
        ],
    ),
    _param(
        "fillvalue",
        "0",
        Annotated[
            str,
            typer.Option("--fillvalue", metavar="NUMBER", help="The value outside A for --boundary fill."),
        ],
    ),
    _param(
        "convention",
        Convention.SCIPY,
        Annotated[
            Convention,
            typer.Option(
                "--convention",
                case_sensitive=False,
                help="Whose 'same' alignment to use for even kernels (and tensorflow's SAME with a stride).",
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
            ),
        ],
    ),
    _param(
        "bias",
        None,
        Annotated[
            str | None,
            typer.Option(
                "--bias", metavar="B|B1,B2,...", help="Add a bias (one, or one per filter) to every cell."
            ),
        ],
    ),
    _param(
        "activation",
        Activation.NONE,
        Annotated[
            Activation,
            typer.Option("--activation", case_sensitive=False, help="Apply f in y = f(x·w + b)."),
        ],
    ),
    _param(
        "method",
        Method.AUTO,
        Annotated[
            Method,
            typer.Option(
                "--method",
                case_sensitive=False,
                help="How to compute: auto chooses; direct, separable, fft or overlap-add force one.",
            ),
        ],
    ),
    _param(
        "verbose",
        False,
        Annotated[
            bool,
            typer.Option("--verbose", "-v", help="Say on stderr which method computed the result, and why."),
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


def _command(name: str, help: str, epilog: str, *, sliding: bool) -> Callable[[Callable[..., None]], None]:
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
            _reading_notes.clear()
            given = {n: kwargs.pop(n) for n in names}
            run = Run(
                given["fmt"], given["output"], given["export"], given["exact"], given.get("verbose", False)
            )
            if sliding:
                kwargs["options"] = _options(given)
            with _watching(run):
                func(run=run, **kwargs)

        params = own + shared
        command.__signature__ = inspect.Signature(params)  # type: ignore[attr-defined]
        command.__annotations__ = {p.name: p.annotation for p in params}
        command.__doc__ = help
        command.__name__ = func.__name__
        app.command(name, epilog=epilog)(command)

    return register


_LIST_SEPARATOR = re.compile(r"\s*,\s*|\s+")


def _int_list(text: str, name: str) -> tuple[int, ...]:
    try:
        return tuple(whole_number(part) for part in _LIST_SEPARATOR.split(text.strip()))
    except ValueError:
        raise UsageError(
            f'--{name} takes whole numbers separated by commas (like 2 or 2,1), got "{text}"'
        ) from None


def _whole_option(text: Any) -> int:
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


def _whole(text: str, name: str) -> int:
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
        stride=_int_list(given["stride"], "stride"),
        dilation=_int_list(given["dilation"], "dilation"),
        padding=None if given["padding"] is None else _int_list(given["padding"], "padding"),
        channels=given["channels"],
        groups=_whole(given["groups"], "groups"),
        bias=() if given["bias"] is None else _number_list(given["bias"], "bias", exact),
        activation=given["activation"],
    )


def _version(value: bool) -> None:
    if value:
        output.to_stdout(f"convcli {__version__}\n")
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


# notes about what was read, shown with the run's own notes once its output is out
_reading_notes: list[str] = []


def _read(arg: str, name: str, exact: bool) -> np.ndarray:
    """One MATRIX argument; a letter among its numbers gets a note, so that a typo is seen."""
    matrix = parsing.read_matrix(arg, name=name, exact=exact)
    _note_symbols(matrix, name)
    return matrix


def _note_symbols(matrix: np.ndarray, name: str) -> None:
    note = parsing.symbols_note(matrix, name)
    if note is not None:
        _reading_notes.append(note)


def _read_pair(a: str, b: str, exact: bool) -> tuple[np.ndarray, np.ndarray]:
    if a == "-" and b == "-":
        raise UsageError("only one of A and B can be '-' (standard input)")
    return _read(a, "A", exact), _read(b, "B", exact)


def _choose_format(fmt: Format | None, target: Path | None) -> Format:
    """--format, else --output's extension, else table on a terminal and plain when piped.

    Both given must agree: a .npy file holds npy, and text of any kind may go to a .txt file."""
    implied = None if target is None else _EXTENSIONS.get(target.suffix.lower())
    if target is not None and implied is not None and fmt not in (None, Format.TABLE, implied):
        if implied is not Format.PLAIN or fmt is Format.NPY:
            ext = next(e for e, f in _EXTENSIONS.items() if f is fmt)
            raise UsageError(
                f'--format {fmt} and --output "{target}" disagree: a {target.suffix} file holds {implied}; '
                f"drop --format, or write to {target.with_suffix(ext)}"
            )
    if fmt is not None:
        return fmt
    if target is not None:
        found = _EXTENSIONS.get(target.suffix.lower())
        if found is None:
            known = " ".join(_EXTENSIONS)
            raise UsageError(
                f'--output: cannot tell the format from "{target.name}"; use one of {known} or give --format'
            )
        return found
    return Format.TABLE if output.stdout_is_terminal() else Format.PLAIN


def _stderr_console() -> Console:
    """Errors and notes quote the user's text: never read as markup (``[red]``) or emoji (``:x:``)."""
    from rich.console import Console

    return Console(stderr=True, highlight=False, markup=False, emoji=False)


def _note(text: str, style: str | None = None, *, wrap: bool = True) -> None:
    """One line on stderr: as it is for a program reading it, wrapped at spaces on a terminal
    (which would break it mid-word)."""
    if not sys.stderr.isatty():
        # what rich would print here too (no style off a terminal), without loading rich
        sys.stderr.write(text + "\n")
        sys.stderr.flush()
        return
    _stderr_console().print(text, style=style, markup=False, highlight=False, soft_wrap=not wrap)


_EXPORTS = (".html", ".svg", ".txt")


def _views() -> Any:
    """The rich renderers, loaded only when a table is drawn (start-up time, SPEC section 6)."""
    from . import render

    return render


def _explanation_views() -> Any:
    """The rich renderers of steps, im2col, check and the scatter-add, loaded as _views()."""
    from . import render_steps

    return render_steps


class _Sink:
    """Where a view is drawn before it is written to stdout: rich's own writing would end the run
    with status 1 on a closed pipe, which for check means a wrong answer."""

    def __init__(self) -> None:
        self.encoding = (sys.stdout.encoding if sys.stdout is not None else None) or "utf-8"
        self._parts: list[str] = []

    def write(self, text: str) -> int:
        self._parts.append(text)
        return len(text)

    def flush(self) -> None:
        pass

    def isatty(self) -> bool:
        return output.stdout_is_terminal()

    def take(self) -> str:
        text = "".join(self._parts)
        self._parts.clear()
        return text


class _Terminal:
    """Stdout for a view drawn as it changes (--play): written as the terminal's encoding can
    show it, plain characters standing in for the ones it lacks."""

    def __init__(self) -> None:
        self.encoding = sys.stdout.encoding or "utf-8"

    def write(self, text: str) -> int:
        sys.stdout.buffer.write(output.for_terminal(text, self.encoding))
        return len(text)

    def flush(self) -> None:
        sys.stdout.buffer.flush()

    def isatty(self) -> bool:
        return output.stdout_is_terminal()

    def fileno(self) -> int:
        return sys.stdout.fileno()


def _stdout_console(record: bool) -> Console:
    """A console drawing into a _Sink, with stdout's width, colours and encoding."""
    from rich.console import Console

    sink = typing.cast(typing.IO[str], _Sink())
    return Console(file=sink, highlight=False, markup=False, emoji=False, soft_wrap=False, record=record)


def _emit(
    run: Run,
    inputs: list[str],
    machine: Callable[[Format], output.Payload],
    view: Callable[[int], RenderableType],
    notes: tuple[str, ...] = (),
    *,
    machine_notes: tuple[str, ...] = (),
    pages: bool = False,
) -> None:
    """Print or save one run's output in the chosen format; notes go to stderr, and
    ``machine_notes`` too unless the table view (which shows them itself) was chosen. ``pages``:
    the command writes html (``machine`` makes the page).

    A reader of stdout that goes away early (``| head -1``) is not an error: the run goes on
    and ends with its own status (check's verdict, 0 for the others).
    """
    _stop_watching()
    chosen = _choose_format(run.fmt, run.output)
    if chosen is Format.HTML:
        if not pages:
            raise UsageError(
                "html pages are written by steps, check, compare and conv-transpose --steps; "
                "choose another --format here"
            )
        if run.output is None and output.stdout_is_terminal():
            raise UsageError(
                "an html page is not written to a terminal; use --output FILE.html, or send it to a file "
                "(> page.html)"
            )
    if run.export is not None and run.export.suffix.lower() not in _EXPORTS:
        raise UsageError(f'--export saves .html, .svg or .txt, not "{run.export.name}"')
    if run.export is not None and run.output is not None and run.export.resolve() == run.output.resolve():
        raise UsageError("--export and --output name the same file; give each its own")
    console = sink = None
    if chosen is Format.TABLE or run.export is not None:  # machine formats never load rich
        console = _stdout_console(record=run.export is not None)
        sink = typing.cast(_Sink, console.file)
    if chosen is Format.TABLE:
        assert console is not None and sink is not None
        if run.output is not None:
            raise UsageError(
                "--output writes machine formats; the table view is for the terminal (see --export)"
            )
        console.print(view(console.width))
        output.to_stdout(output.for_terminal(sink.take(), sink.encoding))
    else:
        data = machine(chosen)
        if run.output is not None:
            output.write_file(run.output, data, inputs)
            _note(f"wrote {run.output} ({chosen})", style="dim")
        else:
            if run.export is not None and isinstance(data, arraytext.TextStream):
                raise UsageError(
                    "--export saves what the terminal shows, and a result this large is written as it is "
                    "formatted, never held whole; save it with --output FILE instead"
                )
            if run.export is not None and isinstance(data, str):
                assert console is not None and sink is not None
                console.print(data, end="", soft_wrap=True)  # recorded for the export only
                sink.take()
            output.to_stdout(data)
    if run.export is not None:
        assert console is not None
        _export(console, run.export, inputs)
    for note in (*_reading_notes, *notes, *(machine_notes if chosen is not Format.TABLE else ())):
        _note(f"note: {note}")
    _reading_notes.clear()


class _Watch:
    """Listens to the engine while a command runs: with --verbose, says which method the chooser
    picked and its estimate before the work starts; on a terminal, draws a progress bar on
    stderr for work estimated above a second (never on piped output)."""

    def __init__(self, verbose: bool, bar: bool) -> None:
        self.verbose = verbose
        self.bar = bar
        self.announced: set[str] = set()
        self._progress: Any = None
        self._task: Any = None

    def started(self, method: str, reason: str, seconds: float, total: int) -> None:
        if self.verbose and reason not in self.announced:
            self.announced.add(reason)
            _note(f"method: {method} ({reason})")
        if not self.bar or total <= 0 or (seconds < _BAR_SECONDS and self._progress is None):
            return
        if self._progress is None:
            from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeRemainingColumn

            self._progress = Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                TaskProgressColumn(),
                TimeRemainingColumn(),
                console=_stderr_console(),
                transient=True,
            )
            self._progress.start()
            self._task = self._progress.add_task(f"{method}, est. {_seconds_text(seconds)}", total=total)
        else:
            task = self._progress.tasks[0]
            self._progress.update(self._task, total=(task.total or 0) + total)

    def advance(self, done: int) -> None:
        if self._progress is not None:
            self._progress.advance(self._task, done)

    def stop(self) -> None:
        if self._progress is not None:
            self._progress.stop()
            self._progress = None


_BAR_SECONDS = 1.0  # the chooser's estimate above which a run shows progress
_watch: _Watch | None = None


def _seconds_text(seconds: float) -> str:
    return f"{seconds:.1f} s" if seconds < 60 else f"{seconds / 60:.1f} min"


@contextlib.contextmanager
def _watching(run: Run) -> Iterator[None]:
    global _watch
    progress.resume()
    bar = sys.stderr.isatty() and (output.stdout_is_terminal() or run.output is not None)
    _watch = _Watch(run.verbose, bar)
    try:
        with progress.listening(_watch):
            yield
    finally:
        _stop_watching()
        _watch = None


def _stop_watching() -> None:
    if _watch is not None:
        _watch.stop()


def _export(console: Console, path: Path, inputs: list[str]) -> None:
    suffix = path.suffix.lower()
    if suffix == ".svg":
        text = console.export_svg(title="convcli")
    elif suffix == ".html":
        text = console.export_html()
    else:
        text = console.export_text()
    output.write_file(path, text, inputs, option="--export")
    _note(f"exported {path}", style="dim")


def _emit_result(result: Result, run: Run, inputs: list[str], float64: bool = False) -> None:
    if float64:
        result = formats.rounded_to_float64(result)
    announced = _watch is not None and result.choice is not None and result.choice.reason in _watch.announced
    if run.verbose and result.choice is not None and not announced:
        _note(f"method: {result.choice.method} ({result.choice.reason})")
    _emit(
        run,
        inputs,
        lambda f: formats.format_result(result, f),
        lambda width: _views().result_view(result, width=width),
        machine_notes=result.notes,  # the table view shows them under the result: said once
    )


# --------------------------------------------------------------------------------------------
# commands


Float64Opt = Annotated[
    bool,
    typer.Option(
        "--float64",
        help="Round an exact result (fractions, integers) to float64: how .npy takes fractions and "
        "integers beyond int64.",
    ),
]


CodeOpt = Annotated[
    CodeLibrary | None,
    typer.Option(
        "--code",
        case_sensitive=False,
        help="Print instead a short Python script that computes this result with numpy, scipy or torch "
        "(the inputs inline) and prints it as convcli does.",
    ),
]


def _print_code(
    op: Op, A: np.ndarray, B: np.ndarray, options: OpOptions, library: CodeLibrary, float64: bool, run: Run
) -> None:
    """--code: the script goes to stdout in place of the result."""
    from . import codegen

    if run.fmt is not None or run.output is not None or run.export is not None:
        raise UsageError(
            "--code prints a Python script instead of the result; drop --format, --output and "
            "--export (> script.py saves it)"
        )
    output.to_stdout(codegen.script(op, A, B, options, library, float64=float64))


def _sliding_command(op: Op, help: str, epilog: str) -> None:
    @_command(op.value, help, epilog, sliding=True)
    def command(
        a: AArg, b: BArg, float64: Float64Opt = False, code: CodeOpt = None, *, run: Run, options: OpOptions
    ) -> None:
        A, B = _read_pair(a, b, run.exact)
        if code is not None:
            _print_code(op, A, B, options, code, float64, run)
            return
        result = ops.run(op, A, B, options)
        if op is Op.CONVOLVE:
            from .comparison import convolve_note

            note = convolve_note(B, options)
            result = result if note is None else dataclasses.replace(result, notes=(*result.notes, note))
        _emit_result(result, run, [a, b], float64)


_sliding_command(
    Op.CONVOLVE,
    "Convolve A with B: B is turned 180° and slid over A (scipy.signal.convolve2d).",
    _examples(
        "convcli convolve samples/A.txt samples/B.txt",
        'convcli convolve "1 2 3 4 5" "1 2" --mode full',
        "convcli convolve samples/A.txt samples/B.txt -o out.json",
    ),
)
_sliding_command(
    Op.CORRELATE,
    "Cross-correlate A with B: B slides over A unturned; what a CNN layer computes.",
    _examples(
        "convcli correlate samples/A.txt samples/B.txt",
        'convcli correlate "1/9 1/9; 1/9 1/9" "1 2; 3 4"',
        "convcli correlate samples/A.txt samples/B.txt --stride 2 --padding 1",
        "convcli correlate samples/A.txt samples/B.txt | convcli correlate - samples/B.txt",
    ),
)


@_command(
    "elementwise-sum",
    "Multiply A and B entry by entry and add the products (numpy.sum(A * B)); shapes must match.",
    _examples(
        "convcli elementwise-sum samples/window.txt samples/B.txt",
        'convcli elementwise-sum "1 2; 3 4" "1 0; 0 1"',
    ),
    sliding=False,
)
def elementwise_sum(a: AArg, b: BArg, float64: Float64Opt = False, code: CodeOpt = None, *, run: Run) -> None:
    A, B = _read_pair(a, b, run.exact)
    if code is not None:
        _print_code(Op.ELEMENTWISE_SUM, A, B, OpOptions(), code, float64, run)
        return
    _emit_result(ops.elementwise_sum(A, B), run, [a, b], float64)


@_command(
    "dot",
    "numpy.dot(A, B): the matrix product of 2-D A and B (rows times columns), inner product of vectors.",
    _examples("convcli dot samples/window.txt samples/B.txt", 'convcli dot "[1,2,3]" "[4,5,6]"'),
    sliding=False,
)
def dot(a: AArg, b: BArg, float64: Float64Opt = False, code: CodeOpt = None, *, run: Run) -> None:
    A, B = _read_pair(a, b, run.exact)
    if code is not None:
        _print_code(Op.DOT, A, B, OpOptions(), code, float64, run)
        return
    _emit_result(ops.dot(A, B), run, [a, b], float64)


ConventionsOpt = Annotated[
    bool,
    typer.Option(
        "--conventions",
        help="Instead: convolve and correlate in 'same' mode under every library's alignment, side by side.",
    ),
]


@_command(
    "compare",
    "convolve, correlate, elementwise-sum and dot side by side, and why they differ.",
    _examples(
        "convcli compare samples/A.txt samples/B.txt",
        "convcli compare samples/window.txt samples/B2.txt",
        "convcli compare samples/A.txt samples/B.txt -f json | jq .facts",
        'convcli compare "1 2 3 4 5" "1 2" --conventions',
    ),
    sliding=True,
)
def compare(a: AArg, b: BArg, conventions: ConventionsOpt = False, *, run: Run, options: OpOptions) -> None:
    from . import comparison

    A, B = _read_pair(a, b, run.exact)
    if conventions:
        by_library = comparison.compare_conventions(A, B, options)
        _emit(
            run,
            [a, b],
            lambda f: formats.format_conventions(by_library, f),
            lambda width: _views().conventions_view(by_library, width=width),
            pages=True,  # so that its own message says which formats it has
        )
        return
    cmp = comparison.compare(A, B, options)
    _emit(
        run,
        [a, b],
        lambda f: (
            formats.format_html(cmp, _page(None, A=a, B=b))
            if f is Format.HTML
            else formats.format_comparison(cmp, f)
        ),
        lambda width: _views().comparison_view(cmp, width=width),
        pages=True,
    )


OpArg = Annotated[
    Op,
    typer.Option(
        "--op", case_sensitive=False, help="The operation to explain (correlate is what CNN layers compute)."
    ),
]
SlidingOpArg = Annotated[
    SlidingOp,
    typer.Option(
        "--op", case_sensitive=False, help="convolve (kernel turned 180°) or correlate (as CNN layers)."
    ),
]
AtOpt = Annotated[
    str | None,
    typer.Option("--at", metavar="I,J", help="Derive only this output cell (0-based, as the table labels)."),
]
MaxStepsOpt = Annotated[
    int, typer.Option("--max-steps", metavar="N", parser=_whole_option, help="Derive at most N cells.")
]
MaxTermsOpt = Annotated[
    int,
    typer.Option(
        "--max-terms",
        metavar="N",
        parser=_whole_option,
        help="Show at most N products in all (a cell is shown whole).",
    ),
]
PlayOpt = Annotated[
    bool,
    typer.Option(
        "--play", help="On a terminal, animate the steps: space pauses, the arrow keys step, q stops."
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
    ),
]


_NOT_PLAYED = "--play animates only on a terminal; the steps are printed instead"


def _wants_play(play: bool, delay: float | None, run: Run) -> bool:
    """Whether to animate: --play with the table view on a terminal. Elsewhere the steps are
    printed as usual, with a note saying why they do not move."""
    if delay is not None and not (math.isfinite(delay) and delay >= 0):
        raise UsageError(f"--delay takes a number of seconds >= 0 (such as 0.6), got {delay}")
    if not play:
        if delay is not None and _choose_format(run.fmt, run.output) is not Format.HTML:
            raise UsageError("--delay sets the pace of --play (and of an html page); add --play")
        return False
    if run.output is not None or run.fmt not in (None, Format.TABLE):
        raise UsageError(
            "--play animates the steps on the terminal, and --format and --output write them instead; "
            "use one or the other"
        )
    if run.export is not None and run.export.suffix.lower() not in _EXPORTS:
        raise UsageError(f'--export saves .html, .svg or .txt, not "{run.export.name}"')
    return output.stdout_is_terminal()  # elsewhere the steps print, with _NOT_PLAYED as a note


def _play(animation: Animation, run: Run, delay: float | None, inputs: list[str]) -> None:
    """Play an animation on the terminal; --export saves the frame it ended on."""
    from rich.console import Console

    from .frames import DEFAULT_DELAY
    from .play import play

    console = Console(
        file=typing.cast(typing.IO[str], _Terminal()), highlight=False, markup=False, emoji=False
    )
    last = play(animation, console, delay=DEFAULT_DELAY if delay is None else delay)
    if run.export is not None:
        recorder = Console(
            record=True, width=console.width, file=io.StringIO(), highlight=False, markup=False, emoji=False
        )
        recorder.print(last)
        _export(recorder, run.export, inputs)


def _page(delay: float | None, **sources: str) -> Any:
    """What a page says besides its data: the operands' sources and the pace of its player."""
    from .frames import DEFAULT_DELAY
    from .page import PageContext

    return PageContext(tuple(sources.items()), DEFAULT_DELAY if delay is None else delay)


PoolKindOpt = Annotated[
    PoolKind, typer.Option("--kind", case_sensitive=False, help="max_pool2d or avg_pool2d.")
]
PoolSizeOpt = Annotated[
    str, typer.Option("--size", metavar="K|KH,KW", help="The window: K x K, or KH rows by KW columns.")
]
PoolStrideOpt = Annotated[
    str | None,
    typer.Option("--stride", metavar="S|SH,SW", help="The distance between windows (default: the size)."),
]
PoolPaddingOpt = Annotated[
    str,
    typer.Option(
        "--padding", metavar="P|PH,PW", help="Cells added on each side (-inf for max), at most half the size."
    ),
]
PoolDilationOpt = Annotated[
    str,
    typer.Option("--dilation", metavar="D|DH,DW", help="The distance between a window's taps (max only)."),
]
CeilModeOpt = Annotated[
    bool,
    typer.Option(
        "--ceil-mode", help="Round the output size up, keeping a last window that runs past the input."
    ),
]
CountPadOpt = Annotated[
    bool | None,
    typer.Option(
        "--count-pad/--no-count-pad",
        help="avg: divide by the taps inside the padded input (torch's count_include_pad, the default) "
        "or only those inside A.",
        show_default=False,
    ),
]
UpstreamOpt = Annotated[
    str | None,
    typer.Option(
        "--upstream",
        metavar="G",
        help="The gradient of the loss with respect to the output (its shape), in any form a matrix "
        "takes; without it G is all ones.",
    ),
]
PoolOfOpt = Annotated[
    PoolOf,
    typer.Option(
        "--of", case_sensitive=False, help="The value to give: the pooled output, or the gradient wrt A."
    ),
]


ExplainedOpArg = Annotated[
    ExplainedOp,
    typer.Option(
        "--op",
        case_sensitive=False,
        help="The operation to explain (correlate is what CNN layers compute; max-pool and avg-pool "
        "pool A alone).",
    ),
]
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
    return _pool_options(
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
    from .frames import animate_pool
    from .steps import derive_pool

    animate = _wants_play(play, delay, run)
    A, G = _read_pooled(a, upstream, run.exact)
    cell = None if at is None else _int_list(at, "at")
    max_steps, max_terms = caps
    derivation = derive_pool(
        A, options, upstream=G, of=of, at=cell, max_steps=_step_cap(max_steps), max_terms=max_terms
    )
    inputs = [a] if upstream is None else [a, upstream]
    if animate:
        _play(animate_pool(derivation), run, delay, inputs)
        return
    capped = (derivation.cap_note(),) if derivation.capped else ()
    sources = {"A": a} if upstream is None else {"A": a, "G": upstream}

    def machine(f: Format) -> str:
        if f is Format.HTML:
            return formats.format_html(animate_pool(derivation), _page(delay, **sources))
        return formats.format_pool_steps(derivation, f)

    _emit(
        run,
        inputs,
        machine,
        lambda width: _explanation_views().pool_steps_view(derivation, width=width),
        (_NOT_PLAYED,) if play else (),
        machine_notes=capped + derivation.result.notes,
        pages=True,
    )


def _grad_explained(ctx: typer.Context, op: ExplainedOp, b: str | None) -> None:
    """--op grad-input|grad-weight|grad-bias: the layer's X and W, and G (--upstream); no pooling
    options."""
    if b is None:
        raise UsageError(f"--op {op} needs W, the layer's weights: give X and W (and G with --upstream)")
    extra = [n for n in _POOLING_ONLY if n != "upstream" and _given(ctx, n)]
    if extra:
        raise UsageError(f"{_flags(extra)} to --op max-pool and avg-pool, not to --op {op}")


def _read_layer(
    x: str, w: str, upstream: str | None, exact: bool
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """X, W and G (None without --upstream: all ones)."""
    if [x, w, upstream].count("-") > 1:
        raise UsageError("only one of X, W and --upstream can be '-' (standard input)")
    G = None if upstream is None else _read(upstream, "G", exact)
    return _read(x, "X", exact), _read(w, "W", exact), G


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
    from .frames import animate_grad
    from .gradsteps import derive_grad

    animate = _wants_play(play, delay, run)
    X, W, G = _read_layer(x, w, upstream, run.exact)
    cell = None if at is None else _int_list(at, "at")
    max_steps, max_terms = caps
    derivation = derive_grad(
        X, W, G, of, options, at=cell, max_steps=_step_cap(max_steps), max_terms=max_terms
    )
    inputs = [x, w] if upstream is None else [x, w, upstream]
    if animate:
        _play(animate_grad(derivation), run, delay, inputs)
        return
    capped = (derivation.cap_note(),) if derivation.capped else ()
    sources = {"X": x, "W": w} if upstream is None else {"X": x, "W": w, "G": upstream}

    def machine(f: Format) -> str:
        if f is Format.HTML:
            return formats.format_html(animate_grad(derivation), _page(delay, **sources))
        return formats.format_grad_steps(derivation, f)

    _emit(
        run,
        inputs,
        machine,
        lambda width: _explanation_views().grad_steps_view(derivation, width=width),
        (_NOT_PLAYED,) if play else (),
        machine_notes=capped + derivation.result.notes,
        pages=True,
    )


def _step_cap(max_steps: int) -> int:
    """--max-steps as given, but no more than there can be cells (a huge N means all of them)."""
    return min(max_steps, sys.maxsize)


@_command(
    "steps",
    "Every output cell derived: the window of A, the kernel as applied, the products and the sum.",
    _examples(
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
    from .steps import cap_note, derive

    if explained.grad_of is not None:
        _grad_explained(ctx, explained, b)
        assert b is not None
        _grad_steps(a, b, explained.grad_of, upstream, at, (max_steps, max_terms), play, delay, run, options)
        return
    pooling = _explained(ctx, explained, b, options, size, ceil_mode, count_pad)
    if pooling is not None:
        _pool_steps(a, pooling, upstream, of, at, (max_steps, max_terms), play, delay, run)
        return
    assert b is not None
    op = Op(explained.value)
    animate = _wants_play(play, delay, run)
    A, B = _read_pair(a, b, run.exact)
    cell = None if at is None else _int_list(at, "at")
    if animate:
        from .frames import animate_steps

        cells = _step_cap(max_steps)
        animation = animate_steps(op, A, B, options, at=cell, max_steps=cells, max_terms=max_terms)
        _play(animation, run, delay, [a, b])
        return
    derivation = derive(op, A, B, options, at=cell, max_steps=_step_cap(max_steps), max_terms=max_terms)
    capped = cap_note(derivation) if derivation.capped else ""

    def machine(f: Format) -> str:
        if f is Format.HTML:
            from .frames import animate_steps

            animation = animate_steps(
                op, A, B, options, at=cell, max_steps=_step_cap(max_steps), max_terms=max_terms
            )
            return formats.format_html(animation, _page(delay, A=a, B=b))
        return formats.format_steps(derivation, f)

    _emit(
        run,
        [a, b],
        machine,
        lambda width: _explanation_views().steps_view(derivation, width=width),
        (_NOT_PLAYED,) if play else (),
        machine_notes=(capped,) if derivation.capped else (),
        pages=True,
    )


@_command(
    "im2col",
    "A whole convolution as one matrix multiply: the patch matrix of A times the kernel as a row.",
    _examples(
        "convcli im2col samples/A.txt samples/B.txt",
        "convcli im2col samples/A.txt samples/B2.txt --op convolve",
    ),
    sliding=True,
)
def im2col_command(
    a: AArg, b: BArg, op: SlidingOpArg = SlidingOp.CORRELATE, *, run: Run, options: OpOptions
) -> None:
    from .steps import im2col

    A, B = _read_pair(a, b, run.exact)
    view = im2col(Op(op.value), A, B, options)
    _emit(
        run,
        [a, b],
        lambda f: formats.format_im2col(view, f),
        lambda width: _explanation_views().im2col_view(view, width=width),
    )


AnswerOpt = Annotated[
    str,
    typer.Option(
        "--answer",
        metavar="X",
        show_default=False,
        help="Your answer, in any form a matrix takes (a file, '-', or inline like \"4 3 4; 2 4 3; 2 3 4\").",
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
    ),
]


@_command(
    "check",
    "Is X the right result? Exit 0 if so, 1 if not, with the wrong cells derived and the likely "
    "mistake named.",
    _examples(
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
    from . import diagnose
    from .steps import MAX_TERMS, cell_terms, derive_cells

    if explained.grad_of is not None:
        _grad_explained(ctx, explained, b)
        assert b is not None
        _grad_check(a, b, answer, explained.grad_of, upstream, tolerance, run, options)
        return
    pooling = _explained(ctx, explained, b, options, size, ceil_mode, count_pad)
    if pooling is not None:
        _pool_check(a, answer, pooling, upstream, of, tolerance, run)
        return
    assert b is not None
    op = Op(explained.value)
    if [a, b, answer].count("-") > 1:
        raise UsageError("only one of A, B and --answer can be '-' (standard input)")
    A, B = _read_pair(a, b, run.exact)
    X, written_as_floats = diagnose.read_answer(answer, A, B, op, options, exact=run.exact)
    _note_symbols(X, "answer")
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

    def machine(f: Format) -> str:
        if f is Format.HTML:
            from .frames import animate_cells
            from .page import CheckView

            animation = animate_cells(derivations, (A, B), report.expected.value)
            return formats.format_html(CheckView(report, animation), _page(None, A=a, B=b, answer=answer))
        return formats.format_check(report, derivations, f)

    _emit(
        run,
        [a, b, answer],
        machine,
        lambda width: _explanation_views().check_view(report, derivations, width=width),
        notes,
        pages=True,
    )
    if not report.match:
        raise typer.Exit(ExitCode.WRONG_ANSWER)


def _pool_check(
    a: str, answer: str, options: Any, upstream: str | None, of: PoolOf, tolerance: float, run: Run
) -> None:
    """check --op max-pool|avg-pool: the verdict on a pooling (or its gradient), exit 0 or 1."""
    from . import diagnose
    from .numeric import kind_of
    from .steps import derive_pool_cells

    if [a, answer, upstream].count("-") > 1:
        raise UsageError("only one of A, --upstream and --answer can be '-' (standard input)")
    A, G = _read_pooled(a, upstream, run.exact)
    inputs = [a, answer] + ([] if upstream is None else [upstream])
    exact_inputs = all(kind_of(x).exact and kind_of(x) is not Kind.SYMBOLIC for x in (A, G) if x is not None)
    X, written_as_floats = diagnose.read_answer_as(answer, exact_inputs, exact=run.exact)
    report = diagnose.check_pool(
        A, X, options, upstream=G, of=of, tolerance=tolerance, written_as_floats=written_as_floats
    )
    derivation = None if report.match else derive_pool_cells(A, report.expected, report.wrong[:3])

    def machine(f: Format) -> str:
        if f is Format.HTML:
            raise UsageError(
                "check --op max-pool or avg-pool cannot be written as html; use table, plain, json or "
                "markdown"
            )
        return formats.format_pool_check(report, derivation, f)

    _emit(
        run,
        inputs,
        machine,
        lambda width: _explanation_views().pool_check_view(report, derivation, width=width),
        pages=True,
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
    from . import diagnose
    from .gradcheck import check_grad
    from .gradsteps import derive_grad_cells
    from .numeric import kind_of

    if [x, w, answer, upstream].count("-") > 1:
        raise UsageError("only one of X, W, --upstream and --answer can be '-' (standard input)")
    X, W, G = _read_layer(x, w, upstream, run.exact)
    exact_inputs = all(
        kind_of(v).exact and kind_of(v) is not Kind.SYMBOLIC for v in (X, W, G) if v is not None
    )
    A, written_as_floats = diagnose.read_answer_as(answer, exact_inputs, exact=run.exact)
    _note_symbols(A, "answer")
    report = check_grad(
        X, W, A, of, options, upstream=G, tolerance=tolerance, written_as_floats=written_as_floats
    )
    derivation = None
    if not report.match and report.wrong:
        derivation = derive_grad_cells(X, W, report.expected.result, of, report.wrong[:3])
    inputs = [x, w, answer] + ([] if upstream is None else [upstream])

    def machine(f: Format) -> str:
        if f is Format.HTML:
            raise UsageError(
                f"check --op grad-{of.value} cannot be written as html; use table, plain, json or markdown"
            )
        return formats.format_grad_check(report, derivation, f)

    _emit(
        run,
        inputs,
        machine,
        lambda width: _explanation_views().grad_check_view(report, derivation, width=width),
        machine_notes=report.expected.result.notes,
        pages=True,
    )
    if not report.match:
        raise typer.Exit(ExitCode.WRONG_ANSWER)


@_command(
    "conv-transpose",
    "Transposed convolution (torch's conv_transpose2d): each cell of A scatters A[i,j]·B at its "
    "stride offset.",
    _examples(
        'convcli conv-transpose "0 1; 2 3" "0 1; 2 3"',
        'convcli conv-transpose "0 1; 2 3" "0 1; 2 3" --stride 2',
        'convcli conv-transpose "0 1; 2 3" "0 1; 2 3" --stride 2 --steps',
    ),
    sliding=False,
)
def conv_transpose_command(
    a: AArg,
    b: BArg,
    stride: StrideOpt = "1",
    padding: LayerPaddingOpt = "0",
    output_padding: OutputPaddingOpt = "0",
    dilation: DilationOpt = "1",
    channels: Annotated[
        bool,
        typer.Option(
            "--channels", help="A is C_in x H x W and B is C_in x C_out x kh x kw (torch's layout)."
        ),
    ] = False,
    groups: Annotated[
        str,
        typer.Option(
            "--groups",
            metavar="G",
            help="With --channels, torch's groups: B is C_in x C_out/G x kh x kw, and each group of "
            "input channels scatters only into its own output channels.",
        ),
    ] = "1",
    show_steps: Annotated[
        bool,
        typer.Option("--steps", help="Show the scatter-add and the equivalent zero-stuffed convolution."),
    ] = False,
    at: AtOpt = None,
    max_steps: MaxStepsOpt = 25,
    play: Annotated[
        bool,
        typer.Option(
            "--play",
            help="With --steps, on a terminal: animate the scatter-add (space pauses, the arrow keys "
            "step, q stops).",
        ),
    ] = False,
    delay: DelayOpt = None,
    float64: Float64Opt = False,
    *,
    run: Run,
) -> None:
    from .model import TransposeOptions
    from .transpose import conv_transpose, scatter_steps

    if float64 and show_steps:
        raise UsageError("--float64 rounds a result, and --steps derives it exactly: give one of them")
    animate = _wants_play(play, delay, run)
    A, B = _read_pair(a, b, run.exact)
    options = TransposeOptions(
        stride=_int_list(stride, "stride"),
        padding=_int_list(padding, "padding"),
        output_padding=_int_list(output_padding, "output-padding"),
        dilation=_int_list(dilation, "dilation"),
        channels=channels,
        groups=_whole(groups, "groups"),
    )
    if animate:
        from .frames import animate_scatter

        cell = None if at is None else _int_list(at, "at")
        _play(animate_scatter(A, B, options, at=cell, max_steps=_step_cap(max_steps)), run, delay, [a, b])
        return
    if show_steps or play:
        cell = None if at is None else _int_list(at, "at")
        view = scatter_steps(A, B, options, at=cell, max_steps=_step_cap(max_steps))

        def machine(f: Format) -> str:
            if f is Format.HTML:
                from .frames import animate_scatter

                animation = animate_scatter(A, B, options, at=cell, max_steps=_step_cap(max_steps))
                return formats.format_html(animation, _page(delay, A=a, B=b))
            return formats.format_scatter(view, f)

        _emit(
            run,
            [a, b],
            machine,
            lambda width: _explanation_views().scatter_view(view, width=width),
            (_NOT_PLAYED,) if play else (),
            pages=True,
        )
        return
    result = conv_transpose(A, B, options)
    if float64:
        result = formats.rounded_to_float64(result)
    _emit(
        run,
        [a, b],
        lambda f: formats.format_transpose(result, f),
        lambda width: _views().transpose_view(result, width=width),
        result.notes,
    )


def _pool_options(
    kind: PoolKind,
    size: str,
    stride: tuple[int, ...] | None,
    padding: tuple[int, ...],
    dilation: tuple[int, ...],
    ceil_mode: bool,
    count_pad: bool | None,
) -> Any:
    from .pool import PoolOptions

    if count_pad is not None and kind is PoolKind.MAX:
        flag = "--count-pad" if count_pad else "--no-count-pad"
        raise UsageError(
            f"{flag} applies to avg pooling (torch's count_include_pad); max pooling pads with -inf, "
            "which is never counted"
        )
    return PoolOptions(
        kind=kind,
        size=_int_list(size, "size"),
        stride=stride,
        padding=padding,
        dilation=dilation,
        ceil_mode=ceil_mode,
        count_pad=True if count_pad is None else count_pad,
    )


def _read_pooled(a: str, upstream: str | None, exact: bool) -> tuple[np.ndarray, np.ndarray | None]:
    """A, and G when --upstream gives it."""
    if a == "-" and upstream == "-":
        raise UsageError("only one of A and --upstream can be '-' (standard input)")
    A = parsing.read_matrix(a, name="A", exact=exact)
    return A, None if upstream is None else parsing.read_matrix(upstream, name="G", exact=exact)


@_command(
    "pool",
    "Max or average pooling, as torch's max_pool2d and avg_pool2d, and its gradient with respect to "
    "A (--of grad-input). A 3-D input is C x H x W, pooled per channel.",
    _examples(
        'convcli pool "0 1 2; 3 4 5; 6 7 8" --size 2 --stride 1',
        'convcli pool "0 1 2; 3 4 5; 6 7 8" --size 2 --kind avg --stride 1',
        "convcli pool samples/A.txt --size 3 --stride 2 --padding 1 --ceil-mode",
        'convcli pool "1 3 2 1; 4 2 1 5; 3 1 1 0; 1 2 2 4" --upstream "1 2; 3 4" --of grad-input',
    ),
    sliding=False,
)
def pool_command(
    a: AArg,
    kind: PoolKindOpt = PoolKind.MAX,
    size: PoolSizeOpt = "2",
    stride: PoolStrideOpt = None,
    padding: PoolPaddingOpt = "0",
    dilation: PoolDilationOpt = "1",
    ceil_mode: CeilModeOpt = False,
    count_pad: CountPadOpt = None,
    upstream: UpstreamOpt = None,
    of: PoolOfOpt = PoolOf.OUTPUT,
    float64: Float64Opt = False,
    *,
    run: Run,
) -> None:
    from .pool import pool

    options = _pool_options(
        kind,
        size,
        None if stride is None else _int_list(stride, "stride"),
        _int_list(padding, "padding"),
        _int_list(dilation, "dilation"),
        ceil_mode,
        count_pad,
    )
    A, G = _read_pooled(a, upstream, run.exact)
    result = pool(A, options, upstream=G, of=of)
    if float64:
        result = formats.rounded_pool_to_float64(result)
    inputs = [a] if upstream is None else [a, upstream]
    _emit(
        run,
        inputs,
        lambda f: formats.format_pool(result, f),
        lambda width: _views().pool_view(result, width=width),
        machine_notes=result.notes,
    )


def _size_or_matrix(text: str, option: str, exact: bool) -> tuple[int, ...]:
    """A size like 32x32, or the shape of a MATRIX argument (a file, inline, or named kernel)."""
    from . import kernels, shapes

    try:
        return shapes.parse_size(text, option)
    except UsageError as size_error:
        if not (
            os.path.exists(text) or kernels.named_kernel(text) is not None or any(c in text for c in " ;[")
        ):
            raise
        try:
            return tuple(parsing.read_matrix(text, name=option, exact=exact).shape)
        except ConvcliError:
            raise size_error from None


@_command(
    "shape",
    "The output size of a convolution layer, with the formula and each library's 'same' padding.",
    _examples(
        "convcli shape --input 32x32 --kernel 5 --stride 2 --padding 1",
        "convcli shape --input 227x227 --kernel 11 --stride 4",
        "convcli shape --input 4x4 --kernel 3 --stride 2 --transposed --output-padding 1",
        "convcli shape --input samples/A.txt --kernel samples/B.txt",
    ),
    sliding=False,
)
def shape_command(
    input: Annotated[
        str,
        typer.Option(
            "--input",
            metavar="HxW|MATRIX",
            show_default=False,
            help="The input size, or a matrix to take it from.",
        ),
    ],
    kernel: Annotated[
        str,
        typer.Option(
            "--kernel", metavar="K|KHxKW|MATRIX", show_default=False, help="The kernel size, or a matrix."
        ),
    ],
    stride: StrideOpt = "1",
    padding: LayerPaddingOpt = "0",
    dilation: DilationOpt = "1",
    transposed: Annotated[
        bool, typer.Option("--transposed", help="Size of a transposed convolution.")
    ] = False,
    output_padding: OutputPaddingOpt = "0",
    convention: Annotated[
        Convention | None,
        typer.Option("--convention", case_sensitive=False, help="Show only this library's 'same' padding."),
    ] = None,
    *,
    run: Run,
) -> None:
    from . import shapes

    report = shapes.report(
        _size_or_matrix(input, "--input", run.exact),
        _size_or_matrix(kernel, "--kernel", run.exact),
        _int_list(stride, "stride"),
        _int_list(padding, "padding"),
        _int_list(dilation, "dilation"),
        transposed=transposed,
        output_padding=_int_list(output_padding, "output-padding"),
    )
    shown = tuple(Convention) if convention is None else (convention,)
    _emit(
        run,
        [input, kernel],
        lambda f: formats.format_shape(report, f, shown),
        lambda width: _views().shape_view(report, width=width, conventions=shown),
    )


@_command(
    "layers",
    "Follow a chain of torch layers: each layer's output shape, parameters, MACs and receptive "
    "field, and the totals. Layers as torch writes them, or a FILE (or - for a pipe) holding the "
    "text of print(model).",
    _examples(
        'convcli layers --input 3x32x32 "Conv2d(3, 6, 5)" "MaxPool2d(2)" "Conv2d(6, 16, 5)" '
        '"MaxPool2d(2)" "Flatten()" "Linear(400, 120)" "ReLU()" "Linear(120, 84)" "Linear(84, 10)"',
        "convcli layers --input 1x32x32 samples/lenet.txt",
        'python -c "print(model)" | convcli layers --input 3x224x224 -',
        "convcli layers --input 1x32x32 samples/lenet.txt --at 4",
    ),
    sliding=False,
)
def layers_command(
    layer: Annotated[
        list[str],
        typer.Argument(
            metavar="LAYER... | FILE | -",
            show_default=False,
            help="Layers such as Conv2d(3, 6, 5) and MaxPool2d(2), or one FILE or - holding print(model).",
        ),
    ],
    input: Annotated[
        str,
        typer.Option(
            "--input",
            metavar="CxHxW|N",
            show_default=False,
            help="The input of one sample, without the batch axis: 3x32x32, or N for a flat vector.",
        ),
    ],
    at: Annotated[
        int | None,
        typer.Option(
            "--at",
            metavar="K",
            parser=_whole_option,
            help="Explain layer K's numbers with the formulas filled in.",
        ),
    ] = None,
    *,
    run: Run,
) -> None:
    from . import layers, modeltext, shapes

    size = layers.input_shape(shapes.parse_size(input, "--input"))
    network = layers.follow(size, modeltext.read_arguments(layer))
    if at is not None:
        explanation = layers.explain(network, at)
        _emit(
            run,
            layer,
            lambda f: formats.format_layer_at(explanation, network, f),
            lambda width: _views().layer_at_view(explanation, width=width),
        )
        return
    _emit(
        run,
        layer,
        lambda f: formats.format_layers(network, f),
        lambda width: _views().layers_view(network, width=width),
        machine_notes=network.notes,
    )


@_command(
    "kernels",
    "The named kernels you can use in place of a matrix (sobel-x, gaussian:5:1.0, box:3, ...).",
    _examples("convcli kernels", "convcli correlate samples/A.txt sobel-x", "convcli kernels -f json"),
    sliding=False,
)
def kernels_command(*, run: Run) -> None:
    from . import kernels

    entries = kernels.catalogue()
    _emit(
        run,
        [],
        lambda f: formats.format_kernels(entries, f),
        lambda width: _views().kernels_view(entries, width=width),
    )


def main() -> None:
    """The console script and ``python -m convcli``."""
    with _sigterm_ends_the_run():
        try:
            app()
        except _Terminated:  # before the error boundary was reached (while the commands are built)
            sys.exit(ExitCode.TERMINATED)
