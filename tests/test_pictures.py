"""The README's pictures must show what the commands print today.

scripts/make_pictures.py writes each picture (SVG) with the text it shows (.txt); when a
command's output changes, this fails until the pictures are regenerated.
"""

from __future__ import annotations

import html
import importlib.util
import re

import pytest

from .conftest import ROOT

spec = importlib.util.spec_from_file_location("make_pictures", ROOT / "scripts" / "make_pictures.py")
assert spec is not None and spec.loader is not None
make_pictures = importlib.util.module_from_spec(spec)
spec.loader.exec_module(make_pictures)


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
    assert svg_text(committed_svg) == re.sub(r"\s+", "", committed_txt), f"{name}.svg and {name}.txt differ; {hint}"


def test_readme_shows_every_picture():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for name in make_pictures.COMMANDS:
        assert f"docs/pictures/{name}.svg" in readme
