"""A real browser: train through the executor, refresh mid-run, see the result.

The refresh starts a new Streamlit session: all it has is the ``?run=ID`` in the
URL, and the run keeps training in its own process meanwhile.
"""

from __future__ import annotations

import re

import pytest

from tests.support.browser import (
    ELEMENT_MILLISECONDS,
    TRAINING_MILLISECONDS,
    no_exception,
)

pytestmark = pytest.mark.e2e


def test_refresh_mid_run_comes_back_to_the_finished_run(server, browser):
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.set_default_timeout(ELEMENT_MILLISECONDS)
    page.goto(server)
    page.get_by_role("button", name="Start with the sample data").click()
    page.get_by_text("Inferred schema").wait_for()
    page.get_by_role("link", name="2. Configure").click()
    epochs = page.get_by_label("Max epochs")
    epochs.fill("3")
    epochs.press("Tab")
    page.get_by_role("button", name="Save configuration").click()
    page.get_by_text("Pre-flight estimate").wait_for()
    page.get_by_role("link", name="3. Train").click()
    page.get_by_role("button", name="Train", exact=True).click()
    # The buttons flip at once; the run's id is in the URL.
    cancel = page.get_by_role("button", name="Cancel")
    page.wait_for_function(
        "() => [...document.querySelectorAll('button')].some("
        "b => b.innerText.trim() === 'Cancel' && !b.disabled)"
    )
    assert cancel.is_enabled()
    page.wait_for_url(re.compile(r"[?&]run=\d{8}-\d{6}-[0-9a-f]{6}"))
    run_id = re.search(r"run=([0-9a-f-]+)", page.url).group(1)
    page.get_by_text("epoch 1/3").first.wait_for(timeout=TRAINING_MILLISECONDS)
    no_exception(page)
    page.reload()
    page.get_by_text("Test metrics, side by side").wait_for(
        timeout=TRAINING_MILLISECONDS
    )
    no_exception(page)
    assert f"run={run_id}" in page.url
    page.get_by_role("link", name="Runs").click()
    # The table draws on a canvas (its cells are hidden DOM): wait for a visible one.
    page.get_by_text(run_id).filter(visible=True).first.wait_for()
    page.get_by_role("link", name="5. Embeddings").click()
    page.locator(".js-plotly-plot").first.wait_for()
    no_exception(page)
