"""A real browser: a configuration loaded from JSON is what the widgets show and save.

Issue 23 item 1: after loading a JSON config the column-role widgets kept the
browser's old values, and Save sent those old values back, so the saved config
had the old target, framing, split and ``target_as_input``.
"""

from __future__ import annotations

import dataclasses
import json
import time

import pytest

from core.config import ColumnSpec
from tests.support.browser import ELEMENT_MILLISECONDS, no_exception
from ui.data import dataset_from_bundled, suggested_config

pytestmark = pytest.mark.e2e
expect = pytest.importorskip("playwright.sync_api").expect


def _loaded_config():
    """The sample's suggested config with another target, framing, split and inputs."""
    config = suggested_config(dataset_from_bundled("predictive_maintenance"))
    data = dataclasses.replace(
        config.data,
        target_column="rul",
        task="regression",
        framing="window",
        window=12,
        stride=3,
        horizon=4,
        target_as_input=True,
        # Explicit sizes: the form saves every size explicitly.
        categorical_columns=(ColumnSpec("machine_type", 5), ColumnSpec("site", 2)),
    )
    split = dataclasses.replace(config.split, method="time")
    return config.replace(data=data, split=split)


def _saved_json(page, target: str) -> dict:
    """The JSON expander's config, once it shows ``target``.

    A rerun under load can leave the previous save's JSON on screen for a
    moment, or replace the code block between a check and a read (CI read an
    empty block right after it had shown the target), so the block is read
    until one reading parses and names ``target``, or the element timeout ends.
    """
    page.get_by_text("Configuration as JSON").first.click()
    code = page.locator("[data-testid='stCode']").last
    expect(code).to_contain_text(f'"target_column": "{target}"')
    deadline = time.monotonic() + ELEMENT_MILLISECONDS / 1000
    text = ""
    while time.monotonic() < deadline:
        text = code.inner_text()
        try:
            saved = json.loads(text)
        except json.JSONDecodeError:
            saved = None
        if saved is not None and saved["data"]["target_column"] == target:
            return saved
        page.wait_for_timeout(200)
    raise AssertionError(f"the saved JSON never showed target {target!r}: {text!r}")


def test_loaded_json_config_shows_in_every_widget_and_is_saved(
    server, browser, tmp_path
):
    loaded = _loaded_config()
    json_path = tmp_path / "loaded.json"
    json_path.write_text(loaded.to_json())
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.set_default_timeout(ELEMENT_MILLISECONDS)
    page.goto(server)
    page.get_by_role("button", name="Start with the sample data").click()
    page.get_by_text("Inferred schema").wait_for()
    page.get_by_role("link", name="2. Configure").click()
    # A first configuration: one example per entity, split by entity.
    page.get_by_text("one example per entity").click()
    page.get_by_label("Max sequence length").wait_for()
    page.get_by_role("button", name="Save configuration").click()
    page.get_by_text("Configuration saved.").wait_for()
    first = _saved_json(page, "failure")
    assert first["data"]["framing"] == "sequence"
    assert first["data"]["target_column"] == "failure"

    page.get_by_text("Load a configuration from a JSON file").click()
    page.locator("input[type='file']").first.set_input_files(str(json_path))
    # Every widget takes the loaded values at once, the roles included.
    page.get_by_label("Window (steps)").wait_for()
    expect(page.get_by_role("combobox", name="Target")).to_have_value("rul")
    expect(page.get_by_role("combobox", name="Task")).to_have_value("regression")
    expect(page.get_by_label("Window (steps)")).to_have_value("12")
    horizon = page.get_by_label("Horizon (label this many steps", exact=False)
    expect(horizon).to_have_value("4")
    no_exception(page)

    page.get_by_role("button", name="Save configuration").click()
    page.get_by_text("Configuration saved.").wait_for()
    no_exception(page)
    saved = _saved_json(page, "rul")
    assert saved["data"]["target_column"] == "rul"
    assert saved["data"]["task"] == "regression"
    assert saved["data"]["framing"] == "window"
    assert saved["data"]["window"] == 12
    assert saved["data"]["horizon"] == 4
    assert saved["data"]["target_as_input"] is True
    assert saved["split"]["method"] == "time"
    assert saved == json.loads(loaded.to_json())
