"""The network arithmetic's documents in the machine formats: layers (the chain's table and
totals), layers --at K (one layer's formulas) and shape (one layer's output size and each
library's 'same' padding). None of these passes through rich."""

from __future__ import annotations

import csv
import io
from typing import TYPE_CHECKING, Any

from .arraytext import dumps
from .errors import UsageError
from .formats import latex_text
from .model import SLIDING, Convention, Format

if TYPE_CHECKING:  # layers and shapes load only with the commands that use them
    from .layers import Explanation, Network
    from .shapes import AxisReport, ShapeReport

__all__ = [
    "format_layers",
    "format_layer_at",
    "format_shape",
    "same_padding_lines",
]


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
        for op in SLIDING:
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


def format_layers(network: Network, fmt: Format) -> str:
    """The chain's table and totals: plain is tab-separated (for cut and awk), csv, json as README's
    "Network arithmetic" shows, markdown and latex with the counting rules for write-ups."""
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
