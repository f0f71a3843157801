"""Read MATRIX arguments: text grids, JSON, ``.npy`` files, standard input and inline literals.

Everything here is pure. It returns arrays or raises ParseError (ConvcliError for a terminal on
standard input); it never prints, never exits and never evaluates its input as code. Entries are
read by ``numbers.parse_token`` and arrays built by ``numbers.array_of``, so every reader gives
the kinds of the number model (int64, exact ints, Fractions, float64, complex128, symbols).

Text grids have a fast path for the common case (ASCII integers or decimals): the whole input is
checked with byte-level scans and converted by NumPy's C parser. Whenever that path meets
anything it does not fully understand it steps aside, and the exact per-token reader produces
the value, or the error with its line and column.
"""

from __future__ import annotations

import io
import json
import math
import mmap
import os
import re
import stat
import sys
import tokenize
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO, Any

import numpy as np

from . import numbers
from .errors import ConvcliError, ParseError
from .model import Kind

__all__ = [
    "STDIN_SOURCE",
    "read_matrix",
    "parse_text",
    "parse_json",
    "parse_inline",
    "load_npy",
]

STDIN_SOURCE = "<stdin>"

_NPY_MAGIC = b"\x93NUMPY"
# .npy files larger than this are memory-mapped rather than read into memory
_MMAP_BYTES = 64 * 2**20
# NumPy's own limit on dimensions; deeper JSON nesting cannot be an array
_MAX_NDIM = 64
# lines at least this long (in bytes, on average) are converted one NumPy call per line, shorter
# ones in one call for the whole text, the numbers per line then counted by array scans
_WIDE_LINE = 512
# files at least this large are first tried in place, through a memory map
_DIRECT_BYTES = 1 << 20
_PATH_SUFFIXES = (".txt", ".csv", ".tsv", ".dat", ".json", ".npy")

_MINUS = "\u2212"
_MINUS_UTF8 = _MINUS.encode()
_BOM = "\ufeff"
_BOM_UTF8 = _BOM.encode()

_CHUNK = re.compile(r"\S+")
_GRID_SEPARATOR = re.compile(r"[,;]")
_INLINE_SEPARATOR = re.compile(r",")
_MATLAB = re.compile(r"\s*\[([^\[\]]*)\]\s*")
_LEADING_SPACE = re.compile(rb"[ \t\n\r\f\v]*")
_LEADING_TEXT_SPACE = re.compile(r"\s*")
_NUMBERISH = re.compile(r"[0-9+\-./eEjJ\u2212]*")
_NAMEISH = re.compile(r"[A-Za-z][\w.:+-]*")

_COMMAS_TO_SPACES = bytes.maketrans(b",", b" ")


# ---------------------------------------------------------------------------------------------
# public API


def read_matrix(
    arg: str,
    *,
    name: str = "A",
    stdin: IO[str] | None = None,
    exact: bool = False,
) -> np.ndarray:
    """Read the MATRIX argument ``arg`` of operand ``name`` (SPEC section 2).

    Tried in this order: ``-`` (standard input, text or JSON), an existing file (``.json``,
    ``.npy`` or a text grid), a named kernel, an inline literal. ``exact`` reads decimals as
    exact rationals. The result always has at least one dimension.
    """
    if arg == "-":
        return _read_stdin(sys.stdin if stdin is None else stdin, name, exact)
    if os.path.isdir(arg):
        raise ParseError(
            f'"{_shown_path(arg)}" is a directory; expected a file holding a matrix', source=name
        )
    if os.path.exists(arg):
        return _read_file(arg, name, exact)
    # Named kernels come before inline literals (SPEC lists them after): no number is a kernel
    # name, but a name such as "laplace" would otherwise read as a symbolic 1x1 matrix.
    kernel = _named_kernel(arg)
    if kernel is not None:
        return kernel
    missing = ParseError(
        f'no such file "{_shown_path(arg)}", and it is not a matrix literal or a named kernel '
        '(expected a file, an inline matrix such as "1 2; 3 4", or a name from "convcli kernels")',
        source=name,
    )
    if _WORD.fullmatch(arg) and (len(arg) > 1 or _file_stem_exists(arg)):
        # A lone word is far more often a misspelt file or kernel name than a 1x1 symbolic
        # matrix: refuse it, and say how to write the symbol on purpose.
        raise ParseError(_unknown_word(arg), source=name)
    if _surely_a_path(arg):
        raise missing  # "data/A" in an existing folder data is a file, not the expression data/A
    try:
        return parse_inline(arg, source=f"{name} (inline)", exact=exact)
    except ParseError:
        if _looks_like_path(arg):
            raise missing from None
        if _NAMEISH.fullmatch(arg):
            raise ParseError(
                f'"{_shown(arg)}" is not a file, a matrix literal or a named kernel; '
                'expected a matrix such as "1 2; 3 4", a file, or a kernel from "convcli kernels"',
                source=name,
            ) from None
        raise


_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def _file_stem_exists(word: str) -> bool:
    try:
        return any(os.path.splitext(f)[0] == word for f in os.listdir("."))
    except OSError:
        return False


def _unknown_word(word: str) -> str:
    import difflib

    from .kernels import catalogue

    names = [k.name for k in catalogue()] + [k.usage for k in catalogue()]
    try:
        files = [f for f in os.listdir(".") if os.path.isfile(f)]
    except OSError:
        files = []
    close = difflib.get_close_matches(word, names + files + [os.path.splitext(f)[0] for f in files], n=1)
    hint = ""
    if close:
        guess = close[0]
        guess = next((f for f in files if os.path.splitext(f)[0] == guess), guess)
        hint = f" (did you mean {guess}?)"
    return (
        f'"{word}" is not a file or a named kernel{hint}; to use it as a symbol, write it as a '
        f'matrix: "[{word}]"'
    )


def parse_text(text: str, *, source: str, exact: bool = False) -> np.ndarray:
    """Read a text grid: one row per line, a blank line between the blocks of a 3-D array.

    One row gives a 1-D array (as numpy.loadtxt does), several rows a 2-D one, several blocks a
    3-D one. Separators are whitespace, ``,`` and ``;``; ``#`` starts a comment.
    """
    return _grid_from_str(text, _Source(source), exact)


def parse_json(text: str, *, source: str, exact: bool = False) -> np.ndarray:
    """Read JSON: nested lists of numbers (or of strings such as ``"1/9"``), a single number, or
    an object whose ``"result"`` holds one of those (convcli's own ``--format json`` output)."""
    src = _Source(source)
    text = _normalise_text(text)
    return _json_array(_json_load(text, src), text, src, exact)


def parse_inline(text: str, *, source: str, exact: bool = False) -> np.ndarray:
    """Read an inline literal: ``"1 2; 3 4"``, ``"[[1,2],[3,4]]"``, ``"[1 2; 3 4]"``, ``"1,2,3"``.

    Rows are separated by ``;`` or newlines, entries by whitespace or ``,``. One row gives a
    1-D array.
    """
    text = _normalise_text(text)
    src = _Source(source, numbered="\n" in text)
    if not text.strip():
        raise src.error('expected a matrix such as "1 2; 3 4", found an empty argument')
    if "[" in text or text.lstrip().startswith("{"):
        try:
            document = _json_load(text, src)
        except ParseError:
            matlab = _MATLAB.fullmatch(text)
            if matlab is None:
                raise
            # blank out the brackets so that columns still count from the literal's start
            start, end = matlab.start(1), matlab.end(1)
            blanked = text[: start - 1] + " " + text[start:end] + " " + text[end + 1 :]
            return _inline_rows(blanked, src, exact, shown=text)
        return _json_array(document, text, src, exact)
    return _inline_rows(text, src, exact)


def load_npy(path: str | os.PathLike[str], *, source: str) -> np.ndarray:
    """Read a NumPy ``.npy`` file without pickles, memory-mapped when large.

    bool and integers become int64 (uint64 values beyond int64 become exact Python ints),
    floats float64 and complex numbers complex128; a float64 array is returned without a copy.
    """
    try:
        size = os.path.getsize(path)
        with open(path, "rb") as f:
            if f.read(len(_NPY_MAGIC)) != _NPY_MAGIC:
                f.seek(0)
                hint = " (a .npz archive; save one array with numpy.save)" if f.read(2) == b"PK" else ""
                raise ParseError(f"expected a NumPy .npy file, found no .npy header{hint}", source=source)
            f.seek(0)
            version = np.lib.format.read_magic(f)
            if version == (1, 0):
                shape, _, dtype = np.lib.format.read_array_header_1_0(f)
            else:
                shape, _, dtype = np.lib.format.read_array_header_2_0(f)
            data_bytes = size - f.tell()
    except OSError as exc:
        raise ParseError(f"cannot read the file: {_os_reason(exc)}", source=source) from None
    except (ValueError, SyntaxError, TypeError, tokenize.TokenError, RecursionError) as exc:
        # numpy reads the header's dictionary with Python's tokenizer, which has errors of its own
        reason = _shown(str(exc).splitlines()[0] if str(exc) else type(exc).__name__, 100)
        raise ParseError(
            f"expected a .npy file written by numpy.save, found a damaged header ({reason})",
            source=source,
        ) from None
    if dtype.kind not in "biufc":
        raise ParseError(
            f"holds {_dtype_words(dtype)} (dtype {dtype}); expected numbers: bool, integer, float or complex",
            source=source,
        )
    # the header's word is checked against the file and the memory before anything is allocated
    if any(n < 0 for n in shape):
        raise ParseError(
            f"expected a .npy file written by numpy.save, found a damaged header (shape {shape})",
            source=source,
        )
    if math.prod(shape) == 0:
        raise ParseError(
            f"expected at least one number, found an empty array of shape {tuple(shape)}", source=source
        )
    need = math.prod(shape) * dtype.itemsize
    if need > data_bytes:
        raise ParseError(
            f"cannot read the array of shape {_shape_text(shape)} (its header asks for {need:,} bytes of "
            f"{dtype.name}, the file holds {max(data_bytes, 0):,}); "
            "expected a complete .npy file (is it truncated?)",
            source=source,
        )
    numbers.check_allocation(tuple(shape), _NPY_KINDS[dtype.kind], f"the array in {source}")
    try:
        array = np.load(path, mmap_mode="r" if size > _MMAP_BYTES else None, allow_pickle=False)
    except (OSError, ValueError, EOFError) as exc:
        raise ParseError(
            f"cannot read the array of shape {_shape_text(shape)} ({exc}); "
            "expected a complete .npy file (is it truncated?)",
            source=source,
        ) from None
    return _npy_numbers(array, source)


# ---------------------------------------------------------------------------------------------
# sources, messages and single numbers


@dataclass(frozen=True)
class _Source:
    """Where text came from. A one-line inline literal is located by column alone."""

    name: str
    numbered: bool = True

    def error(
        self,
        message: str,
        *,
        line: int | None = None,
        column: int | None = None,
        line_text: str | None = None,
    ) -> ParseError:
        return ParseError(
            message,
            source=self.name,
            line=line if self.numbered else None,
            column=column,
            line_text=line_text,
        )


class _Bad(Exception):
    """A problem at ``offset`` (0-based) of the line being read; the caller adds the line."""

    def __init__(self, offset: int, reason: str) -> None:
        super().__init__(reason)
        self.offset = offset
        self.reason = reason


def _shown(token: str, limit: int = 40) -> str:
    """``token`` as quoted in a message: shortened, with control characters escaped."""
    if len(token) > limit:
        token = token[: limit - 3] + "..."
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in token)


def _shown_path(path: str) -> str:
    return _shown(path, 300)


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _read_number(token: str, exact: bool, symbols: bool = True) -> Any:
    """One entry, or ValueError whose message is the user-facing reason (quoting ``token``)."""
    plain = token.replace(_MINUS, "-")
    try:
        return numbers.parse_token(plain, exact=exact, symbols=symbols)
    except ValueError as exc:
        reason = str(exc)
    if reason.startswith("Exceeds the limit"):
        # Python refuses to convert such long digit strings at all
        raise ValueError(
            f'"{_shown(token)}" has too many digits; expected at most {sys.get_int_max_str_digits()} digits'
        )
    reason = reason.replace(f'"{plain}"', f'"{_shown(token)}"')
    if reason.endswith("divides by zero"):
        reason += "; expected p/q with q not 0"
    raise ValueError(reason)


def _array(values: list[Any], shape: tuple[int, ...], where: Any) -> np.ndarray:
    """``numbers.array_of``, turning an entry too large for float64 into a located error.

    ``where(k, reason)`` returns the ParseError for the ``k``-th value.
    """
    try:
        return numbers.array_of(values, shape)
    except OverflowError:
        pass
    for k, value in enumerate(values):
        if isinstance(value, bool | float | complex):
            continue
        try:
            float(value)
        except OverflowError:
            raise where(
                k,
                f'"{_shown(numbers.format_number(value))}" is too large for a float64 (the largest '
                "is about 1.8e308), the type of every entry once any entry is a decimal or complex "
                "(--exact reads decimals exactly)",
            ) from None
    raise AssertionError("an OverflowError without an entry that overflows")  # pragma: no cover


def _normalise_text(text: str) -> str:
    if text.startswith(_BOM):
        text = text[1:]
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text


def _location(text: str, offset: int) -> tuple[int, int, str]:
    """Line, column (1-based, in characters) and the text of the line holding ``offset``."""
    start = text.rfind("\n", 0, offset) + 1
    end = text.find("\n", offset)
    if end < 0:
        end = len(text)
    return text.count("\n", 0, offset) + 1, offset - start + 1, text[start:end]


def _shape_text(shape: tuple[int, ...]) -> str:
    return "x".join(map(str, shape)) if shape else "() (a single number)"


def _os_reason(exc: OSError) -> str:
    return (exc.strerror or str(exc)).lower()


# ---------------------------------------------------------------------------------------------
# bytes: files and standard input


def _clean_bytes(data: bytes, src: _Source) -> bytes:
    """Refuse UTF-16 and NUL bytes; drop a UTF-8 byte order mark; make every line end ``\\n``."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise src.error(
            "expected UTF-8 text, found UTF-16 (it starts with a UTF-16 byte order mark); "
            "save the file as UTF-8",
            line=1,
        )
    if data.startswith(_BOM_UTF8):
        data = data[len(_BOM_UTF8) :]
    if b"\r" in data:
        data = data.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
    nul = data.find(b"\x00")
    if nul >= 0:
        raise _nul_error(src, *_byte_location(data, nul))
    return data


def _byte_location(data: bytes, offset: int) -> tuple[int, int, str]:
    start = data.rfind(b"\n", 0, offset) + 1
    end = data.find(b"\n", offset)
    if end < 0:
        end = len(data)
    column = len(data[start:offset].decode("utf-8", "replace")) + 1
    return data.count(b"\n", 0, offset) + 1, column, data[start:end].decode("utf-8", "replace")


def _decode(data: bytes, src: _Source) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line, column, line_text = _byte_location(data, exc.start)
        bad = " ".join(f"0x{b:02x}" for b in data[exc.start : exc.end])
        word = "byte" if exc.end - exc.start == 1 else "bytes"
        raise src.error(
            f"expected UTF-8 text, found the {word} {bad}",
            line=line,
            column=column,
            line_text=line_text,
        ) from None


def _looks_like_json(first: bytes | str) -> bool:
    return first in (b"[", b"{", "[", "{")


def _from_bytes(data: bytes, src: _Source, exact: bool, *, json_file: bool) -> np.ndarray:
    data = _clean_bytes(data, src)
    first = _LEADING_SPACE.match(data).end()  # type: ignore[union-attr]
    if json_file or _looks_like_json(data[first : first + 1]):
        text = _decode(data, src)
        return _json_array(_json_load(text, src), text, src, exact)
    return _grid_from_bytes(data, src, exact)


def _read_file(path: str, name: str, exact: bool) -> np.ndarray:
    lower = path.lower()
    try:
        with open(path, "rb") as f:
            head = f.read(len(_NPY_MAGIC))
            if head == _NPY_MAGIC or lower.endswith(".npy"):
                return load_npy(path, source=path)
            if not lower.endswith(".json"):
                found = _large_plain_file(f, path, exact)
                if found is not None:
                    return found
            if f.seekable():
                f.seek(0)
                data = f.read()
            else:
                data = head + f.read()
    except OSError as exc:
        raise ParseError(f'cannot read "{_shown_path(path)}": {_os_reason(exc)}', source=name) from None
    return _from_bytes(data, _Source(path), exact, json_file=lower.endswith(".json"))


def _large_plain_file(f: IO[bytes], path: str, exact: bool) -> np.ndarray | None:
    """A large file of plain numbers read without first copying it into memory; or None.

    The file is checked in place through a memory map. Integers in long lines are then
    converted line by line from the map into the result; other files go to numpy.loadtxt by
    path, which reads a file in chunks, faster than it can be fed any text held in memory. Whenever
    in doubt this returns None, and the file is read as usual: by the exact reader, or the
    fast path of ``_fast_grid``, which knows about comments, separators and line ends.
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
        end = len(text)
        while end and text[end - 1] in _ASCII_SPACE:
            end -= 1
        begin = 0
        while begin < end and text[begin] in _ASCII_SPACE:
            begin += 1
        if begin == end:
            return None
        sample = text[begin : begin + (1 << 16)]
        wide = len(sample) >= _WIDE_LINE * (sample.count(b"\n") + 1)
        # a point in a number (not in a comment) makes every entry a float64
        point = text.find(b".")
        if point < 0:
            if wide:
                return _integer_lines(text, begin, end)
            dtype: type = np.int64
        elif exact or text.find(b"#", text.rfind(b"\n", 0, point) + 1, point) >= 0:
            return None
        else:
            dtype = np.float64
        # loadtxt skips a blank line, but a blank line starts a new block. With many short
        # lines and no comment, counting the lines (all must come back as rows) costs less
        # than looking for one.
        rows = None
        if wide or text.find(b"#") >= 0:
            if _has_blank_line(text, begin, end, wide):
                return None
        else:
            lines = np.frombuffer(text, np.uint8, count=end - begin, offset=begin) == ord("\n")
            rows = np.count_nonzero(lines) + 1
            del lines
    return _loadtxt_path(path, dtype, rows)


def _loadtxt_path(path: str, dtype: type, rows: int | None) -> np.ndarray | None:
    """numpy.loadtxt on the path of a file of one block of numbers (of ``rows`` rows if given).

    encoding="ascii" makes anything non-ASCII (a byte order mark, a Unicode minus sign) an
    error, and loadtxt refuses every token that parse_token would not read as ``dtype``, such
    as ``1,2`` or a lone sign, and integers beyond int64; it only reads a decimal beyond float64
    as inf.
    """
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            values = np.loadtxt(path, dtype=dtype, comments="#", ndmin=2, encoding="ascii")
    except (ValueError, Warning):  # UnicodeDecodeError is a ValueError
        return None
    if rows is not None and values.shape[0] != rows:
        return None  # a blank line between blocks
    if dtype is np.float64 and np.isinf(values).any():
        return None  # inf as written, or a decimal too large: the usual reader tells them apart
    return values.reshape(-1) if values.shape[0] == 1 else values


def _integer_lines(text: Any, begin: int, end: int) -> np.ndarray | None:
    """Integers in long lines of ``text`` (a memory map), one fromstring call per line.

    fromstring refuses anything but whitespace-separated integers (a comment, a separator, a
    point); what it would misread is ruled out as in ``_fast_grid``.
    """
    if text[begin:end].translate(None, _FAST_BYTES):
        return None  # a byte no number has: fromstring would fail, after reading up to it
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
    blocks.append(count)
    with warnings.catch_warnings():
        warnings.simplefilter("error", DeprecationWarning)
        try:
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
        except (ValueError, DeprecationWarning):
            return None
    if out.max() == numbers.INT64_MAX or out.min() == -numbers.INT64_MAX - 1:
        return None  # fromstring saturates: the value may lie beyond int64
    return out.reshape(shape)


def _read_stdin(stream: IO[str] | None, name: str, exact: bool) -> np.ndarray:
    if stream is None:
        raise ConvcliError(
            f"nothing is piped to standard input for operand {name} (standard input is closed)"
        )
    try:
        tty = stream.isatty()
    except (AttributeError, ValueError, OSError):
        tty = False
    if tty:
        raise ConvcliError(
            f"nothing is piped to standard input for operand {name}; "
            '"-" reads a matrix from a pipe, e.g. echo "1 2; 3 4" | convcli ...'
        )
    try:
        buffer = getattr(stream, "buffer", None)
        raw: bytes | str = buffer.read() if buffer is not None else stream.read()
    except (OSError, ValueError) as exc:
        raise ConvcliError(f"cannot read standard input for operand {name}: {exc}") from None
    src = _Source(STDIN_SOURCE)
    if isinstance(raw, bytes):
        return _from_bytes(raw, src, exact, json_file=False)
    text = _normalise_text(raw)
    first = _LEADING_TEXT_SPACE.match(text).end()  # type: ignore[union-attr]
    if _looks_like_json(text[first : first + 1]):
        return _json_array(_json_load(text, src), text, src, exact)
    return _grid_from_str(text, src, exact)


def _named_kernel(arg: str) -> np.ndarray | None:
    """The named kernel ``arg`` (``box:3``, ``sobel-x``, ...), or None when there is none."""
    from .kernels import named_kernel

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


# ---------------------------------------------------------------------------------------------
# text grids: the exact reader


def _tokens(content: str, separators: re.Pattern[str]) -> list[tuple[int, str]]:
    """The entries of one line as (0-based offset, text).

    Whitespace splits the line into chunks and ``separators`` split each chunk. One separator
    at either end of a chunk is fine (``1, 2,``); an empty entry between two is an error for
    the whole chunk (``1,,2``).
    """
    out = []
    for m in _CHUNK.finditer(content):
        chunk = m.group()
        pieces = separators.split(chunk)
        if len(pieces) > 2 and not all(pieces[1:-1]):
            raise _Bad(m.start(), f'expected a number, found "{_shown(chunk)}"')
        offset = m.start()
        for piece in pieces:
            if piece:
                out.append((offset, piece))
            offset += len(piece) + 1
    return out


_LONG_ROW = 1 << 16
_PLAIN_CHARS = re.compile(r"[ \t0-9+\-.]*+")
# digits, signs and points as d, s and p, so that misplaced ones are found by substring search
_CHAR_CLASSES = bytes.maketrans(b"0123456789+-.\t", b"ddddddddddssp ")
_MISPLACED = (b"ds", b"ps", b"ss", b"s ", b" p ", b"sp ", b"pp")
_TWO_POINTS = re.compile(rb"pd*+p")
_LONG_ENTRY = b"d" * 300


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


def _row(
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
                rest = _tokens(content[skip:], separators)
            except _Bad as bad:
                raise _Bad(skip + bad.offset, bad.reason) from None
            for offset, token in rest:
                try:
                    _read_number(token, exact, symbols)
                except ValueError as exc:
                    raise _Bad(skip + offset, str(exc)) from None
    tokens = _tokens(content, separators)
    if not tokens:
        stray = _CHUNK.search(content)
        if stray is not None:
            raise _Bad(stray.start(), f'expected a number, found "{_shown(stray.group())}"')
        return [], 0
    values = []
    for offset, token in tokens:
        try:
            values.append(_read_number(token, exact, symbols))
        except ValueError as exc:
            raise _Bad(offset, str(exc)) from None
    last_offset, last = tokens[-1]
    return values, last_offset + len(last)


def _ragged(
    src: _Source,
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
        column = _tokens(content, separators)[expected][0] + 1
    else:
        column = end + 1
    return src.error(
        f"{what} has {_plural(found, 'number')}, expected {expected} like {reference}",
        line=line,
        column=offset + column,
        line_text=line_text,
    )


def _grid_lines(text: str) -> Iterator[tuple[int, str, str, bool]]:
    """(line number, line, content before any comment, has a comment) for each line."""
    for number, line in enumerate(text.split("\n"), 1):
        cut = line.find("#")
        yield number, line, (line if cut < 0 else line[:cut]), cut >= 0


def _span(first: int, last: int) -> str:
    return f"line {first}" if first == last else f"lines {first}-{last}"


def _grid_slow(text: str, src: _Source, exact: bool) -> np.ndarray:
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
    for number, line, content, commented in _grid_lines(text):
        try:
            row, end = _row(content, _GRID_SEPARATOR, exact, symbols=False)
        except _Bad as bad:
            raise src.error(bad.reason, line=number, column=bad.offset + 1, line_text=line) from None
        if not row:
            if not commented:
                close_block()
            continue
        if not rows:
            first_line, width, ref_line = number, len(row), number
        elif len(row) != width:
            raise _ragged(
                src,
                f"line {number}",
                content,
                line,
                number,
                len(row),
                end,
                width,
                f"line {ref_line}",
                _GRID_SEPARATOR,
            )
        rows += 1
        last_line = number
        values.extend(row)
    close_block()
    if not blocks:
        what = "the input is empty" if not text.strip() else "only comments and blank lines"
        raise src.error(f"expected rows of numbers, found none ({what})")
    r, c = blocks[0][2:]
    if len(blocks) > 1:
        shape: tuple[int, ...] = (len(blocks), r, c)
    elif r > 1:
        shape = (r, c)
    else:
        shape = (c,)

    def where(k: int, reason: str) -> ParseError:
        seen = 0
        for number, line, content, _ in _grid_lines(text):
            tokens = _tokens(content, _GRID_SEPARATOR)
            if k < seen + len(tokens):
                return src.error(reason, line=number, column=tokens[k - seen][0] + 1, line_text=line)
            seen += len(tokens)
        return src.error(reason)  # pragma: no cover

    return _array(values, shape, where)


# ---------------------------------------------------------------------------------------------
# text grids: entry points and the fast path


def _nul_error(src: _Source, line: int, column: int, line_text: str) -> ParseError:
    return src.error(
        "expected text, found a NUL byte (is this a binary file?)",
        line=line,
        column=column,
        line_text=line_text,
    )


def _grid_from_str(text: str, src: _Source, exact: bool) -> np.ndarray:
    text = _normalise_text(text)
    nul = text.find("\x00")
    if nul >= 0:
        raise _nul_error(src, *_location(text, nul))
    plain = text.replace(_MINUS, "-") if _MINUS in text else text
    if plain.isascii():
        fast = _fast_grid(plain.encode("ascii"), exact)
        if fast is not None:
            return fast
    return _grid_slow(text, src, exact)


def _grid_from_bytes(data: bytes, src: _Source, exact: bool) -> np.ndarray:
    """A text grid from bytes already through ``_clean_bytes``."""
    plain = data
    ascii = data.isascii()
    if not ascii and _MINUS_UTF8 in data:
        plain = data.replace(_MINUS_UTF8, b"-")
        ascii = plain.isascii()
    if ascii:
        fast = _fast_grid(plain, exact)
        if fast is not None:
            return fast
    return _grid_slow(_decode(data, src), src, exact)


def _drop_comments(data: bytes) -> bytes:
    """Remove ``#`` comments. A line holding only a comment goes entirely, newline and all,
    since it does not separate blocks the way a blank line does."""
    parts = []
    pos = 0
    while (cut := data.find(b"#", pos)) >= 0:
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


def _fast_grid(data: bytes, exact: bool) -> np.ndarray | None:
    """An ASCII grid of plain integers or decimals, read by NumPy's C readers.

    ``data`` has ``\\n`` line ends and no NUL byte. Returns None whenever the exact reader must
    decide: anything unusual, and every error. Decimals go through numpy.loadtxt, whose tokens
    (whitespace-separated: a sign, digits, a point, an exponent, or nan/inf/infinity) are the
    ones parse_token reads as floats; it only needs a check for decimals too large for float64,
    which it reads as inf. Integers go through numpy.fromstring, faster than loadtxt for them
    but laxer: it reads a lone ``-`` as 0 and ``- 5`` as -5, and saturates values beyond int64.
    Both need the separator rules checked: no empty entry between two separators, no line of
    separators alone.
    """
    if b"#" in data:
        data = _drop_comments(data)
    if b";" in data:
        data = data.replace(b";", b",")  # the two separators are the same in a text grid
    if b"," in data:
        if b",," in data or _separators_only_line(data):
            return None
        data = data.translate(_COMMAS_TO_SPACES)
    if data.translate(None, _FAST_BYTES):
        return None  # a byte no number here has: the C readers would fail, after reading up to it
    is_int = not any(c in data for c in b".eEnNiI")
    if not is_int and exact:
        return None
    # judge the line length from a sample: counting every newline would cost a pass
    sample = min(len(data), 1 << 16)
    wide = sample >= _WIDE_LINE * (data.count(b"\n", 0, sample) + 1)
    with warnings.catch_warnings():
        # NumPy before 2.3 warns (rather than raising) when fromstring leaves text unread;
        # loadtxt warns about input without data
        warnings.simplefilter("error")
        try:
            if not is_int:
                found = _floats_by_block(data, wide)
            elif wide:
                found = _ints_by_line(data)
            else:
                found = _ints_whole(data)
        except (ValueError, Warning):
            return None
    if found is None:
        return None
    values, shape = found
    if is_int:
        if values.max() == numbers.INT64_MAX or values.min() == -numbers.INT64_MAX - 1:
            return None  # fromstring saturates: the value may lie beyond int64
    else:
        infinite = np.count_nonzero(np.isinf(values))
        if infinite and infinite != data.lower().count(b"inf"):
            return None  # a decimal too large for float64, not an inf written as such
    return values.reshape(shape)


# the bytes of the entries the fast path reads (and nan, inf, infinity) and of whitespace
_FAST_BYTES = b"0123456789+-.eEnNaAiIfFtTyY \t\n\v\f\x1c\x1d\x1e\x1f"
_SPACE = rb"[ \t\v\f\x1c-\x1f]"
_SEPARATORS_ONLY = re.compile(rb"\n" + _SPACE + rb"*,[ \t\v\f\x1c-\x1f,]*(?=\n|\Z)")
# a line of whitespace alone ends a block; the leading newline lets the search skip ahead fast
_BLANK_LINE = re.compile(rb"\n" + _SPACE + rb"*\n")
_ONLY_SPACE = re.compile(rb"[ \t\n\v\f\x1c-\x1f]*")


def _separators_only_line(data: bytes) -> bool:
    first = data.split(b"\n", 1)[0]
    return bool(_SEPARATORS_ONLY.match(b"\n" + first) or _SEPARATORS_ONLY.search(data))


def _grid_shape(blocks: list[int], width: int) -> tuple[int, ...] | None:
    if not blocks or any(rows != blocks[0] for rows in blocks):
        return None
    if len(blocks) > 1:
        return (len(blocks), blocks[0], width)
    return (blocks[0], width) if blocks[0] > 1 else (width,)


_ASCII_SPACE = b" \t\n\v\f\x1c\x1d\x1e\x1f"


def _has_blank_line(text: Any, begin: int, end: int, wide: bool) -> bool:
    """Whether a line of whitespace alone lies between offsets ``begin`` and ``end``."""
    if not wide:
        return _BLANK_LINE.search(text, begin, end) is not None
    # few, long lines: visiting each newline costs less than a regular-expression scan
    at = text.find(b"\n", begin, end)
    while at >= 0:
        after = text.find(b"\n", at + 1, end)
        if _ONLY_SPACE.fullmatch(text, at + 1, end if after < 0 else after):
            return True
        at = after
    return False


def _split_blocks(data: bytes, wide: bool) -> list[bytes]:
    """``data`` cut at its blank lines, keeping only the pieces that hold something."""
    if not wide:
        pieces = _BLANK_LINE.split(data)
    else:
        # few, long lines: visiting each newline costs less than a regular-expression scan
        pieces = []
        start = 0
        at = data.find(b"\n")
        while at >= 0:
            after = data.find(b"\n", at + 1)
            end = len(data) if after < 0 else after
            if _ONLY_SPACE.fullmatch(data, at + 1, end):
                pieces.append(data[start:at])
                start = end
            at = after
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


def _ints_by_line(data: bytes) -> tuple[np.ndarray, tuple[int, ...]] | None:
    """Integers through one fromstring call per line, for long lines."""
    if _sign_without_digit(data):
        return None
    rows: list[np.ndarray] = []
    blocks: list[int] = []
    count = 0
    width = -1
    for line in data.split(b"\n"):
        if not line or line.isspace():
            if count:
                blocks.append(count)
                count = 0
            continue
        row = np.fromstring(line, dtype=np.int64, sep=" ")
        if width < 0:
            width = row.size
        elif row.size != width:
            return None
        rows.append(row)
        count += 1
    if count:
        blocks.append(count)
    shape = _grid_shape(blocks, width)
    if shape is None:
        return None
    return (np.concatenate(rows) if len(rows) > 1 else rows[0]), shape


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
    end = len(data)
    while end and data[end - 1] in b" \t\n\v\f":
        end -= 1
    begin = 0
    while begin < end and data[begin] in b" \t\n\v\f":
        begin += 1
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
            return values, ((lines, width) if lines > 1 else (width,))
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
    if shape is None:
        return None
    return values, shape


# ---------------------------------------------------------------------------------------------
# inline literals


def _inline_rows(text: str, src: _Source, exact: bool, shown: str | None = None) -> np.ndarray:
    """Rows split at ``;`` and newlines. ``shown`` is the literal as written, when ``text``
    differs from it (MATLAB brackets blanked out), for the line shown under an error."""
    values: list[Any] = []
    width = 0
    rows = 0
    shown_lines = (text if shown is None else shown).split("\n")
    for number, line in enumerate(text.split("\n"), 1):
        line_text = shown_lines[number - 1]
        offset = 0
        for segment in line.split(";"):
            try:
                row, end = _row(segment, _INLINE_SEPARATOR, exact)
            except _Bad as bad:
                raise src.error(
                    bad.reason, line=number, column=offset + bad.offset + 1, line_text=line_text
                ) from None
            if row:
                if not rows:
                    width = len(row)
                elif len(row) != width:
                    raise _ragged(
                        src,
                        f"row {rows + 1}",
                        segment,
                        line_text,
                        number,
                        len(row),
                        end,
                        width,
                        "row 1",
                        _INLINE_SEPARATOR,
                        offset,
                    )
                rows += 1
                values.extend(row)
            offset += len(segment) + 1
    if not rows:
        raise src.error('expected a matrix such as "1 2; 3 4", found no numbers')
    shape = (rows, width) if rows > 1 else (width,)

    def where(k: int, reason: str) -> ParseError:
        seen = 0
        for number, line in enumerate(text.split("\n"), 1):
            offset = 0
            for segment in line.split(";"):
                tokens = _tokens(segment, _INLINE_SEPARATOR)
                if k < seen + len(tokens):
                    column = offset + tokens[k - seen][0] + 1
                    line_text = shown_lines[number - 1]
                    return src.error(reason, line=number, column=column, line_text=line_text)
                seen += len(tokens)
                offset += len(segment) + 1
        return src.error(reason)  # pragma: no cover

    return _array(values, shape, where)


# ---------------------------------------------------------------------------------------------
# JSON


class _JsonNumber(str):
    """A JSON number, kept as its text so that parse_token reads it (exactly, with --exact)."""


_JSON_CONSTANTS = {"NaN": "nan", "Infinity": "inf", "-Infinity": "-inf"}
_JSON_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{},:]|[^\s\[\]{},:"]+', re.S)
_JSON_BRACKET = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}]', re.S)


def _json_constant(name: str) -> _JsonNumber:
    return _JsonNumber(_JSON_CONSTANTS[name])


def _json_syntax(message: str) -> str:
    if message.startswith("Expecting "):
        return "invalid JSON, expected " + message[len("Expecting ") :]
    if message == "Extra data":
        return "invalid JSON, expected the end of the input after the value"
    if message.startswith("Unterminated string"):
        return "invalid JSON, expected a closing quote for the string that starts here"
    if message.startswith("Invalid control character"):
        return "invalid JSON, expected an escape such as \\n instead of a control character"
    if message.startswith("Invalid") and "escape" in message:
        return "invalid JSON, expected a valid escape after \\"
    return "invalid JSON: " + message[:1].lower() + message[1:]


def _json_load(text: str, src: _Source) -> Any:
    if not text.strip():
        raise src.error("expected rows of numbers, found none (the input is empty)")
    try:
        return json.loads(
            text,
            parse_int=_JsonNumber,
            parse_float=_JsonNumber,
            parse_constant=_json_constant,
        )
    except json.JSONDecodeError as exc:
        line, column, line_text = _location(text, exc.pos)
        raise src.error(_json_syntax(exc.msg), line=line, column=column, line_text=line_text) from None
    except RecursionError:
        pass
    raise _json_too_deep(text, src, _json_depth_offset(text))


def _json_too_deep(text: str, src: _Source, offset: int | None) -> ParseError:
    message = f"expected at most {_MAX_NDIM} levels of nested lists, found deeper nesting"
    if offset is None:
        return src.error(message)
    line, column, line_text = _location(text, offset)
    return src.error(message, line=line, column=column, line_text=line_text)


def _json_depth_offset(text: str) -> int | None:
    """Where the nesting first goes deeper than ``_MAX_NDIM`` levels."""
    depth = 0
    for m in _JSON_BRACKET.finditer(text):
        c = m.group()[0]
        if c in "[{":
            depth += 1
            if depth > _MAX_NDIM:
                return m.start()
        elif c in "]}":
            depth -= 1
    return None


def _json_offset(text: str, path: tuple[int | str, ...]) -> int | None:
    """Where the value at ``path`` starts in the (valid) JSON ``text``."""
    target = list(path)
    stack: list[list[Any]] = []  # per open container: [is a list, index or key, key expected]
    for m in _JSON_TOKEN.finditer(text):
        token = m.group()
        c = token[0]
        if c in "]}":
            stack.pop()
            continue
        if c == ",":
            top = stack[-1]
            if top[0]:
                top[1] += 1
            else:
                top[2] = True
            continue
        if c == ":":
            continue
        if stack and not stack[-1][0] and stack[-1][2]:
            stack[-1][1] = json.loads(token)
            stack[-1][2] = False
            continue
        if [frame[1] for frame in stack] == target:
            return m.start()
        if c == "[":
            stack.append([True, 0, False])
        elif c == "{":
            stack.append([False, None, True])
    return None  # pragma: no cover


def _json_path(path: tuple[int | str, ...]) -> str:
    return "".join(f"[{p}]" if isinstance(p, int) else f'["{p}"]' for p in path)


def _json_describe(node: Any) -> str:
    if node is True:
        return "true"
    if node is False:
        return "false"
    if node is None:
        return "null"
    if isinstance(node, _JsonNumber):
        return f"the number {_shown(node)}"
    if isinstance(node, str):
        return f'the string "{_shown(node)}"'
    if isinstance(node, list):
        return f"a list of {len(node)}"
    return "an object"


def _json_array(document: Any, text: str, src: _Source, exact: bool) -> np.ndarray:
    root: tuple[int | str, ...] = ()

    def fail(path: tuple[int | str, ...], message: str) -> ParseError:
        offset = _json_offset(text, root + path)
        if offset is None:  # pragma: no cover
            return src.error(message)
        line, column, line_text = _location(text, offset)
        return src.error(message, line=line, column=column, line_text=line_text)

    if isinstance(document, dict):
        if "result" not in document:
            keys = ", ".join(f'"{_shown(k)}"' for k in list(document)[:5]) or "none"
            raise fail(
                (),
                'expected nested lists of numbers or an object with a "result" key, '
                f"found an object with keys {keys}",
            )
        document = document["result"]
        root = ("result",)
    at = _json_path(root)

    shape: list[int] = []
    node = document
    while isinstance(node, list):
        if len(shape) == _MAX_NDIM:
            raise _json_too_deep(text, src, _json_depth_offset(text))
        shape.append(len(node))
        if not node:
            break
        node = node[0]
    if shape and shape[-1] == 0:
        path = (0,) * (len(shape) - 1)
        where = f" at {at}{_json_path(path)}" if at or path else ""
        raise fail(path, f"expected at least one number, found an empty list{where}")

    level = [document]
    for depth, size in enumerate(shape):
        below: list[Any] = []
        for k, node in enumerate(level):
            if not isinstance(node, list) or len(node) != size:
                path = tuple(int(i) for i in np.unravel_index(k, shape[:depth]))
                like = at + _json_path((0,) * depth)
                raise fail(
                    path,
                    f"expected a list of {size} at {at}{_json_path(path)} (like {like}), "
                    f"found {_json_describe(node)}",
                )
            below.extend(node)
        level = below

    values = []
    for k, leaf in enumerate(level):
        if isinstance(leaf, str):
            try:
                values.append(_read_number(leaf, exact))
                continue
            except ValueError as exc:
                reason = str(exc)
        else:
            reason = f"expected a number, found {_json_describe(leaf)}"
        path = tuple(int(i) for i in np.unravel_index(k, shape)) if shape else ()
        raise fail(path, _json_at(reason, at + _json_path(path)))

    def where(k: int, reason: str) -> ParseError:
        path = tuple(int(i) for i in np.unravel_index(k, shape)) if shape else ()
        return fail(path, _json_at(reason, at + _json_path(path)))

    return _array(values, tuple(shape) or (1,), where)


def _json_at(reason: str, path: str) -> str:
    if not path:
        return reason
    head = "expected a number, "
    if reason.startswith(head):
        return f"expected a number at {path}, {reason[len(head) :]}"
    return f"{reason} (at {path})"


# ---------------------------------------------------------------------------------------------
# .npy


def _dtype_words(dtype: np.dtype) -> str:
    return {
        "O": "Python objects",
        "U": "strings",
        "S": "byte strings",
        "V": "records",
        "M": "dates",
        "m": "time spans",
    }.get(dtype.kind, "non-numbers")


_NPY_KINDS = {"b": Kind.INTEGER, "i": Kind.INTEGER, "u": Kind.INTEGER, "f": Kind.FLOAT, "c": Kind.COMPLEX}


def _npy_numbers(array: np.ndarray, source: str) -> np.ndarray:
    kind = array.dtype.kind
    if kind == "b":
        array = array.astype(np.int64)
    elif kind == "u" and array.dtype.itemsize == 8:
        if array.size and array.max() > numbers.INT64_MAX:
            array = array.astype(object)  # exact Python ints
        else:
            array = array.astype(np.int64)
    elif kind in "iu":
        array = array.astype(np.int64, copy=False)
    else:
        target = np.float64 if kind == "f" else np.complex128
        try:
            # invalid: a long double bit pattern that is no number becomes nan, without a warning
            with np.errstate(over="raise", invalid="ignore"):
                array = array.astype(target, copy=False)
        except FloatingPointError:
            raise ParseError(
                f"holds values too large for {np.dtype(target).name}; "
                f"expected values that fit in {np.dtype(target).name}",
                source=source,
            ) from None
    if isinstance(array, np.memmap):
        array = array.view(np.ndarray)
    if array.ndim == 0:
        return array.reshape(1)
    if array.size == 0:
        raise ParseError(
            f"expected at least one number, found an empty array of shape {array.shape}",
            source=source,
        )
    return array
