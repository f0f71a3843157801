"""Pooling's documents in the machine formats: pool's result, steps --op max-pool|avg-pool and
check of a pooling, around the arrays arraytext.py writes. None of these passes through rich."""

from __future__ import annotations

import dataclasses
import re
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
from .formats import float64_array, latex_text
from .formats_check import verdict_json, verdict_text
from .model import Format, Kind
from .text import json_value

if TYPE_CHECKING:  # the explaining modules load only with the commands that use them
    from .explanations import (
        PoolCheckReport,
        PoolSteps,
    )
    from .pool import PoolResult

__all__ = ["format_pool", "format_pool_steps", "format_pool_check", "rounded_pool_to_float64"]


# ---------------------------------------------------------------------------------------------
# pooling


def rounded_pool_to_float64(result: PoolResult) -> PoolResult:
    """A pooling's exact output and gradient rounded to float64 (--float64)."""
    output = float64_array(result.output, result.kind)
    kind = Kind.FLOAT if result.kind.exact else result.kind
    if result.grad_input is None or result.grad_kind is None:
        return dataclasses.replace(result, output=output, kind=kind)
    grad = float64_array(result.grad_input, result.grad_kind)
    grad_kind = Kind.FLOAT if result.grad_kind.exact else result.grad_kind
    return dataclasses.replace(result, output=output, kind=kind, grad_input=grad, grad_kind=grad_kind)


def _pool_json(result: PoolResult) -> dict[str, Any]:
    doc: dict[str, Any] = {"op": result.name, **result.geometry.describe()}
    doc.update(kind=result.value_kind.value, a_shape=list(result.a_shape), shape=list(result.shape))
    doc["of"] = result.of.value
    doc["output"] = JsonArray(result.output)
    doc["output_kind"] = result.kind.value
    if result.grad_input is not None and result.upstream is not None:
        doc["upstream"] = JsonArray(result.upstream)
        doc["upstream_given"] = result.upstream_given
        doc["grad_input"] = JsonArray(result.grad_input)
        if result.options.kind.value == "max":
            doc["ties"] = [
                {
                    "cell": list(t.cell),
                    "count": t.count,
                    "value": json_value(t.value),
                    "to": list(t.to),
                    "nan": t.nan,
                }
                for t in result.ties
            ]
            doc["tie_count"] = result.tie_count
    doc["result"] = JsonArray(result.value)
    if result.notes:
        doc["notes"] = list(result.notes)
    return doc


def format_pool(result: PoolResult, fmt: Format) -> str | TextStream | Npy:
    """pooling: json with the output, the gradient when computed, and the ties; every other
    format the value --of names (plain reads back as input)."""
    if fmt is Format.NPY:
        return matrix_npy(result.value, result.value_kind)
    if fmt is Format.TABLE:
        raise ValueError("the table format is drawn by render_pool.py")
    if fmt is Format.JSON:
        arrays = (result.output, result.upstream, result.grad_input, result.value)
        cells = sum(a.size for a in arrays if a is not None)
        return document(cells, lambda: json_pieces(_pool_json(result)))
    return document(result.value.size, lambda: PIECES[fmt](result.value))


_LATEX_INDEX = re.compile(r"\b(d?[ACG])\[([^\]]*)\]")


def _pool_step_json(steps: PoolSteps) -> list[dict[str, Any]]:
    from .steps_pool import pool_grad_lines, pool_step_lines

    out: list[dict[str, Any]] = []
    for g in steps.grad_steps:
        sources = [
            {"cell": list(s.cell), "g": json_value(s.g), "count": s.count, "share": json_value(s.share)}
            for s in g.sources
        ]
        out.append(
            {
                "cell": list(g.cell),
                "sources": sources,
                "value": json_value(g.value),
                "terms": pool_grad_lines(steps, g)[0],
            }
        )
    for step in steps.steps:
        doc: dict[str, Any] = {
            "cell": list(step.cell),
            "taps": [list(t) for t in step.taps],
            "window": [None if v is None else json_value(v) for v in step.window],
            "padding": list(step.padding),
            "value": json_value(step.value),
        }
        if step.best is not None:
            doc.update(at=list(step.taps[step.best]), ties=step.ties)
        else:
            doc.update(sum=json_value(step.total), count=step.count)
        doc["terms"] = pool_step_lines(steps, step)[0]
        out.append(doc)
    return out


def format_pool_steps(steps: PoolSteps, fmt: Format) -> str:
    """steps --op max-pool|avg-pool: each window (or, for the gradient, each cell of A) derived,
    as plain lines, json, markdown or latex."""
    from .steps_pool import pool_definition, pool_grad_lines, pool_step_lines
    from .text import pool_options_text

    result = steps.result
    definition = pool_definition(steps)
    if fmt is Format.JSON:
        doc: dict[str, Any] = {"op": result.name, **result.geometry.describe()}
        doc.update(a_shape=list(result.a_shape), shape=list(result.shape), of=result.of.value)
        doc.update(definition=definition, total_cells=steps.total_cells, shown=steps.shown)
        doc["steps"] = _pool_step_json(steps)
        doc["result"] = json_array(result.value)
        return dumps(doc)
    if fmt not in (Format.PLAIN, Format.MARKDOWN, Format.LATEX):
        raise UsageError(f"steps cannot be written as {fmt}; use table, plain, json, markdown, latex or html")
    lines = [pool_grad_lines(steps, g)[0] for g in steps.grad_steps]
    lines += [pool_step_lines(steps, s)[0] for s in steps.steps]
    title = (
        f"{result.name}, {pool_options_text(result.geometry, len(result.a_shape) == 1, result.options.kind)}"
    )
    if fmt is Format.PLAIN:
        return "\n".join([f"# {title}", f"# {definition}", *lines]) + "\n"
    if fmt is Format.MARKDOWN:
        return (
            "\n".join([f"### {title}", "", f"`{definition}`", "", *(f"- `{line}`" for line in lines)]) + "\n"
        )
    rows = []
    for line in lines:
        name, _, rest = line.partition(": ")
        formula, _, where = rest.partition(" at ")
        subscripted = _LATEX_INDEX.sub(r"\1_{\2}", formula)
        formula = subscripted.replace("-inf", r"-\infty").replace("max(", r"\max(")
        tail = rf" \quad \text{{at {latex_text(where)}}}" if where else ""
        name = _LATEX_INDEX.sub(r"\1_{\2}", name)
        rows.append(f"{name} &= {formula}{tail}")
    return f"% {title}\n\\begin{{align*}}\n" + " \\\\\n".join(rows) + "\n\\end{align*}\n"


def format_pool_check(report: PoolCheckReport, derivation: PoolSteps | None, fmt: Format) -> str:
    """check --op max-pool|avg-pool: json (the verdict, the pooling's options, "of"), or lines."""
    from .steps_pool import pool_grad_lines, pool_step_lines

    result = report.expected
    check_whole(
        "check",
        fmt,
        [result.value, report.answer],
        "write the pooling with convcli pool -o FILE (written as it is formatted) and compare the files",
    )
    if fmt is Format.JSON:
        derived = [] if derivation is None else _pool_step_json(derivation)
        doc = verdict_json(result.name, report, derived)
        doc.update(result.geometry.describe(), of=result.of.value, kind=result.value_kind.value)
        return dumps(doc)
    lines: list[list[str]] = []
    if derivation is not None:
        lines += [pool_grad_lines(derivation, g) for g in derivation.grad_steps]
        lines += [pool_step_lines(derivation, s) for s in derivation.steps]
    name = f"{result.name}'s gradient with respect to A" if result.of.value == "grad-input" else result.name
    return verdict_text(name, report, lines, fmt, page=False)
