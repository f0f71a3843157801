"""The fast path of the text-grid reader: an optimisation, never a second grammar.

ASCII grids of plain integers or decimals are checked with byte-level scans and converted by
NumPy's C readers. The rules (comments, separators, blank lines) come from ``grammar``; every
function here returns an array, or None whenever anything is unusual or wrong, and then the
exact reader (grid.py) produces the value, or the error with its line and column.
"""

from __future__ import annotations

import io
import mmap
import os
import re
import stat
import warnings
from collections.abc import Callable, Iterator
from typing import IO, Any

import numpy as np

from convcli import numeric

from . import grammar

__all__ = ["fast_grid", "large_file"]

# the grammar's characters as bytes
_SPACE = grammar.SPACE.encode()  # within a line
_WHITESPACE = _SPACE + b"\n"
_COMMENT = grammar.COMMENT.encode()
_SEPARATOR = grammar.GRID_SEPARATORS.encode()[:1]
# the grid's separators are all alike: one stands for them all, then each becomes a space
_ONE_SEPARATOR = bytes.maketrans(grammar.GRID_SEPARATORS.encode(), _SEPARATOR * len(grammar.GRID_SEPARATORS))
_SEPARATOR_TO_SPACE = bytes.maketrans(_SEPARATOR, b" ")
_OTHER_SEPARATORS = [c.encode() for c in grammar.GRID_SEPARATORS[1:]]
_SPACE_CLASS = b"[" + re.escape(_SPACE) + b"]"
_ONLY_SPACE = re.compile(b"[" + re.escape(_WHITESPACE) + b"]*")
# a line of whitespace alone ends a block; the leading newline lets the search skip ahead fast
_BLANK_LINE = re.compile(b"\n" + _SPACE_CLASS + b"*\n")
_SEPARATORS_ONLY = re.compile(
    b"\n"
    + _SPACE_CLASS
    + b"*"
    + re.escape(_SEPARATOR)
    + b"["
    + re.escape(_SPACE + _SEPARATOR)
    + rb"]*(?=\n|\Z)"
)
# the bytes of the entries read here (digits, signs, points, exponents, nan, inf, infinity)
_FAST_BYTES = b"0123456789+-.eEnNaAiIfFtTyY" + _WHITESPACE

# lines at least this long (in bytes, on average) are converted one NumPy call per line, shorter
# ones in one call for the whole text, the numbers per line then counted by array scans
_WIDE_LINE = 512
# files at least this large are first tried in place, through a memory map
_DIRECT_BYTES = 1 << 20


def fast_grid(data: bytes, exact: bool) -> np.ndarray | None:
    """An ASCII grid of plain integers or decimals, read by NumPy's C readers; or None.

    ``data`` has ``\\n`` line ends and no NUL byte. Decimals go through numpy.loadtxt, whose
    tokens (whitespace-separated: a sign, digits, a point, an exponent, or nan/inf/infinity) are
    the ones the exact reader reads as floats; it only needs a check for decimals too large for
    float64, which it reads as inf. Integers go through numpy.fromstring, faster than loadtxt for
    them but laxer: it reads a lone ``-`` as 0 and ``- 5`` as -5, and saturates values beyond
    int64. Both need the separator rules checked: no empty entry between two separators, no
    line of separators alone.
    """
    if _COMMENT in data:
        data = _drop_comments(data)
    if any(s in data for s in _OTHER_SEPARATORS):
        data = data.translate(_ONE_SEPARATOR)
    if _SEPARATOR in data:
        if _SEPARATOR * 2 in data or _separators_only_line(data):
            return None
        data = data.translate(_SEPARATOR_TO_SPACE)
    if data.translate(None, _FAST_BYTES):
        return None  # a byte no number here has: the C readers would fail, after reading up to it
    is_int = not any(c in data for c in b".eEnNiI")
    if not is_int and exact:
        return None
    # judge the line length from a sample: counting every newline would cost a pass
    sample = min(len(data), 1 << 16)
    wide = sample >= _WIDE_LINE * (data.count(b"\n", 0, sample) + 1)
    if not is_int:
        found = _quietly(lambda: _floats_by_block(data, wide))
        if found is None:
            return None
        values, shape = found
        infinite = np.count_nonzero(np.isinf(values))
        if infinite and infinite != data.lower().count(b"inf"):
            return None  # a decimal too large for float64, not an inf written as such
        return values.reshape(shape)
    if wide:
        found = _quietly(lambda: _ints_by_line(data, 0, len(data)))
    else:
        found = _quietly(lambda: _ints_whole(data))
    if found is None or _saturated(found[0]):
        return None
    return found[0].reshape(found[1])


def large_file(f: IO[bytes], path: str, exact: bool) -> np.ndarray | None:
    """A large file of plain numbers read without first copying it into memory; or None.

    The file is checked in place through a memory map. Integers in long lines are then
    converted line by line from the map into the result; other files go to numpy.loadtxt by
    path, which reads a file in chunks, faster than it can be fed any text held in memory.
    Whenever in doubt this returns None, and the file is read as usual (``fast_grid``, or the
    exact reader).
    """
    info = os.fstat(f.fileno())
    if not stat.S_ISREG(info.st_mode) or info.st_size < max(_DIRECT_BYTES, 1):
        return None
    try:
        mapped = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
    except (OSError, ValueError):
        return None
    with mapped as text:
        if text.find(b"\r") >= 0 or text.find(b"\x00") >= 0:
            return None
        begin, end = _content_span(text)
        if begin == end:
            return None
        sample = text[begin : begin + (1 << 16)]
        wide = len(sample) >= _WIDE_LINE * (sample.count(b"\n") + 1)
        # a point in a number (not in a comment) makes every entry a float64
        point = text.find(b".")
        if point < 0:
            if wide:
                if text[begin:end].translate(None, _FAST_BYTES):
                    return None  # a byte no number has: fromstring would fail, after reading up to it
                found = _quietly(lambda: _ints_by_line(text, begin, end))
                if found is None or _saturated(found[0]):
                    return None
                return found[0].reshape(found[1])
            dtype: type = np.int64
        elif exact or text.find(_COMMENT, text.rfind(b"\n", 0, point) + 1, point) >= 0:
            return None
        else:
            dtype = np.float64
        # loadtxt skips a blank line, but a blank line starts a new block. With many short
        # lines and no comment, counting the lines (all must come back as rows) costs less
        # than looking for one.
        rows = None
        if wide or text.find(_COMMENT) >= 0:
            if next(_blank_lines(text, begin, end, wide), None) is not None:
                return None
        else:
            lines = np.frombuffer(text, np.uint8, count=end - begin, offset=begin) == ord("\n")
            rows = int(np.count_nonzero(lines)) + 1
            del lines
    return _loadtxt_path(path, dtype, rows)


def _content_span(text: Any) -> tuple[int, int]:
    """Where the text of ``text`` (bytes or a memory map) begins and ends, without the
    whitespace around it."""
    end = len(text)
    while end and text[end - 1] in _WHITESPACE:
        end -= 1
    begin = 0
    while begin < end and text[begin] in _WHITESPACE:
        begin += 1
    return begin, end


def _quietly(read: Callable[[], Any]) -> Any:
    """``read()``, or None when NumPy's readers refuse the text (an error or a warning)."""
    with warnings.catch_warnings():
        # NumPy before 2.3 warns (rather than raising) when fromstring leaves text unread;
        # loadtxt warns about input without data
        warnings.simplefilter("error")
        try:
            return read()
        except (ValueError, Warning):
            return None


def _saturated(values: np.ndarray) -> bool:
    """Whether fromstring may have saturated a value beyond int64 to int64's bounds."""
    return bool(values.max() == numeric.INT64_MAX or values.min() == -numeric.INT64_MAX - 1)


def _loadtxt_path(path: str, dtype: type, rows: int | None) -> np.ndarray | None:
    """numpy.loadtxt on the path of a file of one block of numbers (of ``rows`` rows if given).

    encoding="ascii" makes anything non-ASCII (a byte order mark, a Unicode minus sign) an
    error, and loadtxt refuses every token that the exact reader would not read as ``dtype``,
    such as ``1,2`` or a lone sign, and integers beyond int64; it only reads a decimal beyond
    float64 as inf.
    """
    values = _quietly(
        lambda: np.loadtxt(path, dtype=dtype, comments=grammar.COMMENT, ndmin=2, encoding="ascii")
    )
    if values is None:  # UnicodeDecodeError is a ValueError
        return None
    if rows is not None and values.shape[0] != rows:
        return None  # a blank line between blocks
    if dtype is np.float64 and np.isinf(values).any():
        return None  # inf as written, or a decimal too large: the exact reader tells them apart
    return values


def _drop_comments(data: bytes) -> bytes:
    """Remove comments. A line holding only a comment goes entirely, newline and all, since it
    does not separate blocks the way a blank line does."""
    parts = []
    pos = 0
    while (cut := data.find(_COMMENT, pos)) >= 0:
        start = data.rfind(b"\n", 0, cut) + 1
        end = data.find(b"\n", cut)
        if end < 0:
            end = len(data)
        if _ONLY_SPACE.fullmatch(data, start, cut):
            parts.append(data[pos:start])
            pos = end + 1
        else:
            parts.append(data[pos:cut])
            pos = end
    parts.append(data[pos:])
    return b"".join(parts)


def _separators_only_line(data: bytes) -> bool:
    first = data.split(b"\n", 1)[0]
    return bool(_SEPARATORS_ONLY.match(b"\n" + first) or _SEPARATORS_ONLY.search(data))


def _grid_shape(blocks: list[int], width: int) -> tuple[int, ...] | None:
    if not blocks or any(rows != blocks[0] for rows in blocks):
        return None
    if len(blocks) > 1:
        return (len(blocks), blocks[0], width)
    return (blocks[0], width)


def _blank_lines(text: Any, begin: int, end: int, wide: bool) -> Iterator[tuple[int, int]]:
    """The blank lines between offsets ``begin`` and ``end`` of ``text`` (bytes or a memory
    map), as (offset of the newline before, offset of the newline after)."""
    if not wide:
        pos = begin
        while (m := _BLANK_LINE.search(text, pos, end)) is not None:
            yield m.start(), m.end() - 1
            pos = m.end() - 1
        return
    # few, long lines: visiting each newline costs less than a regular-expression scan
    at = text.find(b"\n", begin, end)
    while at >= 0:
        after = text.find(b"\n", at + 1, end)
        if _ONLY_SPACE.fullmatch(text, at + 1, end if after < 0 else after):
            yield at, end if after < 0 else after
        at = after


def _split_blocks(data: bytes, wide: bool) -> list[bytes]:
    """``data`` cut at its blank lines, keeping only the pieces that hold something."""
    pieces = []
    start = 0
    for before, after in _blank_lines(data, 0, len(data), wide):
        pieces.append(data[start:before])
        start = after
    pieces.append(data[start:])
    return [piece for piece in pieces if not _ONLY_SPACE.fullmatch(piece)]


def _floats_by_block(data: bytes, wide: bool) -> tuple[np.ndarray, tuple[int, ...]] | None:
    """Decimals through numpy.loadtxt, one call per block (it would skip blank lines)."""
    blocks = []
    for piece in _split_blocks(data, wide):
        stream = io.TextIOWrapper(io.BytesIO(piece), encoding="ascii")
        blocks.append(np.loadtxt(stream, dtype=np.float64, comments=None, ndmin=2))
    if not blocks or any(b.shape != blocks[0].shape for b in blocks):
        return None
    rows, width = blocks[0].shape
    shape = _grid_shape([rows] * len(blocks), width)
    if shape is None:
        return None
    return (blocks[0] if len(blocks) == 1 else np.stack(blocks)), shape


def _ints_by_line(text: Any, begin: int, end: int) -> tuple[np.ndarray, tuple[int, ...]] | None:
    """Integers through one fromstring call per line, for long lines of ``text`` (bytes or a
    memory map) between offsets ``begin`` and ``end``.

    fromstring refuses anything but whitespace-separated integers (a comment, a separator, a
    point); what it would misread (a sign without a digit) is ruled out first.
    """
    if _sign_without_digit(text, end):
        return None
    spans = []
    blocks: list[int] = []
    count = 0
    at = begin
    while at < end:
        stop = text.find(b"\n", at, end)
        if stop < 0:
            stop = end
        if _ONLY_SPACE.fullmatch(text, at, stop):
            if count:
                blocks.append(count)
                count = 0
        else:
            spans.append((at, stop))
            count += 1
        at = stop + 1
    if count:
        blocks.append(count)
    if not spans:
        return None
    first = np.fromstring(text[spans[0][0] : spans[0][1]], dtype=np.int64, sep=" ")
    shape = _grid_shape(blocks, first.size)
    if shape is None:
        return None
    out = np.empty((len(spans), first.size), np.int64)
    out[0] = first
    for k in range(1, len(spans)):
        row = np.fromstring(text[spans[k][0] : spans[k][1]], dtype=np.int64, sep=" ")
        if row.size != first.size:
            return None
        out[k] = row
    return out, shape


def _sign_without_digit(data: Any, end: int | None = None) -> bool:
    """Whether some ``+`` or ``-`` in ``data[:end]`` is not directly followed by a digit."""
    if data.find(b"-", 0, end) < 0 and data.find(b"+", 0, end) < 0:
        return False
    a = np.frombuffer(data, np.uint8, count=-1 if end is None else end)
    if a[-1] in (ord("-"), ord("+")):
        return True
    signs = a[:-1] == ord("-")
    if data.find(b"+", 0, end) >= 0:
        signs |= a[:-1] == ord("+")
    digit_next = (a[1:] - ord("0")) < 10  # uint8: bytes below "0" wrap around
    return bool(np.greater(signs, digit_next).any())


def _ints_whole(data: bytes) -> tuple[np.ndarray, tuple[int, ...]] | None:
    """Integers through one fromstring call for the whole text, for short lines, where a call
    per line would cost more than the array scans that find the tokens and count them."""
    # leading and trailing blank lines separate no blocks
    begin, end = _content_span(data)
    if begin == end:
        return None  # fromstring reads whitespace alone as a number
    values = np.fromstring(data, dtype=np.int64, sep=" ")
    a = np.frombuffer(data, np.uint8, count=end - begin, offset=begin)
    # fromstring read every byte, so any byte up to " " is whitespace
    space = a <= ord(" ")
    starts = np.flatnonzero(np.less(space[1:], space[:-1])) + 1
    starts = np.concatenate(([0], starts))  # a[0] is no whitespace
    if starts.size != values.size:
        return None
    signed = starts[(a[starts] == ord("-")) | (a[starts] == ord("+"))] + 1
    if signed.size and (signed[-1] == a.size or ((a[signed] - ord("0")) > 9).any()):
        return None  # a sign with no digit after it
    breaks = np.flatnonzero(a == ord("\n"))
    lines = breaks.size + 1
    line_ends = np.append(breaks, a.size)
    if starts.size % lines == 0:
        width = starts.size // lines
        line_starts = np.concatenate(([0], breaks + 1))
        # when every line holds `width` tokens, the first and the last token of line k are
        # the tokens k*width and k*width + width - 1; this check costs less than counting
        if not ((starts[::width] < line_starts).any() or (starts[width - 1 :: width] > line_ends).any()):
            return values, (lines, width)
    # blank lines between blocks (or ragged rows): count the tokens of every line
    per_line = np.diff(np.searchsorted(starts, line_ends), prepend=0)
    filled = per_line > 0
    widths = per_line[filled]
    if (widths != widths[0]).any():
        return None
    lines_with_rows = np.flatnonzero(filled)
    gaps = np.flatnonzero(np.diff(lines_with_rows) > 1) + 1
    blocks = np.diff(np.concatenate(([0], gaps, [lines_with_rows.size])))
    shape = _grid_shape(blocks.tolist(), int(widths[0]))
    return None if shape is None else (values, shape)
