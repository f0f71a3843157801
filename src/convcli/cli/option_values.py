"""Option values read by the ASCII-digit rule of every number convcli reads: whole numbers, lists of
them, decimals, --boundary's rule, and the OpOptions and PoolOptions that the values make."""

from __future__ import annotations

import re
from typing import Any

import typer

from convcli.errors import UsageError
from convcli.model import BoundaryRule, Kind, OpOptions, PoolKind
from convcli.numeric import kind_of_value
from convcli.parsing import parse_token
from convcli.parsing.tokens import decimal_number, whole_number

_LIST_SEPARATOR = re.compile(r"\s*,\s*|\s+")


def int_list(text: str, name: str) -> tuple[int, ...]:
    try:
        return tuple(whole_number(part) for part in _LIST_SEPARATOR.split(text.strip()))
    except ValueError:
        raise UsageError(
            f'--{name} takes whole numbers separated by commas (like 2 or 2,1), got "{text}"'
        ) from None


def whole_option(text: Any) -> int:
    """A whole-number option's value, by the ASCII-digit rule of every number convcli reads."""
    if isinstance(text, int):  # the default
        return text
    try:
        return whole_number(text)
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None


def decimal_option(text: Any) -> float:
    """A decimal option's value, by the same rule."""
    if isinstance(text, float | int):  # the default
        return float(text)
    try:
        return decimal_number(text)
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None


def whole_count(text: str, name: str) -> int:
    """One whole number, such as --groups 2."""
    try:
        return whole_number(text.strip())
    except ValueError:
        raise UsageError(f'--{name} takes one whole number (like 2), got "{text}"') from None


def _number_list(text: str, name: str, exact: bool) -> tuple[Any, ...]:
    values = []
    for part in text.split(","):
        try:
            values.append(parse_token(part.strip().replace("\u2212", "-"), exact=exact))
        except ValueError as exc:
            raise UsageError(f"--{name}: {exc}") from None
    return tuple(values)


def _boundary_rule(text: str) -> BoundaryRule:
    word = text.strip().lower()
    if word == "reflect":
        raise UsageError(
            "--boundary reflect means two different things: numpy's and torch's 'reflect' mirror about the "
            "edge cell (d c b | a b c d | c b a), which is --boundary mirror; scipy.ndimage's 'reflect' and "
            "MATLAB's 'symmetric' repeat the edge cell (c b a | a b c d | d c b), which is --boundary symm"
        )
    try:
        return BoundaryRule(word)
    except ValueError:
        choices = ", ".join(b.value for b in BoundaryRule)
        raise UsageError(f'--boundary takes one of {choices}, got "{text}"') from None


def op_options(given: dict[str, Any]) -> OpOptions:
    exact = given["exact"]
    fill = _number_list(given["fillvalue"], "fillvalue", exact)
    if len(fill) != 1 or kind_of_value(fill[0]) is Kind.SYMBOLIC:
        raise UsageError(
            f'--fillvalue takes one number (such as 0, -1, 1/2 or 0.5), got "{given["fillvalue"]}"'
        )
    return OpOptions(
        mode=given["mode"],
        boundary=_boundary_rule(given["boundary"]),
        fillvalue=fill[0],
        convention=given["convention"],
        method=given["method"],
        stride=int_list(given["stride"], "stride"),
        dilation=int_list(given["dilation"], "dilation"),
        padding=None if given["padding"] is None else int_list(given["padding"], "padding"),
        channels=given["channels"],
        groups=whole_count(given["groups"], "groups"),
        bias=() if given["bias"] is None else _number_list(given["bias"], "bias", exact),
        activation=given["activation"],
    )


def pool_options(
    kind: PoolKind,
    size: str,
    stride: tuple[int, ...] | None,
    padding: tuple[int, ...],
    dilation: tuple[int, ...],
    ceil_mode: bool,
    count_pad: bool | None,
) -> Any:
    from convcli.pool_geometry import PoolOptions

    if count_pad is not None and kind is PoolKind.MAX:
        flag = "--count-pad" if count_pad else "--no-count-pad"
        raise UsageError(
            f"{flag} applies to avg pooling (torch's count_include_pad); max pooling pads with -inf, "
            "which is never counted"
        )
    return PoolOptions(
        kind=kind,
        size=int_list(size, "size"),
        stride=stride,
        padding=padding,
        dilation=dilation,
        ceil_mode=ceil_mode,
        count_pad=True if count_pad is None else count_pad,
    )
