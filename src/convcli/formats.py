"""Machine formats: plain, csv, json, markdown, latex, npy and html. Each returns str (npy: bytes).

This module holds the documents of an operation's result, compare (and compare --conventions),
conv-transpose's result and the named kernels, --float64's rounding, LaTeX's escaping of text,
and the html page's dispatch; the explanations' documents are formats_steps.py's, check's
formats_check.py's, the network arithmetic's formats_layers.py's, pooling's formats_pool.py's
and grad's formats_grad.py's. plain reads back as input (whitespace-separated rows, blocks
separated by a blank line); json is described in README's "Output". None of these passes through rich.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any, TypeVar

import numpy as np

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
    matrix_latex,
    matrix_markdown,
    matrix_npy,
    matrix_plain,
)
from .errors import UsageError
from .model import SLIDING, Comparison, Format, Kind, Result
from .numeric import as_kind

if TYPE_CHECKING:  # the explaining modules load only with the commands that use them
    from .explanations import ConventionComparison
    from .frames import Animation
    from .kernels import KernelInfo
    from .model import TransposeResult
    from .page import CheckView, PageContext

__all__ = [
    "format_result",
    "format_comparison",
    "format_conventions",
    "format_transpose",
    "format_kernels",
    "format_html",
    "rounded_to_float64",
    "float64_array",
    "latex_text",
]


# ---------------------------------------------------------------------------------------------
# --float64


_Rounded = TypeVar("_Rounded", "Result", "TransposeResult")


def rounded_to_float64(result: _Rounded) -> _Rounded:
    """An exact result (integers, fractions) rounded to float64, each entry to the nearest
    double (--float64); float and complex results are returned as they are."""
    if not result.kind.exact:
        return result
    value = float64_array(result.value, result.kind)
    if isinstance(result, Result) and result.products is not None:
        products = float64_array(result.products, result.kind)
        return dataclasses.replace(result, kind=Kind.FLOAT, value=value, products=products)
    return dataclasses.replace(result, kind=Kind.FLOAT, value=value)


def float64_array(value: np.ndarray, kind: Kind) -> np.ndarray:
    """An array of ``kind`` with each entry rounded to the nearest float64 (--float64); float and
    complex arrays as they are."""
    if not kind.exact:
        return value
    if kind is Kind.SYMBOLIC:
        raise UsageError("--float64: a symbolic result has no float64 value; write it as plain or json")
    try:
        return as_kind(value, Kind.FLOAT)
    except OverflowError:
        raise UsageError(
            "--float64: an entry of the result is beyond float64's range (about 1.8e308); write it "
            "as plain or json, which keep every digit"
        ) from None


# ---------------------------------------------------------------------------------------------
# an operation's result, compare, conv-transpose's result and the named kernels


def _result_json(result: Result) -> dict[str, Any]:
    doc: dict[str, Any] = {"op": result.op.value}
    if result.options is not None and result.op in SLIDING:
        doc.update(result.options.describe())
    doc["kind"] = result.kind.value
    doc["a_shape"] = list(result.a_shape)
    doc["b_shape"] = list(result.b_shape)
    doc["shape"] = list(result.shape)
    doc["result"] = JsonArray(result.value)
    if result.products is not None:
        doc["products"] = JsonArray(result.products)
    if result.notes:
        doc["notes"] = list(result.notes)
    return doc


def format_result(result: Result, fmt: Format) -> str | TextStream | Npy:
    """One operation's result in a machine format. plain and csv give only the value; a large
    value gives a TextStream."""
    if fmt is Format.NPY:
        return matrix_npy(result.value, result.kind)
    if fmt is Format.TABLE:
        raise ValueError("the table format is drawn by render.py")
    cells = result.value.size + (0 if result.products is None else result.products.size)
    if fmt is Format.JSON:
        return document(cells, lambda: json_pieces(_result_json(result)))
    return document(cells, lambda: PIECES[fmt](result.value))


def format_comparison(cmp: Comparison, fmt: Format) -> str:
    """compare in a machine format: json as README's "Output" describes, or one section per operation."""
    check_whole(
        "compare",
        fmt,
        (a for res in cmp.results.values() if isinstance(res, Result) for a in (res.value, res.products)),
        "run convolve or correlate alone, whose result is written as it is formatted",
    )
    if fmt is Format.JSON:
        results: dict[str, Any] = {}
        for op, res in cmp.results.items():
            if isinstance(res, Result):
                results[op.value] = {"shape": list(res.shape), "result": json_array(res.value)}
                if res.products is not None:
                    results[op.value]["products"] = json_array(res.products)
            else:
                results[op.value] = {"error": res.reason}
        doc = {"op": "compare", **cmp.options.describe()}
        doc.update(
            kind=cmp.kind.value,
            a_shape=list(cmp.a_shape),
            b_shape=list(cmp.b_shape),
            results=results,
            answer=cmp.answer,
            facts=[fact.text for fact in cmp.facts],
        )
        if cmp.try_next:
            doc["try_next"] = {"why": cmp.try_next[0], "command": cmp.try_next[1]}
        return dumps(doc)
    if fmt in (Format.CSV, Format.NPY, Format.TABLE):
        raise UsageError(
            f"compare cannot be written as {fmt}; use table, plain, json, markdown, latex or html"
        )
    sections = [_answer_text(cmp, fmt)] if cmp.answer and fmt is not Format.LATEX else []
    for op, res in cmp.results.items():
        if fmt is Format.PLAIN:
            head = f"# {op}"
            body = matrix_plain(res.value) if isinstance(res, Result) else f"# undefined: {res.reason}\n"
        elif fmt is Format.MARKDOWN:
            head = f"### {op}\n"
            body = matrix_markdown(res.value) if isinstance(res, Result) else f"undefined: {res.reason}\n"
        else:
            head = f"% {op}"
            body = matrix_latex(res.value) if isinstance(res, Result) else f"% undefined: {res.reason}\n"
        sections.append(f"{head}\n{body}")
    if fmt is Format.MARKDOWN:
        sections.append("".join(f"- {fact.text}\n" for fact in cmp.facts))
    elif fmt is Format.PLAIN:
        sections.append("".join(f"# {fact.text}\n" for fact in cmp.facts))
    return "\n".join(sections)


def _answer_text(cmp: Comparison, fmt: Format) -> str:
    """compare's answer first: a comment in plain text, a paragraph in Markdown."""
    lines = [cmp.answer]
    if cmp.try_next:
        why, command = cmp.try_next
        lines.append(f"{why} {command}" if fmt is Format.PLAIN else f"{why} `{command}`")
    if fmt is Format.PLAIN:
        return "".join(f"# {line}\n" for line in lines)
    return "\n".join(lines) + "\n"


def format_conventions(cmp: ConventionComparison, fmt: Format) -> str:
    """compare --conventions: json with every convention's results, or one section each."""
    check_whole(
        "compare --conventions",
        fmt,
        (res.value for row in cmp.rows for res in row.results.values() if isinstance(res, Result)),
        "run convolve or correlate --mode same --convention C alone, written as it is formatted",
    )
    if fmt is Format.JSON:
        conventions: dict[str, Any] = {}
        for row in cmp.rows:
            entry: dict[str, Any] = {"rule": row.rule}
            for op, res in row.results.items():
                if isinstance(res, Result):
                    entry[op.value] = {
                        "result": json_array(res.value),
                        "padding": [list(p) for p in row.pads[op]],
                        "differs_from_first": [list(c) for c in row.differs[op]],
                    }
                else:
                    entry[op.value] = {"error": res.reason}
            conventions[row.convention.value] = entry
        doc = {"op": "compare", **cmp.options.describe()}
        doc.pop("convention")
        doc.update(a_shape=list(cmp.a_shape), b_shape=list(cmp.b_shape), conventions=conventions)
        return dumps(doc)
    if fmt is not Format.PLAIN:
        raise UsageError(f"compare --conventions cannot be written as {fmt}; use table, plain or json")
    sections = []
    for row in cmp.rows:
        for op, res in row.results.items():
            body = matrix_plain(res.value) if isinstance(res, Result) else f"# undefined: {res.reason}\n"
            sections.append(f"# {row.convention} {op} (same)\n{body}")
    sections.append("".join(f"# {row.rule}\n" for row in cmp.rows))
    return "\n".join(sections)


def format_transpose(result: TransposeResult, fmt: Format) -> str | TextStream | Npy:
    """A transposed convolution's result: the value in every format, json with its options."""
    if fmt is Format.JSON:
        doc = {"op": result.name, **result.options.describe(), "kind": result.kind.value}
        doc.update(
            a_shape=list(result.a_shape),
            b_shape=list(result.b_shape),
            shape=list(result.shape),
            result=JsonArray(result.value),
        )
        return document(result.value.size, lambda: json_pieces(doc))
    if fmt is Format.NPY:
        return matrix_npy(result.value, result.kind)
    return document(result.value.size, lambda: PIECES[fmt](result.value))


def format_kernels(kernels: list[KernelInfo], fmt: Format) -> str:
    if fmt is Format.JSON:
        return dumps(
            [
                {
                    "name": k.name,
                    "usage": k.usage,
                    "description": k.description,
                    "symmetric": k.symmetric,
                    "matrix": json_array(k.matrix),
                }
                for k in kernels
            ]
        )
    if fmt is not Format.PLAIN and fmt is not Format.MARKDOWN:
        raise UsageError(f"kernels cannot be written as {fmt}; use table, plain, json or markdown")
    if fmt is Format.MARKDOWN:
        return "".join(
            f"### `{k.usage}`\n\n{k.description}\n\n{matrix_markdown(k.matrix)}\n" for k in kernels
        )
    return "\n".join(f"# {k.usage}: {k.description}\n{matrix_plain(k.matrix)}" for k in kernels)


# ---------------------------------------------------------------------------------------------
# LaTeX text and html


_LATEX_SPECIAL = {
    "\\": r"\textbackslash{}",
    "&": r"\&",
    "%": r"\%",
    "$": r"\$",
    "#": r"\#",
    "_": r"\_",
    "{": r"\{",
    "}": r"\}",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
}


def latex_text(text: str) -> str:
    """``text`` as LaTeX prints it: its special characters escaped."""
    return "".join(_LATEX_SPECIAL.get(c, c) for c in text)


def format_html(view: Animation | CheckView | Comparison, context: PageContext | None = None) -> str:
    """One self-contained page (README's "steps"): steps and conv-transpose --steps from their
    animation, check from its verdict, compare from its comparison."""
    from . import page

    if isinstance(view, Comparison):
        return page.compare_page(view, context)
    if isinstance(view, page.CheckView):
        return page.check_page(view.report, view.animation, context)
    return page.steps_page(view, context)
