"""Reading the operands and printing what a command made: the format chosen, results written
to standard output or a file (whole or not at all), tables drawn with rich on a terminal, notes
on stderr, and the engine's method and progress while it runs."""

from __future__ import annotations

import contextlib
import importlib
import io
import math
import sys
import typing
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np

from convcli import arraytext, formats, output, parsing
from convcli.engine import progress
from convcli.errors import UsageError
from convcli.model import (
    Format,
    Result,
)

if typing.TYPE_CHECKING:
    # rich is loaded only to draw: a piped plain run never imports it (start-up time)
    from rich.console import Console, RenderableType

    from convcli.frames import Animation


if typing.TYPE_CHECKING:
    from .shared_options import Run

_EXTENSIONS = {
    ".txt": Format.PLAIN,
    ".csv": Format.CSV,
    ".json": Format.JSON,
    ".md": Format.MARKDOWN,
    ".tex": Format.LATEX,
    ".npy": Format.NPY,
    ".html": Format.HTML,
}


# notes about what was read, shown with the run's own notes once its output is out
reading_notes: list[str] = []


def _read(arg: str, name: str, exact: bool) -> np.ndarray:
    """One MATRIX argument; a letter among its numbers gets a note, so that a typo is seen."""
    matrix = parsing.read_matrix(arg, name=name, exact=exact)
    note_symbols(matrix, name)
    return matrix


def note_symbols(matrix: np.ndarray, name: str) -> None:
    note = parsing.symbols_note(matrix, name)
    if note is not None:
        reading_notes.append(note)


def read_pair(a: str, b: str, exact: bool) -> tuple[np.ndarray, np.ndarray]:
    if a == "-" and b == "-":
        raise UsageError("only one of A and B can be '-' (standard input)")
    return _read(a, "A", exact), _read(b, "B", exact)


def choose_format(fmt: Format | None, target: Path | None) -> Format:
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


def print_note(text: str, style: str | None = None, *, wrap: bool = True) -> None:
    """One line on stderr: as it is for a program reading it, wrapped at spaces on a terminal
    (which would break it mid-word)."""
    if not sys.stderr.isatty():
        # what rich would print here too (no style off a terminal), without loading rich
        sys.stderr.write(text + "\n")
        sys.stderr.flush()
        return
    _stderr_console().print(text, style=style, markup=False, highlight=False, soft_wrap=not wrap)


EXPORTS = (".html", ".svg", ".txt")


def views(module: str = "render") -> Any:
    """A module of rich renderers (render, render_steps, render_check, render_grad, render_pool,
    render_layers), loaded only when a table is drawn (start-up time, README's "Speed")."""
    return importlib.import_module(f"convcli.{module}")


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


class Terminal:
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


def emit(
    run: Run,
    inputs: list[str],
    machine: Callable[[Format], output.Payload],
    view: Callable[[int], RenderableType],
    notes: tuple[str, ...] = (),
    *,
    machine_notes: tuple[str, ...] = (),
    pages: bool = False,
    no_page: str = (
        "html pages are written by steps, check, compare and conv-transpose --steps; "
        "choose another --format here"
    ),
) -> None:
    """Print or save one run's output in the chosen format; notes go to stderr, and
    ``machine_notes`` too unless the table view (which shows them itself) was chosen. ``pages``:
    the command writes html (``machine`` makes the page); else ``no_page`` refuses it.

    A reader of stdout that goes away early (``| head -1``) is not an error: the run goes on
    and ends with its own status (check's verdict, 0 for the others).
    """
    stop_watching()
    chosen = choose_format(run.fmt, run.output)
    if chosen is Format.HTML:
        if not pages:
            raise UsageError(no_page)
        if run.output is None and output.stdout_is_terminal():
            raise UsageError(
                "an html page is not written to a terminal; use --output FILE.html, or send it to a file "
                "(> page.html)"
            )
    if run.export is not None and run.export.suffix.lower() not in EXPORTS:
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
            print_note(f"wrote {run.output} ({chosen})", style="dim")
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
        export(console, run.export, inputs)
    for note in (*reading_notes, *notes, *(machine_notes if chosen is not Format.TABLE else ())):
        print_note(f"note: {note}")
    reading_notes.clear()


class Watch:
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
            print_note(f"method: {method} ({reason})")
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


def _seconds_text(seconds: float) -> str:
    return f"{seconds:.1f} s" if seconds < 60 else f"{seconds / 60:.1f} min"


_watch: Watch | None = None


@contextlib.contextmanager
def watching(run: Run) -> Iterator[None]:
    global _watch
    progress.resume()
    bar = sys.stderr.isatty() and (output.stdout_is_terminal() or run.output is not None)
    _watch = Watch(run.verbose, bar)
    try:
        with progress.listening(_watch):
            yield
    finally:
        stop_watching()
        _watch = None


def stop_watching() -> None:
    if _watch is not None:
        _watch.stop()


def export(console: Console, path: Path, inputs: list[str]) -> None:
    suffix = path.suffix.lower()
    if suffix == ".svg":
        text = console.export_svg(title="convcli")
    elif suffix == ".html":
        text = console.export_html()
    else:
        text = console.export_text()
    output.write_file(path, text, inputs, option="--export")
    print_note(f"exported {path}", style="dim")


def emit_result(result: Result, run: Run, inputs: list[str], float64: bool = False) -> None:
    if float64:
        result = formats.rounded_to_float64(result)
    announced = _watch is not None and result.choice is not None and result.choice.reason in _watch.announced
    if run.verbose and result.choice is not None and not announced:
        print_note(f"method: {result.choice.method} ({result.choice.reason})")
    emit(
        run,
        inputs,
        lambda f: formats.format_result(result, f),
        lambda width: views().result_view(result, width=width),
        machine_notes=result.notes,  # the table view shows them under the result: said once
    )


def read_layer(
    x: str, w: str, upstream: str | None, exact: bool
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """X, W and G (None without --upstream: all ones)."""
    if [x, w, upstream].count("-") > 1:
        raise UsageError("only one of X, W and --upstream can be '-' (standard input)")
    G = None if upstream is None else _read(upstream, "G", exact)
    return _read(x, "X", exact), _read(w, "W", exact), G


def read_pooled(a: str, upstream: str | None, exact: bool) -> tuple[np.ndarray, np.ndarray | None]:
    """A, and G when --upstream gives it."""
    if a == "-" and upstream == "-":
        raise UsageError("only one of A and --upstream can be '-' (standard input)")
    A = parsing.read_matrix(a, name="A", exact=exact)
    return A, None if upstream is None else parsing.read_matrix(upstream, name="G", exact=exact)


# --------------------------------------------------------------------------------------------
# --play and the pages


NOT_PLAYED = "--play animates only on a terminal; the steps are printed instead"


def wants_play(play: bool, delay: float | None, run: Run) -> bool:
    """Whether to animate: --play with the table view on a terminal. Elsewhere the steps are
    printed as usual, with a note saying why they do not move."""
    if delay is not None and not (math.isfinite(delay) and delay >= 0):
        raise UsageError(f"--delay takes a number of seconds >= 0 (such as 0.6), got {delay}")
    if not play:
        if delay is not None and choose_format(run.fmt, run.output) is not Format.HTML:
            raise UsageError("--delay sets the pace of --play (and of an html page); add --play")
        return False
    if run.output is not None or run.fmt not in (None, Format.TABLE):
        raise UsageError(
            "--play animates the steps on the terminal, and --format and --output write them instead; "
            "use one or the other"
        )
    if run.export is not None and run.export.suffix.lower() not in EXPORTS:
        raise UsageError(f'--export saves .html, .svg or .txt, not "{run.export.name}"')
    return output.stdout_is_terminal()  # elsewhere the steps print, with NOT_PLAYED as a note


def play_animation(animation: Animation, run: Run, delay: float | None, inputs: list[str]) -> None:
    """Play an animation on the terminal; --export saves the frame it ended on."""
    from rich.console import Console

    from convcli.frames import DEFAULT_DELAY
    from convcli.play import play

    console = Console(
        file=typing.cast(typing.IO[str], Terminal()), highlight=False, markup=False, emoji=False
    )
    last = play(animation, console, delay=DEFAULT_DELAY if delay is None else delay)
    if run.export is not None:
        recorder = Console(
            record=True, width=console.width, file=io.StringIO(), highlight=False, markup=False, emoji=False
        )
        recorder.print(last)
        export(recorder, run.export, inputs)


def page_context(delay: float | None, **sources: str) -> Any:
    """What a page says besides its data: the operands' sources and the pace of its player."""
    from convcli.frames import DEFAULT_DELAY
    from convcli.page import PageContext

    return PageContext(tuple(sources.items()), DEFAULT_DELAY if delay is None else delay)


def page_or(
    document: Callable[[Format], output.Payload],
    page: Callable[[], Any],
    delay: float | None,
    sources: dict[str, str],
) -> Callable[[Format], output.Payload]:
    """emit's ``machine`` for a command that writes html: the page of ``page()`` (an animation,
    built only when the page is asked for) naming the operands' ``sources``, else ``document``."""

    def machine(fmt: Format) -> output.Payload:
        if fmt is Format.HTML:
            return formats.format_html(page(), page_context(delay, **sources))
        return document(fmt)

    return machine


def step_cap(max_steps: int) -> int:
    """--max-steps as given, but no more than there can be cells (a huge N means all of them)."""
    return min(max_steps, sys.maxsize)
