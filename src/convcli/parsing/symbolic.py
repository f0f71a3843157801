"""Symbolic entries: a letter (``w``) or an expression such as ``a*w+b*x``, as sympy objects.

A small parser of its own (numbers, names, + - * / ^ ** and parentheses): the text is never
handed to eval or to sympy's parser, which evaluates Python. sympy is the optional extra
``convcli[symbolic]``, imported only when a symbol is read.
"""

from __future__ import annotations

import math
import re
from fractions import Fraction
from typing import Any

from convcli.errors import MissingExtraError

from .tokens import parse_number

__all__ = ["EXPRESSION", "expression", "symbol"]

# what may be an expression: the characters of the grammar below, and not too long
EXPRESSION = re.compile(r"[A-Za-z0-9_.+\-*/()^ ]{1,10000}\Z")
_LEXEME = re.compile(
    r"\s*(?:(\d+\.?\d*(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?)"  # a number
    r"|([A-Za-z_][A-Za-z0-9_]*)"  # a name
    r"|(\*\*|[-+*/^()]))"  # an operator or a parenthesis
)
_MAX_DEPTH = 100
# the most digits a power of numbers in a symbolic entry may have: as many as an entry itself
_POWER_DIGITS = 4300


def _sympy(text: str, what: str) -> Any:
    try:
        import sympy
    except ImportError:
        raise MissingExtraError(
            f'"{text}" is {what}, and symbolic entries need sympy: pip install "convcli[symbolic]"'
        ) from None
    return sympy


def symbol(name: str, negative: bool = False) -> Any:
    """A letter entry as a sympy symbol (sympy is the optional extra ``convcli[symbolic]``)."""
    sympy = _sympy(name, "a symbol")
    value = sympy.Symbol(name)
    return -value if negative else value


def expression(text: str, *, exact: bool = False) -> Any:
    """A symbolic entry such as ``a*w+b*x`` (what convcli prints) as a sympy expression."""
    sympy = _sympy(text, "a symbolic entry")
    tokens: list[tuple[str, str]] = []
    pos = 0
    while pos < len(text):
        m = _LEXEME.match(text, pos)
        if not m or m.end() == pos:
            if text[pos:].strip() == "":
                break
            raise ValueError(f'expected a number, found "{text}"')
        number, name, op = m.groups()
        tokens.append(("n", number) if number else ("s", name) if name else ("o", op))
        pos = m.end()
    at = 0

    def peek() -> tuple[str, str] | None:
        return tokens[at] if at < len(tokens) else None

    def take(kind: str, value: str | None = None) -> bool:
        nonlocal at
        token = peek()
        if token and token[0] == kind and (value is None or token[1] == value):
            at += 1
            return True
        return False

    def bad() -> ValueError:
        return ValueError(f'expected a number or an expression such as a*w+b*x, found "{text}"')

    def atom(depth: int) -> Any:
        nonlocal at
        if depth > _MAX_DEPTH:
            raise ValueError(f'"{text[:40]}..." nests too deeply')
        token = peek()
        if token is None:
            raise bad()
        if token[0] == "n":
            at += 1
            value = parse_number(token[1], exact=exact)
            return sympy.Rational(value) if isinstance(value, int | Fraction) else sympy.Float(value)
        if token[0] == "s":
            at += 1
            return sympy.Symbol(token[1])
        if take("o", "("):
            inner = sum_(depth + 1)
            if not take("o", ")"):
                raise bad()
            return inner
        raise bad()

    def power(depth: int) -> Any:
        base = atom(depth)
        if take("o", "^") or take("o", "**"):
            exponent = unary(depth + 1)
            _check_power(text, base, exponent)
            return base**exponent
        return base

    def unary(depth: int) -> Any:
        if take("o", "-"):
            return -unary(depth + 1)
        if take("o", "+"):
            return unary(depth + 1)
        return power(depth)

    def product(depth: int) -> Any:
        value = unary(depth)
        while True:
            if take("o", "*"):
                value = value * unary(depth)
            elif take("o", "/"):
                divisor = unary(depth)
                if divisor.is_zero:  # also 0.0: sympy's Float(0.0) == 0 is False
                    raise ValueError(f'"{text}" divides by zero; expected a divisor other than 0')
                value = value / divisor
            else:
                return value

    def sum_(depth: int) -> Any:
        value = product(depth)
        while True:
            if take("o", "+"):
                value = value + product(depth)
            elif take("o", "-"):
                value = value - product(depth)
            else:
                return value

    result = sum_(0)
    if at != len(tokens):
        raise bad()
    return result


def _check_power(text: str, base: Any, exponent: Any) -> None:
    """Refuse a power of numbers too large to compute (``4^4444444454444444`` would never end)."""
    if not (base.is_Rational and exponent.is_Number) or base in (0, 1, -1):
        return
    size = max(abs(base.p), abs(base.q))
    digits = abs(float(exponent)) * math.log10(size)
    if digits > _POWER_DIGITS:
        raise ValueError(
            f'"{text[:40]}" has a power with about {digits:.3g} digits; expected powers of numbers of at '
            f"most {_POWER_DIGITS} digits"
        )
