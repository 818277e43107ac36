"""A new file for prediction: unusable targets, small samples, exact values."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from core.config import ColumnSpec, DataConfig, ExperimentConfig
from core.data.io import write_csv_safely
from core.examples.prepare import (
    MIN_SCORED_EXAMPLES,
    prepare_experiment,
    prepare_prediction,
)
from core.model.metrics import ordered_metrics
from sample_data.air_quality import make_air_quality_table


@pytest.fixture(scope="module")
def fitted():
    config = ExperimentConfig(
        data=DataConfig(
            target_column="PM2.5",
            id_column="station",
            time_column="No",
            categorical_columns=(ColumnSpec("wd"),),
            numeric_columns=("TEMP",),
            task="regression",
            framing="window",
            window=6,
        )
    )
    table = make_air_quality_table(stations=3, hours=60)
    return prepare_experiment(table, config).preprocessor


def _new_file() -> pd.DataFrame:
    table = make_air_quality_table(stations=2, hours=40, seed=5)
    table["PM2.5"] = table["PM2.5"].astype(object)
    table.loc[10, "PM2.5"] = "high"
    table.loc[11, "PM2.5"] = 40
    return table


def test_text_in_the_target_is_predicted_but_not_scored(fitted):
    prepared = prepare_prediction(_new_file(), fitted)
    examples = prepared.parts["all"]
    assert len(examples) == 2 * (40 - 6 + 1)  # the window ending at "high" too
    assert int(np.isnan(examples.labels).sum()) == 1
    assert any(
        "'high'" in note and "left out of the metrics" in note
        for note in prepared.notes
    )


def test_unseen_classes_in_the_target_are_noted():
    config = ExperimentConfig(
        data=DataConfig(
            target_column="wd",
            id_column="station",
            time_column="No",
            numeric_columns=("TEMP", "PM2.5"),
            task="multiclass",
            framing="window",
            window=4,
        )
    )
    table = make_air_quality_table(stations=3, hours=60)
    preprocessor = prepare_experiment(table, config).preprocessor
    new = table.head(30).copy()
    new.loc[2, "wd"] = "calm"
    notes = prepare_prediction(new, preprocessor).notes
    assert any("'calm'" in note and "never seen in training" in note for note in notes)


def test_metrics_on_a_handful_of_examples_carry_a_caveat(fitted):
    latest = prepare_prediction(_new_file(), fitted, last_only=True)
    assert len(latest.parts["all"]) == 2
    assert any("only n = 2 labelled example(s)" in note for note in latest.notes)
    everything = prepare_prediction(make_air_quality_table(2, 40, seed=5), fitted)
    assert len(everything.parts["all"]) >= MIN_SCORED_EXAMPLES
    assert not any("labelled example(s)" in note for note in everything.notes)


def test_actual_values_are_written_as_they_were_read(fitted):
    from core.model.evaluation import prediction_table

    prepared = prepare_prediction(_new_file(), fitted)
    scores = np.zeros(len(prepared.parts["all"]))
    table = prediction_table(prepared, "all", scores)
    assert 40.0 in set(table["actual"])
    text = write_csv_safely(table).decode()
    assert "40.00000000000001" not in text
    raw = make_air_quality_table(2, 40, seed=5)["PM2.5"]
    kept = set(table["actual"].dropna())
    assert kept <= set(raw) | {40.0}


def test_metrics_come_back_in_reading_order_after_a_json_round_trip():
    read_back = {"mae": 1.0, "n": 4, "r2": 0.1, "rmse": 2.0}  # sorted by json
    assert list(ordered_metrics(read_back, "regression")) == ["rmse", "mae", "r2", "n"]
    binary = {"accuracy": 1, "confusion_matrix": [[1]], "f1": 1, "roc_auc": 1, "n": 2}
    assert list(ordered_metrics(binary, "binary")) == ["accuracy", "roc_auc", "f1", "n"]
