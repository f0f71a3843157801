"""grad's documents in the machine formats: the three gradients of a layer, each under its
label, and steps and check --op grad-input|grad-weight|grad-bias, around the arrays arraytext.py
writes. None of these passes through rich."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from .arraytext import (
    PIECES,
    JsonArray,
    Npy,
    TextStream,
    check_whole,
    document,
    dumps,
    json_array,
    json_pieces,
    matrix_npy,
)
from .errors import UsageError
from .formats import float64_array
from .formats_check import verdict_json, verdict_text
from .model import Format, GradOf, GradResult, Kind
from .text import json_value, shape_text

if TYPE_CHECKING:  # the explaining modules load only with the commands that use them
    from .gradcheck import GradCheckReport
    from .gradsteps import GradSteps

__all__ = [
    "format_grad",
    "format_grad_steps",
    "format_grad_check",
    "grad_label",
    "rounded_grad_to_float64",
]


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


def _grad_term_json(term: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {"g_cell": list(term.g_cell), "g": json_value(term.g)}
    if term.other is not None or term.factor != 1:
        doc.update(other=None if term.other is None else list(term.other), factor=json_value(term.factor))
    doc["product"] = json_value(term.product)
    if term.padding:
        doc["padding"] = True
    return doc


def format_grad_steps(view: GradSteps, fmt: Format) -> str:
    """steps --op grad-input|grad-weight|grad-bias: each cell of the gradient as G·X or G·W
    products and their sum, as plain lines, json, markdown or latex."""
    from .gradsteps import grad_definition, grad_step_lines, grad_title
    from .text import options_text

    result = view.result
    definition = grad_definition(view)
    title = grad_title(view.of)
    check_whole("steps", fmt, [view.result.value(view.of)], "derive fewer cells (--max-steps N, or --at I,J)")
    if fmt is Format.JSON:
        doc: dict[str, Any] = {"op": title, "layer": result.op.value, **result.options.describe()}
        doc.update(x_shape=list(result.x_shape), w_shape=list(result.w_shape), shape=list(view.shape))
        doc.update(upstream_given=result.upstream_given, kind=result.kind.value, definition=definition)
        doc.update(total_cells=view.total_cells, shown=len(view.steps))
        doc["steps"] = [
            {
                "cell": list(s.cell),
                "terms": [_grad_term_json(t) for t in s.terms],
                "value": json_value(s.value),
                "text": grad_step_lines(view, s)[0],
                **({} if s.channel is None else {"channel": s.channel}),
                **({} if s.filters is None else {"filters": [s.filters.start, s.filters.stop - 1]}),
            }
            for s in view.steps
        ]
        doc["result"] = json_array(result.value(view.of))
        return dumps(doc)
    if fmt not in (Format.PLAIN, Format.MARKDOWN, Format.LATEX):
        raise UsageError(f"steps cannot be written as {fmt}; use table, plain, json, markdown or latex")
    heading = f"{title} of {result.op.value}(X, W), {options_text(result.options, result.op)}"
    lines_of = [grad_step_lines(view, s) for s in view.steps]
    if fmt is Format.PLAIN:
        return (
            "\n".join([f"# {heading}", f"# {definition}", *(line for lines in lines_of for line in lines)])
            + "\n"
        )
    if fmt is Format.MARKDOWN:
        out = [f"### {heading}", "", f"`{definition}`", ""]
        for lines in lines_of:
            out.append(f"- `{lines[0]}`")
            out += [f"  - {line.strip()}" for line in lines[1:]]
        return "\n".join(out) + "\n"
    rows = []
    for lines in lines_of:
        name, _, rest = lines[0].partition(": ")
        formula = _LATEX_GRAD_INDEX.sub(r"\1_{\2}", rest).replace("*", r" \cdot ")
        subscripted = _LATEX_GRAD_INDEX.sub(r"\1_{\2}", name)
        rows.append(f"{subscripted} &= {formula}")
    return f"% {heading}\n\\begin{{align*}}\n" + " \\\\\n".join(rows) + "\n\\end{align*}\n"


_LATEX_GRAD_INDEX = re.compile(r"\b(d?[XWGb])\[([^\]]*)\]")


def format_grad_check(report: GradCheckReport, derivation: GradSteps | None, fmt: Format) -> str:
    """check --op grad-input|grad-weight|grad-bias: json (the verdict, the layer's options, "of"),
    or lines."""
    from .gradsteps import grad_step_lines, grad_title

    result, of = report.expected.result, report.expected.of
    check_whole(
        "check",
        fmt,
        [report.expected.value, report.answer],
        "write the gradient with convcli steps -f json and compare the files",
    )
    derived = [] if derivation is None else [grad_step_lines(derivation, s) for s in derivation.steps]
    if fmt is Format.JSON:
        texts = [
            {"cell": list(s.cell), "value": json_value(s.value), "text": lines[0]}
            for s, lines in zip(derivation.steps if derivation is not None else (), derived, strict=True)
        ]
        doc = verdict_json(grad_title(of), report, texts)
        doc.update(result.options.describe(), layer=result.op.value, kind=result.kind.value)
        doc["upstream_given"] = result.upstream_given
        return dumps(doc)
    return verdict_text(f"{grad_title(of)} of {result.op.value}(X, W)", report, derived, fmt, page=False)
