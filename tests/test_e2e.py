"""A real browser against the real server: Debian's chromium driven by Playwright."""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
         "--disable-sync", "--no-first-run"]

pytestmark = pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="Debian's chromium is not installed (make test installs it)")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server():
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"), "--server.headless", "true",
         "--server.port", str(port), "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false"],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            urllib.request.urlopen(url + "/_stcore/health", timeout=2)
            break
        except OSError:
            time.sleep(0.5)
    else:
        proc.kill()
        pytest.fail("streamlit did not start within 60 s")
    yield url
    proc.terminate()
    proc.wait(timeout=20)


def test_paste_sample_and_see_highlights_and_law(server, tmp_path):
    from playwright.sync_api import sync_playwright

    from analyzer import Analyzer
    from analyzer.demo import _sample

    text = _sample()
    expected = len(Analyzer().analyze(text).findings)
    assert expected >= 3
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        try:
            page = browser.new_page(viewport={"width": 1300, "height": 1800})
            page.goto(server, wait_until="domcontentloaded")
            page.wait_for_selector("textarea", timeout=90_000)
            page.fill("textarea", text)
            page.locator("textarea").press("Control+Enter")  # commit the text area's value
            page.wait_for_timeout(500)
            page.get_by_role("button", name="分析", exact=True).click()
            page.wait_for_selector("mark", timeout=120_000)
            # findings are shown once scored, then again with the words behind them
            page.wait_for_selector(".tos-pending", state="detached", timeout=120_000)
            assert page.locator("mark").count() == expected
            assert page.locator("mark strong.tos-cue").count() >= 1
            page.locator("details.tos-finding summary").first.click()
            law = page.locator("details.tos-finding").first.locator("blockquote").first
            law.wait_for(state="visible", timeout=10_000)
            assert law.inner_text().startswith("第")
            shot = tmp_path / "page.png"
            page.screenshot(path=str(shot), full_page=True)
            assert shot.stat().st_size > 10_000
        finally:
            browser.close()
