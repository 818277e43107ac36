"""Embedding-size advice, value audit and pre-flight estimate."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from core.advisor import advise_embedding_sizes, audit_column, preflight
from core.config import ColumnSpec, DataConfig, ExperimentConfig, ModelConfig


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
    from core.model import build_model, count_parameters
    from core.prepare import prepare_experiment

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
    for encoding in ("embedding", "onehot"):
        config = ExperimentConfig(
            data=data, model=ModelConfig(encoding=encoding, lstm_units=(8, 4))
        )
        estimate = preflight(table, config)
        keras.utils.set_random_seed(0)
        model = build_model(config, prepare_experiment(table, config).preprocessor)
        counted = count_parameters(model)
        expected = sum(estimate.embedding_parameters.values())
        assert counted["total"] == expected + estimate.other_parameters, encoding
