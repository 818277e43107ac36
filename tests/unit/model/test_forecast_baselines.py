"""Item 1 of issue 22: persistence and seasonal naive for every forecast."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from core.config import ExperimentConfig
from core.errors import ConfigError
from core.examples.prepare import prepare_experiment
from core.examples.seasons import detect_season, seasonal_offset
from core.model.evaluation import (
    evaluate,
    naive_scores,
    persistence_scores,
    seasonal_naive_scores,
)
from core.model.skill import report_standing, standing
from tests.support.configs import forecast_config, forecast_data
from tests.support.tables import forecast_table


def _hourly_table(entities: int = 4, steps: int = 240) -> pd.DataFrame:
    """A daily cycle in hourly rows: seasonal naive is nearly exact."""
    rng = np.random.default_rng(0)
    rows = []
    for entity in range(entities):
        stamps = pd.date_range("2024-01-01", periods=steps, freq="h")
        for step, stamp in enumerate(stamps):
            rows.append(
                {
                    "entity": f"e{entity}",
                    "step": str(stamp),
                    "kind": "ab"[entity % 2],
                    "driver": rng.normal(),
                    "level": 10 * np.sin(2 * np.pi * step / 24) + entity,
                }
            )
    return pd.DataFrame(rows)


@pytest.mark.parametrize(
    ("frequency", "season"),
    [("h", 24), ("D", 7), ("W", 52), ("MS", 12)],
    ids=["hourly", "daily", "weekly", "monthly"],
)
def test_season_is_detected_from_the_time_step(frequency, season):
    stamps = pd.date_range("2020-01-01", periods=30, freq=frequency).astype(str)
    assert detect_season(np.concatenate([stamps, stamps])) == season


def test_plain_number_times_have_no_season():
    assert detect_season(np.arange(50)) is None


def test_season_offset_reaches_back_to_an_observed_step():
    assert [seasonal_offset(24, h) for h in (1, 24, 25)] == [24, 24, 48]


def test_season_below_two_names_the_field():
    with pytest.raises(ConfigError, match=r"data\.season"):
        forecast_data(season=1)


def test_season_is_a_later_field_so_old_ids_hold():
    config = forecast_config()
    assert "season" not in config.identity_dict()["data"]
    loaded = ExperimentConfig.from_json(forecast_config(season=5).to_json())
    assert loaded.data.season == 5


def test_seasonal_naive_scores_are_the_target_one_season_before():

    prepared = prepare_experiment(forecast_table(), forecast_config(season=3))
    examples = prepared.parts["test"]
    train = prepared.parts["train"].labels
    scores = seasonal_naive_scores(prepared, "test", train, 3)
    # Horizon 2, season 3: the target at t + 2 - 3 = t - 1, in the same entity.
    expected = prepared.target_of_row[examples.end_rows - 1]
    np.testing.assert_allclose(scores, expected)


def test_every_forecast_report_carries_the_three_baselines():

    config = forecast_config(target_as_input=False)
    prepared = prepare_experiment(_hourly_table(), config)
    # A "model" that predicts the persistence values on every part.
    train = prepared.parts["train"].labels
    scores = {
        part: persistence_scores(prepared, part, train)
        for part in ("validation", "test")
    }
    report = evaluate(None, prepared, scores)
    baselines = report["baselines"]
    assert set(baselines) == {"naive", "persistence", "seasonal_naive"}
    assert baselines["seasonal_naive"]["season"] == 24
    assert baselines["persistence"]["test"]["rmse"] == pytest.approx(
        report["test"]["rmse"]
    )
    assert report["skill"]["test"] == pytest.approx(0.0)
    # The daily cycle repeats exactly: one season back is the answer wherever
    # the entity has a season of history (the naive mean stands in before).
    seasonal = baselines["seasonal_naive"]["test"]["rmse"]
    assert seasonal < baselines["persistence"]["test"]["rmse"]


def test_a_model_worse_than_seasonal_naive_is_told_so():
    prepared = prepare_experiment(_hourly_table(), forecast_config())
    train = prepared.parts["train"].labels
    scores = {
        part: persistence_scores(prepared, part, train)
        for part in ("validation", "test")
    }
    found = report_standing(evaluate(None, prepared, scores))
    assert not found.beats
    assert found.strongest == "seasonal_naive"
    assert "does not beat the strongest baseline, seasonal naive" in found.text
    assert found.skill == pytest.approx(0.0)


def test_non_forecasts_have_no_persistence_or_standing():
    config = forecast_config(target_as_input=False, horizon=None)
    prepared = prepare_experiment(forecast_table(), config)
    train = prepared.parts["train"].labels
    scores = {
        part: naive_scores(prepared.preprocessor, train, len(prepared.parts[part]))
        for part in ("validation", "test")
    }
    report = evaluate(None, prepared, scores)
    assert report["baselines"]["persistence"] is None
    assert report["baselines"]["naive"] == report["baseline"]
    assert report_standing(report) is None


def test_standing_reads_the_metric_direction():

    higher = standing(0.9, {"naive": 0.5, "persistence": 0.95}, "roc_auc")
    lower = standing(2.0, {"naive": 5.0, "persistence": 3.0}, "rmse")
    assert (higher.beats, higher.strongest) == (False, "persistence")
    assert (lower.beats, lower.skill) == (True, pytest.approx(1 - 2 / 3))
