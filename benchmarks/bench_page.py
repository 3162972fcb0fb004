"""Time from paste to highlights, and to the words behind them, on the real page, in a real browser.

    python benchmarks/bench_page.py [--chars 20000] [--runs 3] [--screenshot page.png]

Starts ``streamlit run app.py`` on a free localhost port, drives Debian's chromium with Playwright,
pastes an agreement of about ``--chars`` characters (corpus agreements joined, test split first), clicks
分析 and measures until the highlighted clauses are on the page (the page shows them once scored),
then until the model's word evidence is in as well. Each run pastes agreements no earlier run used,
so neither the page's result cache nor the score cache has seen its clauses.
"""
from __future__ import annotations

import argparse
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from analyzer.data import load_agreements  # noqa: E402

FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
         "--disable-sync", "--no-first-run"]


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--chars", type=int, default=20_000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--screenshot", default=None)
    args = ap.parse_args()
    docs = [d["text"] for split in ("test", "dev", "train") for d in load_agreements(split)]
    texts, text = [], ""
    for doc in docs:  # each run gets agreements of its own, so no cache has seen its clauses
        text += doc + "\n"
        if len(text) >= args.chars:
            texts.append(text[: args.chars])
            text = ""
        if len(texts) > args.runs:
            break
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = subprocess.Popen([sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"), "--server.headless", "true",
                               "--server.port", str(port), "--server.address", "127.0.0.1",
                               "--browser.gatherUsageStats", "false"], cwd=ROOT,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        url = f"http://127.0.0.1:{port}"
        for _ in range(120):
            try:
                urllib.request.urlopen(url + "/_stcore/health", timeout=2)
                break
            except OSError:
                time.sleep(0.5)
        from playwright.sync_api import sync_playwright

        times = []
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=FLAGS)
            page = browser.new_page(viewport={"width": 1300, "height": 1600})
            page.goto(url, wait_until="domcontentloaded")
            page.wait_for_selector("textarea", timeout=120_000)
            for run in range(args.runs + 1):  # the first run also loads the model: reported apart
                body = f"（第{run}次）\n" + texts[run]
                page.fill("textarea", body)
                page.locator("textarea").press("Control+Enter")
                page.wait_for_timeout(800)
                t0 = time.perf_counter()
                page.get_by_role("button", name="分析", exact=True).click()
                page.wait_for_function(
                    "(m) => { const d = document.querySelector('.tos-doc'); "
                    "return d !== null && d.innerText.includes(m) && d.querySelectorAll('mark').length > 0; }",
                    arg=f"第{run}次", timeout=600_000)
                page.wait_for_selector("details.tos-finding", timeout=600_000)
                dt = time.perf_counter() - t0
                page.wait_for_selector(".tos-pending", state="detached", timeout=600_000)
                full = time.perf_counter() - t0
                marks = page.locator("mark").count()
                print(f"run {run}: {dt:.2f} s from click to highlights, {full:.2f} s to word evidence, "
                      f"{marks} highlighted clauses" + (" (first run: includes loading the model)" if run == 0 else ""))
                if run:
                    times.append((dt, full))
            if args.screenshot:
                page.screenshot(path=args.screenshot, full_page=False)
            browser.close()
        print(f"{args.chars:,} characters: median {statistics.median(t for t, _ in times):.2f} s to highlights, "
              f"{statistics.median(f for _, f in times):.2f} s to word evidence, over {len(times)} runs")
    finally:
        server.terminate()
        server.wait(timeout=30)
    return 0


if __name__ == "__main__":
    sys.exit(main())
