"""The grammar of a text grid, defined once: line ends, comments, separators and blank lines.

The exact reader (grid.py) and the byte-scan fast path (fastgrid.py) both take their rules
from here, so that a change to the grammar is made in one place.

- Lines end with ``\\n`` (CRLF and CR are normalised to it first).
- ``#`` starts a comment, to the end of the line. A line holding only a comment is skipped: it
  neither holds a row nor separates blocks.
- Entries are separated by whitespace and, in a text grid, by ``,`` or ``;``. A separator next
  to whitespace or at either end of a row is fine (``1, 2,``); two with nothing between them are
  an error (``1,,2``), as is a line of separators alone.
- In an inline literal (``"1 2; 3 4"``) ``,`` separates entries and ``;`` ends a row, as in MATLAB.
- A line of whitespace alone ends a block; the blocks of a 3-D array are its channels.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from .source import Bad, shown

__all__ = [
    "COMMENT",
    "COMMENT_PATTERN",
    "GRID_SEPARATORS",
    "INLINE_SEPARATORS",
    "INLINE_ROW_END",
    "SPACE",
    "entries",
    "grid_lines",
    "separators_pattern",
    "BEFORE_CONTENT",
    "content_start",
    "stray",
]

COMMENT = "#"
# a comment, from its mark to the end of its line
COMMENT_PATTERN = re.escape(COMMENT) + r"[^\n]*"
GRID_SEPARATORS = ",;"
INLINE_SEPARATORS = ","
INLINE_ROW_END = ";"
# the ASCII whitespace within a line: what str.split() splits at, besides the line ends (the
# exact reader also takes Unicode spaces; the fast path reads ASCII only)
SPACE = " \t\v\f\x1c\x1d\x1e\x1f"

_CHUNK = re.compile(r"\S+")
# what comes before the first entry: blank lines, lines holding only a comment, and spaces
BEFORE_CONTENT = r"(?:[ \t\v\f]*(?:" + COMMENT_PATTERN + r")?\n)*[ \t\v\f]*"


def content_start(text: str) -> int:
    """Where the first entry (or bracket, or table) of ``text`` may start."""
    return _BEFORE_CONTENT.match(text).end()  # type: ignore[union-attr]


_BEFORE_CONTENT = re.compile(BEFORE_CONTENT)


def separators_pattern(separators: str) -> re.Pattern[str]:
    return re.compile("[" + re.escape(separators) + "]")


def entries(content: str, separators: re.Pattern[str]) -> list[tuple[int, str]]:
    """The entries of one line (without its comment) as (0-based offset, text).

    Whitespace splits the line into chunks and ``separators`` split each chunk. One separator
    at either end of a chunk is fine (``1, 2,``); an empty entry between two is an error for
    the whole chunk (``1,,2``).
    """
    out = []
    for m in _CHUNK.finditer(content):
        chunk = m.group()
        pieces = separators.split(chunk)
        if len(pieces) > 2 and not all(pieces[1:-1]):
            raise Bad(m.start(), f'expected a number, found "{shown(chunk)}"')
        offset = m.start()
        for piece in pieces:
            if piece:
                out.append((offset, piece))
            offset += len(piece) + 1
    return out


def stray(content: str) -> Bad | None:
    """The error for a line with no entries but something else (separators alone), or None."""
    m = _CHUNK.search(content)
    return None if m is None else Bad(m.start(), f'expected a number, found "{shown(m.group())}"')


def grid_lines(text: str) -> Iterator[tuple[int, str, str, bool]]:
    """(line number, line, content before any comment, has a comment) for each line."""
    for number, line in enumerate(text.split("\n"), 1):
        cut = line.find(COMMENT)
        yield number, line, (line if cut < 0 else line[:cut]), cut >= 0
