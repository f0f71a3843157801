"""The command line: the Typer app and the one error boundary, which maps errors to exit statuses.

The modules of this package are the only ones that import typer: options.py and
shared_options.py declare the options (help_panels.py lays out their --help, option_values.py
reads their values), emit.py reads the operands and prints or writes what a command made,
commands.py, explain_commands.py and layer_commands.py hold the commands, status.py the exit
statuses. No arithmetic in any of them."""

from __future__ import annotations

import contextlib
import re
import signal
import sys
import threading
import traceback
from collections.abc import Iterator, Sequence
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from convcli import __version__, output
from convcli.engine import progress
from convcli.errors import ConvcliError

from .emit import print_note, stop_watching
from .status import ExitCode

__all__ = ["app", "main", "ExitCode"]


# typer's own copy of click's base exception (a usage error, a bad option value)
_CLICK_ERROR: Any = next(c for c in typer.BadParameter.__mro__ if c.__name__ == "ClickException")


def _say_error(lines: list[str], *, sentences: int = 1) -> None:
    """The ``error:`` line and what follows it: the first ``sentences`` lines wrapped at spaces
    on a terminal, the rest (a quoted line and its caret, a command to copy) kept whole."""
    print_note("error: " + lines[0])
    for i, line in enumerate(lines[1:], start=1):
        print_note(line, wrap=i < sentences)


_MEMORY_HINTS = {
    "steps": "derive fewer cells (--max-steps N, or --at I,J for one)",
    "im2col": "im2col holds one column of A's cells per output cell: a smaller input or a larger --stride",
    "compare": "compare computes all four operations: try convolve or correlate alone, or a smaller input",
}


def _out_of_memory(args: list[str]) -> str:
    from convcli.numeric import memory_limit

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
            # status 1; a reader that stopped early is no failure here (README's "Errors and exit codes")
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
            stop_watching()
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


def main() -> None:
    """The console script and ``python -m convcli``."""
    with _sigterm_ends_the_run():
        try:
            app()
        except _Terminated:  # before the error boundary was reached (while the commands are built)
            sys.exit(ExitCode.TERMINATED)


# registers the commands on app (they need app, so they are imported last)
from . import commands, explain_commands, layer_commands  # noqa: E402, F401
