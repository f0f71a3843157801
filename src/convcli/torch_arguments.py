"""How a torch layer's constructor arguments are read: each argument's name and default (Param),
and the readers that take a value as torch does or say what it takes (BadArgument)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .modeltext import Value, Word

__all__ = [
    "REQUIRED",
    "Param",
    "BadArgument",
    "whole",
    "pair",
    "flag",
    "integer",
    "optional",
    "probability",
    "real",
    "choice",
    "conv_padding",
    "adaptive_size",
    "argument_text",
]


class _Required:
    def __repr__(self) -> str:
        return "required"


REQUIRED: Any = _Required()


@dataclass(frozen=True)
class Param:
    """One argument of a layer's constructor: its name, default, and how a value is read."""

    name: str
    default: Any = REQUIRED
    read: Callable[[Value], Any] = lambda v: v


class BadArgument(Exception):
    """A value an argument does not take; the message says what it takes."""


def _is_int(v: Value) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def whole(minimum: int) -> Callable[[Value], int]:
    def read(v: Value) -> int:
        if not _is_int(v) or v < minimum:  # type: ignore[operator]
            raise BadArgument(f"takes a whole number >= {minimum}")
        return v  # type: ignore[return-value]

    return read


def pair(minimum: int) -> Callable[[Value], tuple[int, int]]:
    def read(v: Value) -> tuple[int, int]:
        values = v if isinstance(v, tuple) else (v, v)
        if len(values) != 2 or not all(_is_int(x) and x >= minimum for x in values):  # type: ignore[operator]
            raise BadArgument(
                f"takes a whole number >= {minimum} or a pair of them, such as ({minimum + 2}, {minimum + 2})"
            )
        return values  # type: ignore[return-value]

    return read


def flag(v: Value) -> bool:
    if not isinstance(v, bool):
        raise BadArgument("takes True or False")
    return v


def integer(v: Value) -> int:
    if not _is_int(v):
        raise BadArgument("takes a whole number")
    return v  # type: ignore[return-value]


def optional(read: Callable[[Value], Any]) -> Callable[[Value], Any]:
    return lambda v: None if v is None else read(v)


def probability(v: Value) -> float:
    if isinstance(v, bool) or not isinstance(v, int | float) or not 0 <= v <= 1:
        raise BadArgument("takes a probability between 0 and 1")
    return float(v)


def real(v: Value) -> float:
    if isinstance(v, bool) or not isinstance(v, int | float):
        raise BadArgument("takes a number")
    return float(v)


def choice(*words: str) -> Callable[[Value], str]:
    def read(v: Value) -> str:
        if not isinstance(v, str) or v not in words:
            raise BadArgument("takes " + " or ".join(f"'{w}'" for w in words))
        return str(v)

    return read


def conv_padding(v: Value) -> tuple[int, int] | str:
    if isinstance(v, str):
        return choice("same", "valid")(v)
    try:
        return pair(0)(v)
    except BadArgument:
        raise BadArgument("takes a whole number >= 0, a pair such as (1, 1), 'same' or 'valid'") from None


def adaptive_size(v: Value) -> tuple[int | None, int | None]:
    values = v if isinstance(v, tuple) else (v, v)
    if len(values) != 2 or not all(x is None or (_is_int(x) and x >= 1) for x in values):  # type: ignore[operator]
        raise BadArgument("takes a whole number >= 1 or a pair of them, where None keeps the input's size")
    return values  # type: ignore[return-value]


def argument_text(value: Any) -> str:
    """An argument's value as the constructor call writes it: ``(2, 3)``, ``'same'``, ``True``."""
    if isinstance(value, tuple):
        if len(value) == 2 and value[0] == value[1]:
            return argument_text(value[0])
        return "(" + ", ".join(argument_text(v) for v in value) + ")"
    if isinstance(value, Word):
        return str(value)
    if isinstance(value, str):
        return f"'{value}'"
    return str(value)
