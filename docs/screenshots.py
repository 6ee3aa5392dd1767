"""Take the dashboard screenshots in ``docs/_static/`` from a running ``serve --demo``.

Needs the dev extra (Playwright) and Chromium (``apt-get install chromium``). Run from a clone:
``python docs/screenshots.py``. It serves the demo on a free port with a throwaway database,
waits for the first camera poll, and saves ``dashboard-id.png`` and ``dashboard-en.png``.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests
from playwright.sync_api import sync_playwright

OUT = Path(__file__).parent / "_static"
CHROMIUM = os.environ.get("SMARTCITY_TEST_CHROMIUM") or shutil.which("chromium") or ""
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-sync"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def main() -> None:
    if not CHROMIUM:
        sys.exit("needs Chromium: apt-get install chromium (or SMARTCITY_TEST_CHROMIUM=/path)")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory() as tmp:
        command = [sys.executable, "-m", "smartcity_kit.cli", "serve", "--demo"]
        command += ["--db", f"sqlite:///{Path(tmp) / 'demo.db'}", "--port", str(port)]
        server = subprocess.Popen(
            command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
        )
        try:
            deadline = time.monotonic() + 120
            while True:
                try:
                    figures = requests.get(f"{base}/api/dashboard/makassar", timeout=5).json()
                    if figures["security"]["online"] + figures["security"]["offline"]:
                        break  # the cameras have been polled once
                except requests.RequestException:
                    pass
                if time.monotonic() > deadline:
                    sys.exit("the demo did not come up")
                time.sleep(1)
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
                page = browser.new_page(viewport={"width": 1400, "height": 900})
                for lang in ("id", "en"):
                    page.goto(f"{base}/")
                    page.click(f"#lang-{lang}")
                    page.wait_for_selector("[data-chart=camera-map] circle")
                    page.screenshot(path=OUT / f"dashboard-{lang}.png", full_page=True)
                    print(f"saved {OUT / f'dashboard-{lang}.png'}")
                browser.close()
        finally:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=30)


if __name__ == "__main__":
    main()
