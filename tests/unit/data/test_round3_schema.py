"""Schema guesses on real panels (issue 23, item 11)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from core.data.repairs import add_timestamp
from core.data.schema import infer_schema
from sample_data.air_quality import make_air_quality_table


def _wage_panel(entities: int = 595, years: int = 7, seed: int = 0) -> pd.DataFrame:
    """Shaped like the yearly wage panel: ordered integers, 0/1 flags, a code."""
    rng = np.random.default_rng(seed)
    rows = entities * years
    return pd.DataFrame(
        {
            "person_id": np.repeat(np.arange(1, entities + 1), years),
            "year": np.tile(np.arange(1976, 1976 + years), entities),
            "weeks": rng.integers(10, 53, rows),
            "education": rng.integers(4, 18, rows),
            "union": rng.integers(0, 2, rows),
            "industry_code": rng.choice([11, 23, 42, 51, 62], rows),
            "country": np.full(rows, 1),
            "lwage": rng.normal(6.5, 0.4, rows),
        }
    )


def test_ordered_integers_with_many_values_are_numeric_and_codes_stay_categorical():
    suggestion = infer_schema(_wage_panel(), target_column="lwage")
    assert "weeks" in suggestion.numeric_columns
    assert "education" in suggestion.numeric_columns
    assert "union" in suggestion.categorical_columns
    assert "industry_code" in suggestion.categorical_columns


def test_a_constant_column_is_never_selected():
    suggestion = infer_schema(_wage_panel(), target_column="lwage")
    features = suggestion.categorical_columns + suggestion.numeric_columns
    assert "country" not in features
    assert any("'country'" in note and "one value" in note for note in suggestion.notes)


def test_hour_of_day_stays_categorical():
    suggestion = infer_schema(make_air_quality_table(stations=3, hours=240))
    assert "hour" in suggestion.categorical_columns


def test_the_row_counter_unique_within_each_station_beats_a_repeating_day():
    table = make_air_quality_table(stations=3, hours=240)
    suggestion = infer_schema(table, target_column="PM2.5")
    assert suggestion.time_column == "No"
    # The date parts are still offered: the counter is not a clock.
    assert suggestion.date_parts == ("year", "month", "day", "hour")


def test_the_build_a_timestamp_hint_goes_once_the_timestamp_is_built():
    table = make_air_quality_table(stations=3, hours=240)
    frame, name = add_timestamp(table, ("year", "month", "day", "hour"))
    suggestion = infer_schema(frame, target_column="PM2.5")
    assert suggestion.time_column == name
    assert suggestion.date_parts == ()
    assert not any("build one timestamp" in note for note in suggestion.notes)


def test_duplicate_timestamps_within_an_entity_are_flagged():
    rows = []
    for station in ("a", "b", "c"):
        stamps = list(pd.date_range("2021-10-30 20:00", periods=12, freq="h"))
        stamps.insert(7, stamps[6])  # the hour repeated when clocks go back
        for step, stamp in enumerate(stamps):
            rows.append(
                {
                    "station": station,
                    "No": step + 1,
                    "local_time": stamp,
                    "temp": step + 0.5,
                }
            )
    suggestion = infer_schema(pd.DataFrame(rows), target_column="temp")
    flagged = [note for note in suggestion.notes if "duplicate timestamps" in note]
    assert flagged, suggestion.notes
    assert "'local_time'" in flagged[0]
    assert "daylight-saving" in flagged[0]
    assert "2021-10-31 02:00" in flagged[0]
