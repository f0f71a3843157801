"""Where text came from, and how the readers point at a place in it: sources, line and column
locations, the quoting of tokens in messages, and the clean-up of raw bytes into text."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import IO, Any

import numpy as np

from convcli import numeric
from convcli.errors import ParseError
from convcli.text import format_number

__all__ = [
    "MINUS",
    "MINUS_UTF8",
    "Source",
    "Bad",
    "shown",
    "shown_path",
    "plural",
    "location",
    "byte_location",
    "normalise_text",
    "clean_bytes",
    "decode",
    "nul_error",
    "os_reason",
    "build_array",
    "is_terminal",
]

MINUS = "\u2212"
MINUS_UTF8 = MINUS.encode()
_BOM = "\ufeff"
_BOM_UTF8 = _BOM.encode()


@dataclass(frozen=True)
class Source:
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


class Bad(Exception):
    """A problem at ``offset`` (0-based) of the line being read; the caller adds the line."""

    def __init__(self, offset: int, reason: str) -> None:
        super().__init__(reason)
        self.offset = offset
        self.reason = reason


def shown(token: str, limit: int = 40) -> str:
    """``token`` as quoted in a message: shortened, with control characters escaped."""
    if len(token) > limit:
        token = token[: limit - 3] + "..."
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in token)


def shown_path(path: str) -> str:
    return shown(path, 300)


def plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def os_reason(exc: OSError) -> str:
    return (exc.strerror or str(exc)).lower()


def location(text: str, offset: int) -> tuple[int, int, str]:
    """Line, column (1-based, in characters) and the text of the line holding ``offset``."""
    start = text.rfind("\n", 0, offset) + 1
    end = text.find("\n", offset)
    if end < 0:
        end = len(text)
    return text.count("\n", 0, offset) + 1, offset - start + 1, text[start:end]


def byte_location(data: bytes, offset: int) -> tuple[int, int, str]:
    """``location`` for UTF-8 bytes: the column counts characters, not bytes."""
    start = data.rfind(b"\n", 0, offset) + 1
    end = data.find(b"\n", offset)
    if end < 0:
        end = len(data)
    column = len(data[start:offset].decode("utf-8", "replace")) + 1
    return data.count(b"\n", 0, offset) + 1, column, data[start:end].decode("utf-8", "replace")


def nul_error(src: Source, line: int, column: int, line_text: str) -> ParseError:
    return src.error(
        "expected text, found a NUL byte (is this a binary file?)",
        line=line,
        column=column,
        line_text=line_text,
    )


def normalise_text(text: str, src: Source | None = None) -> str:
    """Drop a byte order mark and make every line end ``\\n``; with ``src``, refuse a NUL."""
    if text.startswith(_BOM):
        text = text[1:]
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    if src is not None:
        nul = text.find("\x00")
        if nul >= 0:
            raise nul_error(src, *location(text, nul))
    return text


def clean_bytes(data: bytes, src: Source) -> bytes:
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
        raise nul_error(src, *byte_location(data, nul))
    return data


def decode(data: bytes, src: Source) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line, column, line_text = byte_location(data, exc.start)
        bad = " ".join(f"0x{b:02x}" for b in data[exc.start : exc.end])
        word = "byte" if exc.end - exc.start == 1 else "bytes"
        raise src.error(
            f"expected UTF-8 text, found the {word} {bad}",
            line=line,
            column=column,
            line_text=line_text,
        ) from None


def build_array(
    values: list[Any], shape: tuple[int, ...], where: Callable[[int, str], ParseError]
) -> np.ndarray:
    """``numeric.array_of``, turning an entry too large for float64 into a located error.

    ``where(k, reason)`` returns the ParseError for the ``k``-th value. Fractions whose common
    denominator would be too long (``numeric.DENOMINATOR_DIGITS``) are refused here, before any
    arithmetic scales them to it.
    """
    overflow = numeric.denominator_overflow(values)
    if overflow is not None:
        k, digits = overflow
        raise where(
            k,
            f'"{shown(format_number(values[k]))}" makes the common denominator of the fractions '
            f"about {digits:,} digits long; expected {numeric.DENOMINATOR_DIGITS.words()}",
        )
    try:
        return numeric.array_of(values, shape)
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
                f'"{shown(format_number(value))}" is too large for a float64 (the largest '
                "is about 1.8e308), the type of every entry once any entry is a decimal or complex "
                "(--exact reads decimals exactly)",
            ) from None
    raise AssertionError("an OverflowError without an entry that overflows")  # pragma: no cover


def is_terminal(stream: IO[Any]) -> bool:
    """Whether ``stream`` is a terminal: then ``-`` has nothing piped to it to read."""
    try:
        return stream.isatty()
    except (AttributeError, ValueError, OSError):  # closed, detached, or not a file at all
        return False
