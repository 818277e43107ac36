"""A real browser drives a 3-trial study on the bundled sample to its end."""

from __future__ import annotations

import pytest

from tests.support.browser import (
    ELEMENT_MILLISECONDS,
    TRAINING_MILLISECONDS,
    no_exception,
)

pytestmark = pytest.mark.e2e

#: Three trials of one epoch on two shared cores: a safety net, not a claim.
STUDY_MILLISECONDS = 3 * TRAINING_MILLISECONDS


def _set(page, label: str, value: str) -> None:
    field = page.get_by_label(label, exact=True)
    field.fill(value)
    field.press("Tab")


def test_a_three_trial_study_on_the_sample(server, browser):
    page = browser.new_page(viewport={"width": 1400, "height": 1100})
    page.set_default_timeout(ELEMENT_MILLISECONDS)
    page.goto(server)
    page.get_by_role("link", name="1. Data").click()
    page.get_by_role("button", name="Load this data set").click()
    page.get_by_text("Inferred schema").wait_for()
    page.get_by_role("link", name="2. Configure").click()
    _set(page, "Max epochs", "1")
    page.get_by_role("button", name="Save configuration").click()
    page.get_by_text("Pre-flight estimate").wait_for()
    page.get_by_role("link", name="8. Tune").click()
    page.get_by_text("Search space").first.wait_for()
    _set(page, "Trials", "3")
    _set(page, "Trials at once", "1")
    _set(page, "Seeds for the final comparison", "0")
    page.get_by_role("button", name="Start study").click()
    page.get_by_text("Status:").first.wait_for()
    page.get_by_text("Status: done").first.wait_for(timeout=STUDY_MILLISECONDS)
    no_exception(page)
    page.get_by_text("Best so far: trial").first.wait_for()
    assert page.get_by_text("3/3 trials").count() >= 1
    page.locator(".js-plotly-plot").first.wait_for()
    page.get_by_role("button", name="Use this configuration").click()
    page.get_by_role("button", name="Save configuration").wait_for()
    no_exception(page)
