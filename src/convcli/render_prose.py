"""Text for people (rich): a view's header, sentences wrapped at a width, bulleted lists, long
sums broken between terms, and commands broken where a shell still reads them. Every function
returns; nothing here prints."""

from __future__ import annotations

import re

from rich.console import RenderableType
from rich.table import Table
from rich.text import Text

__all__ = [
    "header",
    "wrap_prose",
    "wrapped_terms",
    "bullets",
    "shell_lines",
]


def wrapped_terms(text: str, width: int) -> Text:
    """A long sum of products broken before each '=' and then after a '+', never inside a term."""
    if len(text) <= width:
        return Text(text)
    lines: list[str] = []
    for n, part in enumerate(text.split(" = ")):
        line = "" if n == 0 else "  = "
        for piece in re.split(r"(?<=\+)", part):
            if len(line) + len(piece) > width and line.strip(" ="):
                lines.append(line)
                line = "    "
            line += piece
        lines.append(line)
    return Text("\n".join(lines))


def header(title: str, options_text: str, shapes: str, width: int = 80) -> Text:
    """The title, the options in force and the shapes; the options on their own line when the
    terminal is too narrow to hold them beside the title."""
    text = Text()
    text.append(title, style="bold magenta")
    if options_text:
        text.append(("  " if len(title) + 2 + len(options_text) <= width else "\n") + options_text)
    text.append("\n" + shapes, style="dim")
    return text


# A short group in brackets or parentheses, such as A[0:3, 0:3], (A, B) or [1, 0, 1]: kept on one
# line when a sentence is wrapped, as a reader takes it in at one glance
_TOGETHER = re.compile(r"[\[(][^\[\]()]{0,20}[\])]")


def wrap_prose(text: str, width: int) -> str:
    """``text`` broken into lines of at most ``width`` at spaces, never inside a short bracketed
    group (a word or group wider than ``width`` is left for rich to fold); an indented text keeps
    its indent on every line."""
    body = text.lstrip(" ")
    indent = " " * (len(text) - len(body))
    if indent:
        return indent + wrap_prose(body, max(width - len(indent), 1)).replace("\n", "\n" + indent)
    kept = [m.span() for m in _TOGETHER.finditer(text)]
    words: list[str] = []
    start = 0
    for i, ch in enumerate(text):
        if ch == " " and not any(lo < i < hi for lo, hi in kept):
            words.append(text[start:i])
            start = i + 1
    words.append(text[start:])
    lines: list[str] = []
    line = ""
    for word in words:
        if line and len(line) + 1 + len(word) > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}" if line else word
    lines.append(line)
    return "\n".join(lines)


def bullets(lines: list[str], width: int | None = None) -> RenderableType:
    """Sentences as a bulleted list whose wrapped lines hang under the text, not the bullet;
    with the terminal's ``width``, short bracketed groups are never split."""
    grid = Table.grid(padding=(0, 1))
    grid.add_column(style="dim", no_wrap=True)
    grid.add_column(overflow="fold")  # a word wider than a narrow terminal is folded, never cropped
    for line in lines:
        # Text: never read as markup (facts quote matrices in [ ])
        grid.add_row("•", Text(line if width is None else wrap_prose(line, width - 2)))
    return grid


def shell_lines(command: str, width: int) -> str:
    """``command`` as a shell reads it, in lines of at most ``width`` where its words allow:
    broken only between words, each break escaped with a backslash, so it still copies and runs.

    >>> print(shell_lines("convcli compare samples/window.txt samples/B2.txt", 38))
    convcli compare samples/window.txt \\
      samples/B2.txt
    """
    lines: list[str] = []
    for word in command.split(" "):
        if lines and len(lines[-1]) + 1 + len(word) + 2 <= width:
            lines[-1] += " " + word
        else:
            lines.append(word if not lines else "  " + word)
    return " \\\n".join(lines)
