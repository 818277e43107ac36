"""End-to-end core runs on tiny data: the seed's three examples, reproducibility,
cancellation, NaN loss, metrics with baselines."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from core.config import (
    ColumnSpec,
    DataConfig,
    ExperimentConfig,
    ModelConfig,
    SplitConfig,
    TrainConfig,
)
from core.errors import TrainingError
from core.model.evaluation import predict_scores, prediction_table
from core.model.experiment import run_comparison, run_experiment
from core.model.training import CancelToken
from tests.support.tables import make_long_table

# Every test here trains a model in this process.
pytestmark = pytest.mark.slow

TINY_MODEL = ModelConfig(lstm_units=(8,), dense_units=0, dropout=0.0)
TINY_TRAIN = TrainConfig(epochs=2, batch_size=16, seed=0)


def _config(**data_changes) -> ExperimentConfig:
    values = {
        "target_column": "label",
        "id_column": "entity",
        "time_column": "step",
        "categorical_columns": (ColumnSpec("kind"),),
        "numeric_columns": ("reading",),
        "task": "binary",
    }
    return ExperimentConfig(
        data=DataConfig(**{**values, **data_changes}),
        split=SplitConfig(seed=0),
        model=TINY_MODEL,
        train=TINY_TRAIN,
    )


@pytest.fixture(scope="module")
def table():
    return make_long_table(seed=1, entities=60)


@pytest.fixture(scope="module")
def example_a(table):
    """Seed example (a): one categorical + one numeric series, binary per sequence."""
    return run_experiment(table, _config())


def test_example_a_reports_metrics_and_baseline(example_a):
    metrics = example_a.metrics
    assert metrics["task"] == "binary"
    for part in ("validation", "test"):
        assert {"accuracy", "roc_auc", "f1", "pr_auc"} <= set(metrics[part])
        assert metrics["baseline"][part]["n"] == metrics[part]["n"]
    assert metrics["baseline"]["strategy"] == "majority_class"
    assert (
        metrics["examples"]["train"]
        + metrics["examples"]["validation"]
        + (metrics["examples"]["test"])
        == 60
    )
    assert metrics["training"]["epochs_run"] == 2
    assert set(example_a.training.history) >= {"loss", "val_loss"}


def test_example_b_two_columns_with_their_own_sizes(table):
    config = _config(
        categorical_columns=(ColumnSpec("kind", 3), ColumnSpec("shift", 2))
    )
    result = run_experiment(table, config.replace(train=TrainConfig(epochs=1)))
    assert result.model.get_layer("embedding_kind").output_dim == 3
    assert result.model.get_layer("embedding_shift").output_dim == 2
    # The seed's pitfall: its categories started at 0, which mask_zero treated
    # as padding. Here "shift" value 0 is a real vocabulary entry.
    vocabulary = result.prepared.preprocessor.vocabularies_["shift"]
    assert "0" in vocabulary
    assert result.prepared.encoded.categorical.min() >= 1


def test_example_c_variable_lengths_are_padded_and_masked(example_a):
    prepared = example_a.prepared
    lengths = prepared.parts["test"].lengths
    assert lengths.min() < lengths.max()
    scores = predict_scores(example_a.model, prepared, "test")
    # Predicting one example alone (no padding) equals predicting it in a padded batch.
    from core.model.batches import ExampleBatches

    single = prepared.parts["test"].subset(np.arange(len(lengths)) == lengths.argmin())
    alone = ExampleBatches(
        prepared.encoded, single, ("kind",), None, 1, include_labels=False
    )[0][0]
    assert alone["step_mask"].all()
    value = example_a.model.predict_on_batch(alone)[0, 0]
    assert value == pytest.approx(scores[lengths.argmin()], abs=1e-5)


def test_same_seed_gives_same_predictions(table, example_a):
    again = run_experiment(table, _config())
    np.testing.assert_allclose(
        predict_scores(again.model, again.prepared, "test"),
        predict_scores(example_a.model, example_a.prepared, "test"),
        atol=1e-5,
    )


def test_prediction_table_joins_entities_and_times(example_a):
    prepared = example_a.prepared
    scores = predict_scores(example_a.model, prepared, "test")
    table = prediction_table(prepared, "test", scores)
    assert list(table.columns) == [
        "entity",
        "step",
        "steps",
        "probability",
        "predicted",
        "actual",
    ]
    assert table["steps"].min() >= 1
    assert set(table["actual"]) <= {"0", "1"}


def test_cancel_stops_after_the_first_batch(table):
    token = CancelToken()
    token.cancel()
    config = _config().replace(train=TrainConfig(epochs=5, batch_size=4))
    result = run_experiment(table, config, cancel=token)
    assert result.training.status == "cancelled"
    assert result.training.epochs_run == 1


class _PoisonWeights(keras.callbacks.Callback):
    """Turn the output layer's weights into NaN after the first batch."""

    def on_train_batch_end(self, batch, logs=None):
        layer = self.model.get_layer("output")
        layer.set_weights([np.full_like(w, np.nan) for w in layer.get_weights()])


def test_nan_loss_stops_with_a_message(table):
    with pytest.raises(TrainingError, match="NaN"):
        run_experiment(table, _config(), callbacks=[_PoisonWeights()])


def test_progress_events_arrive_for_batches_and_epochs(table):
    events = []
    run_experiment(
        table, _config().replace(train=TrainConfig(epochs=1)), progress=events.append
    )
    kinds = [event.kind for event in events]
    assert kinds.count("epoch_end") == 1
    assert "batch_end" in kinds
    assert events[-1].logs.keys() >= {"loss", "val_loss"}


def test_embeddings_beat_chance_on_planted_structure_and_twin_runs(table):
    config = _config().replace(
        model=ModelConfig(lstm_units=(16,), dense_units=0),
        train=TrainConfig(epochs=25, batch_size=8, patience=5),
    )
    results = run_comparison(table, config)
    assert set(results) == {"embedding", "onehot"}
    embedding = results["embedding"].metrics
    assert embedding["test"]["accuracy"] > embedding["baseline"]["test"]["accuracy"]
    assert results["onehot"].metrics["parameters"]["embedding_kind"] == 0


def test_window_framing_with_horizon_and_time_split(table):
    config = ExperimentConfig(
        data=DataConfig(
            target_column="label",
            id_column="entity",
            time_column="step",
            categorical_columns=(ColumnSpec("kind"), ColumnSpec("shift")),
            numeric_columns=("reading",),
            framing="window",
            window=4,
            horizon=2,
        ),
        split=SplitConfig(method="time", validation_fraction=0.2, test_fraction=0.2),
        model=TINY_MODEL,
        train=TrainConfig(epochs=1, class_weight="balanced"),
    )
    result = run_experiment(table, config)
    assert result.prepared.parts["train"].lengths.max() == 4
    assert result.metrics["validation"]["n"] > 0


def test_regression_metrics_are_in_natural_units(table):
    # Far from unit scale, so scaled and natural units cannot be confused.
    frame = table.assign(level=table["level"] * 100.0 + 1000.0)
    config = _config(target_column="level", task="regression")
    result = run_experiment(frame, config)
    metrics = result.metrics
    assert metrics["baseline"]["strategy"] == "training_mean"
    assert {"rmse", "mae", "r2"} <= set(metrics["test"])
    # Predicting the training mean misses by about the target's spread.
    spread = float(np.std(result.prepared.parts["test"].actual))
    assert 0.5 * spread < metrics["baseline"]["test"]["rmse"] < 2.0 * spread
    assert metrics["test"]["rmse"] > 0.05 * spread


def test_multiclass_runs(table):
    # Three classes of the target level, not a copy of an input feature.
    grade = np.digitize(table["level"], np.nanquantile(table["level"], [1 / 3, 2 / 3]))
    frame = table.assign(grade=np.asarray(["low", "mid", "high"])[grade])
    config = _config(target_column="grade", task="multiclass")
    result = run_experiment(frame, config)
    test = result.metrics["test"]
    assert {"accuracy", "macro_f1"} <= set(test)
    assert np.asarray(test["confusion_matrix"]).shape == (3, 3)
    assert np.asarray(test["confusion_matrix"]).sum() == test["n"]
    assert test["n"] == len(result.prepared.parts["test"])
