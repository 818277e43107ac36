"""Item 9 of issue 22: forecast tables name the predicted time, with baselines."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from core.config import TrainConfig
from core.examples.prepare import prepare_experiment, prepare_prediction
from core.model.evaluation import prediction_table
from tests.support.configs import forecast_config
from tests.support.tables import forecast_table


def _hourly(steps: int = 60) -> pd.DataFrame:
    """``forecast_table`` with hourly timestamps as the time column."""
    frame = forecast_table(steps=steps)
    start = pd.Timestamp("2024-03-01 00:00")
    frame["step"] = [str(start + pd.Timedelta(hours=int(s))) for s in frame["step"]]
    return frame


def _labels_as_scores(prepared, part):
    return prepared.parts[part].labels.copy()


def test_the_time_column_is_the_predicted_steps_time_not_the_window_end():
    prepared = prepare_experiment(_hourly(), forecast_config(split="time"))
    table = prediction_table(prepared, "test", _labels_as_scores(prepared, "test"))
    target = pd.to_datetime(table["step"])
    window_end = pd.to_datetime(table["input_end"])
    # Horizon 2 in hourly rows: two hours after the window's last row.
    assert ((target - window_end) == pd.Timedelta(hours=2)).all()
    examples = prepared.parts["test"]
    np.testing.assert_allclose(
        table["actual"], prepared.preprocessor.decode_target(examples.labels)
    )


def test_past_the_entitys_last_row_the_time_is_extrapolated_by_the_step():
    frame = _hourly(steps=30)
    prepared = prepare_experiment(frame, forecast_config(split="time"))
    new = prepare_prediction(frame, prepared.preprocessor)
    scores = np.zeros(len(new.parts["all"]))
    table = prediction_table(new, "all", scores)
    last = table.groupby("entity").tail(1)
    gap = pd.to_datetime(last["step"]) - pd.to_datetime(last["input_end"])
    assert (gap == pd.Timedelta(hours=2)).all()
    assert last["actual"].isna().all()


def test_integer_times_count_steps():
    prepared = prepare_experiment(forecast_table(steps=60), forecast_config("time"))
    table = prediction_table(prepared, "test", _labels_as_scores(prepared, "test"))
    assert (table["step"] - table["input_end"] == 2).all()
    assert table["step"].dtype.kind == "i"


def test_forecast_tables_carry_persistence_and_seasonal_naive_per_row():
    config = forecast_config(split="time", season=3)
    prepared = prepare_experiment(forecast_table(steps=60), config)
    table = prediction_table(prepared, "test", _labels_as_scores(prepared, "test"))
    examples = prepared.parts["test"]
    decode = prepared.preprocessor.decode_target
    np.testing.assert_allclose(
        table["persistence"], decode(prepared.target_of_row[examples.end_rows])
    )
    # Horizon 2, season 3: the target one row before the window's end.
    np.testing.assert_allclose(
        table["seasonal_naive"], decode(prepared.target_of_row[examples.end_rows - 1])
    )


def test_multi_horizon_rows_each_name_their_own_target_time():
    config = forecast_config(split="time", horizon=None, horizons=3)
    config = config.replace(train=TrainConfig(epochs=1, quantiles=(0.1, 0.5, 0.9)))
    prepared = prepare_experiment(_hourly(), config)
    labels = prepared.parts["test"].labels
    scores = np.stack([labels - 1, labels, labels + 1], axis=2).reshape(len(labels), -1)
    table = prediction_table(prepared, "test", scores, (0.1, 0.5, 0.9))
    gap = pd.to_datetime(table["step"]) - pd.to_datetime(table["input_end"])
    assert (gap == pd.to_timedelta(table["horizon"], unit="h")).all()
    assert {"P10", "P50", "P90", "persistence"} <= set(table.columns)
    assert table["P90"].sub(table["P10"]).gt(0).all()
    assert table.shape[0] == 3 * len(labels)
    assert table["actual"].to_numpy() == pytest.approx(
        prepared.preprocessor.decode_target(labels).reshape(-1)
    )
