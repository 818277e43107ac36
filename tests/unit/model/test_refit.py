"""Refit after early stopping (TrainConfig.refit)."""

from __future__ import annotations

import numpy as np
import pytest

from core.config import (
    ExperimentConfig,
    ModelConfig,
    TrainConfig,
)
from core.errors import ConfigError
from core.examples.sequences import Examples
from core.model.evaluation import evaluate, held_out_scores
from core.model.experiment import run_experiment
from core.model.refit import concatenate, held_in, refit_epochs, replayed_rates
from tests.support.configs import level_regression_config
from tests.support.tables import make_long_table


def _config(refit: bool = True, **split_changes) -> ExperimentConfig:
    return level_regression_config(
        ModelConfig(lstm_units=(6,), dense_units=0, dropout=0.0),
        TrainConfig(
            epochs=6, batch_size=16, seed=0, patience=2, refit=refit,
            lr_schedule="plateau",
        ),
        **split_changes,
    )  # fmt: skip


def test_refit_epochs_run_to_the_best_validation_loss():
    assert refit_epochs({"val_loss": [3.0, 2.0, 2.5, 2.2]}) == 2
    assert refit_epochs({"val_loss": [float("nan"), 1.0, 0.5]}) == 3
    assert refit_epochs({"loss": [1.0]}) == 1


def test_replayed_rates_follow_the_logged_schedule():
    config = _config()
    history = {"learning_rate": [0.01, 0.01, 0.005, 0.0025]}
    assert replayed_rates(history, config, 3) == [0.01, 0.01, 0.005]
    # Without a schedule Keras logs no rate: the configured one throughout.
    assert replayed_rates({}, config, 2) == [config.train.learning_rate] * 2


def test_concatenate_keeps_every_field_in_order():
    first = Examples(np.array([3, 4]), np.array([2, 2]), np.array([0.1, 0.2]))
    second = Examples(np.array([9]), np.array([1]), np.array([0.3]))
    joined = concatenate(first, second)
    assert joined.end_rows.tolist() == [3, 4, 9]
    assert joined.lengths.tolist() == [2, 2, 1]
    assert joined.labels.tolist() == [0.1, 0.2, 0.3]
    assert joined.actual is None


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"validation_windows": "last"}, "split.validation_windows"),
        ({"method": "time", "test_fraction": 0.2}, "train.refit"),
        ({"validation_fraction": 0.0}, "split.validation_fraction"),
    ],
)
def test_refit_is_refused_where_it_would_mislead(changes, field):
    with pytest.raises(ConfigError, match=field.replace(".", r"\.")):
        _config(**changes)


@pytest.fixture(scope="module")
def table():
    return make_long_table(seed=5, entities=50)


@pytest.fixture(scope="module")
def refitted(table):
    return run_experiment(table, _config())


@pytest.mark.slow
def test_the_refit_trains_on_training_and_validation_examples(refitted):
    prepared = refitted.prepared
    joined = held_in(prepared).parts["train"]
    parts = prepared.parts
    assert len(joined) == len(parts["train"]) + len(parts["validation"])
    training = refitted.training
    assert training.refit_epochs == refit_epochs(training.history)
    assert refitted.metrics["training"]["refit_epochs"] == training.refit_epochs
    selection = training.selection_model
    assert selection is not None
    assert selection is not training.model
    refit_scores = held_out_scores(training.model, prepared)["validation"]
    chosen_scores = held_out_scores(selection, prepared)["validation"]
    assert not np.allclose(refit_scores, chosen_scores)


@pytest.mark.slow
def test_validation_metrics_are_the_early_stopped_models(refitted):
    prepared = refitted.prepared
    selection = refitted.training.selection_model
    expected = evaluate(selection, prepared)["validation"]
    assert refitted.metrics["validation"] == pytest.approx(expected)
    # Test metrics are the saved (refit) model's own.
    own = evaluate(refitted.training.model, prepared)
    assert refitted.metrics["test"] == own["test"]


@pytest.mark.slow
def test_a_refit_is_reproducible_and_differs_from_no_refit(table, refitted):
    again = run_experiment(table, _config())
    prepared = refitted.prepared
    np.testing.assert_allclose(
        held_out_scores(again.training.model, prepared)["validation"],
        held_out_scores(refitted.training.model, prepared)["validation"],
        atol=1e-6,
    )
    plain = run_experiment(table, _config(refit=False))
    assert plain.training.selection_model is None
    assert "refit_epochs" not in plain.metrics["training"]
    # Same seed and split: the early-stopped model is the plain run's model.
    np.testing.assert_allclose(
        held_out_scores(plain.training.model, prepared)["validation"],
        held_out_scores(refitted.training.selection_model, prepared)["validation"],
        atol=1e-6,
    )


def test_a_streamed_run_refuses_refit_before_reading_the_data():
    from types import SimpleNamespace

    from core.runs.jobs import train_dataset_run

    record = SimpleNamespace(id="never-read", config=_config())
    with pytest.raises(ConfigError, match=r"train\.refit"):
        train_dataset_run(None, record, None, None)
