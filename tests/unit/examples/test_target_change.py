"""``data.target_change``: the model learns the change from persistence.

Each window's label is centred on the window's last target value, so a model
whose output is zero forecasts exactly what persistence forecasts, and what it
learns is the step from there.
"""

from __future__ import annotations

import numpy as np
import pytest

from core.errors import ConfigError
from core.examples.prepare import prepare_experiment, prepare_prediction
from core.model.bundle import bundle_from_result, load_bundle, predict, save_bundle
from core.model.evaluation import persistence_scores
from core.model.experiment import run_experiment
from tests.support.configs import forecast_config, forecast_data
from tests.support.tables import forecast_table


def test_labels_are_the_change_from_each_windows_last_target():
    frame = forecast_table(seed=1)
    prepared = prepare_experiment(frame, forecast_config(target_change=True))
    train = prepared.parts["train"]
    last = prepared.target_of_row[train.end_rows]
    np.testing.assert_allclose(train.label_center, last)
    np.testing.assert_allclose(train.model_labels(), train.labels - last)


def test_a_zero_output_forecasts_what_persistence_forecasts():
    frame = forecast_table(seed=2)
    prepared = prepare_experiment(frame, forecast_config(target_change=True))
    test = prepared.parts["test"]
    zero = test.from_model_units(np.zeros(len(test)))
    train_labels = prepared.parts["train"].labels
    np.testing.assert_allclose(zero, persistence_scores(prepared, "test", train_labels))


def test_several_horizons_share_the_windows_last_target():
    frame = forecast_table(seed=3, steps=30)
    config = forecast_config(target_change=True, horizons=2, horizon=None)
    train = prepare_experiment(frame, config).parts["train"]
    assert train.labels.shape[1] == 2
    np.testing.assert_allclose(
        train.model_labels(), train.labels - train.label_center[:, None]
    )


def test_with_series_scaling_the_change_is_in_series_units():
    frame = forecast_table(seed=4)
    frame["level"] = frame["level"] + frame["entity"].map(
        {f"e{index}": 100.0 * index for index in range(6)}
    )
    config = forecast_config(target_change=True, target_scaling="entity")
    prepared = prepare_experiment(frame, config)
    train = prepared.parts["train"]
    np.testing.assert_allclose(
        train.label_center, prepared.target_of_row[train.end_rows]
    )
    # The series scale (not one) divides the change.
    assert not np.allclose(train.label_scale, 1.0)


def test_a_missing_last_target_falls_back_to_the_training_mean():
    frame = forecast_table(seed=5)
    last_rows = frame.groupby("entity").tail(1).index
    frame.loc[last_rows - 1, "level"] = np.nan
    config = forecast_config(target_change=True)
    trained = prepare_experiment(frame, config)
    prepared = prepare_prediction(frame, trained.preprocessor, last_only=False)
    examples = prepared.parts["all"]
    missing = np.isnan(prepared.target_of_row[examples.end_rows])
    assert missing.any()
    # Encoded units: the training mean is 0.
    np.testing.assert_allclose(examples.label_center[missing], 0.0)
    assert np.isfinite(examples.label_center).all()


def test_predictions_add_the_change_to_the_last_target_after_a_safe_reload(tmp_path):
    frame = forecast_table(seed=6, steps=30)
    config = forecast_config(target_change=True)
    result = run_experiment(frame, config)
    bundle = bundle_from_result(result)
    reloaded = load_bundle(save_bundle(bundle, tmp_path / "bundle"))
    history = frame[frame["entity"] == "e0"]
    expected = predict(bundle, history, last_only=True).table["predicted"]
    table = predict(reloaded, history, last_only=True).table
    np.testing.assert_allclose(table["predicted"], expected, rtol=1e-5)
    # The change the network adds is small next to the level it starts from:
    # a one-epoch model stays near persistence.
    last_level = history["level"].iloc[-1]
    spread = frame["level"].std()
    assert abs(table["predicted"].iloc[-1] - last_level) < 2 * spread


@pytest.mark.parametrize(
    "changes",
    [{"target_as_input": False}, {"task": "binary", "target_column": "grade"}],
)
def test_target_change_needs_a_regression_with_the_targets_past(changes):
    with pytest.raises(ConfigError, match="data.target_change"):
        forecast_data(target_change=True, **changes)
