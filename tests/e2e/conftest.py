"""Browser-test fixtures: a live server and Debian's Chromium, one per module."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.serve.live_app import CHROMIUM, launch_chromium, running_app


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """``streamlit run app.py`` on a free loopback port; log printed on teardown."""
    log_path = tmp_path_factory.mktemp("server") / "streamlit.log"
    try:
        with running_app(log_path) as url:
            yield url
    finally:
        if log_path.exists():
            print(log_path.read_text()[-5000:])


@pytest.fixture(scope="module")
def browser():
    sync_api = pytest.importorskip(
        "playwright.sync_api", reason="pip install playwright (no browser download)"
    )
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian chromium missing: apt-get install chromium")
    with sync_api.sync_playwright() as playwright:
        launched = launch_chromium(playwright)
        yield launched
        launched.close()
