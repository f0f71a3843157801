"""Bracketed text that is not JSON.

- Nested lists, as numpy prints them or as typed by hand: ``[[1 2] [3 4]]``, ``[[1/2, 3]]``,
  ``[nan, inf]``. Entries are separated by commas or whitespace, and the lists keep their
  nesting, as JSON's do: ``[1/2, 3]`` is a vector, ``[[1/2, 3]]`` a 1 x 2 matrix.
- MATLAB's brackets: ``[1 2; 3 4]``, one matrix over several lines, or one ``[1 0 1]`` per line.
  They hold rows, read as the same text without the brackets: always 2-D (``[1 2 3]`` is 1 x 3).

JSON is tried first; ``#`` comments are ignored in the other forms.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import numpy as np

from convcli.errors import ParseError

from . import grammar
from .grid import matlab_rows
from .json import MAX_NDIM, Bare, array_from_document, json_load
from .source import Source, location

__all__ = ["read_bracketed"]

_ENTRY = re.compile(r"[^\s\[\],;#\"{}]+")
_COMMENT = re.compile(grammar.COMMENT_PATTERN)
_JSON_ONLY = re.compile(r'["{}:]')


@dataclass(frozen=True)
class _Error:
    offset: int
    message: str


def read_bracketed(
    text: str, src: Source, exact: bool, *, symbols: bool, json_only: bool = False
) -> np.ndarray:
    """Bracketed ``text`` (normalised): JSON, nested lists, or MATLAB's rows, in that order.

    Letters are symbols in JSON always, in the other forms only when ``symbols``.
    """
    try:
        document = json_load(text, src)
    except ParseError:
        if json_only or _JSON_ONLY.search(text):
            raise  # quotes, braces and colons belong to JSON alone: its error is the one to give
        plain = _COMMENT.sub(lambda m: " " * len(m.group()), text)
        found = _nested(plain)
        if isinstance(found, tuple):
            document, offsets = found
            return array_from_document(document, text, src, exact, locate=offsets.get, symbols=symbols)
        rows = _matlab(plain)
        if rows is not None:
            return matlab_rows(rows, src, exact, shown=text, symbols=symbols)
        if found is None:
            raise
        line, column, line_text = location(text, found.offset)
        raise src.error(found.message, line=line, column=column, line_text=line_text) from None
    return array_from_document(document, text, src, exact)


def _nested(text: str) -> tuple[Any, dict[tuple[int | str, ...], int]] | _Error | None:
    """Nested lists with bare entries: the document and the offset of every value by its path,
    an error for text that can only be nested lists, or None for text that may be MATLAB's
    (one level of brackets with entries apart by whitespace, or several bracketed rows)."""
    offsets: dict[tuple[int | str, ...], int] = {}
    stack: list[tuple[list[Any], tuple[int | str, ...], int]] = []  # list, its path, where it opens
    root: list[Any] | None = None
    deepest = 0
    commas_only = True
    after_entry = spaced = False
    at = 0
    while at < len(text):
        c = text[at]
        if c.isspace():
            spaced = True
            at += 1
            continue
        if c == ";" or root is not None or (not stack and c != "["):
            return None  # MATLAB's row ends, text after the lists, or before them
        if c == ",":
            if not after_entry:
                return _Error(at, 'expected an entry before ","')
            after_entry = False
        elif c == "]":
            done, path, _ = stack.pop()
            if not stack:
                root = done
            else:
                stack[-1][0].append(done)
            after_entry = True
        else:
            if after_entry:
                if not spaced:
                    return _Error(at, 'expected "," or a space between two entries')
                commas_only = False
            parent, path, _ = stack[-1] if stack else ([], (), at)
            here = path + (len(parent),) if stack else ()
            offsets[here] = at
            if c == "[":
                if len(stack) == MAX_NDIM:
                    return _Error(
                        at, f"expected at most {MAX_NDIM} levels of nested lists, found deeper nesting"
                    )
                stack.append(([], here, at))
                deepest = max(deepest, len(stack))
                after_entry = False
            else:
                m = _ENTRY.match(text, at)
                assert m is not None  # any other character starts an entry
                parent.append(Bare(m.group()))
                at = m.end()
                after_entry, spaced = True, False
                continue
        spaced = False
        at += 1
    if stack:
        return _Error(stack[-1][2], 'expected "]" to close this "["')
    if root is None or (deepest == 1 and not commas_only):
        return None
    return root, offsets


def _matlab(text: str) -> str | None:
    """``text`` with MATLAB's brackets blanked out, or None when its brackets are not MATLAB's:
    one level, each ``[`` at the start of a line and each ``]`` at the end of one."""
    chars = list(text)
    open_ = False
    for m in re.finditer(r"[\[\]]", text):
        at = m.start()
        line_start = text.rfind("\n", 0, at) + 1
        line_end = text.find("\n", at)
        if line_end < 0:
            line_end = len(text)
        if text[at] == "[":
            if open_ or text[line_start:at].strip():
                return None
        elif not open_ or text[at + 1 : line_end].replace(";", " ").strip():
            return None
        open_ = text[at] == "["
        chars[at] = " "
    return None if open_ else "".join(chars)
