"""AppTest fixtures: session state seeded with the bundled sample."""

from __future__ import annotations

import pytest


@pytest.fixture
def sample_state():
    """Session state with the bundled sample data loaded."""
    from ui import state
    from ui.data import dataset_from_bundled

    dataset = dataset_from_bundled("predictive_maintenance")
    return {
        state.DATA: dataset.frame,
        state.DATA_NAME: dataset.name,
        state.DATA_FINGERPRINT: dataset.fingerprint,
        state.DATA_NOTES: [],
    }
