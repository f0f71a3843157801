"""check's documents in the machine formats: the verdict (right or wrong, the wrong cells, the
diagnosis) as json or lines, shared by the check of every operation. None of these passes
through rich."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .arraytext import check_whole, dumps, json_array, matrix_plain
from .errors import UsageError
from .formats_steps import step_json
from .model import Format
from .text import cell_text

if TYPE_CHECKING:  # the explaining modules load only with the commands that use them
    from .explanations import CheckReport, PoolCheckReport, Steps
    from .gradcheck import GradCheckReport

__all__ = [
    "format_check",
    "verdict_json",
    "verdict_text",
]


def _check_json(report: CheckReport, derivations: list[Steps]) -> dict[str, Any]:
    return verdict_json(
        report.expected.op.value, report, [step_json(d, s) for d in derivations for s in d.steps]
    )


def verdict_json(
    name: str, report: CheckReport | PoolCheckReport | GradCheckReport, derived: list[Any]
) -> dict[str, Any]:
    """A check's verdict as JSON (README's "Output"): "match", "wrong", "diagnosis"..."""
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
    """check in a machine format: json as README's "Output" describes ("match", "wrong",
    "diagnosis"), or lines."""
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
        shown = ", ".join(cell_text(c) for c in report.wrong[:10])
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
