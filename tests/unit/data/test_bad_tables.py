"""Bad tables through schema inference, validation and preparation.

Every case asserts the exact outcome: which error names which column, or which
warning (from ``validate_against``) or note (from ``prepare_experiment``) reports
the automatic fix.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from core.data.schema import infer_schema
from core.data.validation import validate_against
from core.errors import DataValidationError
from core.examples.prepare import prepare_experiment
from core.features.vocabulary import UNKNOWN_INDEX, build_vocabulary, key_counts, lookup
from tests.support.robust import tiny_config, tiny_table


def _set(column: str, position: int, value: object):
    """A table change: one cell of ``column`` set to ``value`` (dtype widened)."""

    def change(df: pd.DataFrame) -> pd.DataFrame:
        df[column] = df[column].astype(object)
        df.loc[position, column] = value
        return df

    return change


def _rare_class(df: pd.DataFrame) -> pd.DataFrame:
    df["label"] = np.where(df["entity"] % 2 == 0, "ok", "worn")
    df.loc[len(df) - 1, "label"] = "broken"
    return df


#: name -> (table change, config overrides, column named, error regex).
ERRORS = {
    "one-row": (lambda df: df.iloc[:1].copy(), {}, "label", "at least two classes"),
    "target-all-missing": (
        lambda df: df.assign(label=np.nan),
        {},
        "label",
        "received only missing",
    ),
    "constant-target": (
        lambda df: df.assign(label=1),
        {},
        "label",
        "at least two classes",
    ),
    "numeric-n/a-text": (
        _set("reading", 3, "n/a"),
        {},
        "reading",
        "expected numbers, received text such as 'n/a' in 1 row",
    ),
    "numeric-words": (
        lambda df: df.assign(reading="high"),
        {},
        "reading",
        "received text such as 'high'",
    ),
    "unparsable-date": (
        lambda df: df.assign(step=[f"2024-01-{s + 1:02d}" for s in df["step"]]).pipe(
            _set("step", 4, "yesterday")
        ),
        {},
        "step",
        "expected integers or date/time strings, received 'yesterday'",
    ),
    "impossible-dates": (
        lambda df: df.assign(step="2024-13-45"),
        {},
        "step",
        "received '2024-13-45'",
    ),
    "numeric-infinity": (
        _set("reading", 2, np.inf),
        {},
        "reading",
        "expected finite numbers, received 1 infinite",
    ),
    "time-infinity": (
        lambda df: df.assign(step=df["step"].astype(float)).pipe(
            _set("step", 3, np.inf)
        ),
        {},
        "step",
        "finite times, received 1 infinite",
    ),
    "target-infinity": (
        lambda df: df.assign(label=df["label"].astype(float).replace(1.0, -np.inf)),
        {},
        "label",
        "infinite",
    ),
    "missing-entity-id": (
        _set("entity", 3, None),
        {},
        "entity",
        "1 missing",
    ),
    "missing-time": (
        lambda df: df.assign(step=df["step"].astype(float)).pipe(
            _set("step", 3, np.nan)
        ),
        {},
        "step",
        "1 missing",
    ),
    "boolean-time": (
        lambda df: df.assign(step=df["step"] % 2 == 0),
        {},
        "step",
        "received true/false values",
    ),
    "three-classes-binary": (
        lambda df: df.assign(label=df["entity"] % 3),
        {},
        "label",
        "choose (task )?'multiclass'",
    ),
    "missing-feature-column": (
        lambda df: df.drop(columns="shift"),
        {},
        "shift",
        "expected this column in the data",
    ),
}


@pytest.mark.parametrize(
    ("change", "overrides", "column", "message"),
    list(ERRORS.values()),
    ids=list(ERRORS),
)
def test_unusable_tables_are_refused_naming_the_column(
    change, overrides, column, message
):
    table = change(tiny_table())
    config = tiny_config(**overrides)
    for step in (
        lambda: validate_against(config.data, table),
        lambda: prepare_experiment(table, config),
    ):
        with pytest.raises(DataValidationError, match=message) as caught:
            step()
        assert caught.value.column == column


#: name -> (table change, config overrides, validation warning, preparation note).
FIXES = {
    "decimal-commas": (
        lambda df: df.assign(
            reading=[f"{x:.2f}".replace(".", ",") for x in df.reading]
        ),
        {},
        "decimal commas read as points, e.g. '1,5' -> 1.5",
        None,
    ),
    "numbers-as-text": (
        lambda df: df.assign(reading=df["reading"].astype(str)),
        {},
        "numbers stored as text converted",
        None,
    ),
    "time-as-number-text": (
        lambda df: df.assign(step=df["step"].astype(str)),
        {},
        None,
        None,
    ),
    "duplicate-timestamps": (
        _set("step", 1, 0),
        {},
        "1 row(s) repeat a time already seen for the same entity",
        None,
    ),
    "unsorted-rows": (
        lambda df: df.sample(frac=1.0, random_state=4).reset_index(drop=True),
        {},
        "rows are not in order; they will be sorted by entity and step",
        "rows were not in order; sorted by entity, step",
    ),
    "class-seen-once": (
        _rare_class,
        {"task": "multiclass"},
        "class(es) ['broken'] occur in a single row",
        None,
    ),
    "id-like-category": (
        lambda df: df.assign(kind=[f"serial-{i}" for i in range(len(df))]),
        {},
        "every value is unique (40), so its embedding cannot generalise; drop the "
        "column or cap it with a smaller max_categories",
        None,
    ),
    "id-like-category-capped": (
        lambda df: df.assign(kind=[f"serial-{i}" for i in range(len(df))]),
        {"max_categories": 5},
        "only the 5 most frequent are kept (max_categories)",
        None,
    ),
    "window-longer-than-every-sequence": (
        lambda df: df,
        {"framing": "window", "window": 50},
        None,
        "window 50 is longer than every sequence (longest 5 steps)",
    ),
    "missing-target-values": (
        _set("label", 0, None),
        {},
        "target 'label' is missing in 1 of 40 rows",
        None,
    ),
}


@pytest.mark.parametrize(
    ("change", "overrides", "warning", "note"), list(FIXES.values()), ids=list(FIXES)
)
def test_repairable_tables_are_prepared_and_the_fix_reported(
    change, overrides, warning, note
):
    table = change(tiny_table())
    config = tiny_config(**overrides)
    warnings = validate_against(config.data, table)
    prepared = prepare_experiment(table, config)
    if warning is None:
        assert warnings == []
    else:
        assert any(warning in text for text in warnings), warnings
    if note is not None:
        assert any(note in text for text in prepared.notes), prepared.notes
    assert len(prepared.parts["train"]) > 0


def test_capped_id_like_category_keeps_at_most_the_cap():
    table = tiny_table().assign(kind=[f"serial-{i}" for i in range(40)])
    prepared = prepare_experiment(table, tiny_config(max_categories=5))
    assert prepared.preprocessor.input_dims_["kind"] == 5 + 2


def test_schema_flags_an_id_like_category_and_suggests_the_cap():
    table = tiny_table().assign(kind=[f"serial-{i}" for i in range(40)])
    notes = infer_schema(table).notes
    assert any(
        "'kind' looks like an identifier" in n and "max_categories" in n for n in notes
    )


def test_entities_of_length_one_give_one_step_examples():
    table = tiny_table().assign(entity=range(40))
    prepared = prepare_experiment(table, tiny_config())
    for examples in prepared.parts.values():
        assert set(examples.lengths.tolist()) <= {1}
    assert sum(len(examples) for examples in prepared.parts.values()) == 40


def test_time_as_number_text_orders_like_numbers():
    table = tiny_table().sample(frac=1.0, random_state=1)
    as_text = prepare_experiment(
        table.assign(step=table["step"].astype(str)), tiny_config()
    )
    as_numbers = prepare_experiment(table, tiny_config())
    np.testing.assert_array_equal(as_text.encoded.numeric, as_numbers.encoded.numeric)


#: name -> (table, error regex); tables schema inference must refuse or describe.
SCHEMA_TABLES = {
    "no-columns": (pd.DataFrame(index=range(3)), "at least one column"),
    "duplicate-names": (
        pd.DataFrame([[1, 2, 3]], columns=["a", "a", "y"]),
        r"duplicates \['a'\]",
    ),
}


@pytest.mark.parametrize(
    ("table", "message"), list(SCHEMA_TABLES.values()), ids=list(SCHEMA_TABLES)
)
def test_schema_refuses_tables_without_usable_columns(table, message):
    with pytest.raises(DataValidationError, match=message):
        infer_schema(table)


@pytest.mark.parametrize(
    "change",
    [
        lambda df: df.iloc[:1],
        lambda df: df.assign(label=np.nan),
        lambda df: df.assign(reading=[np.inf, -np.inf] * 20),
        lambda df: df.assign(step="not a date"),
    ],
    ids=["one-row", "target-all-missing", "only-infinities", "text-time"],
)
def test_schema_suggests_roles_for_odd_tables_without_raising(change):
    suggestion = infer_schema(change(tiny_table()))
    assert suggestion.target_column in tiny_table().columns


def test_a_million_distinct_categories_are_capped_and_looked_up():
    # Every value unique: the id-like worst case of the vocabulary path (its
    # speed is measured in bench/, not asserted here).
    values = pd.Series(
        np.char.add("id-", np.arange(1_000_000).astype(str)), dtype=object
    )
    vocabulary = build_vocabulary(key_counts(values), max_size=1000)
    result = lookup(values, vocabulary)
    assert len(vocabulary) == 1000
    assert int((result.indices == UNKNOWN_INDEX).sum()) == 999_000
    assert result.unknown_count == 999_000
