"""The Beijing multi-site air-quality data, when the shared data folder has it."""

from __future__ import annotations

import glob

import pandas as pd
import pytest

from core.data.repairs import add_timestamp
from core.data.schema import infer_schema
from tests.support.paths import ROOT

FOLDER = ROOT.parent / "shared" / "data" / "beijing_multisite"


@pytest.fixture(scope="module")
def stations() -> pd.DataFrame:
    files = sorted(glob.glob(str(FOLDER / "*.csv.gz")))[:4]
    if len(files) < 4:
        pytest.skip(f"Beijing multi-site data not found at {FOLDER}")
    frames = [pd.read_csv(path, na_values=["NA", " "]).head(5_000) for path in files]
    return pd.concat(frames, ignore_index=True)


def test_real_table_orders_by_no_not_day_and_offers_the_date_parts(stations):
    suggestion = infer_schema(stations)
    assert suggestion.id_column == "station"
    # ``No`` is the only column unique and increasing within each station (issue 23).
    assert suggestion.time_column == "No"
    assert suggestion.date_parts == ("year", "month", "day", "hour")
    assert any("build one timestamp" in note for note in suggestion.notes)
    without_counter = infer_schema(stations.drop(columns="No"))
    assert any("repeats within an entity" in n for n in without_counter.notes)
    assert suggestion.target_guessed
    missing = [n for n in suggestion.notes if "is missing in" in n]
    assert all(" 0 %" not in note for note in missing)


def test_real_table_with_a_built_timestamp_orders_its_rows(stations):
    frame, name = add_timestamp(stations, ("year", "month", "day", "hour"))
    suggestion = infer_schema(frame, target_column="PM2.5")
    assert suggestion.time_column == name
    assert not any("repeats" in note for note in suggestion.notes)
    assert "PM2.5" not in suggestion.categorical_columns
