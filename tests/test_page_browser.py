"""The html pages in a real browser: headless Chromium driven by selenium.

They need Debian's chromium and chromium-driver (.ci/run installs them) and selenium (the test
extra); without them these tests are skipped, saying what is missing.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from convcli.cli import ExitCode, app

from .conftest import ROOT, SAMPLES, make_pictures

pytest.importorskip("selenium.webdriver", reason="selenium is not installed (pip install -e '.[test]')")
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.common.keys import Keys  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

if None in make_pictures().chromium_paths():
    reason = "no headless browser: install Debian's chromium and chromium-driver (.ci/run does)"
    if os.environ.get("CONVCLI_REQUIRE_BROWSER"):
        pytest.fail(reason, pytrace=False)
    pytest.skip(reason, allow_module_level=True)

SEED = ["steps", str(SAMPLES / "A.txt"), str(SAMPLES / "B2.txt"), "--op", "convolve"]
CHECK = ["check", *SEED[1:3], "--answer", "4 3 3; 2 4 2; 2 2 3"]  # convolve for correlate: wrong


def write_page(folder: Path, name: str, *args: str, expect: int = ExitCode.OK) -> Path:
    out = folder / name
    result = CliRunner().invoke(app, [*args, "-o", str(out)])
    assert (result.exit_code, result.stdout) == (expect, ""), result.stderr
    assert result.stderr.splitlines()[0] == f"wrote {out} (html)"
    return out


def json_steps(*args: str) -> list[dict]:
    result = CliRunner().invoke(app, [*args, "-f", "json"])
    assert (result.exit_code, result.stderr) == (ExitCode.OK, "")
    return json.loads(result.stdout)["steps"]


def window(driver) -> tuple[list[list[str]], tuple[int, int]]:
    """The marked cells of A as rows of text, and the labels of the first one."""
    cells = driver.find_elements(By.CSS_SELECTOR, "#board-0 td.win")
    rows: dict[int, list[str]] = {}
    for cell in cells:
        rows.setdefault(int(cell.get_attribute("data-r")), []).append(cell.text)
    first = cells[0]
    return [rows[r] for r in sorted(rows)], (
        int(first.get_attribute("data-r")),
        int(first.get_attribute("data-c")),
    )


def test_next_three_times_shows_the_fourth_window_and_its_sum(browser, tmp_path):
    page = write_page(tmp_path, "conv.html", *SEED)
    browser.get(page.as_uri())
    for _ in range(3):
        browser.find_element(By.ID, "next").click()
    step = json_steps(*SEED)[3]
    cells, origin = window(browser)
    assert cells == [[str(v) for v in row] for row in step["window"]]
    assert list(origin) == step["window_origin"] == [1, 0]
    assert browser.find_element(By.ID, "sum").text == str(step["sum"])
    assert browser.find_element(By.ID, "lines").text == step["terms"]
    assert browser.find_element(By.ID, "where").text == "step 4 of 10"
    now = browser.find_element(By.CSS_SELECTOR, "#output td.now")
    assert (now.get_attribute("data-r"), now.get_attribute("data-c"), now.text) == ("1", "0", "2")
    filled = [td.text for td in browser.find_elements(By.CSS_SELECTOR, "#output tbody td:not(.empty)")]
    assert filled == ["4", "3", "3", "2"]  # the output fills in, in reading order
    browser.find_element(By.ID, "prev").click()
    assert window(browser)[1] == (0, 2)


def test_play_advances_the_frames_and_stops_on_the_result(browser, tmp_path):
    page = write_page(tmp_path, "play.html", *SEED, "--delay", "0.05")
    browser.get(page.as_uri())
    where = browser.find_element(By.ID, "where")
    assert where.text == "step 1 of 10"
    button = browser.find_element(By.ID, "play")
    button.click()
    assert button.get_attribute("aria-pressed") == "true"
    WebDriverWait(browser, 10).until(lambda d: where.text != "step 1 of 10")
    WebDriverWait(browser, 10).until(lambda d: where.text == "step 10 of 10 · the complete result")
    assert button.get_attribute("aria-pressed") == "false" and button.get_attribute("aria-label") == "Play"
    result = [td.text for td in browser.find_elements(By.CSS_SELECTOR, "#output tbody td")]
    assert result == ["4", "3", "3", "2", "4", "2", "2", "2", "3"]


def test_the_arrow_keys_and_space_step_and_play(browser, tmp_path):
    page = write_page(tmp_path, "keys.html", *SEED, "--delay", "30")
    browser.get(page.as_uri())
    body = browser.find_element(By.TAG_NAME, "body")
    where = browser.find_element(By.ID, "where")
    body.send_keys(Keys.ARROW_RIGHT, Keys.ARROW_RIGHT)
    assert where.text == "step 3 of 10"
    body.send_keys(Keys.ARROW_LEFT)
    assert where.text == "step 2 of 10"
    body.send_keys(Keys.END)
    assert where.text == "step 10 of 10 · the complete result"
    body.send_keys(Keys.HOME, " ")
    assert browser.find_element(By.ID, "play").get_attribute("aria-pressed") == "true"
    body.send_keys(" ")
    assert browser.find_element(By.ID, "play").get_attribute("aria-pressed") == "false"
    slider = browser.find_element(By.ID, "slider")
    browser.execute_script(
        "arguments[0].value = '7'; arguments[0].dispatchEvent(new Event('input'));", slider
    )
    assert where.text == "step 7 of 10"


def test_no_request_leaves_the_page(browser, tmp_path):
    for name, args, expect in (
        ("steps.html", SEED, ExitCode.OK),
        ("check.html", CHECK, ExitCode.WRONG_ANSWER),
        ("compare.html", ["compare", *SEED[1:3]], ExitCode.OK),
    ):
        page = write_page(tmp_path, name, *args, expect=expect)
        browser.get(page.as_uri())
        entries = browser.execute_script("return performance.getEntriesByType('resource').map(e => e.name)")
        assert entries == []
        loaded = browser.execute_script(
            "return [...document.querySelectorAll('[src], [href]')].map(e => e.getAttribute('src') || e.getAttribute('href'))"
        )
        assert loaded == ["data:,"]
    # and the page's policy would stop one: a fetch from the page is refused
    refused = browser.execute_async_script(
        "const done = arguments[0]; fetch('https://example.org/').then(() => done('sent'), () => done('refused'));"
    )
    assert refused == "refused"


@pytest.mark.parametrize("width", [360, 1024])
def test_the_layout_fits_the_width(browser, tmp_path, width):
    page = write_page(tmp_path, "narrow.html", *SEED, "--mode", "same")
    browser.set_window_size(width, 900)
    try:
        browser.get(page.as_uri())
        inner = browser.execute_script("return window.innerWidth")
        assert inner <= width
        scroll = browser.execute_script("return document.documentElement.scrollWidth")
        assert scroll <= inner, "the page scrolls sideways"
        for name in ("prev", "play", "next", "slider"):
            box = browser.find_element(By.ID, name).rect
            assert box["x"] >= 0 and box["x"] + box["width"] <= inner and box["height"] >= 24, name
        size = browser.execute_script(
            "return parseFloat(getComputedStyle(document.querySelector('#board-0 td')).fontSize)"
        )
        assert size >= 14  # legible on a phone
    finally:
        browser.set_window_size(1024, 900)


def test_focus_is_visible(browser, tmp_path):
    page = write_page(tmp_path, "focus.html", *SEED)
    browser.get(page.as_uri())
    browser.find_element(By.TAG_NAME, "body").send_keys(Keys.TAB)
    focused = browser.switch_to.active_element
    assert focused.get_attribute("id") == "prev"
    style = browser.execute_script(
        "const s = getComputedStyle(arguments[0]); return [s.outlineStyle, s.outlineWidth]", focused
    )
    assert style == ["solid", "3px"]


def test_print_shows_every_step_and_hides_the_player(browser, tmp_path):
    page = write_page(tmp_path, "print.html", *SEED)
    browser.get(page.as_uri())
    assert browser.find_element(By.ID, "player").is_displayed()
    assert not browser.find_element(By.ID, "static").is_displayed()
    browser.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": "print"})
    try:
        assert not browser.find_element(By.ID, "player").is_displayed()
        items = browser.find_elements(By.CSS_SELECTOR, "#static ol.steps li")
        assert [item.find_element(By.CLASS_NAME, "name").text for item in items][:2] == [
            "C[0, 0] = 4",
            "C[0, 1] = 3",
        ]
        assert len(items) == 9
    finally:
        browser.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": ""})


def test_a_hostile_file_name_stays_text(browser, tmp_path):
    folder = tmp_path / "<img src=x onerror=document.title='owned'>"
    folder.mkdir()
    shutil.copy(ROOT / "samples" / "A.txt", folder / "A.txt")
    page = write_page(tmp_path, "hostile.html", "steps", str(folder / "A.txt"), str(SAMPLES / "B.txt"))
    browser.get(page.as_uri())
    assert browser.title == "convcli steps · correlate"
    assert browser.find_elements(By.TAG_NAME, "img") == []
    assert "<img src=x onerror=document.title='owned'>" in browser.find_element(By.CLASS_NAME, "sources").text


def test_the_check_page_steps_through_the_wrong_cells(browser, tmp_path):
    page = write_page(tmp_path, "check.html", *CHECK, expect=ExitCode.WRONG_ANSWER)
    browser.get(page.as_uri())
    wrong = browser.find_elements(By.CSS_SELECTOR, "td.wrong")
    assert [td.text for td in wrong] == ["4", "3", "2", "4", "2", "2"]
    brackets = browser.execute_script(
        "const s = (e, p) => getComputedStyle(e, p).content; return [s(arguments[0], '::before'), s(arguments[0], '::after')]",
        wrong[0],
    )
    assert brackets == ['"["', '"]"']  # wrong cells read as wrong without colour too, as on the terminal
    browser.find_element(By.ID, "next").click()
    assert browser.find_element(By.CSS_SELECTOR, "#name .cell").text == "C[0, 2]"
    assert browser.find_element(By.ID, "sum").text == "4"


def test_without_a_script_the_steps_are_listed(browser, tmp_path):
    page = write_page(tmp_path, "nojs.html", *SEED)
    text = page.read_text(encoding="utf-8")
    stripped = tmp_path / "stripped.html"
    stripped.write_text(text.replace("<script>", '<script type="text/plain">'), encoding="utf-8")
    browser.get(stripped.as_uri())
    assert not browser.find_element(By.ID, "player").is_displayed()
    items = browser.find_elements(By.CSS_SELECTOR, "#static ol.steps li")
    assert len(items) == 9 and items[-1].find_element(By.CLASS_NAME, "name").text == "C[2, 2] = 3"


CONTRAST = """
const rgb = (text) => text.match(/[\\d.]+/g).slice(0, 4).map(Number);
const lum = ([r, g, b]) => {
  const f = (c) => { c /= 255; return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4; };
  return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
};
const background = (e) => {
  for (; e; e = e.parentElement) {
    const c = rgb(getComputedStyle(e).backgroundColor);
    if (c.length < 4 || c[3] > 0) return c;
  }
  return [255, 255, 255];
};
const e = arguments[0];
const [a, b] = [lum(rgb(getComputedStyle(e).color)), lum(background(e))];
return (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
"""


def test_text_has_enough_contrast(browser, tmp_path):
    page = write_page(tmp_path, "contrast.html", *SEED, "--mode", "same")
    browser.get(page.as_uri())
    browser.find_element(By.ID, "next").click()
    for selector in (
        "h1",
        "header p",
        "figcaption",
        "#board-0 th",
        "#board-0 td.win",
        "#board-0 td.pad",
        "#output td.now",
        "#output td.empty",
        "#name .cell",
        "#name .sum",
        "button",
        "#where",
    ):
        element = browser.find_element(By.CSS_SELECTOR, selector)
        assert browser.execute_script(CONTRAST, element) >= 4.5, selector  # WCAG AA for text
    check = write_page(tmp_path, "c.html", *CHECK, expect=ExitCode.WRONG_ANSWER)
    browser.get(check.as_uri())
    for selector in ("td.wrong", ".verdict.wrong"):
        assert browser.execute_script(CONTRAST, browser.find_element(By.CSS_SELECTOR, selector)) >= 4.5, (
            selector
        )
