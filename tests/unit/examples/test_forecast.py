"""Forecasting: the target's past as an input, horizons for every task, no leaks."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from core.config import (
    ExperimentConfig,
    TrainConfig,
)
from core.errors import ConfigError, DataValidationError
from core.examples.prepare import prepare_experiment, prepare_prediction
from core.examples.sequences import TRAIN
from core.features.derived import AGE_COLUMN, input_config, target_input_name
from core.features.naming import categorical_input_name
from core.model.batches import ExampleBatches
from tests.support.configs import (
    FORECAST_HORIZON,
    forecast_config,
    forecast_data,
)
from tests.support.tables import forecast_table


def _inputs(prepared, part: str) -> dict[str, np.ndarray]:
    data = prepared.preprocessor.config
    batches = ExampleBatches(
        prepared.encoded,
        prepared.parts[part],
        data.categorical_names,
        data.window,
        64,
        include_labels=False,
    )
    return batches.inputs_for(np.arange(len(prepared.parts[part])))


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"horizon": None}, "data.target_as_input"),
        ({"framing": "sequence", "horizon": None}, "data.target_as_input"),
        ({"horizon": 0}, "data.horizon"),
        ({"smoothing_alpha": 0.0}, "data.smoothing_alpha"),
        ({"smoothing_alpha": 1.5}, "data.smoothing_alpha"),
        ({"entity_age": "yes"}, "data.entity_age"),
    ],
    ids=[
        "target-input-needs-horizon",
        "target-input-needs-window",
        "horizon-below-1",
        "alpha-zero",
        "alpha-above-1",
        "age-not-bool",
    ],
)
def test_invalid_forecast_settings_name_the_field(changes, field):
    with pytest.raises(ConfigError, match=field.replace(".", r"\.")):
        forecast_data(**changes)


def test_unknown_lr_schedule_is_refused():
    with pytest.raises(ConfigError, match=r"train\.lr_schedule"):
        TrainConfig(lr_schedule="step")


def test_new_fields_round_trip_and_old_json_still_loads():
    config = forecast_config(smoothing_alpha=0.3, entity_age=True).replace(
        train=TrainConfig(lr_schedule="cosine")
    )
    assert ExperimentConfig.from_json(config.to_json()) == config
    old = config.to_dict()
    for key in ("target_as_input", "smoothing_alpha", "entity_age"):
        del old["data"][key]
    del old["train"]["lr_schedule"]
    old["data"]["horizon"] = None
    loaded = ExperimentConfig.from_dict(old)
    assert (loaded.data.target_as_input, loaded.data.smoothing_alpha) == (False, None)
    assert (loaded.data.entity_age, loaded.train.lr_schedule) == (False, "none")


def test_a_feature_named_like_a_derived_input_is_refused():
    data = forecast_data(numeric_columns=("driver", "level__past"))
    with pytest.raises(ConfigError, match="level__past"):
        input_config(data)


@pytest.mark.parametrize("task", ["regression", "multiclass"])
def test_labels_are_the_target_horizon_steps_after_the_window(task):
    target = "level" if task == "regression" else "grade"
    prepared = prepare_experiment(
        forecast_table(), forecast_config(target_column=target, task=task)
    )
    encoded = prepared.preprocessor.encode_target(_sorted(forecast_table())[target])
    entity = prepared.entity_of_row
    for part in ("train", "validation", "test"):
        examples = prepared.parts[part]
        assert len(examples) > 0
        rows = examples.end_rows + FORECAST_HORIZON
        assert (entity[rows] == entity[examples.end_rows]).all()
        np.testing.assert_array_equal(examples.labels, encoded[rows])


def _sorted(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.sort_values(["entity", "step"], kind="stable").reset_index(drop=True)


@pytest.mark.parametrize("task", ["regression", "multiclass", "binary"])
def test_future_target_values_never_reach_the_inputs(task):
    table = forecast_table()
    target = {"regression": "level", "multiclass": "grade", "binary": "event"}[task]
    table["event"] = (table["level"] > 0.5).astype(int)
    config = forecast_config(target_column=target, task=task, entity_age=True)
    preprocessor = prepare_experiment(table, config).preprocessor
    cut = 12
    future = table["step"] > cut
    changed = table.copy()
    if task == "regression":
        changed.loc[future, target] = changed.loc[future, target] * -5.0 + 40.0
    else:
        values = changed[target].to_numpy()
        changed.loc[future, target] = np.roll(values[future.to_numpy()], 7)
    before = prepare_prediction(table, preprocessor)
    after = prepare_prediction(changed, preprocessor)
    np.testing.assert_array_equal(
        before.parts["all"].end_rows, after.parts["all"].end_rows
    )
    steps = _sorted(table)["step"].to_numpy()
    visible = steps[before.parts["all"].end_rows] <= cut
    inputs_before, inputs_after = _inputs(before, "all"), _inputs(after, "all")
    assert set(inputs_before) >= {"numeric_features", "step_mask"}
    for name, values in inputs_before.items():
        np.testing.assert_array_equal(values[visible], inputs_after[name][visible])
    # The target's past really is an input: later windows do see the change.
    assert any(
        not np.array_equal(values[~visible], inputs_after[name][~visible])
        for name, values in inputs_before.items()
    )


def test_classification_target_is_a_categorical_input_with_its_own_vocabulary():
    config = forecast_config(target_column="grade", task="multiclass")
    prepared = prepare_experiment(forecast_table(), config)
    name = target_input_name(config.data)
    preprocessor = prepared.preprocessor
    assert name in preprocessor.config.categorical_names
    assert sorted(preprocessor.vocabularies_[name]) == ["high", "low", "mid"]
    assert categorical_input_name(name) in _inputs(prepared, "train")


def test_regression_target_input_and_age_are_scaled_with_training_statistics():
    config = forecast_config(split="time", entity_age=True)
    prepared = prepare_experiment(forecast_table(), config)
    scaler = prepared.preprocessor.numeric_scaler_
    train = _sorted(forecast_table())[_train_rows(prepared)]
    position = scaler.columns.index("level__past")
    assert scaler.center_[0, position] == pytest.approx(train["level"].mean())
    ages = train.groupby("entity").cumcount()
    assert scaler.center_[0, scaler.columns.index(AGE_COLUMN)] == pytest.approx(
        ages.mean()
    )


def _train_rows(prepared) -> np.ndarray:
    from core.examples.sequences import split_rows

    config = forecast_config(split="time")
    return split_rows(prepared.layout, config.split) == TRAIN


def test_time_split_labels_of_training_windows_stay_in_training_rows():
    prepared = prepare_experiment(forecast_table(), forecast_config(split="time"))
    in_train = _train_rows(prepared)
    label_rows = prepared.parts["train"].end_rows + FORECAST_HORIZON
    assert in_train[label_rows].all()
    assert len(prepared.parts["train"]) > 0


def test_prediction_without_the_target_column_names_it():
    prepared = prepare_experiment(forecast_table(), forecast_config())
    with pytest.raises(DataValidationError, match="level"):
        prepare_prediction(
            forecast_table().drop(columns="level"), prepared.preprocessor
        )


def test_persistence_scores_are_the_last_observed_target():
    from core.model.evaluation import persistence_scores

    prepared = prepare_experiment(forecast_table(), forecast_config())
    examples = prepared.parts["test"]
    scores = persistence_scores(prepared, "test", prepared.parts["train"].labels)
    np.testing.assert_allclose(scores, prepared.target_of_row[examples.end_rows])


def test_runs_table_shows_the_persistence_baseline_beside_the_naive_one():
    from types import SimpleNamespace

    from core.runs.views import metrics_side_by_side

    metric = {"rmse": 1.0, "mae": 0.5, "r2": 0.1}
    results = {
        "embedding": {
            "test": metric,
            "baseline": {"strategy": "training_mean", "test": metric},
            "persistence": {"strategy": "last_observed", "test": metric},
        }
    }
    store = SimpleNamespace(results=lambda run_id: results)
    record = SimpleNamespace(id="run", config=forecast_config())
    table = metrics_side_by_side(store, [record])
    assert table["model"].tolist() == [
        "embedding LSTM",
        "baseline (training_mean)",
        "baseline (last observed)",
    ]


def test_prediction_without_a_smoothed_column_names_it():
    prepared = prepare_experiment(
        forecast_table(), forecast_config(smoothing_alpha=0.5)
    )
    with pytest.raises(DataValidationError, match="driver"):
        prepare_prediction(
            forecast_table().drop(columns="driver"), prepared.preprocessor
        )


def test_serving_encodes_the_derived_inputs_exactly_as_training_did():
    config = forecast_config(split="time", smoothing_alpha=0.3, entity_age=True)
    table = forecast_table()
    prepared = prepare_experiment(table, config)
    shuffled = table.sample(frac=1.0, random_state=0)
    served = prepare_prediction(shuffled, prepared.preprocessor)
    np.testing.assert_array_equal(served.encoded.numeric, prepared.encoded.numeric)
    np.testing.assert_array_equal(
        served.encoded.categorical, prepared.encoded.categorical
    )


def test_derived_inputs_keep_global_scaling_under_normalize_by():
    config = forecast_config(entity_age=True, normalize_by="kind")
    scaler = prepare_experiment(forecast_table(), config).preprocessor.numeric_scaler_
    for column in ("level__past", AGE_COLUMN):
        position = scaler.columns.index(column)
        assert np.unique(scaler.center_[:, position]).size == 1
    driver = scaler.columns.index("driver")
    assert np.unique(scaler.center_[:, driver]).size > 1


@pytest.mark.parametrize("task", ["regression", "multiclass"])
def test_held_out_targets_never_reach_training_inputs_or_labels(task):
    target = "level" if task == "regression" else "grade"
    config = forecast_config(
        split="time", target_column=target, task=task, smoothing_alpha=0.5
    )
    table = forecast_table()
    prepared = prepare_experiment(table, config)
    held_out = ~_train_rows(prepared)
    changed = _sorted(table)
    if task == "regression":
        changed.loc[held_out, target] = 1000.0
    else:
        changed.loc[held_out, target] = "high"
    again = prepare_experiment(changed, config)
    before, after = prepared.parts["train"], again.parts["train"]
    np.testing.assert_array_equal(before.end_rows, after.end_rows)
    np.testing.assert_array_equal(before.labels, after.labels)
    for name, values in _inputs(prepared, "train").items():
        np.testing.assert_array_equal(values, _inputs(again, "train")[name])
