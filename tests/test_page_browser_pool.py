"""A pooling's steps page in a real browser (skipped, saying why, without one)."""

from __future__ import annotations

from selenium.webdriver.common.by import By

from .test_page_browser import window, write_page


def test_next_moves_the_window_and_fills_the_output(browser, tmp_path):
    page = write_page(
        tmp_path, "pool.html", "steps", "0 1 2; 3 4 5; 6 7 8", "--op", "max-pool", "--stride", "1"
    )
    browser.get(page.as_uri())
    browser.find_element(By.ID, "next").click()
    cells, origin = window(browser)
    assert cells == [["1", "2"], ["4", "5"]]
    assert origin == (0, 1)
    assert "max(1, 2, 4, 5) = 5 at A[1, 2]" in browser.find_element(By.TAG_NAME, "body").text
