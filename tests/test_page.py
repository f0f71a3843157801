"""-f html: one self-contained page for steps, check and compare, read here as text (the browser
tests in test_page_browser.py drive it)."""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import subprocess
import sys
from html.parser import HTMLParser

import numpy as np
import pytest
from typer.testing import CliRunner

from convcli import page
from convcli.cli import ExitCode, app
from convcli.frames import animate_steps
from convcli.model import Op

from . import forkrun
from .clicheck import run
from .conftest import ROOT, SAMPLES

A = str(SAMPLES / "A.txt")
B = str(SAMPLES / "B.txt")
B2 = str(SAMPLES / "B2.txt")
WINDOW = str(SAMPLES / "window.txt")
DATA = re.compile(r'<script type="application/json" id="convcli-data">(.*?)</script>', re.S)


def page_of(*args: str, expect: int = ExitCode.OK) -> str:
    result = run(*args, "-f", "html")
    assert result.exit_code == expect, result.stderr
    assert all(line.startswith("note: ") for line in result.stderr.splitlines())
    assert result.stdout.startswith('<!DOCTYPE html>\n<html lang="en">')
    return result.stdout


def data_of(text: str) -> dict:
    (payload,) = DATA.findall(text)
    return json.loads(payload)


def json_steps(*args: str) -> list[dict]:
    result = run(*args, "-f", "json")
    assert (result.exit_code, result.stderr) == (ExitCode.OK, "")
    return json.loads(result.stdout)["steps"]


class _Text(HTMLParser):
    """The text of an element with a given class, and every URL the page refers to."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []
        self.tags: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.urls += [value or "" for name, value in attrs if name in ("src", "href", "action", "srcset")]


def parsed(text: str) -> _Text:
    parser = _Text()
    parser.feed(text)
    return parser


def test_the_seed_page_carries_every_step_as_convcli_derives_it():
    text = page_of("steps", A, B2, "--op", "convolve")
    data = data_of(text)
    steps = json_steps("steps", A, B2, "--op", "convolve")
    frames = data["frames"]
    assert len(frames) == len(steps) + 1 == 10
    (board,) = data["boards"]
    assert board["layers"][0] == [[str(v) for v in row] for row in np.loadtxt(A, dtype=int).tolist()]
    for frame, step in zip(frames, steps, strict=False):
        assert frame["name"] == "C[" + ", ".join(map(str, step["cell"])) + "]"
        assert frame["value"] == str(step["sum"])
        assert frame["lines"] == [step["terms"]]
        # the marked cells of A hold the step's window
        _, layer, r0, r1, rs, c0, c1, cs = frame["marks"][0]
        window = [[board["layers"][layer][r][c] for c in range(c0, c1, cs)] for r in range(r0, r1, rs)]
        assert window == [[str(v) for v in row] for row in step["window"]]
        assert [r0, c0] == step["window_origin"]
        assert frame["panels"][0]["cells"] == [[str(v) for v in row] for row in step["kernel"]]
    assert frames[-1]["result"] == {"0": [["4", "3", "3"], ["2", "4", "2"], ["2", "2", "3"]]}
    assert data["delay"] == 600


def test_the_page_is_small_and_needs_no_network():
    text = page_of("steps", A, B2, "--op", "convolve")
    assert len(text.encode()) < 40_000  # well under 100 KB
    policy = re.search(r'<meta http-equiv="Content-Security-Policy" content="([^"]*)">', text).group(1)
    assert policy.startswith("default-src 'none'; img-src data:; style-src 'sha256-")
    assert "script-src 'sha256-" in policy and "unsafe" not in policy
    found = parsed(text)
    assert found.urls == ["data:,"]  # the empty icon, so that no favicon is asked for
    assert "http:" not in text and "https:" not in text and "@import" not in text and "url(" not in text
    assert found.tags.count("script") == 2 and found.tags.count("style") == 1


def test_without_script_or_on_paper_every_step_is_listed():
    text = page_of("steps", A, B2, "--op", "convolve")
    static = text[text.index('<section id="static"') :]
    for step in json_steps("steps", A, B2, "--op", "convolve"):
        name = "C[" + ", ".join(map(str, step["cell"])) + "]"
        assert f'<p class="name">{name} = {step["sum"]}</p>' in static
        assert step["terms"] in html.unescape(static.replace("<wbr>", ""))
    assert "the complete result, every cell derived above" in static


def test_numbers_read_as_on_the_terminal():
    data = data_of(page_of("steps", "1/2 -3", "2 -1"))
    assert data["frames"][0]["lines"] == ["((1/2)*2)+((-3)*(-1)) = 1+3 = 4"]
    assert data["boards"][0]["layers"][0] == [["1/2", "-3"]]
    data = data_of(page_of("steps", "a b c; d e f", "w x; y z"))
    assert data["frames"][0]["lines"] == ["(a*w)+(b*x)+(d*y)+(e*z) = a*w + b*x + d*y + e*z"]


def test_padding_and_channels_reach_the_page():
    data = data_of(page_of("steps", A, B, "--mode", "same", "--max-steps", "2"))
    board = data["boards"][0]
    assert board["label"] == "A, padded" and board["rows"][0] == "-1" and board["cols"][0] == "-1"
    assert [0, 0, 0] in board["faint"] and [0, 1, 1] not in board["faint"]
    data = data_of(page_of("steps", "[[[1,2],[3,4]],[[5,6],[7,8]]]", "[[[1]],[[2]]]", "--channels"))
    assert data["frames"][0]["lines"][-1].strip() == "sum over channels: 1+10 = 11"
    assert data["boards"][0]["layerLabel"] == "channel {}" and len(data["boards"][0]["layers"]) == 2


def test_a_large_input_ships_only_what_moves():
    big = np.arange(300 * 300).reshape(300, 300) % 7
    path = str(ROOT / "samples" / "A.txt")  # for the B operand
    result = CliRunner().invoke(
        app, ["steps", json.dumps(big.tolist()), path, "--max-steps", "3", "-f", "html"]
    )
    assert (result.exit_code, result.stderr) == (
        ExitCode.OK,
        "note: showing 3 of 87616 cells; --max-steps 87616 shows them all, --at I,J one cell\n",
    )
    text = result.stdout
    data = data_of(text)
    board = data["boards"][0]
    assert board["of"] == [300, 300]
    assert (len(board["rows"]), len(board["cols"])) == (7, 9)  # the windows, and two cells around
    assert data["output"]["of"] == [296, 296] and len(data["output"]["cols"]) == 5
    assert len(text.encode()) < 60_000


def test_a_page_too_large_is_refused_before_it_is_written(tmp_path, monkeypatch):
    monkeypatch.setattr(page, "MAX_PAGE_NUMBERS", 100)
    out = tmp_path / "p.html"
    result = run("steps", A, B, "--max-steps", "100", "-o", str(out))
    assert result.exit_code == ExitCode.USAGE_OR_INPUT
    assert result.stdout == ""
    assert result.stderr.startswith("error: the page would hold more than 100 numbers; derive fewer cells")
    assert not out.exists()


def test_user_text_is_escaped_everywhere(tmp_path):
    folder = tmp_path / "<" / 'script><img src=x onerror="alert(1)">&'
    folder.mkdir(parents=True)
    shutil.copy(A, folder / "A.txt")
    name = '</script><img src=x onerror="alert(1)">&/A.txt'
    result = forkrun.run(
        [sys.executable, "-m", "convcli", "steps", name, "w x y; z a b; c d e", "-f", "html"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert (result.returncode, result.stderr) == (ExitCode.OK, "")
    text = result.stdout
    assert "<img" not in text and 'onerror="' not in text
    assert "A: &lt;/script&gt;&lt;img src=x onerror=&quot;alert(1)&quot;&gt;&amp;/A.txt" in text
    assert parsed(text).tags.count("script") == 2


def test_the_data_cannot_end_its_script_element():
    hostile = "</script><script>alert(1)</script><!--"
    text = page._document("t", "<p>body</p>", {"frames": [], "say": hostile})
    (payload,) = DATA.findall(text)
    assert "<" not in payload and ">" not in payload
    assert json.loads(payload)["say"] == hostile


@pytest.mark.parametrize(
    "args",
    [
        ["convolve", A, B],
        ["correlate", A, B],
        ["dot", WINDOW, B],
        ["elementwise-sum", WINDOW, B],
        ["im2col", A, B],
        ["conv-transpose", "0 1; 2 3", "0 1; 2 3"],
        ["shape", "--input", "5x5", "--kernel", "3"],
        ["kernels"],
        ["layers", "--input", "3x32x32", "Conv2d(3, 6, 5)"],
    ],
    ids=lambda args: args[0],
)
def test_other_commands_refuse_html(args, tmp_path):
    for extra in (["-f", "html"], ["-o", str(tmp_path / "x.html")]):
        result = run(*args, *extra)
        assert result.exit_code == ExitCode.USAGE_OR_INPUT
        assert result.stdout == ""
        assert result.stderr == (
            "error: html pages are written by steps, check, compare and conv-transpose --steps; "
            "choose another --format here\n"
        )
    assert list(tmp_path.iterdir()) == []


def test_compare_conventions_says_which_formats_it_has():
    result = run("compare", "1 2 3 4 5", "1 2", "--conventions", "-f", "html")
    assert (result.exit_code, result.stdout) == (ExitCode.USAGE_OR_INPUT, "")
    assert (
        result.stderr == "error: compare --conventions cannot be written as html; use table, plain or json\n"
    )


def test_a_page_is_not_written_to_a_terminal():
    leader, follower = os.openpty()
    try:
        result = forkrun.run(
            [sys.executable, "-m", "convcli", "steps", A, B, "-f", "html"],
            stdout=follower,
            stderr=subprocess.PIPE,
            text=True,
        )
    finally:
        os.close(follower)
        os.close(leader)
    assert result.returncode == ExitCode.USAGE_OR_INPUT
    assert result.stderr == (
        "error: an html page is not written to a terminal; use --output FILE.html, or send it to a file "
        "(> page.html)\n"
    )


def test_output_html_writes_the_page_and_delay_sets_its_pace(tmp_path):
    out = tmp_path / "conv.html"
    result = run("steps", A, B2, "--op", "convolve", "-o", str(out), "--delay", "1.5")
    assert result.exit_code == ExitCode.OK
    assert result.stdout == ""
    assert result.stderr == f"wrote {out} (html)\n"
    assert data_of(out.read_text(encoding="utf-8"))["delay"] == 1500


def test_export_html_still_saves_what_the_terminal_showed(tmp_path):
    out = tmp_path / "shown.html"
    result = run("steps", A, B, "--at", "0,0", "-f", "table", "--export", str(out))
    assert (result.exit_code, result.stderr) == (ExitCode.OK, f"exported {out}\n")
    assert "C[0, 0]" in result.stdout
    saved = out.read_text(encoding="utf-8")
    assert "convcli-data" not in saved and "<pre" in saved  # rich's record of the terminal
    assert "C[0, 0]" in saved


def test_the_check_page_marks_the_wrong_cells_and_names_the_mistake():
    text = page_of("check", A, B2, "--answer", "4 3 3; 2 4 2; 2 2 3", expect=ExitCode.WRONG_ANSWER)
    assert '<p class="verdict wrong">✗ wrong</p>' in text
    assert "<strong>diagnosis:</strong> your answer is convolve, not correlate" in text
    answer = text[text.index("<figcaption>your answer</figcaption>") : text.index("<figcaption>right")]
    assert re.findall(r'<td class="wrong">(\d+)</td>', answer) == ["4", "3", "2", "4", "2", "2"]
    data = data_of(text)
    assert [f["name"] for f in data["frames"]] == ["C[0, 0]", "C[0, 2]", "C[1, 0]", "C"]
    assert data["frames"][0]["value"] == "3"
    assert "<h2>The first wrong cells, derived</h2>" in text


def test_a_right_answer_gets_a_short_page():
    text = page_of("check", str(SAMPLES / "X.txt"), str(SAMPLES / "K.txt"), "--answer", "19 25; 37 43")
    assert '<p class="verdict right">✓ right: your answer equals correlate of A and B</p>' in text
    assert "convcli-data" not in text and "<script" not in text


def test_the_compare_page_holds_the_four_results_and_the_explanation():
    text = page_of("compare", A, B)
    for op in ("convolve", "correlate", "elementwise-sum", "dot"):
        assert f"<figcaption>{op}</figcaption>" in text
    assert "undefined: dot: A is 5x5 and B is 3x3; the inner dimensions (5 and 3) must match" in text
    assert "<h2>How they relate</h2>" in text
    shown = run("compare", A, B, "-f", "json")
    assert (shown.exit_code, shown.stderr) == (ExitCode.OK, "")
    doc = json.loads(shown.stdout)
    for fact in doc["facts"]:
        assert f"<li>{html.escape(fact)}</li>" in text
    # the answer comes before the grids
    assert text.index(f'<p class="answer">{html.escape(doc["answer"])}</p>') < text.index("<figcaption>")
    assert "<code>convcli compare samples/window.txt samples/B2.txt</code>" in text
    assert "<script" not in text


def test_conv_transpose_steps_make_a_page():
    data = data_of(page_of("conv-transpose", "0 1; 2 3", "0 1; 2 3", "--stride", "2", "--steps"))
    assert [f["name"] for f in data["frames"]] == ["A[0, 0]", "A[0, 1]", "A[1, 0]", "A[1, 1]", "result"]
    assert data["frames"][3]["lines"] == ["adds 3·B at (2, 2)"]


def test_dot_and_elementwise_sum_pages():
    data = data_of(page_of("steps", WINDOW, B, "--op", "dot"))
    assert [b["label"] for b in data["boards"]] == ["A", "B"]
    assert data["frames"][1]["marks"][:2] == [[0, 0, 0, 1, 1, 0, 3, 1], [1, 0, 0, 3, 1, 1, 2, 1]]
    data = data_of(page_of("steps", WINDOW, B, "--op", "elementwise-sum"))
    assert data["frames"][0]["value"] == "4" and data["output"]["label"] == "sum(A*B)"


def test_pages_are_built_from_the_same_frames_as_the_terminal():
    animation = animate_steps(Op.CORRELATE, np.loadtxt(A, dtype=int), np.loadtxt(B, dtype=int))
    text = page.steps_page(animation, page.PageContext((("A", "a.txt"),), 0.25))
    assert data_of(text)["delay"] == 250
    assert '<p class="sources">A: a.txt</p>' in text
