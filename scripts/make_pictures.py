"""Regenerate the README's pictures from real runs of the CLI.

Each picture is the table view of one command, saved with --export as SVG, next to the plain
text it shows (.txt). The animation of `steps --play` is an animated SVG made of the frames a
run shows, each as rich exports it (play.svg, with all their text in play.txt). The page made
by `-f html` is kept as it is written (page.html) with a screenshot of it in headless chromium
(page.png, which records the SHA-256 of the page it shows). tests/test_pictures.py fails when a
picture no longer matches what the command prints, so run this after changing how a command
looks:

    python scripts/make_pictures.py

The screenshot needs Debian's chromium and chromium-driver and selenium (the test extra).
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import re
import shutil
import struct
import sys
import tempfile
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from rich.console import Console
from typer.testing import CliRunner

from convcli import play
from convcli.cli import app
from convcli.frames import animate_steps
from convcli.model import Op
from convcli.parsing import read_matrix

ROOT = Path(__file__).resolve().parent.parent
PICTURES = ROOT / "docs" / "pictures"
WIDTH = 80

COMMANDS: dict[str, list[str]] = {
    "compare": ["compare", "samples/window.txt", "samples/B2.txt"],
    "steps": ["steps", "samples/A.txt", "samples/B2.txt", "--op", "convolve", "--mode", "same", "--at", "0,1"],
    "check": ["check", "samples/A.txt", "samples/B2.txt", "--answer", "4 3 3; 2 4 2; 2 2 3"],
}

# convcli steps samples/A.txt samples/B2.txt --op convolve --play, on an 80 x 36 terminal
PLAY = ("samples/A.txt", "samples/B2.txt", Op.CONVOLVE)
PLAY_HEIGHT = 36
FRAME_SECONDS, LAST_SECONDS = 1.2, 4.0

# convcli steps samples/A.txt samples/B2.txt --op convolve -o page.html, shown at step 5
PAGE = ["steps", "samples/A.txt", "samples/B2.txt", "--op", "convolve"]
PAGE_WIDTH, PAGE_STEP = 720, 5
SOURCE_KEY = "convcli-page-sha256"

CHROMIUM_FLAGS = (
    "--headless --no-sandbox --disable-gpu --disable-quic --no-first-run --disable-background-networking "
    "--disable-component-update --disable-sync"
).split()


@contextlib.contextmanager
def _in_root() -> Iterator[None]:
    here = os.getcwd()
    os.chdir(ROOT)
    try:
        yield
    finally:
        os.chdir(here)


def render(name: str, folder: Path) -> tuple[str, str]:
    """Run one command as a user would (from the project folder, table view, 80 columns) and
    return the SVG and the text it recorded."""
    svg, txt = folder / f"{name}.svg", folder / f"{name}.txt"
    runner = CliRunner(env={"COLUMNS": str(WIDTH), "NO_COLOR": None, "TERM": "xterm-256color"})
    with _in_root():
        runner.invoke(app, [*COMMANDS[name], "--format", "table", "--export", str(svg)])
        runner.invoke(app, [*COMMANDS[name], "--format", "table", "--export", str(txt)])
    return svg.read_text(encoding="utf-8"), txt.read_text(encoding="utf-8")


# ---------------------------------------------------------------------------------------------
# steps --play as an animated SVG


def _recorder() -> Console:
    return Console(
        record=True,
        width=WIDTH,
        file=io.StringIO(),
        force_terminal=True,
        color_system="truecolor",
        no_color=False,
        highlight=False,
    )


def play_frames() -> list[tuple[str, str]]:
    """Each frame of the seed example's --play run: its SVG and its text, all of one height."""
    with _in_root():
        a = read_matrix(PLAY[0], name="A")
        b = read_matrix(PLAY[1], name="B")
    views = list(play.drawn_frames(animate_steps(PLAY[2], a, b), width=WIDTH, height=PLAY_HEIGHT))
    heights = []
    for view in views:
        console = _recorder()
        console.print(view)
        heights.append(console.export_text().count("\n"))
    frames = []
    for view, height in zip(views, heights, strict=True):
        console = _recorder()
        console.print(view)
        for _ in range(max(heights) - height):
            console.print()
        frames.append((console.export_svg(title="convcli steps --play", clear=False), console.export_text()))
    return frames


_FONTS = re.compile(r"\s*@font-face\s*\{[^}]*\}")


def animated_svg(frames: list[str], seconds: list[float]) -> str:
    """The frames (SVGs of one size) shown one after another, for ``seconds`` each, in a loop:
    each is visible only during its own part of one CSS animation."""
    view_box = re.search(r'viewBox="([^"]*)"', frames[0]).group(1)  # type: ignore[union-attr]
    _, _, width, height = view_box.split()
    total = sum(seconds)
    styles, groups, start = [], [], 0.0
    for i, (svg, length) in enumerate(zip(frames, seconds, strict=True)):
        begin, end = 100 * start / total, 100 * (start + length) / total
        styles.append(
            f"@keyframes convcli-frame-{i} {{ 0% {{ opacity: 0 }} {begin:.3f}% {{ opacity: 1 }} "
            f"{end:.3f}% {{ opacity: 0 }} 100% {{ opacity: 0 }} }}\n"
            f".convcli-frame-{i} {{ opacity: 0; animation: convcli-frame-{i} {total:g}s step-end infinite }}"
        )
        if i:  # the fonts are declared once, by the first frame
            svg = _FONTS.sub("", svg)
        groups.append(f'<g class="convcli-frame-{i}">{svg}</g>')
        start += length
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="{view_box}">\n'
        f"<style>\n{chr(10).join(styles)}\n</style>\n" + "\n".join(groups) + "\n</svg>\n"
    )


def play_picture() -> tuple[str, str]:
    """The animated SVG of --play, and the text of all its frames."""
    frames = play_frames()
    seconds = [FRAME_SECONDS] * (len(frames) - 1) + [LAST_SECONDS]
    return animated_svg([svg for svg, _ in frames], seconds), "".join(text for _, text in frames)


# ---------------------------------------------------------------------------------------------
# the page and its screenshot


def page_html(folder: Path) -> str:
    """The seed example's page, written as a teacher would (from the project folder)."""
    out = folder / "page.html"
    with _in_root():
        result = CliRunner().invoke(app, [*PAGE, "-o", str(out)])
    if result.exit_code != 0:
        raise RuntimeError(result.stderr)
    return out.read_text(encoding="utf-8")


def chromium_paths() -> tuple[str | None, str | None]:
    """Debian's chromium and its driver, if installed."""
    browser = next((shutil.which(n) for n in ("chromium", "chromium-browser") if shutil.which(n)), None)
    return browser, shutil.which("chromedriver")


@contextlib.contextmanager
def chromium(width: int = 1024, height: int = 900) -> Iterator[Any]:
    """Headless chromium driven by selenium, with a fresh profile and nothing in the background
    that would reach the network."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    browser, driver_path = chromium_paths()
    if browser is None or driver_path is None:
        raise RuntimeError("install Debian's chromium and chromium-driver")
    options = webdriver.ChromeOptions()
    options.binary_location = browser
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    profile = tempfile.mkdtemp(prefix="convcli-chromium-")
    options.add_argument(f"--user-data-dir={profile}")
    driver = webdriver.Chrome(service=Service(driver_path), options=options)
    try:
        driver.set_window_size(width, height)
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def screenshot(page: Path) -> bytes:
    """The page PAGE_WIDTH pixels wide, on step PAGE_STEP (reached with the arrow key), whole."""
    import base64

    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    with chromium(PAGE_WIDTH, 900) as driver:
        driver.get(page.as_uri())
        driver.find_element(By.TAG_NAME, "body").send_keys(*[Keys.ARROW_RIGHT] * (PAGE_STEP - 1))
        height = driver.execute_script("return document.documentElement.scrollHeight")
        metrics = {"width": PAGE_WIDTH, "height": height, "deviceScaleFactor": 1, "mobile": False}
        driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", metrics)
        shot = driver.execute_cdp_cmd("Page.captureScreenshot", {"format": "png"})
    return base64.b64decode(shot["data"])


def with_text(png: bytes, key: str, value: str) -> bytes:
    """The PNG with a tEXt chunk ``key: value`` after its header chunk."""
    data = key.encode("latin-1") + b"\0" + value.encode("latin-1")
    chunk = struct.pack(">I", len(data)) + b"tEXt" + data + struct.pack(">I", zlib.crc32(b"tEXt" + data))
    header_end = 8 + 8 + 13 + 4  # the signature, then IHDR: length, type, 13 bytes, CRC
    return png[:header_end] + chunk + png[header_end:]


def png_text(png: bytes, key: str) -> str | None:
    """The value of a PNG's tEXt chunk ``key``, if it has one."""
    at = 8
    while at + 8 <= len(png):
        (length,) = struct.unpack(">I", png[at : at + 4])
        kind, data = png[at + 4 : at + 8], png[at + 8 : at + 8 + length]
        if kind == b"tEXt" and data.split(b"\0", 1)[0] == key.encode("latin-1"):
            return data.split(b"\0", 1)[1].decode("latin-1")
        at += 12 + length
    return None


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def main() -> int:
    PICTURES.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        for name in COMMANDS:
            svg, txt = render(name, Path(tmp))
            (PICTURES / f"{name}.svg").write_text(svg, encoding="utf-8")
            (PICTURES / f"{name}.txt").write_text(txt, encoding="utf-8")
            print(f"wrote docs/pictures/{name}.svg")
        svg, txt = play_picture()
        (PICTURES / "play.svg").write_text(svg, encoding="utf-8")
        (PICTURES / "play.txt").write_text(txt, encoding="utf-8")
        print("wrote docs/pictures/play.svg")
        page = page_html(Path(tmp))
        (PICTURES / "page.html").write_text(page, encoding="utf-8")
        print("wrote docs/pictures/page.html")
        png = screenshot(PICTURES / "page.html")
        (PICTURES / "page.png").write_bytes(with_text(png, SOURCE_KEY, sha256(page)))
        print("wrote docs/pictures/page.png")
    return 0


if __name__ == "__main__":
    sys.exit(main())
