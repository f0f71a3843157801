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

import numpy as np

from convcli import numeric
from convcli.errors import MissingExtraError

from .tokens import parse_number

__all__ = ["EXPRESSION", "expression", "symbol", "symbols_note"]

# what may be an expression: the characters of the grammar below, and not too long
EXPRESSION = re.compile(r"[A-Za-z0-9_.+\-*/()^ ]{1,10000}\Z")
_LEXEME = re.compile(
    r"\s*(?:(\d+\.?\d*(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?)"  # a number
    r"|([A-Za-z_][A-Za-z0-9_]*)"  # a name
    r"|(\*\*|[-+*/^()]))",  # an operator or a parenthesis
    re.ASCII,
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

    limit = numeric.EXPANDED_TERMS.value()

    def counted(value: Any, terms: int) -> tuple[Any, int]:
        if terms > limit:
            raise ValueError(
                f'"{text[:40]}" has more than {limit:,} terms when expanded; expected '
                f"{numeric.EXPANDED_TERMS.words()}"
            )
        return value, terms

    # Each rule returns (value, terms): the value, and how many terms it has at most when
    # expanded (a check of the whole run's expansions wants that before anything is expanded).
    # Sums and products are built from all their operands at once: adding one operand at a
    # time rebuilds the sum each time, which is quadratic.
    def atom(depth: int) -> tuple[Any, int]:
        nonlocal at
        if depth > _MAX_DEPTH:
            raise ValueError(f'"{text[:40]}..." nests too deeply')
        token = peek()
        if token is None:
            raise bad()
        if token[0] == "n":
            at += 1
            value = parse_number(token[1], exact=exact)
            return (sympy.Rational(value) if isinstance(value, int | Fraction) else sympy.Float(value)), 1
        if token[0] == "s":
            at += 1
            return sympy.Symbol(token[1]), 1
        if take("o", "("):
            inner = sum_(depth + 1)
            if not take("o", ")"):
                raise bad()
            return inner
        raise bad()

    def power(depth: int) -> tuple[Any, int]:
        base, terms = atom(depth)
        if take("o", "^") or take("o", "**"):
            exponent, _ = unary(depth + 1)
            _check_power(text, base, exponent)
            if exponent.is_Integer and exponent > 1 and terms > 1:
                terms = _monomials(int(exponent), terms, limit)
            else:
                terms = 1  # not expanded into a sum
            return counted(base**exponent, terms)
        return base, terms

    def unary(depth: int) -> tuple[Any, int]:
        if take("o", "-"):
            value, terms = unary(depth + 1)
            return -value, terms
        if take("o", "+"):
            return unary(depth + 1)
        return power(depth)

    def product(depth: int) -> tuple[Any, int]:
        value, terms = unary(depth)
        factors = [value]
        while True:
            if take("o", "*"):
                value, more = unary(depth)
                factors.append(value)
                terms = min(terms * more, limit + 1)
                counted(None, terms)
            elif take("o", "/"):
                divisor, _ = unary(depth)
                if divisor.is_zero:  # also 0.0: sympy's Float(0.0) == 0 is False
                    raise ValueError(f'"{text}" divides by zero; expected a divisor other than 0')
                factors.append(sympy.Pow(divisor, -1))
            else:
                return (factors[0] if len(factors) == 1 else sympy.Mul(*factors)), terms

    def sum_(depth: int) -> tuple[Any, int]:
        value, terms = product(depth)
        operands = [value]
        while True:
            if take("o", "+"):
                value, more = product(depth)
                operands.append(value)
            elif take("o", "-"):
                value, more = product(depth)
                operands.append(-value)
            else:
                return (operands[0] if len(operands) == 1 else sympy.Add(*operands)), terms
            terms = min(terms + more, limit + 1)
            counted(None, terms)

    result, _ = sum_(0)
    if at != len(tokens):
        raise bad()
    return result


def _monomials(degree: int, variables: int, limit: int) -> int:
    """How many terms a sum of ``variables`` terms has at most once raised to ``degree`` and
    expanded: C(degree + variables - 1, variables - 1), or ``limit + 1`` when more."""
    count = 1
    for i in range(1, variables):
        count = count * (degree + i) // i
        if count > limit:
            return limit + 1
    return count


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


def symbols_note(a: np.ndarray, name: str) -> str | None:
    """A note naming the symbols of a matrix that mixes them with numbers (``"1 2 3; 4 5 x"``):
    a letter among numbers is more often a typo than a symbol, and reads without an error."""
    if a.dtype != object:
        return None
    found: set[Any] = set()
    numbers_too = False
    for value in a.flat:
        free = getattr(value, "free_symbols", None)
        if free:
            found |= free
        else:
            numbers_too = True
    if not found or not numbers_too:
        return None
    names = sorted(str(s) for s in found)
    what = f"the symbol {names[0]}" if len(names) == 1 else "the symbols " + ", ".join(names)
    return f"{name} holds {what} among numbers: a letter is read as a symbol (is it a typo?)"
