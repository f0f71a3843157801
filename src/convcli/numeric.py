"""The number model: exact integers, exact rationals, float64, complex128 and symbols.

Arrays carry their kind in their dtype: int64 (or object holding Python ints when a value does
not fit), object holding Fractions, float64, complex128, and object holding sympy expressions.
"""

from __future__ import annotations

import math
import operator
import os
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np

from .errors import ConvcliError, ShapeError
from .model import Kind
from .text import cell_text, dims_text, format_number, int_text, value_of

__all__ = [
    "INT64_MAX",
    "result_kind",
    "unify",
    "scalar_as_kind",
    "nonfinite_notes",
    "kind_of",
    "common_kind",
    "as_kind",
    "array_of",
    "fits_int64",
    "shrink_int",
    "EXACT_EXPONENT_LIMIT",
    "abs_max",
    "check_allocation",
    "check_float_range",
    "check_symbolic_digits",
    "from_scaled",
    "is_zero",
    "kind_of_value",
    "memory_limit",
    "sum_as_written",
    "to_python_ints",
    "to_scaled",
]

INT64_MAX = 2**63 - 1
_ORDER = [Kind.INTEGER, Kind.RATIONAL, Kind.FLOAT, Kind.COMPLEX, Kind.SYMBOLIC]

# the largest decimal exponent read exactly (with --exact): 10**1000 has a thousand digits
EXACT_EXPONENT_LIMIT = 1000


def kind_of_value(value: Any) -> Kind:
    if isinstance(value, bool):
        raise TypeError("booleans are not numbers here")
    if isinstance(value, int | np.integer):
        return Kind.INTEGER
    if isinstance(value, Fraction):
        return Kind.RATIONAL
    if isinstance(value, float | np.floating):
        return Kind.FLOAT
    if isinstance(value, complex | np.complexfloating):
        return Kind.COMPLEX
    return Kind.SYMBOLIC


def kind_of(a: np.ndarray) -> Kind:
    """The kind of an array, from its dtype (and, for object arrays, its entries)."""
    if a.dtype.kind in "iu":
        return Kind.INTEGER
    if a.dtype.kind == "f":
        return Kind.FLOAT
    if a.dtype.kind == "c":
        return Kind.COMPLEX
    if a.dtype.kind == "b":
        return Kind.INTEGER
    if a.dtype == object:
        # one entry of each Python type decides; scanning every entry's kind is slow
        flat = a.ravel().tolist()
        firsts = dict(zip(map(type, flat), flat, strict=True))
        return common_kind(kind_of_value(v) for v in firsts.values())
    raise TypeError(f"unsupported dtype {a.dtype}")


def common_kind(kinds: Iterable[Kind]) -> Kind:
    """The widest of ``kinds`` (integer < rational < float < complex < symbolic)."""
    best = 0
    for k in kinds:
        best = max(best, _ORDER.index(k))
    return _ORDER[best]


def fits_int64(values: Iterable[int]) -> bool:
    return all(-INT64_MAX - 1 <= int(v) <= INT64_MAX for v in values)


def shrink_int(a: np.ndarray) -> np.ndarray:
    """An integer array as int64 when every entry fits, else as an object array of Python ints."""
    if a.dtype.kind in "iu":
        return a.astype(np.int64, copy=False) if a.dtype != np.uint64 else shrink_int(a.astype(object))
    try:
        # one compiled pass when every entry fits (Python ints beyond int64 raise OverflowError)
        return a.astype(np.int64)
    except OverflowError:
        pass
    flat = [int(v) for v in a.flat]
    if fits_int64(flat):
        return np.array(flat, dtype=np.int64).reshape(a.shape)
    return _object_array(flat, a.shape)


def _object_array(values: list[Any], shape: tuple[int, ...]) -> np.ndarray:
    out = np.empty(len(values), dtype=object)
    out[:] = values
    return out.reshape(shape)


def array_of(values: list[Any], shape: tuple[int, ...]) -> np.ndarray:
    """Build an array of ``shape`` from flat Python numbers, in the narrowest kind that holds them."""
    kind = common_kind(kind_of_value(v) for v in values) if values else Kind.INTEGER
    if kind is Kind.INTEGER:
        if fits_int64(values):
            return np.array(values, dtype=np.int64).reshape(shape)
        return _object_array([int(v) for v in values], shape)
    if kind is Kind.RATIONAL:
        return _object_array([Fraction(v) for v in values], shape)
    if kind is Kind.FLOAT:
        return np.array([float(v) for v in values], dtype=np.float64).reshape(shape)
    if kind is Kind.COMPLEX:
        return np.array([complex(v) for v in values], dtype=np.complex128).reshape(shape)
    return _object_array(values, shape)


def as_kind(a: np.ndarray, kind: Kind) -> np.ndarray:
    """Convert ``a`` to ``kind`` (which must be at least as wide as ``a``'s own kind)."""
    own = kind_of(a)
    if own is kind:
        return _widest_dtype(a, kind)
    if kind is Kind.RATIONAL:
        return _object_array([Fraction(int(v)) for v in a.flat], a.shape)
    if kind is Kind.FLOAT:
        if a.dtype == object:
            return np.array([float(v) for v in a.flat], dtype=np.float64).reshape(a.shape)
        return a.astype(np.float64)
    if kind is Kind.COMPLEX:
        if a.dtype == object:
            return np.array([complex(v) for v in a.flat], dtype=np.complex128).reshape(a.shape)
        return a.astype(np.complex128)
    if kind is Kind.SYMBOLIC:
        import sympy

        return _object_array([sympy.sympify(value_of(v)) for v in a.flat], a.shape)
    raise TypeError(f"cannot convert {own} to {kind}")


def _widest_dtype(a: np.ndarray, kind: Kind) -> np.ndarray:
    """bool, int8..uint64, float16/32 and complex64 widened to int64 (or Python ints), float64 and
    complex128, so that no arithmetic happens in a narrow type that could wrap or round."""
    if kind is Kind.INTEGER and a.dtype != np.int64 and a.dtype != object:
        return shrink_int(a.astype(np.int64) if a.dtype.kind == "b" else a)
    if kind is Kind.FLOAT and a.dtype != np.float64 and a.dtype != object:
        return a.astype(np.float64)
    if kind is Kind.COMPLEX and a.dtype != np.complex128 and a.dtype != object:
        return a.astype(np.complex128)
    return a


def sum_as_written(values: Sequence[Any], empty: Any = 0) -> Any:
    """The values added in order from the first one, not from 0 (so a lone -0.0 stays -0.0);
    ``empty`` when there are none."""
    return sum(values[1:], start=values[0]) if values else empty


def is_zero(v: Any) -> bool:
    """Whether ``v`` equals zero; False for what cannot be compared with 0."""
    try:
        return bool(v == 0)
    except TypeError:
        return False


def abs_max(a: np.ndarray) -> int:
    """max |a| as a Python int, for an integer array (safe for int64's most negative value)."""
    if a.size == 0:
        return 0
    return max(int(a.max()), -int(a.min()))


def to_python_ints(a: np.ndarray) -> np.ndarray:
    """An integer array as an object array of Python ints, whose arithmetic cannot overflow."""
    return _object_array([int(v) for v in a.flat], a.shape)


def _numerators_and_denominators(values: list[Any]) -> tuple[list[int], list[int]]:
    """The numerators and denominators of a list of ints and Fractions.

    Fraction's ``numerator`` is a Python-level property; reading its slot is several times
    faster, which matters for a million entries (ints have fast ones of their own).
    """
    try:
        return list(map(_NUMERATOR, values)), list(map(_DENOMINATOR, values))
    except AttributeError:  # ints among the fractions
        return (
            [v._numerator if type(v) is Fraction else v.numerator for v in values],  # type: ignore[attr-defined]
            [v._denominator if type(v) is Fraction else v.denominator for v in values],  # type: ignore[attr-defined]
        )


_NUMERATOR = operator.attrgetter("_numerator")
_DENOMINATOR = operator.attrgetter("_denominator")


def to_scaled(a: np.ndarray, extra: Iterable[Any] = ()) -> tuple[np.ndarray, int, list[int]]:
    """Write a rational array as ``numerators / denominator`` with one common denominator.

    Returns the integer numerators (int64 when they fit), the denominator, and ``extra``
    rationals scaled by the same denominator. The scaling is one numpy multiplication when
    everything fits in int64, which makes a million fractions a fraction of a second.
    """
    values = a.ravel().tolist()  # Python ints and Fractions: both have numerator and denominator
    extras = [Fraction(v) for v in extra]
    nums, dens = _numerators_and_denominators(values)
    distinct = set(dens) | {v.denominator for v in extras}
    den = math.lcm(*distinct) if distinct else 1
    scaled_extra = [v.numerator * (den // v.denominator) for v in extras]
    if nums and den <= INT64_MAX and max(max(nums), -min(nums)) * (den // min(distinct)) <= INT64_MAX:
        out = np.array(nums, dtype=np.int64)
        out *= den // np.array(dens, dtype=np.int64)
        return out.reshape(a.shape), den, scaled_extra
    scaled = [p * (den // q) for p, q in zip(nums, dens, strict=True)]
    return shrink_int(_object_array(scaled, a.shape)), den, scaled_extra


def from_scaled(nums: np.ndarray, den: int) -> np.ndarray:
    """Integers over one denominator, back to an array of reduced Fractions.

    Each distinct value is reduced once (a blurred image repeats few values).
    """
    flat = nums.ravel()
    if flat.dtype.kind == "i":
        unique, inverse = np.unique(flat, return_inverse=True)
        table = _object_array([Fraction(int(u), den) for u in unique.tolist()], (len(unique),))
        return table[inverse].reshape(nums.shape)
    return _object_array([Fraction(int(n), den) for n in flat], nums.shape)


_BYTES_PER_ENTRY = {
    Kind.INTEGER: 8,
    Kind.RATIONAL: 100,  # a Fraction object and its two ints
    Kind.FLOAT: 8,
    Kind.COMPLEX: 16,
    Kind.SYMBOLIC: 200,
}


def memory_limit() -> int:
    """The bytes one array may take: half of this machine's memory (or 8 GiB if unknown)."""
    try:
        return os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE") // 2
    except (ValueError, OSError, AttributeError):
        return 8 << 30


def _gigabytes(n: float) -> str:
    return f"{n / 2**30:.1f} GiB" if n >= 2**30 else f"{n / 2**20:.1f} MiB"


@dataclass(frozen=True)
class Limit:
    """A limit on what one run may read or build, checked before the work; the environment
    variable ``variable`` changes it (a whole number, in ASCII digits)."""

    variable: str
    default: int
    unit: str

    def value(self) -> int:
        given = os.environ.get(self.variable)
        if given is None:
            return self.default
        if not (given.isascii() and given.strip().isdigit()):
            raise ConvcliError(
                f"the environment variable {self.variable} must be a whole number of {self.unit}, "
                f'got "{given}"'
            )
        return int(given)

    def words(self, value: int | None = None) -> str:
        """``at most 1,000 terms (the environment variable ... changes the limit)``."""
        return (
            f"at most {self.value() if value is None else value:,} {self.unit} "
            f"(the environment variable {self.variable} changes the limit)"
        )


# Standard input or a device (a pipe, /dev/zero) has no size to check beforehand: this much is
# read at most. Regular files are read whole (or memory-mapped), their size known.
INPUT_BYTES = Limit("CONVCLI_MAX_INPUT_BYTES", 256 << 20, "bytes from standard input or a device")
# The fractions of one operand are scaled to integers over their common denominator; a hundred
# 4,300-digit denominators would make it 430,000 digits long, and every entry with it.
DENOMINATOR_DIGITS = Limit("CONVCLI_MAX_DIGITS", 10_000, "digits in a common denominator")
# One symbolic entry, expanded: (x+1)^100000 is written in 12 characters and has 100,001 terms.
EXPANDED_TERMS = Limit("CONVCLI_MAX_TERMS", 1_000, "terms in a symbolic entry, expanded")


def denominator_overflow(values: list[Any]) -> tuple[int, int] | None:
    """Where the common denominator of ``values`` (numbers of any kind, in order) first passes
    ``DENOMINATOR_DIGITS``: (the index of the entry, the digits it would have), or None."""
    limit = DENOMINATOR_DIGITS.value()
    common = 1
    seen: set[int] = set()
    for k, value in enumerate(values):
        if type(value) is not Fraction or value.denominator in seen:
            continue
        seen.add(value.denominator)
        common = math.lcm(common, value.denominator)
        digits = _digits(common, limit)
        if digits > limit:
            return k, digits
    return None


def _digits(n: int, limit: int) -> int:
    """The decimal digits of ``n`` > 0, counted exactly only when near ``limit``."""
    bits = n.bit_length()
    fewest, most = int((bits - 1) * _LOG10_2) + 1, int(bits * _LOG10_2) + 1
    if fewest > limit or most <= limit:
        return most
    return len(int_text(n))


_LOG10_2 = math.log10(2)


def check_allocation(shape: tuple[int, ...], kind: Kind, what: str) -> None:
    """Refuse, before allocating it, an array that would not fit in memory."""
    cells = math.prod(shape)
    need = cells * _BYTES_PER_ENTRY[kind]
    limit = memory_limit()
    if need > limit:
        size = dims_text(shape)
        raise ShapeError(
            f"{what} would be {size} ({cells:,} entries, about {_gigabytes(need)} as {kind}), more than "
            f"the {_gigabytes(limit)} convcli allows itself on this machine",
            short=f"{what} too large ({_gigabytes(need)})",
        )


# ---------------------------------------------------------------------------------------------
# exact numbers that a float or a symbol would lose


def _index_text(name: str, shape: tuple[int, ...], k: int) -> str:
    if not shape:
        return name
    return name + cell_text(np.unravel_index(k, shape))


def _entries(value: Any) -> tuple[tuple[int, ...], list[Any]]:
    if isinstance(value, np.ndarray):
        return value.shape, value.ravel().tolist()
    return (), [value]


def _shortened(x: Any, limit: int = 40) -> str:
    text = format_number(x)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def check_float_range(kind: Kind, operands: Iterable[tuple[str, Any]]) -> None:
    """Refuse an exact entry too large for float64 once a float (or complex) entry makes every
    entry one, naming the entry that does not fit, the one that made the run inexact, and how to
    keep it exact. ``operands`` are (name, array or number): ("A", a), ("--fillvalue", 0), ...
    """
    if kind not in (Kind.FLOAT, Kind.COMPLEX):
        return
    operands = list(operands)
    too_large = cause = None
    for name, value in operands:
        if isinstance(value, np.ndarray) and value.dtype != object:
            if cause is None and value.dtype.kind in "fc" and value.size:
                cause = name, value.shape, 0, value.flat[0].item()
            continue
        shape, flat = _entries(value)
        for k, x in enumerate(flat):
            if isinstance(x, float | complex):
                if cause is None:
                    cause = name, shape, k, x
            elif too_large is None and isinstance(x, int | Fraction):
                try:
                    float(x)
                except OverflowError:
                    too_large = name, shape, k, x
    if too_large is None or cause is None:
        return
    name, shape, k, x = too_large
    where = _index_text(name, shape, k)
    c_name, c_shape, c_k, c = cause
    c_where = _index_text(c_name, c_shape, c_k)
    target, what = ("complex128", "complex") if kind is Kind.COMPLEX else ("float64", "a decimal")
    message = (
        f"{where} ({_shortened(x)}) is too large for a {target} (the largest is about 1.8e308), "
        f"which every entry becomes because {c_where} ({format_number(c)}) is {what}"
    )
    if isinstance(c, float) and math.isfinite(c):
        exact = Fraction(repr(c))
        message += (
            f"; write {format_number(c)} as {format_number(exact)} (or use --exact) to keep the run exact"
        )
    raise ConvcliError(message)


def int_text_limit() -> int:
    """Python's limit on the digits of an int written as text (0: none); the environment
    variable PYTHONINTMAXSTRDIGITS sets it."""
    return sys.get_int_max_str_digits()


def _coefficient_bits(value: Any) -> int:
    """The bits of the largest integer (numerator or denominator) in one entry of any kind."""
    if isinstance(value, bool):
        return 1
    if isinstance(value, int):
        return value.bit_length()
    if isinstance(value, Fraction):
        return max(value.numerator.bit_length(), value.denominator.bit_length())
    if isinstance(value, float | complex | np.generic):
        return 0
    atoms = getattr(value, "atoms", None)
    if atoms is None:
        return 0
    import sympy

    return max((max(int(r.p).bit_length(), int(r.q).bit_length()) for r in atoms(sympy.Rational)), default=0)


def check_symbolic_digits(operands: Iterable[tuple[str, Any]], terms: int) -> None:
    """Refuse a symbolic run whose coefficients could pass Python's limit on writing an int as
    text (sympy writes every coefficient with str()); a product of two entries has about as many
    digits as the two together, and a sum of ``terms`` products a few more."""
    limit = int_text_limit()
    if not limit:
        return
    sizes = []
    for name, value in operands:
        if isinstance(value, np.ndarray) and value.dtype != object:
            bits = abs_max(value).bit_length() if value.dtype.kind in "iub" else 0
        else:
            bits = max((_coefficient_bits(x) for x in _entries(value)[1]), default=0)
        sizes.append((name, bits))
    largest = sorted(b for _, b in sizes)[-2:]
    digits = math.ceil((sum(largest) + max(terms, 1).bit_length()) * math.log10(2))
    if digits <= limit:
        return
    held = ", ".join(f"{name} up to {math.ceil(b * math.log10(2))}" for name, b in sizes if b)
    raise ConvcliError(
        f"the symbolic result could hold numbers of about {digits} digits (digits in the entries: {held}); "
        f"symbolic results are written with at most {limit} digits per number (Python's limit on "
        "writing an int as text; the environment variable PYTHONINTMAXSTRDIGITS raises it), "
        "while integer results have no such limit"
    )


# ---------------------------------------------------------------------------------------------
# the kind of a result


def result_kind(
    a: np.ndarray, b: np.ndarray, fill: Any = None, bias: tuple[Any, ...] = (), terms: int = 1
) -> Kind:
    """The widest kind among the operands, the fill value and the bias, once it is known that
    every number fits in it: an integer beyond float64 among decimals, or a symbolic result with
    numbers too long to write, is refused here, naming the entry (``terms``: the most products
    one output entry sums)."""
    extra = [("--fillvalue", fill)] if fill is not None else []
    extra += [("--bias", x) for x in bias]
    kind = common_kind([kind_of(a), kind_of(b)] + [kind_of_value(x) for _, x in extra])
    operands = [("A", a), ("B", b), *extra]
    check_float_range(kind, operands)
    if kind is Kind.SYMBOLIC:
        check_symbolic_digits(operands, terms)
    return kind


def unify(
    a: np.ndarray, b: np.ndarray, fill: Any = None, bias: tuple[Any, ...] = (), terms: int = 1
) -> tuple[np.ndarray, np.ndarray, Kind]:
    """Both operands in the widest kind among them, the fill value and the bias (``result_kind``)."""
    kind = result_kind(a, b, fill, bias, terms)
    return as_kind(a, kind), as_kind(b, kind), kind


def nonfinite_notes(value: np.ndarray) -> tuple[str, ...]:
    """Which cells nan and inf reached (float and complex results), for a note on stderr."""
    if value.dtype.kind not in "fc":
        return ()
    with np.errstate(all="ignore"):
        if np.isfinite(value.sum()):  # one pass, no masks, in the common case
            return ()
    notes = []
    for label, mask in (("nan", np.isnan(value)), ("inf", np.isinf(value))):
        count = int(np.count_nonzero(mask))
        if count == 0:
            continue
        if value.ndim == 0:
            notes.append(f"the result is {label}")
            continue
        cells = ", ".join(cell_text(idx) for idx in np.argwhere(mask)[:8])
        more = f" and {count - 8} more" if count > 8 else ""
        notes.append(f"{label} reached {count} cell{'s' if count > 1 else ''}: {cells}{more}")
    return tuple(notes)


def scalar_as_kind(kind: Kind, fill: Any) -> Any:
    """One number (a fill value, a 0) in the kind of an array: a float or complex as such."""
    if kind is Kind.FLOAT:
        return float(fill)
    if kind is Kind.COMPLEX:
        return complex(fill)
    return fill
