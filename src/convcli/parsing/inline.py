"""Inline literals: ``"1 2; 3 4"`` (MATLAB style), ``"[[1,2],[3,4]]"`` (JSON and NumPy style),
``"[1 2; 3 4]"``, ``"1,2,3"`` and ``"[[1/2, x]]"``."""

from __future__ import annotations

import numpy as np

from .brackets import read_bracketed
from .grid import matlab_rows
from .source import Source, normalise_text

__all__ = ["parse_inline"]


def parse_inline(text: str, *, source: str, exact: bool = False) -> np.ndarray:
    """Read an inline literal: ``"1 2; 3 4"``, ``"[[1,2],[3,4]]"``, ``"[1 2; 3 4]"``, ``"1,2,3"``.

    Rows are separated by ``;`` or newlines, entries by whitespace or ``,``. Such a MATLAB-style
    literal is always 2-D (``"1 2 3"`` is 1 x 3, ``"7"`` is 1 x 1); a bracketed list keeps its
    nesting (``"[1,2,3]"`` is 1-D, ``"[[1,2,3]]"`` is 1 x 3), and so does JSON (``'"1/2"'`` is
    one number).
    """
    text = normalise_text(text)
    src = Source(source, numbered="\n" in text)
    if not text.strip():
        raise src.error('expected a matrix such as "1 2; 3 4", found an empty argument')
    if "[" in text or text.lstrip().startswith(("{", '"')):
        return read_bracketed(text, src, exact, symbols=True)
    return matlab_rows(text, src, exact)
