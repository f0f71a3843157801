"""Text grids: one row per line, a blank line between the blocks of a 3-D array.

The exact reader goes entry by entry (``tokens.read_number``) and locates every error by line
and column. ``fastgrid`` reads the common case (ASCII integers or decimals) faster and steps
aside, returning None, whenever the exact reader must decide.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np

from convcli.errors import ParseError

from . import fastgrid
from .grammar import (
    GRID_SEPARATORS,
    INLINE_ROW_END,
    INLINE_SEPARATORS,
    entries,
    grid_lines,
    separators_pattern,
    stray,
)
from .source import (
    MINUS,
    MINUS_UTF8,
    Bad,
    Source,
    build_array,
    decode,
    normalise_text,
    plural,
)
from .tokens import read_number

__all__ = ["parse_text", "text_grid", "bytes_grid", "exact_grid", "matlab_rows"]

_GRID_SEPARATOR = separators_pattern(GRID_SEPARATORS)
_INLINE_SEPARATOR = separators_pattern(INLINE_SEPARATORS)

_LONG_ROW = 1 << 16
_PLAIN_CHARS = re.compile(r"[ \t0-9+\-.]*+")
# digits, signs and points as d, s and p, so that misplaced ones are found by substring search
_CHAR_CLASSES = bytes.maketrans(b"0123456789+-.\t", b"ddddddddddssp ")
_MISPLACED = (b"ds", b"ps", b"ss", b"s ", b" p ", b"sp ", b"pp")
_TWO_POINTS = re.compile(rb"pd*+p")
_LONG_ENTRY = b"d" * 300


def parse_text(text: str, *, source: str, exact: bool = False) -> np.ndarray:
    """Read a text grid: one row per line, a blank line between the blocks of a 3-D array.

    A grid is always 2-D, as written (one row is a 1 x N matrix, one number a 1 x 1 matrix, as in
    MATLAB; numpy.loadtxt would make a row a vector); several blocks make a 3-D array.
    Separators are whitespace, ``,`` and ``;``; ``#`` starts a comment.
    """
    return text_grid(text, Source(source), exact)


def text_grid(text: str, src: Source, exact: bool) -> np.ndarray:
    text = normalise_text(text, src)
    plain = text.replace(MINUS, "-") if MINUS in text else text
    if plain.isascii():
        fast = fastgrid.fast_grid(plain.encode("ascii"), exact)
        if fast is not None:
            return fast
    return exact_grid(text, src, exact)


def bytes_grid(data: bytes, src: Source, exact: bool) -> np.ndarray:
    """A text grid from bytes already through ``source.clean_bytes``."""
    plain = data
    ascii = data.isascii()
    if not ascii and MINUS_UTF8 in data:
        plain = data.replace(MINUS_UTF8, b"-")
        ascii = plain.isascii()
    if ascii:
        fast = fastgrid.fast_grid(plain, exact)
        if fast is not None:
            return fast
    return exact_grid(decode(data, src), src, exact)


def _plain_run(content: str) -> int:
    """Where the leading run of space-separated plain integers and decimals of ``content`` ends:
    entries that read without an error, which a bad entry in a long row may follow. Found by
    C-speed scans of the whole row (a few per byte), not by reading each entry."""
    end = _PLAIN_CHARS.match(content).end()  # type: ignore[union-attr]
    if end < len(content):  # back to the start of the entry holding the first other character
        end = max(content.rfind(" ", 0, end), content.rfind("\t", 0, end)) + 1
    classes = b" " + content[:end].encode("ascii").translate(_CHAR_CLASSES) + b" "
    present = {c for c in b"sp" if c in classes}
    found = [classes.find(pattern) for pattern in _MISPLACED if present.intersection(pattern)]
    # two points in one entry are two p with only digits between: look for them without digits
    two = _TWO_POINTS.search(classes) if b"pp" in classes.translate(None, b"d") else None
    found.append(two.start() if two else -1)
    found.append(classes.replace(b"p", b"d").replace(b"s", b"d").find(_LONG_ENTRY))
    first = min((i for i in found if i >= 0), default=-1)
    if first < 0:
        return end
    # classes[i] stands for content[i - 1]: cut at the start of the entry before the bad one
    at = max(first - 1, 0)
    return max(content.rfind(" ", 0, at), content.rfind("\t", 0, at)) + 1


def row(
    content: str, separators: re.Pattern[str], exact: bool, symbols: bool = True
) -> tuple[list[Any], int]:
    """The numbers of one row and the offset just past its last entry. Letters are symbols only
    when ``symbols`` (inline matrices); a text grid file reads numbers only."""
    if len(content) > _LONG_ROW:
        # A bad entry after a long run of plain numbers (a 100 MB line with a stray character at
        # its end) is found without first reading each entry before it.
        skip = _plain_run(content)
        if 0 < skip < len(content):
            try:
                rest = entries(content[skip:], separators)
            except Bad as bad:
                raise Bad(skip + bad.offset, bad.reason) from None
            for offset, token in rest:
                try:
                    read_number(token, exact, symbols)
                except ValueError as exc:
                    raise Bad(skip + offset, str(exc)) from None
    tokens = entries(content, separators)
    if not tokens:
        problem = stray(content)
        if problem is not None:
            raise problem
        return [], 0
    values = []
    for offset, token in tokens:
        try:
            values.append(read_number(token, exact, symbols))
        except ValueError as exc:
            raise Bad(offset, str(exc)) from None
    last_offset, last = tokens[-1]
    return values, last_offset + len(last)


def ragged(
    src: Source,
    what: str,
    content: str,
    line_text: str,
    line: int,
    found: int,
    end: int,
    expected: int,
    reference: str,
    separators: re.Pattern[str],
    offset: int = 0,
) -> ParseError:
    """A row with ``found`` entries where ``expected`` were due; the caret marks the first
    extra entry, or the place just past the last one."""
    if found > expected:
        column = entries(content, separators)[expected][0] + 1
    else:
        column = end + 1
    return src.error(
        f"{what} has {plural(found, 'number')}, expected {expected} like {reference}",
        line=line,
        column=offset + column,
        line_text=line_text,
    )


def _span(first: int, last: int) -> str:
    return f"line {first}" if first == last else f"lines {first}-{last}"


def exact_grid(text: str, src: Source, exact: bool) -> np.ndarray:
    """The exact reader of a (normalised) text grid: every entry read, every error located."""
    blocks: list[tuple[int, int, int, int]] = []  # first line, last line, rows, columns
    values: list[Any] = []
    rows = width = first_line = last_line = 0
    ref_line = 0

    def close_block() -> None:
        nonlocal rows
        if not rows:
            return
        blocks.append((first_line, last_line, rows, width))
        if len(blocks) > 1 and blocks[-1][2:] != blocks[0][2:]:
            a0, b0, r0, c0 = blocks[0]
            raise src.error(
                f"block {len(blocks)} ({_span(first_line, last_line)}) is {rows}x{width}, "
                f"expected {r0}x{c0} like block 1 ({_span(a0, b0)}); "
                "blank lines separate the blocks (channels) of a 3-D array",
                line=first_line,
                column=1,
                line_text=text_lines[first_line - 1],
            )
        rows = 0

    text_lines = text.split("\n")
    for number, line, content, commented in grid_lines(text):
        try:
            found, end = row(content, _GRID_SEPARATOR, exact, symbols=False)
        except Bad as bad:
            raise src.error(bad.reason, line=number, column=bad.offset + 1, line_text=line) from None
        if not found:
            if not commented:
                close_block()
            continue
        if not rows:
            first_line, width, ref_line = number, len(found), number
        elif len(found) != width:
            raise ragged(
                src,
                f"line {number}",
                content,
                line,
                number,
                len(found),
                end,
                width,
                f"line {ref_line}",
                _GRID_SEPARATOR,
            )
        rows += 1
        last_line = number
        values.extend(found)
    close_block()
    if not blocks:
        what = "the input is empty" if not text.strip() else "only comments and blank lines"
        raise src.error(f"expected rows of numbers, found none ({what})")
    r, c = blocks[0][2:]
    if len(blocks) > 1:
        shape: tuple[int, ...] = (len(blocks), r, c)
    else:
        shape = (r, c)

    def where(k: int, reason: str) -> ParseError:
        seen = 0
        for number, line, content, _ in grid_lines(text):
            tokens = entries(content, _GRID_SEPARATOR)
            if k < seen + len(tokens):
                return src.error(reason, line=number, column=tokens[k - seen][0] + 1, line_text=line)
            seen += len(tokens)
        return src.error(reason)  # pragma: no cover

    return build_array(values, shape, where)


def matlab_rows(
    text: str, src: Source, exact: bool, *, shown: str | None = None, symbols: bool = True
) -> np.ndarray:
    """MATLAB-style rows: split at ``;`` and newlines, entries at whitespace and ``,``; always
    2-D. ``shown`` is the text as written, when ``text`` differs from it (brackets blanked out),
    for the line shown under an error. Letters are symbols only when ``symbols``."""
    values: list[Any] = []
    width = 0
    rows = 0
    shown_lines = (text if shown is None else shown).split("\n")
    for number, line in enumerate(text.split("\n"), 1):
        line_text = shown_lines[number - 1]
        offset = 0
        for segment in line.split(INLINE_ROW_END):
            try:
                found, end = row(segment, _INLINE_SEPARATOR, exact, symbols)
            except Bad as bad:
                raise src.error(
                    bad.reason, line=number, column=offset + bad.offset + 1, line_text=line_text
                ) from None
            if found:
                if not rows:
                    width = len(found)
                elif len(found) != width:
                    raise ragged(
                        src,
                        f"row {rows + 1}",
                        segment,
                        line_text,
                        number,
                        len(found),
                        end,
                        width,
                        "row 1",
                        _INLINE_SEPARATOR,
                        offset,
                    )
                rows += 1
                values.extend(found)
            offset += len(segment) + 1
    if not rows:
        raise src.error('expected a matrix such as "1 2; 3 4", found no numbers')
    shape = (rows, width)

    def where(k: int, reason: str) -> ParseError:
        seen = 0
        for number, line in enumerate(text.split("\n"), 1):
            offset = 0
            for segment in line.split(INLINE_ROW_END):
                tokens = entries(segment, _INLINE_SEPARATOR)
                if k < seen + len(tokens):
                    column = offset + tokens[k - seen][0] + 1
                    line_text = shown_lines[number - 1]
                    return src.error(reason, line=number, column=column, line_text=line_text)
                seen += len(tokens)
                offset += len(segment) + 1
        return src.error(reason)  # pragma: no cover

    return build_array(values, shape, where)
