"""The README's pictures must show what the commands print today.

scripts/make_pictures.py writes each picture (SVG) with the text it shows (.txt); when a
command's output changes, this fails until the pictures are regenerated.
"""

from __future__ import annotations

import html
import re

import pytest

from .conftest import ROOT
from .conftest import make_pictures as load_make_pictures

make_pictures = load_make_pictures()


def svg_text(svg: str) -> str:
    """The characters an SVG draws, without the white space between them."""
    pieces = re.findall(r"<text [^>]*clip-path[^>]*>(.*?)</text>", svg, flags=re.S)
    return re.sub(r"\s+", "", html.unescape("".join(pieces)))


@pytest.mark.parametrize("name", list(make_pictures.COMMANDS))
def test_picture_is_current(name, tmp_path):
    _, text = make_pictures.render(name, tmp_path)
    committed_txt = (make_pictures.PICTURES / f"{name}.txt").read_text(encoding="utf-8")
    committed_svg = (make_pictures.PICTURES / f"{name}.svg").read_text(encoding="utf-8")
    hint = "run: python scripts/make_pictures.py"
    assert text == committed_txt, f"docs/pictures/{name} is out of date; {hint}"
    assert svg_text(committed_svg) == re.sub(r"\s+", "", committed_txt), (
        f"{name}.svg and {name}.txt differ; {hint}"
    )


def test_readme_shows_every_picture():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for name in make_pictures.COMMANDS:
        assert f"docs/pictures/{name}.svg" in readme


def test_the_play_animation_is_current():
    svg, text = make_pictures.play_picture()
    hint = "run: python scripts/make_pictures.py"
    committed_txt = (make_pictures.PICTURES / "play.txt").read_text(encoding="utf-8")
    committed_svg = (make_pictures.PICTURES / "play.svg").read_text(encoding="utf-8")
    assert text == committed_txt, f"docs/pictures/play is out of date; {hint}"
    assert svg_text(committed_svg) == re.sub(r"\s+", "", committed_txt), (
        f"play.svg and play.txt differ; {hint}"
    )
    # every frame of the run is in it, ending on the complete result
    assert [int(n) for n in re.findall(r"step (\d+) of 10", committed_txt)] == list(range(1, 11))
    assert "step 10 of 10 · the complete result\n" in committed_txt
    assert committed_svg.count("@keyframes convcli-frame-") == 10


def test_the_page_and_its_screenshot_are_current(tmp_path):
    hint = "run: python scripts/make_pictures.py"
    committed = (make_pictures.PICTURES / "page.html").read_text(encoding="utf-8")
    assert make_pictures.page_html(tmp_path) == committed, f"docs/pictures/page.html is out of date; {hint}"
    png = (make_pictures.PICTURES / "page.png").read_bytes()
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    shown = make_pictures.png_text(png, make_pictures.SOURCE_KEY)
    assert shown == make_pictures.sha256(committed), f"page.png shows another page than page.html; {hint}"


def test_png_text_chunks_round_trip():
    png = (make_pictures.PICTURES / "page.png").read_bytes()
    tagged = make_pictures.with_text(png, "convcli-test", "a value")
    assert make_pictures.png_text(tagged, "convcli-test") == "a value"
    assert make_pictures.png_text(png, "convcli-test") is None


def test_readme_shows_the_animation_and_the_page():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "docs/pictures/play.svg" in readme
    assert "docs/pictures/page.png" in readme
