"""A derived target end to end (issue 22 item 7): trained, saved, and predicted on
a new file with the same labels the expression gives there."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from core.config import (
    ColumnSpec,
    DataConfig,
    ExperimentConfig,
    ModelConfig,
    TrainConfig,
)
from core.data.target_expression import parse_target_expression
from core.examples.sequences import order_rows
from core.model.bundle import bundle_from_result, load_bundle, predict, save_bundle
from core.model.experiment import run_experiment
from tests.support.tables import make_long_table

# Trains a model in this process (TensorFlow's start-up included).
pytestmark = pytest.mark.slow

EXPRESSION = "level > 1 or (kind in ['beta', 'delta'] and level > 0.5)"


def _config() -> ExperimentConfig:
    return ExperimentConfig(
        data=DataConfig(
            target_column="high",
            id_column="entity",
            time_column="step",
            categorical_columns=(ColumnSpec("shift"),),
            numeric_columns=("reading",),
            task="binary",
            derive_target=EXPRESSION,
        ),
        model=ModelConfig(lstm_units=(4,), dense_units=0, dropout=0.0),
        train=TrainConfig(epochs=1, batch_size=16, seed=0),
    )


def _with_gaps(table: pd.DataFrame) -> pd.DataFrame:
    """A missing level in a few rows: their label is missing, not 0."""
    table = table.copy()
    table.loc[table.index[::13], "level"] = np.nan
    return table


@pytest.fixture(scope="module")
def saved_bundle(tmp_path_factory):
    config = ExperimentConfig.from_json(_config().to_json())
    result = run_experiment(_with_gaps(make_long_table(seed=2, entities=40)), config)
    folder = tmp_path_factory.mktemp("derived") / "bundle"
    return result, load_bundle(save_bundle(bundle_from_result(result), folder))


def _expected_last_labels(table: pd.DataFrame, data: DataConfig) -> pd.Series:
    """The expression on each entity's last row, as class keys ("0"/"1")."""
    ordered, _ = order_rows(table, data)
    last = ordered.groupby("entity", sort=False).tail(1)
    labels = parse_target_expression(EXPRESSION).evaluate(last)
    return pd.Series(
        [None if value is pd.NA else str(value) for value in labels],
        index=last["entity"].to_numpy(),
    )


def test_training_labels_rows_with_the_expression(saved_bundle):
    result, _ = saved_bundle
    table = _with_gaps(make_long_table(seed=2, entities=40))
    ordered, _ = order_rows(table, result.config.data)
    expected = parse_target_expression(EXPRESSION).evaluate(ordered)
    trained = result.prepared.target_of_row
    assert result.prepared.preprocessor.target_encoder_.classes_ == ["0", "1"]
    np.testing.assert_array_equal(np.isnan(trained), expected.isna().to_numpy())
    known = ~np.isnan(trained)
    np.testing.assert_array_equal(trained[known], expected[known].astype(float))


def test_a_new_file_gets_the_labels_the_expression_gives_it(saved_bundle):
    _, bundle = saved_bundle
    new = _with_gaps(make_long_table(seed=9, entities=12))
    predicted = predict(bundle, new)
    table = predicted.table.set_index("entity")
    expected = _expected_last_labels(new, bundle.config.data)
    actual = table["actual"].reindex(expected.index)
    assert actual.where(actual.notna(), None).tolist() == expected.tolist()
    assert predicted.metrics is not None


def test_a_new_file_without_the_source_column_is_predicted_unscored(saved_bundle):
    _, bundle = saved_bundle
    new = make_long_table(seed=9, entities=12).drop(columns=["level"])
    predicted = predict(bundle, new)
    assert len(predicted.table) == 12
    assert "actual" not in predicted.table.columns
    assert predicted.metrics is None
    assert any("derived from" in note for note in predicted.notes)
