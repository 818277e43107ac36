"""AppTest fixtures: session state seeded with the bundled sample."""

from __future__ import annotations

import pytest

from tests.support.app import sample_session_state


@pytest.fixture
def sample_state():
    """Session state with the bundled sample data loaded."""
    return sample_session_state()
