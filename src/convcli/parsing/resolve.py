"""What a MATRIX argument is (README's "Reading matrices"), tried in this order: ``-`` (standard input), an
existing file (``.json``, ``.npy`` or a text grid), a named kernel, an inline literal. A lone
word that is none of these is refused with the file or kernel it resembles."""

from __future__ import annotations

import codecs
import os
import re
import stat
import sys
from collections.abc import Callable
from typing import IO, Any, AnyStr

import numpy as np

from convcli import numeric
from convcli.errors import ConvcliError, ParseError

from . import fastgrid
from .brackets import read_bracketed
from .grammar import BEFORE_CONTENT, content_start
from .grid import bytes_grid, text_grid
from .inline import parse_inline
from .npy import NPY_MAGIC, load_npy
from .source import (
    Source,
    clean_bytes,
    decode,
    is_terminal,
    normalise_text,
    os_reason,
    shown,
    shown_path,
)
from .tables import read_entry, read_table, table_kind

__all__ = ["STDIN_SOURCE", "read_matrix"]

STDIN_SOURCE = "<stdin>"

_PATH_SUFFIXES = (".txt", ".csv", ".tsv", ".dat", ".json", ".npy")
_NUMBERISH = re.compile(r"[0-9+\-./eEjJ\u2212]*")
_NAMEISH = re.compile(r"[A-Za-z][\w.:+-]*")


def read_matrix(
    arg: str,
    *,
    name: str = "A",
    stdin: IO[str] | None = None,
    exact: bool = False,
) -> np.ndarray:
    """Read the MATRIX argument ``arg`` of operand ``name`` (README's "Reading matrices").

    Tried in this order: ``-`` (standard input, text or JSON), an existing file (``.json``,
    ``.npy`` or a text grid), a named kernel, an inline literal. ``exact`` reads decimals as
    exact rationals. The result always has at least one dimension.
    """
    if arg == "-":
        return _read_stdin(sys.stdin if stdin is None else stdin, name, exact)
    if os.path.isdir(arg):
        raise ParseError(f'"{shown_path(arg)}" is a directory; expected a file holding a matrix', source=name)
    if os.path.exists(arg):
        return _read_file(arg, name, exact)
    # Named kernels come before inline literals (README lists them after): no number is a kernel
    # name, but a name such as "laplace" would otherwise read as a symbolic 1x1 matrix.
    kernel = _named_kernel(arg)
    if kernel is not None:
        return kernel
    missing = ParseError(
        f'no such file "{shown_path(arg)}", and it is not a matrix literal or a named kernel '
        '(expected a file, an inline matrix such as "1 2; 3 4", or a name from "convcli kernels")',
        source=name,
    )
    if _WORD.fullmatch(arg) and not _NUMBER_WORD.fullmatch(arg) and (len(arg) > 1 or _file_stem_exists(arg)):
        # A lone word is far more often a misspelt file or kernel name than a 1x1 symbolic
        # matrix: refuse it, and say how to write the symbol on purpose.
        raise ParseError(_unknown_word(arg), source=name)
    if _KERNELISH.fullmatch(arg) and _close_kernel_names(arg):
        # "prewit-x" or "sobel-z" is a misspelt kernel name, not the expression prewit minus x
        raise ParseError(_unknown_word(arg), source=name)
    if _surely_a_path(arg):
        raise missing  # "data/A" in an existing folder data is a file, not the expression data/A
    table = table_kind(arg) if "\n" in arg else None
    if table is not None:
        # a Markdown or LaTeX table pasted as an argument (--answer "$(cat r.tex)"), read as
        # from a file
        pasted = Source(f"{name} (inline)")
        return read_table(normalise_text(arg, pasted), pasted, exact, table)
    try:
        return parse_inline(arg, source=f"{name} (inline)", exact=exact)
    except ParseError:
        if _looks_like_path(arg):
            raise missing from None
        if _NAMEISH.fullmatch(arg):
            raise ParseError(
                f'"{shown(arg)}" is not a file, a matrix literal or a named kernel; '
                'expected a matrix such as "1 2; 3 4", a file, or a kernel from "convcli kernels"',
                source=name,
            ) from None
        raise


_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
# words that are numbers: a lone nan or inf is a 1 x 1 matrix
_NUMBER_WORD = re.compile(r"nan|inf|infinity", re.IGNORECASE)


def _file_stem_exists(word: str) -> bool:
    try:
        return any(os.path.splitext(f)[0] == word for f in os.listdir("."))
    except OSError:
        return False


# a kernel's name and its variant or size, as in sobel-x or box:3
_KERNELISH = re.compile(r"[A-Za-z]+[-:][A-Za-z0-9]+")


def _kernel_names() -> list[str]:
    from convcli.kernels import catalogue

    return list(dict.fromkeys([k.name for k in catalogue()] + [k.usage for k in catalogue()]))


def _close_kernel_names(word: str) -> list[str]:
    import difflib

    return difflib.get_close_matches(word, _kernel_names(), n=1)


def _unknown_word(word: str) -> str:
    import difflib

    names = _kernel_names()
    try:
        files = [f for f in os.listdir(".") if os.path.isfile(f)]
    except OSError:
        files = []
    # "sobel" is as close to sobel-x as to sobel-y: offer every kernel of that family
    family = [name for name in names if name.lower().startswith((word.lower() + "-", word.lower() + ":"))]
    close = family or difflib.get_close_matches(
        word, names + files + [os.path.splitext(f)[0] for f in files], n=1
    )
    hint = ""
    if close:
        guesses = [next((f for f in files if os.path.splitext(f)[0] == guess), guess) for guess in close]
        hint = f" (did you mean {' or '.join(guesses)}?)"
    return (
        f'"{word}" is not a file or a named kernel{hint}; to use it as a symbol, write it as a '
        f'matrix: "[{word}]"'
    )


def _from_bytes(
    data: bytes, src: Source, exact: bool, *, json_file: bool = False, named: str | None = None
) -> np.ndarray:
    """A file or standard input: a text grid, read from the bytes, unless it starts (past blank
    and comment lines) as another form does."""
    data = clean_bytes(data, src)
    first = _BYTES_BEFORE_CONTENT.match(data).end()  # type: ignore[union-attr]
    if json_file or named or data[first : first + 1] in _OTHER_FORMS:
        return _from_text(decode(data, src), src, exact, json_file=json_file, named=named)
    return bytes_grid(data, src, exact)


def _from_text(
    text: str, src: Source, exact: bool, *, json_file: bool = False, named: str | None = None
) -> np.ndarray:
    """Text of a file or standard input in any form: JSON, other bracketed text (read as the
    same text inline is, numbers only), a Markdown or LaTeX table as convcli writes them, or a
    text grid. A file named .md or .tex (``named``) may also hold one entry of its format, as
    convcli writes a single number, such as a symbolic elementwise-sum (``2 x + 12``)."""
    text = normalise_text(text, src)
    if json_file:
        return read_bracketed(text, src, exact, symbols=False, json_only=True)
    first = content_start(text)
    if text[first : first + 1] in ("[", "{", '"'):
        return read_bracketed(text, src, exact, symbols=False)
    kind = table_kind(text)
    if kind is not None:
        return read_table(text, src, exact, kind)
    try:
        return text_grid(text, src, exact)
    except ParseError:
        single = read_entry(text, exact, named) if named else None
        if single is None:
            raise
        return single


# the characters that start a form other than a text grid, past blank and comment lines
_BYTES_BEFORE_CONTENT = re.compile(BEFORE_CONTENT.encode())
_OTHER_FORMS = {b"[", b"{", b'"', b"|", b"\\", b"c", b"C"}


_NAMED_FORMS = {".md": "markdown", ".markdown": "markdown", ".tex": "latex"}


def _read_file(path: str, name: str, exact: bool) -> np.ndarray:
    lower = path.lower()
    named = _NAMED_FORMS.get(os.path.splitext(lower)[1])
    try:
        with open(path, "rb") as f:
            head = f.read(len(NPY_MAGIC))
            if head == NPY_MAGIC or lower.endswith(".npy"):
                return load_npy(path, source=path)
            if not lower.endswith(".json"):
                found = fastgrid.large_file(f, path, exact)
                if found is not None:
                    return found
            if stat.S_ISREG(os.fstat(f.fileno()).st_mode):
                f.seek(0)
                data = f.read()
            else:  # a device or a pipe: /dev/zero never ends
                data = _read_stream(f.read, Source(path), head)
    except OSError as exc:
        raise ParseError(f'cannot read "{shown_path(path)}": {os_reason(exc)}', source=name) from None
    return _from_bytes(data, Source(path), exact, json_file=lower.endswith(".json"), named=named)


_CHUNK = 1 << 20


def _read_stream(read: Callable[[int], AnyStr], src: Source, head: AnyStr | None = None) -> AnyStr:
    """All of a stream of unknown length (a pipe, a device), read in chunks: at most
    ``numeric.INPUT_BYTES``, and no further than a NUL byte or bytes that are not UTF-8, which
    end the reading at once (``yes``, /dev/zero and /dev/urandom never end by themselves)."""
    limit = numeric.INPUT_BYTES.value()
    chunks: list[Any] = [] if head is None else [head]
    size = 0 if head is None else len(head)
    utf8 = codecs.getincrementaldecoder("utf-8")()
    while True:
        chunk = read(min(_CHUNK, limit + 1 - size))
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
        if isinstance(chunk, bytes):
            try:
                utf8.decode(chunk)
                bad = b"\x00" in chunk
            except UnicodeDecodeError:
                bad = True
            if bad:  # the usual checks say where, on what has been read
                data = clean_bytes(b"".join(chunks), src)
                decode(data, src)
        elif "\x00" in chunk:
            normalise_text("".join(chunks), src)
        if size > limit:
            raise src.error(f"holds more than {limit:,} bytes; expected {numeric.INPUT_BYTES.words()}")
    return chunks[0][:0].join(chunks) if chunks else read(0)


def _read_stdin(stream: IO[str] | None, name: str, exact: bool) -> np.ndarray:
    if stream is None:
        raise ConvcliError(
            f"nothing is piped to standard input for operand {name} (standard input is closed)"
        )
    if is_terminal(stream):
        raise ConvcliError(
            f"nothing is piped to standard input for operand {name}; "
            '"-" reads a matrix from a pipe, e.g. echo "1 2; 3 4" | convcli ...'
        )
    src = Source(STDIN_SOURCE)
    try:
        buffer = getattr(stream, "buffer", None)
        raw: bytes | str = _read_stream(buffer.read if buffer is not None else stream.read, src)
    except (OSError, ValueError) as exc:
        raise ConvcliError(f"cannot read standard input for operand {name}: {exc}") from None
    if isinstance(raw, bytes):
        return _from_bytes(raw, src, exact, json_file=False)
    return _from_text(raw, src, exact)


def _named_kernel(arg: str) -> np.ndarray | None:
    """The named kernel ``arg`` (``box:3``, ``sobel-x``, ...), or None when there is none."""
    from convcli.kernels import named_kernel

    return named_kernel(arg)


def _surely_a_path(arg: str) -> bool:
    """A path whose folder exists, or with a data file's extension: never meant as a literal."""
    if _NUMBERISH.fullmatch(arg) or any(c.isspace() or c in ",;[" for c in arg):
        return False
    if arg.lower().endswith(_PATH_SUFFIXES):
        return True
    folder = os.path.dirname(arg)
    return bool(folder) and os.path.isdir(folder)


def _looks_like_path(arg: str) -> bool:
    if arg.lower().endswith(_PATH_SUFFIXES):
        return True
    if any(c.isspace() or c in ",;[" for c in arg):
        return False
    separators = {"/", os.sep} | ({os.altsep} if os.altsep else set())
    return any(s in arg for s in separators) and not _NUMBERISH.fullmatch(arg)
