"""A real browser on a table the studio has never seen: time from separate date parts.

Uploads an air-quality table shaped like the Beijing multi-site data (``year``,
``month``, ``day``, ``hour`` columns, a station id, a wind-direction category),
builds the timestamp on the data page, and checks that the configure page takes
it as the time column and that the pre-flight estimate has enough examples.
Skips with a reason when Playwright or Chromium is missing.
"""

from __future__ import annotations

import pytest

from sample_data.air_quality import make_air_quality_table
from tests.support.browser import no_exception

pytestmark = pytest.mark.e2e

#: Safety net only (no timing claims): generous for a busy 2-core machine.
ELEMENT_MILLISECONDS = 90_000


def _selectbox(page, label: str):
    return page.get_by_test_id("stSelectbox").filter(has_text=label)


def test_upload_with_date_parts_builds_a_timestamp_and_configures(
    server, browser, tmp_path
):
    csv_path = tmp_path / "air_quality.csv"
    make_air_quality_table(stations=3, hours=200).to_csv(csv_path, index=False)
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.set_default_timeout(ELEMENT_MILLISECONDS)
    page.goto(server)
    page.get_by_text("Sequence Embedding Studio").first.wait_for()
    page.get_by_role("link", name="1. Data").click()
    page.locator("input[type='file']").first.set_input_files(str(csv_path))
    page.get_by_text("Inferred schema").wait_for()
    no_exception(page)
    # The date parts are offered as one timestamp (the row counter `No` is the
    # suggested order until it is built, not the repeating day-of-month).
    page.get_by_text("parts of a date").first.wait_for()
    page.get_by_role("button", name="Build a timestamp from year").click()
    page.get_by_text("derived from year, month, day, hour").first.wait_for()
    no_exception(page)

    page.get_by_role("link", name="2. Configure").click()
    time_box = _selectbox(page, "Time / order")
    time_box.wait_for()
    shown = time_box.locator("input").first
    text = shown.input_value() if shown.count() else ""
    if "timestamp" not in text:  # older Streamlit: the value is a text node
        time_box.get_by_text("timestamp", exact=True).wait_for()
    page.get_by_text("sliding windows").click()
    page.get_by_label("Window (steps)").wait_for()
    epochs = page.get_by_label("Max epochs")
    epochs.fill("1")
    epochs.press("Tab")
    page.get_by_role("button", name="Save configuration").click()
    page.get_by_text("Pre-flight estimate").wait_for()
    page.get_by_text("Configuration saved.").wait_for()
    page.get_by_text("Download configuration (JSON)").wait_for()
    page.get_by_text("Next: train").wait_for()
    no_exception(page)
    assert page.get_by_text("too few to train").count() == 0
    assert page.get_by_text("Training examples").count() == 1
