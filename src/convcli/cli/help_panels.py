"""How a command's --help is laid out: the panels its options fall into, in order, the command
class that draws them (each option on its own line on a narrow terminal), and the examples below."""

from __future__ import annotations

import inspect
import shutil
from typing import Any

from typer.core import TyperArgument, TyperCommand

# The panels of a command's --help, in this order; an option names its panel where it is declared.
OPERATION = "Operation"
LAYER = "Layer"
NUMBERS = "Numbers"
OUTPUT = "Output"
ADVANCED = "Advanced"
PANELS = (OPERATION, LAYER, NUMBERS, OUTPUT, ADVANCED)


def panel_rank(param: inspect.Parameter) -> int:
    """Where an option's panel comes in PANELS (arguments and unpanelled options first)."""
    info = getattr(param.annotation, "__metadata__", (None,))[0]
    panel = getattr(info, "rich_help_panel", None)
    return PANELS.index(panel) + 1 if panel in PANELS else 0


_PANELS_FROM = 70  # columns from which --help draws panels; below, rich crops long option names


class PanelCommand(TyperCommand):
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


def examples(*lines: str) -> str:
    """A help epilog: one example per line."""
    return "Examples:\n\n" + "\n\n".join(f"  {line}" for line in lines)
