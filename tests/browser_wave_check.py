"""Hand-run browser check (not collected by the suite): add a wave in chromium and see
the active-user chart change.

    .venv/bin/python -m pytest tests/browser_wave_check.py

It passed alone 5 times in 5 and failed about half the time in a full run on the shared
2-core machine: the grid's double-click edit of the new wave's size sometimes never
registers. Until that is understood it stays out of ``make test`` (issue 20 stays open);
the same behaviour is covered in AppTest by tests/test_rollout_editors.py.
"""

from __future__ import annotations

import re

from test_e2e_browser import ARTIFACTS, TIMEOUT_MS, _app_page, _wait_idle


def _chart_png(page) -> bytes:
    """The first forecast chart (adoption) as drawn, once the app has settled."""
    page.get_by_role("tab", name="Forecast", exact=True).click()
    _wait_idle(page)
    page.wait_for_timeout(500)  # let the chart finish its redraw
    return page.locator('[data-testid="stVegaLiteChart"]').first.screenshot()


def test_adding_a_wave_in_chromium(tmp_path):
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    with _app_page(tmp_path) as page:
        # adoption as a head count: click the option's label (its radio input is hidden)
        page.locator('[data-testid="stRadio"] label').filter(
            has_text=re.compile(r"^\s*Active users\s*$")).click()
        _wait_idle(page)
        assert page.get_by_role("radio", name="Active users", exact=True).is_checked()
        before = _chart_png(page)
        assert _chart_png(page) == before  # the picture is stable while nothing changes

        page.get_by_role("tab", name="Rollout", exact=True).click()
        _wait_idle(page)
        registered = page.locator('[data-testid="stCaptionContainer"]').filter(
            has_text="Registered users")
        assert registered.inner_text().strip() == (
            "Registered users: 12 from month 0, 100 from month 1, 200 from month 3.")
        grid = page.locator('[data-testid="stDataFrame"]').nth(1)  # wave 0 is the first
        grid.scroll_into_view_if_needed()
        box = grid.bounding_box()
        rows = 4  # header, two waves, the trailing "add a row" row
        page.mouse.click(box["x"] + box["width"] * 0.45, box["y"] + box["height"] * (
            rows - 0.5) / rows)  # a click on the trailing row adds a wave
        _wait_idle(page)
        # the grid grows by the new row; then open its size cell's editor
        grid.evaluate("(el, h) => new Promise(ok => { const t = () => el.getBoundingClientRect()"
                      ".height > h + 10 ? ok() : setTimeout(t, 100); t(); })", box["height"])
        _wait_idle(page)
        row_px = box["height"] / rows  # every grid row (header included) is this tall
        for _ in range(20):  # the grid's height settles once the rerun has drawn it
            page.wait_for_timeout(250)
            now = grid.bounding_box()
            if now == box:
                break
            box = now
        n_rows = round(box["height"] / row_px)  # header, the waves, the trailing row
        # The new wave is the last wave: the row just above the trailing "add" row. Its size
        # cell's editor (an input in the grid's overlay portal) opens on a double click; on
        # a busy machine a rerun can redraw the grid under the click, so try again then.
        typed = "() => [...document.querySelectorAll('[data-testid=\"stCaptionContainer\"]')]" \
                ".some(c => c.innerText.includes('400 from month 1, 500 from month 3'))"
        for _attempt in range(4):
            page.mouse.dblclick(box["x"] + box["width"] * 0.45,
                                box["y"] + row_px * (n_rows - 1.5))
            try:
                page.wait_for_selector("#portal input, #portal textarea", timeout=5_000)
            except PlaywrightTimeout:
                _wait_idle(page)
                continue
            page.keyboard.press("ControlOrMeta+A")
            page.keyboard.type("300")  # the new wave's size (0 users in month 1 by default)
            page.keyboard.press("Enter")
            try:
                page.wait_for_function(typed, timeout=TIMEOUT_MS // 4)
                break
            except PlaywrightTimeout:
                _wait_idle(page)
        page.wait_for_function(typed, timeout=TIMEOUT_MS)
        _wait_idle(page)
        assert "(adjusted)" in page.locator("h3").first.inner_text()

        after = _chart_png(page)
        assert after != before  # 300 more users from month 1: the active-user fan moved
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "app_e2e_wave.png"), full_page=True)
