"""A derived target in the config (issue 22 item 7): checks, JSON, where it applies."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

from core.config import ColumnSpec, DataConfig, ExperimentConfig
from core.data.derived_target import apply_derived_target, target_balance
from core.data.parquet import DatasetSource
from core.data.validation import validate_against
from core.errors import ConfigError
from core.examples.prepare import plan_experiment, prepare_experiment
from core.examples.stream_passes import StreamOptions, chunks, fit_streaming
from tests.unit.examples.test_streaming import (
    assert_same_fit,
    config_of,
    in_memory_fit,
    make_table,
    write_shards,
)


def _data(**changes) -> DataConfig:
    values = {
        "target_column": "failed",
        "id_column": "machine",
        "time_column": "hour",
        "categorical_columns": (ColumnSpec("kind"),),
        "numeric_columns": ("temperature",),
        "task": "binary",
        "derive_target": "status == 2",
    }
    return DataConfig(**{**values, **changes})


def _table() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "machine": [1, 1, 1, 2, 2, 2, 3, 3],
            "hour": [0, 1, 2, 0, 1, 2, 0, 1],
            "kind": list("aabbbaab"),
            "temperature": [20.0, 21, 22, 19, 25, 30, 18, 18],
            "status": [1, 1, 2, 1, np.nan, 2, 1, 1],
        }
    )


def test_a_derived_target_round_trips_through_json():
    config = ExperimentConfig(data=_data(derive_target="status in [2, 3] and x > 1"))
    again = ExperimentConfig.from_json(config.to_json())
    assert again == config
    assert again.data.derive_target == "status in [2, 3] and x > 1"


def test_left_unset_it_keeps_existing_config_ids():
    plain = ExperimentConfig(data=_data(derive_target=None))
    assert "derive_target" not in plain.identity_dict()["data"]
    derived = ExperimentConfig(data=_data())
    assert derived.identity_dict()["data"]["derive_target"] == "status == 2"


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"derive_target": "status =="}, "at character 10"),
        ({"derive_target": "__import__('os')"}, "dunder name"),
        ({"task": "regression"}, "expected task 'binary'"),
        ({"task": "multiclass"}, "expected task 'binary'"),
        ({"numeric_columns": ("temperature", "status")}, "'status' among the features"),
        ({"categorical_columns": (ColumnSpec("status"),)}, "'status' among"),
        ({"target_column": "status"}, "target name other than"),
        ({"derive_target": ""}, "expected an expression"),
    ],
    ids=[
        "bad-syntax",
        "injection",
        "regression",
        "multiclass",
        "numeric-leak",
        "categorical-leak",
        "target-is-source",
        "empty",
    ],
)
def test_invalid_settings_fail_when_the_config_is_built(changes, message):
    with pytest.raises(ConfigError, match=message) as error:
        _data(**changes)
    assert error.value.field == "data.derive_target"


def test_a_bad_expression_in_a_json_config_is_refused():
    payload = ExperimentConfig(data=_data()).to_dict()
    payload["data"]["derive_target"] = "status.__class__ == 1"
    with pytest.raises(ConfigError, match="attribute access"):
        ExperimentConfig.from_dict(payload)


def test_the_target_column_is_computed_and_replaces_one_of_that_name():
    table = _table().assign(failed="stale")
    derived = apply_derived_target(table, _data())
    assert derived["failed"].tolist() == [0, 0, 1, 0, pd.NA, 1, 0, 0]
    assert table["failed"].eq("stale").all(), "the caller's table is not changed"


def test_training_needs_the_columns_the_expression_reads():
    table = _table().rename(columns={"status": "state"})
    with pytest.raises(ConfigError, match="'status'; did you mean 'state'"):
        apply_derived_target(table, _data())
    with pytest.raises(ConfigError, match="'status'"):
        validate_against(_data(), table)


def test_a_new_file_without_those_columns_has_no_target():
    table = _table().drop(columns=["status"]).assign(failed=1)
    derived = apply_derived_target(table, _data(), required=False)
    assert "failed" not in derived.columns
    # Checking a file to predict on does not ask for the target's columns.
    validate_against(_data(), table, require_target=False)


def test_validation_and_planning_see_the_derived_target():
    warnings = validate_against(_data(), _table())
    assert any("target 'failed' is missing in 1 of 8 rows" in w for w in warnings)
    plan = plan_experiment(_table(), ExperimentConfig(data=_data()))
    assert plan.frame["failed"].tolist() == [0, 0, 1, 0, pd.NA, 1, 0, 0]


def test_preparation_labels_sequences_from_the_derived_target():
    config = ExperimentConfig(data=_data())
    config = config.replace(
        split=dataclasses.replace(
            config.split, validation_fraction=0.0, test_fraction=0.0
        )
    )
    prepared = prepare_experiment(_table(), config)
    assert prepared.preprocessor.target_encoder_.classes_ == ["0", "1"]
    assert sorted(prepared.parts["train"].labels.tolist()) == [0.0, 1.0, 1.0]


def test_class_balance_preview():
    balance = target_balance(_table(), "status == 2")
    assert balance["class"].tolist() == ["1", "0", "missing"]
    assert balance["rows"].tolist() == [2, 5, 1]
    assert balance["share"].tolist() == pytest.approx([0.25, 0.625, 0.125])
    with pytest.raises(ConfigError, match="'stat'; did you mean 'status'"):
        target_balance(_table(), "stat == 2")


def test_streamed_chunks_derive_the_target_like_the_whole_table(tmp_path):
    table = make_table()
    config = config_of(
        target_column="heavy",
        numeric_columns=("temp",),
        derive_target="load > 6",
    )
    source = DatasetSource.open(write_shards(table, tmp_path / "shards"))
    options = StreamOptions(chunk_rows=40)
    streamed_rows = pd.concat(list(chunks(source, config, options)))
    expected = apply_derived_target(table, config.data)
    assert streamed_rows["heavy"].tolist() == expected["heavy"].tolist()
    streamed, _ = fit_streaming(source, config, options)
    assert_same_fit(streamed, in_memory_fit(expected, config))
