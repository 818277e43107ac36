"""Predictions on a new table read against their run (issue 23 items 6 and 7)."""

from __future__ import annotations

import pandas as pd
import pytest

from core.config import ColumnSpec, DataConfig, ExperimentConfig
from core.examples.prepare import prepare_experiment
from core.runs.new_data import report_new_data, table_metrics, training_entities
from tests.support.tables import make_long_table

BINARY = DataConfig(
    target_column="label",
    id_column="entity",
    time_column="step",
    categorical_columns=(ColumnSpec("kind", 2),),
    numeric_columns=("reading",),
    task="binary",
)


def _binary_table() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "entity": [1, 1, 2, 3, 3, 4],
            "probability": [0.9, 0.35, 0.2, 0.4, 0.1, 0.31],
            "predicted": ["1", "0", "0", "0", "0", "0"],
            "actual": ["1", "1", "0", "1", "0", "0"],
        }
    )


def test_binary_decisions_and_their_metrics_use_the_threshold():
    report = report_new_data(_binary_table(), BINARY, ["0", "1"], threshold=0.33)
    assert list(report.table["predicted"]) == ["1", "1", "0", "1", "0", "0"]
    assert report.metrics["threshold"] == pytest.approx(0.33)
    assert report.metrics["recall"] == 1.0
    assert report.metrics["confusion_matrix"] == [[3, 0], [0, 3]]
    at_half = report_new_data(_binary_table(), BINARY, ["0", "1"])
    assert at_half.metrics["recall"] == pytest.approx(1 / 3)


def test_entities_seen_in_training_are_counted_and_scored_apart():
    report = report_new_data(
        _binary_table(), BINARY, ["0", "1"], 0.33, trained_on=frozenset({"1", "2"})
    )
    assert (report.entities, report.overlapping) == (4, 2)
    assert list(report.table["in_training"]) == [True, True, True, False, False, False]
    assert report.unseen_metrics["n"] == 3
    assert report.metrics["n"] == 6


def test_no_overlap_figures_without_the_training_entities():
    report = report_new_data(_binary_table(), BINARY, ["0", "1"], 0.5)
    assert report.overlapping is None
    assert report.unseen_metrics is None
    assert "in_training" not in report.table.columns


def test_training_entities_are_the_runs_own_training_split():
    table = make_long_table(seed=5, entities=30)
    config = ExperimentConfig(data=BINARY)
    trained = training_entities(table, config)
    prepared = prepare_experiment(table, config)
    held_out = {
        str(entity)
        for part in ("validation", "test")
        for entity in prepared.entity_of_row[prepared.parts[part].end_rows]
    }
    assert trained
    assert held_out
    assert trained.isdisjoint(held_out)
    assert trained | held_out == {str(e) for e in table["entity"].unique()}


def test_regression_truth_is_capped_as_in_training():
    data = DataConfig(
        target_column="level",
        id_column="entity",
        numeric_columns=("reading",),
        task="regression",
        target_cap=10.0,
    )
    table = pd.DataFrame(
        {"entity": [1, 2], "predicted": [10.0, 5.0], "actual": [30, 5]}
    )
    assert table_metrics(table, data, None)["rmse"] == 0.0
