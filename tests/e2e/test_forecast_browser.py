"""A real browser trains a quantile forecast and sees its fan chart (issue 22).

Upload a small forecasting table, configure windows with the target's past as
input, every step up to a horizon of 3 and the quantiles 0.1/0.5/0.9, train one
epoch of the embedding model alone, then open Predictions: the fan chart draws
the P10–P90 band, and the page says how the model stands against the baselines.
"""

from __future__ import annotations

import json

import pytest

from tests.support.browser import (
    ELEMENT_MILLISECONDS,
    TRAINING_MILLISECONDS,
    no_exception,
)
from tests.support.tables import forecast_table

pytestmark = pytest.mark.e2e
expect = pytest.importorskip("playwright.sync_api").expect


def _fill(page, label: str, value: str) -> None:
    field = page.get_by_label(label, exact=True)
    field.fill(value)
    field.press("Tab")


def _configure_quantile_forecast(page) -> None:
    """Windows of 5, 3 steps at once, quantiles, target as input, one epoch."""
    page.get_by_text("sliding windows").click()
    page.get_by_label("Window (steps)").wait_for()
    _fill(page, "Window (steps)", "5")
    horizon = page.get_by_label("Horizon (label this many steps", exact=False)
    horizon.fill("3")
    horizon.press("Tab")
    _fill(page, "Max epochs", "1")
    page.get_by_text("Advanced", exact=True).click()
    page.get_by_text("Target's past as input").click()
    page.get_by_text("Predict every step up to the horizon at once").click()
    _fill(page, "Quantiles (comma-separated; empty = one value)", "0.1, 0.5, 0.9")
    page.get_by_text("Also train the one-hot twin").click()  # halves the training
    page.get_by_role("button", name="Save configuration").click()
    page.get_by_text("Configuration saved.").wait_for()
    page.get_by_text("Configuration as JSON").first.click()
    code = page.locator("[data-testid='stCode']").last
    code.wait_for()
    saved = json.loads(code.inner_text())
    assert saved["data"]["target_as_input"] is True
    assert (saved["data"]["horizon"], saved["data"]["horizons"]) == (3, 3)
    assert saved["train"]["quantiles"] == [0.1, 0.5, 0.9]
    assert saved["train"]["epochs"] == 1


def test_quantile_forecast_shows_its_fan_chart_and_baselines(server, browser, tmp_path):
    csv_path = tmp_path / "levels.csv"
    table = forecast_table(steps=40).drop(columns="grade")
    table.rename(columns={"level": "sales"}).to_csv(csv_path, index=False)
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.set_default_timeout(ELEMENT_MILLISECONDS)
    page.goto(server)
    page.get_by_role("link", name="1. Data").click()
    page.locator("input[type='file']").first.set_input_files(str(csv_path))
    page.get_by_text("Inferred schema").wait_for()
    page.get_by_role("link", name="2. Configure").click()
    expect(page.get_by_role("combobox", name="Target")).to_have_value("sales")
    expect(page.get_by_role("combobox", name="Task")).to_have_value("regression")
    _configure_quantile_forecast(page)
    no_exception(page)

    page.get_by_role("link", name="3. Train").click()
    page.get_by_role("button", name="Train", exact=True).click()
    page.get_by_text("Test metrics, side by side").wait_for(
        timeout=TRAINING_MILLISECONDS
    )
    no_exception(page)

    page.get_by_role("link", name="4. Predictions").click()
    fan = page.locator(".js-plotly-plot").filter(has_text="Forecast for")
    fan.wait_for()
    legend = fan.locator(".legendtext")
    expect(legend.filter(has_text="P10–P90 interval")).to_have_count(1)
    for name in ("actual", "predicted", "persistence"):
        expect(legend.filter(has_text=name).first).to_be_visible()
    expect(page.get_by_text("Against the baselines (test part)")).to_be_visible()
    # One sentence, green or amber: "The model beats every baseline: ..." or
    # "The model does not beat the strongest baseline, ...".
    verdict = page.locator("[data-testid='stAlert']").filter(has_text="The model")
    expect(verdict).to_have_count(1)
    expect(verdict).to_contain_text("baseline")
    expect(verdict).to_contain_text("skill vs persistence")
    no_exception(page)
