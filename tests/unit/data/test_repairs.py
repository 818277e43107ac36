"""Repairs the user asks for on the data page (core.data.repairs)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from core.data.repairs import add_timestamp, numbers_or_missing
from core.data.schema import infer_schema
from core.errors import DataValidationError


def _hourly() -> pd.DataFrame:
    stamps = pd.date_range("2013-03-01", periods=48, freq="h")
    return pd.concat(
        [
            pd.DataFrame(
                {
                    "year": stamps.year,
                    "month": stamps.month,
                    "day": stamps.day,
                    "hour": stamps.hour,
                    "PM25": np.arange(48.0),
                    "station": name,
                }
            )
            for name in ("A", "B")
        ],
        ignore_index=True,
    )


def test_add_timestamp_puts_the_new_column_after_the_parts():
    frame, name = add_timestamp(_hourly(), ("year", "month", "day", "hour"))
    assert name == "timestamp"
    assert list(frame.columns)[:5] == ["year", "month", "day", "hour", "timestamp"]
    assert frame["timestamp"].iloc[25] == pd.Timestamp("2013-03-02 01:00")


def test_the_built_timestamp_becomes_the_suggested_time_column():
    frame, name = add_timestamp(_hourly(), ("year", "month", "day", "hour"))
    suggestion = infer_schema(frame, target_column="PM25")
    assert suggestion.time_column == name
    assert not any("repeats" in note for note in suggestion.notes)


def test_add_timestamp_never_overwrites_a_column():
    table = _hourly().assign(timestamp="kept")
    frame, name = add_timestamp(table, ("year", "month", "day", "hour"))
    assert name == "timestamp_1"
    assert (frame["timestamp"] == "kept").all()


def test_numbers_or_missing_names_what_it_blanked():
    table = pd.DataFrame({"PM2.5": ["1", "high", "3.5"], "other": ["x", "y", "z"]})
    frame, notes = numbers_or_missing(table, ["PM2.5"])
    np.testing.assert_array_equal(frame["PM2.5"], [1.0, np.nan, 3.5])
    assert table["PM2.5"].tolist() == ["1", "high", "3.5"]
    assert notes == [
        "column 'PM2.5': 1 value(s) that are not numbers ('high') now count as missing"
    ]


def test_numbers_or_missing_names_a_missing_column():
    with pytest.raises(DataValidationError, match="column 'nope'"):
        numbers_or_missing(pd.DataFrame({"a": [1]}), ["nope"])
