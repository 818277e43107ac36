"""Item 5 of issue 22: known-future inputs and calendar features, without leaks."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from core.config import ExperimentConfig
from core.errors import ConfigError, DataValidationError
from core.examples.prepare import prepare_experiment, prepare_prediction
from core.features.derived import derive_features, input_config
from core.model.batches import input_batches
from core.model.bundle import bundle_from_result, load_bundle, predict, save_bundle
from core.model.experiment import run_experiment
from tests.support.configs import forecast_config, forecast_data
from tests.support.tables import forecast_table

START = pd.Timestamp("2024-03-01 00:00")


def _hourly(steps: int = 60) -> pd.DataFrame:
    frame = forecast_table(steps=steps)
    frame["step"] = [str(START + pd.Timedelta(hours=int(s))) for s in frame["step"]]
    return frame


def _config() -> ExperimentConfig:
    return forecast_config(
        split="time",
        horizon=None,
        horizons=2,
        known_future=("driver", "day_of_week"),
        time_features=("hour", "day_of_week"),
    )


def _inputs_of(prepared, end_row: int) -> dict[str, np.ndarray]:
    examples = prepared.parts["all"]
    chosen = examples.subset(examples.end_rows == end_row)
    assert len(chosen) == 1
    return input_batches(prepared, chosen, 8)[0][0]


def _same(first: dict, second: dict) -> bool:
    return first.keys() == second.keys() and all(
        np.array_equal(first[name], second[name]) for name in first
    )


def test_nothing_unknown_at_forecast_time_reaches_the_model():
    frame = _hourly()
    preprocessor = prepare_experiment(frame, _config()).preprocessor
    end = 30  # entity e0's rows are 0..59 once sorted
    horizon = 2
    original = _inputs_of(prepare_prediction(frame, preprocessor), end)
    changed = frame.copy()
    rng = np.random.default_rng(1)
    after = (changed["entity"] == "e0") & (np.arange(len(changed)) > end)
    # Unknown at forecast time: the target, categories and numbers after the
    # window's end; known-future driver only beyond the predicted steps.
    changed.loc[after, "level"] = rng.normal(size=after.sum()) * 100
    changed.loc[after, "kind"] = "z"
    beyond = after & (np.arange(len(changed)) > end + horizon)
    changed.loc[beyond, "driver"] = rng.normal(size=beyond.sum()) * 100
    assert _same(original, _inputs_of(prepare_prediction(changed, preprocessor), end))
    # The known-future driver at a predicted step does reach the model.
    changed.loc[end + 1, "driver"] = 1_000.0
    assert not _same(
        original, _inputs_of(prepare_prediction(changed, preprocessor), end)
    )


def test_known_future_columns_hold_the_values_at_the_predicted_steps():
    frame = _hourly()
    inputs = input_config(forecast_config(**_changes()).data)
    derived = derive_features(frame, inputs)
    e0 = derived[derived["entity"] == "e0"].reset_index(drop=True)
    np.testing.assert_allclose(e0["driver__ahead1"][:-1], e0["driver"][1:])
    np.testing.assert_allclose(e0["driver__ahead2"][:-2], e0["driver"][2:])
    assert e0["driver__ahead1"].isna().tolist()[-1]


def _changes() -> dict:
    return {
        "horizon": None,
        "horizons": 2,
        "known_future": ("driver", "day_of_week"),
        "time_features": ("hour", "day_of_week"),
    }


def test_calendar_features_come_from_the_timestamps():
    frame = _hourly()
    inputs = input_config(forecast_data(**_changes()))
    derived = derive_features(frame, inputs)
    stamps = pd.to_datetime(frame["step"])
    np.testing.assert_array_equal(derived["step__hour"], stamps.dt.hour)
    np.testing.assert_array_equal(derived["step__day_of_week"], stamps.dt.day_of_week)
    assert {"step__hour", "step__day_of_week"} <= set(inputs.categorical_names)


def test_calendar_parts_ahead_are_extrapolated_past_the_last_row():
    frame = _hourly(steps=30)
    derived = derive_features(frame, input_config(forecast_data(**_changes())))
    last = derived.groupby("entity").tail(1)
    expected = (pd.to_datetime(last["step"]) + pd.Timedelta(hours=2)).dt.day_of_week
    np.testing.assert_array_equal(last["step__day_of_week__ahead2"], expected)


def test_calendar_features_need_date_times():
    config = forecast_config(time_features=("month",))
    with pytest.raises(DataValidationError, match="step"):
        prepare_experiment(forecast_table(), config)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        (
            {"known_future": ("driver",), "horizon": None, "target_as_input": False},
            r"data\.known_future",
        ),
        ({"known_future": ("nothing",)}, r"data\.known_future"),
        ({"time_features": ("minute",)}, r"data\.time_features"),
        ({"time_features": ("hour",), "time_column": None}, r"data\.time_features"),
    ],
)
def test_invalid_known_future_settings_name_the_field(changes, field):
    with pytest.raises(ConfigError, match=field):
        forecast_data(**changes)


def test_known_future_fields_are_later_fields_so_old_ids_hold():
    identity = forecast_config().identity_dict()["data"]
    assert "known_future" not in identity
    assert "time_features" not in identity
    loaded = ExperimentConfig.from_json(_config().to_json())
    assert loaded == _config()


@pytest.mark.slow
def test_a_known_future_model_trains_and_its_bundle_predicts(tmp_path):
    result = run_experiment(_hourly(), _config())
    bundle = load_bundle(save_bundle(bundle_from_result(result), tmp_path / "b"))
    table = predict(bundle, _hourly()).table
    expected = predict(bundle_from_result(result), _hourly()).table
    np.testing.assert_allclose(table["predicted"], expected["predicted"], rtol=1e-5)
    assert set(table["horizon"]) == {1, 2}
