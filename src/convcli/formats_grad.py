"""grad's documents in the machine formats: the three gradients of a layer, each under its
label, around the arrays arraytext.py writes. None of these passes through rich."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from typing import Any

from .arraytext import PIECES, JsonArray, Npy, TextStream, document, json_pieces, matrix_npy
from .errors import UsageError
from .formats import float64_array
from .model import Format, GradOf, GradResult, Kind
from .text import shape_text

__all__ = ["format_grad", "grad_label", "rounded_grad_to_float64"]


def rounded_grad_to_float64(result: GradResult) -> GradResult:
    """A layer's exact gradients rounded to float64 (--float64); G stays as given."""
    if not result.kind.exact:
        return result
    return dataclasses.replace(
        result,
        kind=Kind.FLOAT,
        grad_input=float64_array(result.grad_input, result.kind),
        grad_weight=float64_array(result.grad_weight, result.kind),
        grad_bias=float64_array(result.grad_bias, result.kind),
    )


def grad_label(result: GradResult, of: GradOf) -> str:
    """``dX = grad_input (4x4)``: a gradient's two names and its shape (none for one number)."""
    value = result.value(of)
    if not value.ndim:
        return f"{of.symbol} = {of.key}"
    if of is GradOf.BIAS:
        return f"{of.symbol} = {of.key} (one per filter: {value.shape[0]})"
    return f"{of.symbol} = {of.key} ({shape_text(tuple(value.shape))})"


def _grad_json(result: GradResult) -> dict[str, Any]:
    doc: dict[str, Any] = {"op": result.name, "layer": result.op.value, **result.options.describe()}
    doc.update(kind=result.kind.value, x_shape=list(result.x_shape), w_shape=list(result.w_shape))
    doc.update(upstream_given=result.upstream_given, upstream=JsonArray(result.upstream), of=result.of.value)
    for of in (GradOf.INPUT, GradOf.WEIGHT, GradOf.BIAS):
        doc[of.key] = JsonArray(result.value(of))
    if result.of is not GradOf.ALL:
        doc["result"] = JsonArray(result.value(result.of))
    doc["rules"] = {of.key: text for of, text in result.rules}
    if result.notes:
        doc["notes"] = list(result.notes)
    return doc


def _latex_label(of: GradOf) -> str:
    letter = {GradOf.INPUT: "X", GradOf.WEIGHT: "W", GradOf.BIAS: "b"}[of]
    return f"\\frac{{\\partial L}}{{\\partial {letter}}} =\n"


def _grad_pieces(result: GradResult, fmt: Format) -> Iterator[str]:
    """The gradients --of names, each under its label: # in plain, ### in markdown, % and
    dL/dX = in latex."""
    for n, of in enumerate(result.parts):
        label = grad_label(result, of)
        yield "\n" if n else ""
        if fmt is Format.PLAIN:
            yield f"# {label}\n"
        elif fmt is Format.MARKDOWN:
            yield f"### {label}\n\n"
        else:
            yield f"% {label}\n" + _latex_label(of)
        yield from PIECES[fmt](result.value(of))


def format_grad(result: GradResult, fmt: Format) -> str | TextStream | Npy:
    """grad: json with all three gradients (and "result", the one --of names); plain, csv and npy
    the one --of names, exactly as the other commands write a matrix (plain reads back as input);
    plain with all three, and markdown and latex, each gradient under its label."""
    if fmt is Format.TABLE:
        raise ValueError("the table format is drawn by render_grad.py")
    parts = [result.value(of) for of in result.parts]
    single = result.of is not GradOf.ALL
    if fmt is Format.JSON:
        arrays = (result.upstream, result.grad_input, result.grad_weight, result.grad_bias)
        cells = sum(a.size for a in arrays) + (parts[0].size if single else 0)
        return document(cells, lambda: json_pieces(_grad_json(result)))
    if fmt is Format.HTML:
        raise UsageError("grad cannot be written as html; use table, plain, json, markdown or latex")
    if fmt in (Format.CSV, Format.NPY) and not single:
        raise UsageError(
            f"{fmt} holds one matrix: pick one gradient with --of input, --of weight or --of bias "
            "(json holds all three)"
        )
    if fmt is Format.NPY:
        return matrix_npy(parts[0], result.kind)
    if fmt is Format.CSV or (fmt is Format.PLAIN and single):
        return document(parts[0].size, lambda: PIECES[fmt](parts[0]))
    return document(sum(a.size for a in parts), lambda: _grad_pieces(result, fmt))
