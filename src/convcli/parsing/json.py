"""JSON: nested lists of numbers (or of strings such as ``"1/9"``), a single number, or
convcli's own ``--format json`` output (an object whose ``"result"`` holds the value).

Numbers are kept as their text and read by ``tokens.read_number``, so that ``--exact`` reads
them exactly; every error points at the value's line and column.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

import numpy as np

from convcli.errors import ParseError

from .source import Source, build_array, location, normalise_text, shown
from .tokens import read_number

__all__ = ["MAX_NDIM", "parse_json", "json_load", "array_from_document", "Bare"]

# NumPy's own limit on dimensions; deeper JSON nesting cannot be an array
MAX_NDIM = 64


def parse_json(text: str, *, source: str, exact: bool = False) -> np.ndarray:
    """Read JSON: nested lists of numbers (or of strings such as ``"1/9"``), a single number, or
    an object whose ``"result"`` holds one of those (convcli's own ``--format json`` output)."""
    src = Source(source)
    text = normalise_text(text)
    return array_from_document(json_load(text, src), text, src, exact)


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


def json_load(text: str, src: Source) -> Any:
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
        line, column, line_text = location(text, exc.pos)
        raise src.error(_json_syntax(exc.msg), line=line, column=column, line_text=line_text) from None
    except RecursionError:
        pass
    raise _json_too_deep(text, src, _json_depth_offset(text))


def _json_too_deep(text: str, src: Source, offset: int | None) -> ParseError:
    message = f"expected at most {MAX_NDIM} levels of nested lists, found deeper nesting"
    if offset is None:
        return src.error(message)
    line, column, line_text = location(text, offset)
    return src.error(message, line=line, column=column, line_text=line_text)


def _json_depth_offset(text: str) -> int | None:
    """Where the nesting first goes deeper than ``MAX_NDIM`` levels."""
    depth = 0
    for m in _JSON_BRACKET.finditer(text):
        c = m.group()[0]
        if c in "[{":
            depth += 1
            if depth > MAX_NDIM:
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
        return f"the number {shown(node)}"
    if isinstance(node, Bare):
        return f'"{shown(node)}"'
    if isinstance(node, str):
        return f'the string "{shown(node)}"'
    if isinstance(node, list):
        return f"a list of {len(node)}"
    return "an object"


class Bare(str):
    """An entry written without quotes in bracketed text that is not JSON (``[[1/2, x]]``)."""


def array_from_document(
    document: Any,
    text: str,
    src: Source,
    exact: bool,
    *,
    locate: Callable[[tuple[int | str, ...]], int | None] | None = None,
    symbols: bool = True,
) -> np.ndarray:
    """The array of a document of nested lists, checked to be rectangular, every error located
    in ``text``: by ``locate(path)`` (the offset of the value at ``path``) or, for JSON text,
    by finding the value in it. ``symbols`` lets letters through as symbols."""
    root: tuple[int | str, ...] = ()
    find = locate or (lambda path: _json_offset(text, path))

    def fail(path: tuple[int | str, ...], message: str) -> ParseError:
        offset = find(root + path)
        if offset is None:  # pragma: no cover
            return src.error(message)
        line, column, line_text = location(text, offset)
        return src.error(message, line=line, column=column, line_text=line_text)

    if isinstance(document, dict):
        if "result" not in document:
            keys = ", ".join(f'"{shown(k)}"' for k in list(document)[:5]) or "none"
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
        if len(shape) == MAX_NDIM:
            raise _json_too_deep(text, src, _json_depth_offset(text))
        shape.append(len(node))
        if not node:
            break
        node = node[0]
    if shape and shape[-1] == 0:
        path = (0,) * (len(shape) - 1)
        place = f" at {at}{_json_path(path)}" if at or path else ""
        raise fail(path, f"expected at least one number, found an empty list{place}")

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
                values.append(read_number(leaf, exact, symbols))
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

    return build_array(values, tuple(shape) or (1, 1), where)


def _json_at(reason: str, path: str) -> str:
    if not path:
        return reason
    head = "expected a number, "
    if reason.startswith(head):
        return f"expected a number at {path}, {reason[len(head) :]}"
    return f"{reason} (at {path})"
