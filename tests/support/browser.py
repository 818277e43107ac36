"""Browser-test bounds and checks shared by the e2e tests."""

from __future__ import annotations

#: Safety nets only (no timing claims): generous bounds for a 2-core machine.
TRAINING_MILLISECONDS = 300_000
ELEMENT_MILLISECONDS = 60_000


def no_exception(page) -> None:
    """The page shows no Streamlit exception block."""
    assert page.locator("[data-testid='stException']").count() == 0
