"""Embedding-size advice, value audit and pre-flight estimate."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from core.config import ColumnSpec, DataConfig, ExperimentConfig, ModelConfig
from core.examples.advisor import advise_embedding_sizes, audit_column, preflight


def test_advice_lists_every_rule_with_its_parameters():
    advice = advise_embedding_sizes(99)
    assert list(advice["rule"]) == [
        "fastai",
        "fastai_capped_100",
        "half_capped_50",
        "fourth_root",
    ]
    fastai = advice.iloc[0]
    assert fastai["parameters"] == (99 + 2) * fastai["dimension"]


def test_audit_gives_each_value_its_index():
    values = pd.Series(["a", "a", "a", "b", "b", None, "rare"])
    audit = audit_column(values, min_count=2, new_values=pd.Series(["a", "zzz"]))
    rows = {row["value"]: row for row in audit.to_dict("records")}
    assert rows["a"]["index"] == 2
    assert rows["a"]["status"] == "category"
    assert rows["b"]["index"] == 3
    assert rows["<missing>"]["status"] == "rare"
    assert rows["<missing>"]["index"] == 1
    assert rows["zzz"]["status"] == "never seen"
    assert rows["zzz"]["index"] == 1


def test_preflight_counts_examples_and_parameters(long_table):
    data = DataConfig(
        target_column="label",
        id_column="entity",
        time_column="step",
        categorical_columns=(ColumnSpec("kind", 4),),
        numeric_columns=("reading",),
        framing="window",
        window=3,
    )
    config = ExperimentConfig(data=data, model=ModelConfig(lstm_units=(8,)))
    estimate = preflight(long_table, config)
    lengths = long_table.groupby("entity").size()
    assert sum(estimate.examples.values()) == int((lengths - 3 + 1).clip(lower=1).sum())
    cardinality = long_table["kind"].fillna("x").nunique()
    assert estimate.embedding_parameters["kind"] == (cardinality + 2) * 4
    # LSTM on 4 embedding + 2 numeric inputs (value and missing flag), 8 units.
    lstm = 4 * (8 * (6 + 8) + 8)
    assert estimate.other_parameters == lstm + (8 + 1) * 32 + 32 + 1
    onehot = preflight(long_table, config.replace(model=ModelConfig(encoding="onehot")))
    assert onehot.embedding_parameters["kind"] == 0


def test_preflight_parameters_match_the_model_that_trains(long_table):
    keras = pytest.importorskip("keras")
    from core.examples.prepare import prepare_experiment
    from core.model.network import build_model, count_parameters

    # One numeric column with gaps (gets a missing flag), one without (gets none).
    table = long_table.assign(complete=np.arange(len(long_table), dtype=float))
    data = DataConfig(
        target_column="label",
        id_column="entity",
        time_column="step",
        categorical_columns=(ColumnSpec("kind", 4), ColumnSpec("shift")),
        numeric_columns=("reading", "complete"),
        framing="window",
        window=3,
    )
    for encoding, members in (("embedding", 1), ("onehot", 1), ("embedding", 3)):
        model_config = ModelConfig(
            encoding=encoding, lstm_units=(8, 4), members=members
        )
        config = ExperimentConfig(data=data, model=model_config)
        estimate = preflight(table, config)
        keras.utils.set_random_seed(0)
        model = build_model(config, prepare_experiment(table, config).preprocessor)
        counted = count_parameters(model)
        expected = sum(estimate.embedding_parameters.values())
        assert counted["total"] == expected + estimate.other_parameters, (
            encoding,
            members,
        )


def _window_config(**changes) -> ExperimentConfig:
    data = {
        "target_column": "label",
        "id_column": "entity",
        "time_column": "step",
        "categorical_columns": (ColumnSpec("kind", 4),),
        "numeric_columns": ("reading",),
        "framing": "window",
        "window": 3,
        **changes,
    }
    return ExperimentConfig(data=DataConfig(**data), model=ModelConfig(lstm_units=(8,)))


def test_preflight_counts_the_examples_training_will_see(long_table):
    from core.examples.prepare import prepare_experiment

    # Missing labels drop examples in training; the estimate must drop them too.
    long_table.loc[long_table.index[::7], "label"] = np.nan
    config = _window_config()
    prepared = prepare_experiment(long_table, config)
    counted = {name: len(part) for name, part in prepared.parts.items()}
    assert preflight(long_table, config).examples == counted


def test_preflight_counts_one_output_unit_per_class(long_table):
    long_table["grade"] = long_table["entity"] % 4
    binary = preflight(long_table, _window_config())
    multiclass = preflight(
        long_table, _window_config(target_column="grade", task="multiclass")
    )
    # Head: 32 hidden units, then 4 softmax units instead of 1 sigmoid unit.
    assert multiclass.other_parameters - binary.other_parameters == (32 + 1) * 3


def test_preflight_memory_uses_the_limit_training_enforces(long_table):
    from core.errors import DataValidationError
    from core.examples.prepare import estimate_memory_bytes

    config = _window_config()
    estimate = preflight(long_table, config)
    assert estimate.memory_bytes == estimate_memory_bytes(len(long_table), config)
    with pytest.raises(DataValidationError, match="memory limit"):
        preflight(long_table, config, memory_limit_bytes=estimate.memory_bytes - 1)


def test_preflight_warns_when_parts_are_too_small_and_says_what_to_change():
    from tests.support.tables import make_long_table

    table = make_long_table(entities=6)
    config = _window_config(
        framing="sequence", target_column="level", task="regression"
    )
    warnings = preflight(table, config).warnings
    train = [w for w in warnings if "training example" in w]
    assert train
    assert "sliding windows" in train[0]
    assert "split by time" in train[0]
    assert any("validation example" in w for w in warnings)
    assert any("test example" in w for w in warnings)


def test_preflight_on_enough_examples_has_no_size_warning(long_table):
    warnings = preflight(long_table, _window_config()).warnings
    assert not any("too few" in w for w in warnings)


def test_a_bagged_ensemble_is_estimated_on_training_and_validation_examples(
    long_table,
):
    from dataclasses import replace

    from core.examples.advisor import EpochSample, epoch_examples, epoch_sample

    config = _window_config()
    config = config.replace(model=replace(config.model, members=2))
    bagged = config.replace(train=replace(config.train, bagging=True))
    # Calibrated on a slow sample, so the estimate follows the work closely.
    slow = [EpochSample(1e6, 1000.0)]
    plain = preflight(long_table, config, samples=slow)
    pooled = preflight(long_table, bagged, samples=slow)
    counts = plain.examples
    assert epoch_examples(config, counts) == counts["train"]
    assert epoch_examples(bagged, counts) == counts["train"] + counts["validation"]
    assert pooled.rough_epoch_seconds > plain.rough_epoch_seconds
    # A bagged run's own timing calibrates on the same count.
    metrics = {
        "training": {"seconds": 10.0, "epochs_run": 5},
        "parameters": {"total": 1000},
        "examples": counts,
    }
    ratio = epoch_sample(bagged, metrics).work / epoch_sample(config, metrics).work
    assert ratio == pytest.approx(
        (counts["train"] + counts["validation"]) / counts["train"]
    )
