"""Recipe levers: causal smoothing, entity age, LR schedules, and the serving path."""

from __future__ import annotations

import json

import keras
import numpy as np
import pandas as pd
import pytest

from core.config import ExperimentConfig, TrainConfig
from core.features.derived import AGE_COLUMN, causal_smoothing, derive_features
from core.features.preprocessor import SequencePreprocessor
from core.model.bundle import bundle_from_result, load_bundle, predict, save_bundle
from core.model.experiment import run_experiment
from core.model.gbm_arm import part_features, train_gbm_arm
from core.model.training import cosine_learning_rate, lr_schedule_callbacks
from tests.support.configs import forecast_config, forecast_data
from tests.support.tables import forecast_table


def test_smoothing_is_causal_per_entity():
    values = np.array([1.0, 3.0, np.nan, 5.0, 10.0, 0.0, 2.0])
    entity = np.array([0, 0, 0, 0, 1, 1, 1])
    smoothed = causal_smoothing(values, entity, 0.5)
    expected = [1.0, 2.0, np.nan, 3.5, 10.0, 5.0, 3.5]
    np.testing.assert_allclose(smoothed, expected)
    for row in range(len(values)):
        changed = values.copy()
        changed[row] = 100.0
        after = causal_smoothing(changed, entity, 0.5)
        np.testing.assert_array_equal(after[:row], smoothed[:row])


def test_derive_features_smooths_user_columns_and_counts_entity_age():
    table = forecast_table(entities=2, steps=4)
    data = forecast_data(smoothing_alpha=0.4, entity_age=True)
    frame = derive_features(table, data)
    assert frame[AGE_COLUMN].tolist() == [0, 1, 2, 3] * 2
    expected = table.groupby("entity")["driver"].transform(
        lambda s: s.ewm(alpha=0.4, adjust=False).mean()
    )
    np.testing.assert_allclose(frame["driver"], expected)
    np.testing.assert_array_equal(frame["level__past"], table["level"])
    later = table.copy()
    later.loc[3, "driver"] = 1e6
    np.testing.assert_array_equal(
        derive_features(later, data)["driver"][:3], frame["driver"][:3]
    )


def test_lr_schedules_are_callbacks_of_the_chosen_kind():
    config = forecast_config()
    assert lr_schedule_callbacks(config, True) == []
    plateau = config.replace(train=TrainConfig(lr_schedule="plateau", patience=4))
    (callback,) = lr_schedule_callbacks(plateau, True)
    assert isinstance(callback, keras.callbacks.ReduceLROnPlateau)
    assert (callback.monitor, callback.patience) == ("val_loss", 2)
    cosine = config.replace(train=TrainConfig(lr_schedule="cosine"))
    (callback,) = lr_schedule_callbacks(cosine, True)
    assert isinstance(callback, keras.callbacks.LearningRateScheduler)
    rate = cosine_learning_rate(0.01, 10)
    rates = [rate(epoch) for epoch in range(11)]
    assert rates[0] == pytest.approx(0.01)
    assert rates[5] == pytest.approx(0.005)
    assert rates[10] == pytest.approx(0.0, abs=1e-9)
    assert all(a >= b for a, b in zip(rates, rates[1:], strict=False))


@pytest.fixture(scope="module")
def trained():
    config = forecast_config(smoothing_alpha=0.5, entity_age=True).replace(
        train=TrainConfig(epochs=2, batch_size=16, lr_schedule="cosine")
    )
    table = forecast_table()
    return table, run_experiment(table, config)


@pytest.mark.slow
def test_experiment_reports_a_persistence_baseline(trained):
    _, result = trained
    persistence = result.metrics["persistence"]
    assert persistence["strategy"] == "last_observed"
    assert {"rmse", "mae"} <= set(persistence["test"])
    # An autoregressive target: the last value beats the training mean.
    assert persistence["test"]["rmse"] < result.metrics["baseline"]["test"]["rmse"]


@pytest.mark.slow
def test_bundle_serves_the_derived_inputs_and_last_windows(trained, tmp_path):
    table, result = trained
    path = save_bundle(bundle_from_result(result), tmp_path / "bundle")
    reloaded = load_bundle(path)
    assert reloaded.preprocessor.config.smoothing_alpha == 0.5
    original = predict(bundle_from_result(result), table)
    served = predict(reloaded, table)
    np.testing.assert_allclose(
        served.table["predicted"], original.table["predicted"], atol=1e-5
    )
    last = predict(reloaded, table, last_only=True).table
    assert len(last) == table["entity"].nunique()
    latest = table.groupby("entity")["step"].max().to_numpy()
    # The window ends at each entity's latest row; the time column names the
    # predicted step, two rows (of one step each) later.
    assert (last["input_end"] == latest).all()
    assert (last["step"] == latest + 2).all()
    assert (last["horizon"] == 2).all()
    # The last windows' targets lie beyond the data: predicted, not scored.
    assert last["actual"].isna().all()


@pytest.mark.slow
def test_old_preprocessor_json_without_the_new_fields_loads(trained):
    _, result = trained
    payload = result.prepared.preprocessor.to_dict()
    for key in ("target_as_input", "smoothing_alpha", "entity_age"):
        payload["config"].pop(key)
    payload["config"]["numeric_columns"] = ["driver"]
    payload["config"]["horizon"] = None
    scaler = payload["numeric_scaler"]
    scaler["columns"] = ["driver"]
    for name in ("center", "scale", "mean"):
        scaler[name] = [row[:1] for row in scaler[name]]
    loaded = SequencePreprocessor.from_dict(json.loads(json.dumps(payload)))
    assert not loaded.config.target_as_input
    frame = pd.DataFrame({"kind": ["a"], "driver": [0.5], "level": [1.0]})
    assert loaded.transform(frame).numeric.shape == (1, 1)


@pytest.mark.slow
def test_gradient_boosting_arm_gets_the_same_derived_inputs(trained):
    _, result = trained
    prepared = result.prepared
    names = prepared.preprocessor.numeric_feature_names
    assert {"driver", "level__past", AGE_COLUMN} <= set(names)
    X, _, n_numeric = part_features(prepared, "train")
    assert n_numeric == 3 * len(names)
    metrics, _ = train_gbm_arm(prepared, seed=0)
    assert "persistence" in metrics


@pytest.mark.slow
def test_time_split_experiment_with_plateau_schedule_runs():
    config = forecast_config(split="time", target_column="grade", task="multiclass")
    config = config.replace(train=TrainConfig(epochs=2, lr_schedule="plateau"))
    result = run_experiment(forecast_table(), config)
    assert result.metrics["persistence"]["test"]["n"] > 0
    assert isinstance(ExperimentConfig.from_json(config.to_json()), ExperimentConfig)
