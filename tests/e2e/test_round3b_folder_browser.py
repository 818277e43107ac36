"""A real browser trains a folder of Parquet files from the app (issue 23 item 13).

Preview the folder on the data page, configure on its first rows, train: the
run streams every row of the three files, and the Train page follows it to its
metrics.
"""

from __future__ import annotations

import pytest

from tests.support.browser import (
    ELEMENT_MILLISECONDS,
    TRAINING_MILLISECONDS,
    no_exception,
)
from tests.support.shards import write_shards

pytestmark = pytest.mark.e2e
expect = pytest.importorskip("playwright.sync_api").expect


def test_a_parquet_folder_is_configured_and_trained_streamed(server, browser, tmp_path):
    shards = write_shards(tmp_path / "events")
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.set_default_timeout(ELEMENT_MILLISECONDS)
    page.goto(server)
    page.get_by_role("link", name="1. Data").click()
    page.get_by_text("preview a folder of Parquet files").click()
    page.get_by_label("Folder or glob of Parquet files on this server").fill(
        str(shards)
    )
    page.get_by_role("button", name="Preview").click()
    page.get_by_role("button", name="Configure and train on this folder").click()
    page.get_by_text("Inferred schema").wait_for()
    no_exception(page)

    page.get_by_role("link", name="2. Configure").click()
    expect(page.get_by_role("combobox", name="Entity id")).to_have_value(
        "entity", timeout=ELEMENT_MILLISECONDS
    )
    expect(page.get_by_role("combobox", name="Target")).to_have_value(
        "y", timeout=ELEMENT_MILLISECONDS
    )
    epochs = page.get_by_label("Max epochs")
    epochs.fill("1")
    epochs.press("Tab")
    page.get_by_role("button", name="Save configuration").click()
    page.get_by_text("Configuration saved.").wait_for()
    no_exception(page)

    page.get_by_role("link", name="3. Train").click()
    page.get_by_text("1,200 rows in 3 files, streamed").wait_for()
    page.get_by_role("button", name="Train", exact=True).click()
    page.get_by_text("Test metrics, side by side").wait_for(
        timeout=TRAINING_MILLISECONDS
    )
    no_exception(page)
