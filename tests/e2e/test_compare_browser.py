"""A real browser runs a 2-seed comparison and reads its verdict."""

from __future__ import annotations

import pytest

from tests.support.browser import (
    ELEMENT_MILLISECONDS,
    TRAINING_MILLISECONDS,
    no_exception,
)
from tests.support.tables import make_long_table

pytestmark = pytest.mark.e2e


def test_a_two_seed_comparison_ends_with_a_verdict(server, browser, tmp_path):
    csv_path = tmp_path / "machines.csv"
    make_long_table(seed=4, entities=30).to_csv(csv_path, index=False)
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.set_default_timeout(ELEMENT_MILLISECONDS)
    page.goto(server)
    page.get_by_role("link", name="1. Data").click()
    page.locator("input[type='file']").first.set_input_files(str(csv_path))
    page.get_by_text("Inferred schema").wait_for()
    page.get_by_role("link", name="2. Configure").click()
    epochs = page.get_by_label("Max epochs")
    epochs.fill("1")
    epochs.press("Tab")
    page.get_by_role("button", name="Save configuration").click()
    page.get_by_text("Pre-flight estimate").wait_for()
    page.get_by_role("link", name="6. Compare").click()
    seeds = page.get_by_label("Seeds", exact=True)
    seeds.fill("2")
    seeds.press("Tab")
    page.get_by_role("button", name="Run comparison").click()
    # The verdict is an alert box: "Verdict: ... at 2 seeds" or "..., 2 seeds".
    verdict = page.locator("[data-testid='stAlert']").filter(has_text="2 seeds")
    verdict.first.wait_for(timeout=TRAINING_MILLISECONDS)
    assert "Verdict:" in verdict.first.inner_text()
    no_exception(page)
    page.locator(".js-plotly-plot").first.wait_for()
