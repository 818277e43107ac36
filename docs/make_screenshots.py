"""Screenshots of every page, as a newcomer walks through the app on the sample data.

Starts ``streamlit run app.py`` on a free loopback port, drives Debian's Chromium
(Playwright ``executable_path``) through the sidebar links exactly as a person
would: start page, one click on the sample data, configure (epochs lowered to
a few epochs), train both models, predictions, embeddings. Writes
``docs/screenshots/<n>_<page>.png``.

Run from the repository root: ``python docs/make_screenshots.py [--epochs 3]``.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from core.serve.live_app import launch_chromium, running_app  # noqa: E402

OUT = ROOT / "docs" / "screenshots"
VIEWPORT = {"width": 1400, "height": 1000}
#: Generous safety nets for a 2-core machine, not timing claims.
TRAINING_MILLISECONDS = 600_000
ELEMENT_MILLISECONDS = 90_000


def _settle(page) -> None:
    """Wait until Streamlit has finished rerunning and plots have drawn."""
    page.wait_for_load_state("networkidle")
    page.locator("[data-testid='stStatusWidget']").wait_for(state="hidden")
    page.wait_for_timeout(1500)


def _shot(page, name: str) -> Path:
    _settle(page)
    errors = page.locator("[data-testid='stException']").count()
    if errors:
        print(f"WARNING: {name} shows {errors} exception block(s)")
    path = OUT / f"{name}.png"
    # Streamlit scrolls inside its main section, so a "full page" screenshot would
    # stop at the viewport: grow the viewport to the content height instead.
    height = page.evaluate(
        "() => document.querySelector('[data-testid=\"stMain\"]').scrollHeight"
    )
    page.set_viewport_size({**VIEWPORT, "height": max(VIEWPORT["height"], height)})
    page.wait_for_timeout(500)
    page.screenshot(path=str(path))
    page.set_viewport_size(VIEWPORT)
    print(f"wrote {path.relative_to(ROOT)}")
    return path


def walk(url: str, playwright, epochs: int) -> None:
    """Visit every page through the sidebar and screenshot it."""
    browser = launch_chromium(playwright)
    page = browser.new_page(viewport=VIEWPORT)
    page.set_default_timeout(ELEMENT_MILLISECONDS)
    page.goto(url)
    page.get_by_role("button", name="Start with the sample data").wait_for()
    _shot(page, "1_start")
    page.get_by_role("button", name="Start with the sample data").click()
    page.get_by_text("Inferred schema").wait_for()
    _shot(page, "2_data")
    page.get_by_role("link", name="2. Configure").click()
    epochs_input = page.get_by_label("Max epochs")
    epochs_input.fill(str(epochs))
    epochs_input.press("Tab")
    page.get_by_role("button", name="Save configuration").click()
    page.get_by_text("Pre-flight estimate").wait_for()
    _shot(page, "3_configure")
    page.get_by_role("link", name="3. Train").click()
    page.get_by_role("button", name="Train", exact=True).click()
    page.get_by_text("Test metrics, side by side").wait_for(
        timeout=TRAINING_MILLISECONDS
    )
    _shot(page, "4_train")
    page.get_by_role("link", name="4. Predictions").click()
    page.locator(".js-plotly-plot").first.wait_for()
    _shot(page, "5_predictions")
    page.get_by_role("link", name="5. Embeddings").click()
    page.locator(".js-plotly-plot").first.wait_for()
    page.get_by_text("k-means cluster").click()
    page.get_by_text("Clusters (k-means").wait_for()
    _shot(page, "6_embeddings")
    browser.close()


def main(argv: list[str] | None = None) -> int:
    """Start the app, walk the pages, write the PNG files."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--epochs", type=int, default=10)
    args = parser.parse_args(argv)
    from playwright.sync_api import sync_playwright

    OUT.mkdir(parents=True, exist_ok=True)
    log = Path(tempfile.gettempdir()) / "make_screenshots_streamlit.log"
    print(f"server log: {log}")
    with running_app(log) as url, sync_playwright() as playwright:
        walk(url, playwright, args.epochs)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
