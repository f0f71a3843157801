"""Rich renderables for check: the verdict (right, or the answer beside the right result with the
wrong cells bracketed, the diagnosis and the wrong cells derived), shared by the check of every
operation, and check's view of the sliding operations. Every function returns; nothing here
prints."""

from __future__ import annotations

from typing import Any

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from .explanations import CheckReport, PoolCheckReport, Steps
from .gradcheck import GradCheckReport
from .render_grid import fits, grid_fits, matrix_grid, one_after_another, result_lead
from .render_prose import header, wrapped_terms
from .steps import step_lines
from .text import display_number, shapes_line
from .text import options_text as _options_text

__all__ = [
    "check_view",
    "verdict_parts",
]


def _as_cells(cells: list[tuple[int, ...]]) -> set[tuple[int, int]]:
    return {(0, c[0]) if len(c) == 1 else (c[-2], c[-1]) for c in cells if c}


def check_view(report: CheckReport, derivations: list[Steps], *, width: int = 80) -> RenderableType:
    """check: the verdict, the answer beside the right result with wrong cells bracketed, the
    diagnosis, and the derivation of the first wrong cells."""
    expected = report.expected
    head = header(
        f"check · {expected.op}",
        _options_text(expected.options, expected.op),
        shapes_line(expected.a_shape, expected.b_shape, f" · {expected.kind.label}"),
        width=width,
    )
    derived = [(step_lines(d, s), s.value) for d in derivations for s in d.steps]
    return Group(
        head, Text(""), *verdict_parts(report, str(expected.op), f"{expected.op} of A and B", derived, width)
    )


def verdict_parts(
    report: CheckReport | PoolCheckReport | GradCheckReport,
    name: str,
    equals: str,
    derived: list[tuple[list[str], Any]],
    width: int,
) -> list[RenderableType]:
    """A check's verdict: right (it equals ``equals``), or the answer beside the right result
    (``name``) with the wrong cells bracketed, the diagnosis, and the wrong cells ``derived``
    (each its plain lines and its value)."""
    if report.match:
        return [Text(f"✓ right: your answer equals {equals}", style="bold green")]
    parts: list[RenderableType] = [Text("✗ wrong", style="bold red")]
    marks = _as_cells(report.wrong)
    right = report.expected.value

    # with --channels, one block per filter, named so
    options = report.expected.options if isinstance(report, CheckReport) else None

    def answer(w: int) -> RenderableType:
        # only the wrong cells are red: a right cell drawn red would say it is wrong too
        return matrix_grid(
            report.answer,
            width=w,
            style="",
            highlight=marks or None,
            highlight_style="bold red",
            lead=result_lead(options, report.answer),
        )

    def right_grid(w: int) -> RenderableType:
        return matrix_grid(right, width=w, style="bold green", lead=result_lead(options, right))

    pair: RenderableType = Table.grid(padding=(0, 4))
    assert isinstance(pair, Table)
    pair.add_row(Text("your answer", style="dim"), Text(f"right ({name})", style="dim"))
    pair.add_row(answer(width // 2 - 2), right_grid(width // 2 - 2))
    half = width // 2 - 2
    if not (
        grid_fits(report.answer, half, bool(marks)) and grid_fits(right, half) and fits(pair, width, False)
    ):
        pair = one_after_another(
            [
                ("your answer", answer(width)),
                (f"right ({name})", right_grid(width)),
            ]
        )
    parts += [pair, Text("")]
    if report.shape_mismatch:
        parts.append(Text(report.shape_mismatch, style="yellow"))
    if report.diagnosis is not None:
        parts.append(Text.assemble(("diagnosis: ", "bold"), report.diagnosis.text))
    elif report.worst:
        parts.append(Text.assemble(("off by: ", "bold"), report.worst))
    if len(report.wrong) > len(derived) > 0:
        parts.append(
            Text(
                f"the first {len(derived)} of {len(report.wrong)} wrong cells, derived "
                "(convcli steps --at I,J derives any other):",
                style="dim",
            )
        )
    for lines, value in derived:
        head, _, rest = lines[0].partition(": ")
        parts.append(Text(""))
        parts.append(Text.assemble((f"{head} should be ", "bold"), (display_number(value), "bold green")))
        if rest:
            parts.append(wrapped_terms(rest, width))
        parts += [wrapped_terms(line, width) for line in lines[1:]]
    return parts
