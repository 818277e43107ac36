"""Role inference (suggestions), time parsing, numeric coercion and validation."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from core.data.schema import infer_schema, infer_task
from core.data.values import parse_time
from core.errors import DataValidationError


def test_maintenance_table_roles_and_task(maintenance_table):
    suggestion = infer_schema(maintenance_table)
    assert suggestion.id_column == "machine_id"
    assert suggestion.time_column == "timestamp"
    assert suggestion.target_column == "failure"
    assert suggestion.task == "binary"
    assert suggestion.categorical_columns == ("machine_type", "operator_id")
    assert suggestion.numeric_columns == ("temperature",)
    roles = {profile.name: profile.role for profile in suggestion.columns}
    assert roles == {
        "machine_id": "id",
        "timestamp": "time",
        "machine_type": "categorical",
        "operator_id": "categorical",
        "temperature": "numeric",
        "failure": "target",
    }


def test_column_profiles_describe_the_values(maintenance_table):
    maintenance_table.loc[:4, "temperature"] = np.nan
    profiles = {item.name: item for item in infer_schema(maintenance_table).columns}
    assert profiles["temperature"].missing_fraction == pytest.approx(0.1)
    assert profiles["machine_type"].cardinality == 3
    assert profiles["machine_id"].example_values == ("1", "2", "3")
    assert profiles["failure"].dtype == "int64"


def test_camel_case_ids_and_integer_cycles_are_recognised():
    df = pd.DataFrame(
        {
            "machineID": [7, 7, 7, 9, 9, 9],
            "cycle": [1, 2, 3, 1, 2, 3],
            "setting": [0.1, 0.3, 0.2, 0.5, 0.4, 0.6],
            "RUL": [2, 1, 0, 2, 1, 0],
        }
    )
    suggestion = infer_schema(df)
    assert (suggestion.id_column, suggestion.time_column) == ("machineID", "cycle")
    assert suggestion.target_column == "RUL"
    assert suggestion.numeric_columns == ("setting",)


def test_a_second_target_like_column_is_left_out_of_the_features():
    # ``failure`` marks the day RUL reaches 0: as a feature it would leak the answer.
    df = pd.DataFrame(
        {
            "machine_id": [1, 1, 1, 2, 2, 2],
            "day": [1, 2, 3, 1, 2, 3],
            "failure": [0, 0, 1, 0, 0, 1],
            # Not constant: a column with one value is never selected (issue 23).
            "lag_failure": [0, 0, 0, 0, 0, 1],
            "rul": [2, 1, 0, 2, 1, 0],
        }
    )
    suggestion = infer_schema(df)
    assert suggestion.target_column == "rul"
    assert "failure" not in suggestion.categorical_columns + suggestion.numeric_columns
    roles = {profile.name: profile.role for profile in suggestion.columns}
    assert roles["failure"] == "ignored"
    # Only whole-name matches are set aside; a lagged copy is a legitimate feature.
    assert roles["lag_failure"] != "ignored"
    assert any("'failure' looks like another target" in n for n in suggestion.notes)


def test_a_known_target_sets_the_other_target_like_column_aside():
    df = pd.DataFrame(
        {
            "machine_id": [1, 1, 2, 2],
            "failure": [0, 1, 0, 1],
            "rul": [1, 0, 1, 0],
        }
    )
    suggestion = infer_schema(df, target_column="failure")
    assert (suggestion.target_column, suggestion.task) == ("failure", "binary")
    assert "rul" not in suggestion.numeric_columns
    assert any("answer to 'failure'" in note for note in suggestion.notes)
    with pytest.raises(DataValidationError, match="'label'"):
        infer_schema(df, target_column="label")


def test_without_target_name_the_last_column_is_picked_with_a_note():
    df = pd.DataFrame({"store": ["a", "a", "b", "b"], "amount": [1.5, 2.5, 0.5, 9.0]})
    suggestion = infer_schema(df)
    assert suggestion.id_column == "store"
    assert suggestion.target_column == "amount"
    assert suggestion.task == "regression"
    assert suggestion.target_guessed
    assert any("'amount' is only the last column" in note for note in suggestion.notes)


def test_unique_identifier_used_as_category_gets_a_note(maintenance_table):
    maintenance_table["order_code"] = [f"A{i:04d}" for i in range(50)]
    suggestion = infer_schema(maintenance_table)
    assert "order_code" in suggestion.categorical_columns
    assert any(
        "'order_code'" in note and "max_categories" in note for note in suggestion.notes
    )


@pytest.mark.parametrize(
    ("target", "task"),
    [
        (list(range(100)), "regression"),
        (["red", "green", "blue"] * 10, "multiclass"),
        ([0, 1, 2, 3] * 25, "multiclass"),
        (["yes", "no", None] * 10, "binary"),
        ([True, False] * 10, "binary"),
        ([0.5, 1.25, 3.0] * 10, "regression"),
        (["1,5", "2,5", "3,75", "4,0"] * 10, "regression"),
    ],
    ids=[
        "int-many-values",
        "text-3-classes",
        "int-few-values",
        "text-2-with-missing",
        "bool",
        "float",
        "decimal-comma-text",
    ],
)
def test_infer_task(target, task):
    assert infer_task(pd.Series(target, name="label")) == task


def test_schema_task_follows_target_values(maintenance_table):
    maintenance_table["failure"] = np.arange(50)
    assert infer_schema(maintenance_table).task == "regression"
    maintenance_table["failure"] = ["ok", "warn", "fail", "ok", "ok"] * 10
    assert infer_schema(maintenance_table).task == "multiclass"


def test_infer_task_of_empty_target_names_the_column():
    with pytest.raises(DataValidationError, match="label"):
        infer_task(pd.Series([None, None], name="label", dtype=object))


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ([3, 1, 2], [3, 1, 2]),
        ([0.5, 1.5], [0.5, 1.5]),
        (["2", "10"], [2, 10]),
        (
            ["2024-01-02 10:00", "2024-01-03 11:30"],
            [pd.Timestamp("2024-01-02 10:00"), pd.Timestamp("2024-01-03 11:30")],
        ),
        (
            ["02/01/2024", "13/01/2024"],
            [pd.Timestamp("2024-01-02"), pd.Timestamp("2024-01-13")],
        ),
    ],
    ids=["int", "float", "numeric-text", "iso-text", "day-first-text"],
)
def test_parse_time(values, expected):
    assert parse_time(pd.Series(values, name="t")).tolist() == expected


def test_parse_time_keeps_missing_values_missing():
    parsed = parse_time(pd.Series(["2024-01-01", None, ""], name="t"))
    assert parsed.isna().tolist() == [False, True, True]


@pytest.mark.parametrize(
    ("values", "message"),
    [
        (["2024-01-01", "xyz", "2024-01-03"], r"'xyz' in 1 rows"),
        ([True, False], "true/false"),
    ],
    ids=["text", "bool"],
)
def test_parse_time_rejects_non_times(values, message):
    with pytest.raises(DataValidationError, match=f"column 'when': .*{message}"):
        parse_time(pd.Series(values, name="when"))


def test_duplicate_column_names_are_refused():
    df = pd.DataFrame([[1, 2]], columns=["a", "a"])
    with pytest.raises(DataValidationError, match="'a'"):
        infer_schema(df)


def _hourly_table(entities: int = 2, hours: int = 72) -> pd.DataFrame:
    """Separate date parts per station, as in the Beijing multi-site data."""
    stamps = pd.date_range("2013-03-01", periods=hours, freq="h")
    frames = []
    for position in range(entities):
        frames.append(
            pd.DataFrame(
                {
                    "No": np.arange(1, hours + 1),
                    "year": stamps.year,
                    "month": stamps.month,
                    "day": stamps.day,
                    "hour": stamps.hour,
                    "TEMP": np.linspace(0.0, 5.0, hours) + position,
                    "station": f"S{position}",
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


def test_a_time_column_unique_within_entities_beats_one_that_repeats():
    # ``day`` has more distinct values over the table, but repeats within a unit.
    rows = 10
    df = pd.DataFrame(
        {
            "unit": np.repeat([1, 2, 3], rows),
            "cycle": np.tile(np.arange(1, rows + 1), 3),
            "day": np.concatenate(
                [offset + np.arange(rows) // 2 for offset in (0, 5, 9)]
            ),
            "reading": np.linspace(0, 1, 3 * rows),
            "label": np.tile([0, 1], 15),
        }
    )
    suggestion = infer_schema(df)
    assert suggestion.time_column == "cycle"
    assert not any("repeats" in note for note in suggestion.notes)


def test_a_repeating_time_column_is_warned_about_and_date_parts_offered():
    # Without the ``No`` row counter, which would order the rows (issue 23).
    suggestion = infer_schema(_hourly_table().drop(columns="No"))
    assert suggestion.id_column == "station"
    assert suggestion.date_parts == ("year", "month", "day", "hour")
    repeat_notes = [n for n in suggestion.notes if "repeats within an entity" in n]
    assert repeat_notes
    assert f"'{suggestion.time_column}'" in repeat_notes[0]
    assert any("build one timestamp" in note for note in suggestion.notes)


def test_missing_target_share_is_not_rounded_to_zero():
    df = _hourly_table(entities=2, hours=300)
    df["PM25"] = np.linspace(1, 100, len(df))
    df.loc[:1, "PM25"] = np.nan  # 2 of 600 rows: 0.33 %
    suggestion = infer_schema(df, target_column="PM25")
    assert any("missing in 0.33 % of rows" in note for note in suggestion.notes)


def test_mostly_numeric_text_is_suggested_numeric_naming_the_bad_values():
    df = _hourly_table(entities=2, hours=300)
    df["PM2.5"] = [str(v) for v in np.arange(len(df)) % 449]
    df.loc[10, "PM2.5"] = "high"
    suggestion = infer_schema(df, target_column="TEMP")
    assert "PM2.5" in suggestion.numeric_columns
    assert "PM2.5" not in suggestion.categorical_columns
    profile = {item.name: item for item in suggestion.columns}["PM2.5"]
    assert profile.unparsed_values == {"high": 1}
    assert any("'PM2.5'" in n and "'high'" in n for n in suggestion.notes)


def test_profiles_know_the_feature_role_of_the_target_and_time():
    suggestion = infer_schema(_hourly_table(), target_column="TEMP")
    profiles = {item.name: item for item in suggestion.columns}
    assert profiles["TEMP"].role == "target"
    assert profiles["TEMP"].feature_role == "numeric"
    assert profiles[suggestion.time_column].feature_role in ("categorical", "numeric")


def test_roles_and_tasks_are_typed_choices_not_free_strings():
    import typing

    from core.data.schema import ColumnProfile, SchemaSuggestion
    from core.features.target import TargetEncoder

    role = typing.get_type_hints(ColumnProfile)["role"]
    assert typing.get_origin(role) is typing.Literal
    assert set(typing.get_args(role)) == {
        "id",
        "time",
        "target",
        "categorical",
        "numeric",
        "ignored",
    }
    task = typing.get_type_hints(SchemaSuggestion)["task"]
    assert set(typing.get_args(task)) == {"binary", "multiclass", "regression"}
    hints = typing.get_type_hints(TargetEncoder.__init__)
    assert typing.get_origin(hints["task"]) is typing.Literal
