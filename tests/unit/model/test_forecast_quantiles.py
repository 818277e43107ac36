"""Items 3 and 4 of issue 22: several horizons at once, quantiles, pinball loss."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from core.analysis.whatif import timeline
from core.config import ExperimentConfig, TrainConfig
from core.errors import ConfigError
from core.examples.prepare import plan_experiment, prepare_experiment
from core.model.bundle import bundle_from_result, load_bundle, predict, save_bundle
from core.model.evaluation import evaluate, part_metrics, predict_scores
from core.model.experiment import run_experiment
from core.model.gbm_arm import train_gbm_arm
from core.model.pinball import PinballLoss
from core.model.quantiles import (
    conformal_factor,
    interval_coverage,
    pinball_loss,
    q_risk,
    quantile_name,
    widened,
)
from tests.support.configs import forecast_config, forecast_data
from tests.support.tables import forecast_table

QUANTILES = (0.1, 0.5, 0.9)


def _table(seed: int = 0):
    """Long enough that the time split's test part holds three-step windows."""
    return forecast_table(seed=seed, steps=60)


def _quantile_config(**changes: object) -> ExperimentConfig:
    config = forecast_config(split="time", horizon=None, horizons=3, **changes)
    train = TrainConfig(epochs=1, batch_size=16, quantiles=QUANTILES)
    return config.replace(train=train)


# --- arithmetic against hand computation ------------------------------------


def test_pinball_loss_matches_a_hand_computation():
    actual = np.array([1.0, 3.0, 2.0])
    predicted = np.array([2.0, 2.0, 2.0])
    # q = 0.9: under-prediction by 1 costs 0.9, over-prediction by 1 costs 0.1.
    assert pinball_loss(actual, predicted, 0.9) == pytest.approx((0.1 + 0.9) / 3)
    assert pinball_loss(actual, predicted, 0.1) == pytest.approx((0.9 + 0.1) / 3)
    assert pinball_loss(actual, predicted, 0.5) == pytest.approx(1.0 / 3)


def test_pinball_loss_skips_unknown_actual_values():
    actual = np.array([1.0, np.nan])
    assert pinball_loss(actual, np.array([0.0, 100.0]), 0.5) == pytest.approx(0.5)


def test_q_risk_is_twice_the_summed_pinball_loss_over_the_summed_actuals():
    actual = np.array([1.0, 3.0, 2.0])
    predicted = np.array([2.0, 2.0, 2.0])
    # Sum of pinball losses at 0.9: 0.1 + 0.9 + 0 = 1.0; sum |y| = 6.
    assert q_risk(actual, predicted, 0.9) == pytest.approx(2 * 1.0 / 6)


def test_interval_coverage_counts_values_inside_the_bounds():
    actual = np.array([0.0, 1.0, 2.0, 3.0, 4.0, np.nan])
    assert interval_coverage(actual, 0.5, 3.0) == pytest.approx(3 / 5)


def test_conformal_factor_is_the_rank_ceil_n_plus_1_times_level_score():
    actual = np.array([0.5] * 8 + [2.0, 3.0])
    low, high = np.zeros(10), np.ones(10)
    # Scores: -0.5 (x8), 1, 2; ceil(11 * 0.8) = 9th smallest = 1.
    factor = conformal_factor(actual, low, high, 0.8)
    assert factor == pytest.approx(1.0)
    new_low, new_high = widened(low, high, factor)
    assert interval_coverage(actual, new_low, new_high) == pytest.approx(0.9)


def test_a_narrowing_factor_never_inverts_the_interval():
    low, high = widened(np.array([0.0]), np.array([2.0]), -5.0)
    assert low[0] == pytest.approx(1.0)
    assert high[0] == pytest.approx(1.0)


def test_quantile_names():
    assert [quantile_name(q) for q in QUANTILES] == ["P10", "P50", "P90"]


def test_keras_pinball_loss_matches_the_numpy_one():
    rng = np.random.default_rng(0)
    actual = rng.normal(size=(5, 2))
    predicted = rng.normal(size=(5, 2 * 3))
    loss = PinballLoss(QUANTILES, horizons=2)
    value = float(keras.ops.convert_to_numpy(loss(actual, predicted)))
    cube = predicted.reshape(5, 2, 3)
    expected = np.mean(
        [pinball_loss(actual, cube[..., i], q) for i, q in enumerate(QUANTILES)]
    )
    assert value == pytest.approx(expected, rel=1e-5)


# --- configuration ----------------------------------------------------------


def test_horizons_set_the_farthest_horizon():
    data = forecast_data(horizon=None, horizons=4)
    assert data.horizon == 4
    assert (
        ExperimentConfig.from_json(
            forecast_config(horizon=None, horizons=4).to_json()
        ).data.horizons
        == 4
    )


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"horizons": 3}, r"data\.horizons"),  # horizon 2 given, not 3
        ({"horizon": None, "horizons": 0}, r"data\.horizons"),
        (
            {
                "horizon": None,
                "horizons": 2,
                "task": "binary",
                "target_as_input": False,
            },
            r"data\.horizons",
        ),
    ],
)
def test_invalid_horizons_name_the_field(changes, field):
    with pytest.raises(ConfigError, match=field):
        forecast_data(**changes)


@pytest.mark.parametrize(
    ("train", "field"),
    [
        ({"quantiles": (0.9, 0.1)}, r"train\.quantiles"),
        ({"quantiles": (0.0, 0.5)}, r"train\.quantiles"),
        ({"calibrate_intervals": True}, r"train\.calibrate_intervals"),
        ({"quantiles": (0.5,), "calibrate_intervals": True}, "calibrate_intervals"),
    ],
)
def test_invalid_quantile_settings_name_the_field(train, field):
    with pytest.raises(ConfigError, match=field):
        TrainConfig(**train)


def test_quantiles_need_a_regression():
    config = forecast_config(task="binary", horizon=2, target_as_input=False)
    with pytest.raises(ConfigError, match=r"train\.quantiles"):
        config.replace(train=TrainConfig(quantiles=QUANTILES))


def test_new_fields_are_later_fields_so_old_ids_hold():
    identity = forecast_config().identity_dict()
    assert "horizons" not in identity["data"]
    assert "quantiles" not in identity["train"]
    assert "calibrate_intervals" not in identity["train"]


# --- labels and purge -------------------------------------------------------


def test_multi_horizon_labels_are_the_next_steps_of_the_same_entity():
    prepared = prepare_experiment(_table(), _quantile_config())
    for part in ("train", "validation", "test"):
        examples = prepared.parts[part]
        assert examples.labels.shape == (len(examples), 3)
        for step in (1, 2, 3):
            expected = prepared.target_of_row[examples.end_rows + step]
            np.testing.assert_allclose(examples.labels[:, step - 1], expected)
        entity = prepared.entity_of_row
        assert (entity[examples.end_rows] == entity[examples.end_rows + 3]).all()


def test_time_split_purges_training_windows_whose_steps_reach_held_out_rows():
    frame = _table()
    config = _quantile_config()
    plan = plan_experiment(frame, config)
    prepared = prepare_experiment(frame, config)
    train = prepared.parts["train"]
    assert len(train) > 0
    for step in (1, 2, 3):
        assert (plan.row_parts[train.end_rows + step] == 0).all()
    # The purge is as long as the farthest step: a window ending 3 rows before
    # a held-out row is kept.
    last_train = train.end_rows + 3
    assert (plan.row_parts[last_train + 1] != 0).any()


# --- reports, training and reload ------------------------------------------


def _fake_scores(prepared, part, spread=1.0):
    """Quantile scores around the truth: P50 exact, P10/P90 at -/+ spread."""
    labels = prepared.parts[part].labels
    cube = np.stack([labels - spread, labels, labels + spread], axis=2)
    return cube.reshape(len(labels), -1)


def test_report_has_per_horizon_and_quantile_sections():
    prepared = prepare_experiment(_table(), _quantile_config())
    scores = {part: _fake_scores(prepared, part) for part in ("validation", "test")}
    report = evaluate(None, prepared, scores, QUANTILES)
    assert report["test"]["rmse"] == pytest.approx(0.0, abs=1e-9)
    horizons = report["horizons"]
    assert horizons["steps"] == [1, 2, 3]
    assert len(horizons["model"]["test"]["rmse"]) == 3
    assert set(horizons["baselines"]) >= {"naive", "persistence"}
    assert len(horizons["baselines"]["persistence"]["test"]["rmse"]) == 3
    assert len(horizons["skill"]["test"]) == 3
    quantiles = report["quantiles"]
    assert quantiles["names"] == ["P10", "P50", "P90"]
    test = quantiles["test"]
    assert set(test["pinball"]) == {"P10", "P50", "P90"}
    assert set(test["q_risk"]) == {"P50", "P90"}
    assert test["q_risk"]["P50"] == pytest.approx(0.0, abs=1e-9)
    assert test["coverage"] == pytest.approx(1.0)
    assert test["interval"] == ["P10", "P90"]
    calibration = quantiles["calibration"]
    assert len(calibration["factors"]) == 3
    assert calibration["coverage_before"]["test"] == pytest.approx(1.0)
    # Always inside on validation: calibration narrows the interval.
    assert all(factor < 0 for factor in calibration["factors"])


def test_pooled_metrics_score_every_known_step():
    prepared = prepare_experiment(_table(), _quantile_config())
    labels = prepared.parts["test"].labels
    scores = _fake_scores(prepared, "test")
    scores[:, 4] += 1.0  # step 2's P50 off by one scaled unit
    metrics = part_metrics(prepared.preprocessor, labels, scores, QUANTILES)
    std = prepared.preprocessor.target_encoder_.std_
    assert metrics["mae"] == pytest.approx(std / 3)


@pytest.mark.slow
def test_a_quantile_model_trains_saves_reloads_and_predicts(tmp_path):
    config = _quantile_config()
    result = run_experiment(_table(), config)
    assert result.model.output_shape[-1] == 9
    assert "quantiles" in result.metrics
    assert "horizons" in result.metrics
    path = save_bundle(bundle_from_result(result), tmp_path / "bundle")
    loaded = load_bundle(path)
    expected = predict_scores(result.model, result.prepared, "test")
    np.testing.assert_allclose(
        predict_scores(loaded.model, result.prepared, "test"), expected, rtol=1e-5
    )
    predicted = predict(loaded, _table(seed=1))
    table = predicted.table
    assert {"horizon", "predicted", "P10", "P50", "P90", "actual"} <= set(table)
    assert set(table["horizon"]) == {1, 2, 3}
    assert (table["P10"] <= table["P50"]).all()
    assert (table["P50"] <= table["P90"]).all()
    np.testing.assert_allclose(table["predicted"], table["P50"])
    assert predicted.metrics is not None
    assert predicted.metrics["rmse"] > 0
    history = _table()[lambda frame: frame["entity"] == "e0"]
    steps = timeline(loaded.model, loaded.preprocessor, history)
    assert steps["predicted"].notna().all()


def test_gbm_arm_fits_one_booster_per_step_and_quantile():
    prepared = prepare_experiment(_table(), _quantile_config())
    metrics, scores = train_gbm_arm(prepared, seed=0, quantiles=QUANTILES)
    assert scores["test"].shape == (len(prepared.parts["test"]), 9)
    assert metrics["parameters"]["trees"] > 0
    assert set(metrics["quantiles"]["test"]["pinball"]) == {"P10", "P50", "P90"}
    assert len(metrics["horizons"]["model"]["test"]["rmse"]) == 3
