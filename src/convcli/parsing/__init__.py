"""Read MATRIX arguments: text grids, JSON, ``.npy`` files, standard input and inline literals.

Everything here is pure: it returns arrays or raises ParseError (ConvcliError for a terminal on
standard input); it never prints, never exits and never evaluates its input as code. Every
entry is read by ``tokens`` and every array built by ``numeric.array_of``, so all readers give
the kinds of the number model (int64, exact ints, Fractions, float64, complex128, symbols).

- ``resolve``: what an argument is (standard input, a file, a named kernel, an inline literal).
- ``source``: where text came from, locations for errors, raw bytes made text.
- ``grammar``: the text-grid grammar, once; ``grid`` its exact reader; ``fastgrid`` the
  optimisation that reads plain numbers with NumPy's C readers, or steps aside.
- ``inline``, ``json``, ``npy``: the other forms; ``brackets`` bracketed text that is not JSON
  (``[[1/2, 3]]``, numpy's printed arrays, MATLAB's ``[1 2; 3 4]``); ``tokens`` one entry;
  ``symbolic`` letters and expressions such as ``a*w+b*x``.
"""

from __future__ import annotations

from .grid import parse_text
from .inline import parse_inline
from .json import parse_json
from .npy import load_npy
from .resolve import STDIN_SOURCE, read_matrix
from .symbolic import symbols_note
from .tokens import parse_token

__all__ = [
    "STDIN_SOURCE",
    "read_matrix",
    "parse_text",
    "parse_json",
    "parse_inline",
    "parse_token",
    "load_npy",
    "symbols_note",
]
