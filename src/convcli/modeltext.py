"""Reading layers as torch writes them: one call such as ``Conv2d(3, 6, kernel_size=(5, 5))``, or
the whole text of ``print(model)``.

The text is parsed by a small grammar, never evaluated:

    call   := NAME "(" [argument ("," argument)* [","]] ")"
    argument := NAME "=" value | value
    value  := integer | float | 'string' | "string" | NAME | "(" [value ("," value)* [","]] ")"
              | "[" ... "]"

A bare NAME as a value is a word (torch prints ``padding=same`` without quotes); True, False and
None are themselves. ``print(model)`` puts one module on a line: ``(name): Layer(...)`` for a layer,
``(name): Block(`` opening a container that a line ``)`` closes, and ``(0-2): 3 x Layer(...)`` for
a repeated module. Containers are followed into, in order; their own lines are skipped.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import IO, Union

from .errors import ConvcliError, ParseError, UsageError

__all__ = [
    "Call",
    "Branch",
    "Entry",
    "Word",
    "parse_call",
    "parse_model",
    "read_model",
    "read_arguments",
    "looks_like_a_call",
    "MAX_LAYERS",
    "BRANCH_NAMES",
    "Value",
]

Value = Union[int, float, str, bool, None, "Word", tuple["Value", ...]]

MAX_LAYERS = 10_000  # layers after repeats are expanded; real networks have hundreds
MAX_BYTES = 16 * 2**20  # print(model) of the largest networks is a few hundred kB
_MAX_DEPTH = 8  # nested tuples
_MAX_NESTING = 100  # nested containers; real networks nest a handful deep
_MAX_DIGITS = 18

# module names that suggest a branch beside the main path (ResNet's downsample, a shortcut)
BRANCH_NAMES = ("downsample", "shortcut")
# containers that print(model) shows as ``Sequential()`` when empty: nothing to follow
_EMPTY_CONTAINERS = frozenset({"Sequential", "ModuleList", "ModuleDict"})

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*")
_NUMBER = re.compile(r"[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?")
_STRING = re.compile(r"'[^'\n]*'|\"[^\"\n]*\"")
_SPACE = re.compile(r"[ \t]*")
_MODULE_NAME = re.compile(r"\(([^()\n]*)\):[ \t]*")
_REPEAT = re.compile(r"(\d{1,18})[ \t]+x[ \t]+")
_RANGE = re.compile(r"(\d{1,18})-(\d{1,18})")
_CONSTANTS: dict[str, Value] = {"True": True, "False": False, "None": None}


class Word(str):
    """A bare name written as a value (``padding=same``, ``padding_mode=reflect``)."""


@dataclass(frozen=True)
class Call:
    """One layer as written: its class name, positional and keyword arguments, and where it stands.

    ``columns`` holds the 1-based column of each argument (positional first, then keywords) so
    that an argument's error can point at it; ``line`` is None for a layer given on the command
    line.
    """

    name: str
    args: tuple[Value, ...]
    kwargs: tuple[tuple[str, Value], ...]
    text: str
    source: str
    line: int | None
    column: int
    line_text: str
    columns: tuple[int, ...] = ()

    def error(self, message: str, argument: int | None = None) -> ParseError:
        """A ParseError located at the call, or at its ``argument``-th argument (0-based)."""
        column = self.column
        if argument is not None and argument < len(self.columns):
            column = self.columns[argument]
        return ParseError(
            message, source=self.source, line=self.line, column=column, line_text=self.line_text
        )


@dataclass(frozen=True)
class Branch:
    """A module whose name suggests a branch beside the main path: ``path`` names it (dotted, as
    torch's named_modules), ``instance`` tells its occurrences apart, and ``block`` is the
    container instance it sits in (-1 for none), whose input the branch reads."""

    path: str
    instance: int
    block: int


@dataclass(frozen=True)
class Entry:
    """One layer of a print(model) text, in order: the call, its dotted module path, the container
    instances around it (outermost first) and the branch it belongs to, if any."""

    call: Call
    path: str = ""
    containers: tuple[int, ...] = ()
    branch: Branch | None = None


# ---------------------------------------------------------------------------------------------
# one call


class _Reader:
    """Reads values and calls from one line, with errors located at the offending character."""

    def __init__(self, text: str, source: str, line: int | None, offset: int = 0) -> None:
        self.text = text
        self.source = source
        self.line = line
        self.pos = offset

    def error(self, message: str, at: int | None = None) -> ParseError:
        return ParseError(
            message,
            source=self.source,
            line=self.line,
            column=(self.pos if at is None else at) + 1,
            line_text=self.text,
        )

    def found(self) -> str:
        if self.pos >= len(self.text):
            return "the end of the line" if self.line is not None else "the end of the text"
        match = _NAME.match(self.text, self.pos) or _NUMBER.match(self.text, self.pos)
        shown = match.group() if match else self.text[self.pos]
        return f'"{shown[:40]}"'

    def skip(self) -> None:
        self.pos = _SPACE.match(self.text, self.pos).end()  # type: ignore[union-attr]

    def peek(self) -> str:
        self.skip()
        return self.text[self.pos : self.pos + 1]

    def expect(self, char: str, what: str) -> None:
        if self.peek() != char:
            raise self.error(f"expected {what}, found {self.found()}")
        self.pos += 1

    def name(self, what: str) -> str:
        self.skip()
        match = _NAME.match(self.text, self.pos)
        if match is None:
            raise self.error(f"expected {what}, found {self.found()}")
        self.pos = match.end()
        return match.group()

    def call(self) -> Call:
        self.skip()
        start = self.pos
        name = self.name("a layer such as Conv2d(3, 6, 5)")
        self.expect("(", f"'(' after {name}")
        args: list[Value] = []
        kwargs: list[tuple[str, Value]] = []
        arg_columns: list[int] = []
        kw_columns: list[int] = []
        while self.peek() != ")":
            if not self.peek():
                raise self.error(f"expected ')' to close {name}(, found {self.found()}")
            at = self.pos
            keyword = _NAME.match(self.text, self.pos)
            after = _SPACE.match(self.text, keyword.end()).end() if keyword else 0  # type: ignore[union-attr]
            if keyword and self.text[after : after + 1] == "=":
                key = keyword.group()
                if any(key == k for k, _ in kwargs):
                    raise self.error(f"{name}: the argument {key} is given twice", at)
                self.pos = after + 1
                kwargs.append((key, self.value(0)))
                kw_columns.append(at + 1)
            else:
                if kwargs:
                    raise self.error(f"{name}: a positional argument follows a keyword argument", at)
                args.append(self.value(0))
                arg_columns.append(at + 1)
            if self.peek() == ",":
                self.pos += 1
            elif self.peek() != ")":
                raise self.error(f"expected ',' or ')' after an argument of {name}, found {self.found()}")
        self.pos += 1
        return Call(
            name.rsplit(".", 1)[-1],
            tuple(args),
            tuple(kwargs),
            self.text[start : self.pos],
            self.source,
            self.line,
            start + 1,
            self.text,
            tuple(arg_columns + kw_columns),
        )

    def value(self, depth: int) -> Value:
        char = self.peek()
        if char in ("(", "["):
            if depth >= _MAX_DEPTH:
                raise self.error(f"tuples nest more than {_MAX_DEPTH} deep")
            close = ")" if char == "(" else "]"
            self.pos += 1
            items: list[Value] = []
            while self.peek() != close:
                if not self.peek():
                    raise self.error(f"expected '{close}', found {self.found()}")
                items.append(self.value(depth + 1))
                if self.peek() == ",":
                    self.pos += 1
                elif self.peek() != close:
                    raise self.error(f"expected ',' or '{close}' in a tuple, found {self.found()}")
            self.pos += 1
            return tuple(items)
        if char in ("'", '"'):
            match = _STRING.match(self.text, self.pos)
            if match is None:
                raise self.error("a string that is never closed")
            self.pos = match.end()
            return match.group()[1:-1]
        number = _NUMBER.match(self.text, self.pos)
        if number is not None:
            return self.number(number)
        name = _NAME.match(self.text, self.pos)
        if name is not None:
            self.pos = name.end()
            word = name.group()
            if self.peek() == "(":
                raise self.error(f"expected a number, a tuple or a word as a value, found a call {word}(")
            return _CONSTANTS[word] if word in _CONSTANTS else Word(word)
        raise self.error(
            f"expected a value (a number, a tuple, a string, True/False/None), found {self.found()}"
        )

    def number(self, match: re.Match[str]) -> int | float:
        token = match.group()
        at = self.pos
        self.pos = match.end()
        if any(c in token for c in ".eE"):
            return float(token)
        if len(token.lstrip("+-")) > _MAX_DIGITS:
            raise self.error(f"a whole number has more than {_MAX_DIGITS} digits", at)
        return int(token)

    def end(self, after: str) -> None:
        if self.peek():
            raise self.error(f"unexpected text after {after}: {self.found()}")


def parse_call(text: str, source: str) -> Call:
    """One layer as written on the command line, such as ``Conv2d(3, 6, 5)``.

    ``nn.Conv2d(...)`` and ``torch.nn.Conv2d(...)`` are read as ``Conv2d(...)``. ParseError,
    located by ``source`` and column, for anything else.
    """
    reader = _Reader(text.replace("\n", " ").replace("\r", " "), source, None)
    call = reader.call()
    reader.end(call.name + "(...)")
    return call


def looks_like_a_call(text: str) -> bool:
    """Whether ``text`` starts like a layer call (a name and an opening parenthesis)."""
    return re.match(r"\s*[A-Za-z_][\w.]*\s*\(", text) is not None


# ---------------------------------------------------------------------------------------------
# print(model)


@dataclass
class _Module:
    """One module line: a layer (``call`` set) or a container holding ``children``, with its
    name, where it stands, and how many times print(model) says it repeats."""

    kind: str
    name: str
    line: int
    column: int
    line_text: str
    repeat: int
    call: Call | None = None
    children: list[_Module] = field(default_factory=list)


def parse_model(text: str, source: str) -> list[Entry]:
    """The layers of a ``print(model)`` text, in order, with repeats expanded.

    ParseError naming the line and column for anything that is not a module line, a container's
    opening or closing line, or a blank line.
    """
    if text.startswith("\ufeff"):
        text = text[1:]
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    root = _Module("", "", 0, 0, "", 1)
    stack = [root]
    for number, line in enumerate(text.split("\n"), start=1):
        _read_line(line, number, source, stack)
    if len(stack) > 1:
        last = stack[-1]
        raise ParseError(
            f"{last.kind}( opened here is never closed by a ')' line (is the text cut short?)",
            source=source,
            line=last.line,
            column=last.column,
            line_text=last.line_text,
        )
    _count(root, source)
    entries: list[Entry] = []
    _expand(root, (), (), None, entries, [0])
    if not entries:
        raise ParseError(
            "found no layers; expected the text of print(model), with lines such as "
            "(conv1): Conv2d(3, 6, kernel_size=(5, 5), stride=(1, 1))",
            source=source,
        )
    return entries


def _read_line(line: str, number: int, source: str, stack: list[_Module]) -> None:
    reader = _Reader(line, source, number)
    if not reader.peek():
        return
    if reader.peek() == ")":
        if len(stack) == 1:
            raise reader.error("a ')' line closes nothing: no container is open here")
        reader.pos += 1
        reader.end("')'")
        stack.pop()
        return
    name = ""
    found = _MODULE_NAME.match(line, reader.pos)
    if found is not None:
        name = found.group(1).strip()
        reader.pos = found.end()
    repeat = 1
    begin = reader.pos
    times = _REPEAT.match(line, reader.pos)
    if times is not None:
        repeat = int(times.group(1))
        reader.pos = times.end()
    start = reader.pos
    kind = reader.name("a module line such as (conv1): Conv2d(3, 6, kernel_size=(5, 5))")
    reader.expect("(", f"'(' after {kind}")
    module = _Module(kind, name, number, begin + 1, line, repeat)
    if not reader.peek():
        if len(stack) > _MAX_NESTING:
            raise reader.error(f"containers nest more than {_MAX_NESTING} deep", start)
        stack[-1].children.append(module)
        stack.append(module)
        return
    reader.pos = start
    module.call = reader.call()
    reader.end(f"{kind}(...)")
    if kind not in _EMPTY_CONTAINERS or module.call.args or module.call.kwargs:
        stack[-1].children.append(module)


def _count(node: _Module, source: str) -> int:
    """How many layers ``node`` expands to; ParseError past MAX_LAYERS (before expanding any)."""
    total = 1 if node.call is not None else sum(_count(child, source) for child in node.children)
    total *= node.repeat
    if total > MAX_LAYERS:
        raise ParseError(
            f"the model has more than {MAX_LAYERS:,} layers once repeats are counted",
            source=source,
            line=node.line or None,
            column=node.column or None,
            line_text=node.line_text or None,
        )
    return total


def _names(node: _Module) -> list[str]:
    """The module names of a repeated module: (0-2) is 0, 1 and 2."""
    span = _RANGE.fullmatch(node.name)
    if node.repeat > 1 and span is not None:
        first, last = int(span.group(1)), int(span.group(2))
        if last - first + 1 == node.repeat:
            return [str(first + i) for i in range(node.repeat)]
    return [node.name] * node.repeat


def _expand(
    node: _Module,
    path: tuple[str, ...],
    containers: tuple[int, ...],
    branch: Branch | None,
    out: list[Entry],
    counter: list[int],
) -> None:
    """Append the layers under ``node`` to ``out``, each with its path, containers and branch."""
    for child in node.children:
        for name in _names(child):
            counter[0] += 1
            instance = counter[0]
            dotted = ".".join(p for p in (*path, name) if p)
            inner = branch
            if branch is None and any(word in name.lower() for word in BRANCH_NAMES):
                inner = Branch(dotted, instance, containers[-1] if containers else -1)
            if child.call is not None:
                out.append(Entry(child.call, dotted, containers, inner))
            else:
                _expand(child, (*path, name), (*containers, instance), inner, out, counter)


# ---------------------------------------------------------------------------------------------
# files and standard input


def read_arguments(args: Sequence[str], stdin: IO[str] | None = None) -> list[Entry]:
    """The layers of the command line: each argument a layer such as ``Conv2d(3, 6, 5)``, or one
    FILE or ``-`` holding the text of print(model) (or that text itself, with its line breaks)."""
    if len(args) == 1:
        arg = args[0]
        if "\n" in arg:
            return parse_model(arg, "the text given")
        if arg == "-" or not looks_like_a_call(arg):
            if os.path.isdir(arg):
                raise UsageError(f'"{arg}" is a folder; expected a file holding the text of print(model)')
            if arg != "-" and not os.path.exists(arg):
                raise UsageError(
                    f'"{arg}" is neither a file nor a layer; give layers such as "Conv2d(3, 6, 5)", a file '
                    "holding the text of print(model), or - to read it from a pipe"
                )
            return parse_model(*read_model(arg, stdin))
    for arg in args:
        if arg == "-" or (not looks_like_a_call(arg) and os.path.exists(arg)):
            raise UsageError(
                f'"{arg}" stands among layers; a FILE or - holding print(model) is given on its own'
            )
    return [Entry(parse_call(text, f"layer {i}")) for i, text in enumerate(args, start=1)]


def read_model(arg: str, stdin: IO[str] | None = None) -> tuple[str, str]:
    """The text of a print(model) FILE or of standard input (``-``), and the name to cite it by."""
    if arg == "-":
        from .parsing.source import is_terminal

        stream = sys.stdin if stdin is None else stdin
        if is_terminal(stream):
            raise ConvcliError(
                'nothing is piped to standard input; "-" reads the text of print(model) from a pipe, '
                'e.g. python -c "print(model)" | convcli layers --input 3x224x224 -'
            )
        source = "<stdin>"
        try:
            buffer = getattr(stream, "buffer", None)
            raw: bytes | str = (buffer if buffer is not None else stream).read(MAX_BYTES + 1)
        except (OSError, ValueError) as exc:
            raise ConvcliError(f"cannot read standard input: {exc}") from None
    else:
        source = arg
        try:
            with open(arg, "rb") as handle:
                raw = handle.read(MAX_BYTES + 1)
        except OSError as exc:
            raise ConvcliError(f'cannot read "{arg}": {(exc.strerror or str(exc)).lower()}') from None
    if len(raw) > MAX_BYTES:
        raise ConvcliError(
            f"{source} is larger than {MAX_BYTES // 2**20} MiB; the text of print(model) is at most "
            "a few hundred kB"
        )
    return _text(raw, source), source


def _text(raw: bytes | str, source: str) -> str:
    if isinstance(raw, str):
        text = raw
    else:
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            line = raw.count(b"\n", 0, exc.start) + 1
            begin = raw.rfind(b"\n", 0, exc.start) + 1
            column = len(raw[begin : exc.start].decode("utf-8", "replace")) + 1
            raise ParseError(
                f"expected UTF-8 text, found the byte 0x{raw[exc.start]:02x}",
                source=source,
                line=line,
                column=column,
            ) from None
    nul = text.find("\x00")
    if nul >= 0:
        line = text.count("\n", 0, nul) + 1
        raise ParseError(
            "expected text, found a NUL byte (is this a binary file?)",
            source=source,
            line=line,
            column=nul - text.rfind("\n", 0, nul),
        )
    return text
