"""convcli's write-up formats read back: Markdown tables and LaTeX ``bmatrix`` (README's "Reading matrices").

Markdown, as ``--format markdown`` writes it: a header row of column indices, the ``|---|``
rule, then one row per line with the row index in bold; several tables (each after a line such
as ``channel 1``) make a 3-D array. A table without the index column reads the same way.

LaTeX, as ``--format latex`` writes it: ``\\begin{bmatrix}``, rows ending ``\\\\``, entries
between ``&``, ``\\end{bmatrix}``; several matrices make a 3-D array. Entries are numbers,
``\\frac{p}{q}``, ``\\infty``, ``\\mathrm{NaN}``, ``1.0+2.0i``, and symbolic expressions as
sympy writes them (``a w + b x``, ``\\frac{a}{2}``, ``x^{2}``).
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np

from convcli.errors import ParseError

from .grammar import content_start
from .source import Source, build_array, plural
from .tokens import parse_number, read_number

__all__ = ["table_kind", "read_table", "read_entry", "latex_entry"]

Cell = tuple[int, str]  # offset in its line, text
Row = tuple[int, list[Cell]]  # line number, cells

_CHANNEL = re.compile(r"\s*(?:channel|filter|block)\s+\d+\s*:?\s*", re.IGNORECASE)
_RULE_CELL = re.compile(r":?-+:?")
_LABEL = re.compile(r"\*\*\s*\d+\s*\*\*|\d+")
_BEGIN = re.compile(r"\\begin\{([bpv]?matrix)\}")
_END = re.compile(r"\\end\{([bpv]?matrix)\}")


def table_kind(text: str) -> str | None:
    """ "markdown" or "latex" when ``text`` (past blank and comment lines) starts as one of
    them, else None."""
    start = content_start(text)
    head = text[start : start + 200]
    if head.startswith("|"):
        return "markdown"
    if head.startswith("\\begin{"):
        return "latex"
    channel = _CHANNEL.match(head)
    if channel is not None and text[start + channel.end() :].lstrip().startswith("|"):
        return "markdown"
    return None


def read_table(text: str, src: Source, exact: bool, kind: str, symbols: bool = True) -> np.ndarray:
    lines = text.split("\n")
    blocks = _markdown(lines, src) if kind == "markdown" else _latex(lines, src)
    return _array(blocks, lines, src, exact, symbols, latex=kind == "latex")


def read_entry(text: str, exact: bool, kind: str) -> np.ndarray | None:
    """A lone entry, as convcli writes a single number in ``kind``: a 1 x 1 matrix, or None."""
    lines = [line for line in text.split("\n") if line.strip() and not line.lstrip().startswith(("#", "%"))]
    if len(lines) != 1:
        return None
    cell = lines[0].strip()
    try:
        value = read_number(latex_entry(cell) if kind == "latex" else cell, exact)
    except ValueError:
        return None
    return build_array([value], (1, 1), lambda k, reason: ParseError(reason, source=""))


def _error(src: Source, lines: list[str], number: int, offset: int, message: str) -> ParseError:
    return src.error(message, line=number, column=offset + 1, line_text=lines[number - 1])


# ---------------------------------------------------------------------------------------------
# Markdown


def _cells(line: str) -> list[Cell]:
    """The cells of a table row ``| a | b |``, each stripped, at the offset of its text."""
    cells = []
    bars = [m.start() for m in re.finditer(r"\|", line)]
    if line.rstrip().endswith("|"):
        ends = bars[1:]
    else:
        ends = bars[1:] + [len(line)]
    for start, end in zip(bars, ends, strict=False):
        raw = line[start + 1 : end]
        text = raw.strip()
        cells.append((start + 1 + (len(raw) - len(raw.lstrip())), text))
    return cells


def _markdown(lines: list[str], src: Source) -> list[list[Row]]:
    blocks: list[list[Row]] = []
    rows: list[Row] = []
    state = "outside"  # outside, rule (after a header), rows
    labelled = False
    for number, line in enumerate(lines, 1):
        content = line.strip()
        if not content.startswith("|"):
            if content and not content.startswith("#") and not _CHANNEL.fullmatch(content):
                raise _error(
                    src,
                    lines,
                    number,
                    len(line) - len(line.lstrip()),
                    "expected a Markdown table row starting with |",
                )
            if state == "rule":
                raise _error(src, lines, number, 0, "expected the |---| line under the table's header")
            if rows:
                blocks.append(rows)
                rows = []
            state = "outside"
            continue
        cells = _cells(line)
        if state == "outside":
            labelled = bool(cells) and cells[0][1] == ""  # convcli's header: "|   | 0 | 1 |"
            state = "rule"
        elif state == "rule":
            bad = next((c for c in cells if not _RULE_CELL.fullmatch(c[1])), None)
            if bad is not None:
                raise _error(src, lines, number, bad[0], "expected the |---| line under the table's header")
            state = "rows"
        else:
            if labelled:
                if cells and not _LABEL.fullmatch(cells[0][1]):
                    raise _error(
                        src,
                        lines,
                        number,
                        cells[0][0],
                        "expected the row's index (such as **0**) in the first column",
                    )
                cells = cells[1:]
            rows.append((number, cells))
    if state == "rule":
        raise _error(src, lines, len(lines), 0, "expected the |---| line under the table's header")
    if rows:
        blocks.append(rows)
    return blocks


# ---------------------------------------------------------------------------------------------
# LaTeX


def _latex(lines: list[str], src: Source) -> list[list[Row]]:
    blocks: list[list[Row]] = []
    rows: list[Row] | None = None
    for number, line in enumerate(lines, 1):
        at = 0
        while at < len(line):
            if rows is None:
                begin = _BEGIN.search(line, at)
                rest = line[at : begin.start() if begin else len(line)]
                if rest.strip() and not rest.strip().startswith(("%", "#")):
                    offset = at + len(rest) - len(rest.lstrip())
                    raise _error(src, lines, number, offset, "expected \\begin{bmatrix}")
                if begin is None:
                    break
                rows, at = [], begin.end()
                continue
            end = _END.search(line, at)
            stop = end.start() if end else len(line)
            for start, row in _split(line, at, stop, r"\\\\"):
                if row.strip():
                    cells = [
                        (s + len(t) - len(t.lstrip()), t.strip())
                        for s, t in _split(line, start, start + len(row), "&")
                    ]
                    rows.append((number, cells))
            if end is None:
                break
            blocks.append(rows)
            rows, at = None, end.end()
    if rows is not None:
        raise _error(src, lines, len(lines), 0, "expected \\end{bmatrix} to close the matrix")
    return blocks


def _split(line: str, start: int, stop: int, separator: str) -> list[tuple[int, str]]:
    """``line[start:stop]`` cut at ``separator`` (a pattern): (offset, piece) for each piece."""
    out = []
    at = start
    for m in re.finditer(separator, line[start:stop]):
        out.append((at, line[at : start + m.start()]))
        at = start + m.end()
    out.append((at, line[at:stop]))
    return out


_PLAIN_FRACTION = re.compile(r"([+-]?)\s*\\frac\{\s*(\d+)\s*\}\{\s*(\d+)\s*\}", re.ASCII)
_FRAC = re.compile(r"\\frac\{([^{}]*)\}\{([^{}]*)\}")
_LATEX_WORDS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"\\mathrm\{nan\}|\\text\{nan\}", re.IGNORECASE), "nan"),
    (re.compile(r"\\infty"), "inf"),
    (re.compile(r"\\left(?=[(\[|])|\\right(?=[)\]|])"), ""),  # the brackets they size stay
    (re.compile(r"\\cdot|\\times"), "*"),
    (re.compile(r"_\{(\w+)\}"), r"\1"),
    (re.compile(r"\^\{([^{}]*)\}"), r"^(\1)"),
]
_OPERAND_END = r"[0-9A-Za-z_.)]"
_OPERAND_START = r"[0-9A-Za-z_.(]"


def latex_entry(cell: str) -> str:
    """One LaTeX entry as convcli's own text: ``-\\frac{1}{2}`` is ``-1/2``, ``1.0+2.0i`` is
    ``1.0+2.0j``, ``a w + b x`` is ``a*w+b*x``."""
    text = cell.strip()
    plain = _PLAIN_FRACTION.fullmatch(text)
    if plain:
        return f"{plain.group(1)}{plain.group(2)}/{plain.group(3)}"
    if text.endswith("i"):
        try:
            parse_number(text[:-1] + "j")
            return text[:-1] + "j"
        except ValueError:
            pass
    for pattern, replacement in _LATEX_WORDS:
        text = pattern.sub(replacement, text)
    while _FRAC.search(text):
        text = _FRAC.sub(r"(\1)/(\2)", text)
    # sympy writes a product as its factors side by side: "2 a w" is 2*a*w, "(a + 1) b" (a+1)*b
    text = re.sub(rf"(?<={_OPERAND_END})\s+(?={_OPERAND_START})", "*", text.strip())
    text = re.sub(rf"(?<=\))(?={_OPERAND_START})|(?<={_OPERAND_END})(?=\()", "*", text)
    return text.replace(" ", "")


# ---------------------------------------------------------------------------------------------
# rows of cells to an array


def _array(
    blocks: list[list[Row]], lines: list[str], src: Source, exact: bool, symbols: bool, latex: bool
) -> np.ndarray:
    if not blocks or not blocks[0]:
        raise src.error("expected a table of numbers, found none")
    values: list[Any] = []
    places: list[tuple[int, int]] = []
    width = len(blocks[0][0][1])
    for block in blocks:
        if len(block) != len(blocks[0]):
            number = block[0][0]
            raise _error(
                src,
                lines,
                number,
                0,
                f"this table has {plural(len(block), 'row')}, expected {len(blocks[0])} like the first "
                f"(line {blocks[0][0][0]}); several tables make the blocks (channels) of a 3-D array",
            )
        for number, cells in block:
            if len(cells) != width:
                offset = cells[width][0] if len(cells) > width else len(lines[number - 1].rstrip())
                raise _error(
                    src,
                    lines,
                    number,
                    offset,
                    f"this row has {len(cells)} {'entry' if len(cells) == 1 else 'entries'}, expected "
                    f"{width} like line {blocks[0][0][0]}",
                )
            for offset, text in cells:
                token = latex_entry(text) if latex else text
                try:
                    values.append(read_number(token, exact, symbols))
                except ValueError as exc:
                    reason = str(exc).replace(f'"{token}"', f'"{text}"') if token != text else str(exc)
                    raise _error(src, lines, number, offset, reason) from None
                places.append((number, offset))
    rows = len(blocks[0])
    shape = (len(blocks), rows, width) if len(blocks) > 1 else (rows, width)

    def where(k: int, reason: str) -> ParseError:
        number, offset = places[k]
        return _error(src, lines, number, offset, reason)

    return build_array(values, shape, where)
