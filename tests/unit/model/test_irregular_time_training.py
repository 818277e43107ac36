"""Irregular visits end to end: time inputs and a horizon in time, trained, served."""

from __future__ import annotations

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
from core.model.bundle import bundle_from_result, load_bundle, predict, save_bundle
from core.model.experiment import run_experiment
from tests.support.tables import irregular_visits_table

TIME_INPUTS = ["visit_date__since_previous", "visit_date__since_first"]


@pytest.fixture(scope="module")
def trained():
    data = DataConfig(
        target_column="event",
        id_column="patient",
        time_column="visit_date",
        categorical_columns=(ColumnSpec("clinic"),),
        numeric_columns=("marker",),
        task="binary",
        framing="window",
        window=3,
        time_deltas=True,
        time_as_input=True,
        horizon_time=90,
    )
    config = ExperimentConfig(
        data=data,
        split=SplitConfig(method="time", validation_fraction=0.2, test_fraction=0.2),
        model=ModelConfig(lstm_units=(4,), dense_units=0, dropout=0.0),
        train=TrainConfig(epochs=2, batch_size=16),
    )
    table = irregular_visits_table(seed=1, patients=24, visits=(8, 14))
    return table, run_experiment(table, config)


@pytest.mark.slow
def test_training_runs_with_time_inputs_and_a_horizon_in_time(trained):
    _, result = trained
    preprocessor = result.prepared.preprocessor
    assert preprocessor.config.time_unit == "days"
    assert preprocessor.numeric_feature_names[1:4] == [
        *TIME_INPUTS,
        "visit_date__value",
    ]
    assert len(result.training.history["loss"]) == 2
    assert np.isfinite(result.training.history["loss"]).all()
    assert result.metrics["validation"]["n"] > 0
    assert any("dropped as censored" in note for note in result.prepared.notes)


@pytest.mark.slow
def test_a_reloaded_bundle_recreates_the_time_inputs(trained, tmp_path):
    table, result = trained
    path = save_bundle(bundle_from_result(result), tmp_path / "bundle")
    # load_bundle reads the model with Keras's safe mode on.
    reloaded = load_bundle(path)
    assert reloaded.preprocessor.config.time_unit == "days"
    assert (
        reloaded.preprocessor.time_origin_ == result.prepared.preprocessor.time_origin_
    )
    original = predict(bundle_from_result(result), table)
    served = predict(reloaded, table)
    np.testing.assert_allclose(
        served.table["probability"], original.table["probability"], atol=1e-5
    )
    # A new file without the target: the inputs come from the saved config.
    new = table.drop(columns=["event"]).tail(30)
    last = predict(reloaded, new, last_only=True).table
    assert len(last) == new["patient"].nunique()
    assert last["probability"].between(0, 1).all()
