"""Checking a table against the chosen roles: errors name the column, repairs warn."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from core.config import ColumnSpec, DataConfig
from core.data.validation import coerce_numeric, validate_against
from core.errors import DataValidationError


def _config(**changes) -> DataConfig:
    values = {
        "target_column": "failure",
        "id_column": "machine_id",
        "time_column": "timestamp",
        "categorical_columns": (ColumnSpec("machine_type"), ColumnSpec("operator_id")),
        "numeric_columns": ("temperature",),
    }
    return DataConfig(**{**values, **changes})


def test_valid_table_gives_no_warnings(maintenance_table):
    assert validate_against(_config(), maintenance_table) == []


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda df: df.drop(columns="temperature"), r"'temperature'.*machine_id"),
        (lambda df: df.drop(columns="machine_id"), "'machine_id'"),
        (lambda df: df.assign(failure=np.nan), "'failure'.*only missing"),
        (lambda df: df.assign(temperature="n/a"), "'temperature'.*'n/a'"),
        (
            lambda df: df.assign(temperature=[np.inf, -np.inf] + [1.0] * 48),
            "'temperature'.*2 infinite",
        ),
        (
            lambda df: df.assign(timestamp=["soon"] + ["2024-01-01"] * 49),
            "'timestamp'.*'soon' in 1 rows",
        ),
        (
            lambda df: df.assign(machine_id=[None] + [1.0] * 49),
            "'machine_id'.*1 missing",
        ),
        (lambda df: df.assign(failure=np.arange(50)), "'failure'.*binary"),
    ],
    ids=[
        "missing-feature",
        "missing-id",
        "empty-target",
        "text-in-numeric",
        "infinity",
        "bad-time",
        "missing-id-value",
        "too-many-binary-classes",
    ],
)
def test_validation_errors_name_the_column(maintenance_table, change, message):
    with pytest.raises(DataValidationError, match=message):
        validate_against(_config(), change(maintenance_table))


def test_numeric_text_is_accepted_with_a_note(maintenance_table):
    maintenance_table["temperature"] = [f"{value:.1f}" for value in range(50)]
    warnings = validate_against(_config(), maintenance_table)
    assert warnings == ["column 'temperature': numbers stored as text converted"]


def test_order_problems_are_warnings(maintenance_table):
    shuffled = maintenance_table.iloc[::-1]
    repeated = pd.concat([maintenance_table, maintenance_table.head(2)])
    assert validate_against(_config(), shuffled) == [
        "rows are not in order; they will be sorted by machine_id and timestamp"
    ]
    assert any(
        "2 row(s) repeat a time" in w for w in validate_against(_config(), repeated)
    )


def test_prediction_files_may_lack_the_target(maintenance_table):
    without_target = maintenance_table.drop(columns="failure")
    assert validate_against(_config(), without_target, require_target=False) == []
    with pytest.raises(DataValidationError, match="'failure'"):
        validate_against(_config(), without_target)


def test_coerce_numeric_converts_decimal_commas_without_touching_input():
    df = pd.DataFrame({"x": ["1,5", "2,25", None], "y": [1, 2, 3]})
    converted, notes = coerce_numeric(df, ["x", "y"])
    assert converted["x"].tolist()[:2] == [1.5, 2.25]
    assert np.isnan(converted["x"].iloc[2])
    assert converted["y"].tolist() == [1, 2, 3]
    assert df["x"].tolist()[:2] == ["1,5", "2,25"]
    assert notes == [
        "column 'x': numbers stored as text converted "
        "(decimal commas read as points, e.g. '1,5' -> 1.5)"
    ]


@pytest.mark.parametrize(
    ("df", "message"),
    [
        (pd.DataFrame({"x": ["1.5", "abc"]}), "column 'x'.*'abc'"),
        (pd.DataFrame({"y": [1.0]}), "column 'x'.*columns \\['y'\\]"),
    ],
    ids=["text", "missing-column"],
)
def test_coerce_numeric_rejects_text_and_missing_columns(df, message):
    with pytest.raises(DataValidationError, match=message):
        coerce_numeric(df, ["x"])
