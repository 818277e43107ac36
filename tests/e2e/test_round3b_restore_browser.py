"""A real browser: a run's link, a refresh and the Runs page bring back its inputs.

Issue 23 item 2: a refresh came back to the run through ``?run=`` but Configure
said "Load data first". Two runs are put in the server's run store (the tests'
private one): a link to the first must restore its data and configuration, a
refresh must keep them, and "Edit this configuration" on the Runs page must put
the second run's configuration into the form.
"""

from __future__ import annotations

import dataclasses

import pytest

from core.runs.store import RunStatus, RunStore
from tests.support.browser import ELEMENT_MILLISECONDS, no_exception
from tests.support.configs import small_window_config
from ui.data import dataset_from_bundled

pytestmark = pytest.mark.e2e
expect = pytest.importorskip("playwright.sync_api").expect


@pytest.fixture(scope="module")
def two_runs():
    """Two finished-looking runs: ``rul`` with windows, then ``failure`` per entity."""
    frame = dataset_from_bundled("predictive_maintenance").frame.head(3000)
    base = small_window_config(frame.columns)
    regression = base.replace(
        data=dataclasses.replace(base.data, target_column="rul", task="regression")
    )
    sequences = base.replace(
        data=dataclasses.replace(base.data, framing="sequence", horizon=None)
    )
    store = RunStore()
    made = []
    for config in (regression, sequences):
        record = store.create(frame, config, ("embedding",), "machines.csv")
        made.append(store.finish(record.id, RunStatus.DONE))
    return made


def _configure_shows(page, target: str, task: str) -> None:
    page.get_by_role("link", name="2. Configure").click()
    expect(page.get_by_role("combobox", name="Target")).to_have_value(
        target, timeout=ELEMENT_MILLISECONDS
    )
    expect(page.get_by_role("combobox", name="Task")).to_have_value(
        task, timeout=ELEMENT_MILLISECONDS
    )
    assert page.get_by_text("Load data first").count() == 0
    no_exception(page)


def test_a_run_link_a_refresh_and_the_runs_page_restore_the_inputs(
    server, browser, two_runs
):
    first, second = two_runs
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.set_default_timeout(ELEMENT_MILLISECONDS)
    page.goto(f"{server}/?run={first.id}")
    page.get_by_text("Sequence Embedding Studio").first.wait_for()
    _configure_shows(page, "rul", "regression")
    expect(page.get_by_label("Window (steps)")).to_have_value(
        "10", timeout=ELEMENT_MILLISECONDS
    )

    page.reload()
    page.get_by_role("link", name="2. Configure").wait_for()
    _configure_shows(page, "rul", "regression")

    page.get_by_role("link", name="Runs").click()
    picker = page.get_by_role("combobox", name="Run", exact=True)
    expect(picker).to_have_value(
        f"{second.id} · machines.csv · failure · done", timeout=ELEMENT_MILLISECONDS
    )
    page.get_by_role("button", name="Edit this configuration").click()
    expect(page.get_by_role("combobox", name="Target")).to_have_value(
        "failure", timeout=ELEMENT_MILLISECONDS
    )
    expect(page.get_by_role("combobox", name="Task")).to_have_value(
        "binary", timeout=ELEMENT_MILLISECONDS
    )
    expect(page.get_by_label("Max sequence length")).to_be_visible()
    no_exception(page)
