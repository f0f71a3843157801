"""Inline literals: ``"1 2; 3 4"`` (MATLAB style), ``"[[1,2],[3,4]]"`` (JSON and NumPy style),
``"[1 2; 3 4]"`` and ``"1,2,3"``."""

from __future__ import annotations

import re
from typing import Any

import numpy as np

from convcli.errors import ParseError

from .grammar import INLINE_ROW_END, INLINE_SEPARATORS, entries, separators_pattern
from .grid import ragged, row
from .json import json_array, json_load
from .source import Bad, Source, build_array, normalise_text

__all__ = ["parse_inline"]

_INLINE_SEPARATOR = separators_pattern(INLINE_SEPARATORS)
_MATLAB = re.compile(r"\s*\[([^\[\]]*)\]\s*")


def parse_inline(text: str, *, source: str, exact: bool = False) -> np.ndarray:
    """Read an inline literal: ``"1 2; 3 4"``, ``"[[1,2],[3,4]]"``, ``"[1 2; 3 4]"``, ``"1,2,3"``.

    Rows are separated by ``;`` or newlines, entries by whitespace or ``,``. Such a MATLAB-style
    literal is always 2-D (``"1 2 3"`` is 1 x 3, ``"7"`` is 1 x 1); a bracketed JSON literal keeps
    its nesting (``"[1,2,3]"`` is 1-D, ``"[[1,2,3]]"`` is 1 x 3).
    """
    text = normalise_text(text)
    src = Source(source, numbered="\n" in text)
    if not text.strip():
        raise src.error('expected a matrix such as "1 2; 3 4", found an empty argument')
    if "[" in text or text.lstrip().startswith("{"):
        try:
            document = json_load(text, src)
        except ParseError:
            matlab = _MATLAB.fullmatch(text)
            if matlab is None:
                raise
            # blank out the brackets so that columns still count from the literal's start
            start, end = matlab.start(1), matlab.end(1)
            blanked = text[: start - 1] + " " + text[start:end] + " " + text[end + 1 :]
            return _inline_rows(blanked, src, exact, shown=text)
        return json_array(document, text, src, exact)
    return _inline_rows(text, src, exact)


def _inline_rows(text: str, src: Source, exact: bool, shown: str | None = None) -> np.ndarray:
    """Rows split at ``;`` and newlines. ``shown`` is the literal as written, when ``text``
    differs from it (MATLAB brackets blanked out), for the line shown under an error."""
    values: list[Any] = []
    width = 0
    rows = 0
    shown_lines = (text if shown is None else shown).split("\n")
    for number, line in enumerate(text.split("\n"), 1):
        line_text = shown_lines[number - 1]
        offset = 0
        for segment in line.split(INLINE_ROW_END):
            try:
                found, end = row(segment, _INLINE_SEPARATOR, exact)
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
