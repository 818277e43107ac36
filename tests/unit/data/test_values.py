"""Value parsing shared by the pipeline and the suggestions (core.data.values)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from core.data.values import (
    date_part_columns,
    natural_order,
    parse_numbers,
    parse_time_utc,
    timestamp_from_parts,
)
from core.errors import DataValidationError


def _parts(**extra) -> pd.DataFrame:
    return pd.DataFrame(
        {"Year": [2013, 2013], "month": [3, 3], "day": [1, 1], "hour": [0, 1], **extra}
    )


def test_date_parts_are_found_in_order_whatever_the_case():
    assert date_part_columns(_parts()) == ("Year", "month", "day", "hour")


@pytest.mark.parametrize(
    ("frame", "expected"),
    [
        (pd.DataFrame({"year": [2013], "month": [3]}), ()),
        (pd.DataFrame({"year": [2013], "month": [13], "day": [1]}), ()),
        (pd.DataFrame({"year": [2013], "month": ["3"], "day": [1]}), ()),
        (
            pd.DataFrame({"year": [2013], "month": [3], "day": [1], "minute": [5]}),
            ("year", "month", "day"),
        ),
    ],
    ids=["no-day", "month-out-of-range", "month-as-text", "minute-without-hour"],
)
def test_incomplete_or_implausible_date_parts_are_not_offered(frame, expected):
    assert date_part_columns(frame) == expected


def test_timestamp_from_parts_builds_one_time_per_row():
    stamps = timestamp_from_parts(_parts(), ("Year", "month", "day", "hour"))
    assert stamps.tolist() == [
        pd.Timestamp("2013-03-01 00:00"),
        pd.Timestamp("2013-03-01 01:00"),
    ]
    assert stamps.name == "timestamp"


def test_impossible_dates_name_the_column():
    frame = pd.DataFrame({"year": [2013], "month": [2], "day": [30]})
    with pytest.raises(DataValidationError, match="column 'year': expected date"):
        timestamp_from_parts(frame, ("year", "month", "day"))


def test_parse_numbers_lists_what_does_not_parse():
    parsed = parse_numbers(pd.Series(["1", "high", " 2.5 ", None, "high"]))
    assert parsed.failed == {"high": 2}
    assert parsed.present == 4
    np.testing.assert_array_equal(parsed.values, [1.0, np.nan, 2.5, np.nan, np.nan])


def test_natural_order_sorts_numeric_labels_as_numbers():
    assert natural_order(["0", "1", "10", "11", "2"]) == ["0", "1", "2", "10", "11"]
    assert natural_order(["b", "10", "a"]) == ["10", "a", "b"]


def test_parse_time_utc_gives_aware_times_as_naive_utc_and_leaves_the_rest():
    aware = pd.Series(["2024-03-01T10:00:00+02:00", "2024-03-01T12:00:00+02:00"])
    parsed = parse_time_utc(aware)
    assert parsed.dt.tz is None
    assert list(parsed.dt.hour) == [8, 10]
    numbers = pd.Series([3, 1, 2])
    assert parse_time_utc(numbers).tolist() == [3, 1, 2]
    naive = pd.Series(["2024-03-01 10:00", "2024-03-02 10:00"])
    assert list(parse_time_utc(naive).dt.day) == [1, 2]
