"""Fixtures for the core tests: tiny seeded tables, built when a test asks."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest


def make_maintenance_table(
    seed: int = 0, machines: int = 5, steps: int = 10
) -> pd.DataFrame:
    """Predictive-maintenance-like long table, one row per machine per hour.

    Columns: ``machine_id`` (int), ``timestamp`` (date/time text),
    ``machine_type`` (text, 3 values), ``operator_id`` (int 1..40),
    ``temperature`` (float) and ``failure`` (0/1).
    """
    rng = np.random.default_rng(seed)
    start = pd.Timestamp("2024-01-01")
    rows = [
        {
            "machine_id": machine,
            "timestamp": str(start + pd.Timedelta(hours=step)),
            "machine_type": ("small", "medium", "large")[machine % 3],
            "operator_id": int(rng.integers(1, 41)),
            "temperature": float(rng.normal(70.0, 5.0)),
            "failure": int(step == steps - 1 and machine % 2 == 1),
        }
        for machine in range(1, machines + 1)
        for step in range(steps)
    ]
    return pd.DataFrame(rows)


@pytest.fixture
def maintenance_table() -> pd.DataFrame:
    """A fresh predictive-maintenance-like table for each test."""
    return make_maintenance_table()
