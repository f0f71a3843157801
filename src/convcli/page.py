"""One self-contained HTML page for steps, check and compare, for a course site or a phone.

The page needs no network: its style and script are inline (from assets/), and a Content
Security Policy forbids it to load anything. A steps page carries its frames (frames.py) as
JSON, and a small script draws them: the grids, the window moving, the products and the sum,
the output filling in, with play/pause, previous/next, a slider and the arrow keys. Every number
on the page is text made here, by the same functions as the terminal's; the script never formats
a number. Without the script, and on paper, the page lists every step as text.

Everything that comes from the user (file names, inline matrices, symbols) is escaped: as HTML
text with ``html.escape``, and inside the JSON with ``<``, ``>`` and ``&`` written as \\u escapes.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import TYPE_CHECKING, Any

import numpy as np

from .errors import UsageError
from .formats_check import format_check
from .frames import DEFAULT_DELAY, OUTPUT_BOARD, Animation, Board, Frame, Mark, Panel, place
from .model import Format
from .text import display_number, options_text, shapes_line

if TYPE_CHECKING:
    from .explanations import CheckReport
    from .model import Comparison

__all__ = ["PageContext", "CheckView", "steps_page", "check_page", "compare_page", "MAX_PAGE_NUMBERS"]

# A page holds at most this many numbers (the grids, each frame's kernel and products): about
# 10 MB of HTML. A long run on a large input asks for fewer steps instead.
MAX_PAGE_NUMBERS = 1_000_000
# Grids up to this many rows and columns are drawn whole; larger ones around the cells that move.
WHOLE = 24
_MARGIN = 2


@dataclass(frozen=True)
class PageContext:
    """What a page says besides its data: where the operands came from, and the pace of play."""

    sources: tuple[tuple[str, str], ...] = ()  # ("A", "samples/A.txt"), ...
    delay: float = DEFAULT_DELAY


@dataclass(frozen=True)
class CheckView:
    """check's verdict, and the derivation of its first wrong cells (None when it is right)."""

    report: CheckReport
    animation: Animation | None


# ---------------------------------------------------------------------------------------------
# text and tables


def _e(text: str) -> str:
    return html.escape(text, quote=True)


def _breakable(text: str) -> str:
    """A long sum of products, escaped, allowed to wrap after each '+' (a phone is narrow)."""
    return _e(text).replace("+", "+<wbr>").replace(" = ", " <wbr>= ")


def _cells(a: np.ndarray) -> list[list[str]]:
    """A 0-, 1- or 2-D array as rows of the terminal's number texts."""
    rows = a.reshape(1, -1) if a.ndim < 2 else a
    return [[display_number(v) for v in row] for row in rows.tolist()]


def _table(
    cells: list[list[str]],
    rows: list[str],
    cols: list[str],
    caption: str,
    marked: set[tuple[int, int]] | None = None,
    mark: str = "win",
) -> str:
    """A grid as a table with its row and column labels; ``marked`` cells get class ``mark``."""
    head = "".join(f'<th scope="col">{_e(c)}</th>' for c in cols)
    body = []
    for r, (label, row) in enumerate(zip(rows, cells, strict=True)):
        tds = "".join(
            f'<td class="{mark}">{_e(text)}</td>' if marked and (r, c) in marked else f"<td>{_e(text)}</td>"
            for c, text in enumerate(row)
        )
        body.append(f'<tr><th scope="row">{_e(label)}</th>{tds}</tr>')
    return (
        f'<figure class="grid"><figcaption>{_e(caption)}</figcaption><div class="scroll"><table>'
        f"<thead><tr><td></td>{head}</tr></thead><tbody>{''.join(body)}</tbody></table></div></figure>"
    )


def _labels(n: int) -> list[str]:
    return [str(i) for i in range(n)]


def _indices(a: np.ndarray) -> tuple[list[str], list[str]]:
    """Row and column labels as the terminal draws them: none for a scalar, columns for a vector."""
    if a.ndim == 0:
        return [""], [""]
    if a.ndim == 1:
        return [""], _labels(a.shape[0])
    return _labels(a.shape[0]), _labels(a.shape[1])


def _grid(a: np.ndarray, caption: str, marked: set[tuple[int, int]] | None = None, mark: str = "win") -> str:
    """A small 0-, 1- or 2-D array as a table."""
    return _table(_cells(a), *_indices(a), caption, marked, mark)


def _panel_table(panel: Panel) -> str:
    return _grid(panel.values, panel.label)


def _header(title: str, options: str, shapes: str, context: PageContext) -> str:
    sources = " · ".join(f"{name}: {_source(text)}" for name, text in context.sources)
    parts = [f"<h1>{_e(title)}</h1>"]
    if options:
        parts.append(f'<p class="options">{_e(options)}</p>')
    parts.append(f'<p class="shapes">{_e(shapes)}</p>')
    if sources:
        parts.append(f'<p class="sources">{_e(sources)}</p>')
    return "<header>" + "".join(parts) + "</header>"


def _source(text: str) -> str:
    if text == "-":
        return "standard input"
    return text if len(text) <= 120 else text[:117] + "..."


# ---------------------------------------------------------------------------------------------
# the document


@cache
def _asset(name: str) -> str:
    return resources.files("convcli").joinpath("assets", name).read_text(encoding="utf-8")


def _sha256(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"


def _document(title: str, body: str, data: dict[str, Any] | None = None) -> str:
    """The page: inline style and script, allowed by their hashes and nothing else."""
    style = _asset("page.css")
    script = _asset("page.js") if data is not None else ""
    policy = f"default-src 'none'; img-src data:; style-src {_sha256(style)}" + (
        f"; script-src {_sha256(script)}" if script else ""
    )
    payload = ""
    if data is not None:
        text = json.dumps(data, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
        text = text.replace("&", "\\u0026").replace("<", "\\u003c").replace(">", "\\u003e")
        payload = (
            f'<script type="application/json" id="convcli-data">{text}</script><script>{script}</script>'
        )
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{policy}">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<meta name="generator" content="convcli">'
        f'<link rel="icon" href="data:,"><title>{_e(title)}</title><style>{style}</style></head>'
        f"<body><main>{body}</main>{payload}</body></html>\n"
    )


# ---------------------------------------------------------------------------------------------
# frames as data for the script


class _Budget:
    """Counts the numbers a page would hold, and refuses before it grows past MAX_PAGE_NUMBERS."""

    def __init__(self) -> None:
        self.used = 0

    def take(self, n: int) -> None:
        self.used += n
        if self.used > MAX_PAGE_NUMBERS:
            raise UsageError(
                f"the page would hold more than {MAX_PAGE_NUMBERS:,} numbers; derive fewer cells "
                "(--max-steps N, or --at I,J for one) or use a smaller input"
            )


def _window(n: int, lo: int, hi: int) -> range:
    """The rows (or columns) of a grid to draw: all of a small grid, else the span that moves."""
    if n <= WHOLE:
        return range(n)
    return range(max(lo - _MARGIN, 0), min(hi + _MARGIN, n))


def _span(marks: list[Mark], n_rows: int, n_cols: int) -> tuple[range, range]:
    rows = [r for m in marks if m.rows for r in (m.rows[0], m.rows[-1])]
    cols = [c for m in marks if m.cols for c in (m.cols[0], m.cols[-1])]
    if not rows:
        return _window(n_rows, 0, min(n_rows, WHOLE)), _window(n_cols, 0, min(n_cols, WHOLE))
    return _window(n_rows, min(rows), max(rows) + 1), _window(n_cols, min(cols), max(cols) + 1)


def _mark(m: Mark) -> list[int]:
    return [m.board, m.layer, m.rows.start, m.rows.stop, m.rows.step, m.cols.start, m.cols.stop, m.cols.step]


def _panel(panel: Panel) -> dict[str, Any]:
    rows, cols = _indices(panel.values)
    return {"label": panel.label, "cells": _cells(panel.values), "rows": rows, "cols": cols}


def _frame(frame: Frame) -> dict[str, Any]:
    return {
        "name": frame.name,
        "value": frame.value,
        "marks": [_mark(m) for m in frame.marks],
        "panels": [_panel(p) for p in frame.panels],
        "lines": list(frame.lines),
        "fills": [[*cell, display_number(v)] for cell, v in frame.fills],
    }


def _board(board: Board, marks: list[Mark], budget: _Budget) -> dict[str, Any]:
    layers, n_rows, n_cols = board.values.shape
    rows, cols = _span(marks, n_rows, n_cols)
    budget.take(layers * len(rows) * len(cols))
    part = (slice(None), slice(rows.start, rows.stop), slice(cols.start, cols.stop))
    faint = [] if board.faint is None else np.argwhere(board.faint[part]).tolist()
    return {
        "label": board.label,
        "layerLabel": board.layer_label,
        "note": board.note,
        "layers": [_cells(layer) for layer in board.values[part]],
        "faint": faint,
        "top": rows.start,
        "left": cols.start,
        "rows": [str(r + board.start[0]) for r in rows],
        "cols": [str(c + board.start[1]) for c in cols],
        "of": [n_rows, n_cols],
    }


def _animation_data(animation: Animation, delay: float) -> tuple[dict[str, Any], list[Frame]]:
    """The scene and every frame as JSON-ready data; large grids only where the frames move."""
    budget = _Budget()
    frames = []
    for frame in animation.frames:  # counted as they come: a huge run stops early
        budget.take(sum(p.values.size for p in frame.panels) + len(frame.fills))
        frames.append(frame)
    scene = animation.scene
    boards = [
        _board(board, [m for f in frames for m in f.marks if m.board == index], budget)
        for index, board in enumerate(scene.boards)
    ]
    out = scene.output
    moving = [m for f in frames[:-1] for m in f.marks if m.board == OUTPUT_BOARD]
    moving += [_one(cell) for f in frames for cell, _ in f.fills]
    rows, cols = _span(moving, *out.shape[1:])
    data_frames = [_frame(f) for f in frames]
    for f, d in zip(frames, data_frames, strict=True):
        if f.result is not None:
            used = sorted({m.layer for m in moving} | {0})
            budget.take(len(used) * len(rows) * len(cols))
            part = f.result[:, rows.start : rows.stop, cols.start : cols.stop]
            d["result"] = {str(layer): _cells(part[layer]) for layer in used}
    budget.take(sum(p.values.size for p in scene.panels))
    data = {
        "delay": round(delay * 1000),
        "boards": boards,
        "panels": [_panel(p) for p in scene.panels],
        "output": {
            "label": out.label,
            "layerLabel": out.layer_label,
            "layers": out.shape[0],
            "top": rows.start,
            "left": cols.start,
            "rows": [str(r) for r in rows],
            "cols": [str(c) for c in cols],
            "of": list(out.shape[1:]),
        },
        "frames": data_frames,
    }
    return data, frames


def _one(cell: tuple[int, int, int]) -> Mark:
    return Mark(OUTPUT_BOARD, cell[0], range(cell[1], cell[1] + 1), range(cell[2], cell[2] + 1))


_PLAYER = """<section id="player" class="player" hidden aria-label="The steps, one at a time">
<div class="controls" role="group" aria-label="Step through">
<button type="button" id="prev" aria-label="Previous step" aria-keyshortcuts="ArrowLeft">◀ Prev</button>
<button type="button" id="play" aria-label="Play" aria-keyshortcuts="Space">▶ Play</button>
<button type="button" id="next" aria-label="Next step" aria-keyshortcuts="ArrowRight">Next ▶</button>
<label class="slider">Step <input type="range" id="slider" min="1" max="{count}" value="1"></label>
<output id="where" aria-live="polite">step 1 of {count}</output>
</div>
<div id="derivation" class="derivation"><p id="name"></p><div id="lines"></div></div>
<div id="grids" class="grids"></div>
<p class="hint">Keys: ← and → step, space plays and pauses.</p>
</section>"""


def _step_list(frames: list[Frame], title: str) -> str:
    """Every step as text: what shows without the script, and on paper."""
    items = []
    for frame in frames:
        if frame.result is not None:
            continue
        head = f"{frame.name} = {frame.value}" if frame.value else frame.name
        lines = "".join(f'<p class="terms">{_breakable(line)}</p>' for line in frame.lines)
        items.append(f'<li><p class="name">{_e(head)}</p>{lines}</li>')
    return f'<h2>{_e(title)}</h2><ol class="steps">{"".join(items)}</ol>'


def _result_table(frame: Frame, label: str) -> str:
    assert frame.result is not None
    parts = []
    for layer, grid in enumerate(frame.result[: min(len(frame.result), 8)]):
        name = label if len(frame.result) == 1 else f"{label}, {layer} of {len(frame.result)}"
        rows, cols = _window(grid.shape[0], 0, WHOLE), _window(grid.shape[1], 0, WHOLE)
        part = grid[rows.start : rows.stop, cols.start : cols.stop]
        parts.append(_table(_cells(part), [str(r) for r in rows], [str(c) for c in cols], name))
    lines = "".join(f"<p>{_e(line)}</p>" for line in frame.lines)
    return f'<section class="result">{lines}<div class="grids">{"".join(parts)}</div></section>'


def _fallback(animation: Animation, frames: list[Frame], list_title: str) -> str:
    """The page without its script: the inputs, every step as text, the complete result."""
    scene = animation.scene
    grids = []
    for board in scene.boards:
        layer = board.values[0]
        rows, cols = _window(layer.shape[0], 0, WHOLE), _window(layer.shape[1], 0, WHOLE)
        part = layer[rows.start : rows.stop, cols.start : cols.stop]
        grids.append(
            _table(
                _cells(part),
                [str(r + board.start[0]) for r in rows],
                [str(c + board.start[1]) for c in cols],
                board.label,
            )
        )
    grids += [_panel_table(p) for p in scene.panels]
    if frames and frames[0].result is None and frames[0].panels:
        grids.append(_panel_table(frames[0].panels[0]))
    last = frames[-1]
    result = _result_table(last, scene.output.label) if last.result is not None else ""
    return (
        f'<section id="static" class="static"><div class="grids">{"".join(grids)}</div>'
        f"{_step_list(frames, list_title)}{result}</section>"
    )


def _player_page(
    animation: Animation, context: PageContext, intro: str, list_title: str, title: str = ""
) -> tuple[str, dict[str, Any]]:
    data, frames = _animation_data(animation, context.delay)
    scene = animation.scene
    body = (
        _header(title or scene.title, scene.options, scene.shapes, context)
        + intro
        + f'<p class="definition">{_e(scene.definition)}</p>'
        + _PLAYER.format(count=len(frames))
        + _fallback(animation, frames, list_title)
    )
    return body, data


# ---------------------------------------------------------------------------------------------
# the three pages


def steps_page(animation: Animation, context: PageContext | None = None) -> str:
    """steps as a page: the frames of ``animation`` to play, and every step as text."""
    context = context or PageContext()
    body, data = _player_page(animation, context, "", "Every step")
    return _document(f"convcli {animation.scene.title}", body, data)


def check_page(report: CheckReport, animation: Animation | None, context: PageContext | None = None) -> str:
    """check as a page: the verdict, the answer beside the right result with the wrong cells
    marked, the diagnosis, and the derivation of the first wrong cells (``animation``)."""
    context = context or PageContext()
    expected = report.expected
    title = f"check · {expected.op}"
    shapes = shapes_line(expected.a_shape, expected.b_shape, f" · {expected.kind.label}")
    options = options_text(expected.options, expected.op)
    if report.match:
        verdict = (
            f'<p class="verdict right">✓ right: your answer equals {_e(str(expected.op))} of A and B</p>'
        )
        return _document(f"convcli {title}", _header(title, options, shapes, context) + verdict)
    shape = tuple(expected.value.shape)
    wrong: dict[int, set[tuple[int, int]]] = {}
    for cell in report.wrong:
        layer, r, c = place(cell, shape)
        wrong.setdefault(layer, set()).add((r, c))
    grids = []
    for label, value, marked in (
        ("your answer", report.answer, wrong),
        (f"right ({expected.op})", expected.value, {}),
    ):
        layers = value.reshape(-1, *value.shape[-2:]) if value.ndim > 2 else [value]
        for n, layer in enumerate(layers[:8]):
            name = label if len(layers) == 1 else f"{label}, {n} of {len(layers)}"
            grids.append(_grid(layer, name, marked.get(n), "wrong"))
    notes = ['<p class="verdict wrong">✗ wrong</p>']
    # what is wrong, in the words of check's plain output: the shape, the mistake, the cells
    lines = format_check(report, [], Format.PLAIN).splitlines()
    for line in lines[1 : lines.index("expected:")]:
        key, _, text = line.partition(": ")
        notes.append(f'<p class="diagnosis"><strong>{_e(key)}:</strong> {_e(text)}</p>')
    intro = "".join(notes) + f'<div class="grids">{"".join(grids)}</div>'
    if animation is not None:
        some = "The first wrong cells" if len(report.wrong) > animation.count - 1 else "The wrong cells"
        intro += f"<h2>{some}, derived</h2>"
    if animation is None:
        return _document(f"convcli {title}", _header(title, options, shapes, context) + intro)
    body, data = _player_page(animation, context, intro, "The wrong cells, derived", title)
    return _document(f"convcli {title}", body, data)


def compare_page(cmp: Comparison, context: PageContext | None = None) -> str:
    """compare as a page: the four results side by side, then how they relate for these inputs."""
    from .model import Undefined

    context = context or PageContext()
    shapes = shapes_line(cmp.a_shape, cmp.b_shape, f" · {cmp.kind.label}")
    sections = []
    for op, res in cmp.results.items():
        if isinstance(res, Undefined):
            sections.append(
                f'<figure class="grid"><figcaption>{_e(str(op))}</figcaption>'
                f'<p class="undefined">undefined: {_e(res.reason)}</p></figure>'
            )
            continue
        value = res.value
        layers = value.reshape(-1, *value.shape[-2:]) if value.ndim > 2 else [value]
        for n, layer in enumerate(layers[:8]):
            name = str(op) if len(layers) == 1 else f"{op}, {n} of {len(layers)}"
            sections.append(_grid(layer, name))
    facts = "".join(f"<li>{_e(fact.text)}</li>" for fact in cmp.facts)
    answer = f'<p class="answer">{_e(cmp.answer)}</p>' if cmp.answer else ""
    if cmp.try_next:
        answer += f"<p>{_e(cmp.try_next[0])} <code>{_e(cmp.try_next[1])}</code></p>"
    body = (
        _header("compare", options_text(cmp.options, None), shapes, context)
        + answer
        + f'<div class="grids four">{"".join(sections)}</div>'
        + f'<h2>How they relate</h2><ul class="facts">{facts}</ul>'
    )
    return _document("convcli compare", body)
