"""Machine formats: plain, csv, json, markdown, latex, npy and html. Each returns str (npy: bytes).

plain reads back as input (whitespace-separated rows, blocks separated by a blank line); json
follows SPEC §4. None of these passes through rich.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import re
from typing import TYPE_CHECKING, Any, TypeVar

import numpy as np

from .arraytext import (
    MATRIX,
    PIECES,
    JsonArray,
    Npy,
    TextStream,
    check_whole,
    document,
    dumps,
    json_array,
    json_pieces,
    latex_number,
    matrix_latex,
    matrix_markdown,
    matrix_npy,
    matrix_plain,
)
from .errors import UsageError
from .model import Comparison, Convention, Format, Kind, Op, Result
from .numeric import as_kind
from .text import format_number, json_value, matrix_text

if TYPE_CHECKING:  # the explaining modules load only with the commands that use them
    from .explanations import (
        CheckReport,
        ConventionComparison,
        Im2col,
        PoolCheckReport,
        Step,
        Steps,
        TransposeSteps,
    )
    from .frames import Animation
    from .gradcheck import GradCheckReport
    from .gradsteps import GradSteps
    from .kernels import KernelInfo
    from .layers import Explanation, Network
    from .model import TransposeResult
    from .page import CheckView, PageContext
    from .pool import PoolResult
    from .shapes import AxisReport, ShapeReport

__all__ = [
    "format_result",
    "format_comparison",
    "format_steps",
    "format_im2col",
    "format_conventions",
    "format_check",
    "format_transpose",
    "format_scatter",
    "format_shape",
    "format_kernels",
    "format_layers",
    "format_layer_at",
    "format_html",
    "rounded_to_float64",
    "float64_array",
    "rounded_pool_to_float64",
    "latex_text",
    "verdict_json",
    "verdict_text",
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


def rounded_pool_to_float64(result: PoolResult) -> PoolResult:
    """A pooling's exact output and gradient rounded to float64 (--float64)."""
    output = float64_array(result.output, result.kind)
    kind = Kind.FLOAT if result.kind.exact else result.kind
    if result.grad_input is None or result.grad_kind is None:
        return dataclasses.replace(result, output=output, kind=kind)
    grad = float64_array(result.grad_input, result.grad_kind)
    grad_kind = Kind.FLOAT if result.grad_kind.exact else result.grad_kind
    return dataclasses.replace(result, output=output, kind=kind, grad_input=grad, grad_kind=grad_kind)


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
# documents


def _result_json(result: Result) -> dict[str, Any]:
    doc: dict[str, Any] = {"op": result.op.value}
    if result.options is not None and result.op in (Op.CONVOLVE, Op.CORRELATE):
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
    """compare in a machine format: json per SPEC §4, or one section per operation."""
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


# ---------------------------------------------------------------------------------------------
# steps and im2col


def _answer_text(cmp: Comparison, fmt: Format) -> str:
    """compare's answer first: a comment in plain text, a paragraph in Markdown."""
    lines = [cmp.answer]
    if cmp.try_next:
        why, command = cmp.try_next
        lines.append(f"{why} {command}" if fmt is Format.PLAIN else f"{why} `{command}`")
    if fmt is Format.PLAIN:
        return "".join(f"# {line}\n" for line in lines)
    return "\n".join(lines) + "\n"


def _steps_header(steps: Steps) -> dict[str, Any]:
    doc: dict[str, Any] = {"op": steps.op.value}
    if steps.options is not None and steps.op in (Op.CONVOLVE, Op.CORRELATE):
        doc.update(steps.options.describe())
    doc.update(a_shape=list(steps.a_shape), b_shape=list(steps.b_shape), shape=list(steps.out_shape))
    return doc


def _step_json(steps: Steps, step: Step) -> dict[str, Any]:
    from .steps import terms_text

    doc: dict[str, Any] = {
        "cell": list(step.cell),
        "window": json_array(step.window),
        "kernel": json_array(step.kernel),
        "products": json_array(step.products),
        "terms": terms_text(step.window, step.kernel, step.products, step.total),
        "sum": json_value(step.total),
    }
    if step.origin:
        doc["window_origin"] = list(step.origin)
    if step.padding is not None and step.padding.any():
        doc["padding"] = step.padding.tolist()
    if step.channel_sums:
        doc["channel_sums"] = [json_value(v) for v in step.channel_sums]
    if step.value is not step.total:
        doc["value"] = json_value(step.value)
    return doc


def _latex_terms(step: Step) -> str:
    def factor(x: Any) -> str:
        text = latex_number(x)
        return f"\\left({text}\\right)" if text.startswith("-") or "frac" in text else text

    pairs = " + ".join(
        f"{factor(x)} \\cdot {factor(w)}" for x, w in zip(step.window.flat, step.kernel.flat, strict=True)
    )
    values = " + ".join(factor(p) for p in step.products.flat)
    return f"{pairs} = {values} = {latex_number(step.total)}"


def format_steps(steps: Steps, fmt: Format) -> str:
    """steps in a machine format: plain lines in the seed's notation, json per SPEC §4, and
    markdown and latex for write-ups."""
    from .steps import cell_name, definition, step_lines

    check_whole(
        "steps",
        fmt,
        [steps.turned, *(a for s in steps.steps for a in (s.window, s.kernel, s.products))],
        "derive fewer cells (--max-steps N, or --at I,J for one)",
    )
    if fmt is Format.JSON:
        doc = _steps_header(steps)
        doc["definition"] = definition(steps.op, bool(steps.options and steps.options.channels), steps)
        if steps.turned is not None:
            doc["kernel_turned"] = json_array(steps.turned)
        doc.update(
            total_cells=steps.total_cells,
            shown=len(steps.steps),
            steps=[_step_json(steps, s) for s in steps.steps],
        )
        return dumps(doc)
    if fmt in (Format.CSV, Format.NPY):
        raise UsageError(f"steps cannot be written as {fmt}; use table, plain, json, markdown, latex or html")
    title = steps.op.value
    if steps.options is not None and steps.op in (Op.CONVOLVE, Op.CORRELATE):
        title += f", mode {steps.options.mode}"
    lines_of = [step_lines(steps, s) for s in steps.steps]
    if fmt is Format.PLAIN:
        head = [f"# {title}: {definition(steps.op, bool(steps.options and steps.options.channels), steps)}"]
        if steps.turned is not None:
            head.append(f"# rot180(B) = {matrix_text(steps.turned)}")
        return "\n".join(head + [line for lines in lines_of for line in lines]) + "\n"
    if fmt is Format.MARKDOWN:
        out = [
            f"### {title}",
            "",
            f"`{definition(steps.op, bool(steps.options and steps.options.channels), steps)}`",
            "",
        ]
        if steps.turned is not None:
            out += ["B turned 180°:", "", matrix_markdown(steps.turned)]
        for lines in lines_of:
            out.append(f"- `{lines[0]}`")
            out += [f"  - `{line.strip()}`" for line in lines[1:]]
        return "\n".join(out) + "\n"
    rows = []
    for step in steps.steps:
        name = cell_name(steps.op, step.cell).replace("[", "_{").replace("]", "}")
        if step.channel_sums:
            rows.append(f"{name} &= " + " + ".join(latex_number(t) for t in step.channel_sums))
        else:
            rows.append(f"{name} &= {_latex_terms(step)}")
    return f"% {title}\n\\begin{{align*}}\n" + " \\\\\n".join(rows) + "\n\\end{align*}\n"


def format_im2col(view: Im2col, fmt: Format) -> str:
    """im2col: the patch matrix, the kernel rows and their product reshaped to the output."""
    from .steps import cell_label

    check_whole("im2col", fmt, [view.patches, view.kernel_rows, view.product], "give a smaller input")
    taps = [view.tap_name(r) for r in range(view.patches.shape[0])]
    if fmt is Format.JSON:
        return dumps(
            {
                "op": view.op.value,
                "patches": json_array(view.patches),
                "rows": taps,
                "columns": [list(label) for label in view.labels],
                "kernel_row": json_array(view.kernel_rows),
                **({"groups": view.groups} if view.groups > 1 else {}),
                "result": json_array(view.product),
                "equals_direct": view.equal,
            }
        )
    if fmt not in (Format.PLAIN, Format.MARKDOWN, Format.LATEX):
        raise UsageError(f"im2col cannot be written as {fmt}; use table, plain, json, markdown or latex")
    matrix = MATRIX[fmt]
    mark = {Format.PLAIN: "# ", Format.MARKDOWN: "### ", Format.LATEX: "% "}[fmt]
    check = "equals" if view.equal else "DOES NOT equal"
    sections = [
        f"{mark}patches: one row per entry of B (" + " ".join(taps) + ")",
        f"{mark}and one column per output cell " + " ".join(cell_label(c) for c in view.labels),
        matrix(view.patches),
        f"{mark}kernel row"
        + (" (B turned 180°)" if view.op is Op.CONVOLVE else "")
        + (f"s, one block per group ({view.groups})" if view.groups > 1 else "")
        + ": "
        + " ".join(taps),
        matrix(view.kernel_rows),
        f"{mark}kernel row @ patches, reshaped: {check} {view.op}",
        matrix(view.product),
    ]
    return "\n".join(sections)


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


def _check_json(report: CheckReport, derivations: list[Steps]) -> dict[str, Any]:
    return verdict_json(
        report.expected.op.value, report, [_step_json(d, s) for d in derivations for s in d.steps]
    )


def verdict_json(
    name: str, report: CheckReport | PoolCheckReport | GradCheckReport, derived: list[Any]
) -> dict[str, Any]:
    """A check's verdict as JSON (SPEC section 4): "match", "wrong", "diagnosis"..."""
    diagnosis = report.diagnosis
    return {
        "op": name,
        "match": report.match,
        "wrong": [list(cell) for cell in report.wrong],
        "shape_mismatch": report.shape_mismatch,
        "diagnosis": None if diagnosis is None else {"key": diagnosis.key, "text": diagnosis.text},
        "worst": report.worst,
        "expected": json_array(report.expected.value),
        "answer": json_array(report.answer),
        "derivations": derived,
    }


def format_check(report: CheckReport, derivations: list[Steps], fmt: Format) -> str:
    """check in a machine format: json per SPEC §4 ("match", "wrong", "diagnosis"), or lines."""
    from .steps import step_lines

    check_whole(
        "check",
        fmt,
        [
            report.expected.value,
            report.answer,
            *(a for d in derivations for s in d.steps for a in (s.window, s.kernel, s.products)),
        ],
        "write the operation's result with -o FILE (written as it is formatted) and compare the files",
    )
    if fmt is Format.JSON:
        return dumps(_check_json(report, derivations))
    derived = [step_lines(d, s) for d in derivations for s in d.steps]
    return verdict_text(str(report.expected.op), report, derived, fmt, page=True)


def verdict_text(
    name: str,
    report: CheckReport | PoolCheckReport | GradCheckReport,
    derived: list[list[str]],
    fmt: Format,
    *,
    page: bool,
) -> str:
    """A check's verdict as plain lines or markdown: right or wrong, why, the wrong cells derived
    (each its plain lines), and the right result. ``page``: this check can also be an html page."""
    if fmt is not Format.PLAIN and fmt is not Format.MARKDOWN:
        kinds = "table, plain, json, markdown or html" if page else "table, plain, json or markdown"
        raise UsageError(f"check cannot be written as {fmt}; use {kinds}")
    lines = [f"right: your answer equals {name}" if report.match else "wrong"]
    if report.shape_mismatch:
        lines.append(f"shape: {report.shape_mismatch}")
    if report.diagnosis is not None:
        lines.append(f"diagnosis: {report.diagnosis.text}")
    if report.worst:
        lines.append(f"off by: {report.worst}")
    if report.wrong:
        shown = ", ".join("[" + ", ".join(map(str, c)) + "]" for c in report.wrong[:10])
        more = f" and {len(report.wrong) - 10} more" if len(report.wrong) > 10 else ""
        lines.append(f"wrong cells: {shown}{more}")
    for first, *rest in derived:
        lines.append(first.replace(": ", " should be: ", 1))
        lines += rest
    if not report.match:
        lines.append("expected:")
        lines.append(matrix_plain(report.expected.value).rstrip("\n"))
    if fmt is Format.MARKDOWN:
        return "".join(f"- {line}\n" if "\n" not in line else f"\n```\n{line}\n```\n" for line in lines)
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------------------------------
# conv-transpose, shape, kernels


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


def scatter_lines(view: TransposeSteps) -> list[str]:
    """The scatter-add and the equivalent zero-stuffed convolution, as plain lines."""
    from .steps import factor_text

    stride = ",".join(map(str, view.stride))
    lines = [
        f"# conv-transpose, stride {stride}: each input cell times the kernel, placed at its stride "
        "offset, summed; then the padding is cropped from each side"
    ]
    for step in view.steps:
        where = "[" + ", ".join(map(str, step.cell)) + "]"
        at = "(" + ", ".join(map(str, step.origin)) + ")"
        lines.append(f"A{where} = {format_number(step.value)}: adds {factor_text(step.value)}*B at {at}")
        lines.append(matrix_plain(step.contribution).rstrip("\n"))
    crop = ", ".join(f"{before},{after}" for before, after in view.crop)
    lines += [f"# summed (before cropping {crop}):", matrix_plain(view.uncropped).rstrip("\n")]
    pads = ", ".join(f"{before},{after}" for before, after in view.pads)
    lines += [
        "# the same as a convolution: A with stride-1 zeros between entries",
        matrix_plain(view.stuffed).rstrip("\n"),
        f"# padded by {pads} (negative: cropped), correlated with B turned 180°",
        matrix_plain(view.turned).rstrip("\n"),
        "# result",
        matrix_plain(view.result).rstrip("\n"),
    ]
    return lines


def format_scatter(view: TransposeSteps, fmt: Format) -> str:
    from .transpose import NAME

    check_whole(
        "conv-transpose --steps",
        fmt,
        [view.uncropped, view.stuffed, view.turned, view.result, *(s.contribution for s in view.steps)],
        "show fewer cells (--max-steps N, or --at I,J for one)",
    )
    if fmt is Format.JSON:
        return dumps(
            {
                "op": NAME,
                **view.options.describe(),
                "steps": [
                    {
                        "cell": list(s.cell),
                        "value": json_value(s.value),
                        "origin": list(s.origin),
                        "contribution": json_array(s.contribution),
                    }
                    for s in view.steps
                ],
                "total_cells": view.total_cells,
                "uncropped": json_array(view.uncropped),
                "crop": [list(c) for c in view.crop],
                "stuffed": json_array(view.stuffed),
                "pads": [list(p) for p in view.pads],
                "kernel_turned": json_array(view.turned),
                "result": json_array(view.result),
            }
        )
    if fmt is not Format.PLAIN:
        raise UsageError(
            f"steps for conv-transpose cannot be written as {fmt}; use table, plain, json or html"
        )
    return "\n".join(scatter_lines(view)) + "\n"


def _same_pads_json(axis: AxisReport) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for (convention, op), pads in axis.same_pads.items():
        out.setdefault(convention.value, {})[op.value] = list(pads) if isinstance(pads, tuple) else pads
    return out


def same_padding_lines(
    report: ShapeReport, conventions: tuple[Convention, ...] = tuple(Convention)
) -> list[str]:
    """For each library (or the ones asked for): the (before, after) padding 'same' uses."""
    lines = ["'same' padding (before, after) per axis:"]
    for convention in conventions:
        parts = []
        for op in (Op.CONVOLVE, Op.CORRELATE):
            pads = [axis.same_pads[(convention, op)] for axis in report.axes]
            pairs = [p for p in pads if not isinstance(p, str)]  # a str is a library's refusal
            if len(pairs) < len(pads):
                parts.append(f"{op} refused (stride > 1)")
            else:
                parts.append(f"{op} " + " ".join(f"({b}, {a})" for b, a in pairs))
        lines.append(f"  {convention}: " + "; ".join(parts))
    return lines


def format_shape(
    report: ShapeReport, fmt: Format, conventions: tuple[Convention, ...] = tuple(Convention)
) -> str:
    if fmt is Format.JSON:
        return dumps(
            {
                "input": list(report.input_shape),
                "kernel": list(report.kernel_shape),
                "transposed": report.transposed,
                "output": list(report.output_shape),
                "channels": list(report.leading),
                "axes": [
                    {
                        "size": axis.size,
                        "formula": axis.formula,
                        "full": axis.full,
                        "same": axis.same,
                        "same_padding": _same_pads_json(axis),
                    }
                    for axis in report.axes
                ],
            }
        )
    if fmt is not Format.PLAIN:
        raise UsageError(f"shape cannot be written as {fmt}; use table, plain or json")
    lines = report.summary_lines()
    if not report.transposed:
        lines += same_padding_lines(report, conventions)
    return "\n".join(lines) + "\n"


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
# layers


def format_layers(network: Network, fmt: Format) -> str:
    """The chain's table and totals: plain is tab-separated (for cut and awk), csv, json as SPEC
    §8, markdown and latex with the counting rules for write-ups."""
    from .layers import HEADERS, RULES
    from .text import dims_text

    if fmt is Format.JSON:
        return dumps(network.describe())
    totals = (("params", network.params), ("MACs", network.macs), ("FLOPs", network.flops))
    headers = ["index", "layer", "output", "params", "macs", "receptive_field", "jump", "start"]
    if fmt is Format.PLAIN:
        # columns two spaces apart (no layer's text holds two spaces): awk -F '  +' splits them
        table = [list(HEADERS), *network.cells()]
        widths = [max(len(row[i]) for row in table) for i in range(len(HEADERS))]
        lines = [
            "  ".join(
                c.ljust(w) if i in (1, 2) else c.rjust(w)
                for i, (c, w) in enumerate(zip(row, widths, strict=True))
            ).rstrip()
            for row in table
        ]
        return "\n".join(lines + [""] + [f"{name.ljust(6)}  {value}" for name, value in totals]) + "\n"
    if fmt is Format.CSV:
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(headers)
        writer.writerows(network.cells())
        return out.getvalue()
    summary = f"input {dims_text(network.input)} → output {dims_text(network.output)}"
    if fmt is Format.MARKDOWN:
        rows = [
            "| " + " | ".join(f"`{c}`" if i == 1 else c for i, c in enumerate(cells)) + " |"
            for cells in network.cells(grouped=True)
        ]
        return (
            "\n".join(
                [
                    summary,
                    "",
                    "| " + " | ".join(HEADERS) + " |",
                    "|---:|---|---|---:|---:|---:|---:|---:|",
                    *rows,
                    "",
                    f"Total: {network.params:,} parameters, {network.macs:,} MACs, {network.flops:,} FLOPs.",
                    "",
                    *(f"- {line}" for line in (*RULES, *network.notes)),
                ]
            )
            + "\n"
        )
    if fmt is Format.LATEX:

        def cell(i: int, text: str) -> str:
            return f"\\texttt{{{latex_text(text)}}}" if i == 1 else latex_text(text).replace(",", "{,}")

        def count(n: int) -> str:
            return f"{n:,}".replace(",", "{,}")

        body = [
            " & ".join(cell(i, c) for i, c in enumerate(cells)) + r" \\"
            for cells in network.cells(grouped=True)
        ]
        total = (
            f"total: {count(network.params)} parameters, {count(network.macs)} MACs, "
            f"{count(network.flops)} FLOPs"
        )
        return (
            "\n".join(
                [
                    r"\begin{tabular}{rlrrrrrr}",
                    " & ".join(latex_text(h) for h in HEADERS) + r" \\",
                    r"\hline",
                    *body,
                    r"\hline",
                    rf"\multicolumn{{8}}{{l}}{{{total}}} \\",
                    r"\end{tabular}",
                ]
            )
            + "\n"
        )
    raise UsageError(f"layers cannot be written as {fmt}; use table, plain, csv, json, markdown or latex")


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
    return "".join(_LATEX_SPECIAL.get(c, c) for c in text)


def format_layer_at(explanation: Explanation, network: Network, fmt: Format) -> str:
    """One layer's numbers with the formulas filled in (``layers --at K``)."""
    row = explanation.row
    if fmt is Format.JSON:
        doc = {"input": list(network.input), **row.describe(network.spatial)}
        doc["formulas"] = [{"quantity": label, "text": text} for label, text in explanation.lines]
        return dumps(doc)
    if fmt is Format.PLAIN:
        width = max(len(label) for label, _ in explanation.lines)
        lines = [explanation.title] + [f"  {label.ljust(width)}  {text}" for label, text in explanation.lines]
        return "\n".join(lines) + "\n"
    if fmt is Format.MARKDOWN:
        lines = [f"**{explanation.title}**", ""] + [
            f"- {label}: `{text}`" for label, text in explanation.lines
        ]
        return "\n".join(lines) + "\n"
    raise UsageError(f"layers --at cannot be written as {fmt}; use table, plain, json or markdown")


# ---------------------------------------------------------------------------------------------
# html


def format_html(view: Animation | CheckView | Comparison, context: PageContext | None = None) -> str:
    """One self-contained page (SPEC section 9): steps and conv-transpose --steps from their
    animation, check from its verdict, compare from its comparison."""
    from . import page

    if isinstance(view, Comparison):
        return page.compare_page(view, context)
    if isinstance(view, page.CheckView):
        return page.check_page(view.report, view.animation, context)
    return page.steps_page(view, context)


# ---------------------------------------------------------------------------------------------
# gradients of a layer, cell by cell


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
