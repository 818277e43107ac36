"""A real browser against a real server: upload, configure, train, see the PCA plot.

Drives Debian's Chromium through Playwright's ``executable_path`` (no browser
download). Skips with a reason when either is missing; CI installs both.
"""

from __future__ import annotations

import pytest

from tests.support.browser import (
    ELEMENT_MILLISECONDS,
    TRAINING_MILLISECONDS,
    no_exception,
)
from tests.support.tables import make_long_table

pytestmark = pytest.mark.e2e


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
    no_exception(page)
    page.get_by_role("link", name="2. Configure").click()
    epochs = page.get_by_label("Max epochs")
    epochs.fill("1")
    epochs.press("Tab")
    page.get_by_role("button", name="Save configuration").click()
    page.get_by_text("Pre-flight estimate").wait_for()
    no_exception(page)
    page.get_by_role("link", name="3. Train").click()
    page.get_by_role("button", name="Train", exact=True).click()
    page.get_by_text("Test metrics, side by side").wait_for(
        timeout=TRAINING_MILLISECONDS
    )
    no_exception(page)
    page.get_by_role("link", name="5. Embeddings").click()
    page.locator(".js-plotly-plot").first.wait_for()
    no_exception(page)
