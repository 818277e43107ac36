"""``split.validation_windows = "last"``: one last window per validation entity."""

from __future__ import annotations

import numpy as np
import pytest

from core.config import ColumnSpec, DataConfig, ExperimentConfig, SplitConfig
from core.errors import ConfigError
from core.examples.prepare import prepare_experiment
from tests.support.tables import make_long_table


def _config(validation_windows: str) -> ExperimentConfig:
    return ExperimentConfig(
        data=DataConfig(
            target_column="level",
            id_column="entity",
            time_column="step",
            categorical_columns=(ColumnSpec("kind", 2),),
            numeric_columns=("reading",),
            task="regression",
            framing="window",
            window=3,
        ),
        split=SplitConfig(validation_windows=validation_windows),
    )


def test_last_keeps_each_validation_entitys_latest_window_only():
    frame = make_long_table(seed=3, entities=40, min_length=6, max_length=12)
    every = prepare_experiment(frame, _config("all"))
    last = prepare_experiment(frame, _config("last"))
    all_rows = every.parts["validation"].end_rows
    last_rows = last.parts["validation"].end_rows
    assert len(all_rows) > len(last_rows) > 0
    # The latest window of every entity that has validation windows.
    entity_of = np.searchsorted(last.layout.starts, all_rows, side="right") - 1
    expected = sorted(
        max(all_rows[entity_of == entity]) for entity in np.unique(entity_of)
    )
    assert sorted(last_rows.tolist()) == expected
    # Training and test examples are untouched.
    for part in ("train", "test"):
        assert np.array_equal(last.parts[part].end_rows, every.parts[part].end_rows)


def test_an_unknown_scheme_is_a_config_error_naming_the_field():
    with pytest.raises(ConfigError, match="split.validation_windows"):
        SplitConfig(validation_windows="first")
