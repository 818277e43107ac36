"""Time inputs of irregular steps: deltas, the time itself, its unit, the config."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from core.config import DataConfig, ExperimentConfig, SplitConfig
from core.data.time_units import infer_time_unit, resolve_time_unit, time_numbers
from core.errors import ConfigError, DataValidationError
from core.examples.prepare import prepare_experiment, prepare_prediction
from core.examples.sequences import order_rows
from core.features.derived import derive_features, input_config
from core.features.preprocessor import SequencePreprocessor
from core.features.time_inputs import (
    since_first_name,
    since_previous_name,
    time_value_name,
)

PREVIOUS, FIRST, VALUE = "visit__since_previous", "visit__since_first", "visit__value"


def visits() -> pd.DataFrame:
    """Two patients with irregular days between visits, rows out of order."""
    return pd.DataFrame(
        {
            "patient": ["a", "b", "a", "a", "b"],
            "visit": [
                "2024-01-10 00:00",
                "2024-01-05 00:00",
                "2024-01-01 00:00",
                "2024-01-03 12:00",
                "2024-02-04 00:00",
            ],
            "marker": [1.0, 2.0, 3.0, 4.0, 5.0],
            "event": [0, 1, 0, 1, 0],
        }
    )


def visit_data(**changes: object) -> DataConfig:
    values: dict[str, object] = {
        "target_column": "event",
        "id_column": "patient",
        "time_column": "visit",
        "numeric_columns": ("marker",),
        "task": "binary",
        "time_deltas": True,
    }
    return DataConfig(**{**values, **changes})


def all_train(data: DataConfig) -> ExperimentConfig:
    return ExperimentConfig(
        data=data, split=SplitConfig(validation_fraction=0.0, test_fraction=0.0)
    )


def test_deltas_equal_hand_computation_in_days():
    data = visit_data(time_unit="days")
    frame = derive_features(order_rows(visits(), data)[0], input_config(data))
    # a: Jan 1, Jan 3 12:00, Jan 10; b: Jan 5, Feb 4.
    assert frame[PREVIOUS].tolist() == [0.0, 2.5, 6.5, 0.0, 30.0]
    assert frame[FIRST].tolist() == [0.0, 2.5, 9.0, 0.0, 30.0]
    assert (since_previous_name(data), since_first_name(data)) == (PREVIOUS, FIRST)


@pytest.mark.parametrize(
    ("unit", "factor"), [("hours", 24.0), ("minutes", 1440.0), ("seconds", 86400.0)]
)
def test_an_explicit_unit_scales_the_deltas(unit, factor):
    data = visit_data(time_unit=unit)
    frame = derive_features(order_rows(visits(), data)[0], input_config(data))
    np.testing.assert_allclose(
        frame[PREVIOUS], np.array([0.0, 2.5, 6.5, 0.0, 30.0]) * factor
    )


def test_a_numeric_time_column_is_used_in_its_own_units():
    table = visits().assign(visit=[9, 4, 0, 2, 34])
    data = visit_data()
    frame = derive_features(order_rows(table, data)[0], input_config(data))
    assert frame[PREVIOUS].tolist() == [0.0, 2.0, 7.0, 0.0, 30.0]
    with pytest.raises(DataValidationError, match="column 'visit'.*time_unit 'days'"):
        time_numbers(table["visit"], "visit", "days")


@pytest.mark.parametrize(
    ("step", "unit"),
    [
        ("1D", "days"),
        ("7D", "days"),
        ("1h", "hours"),
        ("6h", "hours"),
        ("5min", "seconds"),
    ],
)
def test_auto_unit_follows_the_typical_step(step, unit):
    times = pd.Series(pd.date_range("2024-01-01", periods=6, freq=step).astype(str))
    # Two entities: the step back at the boundary must not count.
    entity = np.array([0, 0, 0, 1, 1, 1])
    assert resolve_time_unit(times, "t", "auto", entity) == unit
    assert infer_time_unit(None) == "seconds"


def test_a_later_row_never_changes_an_earlier_delta():
    data = visit_data(time_unit="days", time_as_input=True)
    ordered = order_rows(visits(), data)[0]
    before = derive_features(ordered, input_config(data))
    for row in range(len(ordered)):
        changed = ordered.copy()
        # Move this row a year later (still after the rows before it).
        changed.loc[row, "visit"] = "2025-06-01 00:00"
        after = derive_features(changed, input_config(data))
        entity_start = 0 if row < 3 else 3
        for name in (PREVIOUS, FIRST, VALUE):
            np.testing.assert_array_equal(
                after[name][entity_start:row], before[name][entity_start:row]
            )


def test_a_later_row_of_a_new_file_never_changes_an_earlier_input():
    data = visit_data(time_unit="days", numeric_scaling="none")
    preprocessor = prepare_experiment(visits(), all_train(data)).preprocessor
    new = visits()
    before = prepare_prediction(new, preprocessor).encoded.numeric
    # a's last visit (Jan 10, row 2 once sorted) moves months later.
    moved = new["visit"].replace("2024-01-10 00:00", "2024-06-30 00:00")
    later = new.assign(visit=moved)
    after = prepare_prediction(later, preprocessor).encoded.numeric
    np.testing.assert_array_equal(after[:2], before[:2])
    np.testing.assert_array_equal(after[3:], before[3:])
    assert after[2, 1] != before[2, 1]


def test_training_resolves_the_unit_and_a_new_file_reuses_it():
    data = visit_data(numeric_scaling="none", missing_indicators=False)
    prepared = prepare_experiment(visits(), all_train(data))
    preprocessor = prepared.preprocessor
    # Daily rows: "auto" becomes days, and the preprocessor keeps it.
    assert preprocessor.config.time_unit == "days"
    assert any("in days (read from the typical step" in n for n in prepared.notes)
    names = preprocessor.numeric_feature_names
    assert names == ["marker", PREVIOUS, FIRST]
    encoded = prepared.encoded.numeric
    np.testing.assert_allclose(encoded[:, 1], [0.0, 2.5, 6.5, 0.0, 30.0])
    # A new file of hourly visits, with a patient seen before and a new one:
    # counted in the trained unit (days), from the file's own first rows.
    new = pd.DataFrame(
        {
            "patient": ["c", "c", "c", "a"],
            "visit": [
                "2024-03-01 00:00",
                "2024-03-01 06:00",
                "2024-03-02",
                "2024-03-05",
            ],
            "marker": [0.0, 0.0, 0.0, 0.0],
        }
    )
    served = prepare_prediction(new, preprocessor).encoded.numeric
    np.testing.assert_allclose(served[:, 1], [0.0, 0.0, 0.25, 0.75])
    np.testing.assert_allclose(served[:, 2], [0.0, 0.0, 0.25, 1.0])


def test_the_time_input_counts_from_the_stored_training_origin():
    data = visit_data(
        time_deltas=False,
        time_as_input=True,
        time_unit="hours",
        numeric_scaling="none",
        missing_indicators=False,
    )
    prepared = prepare_experiment(visits(), all_train(data))
    preprocessor = prepared.preprocessor
    origin = pd.Timestamp("2024-01-01").timestamp() / 3600
    assert preprocessor.time_origin_ == pytest.approx(origin)
    assert preprocessor.numeric_feature_names == ["marker", time_value_name(data)]
    # Hours since the earliest training time, not since 1970.
    np.testing.assert_allclose(
        prepared.encoded.numeric[:, 1], [0.0, 60.0, 216.0, 96.0, 816.0]
    )
    reloaded = SequencePreprocessor.from_dict(preprocessor.to_dict())
    assert reloaded.time_origin_ == preprocessor.time_origin_
    later = pd.DataFrame(
        {"patient": ["z"], "visit": ["2024-01-02 00:00"], "marker": [0.0]}
    )
    served = prepare_prediction(later, reloaded).encoded.numeric
    assert served[0, 1] == pytest.approx(24.0)
    frame = derive_features(order_rows(later, data)[0], reloaded.config)
    back = reloaded.inverse_transform(reloaded.transform(frame))
    assert back[time_value_name(data)].iloc[0] == pytest.approx(origin + 24, rel=1e-6)


def test_time_inputs_are_scaled_with_training_statistics_only():
    data = visit_data(time_unit="days")
    config = ExperimentConfig(
        data=data,
        split=SplitConfig(method="time", validation_fraction=0.0, test_fraction=0.5),
    )
    prepared = prepare_experiment(visits(), config)
    scaler = prepared.preprocessor.numeric_scaler_
    position = scaler.columns.index(PREVIOUS)
    # Each patient's last row is held out (a's Jan 10, b's Feb 4): the
    # training deltas are a's 0 and 2.5 and b's 0.
    assert scaler.center_[0, position] == pytest.approx(np.mean([0.0, 2.5, 0.0]))


def test_config_validates_and_round_trips_the_time_fields():
    data = visit_data(
        time_as_input=True,
        time_unit="hours",
        framing="window",
        window=2,
        horizon_time=90,
    )
    # Allowed under a time split: the time reads no other row (documented).
    config = ExperimentConfig(data=data, split=SplitConfig(method="time"))
    assert data.horizon_time == 90.0
    assert ExperimentConfig.from_json(config.to_json()) == config
    identity = config.identity_dict()["data"]
    assert (identity["time_unit"], identity["horizon_time"]) == ("hours", 90.0)
    assert identity["time_deltas"]
    assert identity["time_as_input"]


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"time_column": None}, "data.time_deltas", "expected a time column"),
        (
            {"time_column": None, "time_deltas": False, "time_as_input": True},
            "data.time_as_input",
            "expected a time column",
        ),
        ({"time_unit": "weeks"}, "data.time_unit", "expected one of auto"),
        ({"time_deltas": "yes"}, "data.time_deltas", "true or false"),
        (
            {"framing": "window", "horizon": 3, "horizon_time": 90},
            "data.horizon_time",
            "data.horizon and data.horizons unset",
        ),
        ({"horizon_time": 90}, "data.horizon_time", "framing 'window'"),
        (
            {"framing": "window", "horizon_time": 90, "task": "regression"},
            "data.horizon_time",
            "task 'binary'",
        ),
        ({"framing": "window", "horizon_time": 0}, "data.horizon_time", "> 0"),
        (
            {"framing": "window", "horizon_time": float("inf")},
            "data.horizon_time",
            "> 0",
        ),
    ],
    ids=[
        "deltas-no-time",
        "value-no-time",
        "unit",
        "deltas-not-bool",
        "both-horizons",
        "sequence",
        "regression",
        "zero",
        "infinite",
    ],
)
def test_invalid_time_settings_name_the_field(changes, field, message):
    with pytest.raises(ConfigError, match=message) as raised:
        visit_data(**changes)
    assert raised.value.field == field


def test_a_horizon_in_time_lets_the_target_be_an_input():
    data = visit_data(framing="window", horizon_time=30, target_as_input=True)
    assert data.target_as_input
    with pytest.raises(ConfigError, match="horizon >= 1 or a horizon_time"):
        visit_data(framing="window", target_as_input=True)
