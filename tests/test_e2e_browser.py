"""End to end in a real browser: Debian's chromium, driven by playwright, on ``streamlit run``.

Starts the app on a free local port, waits for the charts, moves the discount-rate slider with
the keyboard, checks a headline metric changes, downloads the scenario TOML and the forecast
CSV and checks both parse (the TOML loads back with the moved value), and saves a screenshot
under artifacts/ (ignored by git). A second test adds a rollout wave with the Rollout tab's
*Add a wave* form and checks the active-user chart changes (its data, from the forecast CSV
the chart is drawn from, and its picture). Needs /usr/bin/chromium
(``make browser``); never a downloaded browser build. Without chromium the tests skip, or
fail when CI=true.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import pandas as pd
import pytest

from simulator import load_scenario

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = ROOT / "artifacts"
TIMEOUT_MS = 120_000

pytestmark = pytest.mark.e2e


def _require(condition: bool, message: str) -> None:
    if condition:
        return
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(message)
    pytest.skip(message)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_healthy(url: str, proc: subprocess.Popen, log: Path, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"streamlit exited early ({proc.returncode}):\n"
                                 f"{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise AssertionError(f"streamlit did not answer {url} within {timeout:.0f} s:\n"
                         f"{log.read_text()[-3000:]}")


IDLE_JS = """(quietMs) => {
    const app = document.querySelector('[data-testid="stApp"]');
    const state = app && app.getAttribute('data-test-script-state');
    const now = performance.now();
    if (state !== 'notRunning') { window.__idleSince = null; return false; }
    if (window.__idleSince == null) window.__idleSince = now;
    return now - window.__idleSince >= quietMs;
}"""


# Set just before an action: a MutationObserver remembers whether the script has run since
# (it sees every change of the state attribute, however short the rerun).
ARM_JS = """() => {
    const app = document.querySelector('[data-testid="stApp"]');
    window.__ran = false;
    if (window.__obs) window.__obs.disconnect();
    window.__obs = new MutationObserver(() => {
        if (app.getAttribute('data-test-script-state') === 'running') window.__ran = true;
    });
    window.__obs.observe(app, {attributes: true, attributeFilter: ['data-test-script-state']});
}"""
RERAN_JS = """() => {
    const app = document.querySelector('[data-testid="stApp"]');
    return window.__ran && app.getAttribute('data-test-script-state') === 'notRunning';
}"""


#: Websocket messages each page has received from the server (counted by ``_app_page``).
_FRAMES: dict[int, int] = {}


def _rerun(page, action) -> None:
    """Do ``action`` (a click, a key) and wait until the rerun it starts has finished, then
    until the app has stayed idle (a rerun can queue another).

    A rerun shows either as the script-state attribute going to 'running' or as messages
    from the server: a fast rerun (a tab switch on a cached result, ~40 ms) can finish
    before the page ever marks the script as running, yet its deltas still arrive (checked:
    the same number of messages as a rerun the attribute showed).
    """
    page.evaluate(ARM_JS)
    seen = _FRAMES.get(id(page), 0)
    action()
    deadline = time.monotonic() + TIMEOUT_MS / 1000
    while not (page.evaluate(RERAN_JS) or _FRAMES.get(id(page), 0) > seen):
        if time.monotonic() > deadline:
            raise AssertionError(f"no rerun within {TIMEOUT_MS / 1000:.0f} s of the action")
        page.wait_for_timeout(50)
    _wait_idle(page)


def _wait_idle(page, quiet_ms: int = 1000) -> None:
    """Wait until the script has stopped running and stayed stopped for ``quiet_ms``.

    Every keypress on a slider queues a rerun; a download button clicked while later reruns
    are still finishing can point at a file Streamlit has already dropped (the download is
    then cancelled), so the test only clicks once the app has settled.
    """
    page.evaluate("() => { window.__idleSince = null; }")
    page.wait_for_function(IDLE_JS, arg=quiet_ms, polling=100, timeout=TIMEOUT_MS)


def _metric(page, label: str) -> str:
    box = page.locator('[data-testid="stMetric"]').filter(has_text=label).first
    return box.locator('[data-testid="stMetricValue"]').inner_text().strip()


@contextmanager
def _app_page(tmp_path: Path):
    """A chromium page on ``streamlit run app.py`` (free local port), charts drawn, app idle."""
    _require(CHROMIUM.exists(), f"{CHROMIUM} is missing: install Debian's chromium with "
                                "`make browser` (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _require(False, "the playwright Python package is missing (pip install -e '.[dev]')")

    port = _free_port()
    env = dict(os.environ)
    env.setdefault("NUMBA_CACHE_DIR", str(ROOT / ".numba_cache"))
    env["STREAMLIT_BROWSER_GATHER_USAGE_STATS"] = "false"
    log = tmp_path / "streamlit.log"
    streamlit = shutil.which("streamlit", path=str(Path(sys.executable).parent)) or "streamlit"
    with log.open("w") as out:
        proc = subprocess.Popen(
            [streamlit, "run", "app.py", "--server.headless", "true", "--server.port",
             str(port), "--server.address", "127.0.0.1", "--server.fileWatcherType", "none"],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        _wait_healthy(f"http://127.0.0.1:{port}/_stcore/health", proc, log)
        with sync_playwright() as pw:
            browser = pw.chromium.launch(
                executable_path=str(CHROMIUM),
                args=["--headless", "--no-sandbox", "--disable-gpu",
                      "--disable-background-networking"])
            try:
                page = browser.new_page(viewport={"width": 1600, "height": 2200},
                                        accept_downloads=True)
                page.set_default_timeout(TIMEOUT_MS)
                key = id(page)
                _FRAMES[key] = 0

                def count(ws) -> None:
                    ws.on("framereceived",
                          lambda _frame: _FRAMES.__setitem__(key, _FRAMES[key] + 1))

                page.on("websocket", count)
                page.goto(f"http://127.0.0.1:{port}/")
                # Charts drawn: the four forecast charts render as canvases or SVGs.
                page.wait_for_function(
                    "document.querySelectorAll('[data-testid=\"stVegaLiteChart\"] canvas, "
                    "[data-testid=\"stVegaLiteChart\"] svg.marks').length >= 4",
                    timeout=TIMEOUT_MS)
                _wait_idle(page)
                yield page
            finally:
                browser.close()
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def test_app_in_chromium(tmp_path):
    with _app_page(tmp_path) as page:
        before = _metric(page, "NPV P50")
        assert before.startswith(("USD ", "-USD ")), before

        # Move the discount-rate slider from 8 % to 10 % with the keyboard.
        slider = page.get_by_role("slider", name=re.compile("Discount rate"))
        assert float(slider.input_value()) == pytest.approx(8.0)
        slider.focus()
        for _ in range(4):
            slider.press("ArrowRight")
        page.wait_for_function(
            "([label, old]) => [...document.querySelectorAll("
            "'[data-testid=\"stMetric\"]')].some(m => m.innerText.includes(label) && "
            "!m.innerText.includes(old))", arg=["NPV P50", before], timeout=TIMEOUT_MS)
        _wait_idle(page)
        after = _metric(page, "NPV P50")
        assert after != before
        assert float(slider.input_value()) == pytest.approx(10.0)
        page.locator('[data-testid="stVegaLiteChart"]').first.wait_for()
        _wait_idle(page)

        with page.expect_download() as dl:
            page.get_by_role("button", name="Download scenario (TOML)").click()
        toml_path = tmp_path / dl.value.suggested_filename
        dl.value.save_as(toml_path)
        sc = load_scenario(toml_path)
        assert sc.scenario.discount_rate_annual == pytest.approx(0.10)

        with page.expect_download() as dl:
            page.get_by_role("button", name="Download forecast ranges (CSV)").click()
        csv_path = tmp_path / dl.value.suggested_filename
        dl.value.save_as(csv_path)
        bands = pd.read_csv(csv_path)
        for col in ("month", "active_rate_p50", "accuracy_p10", "cum_net_p90"):
            assert col in bands.columns, col
        assert len(bands) == sc.horizon + 1

        ARTIFACTS.mkdir(exist_ok=True)
        page.wait_for_timeout(500)  # let the charts finish their redraw
        page.screenshot(path=str(ARTIFACTS / "app_e2e.png"), full_page=True)


def _bands(page, tmp_path: Path, name: str) -> pd.DataFrame:
    """The forecast ranges the charts are drawn from, as the app's CSV download gives them."""
    with page.expect_download() as dl:
        page.get_by_role("button", name="Download forecast ranges (CSV)").click()
    path = tmp_path / name
    dl.value.save_as(path)
    return pd.read_csv(path)


def _settled_picture(page, locator, differs_from: bytes | None = None) -> bytes:
    """The element's picture once two shots in a row agree (the chart has finished drawing)
    and, with ``differs_from``, once it differs from that picture."""
    deadline = time.monotonic() + TIMEOUT_MS / 1000
    last = locator.screenshot()
    while time.monotonic() < deadline:
        page.wait_for_timeout(200)  # the polling interval between two shots
        now = locator.screenshot()
        if now == last and now != differs_from:
            return now
        last = now
    raise AssertionError("the chart's picture did not settle" + (
        " on a new picture" if differs_from is not None else ""))


def test_adding_a_wave_in_chromium(tmp_path):
    with _app_page(tmp_path) as page:
        forecast = page.get_by_role("tab", name="Forecast", exact=True)
        rollout_tab = page.get_by_role("tab", name="Rollout", exact=True)
        # adoption as a head count: click the option's label (its radio input is hidden)
        _rerun(page, page.locator('[data-testid="stRadio"] label').filter(
            has_text=re.compile(r"^\s*Active users\s*$")).click)
        assert page.get_by_role("radio", name="Active users", exact=True).is_checked()
        chart = page.locator('[data-testid="stVegaLiteChart"]').first
        before_png = _settled_picture(page, chart)
        before = _bands(page, tmp_path, "before.csv")

        _rerun(page, rollout_tab.click)
        registered = page.locator('[data-testid="stCaptionContainer"]').filter(
            has_text="Registered users")
        assert registered.inner_text().strip() == (
            "Registered users: 12 from month 0, 100 from month 1, 200 from month 3.")
        form = page.locator('[data-testid="stForm"]').filter(has_text="Add a wave")
        form.scroll_into_view_if_needed()
        size = form.get_by_role("spinbutton", name="Size (users)")
        size.fill("300")  # inside a form: no rerun until the button
        size.press("Tab")
        start = form.get_by_role("spinbutton", name="Start month")
        start.fill("1")
        start.press("Tab")
        _rerun(page, form.get_by_role("button", name="Add the wave").click)
        assert registered.inner_text().strip() == (
            "Registered users: 12 from month 0, 400 from month 1, 500 from month 3.")
        assert page.locator('[data-testid="stAlert"]').filter(has_text="Add a wave").count() == 0
        assert page.locator('[data-testid="stException"]').count() == 0
        assert "(adjusted)" in page.locator("h3").first.inner_text()

        # the active-user chart's data: 300 more users registered from month 1
        after = _bands(page, tmp_path, "after.csv")
        assert len(after) == len(before)
        grown = after["active_users_mean"].iloc[1:] - before["active_users_mean"].iloc[1:]
        assert grown.sum() > 0, grown
        # and its picture
        _rerun(page, forecast.click)
        _settled_picture(page, chart, differs_from=before_png)
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "app_e2e_wave.png"), full_page=True)
