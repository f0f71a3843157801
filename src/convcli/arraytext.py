"""One array in each machine format: plain, csv, json, markdown, latex and npy.

Large arrays are written as a stream (TextStream), formatted piece by piece as they are
written and never held whole; formats.py builds the documents around them.
"""

from __future__ import annotations

import io
import json
import math
import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, BinaryIO

import numpy as np

from .errors import UsageError
from .model import Format, Kind
from .text import format_number, int_text, json_value, value_of

__all__ = [
    "dumps",
    "JsonArray",
    "MATRIX",
    "Npy",
    "PIECES",
    "TextStream",
    "WHOLE_CELLS",
    "WHOLE_CELLS_VARIABLE",
    "check_whole",
    "document",
    "json_array",
    "json_pieces",
    "latex_number",
    "matrix_latex",
    "matrix_markdown",
    "matrix_npy",
    "matrix_plain",
]


def _cells(a: np.ndarray, text: Callable[[Any], str]) -> list[str]:
    if a.dtype.kind in "iu":
        return [str(v) for v in a.ravel().tolist()]
    if a.dtype.kind == "f" and text is format_number:
        # repr is format_number for a Python float (nan, inf, -inf included), without the checks
        return list(map(repr, a.ravel().tolist()))
    return [text(v) for v in a.ravel().tolist()]


def _blocks(a: np.ndarray) -> list[np.ndarray]:
    """An array as 2-D blocks: a 3-D array is one block per leading index."""
    if a.ndim <= 2:
        return [a]
    return [block for sub in a for block in _blocks(sub)]


# Columns are aligned for people up to this many cells; beyond it (a result bound for another
# program) alignment would double the time taken to write the numbers, and the document is
# streamed: formatted piece by piece as it is written, never held whole (TextStream).
_ALIGN_CELLS = 250_000


_STREAM_CELLS = _ALIGN_CELLS


_PIECE_CELLS = 65_536  # numbers formatted per piece of a stream


def _row_pieces(rows: np.ndarray, line: Callable[[int, list[str]], str]) -> Iterator[str]:
    """``line(r, cells)`` for each row r of a 2-D array, a few thousand numbers per piece."""
    nrows, ncols = rows.shape
    step = max(1, _PIECE_CELLS // max(ncols, 1))
    for r in range(0, nrows, step):
        cells = _cells(rows[r : r + step], format_number)
        yield "".join(line(r + k, cells[k * ncols : (k + 1) * ncols]) for k in range(min(step, nrows - r)))


def _plain_pieces(a: np.ndarray, sep: str = " ", align: bool = True) -> Iterator[str]:
    if a.ndim == 0:
        yield format_number(a[()]) + "\n"
        return
    for n, block in enumerate(_blocks(a)):
        if n:
            yield "\n"
        rows = block.reshape(1, -1) if block.ndim == 1 else block
        if rows.shape[0] == 0:
            yield "\n"
        elif align and 1 < rows.shape[0] and rows.size <= _ALIGN_CELLS:
            cells = _cells(rows, format_number)
            ncols = rows.shape[1]
            table = [cells[r * ncols : (r + 1) * ncols] for r in range(rows.shape[0])]
            widths = [max(len(row[c]) for row in table) for c in range(ncols)]
            yield "".join(
                sep.join(cell.rjust(w) for cell, w in zip(row, widths, strict=True)) + "\n" for row in table
            )
        elif rows.shape[1] > _PIECE_CELLS:
            for row in rows:  # very long rows: in pieces too
                for c in range(0, rows.shape[1], _PIECE_CELLS):
                    yield (sep if c else "") + sep.join(_cells(row[c : c + _PIECE_CELLS], format_number))
                yield "\n"
        else:
            yield from _row_pieces(rows, lambda _, cells: sep.join(cells) + "\n")


def matrix_plain(a: np.ndarray, sep: str = " ", align: bool = True) -> str:
    """Rows of space-separated entries, columns right-aligned; 3-D as blank-line separated blocks."""
    return "".join(_plain_pieces(a, sep, align))


def _csv_pieces(a: np.ndarray) -> Iterator[str]:
    return _plain_pieces(a, sep=",", align=False)


def _matrix_csv(a: np.ndarray) -> str:
    return "".join(_csv_pieces(a))


def json_array(a: np.ndarray) -> Any:
    if a.ndim == 0:
        return json_value(a[()])
    if a.dtype.kind in "iu" or (a.dtype.kind == "f" and np.isfinite(a).all()):
        return a.tolist()  # json writes these numbers as json_value would, without a call per number

    def convert(x: Any) -> Any:
        return [convert(y) for y in x] if isinstance(x, list) else json_value(x)

    return convert(a.tolist())


def latex_number(x: Any) -> str:
    x = value_of(x)
    if isinstance(x, Fraction) and x.denominator != 1:
        sign = "-" if x < 0 else ""
        return f"{sign}\\frac{{{int_text(abs(x.numerator))}}}{{{int_text(x.denominator)}}}"
    if isinstance(x, float):
        if math.isnan(x):
            return r"\mathrm{NaN}"
        if math.isinf(x):
            return r"\infty" if x > 0 else r"-\infty"
    if isinstance(x, complex):
        return format_number(x).replace("j", "i")
    if not isinstance(x, int | float | Fraction):
        import sympy

        return str(sympy.latex(x))
    return format_number(x)


def _latex_pieces(a: np.ndarray) -> Iterator[str]:
    if a.ndim == 0:
        yield latex_number(a[()]) + "\n"
        return
    for n, block in enumerate(_blocks(a)):
        rows = block.reshape(1, -1) if block.ndim == 1 else block
        yield ("\n" if n else "") + "\\begin{bmatrix}\n"
        step = max(1, _PIECE_CELLS // max(rows.shape[1], 1))
        for r in range(0, rows.shape[0], step):
            yield ("" if r == 0 else " \\\\\n") + " \\\\\n".join(
                "  " + " & ".join(latex_number(v) for v in row) for row in rows[r : r + step]
            )
        yield "\n\\end{bmatrix}\n"


def matrix_latex(a: np.ndarray) -> str:
    return "".join(_latex_pieces(a))


def _markdown_pieces(a: np.ndarray) -> Iterator[str]:
    if a.ndim == 0:
        yield format_number(a[()]) + "\n"
        return
    blocks = _blocks(a)
    for n, block in enumerate(blocks):
        rows = block.reshape(1, -1) if block.ndim == 1 else block
        title = f"channel {n}\n\n" if len(blocks) > 1 else ""
        head = "|   | " + " | ".join(str(j) for j in range(rows.shape[1])) + " |"
        rule = "|---|" + "---:|" * rows.shape[1]
        yield ("\n" if n else "") + title + head + "\n" + rule + "\n"
        yield from _row_pieces(rows, lambda r, cells: f"| **{r}** | " + " | ".join(cells) + " |\n")


def matrix_markdown(a: np.ndarray) -> str:
    return "".join(_markdown_pieces(a))


class JsonArray:
    """An array inside a JSON document that is written piece by piece (json_pieces)."""

    def __init__(self, a: np.ndarray) -> None:
        self.array = a


def _json_array_pieces(a: np.ndarray) -> Iterator[str]:
    """json.dumps(json_array(a)), a few thousand numbers per piece."""
    if a.ndim == 0 or a.size <= _PIECE_CELLS:
        yield json.dumps(json_array(a), allow_nan=False)
        return
    yield "["
    item = a.size // a.shape[0]  # numbers per entry along the first axis
    if a.ndim > 1 and item > _PIECE_CELLS:
        for n, sub in enumerate(a):
            yield ", " if n else ""
            yield from _json_array_pieces(sub)
    else:
        step = max(1, _PIECE_CELLS // max(item, 1))
        for n in range(0, a.shape[0], step):
            yield (", " if n else "") + json.dumps(json_array(a[n : n + step]), allow_nan=False)[1:-1]
    yield "]"


def json_pieces(doc: dict[str, Any]) -> Iterator[str]:
    """A JSON document (one line) whose JsonArray values are written piece by piece."""
    arrays = {}
    plain = dict(doc)
    for key, value in doc.items():
        if isinstance(value, JsonArray):
            arrays[f"\0{key}\0"] = value.array  # NUL: no text from the user holds one
            plain[key] = f"\0{key}\0"
    text = dumps(plain)
    for marker, array in arrays.items():
        before, text = text.split(json.dumps(marker), 1)
        yield before
        yield from _json_array_pieces(array)
    yield text


@dataclass(frozen=True)
class TextStream:
    """A text document formatted as it is written: a large result is never held whole as text
    (a hundred million numbers take gigabytes as Python strings; README's "Speed")."""

    pieces: Callable[[], Iterator[str]]

    @property
    def binary(self) -> bool:
        return False

    def write_to(self, handle: BinaryIO) -> None:
        for piece in self.pieces():
            handle.write(piece.encode())

    def text(self) -> str:
        return "".join(self.pieces())


def document(cells: int, pieces: Callable[[], Iterator[str]]) -> str | TextStream:
    """A document of few numbers as one string; of many, as a stream."""
    return TextStream(pieces) if cells > _STREAM_CELLS else "".join(pieces())


# Documents that explain (compare, steps, im2col, check) are formatted whole, at about 100 bytes
# of memory per number: past this many numbers they are refused before formatting begins.
WHOLE_CELLS = 10_000_000


WHOLE_CELLS_VARIABLE = "CONVCLI_MAX_TEXT_CELLS"


def _whole_limit() -> int:
    given = os.environ.get(WHOLE_CELLS_VARIABLE)
    if given is None:
        return WHOLE_CELLS
    if not given.strip().isascii() or not given.strip().isdigit():
        raise UsageError(f'{WHOLE_CELLS_VARIABLE} takes a whole number of numbers (cells), got "{given}"')
    return int(given)


def check_whole(what: str, fmt: Format, arrays: Iterable[np.ndarray | None], instead: str) -> None:
    """Refuse, before formatting it, a document held whole that would hold too many numbers."""
    cells = sum(a.size for a in arrays if a is not None)
    limit = _whole_limit()
    if cells > limit:
        raise UsageError(
            f"{what} as {fmt} would format {cells:,} numbers at once, more than the {limit:,} convcli "
            f"formats whole (about 100 bytes each while formatting); set {WHOLE_CELLS_VARIABLE} to raise "
            f"the limit, or {instead}"
        )


@dataclass(frozen=True)
class Npy:
    """A .npy document, written straight into its file: a large result is never copied into a
    bytes object first (peak memory, README's "Speed")."""

    array: np.ndarray

    @property
    def binary(self) -> bool:
        return True

    def write_to(self, handle: BinaryIO) -> None:
        np.save(handle, self.array, allow_pickle=False)

    def to_bytes(self) -> bytes:
        buffer = io.BytesIO()
        self.write_to(buffer)
        return buffer.getvalue()


def matrix_npy(a: np.ndarray, kind: Kind) -> Npy:
    if a.dtype == object:
        if kind is Kind.INTEGER:
            raise UsageError(
                "npy: the result has integers too large for int64; write it as plain or json, "
                "which keep every digit, or add --float64 to round them to float64"
            )
        if kind is Kind.SYMBOLIC:
            raise UsageError("npy: a symbolic result has no .npy form; write it as plain or json")
        raise UsageError(
            f"npy: a {kind} result has no .npy form without losing exactness; write it as plain or json, "
            "or add --float64 to round it to float64"
        )
    return Npy(a)


MATRIX: dict[Format, Callable[[np.ndarray], str]] = {
    Format.PLAIN: matrix_plain,
    Format.CSV: _matrix_csv,
    Format.MARKDOWN: matrix_markdown,
    Format.LATEX: matrix_latex,
}


PIECES: dict[Format, Callable[[np.ndarray], Iterator[str]]] = {
    Format.PLAIN: _plain_pieces,
    Format.CSV: _csv_pieces,
    Format.MARKDOWN: _markdown_pieces,
    Format.LATEX: _latex_pieces,
}


def dumps(doc: Any) -> str:
    return json.dumps(doc, allow_nan=False) + "\n"
