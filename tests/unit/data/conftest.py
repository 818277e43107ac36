"""Fixtures for the data tests: tiny seeded tables, built when a test asks."""

from __future__ import annotations

import pandas as pd
import pytest

from tests.support.tables import make_maintenance_table


@pytest.fixture
def maintenance_table() -> pd.DataFrame:
    """A fresh predictive-maintenance-like table for each test."""
    return make_maintenance_table()
