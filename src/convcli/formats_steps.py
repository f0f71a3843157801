"""The explanations' documents in the machine formats: steps (each output cell derived), im2col
(the patch matrix), and conv-transpose --steps (the scatter-add), around the arrays arraytext.py
writes. None of these passes through rich."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .arraytext import MATRIX, check_whole, dumps, json_array, latex_number, matrix_markdown, matrix_plain
from .errors import UsageError
from .model import SLIDING, Format, Op
from .text import cell_text, format_number, json_value, matrix_text, values_text

if TYPE_CHECKING:  # the explaining modules load only with the commands that use them
    from .explanations import Im2col, Step, Steps, TransposeSteps

__all__ = [
    "format_steps",
    "format_im2col",
    "format_scatter",
    "scatter_lines",
    "step_json",
]


def _steps_header(steps: Steps) -> dict[str, Any]:
    doc: dict[str, Any] = {"op": steps.op.value}
    if steps.options is not None and steps.op in SLIDING:
        doc.update(steps.options.describe())
    doc.update(a_shape=list(steps.a_shape), b_shape=list(steps.b_shape), shape=list(steps.out_shape))
    return doc


def step_json(steps: Steps, step: Step) -> dict[str, Any]:
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
    """steps in a machine format: plain lines in the notation of a sum worked by hand, json as
    README's "Output" describes, and markdown and latex for write-ups."""
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
            steps=[step_json(steps, s) for s in steps.steps],
        )
        return dumps(doc)
    if fmt in (Format.CSV, Format.NPY):
        raise UsageError(f"steps cannot be written as {fmt}; use table, plain, json, markdown, latex or html")
    title = steps.op.value
    if steps.options is not None and steps.op in SLIDING:
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


def scatter_lines(view: TransposeSteps) -> list[str]:
    """The scatter-add and the equivalent zero-stuffed convolution, as plain lines."""
    from .steps import factor_text

    stride = values_text(view.stride)
    lines = [
        f"# conv-transpose, stride {stride}: each input cell times the kernel, placed at its stride "
        "offset, summed; then the padding is cropped from each side"
    ]
    for step in view.steps:
        where = cell_text(step.cell)
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
