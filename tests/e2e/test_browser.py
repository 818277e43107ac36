"""A real browser against a real server: upload, configure, train, see the PCA plot.

Drives Debian's Chromium through Playwright's ``executable_path`` (no browser
download). Skips with a reason when either is missing; CI installs both.
"""

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

from tests.conftest import make_long_table

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
#: Safety nets only (no timing claims): generous bounds for a 2-core machine.
SERVER_START_SECONDS = 90
TRAINING_MILLISECONDS = 300_000
ELEMENT_MILLISECONDS = 60_000


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_healthy(url: str, server: subprocess.Popen) -> None:
    deadline = time.monotonic() + SERVER_START_SECONDS
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError("streamlit exited before becoming healthy")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as reply:
                if reply.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    raise TimeoutError(f"streamlit not healthy after {SERVER_START_SECONDS} s")


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """``streamlit run app.py`` on a free loopback port; log printed on failure."""
    port = _free_port()
    log_path = tmp_path_factory.mktemp("server") / "streamlit.log"
    log = log_path.open("w")
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            "app.py",
            "--server.headless",
            "true",
            "--server.address",
            "127.0.0.1",
            "--server.port",
            str(port),
            "--browser.gatherUsageStats",
            "false",
        ],
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
        env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"},
    )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_healthy(url, process)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()
        print(log_path.read_text()[-5000:])


@pytest.fixture(scope="module")
def browser():
    sync_api = pytest.importorskip(
        "playwright.sync_api", reason="pip install playwright (no browser download)"
    )
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian chromium missing: apt-get install chromium")
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_FLAGS
        )
        yield launched
        launched.close()


def _no_exception(page) -> None:
    assert page.locator("[data-testid='stException']").count() == 0


def test_upload_train_and_see_the_pca_plot(server, browser, tmp_path):
    csv_path = tmp_path / "machines.csv"
    make_long_table(seed=3, entities=30).to_csv(csv_path, index=False)
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.set_default_timeout(ELEMENT_MILLISECONDS)
    page.goto(server)
    page.get_by_text("Sequence Embedding Studio").first.wait_for()
    page.get_by_role("link", name="1. Data").click()
    page.locator("input[type='file']").first.set_input_files(str(csv_path))
    page.get_by_text("Inferred schema").wait_for()
    _no_exception(page)
    page.get_by_role("link", name="2. Configure").click()
    epochs = page.get_by_label("Max epochs")
    epochs.fill("1")
    epochs.press("Tab")
    page.get_by_role("button", name="Save configuration").click()
    page.get_by_text("Pre-flight estimate").wait_for()
    _no_exception(page)
    page.get_by_role("link", name="3. Train").click()
    page.get_by_role("button", name="Train", exact=True).click()
    page.get_by_text("Test metrics, side by side").wait_for(
        timeout=TRAINING_MILLISECONDS
    )
    _no_exception(page)
    page.get_by_role("link", name="5. Embeddings").click()
    page.locator(".js-plotly-plot").first.wait_for()
    _no_exception(page)
    page.screenshot(path=str(tmp_path / "embeddings.png"), full_page=True)
