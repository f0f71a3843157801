"""One entry of a matrix: an integer, a fraction, a decimal, nan or inf, a complex number or a
symbol. Every reader reads its entries here, so that all give the kinds of the number model."""

from __future__ import annotations

import math
import re
import sys
from fractions import Fraction
from typing import Any

from convcli.numeric import EXACT_EXPONENT_LIMIT

from .source import MINUS, shown

__all__ = ["parse_number", "parse_token", "read_number", "whole_number", "decimal_number"]

# Digits are ASCII digits only (re.ASCII): int() and float() would also read "٢" (an
# Arabic-Indic two) as 2. Possessive quantifiers (++, *+) keep every match linear in the
# token's length: "\d+\.?\d*" would try each split of a long run of digits before failing.
_INT = re.compile(r"[+-]?\d++\Z", re.ASCII)
_FRACTION = re.compile(r"([+-]?\d++)/([+-]?\d++)\Z", re.ASCII)
_FLOAT = re.compile(r"[+-]?(?:\d++(?:\.\d*+)?|\.\d++)(?:[eE][+-]?\d++)?\Z", re.ASCII)
_SPECIAL = re.compile(r"[+-]?(?:nan|inf|infinity)\Z", re.IGNORECASE)
_REAL = r"(?:(?:\d++(?:\.\d*+)?|\.\d++)(?:[eE][+-]?\d++)?|nan|inf)"
_SYMBOL = re.compile(r"([+-]?)([A-Za-z_][A-Za-z0-9_]*)\Z")
_COMPLEX = re.compile(rf"[+-]?(?:{_REAL}[+-])?{_REAL}[jJ]\Z", re.IGNORECASE | re.ASCII)
_EXPONENT = re.compile(r"[eE][+-]?0*(\d+)\Z", re.ASCII)


def whole_number(text: str) -> int:
    """A whole number in ASCII digits, with an optional sign: the rule of every option that counts
    (int() alone would also read "1_0" as 10 and "\u0662" as 2)."""
    token = text.strip()
    if not _INT.match(token):
        raise ValueError(f'expected a whole number in ASCII digits, got "{text}"')
    return int(token)


def decimal_number(text: str) -> float:
    """A decimal such as 0.5 or 1e-9 in ASCII digits, or nan or inf (which the option itself may
    refuse): the rule of every option that measures (float() alone would also read "1_0" and
    "\u0662")."""
    token = text.strip()
    if not (_FLOAT.match(token) or _SPECIAL.match(token)):
        raise ValueError(f'expected a number such as 0.5 or 1e-9 in ASCII digits, got "{text}"')
    return float(token)


class _NotANumber(ValueError):
    """The token has none of the forms of a number (rather than a bad one, such as 1/0)."""


def parse_number(token: str, *, exact: bool = False) -> int | Fraction | float | complex:
    """Read one number (no symbols). Raise ValueError with a user-facing reason when it is not one.

    ``exact`` reads decimals and scientific notation as exact rationals (``0.1`` is ``1/10``).
    """
    if _INT.match(token):
        return int(token)
    m = _FRACTION.match(token)
    if m:
        num, den = int(m.group(1)), int(m.group(2))
        if den == 0:
            raise ValueError(f'"{token}" divides by zero; expected p/q with q not 0')
        return Fraction(num, den)
    if _FLOAT.match(token):
        if exact:
            exponent = _EXPONENT.search(token)
            if exponent and (len(exponent.group(1)) > 6 or int(exponent.group(1)) > EXACT_EXPONENT_LIMIT):
                # 1e999999999 would be an integer of a billion digits
                raise ValueError(
                    f'"{token}" has too large an exponent for an exact value; expected an exponent '
                    f"of at most {EXACT_EXPONENT_LIMIT} with --exact"
                )
            return Fraction(token)
        value = float(token)
        if math.isinf(value):
            raise ValueError(f'"{token}" is too large for a float64 (the largest is about 1.8e308)')
        return value
    if _SPECIAL.match(token):
        if exact:
            raise ValueError(f'"{token}" has no exact value (--exact reads only finite numbers)')
        return float(token)
    if _COMPLEX.match(token):
        number = complex(token)
        if (math.isinf(number.real) or math.isinf(number.imag)) and "inf" not in token.lower():
            raise ValueError(f'"{token}" is too large for a complex128')
        return number
    raise _NotANumber(f'expected a number, found "{token}"')


def parse_token(token: str, *, exact: bool = False, symbols: bool = True) -> Any:
    """Read one entry: a number, or with ``symbols`` a sympy symbol or expression.

    ``symbols`` lets letters through (inline matrices and JSON); a text grid file reads numbers
    only (README's "Reading matrices"), so a stray letter there is an error.
    """
    try:
        return parse_number(token, exact=exact)
    except _NotANumber:
        if not symbols:
            raise
    # the symbolic reader builds on parse_number; it (and sympy) load when a symbol is first met
    from . import symbolic

    m = _SYMBOL.match(token)
    if m:
        return symbolic.symbol(m.group(2), negative=m.group(1) == "-")
    if symbolic.EXPRESSION.match(token) and any(c.isalpha() for c in token):
        return symbolic.expression(token, exact=exact)
    raise ValueError(f'expected a number, found "{token}"')


def read_number(token: str, exact: bool, symbols: bool = True) -> Any:
    """One entry as the readers take it (the Unicode minus sign is a minus), or ValueError whose
    message is the user-facing reason, quoting ``token`` as written."""
    plain = token.replace(MINUS, "-")
    try:
        return parse_token(plain, exact=exact, symbols=symbols)
    except ValueError as exc:
        reason = str(exc)
    if reason.startswith("Exceeds the limit"):
        # Python refuses to convert such long digit strings at all
        raise ValueError(
            f'"{shown(token)}" has too many digits; expected at most {sys.get_int_max_str_digits()} digits'
        )
    reason = reason.replace(f'"{plain}"', f'"{shown(token)}"')
    if reason.endswith("divides by zero"):
        reason += "; expected p/q with q not 0"
    raise ValueError(reason)
